//! The crate's error type. Received packets that fail a check are not errors but
//! [`crate::Discard`] reasons: counted and logged, never answered.

use std::net::{IpAddr, SocketAddr};

/// Errors from setting up or driving BFD sessions.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The receive socket on UDP port 3784 could not be set up.
    #[error("cannot receive BFD on {addr}: {source}")]
    Listen {
        /// The address and port.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// No source port in 49152–65535 could be bound for a session (RFC 5881 §4).
    #[error("cannot bind a BFD source port for peer {peer}: {source}")]
    SourcePort {
        /// The peer.
        peer: IpAddr,
        /// The last failure.
        source: std::io::Error,
    },
    /// A peer configured twice.
    #[error("BFD peer {0} is configured twice")]
    DuplicatePeer(IpAddr),
    /// The thread or runtime of the BFD task could not be started.
    #[error("cannot start the BFD task: {0}")]
    Runtime(std::io::Error),
    /// The driver task has stopped.
    #[error("the BFD task has stopped")]
    Stopped,
}
