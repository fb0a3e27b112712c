//! Inputs found by the fuzz targets in `fuzz/` (run with `scripts/fuzz`) or while writing
//! them, minimised, with the outcome the RFCs call for.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wire_support;

use announcer_bgp::wire::{
    decode, AsPath, AsSegment, Message, Origin, PathAttributes, Update, MAX_MESSAGE_LEN,
};
use announcer_bgp::Asn;
use wire_support::{assert_hex_eq, ctx2, encode, frame};

/// An UPDATE with only `attributes`.
fn update(attributes: PathAttributes) -> Message {
    Message::Update(Update {
        attributes,
        ..Update::default()
    })
}

/// `roundtrip` target, minimised: an AS4_PATH with no segments to a 2-octet peer is written
/// as a zero-length attribute (`c0 11 00`), which our own decoder (and any RFC 6793 §6
/// receiver) discards as malformed. RFC 6793 §4.2.2 builds AS4_PATH from the 4-octet path
/// without confederation segments; when nothing is left there is nothing to send.
#[test]
fn an_as4_path_with_no_segments_is_not_written() {
    let msg = update(PathAttributes {
        origin: Some(Origin::Igp),
        as4_path: Some(AsPath::default()),
        ..PathAttributes::default()
    });
    assert_hex_eq(&encode(&msg, &ctx2()), &frame(2, "0000 0004 40010100"));
}

/// The same finding through derivation: a 4-octet ASN only inside a confederation segment
/// makes the encoder derive an AS4_PATH that is empty once confederation segments are left
/// out, and write it with length zero.
#[test]
fn a_derived_as4_path_of_confederation_segments_only_is_not_written() {
    let msg = update(PathAttributes {
        origin: Some(Origin::Igp),
        as_path: Some(AsPath {
            segments: vec![AsSegment::ConfedSequence(vec![Asn::new(4_200_000_001)])],
        }),
        ..PathAttributes::default()
    });
    // ORIGIN, then AS_PATH [confed-sequence AS_TRANS], and no AS4_PATH.
    let want = frame(2, "0000 000b 40010100 4002 04 0301 5ba0");
    assert_hex_eq(&encode(&msg, &ctx2()), &want);
}

/// `decode` target (the semantic comparison had to leave this out to go on): confederation
/// segments in an AS4_PATH from a 2-octet peer are kept, where RFC 6793 §6 has the receiver
/// discard those segments and go on with the UPDATE; the encoder leaves them out
/// (§4.2.2), so such a decoded message does not survive re-encoding.
#[test]
fn confederation_segments_in_as4_path_are_discarded() {
    // ORIGIN IGP; AS4_PATH: confed-sequence [65010], sequence [4200000001].
    let bytes = frame(2, "0000 0013 40010100 c0 11 0c 0301 0000fdf2 0201 fa56ea01");
    let Message::Update(got) = decode(&bytes, &ctx2()).unwrap() else {
        panic!("not an UPDATE");
    };
    let want = AsPath::sequence(vec![Asn::new(4_200_000_001)]);
    assert_eq!(got.attributes.as4_path, Some(want));
    assert_eq!(got.faults, vec![]);
}

/// `decode` target, found as a 43-byte stream and cut down by hand (the length fields keep
/// libFuzzer's minimiser from shortening it): an AS4_PATH of one confederation segment. With
/// the segment discarded (RFC 6793 §6) nothing is left, so there is no AS4_PATH; today it is
/// kept, and re-encoding it writes the zero-length AS4_PATH of the encoder finding above.
#[test]
fn an_as4_path_of_confederation_segments_only_is_dropped() {
    // AS4_PATH: confed-sequence [65010].
    let bytes = frame(2, "0000 0009 c0 11 06 0301 0000fdf2");
    let Message::Update(got) = decode(&bytes, &ctx2()).unwrap() else {
        panic!("not an UPDATE");
    };
    assert_eq!(got.attributes.as4_path, None);
}

/// Found while writing the `decode` target's check that every decode error's NOTIFICATION
/// can be sent (the target asserts it, but reaching it takes a frame of over 4,075 bytes).
/// A ROUTE-REFRESH longer than 4 body octets is answered with a ROUTE-REFRESH Message Error
/// carrying the whole message (RFC 7313 §5); for a message over 4,075 bytes that
/// NOTIFICATION exceeds 4,096 bytes, `encode` refuses it, and the session closes without
/// sending any NOTIFICATION. RFC 4271 §4 caps every message at 4,096 bytes, so the data has
/// to be cut to the first 4,075 octets of the message.
#[test]
fn the_notification_for_a_long_route_refresh_fits_in_a_message() {
    let body = format!("0001 00 01 {}", "00".repeat(MAX_MESSAGE_LEN - 19 - 4));
    let bytes = frame(5, &body);
    assert_eq!(bytes.len(), MAX_MESSAGE_LEN);
    let err = decode(&bytes, &ctx2()).unwrap_err();
    let notification = Message::Notification(err.notification());
    let sent = encode(&notification, &ctx2());
    assert_eq!(sent.len(), MAX_MESSAGE_LEN);
    assert_eq!(&sent[21..], &bytes[..MAX_MESSAGE_LEN - 21]);
}
