//! Golden vectors, both directions, for the session messages: OPEN with every capability,
//! KEEPALIVE, NOTIFICATION (with an RFC 9003 shutdown communication) and ROUTE-REFRESH.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wire_support;

use std::net::Ipv4Addr;

use announcer_bgp::wire::{
    decode, Capability, CeaseSubcode, ErrorCode, GracefulRestart, GracefulRestartFamily, Message,
    Notification, Open, RouteRefresh, WireContext,
};
use announcer_bgp::{Afi, Asn, Family, HoldTime, RouterId, Safi};
use bytes::{Bytes, BytesMut};
use wire_support::{ctx2, encode, frame, golden, unhex};

fn open(my_as: u16, hold: u16, id: [u8; 4], capabilities: Vec<Capability>) -> Message {
    Message::Open(Open {
        my_as,
        hold_time: HoldTime::new(hold).unwrap(),
        router_id: RouterId::new(Ipv4Addr::from(id)).unwrap(),
        capabilities,
    })
}

fn every_capability() -> Vec<Capability> {
    vec![
        Capability::Multiprotocol(Family::IPV4_UNICAST),
        Capability::Multiprotocol(Family::IPV6_UNICAST),
        Capability::RouteRefresh,
        Capability::GracefulRestart(GracefulRestart {
            restart_state: true,
            notification: false,
            restart_time: 120,
            families: vec![GracefulRestartFamily {
                family: Family::IPV4_UNICAST,
                forwarding_preserved: true,
            }],
        }),
        Capability::FourOctetAs(Asn::new(4_200_000_001)),
        Capability::Unknown {
            code: 70,
            value: Bytes::new(),
        },
        Capability::Unknown {
            code: 73,
            value: Bytes::from_static(b"ab"),
        },
    ]
}

/// The capabilities of [`every_capability`], code, length and value each.
const EVERY_CAPABILITY_HEX: &str = "
    01 04 0001 00 01
    01 04 0002 00 01
    02 00
    40 06 8078 0001 01 80
    41 04 fa56ea01
    46 00
    49 02 6162";

#[test]
fn keepalive_is_a_bare_19_byte_header() {
    golden(
        &ctx2(),
        &unhex("ffffffffffffffffffffffffffffffff 0013 04"),
        &Message::Keepalive,
    );
}

#[test]
fn open_without_optional_parameters_is_29_bytes() {
    let bytes = frame(1, "04 fde9 005a c0000201 00");
    assert_eq!(bytes.len(), 29);
    golden(&ctx2(), &bytes, &open(65001, 90, [192, 0, 2, 1], vec![]));
}

#[test]
fn open_with_every_capability_puts_them_all_in_one_parameter() {
    let body = format!("04 5ba0 005a c0000201 24 02 22 {EVERY_CAPABILITY_HEX}");
    golden(
        &ctx2(),
        &frame(1, &body),
        &open(23456, 90, [192, 0, 2, 1], every_capability()),
    );
}

#[test]
fn open_with_one_capability_per_parameter_decodes_like_one_parameter_with_many() {
    let body = "04 5ba0 005a c0000201 30
        02 06 01 04 0001 00 01
        02 06 01 04 0002 00 01
        02 02 02 00
        02 08 40 06 8078 0001 01 80
        02 06 41 04 fa56ea01
        02 02 46 00
        02 04 49 02 6162";
    let got = decode(&frame(1, body), &WireContext::initial()).unwrap();
    assert_eq!(got, open(23456, 90, [192, 0, 2, 1], every_capability()));
}

#[test]
fn graceful_restart_flags_time_and_per_family_forwarding_bits_decode() {
    let body = "04 fde9 0009 c0000201 0e 02 0c 40 0a c0 78 0001 01 00 0002 01 80";
    let Message::Open(got) = decode(&frame(1, body), &ctx2()).unwrap() else {
        panic!()
    };
    let want = GracefulRestart {
        restart_state: true,
        notification: true,
        restart_time: 120,
        families: vec![
            GracefulRestartFamily {
                family: Family::IPV4_UNICAST,
                forwarding_preserved: false,
            },
            GracefulRestartFamily {
                family: Family::IPV6_UNICAST,
                forwarding_preserved: true,
            },
        ],
    };
    assert_eq!(got.capabilities, vec![Capability::GracefulRestart(want)]);
}

#[test]
fn a_repeated_identical_capability_is_kept_and_the_as_comes_from_it() {
    let body = "04 5ba0 005a c0000201 0e 02 0c 41 04 fa56ea01 41 04 fa56ea01";
    let Message::Open(got) = decode(&frame(1, body), &ctx2()).unwrap() else {
        panic!()
    };
    assert_eq!(got.capabilities.len(), 2);
    assert_eq!(got.asn(), Asn::new(4_200_000_001));
}

#[test]
fn an_open_whose_capabilities_exceed_255_bytes_is_refused_by_the_encoder() {
    let big = Capability::Unknown {
        code: 200,
        value: Bytes::from(vec![0; 254]),
    };
    let msg = open(65001, 90, [192, 0, 2, 1], vec![big]);
    let mut buf = BytesMut::new();
    assert!(matches!(
        msg.encode(&ctx2(), &mut buf),
        Err(announcer_bgp::Error::OptionalParametersTooLong(258))
    ));
    assert!(buf.is_empty());
}

#[test]
fn notification_hold_timer_expired_has_no_data() {
    let msg = Message::Notification(Notification::new(ErrorCode::HoldTimerExpired, Bytes::new()));
    golden(&ctx2(), &frame(3, "04 00"), &msg);
}

#[test]
fn notification_with_an_rfc_9003_shutdown_communication_carries_its_length_and_text() {
    let n = Notification::cease_with_reason(CeaseSubcode::AdministrativeShutdown, "bye now");
    golden(
        &ctx2(),
        &frame(3, "06 02 07 627965206e6f77"),
        &Message::Notification(n.clone()),
    );
    assert_eq!(n.shutdown_reason().as_deref(), Some("bye now"));
}

#[test]
fn notification_with_unknown_code_keeps_code_subcode_and_data_raw() {
    let n = Notification::new(
        ErrorCode::Unknown {
            code: 9,
            subcode: 9,
        },
        vec![1, 2, 3],
    );
    golden(
        &ctx2(),
        &frame(3, "09 09 010203"),
        &Message::Notification(n),
    );
}

#[test]
fn route_refresh_for_ipv6_unicast_is_23_bytes() {
    let msg = Message::RouteRefresh(RouteRefresh {
        family: Family::IPV6_UNICAST,
        subtype: 0,
    });
    golden(&ctx2(), &frame(5, "0002 00 01"), &msg);
}

#[test]
fn route_refresh_keeps_the_rfc_7313_subtype_and_unknown_families() {
    let family = Family {
        afi: Afi::Other(25),
        safi: Safi::Other(70),
    };
    let msg = Message::RouteRefresh(RouteRefresh { family, subtype: 2 });
    golden(&ctx2(), &frame(5, "0019 02 46"), &msg);
}

#[test]
fn encoding_appends_to_what_is_already_in_the_buffer() {
    let mut buf = BytesMut::from(&b"xy"[..]);
    Message::Keepalive.encode(&ctx2(), &mut buf).unwrap();
    assert_eq!(buf.len(), 21);
    assert_eq!(&buf[..2], b"xy");
    assert_eq!(encode(&Message::Keepalive, &ctx2()), buf[2..].to_vec());
}
