//! The BFD control packets the scripted peer sends: well-formed ones built with
//! [`ControlPacket::encode`], and byte-level edits of them that break exactly one rule of
//! RFC 5880 §6.8.6 each (a wrong version, a Length that lies, a flag that must not be set).
//!
//! Offsets into the 24-byte header (RFC 5880 §4.1):
//!
//! ```text
//!  byte 0: Vers(3) Diag(5)   byte 1: Sta(2) P F C A D M   byte 2: Detect Mult   byte 3: Length
//!  bytes 4-7: My Discriminator    bytes 8-11: Your Discriminator    bytes 12-23: intervals
//! ```

use announcer_bfd::{ControlPacket, Diagnostic, Discriminator, Interval, Multiplier, SessionState};

/// The scripted peer's Desired Min TX and Required Min RX: 100 ms, as the daemon's.
pub const PEER_INTERVAL: Interval = Interval::from_micros(100_000);
/// The scripted peer's Detect Mult. The daemon's detection time is this times 100 ms; 5
/// (500 ms) rather than the usual 3 keeps a scheduling hiccup of the test process on a
/// busy machine from passing for a failure the hostile input caused.
pub const PEER_MULTIPLIER: u8 = 5;
/// The scripted peer's discriminator (any non-zero value).
pub const PEER_DISCRIMINATOR: u32 = 0x5eed_0001;

/// The Poll bit (byte 1).
pub const POLL: u8 = 0b10_0000;
/// The Final bit (byte 1).
pub const FINAL: u8 = 0b01_0000;
/// The Authentication Present bit (byte 1).
pub const AUTHENTICATION: u8 = 0b00_0100;
/// The Multipoint bit (byte 1).
pub const MULTIPOINT: u8 = 0b00_0001;

/// The two discriminators of the session once it is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Discriminators {
    /// The scripted peer's ([`PEER_DISCRIMINATOR`]).
    pub peer: Discriminator,
    /// The daemon's, learnt from its Init.
    pub announcer: Discriminator,
}

impl Discriminators {
    /// A discriminator that is neither the daemon's nor zero: no session of the daemon has
    /// it (it runs one session).
    pub fn unknown(&self) -> u32 {
        match self.announcer.get().wrapping_add(1) {
            0 => 1,
            other => other,
        }
    }
}

/// The scripted peer's discriminator as the type.
pub fn peer_discriminator() -> Discriminator {
    Discriminator::new(PEER_DISCRIMINATOR).unwrap_or(Discriminator::MIN)
}

/// A packet from the scripted peer in `state` with our intervals, addressed to `your`.
pub fn packet(
    state: SessionState,
    diagnostic: Diagnostic,
    your: Option<Discriminator>,
) -> ControlPacket {
    ControlPacket {
        diagnostic,
        state,
        poll: false,
        final_: false,
        control_plane_independent: false,
        multiplier: Multiplier::new(PEER_MULTIPLIER).unwrap_or(Multiplier::DEFAULT),
        my_discriminator: peer_discriminator(),
        your_discriminator: your,
        desired_min_tx: PEER_INTERVAL,
        required_min_rx: PEER_INTERVAL,
        required_min_echo_rx: Interval::ZERO,
    }
}

/// The first packet of the three-way handshake: Down, Your Discriminator still zero.
pub fn hello() -> Vec<u8> {
    packet(SessionState::Down, Diagnostic::None, None)
        .encode()
        .to_vec()
}

/// The periodic packet of an Up session; with `final_` it answers the daemon's Poll.
pub fn up(d: Discriminators, final_: bool) -> Vec<u8> {
    let mut packet = packet(SessionState::Up, Diagnostic::None, Some(d.announcer));
    packet.final_ = final_;
    packet.encode().to_vec()
}

/// A genuine Down as a router sends it when its detection time expired (diagnostic 1: our
/// packets no longer reach it) with both discriminators right, from the peer with TTL 255:
/// it takes an Up session down, and counts as a failure. The hostile
/// cases are this packet with one rule broken, so that a check missing in the daemon would
/// show as the session going down.
pub fn down(d: Discriminators) -> Vec<u8> {
    packet(
        SessionState::Down,
        Diagnostic::ControlDetectionTimeExpired,
        Some(d.announcer),
    )
    .encode()
    .to_vec()
}

