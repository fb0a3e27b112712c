//! Our OPEN, and the checks and capability negotiation applied to the peer's OPEN.
//!
//! Pure functions of the configuration and one OPEN. What the codec already rejects (version,
//! hold time 1–2, BGP identifier 0) is not checked again here.

use bytes::Bytes;

use super::{FsmConfig, Negotiated};
use crate::types::Family;
use crate::wire::{
    Capability, ErrorCode, GracefulRestart, GracefulRestartFamily, Notification, Open, OpenSubcode,
    WireContext,
};

/// The OPEN we send (RFC 4271 §4.2): "My AS" is AS_TRANS for a 4-octet AS (RFC 6793 §4.1);
/// capabilities (RFC 5492) are Multiprotocol per configured family (RFC 4760), Route Refresh
/// (RFC 2918), 4-octet AS (RFC 6793) and, when enabled, Graceful Restart (RFC 4724) with the
/// Restart State bit as `restart_state` says and every family's forwarding state preserved
/// (our "forwarding" is the VIP on the host, which a restart of the daemon leaves in place).
pub(crate) fn our_open(config: &FsmConfig, restart_state: bool) -> Open {
    let mut capabilities: Vec<Capability> = config
        .families
        .iter()
        .copied()
        .map(Capability::Multiprotocol)
        .collect();
    capabilities.push(Capability::RouteRefresh);
    capabilities.push(Capability::FourOctetAs(config.local_as));
    if let Some(gr) = config.graceful_restart {
        capabilities.push(Capability::GracefulRestart(GracefulRestart {
            restart_state,
            notification: false,
            restart_time: gr.restart_time,
            families: config
                .families
                .iter()
                .map(|&family| GracefulRestartFamily {
                    family,
                    forwarding_preserved: true,
                })
                .collect(),
        }));
    }
    Open {
        my_as: config.local_as.to_u16_or_trans(),
        hold_time: config.hold_time,
        router_id: config.router_id,
        capabilities,
    }
}

/// Checks the peer's OPEN and computes what the session runs with, or the NOTIFICATION to
/// answer it with.
///
/// - Peer AS (RFC 4271 §6.2, RFC 6793 §4.1): the 4-octet AS capability when present, else
///   "My AS"; so an AS_TRANS "My AS" without the capability is AS 23456 and fails unless that
///   is really the configured AS. Mismatch → OPEN error / Bad Peer AS.
/// - BGP identifier (RFC 6286 §2.2): on an internal session, the peer's identifier equal to
///   ours → OPEN error / Bad BGP Identifier. (Equal identifiers are legal on eBGP.)
/// - Hold time: the minimum of both (RFC 4271 §4.2).
/// - 4-octet AS: both sent the capability (we always do).
/// - Families: the intersection of both sides' Multiprotocol capabilities, where a side that
///   sends none implies IPv4 unicast only (RFC 4760 §8). An empty intersection keeps the
///   session up (nothing can be exchanged; RFC 5492 makes refusing optional).
/// - Route refresh: both sent the capability (we always do).
pub(crate) fn negotiate(config: &FsmConfig, open: &Open) -> Result<Negotiated, Notification> {
    let peer_as = open.asn();
    if peer_as != config.remote_as {
        return Err(open_error(OpenSubcode::BadPeerAs));
    }
    if config.remote_as == config.local_as && open.router_id == config.router_id {
        return Err(open_error(OpenSubcode::BadBgpIdentifier));
    }
    let ours = implied_families(&config.families);
    let peer_families: Vec<Family> = open
        .capabilities
        .iter()
        .filter_map(|c| match c {
            Capability::Multiprotocol(f) => Some(*f),
            _ => None,
        })
        .collect();
    let theirs = implied_families(&peer_families);
    let mut families: Vec<Family> = Vec::with_capacity(ours.len());
    for family in ours {
        if theirs.contains(&family) && !families.contains(&family) {
            families.push(family);
        }
    }
    let has = |wanted: fn(&Capability) -> bool| open.capabilities.iter().any(wanted);
    Ok(Negotiated {
        peer_as,
        peer_id: open.router_id,
        hold_time: config.hold_time.negotiate(open.hold_time),
        wire: WireContext {
            four_octet_as: has(|c| matches!(c, Capability::FourOctetAs(_))),
            families,
        },
        route_refresh: has(|c| matches!(c, Capability::RouteRefresh)),
        peer_capabilities: open.capabilities.clone(),
    })
}

/// The families a side's Multiprotocol capabilities stand for: none at all means plain
/// RFC 4271 BGP, i.e. IPv4 unicast only (RFC 4760 §8).
fn implied_families(announced: &[Family]) -> Vec<Family> {
    if announced.is_empty() {
        vec![Family::IPV4_UNICAST]
    } else {
        announced.to_vec()
    }
}

/// An OPEN Message Error with no data (RFC 4271 §6.2).
fn open_error(subcode: OpenSubcode) -> Notification {
    Notification::new(ErrorCode::Open(subcode), Bytes::new())
}
