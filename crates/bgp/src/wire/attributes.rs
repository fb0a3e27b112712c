//! Path attributes (RFC 4271 §4.3, §5) and their RFC 7606 error outcomes: the model types.
//! Decoding is in `attr_decode`, encoding in `attr_encode`.
//!
//! ```text
//! +-----------------------------------------------+
//! | Attr. Flags (1) | Attr. Type Code (1)         |
//! +-----------------------------------------------+
//! | Length (1, or 2 with Extended Length)         |
//! +-----------------------------------------------+
//! | Value (Length octets)                         |
//! +-----------------------------------------------+
//!  Flags: 0x80 Optional, 0x40 Transitive, 0x20 Partial, 0x10 Extended Length
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use bytes::Bytes;

use super::UpdateSubcode;
use crate::types::{Asn, Family, Prefix};

/// The path attributes of an UPDATE, one field per attribute we understand.
///
/// Encoded in ascending type-code order; each attribute at most once (RFC 7606 §3 g).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathAttributes {
    /// ORIGIN (1), well-known mandatory.
    pub origin: Option<Origin>,
    /// AS_PATH (2), well-known mandatory; ASNs are 4-octet on the wire when negotiated.
    pub as_path: Option<AsPath>,
    /// NEXT_HOP (3), well-known mandatory for IPv4 NLRI.
    pub next_hop: Option<Ipv4Addr>,
    /// MULTI_EXIT_DISC (4), optional non-transitive.
    pub med: Option<u32>,
    /// LOCAL_PREF (5), well-known, iBGP only.
    pub local_pref: Option<u32>,
    /// ATOMIC_AGGREGATE (6), well-known discretionary.
    pub atomic_aggregate: bool,
    /// AGGREGATOR (7), optional transitive.
    pub aggregator: Option<Aggregator>,
    /// COMMUNITIES (8, RFC 1997), optional transitive.
    pub communities: Vec<Community>,
    /// MP_REACH_NLRI (14, RFC 4760), optional non-transitive.
    pub mp_reach: Option<MpReach>,
    /// MP_UNREACH_NLRI (15, RFC 4760), optional non-transitive.
    pub mp_unreach: Option<MpUnreach>,
    /// AS4_PATH (17, RFC 6793), only between 2-octet and 4-octet speakers.
    ///
    /// Decoding keeps it apart from `as_path` (no RFC 6793 §4.2.3 merge). Encoding in a 2-octet
    /// context writes it when set, and otherwise derives it from `as_path` when that holds a
    /// 4-octet AS (RFC 6793 §4.2.2); in a 4-octet context it is never written (§4.1).
    pub as4_path: Option<AsPath>,
    /// AS4_AGGREGATOR (18, RFC 6793), handled like `as4_path`.
    pub as4_aggregator: Option<Aggregator>,
    /// LARGE_COMMUNITY (32, RFC 8092), optional transitive.
    pub large_communities: Vec<LargeCommunity>,
    /// Unrecognized optional transitive attributes, kept as received (Partial bit set).
    pub other: Vec<RawAttribute>,
}

/// Attribute flag bits (RFC 4271 §4.3).
pub(crate) mod flag {
    /// Optional (set) or well-known (clear).
    pub(crate) const OPTIONAL: u8 = 0x80;
    /// Transitive.
    pub(crate) const TRANSITIVE: u8 = 0x40;
    /// Partial.
    pub(crate) const PARTIAL: u8 = 0x20;
    /// Extended Length: the length field is two octets.
    pub(crate) const EXTENDED: u8 = 0x10;
}

/// Attribute type codes (IANA "BGP Path Attributes").
pub(crate) mod code {
    /// ORIGIN (RFC 4271).
    pub(crate) const ORIGIN: u8 = 1;
    /// AS_PATH (RFC 4271).
    pub(crate) const AS_PATH: u8 = 2;
    /// NEXT_HOP (RFC 4271).
    pub(crate) const NEXT_HOP: u8 = 3;
    /// MULTI_EXIT_DISC (RFC 4271).
    pub(crate) const MED: u8 = 4;
    /// LOCAL_PREF (RFC 4271).
    pub(crate) const LOCAL_PREF: u8 = 5;
    /// ATOMIC_AGGREGATE (RFC 4271).
    pub(crate) const ATOMIC_AGGREGATE: u8 = 6;
    /// AGGREGATOR (RFC 4271).
    pub(crate) const AGGREGATOR: u8 = 7;
    /// COMMUNITIES (RFC 1997).
    pub(crate) const COMMUNITIES: u8 = 8;
    /// MP_REACH_NLRI (RFC 4760).
    pub(crate) const MP_REACH: u8 = 14;
    /// MP_UNREACH_NLRI (RFC 4760).
    pub(crate) const MP_UNREACH: u8 = 15;
    /// AS4_PATH (RFC 6793).
    pub(crate) const AS4_PATH: u8 = 17;
    /// AS4_AGGREGATOR (RFC 6793).
    pub(crate) const AS4_AGGREGATOR: u8 = 18;
    /// LARGE_COMMUNITY (RFC 8092).
    pub(crate) const LARGE_COMMUNITY: u8 = 32;
}

