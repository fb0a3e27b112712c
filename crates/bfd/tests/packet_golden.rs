//! Golden vectors for the control packet (RFC 5880 §4.1), checked in both directions: the
//! hex decodes to the expected packet, and the packet encodes to the same hex, with a
//! word-by-word hex diff on failure. One vector per kind of packet a session sends or meets:
//! Down before the peer is known, Init, Up, a Poll and its Final, AdminDown, Down after the
//! detection time expired, the C bit, reserved diagnostics, every field at its maximum; and,
//! decoded only, the inputs whose re-encoding differs by design (bytes beyond Length, a
//! Length above 24, the D bit). Then the packets captured from real routers.
//!
//! Each vector is one hex string literal, so that `scripts/fuzz` can seed the `bfd_decode`
//! target with them.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::unhex;
use std::path::PathBuf;

use announcer_bfd::packet::LENGTH;
use announcer_bfd::{ControlPacket, Diagnostic, Discriminator, Interval, Multiplier, SessionState};

/// The names of the header's six words, for the diff.
const WORDS: [&str; 6] = [
    "vers/diag flags mult len",
    "my discriminator",
    "your discriminator",
    "desired min tx",
    "required min rx",
    "required min echo rx",
];

/// Asserts two byte strings are equal; on failure shows both a 32-bit word per line, the
/// header's words named, differing lines marked `<>`, and the first differing offset.
fn assert_hex_eq(got: &[u8], want: &[u8]) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let word = |bytes: &[u8], i: usize| -> String {
        bytes
            .chunks(4)
            .nth(i)
            .map(|w| w.iter().map(|b| format!("{b:02x}")).collect())
            .unwrap_or_default()
    };
    let rows = got.len().max(want.len()).div_ceil(4);
    let mut diff = String::new();
    for i in 0..rows {
        let (g, w) = (word(got, i), word(want, i));
        let mark = if g == w { "  " } else { "<>" };
        let name = WORDS.get(i).copied().unwrap_or("(beyond the header)");
        diff.push_str(&format!("{:02x}: {g:<8} {mark} {w:<8}  {name}\n", i * 4));
    }
    panic!(
        "bytes differ at offset {at} (got {} bytes, want {})\n    got         want\n{diff}",
        got.len(),
        want.len()
    );
}

/// The golden check: `packet` encodes to `hex` (first, for the hex diff), and `hex` decodes
/// to `packet`.
fn golden(hex: &str, packet: &ControlPacket) {
    let bytes = unhex(hex);
    assert_eq!(bytes.len(), LENGTH, "a golden vector is one whole packet");
    assert_hex_eq(&packet.encode(), &bytes);
    assert_eq!(
        ControlPacket::decode(&bytes).as_ref(),
        Ok(packet),
        "decode of {hex}"
    );
}

/// Decodes `hex` to `packet` and checks that `packet` encodes to `encoded`: for input whose
/// canonical form differs.
fn decodes_to_and_encodes_as(hex: &str, packet: &ControlPacket, encoded: &str) {
    let bytes = unhex(hex);
    assert_eq!(
        ControlPacket::decode(&bytes).as_ref(),
        Ok(packet),
        "decode of {hex}"
    );
    assert_hex_eq(&packet.encode(), &unhex(encoded));
}

fn disc(value: u32) -> Discriminator {
    Discriminator::new(value).unwrap()
}

fn mult(value: u8) -> Multiplier {
    Multiplier::new(value).unwrap()
}

fn micros(value: u32) -> Interval {
    Interval::from_micros(value)
}

/// Our side's discriminator in these vectors, 0x6b8b4567, and the peer's, 0x327b23c6.
const MINE: u32 = 0x6b8b_4567;
const PEERS: u32 = 0x327b_23c6;

/// A packet in `state` from MINE to PEERS, multiplier 3, 300 ms both ways, no Echo, no flag.
fn packet(state: SessionState) -> ControlPacket {
    ControlPacket::new(state, disc(MINE), Some(disc(PEERS)), micros(300_000))
}

/// The first Up packet after a session came up: 300 ms (0x000493e0) both ways.
const UP: &str = "20 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000";

#[test]
fn down_before_the_peer_is_known_has_your_discriminator_zero_and_sends_at_one_second() {
    let down = ControlPacket {
        your_discriminator: None,
        desired_min_tx: Interval::SLOW,
        ..packet(SessionState::Down)
    };
    golden(
        "20 40 03 18 6b8b4567 00000000 000f4240 000493e0 00000000",
        &down,
    );
}

#[test]
fn init_names_the_peer_it_has_heard() {
    let init = ControlPacket {
        desired_min_tx: Interval::SLOW,
        ..packet(SessionState::Init)
    };
    golden(
        "20 80 03 18 6b8b4567 327b23c6 000f4240 000493e0 00000000",
        &init,
    );
}

#[test]
fn up_carries_both_discriminators_and_the_intervals() {
    golden(UP, &packet(SessionState::Up));
}

