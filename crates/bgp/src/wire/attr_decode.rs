//! Decoding the path attributes of an UPDATE, with RFC 7606 error handling.
//!
//! Outcomes, by attribute (RFC 7606 §7 unless noted):
//!
//! | Problem                                                   | Outcome                    |
//! |-----------------------------------------------------------|----------------------------|
//! | attribute header or value overruns the section (§4)       | treat-as-withdraw, stop    |
//! | Optional / Transitive flag wrong, any attribute (§3 c)    | treat-as-withdraw          |
//! | ORIGIN length not 1 / value over 2 (§7.1)                 | treat-as-withdraw          |
//! | malformed AS_PATH (§7.2)                                  | treat-as-withdraw          |
//! | NEXT_HOP, MED, LOCAL_PREF length not 4 (§7.3-7.5)         | treat-as-withdraw          |
//! | ATOMIC_AGGREGATE length not 0 (§7.6)                      | attribute discard          |
//! | AGGREGATOR length not 6 / 8 (§7.7)                        | attribute discard          |
//! | COMMUNITIES not a non-zero multiple of 4 (§7.8)           | treat-as-withdraw          |
//! | LARGE_COMMUNITY not a non-zero multiple of 12 (RFC 8092)  | treat-as-withdraw          |
//! | malformed AS4_PATH / AS4_AGGREGATOR (RFC 6793 §6)         | attribute discard          |
//! | AS4_* from a 4-octet peer (RFC 6793 §4.1)                 | dropped silently           |
//! | repeated attribute other than MP_* (§3 g)                 | later copies discarded     |
//! | repeated MP_REACH / MP_UNREACH (§3 g)                     | session reset              |
//! | malformed MP_REACH / MP_UNREACH (§7.11, §5.3)             | session reset              |
//! | unrecognized well-known attribute (RFC 4271 §6.3)         | session reset              |
//! | unrecognized optional transitive (RFC 4271 §5)            | kept, Partial bit set      |
//! | unrecognized optional non-transitive (RFC 4271 §5)        | dropped silently           |
//!
//! §3 c applies treat-as-withdraw to a flag conflict "unless the specification for the
//! attribute mandates different handling for incorrect Attribute Flags"; none of the RFCs of
//! the attributes we model does (§7.6 / §7.7 / RFC 6793 §6 speak of lengths and contents), so
//! a flag conflict on AGGREGATOR is treat-as-withdraw while a bad AGGREGATOR length is not.
//!
//! Missing mandatory attributes are checked by the UPDATE decoder, which knows the NLRI.

use bytes::Bytes;

use super::as_path::decode_as_path;
use super::mp::{decode_mp_reach, decode_mp_unreach, MpOutcome};
use super::reader::{offset_in, take, take_array};
use super::{
    code, expected_flags, flag, Aggregator, AttributeFault, Community, DecodeError, FaultAction,
    LargeCommunity, Origin, PathAttributes, RawAttribute, UpdateSubcode, WireContext,
};
use crate::types::Asn;

/// Which attribute type codes have been seen: a 256-bit set.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Seen([u64; 4]);

impl Seen {
    /// Marks `type_code`; returns false when it was already marked.
    fn insert(&mut self, type_code: u8) -> bool {
        let bit = 1u64 << (type_code % 64);
        match self.0.get_mut(usize::from(type_code / 64)) {
            Some(word) if *word & bit == 0 => {
                *word |= bit;
                true
            }
            _ => false,
        }
    }

    /// True when `type_code` was seen (even if it was then found malformed).
    pub(crate) fn contains(&self, type_code: u8) -> bool {
        let bit = 1u64 << (type_code % 64);
        self.0
            .get(usize::from(type_code / 64))
            .is_some_and(|word| word & bit != 0)
    }
}

/// The decoded attributes with their faults, and which type codes appeared.
#[derive(Debug, Default)]
pub(crate) struct DecodedAttributes {
    /// The attributes kept.
    pub(crate) attributes: PathAttributes,
    /// What RFC 7606 handled without a reset.
    pub(crate) faults: Vec<AttributeFault>,
    /// Type codes present.
    pub(crate) seen: Seen,
}

impl DecodedAttributes {
    fn fault(&mut self, type_code: u8, subcode: UpdateSubcode, action: FaultAction) {
        self.faults.push(AttributeFault {
            type_code,
            subcode,
            action,
            family: None,
        });
    }
}

/// What to do with a malformed value of an attribute we model (see the module table).
fn malformed_action(type_code: u8) -> FaultAction {
    match type_code {
        code::ATOMIC_AGGREGATE | code::AGGREGATOR | code::AS4_PATH | code::AS4_AGGREGATOR => {
            FaultAction::AttributeDiscard
        }
        _ => FaultAction::TreatAsWithdraw,
    }
}

