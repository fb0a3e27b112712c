//! What a session reports: its status (watched) and its up/down events (broadcast).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use crate::fsm::{DownReason, Negotiated, State};
use crate::types::Asn;
use crate::wire::MessageType;

/// The latest view of one peer.
#[derive(Clone, Debug)]
pub struct PeerStatus {
    /// The configured name.
    pub name: String,
    /// The peer's address.
    pub address: IpAddr,
    /// The peer's configured AS.
    pub remote_as: Asn,
    /// The FSM state.
    pub state: State,
    /// When the session came up, while it is up.
    pub established_at: Option<Instant>,
    /// What was negotiated, while up.
    pub negotiated: Option<Negotiated>,
    /// Routes the peer has from us now.
    pub routes_advertised: usize,
    /// UPDATE messages received on all sessions.
    pub updates_received: u64,
    /// Routes the peer advertised to us (counted, never stored).
    pub prefixes_received: u64,
    /// Routes the peer withdrew.
    pub withdrawals_received: u64,
    /// The last reason a session or attempt failed.
    pub last_error: Option<String>,
    /// When `last_error` happened.
    pub last_error_at: Option<SystemTime>,
    /// Messages sent, by type, on every connection so far.
    pub messages_sent: MessageCounts,
    /// Messages received, by type, on every connection so far.
    pub messages_received: MessageCounts,
    /// NOTIFICATIONs sent, by error code.
    pub notifications_sent: BTreeMap<u8, u64>,
    /// How many times the session left Established.
    pub flaps: u64,
}

/// Messages by type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MessageCounts {
    /// OPEN.
    pub open: u64,
    /// UPDATE.
    pub update: u64,
    /// NOTIFICATION.
    pub notification: u64,
    /// KEEPALIVE.
    pub keepalive: u64,
    /// ROUTE-REFRESH.
    pub route_refresh: u64,
}

impl MessageCounts {
    /// Counts one message of `kind`.
    pub fn add(&mut self, kind: MessageType) {
        let count = match kind {
            MessageType::Open => &mut self.open,
            MessageType::Update => &mut self.update,
            MessageType::Notification => &mut self.notification,
            MessageType::Keepalive => &mut self.keepalive,
            MessageType::RouteRefresh => &mut self.route_refresh,
        };
        *count = count.saturating_add(1);
    }

    /// Each type with its count.
    pub fn by_type(&self) -> [(MessageType, u64); 5] {
        [
            (MessageType::Open, self.open),
            (MessageType::Update, self.update),
            (MessageType::Notification, self.notification),
            (MessageType::Keepalive, self.keepalive),
            (MessageType::RouteRefresh, self.route_refresh),
        ]
    }
}

impl PeerStatus {
    /// The status of a peer that has not started.
    pub fn new(name: String, address: IpAddr, remote_as: Asn) -> Self {
        PeerStatus {
            name,
            address,
            remote_as,
            state: State::Idle,
            established_at: None,
            negotiated: None,
            routes_advertised: 0,
            updates_received: 0,
            prefixes_received: 0,
            withdrawals_received: 0,
            last_error: None,
            last_error_at: None,
            messages_sent: MessageCounts::default(),
            messages_received: MessageCounts::default(),
            notifications_sent: BTreeMap::new(),
            flaps: 0,
        }
    }

    /// How long the session has been up.
    pub fn uptime(&self) -> Option<Duration> {
        self.established_at.map(|t| t.elapsed())
    }
}

/// A session coming up or going down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session with `peer` is Established and our routes are sent.
    Up {
        /// The peer's address.
        peer: IpAddr,
    },
    /// The session with `peer` left Established.
    Down {
        /// The peer's address.
        peer: IpAddr,
        /// Why.
        reason: DownReason,
    },
}
