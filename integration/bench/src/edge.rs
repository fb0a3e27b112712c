//! Edge routers with BFD for the benchmark's frozen-server trials and the
//! idle BFD cost: BIRD 2 (`protocol bfd` on the LAN interface, `bfd on` in
//! each BGP protocol) or FRR (zebra, bfdd and bgpd with private sockets,
//! `neighbor X bfd` and `neighbor X bfd profile lab`), each exporting BGP
//! routes to its namespace's kernel so a route watch sees a next hop leave.
//!
//! The lab's own routers ([`announcer_harness::routers`]) have no BFD; these are the
//! benchmark's, configured from the same constants (local AS
//! [`LOCAL_AS`], hold time 9 s, keepalive 3 s), passive: the speakers
//! connect. Dropping an [`Edge`] kills its processes by PID (bgpd before
//! bfdd before zebra); drop it before its namespace.
//!
//! Also here: a BIRD process of any configuration ([`spawn_bird`]), which
//! the BIRD reference speaker shares.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use crate::birdctl::BirdControl;
use crate::trial_rig::write_file;
use announcer_harness::error::{Error, Result};
use announcer_harness::netns::{run, Netns};
use announcer_harness::process::{tail, ChildGuard};
use announcer_harness::routers::frr_json::BfdPeer;
use announcer_harness::routers::{frr, RouterKind, LOCAL_AS};

/// How long a daemon may take to open its control socket.
const STARTUP: Duration = Duration::from_secs(10);
/// The name of the one bfdd profile of an FRR edge.
const FRR_PROFILE: &str = "lab";
/// BGP timers of every session: hold time and keepalive, in seconds.
pub const HOLD_SECS: u64 = 9;

/// BFD timers: the interval both ways (Desired Min TX and Required Min RX)
/// and the detection multiplier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BfdTimers {
    /// Desired Min TX and Required Min RX.
    pub interval: Duration,
    /// Detect Mult.
    pub multiplier: u8,
}

impl BfdTimers {
    /// The interval in whole milliseconds.
    pub fn millis(self) -> u128 {
        self.interval.as_millis()
    }

    /// The detection time these timers give on both sides.
    pub fn detection(self) -> Duration {
        self.interval * u32::from(self.multiplier)
    }
}

impl std::fmt::Display for BfdTimers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BFD {} ms × {}", self.millis(), self.multiplier)
    }
}

/// One BGP neighbor of an edge router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgePeer {
    /// Its address.
    pub address: Ipv4Addr,
    /// Its AS.
    pub remote_as: u32,
}

/// What an edge router says, and where it keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeSetup {
    /// A private directory (configs, sockets, logs).
    pub dir: PathBuf,
    /// Its router id (and LAN address).
    pub router_id: Ipv4Addr,
    /// The LAN interface BFD runs on.
    pub interface: String,
    /// Its neighbors.
    pub peers: Vec<EdgePeer>,
    /// BFD with every neighbor, or none.
    pub bfd: Option<BfdTimers>,
}

/// A running edge router; its processes are killed by PID on drop.
#[derive(Debug)]
pub struct Edge {
    kind: RouterKind,
    ns: Arc<Netns>,
    setup: EdgeSetup,
    /// The processes, in the order they are stopped.
    processes: Vec<ChildGuard>,
}

impl Edge {
    /// Writes the configuration of `kind` (BIRD or FRR) and starts it in
    /// `ns`.
    pub fn start(kind: RouterKind, ns: Arc<Netns>, setup: EdgeSetup) -> Result<Self> {
        let processes = match kind {
            RouterKind::Bird => {
                let conf = write_file(&setup.dir, "bird.conf", &bird_config(&setup))?;
                vec![spawn_bird(&ns, &setup.dir, &conf)?]
            }
            RouterKind::Frr => start_frr(&ns, &setup)?,
            RouterKind::Gobgp => {
                return Err(Error::Check(
                    "the benchmark's BFD edge is BIRD or FRR".to_owned(),
                ))
            }
        };
        Ok(Edge {
            kind,
            ns,
            setup,
            processes,
        })
    }

    /// Which router this is.
    pub fn kind(&self) -> RouterKind {
        self.kind
    }

    /// The PIDs of its processes.
    pub fn pids(&self) -> Vec<u32> {
        self.processes.iter().map(ChildGuard::pid).collect()
    }

