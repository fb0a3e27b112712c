//! Reads a `.clab.yml` into the [`Topology`] model: containerlab's merge of
//! `topology.defaults`, `topology.kinds.<kind>` and the node (node > kind >
//! defaults for `image`, `kind` and `cmd`; binds merged by container path;
//! `exec` appended defaults, kind, node; `env` overridden key by key), bind
//! host paths resolved against the file's directory. What the runner does
//! not support becomes a warning; references to unknown nodes are errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_yaml_ng::{Mapping, Value};

use super::model::{Bind, Endpoint, Link, Node, Topology};
use crate::error::{Error, Result};

/// The longest interface name Linux accepts (IFNAMSIZ - 1).
const MAX_IFNAME: usize = 15;

/// The top level of a topology file.
#[derive(Debug, Default, Deserialize)]
struct RawFile {
    name: Option<String>,
    topology: Option<RawTopology>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// `topology:`.
#[derive(Debug, Default, Deserialize)]
struct RawTopology {
    defaults: Option<RawNode>,
    kinds: Option<BTreeMap<String, Option<RawNode>>>,
    nodes: Option<Mapping>,
    links: Option<Vec<RawLink>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// A node, a kind or the defaults, as written.
#[derive(Debug, Default, Deserialize)]
struct RawNode {
    kind: Option<String>,
    image: Option<String>,
    binds: Option<Vec<String>>,
    exec: Option<Vec<String>>,
    env: Option<BTreeMap<String, Value>>,
    cmd: Option<String>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// One entry of `topology.links`.
#[derive(Debug, Default, Deserialize)]
struct RawLink {
    endpoints: Option<Vec<Value>>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// Reads and parses the topology file at `path`.
pub fn load(path: &Path) -> Result<Topology> {
    let file = std::path::absolute(path)
        .map_err(|e| Error::io(format!("resolve {}", path.display()), e))?;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Error::io(format!("read {}", file.display()), e))?;
    parse(&text, &file)
}

/// Parses topology `text` read from `file` (an absolute path; bind host
/// paths are resolved against its directory).
pub fn parse(text: &str, file: &Path) -> Result<Topology> {
    let what = file.display().to_string();
    let raw: RawFile =
        serde_yaml_ng::from_str(text).map_err(|e| Error::parse(&what, e.to_string()))?;
    let bad = |detail: String| Error::parse(&what, detail);
    let dir = file.parent().unwrap_or(Path::new("/"));
    let mut warnings = Vec::new();
    ignored(&mut warnings, "", &raw.other);

    let name = raw.name.ok_or_else(|| bad("no `name`".into()))?;
    check_name("lab name", &name).map_err(bad)?;
    let topology = raw.topology.unwrap_or_default();
    ignored(&mut warnings, "topology.", &topology.other);
    let defaults = topology.defaults.unwrap_or_default();
    ignored(&mut warnings, "topology.defaults.", &defaults.other);
    let kinds = topology.kinds.unwrap_or_default();
    for (kind, def) in &kinds {
        if let Some(def) = def {
            ignored(
                &mut warnings,
                &format!("topology.kinds.{kind}."),
                &def.other,
            );
        }
    }

    let mut nodes = Vec::new();
    for (key, value) in topology.nodes.unwrap_or_default() {
        let name = key
            .as_str()
            .ok_or_else(|| bad(format!("node name {key:?} is not a string")))?
            .to_owned();
        check_name("node name", &name).map_err(bad)?;
        let raw: RawNode = if value.is_null() {
            RawNode::default()
        } else {
            serde_yaml_ng::from_value(value).map_err(|e| bad(format!("node {name}: {e}")))?
        };
        ignored(&mut warnings, &format!("node {name}: "), &raw.other);
        let node = merge(name, &raw, &kinds, &defaults, dir).map_err(bad)?;
        if node.cmd.is_some() && node.role().is_known() {
            warnings.push(format!(
                "node {}: `cmd` ignored (the runner starts the {} processes itself)",
                node.name,
                node.role()
            ));
        }
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(bad("no nodes under `topology.nodes`".into()));
    }

    let mut links = Vec::new();
    for (index, raw) in topology.links.unwrap_or_default().into_iter().enumerate() {
        let here = format!("topology.links[{index}]");
        ignored(&mut warnings, &format!("{here}."), &raw.other);
        let link = link(&here, raw.endpoints.unwrap_or_default(), &nodes).map_err(bad)?;
        links.push(link);
    }
    check_unique_interfaces(&links).map_err(bad)?;

    Ok(Topology {
        name,
        file: file.to_owned(),
        nodes,
        links,
        warnings,
    })
}

/// Adds one warning per key the runner ignores.
fn ignored(warnings: &mut Vec<String>, context: &str, other: &BTreeMap<String, Value>) {
    for key in other.keys() {
        warnings.push(format!(
            "{context}`{key}` is not supported by the runner; ignored"
        ));
    }
}

/// Merges a node with its kind and the defaults the way containerlab does.
fn merge(
    name: String,
    node: &RawNode,
    kinds: &BTreeMap<String, Option<RawNode>>,
    defaults: &RawNode,
    dir: &Path,
) -> std::result::Result<Node, String> {
    let kind = node
        .kind
        .clone()
        .or_else(|| defaults.kind.clone())
        .unwrap_or_else(|| "linux".to_owned());
    let empty = RawNode::default();
    let of_kind = kinds.get(&kind).and_then(Option::as_ref).unwrap_or(&empty);
    let levels = [node, of_kind, defaults];
    let first = |field: fn(&RawNode) -> Option<&String>| {
        levels.iter().find_map(|level| field(level)).cloned()
    };

    let mut binds: Vec<Bind> = Vec::new();
    for spec in levels.iter().flat_map(|level| level.binds.iter().flatten()) {
        let bind = parse_bind(spec, dir).map_err(|e| format!("node {name}: {e}"))?;
        if !binds.iter().any(|b| b.container == bind.container) {
            binds.push(bind);
        }
    }
    let exec = levels
        .iter()
        .rev()
        .flat_map(|level| level.exec.iter().flatten().cloned())
        .collect();
    let mut env = BTreeMap::new();
    for level in levels.iter().rev() {
        for (key, value) in level.env.iter().flatten() {
            env.insert(
                key.clone(),
                env_value(value).map_err(|e| format!("node {name}: env {key}: {e}"))?,
            );
        }
    }
    Ok(Node {
        image: first(|l| l.image.as_ref()),
        cmd: first(|l| l.cmd.as_ref()),
        name,
        kind,
        binds,
        exec,
        env,
    })
}

/// Parses `host:container[:options]`; a relative host path is taken from `dir`.
pub fn parse_bind(spec: &str, dir: &Path) -> std::result::Result<Bind, String> {
    let mut parts = spec.splitn(3, ':');
    let host = parts.next().filter(|p| !p.is_empty());
    let container = parts.next().filter(|p| p.starts_with('/'));
    let (Some(host), Some(container)) = (host, container) else {
        return Err(format!(
            "bind {spec:?}: expected host-path:/container-path[:ro]"
        ));
    };
    let read_only = parts
        .next()
        .is_some_and(|options| options.split(',').any(|o| o == "ro"));
    let host = PathBuf::from(host);
    Ok(Bind {
        host: if host.is_absolute() {
            host
        } else {
            dir.join(host)
        },
        container: container.to_owned(),
        read_only,
    })
}

/// An `env` value as a string (the schema allows strings, numbers, booleans).
fn env_value(value: &Value) -> std::result::Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        other => Err(format!(
            "expected a string, number or boolean, found {other:?}"
        )),
    }
}

/// A link from its endpoints, `"node:interface"` strings or
/// `{node, interface}` maps, both naming nodes of the topology.
fn link(here: &str, endpoints: Vec<Value>, nodes: &[Node]) -> std::result::Result<Link, String> {
    let parsed = endpoints
        .iter()
        .map(|value| endpoint(here, value, nodes))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    match <[Endpoint; 2]>::try_from(parsed) {
        Ok([a, b]) => Ok(Link { a, b }),
        Err(found) => Err(format!(
            "{here}: expected two endpoints, found {}",
            found.len()
        )),
    }
}

fn endpoint(here: &str, value: &Value, nodes: &[Node]) -> std::result::Result<Endpoint, String> {
    let (node, interface) = match value {
        Value::String(text) => text
            .split_once(':')
            .map(|(n, i)| (n.to_owned(), i.to_owned()))
            .ok_or_else(|| format!("{here}: endpoint {text:?} is not node:interface"))?,
        Value::Mapping(map) => {
            let field = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_owned);
            field("node")
                .zip(field("interface"))
                .ok_or_else(|| format!("{here}: endpoint {value:?} needs node and interface"))?
        }
        other => return Err(format!("{here}: endpoint {other:?} is not node:interface")),
    };
    if !nodes.iter().any(|n| n.name == node) {
        return Err(format!(
            "{here}: endpoint {node}:{interface} names an unknown node {node:?}"
        ));
    }
    check_interface(&interface).map_err(|e| format!("{here}: {e}"))?;
    Ok(Endpoint { node, interface })
}

