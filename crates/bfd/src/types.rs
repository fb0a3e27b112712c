//! Protocol values of RFC 5880 §4.1 with validating constructors: discriminators, session
//! states, diagnostic codes, intervals and detection multipliers. Plain data.

use std::fmt;
use std::num::{NonZeroU32, NonZeroU8};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A session discriminator (RFC 5880 §6.3): non-zero and unique per session on one system.
/// A zero "Your Discriminator" on the wire (the peer is not known yet) is `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Discriminator(NonZeroU32);

impl Discriminator {
    /// The smallest discriminator, 1.
    pub const MIN: Discriminator = Discriminator(NonZeroU32::MIN);

    /// A discriminator from its wire value; `None` for zero.
    pub fn new(value: u32) -> Option<Self> {
        NonZeroU32::new(value).map(Discriminator)
    }

    /// The wire value.
    pub fn get(self) -> u32 {
        self.0.get()
    }
}

impl fmt::Display for Discriminator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The session states of RFC 5880 §4.1 (Sta field) and §6.2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SessionState {
    /// Held down by configuration (0).
    AdminDown,
    /// Down, or just created (1).
    Down,
    /// The remote is talking to us, but we have not yet seen it see us (2).
    Init,
    /// Both sides see each other (3).
    Up,
}

impl SessionState {
    /// The 2-bit wire value.
    pub fn to_bits(self) -> u8 {
        match self {
            SessionState::AdminDown => 0,
            SessionState::Down => 1,
            SessionState::Init => 2,
            SessionState::Up => 3,
        }
    }

    /// The state of a 2-bit wire value (only the low two bits count).
    pub fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0 => SessionState::AdminDown,
            1 => SessionState::Down,
            2 => SessionState::Init,
            _ => SessionState::Up,
        }
    }
}

impl fmt::Display for SessionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SessionState::AdminDown => "AdminDown",
            SessionState::Down => "Down",
            SessionState::Init => "Init",
            SessionState::Up => "Up",
        })
    }
}

/// Why a session last left Up, or why it is not Up (RFC 5880 §4.1, Diag field).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Diagnostic {
    /// 0: No Diagnostic.
    None,
    /// 1: Control Detection Time Expired.
    ControlDetectionTimeExpired,
    /// 2: Echo Function Failed.
    EchoFunctionFailed,
    /// 3: Neighbor Signaled Session Down.
    NeighborSignaledSessionDown,
    /// 4: Forwarding Plane Reset.
    ForwardingPlaneReset,
    /// 5: Path Down.
    PathDown,
    /// 6: Concatenated Path Down.
    ConcatenatedPathDown,
    /// 7: Administratively Down.
    AdministrativelyDown,
    /// 8: Reverse Concatenated Path Down.
    ReverseConcatenatedPathDown,
    /// 9–31: reserved values, kept as received.
    Reserved(u8),
}

impl Diagnostic {
    /// The 5-bit wire value.
    pub fn to_bits(self) -> u8 {
        match self {
            Diagnostic::None => 0,
            Diagnostic::ControlDetectionTimeExpired => 1,
            Diagnostic::EchoFunctionFailed => 2,
            Diagnostic::NeighborSignaledSessionDown => 3,
            Diagnostic::ForwardingPlaneReset => 4,
            Diagnostic::PathDown => 5,
            Diagnostic::ConcatenatedPathDown => 6,
            Diagnostic::AdministrativelyDown => 7,
            Diagnostic::ReverseConcatenatedPathDown => 8,
            Diagnostic::Reserved(bits) => bits & 0b1_1111,
        }
    }

    /// Whether the diagnostic reports a failed forwarding path (detection time or Echo
    /// expired, a forwarding-plane reset, a path down), as opposed to none, a session
    /// brought down by the other side, or an administrative one.
    pub fn is_path_failure(self) -> bool {
        matches!(
            self,
            Diagnostic::ControlDetectionTimeExpired
                | Diagnostic::EchoFunctionFailed
                | Diagnostic::ForwardingPlaneReset
                | Diagnostic::PathDown
                | Diagnostic::ConcatenatedPathDown
                | Diagnostic::ReverseConcatenatedPathDown
        )
    }

