//! NLRI prefix encoding (RFC 4271 §4.3, RFC 4760 §5): a length octet and the significant
//! address octets.
//!
//! ```text
//! +---------------------------+
//! |   Length (1 octet, bits)  |
//! +---------------------------+
//! |   Prefix (ceil(Length/8)) |
//! +---------------------------+
//! ```
//!
//! Decoding is one tight loop per list: no allocation per prefix beyond the `Vec` push, and the
//! `Vec` is sized from the input length, never from a count the peer sent.

use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use super::sink::Sink;
use crate::types::{Afi, Prefix};

/// Which prefix list of an UPDATE a prefix was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NlriField {
    /// The Withdrawn Routes field (IPv4).
    Withdrawn,
    /// The Network Layer Reachability Information field (IPv4).
    Nlri,
    /// The NLRI inside MP_REACH_NLRI.
    MpReach,
    /// The Withdrawn Routes inside MP_UNREACH_NLRI.
    MpUnreach,
}

/// Why a prefix list is syntactically incorrect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PrefixFault {
    /// Offset of the prefix's length octet within the list.
    pub(crate) offset: usize,
    /// The length octet.
    pub(crate) prefix_len: u8,
    /// True when the length exceeds the address size; false when the octets run past the end.
    pub(crate) too_long: bool,
}

/// The address family's width in bits, for the families whose NLRI we parse.
pub(crate) fn max_prefix_len(afi: Afi) -> Option<u8> {
    match afi {
        Afi::Ipv4 => Some(32),
        Afi::Ipv6 => Some(128),
        Afi::Other(_) => None,
    }
}

/// Decodes a whole prefix list of IPv4 (`max_len` 32) or IPv6 (`max_len` 128) prefixes.
///
/// A first pass checks the list and counts the prefixes, so the `Vec` is allocated once at
/// its exact size (bounded by the list length, one prefix per octet at most).
pub(crate) fn decode_prefixes(list: &[u8], max_len: u8) -> Result<Vec<Prefix>, PrefixFault> {
    let mut out = Vec::with_capacity(count_prefixes(list, max_len)?);
    let mut rest = list;
    while let Some((&prefix_len, after_len)) = rest.split_first() {
        let octets = usize::from(prefix_len).div_ceil(8);
        let Some((addr, tail)) = after_len.split_at_checked(octets) else {
            break;
        };
        out.push(prefix_from(addr, prefix_len, max_len));
        rest = tail;
    }
    Ok(out)
}

/// Checks a prefix list and returns how many prefixes it holds.
fn count_prefixes(list: &[u8], max_len: u8) -> Result<usize, PrefixFault> {
    let mut count = 0;
    let mut rest = list;
    while let Some((&prefix_len, after_len)) = rest.split_first() {
        let offset = list.len() - rest.len();
        if prefix_len > max_len {
            return Err(PrefixFault {
                offset,
                prefix_len,
                too_long: true,
            });
        }
        let octets = usize::from(prefix_len).div_ceil(8);
        let Some(tail) = after_len.get(octets..) else {
            return Err(PrefixFault {
                offset,
                prefix_len,
                too_long: false,
            });
        };
        count += 1;
        rest = tail;
    }
    Ok(count)
}

/// Builds a prefix from its significant octets; `prefix_len` is already checked against
/// `max_len`, so the fallbacks below are never taken.
fn prefix_from(addr: &[u8], prefix_len: u8, max_len: u8) -> Prefix {
    if max_len == 32 {
        let mut octets = [0u8; 4];
        for (dst, src) in octets.iter_mut().zip(addr) {
            *dst = *src;
        }
        let net = Ipv4Net::new(Ipv4Addr::from(octets), prefix_len).unwrap_or_default();
        Prefix::from(IpNet::V4(net))
    } else {
        let mut octets = [0u8; 16];
        for (dst, src) in octets.iter_mut().zip(addr) {
            *dst = *src;
        }
        let net = Ipv6Net::new(Ipv6Addr::from(octets), prefix_len).unwrap_or_default();
        Prefix::from(IpNet::V6(net))
    }
}

/// Writes one prefix: its length octet and significant octets.
pub(crate) fn write_prefix(prefix: &Prefix, s: &mut dyn Sink) {
    let len = prefix.len();
    let octets = usize::from(len).div_ceil(8);
    s.put_u8(len);
    match prefix.net() {
        IpNet::V4(net) => s.put_slice(net.addr().octets().get(..octets).unwrap_or_default()),
        IpNet::V6(net) => s.put_slice(net.addr().octets().get(..octets).unwrap_or_default()),
    }
}

/// Writes a prefix list.
pub(crate) fn write_prefixes(prefixes: &[Prefix], s: &mut dyn Sink) {
    for prefix in prefixes {
        write_prefix(prefix, s);
    }
}

/// The encoded size of a prefix list.
pub(crate) fn prefixes_len(prefixes: &[Prefix]) -> usize {
    prefixes.iter().map(Prefix::nlri_len).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slash_24_takes_three_address_octets_and_a_slash_0_none() {
        let got = decode_prefixes(&[24, 192, 0, 2, 0], 32).unwrap();
        assert_eq!(
            got,
            vec![
                "192.0.2.0/24".parse().unwrap(),
                "0.0.0.0/0".parse().unwrap()
            ]
        );
    }

    #[test]
    fn host_bits_beyond_the_length_are_cleared() {
        let got = decode_prefixes(&[23, 192, 0, 3], 32).unwrap();
        assert_eq!(got, vec!["192.0.2.0/23".parse::<Prefix>().unwrap()]);
    }

    #[test]
    fn a_length_of_33_for_ipv4_is_too_long() {
        let fault = decode_prefixes(&[32, 1, 2, 3, 4, 33, 1, 2, 3, 4, 5], 32).unwrap_err();
        assert_eq!(
            fault,
            PrefixFault {
                offset: 5,
                prefix_len: 33,
                too_long: true
            }
        );
    }

    #[test]
    fn a_prefix_running_past_the_end_is_truncated() {
        let fault = decode_prefixes(&[32, 1, 2, 3], 32).unwrap_err();
        assert_eq!(
            fault,
            PrefixFault {
                offset: 0,
                prefix_len: 32,
                too_long: false
            }
        );
    }

    #[test]
    fn ipv6_prefixes_round_trip() {
        let p: Prefix = "2001:db8:1::/48".parse().unwrap();
        let mut buf = bytes::BytesMut::new();
        write_prefix(&p, &mut buf);
        assert_eq!(&buf[..], &[48, 0x20, 0x01, 0x0d, 0xb8, 0, 1]);
        assert_eq!(decode_prefixes(&buf, 128).unwrap(), vec![p]);
    }
}
