//! MRT TABLE_DUMP_V2 files (RFC 6396 §4.3) of IPv4 host routes: how the
//! benchmark hands GoBGP all its routes in one batch (`gobgp mrt inject
//! global FILE`, one streamed gRPC call), since gobgpd's configuration
//! cannot hold routes.
//!
//! ```text
//! common header:  timestamp(4) type=13(2) subtype(2) length(4)
//! PEER_INDEX_TABLE (subtype 1): collector id(4) view name length=0(2)
//!                   peer count=1(2) peer: type=AS4|IPv4(1) id(4) address(4) AS(4)
//! RIB_IPV4_UNICAST (subtype 2): sequence(4) prefix length=32(1) prefix(4)
//!                   entry count=1(2) entry: peer index=0(2) time(4)
//!                   attributes length(2) ORIGIN IGP, empty AS_PATH, NEXT_HOP
//! ```

use std::net::Ipv4Addr;

/// MRT type TABLE_DUMP_V2.
const TABLE_DUMP_V2: u16 = 13;
/// Subtype PEER_INDEX_TABLE.
const PEER_INDEX_TABLE: u16 = 1;
/// Subtype RIB_IPV4_UNICAST.
const RIB_IPV4_UNICAST: u16 = 2;
/// Peer type bits: 4-octet AS, IPv4 address.
const PEER_TYPE_AS4_IPV4: u8 = 0x02;
/// Attribute flags: well-known transitive.
const TRANSITIVE: u8 = 0x40;

/// The one peer the routes are recorded as learned from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// Its BGP identifier.
    pub bgp_id: Ipv4Addr,
    /// Its address.
    pub address: Ipv4Addr,
    /// Its AS.
    pub asn: u32,
}

/// A TABLE_DUMP_V2 file: a PEER_INDEX_TABLE with `peer`, then one
/// RIB_IPV4_UNICAST record per address of `hosts` (as a /32) with ORIGIN
/// IGP, an empty AS_PATH and `next_hop`, all stamped `timestamp`.
pub fn host_routes(hosts: &[Ipv4Addr], next_hop: Ipv4Addr, peer: Peer, timestamp: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + hosts.len() * 45);
    let mut index = Vec::new();
    index.extend_from_slice(&peer.bgp_id.octets());
    index.extend_from_slice(&0u16.to_be_bytes());
    index.extend_from_slice(&1u16.to_be_bytes());
    index.push(PEER_TYPE_AS4_IPV4);
    index.extend_from_slice(&peer.bgp_id.octets());
    index.extend_from_slice(&peer.address.octets());
    index.extend_from_slice(&peer.asn.to_be_bytes());
    record(&mut out, timestamp, PEER_INDEX_TABLE, &index);
    let attributes = attributes(next_hop);
    let mut rib = Vec::with_capacity(64);
    for (sequence, host) in (0u32..).zip(hosts) {
        rib.clear();
        rib.extend_from_slice(&sequence.to_be_bytes());
        rib.push(32);
        rib.extend_from_slice(&host.octets());
        rib.extend_from_slice(&1u16.to_be_bytes());
        rib.extend_from_slice(&0u16.to_be_bytes());
        rib.extend_from_slice(&timestamp.to_be_bytes());
        rib.extend_from_slice(&attributes);
        record(&mut out, timestamp, RIB_IPV4_UNICAST, &rib);
    }
    out
}

/// The attributes of every route, preceded by their length.
fn attributes(next_hop: Ipv4Addr) -> Vec<u8> {
    let mut attributes = vec![TRANSITIVE, 1, 1, 0, TRANSITIVE, 2, 0, TRANSITIVE, 3, 4];
    attributes.extend_from_slice(&next_hop.octets());
    let mut out = u16::try_from(attributes.len())
        .unwrap_or(u16::MAX)
        .to_be_bytes()
        .to_vec();
    out.extend(attributes);
    out
}

/// Appends one MRT record: the common header, then `body`.
fn record(out: &mut Vec<u8>, timestamp: u32, subtype: u16, body: &[u8]) {
    out.extend_from_slice(&timestamp.to_be_bytes());
    out.extend_from_slice(&TABLE_DUMP_V2.to_be_bytes());
    out.extend_from_slice(&subtype.to_be_bytes());
    out.extend_from_slice(&u32::try_from(body.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: Peer = Peer {
        bgp_id: Ipv4Addr::new(192, 0, 2, 11),
        address: Ipv4Addr::new(192, 0, 2, 11),
        asn: 65001,
    };

    #[test]
    fn one_route_is_a_peer_index_table_and_one_rib_record() {
        let bytes = host_routes(
            &[Ipv4Addr::new(198, 18, 0, 1)],
            Ipv4Addr::new(192, 0, 2, 11),
            PEER,
            0x0102_0304,
        );
        #[rustfmt::skip]
        let expected: Vec<u8> = vec![
            // common header: time, TABLE_DUMP_V2, PEER_INDEX_TABLE, length 21
            1, 2, 3, 4, 0, 13, 0, 1, 0, 0, 0, 21,
            // collector id, no view name, one peer
            192, 0, 2, 11, 0, 0, 0, 1,
            // peer: AS4|IPv4, id, address, AS 65001
            2, 192, 0, 2, 11, 192, 0, 2, 11, 0, 0, 0xfd, 0xe9,
            // common header: time, TABLE_DUMP_V2, RIB_IPV4_UNICAST, length 33
            1, 2, 3, 4, 0, 13, 0, 2, 0, 0, 0, 33,
            // sequence 0, 198.18.0.1/32, one entry
            0, 0, 0, 0, 32, 198, 18, 0, 1, 0, 1,
            // peer index 0, originated time, attributes length 14
            0, 0, 1, 2, 3, 4, 0, 14,
            // ORIGIN IGP, empty AS_PATH, NEXT_HOP 192.0.2.11
            0x40, 1, 1, 0, 0x40, 2, 0, 0x40, 3, 4, 192, 0, 2, 11,
        ];
        assert_eq!(bytes, expected);
    }

    #[test]
    fn records_are_numbered_in_order() {
        let hosts: Vec<Ipv4Addr> = (1..=3).map(|i| Ipv4Addr::new(198, 18, 0, i)).collect();
        let bytes = host_routes(&hosts, Ipv4Addr::new(192, 0, 2, 11), PEER, 0);
        let peer_index_len = 12 + 21;
        let rib_len = 12 + 33;
        assert_eq!(bytes.len(), peer_index_len + 3 * rib_len);
        let third = peer_index_len + 2 * rib_len;
        assert_eq!(&bytes[third + 12..third + 16], &2u32.to_be_bytes());
        assert_eq!(&bytes[third + 17..third + 21], &[198, 18, 0, 3]);
    }
}
