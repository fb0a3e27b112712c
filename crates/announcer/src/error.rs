//! The binary's error type and the exit status each error gives.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::control::client::ClientError;
use crate::control::server::ServerError;
use crate::maintenance::StateError;

/// Everything that can stop a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration is invalid (exit status 2).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// No router id configured and none to be found (exit status 2).
    #[error("{0}: [bgp] router_id is not set and this host has no global IPv4 address to use; set router_id")]
    NoRouterId(PathBuf),
    /// The daemon could not be reached or answered nonsense.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The daemon refused the request.
    #[error("{0}")]
    Refused(String),
    /// The metrics endpoint could not listen.
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        /// `[metrics] listen`.
        addr: std::net::SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// `status --check`: peers not Established or VIPs not announced that should be.
    #[error("not healthy: {}", .0.join("; "))]
    Unhealthy(Vec<String>),
    /// The control socket could not be set up.
    #[error(transparent)]
    Control(#[from] ServerError),
    /// The maintenance state could not be read.
    #[error("maintenance state: {0}")]
    State(#[from] StateError),
    /// Address binding is not possible.
    #[error("netlink: {0}")]
    Netlink(#[from] announcer_netlink::Error),
    /// The BGP speaker could not start.
    #[error("bgp: {0}")]
    Bgp(#[from] announcer_bgp::Error),
    /// The BFD sessions could not start.
    #[error("bfd: {0}")]
    Bfd(#[from] announcer_bfd::Error),
    /// The runtime or signal handling could not start.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
}

impl Error {
    /// The exit status: 2 for configuration errors, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::NoRouterId(_) => 2,
            _ => 1,
        }
    }
}
