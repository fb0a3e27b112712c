//! UPDATE (RFC 4271 §4.3), with IPv6 routes in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).
//!
//! ```text
//! +-----------------------------------------------------+
//! |   Withdrawn Routes Length (2 octets)                |
//! +-----------------------------------------------------+
//! |   Withdrawn Routes (variable)                       |
//! +-----------------------------------------------------+
//! |   Total Path Attribute Length (2 octets)            |
//! +-----------------------------------------------------+
//! |   Path Attributes (variable)                        |
//! +-----------------------------------------------------+
//! |   Network Layer Reachability Information (variable) |
//! +-----------------------------------------------------+
//! ```

use super::attr_decode::decode_attributes;
use super::attr_encode::write_attributes;
use super::header::HEADER_LEN;
use super::nlri::{decode_prefixes, prefixes_len, write_prefixes, NlriField, PrefixFault};
use super::reader::{offset_in, take, take_array};
use super::sink::{len_u16, measure, Sink};
use super::{
    code, AttributeFault, DecodeError, FaultAction, MpUnreach, PathAttributes, UpdateSubcode,
    WireContext,
};
use crate::types::{Family, Prefix};

/// An UPDATE message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// IPv4 unicast routes withdrawn (the Withdrawn Routes field).
    pub withdrawn: Vec<Prefix>,
    /// Path attributes.
    pub attributes: PathAttributes,
    /// IPv4 unicast routes advertised (the NLRI field).
    pub nlri: Vec<Prefix>,
    /// Errors found while decoding that RFC 7606 handles without a session reset
    /// (treat-as-withdraw, attribute discard). Always empty on messages we build.
    pub faults: Vec<AttributeFault>,
}

impl Update {
    /// The End-of-RIB marker for a family (RFC 4724 §2).
    pub fn end_of_rib(family: Family) -> Update {
        if family == Family::IPV4_UNICAST {
            return Update::default();
        }
        Update {
            attributes: PathAttributes {
                mp_unreach: Some(MpUnreach {
                    family,
                    withdrawn: Vec::new(),
                }),
                ..PathAttributes::default()
            },
            ..Update::default()
        }
    }

