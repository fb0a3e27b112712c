//! Messages from raw `arbitrary` values, for the `roundtrip` target, and what decoding their
//! encoding must give back.
//!
//! [`context_and_message`] maps bytes onto model values the encoder can write as they are
//! and the decoder reads back without faults, the way the speaker builds its own messages:
//! prefixes of the field's address family, MP attributes only for negotiated families with a
//! next hop of that family's size, raw attributes only of type codes the codec does not model
//! (flags Optional | Transitive | Partial, as the decoder keeps them), capabilities with at
//! most one 4-octet AS and one graceful restart value (RFC 5492 §4), error codes in the form
//! [`ErrorCode::from_octets`] gives, the mandatory attributes whenever routes are advertised
//! (RFC 4271 §5), and AS_PATH segments of 1 to 255 ASNs (the encoder splits longer ones).
//! Lengths are left free: a message over 4,096 bytes must fail to encode, and
//! [`expected`] gives the rest of the encoder's rewriting.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use announcer_bgp::wire::{
    Aggregator, AsPath, AsSegment, Capability, Community, ErrorCode, GracefulRestart,
    GracefulRestartFamily, LargeCommunity, Message, MpNextHop, MpReach, MpUnreach, Notification,
    Open, Origin, PathAttributes, RawAttribute, RouteRefresh, Update, WireContext,
};
use announcer_bgp::{Afi, Asn, Family, HoldTime, Prefix, RouterId};
use arbitrary::{Error, Result, Unstructured};
use bytes::Bytes;

use crate::context_from_byte;

/// Path attribute type codes the codec models; raw attributes use any other code.
const MODELLED_ATTRIBUTES: [u8; 13] = [1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 17, 18, 32];
/// Capability codes the codec decodes into their own variants.
const KNOWN_CAPABILITIES: [u8; 4] = [1, 2, 64, 65];
/// Optional | Transitive | Partial: the flags of every raw attribute the decoder keeps.
const RAW_FLAGS: u8 = 0xe0;
/// Most ASNs in one generated AS_PATH segment (the most one segment can hold).
const MAX_SEGMENT: usize = 255;

/// A context (from one byte, as in the `decode` target) and a message to encode with it.
pub fn context_and_message(u: &mut Unstructured<'_>) -> Result<(WireContext, Message)> {
    let ctx = context_from_byte(u.arbitrary()?);
    let message = match u.int_in_range(0u8..=7)? {
        0 => Message::Open(open(u)?),
        1 => Message::Notification(notification(u)?),
        2 => Message::Keepalive,
        3 => Message::RouteRefresh(RouteRefresh {
            family: family(u)?,
            subtype: u.arbitrary()?,
        }),
        _ => Message::Update(update(u, &ctx)?),
    };
    Ok((ctx, message))
}

/// What decoding `message` encoded with `ctx` gives: the message itself, except for the
/// RFC 6793 §4.2.2 rewriting of UPDATEs. In a 4-octet context AS4_PATH and AS4_AGGREGATOR
/// are not sent. In a 2-octet context 4-octet ASNs in AS_PATH and AGGREGATOR become AS_TRANS,
/// and AS4_PATH (without confederation segments, and not at all when none other is left)
/// and AS4_AGGREGATOR carry the real values, derived from AS_PATH and AGGREGATOR when not
/// set.
pub fn expected(message: Message, ctx: &WireContext) -> Message {
    let Message::Update(mut update) = message else {
        return message;
    };
    let attrs = &mut update.attributes;
    if ctx.four_octet_as {
        attrs.as4_path = None;
        attrs.as4_aggregator = None;
        return Message::Update(update);
    }
    let derived_path = attrs.as_path.clone().filter(AsPath::has_four_octet_asn);
    attrs.as4_path = attrs
        .as4_path
        .take()
        .or(derived_path)
        .and_then(AsPath::without_confed);
    let derived_aggregator = attrs.aggregator.filter(|a| a.asn.is_four_octet());
    attrs.as4_aggregator = attrs.as4_aggregator.or(derived_aggregator);
    if let Some(path) = attrs.as_path.as_mut() {
        for segment in &mut path.segments {
            let (AsSegment::Set(asns)
            | AsSegment::Sequence(asns)
            | AsSegment::ConfedSequence(asns)
            | AsSegment::ConfedSet(asns)) = segment;
            for asn in asns {
                *asn = Asn::new(u32::from(asn.to_u16_or_trans()));
            }
        }
    }
    if let Some(aggregator) = attrs.aggregator.as_mut() {
        aggregator.asn = Asn::new(u32::from(aggregator.asn.to_u16_or_trans()));
    }
    Message::Update(update)
}

