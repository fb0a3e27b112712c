//! The BFD control packet (RFC 5880 §4.1) and the reception checks of §6.8.6 that need no
//! session. Sans-IO: bytes in, [`ControlPacket`] or a [`Discard`] reason out.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       My Discriminator                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                      Your Discriminator                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Desired Min TX Interval                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                   Required Min RX Interval                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                 Required Min Echo RX Interval                 |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;
use std::net::IpAddr;

use crate::types::{Diagnostic, Discriminator, Interval, Multiplier, SessionState};

/// The protocol version this codec speaks.
pub const VERSION: u8 = 1;
/// The length of a control packet without authentication, the only kind we send.
pub const LENGTH: usize = 24;

const POLL: u8 = 0b10_0000;
const FINAL: u8 = 0b01_0000;
const CONTROL_PLANE_INDEPENDENT: u8 = 0b00_1000;
const AUTHENTICATION: u8 = 0b00_0100;
const MULTIPOINT: u8 = 0b00_0001;

/// A decoded control packet that passed every check of §6.8.6 a session is not needed for.
/// Authentication, Demand and Multipoint are not supported, so their bits are not modelled:
/// a packet with A or M set is discarded, and D is ignored on receipt and never sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControlPacket {
    /// Why the sender's session last left Up (or is not Up).
    pub diagnostic: Diagnostic,
    /// The sender's session state.
    pub state: SessionState,
    /// P: the sender asks for a Final (a parameter change, §6.5).
    pub poll: bool,
    /// F: the answer to our Poll.
    pub final_: bool,
    /// C: the sender's BFD does not share fate with its control plane.
    pub control_plane_independent: bool,
    /// Detect Mult: the sender's detection time multiplier.
    pub multiplier: Multiplier,
    /// My Discriminator: the sender's discriminator for this session.
    pub my_discriminator: Discriminator,
    /// Your Discriminator: ours as the sender knows it; `None` (zero) while it does not.
    pub your_discriminator: Option<Discriminator>,
    /// Desired Min TX Interval: how often the sender would like to send.
    pub desired_min_tx: Interval,
    /// Required Min RX Interval: the fastest the sender accepts packets; zero stops us.
    pub required_min_rx: Interval,
    /// Required Min Echo RX Interval: zero when the sender takes no Echo packets.
    pub required_min_echo_rx: Interval,
}

/// Why a received packet was discarded (RFC 5880 §6.8.6, RFC 5881 §5 and §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Discard {
    /// Fewer bytes than the fixed header.
    TooShort(usize),
    /// A version other than 1.
    Version(u8),
    /// A Length field below the minimum, or beyond the bytes received.
    Length {
        /// The Length field.
        field: u8,
        /// The bytes received.
        received: usize,
    },
    /// Detect Mult of zero.
    ZeroMultiplier,
    /// The Multipoint (M) bit set.
    Multipoint,
    /// My Discriminator of zero.
    ZeroMyDiscriminator,
    /// Your Discriminator of zero in a state other than Down or AdminDown.
    ZeroYourDiscriminator(SessionState),
    /// The Authentication Present (A) bit set: no authentication is configured.
    Authenticated,
    /// Poll and Final both set (§4.1 forbids it).
    PollAndFinal,
    /// A TTL or hop limit other than 255 (RFC 5881 §5), or none reported.
    Ttl(Option<u8>),
    /// Your Discriminator matches no session of ours.
    UnknownDiscriminator(Discriminator),
    /// From an address that is no BFD peer of ours.
    NotAPeer(IpAddr),
}

impl Discard {
    /// A short name of the reason, for counters and log fields.
    pub fn kind(&self) -> &'static str {
        match self {
            Discard::TooShort(_) => "too_short",
            Discard::Version(_) => "version",
            Discard::Length { .. } => "length",
            Discard::ZeroMultiplier => "zero_multiplier",
            Discard::Multipoint => "multipoint",
            Discard::ZeroMyDiscriminator => "zero_my_discriminator",
            Discard::ZeroYourDiscriminator(_) => "zero_your_discriminator",
            Discard::Authenticated => "authentication",
            Discard::PollAndFinal => "poll_and_final",
            Discard::Ttl(_) => "ttl",
            Discard::UnknownDiscriminator(_) => "unknown_discriminator",
            Discard::NotAPeer(_) => "not_a_peer",
        }
    }
}

impl fmt::Display for Discard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Discard::TooShort(n) => write!(f, "{n} bytes, fewer than the {LENGTH}-byte header"),
            Discard::Version(v) => write!(f, "version {v}, not {VERSION}"),
            Discard::Length { field, received } => {
                write!(f, "Length field {field} with {received} bytes received")
            }
            Discard::ZeroMultiplier => f.write_str("Detect Mult 0"),
            Discard::Multipoint => f.write_str("Multipoint bit set"),
            Discard::ZeroMyDiscriminator => f.write_str("My Discriminator 0"),
            Discard::ZeroYourDiscriminator(state) => {
                write!(f, "Your Discriminator 0 in state {state}")
            }
            Discard::Authenticated => f.write_str("authentication present, none configured"),
            Discard::PollAndFinal => f.write_str("Poll and Final both set"),
            Discard::Ttl(Some(ttl)) => write!(f, "TTL {ttl}, not 255"),
            Discard::Ttl(None) => f.write_str("no TTL reported"),
            Discard::UnknownDiscriminator(d) => write!(f, "Your Discriminator {d} is no session"),
            Discard::NotAPeer(addr) => write!(f, "from {addr}, no BFD peer"),
        }
    }
}

