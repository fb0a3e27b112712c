//! The hostile-peer rig: two namespaces joined by a veth pair, our speaker in one and the scripted
//! peer in the other.
//!
//! ```text
//!   speaker ns: eth0 192.0.2.11/24 ──── peer ns: eth0 192.0.2.2/24 (the configured peer)
//!   bgp-speaker AS 65001                 scripted peer AS 65002 (test code)
//!               eth1 (192.0.2.4/32) ──── bystander ns: eth0 192.0.2.4/24 (optional)
//!                                        well-behaved peer AS 65004 (test code)
//! ```
//!
//! [`Mode::Passive`] runs the speaker with `--passive --listen 192.0.2.11:179` (the peer
//! connects); [`Mode::Active`] has the speaker connect to the peer's listener on
//! 192.0.2.2:179. The speaker's backoff starts at 500 ms and is capped at 1 s.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use announcer_bgp::wire::{Message, Open};
use tempfile::TempDir;

use super::bytes::{open_with, peer_open};
use super::peer::{Peer, Received};
use crate::error::{Error, Result};
use crate::netns::{in_namespace, veth, Netns};
use crate::speaker::{Speaker, SpeakerArgs};

/// The speaker's address.
pub const SPEAKER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
/// The configured peer's address.
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
/// An address on the LAN that is not a configured peer.
pub const STRANGER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 3);
/// The bystander: a second, well-behaved configured peer.
pub const BYSTANDER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 4);
/// The BGP port.
const BGP_PORT: u16 = 179;
/// How long the speaker may take to start, answer or come back.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// Waits between connection attempts while the speaker refuses (Idle after an error).
const RETRY: Duration = Duration::from_millis(50);

/// Who opens the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The speaker listens; the peer connects.
    Passive,
    /// The peer listens; the speaker connects.
    Active,
}

/// How to set up a lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RigConfig {
    /// Who connects.
    pub mode: Mode,
    /// The speaker's `--hold-time`.
    pub hold_time: u16,
    /// The peer namespace's address: [`PEER_V4`], or [`STRANGER_V4`] to be a stranger.
    pub peer_v4: Ipv4Addr,
    /// Also configure the bystander peer (AS 65004 at [`BYSTANDER_V4`], its own namespace).
    pub bystander: bool,
}

impl Default for RigConfig {
    /// Passive speaker, hold time 3 s, the peer at its configured address, no bystander.
    fn default() -> Self {
        RigConfig {
            mode: Mode::Passive,
            hold_time: 3,
            peer_v4: PEER_V4,
            bystander: false,
        }
    }
}

/// A running hostile-peer rig. Drops the speaker, then the namespaces, then the log directory.
#[derive(Debug)]
pub struct HostileRig {
    /// The speaker under attack.
    pub speaker: Speaker,
    /// The peer's listener, in [`Mode::Active`].
    listener: Option<TcpListener>,
    /// The peer's namespace.
    pub peer_ns: Netns,
    /// The speaker's namespace.
    pub speaker_ns: Netns,
    /// The bystander's namespace, when configured.
    pub bystander_ns: Option<Netns>,
    /// Holds the speaker's log files (failures quote their tail) until the lab is dropped.
    dir: TempDir,
    config: RigConfig,
}

impl HostileRig {
    /// Builds the namespaces and starts `binary` (the `bgp-speaker`) as `config` says.
    pub fn start(binary: &Path, config: RigConfig) -> Result<HostileRig> {
        let dir = tempfile::Builder::new()
            .prefix("announcer-hostile-")
            .tempdir()
            .map_err(|e| Error::io("create lab dir", e))?;
        let speaker_ns = Netns::new("hspk")?;
        let peer_ns = Netns::new("hpeer")?;
        veth(&speaker_ns, "eth0", &peer_ns, "eth0")?;
        speaker_ns.add_address("eth0", SPEAKER_V4.into(), 24)?;
        peer_ns.add_address("eth0", config.peer_v4.into(), 24)?;
        let listener = match config.mode {
            Mode::Active => {
                let at = SocketAddr::from((config.peer_v4, BGP_PORT));
                let bound = in_namespace(peer_ns.name(), move || TcpListener::bind(at))?
                    .map_err(|e| Error::io(format!("listen on {at}"), e))?;
                Some(bound)
            }
            Mode::Passive => None,
        };
        let bystander_ns = if config.bystander {
            Some(bystander(&speaker_ns)?)
        } else {
            None
        };
        let mut args = SpeakerArgs {
            local_as: 65001,
            router_id: SPEAKER_V4,
            peers: vec![(PEER_V4.into(), 65002)],
            password: None,
            hold_time: config.hold_time,
            passive: config.mode == Mode::Passive,
            next_hop_v6: None,
            listen: None,
            backoff_max: Some(1),
        };
        if config.bystander {
            args.peers.push((BYSTANDER_V4.into(), 65004));
        }
        if config.mode == Mode::Passive {
            args.listen = Some(SocketAddr::from((SPEAKER_V4, BGP_PORT)));
        }
        let mut speaker = Speaker::spawn(binary, &speaker_ns, dir.path(), "bgp-speaker", &args)?;
        speaker.wait_event("ready", PATIENCE)?;
        Ok(HostileRig {
            speaker,
            listener,
            peer_ns,
            speaker_ns,
            bystander_ns,
            dir,
            config,
        })
    }

