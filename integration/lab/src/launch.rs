//! The main processes of a node, by role, and where their binaries come
//! from: `announcer` and `web-server` beside the `lab` executable (or
//! `ANNOUNCER_BIN` / `WEB_SERVER_BIN`), BIRD from `PATH`, FRR's daemons from
//! [`FRR_DIR`]. An FRR node runs zebra, staticd and bgpd, plus bfdd when the
//! daemons file bound at [`FRR_DAEMONS_FILE`] enables it (`bfdd=yes`), as the
//! FRR image does under containerlab; every daemon reads the integrated
//! `frr.conf`.

use std::path::{Path, PathBuf};

use super::exec::substitute;
use super::model::Node;
use super::procs::{Launch, Ready};
use super::role::{Role, FRR_DAEMONS_FILE};
use crate::error::{Error, Result};
use announcer_harness::preflight::find_binary;

/// Where Debian's `frr` package installs the daemons.
pub const FRR_DIR: &str = "/usr/lib/frr";
/// FRR daemons started on every FRR node, in order, with the socket each
/// creates when ready (relative to the node directory).
pub const FRR_DAEMONS: [(&str, &str); 3] = [
    ("zebra", "zserv.api"),
    ("staticd", "staticd.vty"),
    ("bgpd", "bgpd.vty"),
];
/// bfdd and its ready socket: started after zebra and before bgpd when the
/// node's daemons file enables it, so bgpd's BFD registrations find it.
pub const FRR_BFDD: (&str, &str) = ("bfdd", "bfdd.vty");
/// bfdd's control socket, in the node directory (its default under
/// `/var/run/frr` would be shared by every FRR node on the host).
pub const BFDD_CONTROL: &str = "bfdd.sock";
/// The web server's private health port (besides port 80).
pub const WEB_HEALTH_PORT: u16 = 8080;

/// How to build the project's binaries when they are missing.
const BUILD_HINT: &str = "cargo build --release -p announcer -p announcer-integration";

/// The host path a role's configuration is bound from, or an error naming
/// the bind the node lacks.
pub fn config_source(node: &Node) -> Result<Option<&Path>> {
    let Some(target) = node.role().config_target() else {
        return Ok(None);
    };
    let source = node.bind_source(target).ok_or_else(|| {
        Error::Refused(format!(
            "node {} ({} image) needs a bind to {target}",
            node.name,
            node.role()
        ))
    })?;
    if !source.is_file() {
        return Err(Error::Refused(format!(
            "node {}: bind source {} (for {target}) does not exist",
            node.name,
            source.display()
        )));
    }
    Ok(Some(source))
}

/// The processes to start on `node`, whose directory is `dir`, in order.
pub fn launches(node: &Node, dir: &Path) -> Result<Vec<Launch>> {
    let config = config_source(node)?
        .map(|path| path.display().to_string())
        .unwrap_or_default();
    let at = |name: &str| dir.join(name).display().to_string();
    Ok(match node.role() {
        Role::Frr => frr_daemons(node)?
            .into_iter()
            .map(|(daemon, socket)| {
                let mut args = vec![
                    "-u".into(),
                    "frr".into(),
                    "-g".into(),
                    "frr".into(),
                    "--vty_socket".into(),
                    dir.display().to_string(),
                    "-z".into(),
                    at("zserv.api"),
                    "-i".into(),
                    at(&format!("{daemon}.pid")),
                    "-f".into(),
                    config.clone(),
                ];
                if daemon == FRR_BFDD.0 {
                    args.extend(["--bfdctl".into(), at(BFDD_CONTROL)]);
                }
                Ok(Launch {
                    name: daemon.to_owned(),
                    program: frr_daemon(daemon)?,
                    args,
                    ready: Ready::Path(dir.join(socket)),
                })
            })
            .collect::<Result<_>>()?,
        Role::Bird => vec![Launch {
            name: "bird".into(),
            program: system_binary("bird", "apt-get install bird2")?,
            args: vec![
                "-f".into(),
                "-c".into(),
                config,
                "-s".into(),
                at("bird.ctl"),
                "-P".into(),
                at("bird.pid"),
            ],
            ready: Ready::Path(dir.join("bird.ctl")),
        }],
        Role::Announcer => vec![
            Launch {
                name: "web-server".into(),
                program: own_binary("web-server", "WEB_SERVER_BIN")?,
                args: vec![
                    "--name".into(),
                    node.name.clone(),
                    "--listen".into(),
                    "0.0.0.0:80".into(),
                    "--listen".into(),
                    "[::]:80".into(),
                    "--listen".into(),
                    format!("127.0.0.1:{WEB_HEALTH_PORT}"),
                    "--health-file".into(),
                    at("unhealthy"),
                    "--busy-file".into(),
                    at("busy"),
                ],
                ready: Ready::Listening(WEB_HEALTH_PORT),
            },
            Launch {
                name: "announcer".into(),
                program: own_binary("announcer", "ANNOUNCER_BIN")?,
                args: vec!["run".into(), "-c".into(), at("announcer.toml")],
                ready: Ready::Path(dir.join("announcer.sock")),
            },
        ],
        Role::Linux => match &node.cmd {
            Some(cmd) => vec![Launch {
                name: "cmd".into(),
                program: PathBuf::from("sh"),
                args: vec!["-c".into(), substitute(cmd, &node.binds)],
                ready: Ready::Started,
            }],
            None => Vec::new(),
        },
    })
}