/// Up to `max` values from `item`, fewer when the input runs out.
fn list<T>(
    u: &mut Unstructured<'_>,
    max: usize,
    mut item: impl FnMut(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let count = u.int_in_range(0..=max)?;
    (0..count).map(|_| item(u)).collect()
}

/// Up to `max` raw bytes.
fn bytes(u: &mut Unstructured<'_>, max: usize) -> Result<Bytes> {
    let len = u.arbitrary_len::<u8>()?.min(max);
    Ok(Bytes::copy_from_slice(u.bytes(len)?))
}

/// Any AFI/SAFI pair.
fn family(u: &mut Unstructured<'_>) -> Result<Family> {
    Ok(Family {
        afi: u.arbitrary::<u16>()?.into(),
        safi: u.arbitrary::<u8>()?.into(),
    })
}

/// An OPEN whose single-valued capabilities each have one value.
fn open(u: &mut Unstructured<'_>) -> Result<Open> {
    let four_octet_as = Asn::new(u.arbitrary()?);
    let graceful_restart = GracefulRestart {
        restart_state: u.arbitrary()?,
        notification: u.arbitrary()?,
        restart_time: u.arbitrary::<u16>()? & 0x0fff,
        families: list(u, 8, |u| {
            Ok(GracefulRestartFamily {
                family: family(u)?,
                forwarding_preserved: u.arbitrary()?,
            })
        })?,
    };
    let capabilities = list(u, 12, |u| {
        Ok(match u.int_in_range(0u8..=4)? {
            0 => Capability::Multiprotocol(family(u)?),
            1 => Capability::RouteRefresh,
            2 => Capability::GracefulRestart(graceful_restart.clone()),
            3 => Capability::FourOctetAs(four_octet_as),
            _ => Capability::Unknown {
                code: u.arbitrary::<u8>().map(|c| {
                    if KNOWN_CAPABILITIES.contains(&c) {
                        0
                    } else {
                        c
                    }
                })?,
                value: bytes(u, 64)?,
            },
        })
    })?;
    let router_id = Ipv4Addr::from(u.arbitrary::<u32>()?.max(1));
    Ok(Open {
        my_as: u.arbitrary()?,
        hold_time: HoldTime::new(u.arbitrary()?).unwrap_or(HoldTime::DEFAULT),
        router_id: RouterId::new(router_id).map_err(|_| Error::IncorrectFormat)?,
        capabilities,
    })
}

/// A NOTIFICATION with any code, subcode and data.
fn notification(u: &mut Unstructured<'_>) -> Result<Notification> {
    let code = ErrorCode::from_octets(u.arbitrary()?, u.arbitrary()?);
    Ok(Notification::new(code, bytes(u, usize::MAX)?))
}

/// A prefix of `afi` (IPv4 for anything but IPv6).
fn prefix(u: &mut Unstructured<'_>, afi: Afi) -> Result<Prefix> {
    let (addr, max) = if afi == Afi::Ipv6 {
        (IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?)), 128)
    } else {
        (IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?)), 32)
    };
    Prefix::new(addr, u.int_in_range(0..=max)?).map_err(|_| Error::IncorrectFormat)
}

/// Up to `max` prefixes of `afi`.
fn prefixes(u: &mut Unstructured<'_>, afi: Afi, max: usize) -> Result<Vec<Prefix>> {
    list(u, max, |u| prefix(u, afi))
}

