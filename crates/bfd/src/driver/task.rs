//! The task that owns every BFD session and its sockets. See the [module docs](super).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use std::pin::Pin;

use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Sleep;
use tracing::{debug, info, info_span, warn, Span};

use super::discards::Discards;
use super::{BfdPeer, Handoff, PeerBfdStatus, ADMIN_DOWN_FOR, RESTART_POLL_WAIT};
use crate::packet::{ControlPacket, Discard};
use crate::rng::Rng;
use crate::session::{Session, StateChange};
use crate::socket::{self, Datagram, CONTROL_PORT, SOURCE_PORTS, TTL};
use crate::types::{Discriminator, SessionState};
use crate::Error;

/// How far ahead the timer is set while no session has a deadline.
const IDLE_TIMER: Duration = Duration::from_secs(3600);
/// Source ports tried for one session before giving up.
const PORT_TRIES: u16 = 64;
/// How often AdminDown goes out at shutdown.
const ADMIN_DOWN_PACKETS: u32 = 3;
/// The pause after a failed receive, so that a persistent error cannot spin.
const RECEIVE_ERROR_PAUSE: Duration = Duration::from_millis(10);

/// What the handle asks of the task.
pub(super) enum Command {
    SetPeers(Vec<BfdPeer>, oneshot::Sender<Result<(), Error>>),
    Shutdown(oneshot::Sender<()>),
    StopForRestart(Duration, oneshot::Sender<Vec<Handoff>>),
}

/// One peer's session with its sending socket.
struct Peer {
    peer: BfdPeer,
    /// The session's `bfd` span, made once (a span per packet costs more than the packet).
    span: Span,
    session: Session,
    socket: UdpSocket,
    source_port: u16,
    failures: u64,
    ever_up: bool,
    /// A send failure was logged and not yet followed by a success.
    send_failing: bool,
}

/// What woke the task.
enum Wake {
    Command(Option<Command>),
    Datagram(io::Result<Datagram>),
    Timer,
}

pub(super) struct Task {
    peers: Vec<Peer>,
    v4: Option<UdpSocket>,
    v6: Option<UdpSocket>,
    lease: watch::Receiver<Instant>,
    status: watch::Sender<Vec<PeerBfdStatus>>,
    discards: Discards,
    rng: Rng,
    /// Packets are being held back because the lease ran out (logged once per episode).
    suppressing: bool,
    /// The one timer, moved only when the next deadline changes: a new timer per wake
    /// costs the runtime a wake-up of its own.
    timer: Pin<Box<Sleep>>,
    /// The deadline [`Task::timer`] is set for (`None`: an idle hour ahead).
    timer_at: Option<Instant>,
    /// It went off, so it must be set again before it is awaited.
    timer_fired: bool,
}

impl Task {
    pub(super) fn new(
        peers: Vec<BfdPeer>,
        handoffs: &[Handoff],
        lease: watch::Receiver<Instant>,
        status: watch::Sender<Vec<PeerBfdStatus>>,
    ) -> Result<Task, Error> {
        let mut task = Task {
            peers: Vec::new(),
            v4: None,
            v6: None,
            lease,
            status,
            discards: Discards::default(),
            rng: Rng::new(seed()),
            suppressing: false,
            timer: Box::pin(tokio::time::sleep(IDLE_TIMER)),
            timer_at: None,
            timer_fired: false,
        };
        let mut started = Vec::new();
        for peer in peers {
            if started
                .iter()
                .any(|p: &Peer| p.peer.address == peer.address)
            {
                return Err(Error::DuplicatePeer(peer.address));
            }
            let handoff = handoffs.iter().find(|h| h.address == peer.address);
            let others: Vec<&Peer> = started.iter().collect();
            let peer = start_peer(peer, handoff, &others, &mut task.rng)?;
            started.push(peer);
        }
        task.peers = started;
        task.open_receivers()?;
        task.publish();
        Ok(task)
    }