/// The FRR daemons of `node`, in start order, each with its ready socket:
/// [`FRR_DAEMONS`], with [`FRR_BFDD`] after zebra when the node binds a
/// daemons file that enables it.
pub fn frr_daemons(node: &Node) -> Result<Vec<(&'static str, &'static str)>> {
    let mut daemons = FRR_DAEMONS.to_vec();
    let Some(source) = node.bind_source(FRR_DAEMONS_FILE) else {
        return Ok(daemons);
    };
    let text = std::fs::read_to_string(source).map_err(|e| {
        Error::io(
            format!(
                "node {}: read {} (bound to {FRR_DAEMONS_FILE})",
                node.name,
                source.display()
            ),
            e,
        )
    })?;
    if daemon_enabled(&text, FRR_BFDD.0) {
        daemons.insert(1, FRR_BFDD);
    }
    Ok(daemons)
}

/// Whether FRR's daemons file `text` (shell assignments, as `frrinit.sh`
/// sources it) sets `<daemon>=yes`; the last assignment wins.
pub fn daemon_enabled(text: &str, daemon: &str) -> bool {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .rfind(|(key, _)| key.trim() == daemon)
        .is_some_and(|(_, value)| {
            let value = value.split('#').next().unwrap_or_default().trim();
            value.trim_matches(|c| c == '"' || c == '\'') == "yes"
        })
}

/// An FRR daemon's path, or an error saying to install FRR.
fn frr_daemon(name: &str) -> Result<PathBuf> {
    let path = Path::new(FRR_DIR).join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::Refused(format!(
            "{} not found: install FRR (apt-get install frr)",
            path.display()
        )))
    }
}

/// A system tool from `PATH` (or sbin), or an error saying how to install it.
pub fn system_binary(name: &str, install: &str) -> Result<PathBuf> {
    find_binary(name)
        .ok_or_else(|| Error::Refused(format!("{name} not found in PATH: install it ({install})")))
}

