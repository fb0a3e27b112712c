//! Golden vectors, both directions, for UPDATE: every attribute we model, unknown optional
//! transitive attributes, IPv4 and IPv6 MP_REACH_NLRI (with and without a link-local next
//! hop), MP_UNREACH_NLRI, End-of-RIB for both families, AS4_PATH / AS4_AGGREGATOR towards a
//! 2-octet peer, and the Extended Length flag.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wire_support;

use std::net::{Ipv4Addr, Ipv6Addr};

use announcer_bgp::wire::{
    decode, Aggregator, AsPath, AsSegment, Community, LargeCommunity, Message, MpNextHop, MpReach,
    MpUnreach, Origin, PathAttributes, RawAttribute, Update,
};
use announcer_bgp::{Asn, Family, Prefix};
use bytes::Bytes;
use wire_support::{assert_hex_eq, ctx2, ctx4, encode, frame, golden, unhex};

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

fn asns(v: &[u32]) -> Vec<Asn> {
    v.iter().copied().map(Asn::new).collect()
}

fn update(attributes: PathAttributes, withdrawn: &[&str], nlri: &[&str]) -> Message {
    Message::Update(Update {
        withdrawn: withdrawn.iter().map(|s| p(s)).collect(),
        attributes,
        nlri: nlri.iter().map(|s| p(s)).collect(),
        faults: vec![],
    })
}

fn base() -> PathAttributes {
    PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(asns(&[65001]))),
        ..PathAttributes::default()
    }
}

#[test]
fn end_of_rib_for_ipv4_is_an_empty_update() {
    let msg = Message::Update(Update::end_of_rib(Family::IPV4_UNICAST));
    golden(&ctx4(), &frame(2, "0000 0000"), &msg);
    let Message::Update(u) = msg else { panic!() };
    assert_eq!(u.end_of_rib_family(), Some(Family::IPV4_UNICAST));
}

#[test]
fn end_of_rib_for_ipv6_is_an_empty_mp_unreach() {
    let msg = Message::Update(Update::end_of_rib(Family::IPV6_UNICAST));
    golden(&ctx4(), &frame(2, "0000 0006 800f03 0002 01"), &msg);
    let Message::Update(u) = msg else { panic!() };
    assert_eq!(u.end_of_rib_family(), Some(Family::IPV6_UNICAST));
}

#[test]
fn an_update_with_routes_is_not_end_of_rib() {
    let Message::Update(u) = update(base(), &["198.18.0.0/15"], &[]) else {
        panic!()
    };
    assert_eq!(u.end_of_rib_family(), None);
}

#[test]
fn every_ipv4_attribute_in_ascending_type_order_with_its_flags() {
    let attributes = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(asns(&[65001, 4_200_000_001]))),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        med: Some(50),
        local_pref: Some(100),
        atomic_aggregate: true,
        aggregator: Some(Aggregator {
            asn: Asn::new(65001),
            address: Ipv4Addr::new(192, 0, 2, 9),
        }),
        communities: vec![Community::new(65000, 100), Community::GRACEFUL_SHUTDOWN],
        large_communities: vec![LargeCommunity {
            global: 4_200_000_001,
            local1: 1,
            local2: 2,
        }],
        other: vec![RawAttribute {
            flags: 0xe0,
            type_code: 99,
            value: Bytes::from_static(&[1, 2]),
        }],
        ..PathAttributes::default()
    };
    let body = "
        0003 0f c612
        0053
        40 01 01 00
        40 02 0a 02 02 0000fde9 fa56ea01
        40 03 04 c0000201
        80 04 04 00000032
        40 05 04 00000064
        40 06 00
        c0 07 08 0000fde9 c0000209
        c0 08 08 fde80064 ffff0000
        c0 20 0c fa56ea01 00000001 00000002
        e0 63 02 0102
        18 c00002
        20 c6336407";
    let msg = update(
        attributes,
        &["198.18.0.0/15"],
        &["192.0.2.0/24", "198.51.100.7/32"],
    );
    golden(&ctx4(), &frame(2, body), &msg);
}

#[test]
fn an_unknown_optional_transitive_attribute_is_kept_with_the_partial_bit_set() {
    let body = "0000 0005 c0 63 02 0102";
    let Message::Update(u) = decode(&frame(2, body), &ctx4()).unwrap() else {
        panic!()
    };
    let raw = RawAttribute {
        flags: 0xe0,
        type_code: 99,
        value: Bytes::from_static(&[1, 2]),
    };
    assert_eq!(u.attributes.other, vec![raw]);
    assert!(u.faults.is_empty());
}

