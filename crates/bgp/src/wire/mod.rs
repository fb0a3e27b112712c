//! The sans-IO BGP-4 message codec (RFC 4271 §4): bytes in, typed messages out, and back.
//!
//! Framing ([`frame_len`]) only answers "is a whole message buffered, and how long is it";
//! [`decode`] parses one whole message; [`Message::encode`] writes one. Every decode error is a
//! [`DecodeError`] that knows the NOTIFICATION RFC 4271 §6 / RFC 7606 prescribe for it.
//! Nothing here touches a socket or a clock.

mod as_path;
mod attr_decode;
mod attr_encode;
mod attributes;
mod capability;
mod error;
mod header;
mod hex;
mod mp;
mod nlri;
mod notification;
mod open;
mod reader;
mod route_refresh;
mod sink;
mod update;

pub use attributes::{
    Aggregator, AsPath, AsSegment, AttributeFault, Community, FaultAction, LargeCommunity,
    MpNextHop, MpReach, MpUnreach, Origin, PathAttributes, RawAttribute,
};
pub use capability::{Capability, GracefulRestart, GracefulRestartFamily};
pub use error::DecodeError;
pub use header::{frame_len, MessageType, HEADER_LEN, MAX_MESSAGE_LEN};
pub use hex::{Hex, HexPrefix};
pub use nlri::NlriField;
pub use notification::{
    CeaseSubcode, ErrorCode, FsmSubcode, HeaderSubcode, Notification, OpenSubcode, UpdateSubcode,
    MAX_SHUTDOWN_REASON,
};
pub use open::Open;
pub use route_refresh::RouteRefresh;
pub use update::Update;

use attributes::{code, expected_flags, flag};
use bytes::BytesMut;
use header::{split_frame, write_header};
use sink::Sink;

use crate::types::Family;

/// What was negotiated on a session that changes how messages are read and written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WireContext {
    /// Both sides announced the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet ASNs.
    pub four_octet_as: bool,
    /// Address families negotiated by both sides (RFC 4760); MP_REACH/MP_UNREACH for any other
    /// family are not parsed (their routes are ignored, per RFC 4760 §7).
    pub families: Vec<Family>,
}

impl WireContext {
    /// The context before OPENs are exchanged: 2-octet AS, IPv4 unicast only (RFC 4760 §1).
    pub fn initial() -> Self {
        WireContext {
            four_octet_as: false,
            families: vec![Family::IPV4_UNICAST],
        }
    }
}

/// One BGP message.
///
/// Not boxed: a message is decoded, matched and dropped, and a box would cost an allocation
/// per KEEPALIVE to save a few hundred bytes of stack.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// OPEN (type 1).
    Open(Open),
    /// UPDATE (type 2).
    Update(Update),
    /// NOTIFICATION (type 3).
    Notification(Notification),
    /// KEEPALIVE (type 4).
    Keepalive,
    /// ROUTE-REFRESH (type 5, RFC 2918).
    RouteRefresh(RouteRefresh),
}

impl Message {
    /// The message type, as in the header.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::Open(_) => MessageType::Open,
            Message::Update(_) => MessageType::Update,
            Message::Notification(_) => MessageType::Notification,
            Message::Keepalive => MessageType::Keepalive,
            Message::RouteRefresh(_) => MessageType::RouteRefresh,
        }
    }

    /// Appends the whole message, header included, to `dst`.
    ///
    /// Fails only if the message would exceed [`MAX_MESSAGE_LEN`], or for an OPEN whose
    /// capabilities exceed the 255-byte Optional Parameters field; nothing is written then.
    pub fn encode(&self, ctx: &WireContext, dst: &mut BytesMut) -> Result<(), crate::Error> {
        let len = self.checked_len(ctx)?;
        dst.reserve(len);
        write_header(self.message_type(), len, dst);
        self.write_body(ctx, dst);
        Ok(())
    }

    /// The size of the message on the wire with `ctx`, header included.
    pub fn encoded_len(&self, ctx: &WireContext) -> Result<usize, crate::Error> {
        let body = match self {
            Message::Open(open) => open.body_len()?,
            Message::Update(update) => update.body_len(ctx),
            Message::Notification(notification) => notification.body_len(),
            Message::Keepalive => 0,
            Message::RouteRefresh(_) => RouteRefresh::BODY_LEN,
        };
        Ok(HEADER_LEN + body)
    }

    fn checked_len(&self, ctx: &WireContext) -> Result<usize, crate::Error> {
        let len = self.encoded_len(ctx)?;
        if len > MAX_MESSAGE_LEN {
            return Err(crate::Error::MessageTooLong(len));
        }
        Ok(len)
    }

    fn write_body(&self, ctx: &WireContext, s: &mut dyn Sink) {
        match self {
            Message::Open(open) => open.write_body(s),
            Message::Update(update) => update.write_body(ctx, s),
            Message::Notification(notification) => notification.write_body(s),
            Message::Keepalive => {}
            Message::RouteRefresh(refresh) => refresh.write_body(s),
        }
    }
}

/// Decodes one whole message (as delimited by [`frame_len`]), header included.
///
/// The header is checked again (marker, length equal to `frame.len()`, type), then the
/// type-specific minimum lengths of RFC 4271 §6.1, then the body.
pub fn decode(frame: &[u8], ctx: &WireContext) -> Result<Message, DecodeError> {
    let (kind, body) = split_frame(frame)?;
    Ok(match kind {
        MessageType::Open => Message::Open(open::decode_open(body)?),
        MessageType::Update => Message::Update(Update::decode(body, ctx)?),
        MessageType::Notification => Message::Notification(Notification::decode(body)?),
        MessageType::Keepalive => Message::Keepalive,
        MessageType::RouteRefresh => Message::RouteRefresh(RouteRefresh::decode(frame, body)?),
    })
}
