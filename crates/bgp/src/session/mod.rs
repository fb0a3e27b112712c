//! The tokio driver of one peer: owns the [`Fsm`], the peer's [`AdjRibOut`] and its
//! connections, and performs what the FSM asks for. One task per peer; everything else talks
//! to it through commands.

mod conn;
mod repeat;
mod routes;
mod status;

pub(crate) use conn::set_md5;
pub use status::{MessageCounts, PeerStatus, SessionEvent};

use std::collections::HashMap;
use std::net::IpAddr;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use tokio::net::TcpStream;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::config::PeerConfig;
use crate::fsm::{ConnId, DownReason, Fsm, Input, Negotiated, Output};
use crate::rib_out::{AdjRibOut, RouteAttributes, SessionView};
use crate::timer::sleep_until;
use crate::types::{Asn, Prefix};
use crate::wire::{self, CeaseSubcode, HexPrefix, Message, Notification, Update};
use conn::{Conn, IoEvent};
use repeat::{RepeatLimit, Repeated, REPEAT_EVERY};

/// How long a clean shutdown waits for queued messages to reach the socket.
const SHUTDOWN_FLUSH: std::time::Duration = std::time::Duration::from_secs(1);
/// Commands handled before queued route changes are flushed as UPDATEs.
const COMMAND_BATCH: usize = 100_000;
/// Received messages queued between a connection's reader and the session task.
const IO_QUEUE: usize = 64;

/// What the speaker asks of a session task.
#[derive(Debug)]
pub(crate) enum Command {
    /// Want this route announced.
    Announce(Prefix, Arc<RouteAttributes>),
    /// Want this route withdrawn.
    Withdraw(Prefix),
    /// The peer connected to our listener.
    Accepted(TcpStream),
    /// Send what earlier commands changed now, then answer.
    Sync(oneshot::Sender<()>),
    /// The first table is complete: End-of-RIB may follow it.
    ReleaseEndOfRib,
    /// Reset the session with this NOTIFICATION (its forwarding path failed); it starts
    /// again after the backoff.
    Reset(Notification),
    /// End the session as this says, then answer.
    Shutdown(Ending, oneshot::Sender<()>),
}

/// How a session ends for good.
#[derive(Clone, Debug)]
pub(crate) enum Ending {
    /// Withdraw everything, send Cease / Administrative Shutdown with this reason, close.
    Cease(String),
    /// Close without withdrawing and without a NOTIFICATION, so that a peer that negotiated
    /// graceful restart keeps our routes (RFC 4724 §4.1) until we are back.
    GracefulRestart,
}

/// The session task of one peer.
pub(crate) struct Session {
    peer: PeerConfig,
    local_as: Asn,
    fsm: Fsm,
    rib: AdjRibOut,
    conns: HashMap<ConnId, Conn>,
    next_conn: u64,
    connecting: Option<JoinHandle<()>>,
    closing: Vec<JoinHandle<()>>,
    established: Option<(ConnId, SessionView)>,
    io_tx: mpsc::Sender<IoEvent>,
    io_rx: mpsc::Receiver<IoEvent>,
    status: watch::Sender<PeerStatus>,
    events: broadcast::Sender<SessionEvent>,
    /// Ending with a NOTIFICATION: closed connections keep reading until the peer closes
    /// its side, so the session ends only once the peer has read it.
    read_until_peer_closes: bool,
    /// The readers of those connections.
    reading_until_closed: Vec<JoinHandle<()>>,
    /// Limits log lines about events the peer can repeat at will.
    repeats: RepeatLimit,
}

impl Session {
    /// A session task for `peer`, not yet running; with `end_of_rib_held` it sends routes
    /// as they come but End-of-RIB only after [`Command::ReleaseEndOfRib`].
    pub fn new(
        peer: PeerConfig,
        local_as: Asn,
        fsm: Fsm,
        channels: (watch::Sender<PeerStatus>, broadcast::Sender<SessionEvent>),
        end_of_rib_held: bool,
    ) -> Self {
        let (status, events) = channels;
        let (io_tx, io_rx) = mpsc::channel(IO_QUEUE);
        let mut rib = AdjRibOut::new();
        if end_of_rib_held {
            rib.hold_end_of_rib();
        }
        Session {
            peer,
            local_as,
            fsm,
            rib,
            conns: HashMap::new(),
            next_conn: 0,
            connecting: None,
            closing: Vec::new(),
            established: None,
            io_tx,
            io_rx,
            status,
            events,
            read_until_peer_closes: false,
            reading_until_closed: Vec::new(),
            repeats: RepeatLimit::new(REPEAT_EVERY),
        }
    }