/// An interface name Linux accepts (and `ip` cannot misread).
fn check_interface(name: &str) -> std::result::Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= MAX_IFNAME
        && name != "lo"
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "interface name {name:?} must be 1-{MAX_IFNAME} characters of [A-Za-z0-9._@-], not lo"
        ))
    }
}

/// No interface appears in two links.
fn check_unique_interfaces(links: &[Link]) -> std::result::Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for end in links.iter().flat_map(|l| [&l.a, &l.b]) {
        if !seen.insert((end.node.as_str(), end.interface.as_str())) {
            return Err(format!("interface {end} is used by two links"));
        }
    }
    Ok(())
}

/// A lab or node name usable in namespace names and paths.
fn check_name(what: &str, name: &str) -> std::result::Result<(), String> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{what} {name:?} must start with a letter or digit and hold only [A-Za-z0-9._-]"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
name: demo
prefix: ""
topology:
  defaults:
    env: { A: from-defaults, B: from-defaults }
    binds: [shared/common.conf:/etc/common.conf:ro]
    exec: ["echo defaults"]
  kinds:
    linux:
      image: alpine:3
      env: { B: from-kind, C: 3 }
      exec: ["echo kind"]
  nodes:
    router:
      kind: linux
      image: quay.io/frrouting/frr:8.4.1
      binds:
        - router/frr.conf:/etc/frr/frr.conf
        - /abs/other.conf:/etc/common.conf
      ports: ["80:80"]
    client:
      env: { C: false }
      exec: ["ip addr add 192.0.2.2/24 dev eth1"]
  links:
    - endpoints: ["router:eth1", "client:eth1"]
