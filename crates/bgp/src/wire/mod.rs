//! The sans-IO BGP-4 message codec (RFC 4271 §4): bytes in, typed messages out, and back.
//!
//! Framing ([`frame_len`]) only answers "is a whole message buffered, and how long is it";
//! [`decode`] parses one whole message; [`Message::encode`] writes one. Every decode error is a
//! [`DecodeError`] that knows the NOTIFICATION RFC 4271 §6 / RFC 7606 prescribe for it.
//! Nothing here touches a socket or a clock.

mod attributes;
mod capability;
mod error;
mod header;
mod nlri;
mod notification;
mod open;
mod route_refresh;
mod update;

pub use attributes::{
    Aggregator, AsPath, AsSegment, AttributeFault, Community, FaultAction, LargeCommunity,
    MpNextHop, MpReach, MpUnreach, Origin, PathAttributes, RawAttribute,
};
pub use capability::{Capability, GracefulRestart, GracefulRestartFamily};
pub use error::DecodeError;
pub use header::{frame_len, MessageType, HEADER_LEN, MAX_MESSAGE_LEN};
pub use notification::{
    CeaseSubcode, ErrorCode, FsmSubcode, HeaderSubcode, Notification, OpenSubcode, UpdateSubcode,
};
pub use open::Open;
pub use route_refresh::RouteRefresh;
pub use update::Update;

use bytes::BytesMut;

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
        WireContext { four_octet_as: false, families: vec![Family::IPV4_UNICAST] }
    }
}

/// One BGP message.
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
    /// Fails only if the message would exceed [`MAX_MESSAGE_LEN`]; nothing is written then.
    pub fn encode(&self, ctx: &WireContext, dst: &mut BytesMut) -> Result<(), crate::Error> {
        let _ = (ctx, dst);
        todo!("codec")
    }
}

/// Decodes one whole message (as delimited by [`frame_len`]), header included.
pub fn decode(frame: &[u8], ctx: &WireContext) -> Result<Message, DecodeError> {
    let _ = (frame, ctx);
    todo!("codec")
}