#[test]
fn up_with_poll_asks_for_a_final_while_changing_to_fast_intervals() {
    let poll = ControlPacket {
        poll: true,
        desired_min_tx: micros(100_000),
        required_min_rx: micros(100_000),
        ..packet(SessionState::Up)
    };
    golden(
        "20 e0 03 18 6b8b4567 327b23c6 000186a0 000186a0 00000000",
        &poll,
    );
}

#[test]
fn up_with_final_answers_a_poll() {
    let answer = ControlPacket {
        final_: true,
        ..packet(SessionState::Up)
    };
    golden(
        "20 d0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
        &answer,
    );
}

#[test]
fn admin_down_says_administratively_down_in_the_diagnostic() {
    let admin_down = ControlPacket {
        diagnostic: Diagnostic::AdministrativelyDown,
        desired_min_tx: Interval::SLOW,
        ..packet(SessionState::AdminDown)
    };
    golden(
        "27 00 03 18 6b8b4567 327b23c6 000f4240 000493e0 00000000",
        &admin_down,
    );
}

#[test]
fn admin_down_may_have_your_discriminator_zero() {
    let admin_down = ControlPacket {
        diagnostic: Diagnostic::AdministrativelyDown,
        your_discriminator: None,
        ..packet(SessionState::AdminDown)
    };
    golden(
        "27 00 03 18 6b8b4567 00000000 000493e0 000493e0 00000000",
        &admin_down,
    );
}

#[test]
fn down_after_the_detection_time_expired_has_diagnostic_1_and_forgets_the_peer() {
    let expired = ControlPacket {
        diagnostic: Diagnostic::ControlDetectionTimeExpired,
        your_discriminator: None,
        desired_min_tx: Interval::SLOW,
        ..packet(SessionState::Down)
    };
    golden(
        "21 40 03 18 6b8b4567 00000000 000f4240 000493e0 00000000",
        &expired,
    );
}

#[test]
fn neighbor_signaled_session_down_is_diagnostic_3() {
    let signaled = ControlPacket {
        diagnostic: Diagnostic::NeighborSignaledSessionDown,
        ..packet(SessionState::Down)
    };
    golden(
        "23 40 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
        &signaled,
    );
}

#[test]
fn the_c_bit_says_bfd_is_independent_of_the_control_plane() {
    let independent = ControlPacket {
        control_plane_independent: true,
        ..packet(SessionState::Up)
    };
    golden(
        "20 c8 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
        &independent,
    );
}

#[test]
fn the_lowest_reserved_diagnostic_9_is_kept_as_received() {
    let reserved = ControlPacket {
        diagnostic: Diagnostic::Reserved(9),
        ..packet(SessionState::Down)
    };
    golden(
        "29 40 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
        &reserved,
    );
}

#[test]
fn the_highest_reserved_diagnostic_31_is_kept_as_received() {
    let reserved = ControlPacket {
        diagnostic: Diagnostic::Reserved(31),
        ..packet(SessionState::Up)
    };
    golden(
        "3f c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
        &reserved,
    );
}

#[test]
fn every_field_at_its_maximum_fits_its_bits() {
    let max = ControlPacket {
        diagnostic: Diagnostic::Reserved(31),
        state: SessionState::Up,
        poll: true,
        final_: false,
        control_plane_independent: true,
        multiplier: mult(255),
        my_discriminator: disc(u32::MAX),
        your_discriminator: Some(disc(u32::MAX)),
        desired_min_tx: micros(u32::MAX),
        required_min_rx: micros(u32::MAX),
        required_min_echo_rx: micros(u32::MAX),
    };
    golden(
        "3f e8 ff 18 ffffffff ffffffff ffffffff ffffffff ffffffff",
        &max,
    );
}

#[test]
fn every_field_at_its_minimum_fits_its_bits() {
    let min = ControlPacket {
        diagnostic: Diagnostic::None,
        state: SessionState::AdminDown,
        poll: false,
        final_: false,
        control_plane_independent: false,
        multiplier: mult(1),
        my_discriminator: Discriminator::MIN,
        your_discriminator: None,
        desired_min_tx: Interval::ZERO,
        required_min_rx: Interval::ZERO,
        required_min_echo_rx: Interval::ZERO,
    };
    golden(
        "20 00 01 18 00000001 00000000 00000000 00000000 00000000",
        &min,
    );
}

#[test]
fn a_nonzero_required_min_echo_rx_is_kept() {
    let echo = ControlPacket {
        required_min_echo_rx: micros(50_000),
        ..packet(SessionState::Up)
    };
    golden(
        "20 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 0000c350",
        &echo,
    );
}

#[test]
fn trailing_bytes_beyond_length_are_ignored() {
    decodes_to_and_encodes_as(
        "20 c0 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000 deadbeef",
        &packet(SessionState::Up),
        UP,
    );
}

#[test]
fn a_length_above_24_without_authentication_covers_bytes_that_are_ignored() {
    decodes_to_and_encodes_as(
        "20 c0 03 1c 6b8b4567 327b23c6 000493e0 000493e0 00000000 01020304",
        &packet(SessionState::Up),
        UP,
    );
}

