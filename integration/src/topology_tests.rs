//! Helpers for the tests of `integration/topologies/`: a topology brought up
//! with the `lab` runner (and always brought down again by a guard), and what
//! the tests observe in its namespaces: a node's kernel route for a VIP,
//! which web server answers a client and an FRR router's BFD sessions; and a
//! node frozen (every process in its namespace stopped, as a hung host) until
//! a guard resumes it.
//!
//! The runner names a node's namespace `clab-<lab>-<node>`; kernel routes are
//! read with `ip -n`, and the client's requests are made from a thread that
//! has entered the client's namespace, so the tests need no client tools.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::{get_many, Tally};
use crate::netns::run_verbose;
use crate::preflight::{require_announcer, require_built, require_host};
use crate::routers::frr_json::{self, BfdPeer};
use crate::routers::RouterKind;
use crate::wait::wait_until;

/// How often the timed waits look at a kernel route.
const POLL: Duration = Duration::from_millis(20);
/// How often a BFD wait asks the router (each look runs `vtysh`).
const BFD_POLL: Duration = Duration::from_millis(100);
/// The last lines of each node log attached to a failure.
const LOG_LINES: usize = 25;

/// A topology brought up by `lab up`; `lab down` runs when it is dropped.
#[derive(Debug)]
pub struct RunningTopology {
    lab: PathBuf,
    file: String,
    name: String,
}

impl RunningTopology {
    /// Brings up `integration/topologies/<name>/<name>.clab.yml` (whose lab
    /// is also called `<name>`) with the `lab` binary `lab` (found by [`require_built`]), or returns
    /// `None` after a skip line when the
    /// lab cannot run here (not root, `router`'s binaries or the `announcer`
    /// binary missing; a failure instead with `ANNOUNCER_LAB_REQUIRED=1`).
    pub fn up(lab: &str, name: &str, router: RouterKind, test: &str) -> Result<Option<Self>> {
        if !require_host(router, test)? || require_announcer(test)?.is_none() {
            return Ok(None);
        }
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("topologies")
            .join(name)
            .join(format!("{name}.clab.yml"));
        let topology = RunningTopology {
            lab: require_built(lab, test)?,
            file: file.to_string_lossy().into_owned(),
            name: name.to_owned(),
        };
        // A lab left over by an interrupted run would make `lab up` fail.
        let _ = topology.lab(&["down", &topology.file]);
        topology
            .lab(&["up", &topology.file])
            .map_err(|error| topology.failure(error))?;
        Ok(Some(topology))
    }

    /// Runs `lab args...` and returns its stdout.
    fn lab(&self, args: &[&str]) -> Result<String> {
        run_verbose(Command::new(&self.lab).args(args))
    }

    /// Runs `lab exec <file> <node> -- command...` and returns its stdout.
    pub fn exec(&self, node: &str, command: &[&str]) -> Result<String> {
        let mut args = vec!["exec", &self.file, node, "--"];
        args.extend_from_slice(command);
        self.lab(&args)
    }

    /// Fails (`false`) or restores (`true`) `node`'s health check the way a
    /// user does: by creating or removing `$WEB_HEALTH_FILE` on the node.
    pub fn set_healthy(&self, node: &str, healthy: bool) -> Result<()> {
        self.set_file(node, "WEB_HEALTH_FILE", !healthy)
    }

    /// Makes `node`'s web server busy (`true`: `GET /load` answers 503) or not,
    /// by creating or removing `$WEB_BUSY_FILE` on the node.
    pub fn set_busy(&self, node: &str, busy: bool) -> Result<()> {
        self.set_file(node, "WEB_BUSY_FILE", busy)
    }