/// Unrecognized attributes kept in the order received are written in ascending type code
/// order among the modelled ones (RFC 4271 §5), two of one code in their order in `other`,
/// and one carrying a modelled type code not at all (the modelled field is what is written).
#[test]
fn unknown_attributes_in_any_order_are_written_ascending_among_the_modelled_ones() {
    let raw = |type_code, value: &'static [u8]| RawAttribute {
        flags: 0xe0,
        type_code,
        value: Bytes::from_static(value),
    };
    let attributes = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::default()),
        med: Some(7),
        other: vec![
            raw(200, &[2]),
            raw(3, &[9, 9, 9, 9]),
            raw(0, &[]),
            raw(99, &[1]),
            raw(200, &[1]),
            raw(4, &[8]),
        ],
        ..PathAttributes::default()
    };
    let body = "
        0000 001d
        e0 00 00
        40 01 01 00
        40 02 00
        80 04 04 00000007
        e0 63 01 01
        e0 c8 01 02
        e0 c8 01 01";
    let msg = update(attributes, &[], &[]);
    assert_hex_eq(&encode(&msg, &ctx4()), &frame(2, body));
    assert_eq!(msg.encoded_len(&ctx4()).unwrap(), frame(2, body).len());
}

#[test]
fn an_unknown_optional_non_transitive_attribute_is_dropped_silently() {
    let body = "0000 0005 80 63 02 0102";
    let Message::Update(u) = decode(&frame(2, body), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(u, Update::default());
}

#[test]
fn an_empty_as_path_as_sent_on_ibgp_is_a_zero_length_attribute() {
    let attributes = PathAttributes {
        origin: Some(Origin::Incomplete),
        as_path: Some(AsPath::default()),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        local_pref: Some(100),
        ..PathAttributes::default()
    };
    let body = "0000 0015 40 01 01 02 40 02 00 40 03 04 c0000201 40 05 04 00000064 20 cb007105";
    golden(
        &ctx4(),
        &frame(2, body),
        &update(attributes, &[], &["203.0.113.5/32"]),
    );
}

#[test]
fn as_set_and_confederation_segments_keep_their_types() {
    let path = AsPath {
        segments: vec![
            AsSegment::ConfedSequence(asns(&[64512])),
            AsSegment::ConfedSet(asns(&[64513])),
            AsSegment::Sequence(asns(&[65001])),
            AsSegment::Set(asns(&[65002, 65003])),
        ],
    };
    let attributes = PathAttributes {
        as_path: Some(path),
        ..PathAttributes::default()
    };
    let body = "0000 0015 40 02 12 03 01 fc00 04 01 fc01 02 01 fde9 01 02 fdea fdeb";
    golden(&ctx2(), &frame(2, body), &update(attributes, &[], &[]));
}

#[test]
fn towards_a_two_octet_peer_four_octet_asns_become_as_trans_plus_as4_path_and_as4_aggregator() {
    let aggregator = Aggregator {
        asn: Asn::new(4_200_000_001),
        address: Ipv4Addr::new(192, 0, 2, 9),
    };
    let sent = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(asns(&[65001, 4_200_000_001]))),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        aggregator: Some(aggregator),
        ..PathAttributes::default()
    };
    let body = "
        0000 0035
        40 01 01 00
        40 02 06 02 02 fde9 5ba0
        40 03 04 c0000201
        c0 07 06 5ba0 c0000209
        c0 11 0a 02 02 0000fde9 fa56ea01
        c0 12 08 fa56ea01 c0000209
        20 c0000201";
    let bytes = frame(2, body);
    assert_eq!(
        encode(&update(sent, &[], &["192.0.2.1/32"]), &ctx2()),
        bytes
    );

    let received = PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath::sequence(asns(&[65001, 23456]))),
        next_hop: Some(Ipv4Addr::new(192, 0, 2, 1)),
        aggregator: Some(Aggregator {
            asn: Asn::TRANS,
            ..aggregator
        }),
        as4_path: Some(AsPath::sequence(asns(&[65001, 4_200_000_001]))),
        as4_aggregator: Some(aggregator),
        ..PathAttributes::default()
    };
    golden(&ctx2(), &bytes, &update(received, &[], &["192.0.2.1/32"]));
}

#[test]
fn as4_path_leaves_out_confederation_segments() {
    let path = AsPath {
        segments: vec![
            AsSegment::ConfedSequence(asns(&[64512])),
            AsSegment::Sequence(asns(&[4_200_000_001])),
        ],
    };
    let attributes = PathAttributes {
        as_path: Some(path),
        ..PathAttributes::default()
    };
    let body = "0000 0014 40 02 08 03 01 fc00 02 01 5ba0 c0 11 06 02 01 fa56ea01";
    assert_eq!(
        encode(&update(attributes, &[], &[]), &ctx2()),
        frame(2, body)
    );
}

