//! Protocol value types with validating constructors: AS numbers, router
//! identifiers, hold times, address families and host-route prefixes.
//!
//! Everything here is plain data; the wire codec and the FSM build on it.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::Error;

/// An autonomous system number (4-octet, RFC 6793).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Asn(u32);

impl Asn {
    /// AS_TRANS (RFC 6793 §9): stands in the 2-octet "My AS" field for a 4-octet AS.
    pub const TRANS: Asn = Asn(23456);

    /// An AS number from its numeric value.
    pub const fn new(value: u32) -> Self {
        Asn(value)
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The value for a 2-octet field: itself when it fits, otherwise AS_TRANS.
    pub fn to_u16_or_trans(self) -> u16 {
        u16::try_from(self.0).unwrap_or(23456)
    }

    /// True when the number does not fit in 2 octets.
    pub const fn is_four_octet(self) -> bool {
        self.0 > u16::MAX as u32
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AS{}", self.0)
    }
}

/// A BGP identifier (RFC 4271 §4.2, RFC 6286): a non-zero 4-octet value, written as IPv4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouterId(Ipv4Addr);

impl RouterId {
    /// A router id; zero is not a valid BGP identifier.
    pub fn new(addr: Ipv4Addr) -> Result<Self, Error> {
        if addr.is_unspecified() {
            return Err(Error::InvalidRouterId(addr));
        }
        Ok(RouterId(addr))
    }

    /// The identifier as an IPv4 address.
    pub const fn addr(self) -> Ipv4Addr {
        self.0
    }

    /// The identifier as a 32-bit number, as compared in collision detection (RFC 4271 §6.8).
    pub fn to_u32(self) -> u32 {
        u32::from(self.0)
    }
}

impl fmt::Display for RouterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A hold time in seconds (RFC 4271 §4.2): zero (no keepalives) or at least 3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HoldTime(u16);

impl HoldTime {
    /// No hold timer and no keepalives.
    pub const NONE: HoldTime = HoldTime(0);
    /// The default we propose: 90 s, as RFC 4271 §10 suggests.
    pub const DEFAULT: HoldTime = HoldTime(90);

    /// A hold time in seconds; 1 and 2 are rejected as RFC 4271 §4.2 requires.
    pub fn new(seconds: u16) -> Result<Self, Error> {
        match seconds {
            1 | 2 => Err(Error::InvalidHoldTime(seconds)),
            s => Ok(HoldTime(s)),
        }
    }

    /// The value in seconds.
    pub const fn seconds(self) -> u16 {
        self.0
    }

    /// The hold timer duration, or `None` when hold time is zero.
    pub fn duration(self) -> Option<Duration> {
        (self.0 != 0).then(|| Duration::from_secs(u64::from(self.0)))
    }

    /// The keepalive interval: one third of the hold time (RFC 4271 §10), `None` for zero.
    pub fn keepalive(self) -> Option<Duration> {
        (self.0 != 0).then(|| Duration::from_millis(u64::from(self.0) * 1000 / 3))
    }

    /// The negotiated hold time: the smaller of ours and the peer's (RFC 4271 §4.2).
    pub fn negotiate(self, peer: HoldTime) -> HoldTime {
        HoldTime(self.0.min(peer.0))
    }
}

/// An Address Family Identifier (IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Afi {
    /// IPv4 (1).
    Ipv4,
    /// IPv6 (2).
    Ipv6,
    /// Any other value, kept as received.
    Other(u16),
}

impl From<u16> for Afi {
    fn from(v: u16) -> Self {
        match v {
            1 => Afi::Ipv4,
            2 => Afi::Ipv6,
            other => Afi::Other(other),
        }
    }
}

impl From<Afi> for u16 {
    fn from(a: Afi) -> u16 {
        match a {
            Afi::Ipv4 => 1,
            Afi::Ipv6 => 2,
            Afi::Other(v) => v,
        }
    }
}

/// A Subsequent Address Family Identifier (IANA registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safi {
    /// Unicast (1).
    Unicast,
    /// Multicast (2).
    Multicast,
    /// Any other value, kept as received.
    Other(u8),
}

impl From<u8> for Safi {
    fn from(v: u8) -> Self {
        match v {
            1 => Safi::Unicast,
            2 => Safi::Multicast,
            other => Safi::Other(other),
        }
    }
}