    /// The family this UPDATE marks End-of-RIB for, if it is such a marker (RFC 4724 §2): an
    /// UPDATE with nothing in it is IPv4 unicast; one with only an empty MP_UNREACH_NLRI is that
    /// attribute's family. An UPDATE with faults is never a marker (an End-of-RIB for a family
    /// not negotiated arrives as a [`FaultAction::FamilyIgnored`] fault).
    pub fn end_of_rib_family(&self) -> Option<Family> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() || !self.faults.is_empty() {
            return None;
        }
        let PathAttributes {
            origin: None,
            as_path: None,
            next_hop: None,
            med: None,
            local_pref: None,
            atomic_aggregate: false,
            aggregator: None,
            communities,
            mp_reach: None,
            mp_unreach,
            as4_path: None,
            as4_aggregator: None,
            large_communities,
            other,
        } = &self.attributes
        else {
            return None;
        };
        if !communities.is_empty() || !large_communities.is_empty() || !other.is_empty() {
            return None;
        }
        match mp_unreach {
            None => Some(Family::IPV4_UNICAST),
            Some(MpUnreach { family, withdrawn }) if withdrawn.is_empty() => Some(*family),
            Some(_) => None,
        }
    }

    /// True when RFC 7606 says to treat every route in this UPDATE as withdrawn: the routes in
    /// `nlri` and `attributes.mp_reach` must then be handled as if they were in `withdrawn`
    /// and `attributes.mp_unreach` (RFC 7606 §2).
    pub fn is_treat_as_withdraw(&self) -> bool {
        self.faults
            .iter()
            .any(|f| f.action == FaultAction::TreatAsWithdraw)
    }

    /// The size of this UPDATE on the wire, header included, as [`super::Message::encode`]
    /// would write it with `ctx`. It walks the attributes without allocating; Adj-RIB-Out
    /// packing calls it to keep UPDATEs within [`super::MAX_MESSAGE_LEN`].
    pub fn encoded_len(&self, ctx: &WireContext) -> usize {
        HEADER_LEN + self.body_len(ctx)
    }

    /// Size of the body (after the header).
    pub(crate) fn body_len(&self, ctx: &WireContext) -> usize {
        4 + prefixes_len(&self.withdrawn)
            + measure(|s| write_attributes(&self.attributes, ctx, s))
            + prefixes_len(&self.nlri)
    }

    /// Writes the body.
    pub(crate) fn write_body(&self, ctx: &WireContext, s: &mut dyn Sink) {
        s.put_u16(len_u16(prefixes_len(&self.withdrawn)));
        write_prefixes(&self.withdrawn, s);
        s.put_u16(len_u16(measure(|c| {
            write_attributes(&self.attributes, ctx, c)
        })));
        write_attributes(&self.attributes, ctx, s);
        write_prefixes(&self.nlri, s);
    }

    /// Decodes an UPDATE body (the message after its 19-byte header).
    pub(crate) fn decode(body: &[u8], ctx: &WireContext) -> Result<Update, DecodeError> {
        let mut rest = body;
        let withdrawn_len = take_array::<2>(&mut rest)
            .map(u16::from_be_bytes)
            .unwrap_or(0);
        let Some(withdrawn_field) = take(&mut rest, usize::from(withdrawn_len)) else {
            return Err(DecodeError::WithdrawnRoutesLength {
                declared: withdrawn_len,
                available: rest.len(),
            });
        };
        let withdrawn_at = HEADER_LEN + 2;
        let Some(attrs_len) = take_array::<2>(&mut rest).map(u16::from_be_bytes) else {
            return Err(DecodeError::PathAttributesLength {
                declared: 0,
                available: rest.len(),
            });
        };
        let attrs_at = HEADER_LEN + offset_in(body, rest);
        let Some(attrs_field) = take(&mut rest, usize::from(attrs_len)) else {
            return Err(DecodeError::PathAttributesLength {
                declared: attrs_len,
                available: rest.len(),
            });
        };
        let nlri_at = HEADER_LEN + offset_in(body, rest);
        let withdrawn = ipv4_prefixes(withdrawn_field, NlriField::Withdrawn, withdrawn_at)?;
        let decoded = decode_attributes(attrs_field, attrs_at, ctx)?;
        let nlri = ipv4_prefixes(rest, NlriField::Nlri, nlri_at)?;
        let mut update = Update {
            withdrawn,
            attributes: decoded.attributes,
            nlri,
            faults: decoded.faults,
        };
        // RFC 7606 §3 d: a missing well-known mandatory attribute is treat-as-withdraw. They
        // are mandatory only with routes to advertise; NEXT_HOP only for the IPv4 NLRI field,
        // as MP_REACH_NLRI carries its own (RFC 4760 §3).
        let advertises = !update.nlri.is_empty() || update.attributes.mp_reach.is_some();
        let required = [
            (code::ORIGIN, advertises),
            (code::AS_PATH, advertises),
            (code::NEXT_HOP, !update.nlri.is_empty()),
        ];
        for (type_code, _) in required
            .into_iter()
            .filter(|&(c, r)| r && !decoded.seen.contains(c))
        {
            update.faults.push(AttributeFault {
                type_code,
                subcode: UpdateSubcode::MissingWellKnownAttribute,
                action: FaultAction::TreatAsWithdraw,
                family: None,
            });
        }
        Ok(update)
    }
}

/// Decodes an IPv4 prefix field of the UPDATE; errors are Invalid Network Field.
fn ipv4_prefixes(field: &[u8], which: NlriField, at: usize) -> Result<Vec<Prefix>, DecodeError> {
    decode_prefixes(field, 32).map_err(
        |PrefixFault {
             offset,
             prefix_len,
             too_long,
         }| {
            let offset = at + offset;
            if too_long {
                DecodeError::PrefixTooLong {
                    field: which,
                    offset,
                    prefix_len,
                }
            } else {
                DecodeError::PrefixTruncated {
                    field: which,
                    offset,
                    prefix_len,
                }
            }
        },
    )
}
