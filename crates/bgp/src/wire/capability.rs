//! Capabilities (RFC 5492) carried in OPEN.

use bytes::Bytes;

use crate::types::{Asn, Family};

/// One capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Multiprotocol extensions (code 1, RFC 4760).
    Multiprotocol(Family),
    /// Route refresh (code 2, RFC 2918).
    RouteRefresh,
    /// Graceful restart (code 64, RFC 4724).
    GracefulRestart(GracefulRestart),
    /// 4-octet AS number (code 65, RFC 6793).
    FourOctetAs(Asn),
    /// Any other capability, kept as received.
    Unknown {
        /// Capability code.
        code: u8,
        /// Capability value.
        value: Bytes,
    },
}

/// The graceful restart capability value (RFC 4724 §3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestart {
    /// The Restart State (R) bit: the sender has restarted.
    pub restart_state: bool,
    /// The Graceful Notification (N) bit (RFC 8538).
    pub notification: bool,
    /// Restart time in seconds (12 bits).
    pub restart_time: u16,
    /// Families whose routes the sender can keep across a restart.
    pub families: Vec<GracefulRestartFamily>,
}

/// One AFI/SAFI entry of the graceful restart capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestartFamily {
    /// The family.
    pub family: Family,
    /// Forwarding state preserved (F bit).
    pub forwarding_preserved: bool,
}