    /// The speaker's log (its `tracing` output on stderr).
    pub fn speaker_log(&self) -> PathBuf {
        self.dir.path().join("bgp-speaker.stderr")
    }

    /// The speaker's listening address.
    pub fn speaker_addr(&self) -> SocketAddr {
        SocketAddr::from((SPEAKER_V4, BGP_PORT))
    }

    /// A new TCP connection between peer and speaker, whoever opens it (in [`Mode::Active`]
    /// it waits for the speaker's next connection attempt).
    pub fn connection(&self) -> Result<Peer> {
        match &self.listener {
            Some(listener) => Peer::accept(listener, PATIENCE),
            None => Peer::connect(&self.peer_ns, self.speaker_addr()),
        }
    }

    /// A connection on which the speaker has sent its OPEN (OpenSent). While the speaker
    /// waits out its backoff after an error it closes new connections at once; those are
    /// retried. Returns the connection, the OPEN and how long it took.
    pub fn opened(&self) -> Result<(Peer, Open, Duration)> {
        let start = Instant::now();
        let mut refused = 0;
        while start.elapsed() < PATIENCE {
            let mut peer = self.connection()?;
            match peer.recv(PATIENCE)? {
                Received::Message(Message::Open(open)) => return Ok((peer, open, start.elapsed())),
                Received::Closed => refused += 1,
                Received::Message(other) => {
                    return Err(Error::Check(format!(
                        "expected the speaker's OPEN, got {other:?}"
                    )))
                }
            }
            std::thread::sleep(RETRY);
        }
        Err(Error::Timeout {
            what: "the speaker to send its OPEN on a new connection".to_owned(),
            after: start.elapsed(),
            last: format!("{refused} connections closed without OPEN"),
        })
    }

    /// An Established session: the OPEN exchange done with our OPEN proposing the lab's hold
    /// time, and the speaker's `established` event seen.
    pub fn established(&mut self) -> Result<Peer> {
        let (mut peer, _, _) = self.opened()?;
        peer.establish(&peer_open(self.config.hold_time), PATIENCE)?;
        self.speaker
            .wait_event(&format!("established {}", self.config.peer_v4), PATIENCE)?;
        Ok(peer)
    }

    /// An Established session of the bystander (passive mode, bystander configured).
    pub fn bystander(&mut self) -> Result<Peer> {
        let ns = self
            .bystander_ns
            .as_ref()
            .ok_or_else(|| Error::Check("no bystander in this lab".into()))?;
        let mut peer = Peer::connect(ns, self.speaker_addr())?;
        match peer.recv(PATIENCE)? {
            Received::Message(Message::Open(_)) => {}
            other => {
                return Err(Error::Check(format!(
                    "expected the speaker's OPEN to the bystander, got {other:?}"
                )))
            }
        }
        let caps = "02 0e 01 04 0001 00 01 02 00 41 04 0000fdec";
        let open = open_with(4, 65004, self.config.hold_time, BYSTANDER_V4, caps);
        peer.establish(&open, PATIENCE)?;
        self.speaker
            .wait_event(&format!("established {BYSTANDER_V4}"), PATIENCE)?;
        Ok(peer)
    }
}

/// The bystander's namespace, linked to the speaker's `eth1` with a host route to it there.
fn bystander(speaker_ns: &Netns) -> Result<Netns> {
    let ns = Netns::new("hby")?;
    veth(speaker_ns, "eth1", &ns, "eth0")?;
    ns.add_address("eth0", BYSTANDER_V4.into(), 24)?;
    speaker_ns.ip(&["route", "add", &format!("{BYSTANDER_V4}/32"), "dev", "eth1"])?;
    Ok(ns)
}
