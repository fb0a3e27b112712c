//! Running commands inside a node: its `exec` lines during `lab up` and
//! `lab exec`. Container paths of the node's binds are replaced textually by
//! their host paths, the node's `env` is set, and on nodes whose daemons use
//! private sockets the clients are pointed at them: `vtysh` gets
//! `--vty_socket <node dir>`, `birdc` gets `-s <node dir>/bird.ctl`, and on
//! announcer nodes `ANNOUNCER_SOCKET`, `WEB_HEALTH_FILE` and `WEB_BUSY_FILE` are set (and the
//! `announcer` binary's directory is put first in `PATH`).

use std::fs::OpenOptions;
use std::os::unix::process::{CommandExt as _, ExitStatusExt as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::launch::own_binary;
use super::model::{Bind, Node, Topology};
use super::role::Role;
use super::state::node_dir;
use crate::error::{Error, Result};
use announcer_harness::process::{tail, wait_or_kill_group};

/// How long one exec line may run.
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(120);
/// How often a running exec line is polled.
const POLL: Duration = Duration::from_millis(20);

/// Replaces every bind's container path in `text` by its host path (longer
/// container paths first, so `/etc/frr/frr.conf` wins over `/etc/frr`).
pub fn substitute(text: &str, binds: &[Bind]) -> String {
    let mut ordered: Vec<&Bind> = binds.iter().collect();
    ordered.sort_by_key(|bind| std::cmp::Reverse(bind.container.len()));
    let mut out = text.to_owned();
    for bind in ordered {
        out = out.replace(&bind.container, &bind.host.display().to_string());
    }
    out
}

/// The environment of commands on `node` of lab `lab`.
pub fn node_env(lab: &str, node: &Node) -> Vec<(String, String)> {
    let dir = node_dir(lab, &node.name);
    let mut env: Vec<(String, String)> = node
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if node.role() == Role::Announcer {
        let at = |name: &str| dir.join(name).display().to_string();
        env.push(("ANNOUNCER_SOCKET".into(), at("announcer.sock")));
        env.push(("WEB_HEALTH_FILE".into(), at("unhealthy")));
        env.push(("WEB_BUSY_FILE".into(), at("busy")));
        if let Some(bin_dir) = own_binary("announcer", "ANNOUNCER_BIN")
            .ok()
            .and_then(|p| p.parent().map(Path::to_owned))
        {
            let path = std::env::var("PATH").unwrap_or_default();
            env.push(("PATH".into(), format!("{}:{path}", bin_dir.display())));
        }
    }
    env
}

/// The option pointing a daemon's client at the node's private socket:
/// `vtysh` on an FRR node, `birdc` on a BIRD node; none otherwise.
fn socket_option(lab: &str, node: &Node, program: &str) -> Option<[String; 2]> {
    let dir = node_dir(lab, &node.name);
    let program = Path::new(program).file_name()?.to_str()?;
    match (node.role(), program) {
        (Role::Frr, "vtysh") => Some(["--vty_socket".into(), dir.display().to_string()]),
        (Role::Bird, "birdc") => Some(["-s".into(), dir.join("bird.ctl").display().to_string()]),
        _ => None,
    }
}

/// `argv` with bind paths substituted in every argument and the client's
/// socket option injected after the program (see `socket_option`).
pub fn client_argv(lab: &str, node: &Node, argv: &[String]) -> Vec<String> {
    let mut out: Vec<String> = argv.iter().map(|a| substitute(a, &node.binds)).collect();
    let inject = argv.first().and_then(|p| socket_option(lab, node, p));
    if let Some(option) = inject {
        let rest = out.split_off(1);
        out.extend(option);
        out.extend(rest);
    }
    out
}

/// An exec line with bind paths substituted and, when its first word is
/// `vtysh` or `birdc`, the socket option inserted after it.
pub fn exec_line(lab: &str, node: &Node, line: &str) -> String {
    let line = substitute(line, &node.binds);
    let trimmed = line.trim_start();
    let (first, rest) = trimmed.split_once(' ').unwrap_or((trimmed, ""));
    match socket_option(lab, node, first) {
        Some([flag, value]) => format!("{first} {flag} '{value}' {rest}")
            .trim_end()
            .to_owned(),
        None => line,
    }
}

/// A command running `argv` in `node`'s namespace with the node's environment.
fn command(topo: &Topology, node: &Node, argv: &[String]) -> Result<Command> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| Error::Refused("no command given".into()))?;
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", &topo.netns(&node.name), program])
        .args(args)
        .envs(node_env(&topo.name, node));
    Ok(command)
}