/// One attribute as framed in the Path Attributes field.
struct Framed<'a> {
    flags: u8,
    type_code: u8,
    value: &'a [u8],
    /// Flags, type, length and value: the data of a NOTIFICATION about it.
    whole: &'a [u8],
}

/// Splits the next attribute off `rest`. `Err` carries the type code (0 if unread) and
/// subcode when the field ends inside the attribute (RFC 7606 §4).
fn next_attribute<'a>(rest: &mut &'a [u8]) -> Result<Framed<'a>, (u8, UpdateSubcode)> {
    let start = *rest;
    let [flags, type_code] =
        take_array::<2>(rest).ok_or((0, UpdateSubcode::MalformedAttributeList))?;
    let len = if flags & flag::EXTENDED != 0 {
        take_array::<2>(rest).map(|l| usize::from(u16::from_be_bytes(l)))
    } else {
        take_array::<1>(rest).map(|[l]| usize::from(l))
    }
    .ok_or((type_code, UpdateSubcode::MalformedAttributeList))?;
    let header_len = offset_in(start, rest);
    let value = take(rest, len).ok_or((type_code, UpdateSubcode::AttributeLengthError))?;
    let whole = start.get(..header_len + len).unwrap_or(start);
    Ok(Framed {
        flags,
        type_code,
        value,
        whole,
    })
}

/// Decodes the Path Attributes field; `base` is its offset in the message.
pub(crate) fn decode_attributes(
    section: &[u8],
    base: usize,
    ctx: &WireContext,
) -> Result<DecodedAttributes, DecodeError> {
    let mut out = DecodedAttributes::default();
    let mut rest = section;
    while !rest.is_empty() {
        let offset = base + offset_in(section, rest);
        let attr = match next_attribute(&mut rest) {
            Ok(attr) => attr,
            Err((type_code, subcode)) => {
                out.fault(type_code, subcode, FaultAction::TreatAsWithdraw);
                break;
            }
        };
        let type_code = attr.type_code;
        if out.seen.insert(type_code) {
            out.attribute(&attr, ctx)?;
        } else if type_code == code::MP_REACH || type_code == code::MP_UNREACH {
            return Err(DecodeError::DuplicateMpAttribute { type_code, offset });
        } else {
            let subcode = UpdateSubcode::MalformedAttributeList;
            out.fault(type_code, subcode, FaultAction::AttributeDiscard);
        }
    }
    Ok(out)
}

impl DecodedAttributes {
    /// Decodes the first occurrence of an attribute.
    fn attribute(&mut self, attr: &Framed<'_>, ctx: &WireContext) -> Result<(), DecodeError> {
        let Framed {
            flags,
            type_code,
            value,
            whole,
        } = *attr;
        let Some(expected) = expected_flags(type_code) else {
            return unrecognized(flags, type_code, value, whole, &mut self.attributes);
        };
        let flags_ok = flags & (flag::OPTIONAL | flag::TRANSITIVE) == expected;
        if !flags_ok {
            let action = FaultAction::TreatAsWithdraw;
            self.fault(type_code, UpdateSubcode::AttributeFlagsError, action);
        }
        if type_code == code::MP_REACH || type_code == code::MP_UNREACH {
            // Parsed even with wrong flags: treat-as-withdraw needs its NLRI.
            mp(type_code, value, whole, ctx, self)?;
        } else if flags_ok {
            if let Err(subcode) = known(type_code, value, ctx, &mut self.attributes) {
                self.fault(type_code, subcode, malformed_action(type_code));
            }
        }
        Ok(())
    }
}

/// An attribute we do not model (RFC 4271 §5, §6.3).
fn unrecognized(
    flags: u8,
    type_code: u8,
    value: &[u8],
    attribute: &[u8],
    attrs: &mut PathAttributes,
) -> Result<(), DecodeError> {
    if flags & flag::OPTIONAL == 0 {
        return Err(DecodeError::UnrecognizedWellKnownAttribute {
            type_code,
            attribute: Bytes::copy_from_slice(attribute),
        });
    }
    if flags & flag::TRANSITIVE != 0 {
        attrs.other.push(RawAttribute {
            flags: (flags | flag::PARTIAL) & !flag::EXTENDED & 0xf0,
            type_code,
            value: Bytes::copy_from_slice(value),
        });
    }
    Ok(())
}

