//! The BFD hostile-peer rig: two namespaces joined by a veth pair, the real `announcer` in one
//! and the scripted BFD peer in the other.
//!
//! ```text
//!   web ns: eth0 192.0.2.11/24 ──── peer ns: eth0 192.0.2.1/24 (the configured peer)
//!   announcer run: [[peer]] 192.0.2.1,          192.0.2.99/24 (no peer: the stranger)
//!   bfd = true, 100 ms / 100 ms, x3              scripted BFD peer (test code)
//! ```
//!
//! The daemon's BGP session never comes up (nothing listens on 192.0.2.1:179, so its
//! connections are refused): BFD runs independently of it. Dropping the lab stops the
//! peer's keeper, kills the daemon by PID, then deletes the namespaces and the directory.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tempfile::TempDir;

use super::peer::ScriptedPeer;
use super::{discards, DiscardLine, ANNOUNCER_V4, PEER_V4, STRANGER_V4};
use crate::daemon::{Announcer, AnnouncerConfig};
use crate::error::{Error, Result};
use crate::netns::{veth, Netns};
use crate::routers::bfd::FAST;
use crate::wait::wait_until;

/// How long the daemon may take to start, and the session to come Up.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// How often the lab polls the daemon's status.
pub const STATUS_POLL: Duration = Duration::from_millis(50);

/// One peer's `bfd` object of `announcer status --json` (the fields the suite reads).
#[derive(Debug, Clone, Deserialize)]
pub struct BfdView {
    /// Our session state: AdminDown, Down, Init or Up.
    pub state: String,
    /// The state the peer last reported.
    pub remote_state: String,
    /// Why the session last left Up, or why it is not Up.
    pub diagnostic: String,
    /// Up-to-Down transitions other than by the peer's AdminDown.
    pub failures: u64,
    /// Whether the session has been Up.
    pub ever_up: bool,
    /// Our discriminator.
    pub local_discriminator: u32,
    /// The peer's, once heard.
    pub remote_discriminator: Option<u32>,
    /// How long the peer may be silent, once heard.
    pub detection_time_ms: Option<f64>,
}

impl BfdView {
    /// `Ok` while the session is Up on both sides and has never failed; otherwise what
    /// the status shows (for wait and hold loops).
    pub fn up_without_failures(&self) -> std::result::Result<(), String> {
        if self.state == "Up" && self.remote_state == "Up" && self.failures == 0 {
            Ok(())
        } else {
            Err(self.to_string())
        }
    }
}

impl std::fmt::Display for BfdView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "bfd {} (peer {}), diagnostic: {}, failures {}",
            self.state, self.remote_state, self.diagnostic, self.failures
        )
    }
}

/// UDP counters of the daemon's namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpCounters {
    /// `InDatagrams`: delivered to a socket.
    pub in_datagrams: u64,
    /// `RcvbufErrors`: dropped, the socket's receive buffer full.
    pub receive_buffer_errors: u64,
}

/// A running BFD hostile-peer rig. Fields drop in this order: the peer (its keeper joined),
/// the daemon (killed), the namespaces, the directory.
#[derive(Debug)]
pub struct BfdHostileRig {
    /// The scripted peer, its session Up.
    pub peer: ScriptedPeer,
    /// The daemon under attack.
    pub announcer: Announcer,
    /// The peer's namespace.
    pub peer_ns: Netns,
    /// The daemon's namespace.
    pub web_ns: Arc<Netns>,
    /// Config, socket, state and logs (failures quote the log) until the lab is dropped.
    _dir: TempDir,
}

impl BfdHostileRig {
    /// Builds the namespaces, starts `binary` with BFD to 192.0.2.1, runs the handshake
    /// and waits until the daemon's status shows the session Up and the keeper has
    /// answered the daemon's Poll (the switch to the fast intervals).
    pub fn start(binary: &std::path::Path) -> Result<BfdHostileRig> {
        let dir = tempfile::Builder::new()
            .prefix("announcer-bfd-hostile-")
            .tempdir()
            .map_err(|e| Error::io("create lab dir", e))?;
        let web_ns = Arc::new(Netns::new("bweb")?);
        let peer_ns = Netns::new("bpeer")?;
        veth(&web_ns, "eth0", &peer_ns, "eth0")?;
        web_ns.add_address("eth0", ANNOUNCER_V4.into(), 24)?;
        peer_ns.add_address("eth0", PEER_V4.into(), 24)?;
        peer_ns.add_address("eth0", STRANGER_V4.into(), 24)?;
        let config = AnnouncerConfig {
            local_as: 65001,
            router_id: ANNOUNCER_V4,
            peer: PEER_V4.into(),
            peer_as: 65000,
            hold_time: Some(Duration::from_secs(3)),
            health_url: String::new(),
            exec_command: Some(vec!["true".to_owned()]),
            password_file: None,
            vips: vec!["203.0.113.10/32".to_owned()],
            socket: dir.path().join("announcer.sock"),
            state_dir: dir.path().join("state"),
            metrics: None,
            vip_keys: String::new(),
            more_checks: Vec::new(),
            extra: String::new(),
        };
        let mut announcer = Announcer::new(binary, Arc::clone(&web_ns), dir.path(), config)?;
        announcer.set_bfd(Some(FAST))?;
        announcer.start()?;
        let peer = ScriptedPeer::handshake(&peer_ns, PATIENCE)
            .map_err(|e| Error::Check(format!("{e}\n{}", announcer.logs())))?;
        let lab = BfdHostileRig {
            peer,
            announcer,
            peer_ns,
            web_ns,
            _dir: dir,
        };
        wait_until(
            "the daemon's BFD session Up, its Poll answered",
            PATIENCE,
            STATUS_POLL,
            || {
                let view = lab.bfd().map_err(|e| e.to_string())?;
                view.up_without_failures()?;
                let counts = lab.peer.counts();
                if counts.finals == 0 {
                    return Err(format!("{view}; no Poll answered yet"));
                }
                Ok(())
            },
        )
        .map_err(|e| Error::Check(format!("{e}\n{}", lab.announcer.logs())))?;
        Ok(lab)
    }

