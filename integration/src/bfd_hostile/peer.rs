//! The scripted BFD peer (test code; no real router sends malformed input): UDP sockets
//! made inside the peer's namespace, the three-way handshake, a keeper thread that holds
//! the session Up, and the hostile sends.
//!
//! Sockets (RFC 5881 §4, §5):
//! - the receiver on 192.0.2.1:3784, where the daemon's packets arrive;
//! - the session's sender on 192.0.2.1:[`SESSION_PORT`] with TTL 255, shared by the keeper
//!   and by hostile packets sent [`Via::Peer`];
//! - a sender on 192.0.2.1:[`LOW_TTL_PORT`] with TTL 254 ([`Via::LowTtl`]);
//! - a sender on 192.0.2.99:[`SESSION_PORT`] with TTL 255 ([`Via::Stranger`]).
//!
//! The keeper sends Up every [`PEER_INTERVAL`](super::packets::PEER_INTERVAL) and answers
//! each Poll of the daemon with a Final at once, until told to fall silent or dropped; its
//! loop is bounded by [`KEEPER_LIFETIME`] and a count.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use announcer_bfd::{ControlPacket, Discriminator, SessionState};

use super::packets::{self, Discriminators, PEER_DISCRIMINATOR};
use super::{ANNOUNCER_V4, PEER_V4, STRANGER_V4};
use crate::error::{Error, Result};
use crate::netns::{in_namespace, Netns};

/// The single-hop control port (RFC 5881 §4).
pub const CONTROL_PORT: u16 = 3784;
/// The session's source port (the range is 49152–65535).
pub const SESSION_PORT: u16 = 49152;
/// The source port of the TTL-254 sender.
pub const LOW_TTL_PORT: u16 = 49153;
/// How long the keeper thread runs at most, whatever happens to the test.
pub const KEEPER_LIFETIME: Duration = Duration::from_secs(600);
/// How long the keeper waits for a packet at most before it looks at the clock again.
const RECEIVE_SLICE: Duration = Duration::from_millis(20);
/// Reads per handshake round at most (each waits up to [`RECEIVE_SLICE`]).
const RECEIVES_PER_ROUND: usize = 64;
/// Datagrams a flood sends back to back between two pauses.
pub const FLOOD_BATCH: usize = 100;
/// The largest datagram read.
const BUFFER: usize = 128;

/// Where a hostile packet is sent from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The peer's address and session port, TTL 255: what a genuine packet looks like.
    Peer,
    /// The peer's address, TTL 254 (one router hop away: RFC 5881 §5 says discard).
    LowTtl,
    /// 192.0.2.99, an address on the link that is no BFD peer, TTL 255.
    Stranger,
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Via::Peer => "192.0.2.1 TTL 255",
            Via::LowTtl => "192.0.2.1 TTL 254",
            Via::Stranger => "192.0.2.99 TTL 255",
        })
    }
}

/// What the keeper sends periodically.
const SEND_UP: u64 = 0;
/// The keeper sends nothing (after the genuine Down), but still reads.
const SILENT: u64 = 1;

/// What the test and the keeper share.
#[derive(Debug, Default)]
struct Shared {
    /// Set to end the keeper.
    stop: AtomicBool,
    /// [`SEND_UP`] or [`SILENT`].
    mode: AtomicU64,
    /// Up packets sent, Polls received and Finals sent, for the report.
    ups: AtomicU64,
    polls: AtomicU64,
    finals: AtomicU64,
}

/// What [`ScriptedPeer::flood`] sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FloodSent {
    /// Datagrams the kernel took.
    pub sent: u64,
    /// Sends that failed.
    pub failed: u64,
    /// How long the flood took.
    pub took: Duration,
}

/// Counters of the keeper thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeeperCounts {
    /// Periodic Up packets sent.
    pub ups: u64,
    /// Polls received from the daemon.
    pub polls: u64,
    /// Finals sent in answer.
    pub finals: u64,
}

/// The scripted peer. Dropping it stops and joins the keeper.
#[derive(Debug)]
pub struct ScriptedPeer {
    session: Arc<UdpSocket>,
    low_ttl: UdpSocket,
    stranger: UdpSocket,
    discriminators: Discriminators,
    shared: Arc<Shared>,
    keeper: Option<JoinHandle<()>>,
}

