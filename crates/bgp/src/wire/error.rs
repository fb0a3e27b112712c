//! Decode errors and the NOTIFICATION each one calls for (RFC 4271 §6, RFC 7313 §5,
//! RFC 4760 §7, RFC 7606).
//!
//! Only errors that reset the session are here; the RFC 7606 outcomes that keep it up
//! (treat-as-withdraw, attribute discard) are [`super::AttributeFault`]s on the decoded UPDATE.

use std::net::Ipv4Addr;

use bytes::Bytes;

use super::{
    ErrorCode, HeaderSubcode, Hex, NlriField, Notification, OpenSubcode, UpdateSubcode,
    MAX_MESSAGE_LEN,
};
use crate::types::Family;

/// The version we speak, sent in the data of Unsupported Version Number (RFC 4271 §6.2).
const BGP_VERSION: u16 = 4;

/// A message that cannot be accepted. Each variant carries what the RFC needs in the
/// NOTIFICATION data and what an operator needs in the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The marker is not all ones (RFC 4271 §6.1: Connection Not Synchronized).
    #[error("bad marker: header does not start with 16 octets of 0xff")]
    BadMarker,
    /// The header length is outside 19..=4096, does not suit the message type, or is not the
    /// length of the frame given (RFC 4271 §6.1: Bad Message Length).
    #[error("bad message length {length}")]
    BadMessageLength {
        /// The header's length field.
        length: u16,
    },
    /// An unknown message type (RFC 4271 §6.1: Bad Message Type).
    #[error("bad message type {type_code}")]
    BadMessageType {
        /// The type octet.
        type_code: u8,
    },
    /// A ROUTE-REFRESH whose length is not 23 (RFC 7313 §5: Invalid Message Length).
    #[error("ROUTE-REFRESH of {} bytes, expected 23: {}", message.len(), Hex(message))]
    RouteRefreshLength {
        /// The whole message, header included, as RFC 7313 §5 puts it in the data.
        message: Bytes,
    },
    /// An OPEN with a version other than 4 (RFC 4271 §6.2).
    #[error("unsupported BGP version {version}")]
    UnsupportedVersion {
        /// The version the peer bid.
        version: u8,
    },
    /// A hold time of 1 or 2 seconds (RFC 4271 §6.2).
    #[error("unacceptable hold time {seconds}s")]
    UnacceptableHoldTime {
        /// The hold time received.
        seconds: u16,
    },
    /// A BGP identifier that is not a valid unicast identifier: 0.0.0.0 (RFC 4271 §6.2).
    #[error("bad BGP identifier {id}")]
    BadBgpIdentifier {
        /// The identifier received.
        id: Ipv4Addr,
    },
    /// An optional parameter of a type other than Capabilities (2); this includes the
    /// RFC 9072 extended-length marker 255, which we do not support (RFC 4271 §6.2).
    #[error("unsupported optional parameter type {param_type} at offset {offset}")]
    UnsupportedOptionalParameter {
        /// The parameter type.
        param_type: u8,
        /// Offset of the parameter in the message.
        offset: usize,
    },
    /// The Optional Parameters Length does not match the rest of the OPEN (RFC 4271 §6.2:
    /// malformed optional parameters, subcode Unspecific).
    #[error("optional parameters length {declared} but {available} bytes follow")]
    OptionalParametersLength {
        /// The Optional Parameters Length field.
        declared: u8,
        /// Bytes after it.
        available: usize,
    },
    /// An optional parameter runs past the optional parameters (RFC 4271 §6.2, Unspecific).
    #[error(
        "optional parameter at offset {offset} of length {declared} overruns ({available} left)"
    )]
    OptionalParameterOverrun {
        /// Offset of the parameter in the message.
        offset: usize,
        /// The Parameter Length field.
        declared: u8,
        /// Bytes left in the optional parameters.
        available: usize,
    },
    /// A capability runs past its Capabilities parameter (RFC 5492 §4, RFC 4271 §6.2).
    #[error(
        "capability {code} at offset {offset} of length {declared} overruns ({available} left)"
    )]
    CapabilityOverrun {
        /// Offset of the capability in the message.
        offset: usize,
        /// The capability code.
        code: u8,
        /// The Capability Length field.
        declared: u8,
        /// Bytes left in the parameter.
        available: usize,
    },
    /// A capability we know with a value of the wrong shape, e.g. a 4-octet AS capability that
    /// is not 4 octets (RFC 4271 §6.2: recognized but malformed, subcode Unspecific).
    #[error("malformed capability {code} at offset {offset}: value {}", Hex(value))]
    MalformedCapability {
        /// Offset of the capability in the message.
        offset: usize,
        /// The capability code.
        code: u8,
        /// The capability value.
        value: Bytes,
    },
    /// Two instances of a single-valued capability with different values (RFC 5492 §4 leaves
    /// their meaning to the capability's RFC; RFC 6793 and RFC 4724 define only one value).
    #[error("capability {code} announced twice with different values")]
    ConflictingCapability {
        /// The capability code.
        code: u8,
    },
    /// Withdrawn Routes Length runs past the message (RFC 4271 §6.3: Malformed Attribute List).
    #[error("withdrawn routes length {declared} but {available} bytes remain")]
    WithdrawnRoutesLength {
        /// The Withdrawn Routes Length field.
        declared: u16,
        /// Bytes available for it.
        available: usize,
    },
    /// Total Path Attribute Length runs past the message (RFC 4271 §6.3: Malformed Attribute
    /// List).
    #[error("total path attribute length {declared} but {available} bytes remain")]
    PathAttributesLength {
        /// The Total Path Attribute Length field.
        declared: u16,
        /// Bytes available for it.
        available: usize,
    },
    /// A prefix longer than the address in an IPv4 prefix field (RFC 4271 §6.3, RFC 7606 §5.3:
    /// Invalid Network Field).
    #[error("{field:?} prefix at offset {offset} has length /{prefix_len}")]
    PrefixTooLong {
        /// The field.
        field: NlriField,
        /// Offset of the prefix in the message.
        offset: usize,
        /// The length octet.
        prefix_len: u8,
    },
    /// A prefix running past the end of an IPv4 prefix field (RFC 4271 §6.3, RFC 7606 §5.3:
    /// Invalid Network Field).
    #[error("{field:?} prefix /{prefix_len} at offset {offset} runs past the end")]
    PrefixTruncated {
        /// The field.
        field: NlriField,
        /// Offset of the prefix in the message.
        offset: usize,
        /// The length octet.
        prefix_len: u8,
    },
    /// A well-known (non-optional) attribute we do not know (RFC 4271 §6.3).
    #[error("unrecognized well-known attribute {type_code}: {}", Hex(attribute))]
    UnrecognizedWellKnownAttribute {
        /// The type code.
        type_code: u8,
        /// The whole attribute (flags, type, length, value).
        attribute: Bytes,
    },
    /// MP_REACH_NLRI or MP_UNREACH_NLRI appears twice (RFC 7606 §3 g: Malformed Attribute
    /// List).
    #[error("attribute {type_code} repeated at offset {offset}")]
    DuplicateMpAttribute {
        /// 14 or 15.
        type_code: u8,
        /// Offset of the second occurrence in the message.
        offset: usize,
    },
    /// MP_REACH_NLRI / MP_UNREACH_NLRI too short to hold its fixed fields (RFC 4760 §7:
    /// Optional Attribute Error; RFC 7606 §5.3 / §7.11: the NLRI cannot be located).
    #[error("attribute {type_code} truncated: {}", Hex(attribute))]
    MpAttributeTruncated {
        /// 14 or 15.
        type_code: u8,
        /// The whole attribute.
        attribute: Bytes,
    },
    /// An MP_REACH_NLRI next hop length that does not suit the family (RFC 7606 §7.11:
    /// session reset; RFC 4760 §7: Optional Attribute Error).
    #[error(
        "MP_REACH_NLRI for {family} with a {length}-byte next hop: {}",
        Hex(attribute)
    )]
    MpNextHopLength {
        /// The family.
        family: Family,
        /// The Length of Next Hop Network Address field.
        length: u8,
        /// The whole attribute.
        attribute: Bytes,
    },
    /// A syntactically incorrect prefix inside MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 7606 §5.3:
    /// session reset; RFC 4760 §7: Optional Attribute Error).
    #[error(
        "{field:?} prefix /{prefix_len} for {family} is invalid (too long: {too_long}): {}",
        Hex(attribute)
    )]
    MpInvalidPrefix {
        /// The field.
        field: NlriField,
        /// The family.
        family: Family,
        /// The length octet.
        prefix_len: u8,
        /// True when longer than the address, false when it runs past the attribute.
        too_long: bool,
        /// The whole attribute.
        attribute: Bytes,
    },
}

