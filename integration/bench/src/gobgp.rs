//! GoBGP as the alternative speaker: `gobgpd` with one passive neighbor
//! (its own first outbound connect takes seconds, LAB-NOTES), its API on
//! 127.0.0.1:50051 inside the speaker's namespace, and its routes injected
//! in one batch with `gobgp mrt inject global /dev/stdin`, fed a
//! TABLE_DUMP_V2 file ([`super::mrt`]): gobgpd's configuration cannot hold
//! routes (by design, osrg/gobgp#2004), and one CLI call per route would
//! measure process spawning.
//!
//! The CLI streams the routes to gobgpd and exits once it has sent the last
//! one; gobgpd then drops what it has not processed yet (seen here: 493 of
//! 1,000 routes kept). So the harness keeps the CLI's input open until
//! gobgpd's RIB holds every route (`gobgp global rib summary`), and only
//! then lets it finish.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::channel;
use std::time::Duration;

use crate::mrt::{self, Peer};
use crate::running::Running;
use crate::stop::poll_until;
use crate::trial_rig::{speaker_protocol, write_file, TrialRig, SPEAKER_AS};
use announcer_harness::error::{Error, Result};
use announcer_harness::netns::{in_namespace, run, Netns};
use announcer_harness::process::{ChildGuard, Streams};
use announcer_harness::routers::LOCAL_AS;
use announcer_harness::topology::ROUTER_V4;

/// gobgpd's API address inside the speaker's namespace.
const API: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 50051);
/// How long gobgpd may take to answer on its API.
const API_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the API is tried while gobgpd starts.
const API_POLL: Duration = Duration::from_millis(10);
/// How often gobgpd's RIB is counted while routes are injected.
const RIB_POLL: Duration = Duration::from_millis(10);
/// How long one `gobgp` query may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(10);
/// How often the CLI is looked at once its input is closed.
const CLI_POLL: Duration = Duration::from_millis(1);

/// The gobgpd configuration: AS [`SPEAKER_AS`], router id `local`, the
/// router as a passive IPv4-unicast neighbor.
pub fn config(local: Ipv4Addr) -> String {
    format!(
        "[global.config]\n  as = {SPEAKER_AS}\n  router-id = \"{local}\"\n  local-address-list = [\"{local}\"]\n\
         [[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{ROUTER_V4}\"\n    peer-as = {LOCAL_AS}\n\
         \x20 [neighbors.timers.config]\n    hold-time = 9\n    keepalive-interval = 3\n\
         \x20 [neighbors.transport.config]\n    passive-mode = true\n\
         \x20 [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"ipv4-unicast\"\n"
    )
}

/// The MRT file of `hosts` as gobgpd should learn them: next hop `local`,
/// recorded as learned from `local` in AS [`SPEAKER_AS`].
pub fn routes(local: Ipv4Addr, hosts: &[Ipv4Addr]) -> Vec<u8> {
    let peer = Peer {
        bgp_id: local,
        address: local,
        asn: SPEAKER_AS,
    };
    mrt::host_routes(hosts, local, peer, 0)
}

/// Writes the configuration ([`config`]) to `dir/gobgpd.toml`; returns
/// its path.
pub fn write_config(dir: &Path, local: Ipv4Addr) -> Result<PathBuf> {
    write_file(dir, "gobgpd.toml", &config(local))
}

/// Starts gobgpd with `config` in `ns` (logs in `dir`) without waiting.
pub fn spawn(ns: &Netns, dir: &Path, config: &Path) -> Result<Running> {
    let mut command = ns.command("gobgpd");
    command
        .arg("-f")
        .arg(config)
        .args(["-p", "--api-hosts=127.0.0.1:50051", "--pprof-disable"]);
    Ok(Running::new(ChildGuard::spawn(
        "gobgpd",
        command,
        dir,
        Streams::Logged,
    )?))
}

/// Waits until gobgpd answers on its API: until it accepts TCP connections
/// on 127.0.0.1:50051 (tried every 10 ms from inside `ns`; the `gobgp` CLI
/// itself would back off for a second after a refused connection), then
/// until `gobgp global` answers. Fails early if gobgpd exits.
pub fn wait_api(ns: &Netns, gobgpd: &mut Running) -> Result<()> {
    gobgpd.poll_until("gobgpd to listen on its API", API_TIMEOUT, API_POLL, || {
        in_namespace(ns.name(), || {
            TcpStream::connect_timeout(&API, API_POLL).map(drop)
        })
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
    })?;
    gobgpd.poll_until("gobgpd to answer on its API", API_TIMEOUT, API_POLL, || {
        run(cli(ns).arg("global"))
            .map(drop)
            .map_err(|e| e.to_string())
    })
}

