//! Malformed control packets, one row per case: the bytes and the exact [`Discard`] that the
//! reception checks of RFC 5880 §6.8.6 (and the §4.1 ban on Poll with Final) give them. Where
//! a packet breaks several rules, the first in the RFC's order is reported.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use announcer_bfd::{ControlPacket, Discard, SessionState};
use common::unhex;

/// A valid Up packet (discriminators 0x6b8b4567 and 0x327b23c6, 300 ms both ways), which the
/// cases break one field at a time.
const UP: &str = "20 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000";

/// One row: a name, the bytes received, and the reason they are discarded.
struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    discard: Discard,
}

fn case(name: &'static str, hex: &str, discard: Discard) -> Case {
    Case {
        name,
        bytes: unhex(hex),
        discard,
    }
}

fn length(field: u8, received: usize) -> Discard {
    Discard::Length { field, received }
}

fn cases() -> Vec<Case> {
    use Discard::*;
    let up = unhex(UP);
    vec![
        case("no bytes at all", "", TooShort(0)),
        case("a single byte", "20", TooShort(1)),
        case(
            "23 bytes, one short of the header",
            &UP[..UP.len() - 2],
            TooShort(23),
        ),
        case(
            "a Length of 24 but only 23 bytes",
            "20 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 000000",
            TooShort(23),
        ),
        case(
            "version 0",
            "00 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            Version(0),
        ),
        case(
            "version 2",
            "40 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            Version(2),
        ),
        case(
            "version 7 with diagnostic 31",
            "ff c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            Version(7),
        ),
        case(
            "Length 0",
            "20 c0 03 00 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            length(0, 24),
        ),
        case(
            "Length 23, below the 24 of a packet without authentication",
            "20 c0 03 17 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            length(23, 24),
        ),
        case(
            "Length 25 with 24 bytes received",
            "20 c0 03 19 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            length(25, 24),
        ),
        case(
            "Length 255 with 28 bytes received",
            "20 c0 03 ff 6b8b4567 327b23c6 000493e0 000493e0 00000000 00000000",
            length(255, 28),
        ),
        case(
            "Length 24 with the A bit, which needs 26",
            "20 c4 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            length(24, 24),
        ),
        case(
            "Length 25 with the A bit and 25 bytes",
            "20 c4 03 19 6b8b4567 327b23c6 000493e0 000493e0 00000000 01",
            length(25, 25),
        ),
        case(
            "Length 26 with the A bit but 24 bytes received",
            "20 c4 03 1a 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            length(26, 24),
        ),
        case(
            "Detect Mult 0",
            "20 c0 00 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            ZeroMultiplier,
        ),
        case(
            "the M (Multipoint) bit",
            "20 c1 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            Multipoint,
        ),
        case(
            "My Discriminator 0",
            "20 c0 03 18 00000000 327b23c6 000493e0 000493e0 00000000",
            ZeroMyDiscriminator,
        ),
        case(
            "Your Discriminator 0 in Init",
            "20 80 03 18 6b8b4567 00000000 000f4240 000493e0 00000000",
            ZeroYourDiscriminator(SessionState::Init),
        ),
        case(
            "Your Discriminator 0 in Up",
            "20 c0 03 18 6b8b4567 00000000 000493e0 000493e0 00000000",
            ZeroYourDiscriminator(SessionState::Up),
        ),
        case(
            "the A bit with a well-formed simple password section (no authentication configured)",
            "20 c4 03 1f 6b8b4567 327b23c6 000493e0 000493e0 00000000 01 07 01 616263 00",
            Authenticated,
        ),
        case(
            "the A bit with Length 26 and 26 bytes",
            "20 c4 03 1a 6b8b4567 327b23c6 000493e0 000493e0 00000000 0102",
            Authenticated,
        ),
        case(
            "Poll and Final both set",
            "20 f0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
            PollAndFinal,
        ),
        case(
            "Poll and Final both set in Down",
            "20 70 03 18 6b8b4567 00000000 000f4240 000493e0 00000000",
            PollAndFinal,
        ),
        // Several rules broken at once: the first in §6.8.6's order wins.
        case(
            "version 0 with Length 0 and every other field zero",
            "00000000 00000000 00000000 00000000 00000000 00000000",
            Version(0),
        ),
        case(
            "version 1 with every other field zero: Length first",
            "20000000 00000000 00000000 00000000 00000000 00000000",
            length(0, 24),
        ),
        case(
            "Detect Mult 0 with the M bit and both discriminators 0",
            "20 c1 00 18 00000000 00000000 000493e0 000493e0 00000000",
            ZeroMultiplier,
        ),
        case(
            "the M bit with My Discriminator 0",
            "20 c1 03 18 00000000 327b23c6 000493e0 000493e0 00000000",
            Multipoint,
        ),
        case(
            "My Discriminator 0 and Your Discriminator 0 in Up",
            "20 c0 03 18 00000000 00000000 000493e0 000493e0 00000000",
            ZeroMyDiscriminator,
        ),
        case(
            "Your Discriminator 0 in Up with the A bit and Poll and Final",
            "20 f4 03 1a 6b8b4567 00000000 000493e0 000493e0 00000000 0102",
            ZeroYourDiscriminator(SessionState::Up),
        ),
        case(
            "the A bit with Poll and Final",
            "20 f4 03 1a 6b8b4567 327b23c6 000493e0 000493e0 00000000 0102",
            Authenticated,
        ),
        Case {
            name: "the valid Up packet with its last byte cut",
            bytes: up[..23].to_vec(),
            discard: TooShort(23),
        },
    ]
}

#[test]
fn every_malformed_packet_is_discarded_for_its_reason() {
    let cases = cases();
    let mut failures = Vec::new();
    for Case {
        name,
        bytes,
        discard,
    } in &cases
    {
        match ControlPacket::decode(bytes) {
            Err(got) if got == *discard => {
                // Every reason prints and has a counter name.
                assert!(!got.to_string().is_empty() && !got.kind().is_empty());
            }
            got => failures.push(format!("{name}: got {got:?}, want Err({discard:?})")),
        }
    }
    let (total, failed, report) = (cases.len(), failures.len(), failures.join("\n"));
    assert!(total >= 25, "only {total} cases");
    assert!(failed == 0, "{failed} of {total} cases failed:\n{report}");
}

#[test]
fn the_packet_the_cases_break_is_itself_valid() {
    let up = ControlPacket::decode(&unhex(UP)).unwrap();
    assert_eq!(up.encode().to_vec(), unhex(UP));
}

#[test]
fn your_discriminator_zero_is_accepted_in_down_and_admin_down() {
    for hex in [
        "20 40 03 18 6b8b4567 00000000 000f4240 000493e0 00000000",
        "27 00 03 18 6b8b4567 00000000 000f4240 000493e0 00000000",
    ] {
        let packet = ControlPacket::decode(&unhex(hex)).unwrap();
        assert_eq!(packet.your_discriminator, None, "{hex}");
    }
}

#[test]
fn discard_reasons_print_what_was_received() {
    let cases = [
        (
            Discard::TooShort(23),
            "23 bytes, fewer than the 24-byte header",
        ),
        (Discard::Version(2), "version 2, not 1"),
        (
            Discard::Length {
                field: 24,
                received: 24,
            },
            "Length field 24 with 24 bytes received",
        ),
        (
            Discard::ZeroYourDiscriminator(SessionState::Init),
            "Your Discriminator 0 in state Init",
        ),
    ];
    for (discard, text) in cases {
        assert_eq!(discard.to_string(), text);
    }
}
