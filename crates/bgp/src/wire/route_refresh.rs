//! ROUTE-REFRESH (RFC 2918 §3; the reserved octet is the RFC 7313 message subtype).
//!
//! ```text
//! 0       7      15      23      31
//! +-------+-------+-------+-------+
//! |      AFI      | Res.  | SAFI  |
//! +-------+-------+-------+-------+
//! ```

use bytes::Bytes;

use super::reader::take_array;
use super::sink::Sink;
use super::DecodeError;
use crate::types::Family;

/// A ROUTE-REFRESH message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRefresh {
    /// The family whose routes the peer asks us to re-send.
    pub family: Family,
    /// The reserved / subtype octet (0 = normal request, RFC 7313).
    pub subtype: u8,
}

impl RouteRefresh {
    /// Size of the body (after the header).
    pub(crate) const BODY_LEN: usize = 4;

    /// Writes the body.
    pub(crate) fn write_body(&self, s: &mut dyn Sink) {
        s.put_u16(self.family.afi.into());
        s.put_u8(self.subtype);
        s.put_u8(self.family.safi.into());
    }

    /// Decodes the body of `frame` (the whole message): anything but 4 body octets is an
    /// Invalid Message Length carrying the whole message (RFC 7313 §5).
    pub(crate) fn decode(frame: &[u8], body: &[u8]) -> Result<Self, DecodeError> {
        let mut rest = body;
        match take_array::<4>(&mut rest) {
            Some([afi_hi, afi_lo, subtype, safi]) if rest.is_empty() => Ok(RouteRefresh {
                family: Family {
                    afi: u16::from_be_bytes([afi_hi, afi_lo]).into(),
                    safi: safi.into(),
                },
                subtype,
            }),
            _ => Err(DecodeError::RouteRefreshLength {
                message: Bytes::copy_from_slice(frame),
            }),
        }
    }
}
