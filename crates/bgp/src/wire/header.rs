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

use super::DecodeError;

/// Length of the message header.
pub const HEADER_LEN: usize = 19;
/// Largest message without the Extended Message capability (RFC 4271 §4).
pub const MAX_MESSAGE_LEN: usize = 4096;

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

/// How long the first message in `buf` is, once its header is buffered.
///
/// `Ok(None)`: fewer than [`HEADER_LEN`] bytes so far. `Ok(Some(n))`: the message is `n` bytes
/// long (it may not be wholly buffered yet). Errors: bad marker (Connection Not Synchronized),
/// length below 19 or above 4,096 (Bad Message Length).
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, DecodeError> {
    let _ = buf;
    todo!("codec")
}