    /// `Ok` once the router's BFD session with `peer` is Up and runs at the
    /// setup's timers (the speaker's packets come every interval, so the
    /// detection time is the fast one, not the 1 s of a session coming up);
    /// otherwise what it shows.
    pub fn bfd_settled(&self, peer: Ipv4Addr) -> std::result::Result<(), String> {
        let timers = self
            .setup
            .bfd
            .ok_or_else(|| "no BFD configured".to_owned())?;
        match self.kind {
            RouterKind::Frr => {
                let text = self
                    .vtysh("show bfd peers json")
                    .map_err(|e| e.to_string())?;
                frr_bfd_settled(&text, peer, timers)
            }
            _ => {
                let mut control = BirdControl::connect(&self.setup.dir.join("bird.ctl"))
                    .map_err(|e| e.to_string())?;
                let text = control
                    .query("show bfd sessions")
                    .map_err(|e| e.to_string())?;
                bird_bfd_settled(&text, peer, timers)
            }
        }
    }

    /// How many of the router's BFD sessions are Up.
    pub fn bfd_sessions_up(&self) -> Result<usize> {
        Ok(self
            .setup
            .peers
            .iter()
            .filter(|peer| self.bfd_settled(peer.address).is_ok())
            .count())
    }

    /// Runs one `vtysh -c` command against an FRR edge.
    fn vtysh(&self, command: &str) -> Result<String> {
        let mut vtysh = self.ns.command("vtysh");
        vtysh
            .arg("--vty_socket")
            .arg(&self.setup.dir)
            .args(["-c", command]);
        run(&mut vtysh)
    }

    /// The processes' logs and the router's own log files, for failures.
    pub fn logs(&self) -> String {
        let mut out: String = self.processes.iter().map(ChildGuard::logs).collect();
        for name in ["bird.log", "bgpd.log", "bfdd.log", "zebra.log"] {
            let path = self.setup.dir.join(name);
            if path.exists() {
                let _ = write!(out, "--- {} ---\n{}\n", path.display(), tail(&path, 40));
            }
        }
        out
    }
}

/// Starts `bird -f` with `conf` in `ns`, its control socket in `dir`, and
/// waits until it answers there.
pub fn spawn_bird(ns: &Netns, dir: &Path, conf: &Path) -> Result<ChildGuard> {
    let socket = dir.join("bird.ctl");
    let mut command = ns.command("bird");
    command.arg("-f").arg("-c").arg(conf).arg("-s").arg(&socket);
    let what = ("BIRD to answer on its control socket", STARTUP);
    ChildGuard::spawn_ready("bird", command, dir, what, || {
        BirdControl::connect(&socket)
            .map(drop)
            .map_err(|e| e.to_string())
    })
}

/// `protocol bfd` on `interface` with `timers`.
pub fn bird_bfd_protocol(interface: &str, timers: BfdTimers) -> String {
    format!(
        "protocol bfd {{\n  interface \"{interface}\" {{ min rx interval {ms} ms; min tx interval {ms} ms; multiplier {mult}; }};\n}}\n",
        ms = timers.millis(),
        mult = timers.multiplier
    )
}

/// The BGP session timers both BIRDs use (LAB-NOTES).
pub const BIRD_SESSION_TIMERS: &str = "hold time 9; keepalive time 3; connect retry time 2; connect delay time 0; error wait time 1, 5;";

/// The BIRD edge's configuration: kernel export with merged paths, BFD on
/// the LAN interface if any, one passive BGP protocol per neighbor.
fn bird_config(setup: &EdgeSetup) -> String {
    let mut conf = format!(
        "log \"{}\" all;\nrouter id {};\nprotocol device {{ scan time 10; }}\n",
        setup.dir.join("bird.log").display(),
        setup.router_id
    );
    conf.push_str(
        "protocol kernel kernel4 {\n  ipv4 { export where source = RTS_BGP; };\n  merge paths on;\n}\n",
    );
    if let Some(timers) = setup.bfd {
        conf.push_str(&bird_bfd_protocol(&setup.interface, timers));
    }
    for (index, peer) in setup.peers.iter().enumerate() {
        let _ = write!(
            conf,
            "protocol bgp spk{index} {{\n  local as {LOCAL_AS};\n  neighbor {} as {};\n  {BIRD_SESSION_TIMERS}\n  passive on;\n  bfd {};\n  ipv4 {{ import all; export none; }};\n}}\n",
            peer.address,
            peer.remote_as,
            if setup.bfd.is_some() { "on" } else { "off" }
        );
    }
    conf
}