impl DecodeError {
    /// The NOTIFICATION to send for this error: code, subcode and data exactly as the RFC
    /// cited on the variant prescribes.
    pub fn notification(&self) -> Notification {
        use DecodeError as E;
        let header = |s| ErrorCode::MessageHeader(s);
        let open = |s| ErrorCode::Open(s);
        let update = |s| ErrorCode::Update(s);
        match self {
            E::BadMarker => Notification::new(
                header(HeaderSubcode::ConnectionNotSynchronized),
                Bytes::new(),
            ),
            E::BadMessageLength { length } => Notification::new(
                header(HeaderSubcode::BadMessageLength),
                Bytes::copy_from_slice(&length.to_be_bytes()),
            ),
            E::BadMessageType { type_code } => Notification::new(
                header(HeaderSubcode::BadMessageType),
                Bytes::copy_from_slice(&[*type_code]),
            ),
            E::RouteRefreshLength { message } => {
                // The whole message (RFC 7313 §5), cut so the NOTIFICATION itself stays
                // within the 4,096 bytes of RFC 4271 §4 (21 bytes of header and codes).
                let fits = message.len().min(MAX_MESSAGE_LEN - 21);
                Notification::new(ErrorCode::RouteRefresh(1), message.slice(..fits))
            }
            E::UnsupportedVersion { .. } => Notification::new(
                open(OpenSubcode::UnsupportedVersionNumber),
                Bytes::copy_from_slice(&BGP_VERSION.to_be_bytes()),
            ),
            E::UnacceptableHoldTime { .. } => {
                Notification::new(open(OpenSubcode::UnacceptableHoldTime), Bytes::new())
            }
            E::BadBgpIdentifier { .. } => {
                Notification::new(open(OpenSubcode::BadBgpIdentifier), Bytes::new())
            }
            E::UnsupportedOptionalParameter { .. } => Notification::new(
                open(OpenSubcode::UnsupportedOptionalParameter),
                Bytes::new(),
            ),
            E::OptionalParametersLength { .. }
            | E::OptionalParameterOverrun { .. }
            | E::CapabilityOverrun { .. }
            | E::MalformedCapability { .. }
            | E::ConflictingCapability { .. } => {
                Notification::new(open(OpenSubcode::Unspecific), Bytes::new())
            }
            E::WithdrawnRoutesLength { .. }
            | E::PathAttributesLength { .. }
            | E::DuplicateMpAttribute { .. } => {
                Notification::new(update(UpdateSubcode::MalformedAttributeList), Bytes::new())
            }
            E::PrefixTooLong { .. } | E::PrefixTruncated { .. } => {
                Notification::new(update(UpdateSubcode::InvalidNetworkField), Bytes::new())
            }
            E::UnrecognizedWellKnownAttribute { attribute, .. } => Notification::new(
                update(UpdateSubcode::UnrecognizedWellKnownAttribute),
                attribute.clone(),
            ),
            E::MpAttributeTruncated { attribute, .. }
            | E::MpNextHopLength { attribute, .. }
            | E::MpInvalidPrefix { attribute, .. } => Notification::new(
                update(UpdateSubcode::OptionalAttributeError),
                attribute.clone(),
            ),
        }
    }
}
