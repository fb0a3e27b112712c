//! Every `DecodeError` variant, constructed directly, maps to the exact NOTIFICATION code,
//! subcode and data its RFC prescribes, and its log message shows the offending value.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::net::Ipv4Addr;

use announcer_bgp::wire::{DecodeError, NlriField};
use announcer_bgp::Family;
use bytes::Bytes;

fn attr() -> Bytes {
    Bytes::from_static(&[0x80, 0x0e, 0x01, 0x00])
}

/// An error, the (code, subcode) and data of its NOTIFICATION, and a text its log line shows.
type Row = (DecodeError, (u8, u8), Vec<u8>, &'static str);

#[test]
fn each_decode_error_maps_to_its_notification() {
    use DecodeError as E;
    let v6 = Family::IPV6_UNICAST;
    let table: Vec<Row> = vec![
        (E::BadMarker, (1, 1), vec![], "marker"),
        (
            E::BadMessageLength { length: 4097 },
            (1, 2),
            vec![0x10, 0x01],
            "4097",
        ),
        (
            E::BadMessageType { type_code: 9 },
            (1, 3),
            vec![9],
            "type 9",
        ),
        (
            E::RouteRefreshLength {
                message: Bytes::from_static(&[1, 2]),
            },
            (7, 1),
            vec![1, 2],
            "2 bytes",
        ),
        (
            E::UnsupportedVersion { version: 3 },
            (2, 1),
            vec![0, 4],
            "version 3",
        ),
        (E::UnacceptableHoldTime { seconds: 2 }, (2, 6), vec![], "2s"),
        (
            E::BadBgpIdentifier {
                id: Ipv4Addr::UNSPECIFIED,
            },
            (2, 3),
            vec![],
            "0.0.0.0",
        ),
        (
            E::UnsupportedOptionalParameter {
                param_type: 255,
                offset: 29,
            },
            (2, 4),
            vec![],
            "type 255",
        ),
        (
            E::OptionalParametersLength {
                declared: 9,
                available: 3,
            },
            (2, 0),
            vec![],
            "length 9",
        ),
        (
            E::OptionalParameterOverrun {
                offset: 29,
                declared: 8,
                available: 2,
            },
            (2, 0),
            vec![],
            "length 8",
        ),
        (
            E::CapabilityOverrun {
                offset: 31,
                code: 65,
                declared: 4,
                available: 1,
            },
            (2, 0),
            vec![],
            "capability 65",
        ),
        (
            E::MalformedCapability {
                offset: 31,
                code: 65,
                value: Bytes::from_static(&[0xfd, 0xe9]),
            },
            (2, 0),
            vec![],
            "fde9",
        ),
        (
            E::ConflictingCapability { code: 65 },
            (2, 0),
            vec![],
            "capability 65",
        ),
        (
            E::WithdrawnRoutesLength {
                declared: 300,
                available: 4,
            },
            (3, 1),
            vec![],
            "300",
        ),
        (
            E::PathAttributesLength {
                declared: 300,
                available: 4,
            },
            (3, 1),
            vec![],
            "300",
        ),
        (
            E::PrefixTooLong {
                field: NlriField::Nlri,
                offset: 40,
                prefix_len: 33,
            },
            (3, 10),
            vec![],
            "/33",
        ),
        (
            E::PrefixTruncated {
                field: NlriField::Withdrawn,
                offset: 21,
                prefix_len: 24,
            },
            (3, 10),
            vec![],
            "/24",
        ),
        (
            E::UnrecognizedWellKnownAttribute {
                type_code: 99,
                attribute: attr(),
            },
            (3, 2),
            attr().to_vec(),
            "attribute 99",
        ),
        (
            E::DuplicateMpAttribute {
                type_code: 14,
                offset: 60,
            },
            (3, 1),
            vec![],
            "attribute 14",
        ),
        (
            E::MpAttributeTruncated {
                type_code: 14,
                attribute: attr(),
            },
            (3, 9),
            attr().to_vec(),
            "800e0100",
        ),
        (
            E::MpNextHopLength {
                family: v6,
                length: 8,
                attribute: attr(),
            },
            (3, 9),
            attr().to_vec(),
            "8-byte",
        ),
        (
            E::MpInvalidPrefix {
                field: NlriField::MpReach,
                family: v6,
                prefix_len: 129,
                too_long: true,
                attribute: attr(),
            },
            (3, 9),
            attr().to_vec(),
            "/129",
        ),
    ];
    for (error, octets, data, shown) in table {
        let n = error.notification();
        assert_eq!(n.code.to_octets(), octets, "{error:?}");
        assert_eq!(n.data.to_vec(), data, "{error:?}");
        assert!(
            error.to_string().contains(shown),
            "{error} should show {shown}"
        );
    }
}
