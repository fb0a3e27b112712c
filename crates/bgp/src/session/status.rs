//! What a session reports: its status (watched) and its up/down events (broadcast).

use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime};

use crate::fsm::{DownReason, Negotiated, State};
use crate::types::Asn;

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
