//! What the daemon configures: the speaker and each of its peers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::fsm::Backoff;
use crate::types::{Asn, Family, HoldTime, RouterId};

/// The speaker: our identity, an optional listener, and the peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpeakerConfig {
    /// Our AS.
    pub local_as: Asn,
    /// Our BGP identifier.
    pub router_id: RouterId,
    /// Where to accept connections from peers, if anywhere (typically port 179).
    pub listen: Option<SocketAddr>,
    /// The peers.
    pub peers: Vec<PeerConfig>,
    /// Graceful restart (RFC 4724), when enabled.
    pub graceful_restart: Option<GracefulRestartConfig>,
    /// Send routes as they are announced, but End-of-RIB only after
    /// [`crate::Speaker::release_end_of_rib`]: after a restart, peers that kept our routes
    /// replace them as they come and drop those still missing at End-of-RIB.
    pub hold_end_of_rib: bool,
}

/// Graceful restart (RFC 4724) as the restarting speaker: peers that negotiate it keep our
/// routes as stale while we restart, until our End-of-RIB or the restart time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GracefulRestartConfig {
    /// How long peers keep our routes after the session drops, in seconds (at most 4,095).
    pub restart_time: u16,
    /// This process is the restart: the first OPEN to each peer sets the Restart State bit.
    pub restarting: bool,
}

impl GracefulRestartConfig {
    /// The largest restart time the capability's 12 bits carry.
    pub const MAX_RESTART_TIME: u16 = 4095;
}

/// One peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerConfig {
    /// A name for logs and status (the address when not configured).
    pub name: String,
    /// The peer's address.
    pub address: IpAddr,
    /// The peer's TCP port (179).
    pub port: u16,
    /// The peer's AS; equal to ours makes the session iBGP.
    pub remote_as: Asn,
    /// The hold time we propose.
    pub hold_time: HoldTime,
    /// Only accept the peer's connection (needs the speaker's `listen`).
    pub passive: bool,
    /// The source address of our connection, when it must be a particular one.
    pub local_address: Option<IpAddr>,
    /// Next hop for IPv4 routes instead of our end of the session.
    pub next_hop_v4: Option<Ipv4Addr>,
    /// Next hop for IPv6 routes instead of our end of the session.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// TCP MD5 signature key (RFC 2385).
    pub password: Option<Password>,
    /// TTL handling for the session's packets.
    pub ttl: TtlMode,
    /// Backoff between connection attempts and after errors.
    pub backoff: Backoff,
    /// How long one connection attempt may take before it is abandoned and retried.
    pub connect_timeout: Duration,
    /// Families to negotiate.
    pub families: Vec<Family>,
}

impl PeerConfig {
    /// A peer with defaults: port 179, hold time 90 s, active, IPv4 and IPv6 unicast.
    pub fn new(address: IpAddr, remote_as: Asn) -> Self {
        PeerConfig {
            name: address.to_string(),
            address,
            port: 179,
            remote_as,
            hold_time: HoldTime::DEFAULT,
            passive: false,
            local_address: None,
            next_hop_v4: None,
            next_hop_v6: None,
            password: None,
            ttl: TtlMode::Default,
            backoff: Backoff::default(),
            connect_timeout: Duration::from_secs(5),
            families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        }
    }

    /// The peer's socket address.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.address, self.port)
    }
}

/// TTL of the session's packets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TtlMode {
    /// The system default TTL (eBGP peers are expected on the link).
    #[default]
    Default,
    /// eBGP multihop: send with this TTL.
    Multihop(u8),
    /// GTSM (RFC 5082): send with TTL 255 and accept only TTL ≥ 255 − hops + 1.
    Security {
        /// How many hops away the peer may be (1 = directly connected).
        hops: u8,
    },
}

/// A secret that never appears in logs, status or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Password(secret.into())
    }

    /// The secret's bytes, for the socket option.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}