    /// Runs until shut down (or until every command sender is gone, which is a shutdown).
    pub async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        info!(
            remote_as = self.peer.remote_as.get(),
            passive = self.peer.passive,
            "peer starting"
        );
        self.input(Input::Start);
        loop {
            let deadline = self.fsm.poll_timeout();
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else {
                        self.shutdown(Ending::Cease("speaker stopped".to_owned())).await;
                        return;
                    };
                    let mut next = Some(command);
                    let mut handled = 0;
                    while let Some(command) = next.take() {
                        if self.command(command).await.is_break() {
                            return;
                        }
                        handled += 1;
                        if handled < COMMAND_BATCH {
                            next = commands.try_recv().ok();
                        }
                    }
                }
                Some(event) = self.io_rx.recv() => self.io(event),
                () = sleep_until(deadline) => {
                    self.report_writes();
                    let outputs = self.fsm.handle_timeout(Instant::now());
                    self.perform(outputs);
                }
            }
            self.flush_routes();
            self.publish_status();
        }
    }

    /// Performs one command; breaks once the session has ended ([`Command::Shutdown`]).
    async fn command(&mut self, command: Command) -> ControlFlow<()> {
        match command {
            Command::Announce(prefix, attributes) => {
                self.rib.announce(prefix, attributes);
            }
            Command::Withdraw(prefix) => {
                self.rib.withdraw(prefix);
            }
            Command::Accepted(stream) => {
                if let Err(e) = conn::apply_ttl(&socket2::SockRef::from(&stream), &self.peer) {
                    warn!(error = %e, "cannot set TTL on accepted connection; refused");
                    return ControlFlow::Continue(());
                }
                let id = self.register(stream);
                if let Some(id) = id {
                    info!(conn = id.0, "peer connected to us");
                    self.input(Input::Accepted(id));
                }
            }
            Command::Sync(done) => {
                self.flush_routes();
                let _ = done.send(());
            }
            Command::ReleaseEndOfRib => {
                self.rib.release_end_of_rib();
                if self.established.is_some() {
                    info!("first table complete; End-of-RIB follows it");
                }
            }
            Command::Reset(notification) => {
                warn!(reason = %notification, "resetting the session");
                self.input(Input::Reset(notification));
            }
            Command::Shutdown(ending, done) => {
                self.shutdown(ending).await;
                let _ = done.send(());
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    }

    fn io(&mut self, event: IoEvent) {
        match event {
            IoEvent::Connected(Ok(stream)) => {
                self.connecting = None;
                match self.register(stream) {
                    Some(id) => {
                        info!(conn = id.0, "connected");
                        self.input(Input::Connected(id));
                    }
                    None => self.input(Input::ConnectFailed),
                }
            }
            IoEvent::Connected(Err(e)) => {
                self.connecting = None;
                match self.repeats.allow(Repeated::ConnectFailed, Instant::now()) {
                    Some(left_out) => info!(error = %e, left_out, "connect failed"),
                    None => debug!(error = %e, "connect failed"),
                }
                self.set_last_error(format!("connect: {e}"));
                self.input(Input::ConnectFailed);
            }
            IoEvent::Frame(id, frame) if self.conns.contains_key(&id) => {
                let input = match wire::decode(&frame, self.fsm.wire_context(id)) {
                    Ok(message) => {
                        let kind = message.message_type();
                        self.status.send_modify(|s| s.messages_received.add(kind));
                        Input::Received(id, message)
                    }
                    Err(error) => {
                        warn!(conn = id.0, %error, bytes = %HexPrefix(&frame), "malformed message");
                        Input::Malformed(id, error)
                    }
                };
                self.input(input);
            }
            IoEvent::BadFrame(id, error, header) if self.conns.contains_key(&id) => {
                warn!(conn = id.0, %error, bytes = %HexPrefix(&header), "cannot frame the byte stream");
                self.input(Input::Malformed(id, error));
            }
            IoEvent::Closed(id, error) if self.conns.contains_key(&id) => {
                match &error {
                    Some(e) => info!(conn = id.0, error = %e, "connection failed"),
                    None => info!(conn = id.0, "connection closed by peer"),
                }
                self.input(Input::Closed(id));
            }
            // Route changes are flushed after every event; nothing else to do.
            IoEvent::Drained(id) => debug!(conn = id.0, "queue drained; sending what waits"),
            IoEvent::Frame(..) | IoEvent::BadFrame(..) | IoEvent::Closed(..) => {}
        }
    }

    /// Takes a new connection into the session; `None` if it failed at once.
    fn register(&mut self, stream: TcpStream) -> Option<ConnId> {
        let id = ConnId(self.next_conn);
        self.next_conn += 1;
        match Conn::start(id, stream, self.io_tx.clone()) {
            Ok(conn) => {
                self.conns.insert(id, conn);
                Some(id)
            }
            Err(e) => {
                warn!(error = %e, "cannot use connection");
                None
            }
        }
    }

    fn input(&mut self, input: Input) {
        let outputs = self.fsm.handle(input, Instant::now());
        self.perform(outputs);
    }

    fn perform(&mut self, outputs: Vec<Output>) {
        for output in outputs {
            match output {
                Output::Connect => self.start_connect(),
                Output::CancelConnect => {
                    if let Some(task) = self.connecting.take() {
                        task.abort();
                    }
                }
                Output::Send(id, message) => self.send(id, &[message]),
                Output::Close(id) => {
                    if let Some(conn) = self.conns.remove(&id) {
                        if self.read_until_peer_closes {
                            let (writer, reader) = conn.close_when_peer_has_read();
                            self.closing.push(writer);
                            self.reading_until_closed.push(reader);
                        } else {
                            self.closing.push(conn.close());
                        }
                    }
                }
                Output::Established { conn, negotiated } => self.established(conn, negotiated),
                Output::Down(reason) => self.down(reason),
                Output::Update(update) => self.received_update(&update),
                Output::RouteRefresh(family) => self.route_refresh(family),
            }
        }
        self.closing.retain(|task| !task.is_finished());
    }

    fn start_connect(&mut self) {
        if let Some(task) = self.connecting.take() {
            task.abort();
        }
        let peer = self.peer.clone();
        let events = self.io_tx.clone();
        debug!(target_addr = %peer.socket_addr(), "connecting");
        self.connecting = Some(tokio::spawn(async move {
            let result = conn::connect(&peer).await;
            let _ = events.send(IoEvent::Connected(result)).await;
        }));
    }

    /// Encodes `messages` for connection `id` and queues them as one write.
    fn send(&mut self, id: ConnId, messages: &[Message]) {
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        let ctx = self.fsm.wire_context(id);
        let mut buf = BytesMut::new();
        let mut sent = Vec::with_capacity(messages.len());
        for message in messages {
            match message.encode(ctx, &mut buf) {
                Ok(()) => sent.push(message),
                Err(e) => warn!(conn = id.0, error = %e, "cannot encode message; not sent"),
            }
        }
        self.status.send_modify(|s| {
            for message in sent {
                s.messages_sent.add(message.message_type());
                if let Message::Notification(notification) = message {
                    let (code, _) = notification.code.to_octets();
                    *s.notifications_sent.entry(code).or_insert(0) += 1;
                }
            }
        });
        if !buf.is_empty() && !conn.send(buf.freeze()) {
            debug!(conn = id.0, "writer already stopped");
        }
    }

    /// Tells the FSM when queued bytes last reached each connection's socket (the send hold
    /// timer, RFC 9687), before its deadlines are checked.
    fn report_writes(&mut self) {
        let written: Vec<(ConnId, Instant)> = self
            .conns
            .iter()
            .filter_map(|(id, conn)| conn.take_last_write().map(|at| (*id, at)))
            .collect();
        for (id, at) in written {
            let outputs = self.fsm.handle(Input::Written(id), at);
            self.perform(outputs);
        }
    }

    fn established(&mut self, id: ConnId, negotiated: Negotiated) {
        let local = self.conns.get(&id).map(|c| c.local.ip());
        let view = SessionView {
            local_as: self.local_as,
            ibgp: negotiated.peer_as == self.local_as,
            next_hop_v4: self.peer.next_hop_v4.or(match local {
                Some(IpAddr::V4(a)) => Some(a),
                _ => None,
            }),
            next_hop_v6: self.peer.next_hop_v6.or(match local {
                Some(IpAddr::V6(a)) if a.to_ipv4_mapped().is_none() => Some(a),
                _ => None,
            }),
            wire: negotiated.wire.clone(),
        };
        info!(
            peer_id = %negotiated.peer_id,
            hold_time = negotiated.hold_time.seconds(),
            families = ?negotiated.wire.families,
            four_octet_as = negotiated.wire.four_octet_as,
            graceful_restart = negotiated.peer_graceful_restart(),
            "session established"
        );
        self.rib.start_table(&view);
        if self.rib.end_of_rib_held() {
            info!("End-of-RIB held until the first table is complete");
        }
        self.established = Some((id, view));
        self.status.send_modify(|s| {
            s.established_at = Some(Instant::now());
            s.negotiated = Some(negotiated);
        });
        let _ = self.events.send(SessionEvent::Up {
            peer: self.peer.address,
        });
    }

    fn down(&mut self, reason: DownReason) {
        self.set_last_error(reason.to_string());
        if self.established.take().is_none() {
            info!(%reason, "session attempt failed");
            return;
        }
        warn!(%reason, "session down");
        self.rib.session_down();
        self.status.send_modify(|s| {
            s.established_at = None;
            s.negotiated = None;
            s.flaps = s.flaps.saturating_add(1);
        });
        let _ = self.events.send(SessionEvent::Down {
            peer: self.peer.address,
            reason,
        });
    }

    fn received_update(&mut self, update: &Update) {
        let announced = update.nlri.len()
            + update
                .attributes
                .mp_reach
                .as_ref()
                .map_or(0, |r| r.nlri.len());
        let withdrawn = update.withdrawn.len()
            + update
                .attributes
                .mp_unreach
                .as_ref()
                .map_or(0, |u| u.withdrawn.len());
        if let Some(fault) = update.faults.first() {
            if let Some(left_out) = self.repeats.allow(Repeated::UpdateFault, Instant::now()) {
                debug!(
                    ?fault,
                    faults = update.faults.len(),
                    left_out,
                    "UPDATE handled per RFC 7606 without reset"
                );
            }
        }
        self.status.send_modify(|s| {
            s.updates_received += 1;
            s.prefixes_received += u64::try_from(announced).unwrap_or(u64::MAX);
            s.withdrawals_received += u64::try_from(withdrawn).unwrap_or(u64::MAX);
        });
    }

    /// Ends the session as `ending` says and waits (bounded) for the connections to flush and
    /// close.
    async fn shutdown(&mut self, ending: Ending) {
        let notification = match ending {
            Ending::Cease(reason) => {
                info!(%reason, "shutting down session");
                self.rib.withdraw_all();
                self.flush_all_routes();
                Some(Notification::cease_with_reason(
                    CeaseSubcode::AdministrativeShutdown,
                    &reason,
                ))
            }
            Ending::GracefulRestart => {
                if self.peer_keeps_routes() {
                    info!("closing for a graceful restart; the peer keeps our routes until we are back");
                } else {
                    warn!("closing for a graceful restart, but the peer did not negotiate it: it drops our routes now");
                }
                None
            }
        };
        self.read_until_peer_closes = notification.is_some();
        self.input(Input::Stop(notification));
        if let Some(task) = self.connecting.take() {
            task.abort();
        }
        let writers: Vec<JoinHandle<()>> = self.closing.drain(..).collect();
        let mut readers = std::mem::take(&mut self.reading_until_closed);
        self.wait_closed(writers, &mut readers).await;
        for reader in readers {
            reader.abort();
        }
        self.publish_status();
    }

    /// Waits, at most [`SHUTDOWN_FLUSH`], for the writers to flush and close, then for the
    /// peers to close their side (after a NOTIFICATION: they have read it, so a BFD
    /// AdminDown sent next cannot overtake it), dropping what they still send meanwhile.
    async fn wait_closed(&mut self, writers: Vec<JoinHandle<()>>, readers: &mut [JoinHandle<()>]) {
        let closed = async {
            for writer in writers {
                let _ = writer.await;
            }
            for reader in readers.iter_mut() {
                let _ = reader.await;
            }
        };
        tokio::pin!(closed);
        let deadline = tokio::time::sleep(SHUTDOWN_FLUSH);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                () = &mut closed => return,
                () = &mut deadline => {
                    warn!("connections did not close within {SHUTDOWN_FLUSH:?}; closed anyway");
                    return;
                }
                Some(_) = self.io_rx.recv() => {}
            }
        }
    }

    /// The Established peer sent the graceful restart capability.
    fn peer_keeps_routes(&self) -> bool {
        self.status
            .borrow()
            .negotiated
            .as_ref()
            .is_some_and(Negotiated::peer_graceful_restart)
    }

    fn set_last_error(&mut self, error: String) {
        self.status.send_modify(|s| {
            s.last_error = Some(error);
            s.last_error_at = Some(std::time::SystemTime::now());
        });
    }

    fn publish_status(&mut self) {
        let state = self.fsm.state();
        let advertised = self.rib.advertised_len();
        self.status.send_if_modified(|s| {
            let changed = s.state != state || s.routes_advertised != advertised;
            s.state = state;
            s.routes_advertised = advertised;
            changed
        });
    }
}
