//! The pure BGP session state machine (RFC 4271 §8): (state, input, now) → (state, outputs).
//!
//! No sockets and no clock: the driver feeds [`Input`]s with the current time, performs the
//! returned [`Output`]s in order, and calls [`Fsm::handle_timeout`] when [`Fsm::poll_timeout`]
//! is reached. Timers are plain deadlines held here. Up to two TCP connections to the peer may
//! exist at once (one outbound, one inbound) until collision detection (§6.8) keeps one.
//!
//! Layout: `machine` ([`Fsm`], the transitions), `conn` (one connection and its hold and
//! keepalive timers), `negotiate` (our OPEN, checks and capability negotiation of the
//! peer's), `collision` (§6.8 resolution), `backoff` (the jittered retry delays of
//! [`Backoff`]) and `timers` (deadlines as data).

mod backoff;
mod collision;
mod conn;
mod machine;
mod negotiate;
mod timers;

#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

pub use machine::Fsm;

use crate::config::GracefulRestartConfig;
use crate::types::{Asn, Family, HoldTime, RouterId};
use crate::wire::{Capability, DecodeError, Message, Notification, Update, WireContext};

/// The hold timer of a connection whose peer OPEN has not arrived yet: the "large value"
/// RFC 4271 §8.2.2 suggests (4 minutes).
pub const OPEN_HOLD_TIME: Duration = Duration::from_secs(240);

/// The least send hold time RFC 9687 §3 suggests: 8 minutes.
pub const MIN_SEND_HOLD_TIME: Duration = Duration::from_secs(480);

/// The send hold time of a session (RFC 9687 §3, the suggested default): the greater of
/// 8 minutes and twice the negotiated hold time; `None` (no timer) when the hold time is
/// zero.
pub fn send_hold_time(hold_time: HoldTime) -> Option<Duration> {
    let twice = hold_time.duration()?.saturating_mul(2);
    Some(twice.max(MIN_SEND_HOLD_TIME))
}

/// Identifies one TCP connection; assigned by the driver, never reused within a session task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnId(pub u64);

/// The session states of RFC 4271 §8.2.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Not trying to connect (stopped, or waiting out the backoff after an error).
    Idle,
    /// An outbound connection attempt is under way.
    Connect,
    /// Waiting for the peer to connect (passive), or for the retry timer.
    Active,
    /// OPEN sent, waiting for the peer's OPEN.
    OpenSent,
    /// OPENs exchanged, waiting for the peer's KEEPALIVE.
    OpenConfirm,
    /// Session up.
    Established,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Exponential backoff with jitter for ConnectRetry and automatic restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait.
    pub initial: Duration,
    /// The cap: waits never grow beyond it (jitter included).
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        }
    }
}

/// Per-peer settings the state machine needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsmConfig {
    /// Our AS.
    pub local_as: Asn,
    /// The AS the peer must have (checked against its OPEN, 4-octet aware).
    pub remote_as: Asn,
    /// Our BGP identifier.
    pub router_id: RouterId,
    /// The hold time we propose.
    pub hold_time: HoldTime,
    /// Never connect out; only accept the peer's connection.
    pub passive: bool,
    /// Families we announce the Multiprotocol capability for.
    pub families: Vec<Family>,
    /// Backoff for connection retries and for restarting after an error.
    pub backoff: Backoff,
    /// How long an outbound connection attempt may take before it is abandoned and retried
    /// after the backoff (the ConnectRetryTimer of state Connect, RFC 4271 §8.2.2).
    pub connect_timeout: Duration,
    /// Seed for backoff jitter (any value; fixed in tests).
    pub jitter_seed: u64,
    /// Graceful restart to announce, if enabled.
    pub graceful_restart: Option<GracefulRestartConfig>,
}