    /// The peer's `bfd` object in `announcer status --json`.
    pub fn bfd(&self) -> Result<BfdView> {
        let text = self.announcer.control(&["status", "--json"])?;
        let status: serde_json::Value = serde_json::from_str(text.trim())
            .map_err(|e| Error::parse("announcer status --json", format!("{e}: {text}")))?;
        let peer = status
            .get("peers")
            .and_then(serde_json::Value::as_array)
            .and_then(|peers| {
                peers
                    .iter()
                    .find(|p| p.get("address") == Some(&PEER_V4.to_string().into()))
            })
            .and_then(|p| p.get("bfd"))
            .ok_or_else(|| Error::parse("announcer status --json", format!("no bfd: {text}")))?;
        serde_json::from_value(peer.clone())
            .map_err(|e| Error::parse("the peer's bfd object", format!("{e}: {text}")))
    }

    /// The length of the daemon's log so far: an offset for [`BfdHostileRig::discards_since`].
    pub fn log_len(&self) -> Result<usize> {
        self.announcer.log_text().map(|text| text.len())
    }

    /// The "BFD packet discarded" lines logged after `offset`.
    pub fn discards_since(&self, offset: usize) -> Result<Vec<DiscardLine>> {
        let text = self.announcer.log_text()?;
        Ok(discards(text.get(offset..).unwrap_or_default()))
    }

    /// The daemon's resident set size in KiB (`VmRSS` of `/proc/PID/status`).
    pub fn rss_kib(&self) -> Result<u64> {
        let path = format!("/proc/{}/status", self.announcer.pid()?);
        let status =
            std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
            .ok_or_else(|| Error::parse(path, "no VmRSS line"))
    }

    /// The CPU time the daemon has used, user and system, in milliseconds (`utime` and
    /// `stime` of `/proc/PID/stat`, in clock ticks of 10 ms: USER_HZ is 100 on Linux).
    pub fn cpu_ms(&self) -> Result<u64> {
        let path = format!("/proc/{}/stat", self.announcer.pid()?);
        let stat =
            std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        let ticks: Vec<u64> = after_name
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|t| t.parse().ok())
            .collect();
        match ticks.as_slice() {
            [user, system] => Ok((user + system) * 10),
            _ => Err(Error::parse(path, format!("no utime and stime: {stat}"))),
        }
    }

    /// The web namespace's UDP counters (`/proc/net/snmp` read inside it): datagrams
    /// delivered to sockets, and datagrams dropped because a socket's buffer was full.
    pub fn udp_counters(&self) -> Result<UdpCounters> {
        let snmp = self.web_ns.exec("cat", &["/proc/net/snmp"])?;
        let mut udp = snmp.lines().filter(|line| line.starts_with("Udp:"));
        let (names, values) = (udp.next(), udp.next());
        let table: Vec<(&str, u64)> = names
            .zip(values)
            .map(|(names, values)| {
                names
                    .split_whitespace()
                    .zip(values.split_whitespace())
                    .filter_map(|(name, value)| Some((name, value.parse().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        let get = |wanted: &str| {
            table
                .iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, value)| *value)
                .ok_or_else(|| Error::parse("/proc/net/snmp", format!("no Udp {wanted}: {snmp}")))
        };
        Ok(UdpCounters {
            in_datagrams: get("InDatagrams")?,
            receive_buffer_errors: get("RcvbufErrors")?,
        })
    }

    /// A failure saying `what`, with the daemon's log and status attached.
    pub fn failure(&self, what: impl std::fmt::Display) -> Error {
        Error::Check(format!("{what}\n{}", self.announcer.logs()))
    }
}
