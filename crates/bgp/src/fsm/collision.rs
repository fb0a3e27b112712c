//! Connection collision resolution (RFC 4271 §6.8, RFC 6286 §2.3): which of two connections
//! to the same peer survives.

use crate::types::{Asn, RouterId};

/// Who opened a TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    /// We connected out (`Input::Connected`).
    Local,
    /// The peer connected to us (`Input::Accepted`).
    Remote,
}

/// The side whose connection must be closed when both connections exist.
///
/// The connection initiated by the speaker with the higher BGP identifier, compared as a
/// 32-bit unsigned integer, is kept (RFC 4271 §6.8). When the identifiers are equal (legal
/// between different ASes), the one initiated by the speaker with the higher AS number is
/// kept (RFC 6286 §2.3).
pub(crate) fn loser(
    local_id: RouterId,
    local_as: Asn,
    remote_id: RouterId,
    remote_as: Asn,
) -> Origin {
    let local = (local_id.to_u32(), local_as.get());
    let remote = (remote_id.to_u32(), remote_as.get());
    if local < remote {
        Origin::Local
    } else {
        Origin::Remote
    }
}