/// What was agreed when the session came up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// The peer's AS.
    pub peer_as: Asn,
    /// The peer's BGP identifier.
    pub peer_id: RouterId,
    /// The hold time in force: the minimum of both proposals.
    pub hold_time: HoldTime,
    /// How the codec reads and writes on this session.
    pub wire: WireContext,
    /// Both sides support ROUTE-REFRESH.
    pub route_refresh: bool,
    /// The capabilities the peer sent, as received.
    pub peer_capabilities: Vec<Capability>,
}

impl Negotiated {
    /// The peer sent the graceful restart capability (RFC 4724): it keeps our routes when
    /// the session ends without a NOTIFICATION.
    pub fn peer_graceful_restart(&self) -> bool {
        self.peer_capabilities
            .iter()
            .any(|c| matches!(c, Capability::GracefulRestart(_)))
    }
}

/// Something that happened, fed to [`Fsm::handle`].
// An input is built once and moved straight into `handle`; boxing the message would only
// add an allocation per received message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Start the session (ManualStart, or ManualStart with passive TCP when `passive`).
    Start,
    /// Stop the session for good: send this NOTIFICATION on every connection that has sent
    /// an OPEN (none: close without one, so that a peer that negotiated graceful restart
    /// keeps our routes), close them all, go to Idle and stay there (ManualStop).
    Stop(Option<Notification>),
    /// Reset the session (its forwarding path failed, RFC 5882 §3.2): send this NOTIFICATION
    /// on every connection that has sent an OPEN, close them all, and start again after the
    /// backoff, as after any error.
    Reset(Notification),
    /// Our outbound connection is up (TcpCRAcked).
    Connected(ConnId),
    /// The outbound connection attempt failed (TcpConnectionFails).
    ConnectFailed,
    /// The peer connected to us (TcpConnectionConfirmed).
    Accepted(ConnId),
    /// The connection was closed or reset by the peer, or failed.
    Closed(ConnId),
    /// A whole message was decoded on a connection.
    Received(ConnId, Message),
    /// A message on a connection could not be decoded.
    Malformed(ConnId, DecodeError),
    /// Bytes we queued on a connection reached its socket at the time given to
    /// [`Fsm::handle`]: the peer is reading. Restarts the send hold timer (RFC 9687); a
    /// session that gets none of these for the send hold time ([`send_hold_time`]) is closed
    /// with NOTIFICATION Send Hold Timer Expired and restarts after the backoff.
    Written(ConnId),
}

/// Something the driver must do, returned by [`Fsm::handle`] in the order to do it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Open an outbound TCP connection to the peer; report `Connected` or `ConnectFailed`.
    Connect,
    /// Abandon the outbound connection attempt under way, if any.
    CancelConnect,
    /// Send a message on a connection.
    Send(ConnId, Message),
    /// Close a connection once what was sent on it is flushed.
    Close(ConnId),
    /// The session is up on `conn`: send the whole Adj-RIB-Out, then End-of-RIB.
    Established {
        /// The connection kept.
        conn: ConnId,
        /// What was agreed.
        negotiated: Negotiated,
    },
    /// The session ended: it left Established, or the last connection of an attempt
    /// (OpenSent or OpenConfirm) failed or closed. Not preceded by `Established` in the
    /// second case. [`Input::Stop`] reports it only for an Established session.
    Down(DownReason),
    /// An UPDATE from the peer in Established (to validate and count; never stored).
    Update(Update),
    /// The peer asked for our routes of a family again (RFC 2918).
    RouteRefresh(Family),
}

/// Why a session (or an attempt) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DownReason {
    /// We sent this NOTIFICATION (an error on our side of the check, or a stop).
    Sent(Notification),
    /// The peer sent this NOTIFICATION.
    Received(Notification),
    /// The connection closed without a NOTIFICATION.
    ConnectionClosed,
    /// We closed it without a NOTIFICATION, for a graceful restart.
    Restarting,
}

impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownReason::Sent(n) => write!(f, "sent notification: {n}"),
            DownReason::Received(n) => write!(f, "received notification: {n}"),
            DownReason::ConnectionClosed => f.write_str("connection closed"),
            DownReason::Restarting => f.write_str("closed for a graceful restart"),
        }
    }
}