/// Starts FRR: zebra, bfdd, then bgpd, each waited for by its socket.
fn start_frr(ns: &Netns, setup: &EdgeSetup) -> Result<Vec<ChildGuard>> {
    let dir = &setup.dir;
    let (bfdd, bgpd) = frr_configs(setup);
    for (name, text) in [
        ("zebra.conf", "hostname lab\n".to_owned()),
        ("bfdd.conf", bfdd),
        ("bgpd.conf", bgpd),
    ] {
        write_file(dir, name, &text)?;
    }
    // The daemons run as frr: the directory and every file in it are its.
    run(Command::new("chown").args(["-R", "frr:frr"]).arg(dir))?;
    let mut started = Vec::new();
    for (name, socket) in [
        ("zebra", "zserv.api"),
        ("bfdd", "bfdd.vty"),
        ("bgpd", "bgpd.vty"),
    ] {
        started.push(frr::start_daemon(ns, dir, name, socket)?);
    }
    // Stopped in reverse: bgpd, bfdd, zebra.
    started.reverse();
    Ok(started)
}

/// The FRR edge's `bfdd.conf` and `bgpd.conf`.
fn frr_configs(setup: &EdgeSetup) -> (String, String) {
    let dir = setup.dir.display();
    let mut bfdd = format!("hostname lab\nlog file {dir}/bfdd.log\n!\n");
    if let Some(timers) = setup.bfd {
        let _ = write!(
            bfdd,
            "bfd\n profile {FRR_PROFILE}\n  detect-multiplier {}\n  receive-interval {ms}\n  transmit-interval {ms}\n !\n!\n",
            timers.multiplier,
            ms = timers.millis()
        );
    }
    let mut bgpd = format!(
        "hostname lab\nlog file {dir}/bgpd.log\n!\nrouter bgp {LOCAL_AS}\n bgp router-id {}\n no bgp ebgp-requires-policy\n",
        setup.router_id
    );
    for peer in &setup.peers {
        let address = peer.address;
        let _ = writeln!(bgpd, " neighbor {address} remote-as {}", peer.remote_as);
        let _ = writeln!(bgpd, " neighbor {address} timers 3 {HOLD_SECS}");
        let _ = writeln!(bgpd, " neighbor {address} timers connect 2");
        let _ = writeln!(bgpd, " neighbor {address} passive");
        if setup.bfd.is_some() {
            let _ = writeln!(bgpd, " neighbor {address} bfd");
            let _ = writeln!(bgpd, " neighbor {address} bfd profile {FRR_PROFILE}");
        }
    }
    bgpd.push_str(" address-family ipv4 unicast\n");
    for peer in &setup.peers {
        let _ = writeln!(bgpd, "  neighbor {} activate", peer.address);
    }
    bgpd.push_str(" exit-address-family\n!\n");
    (bfdd, bgpd)
}

/// Whether BIRD's `show bfd sessions` has `peer` Up with the detection time
/// of `timers` (its `Timeout` column, in seconds, the last one).
fn bird_bfd_settled(
    text: &str,
    peer: Ipv4Addr,
    timers: BfdTimers,
) -> std::result::Result<(), String> {
    let address = peer.to_string();
    let line = text
        .lines()
        .find(|line| line.split_whitespace().next() == Some(address.as_str()))
        .ok_or_else(|| format!("no BFD session with {peer}"))?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let state = words.get(2).copied().unwrap_or_default();
    let timeout = words.last().and_then(|t| t.parse::<f64>().ok());
    let want = timers.detection().as_secs_f64();
    match timeout {
        Some(t) if state == "Up" && (t - want).abs() < 0.0005 => Ok(()),
        _ => Err(format!("BIRD: {}", line.trim())),
    }
}

