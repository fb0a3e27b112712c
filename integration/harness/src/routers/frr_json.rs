//! FRR 8.4's JSON output (`vtysh -c '... json'`) as typed structs: only the fields the lab
//! reads (FRR prints many more, which are ignored).

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::error::{Error, Result};

/// Parses the JSON `text` that `command` printed.
pub fn parse<T: DeserializeOwned>(command: &str, text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| Error::parse(command, format!("{e}: {text}")))
}

/// One session of `show bfd peers json`, or its counters in `show bfd peers counters
/// json` (the same array, with the counter fields instead of the state).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct BfdPeer {
    /// The peer's address.
    pub peer: IpAddr,
    /// A multihop session (the lab's are single hop).
    #[serde(default)]
    pub multihop: bool,
    /// `up`, `down`, `init` or `shutdown`.
    pub status: Option<String>,
    /// Why the session last went down, on FRR's side (`administratively down`, ...).
    pub diagnostic: Option<String>,
    /// Why the session last went down, as the peer said.
    pub remote_diagnostic: Option<String>,
    /// FRR's Desired Min TX, in ms.
    pub transmit_interval: Option<u64>,
    /// FRR's Required Min RX, in ms.
    pub receive_interval: Option<u64>,
    /// The peer's Required Min RX, in ms.
    pub remote_receive_interval: Option<u64>,
    /// The peer's Desired Min TX, in ms.
    pub remote_transmit_interval: Option<u64>,
    /// The peer's Detect Mult.
    pub remote_detect_multiplier: Option<u64>,
    /// How often the session came up (counters only).
    pub session_up_event: Option<u64>,
    /// How often the session went down (counters only).
    pub session_down_event: Option<u64>,
}

impl BfdPeer {
    /// The single-hop session with `peer` among `peers`, if there is one.
    pub fn single_hop(peers: &[BfdPeer], peer: IpAddr) -> Option<&BfdPeer> {
        peers.iter().find(|p| p.peer == peer && !p.multihop)
    }

    /// Whether the session is up.
    pub fn is_up(&self) -> bool {
        self.status.as_deref() == Some("up")
    }
}

/// One neighbor of `show bgp neighbors ADDR json` (an object keyed by the address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BgpNeighbor {
    /// `Established`, `Active`, ...
    pub bgp_state: Option<String>,
    /// How many times the session has been established.
    pub connections_established: Option<u64>,
    /// Why FRR last reset the session.
    pub last_reset_due_to: Option<String>,
    /// The last NOTIFICATION's reason (`Cease/Administrative Shutdown`).
    pub last_notification_reason: Option<String>,
    /// The shutdown communication (RFC 9003) of the last Cease.
    pub last_shutdown_description: Option<String>,
    /// The last NOTIFICATION's code and subcode (`060A`).
    pub last_error_code_subcode: Option<String>,
}

impl BgpNeighbor {
    /// Whether the session is Established.
    pub fn is_established(&self) -> bool {
        self.bgp_state.as_deref() == Some("Established")
    }
}

/// `show bgp ipv4|ipv6 unicast json detail`: the paths of each prefix.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RouteTable {
    /// Prefix → its entries: a summary, then one per path (with `nexthops`).
    #[serde(default)]
    pub routes: BTreeMap<String, Vec<RoutePath>>,
}

/// One entry of a prefix in [`RouteTable`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoutePath {
    /// The AS path.
    pub aspath: Option<AsPath>,
    /// The MED.
    pub metric: Option<u32>,
    /// Communities, as `high:low` or a well-known name.
    pub community: Option<Listed>,
    /// Large communities, as `global:one:two`.
    pub large_community: Option<Listed>,
    /// The next hops; only path entries have them.
    pub nexthops: Option<Vec<NextHop>>,
    /// Who sent the path.
    pub peer: Option<PathPeer>,
}

/// A path's AS path.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AsPath {
    /// Its segments, in order.
    #[serde(default)]
    pub segments: Vec<AsSegment>,
}

/// One AS path segment.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AsSegment {
    /// Its ASes.
    #[serde(default)]
    pub list: Vec<u32>,
}

/// An attribute FRR shows as a string and a list (`community`, `largeCommunity`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Listed {
    /// The values.
    #[serde(default)]
    pub list: Vec<String>,
}

/// One next hop of a path.
#[derive(Debug, Clone, Deserialize)]
pub struct NextHop {
    /// Its address.
    pub ip: IpAddr,
}

/// The peer a path came from.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PathPeer {
    /// Its address.
    pub peer_id: IpAddr,
}
