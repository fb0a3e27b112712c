//! Capabilities (RFC 5492) carried in OPEN, and their encoding.
//!
//! ```text
//! +------------------------------+
//! | Capability Code (1 octet)    |
//! +------------------------------+
//! | Capability Length (1 octet)  |
//! +------------------------------+
//! | Capability Value (variable)  |
//! +------------------------------+
//! ```
//!
//! A malformed value of a capability we know (for example a 4-octet AS capability whose length
//! is not 4) makes the Capabilities optional parameter "recognized, but malformed", which
//! RFC 4271 §6.2 answers with OPEN Message Error / Unspecific. Repeated instances follow
//! RFC 5492 §4: identical repeats are harmless and kept; different values of a capability
//! whose RFC defines a single value (4-octet AS, RFC 6793 §3; graceful restart, RFC 4724 §3)
//! have no defined meaning, so they are rejected the same way. Multiprotocol instances differ
//! by design (one per family, RFC 4760 §8) and unknown capabilities are kept as received.

use bytes::Bytes;

use super::reader::{offset_in, take, take_array};
use super::sink::{len_u8, measure, Sink};
use super::DecodeError;
use crate::types::{Asn, Family};

const MULTIPROTOCOL: u8 = 1;
const ROUTE_REFRESH: u8 = 2;
const GRACEFUL_RESTART: u8 = 64;
const FOUR_OCTET_AS: u8 = 65;

/// Restart State bit of the graceful restart flags (RFC 4724 §3).
const GR_RESTART_STATE: u16 = 0x8000;
/// Graceful Notification bit (RFC 8538 §2).
const GR_NOTIFICATION: u16 = 0x4000;
/// The 12-bit restart time.
const GR_TIME_MASK: u16 = 0x0fff;
/// Forwarding State bit of a graceful restart family entry.
const GR_FORWARDING: u8 = 0x80;

/// One capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Capability {
    /// Multiprotocol extensions (code 1, RFC 4760).
    Multiprotocol(Family),
    /// Route refresh (code 2, RFC 2918).
    RouteRefresh,
    /// Graceful restart (code 64, RFC 4724).
    GracefulRestart(GracefulRestart),
    /// 4-octet AS number (code 65, RFC 6793).
    FourOctetAs(Asn),
    /// Any other capability, kept as received.
    Unknown {
        /// Capability code.
        code: u8,
        /// Capability value.
        value: Bytes,
    },
}

/// The graceful restart capability value (RFC 4724 §3).
///
/// ```text
/// +--------------------------------------------------+
/// | Restart Flags (4 bits: R N 0 0) | Time (12 bits) |
/// +--------------------------------------------------+
/// | AFI (2 octets) | SAFI (1 octet) | Flags (F bit)  |  repeated per family
/// +--------------------------------------------------+
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestart {
    /// The Restart State (R) bit: the sender has restarted.
    pub restart_state: bool,
    /// The Graceful Notification (N) bit (RFC 8538).
    pub notification: bool,
    /// Restart time in seconds (12 bits; higher bits are dropped when encoding).
    pub restart_time: u16,
    /// Families whose routes the sender can keep across a restart.
    pub families: Vec<GracefulRestartFamily>,
}

/// One AFI/SAFI entry of the graceful restart capability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GracefulRestartFamily {
    /// The family.
    pub family: Family,
    /// Forwarding state preserved (F bit).
    pub forwarding_preserved: bool,
}