impl ScriptedPeer {
    /// Opens the sockets in `ns`, sends Down until the daemon answers Init (bounded by
    /// `patience`), and starts the keeper, which sends Up: the daemon then goes Up.
    pub fn handshake(ns: &Netns, patience: Duration) -> Result<ScriptedPeer> {
        let sockets = in_namespace(ns.name(), open_sockets)??;
        let (receiver, session, low_ttl, stranger) = sockets;
        let session = Arc::new(session);
        let announcer = await_init(&receiver, &session, patience)?;
        let discriminators = Discriminators {
            peer: packets::peer_discriminator(),
            announcer,
        };
        let shared = Arc::new(Shared::default());
        let keeper = {
            let (session, shared) = (Arc::clone(&session), Arc::clone(&shared));
            std::thread::Builder::new()
                .name("bfd-keeper".to_owned())
                .spawn(move || keep(&receiver, &session, discriminators, &shared))
                .map_err(|e| Error::io("start the BFD keeper thread", e))?
        };
        Ok(ScriptedPeer {
            session,
            low_ttl,
            stranger,
            discriminators,
            shared,
            keeper: Some(keeper),
        })
    }

    /// Both discriminators of the session.
    pub fn discriminators(&self) -> Discriminators {
        self.discriminators
    }

    /// Sends `bytes` `times` times via `via`, 5 ms apart.
    pub fn send(&self, via: Via, bytes: &[u8], times: usize) -> Result<()> {
        for i in 0..times {
            if i > 0 {
                std::thread::sleep(Duration::from_millis(5));
            }
            self.send_once(via, bytes)?;
        }
        Ok(())
    }

    /// Sends `bytes` once via `via`.
    pub fn send_once(&self, via: Via, bytes: &[u8]) -> Result<()> {
        let socket = match via {
            Via::Peer => &*self.session,
            Via::LowTtl => &self.low_ttl,
            Via::Stranger => &self.stranger,
        };
        let to = SocketAddr::from((ANNOUNCER_V4, CONTROL_PORT));
        socket
            .send_to(bytes, to)
            .map(drop)
            .map_err(|e| Error::io(format!("send {} bytes via {via} to {to}", bytes.len()), e))
    }

    /// Sends `total` packets cycling through `packets` (each via its own [`Via`]), spread
    /// evenly over `over` in batches of [`FLOOD_BATCH`]. A failed send is counted, not
    /// fatal (the kernel may refuse some at this rate).
    pub fn flood(&self, packets: &[(Via, Vec<u8>)], total: usize, over: Duration) -> FloodSent {
        let start = Instant::now();
        let batches = u32::try_from(total.div_ceil(FLOOD_BATCH)).unwrap_or(u32::MAX);
        let mut outcome = FloodSent::default();
        let mut cycle = packets.iter().cycle().take(total);
        for batch in 0..batches {
            let due = start + over * batch / batches.max(1);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            for (via, bytes) in cycle.by_ref().take(FLOOD_BATCH) {
                match self.send_once(*via, bytes) {
                    Ok(()) => outcome.sent += 1,
                    Err(_) => outcome.failed += 1,
                }
            }
        }
        outcome.took = start.elapsed();
        outcome
    }

    /// From now on the keeper sends nothing (it still reads): after the genuine Down, the
    /// daemon's session stays Down with the diagnostic the Down gave it.
    pub fn fall_silent(&self) {
        self.shared.mode.store(SILENT, Ordering::SeqCst);
    }

    /// The keeper's counters so far.
    pub fn counts(&self) -> KeeperCounts {
        KeeperCounts {
            ups: self.shared.ups.load(Ordering::Relaxed),
            polls: self.shared.polls.load(Ordering::Relaxed),
            finals: self.shared.finals.load(Ordering::Relaxed),
        }
    }

    /// Whether the keeper thread is still running (it ends only when stopped or at
    /// [`KEEPER_LIFETIME`]).
    pub fn keeper_running(&self) -> bool {
        self.keeper.as_ref().is_some_and(|k| !k.is_finished())
    }
}

impl Drop for ScriptedPeer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(keeper) = self.keeper.take() {
            if keeper.join().is_err() {
                eprintln!("bfd-hostile: the keeper thread panicked");
            }
        }
    }
}