/// Injects `routes` (an MRT file of `count` routes) into gobgpd's global
/// RIB in one streamed call, returning once the RIB holds `count` routes
/// and the CLI has finished, at most `timeout` (the CLI's output is logged
/// in `dir`).
pub fn inject(
    ns: &Netns,
    dir: &Path,
    routes: Vec<u8>,
    count: usize,
    timeout: Duration,
) -> Result<()> {
    let mut command = ns.command("gobgp");
    command.args(["mrt", "inject", "global", "/dev/stdin"]);
    let mut cli = ChildGuard::spawn("gobgp-inject", command, dir, Streams::Interactive)?;
    let mut stdin = cli
        .take_stdin()
        .ok_or_else(|| Error::Check("gobgp mrt inject has no stdin".to_owned()))?;
    let (close, closed) = channel::<()>();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        stdin.write_all(&routes)?;
        stdin.flush()?;
        // Keep the input open until told (or the time is up), then close it.
        let _ = closed.recv_timeout(timeout);
        Ok(())
    });
    let filled = poll_until(
        &format!("gobgpd's RIB to hold {count} injected routes"),
        timeout,
        RIB_POLL,
        || {
            if let Ok(Some(status)) = cli.try_exited() {
                return Err(format!("gobgp mrt inject exited early ({status})"));
            }
            match rib_count(ns) {
                Ok(n) if n >= count as u64 => Ok(()),
                Ok(n) => Err(format!("{n} routes")),
                Err(e) => Err(e.to_string()),
            }
        },
    );
    drop(close);
    let finished = filled.and_then(|()| {
        poll_until(
            "gobgp mrt inject to finish",
            timeout,
            CLI_POLL,
            || match cli.try_exited() {
                Ok(Some(status)) if status.success() => Ok(()),
                Ok(Some(status)) => Err(format!("it failed ({status})")),
                Ok(None) => Err("still running".to_owned()),
                Err(e) => Err(e.to_string()),
            },
        )
    });
    // Killing the CLI (if it is still running) unblocks a writer stuck on a full pipe.
    let killed = cli.kill();
    let written = writer
        .join()
        .map_err(|_| Error::Check("the MRT writer thread panicked".to_owned()))?;
    finished.map_err(|e| cli.failure(e.to_string()))?;
    killed?;
    written.map_err(|e| Error::io("feed gobgp mrt inject", e))
}

/// Starts gobgpd in `lab`'s speaker namespace (files in `dir`) announcing
/// `hosts`: waits for its API, injects the routes (at most `timeout`), then
/// enables BIRD's protocol, so BIRD connects to the passive gobgpd (the lab
/// must have started it disabled). gobgpd is killed if any step fails.
pub fn start_announcing(
    lab: &TrialRig,
    dir: &Path,
    hosts: &[Ipv4Addr],
    timeout: Duration,
) -> Result<Running> {
    let ns = lab.speaker_ns()?;
    let local = lab.speaker_v4()?;
    let path = write_config(dir, local)?;
    let mut gobgpd = spawn(&ns, dir, &path)?;
    wait_api(&ns, &mut gobgpd)?;
    inject(&ns, dir, routes(local, hosts), hosts.len(), timeout)?;
    lab.control()?.enable(&speaker_protocol())?;
    Ok(gobgpd)
}

/// How many IPv4 destinations gobgpd's global RIB holds.
pub fn rib_count(ns: &Netns) -> Result<u64> {
    let text = run(cli(ns).args(["global", "rib", "summary", "-a", "ipv4"]))?;
    parse_rib_summary(&text)
        .ok_or_else(|| Error::parse("gobgp global rib summary", text.trim().to_owned()))
}

/// A `gobgp` CLI command in `ns`, killed after [`CLI_TIMEOUT`] (a hung
/// gobgpd must not hang the benchmark).
fn cli(ns: &Netns) -> std::process::Command {
    let mut command = ns.command("timeout");
    command
        .arg(format!("{}s", CLI_TIMEOUT.as_secs()))
        .arg("gobgp");
    command
}

/// Reads `Destination: N, Path: M` from `gobgp global rib summary`.
fn parse_rib_summary(text: &str) -> Option<u64> {
    let rest = text.split("Destination:").nth(1)?;
    rest.split(|c: char| c == ',' || c.is_whitespace())
        .find(|word| !word.is_empty())?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_harness::expect::missing_parts;

    #[test]
    fn the_router_is_a_passive_ipv4_neighbor() {
        let conf = config(Ipv4Addr::new(192, 0, 2, 11));
        let missing = missing_parts(
            &conf,
            &[
                "[global.config]\n  as = 65001\n  router-id = \"192.0.2.11\"\n",
                "neighbor-address = \"192.0.2.1\"\n    peer-as = 65000\n",
                "  [neighbors.transport.config]\n    passive-mode = true\n",
                "afi-safi-name = \"ipv4-unicast\"\n",
            ],
        );
        assert!(missing.is_empty(), "{missing:?} missing from:\n{conf}");
        let parsed: toml_edit::DocumentMut = conf.parse().unwrap();
        assert_eq!(parsed["neighbors"].as_array_of_tables().unwrap().len(), 1);
    }

    #[test]
    fn the_rib_summary_gives_the_destination_count() {
        let text = "Table afi:AFI_IP safi:SAFI_UNICAST\nDestination: 493, Path: 493\n";
        assert_eq!(parse_rib_summary(text), Some(493));
        assert_eq!(
            parse_rib_summary("Table afi:AFI_IP safi:SAFI_UNICAST\n"),
            None
        );
    }
}
