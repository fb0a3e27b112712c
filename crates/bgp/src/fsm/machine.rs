//! [`Fsm`]: the session state machine of RFC 4271 §8.2.2 for one peer, as an announcer needs
//! it (no DelayOpen, no damping beyond the backoff), with collision detection (§6.8).
//!
//! Structure: session-wide timers (automatic restart, ConnectRetry, connect timeout) plus up
//! to two [`Conn`]s, each in OpenSent, OpenConfirm or Established with its own hold and
//! keepalive timers. [`Fsm::state`] is derived from those, never stored apart from them.
//!
//! Invariants:
//! - At most one connection of each [`Origin`]: we connect out only while no connection
//!   exists, and a second inbound connection is refused.
//! - While a connection is Established no other connection exists and no attempt is under way.
//! - After an error or close that ends the last connection, the machine waits in Idle for a
//!   backoff delay and starts again (automatic restart, §8.1.1); only [`Input::Stop`] leaves
//!   it Idle for good.

use std::time::Instant;

use bytes::Bytes;

use super::backoff::Schedule;
use super::collision::{self, Origin};
use super::conn::{Conn, Phase};
use super::negotiate::{negotiate, our_open};
use super::timers::{after, expired};
use super::{ConnId, DownReason, FsmConfig, Input, Negotiated, Output, State};
use crate::wire::{
    CeaseSubcode, ErrorCode, FsmSubcode, Message, Notification, Open, RouteRefresh, WireContext,
};

/// The BGP session state machine for one peer. See the [module docs](super).
#[derive(Clone, Debug)]
pub struct Fsm {
    config: FsmConfig,
    /// Our OPEN, built once from the configuration.
    open: Open,
    /// The codec context of a connection whose OPEN exchange is not complete.
    initial_wire: WireContext,
    /// Delays for ConnectRetry and automatic restart.
    backoff: Schedule,
    /// Started and not stopped since.
    started: bool,
    /// IdleHoldTimer: when the automatic restart happens (Idle after an error).
    restart_at: Option<Instant>,
    /// An outbound connection attempt is under way (`Output::Connect` issued, no answer yet).
    connecting: bool,
    /// When the attempt under way is abandoned (the ConnectRetryTimer of state Connect).
    connect_timeout_at: Option<Instant>,
    /// ConnectRetryTimer in Active: when the next outbound attempt starts.
    retry_at: Option<Instant>,
    /// Live connections, at most one per origin.
    conns: Vec<Conn>,
}

impl Fsm {
    /// A stopped machine (Idle) for one peer; nothing happens until [`Input::Start`].
    pub fn new(config: FsmConfig) -> Fsm {
        Fsm {
            open: our_open(
                &config,
                config.graceful_restart.is_some_and(|g| g.restarting),
            ),
            initial_wire: WireContext::initial(),
            backoff: Schedule::new(config.backoff, config.jitter_seed),
            config,
            started: false,
            restart_at: None,
            connecting: false,
            connect_timeout_at: None,
            retry_at: None,
            conns: Vec::new(),
        }
    }

    /// The current state: the most advanced connection's, else Connect while an outbound
    /// attempt is under way, else Active while started (waiting for the peer or for the
    /// ConnectRetry timer), else Idle (stopped, or waiting out the backoff).
    pub fn state(&self) -> State {
        if let Some(phase) = self.conns.iter().map(|c| c.phase).max() {
            State::from(phase)
        } else if self.connecting {
            State::Connect
        } else if self.started && self.restart_at.is_none() {
            State::Active
        } else {
            State::Idle
        }
    }

    /// Our OPEN (RFC 4271 §4.2 with the capabilities of RFC 5492): `my_as` is the local AS or
    /// AS_TRANS, our hold time and router id, and the capabilities Multiprotocol (one per
    /// configured family), Route Refresh and 4-octet AS.
    pub fn open_message(&self) -> Open {
        self.open.clone()
    }