    pub(super) async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        loop {
            match self.wake(Some(&mut commands)).await {
                Wake::Command(None) => return,
                Wake::Command(Some(Command::SetPeers(peers, done))) => {
                    let _ = done.send(self.set_peers(peers));
                }
                Wake::Command(Some(Command::Shutdown(done))) => {
                    self.admin_down().await;
                    let _ = done.send(());
                    return;
                }
                Wake::Command(Some(Command::StopForRestart(detection, done))) => {
                    let _ = done.send(self.stop_for_restart(detection).await);
                    return;
                }
                Wake::Datagram(datagram) => self.datagram(datagram).await,
                Wake::Timer => {}
            }
            self.step(Instant::now());
            self.publish();
        }
    }

    /// Waits for a command (when listening for them), a datagram or the next deadline.
    async fn wake(&mut self, commands: Option<&mut mpsc::Receiver<Command>>) -> Wake {
        let deadline = self
            .peers
            .iter()
            .filter_map(|p| p.session.next_deadline())
            .min();
        if self.timer_fired || deadline != self.timer_at {
            self.timer_fired = false;
            self.timer_at = deadline;
            let at = deadline.unwrap_or_else(|| Instant::now() + IDLE_TIMER);
            self.timer.as_mut().reset(at.into());
        }
        tokio::select! {
            command = next_command(commands) => Wake::Command(command),
            datagram = receive(self.v4.as_ref()) => Wake::Datagram(datagram),
            datagram = receive(self.v6.as_ref()) => Wake::Datagram(datagram),
            () = &mut self.timer => {
                self.timer_fired = true;
                Wake::Timer
            }
        }
    }

    /// Fires due timers and sends due packets (only while the lease runs).
    fn step(&mut self, now: Instant) {
        let alive = now <= *self.lease.borrow();
        if alive == self.suppressing {
            self.suppressing = !alive;
            if alive {
                info!("the daemon is alive again: sending BFD packets");
            } else {
                warn!("the daemon stopped making progress: no more BFD packets, so the routers take our routes down");
            }
        }
        for peer in &mut self.peers {
            let _span = peer.span.clone().entered();
            if let Some(change) = peer.session.handle_timeout(now) {
                peer.changed(change);
            }
            while let Some(packet) = peer.session.poll_transmit(now) {
                if alive {
                    peer.send(&packet);
                }
            }
        }
    }

    async fn datagram(&mut self, datagram: io::Result<Datagram>) {
        let now = Instant::now();
        let datagram = match datagram {
            Ok(datagram) => datagram,
            Err(e) => {
                debug!(error = %e, "BFD receive failed");
                tokio::time::sleep(RECEIVE_ERROR_PAUSE).await;
                return;
            }
        };
        match self.accept(&datagram) {
            Ok((index, packet)) => {
                if let Some(peer) = self.peers.get_mut(index) {
                    let _span = peer.span.clone().entered();
                    if let Some(change) = peer.session.receive(&packet, now) {
                        peer.changed(change);
                    }
                }
            }
            Err(discard) => self.discards.count(discard, datagram.from, now),
        }
    }

    /// The reception checks: TTL 255 (RFC 5881 §5), the codec's (RFC 5880 §6.8.6), then the
    /// session: by Your Discriminator, else by source address; either way only from the
    /// session's peer.
    fn accept(&self, datagram: &Datagram) -> Result<(usize, ControlPacket), Discard> {
        if datagram.ttl != Some(TTL) {
            return Err(Discard::Ttl(datagram.ttl));
        }
        let packet = ControlPacket::decode(&datagram.payload)?;
        let from = datagram.from.ip();
        let index = match packet.your_discriminator {
            Some(yours) => self
                .peers
                .iter()
                .position(|p| p.session.local_discriminator() == yours)
                .ok_or(Discard::UnknownDiscriminator(yours))?,
            None => self
                .peers
                .iter()
                .position(|p| p.peer.address == from)
                .ok_or(Discard::NotAPeer(from))?,
        };
        match self.peers.get(index) {
            Some(peer) if peer.peer.address == from => Ok((index, packet)),
            _ => Err(Discard::NotAPeer(from)),
        }
    }

    /// Publishes the statuses if any changed (compared in place: this runs on every wake).
    fn publish(&self) {
        self.status.send_if_modified(|current| {
            let same = current.len() == self.peers.len()
                && current
                    .iter()
                    .zip(&self.peers)
                    .all(|(c, p)| *c == p.status());
            if !same {
                *current = self.peers.iter().map(Peer::status).collect();
            }
            !same
        });
    }

    /// Reconciles the sessions with `peers`; nothing changes if a socket cannot be had.
    fn set_peers(&mut self, peers: Vec<BfdPeer>) -> Result<(), Error> {
        let now = Instant::now();
        let mut kept: Vec<Peer> = Vec::with_capacity(peers.len());
        let mut fresh = Vec::new();
        for peer in &peers {
            if kept
                .iter()
                .chain(&fresh)
                .any(|p: &Peer| p.peer.address == peer.address)
            {
                return Err(Error::DuplicatePeer(peer.address));
            }
            let running = self.peers.iter().find(|p| p.peer.address == peer.address);
            if running.is_none_or(|p| p.peer.local_address != peer.local_address) {
                let mut all: Vec<&Peer> = self.peers.iter().collect();
                all.extend(&fresh);
                let started = start_peer(peer.clone(), None, &all, &mut self.rng)?;
                fresh.push(started);
            }
        }
        let mut running = std::mem::take(&mut self.peers);
        for peer in peers {
            let fresh_one = fresh.iter().position(|p| p.peer.address == peer.address);
            let mut session = match fresh_one {
                Some(i) => fresh.swap_remove(i),
                None => match running.iter().position(|p| p.peer.address == peer.address) {
                    Some(i) => running.swap_remove(i),
                    None => continue,
                },
            };
            if session.peer.config != peer.config {
                info!(peer = %peer.name, tx = %peer.config.desired_min_tx, rx = %peer.config.required_min_rx, multiplier = %peer.config.multiplier, "BFD intervals changed: Poll Sequence");
                session.session.set_config(peer.config, now);
            }
            if session.peer.name != peer.name {
                session.span = info_span!("bfd", peer = %peer.name, addr = %peer.address);
            }
            session.peer = peer;
            kept.push(session);
        }
        for mut gone in running {
            if let Some(change) = gone.session.admin_down(now) {
                gone.changed(change);
            }
            while let Some(packet) = gone.session.poll_transmit(now) {
                gone.send(&packet);
            }
        }
        self.peers = kept;
        self.open_receivers()
    }

    /// Every session AdminDown, said [`ADMIN_DOWN_PACKETS`] times at its interval in force
    /// (capped so that the whole takes at most [`ADMIN_DOWN_FOR`]).
    async fn admin_down(&mut self) {
        let now = Instant::now();
        let spacing = self
            .peers
            .iter()
            .filter_map(|p| p.session.transmit_interval())
            .map(|i| i.as_duration())
            .min()
            .unwrap_or(ADMIN_DOWN_FOR)
            .min(ADMIN_DOWN_FOR / ADMIN_DOWN_PACKETS);
        let mut packets = Vec::new();
        for peer in &mut self.peers {
            if let Some(change) = peer.session.admin_down(now) {
                peer.changed(change);
            }
            if let Some(packet) = peer.session.poll_transmit(now) {
                packets.push(packet);
            }
        }
        for round in 0..ADMIN_DOWN_PACKETS {
            if round > 0 {
                tokio::time::sleep(spacing).await;
            }
            for (peer, packet) in self.peers.iter_mut().zip(&packets) {
                peer.send(packet);
            }
        }
        self.publish();
    }

    /// Stretches every Up session's detection time at the peer, waits (bounded) for the
    /// Finals, and returns the sessions to hand over.
    async fn stop_for_restart(&mut self, detection: Duration) -> Vec<Handoff> {
        let now = Instant::now();
        for peer in &mut self.peers {
            if peer.session.state() == SessionState::Up {
                peer.session.stretch_for_restart(detection, now);
            }
        }
        let until = now + RESTART_POLL_WAIT;
        while Instant::now() < until && self.peers.iter().any(|p| p.session.polling()) {
            self.step(Instant::now());
            tokio::select! {
                wake = self.wake(None) => if let Wake::Datagram(d) = wake { self.datagram(d).await },
                () = tokio::time::sleep_until(until.into()) => {}
            }
        }
        for peer in self.peers.iter().filter(|p| p.session.polling()) {
            warn!(peer = %peer.peer.name, "no Final to the stretched BFD intervals; the router may see the restart as a failure");
        }
        self.peers
            .iter()
            .map(|p| Handoff {
                address: p.peer.address,
                session: p.session.snapshot(),
                source_port: p.source_port,
            })
            .collect()
    }

    /// Binds the receiver of each family a peer needs, if not bound yet.
    fn open_receivers(&mut self) -> Result<(), Error> {
        for ipv6 in [false, true] {
            let slot = if ipv6 { &mut self.v6 } else { &mut self.v4 };
            let needed = self.peers.iter().any(|p| p.peer.address.is_ipv6() == ipv6);
            if needed && slot.is_none() {
                let receiver = socket::receiver(ipv6).map_err(|source| Error::Listen {
                    addr: SocketAddr::new(
                        if ipv6 {
                            IpAddr::from(std::net::Ipv6Addr::UNSPECIFIED)
                        } else {
                            IpAddr::from(std::net::Ipv4Addr::UNSPECIFIED)
                        },
                        CONTROL_PORT,
                    ),
                    source,
                })?;
                *slot = Some(receiver);
            }
        }
        Ok(())
    }
}

