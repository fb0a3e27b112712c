//! Encoding path attributes: ascending type code, the flags each attribute's RFC gives, and
//! the Extended Length bit exactly when the value exceeds 255 bytes (RFC 4271 §4.3).
//!
//! Flags: well-known 0x40, optional non-transitive 0x80, optional transitive 0xC0, plus 0x10
//! for Extended Length. To a 2-octet peer, 4-octet ASNs in AS_PATH and AGGREGATOR are sent as
//! AS_TRANS, with AS4_PATH / AS4_AGGREGATOR carrying the real values (RFC 6793 §4.2.2).

use super::as_path::{write_as_path, PathForm};
use super::mp::{mp_reach_len, mp_unreach_len, write_mp_reach, write_mp_unreach};
use super::sink::{len_u16, len_u8, measure, Sink};
use super::{
    code, expected_flags, flag, Aggregator, AsPath, PathAttributes, RawAttribute, WireContext,
};

/// Writes one attribute header and value of `len` bytes.
fn attribute(
    s: &mut dyn Sink,
    flags: u8,
    type_code: u8,
    len: usize,
    value: impl FnOnce(&mut dyn Sink),
) {
    if len > 255 {
        s.put_u8(flags | flag::EXTENDED);
        s.put_u8(type_code);
        s.put_u16(len_u16(len));
    } else {
        s.put_u8(flags & !flag::EXTENDED);
        s.put_u8(type_code);
        s.put_u8(len_u8(len));
    }
    value(s);
}

/// Writes a modelled attribute with its standard flags.
fn standard(s: &mut dyn Sink, type_code: u8, len: usize, value: impl FnOnce(&mut dyn Sink)) {
    attribute(
        s,
        expected_flags(type_code).unwrap_or(flag::OPTIONAL),
        type_code,
        len,
        value,
    );
}

fn path(s: &mut dyn Sink, type_code: u8, p: &AsPath, form: PathForm) {
    let len = measure(|c| write_as_path(p, form, c));
    standard(s, type_code, len, |s| write_as_path(p, form, s));
}

fn aggregator(s: &mut dyn Sink, type_code: u8, a: &Aggregator, four_octet: bool) {
    let len = if four_octet { 8 } else { 6 };
    standard(s, type_code, len, |s| {
        if four_octet {
            s.put_u32(a.asn.get());
        } else {
            s.put_u16(a.asn.to_u16_or_trans());
        }
        s.put_slice(&a.address.octets());
    });
}

/// Writes the whole Path Attributes field: the modelled attributes and the raw ones merged in
/// ascending type code order, raw attributes of the same code in their order in `other`, and
/// raw attributes with a modelled type code left out.
///
/// Linear in the number of attributes: `other` as the decoder keeps it (received order) is
/// sorted once, into a vector of references, unless it is already in order (as it is in every
/// message we build, so that measuring and writing those never allocates).
pub(crate) fn write_attributes(attrs: &PathAttributes, ctx: &WireContext, s: &mut dyn Sink) {
    if attrs.other.is_sorted_by_key(|raw| raw.type_code) {
        write_merged(attrs, ctx, attrs.other.iter(), s);
    } else {
        let mut sorted: Vec<&RawAttribute> = attrs.other.iter().collect();
        // Stable: raw attributes of the same type code keep their order.
        sorted.sort_by_key(|raw| raw.type_code);
        write_merged(attrs, ctx, sorted.into_iter(), s);
    }
}

/// Writes the modelled attributes of [`MODELLED`] with `raws` (ascending type code) merged in.
fn write_merged<'a>(
    attrs: &PathAttributes,
    ctx: &WireContext,
    raws: impl Iterator<Item = &'a RawAttribute>,
    s: &mut dyn Sink,
) {
    let mut raws = raws
        .filter(|raw| expected_flags(raw.type_code).is_none())
        .peekable();
    for type_code in MODELLED {
        while let Some(raw) = raws.next_if(|raw| raw.type_code < type_code) {
            write_raw(raw, s);
        }
        write_known(attrs, ctx, type_code, s);
    }
    raws.for_each(|raw| write_raw(raw, s));
}