    /// What was agreed, while Established.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.conns
            .iter()
            .find(|c| c.phase == Phase::Established)
            .and_then(|c| c.negotiated.as_ref())
    }

    /// How the driver must decode and encode on `conn`: the initial context (2-octet AS, IPv4
    /// unicast) until the peer's OPEN on that connection is accepted, then the negotiated one.
    /// Ask again after every [`Fsm::handle`]: the OPEN changes it for the next message.
    pub fn wire_context(&self, conn: ConnId) -> &WireContext {
        self.conns
            .iter()
            .find(|c| c.id == conn)
            .and_then(|c| c.negotiated.as_ref())
            .map_or(&self.initial_wire, |n| &n.wire)
    }

    /// The earliest pending deadline; call [`Fsm::handle_timeout`] when it is reached.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.restart_at, self.connect_timeout_at, self.retry_at]
            .into_iter()
            .flatten()
            .chain(self.conns.iter().filter_map(Conn::next_deadline))
            .min()
    }

    /// Fires every deadline at or before `now`, in this order: per connection the hold timer
    /// (RFC 4271 §6.5: NOTIFICATION Hold Timer Expired, close), else the send hold timer
    /// (RFC 9687: NOTIFICATION Send Hold Timer Expired if the peer can still read it, close),
    /// else the keepalive timer (send KEEPALIVE, re-arm); then the connect timeout, the ConnectRetry timer and the automatic
    /// restart. Deadlines armed by this call are left for a later one.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        let retry_due = expired(self.retry_at, now);
        let restart_due = expired(self.restart_at, now);
        let ids: Vec<ConnId> = self.conns.iter().map(|c| c.id).collect();
        for id in ids {
            let Some(conn) = self.conn_mut(id) else {
                continue;
            };
            if expired(conn.hold_at, now) {
                let n = Notification::new(ErrorCode::HoldTimerExpired, Bytes::new());
                self.fail(id, n, now, &mut out);
            } else if expired(conn.send_hold_at, now) {
                let n = Notification::new(ErrorCode::SendHoldTimerExpired, Bytes::new());
                self.fail(id, n, now, &mut out);
            } else if expired(conn.keepalive_at, now) {
                conn.restart_keepalive(now);
                out.push(Output::Send(id, Message::Keepalive));
            }
        }
        if self.connecting && expired(self.connect_timeout_at, now) {
            out.push(Output::CancelConnect);
            self.connect_failed(now);
        }
        if retry_due {
            self.retry_at = None;
            self.connect(now, &mut out);
        }
        if restart_due {
            self.restart_at = None;
            self.begin(now, &mut out);
        }
        out
    }

    /// Feeds one input at time `now`; returns what the driver must do, in order.
    pub fn handle(&mut self, input: Input, now: Instant) -> Vec<Output> {
        let mut out = Vec::new();
        match input {
            Input::Start => self.start(now, &mut out),
            Input::Stop(n) => self.stop(n, &mut out),
            Input::Reset(n) => self.reset(n, now, &mut out),
            Input::Connected(id) => self.connected(id, now, &mut out),
            Input::ConnectFailed => self.connect_failed(now),
            Input::Accepted(id) => self.accepted(id, now, &mut out),
            Input::Closed(id) => self.closed(id, now, &mut out),
            Input::Received(id, msg) => self.received(id, msg, now, &mut out),
            Input::Malformed(id, err) => {
                if self.has(id) {
                    self.fail(id, err.notification(), now, &mut out);
                }
            }
            Input::Written(id) => {
                if let Some(conn) = self.conn_mut(id) {
                    conn.restart_send_hold(now);
                }
            }
        }
        out
    }

    /// ManualStart (RFC 4271 §8.1.2, Events 1 and 5): only in Idle, where it also cuts short a
    /// pending automatic restart; ignored in every other state.
    fn start(&mut self, now: Instant, out: &mut Vec<Output>) {
        if self.state() == State::Idle {
            self.started = true;
            self.restart_at = None;
            self.begin(now, out);
        }
    }

    /// Leaves Idle: Connect with an outbound attempt, or Active (waiting) when passive.
    fn begin(&mut self, now: Instant, out: &mut Vec<Output>) {
        if !self.config.passive {
            self.connect(now, out);
        }
    }

    /// Starts an outbound attempt (→ Connect) with its timeout.
    fn connect(&mut self, now: Instant, out: &mut Vec<Output>) {
        self.connecting = true;
        self.connect_timeout_at = after(now, Some(self.config.connect_timeout));
        out.push(Output::Connect);
    }

    /// ManualStop (RFC 4271 §8.1.2, Event 2): the NOTIFICATION, if any, on every connection
    /// (each has sent our OPEN), close them all, abandon any attempt, Idle for good.
    fn stop(&mut self, n: Option<Notification>, out: &mut Vec<Output>) {
        if self.connecting {
            out.push(Output::CancelConnect);
        }
        let was_established = self.negotiated().is_some();
        for conn in self.conns.drain(..) {
            if let Some(n) = &n {
                out.push(Output::Send(conn.id, Message::Notification(n.clone())));
            }
            out.push(Output::Close(conn.id));
        }
        if was_established {
            out.push(Output::Down(
                n.map_or(DownReason::Restarting, DownReason::Sent),
            ));
        }
        self.started = false;
        self.restart_at = None;
        self.connecting = false;
        self.connect_timeout_at = None;
        self.retry_at = None;
    }

    /// A reset from outside the session (BFD Down): every connection gets `n` and is closed,
    /// any attempt is abandoned, and the automatic restart follows the backoff. Nothing
    /// happens in Idle or while only waiting to connect.
    fn reset(&mut self, n: Notification, now: Instant, out: &mut Vec<Output>) {
        if self.conns.is_empty() && !self.connecting {
            return;
        }
        for conn in std::mem::take(&mut self.conns) {
            out.push(Output::Send(conn.id, Message::Notification(n.clone())));
            out.push(Output::Close(conn.id));
        }
        self.session_lost(DownReason::Sent(n), now, out);
    }

    /// TcpCRAcked (Event 16): our attempt succeeded; send OPEN (→ OpenSent). A connection
    /// nobody is waiting for (the attempt was cancelled meanwhile) is closed at once. Inputs
    /// repeating the id of a live connection are driver bugs and are ignored, here and in
    /// `accepted`.
    fn connected(&mut self, id: ConnId, now: Instant, out: &mut Vec<Output>) {
        if self.has(id) {
            return;
        }
        if !self.connecting {
            out.push(Output::Close(id));
            return;
        }
        self.connecting = false;
        self.connect_timeout_at = None;
        self.add_conn(id, Origin::Local, now, out);
    }

    /// TcpConnectionFails (Event 18) on our attempt, or its timeout: unless another
    /// connection carries on, → Active with the ConnectRetry timer set to the next backoff.
    fn connect_failed(&mut self, now: Instant) {
        if !self.connecting {
            return;
        }
        self.connecting = false;
        self.connect_timeout_at = None;
        if self.conns.is_empty() {
            self.retry_at = after(now, Some(self.backoff.next_delay()));
        }
    }

    /// TcpConnectionConfirmed (Event 17). Refused (closed) in Idle (§8.2.2, Idle state).
    /// Against an Established session, or when the peer already has a connection to us, the
    /// new one is closed with Cease / Connection Collision Resolution (§6.8, last paragraph).
    /// Otherwise our OPEN is sent on it (→ OpenSent) next to any attempt or connection of
    /// ours: the OPENs decide (§6.8).
    fn accepted(&mut self, id: ConnId, now: Instant, out: &mut Vec<Output>) {
        if self.has(id) {
            return;
        }
        if self.state() == State::Idle {
            out.push(Output::Close(id));
            return;
        }
        let collides = self
            .conns
            .iter()
            .any(|c| c.phase == Phase::Established || c.origin == Origin::Remote);
        if collides {
            out.push(Output::Send(id, Message::Notification(cease_collision())));
            out.push(Output::Close(id));
            return;
        }
        self.retry_at = None;
        self.add_conn(id, Origin::Remote, now, out);
    }

    /// The peer closed or reset a connection (Event 18 after connect): forgotten; the last
    /// one going ends the session with [`DownReason::ConnectionClosed`].
    fn closed(&mut self, id: ConnId, now: Instant, out: &mut Vec<Output>) {
        if self.remove(id).is_some() && self.conns.is_empty() {
            self.session_lost(DownReason::ConnectionClosed, now, out);
        }
    }

    /// A decoded message on a connection, by the connection's state (RFC 4271 §8.2.2;
    /// unexpected messages get the FSM Error subcodes of RFC 6608 §4).
    fn received(&mut self, id: ConnId, msg: Message, now: Instant, out: &mut Vec<Output>) {
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        match (conn.phase, msg) {
            (_, Message::Notification(n)) => {
                out.push(Output::Close(id));
                self.remove(id);
                if self.conns.is_empty() {
                    self.session_lost(DownReason::Received(n), now, out);
                }
            }
            (Phase::OpenSent, Message::Open(open)) => self.open_received(id, &open, now, out),
            (Phase::OpenSent, _) => {
                self.fail(id, fsm_error(FsmSubcode::UnexpectedInOpenSent), now, out);
            }
            (Phase::OpenConfirm, Message::Keepalive) => self.establish(id, now, out),
            (Phase::OpenConfirm, _) => {
                self.fail(id, fsm_error(FsmSubcode::UnexpectedInOpenConfirm), now, out);
            }
            (Phase::Established, Message::Open(_)) => {
                self.fail(id, fsm_error(FsmSubcode::UnexpectedInEstablished), now, out);
            }
            (Phase::Established, Message::Keepalive) => conn.restart_hold(now),
            (Phase::Established, Message::Update(update)) => {
                conn.restart_hold(now);
                out.push(Output::Update(update));
            }
            (Phase::Established, Message::RouteRefresh(rr)) => {
                conn.restart_hold(now);
                if let Some(family) = refresh_request(conn, &rr) {
                    out.push(Output::RouteRefresh(family));
                }
            }
        }
    }

    /// The peer's OPEN in OpenSent (Event 19): checked and negotiated; then collision
    /// detection against the other connection, if any; the survivor sends KEEPALIVE
    /// (→ OpenConfirm).
    ///
    /// Collision detection (§6.8) runs as soon as either connection has the peer's OPEN, even
    /// if the other is still in OpenSent: both go to the one configured peer, so its
    /// identifier is known (the "means outside the protocol" §6.8 allows). Both speakers
    /// then pick the same survivor early, which avoids each closing a different one.
    fn open_received(&mut self, id: ConnId, open: &Open, now: Instant, out: &mut Vec<Output>) {
        let negotiated = match negotiate(&self.config, open) {
            Ok(negotiated) => negotiated,
            Err(n) => return self.fail(id, n, now, out),
        };
        if let Some(other) = self.conns.iter().find(|c| c.id != id) {
            let loser = if other.phase == Phase::Established {
                id
            } else {
                let origin = collision::loser(
                    self.config.router_id,
                    self.config.local_as,
                    negotiated.peer_id,
                    negotiated.peer_as,
                );
                if other.origin == origin {
                    other.id
                } else {
                    id
                }
            };
            self.close_with(loser, cease_collision(), out);
            if loser == id {
                return;
            }
        }
        if self.connecting {
            out.push(Output::CancelConnect);
            self.connecting = false;
            self.connect_timeout_at = None;
        }
        if let Some(conn) = self.conn_mut(id) {
            conn.confirm(negotiated, now);
            out.push(Output::Send(id, Message::Keepalive));
        }
    }

    /// KEEPALIVE in OpenConfirm (Event 26): Established. The backoff starts over, and any
    /// other connection is closed with Cease / Connection Collision Resolution (§6.8, last
    /// paragraph).
    fn establish(&mut self, id: ConnId, now: Instant, out: &mut Vec<Output>) {
        let others: Vec<ConnId> = self
            .conns
            .iter()
            .map(|c| c.id)
            .filter(|&c| c != id)
            .collect();
        for other in others {
            self.close_with(other, cease_collision(), out);
        }
        let Some(conn) = self.conn_mut(id) else {
            return;
        };
        conn.phase = Phase::Established;
        conn.restart_hold(now);
        conn.restart_send_hold(now);
        if let Some(negotiated) = conn.negotiated.clone() {
            out.push(Output::Established {
                conn: id,
                negotiated,
            });
        }
        self.backoff.reset();
        self.open = our_open(&self.config, false);
    }

    /// Sends our OPEN on a new connection (→ OpenSent for it).
    fn add_conn(&mut self, id: ConnId, origin: Origin, now: Instant, out: &mut Vec<Output>) {
        out.push(Output::Send(id, Message::Open(self.open.clone())));
        self.conns.push(Conn::new(id, origin, now));
    }

    /// An error on a connection: NOTIFICATION, close; the session ends if it was the last.
    fn fail(&mut self, id: ConnId, n: Notification, now: Instant, out: &mut Vec<Output>) {
        self.close_with(id, n.clone(), out);
        if self.conns.is_empty() {
            self.session_lost(DownReason::Sent(n), now, out);
        }
    }

    /// Sends `n` on a connection, closes and forgets it.
    fn close_with(&mut self, id: ConnId, n: Notification, out: &mut Vec<Output>) {
        out.push(Output::Send(id, Message::Notification(n)));
        out.push(Output::Close(id));
        self.remove(id);
    }

    /// The last connection is gone: report why, abandon any attempt, and wait in Idle for
    /// the next backoff delay before the automatic restart (§8.1.1).
    fn session_lost(&mut self, reason: DownReason, now: Instant, out: &mut Vec<Output>) {
        if self.connecting {
            out.push(Output::CancelConnect);
            self.connecting = false;
            self.connect_timeout_at = None;
        }
        out.push(Output::Down(reason));
        self.retry_at = None;
        self.restart_at = after(now, Some(self.backoff.next_delay()));
    }

    fn has(&self, id: ConnId) -> bool {
        self.conns.iter().any(|c| c.id == id)
    }

    fn conn_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns.iter_mut().find(|c| c.id == id)
    }

    fn remove(&mut self, id: ConnId) -> Option<Conn> {
        let index = self.conns.iter().position(|c| c.id == id)?;
        Some(self.conns.remove(index))
    }
}

/// What to do with a ROUTE-REFRESH in Established: only a plain request (subtype 0, RFC 7313
/// §5; the BoRR/EoRR markers and unknown subtypes are ignored) for a negotiated family
/// (RFC 2918 §4: others are ignored) asks us to re-send.
fn refresh_request(conn: &Conn, rr: &RouteRefresh) -> Option<crate::types::Family> {
    let negotiated = conn.negotiated.as_ref()?;
    (rr.subtype == 0 && negotiated.wire.families.contains(&rr.family)).then_some(rr.family)
}

/// Finite State Machine Error with the RFC 6608 subcode; no data.
fn fsm_error(subcode: FsmSubcode) -> Notification {
    Notification::new(ErrorCode::Fsm(subcode), Bytes::new())
}

/// Cease / Connection Collision Resolution (RFC 4486 §4, subcode 7).
fn cease_collision() -> Notification {
    Notification::new(
        ErrorCode::Cease(CeaseSubcode::ConnectionCollisionResolution),
        Bytes::new(),
    )
}
