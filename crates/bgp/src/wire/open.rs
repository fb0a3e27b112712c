//! OPEN (RFC 4271 §4.2) with capabilities in optional parameters (RFC 5492).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+
//! |    Version    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     My Autonomous System      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Hold Time           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         BGP Identifier                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Opt Parm Len  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Parm. Type   | Parm. Length  |  Parameter Value (variable)   ~
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Only the Capabilities parameter (type 2) is accepted. RFC 9072 extended optional
//! parameters are not supported: their marker (a first parameter of type 255) is answered as
//! any other unsupported parameter type, and an OPEN whose capabilities exceed 255 bytes
//! cannot be encoded.

use std::net::Ipv4Addr;

use super::capability::decode_capabilities;
use super::header::HEADER_LEN;
use super::reader::{offset_in, take, take_array};
use super::sink::{len_u8, measure, Sink};
use super::{Capability, DecodeError};
use crate::types::{Asn, HoldTime, RouterId};
use crate::Error;

/// The only BGP version we speak.
const VERSION: u8 = 4;
/// Optional parameter type: Capabilities (RFC 5492 §4).
const PARAM_CAPABILITIES: u8 = 2;
/// Largest Optional Parameters field (a one-octet length).
const MAX_PARAMS_LEN: usize = 255;

/// An OPEN message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    /// The "My Autonomous System" field: the sender's AS, or AS_TRANS for a 4-octet AS.
    pub my_as: u16,
    /// The proposed hold time in seconds (1 and 2 are rejected at decode).
    pub hold_time: HoldTime,
    /// The BGP identifier as received (0.0.0.0 is rejected at decode).
    pub router_id: RouterId,
    /// Capabilities from all Capabilities optional parameters, in order.
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// The sender's AS: the 4-octet AS capability if present (RFC 6793 §4.1), else `my_as`.
    pub fn asn(&self) -> Asn {
        self.capabilities
            .iter()
            .find_map(|c| match c {
                Capability::FourOctetAs(asn) => Some(*asn),
                _ => None,
            })
            .unwrap_or(Asn::new(u32::from(self.my_as)))
    }

    /// The BGP identifier as an address.
    pub fn router_id_addr(&self) -> Ipv4Addr {
        self.router_id.addr()
    }

    /// The size of the body (after the header), or an error when the capabilities do not fit
    /// in the 255-byte Optional Parameters field.
    pub(crate) fn body_len(&self) -> Result<usize, Error> {
        let params = params_len(&self.capabilities);
        if params > MAX_PARAMS_LEN {
            return Err(Error::OptionalParametersTooLong(params));
        }
        Ok(10 + params)
    }

    /// Writes the body; [`Open::body_len`] must have succeeded.
    ///
    /// All capabilities go in one Capabilities parameter, as RFC 5492 §4 prefers. Splitting
    /// them over several parameters never helps without RFC 9072: each parameter adds two
    /// octets to the same one-octet Optional Parameters Length, so capabilities that do not
    /// fit in one parameter do not fit in several either.
    pub(crate) fn write_body(&self, s: &mut dyn Sink) {
        s.put_u8(VERSION);
        s.put_u16(self.my_as);
        s.put_u16(self.hold_time.seconds());
        s.put_u32(self.router_id.to_u32());
        s.put_u8(len_u8(params_len(&self.capabilities)));
        if !self.capabilities.is_empty() {
            s.put_u8(PARAM_CAPABILITIES);
            s.put_u8(len_u8(caps_len(&self.capabilities)));
            for cap in &self.capabilities {
                cap.write(s);
            }
        }
    }
}

/// Size of the capabilities, codes and lengths included.
fn caps_len(capabilities: &[Capability]) -> usize {
    capabilities.iter().map(|c| measure(|s| c.write(s))).sum()
}

/// Size of the Optional Parameters field.
fn params_len(capabilities: &[Capability]) -> usize {
    if capabilities.is_empty() {
        0
    } else {
        2 + caps_len(capabilities)
    }
}

/// Decodes an OPEN body (the message after its 19-byte header).
pub(crate) fn decode_open(body: &[u8]) -> Result<Open, DecodeError> {
    let mut rest = body;
    let Some([version, as_hi, as_lo, hold_hi, hold_lo, a, b, c, d, opt_len]) =
        take_array::<10>(&mut rest)
    else {
        return Err(DecodeError::OptionalParametersLength {
            declared: 0,
            available: rest.len(),
        });
    };
    if version != VERSION {
        return Err(DecodeError::UnsupportedVersion { version });
    }
    let seconds = u16::from_be_bytes([hold_hi, hold_lo]);
    let hold_time =
        HoldTime::new(seconds).map_err(|_| DecodeError::UnacceptableHoldTime { seconds })?;
    let id = Ipv4Addr::new(a, b, c, d);
    let router_id = RouterId::new(id).map_err(|_| DecodeError::BadBgpIdentifier { id })?;
    if rest.len() != usize::from(opt_len) {
        return Err(DecodeError::OptionalParametersLength {
            declared: opt_len,
            available: rest.len(),
        });
    }
    let params = rest;
    let params_base = HEADER_LEN + offset_in(body, params);
    let mut capabilities = Vec::new();
    while !rest.is_empty() {
        let offset = params_base + offset_in(params, rest);
        let Some([param_type, declared]) = take_array::<2>(&mut rest) else {
            let available = rest.len();
            return Err(DecodeError::OptionalParameterOverrun {
                offset,
                declared: 0,
                available,
            });
        };
        let available = rest.len();
        let Some(value) = take(&mut rest, usize::from(declared)) else {
            return Err(DecodeError::OptionalParameterOverrun {
                offset,
                declared,
                available,
            });
        };
        if param_type != PARAM_CAPABILITIES {
            return Err(DecodeError::UnsupportedOptionalParameter { param_type, offset });
        }
        decode_capabilities(value, offset + 2, &mut capabilities)?;
    }
    Ok(Open {
        my_as: u16::from_be_bytes([as_hi, as_lo]),
        hold_time,
        router_id,
        capabilities,
    })
}
