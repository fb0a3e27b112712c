//! The 19-byte message header and framing (RFC 4271 §4.1).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Marker (16 x 0xff)                     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Length               |      Type     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use super::reader::take_array;
use super::sink::{len_u16, Sink};
use super::DecodeError;

/// Length of the message header.
pub const HEADER_LEN: usize = 19;
/// Largest message without the Extended Message capability (RFC 4271 §4).
pub const MAX_MESSAGE_LEN: usize = 4096;

const MARKER: [u8; 16] = [0xff; 16];

/// The message type octet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// 1
    Open,
    /// 2
    Update,
    /// 3
    Notification,
    /// 4
    Keepalive,
    /// 5 (RFC 2918)
    RouteRefresh,
}

impl MessageType {
    /// The type for a type octet, if it is one we know.
    pub fn from_u8(code: u8) -> Option<Self> {
        match code {
            1 => Some(MessageType::Open),
            2 => Some(MessageType::Update),
            3 => Some(MessageType::Notification),
            4 => Some(MessageType::Keepalive),
            5 => Some(MessageType::RouteRefresh),
            _ => None,
        }
    }

    /// The type octet.
    pub fn to_u8(self) -> u8 {
        match self {
            MessageType::Open => 1,
            MessageType::Update => 2,
            MessageType::Notification => 3,
            MessageType::Keepalive => 4,
            MessageType::RouteRefresh => 5,
        }
    }

    /// Whether a message of this type may be `len` bytes long, header included
    /// (RFC 4271 §6.1; RFC 2918 §3 for ROUTE-REFRESH, checked separately per RFC 7313 §5).
    fn accepts_len(self, len: usize) -> bool {
        match self {
            MessageType::Open => len >= 29,
            MessageType::Update => len >= 23,
            MessageType::Notification => len >= 21,
            MessageType::Keepalive => len == HEADER_LEN,
            MessageType::RouteRefresh => true,
        }
    }
}

/// How long the first message in `buf` is, once its header is buffered.
///
/// `Ok(None)`: fewer than [`HEADER_LEN`] bytes so far. `Ok(Some(n))`: the message is `n` bytes
/// long (it may not be wholly buffered yet). Errors: bad marker (Connection Not Synchronized),
/// length below 19 or above 4,096 (Bad Message Length).
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    let mut rest = buf;
    let (Some(marker), Some(length)) = (take_array::<16>(&mut rest), take_array::<2>(&mut rest))
    else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(None);
    }
    if marker != MARKER {
        return Err(DecodeError::BadMarker);
    }
    let length = u16::from_be_bytes(length);
    let len = usize::from(length);
    if !(HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(DecodeError::BadMessageLength { length });
    }
    Ok(Some(len))
}

/// Checks the header of a whole frame and the type-specific length: returns the type and the
/// body (everything after the header).
pub(crate) fn split_frame(frame: &[u8]) -> Result<(MessageType, &[u8]), DecodeError> {
    let mut rest = frame;
    let (Some(marker), Some(length), Some([type_code])) = (
        take_array::<16>(&mut rest),
        take_array::<2>(&mut rest),
        take_array::<1>(&mut rest),
    ) else {
        return Err(DecodeError::BadMessageLength {
            length: len_u16(frame.len()),
        });
    };
    if marker != MARKER {
        return Err(DecodeError::BadMarker);
    }
    let length = u16::from_be_bytes(length);
    let len = usize::from(length);
    if len != frame.len() || !(HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(DecodeError::BadMessageLength { length });
    }
    let Some(kind) = MessageType::from_u8(type_code) else {
        return Err(DecodeError::BadMessageType { type_code });
    };
    if !kind.accepts_len(len) {
        return Err(DecodeError::BadMessageLength { length });
    }
    Ok((kind, rest))
}

/// Writes a header for a message of `len` bytes in all (checked against
/// [`MAX_MESSAGE_LEN`] by the caller).
pub(crate) fn write_header(kind: MessageType, len: usize, s: &mut dyn Sink) {
    s.put_slice(&MARKER);
    s.put_u16(len_u16(len));
    s.put_u8(kind.to_u8());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: u16, kind: u8) -> Vec<u8> {
        let mut v = vec![0xff; 16];
        v.extend_from_slice(&len.to_be_bytes());
        v.push(kind);
        v
    }

    #[test]
    fn fewer_than_nineteen_bytes_is_not_yet_a_frame() {
        assert_eq!(frame_len(&header(19, 4)[..18]), Ok(None));
        assert_eq!(frame_len(&[]), Ok(None));
    }

    #[test]
    fn a_whole_header_gives_the_message_length_before_the_body_arrives() {
        assert_eq!(frame_len(&header(4096, 2)), Ok(Some(4096)));
    }

    #[test]
    fn a_marker_with_a_zero_bit_is_connection_not_synchronized() {
        let mut h = header(19, 4);
        h[3] = 0xfe;
        assert_eq!(frame_len(&h), Err(DecodeError::BadMarker));
    }

    #[test]
    fn lengths_below_19_or_above_4096_are_bad_message_length() {
        assert_eq!(
            frame_len(&header(18, 4)),
            Err(DecodeError::BadMessageLength { length: 18 })
        );
        assert_eq!(
            frame_len(&header(4097, 2)),
            Err(DecodeError::BadMessageLength { length: 4097 })
        );
    }
}
