//! Properties of the control-packet codec: every packet we can build survives encode →
//! decode unchanged; decoding never panics; decoding agrees, accept or discard and for which
//! reason, with an independent reading of RFC 5880 §6.8.6; a decoded packet re-encodes to the
//! bytes received except for the D bit and the Length byte; and bytes beyond Length never
//! change a decoding.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use announcer_bfd::packet::LENGTH;
use announcer_bfd::{
    ControlPacket, Diagnostic, Discard, Discriminator, Interval, Multiplier, SessionState,
};
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn discriminator() -> impl Strategy<Value = Discriminator> {
    prop_oneof![Just(1u32), Just(u32::MAX), 1u32..,].prop_map(|d| Discriminator::new(d).unwrap())
}

fn interval() -> impl Strategy<Value = Interval> {
    prop_oneof![Just(0), Just(1_000_000), Just(u32::MAX), any::<u32>(),]
        .prop_map(Interval::from_micros)
}

/// Every packet the encoder can write: all 32 diagnostics (the reserved 9–31 included), all
/// states, P or F or neither, any C, multiplier 1–255, and Your Discriminator zero only in
/// Down and AdminDown.
fn control_packet() -> impl Strategy<Value = ControlPacket> {
    (
        (0u8..32).prop_map(Diagnostic::from_bits),
        (0u8..4).prop_map(SessionState::from_bits),
        prop_oneof![
            Just((false, false)),
            Just((true, false)),
            Just((false, true))
        ],
        any::<bool>(),
        (1u8..=255).prop_map(|m| Multiplier::new(m).unwrap()),
        discriminator(),
        of(discriminator()),
        (interval(), interval(), interval()),
    )
        .prop_filter(
            "Your Discriminator zero only in Down or AdminDown",
            |&(_, state, _, _, _, _, your, _)| {
                your.is_some() || matches!(state, SessionState::Down | SessionState::AdminDown)
            },
        )
        .prop_map(
            |(diagnostic, state, (poll, final_), cpi, multiplier, my, your, (tx, rx, echo))| {
                ControlPacket {
                    diagnostic,
                    state,
                    poll,
                    final_,
                    control_plane_independent: cpi,
                    multiplier,
                    my_discriminator: my,
                    your_discriminator: your,
                    desired_min_tx: tx,
                    required_min_rx: rx,
                    required_min_echo_rx: echo,
                }
            },
        )
}

/// Bytes that look like a control packet: version 1 most of the time, a Length near the
/// bytes received, flags and zero fields often enough for every rule to pass and to fail,
/// up to 40 trailing bytes, and now and then fewer than 24 bytes in all.
fn packet_like() -> impl Strategy<Value = Vec<u8>> {
    (
        prop_oneof![8 => Just(1u8), 1 => 0u8..8],
        any::<u8>(),
        any::<u8>(),
        prop_oneof![3 => Just(0u8), 1 => Just(3u8), 6 => any::<u8>()],
        prop_oneof![2 => Just(0u32), 8 => any::<u32>()],
        prop_oneof![3 => Just(0u32), 7 => any::<u32>()],
        vec(any::<u8>(), 12),
        vec(any::<u8>(), 0..40),
        prop_oneof![4 => Just(None), 6 => (0u8..=64).prop_map(Some)],
        prop_oneof![19 => Just(None), 1 => (0usize..LENGTH).prop_map(Some)],
    )
        .prop_map(
            |(version, diag_bits, flags, mult, my, your, intervals, trailing, length, cut)| {
                let mut bytes = vec![(version << 5) | (diag_bits & 0x1f), flags, mult, 0];
                bytes.extend(my.to_be_bytes());
                bytes.extend(your.to_be_bytes());
                bytes.extend(intervals);
                bytes.extend(trailing);
                // Length: the bytes received, or a value around them.
                bytes[3] = length.unwrap_or(u8::try_from(bytes.len()).unwrap());
                if let Some(cut) = cut {
                    bytes.truncate(cut);
                }
                bytes
            },
        )
}