/// Whether FRR's `show bfd peers json` has `peer` up with the speaker
/// sending at `timers` (`remote-transmit-interval`, ms, and
/// `remote-detect-multiplier`).
fn frr_bfd_settled(
    text: &str,
    peer: Ipv4Addr,
    timers: BfdTimers,
) -> std::result::Result<(), String> {
    let peers: Vec<BfdPeer> = serde_json::from_str(text).map_err(|e| format!("{e}: {text}"))?;
    let entry = BfdPeer::single_hop(&peers, IpAddr::V4(peer))
        .ok_or_else(|| format!("no BFD peer {peer} in {text}"))?;
    if entry.is_up()
        && entry.remote_transmit_interval == u64::try_from(timers.millis()).ok()
        && entry.remote_detect_multiplier == Some(u64::from(timers.multiplier))
    {
        Ok(())
    } else {
        Err(format!("FRR: {entry:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_harness::expect::missing_parts;

    const FAST: BfdTimers = BfdTimers {
        interval: Duration::from_millis(100),
        multiplier: 3,
    };

    fn setup(bfd: Option<BfdTimers>) -> EdgeSetup {
        EdgeSetup {
            dir: "/lab/rtr".into(),
            router_id: Ipv4Addr::new(192, 0, 2, 1),
            interface: "br0".into(),
            peers: vec![EdgePeer {
                address: Ipv4Addr::new(192, 0, 2, 11),
                remote_as: 65001,
            }],
            bfd,
        }
    }

    #[test]
    fn timers_show_and_detect() {
        assert_eq!(FAST.to_string(), "BFD 100 ms × 3");
        assert_eq!(FAST.detection(), Duration::from_millis(300));
    }

    #[test]
    fn bird_has_bfd_on_the_lan_and_in_each_protocol_only_with_timers() {
        let conf = bird_config(&setup(Some(FAST)));
        assert!(conf.contains("protocol bfd {\n  interface \"br0\" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };\n}\n"), "{conf}");
        assert!(conf.contains("  neighbor 192.0.2.11 as 65001;\n"), "{conf}");
        assert!(conf.contains("  passive on;\n  bfd on;\n"), "{conf}");
        assert!(conf.contains("merge paths on;"));
        let plain = bird_config(&setup(None));
        assert!(
            !plain.contains("protocol bfd") && plain.contains("bfd off;"),
            "{plain}"
        );
    }

    #[test]
    fn frr_has_a_profile_and_bfd_per_neighbor_only_with_timers() {
        let (bfdd, bgpd) = frr_configs(&setup(Some(FAST)));
        assert!(bfdd.contains("bfd\n profile lab\n  detect-multiplier 3\n  receive-interval 100\n  transmit-interval 100\n"), "{bfdd}");
        let missing = missing_parts(
            &bgpd,
            &[
                " no bgp ebgp-requires-policy\n",
                " neighbor 192.0.2.11 remote-as 65001\n",
                " neighbor 192.0.2.11 bfd\n neighbor 192.0.2.11 bfd profile lab\n",
                "  neighbor 192.0.2.11 activate\n",
            ],
        );
        assert!(missing.is_empty(), "{missing:?} missing from:\n{bgpd}");
        let (bfdd, bgpd) = frr_configs(&setup(None));
        assert!(
            !bfdd.contains("profile") && !bgpd.contains(" bfd"),
            "{bgpd}"
        );
    }

    #[test]
    fn bird_sessions_are_settled_when_up_at_the_fast_timeout() {
        let text = "bfd1:\nIP address                Interface  State      Since         Interval  Timeout\n192.0.2.11                br0        Up         03:10:11.123    0.100    0.300\n";
        let peer = Ipv4Addr::new(192, 0, 2, 11);
        assert_eq!(bird_bfd_settled(text, peer, FAST), Ok(()));
        let slow = text.replace("0.300", "3.000");
        assert!(bird_bfd_settled(&slow, peer, FAST).is_err());
        let down = text.replace(" Up ", " Down ");
        assert!(bird_bfd_settled(&down, peer, FAST).is_err());
        assert!(bird_bfd_settled(text, Ipv4Addr::new(192, 0, 2, 12), FAST).is_err());
    }

    #[test]
    fn frr_peers_are_settled_when_up_at_the_speakers_interval() {
        let text = r#"[{"multihop":false,"peer":"192.0.2.11","local":"192.0.2.1","interface":"br0","status":"up","remote-transmit-interval":100,"remote-detect-multiplier":3}]"#;
        let peer = Ipv4Addr::new(192, 0, 2, 11);
        assert_eq!(frr_bfd_settled(text, peer, FAST), Ok(()));
        let slow = text.replace(":100,", ":1000,");
        assert!(frr_bfd_settled(&slow, peer, FAST).is_err());
        assert!(frr_bfd_settled("[]", peer, FAST).is_err());
    }
}