/// MP_REACH_NLRI / MP_UNREACH_NLRI.
fn mp(
    type_code: u8,
    value: &[u8],
    attribute: &[u8],
    ctx: &WireContext,
    out: &mut DecodedAttributes,
) -> Result<(), DecodeError> {
    let ignored = if type_code == code::MP_REACH {
        match decode_mp_reach(value, attribute, ctx)? {
            MpOutcome::Parsed(reach) => {
                out.attributes.mp_reach = Some(reach);
                None
            }
            MpOutcome::Ignored(family) => Some(family),
        }
    } else {
        match decode_mp_unreach(value, attribute, ctx)? {
            MpOutcome::Parsed(unreach) => {
                out.attributes.mp_unreach = Some(unreach);
                None
            }
            MpOutcome::Ignored(family) => Some(family),
        }
    };
    if let Some(family) = ignored {
        out.faults.push(AttributeFault {
            type_code,
            subcode: UpdateSubcode::OptionalAttributeError,
            action: FaultAction::FamilyIgnored,
            family: Some(family),
        });
    }
    Ok(())
}

/// A 4-octet big-endian value of exactly `value.len() == 4`.
fn u32_exact(value: &[u8]) -> Result<u32, UpdateSubcode> {
    <[u8; 4]>::try_from(value)
        .map(u32::from_be_bytes)
        .map_err(|_| UpdateSubcode::AttributeLengthError)
}

/// An attribute we model, with correct flags. `Err` carries the subcode of the fault.
fn known(
    type_code: u8,
    value: &[u8],
    ctx: &WireContext,
    attrs: &mut PathAttributes,
) -> Result<(), UpdateSubcode> {
    use UpdateSubcode as S;
    match type_code {
        code::ORIGIN => {
            let [v] = <[u8; 1]>::try_from(value).map_err(|_| S::AttributeLengthError)?;
            attrs.origin = Some(Origin::from_u8(v).ok_or(S::InvalidOriginAttribute)?);
        }
        code::AS_PATH => {
            attrs.as_path =
                Some(decode_as_path(value, ctx.four_octet_as).ok_or(S::MalformedAsPath)?);
        }
        code::NEXT_HOP => attrs.next_hop = Some(u32_exact(value)?.into()),
        code::MED => attrs.med = Some(u32_exact(value)?),
        code::LOCAL_PREF => attrs.local_pref = Some(u32_exact(value)?),
        code::ATOMIC_AGGREGATE => {
            if !value.is_empty() {
                return Err(S::AttributeLengthError);
            }
            attrs.atomic_aggregate = true;
        }
        code::AGGREGATOR => {
            attrs.aggregator = Some(aggregator(value, ctx.four_octet_as)?);
        }
        code::COMMUNITIES => {
            if value.is_empty() || value.len() % 4 != 0 {
                return Err(S::AttributeLengthError);
            }
            attrs.communities = value
                .chunks_exact(4)
                .map(|c| Community(c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))))
                .collect();
        }
        code::AS4_PATH if !ctx.four_octet_as => {
            let path = decode_as_path(value, true).filter(|_| !value.is_empty());
            // Confederation segments in AS4_PATH are discarded (RFC 6793 §6); a path left
            // empty is no AS4_PATH.
            attrs.as4_path = path.ok_or(S::OptionalAttributeError)?.without_confed();
        }
        code::AS4_AGGREGATOR if !ctx.four_octet_as => {
            attrs.as4_aggregator = Some(aggregator(value, true)?);
        }
        code::LARGE_COMMUNITY => {
            if value.is_empty() || value.len() % 12 != 0 {
                return Err(S::AttributeLengthError);
            }
            attrs.large_communities = value
                .chunks_exact(12)
                .map(|c| {
                    let word = |i: usize| {
                        c.iter()
                            .skip(i * 4)
                            .take(4)
                            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                    };
                    LargeCommunity {
                        global: word(0),
                        local1: word(1),
                        local2: word(2),
                    }
                })
                .collect();
        }
        // AS4_PATH / AS4_AGGREGATOR between 4-octet speakers: discarded (RFC 6793 §4.1).
        _ => {}
    }
    Ok(())
}

/// AGGREGATOR (2- or 4-octet AS) or AS4_AGGREGATOR (always 4): AS then IPv4 address.
fn aggregator(value: &[u8], four_octet: bool) -> Result<Aggregator, UpdateSubcode> {
    let mut rest = value;
    let asn = if four_octet {
        take_array::<4>(&mut rest).map(u32::from_be_bytes)
    } else {
        take_array::<2>(&mut rest).map(|a| u32::from(u16::from_be_bytes(a)))
    };
    match (asn, take_array::<4>(&mut rest)) {
        (Some(asn), Some(addr)) if rest.is_empty() => Ok(Aggregator {
            asn: Asn::new(asn),
            address: addr.into(),
        }),
        _ => Err(UpdateSubcode::AttributeLengthError),
    }
}