#[test]
fn as4_path_from_a_four_octet_peer_is_discarded() {
    let body = "0000 0009 c0 11 06 02 01 fa56ea01";
    let Message::Update(u) = decode(&frame(2, body), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(u, Update::default());
}

#[test]
fn mp_reach_for_ipv6_with_a_global_next_hop_only() {
    let attributes = PathAttributes {
        mp_reach: Some(MpReach {
            family: Family::IPV6_UNICAST,
            next_hop: MpNextHop::V6 {
                global: "2001:db8::1".parse().unwrap(),
                link_local: None,
            },
            nlri: vec![p("2001:db8:1::/48"), p("2001:db8::5/128")],
        }),
        ..base()
    };
    let body = "
        0000 003d
        40 01 01 00
        40 02 06 02 01 0000fde9
        80 0e 2d 0002 01 10 20010db8000000000000000000000001 00
            30 20010db80001
            80 20010db8000000000000000000000005";
    golden(&ctx4(), &frame(2, body), &update(attributes, &[], &[]));
}

#[test]
fn mp_reach_for_ipv6_with_global_and_link_local_next_hops() {
    let attributes = PathAttributes {
        mp_reach: Some(MpReach {
            family: Family::IPV6_UNICAST,
            next_hop: MpNextHop::V6 {
                global: "2001:db8::1".parse().unwrap(),
                link_local: Some("fe80::1".parse().unwrap()),
            },
            nlri: vec![p("2001:db8:1::/48")],
        }),
        ..base()
    };
    let body = "
        0000 003c
        40 01 01 00
        40 02 06 02 01 0000fde9
        80 0e 2c 0002 01 20 20010db8000000000000000000000001 fe800000000000000000000000000001 00
            30 20010db80001";
    golden(&ctx4(), &frame(2, body), &update(attributes, &[], &[]));
}

#[test]
fn mp_reach_for_ipv4_carries_a_four_byte_next_hop() {
    let attributes = PathAttributes {
        mp_reach: Some(MpReach {
            family: Family::IPV4_UNICAST,
            next_hop: MpNextHop::V4(Ipv4Addr::new(192, 0, 2, 1)),
            nlri: vec![p("192.0.2.128/25")],
        }),
        ..base()
    };
    let body =
        "0000 001e 40 01 01 00 40 02 06 02 01 0000fde9 80 0e 0e 0001 01 04 c0000201 00 19 c0000280";
    golden(&ctx4(), &frame(2, body), &update(attributes, &[], &[]));
}

#[test]
fn mp_unreach_withdraws_ipv6_prefixes() {
    let attributes = PathAttributes {
        mp_unreach: Some(MpUnreach {
            family: Family::IPV6_UNICAST,
            withdrawn: vec![p("2001:db8:1::/48"), p("::/0")],
        }),
        ..PathAttributes::default()
    };
    let body = "0000 000e 80 0f 0b 0002 01 30 20010db80001 00";
    golden(&ctx4(), &frame(2, body), &update(attributes, &[], &[]));
}

#[test]
fn a_value_over_255_bytes_sets_the_extended_length_flag_and_a_two_octet_length() {
    let communities: Vec<Community> = (0..70).map(|i| Community::new(65000, i)).collect();
    let attributes = PathAttributes {
        communities,
        ..PathAttributes::default()
    };
    let mut body = String::from("0000 011c d0 08 0118");
    for i in 0..70u16 {
        body.push_str(&format!(" fde8{i:04x}"));
    }
    golden(&ctx4(), &frame(2, &body), &update(attributes, &[], &[]));
}

#[test]
fn an_extended_length_flag_on_a_short_value_is_accepted_and_re_encoded_short() {
    let body = "0000 0005 50 01 0001 00";
    let Message::Update(u) = decode(&frame(2, body), &ctx4()).unwrap() else {
        panic!()
    };
    assert_eq!(u.attributes.origin, Some(Origin::Igp));
    assert_eq!(
        encode(&Message::Update(u), &ctx4()),
        frame(2, "0000 0004 40 01 01 00")
    );
}

#[test]
fn encoded_len_matches_the_bytes_written() {
    let msg = update(base(), &["198.18.0.0/15"], &["192.0.2.0/24"]);
    let Message::Update(u) = &msg else { panic!() };
    assert_eq!(u.encoded_len(&ctx4()), encode(&msg, &ctx4()).len());
    assert_eq!(u.encoded_len(&ctx2()), encode(&msg, &ctx2()).len());
}

#[test]
fn an_update_over_4096_bytes_is_refused_and_nothing_is_written() {
    let nlri: Vec<Prefix> = (0..1000u32)
        .map(|i| Prefix::host(Ipv4Addr::from(0xC612_0000 + i).into()))
        .collect();
    let msg = Message::Update(Update {
        nlri,
        attributes: base(),
        ..Update::default()
    });
    let mut buf = bytes::BytesMut::new();
    let err = msg.encode(&ctx4(), &mut buf).unwrap_err();
    assert!(matches!(err, announcer_bgp::Error::MessageTooLong(n) if n > 4096));
    assert!(buf.is_empty());
}

#[test]
fn ipv6_host_routes_use_the_full_sixteen_octets() {
    let host = Prefix::host(Ipv6Addr::LOCALHOST.into());
    assert_eq!(host.nlri_len(), 17);
    assert_eq!(unhex("80 00000000000000000000000000000001").len(), 17);
}
