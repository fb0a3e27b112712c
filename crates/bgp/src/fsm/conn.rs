//! One TCP connection to the peer and its per-connection timers (hold, send hold and
//! keepalive).
//!
//! A connection exists from the moment TCP is up, at which point our OPEN has been sent, so
//! its state is always OpenSent, OpenConfirm or Established (RFC 4271 §8.2.2).

use std::time::Instant;

use super::collision::Origin;
use super::timers::after;
use super::{send_hold_time, ConnId, Negotiated, State, OPEN_HOLD_TIME};

/// Where a connection is in the OPEN exchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Phase {
    /// Our OPEN is sent; waiting for the peer's.
    OpenSent,
    /// The peer's OPEN is accepted and our KEEPALIVE sent; waiting for its KEEPALIVE.
    OpenConfirm,
    /// The session runs on this connection.
    Established,
}

impl From<Phase> for State {
    fn from(phase: Phase) -> State {
        match phase {
            Phase::OpenSent => State::OpenSent,
            Phase::OpenConfirm => State::OpenConfirm,
            Phase::Established => State::Established,
        }
    }
}

/// A connection and what is known about the session attempt on it.
#[derive(Clone, Debug)]
pub(crate) struct Conn {
    /// The driver's id for it.
    pub(crate) id: ConnId,
    /// Who opened it, for collision resolution.
    pub(crate) origin: Origin,
    /// Progress of the OPEN exchange.
    pub(crate) phase: Phase,
    /// Set once the peer's OPEN is accepted; its `wire` is how this connection is coded.
    pub(crate) negotiated: Option<Negotiated>,
    /// HoldTimer deadline (RFC 4271 §4.4, §10).
    pub(crate) hold_at: Option<Instant>,
    /// KeepaliveTimer deadline (RFC 4271 §4.4, §10).
    pub(crate) keepalive_at: Option<Instant>,
    /// SendHoldTimer deadline (RFC 9687 §3): runs in Established only.
    pub(crate) send_hold_at: Option<Instant>,
}

impl Conn {
    /// A connection on which our OPEN was just sent: OpenSent, with the hold timer at the
    /// large value RFC 4271 §8.2.2 suggests (4 minutes) and no keepalives yet.
    pub(crate) fn new(id: ConnId, origin: Origin, now: Instant) -> Self {
        Conn {
            id,
            origin,
            phase: Phase::OpenSent,
            negotiated: None,
            hold_at: after(now, Some(OPEN_HOLD_TIME)),
            keepalive_at: None,
            send_hold_at: None,
        }
    }

    /// Records the accepted OPEN: OpenConfirm, hold and keepalive timers from the negotiated
    /// hold time, neither running when it is zero (RFC 4271 §8.2.2, OpenSent, Event 19).
    pub(crate) fn confirm(&mut self, negotiated: Negotiated, now: Instant) {
        self.hold_at = after(now, negotiated.hold_time.duration());
        self.keepalive_at = after(now, negotiated.hold_time.keepalive());
        self.negotiated = Some(negotiated);
        self.phase = Phase::OpenConfirm;
    }

    /// Restarts the hold timer after a message from the peer (RFC 4271 §4.4).
    pub(crate) fn restart_hold(&mut self, now: Instant) {
        let hold = self
            .negotiated
            .as_ref()
            .and_then(|n| n.hold_time.duration());
        self.hold_at = after(now, hold);
    }

    /// Restarts the keepalive timer after a KEEPALIVE was sent (RFC 4271 §4.4).
    pub(crate) fn restart_keepalive(&mut self, now: Instant) {
        let keepalive = self
            .negotiated
            .as_ref()
            .and_then(|n| n.hold_time.keepalive());
        self.keepalive_at = after(now, keepalive);
    }

    /// Restarts the send hold timer: on entering Established, and each time the driver
    /// reports that what we queued reached the socket (RFC 9687 §3), at the time it did;
    /// never earlier than it already runs to. Stopped while the negotiated hold time is
    /// zero, and outside Established.
    pub(crate) fn restart_send_hold(&mut self, now: Instant) {
        if self.phase != Phase::Established {
            return;
        }
        let send_hold = self
            .negotiated
            .as_ref()
            .and_then(|n| send_hold_time(n.hold_time));
        let restarted = after(now, send_hold);
        // A write reported late (its time before the last restart) never shortens the timer.
        self.send_hold_at = match (self.send_hold_at, restarted) {
            (Some(current), Some(new)) => Some(current.max(new)),
            (_, new) => new,
        };
    }

    /// The earliest of this connection's deadlines.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        [self.hold_at, self.keepalive_at, self.send_hold_at]
            .into_iter()
            .flatten()
            .min()
    }
}