"#;

    fn demo() -> Topology {
        parse(FILE, Path::new("/labs/demo/demo.clab.yml")).unwrap()
    }

    #[test]
    fn nodes_keep_file_order_and_merge_node_over_kind_over_defaults() {
        let topo = demo();
        assert_eq!(topo.name, "demo");
        let names: Vec<_> = topo.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["router", "client"]);
        let router = &topo.nodes[0];
        assert_eq!(router.image.as_deref(), Some("quay.io/frrouting/frr:8.4.1"));
        let client = &topo.nodes[1];
        assert_eq!(client.kind, "linux");
        assert_eq!(client.image.as_deref(), Some("alpine:3"));
        assert_eq!(client.env["A"], "from-defaults");
        assert_eq!(client.env["B"], "from-kind");
        assert_eq!(client.env["C"], "false");
        assert_eq!(
            client.exec,
            [
                "echo defaults",
                "echo kind",
                "ip addr add 192.0.2.2/24 dev eth1"
            ]
        );
        assert_eq!(topo.netns("client"), "clab-demo-client");
    }

    #[test]
    fn binds_resolve_relative_paths_and_the_most_specific_wins() {
        let topo = demo();
        let router = &topo.nodes[0];
        assert_eq!(
            router.bind_source("/etc/frr/frr.conf"),
            Some(Path::new("/labs/demo/router/frr.conf"))
        );
        assert_eq!(
            router.bind_source("/etc/common.conf"),
            Some(Path::new("/abs/other.conf"))
        );
        assert_eq!(router.binds.len(), 2);
        let client = &topo.nodes[1];
        assert_eq!(
            client.binds,
            [Bind {
                host: PathBuf::from("/labs/demo/shared/common.conf"),
                container: "/etc/common.conf".into(),
                read_only: true,
            }]
        );
    }

    #[test]
    fn binds_need_a_host_and_an_absolute_container_path() {
        let dir = Path::new("/d");
        assert!(!parse_bind("a:/b", dir).unwrap().read_only);
        assert!(parse_bind("a:/b:rw,ro", dir).unwrap().read_only);
        assert!(parse_bind("a", dir).is_err());
        assert!(parse_bind(":/b", dir).is_err());
        assert!(parse_bind("a:b", dir).is_err());
    }

    #[test]
    fn links_keep_interface_names() {
        let topo = demo();
        assert_eq!(topo.links.len(), 1);
        assert_eq!(topo.links[0].to_string(), "router:eth1 <-> client:eth1");
    }

    #[test]
    fn unsupported_keys_and_cmd_of_known_images_are_warnings() {
        let topo = demo();
        assert!(topo.warnings.iter().any(|w| w.contains("`prefix`")));
        assert!(topo
            .warnings
            .iter()
            .any(|w| w.contains("node router: `ports`")));
        let with_cmd = FILE.replace("      ports: [\"80:80\"]", "      cmd: sleep 1");
        let topo = parse(&with_cmd, Path::new("/l/x.yml")).unwrap();
        assert!(topo
            .warnings
            .iter()
            .any(|w| w.contains("node router: `cmd` ignored")));
    }

    #[test]
    fn a_link_to_an_unknown_node_is_an_error() {
        let bad = FILE.replace("client:eth1\"]", "nobody:eth1\"]");
        let err = parse(&bad, Path::new("/l/x.yml")).unwrap_err().to_string();
        assert!(err.contains("unknown node \"nobody\""), "{err}");
    }

    #[test]
    fn bad_names_and_reused_interfaces_are_errors() {
        let long = FILE.replace("client:eth1\"]", "client:eth1234567890123\"]");
        assert!(parse(&long, Path::new("/l/x.yml")).is_err());
        let twice = FILE.replace(
            "    - endpoints: [\"router:eth1\", \"client:eth1\"]",
            "    - endpoints: [\"router:eth1\", \"client:eth1\"]\n    - endpoints: [\"router:eth1\", \"client:eth2\"]",
        );
        let err = parse(&twice, Path::new("/l/x.yml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("router:eth1 is used by two links"), "{err}");
        let slash = FILE.replace("name: demo", "name: de/mo");
        assert!(parse(&slash, Path::new("/l/x.yml")).is_err());
    }
}