/// One of this project's binaries: `$env` if set, else beside the running
/// `lab` executable.
pub fn own_binary(name: &str, env: &str) -> Result<PathBuf> {
    let path = match std::env::var_os(env).filter(|v| !v.is_empty()) {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()
            .map_err(|e| Error::io("locate the lab executable", e))?
            .with_file_name(name),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::Refused(format!(
            "{name} not found at {} (build it: {BUILD_HINT}; or set {env})",
            path.display()
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::Bind;

    fn node(image: &str, binds: Vec<Bind>) -> Node {
        Node {
            name: "r1".into(),
            kind: "linux".into(),
            image: Some(image.into()),
            binds,
            exec: Vec::new(),
            env: BTreeMap::new(),
            cmd: Some("sleep 100 /etc/x".into()),
        }
    }

    #[test]
    fn a_known_image_without_its_config_bind_is_an_error() {
        let err = launches(
            &node("quay.io/frrouting/frr:8.4.1", Vec::new()),
            Path::new("/n"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("needs a bind to /etc/frr/frr.conf"), "{err}");
    }

    /// A bind of a temporary file holding `text` to `container`.
    fn bound(text: &str, container: &str) -> (tempfile::NamedTempFile, Bind) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let bind = Bind {
            host: file.path().to_owned(),
            container: container.into(),
            read_only: false,
        };
        (file, bind)
    }

    #[test]
    fn frr_runs_zebra_staticd_and_bgpd_with_private_paths() {
        if !Path::new(FRR_DIR).join("zebra").is_file() {
            eprintln!("SKIP: FRR is not installed");
            return;
        }
        let (conf, bind) = bound("", "/etc/frr/frr.conf");
        let all = launches(&node("frrouting/frr:9", vec![bind]), Path::new("/n")).unwrap();
        let names: Vec<_> = all.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["zebra", "staticd", "bgpd"]);
        let line = all[0].cmdline().join(" ");
        assert!(line.ends_with(&format!(
            "zebra -u frr -g frr --vty_socket /n -z /n/zserv.api -i /n/zebra.pid -f {}",
            conf.path().display()
        )));
        assert_eq!(all[0].ready, Ready::Path("/n/zserv.api".into()));
    }

    #[test]
    fn frr_runs_bfdd_after_zebra_when_its_daemons_file_enables_it() {
        if !Path::new(FRR_DIR).join("bfdd").is_file() {
            eprintln!("SKIP: FRR is not installed");
            return;
        }
        let (conf, frr_conf) = bound("", "/etc/frr/frr.conf");
        let (_daemons, daemons) = bound("bgpd=yes\nbfdd=yes\n", FRR_DAEMONS_FILE);
        let all = launches(
            &node("frrouting/frr:9", vec![frr_conf, daemons]),
            Path::new("/n"),
        )
        .unwrap();
        let names: Vec<_> = all.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["zebra", "bfdd", "staticd", "bgpd"]);
        let line = all[1].cmdline().join(" ");
        assert!(
            line.ends_with(&format!(
                "bfdd -u frr -g frr --vty_socket /n -z /n/zserv.api -i /n/bfdd.pid -f {} \
                 --bfdctl /n/bfdd.sock",
                conf.path().display()
            )),
            "{line}"
        );
        assert_eq!(all[1].ready, Ready::Path("/n/bfdd.vty".into()));
    }

    #[test]
    fn the_daemons_file_enables_a_daemon_with_its_last_yes() {
        let file = "# comment: bfdd=yes\nbgpd=yes\nbfdd=no\nbfdd_options=\"-A 127.0.0.1\"\n";
        assert!(daemon_enabled(file, "bgpd"));
        assert!(!daemon_enabled(file, "bfdd"));
        assert!(daemon_enabled(&format!("{file}bfdd=yes\n"), "bfdd"));
        assert!(daemon_enabled("bfdd=\"yes\"  # on\n", "bfdd"));
        assert!(!daemon_enabled("bfdd=yes\nbfdd=no\n", "bfdd"));
        assert!(!daemon_enabled("", "bfdd"));
        let (_file, daemons) = bound("bfdd=no\n", FRR_DAEMONS_FILE);
        let plain = node("frrouting/frr:9", vec![daemons]);
        assert_eq!(frr_daemons(&plain).unwrap(), FRR_DAEMONS.to_vec());
        let missing = Bind {
            host: "/nonexistent/daemons".into(),
            container: FRR_DAEMONS_FILE.into(),
            read_only: true,
        };
        let err = frr_daemons(&node("frrouting/frr:9", vec![missing]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/daemons"), "{err}");
    }

    #[test]
    fn a_linux_node_runs_its_cmd_with_binds_substituted() {
        let bind = Bind {
            host: "/host/x".into(),
            container: "/etc/x".into(),
            read_only: true,
        };
        let all = launches(&node("alpine", vec![bind]), Path::new("/n")).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].args, ["-c", "sleep 100 /host/x"]);
        let mut plain = node("alpine", Vec::new());
        plain.cmd = None;
        assert!(launches(&plain, Path::new("/n")).unwrap().is_empty());
    }
}