impl From<Safi> for u8 {
    fn from(s: Safi) -> u8 {
        match s {
            Safi::Unicast => 1,
            Safi::Multicast => 2,
            Safi::Other(v) => v,
        }
    }
}

/// An AFI/SAFI pair as carried in capabilities, MP attributes and ROUTE-REFRESH.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Family {
    /// The address family.
    pub afi: Afi,
    /// The subsequent address family.
    pub safi: Safi,
}

impl Family {
    /// IPv4 unicast.
    pub const IPV4_UNICAST: Family = Family {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    };
    /// IPv6 unicast.
    pub const IPV6_UNICAST: Family = Family {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
    };
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Family::IPV4_UNICAST => f.write_str("ipv4-unicast"),
            Family::IPV6_UNICAST => f.write_str("ipv6-unicast"),
            Family { afi, safi } => write!(f, "afi {}/safi {}", u16::from(afi), u8::from(safi)),
        }
    }
}

/// An IP prefix with its host bits cleared, as carried in NLRI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix(IpNet);

impl Prefix {
    /// A prefix from an address and length; host bits are cleared.
    pub fn new(addr: IpAddr, len: u8) -> Result<Self, Error> {
        IpNet::new(addr, len)
            .map(|net| Prefix(net.trunc()))
            .map_err(|_| Error::InvalidPrefixLength { addr, len })
    }

    /// A host route: /32 for IPv4, /128 for IPv6.
    pub fn host(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(a) => Prefix(IpNet::V4(Ipv4Net::from(a))),
            IpAddr::V6(a) => Prefix(IpNet::V6(Ipv6Net::from(a))),
        }
    }

    /// The network.
    pub const fn net(&self) -> IpNet {
        self.0
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.0.addr()
    }

    /// The prefix length in bits.
    #[allow(clippy::len_without_is_empty)] // a length in bits, not the size of a collection
    pub fn len(&self) -> u8 {
        self.0.prefix_len()
    }

    /// The address family this prefix is announced in (unicast).
    pub fn family(&self) -> Family {
        match self.0 {
            IpNet::V4(_) => Family::IPV4_UNICAST,
            IpNet::V6(_) => Family::IPV6_UNICAST,
        }
    }

    /// Bytes this prefix takes in NLRI: one length octet plus the significant octets.
    pub fn nlri_len(&self) -> usize {
        1 + usize::from(self.len()).div_ceil(8)
    }

    /// True for a /32 or /128.
    pub fn is_host(&self) -> bool {
        self.0.prefix_len() == self.0.max_prefix_len()
    }
}

impl From<IpNet> for Prefix {
    fn from(net: IpNet) -> Self {
        Prefix(net.trunc())
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Prefix {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        s.parse::<IpNet>()
            .map(Prefix::from)
            .map_err(|_| Error::InvalidPrefix(s.to_owned()))
    }
}

impl serde::Serialize for Prefix {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Prefix {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_octet_asn_is_sent_as_as_trans_in_two_octet_fields() {
        assert_eq!(Asn::new(4_200_000_000).to_u16_or_trans(), 23456);
        assert_eq!(Asn::new(65001).to_u16_or_trans(), 65001);
    }

    #[test]
    fn hold_time_of_one_or_two_seconds_is_rejected() {
        assert!(HoldTime::new(1).is_err());
        assert!(HoldTime::new(2).is_err());
        assert_eq!(HoldTime::new(0).unwrap().keepalive(), None);
        assert_eq!(
            HoldTime::new(9).unwrap().keepalive(),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn negotiated_hold_time_is_the_minimum() {
        let ours = HoldTime::new(90).unwrap();
        assert_eq!(ours.negotiate(HoldTime::new(9).unwrap()).seconds(), 9);
        assert_eq!(ours.negotiate(HoldTime::NONE).seconds(), 0);
    }

    #[test]
    fn router_id_zero_is_rejected() {
        assert!(RouterId::new(Ipv4Addr::UNSPECIFIED).is_err());
    }

    #[test]
    fn prefix_host_bits_are_cleared() {
        let p: Prefix = "203.0.113.77/24".parse().unwrap();
        assert_eq!(p.to_string(), "203.0.113.0/24");
        assert_eq!(p.nlri_len(), 4);
        assert!(Prefix::host("2001:db8::1".parse().unwrap()).is_host());
    }
}