/// RFC 5880 §6.8.6 read afresh, on raw bytes: the reason the first broken rule gives, or
/// `None` when the packet is accepted.
fn expected_discard(bytes: &[u8]) -> Option<Discard> {
    if bytes.len() < 24 {
        return Some(Discard::TooShort(bytes.len()));
    }
    let version = bytes[0] / 32;
    let flags = bytes[1];
    let (a_bit, m_bit) = (flags & 0x04 != 0, flags & 0x01 != 0);
    let (p_bit, f_bit) = (flags & 0x20 != 0, flags & 0x10 != 0);
    let state = flags / 64;
    let length = bytes[3];
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    if version != 1 {
        return Some(Discard::Version(version));
    }
    let least = if a_bit { 26 } else { 24 };
    if usize::from(length) < least || usize::from(length) > bytes.len() {
        return Some(Discard::Length {
            field: length,
            received: bytes.len(),
        });
    }
    if bytes[2] == 0 {
        return Some(Discard::ZeroMultiplier);
    }
    if m_bit {
        return Some(Discard::Multipoint);
    }
    if word(4) == 0 {
        return Some(Discard::ZeroMyDiscriminator);
    }
    // States 2 (Init) and 3 (Up) need a Your Discriminator.
    if word(8) == 0 && state >= 2 {
        return Some(Discard::ZeroYourDiscriminator(SessionState::from_bits(
            state,
        )));
    }
    if a_bit {
        return Some(Discard::Authenticated);
    }
    if p_bit && f_bit {
        return Some(Discard::PollAndFinal);
    }
    None
}

/// What encoding the decoding of `bytes` must give: the first 24 bytes, with the D bit
/// cleared and Length 24.
fn canonical(bytes: &[u8]) -> Vec<u8> {
    let mut header = bytes[..LENGTH].to_vec();
    header[1] &= !0x02;
    header[3] = 24;
    header
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn every_packet_we_can_build_encodes_and_decodes_to_itself(packet in control_packet()) {
        let bytes = packet.encode();
        prop_assert_eq!(bytes[0] >> 5, 1, "version");
        prop_assert_eq!(bytes[1] & 0b0000_0111, 0, "A, D and M are never sent");
        prop_assert_eq!(usize::from(bytes[3]), LENGTH);
        prop_assert_eq!(ControlPacket::decode(&bytes), Ok(packet));
    }

    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..128)) {
        let _ = ControlPacket::decode(&bytes);
    }

    #[test]
    fn decoding_accepts_and_discards_exactly_as_rfc_5880_says(bytes in packet_like()) {
        let got = ControlPacket::decode(&bytes);
        prop_assert_eq!(got.err(), expected_discard(&bytes));
    }

    #[test]
    fn a_decoded_packet_reencodes_to_the_bytes_received_but_the_d_bit_and_length(
        bytes in packet_like(),
    ) {
        if let Ok(packet) = ControlPacket::decode(&bytes) {
            prop_assert_eq!(packet.encode().to_vec(), canonical(&bytes));
        }
    }

    #[test]
    fn bytes_beyond_length_never_change_a_decoding(
        packet in control_packet(),
        flags in 0u8..4,
        trailing in vec(any::<u8>(), 1..64),
    ) {
        let mut bytes = packet.encode().to_vec();
        // The D bit and a Length covering part of the trailing bytes, or none of them.
        bytes[1] |= (flags & 1) << 1;
        bytes.extend(&trailing);
        if flags & 2 != 0 {
            bytes[3] += u8::try_from(trailing.len() / 2).unwrap();
        }
        prop_assert_eq!(ControlPacket::decode(&bytes), Ok(packet));
    }

    #[test]
    fn any_bit_flipped_in_a_valid_packet_is_decoded_as_rfc_5880_says(
        packet in control_packet(),
        bit in 0usize..LENGTH * 8,
    ) {
        let mut bytes = packet.encode().to_vec();
        bytes[bit / 8] ^= 0x80 >> (bit % 8);
        let got = ControlPacket::decode(&bytes);
        prop_assert_eq!(got.err(), expected_discard(&bytes));
        if let Ok(decoded) = got {
            prop_assert_eq!(decoded.encode().to_vec(), canonical(&bytes));
        }
    }
}

#[test]
fn the_byte_generator_reaches_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = packet_like();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..20_000 {
        let bytes = strategy.new_tree(&mut runner).unwrap().current();
        seen.insert(
            ControlPacket::decode(&bytes)
                .err()
                .map_or("accepted", |d| d.kind()),
        );
    }
    let every = [
        "accepted",
        "too_short",
        "version",
        "length",
        "zero_multiplier",
        "multipoint",
        "zero_my_discriminator",
        "zero_your_discriminator",
        "authentication",
        "poll_and_final",
    ];
    let missing: Vec<_> = every.iter().filter(|k| !seen.contains(*k)).collect();
    assert!(missing.is_empty(), "never generated: {missing:?}");
}