impl ControlPacket {
    /// A packet in `state` from `my_discriminator` to `your_discriminator`, with `interval`
    /// as both Desired Min TX and Required Min RX: no diagnostic, no flag, the default
    /// multiplier, no Echo.
    pub fn new(
        state: SessionState,
        my_discriminator: Discriminator,
        your_discriminator: Option<Discriminator>,
        interval: Interval,
    ) -> Self {
        ControlPacket {
            diagnostic: Diagnostic::None,
            state,
            poll: false,
            final_: false,
            control_plane_independent: false,
            multiplier: Multiplier::DEFAULT,
            my_discriminator,
            your_discriminator,
            desired_min_tx: interval,
            required_min_rx: interval,
            required_min_echo_rx: Interval::ZERO,
        }
    }

    /// Decodes `bytes` (a UDP payload), applying the checks of RFC 5880 §6.8.6 that need no
    /// session. Bytes beyond the Length field are ignored.
    pub fn decode(bytes: &[u8]) -> Result<ControlPacket, Discard> {
        let header: &[u8; LENGTH] = bytes
            .get(..LENGTH)
            .and_then(|h| h.try_into().ok())
            .ok_or(Discard::TooShort(bytes.len()))?;
        let [first, my, your, desired_min_tx, required_min_rx, required_min_echo_rx] =
            words(header);
        let [vers_diag, flags, mult, length] = first.to_be_bytes();
        let version = vers_diag >> 5;
        if version != VERSION {
            return Err(Discard::Version(version));
        }
        let authenticated = flags & AUTHENTICATION != 0;
        let minimum = if authenticated { LENGTH + 2 } else { LENGTH };
        if usize::from(length) < minimum || usize::from(length) > bytes.len() {
            return Err(Discard::Length {
                field: length,
                received: bytes.len(),
            });
        }
        let multiplier = Multiplier::new(mult).ok_or(Discard::ZeroMultiplier)?;
        if flags & MULTIPOINT != 0 {
            return Err(Discard::Multipoint);
        }
        let my_discriminator = Discriminator::new(my).ok_or(Discard::ZeroMyDiscriminator)?;
        let state = SessionState::from_bits(flags >> 6);
        let your_discriminator = Discriminator::new(your);
        if your_discriminator.is_none()
            && !matches!(state, SessionState::Down | SessionState::AdminDown)
        {
            return Err(Discard::ZeroYourDiscriminator(state));
        }
        if authenticated {
            return Err(Discard::Authenticated);
        }
        if flags & POLL != 0 && flags & FINAL != 0 {
            return Err(Discard::PollAndFinal);
        }
        Ok(ControlPacket {
            diagnostic: Diagnostic::from_bits(vers_diag),
            state,
            poll: flags & POLL != 0,
            final_: flags & FINAL != 0,
            control_plane_independent: flags & CONTROL_PLANE_INDEPENDENT != 0,
            multiplier,
            my_discriminator,
            your_discriminator,
            desired_min_tx: Interval::from_micros(desired_min_tx),
            required_min_rx: Interval::from_micros(required_min_rx),
            required_min_echo_rx: Interval::from_micros(required_min_echo_rx),
        })
    }

    /// The packet on the wire: 24 bytes, version 1, no authentication, D and M clear.
    pub fn encode(&self) -> [u8; LENGTH] {
        let mut out = [0; LENGTH];
        let flags = (self.state.to_bits() << 6)
            | if self.poll { POLL } else { 0 }
            | if self.final_ { FINAL } else { 0 }
            | if self.control_plane_independent {
                CONTROL_PLANE_INDEPENDENT
            } else {
                0
            };
        let words = [
            u32::from_be_bytes([
                (VERSION << 5) | self.diagnostic.to_bits(),
                flags,
                self.multiplier.get(),
                LENGTH as u8,
            ]),
            self.my_discriminator.get(),
            self.your_discriminator.map_or(0, Discriminator::get),
            self.desired_min_tx.micros(),
            self.required_min_rx.micros(),
            self.required_min_echo_rx.micros(),
        ];
        for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

/// The header's six 32-bit words, in network byte order.
fn words(header: &[u8; LENGTH]) -> [u32; LENGTH / 4] {
    let mut words = [0; LENGTH / 4];
    for (word, chunk) in words.iter_mut().zip(header.chunks_exact(4)) {
        *word = chunk.iter().fold(0, |w, &b| (w << 8) | u32::from(b));
    }
    words
}