/// The Optional and Transitive flags an attribute we model must carry (RFC 4271 §5,
/// RFC 4760 §3-4, RFC 6793 §3, RFC 8092 §3), or `None` for one we do not model.
pub(crate) fn expected_flags(type_code: u8) -> Option<u8> {
    use flag::{OPTIONAL, TRANSITIVE};
    match type_code {
        code::ORIGIN
        | code::AS_PATH
        | code::NEXT_HOP
        | code::LOCAL_PREF
        | code::ATOMIC_AGGREGATE => Some(TRANSITIVE),
        code::MED | code::MP_REACH | code::MP_UNREACH => Some(OPTIONAL),
        code::AGGREGATOR
        | code::COMMUNITIES
        | code::AS4_PATH
        | code::AS4_AGGREGATOR
        | code::LARGE_COMMUNITY => Some(OPTIONAL | TRANSITIVE),
        _ => None,
    }
}

/// ORIGIN values (RFC 4271 §5.1.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// 0
    Igp,
    /// 1
    Egp,
    /// 2
    Incomplete,
}

impl Origin {
    /// The value for an ORIGIN octet, if defined.
    pub fn from_u8(v: u8) -> Option<Self> {
        match v {
            0 => Some(Origin::Igp),
            1 => Some(Origin::Egp),
            2 => Some(Origin::Incomplete),
            _ => None,
        }
    }

    /// The ORIGIN octet.
    pub fn to_u8(self) -> u8 {
        match self {
            Origin::Igp => 0,
            Origin::Egp => 1,
            Origin::Incomplete => 2,
        }
    }
}

/// An AS_PATH or AS4_PATH: a sequence of segments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AsPath {
    /// The segments, in order.
    pub segments: Vec<AsSegment>,
}

impl AsPath {
    /// A path that is one AS_SEQUENCE (empty for an empty list).
    pub fn sequence(asns: Vec<Asn>) -> AsPath {
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![AsSegment::Sequence(asns)],
        }
    }
}

/// One AS_PATH segment (RFC 4271 §4.3; confederation types RFC 5065).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AsSegment {
    /// AS_SET (1)
    Set(Vec<Asn>),
    /// AS_SEQUENCE (2)
    Sequence(Vec<Asn>),
    /// AS_CONFED_SEQUENCE (3)
    ConfedSequence(Vec<Asn>),
    /// AS_CONFED_SET (4)
    ConfedSet(Vec<Asn>),
}

/// AGGREGATOR (RFC 4271 §5.1.7; 4-octet AS when negotiated).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Aggregator {
    /// The aggregating AS.
    pub asn: Asn,
    /// The aggregating speaker's address.
    pub address: Ipv4Addr,
}

/// A standard community (RFC 1997), written `asn:value`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Community(pub u32);

impl Community {
    /// GRACEFUL_SHUTDOWN (RFC 8326).
    pub const GRACEFUL_SHUTDOWN: Community = Community(0xFFFF_0000);

    /// A community from its two 16-bit halves.
    pub const fn new(high: u16, low: u16) -> Self {
        Community(((high as u32) << 16) | low as u32)
    }
}

/// A large community (RFC 8092), written `global:local1:local2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LargeCommunity {
    /// Global administrator (an ASN).
    pub global: u32,
    /// First local data part.
    pub local1: u32,
    /// Second local data part.
    pub local2: u32,
}

/// MP_REACH_NLRI (RFC 4760 §3) for IPv4 or IPv6 unicast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpReach {
    /// The family of `nlri`.
    pub family: Family,
    /// The next hop.
    pub next_hop: MpNextHop,
    /// Routes advertised.
    pub nlri: Vec<Prefix>,
}

/// The next hop in MP_REACH_NLRI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MpNextHop {
    /// A 4-byte IPv4 next hop.
    V4(Ipv4Addr),
    /// A 16-byte global IPv6 next hop, optionally followed by a link-local one (RFC 2545 §3).
    V6 {
        /// The global address.
        global: Ipv6Addr,
        /// The link-local address, when sent (32-byte form).
        link_local: Option<Ipv6Addr>,
    },
}

/// MP_UNREACH_NLRI (RFC 4760 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MpUnreach {
    /// The family of `withdrawn`.
    pub family: Family,
    /// Routes withdrawn; empty for End-of-RIB.
    pub withdrawn: Vec<Prefix>,
}

/// An attribute kept as raw bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawAttribute {
    /// The flags octet as received.
    pub flags: u8,
    /// The type code.
    pub type_code: u8,
    /// The value.
    pub value: Bytes,
}

/// What RFC 7606 says to do with a malformed attribute that does not reset the session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultAction {
    /// Treat every route in the UPDATE as withdrawn (RFC 7606 §2).
    TreatAsWithdraw,
    /// Drop the attribute and use the rest (RFC 7606 §2).
    AttributeDiscard,
    /// Ignore the MP_REACH/MP_UNREACH of a family not negotiated (RFC 4760 §7).
    FamilyIgnored,
}

/// A malformed attribute handled without a session reset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttributeFault {
    /// The attribute's type code.
    pub type_code: u8,
    /// The UPDATE error subcode that would apply were the session reset.
    pub subcode: UpdateSubcode,
    /// What was done.
    pub action: FaultAction,
    /// The family involved, for MP attributes.
    pub family: Option<Family>,
}