impl Capability {
    /// The capability code.
    pub fn code(&self) -> u8 {
        match self {
            Capability::Multiprotocol(_) => MULTIPROTOCOL,
            Capability::RouteRefresh => ROUTE_REFRESH,
            Capability::GracefulRestart(_) => GRACEFUL_RESTART,
            Capability::FourOctetAs(_) => FOUR_OCTET_AS,
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// Size of the value alone.
    pub(crate) fn value_len(&self) -> usize {
        measure(|s| self.write_value(s))
    }

    /// Writes code, length and value. The value is at most 255 bytes when the OPEN fits
    /// (checked by the OPEN encoder).
    pub(crate) fn write(&self, s: &mut dyn Sink) {
        s.put_u8(self.code());
        s.put_u8(len_u8(self.value_len()));
        self.write_value(s);
    }

    fn write_value(&self, s: &mut dyn Sink) {
        match self {
            Capability::Multiprotocol(family) => {
                s.put_u16(family.afi.into());
                s.put_u8(0);
                s.put_u8(family.safi.into());
            }
            Capability::RouteRefresh => {}
            Capability::GracefulRestart(gr) => {
                let mut flags = gr.restart_time & GR_TIME_MASK;
                if gr.restart_state {
                    flags |= GR_RESTART_STATE;
                }
                if gr.notification {
                    flags |= GR_NOTIFICATION;
                }
                s.put_u16(flags);
                for entry in &gr.families {
                    s.put_u16(entry.family.afi.into());
                    s.put_u8(entry.family.safi.into());
                    s.put_u8(if entry.forwarding_preserved {
                        GR_FORWARDING
                    } else {
                        0
                    });
                }
            }
            Capability::FourOctetAs(asn) => s.put_u32(asn.get()),
            Capability::Unknown { value, .. } => s.put_slice(value),
        }
    }
}

/// Decodes the capabilities in one Capabilities optional parameter value, appending them to
/// `out`. `base` is the offset of `value` in the message, for error reports.
pub(crate) fn decode_capabilities(
    value: &[u8],
    base: usize,
    out: &mut Vec<Capability>,
) -> Result<(), DecodeError> {
    let mut rest = value;
    while !rest.is_empty() {
        let offset = base + offset_in(value, rest);
        let Some([code, declared]) = take_array::<2>(&mut rest) else {
            let available = rest.len();
            return Err(DecodeError::CapabilityOverrun {
                offset,
                code: 0,
                declared: 0,
                available,
            });
        };
        let available = rest.len();
        let Some(cap_value) = take(&mut rest, usize::from(declared)) else {
            return Err(DecodeError::CapabilityOverrun {
                offset,
                code,
                declared,
                available,
            });
        };
        let cap = decode_one(code, cap_value).ok_or_else(|| DecodeError::MalformedCapability {
            offset,
            code,
            value: Bytes::copy_from_slice(cap_value),
        })?;
        if out.iter().any(|seen| conflicts(seen, &cap)) {
            return Err(DecodeError::ConflictingCapability { code });
        }
        out.push(cap);
    }
    Ok(())
}

/// True when two instances of a single-valued capability disagree (RFC 5492 §4).
fn conflicts(a: &Capability, b: &Capability) -> bool {
    match (a, b) {
        (Capability::FourOctetAs(x), Capability::FourOctetAs(y)) => x != y,
        (Capability::GracefulRestart(x), Capability::GracefulRestart(y)) => x != y,
        _ => false,
    }
}

/// Decodes one capability value; `None` when a known capability's value is malformed.
fn decode_one(code: u8, value: &[u8]) -> Option<Capability> {
    let mut v = value;
    let cap = match code {
        MULTIPROTOCOL => {
            let [afi_hi, afi_lo, _reserved, safi] = take_array::<4>(&mut v)?;
            Capability::Multiprotocol(Family {
                afi: u16::from_be_bytes([afi_hi, afi_lo]).into(),
                safi: safi.into(),
            })
        }
        ROUTE_REFRESH => Capability::RouteRefresh,
        GRACEFUL_RESTART => {
            let flags = u16::from_be_bytes(take_array::<2>(&mut v)?);
            let mut families = Vec::new();
            while !v.is_empty() {
                let [afi_hi, afi_lo, safi, entry_flags] = take_array::<4>(&mut v)?;
                families.push(GracefulRestartFamily {
                    family: Family {
                        afi: u16::from_be_bytes([afi_hi, afi_lo]).into(),
                        safi: safi.into(),
                    },
                    forwarding_preserved: entry_flags & GR_FORWARDING != 0,
                });
            }
            Capability::GracefulRestart(GracefulRestart {
                restart_state: flags & GR_RESTART_STATE != 0,
                notification: flags & GR_NOTIFICATION != 0,
                restart_time: flags & GR_TIME_MASK,
                families,
            })
        }
        FOUR_OCTET_AS => Capability::FourOctetAs(Asn::new(u32::from_be_bytes(take_array(&mut v)?))),
        _ => {
            return Some(Capability::Unknown {
                code,
                value: Bytes::copy_from_slice(value),
            });
        }
    };
    v.is_empty().then_some(cap)
}