/// A session for `peer` with a discriminator and source port none of `others` uses; it
/// carries on `handoff` when there is one.
fn start_peer(
    peer: BfdPeer,
    handoff: Option<&Handoff>,
    others: &[&Peer],
    rng: &mut Rng,
) -> Result<Peer, Error> {
    let now = Instant::now();
    let taken = |d: Discriminator| others.iter().any(|p| p.session.local_discriminator() == d);
    let session = match handoff.filter(|h| !taken(h.session.local_discriminator)) {
        Some(h) => {
            info!(peer = %peer.name, state = %h.session.state, "BFD session carried on from the previous process");
            Session::resume(&h.session, peer.config, u64::from(rng.next_u32()), now)
        }
        None => {
            let discriminator = (0..64)
                .map(|_| rng.next_u32())
                .chain(1..=u32::MAX)
                .filter_map(Discriminator::new)
                .find(|d| !taken(*d))
                .unwrap_or(Discriminator::MIN);
            Session::new(peer.config, discriminator, u64::from(rng.next_u32()), now)
        }
    };
    let preferred = handoff.map(|h| h.source_port);
    let (socket, source_port) = bind_source(&peer, preferred, others, rng)?;
    info!(peer = %peer.name, addr = %peer.address, source_port, discriminator = %session.local_discriminator(), "BFD session starting");
    Ok(Peer {
        span: info_span!("bfd", peer = %peer.name, addr = %peer.address),
        peer,
        session,
        socket,
        source_port,
        failures: 0,
        ever_up: false,
        send_failing: false,
    })
}