/// Writes an unrecognized attribute as kept: its Optional, Transitive and Partial flags.
fn write_raw(raw: &RawAttribute, s: &mut dyn Sink) {
    attribute(s, raw.flags & 0xe0, raw.type_code, raw.value.len(), |s| {
        s.put_slice(&raw.value)
    });
}

/// The type codes [`write_known`] writes, ascending: exactly those [`expected_flags`] knows.
const MODELLED: [u8; 13] = [
    code::ORIGIN,
    code::AS_PATH,
    code::NEXT_HOP,
    code::MED,
    code::LOCAL_PREF,
    code::ATOMIC_AGGREGATE,
    code::AGGREGATOR,
    code::COMMUNITIES,
    code::MP_REACH,
    code::MP_UNREACH,
    code::AS4_PATH,
    code::AS4_AGGREGATOR,
    code::LARGE_COMMUNITY,
];

/// Writes the modelled attribute with `type_code`, if present.
fn write_known(attrs: &PathAttributes, ctx: &WireContext, type_code: u8, s: &mut dyn Sink) {
    let four = ctx.four_octet_as;
    match type_code {
        code::ORIGIN => {
            if let Some(origin) = attrs.origin {
                standard(s, type_code, 1, |s| s.put_u8(origin.to_u8()));
            }
        }
        code::AS_PATH => {
            if let Some(p) = &attrs.as_path {
                let form = if four {
                    PathForm::FourOctet
                } else {
                    PathForm::TwoOctet
                };
                path(s, type_code, p, form);
            }
        }
        code::NEXT_HOP => {
            if let Some(nh) = attrs.next_hop {
                standard(s, type_code, 4, |s| s.put_slice(&nh.octets()));
            }
        }
        code::MED => {
            if let Some(med) = attrs.med {
                standard(s, type_code, 4, |s| s.put_u32(med));
            }
        }
        code::LOCAL_PREF => {
            if let Some(lp) = attrs.local_pref {
                standard(s, type_code, 4, |s| s.put_u32(lp));
            }
        }
        code::ATOMIC_AGGREGATE if attrs.atomic_aggregate => standard(s, type_code, 0, |_| {}),
        code::AGGREGATOR => {
            if let Some(a) = &attrs.aggregator {
                aggregator(s, type_code, a, four);
            }
        }
        code::COMMUNITIES if !attrs.communities.is_empty() => {
            standard(s, type_code, attrs.communities.len() * 4, |s| {
                attrs.communities.iter().for_each(|c| s.put_u32(c.0))
            });
        }
        code::MP_REACH => {
            if let Some(reach) = &attrs.mp_reach {
                standard(s, type_code, mp_reach_len(reach), |s| {
                    write_mp_reach(reach, s)
                });
            }
        }
        code::MP_UNREACH => {
            if let Some(unreach) = &attrs.mp_unreach {
                standard(s, type_code, mp_unreach_len(unreach), |s| {
                    write_mp_unreach(unreach, s)
                });
            }
        }
        code::AS4_PATH if !four => {
            let derived = attrs.as_path.as_ref().filter(|p| p.has_four_octet_asn());
            // AS4_PATH leaves confederation segments out (RFC 6793 §4.2.2): with nothing
            // else in the path there is nothing to send.
            if let Some(p) = attrs
                .as4_path
                .as_ref()
                .or(derived)
                .filter(|p| p.has_non_confed())
            {
                path(s, type_code, p, PathForm::As4);
            }
        }
        code::AS4_AGGREGATOR if !four => {
            let derived = attrs.aggregator.filter(|a| a.asn.is_four_octet());
            if let Some(a) = attrs.as4_aggregator.or(derived) {
                aggregator(s, type_code, &a, true);
            }
        }
        code::LARGE_COMMUNITY if !attrs.large_communities.is_empty() => {
            standard(s, type_code, attrs.large_communities.len() * 12, |s| {
                for c in &attrs.large_communities {
                    s.put_u32(c.global);
                    s.put_u32(c.local1);
                    s.put_u32(c.local2);
                }
            });
        }
        _ => {}
    }
}