/// An AS_PATH or AS4_PATH of up to four segments of any type.
fn as_path(u: &mut Unstructured<'_>) -> Result<AsPath> {
    let segments = list(u, 4, |u| {
        let count = u.int_in_range(1..=MAX_SEGMENT)?;
        let asns = (0..count)
            .map(|_| u.arbitrary().map(Asn::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(match u.int_in_range(0u8..=3)? {
            0 => AsSegment::Set(asns),
            1 => AsSegment::Sequence(asns),
            2 => AsSegment::ConfedSequence(asns),
            _ => AsSegment::ConfedSet(asns),
        })
    })?;
    Ok(AsPath { segments })
}

/// An AGGREGATOR or AS4_AGGREGATOR.
fn aggregator(u: &mut Unstructured<'_>) -> Result<Aggregator> {
    Ok(Aggregator {
        asn: Asn::new(u.arbitrary()?),
        address: Ipv4Addr::from(u.arbitrary::<u32>()?),
    })
}

/// `Some(item)` or `None`, as the input says.
fn maybe<T>(
    u: &mut Unstructured<'_>,
    item: impl FnOnce(&mut Unstructured<'_>) -> Result<T>,
) -> Result<Option<T>> {
    Ok(if u.arbitrary()? { Some(item(u)?) } else { None })
}

/// A negotiated family of `ctx` for an MP attribute, if any is negotiated.
fn mp_family(u: &mut Unstructured<'_>, ctx: &WireContext) -> Result<Option<Family>> {
    if ctx.families.is_empty() || !u.arbitrary::<bool>()? {
        return Ok(None);
    }
    u.choose(&ctx.families).map(|f| Some(*f))
}

/// An UPDATE that advertises only with the mandatory attributes present.
fn update(u: &mut Unstructured<'_>, ctx: &WireContext) -> Result<Update> {
    let withdrawn = prefixes(u, Afi::Ipv4, 16)?;
    let nlri = prefixes(u, Afi::Ipv4, 16)?;
    let mp_reach = match mp_family(u, ctx)? {
        None => None,
        Some(family) => Some(MpReach {
            family,
            next_hop: if family.afi == Afi::Ipv6 {
                MpNextHop::V6 {
                    global: Ipv6Addr::from(u.arbitrary::<u128>()?),
                    link_local: maybe(u, |u| u.arbitrary::<u128>().map(Ipv6Addr::from))?,
                }
            } else {
                MpNextHop::V4(Ipv4Addr::from(u.arbitrary::<u32>()?))
            },
            nlri: prefixes(u, family.afi, 16)?,
        }),
    };
    let mp_unreach = match mp_family(u, ctx)? {
        None => None,
        Some(family) => Some(MpUnreach {
            family,
            withdrawn: prefixes(u, family.afi, 16)?,
        }),
    };
    let mut other: Vec<RawAttribute> = list(u, 4, |u| {
        Ok(RawAttribute {
            flags: RAW_FLAGS,
            type_code: u.arbitrary::<u8>()?,
            value: bytes(u, 300)?,
        })
    })?;
    other.retain(|raw| !MODELLED_ATTRIBUTES.contains(&raw.type_code));
    other.sort_by_key(|raw| raw.type_code);
    other.dedup_by_key(|raw| raw.type_code);
    let advertises = !nlri.is_empty() || mp_reach.is_some();
    let attributes = PathAttributes {
        origin: match maybe(u, |u| u.int_in_range(0u8..=2))? {
            Some(v) => Origin::from_u8(v),
            None if advertises => Some(Origin::Igp),
            None => None,
        },
        as_path: match maybe(u, as_path)? {
            None if advertises => Some(AsPath::default()),
            path => path,
        },
        next_hop: match maybe(u, |u| u.arbitrary::<u32>().map(Ipv4Addr::from))? {
            None if !nlri.is_empty() => Some(Ipv4Addr::UNSPECIFIED),
            next_hop => next_hop,
        },
        med: maybe(u, |u| u.arbitrary())?,
        local_pref: maybe(u, |u| u.arbitrary())?,
        atomic_aggregate: u.arbitrary()?,
        aggregator: maybe(u, aggregator)?,
        communities: list(u, 8, |u| u.arbitrary().map(Community))?,
        mp_reach,
        mp_unreach,
        as4_path: maybe(u, as_path)?,
        as4_aggregator: maybe(u, aggregator)?,
        large_communities: list(u, 4, |u| {
            Ok(LargeCommunity {
                global: u.arbitrary()?,
                local1: u.arbitrary()?,
                local2: u.arbitrary()?,
            })
        })?,
        other,
    };
    Ok(Update {
        withdrawn,
        attributes,
        nlri,
        faults: Vec::new(),
    })
}