/// The receiver, the session sender, the TTL-254 sender and the stranger's sender (run
/// inside the peer's namespace).
fn open_sockets() -> Result<(UdpSocket, UdpSocket, UdpSocket, UdpSocket)> {
    let bind = |ip: Ipv4Addr, port: u16, ttl: u32| -> Result<UdpSocket> {
        let at = SocketAddr::from((ip, port));
        let socket = UdpSocket::bind(at).map_err(|e| Error::io(format!("bind {at}"), e))?;
        socket
            .set_ttl(ttl)
            .map_err(|e| Error::io(format!("set TTL {ttl} on {at}"), e))?;
        Ok(socket)
    };
    let receiver = bind(PEER_V4, CONTROL_PORT, 255)?;
    receiver
        .set_read_timeout(Some(RECEIVE_SLICE))
        .map_err(|e| Error::io("set the receiver's timeout", e))?;
    Ok((
        receiver,
        bind(PEER_V4, SESSION_PORT, 255)?,
        bind(PEER_V4, LOW_TTL_PORT, 254)?,
        bind(STRANGER_V4, SESSION_PORT, 255)?,
    ))
}

/// A packet from the daemon, if one arrives within the receiver's timeout.
fn receive(receiver: &UdpSocket) -> Option<ControlPacket> {
    let mut buffer = [0; BUFFER];
    let (len, from) = receiver.recv_from(&mut buffer).ok()?;
    if from.ip() != ANNOUNCER_V4 {
        return None;
    }
    ControlPacket::decode(buffer.get(..len)?).ok()
}

/// Sends Down (Your Discriminator 0) every interval until the daemon answers Init
/// addressed to us; returns its discriminator.
fn await_init(
    receiver: &UdpSocket,
    session: &UdpSocket,
    patience: Duration,
) -> Result<Discriminator> {
    let start = Instant::now();
    let to = SocketAddr::from((ANNOUNCER_V4, CONTROL_PORT));
    let hello = packets::hello();
    let interval = packets::PEER_INTERVAL.as_duration();
    let rounds = patience.as_millis() / interval.as_millis().max(1) + 1;
    let mut last = "nothing".to_owned();
    for _ in 0..rounds {
        if start.elapsed() >= patience {
            break;
        }
        session
            .send_to(&hello, to)
            .map_err(|e| Error::io(format!("send Down to {to}"), e))?;
        let round = Instant::now();
        for _ in 0..RECEIVES_PER_ROUND {
            if round.elapsed() >= interval {
                break;
            }
            let Some(packet) = receive(receiver) else {
                continue;
            };
            last = format!("{} (your {:?})", packet.state, packet.your_discriminator);
            let ours =
                packet.your_discriminator.map(Discriminator::get) == Some(PEER_DISCRIMINATOR);
            if packet.state == SessionState::Init && ours {
                return Ok(packet.my_discriminator);
            }
        }
    }
    Err(Error::Timeout {
        what: "the daemon's BFD Init in answer to our Down".to_owned(),
        after: start.elapsed(),
        last: format!("last packet from the daemon: {last}"),
    })
}

/// The keeper's loop: Up every interval (unless silent), a Final at once for each Poll.
fn keep(receiver: &UdpSocket, session: &UdpSocket, d: Discriminators, shared: &Shared) {
    let to = SocketAddr::from((ANNOUNCER_V4, CONTROL_PORT));
    let interval = packets::PEER_INTERVAL.as_duration();
    let (up, final_) = (packets::up(d, false), packets::up(d, true));
    let start = Instant::now();
    let mut next = start;
    let most = KEEPER_LIFETIME.as_millis() / RECEIVE_SLICE.as_millis().max(1) * 4;
    for _ in 0..most {
        if shared.stop.load(Ordering::SeqCst) || start.elapsed() >= KEEPER_LIFETIME {
            return;
        }
        let sending = shared.mode.load(Ordering::SeqCst) == SEND_UP;
        let now = Instant::now();
        if now >= next {
            next = now + interval;
            if sending && session.send_to(&up, to).is_ok() {
                shared.ups.fetch_add(1, Ordering::Relaxed);
            }
        }
        let Some(packet) = receive(receiver) else {
            continue;
        };
        if packet.poll {
            shared.polls.fetch_add(1, Ordering::Relaxed);
            if sending && session.send_to(&final_, to).is_ok() {
                shared.finals.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}