/// A sending socket on the preferred source port, else on a free one of the range.
fn bind_source(
    peer: &BfdPeer,
    preferred: Option<u16>,
    others: &[&Peer],
    rng: &mut Rng,
) -> Result<(UdpSocket, u16), Error> {
    let span = SOURCE_PORTS.end() - SOURCE_PORTS.start() + 1;
    let first = SOURCE_PORTS.start() + rng.below(u32::from(span)) as u16;
    let candidates = preferred.into_iter().chain(
        (0..PORT_TRIES).map(|i| SOURCE_PORTS.start() + (first - SOURCE_PORTS.start() + i) % span),
    );
    let mut last = io::Error::other("no port tried");
    for port in candidates {
        if others.iter().any(|p| p.source_port == port) {
            continue;
        }
        match socket::sender(peer.address, peer.local_address, port) {
            Ok(socket) => return Ok((socket, port)),
            Err(e) => last = e,
        }
    }
    Err(Error::SourcePort {
        peer: peer.address,
        source: last,
    })
}

impl Peer {
    fn send(&mut self, packet: &ControlPacket) {
        let to = SocketAddr::new(self.peer.address, CONTROL_PORT);
        match self.socket.try_send_to(&packet.encode(), to) {
            Ok(_) => {
                if std::mem::take(&mut self.send_failing) {
                    info!("BFD packets go out again");
                }
            }
            Err(e) => {
                if !std::mem::replace(&mut self.send_failing, true) {
                    warn!(error = %e, "cannot send BFD packets (logged once until they go out again)");
                }
            }
        }
    }

    /// Logs a state change and counts failures ([`StateChange::is_failure`]).
    fn changed(&mut self, change: StateChange) {
        let StateChange {
            from,
            to,
            diagnostic,
            remote_diagnostic,
        } = change;
        if change.is_failure() {
            self.failures += 1;
            warn!(%from, %to, %diagnostic, %remote_diagnostic, "BFD session down: the forwarding path failed");
        } else if to == SessionState::Up {
            self.ever_up = true;
            info!(%from, %to, "BFD session up");
        } else if to == SessionState::AdminDown {
            info!(%from, %to, "BFD session taken administratively down");
        } else if from == SessionState::Up {
            info!(%from, %to, %diagnostic, %remote_diagnostic, remote_state = %self.session.remote_state(), "BFD session down, by the peer and not for a path failure: the BGP session is left alone");
        } else {
            info!(%from, %to, %diagnostic, "BFD session state changed");
        }
    }

    fn status(&self) -> PeerBfdStatus {
        let s = &self.session;
        PeerBfdStatus {
            address: self.peer.address,
            state: s.state(),
            remote_state: s.remote_state(),
            diagnostic: s.diagnostic(),
            local_discriminator: s.local_discriminator(),
            remote_discriminator: s.remote_discriminator(),
            transmit_interval: s.transmit_interval(),
            detection_time: s.detection_time(),
            multiplier: s.config().multiplier,
            failures: self.failures,
            ever_up: self.ever_up,
        }
    }
}

async fn next_command(commands: Option<&mut mpsc::Receiver<Command>>) -> Option<Command> {
    match commands {
        Some(commands) => commands.recv().await,
        None => std::future::pending().await,
    }
}

async fn receive(socket: Option<&UdpSocket>) -> io::Result<Datagram> {
    match socket {
        Some(socket) => socket::receive(socket).await,
        None => std::future::pending().await,
    }
}

/// A different seed per process and start, for discriminators, ports and jitter.
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ (u64::from(std::process::id()) << 32)) | 1
}
