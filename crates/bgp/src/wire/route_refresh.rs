//! ROUTE-REFRESH (RFC 2918 §3; the reserved octet is the RFC 7313 message subtype).

use crate::types::Family;

/// A ROUTE-REFRESH message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRefresh {
    /// The family whose routes the peer asks us to re-send.
    pub family: Family,
    /// The reserved / subtype octet (0 = normal request, RFC 7313).
    pub subtype: u8,
}