/// Runs `node`'s exec lines in order (`sh -c` in its namespace, working
/// directory its node directory, stdout appended to `exec.log` there, each
/// line's stderr in `exec-<n>.stderr`), each for at most [`EXEC_TIMEOUT`];
/// the first failing line is an error naming the node, the line, its exit
/// status and its stderr.
pub fn run_exec_lines(topo: &Topology, node: &Node) -> Result<()> {
    let dir = node_dir(&topo.name, &node.name);
    let stdout_path = dir.join("exec.log");
    for (index, line) in node.exec.iter().enumerate() {
        let number = index + 1;
        let line = exec_line(&topo.name, node, line);
        let what = format!("node {}: exec line {number} `{line}`", node.name);
        let stderr_path = dir.join(format!("exec-{number}.stderr"));
        let open = |path: &Path, append: bool| {
            OpenOptions::new()
                .create(true)
                .write(true)
                .append(append)
                .truncate(!append)
                .open(path)
                .map_err(|e| Error::io(format!("open {}", path.display()), e))
        };
        let argv = ["sh".to_owned(), "-c".to_owned(), line.clone()];
        let mut child = command(topo, node, &argv)?
            .current_dir(&dir)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(open(&stdout_path, true)?)
            .stderr(open(&stderr_path, false)?)
            .spawn()
            .map_err(|e| Error::io(format!("start {what}"), e))?;
        let status = wait_or_kill_group(&mut child, &what, EXEC_TIMEOUT, POLL)?;
        if !status.success() {
            return Err(Error::Refused(format!(
                "{what} failed ({status}): {}",
                tail(&stderr_path, 20).trim()
            )));
        }
    }
    Ok(())
}

/// `lab exec`: runs `argv` on node `node` with stdio passed through and
/// returns its exit code (128 + signal if it was killed).
pub fn lab_exec(topo: &Topology, node: &str, argv: &[String]) -> Result<i32> {
    let node = topo
        .node(node)
        .ok_or_else(|| Error::Refused(format!("lab {} has no node {node:?}", topo.name)))?;
    let netns = topo.netns(&node.name);
    if !Path::new("/run/netns").join(&netns).exists() {
        return Err(Error::Refused(format!(
            "node {} is not up (no namespace {netns}); run `lab up {}` first",
            node.name,
            topo.file.display()
        )));
    }
    let argv = client_argv(&topo.name, node, argv);
    let status = command(topo, node, &argv)?
        .status()
        .map_err(|e| Error::io(format!("run {} on {}", argv.join(" "), node.name), e))?;
    Ok(status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    use super::*;

    fn bind(host: &str, container: &str) -> Bind {
        Bind {
            host: PathBuf::from(host),
            container: container.into(),
            read_only: false,
        }
    }

    fn node(image: &str) -> Node {
        Node {
            name: "r".into(),
            kind: "linux".into(),
            image: Some(image.into()),
            binds: vec![
                bind("/h/frr", "/etc/frr"),
                bind("/h/r/frr.conf", "/etc/frr/frr.conf"),
            ],
            exec: Vec::new(),
            env: BTreeMap::from([("A".to_owned(), "1".to_owned())]),
            cmd: None,
        }
    }

    #[test]
    fn container_paths_become_host_paths_longest_first() {
        let binds = node("x").binds;
        assert_eq!(
            substitute("cat /etc/frr/frr.conf /etc/frr/daemons", &binds),
            "cat /h/r/frr.conf /h/frr/daemons"
        );
        assert_eq!(substitute("ip link", &binds), "ip link");
    }

    #[test]
    fn clients_get_the_private_socket_of_their_daemon() {
        let argv = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let frr = node("frrouting/frr:8");
        assert_eq!(
            client_argv("l", &frr, &argv(&["vtysh", "-c", "show bgp summary"])),
            [
                "vtysh",
                "--vty_socket",
                "/run/announcer-lab/l/r",
                "-c",
                "show bgp summary"
            ]
        );
        let bird = node("bird:2");
        assert_eq!(
            client_argv("l", &bird, &argv(&["birdc", "show", "route"])),
            [
                "birdc",
                "-s",
                "/run/announcer-lab/l/r/bird.ctl",
                "show",
                "route"
            ]
        );
        assert_eq!(
            client_argv("l", &bird, &argv(&["cat", "/etc/frr/frr.conf"])),
            ["cat", "/h/r/frr.conf"]
        );
        assert!(client_argv("l", &bird, &[]).is_empty());
    }

    #[test]
    fn exec_lines_reach_the_private_sockets_too() {
        let frr = node("frrouting/frr:8");
        assert_eq!(
            exec_line("l", &frr, "vtysh -c 'show run' -f /etc/frr/frr.conf"),
            "vtysh --vty_socket '/run/announcer-lab/l/r' -c 'show run' -f /h/r/frr.conf"
        );
        assert_eq!(
            exec_line("l", &frr, "vtysh"),
            "vtysh --vty_socket '/run/announcer-lab/l/r'"
        );
        assert_eq!(exec_line("l", &frr, "birdc show route"), "birdc show route");
        assert_eq!(exec_line("l", &node("bird"), "ip link"), "ip link");
    }

    #[test]
    fn announcer_nodes_get_the_socket_and_health_file_in_their_env() {
        let env = node_env("l", &node("announcer:dev"));
        let get = |k: &str| {
            env.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("A"), Some("1"));
        assert_eq!(
            get("ANNOUNCER_SOCKET"),
            Some("/run/announcer-lab/l/r/announcer.sock")
        );
        assert_eq!(
            get("WEB_HEALTH_FILE"),
            Some("/run/announcer-lab/l/r/unhealthy")
        );
        assert_eq!(get("WEB_BUSY_FILE"), Some("/run/announcer-lab/l/r/busy"));
        assert!(node_env("l", &node("alpine"))
            .iter()
            .all(|(k, _)| k != "ANNOUNCER_SOCKET"));
    }
}