    /// Creates (`present`) or removes the file named by `node`'s variable `var`.
    fn set_file(&self, node: &str, var: &str, present: bool) -> Result<()> {
        let script = if present {
            format!(r#"touch "${var}""#)
        } else {
            format!(r#"rm -f "${var}""#)
        };
        self.exec(node, &["sh", "-c", &script]).map(drop)
    }

    /// The namespace of `node`.
    pub fn namespace(&self, node: &str) -> String {
        format!("clab-{}-{node}", self.name)
    }

    /// The sorted next hops of `node`'s kernel route for exactly `prefix`;
    /// empty when there is none.
    pub fn next_hops(&self, node: &str, prefix: &str) -> Result<Vec<IpAddr>> {
        let family = if prefix.contains(':') { "-6" } else { "-4" };
        let namespace = self.namespace(node);
        let args = [
            "-n", &namespace, "-j", family, "route", "show", "exact", prefix,
        ];
        let output = Command::new("ip")
            .args(args)
            .output()
            .map_err(|e| Error::io("run ip route", e))?;
        if !output.status.success() {
            return Err(Error::Command {
                command: format!("ip {}", args.join(" ")),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        parse_next_hops(&String::from_utf8_lossy(&output.stdout))
    }

    /// Waits until `node`'s route for `prefix` has exactly the next hops
    /// `want` (any order), for at most `limit` after `since`; returns the time
    /// since `since`.
    pub fn wait_next_hops(
        &self,
        node: &str,
        prefix: &str,
        want: &[IpAddr],
        since: Instant,
        limit: Duration,
    ) -> Result<Duration> {
        let mut want = want.to_vec();
        want.sort();
        let what = format!("{node}'s route {prefix} via {want:?} within {limit:?}");
        wait_until(
            &what,
            limit.saturating_sub(since.elapsed()),
            POLL,
            || match self.next_hops(node, prefix) {
                Ok(hops) if hops == want => Ok(since.elapsed()),
                Ok(hops) => Err(format!("next hops {hops:?}")),
                Err(e) => Err(e.to_string()),
            },
        )
    }

    /// The BFD sessions of FRR node `node` (`show bfd peers json`): each
    /// peer's address and `status` (`up`, `down`, `init`, ...), sorted.
    pub fn bfd_peers(&self, node: &str) -> Result<Vec<(IpAddr, String)>> {
        parse_bfd_peers(&self.exec(node, &["vtysh", "-c", "show bfd peers json"])?)
    }

    /// Waits until FRR node `node` has a BFD session in status `up` with
    /// each of `peers`, for at most `limit` after `since`; returns the time
    /// since `since`.
    pub fn wait_bfd_up(
        &self,
        node: &str,
        peers: &[IpAddr],
        since: Instant,
        limit: Duration,
    ) -> Result<Duration> {
        let what = format!("{node}'s BFD sessions with {peers:?} up within {limit:?}");
        wait_until(
            &what,
            limit.saturating_sub(since.elapsed()),
            BFD_POLL,
            || match self.bfd_peers(node) {
                Ok(sessions) => {
                    let up = |peer: &IpAddr| {
                        sessions
                            .iter()
                            .any(|(address, status)| address == peer && status == "up")
                    };
                    if peers.iter().all(up) {
                        Ok(since.elapsed())
                    } else {
                        Err(format!("sessions {sessions:?}"))
                    }
                }
                Err(e) => Err(e.to_string()),
            },
        )
    }

    /// Stops (SIGSTOP) every process in `node`'s namespace, as a hung host:
    /// nothing answers, but no socket closes. The processes resume when the
    /// returned guard is dropped or [`Frozen::resume`]d.
    pub fn freeze(&self, node: &str) -> Result<Frozen> {
        let namespace = self.namespace(node);
        let output = Command::new("ip")
            .args(["netns", "pids", &namespace])
            .output()
            .map_err(|e| Error::io(format!("run ip netns pids {namespace}"), e))?;
        let pids: Vec<Pid> = String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .map(Pid::from_raw)
            .collect();
        if pids.is_empty() {
            return Err(Error::Check(format!("no process runs in {namespace}")));
        }
        let frozen = Frozen {
            node: node.to_owned(),
            pids,
        };
        for pid in &frozen.pids {
            kill(*pid, Signal::SIGSTOP)
                .map_err(|e| Error::Check(format!("SIGSTOP to pid {pid} on {node}: {e}")))?;
        }
        Ok(frozen)
    }

    /// `count` GETs of `http://address/` from `node`'s namespace, each on a
    /// new connection (a new source port for the routers' L4 hash).
    pub fn client_gets(&self, node: &str, address: SocketAddr, count: usize) -> Result<Tally> {
        get_many(&self.namespace(node), address, "/", count)
    }

    /// `error` with `lab status` and the last lines of every node's logs.
    pub fn failure(&self, error: Error) -> Error {
        let mut text = format!("{error}\n===== lab status =====\n");
        text.push_str(&self.lab(&["status"]).unwrap_or_else(|e| e.to_string()));
        let root = Path::new("/run/announcer-lab").join(&self.name);
        for log in logs_under(&root) {
            let contents = std::fs::read_to_string(&log).unwrap_or_default();
            let skip = contents.lines().count().saturating_sub(LOG_LINES);
            let tail: Vec<&str> = contents.lines().skip(skip).collect();
            let _ = write!(
                text,
                "\n===== {} =====\n{}\n",
                log.display(),
                tail.join("\n")
            );
        }
        Error::Check(text)
    }

    /// Runs `body`; a failure gets the lab's status and logs attached.
    pub fn run(self, body: impl FnOnce(&RunningTopology) -> Result<()>) -> Result<()> {
        body(&self).map_err(|error| self.failure(error))
    }
}

impl Drop for RunningTopology {
    fn drop(&mut self) {
        if let Err(e) = self.lab(&["down", &self.file]) {
            eprintln!("{}: lab down failed: {e}", self.name);
        }
    }
}

/// The processes of a node stopped by [`RunningTopology::freeze`]; they get
/// SIGCONT when this is dropped (also when a test fails while they are
/// stopped).
#[derive(Debug)]
pub struct Frozen {
    node: String,
    pids: Vec<Pid>,
}

impl Frozen {
    /// The stopped processes.
    pub fn pids(&self) -> &[Pid] {
        &self.pids
    }

    /// Resumes the processes now.
    pub fn resume(self) {
        drop(self);
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        for pid in &self.pids {
            if let Err(e) = kill(*pid, Signal::SIGCONT) {
                eprintln!("{}: SIGCONT to pid {pid}: {e}", self.node);
            }
        }
    }
}

/// Ok if every request of `tally` was answered, each by one of `servers`,
/// and (with `each`) every one of `servers` answered at least once.
pub fn expect_answers(tally: &Tally, servers: &[&str], each: bool) -> Result<()> {
    let strangers = tally
        .answers
        .keys()
        .any(|server| !servers.contains(&server.as_str()));
    let silent = each && servers.iter().any(|server| tally.answers_from(server) == 0);
    if tally.failures.is_empty() && !strangers && !silent {
        return Ok(());
    }
    let wanted = if each { "each of" } else { "only" };
    Err(Error::Check(format!(
        "expected answers from {wanted} {servers:?}, got {tally:?}"
    )))
}

/// Parses `ip -j route show` output into sorted next hops: a single-path
/// route's `gateway`, or each `gateway` of a multipath route's `nexthops`.
fn parse_next_hops(text: &str) -> Result<Vec<IpAddr>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let routes: Vec<Value> = serde_json::from_str(text)
        .map_err(|e| Error::parse("ip -j route output", format!("{e}: {text}")))?;
    let mut hops = Vec::new();
    for route in &routes {
        let gateways = match route.get("nexthops").and_then(Value::as_array) {
            Some(nexthops) => nexthops
                .iter()
                .filter_map(|hop| hop.get("gateway"))
                .collect(),
            None => route.get("gateway").into_iter().collect::<Vec<_>>(),
        };
        for gateway in gateways {
            let parsed = gateway.as_str().and_then(|text| text.parse().ok());
            hops.push(parsed.ok_or_else(|| {
                Error::parse("ip -j route output", format!("gateway {gateway} in {text}"))
            })?);
        }
    }
    hops.sort();
    Ok(hops)
}

/// Parses FRR's `show bfd peers json` (an array of sessions with `peer` and
/// `status`) into sorted `(peer, status)` pairs.
fn parse_bfd_peers(text: &str) -> Result<Vec<(IpAddr, String)>> {
    let sessions: Vec<BfdPeer> = frr_json::parse("show bfd peers json", text)?;
    let mut peers = sessions
        .into_iter()
        .map(|session| {
            let status = session.status.ok_or_else(|| {
                Error::parse(
                    "show bfd peers json",
                    format!("{} without status: {text}", session.peer),
                )
            })?;
            Ok((session.peer, status))
        })
        .collect::<Result<Vec<_>>>()?;
    peers.sort();
    Ok(peers)
}

/// Every `*.log` file up to two directories below `root`, sorted.
fn logs_under(root: &Path) -> Vec<PathBuf> {
    let mut logs = Vec::new();
    let mut dirs = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.flatten().map(|entry| entry.path()) {
            if path.is_dir() && depth < 2 {
                dirs.push((path, depth + 1));
            } else if path.extension().is_some_and(|ext| ext == "log") {
                logs.push(path);
            }
        }
    }
    logs.sort();
    logs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Failure;

    #[test]
    fn single_and_multipath_routes_give_their_sorted_gateways() {
        let single = r#"[{"dst":"203.0.113.10","gateway":"192.0.2.6","dev":"eth2"}]"#;
        let multi = r#"[{"dst":"203.0.113.10","nexthops":[
            {"gateway":"192.0.2.6","dev":"eth2"},{"gateway":"192.0.2.2","dev":"eth1"}]}]"#;
        let v4 = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(parse_next_hops(single).unwrap(), vec![v4("192.0.2.6")]);
        assert_eq!(
            parse_next_hops(multi).unwrap(),
            vec![v4("192.0.2.2"), v4("192.0.2.6")]
        );
        assert!(parse_next_hops("").unwrap().is_empty());
        assert!(parse_next_hops("not json").is_err());
    }

