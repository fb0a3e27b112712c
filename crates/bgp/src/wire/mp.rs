//! MP_REACH_NLRI and MP_UNREACH_NLRI values (RFC 4760 §3-4) for IPv4 and IPv6.
//!
//! ```text
//! MP_REACH_NLRI                              MP_UNREACH_NLRI
//! +-------------------------------------+    +-------------------------------------+
//! | AFI (2) | SAFI (1)                  |    | AFI (2) | SAFI (1)                  |
//! +-------------------------------------+    +-------------------------------------+
//! | Next Hop Length (1)                 |    | Withdrawn Routes (variable)         |
//! +-------------------------------------+    +-------------------------------------+
//! | Next Hop (4, 16 or 16+16 octets)    |
//! +-------------------------------------+
//! | Reserved (1)                        |
//! +-------------------------------------+
//! | NLRI (variable)                     |
//! +-------------------------------------+
//! ```
//!
//! A family not negotiated is not parsed: the attribute is ignored and recorded as
//! [`FaultAction::FamilyIgnored`]. A peer is to send only families both sides announced in
//! the Multiprotocol capability (RFC 4760 §8); for any other we take RFC 4760 §7's answer to
//! an incorrect MP attribute without its optional session reset: the family's routes are
//! ignored (there are none to delete, as none were ever accepted).
//! A malformed attribute of a negotiated family resets the session: the next hop precedes the
//! NLRI, so a wrong next hop length leaves the NLRI unlocatable (RFC 7606 §7.11), and an
//! unparseable NLRI cannot be withdrawn (RFC 7606 §5.3); the NOTIFICATION is UPDATE Message
//! Error / Optional Attribute Error with the attribute as data (RFC 4760 §7).

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::nlri::{decode_prefixes, max_prefix_len, prefixes_len, write_prefixes, NlriField};
use super::reader::{take, take_array};
use super::sink::{len_u8, Sink};
#[cfg(doc)]
use super::FaultAction;
use super::{code, DecodeError, MpNextHop, MpReach, MpUnreach, WireContext};
use crate::types::{Afi, Family};

/// The result of reading an MP attribute: its value, or the family that was ignored.
#[derive(Debug)]
pub(crate) enum MpOutcome<T> {
    /// Parsed.
    Parsed(T),
    /// Not negotiated or not a family we parse.
    Ignored(Family),
}

/// Reads AFI and SAFI.
fn read_family(rest: &mut &[u8], type_code: u8, attribute: &[u8]) -> Result<Family, DecodeError> {
    let Some([afi_hi, afi_lo, safi]) = take_array::<3>(rest) else {
        return Err(DecodeError::MpAttributeTruncated {
            type_code,
            attribute: Bytes::copy_from_slice(attribute),
        });
    };
    Ok(Family {
        afi: u16::from_be_bytes([afi_hi, afi_lo]).into(),
        safi: safi.into(),
    })
}

/// The longest prefix of `family` when its NLRI is to be parsed: negotiated and IPv4 or IPv6.
fn parsed_max_len(family: Family, ctx: &WireContext) -> Option<u8> {
    max_prefix_len(family.afi).filter(|_| ctx.families.contains(&family))
}

