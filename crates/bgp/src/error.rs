//! The crate's error type.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Errors from configuring or driving the speaker. Wire decode errors are
/// [`crate::wire::DecodeError`], which maps to a NOTIFICATION instead.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A BGP identifier of 0.0.0.0.
    #[error("invalid router id {0}: must not be 0.0.0.0")]
    InvalidRouterId(Ipv4Addr),
    /// A hold time of 1 or 2 seconds.
    #[error("invalid hold time {0}s: must be 0 or at least 3 seconds")]
    InvalidHoldTime(u16),
    /// A prefix length longer than the address.
    #[error("invalid prefix length /{len} for {addr}")]
    InvalidPrefixLength {
        /// The address given.
        addr: IpAddr,
        /// The length given.
        len: u8,
    },
    /// Text that does not parse as a prefix.
    #[error("invalid prefix {0:?}")]
    InvalidPrefix(String),
    /// A message that would exceed the 4,096-byte limit (RFC 4271 §4).
    #[error("message of {0} bytes exceeds the 4096-byte BGP maximum")]
    MessageTooLong(usize),
    /// OPEN capabilities that do not fit in the 255-byte Optional Parameters field
    /// (RFC 4271 §4.2; the RFC 9072 extended form is not supported).
    #[error("OPEN optional parameters of {0} bytes exceed the 255-byte limit")]
    OptionalParametersTooLong(usize),
    /// A route change for a peer that is not configured.
    #[error("no peer {0} is configured")]
    UnknownPeer(IpAddr),
    /// A peer added twice.
    #[error("peer {0} is configured twice")]
    DuplicatePeer(IpAddr),
    /// A peer's session task has stopped (the speaker is shutting down).
    #[error("the session with {0} has stopped")]
    SessionGone(IpAddr),
    /// The listener could not be set up.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address to listen on.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}
