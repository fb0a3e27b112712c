//! Path attributes (RFC 4271 §4.3, §5) and their RFC 7606 error outcomes.

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
    pub as4_path: Option<AsPath>,
    /// LARGE_COMMUNITY (32, RFC 8092), optional transitive.
    pub large_communities: Vec<LargeCommunity>,
    /// Unrecognized optional transitive attributes, kept as received (Partial bit set).
    pub other: Vec<RawAttribute>,
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
        AsPath { segments: vec![AsSegment::Sequence(asns)] }
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