/// Decodes an MP_REACH_NLRI value; `attribute` is the whole attribute, for the NOTIFICATION.
pub(crate) fn decode_mp_reach(
    value: &[u8],
    attribute: &[u8],
    ctx: &WireContext,
) -> Result<MpOutcome<MpReach>, DecodeError> {
    let mut rest = value;
    let family = read_family(&mut rest, code::MP_REACH, attribute)?;
    let Some(max) = parsed_max_len(family, ctx) else {
        return Ok(MpOutcome::Ignored(family));
    };
    let truncated = || DecodeError::MpAttributeTruncated {
        type_code: code::MP_REACH,
        attribute: Bytes::copy_from_slice(attribute),
    };
    let [nh_len] = take_array::<1>(&mut rest).ok_or_else(truncated)?;
    let nh = take(&mut rest, usize::from(nh_len)).ok_or_else(truncated)?;
    let next_hop = match (family.afi, nh) {
        (Afi::Ipv4, &[a, b, c, d]) => Some(MpNextHop::V4(Ipv4Addr::new(a, b, c, d))),
        (Afi::Ipv6, nh) => ipv6_next_hop(nh),
        _ => None,
    }
    .ok_or_else(|| DecodeError::MpNextHopLength {
        family,
        length: nh_len,
        attribute: Bytes::copy_from_slice(attribute),
    })?;
    take_array::<1>(&mut rest).ok_or_else(truncated)?;
    let nlri = decode_prefixes(rest, max).map_err(|f| DecodeError::MpInvalidPrefix {
        field: NlriField::MpReach,
        family,
        prefix_len: f.prefix_len,
        too_long: f.too_long,
        attribute: Bytes::copy_from_slice(attribute),
    })?;
    Ok(MpOutcome::Parsed(MpReach {
        family,
        next_hop,
        nlri,
    }))
}

/// A 16-byte global or 32-byte global + link-local next hop (RFC 2545 §3).
fn ipv6_next_hop(nh: &[u8]) -> Option<MpNextHop> {
    let mut rest = nh;
    let global = Ipv6Addr::from(take_array::<16>(&mut rest)?);
    let link_local = match rest.len() {
        0 => None,
        16 => Some(Ipv6Addr::from(take_array::<16>(&mut rest)?)),
        _ => return None,
    };
    Some(MpNextHop::V6 { global, link_local })
}

/// Decodes an MP_UNREACH_NLRI value.
pub(crate) fn decode_mp_unreach(
    value: &[u8],
    attribute: &[u8],
    ctx: &WireContext,
) -> Result<MpOutcome<MpUnreach>, DecodeError> {
    let mut rest = value;
    let family = read_family(&mut rest, code::MP_UNREACH, attribute)?;
    let Some(max) = parsed_max_len(family, ctx) else {
        return Ok(MpOutcome::Ignored(family));
    };
    let withdrawn = decode_prefixes(rest, max).map_err(|f| DecodeError::MpInvalidPrefix {
        field: NlriField::MpUnreach,
        family,
        prefix_len: f.prefix_len,
        too_long: f.too_long,
        attribute: Bytes::copy_from_slice(attribute),
    })?;
    Ok(MpOutcome::Parsed(MpUnreach { family, withdrawn }))
}

impl MpNextHop {
    /// Size of the next hop field.
    fn len(&self) -> usize {
        match self {
            MpNextHop::V4(_) => 4,
            MpNextHop::V6 {
                link_local: None, ..
            } => 16,
            MpNextHop::V6 {
                link_local: Some(_),
                ..
            } => 32,
        }
    }
}

/// Writes an MP_REACH_NLRI value.
pub(crate) fn write_mp_reach(reach: &MpReach, s: &mut dyn Sink) {
    s.put_u16(reach.family.afi.into());
    s.put_u8(reach.family.safi.into());
    s.put_u8(len_u8(reach.next_hop.len()));
    match reach.next_hop {
        MpNextHop::V4(a) => s.put_slice(&a.octets()),
        MpNextHop::V6 { global, link_local } => {
            s.put_slice(&global.octets());
            if let Some(ll) = link_local {
                s.put_slice(&ll.octets());
            }
        }
    }
    s.put_u8(0);
    write_prefixes(&reach.nlri, s);
}

/// Size of an MP_REACH_NLRI value.
pub(crate) fn mp_reach_len(reach: &MpReach) -> usize {
    5 + reach.next_hop.len() + prefixes_len(&reach.nlri)
}

/// Writes an MP_UNREACH_NLRI value.
pub(crate) fn write_mp_unreach(unreach: &MpUnreach, s: &mut dyn Sink) {
    s.put_u16(unreach.family.afi.into());
    s.put_u8(unreach.family.safi.into());
    write_prefixes(&unreach.withdrawn, s);
}

/// Size of an MP_UNREACH_NLRI value.
pub(crate) fn mp_unreach_len(unreach: &MpUnreach) -> usize {
    3 + prefixes_len(&unreach.withdrawn)
}