    #[test]
    fn bfd_peers_give_each_peer_and_its_status() {
        let text = r#"[{"multihop":false,"peer":"192.0.2.6","local":"192.0.2.5",
            "status":"up","diagnostic":"ok"},{"peer":"192.0.2.2","status":"down"}]"#;
        let v4 = |text: &str| text.parse::<IpAddr>().unwrap();
        assert_eq!(
            parse_bfd_peers(text).unwrap(),
            vec![
                (v4("192.0.2.2"), "down".into()),
                (v4("192.0.2.6"), "up".into())
            ]
        );
        assert!(parse_bfd_peers("[]").unwrap().is_empty());
        assert!(parse_bfd_peers(r#"[{"peer":"192.0.2.2"}]"#).is_err());
        assert!(parse_bfd_peers("% Unknown command").is_err());
    }

    #[test]
    fn answers_are_expected_from_only_or_each_of_the_servers() {
        let mut tally = Tally::default();
        tally.answers.insert("web1".into(), 3);
        assert!(expect_answers(&tally, &["web1", "web2"], false).is_ok());
        assert!(expect_answers(&tally, &["web1", "web2"], true).is_err());
        assert!(expect_answers(&tally, &["web2"], false).is_err());
        tally.failures.push(Failure {
            started: Instant::now(),
            ended: Instant::now(),
            why: "refused".into(),
        });
        assert!(expect_answers(&tally, &["web1"], false).is_err());
    }
}