/// The same Down as [`down`], but AdminDown (Administratively Down).
pub fn admin_down(d: Discriminators) -> Vec<u8> {
    packet(
        SessionState::AdminDown,
        Diagnostic::AdministrativelyDown,
        Some(d.announcer),
    )
    .encode()
    .to_vec()
}

/// An Up packet whose Your Discriminator is zero (allowed only in Down and AdminDown).
pub fn up_without_your_discriminator() -> Vec<u8> {
    packet(SessionState::Up, Diagnostic::None, None)
        .encode()
        .to_vec()
}

/// `bytes` with the version (top three bits of byte 0) set to `version`.
pub fn with_version(mut bytes: Vec<u8>, version: u8) -> Vec<u8> {
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0b1_1111) | (version << 5);
    }
    bytes
}

/// `bytes` with `bits` set in the flags byte (P, F, A, M...).
pub fn with_flags(mut bytes: Vec<u8>, bits: u8) -> Vec<u8> {
    if let Some(flags) = bytes.get_mut(1) {
        *flags |= bits;
    }
    bytes
}

/// `bytes` with Detect Mult set to `multiplier`.
pub fn with_multiplier(mut bytes: Vec<u8>, multiplier: u8) -> Vec<u8> {
    if let Some(mult) = bytes.get_mut(2) {
        *mult = multiplier;
    }
    bytes
}

/// `bytes` with the Length field set to `length` (the datagram keeps its real size).
pub fn with_length(mut bytes: Vec<u8>, length: u8) -> Vec<u8> {
    if let Some(field) = bytes.get_mut(3) {
        *field = length;
    }
    bytes
}

/// `bytes` with My Discriminator set to `value`.
pub fn with_my_discriminator(bytes: Vec<u8>, value: u32) -> Vec<u8> {
    with_word(bytes, 4, value)
}

/// `bytes` with Your Discriminator set to `value`.
pub fn with_your_discriminator(bytes: Vec<u8>, value: u32) -> Vec<u8> {
    with_word(bytes, 8, value)
}

/// `bytes` with a well-formed Simple Password section (RFC 5880 §4.2: type 1, length 6,
/// key 1, password "lab") appended, the A bit set and Length covering it: valid on the
/// wire, but the daemon has no authentication configured.
pub fn with_simple_password(bytes: Vec<u8>) -> Vec<u8> {
    let mut bytes = with_flags(bytes, AUTHENTICATION);
    bytes.extend_from_slice(&[1, 6, 1, b'l', b'a', b'b']);
    let length = u8::try_from(bytes.len()).unwrap_or(u8::MAX);
    with_length(bytes, length)
}

/// The first `len` bytes of `bytes`.
pub fn truncated(mut bytes: Vec<u8>, len: usize) -> Vec<u8> {
    bytes.truncate(len);
    bytes
}

fn with_word(mut bytes: Vec<u8>, at: usize, value: u32) -> Vec<u8> {
    if let Some(word) = bytes.get_mut(at..at + 4) {
        word.copy_from_slice(&value.to_be_bytes());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_bfd::Discard;

    fn discriminators() -> Discriminators {
        Discriminators {
            peer: peer_discriminator(),
            announcer: Discriminator::new(7).unwrap_or(Discriminator::MIN),
        }
    }

    #[test]
    fn the_genuine_packets_decode_and_each_edit_breaks_its_rule() {
        let d = discriminators();
        for good in [hello(), up(d, false), up(d, true), down(d), admin_down(d)] {
            assert!(ControlPacket::decode(&good).is_ok(), "{good:?}");
        }
        let cases: [(Vec<u8>, &str); 10] = [
            (with_version(down(d), 2), "version"),
            (with_length(down(d), 23), "length"),
            (with_length(down(d), 48), "length"),
            (with_multiplier(down(d), 0), "zero_multiplier"),
            (with_flags(down(d), MULTIPOINT), "multipoint"),
            (with_my_discriminator(down(d), 0), "zero_my_discriminator"),
            (up_without_your_discriminator(), "zero_your_discriminator"),
            (with_simple_password(down(d)), "authentication"),
            (with_flags(down(d), POLL | FINAL), "poll_and_final"),
            (truncated(down(d), 10), "too_short"),
        ];
        for (bytes, reason) in cases {
            let got = ControlPacket::decode(&bytes).map_err(|e: Discard| e.kind());
            assert_eq!(got, Err(reason), "{bytes:?}");
        }
        assert_ne!(d.unknown(), d.announcer.get());
    }
}