    /// The diagnostic of a 5-bit wire value (only the low five bits count).
    pub fn from_bits(bits: u8) -> Self {
        match bits & 0b1_1111 {
            0 => Diagnostic::None,
            1 => Diagnostic::ControlDetectionTimeExpired,
            2 => Diagnostic::EchoFunctionFailed,
            3 => Diagnostic::NeighborSignaledSessionDown,
            4 => Diagnostic::ForwardingPlaneReset,
            5 => Diagnostic::PathDown,
            6 => Diagnostic::ConcatenatedPathDown,
            7 => Diagnostic::AdministrativelyDown,
            8 => Diagnostic::ReverseConcatenatedPathDown,
            other => Diagnostic::Reserved(other),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::None => f.write_str("none"),
            Diagnostic::ControlDetectionTimeExpired => {
                f.write_str("control detection time expired")
            }
            Diagnostic::EchoFunctionFailed => f.write_str("echo function failed"),
            Diagnostic::NeighborSignaledSessionDown => {
                f.write_str("neighbor signaled session down")
            }
            Diagnostic::ForwardingPlaneReset => f.write_str("forwarding plane reset"),
            Diagnostic::PathDown => f.write_str("path down"),
            Diagnostic::ConcatenatedPathDown => f.write_str("concatenated path down"),
            Diagnostic::AdministrativelyDown => f.write_str("administratively down"),
            Diagnostic::ReverseConcatenatedPathDown => {
                f.write_str("reverse concatenated path down")
            }
            Diagnostic::Reserved(bits) => write!(f, "reserved diagnostic {bits}"),
        }
    }
}

/// A BFD interval in microseconds, as on the wire (RFC 5880 §4.1): Desired Min TX, Required
/// Min RX and Required Min Echo RX.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Interval(u32);

impl Interval {
    /// Zero: "send nothing to me" in Required Min RX (§6.8.3).
    pub const ZERO: Interval = Interval(0);
    /// One second: the slowest a session sends while it is not Up (§6.8.3).
    pub const SLOW: Interval = Interval(1_000_000);

    /// An interval of `micros` microseconds.
    pub const fn from_micros(micros: u32) -> Self {
        Interval(micros)
    }

    /// An interval from a duration, saturating at the largest wire value (about 71 minutes).
    pub fn from_duration(duration: Duration) -> Self {
        Interval(u32::try_from(duration.as_micros()).unwrap_or(u32::MAX))
    }

    /// The wire value in microseconds.
    pub const fn micros(self) -> u32 {
        self.0
    }

    /// As a duration.
    pub fn as_duration(self) -> Duration {
        Duration::from_micros(u64::from(self.0))
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 1000 == 0 {
            write!(f, "{}ms", self.0 / 1000)
        } else {
            write!(f, "{}us", self.0)
        }
    }
}

/// The detection time multiplier (RFC 5880 §4.1, Detect Mult): 1–255; zero is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Multiplier(NonZeroU8);

impl Multiplier {
    /// The usual multiplier, 3.
    pub const DEFAULT: Multiplier = Multiplier(NonZeroU8::MIN.saturating_add(2));

    /// A multiplier; `None` for zero.
    pub fn new(value: u8) -> Option<Self> {
        NonZeroU8::new(value).map(Multiplier)
    }

    /// The wire value.
    pub fn get(self) -> u8 {
        self.0.get()
    }

    /// `interval` times this multiplier: a detection time.
    pub fn times(self, interval: Interval) -> Duration {
        interval.as_duration() * u32::from(self.get())
    }
}

impl fmt::Display for Multiplier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_diagnostics_round_trip_through_their_bits() {
        for bits in 0..4 {
            assert_eq!(SessionState::from_bits(bits).to_bits(), bits);
        }
        for bits in 0..32 {
            assert_eq!(Diagnostic::from_bits(bits).to_bits(), bits);
        }
        assert_eq!(Diagnostic::from_bits(9), Diagnostic::Reserved(9));
    }

    #[test]
    fn zero_is_neither_a_discriminator_nor_a_multiplier() {
        assert_eq!(Discriminator::new(0), None);
        assert_eq!(Multiplier::new(0), None);
        assert_eq!(Multiplier::DEFAULT.get(), 3);
    }

    #[test]
    fn intervals_print_in_milliseconds_when_whole() {
        assert_eq!(Interval::from_micros(300_000).to_string(), "300ms");
        assert_eq!(Interval::from_micros(1_500).to_string(), "1500us");
        assert_eq!(
            Multiplier::DEFAULT.times(Interval::from_micros(100_000)),
            Duration::from_millis(300)
        );
        assert_eq!(
            Interval::from_duration(Duration::from_secs(1 << 40)).micros(),
            u32::MAX
        );
    }
}
