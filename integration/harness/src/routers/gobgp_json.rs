//! GoBGP 3's JSON output (`gobgp ... -j`) as typed structs: only the fields the lab reads.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::de::IgnoredAny;
use serde::Deserialize;

/// gobgp's code for the Established state.
const ESTABLISHED: u64 = 6;

/// `gobgp neighbor ADDR -j`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Neighbor {
    /// The session's state.
    #[serde(default)]
    pub state: NeighborState,
}

/// The `state` object of a [`Neighbor`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NeighborState {
    /// The FSM state: a code (6 = Established) or, in some versions, a name.
    pub session_state: Option<SessionState>,
}

/// How GoBGP writes a session state.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum SessionState {
    /// The state's code.
    Code(u64),
    /// The state's name.
    Name(String),
}

impl Neighbor {
    /// Whether the session is Established.
    pub fn is_established(&self) -> bool {
        match &self.state.session_state {
            Some(SessionState::Code(code)) => *code == ESTABLISHED,
            Some(SessionState::Name(name)) => name.eq_ignore_ascii_case("established"),
            None => false,
        }
    }
}

/// `gobgp global rib -a FAMILY -j`: prefix → its paths.
pub type Rib = BTreeMap<String, Vec<Path>>;

/// One path of a [`Rib`].
#[derive(Debug, Clone, Deserialize)]
pub struct Path {
    /// Who sent it.
    #[serde(rename = "neighbor-ip")]
    pub neighbor_ip: IpAddr,
    /// Its path attributes.
    #[serde(default)]
    pub attrs: Vec<Attribute>,
}

/// One path attribute, by its type code (RFC 4271 §5): the fields of the codes the lab
/// reads (2 AS path, 3 and 14 next hop, 4 MED, 8 communities, 32 large communities).
#[derive(Debug, Clone, Deserialize)]
pub struct Attribute {
    /// The attribute type code.
    #[serde(rename = "type")]
    pub code: u8,
    /// Code 2: the AS path's segments.
    #[serde(default)]
    pub as_paths: Vec<AsPathSegment>,
    /// Codes 3 and 14: the next hop.
    pub nexthop: Option<IpAddr>,
    /// Code 4: the MED.
    pub metric: Option<u32>,
    /// Code 8: communities as 32-bit values (high << 16 | low).
    #[serde(default)]
    pub communities: Vec<u32>,
    /// Code 32: the large communities (other codes put other things here).
    pub value: Option<AttributeValue>,
}

/// An attribute's `value`: large communities for code 32, anything else otherwise.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AttributeValue {
    /// Code 32's large communities.
    LargeCommunities(Vec<LargeCommunity>),
    /// Another code's value, not read.
    Other(IgnoredAny),
}

/// One AS path segment.
#[derive(Debug, Clone, Deserialize)]
pub struct AsPathSegment {
    /// Its ASes.
    #[serde(default)]
    pub asns: Vec<u32>,
}

/// One large community (RFC 8092).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct LargeCommunity {
    /// Global Administrator.
    #[serde(rename = "ASN")]
    pub asn: u32,
    /// Local Data Part 1.
    #[serde(rename = "LocalData1")]
    pub local_data_1: u32,
    /// Local Data Part 2.
    #[serde(rename = "LocalData2")]
    pub local_data_2: u32,
}