#[test]
fn the_demand_bit_is_ignored_on_receipt_and_never_sent() {
    decodes_to_and_encodes_as(
        "20 c2 03 18 6b8b4567 327b23c6 000493e0 000493e0 00000000",
        &packet(SessionState::Up),
        UP,
    );
}

/// The packets captured from BIRD 2.0.12 and FRR 8.4.4 bfdd (`testdata/captured/README.md`):
/// each decodes to the fields the README's table gives, and re-encodes byte for byte.
mod captured {
    use super::*;

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/captured")
    }

    /// The bytes of a capture: one hex line.
    fn load(name: &str) -> Vec<u8> {
        let text =
            std::fs::read_to_string(dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        unhex(&text)
    }

    /// One row of the README's table: file, diag, state, P, F, my and your discriminator,
    /// desired min tx, required min rx, required min echo rx (microseconds). Every capture
    /// has detect mult 3, length 24 and C = A = D = M = 0.
    type Row = (
        &'static str,
        u8,
        SessionState,
        bool,
        bool,
        u32,
        u32,
        u32,
        u32,
        u32,
    );

    #[rustfmt::skip]
    const ROWS: [Row; 18] = {
        use SessionState::{AdminDown, Down, Init, Up};
        const T: bool = true;
        const F: bool = false;
        [
            ("bird-down.hex",                    0, Down,      F, F, 3441901720, 0,          1000000, 100000,  0),
            ("bird-down-timeout.hex",            1, Down,      F, F, 4106064588, 0,          1000000, 100000,  0),
            ("bird-down-neighbor-down-poll.hex", 3, Down,      T, F, 100942865,  1908751673, 1000000, 100000,  0),
            ("bird-init.hex",                    0, Init,      F, F, 3441901720, 3423330843, 1000000, 100000,  0),
            ("bird-up.hex",                      0, Up,        F, F, 4106064588, 3760298013, 100000,  100000,  0),
            ("bird-up-poll.hex",                 0, Up,        T, F, 3423330843, 3441901720, 100000,  100000,  0),
            ("bird-up-final.hex",                0, Up,        F, T, 3441901720, 3423330843, 100000,  100000,  0),
            ("bird-v6-up.hex",                   0, Up,        F, F, 4080656266, 1768506054, 100000,  100000,  0),
            ("frr-down.hex",                     0, Down,      F, F, 1919428412, 0,          1000000, 1000000, 50000),
            ("frr-down-timeout.hex",             1, Down,      F, F, 3328137728, 0,          300000,  300000,  50000),
            ("frr-down-neighbor-down.hex",       3, Down,      F, F, 1919428412, 584650762,  300000,  300000,  50000),
            ("frr-init.hex",                     0, Init,      F, F, 1919428412, 584650762,  1000000, 1000000, 50000),
            ("frr-init-final.hex",               1, Init,      F, T, 3328137728, 435817256,  300000,  300000,  50000),
            ("frr-up.hex",                       0, Up,        F, F, 3328137728, 754944705,  100000,  100000,  50000),
            ("frr-up-poll.hex",                  0, Up,        T, F, 1919428412, 584650762,  300000,  300000,  50000),
            ("frr-up-final.hex",                 0, Up,        F, T, 1919428412, 584650762,  300000,  300000,  50000),
            ("frr-admindown.hex",                0, AdminDown, F, F, 3328137728, 573295581,  100000,  100000,  50000),
            ("frr-admindown-final.hex",          0, AdminDown, F, T, 3328137728, 573295581,  100000,  100000,  50000),
        ]
    };

    #[test]
    fn every_capture_decodes_to_the_fields_of_the_readme_and_reencodes_identically() {
        let mut failures = Vec::new();
        for (name, diag, state, poll, final_, my, your, tx, rx, echo) in ROWS {
            let bytes = load(name);
            let want = ControlPacket {
                diagnostic: Diagnostic::from_bits(diag),
                state,
                poll,
                final_,
                control_plane_independent: false,
                multiplier: Multiplier::DEFAULT,
                my_discriminator: disc(my),
                your_discriminator: Discriminator::new(your),
                desired_min_tx: micros(tx),
                required_min_rx: micros(rx),
                required_min_echo_rx: micros(echo),
            };
            match ControlPacket::decode(&bytes) {
                Ok(got) if got == want => {
                    // No capture has an authentication section: each is what we would write.
                    assert_eq!(bytes.len(), LENGTH, "{name}");
                    assert_hex_eq(&got.encode(), &bytes);
                }
                got => failures.push(format!("{name}: got {got:?}\n  want Ok({want:?})")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn every_capture_in_the_directory_is_in_the_table() {
        let mut names: Vec<String> = std::fs::read_dir(dir())
            .unwrap_or_else(|e| panic!("{}: {e}", dir().display()))
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".hex"))
            .collect();
        names.sort();
        let mut listed: Vec<String> = ROWS.iter().map(|row| row.0.to_owned()).collect();
        listed.sort();
        assert_eq!(names, listed);
    }
}
