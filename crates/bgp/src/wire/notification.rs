//! NOTIFICATION (RFC 4271 §4.5): error codes and subcodes (RFC 4271 §6, RFC 4486 Cease,
//! RFC 6608 FSM errors, RFC 7313 ROUTE-REFRESH), and the shutdown communication (RFC 9003).
//!
//! ```text
//! +-------------------+----------------------+---------------------+
//! | Error code (1)    | Error subcode (1)    | Data (variable)     |
//! +-------------------+----------------------+---------------------+
//! ```
//!
//! The data is kept raw: its meaning depends on the code, and [`Notification::shutdown_reason`]
//! reads the RFC 9003 form on demand.

use std::fmt;

use bytes::Bytes;

use super::reader::take_array;
use super::sink::{len_u16, Sink};
use super::{DecodeError, Hex, HEADER_LEN};

/// A NOTIFICATION message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    /// Error code and subcode.
    pub code: ErrorCode,
    /// The data field, whose meaning depends on the code.
    pub data: Bytes,
}

/// The error code with its subcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// Message Header Error (1).
    MessageHeader(HeaderSubcode),
    /// OPEN Message Error (2).
    Open(OpenSubcode),
    /// UPDATE Message Error (3).
    Update(UpdateSubcode),
    /// Hold Timer Expired (4).
    HoldTimerExpired,
    /// Finite State Machine Error (5).
    Fsm(FsmSubcode),
    /// Cease (6).
    Cease(CeaseSubcode),
    /// ROUTE-REFRESH Message Error (7, RFC 7313); subcode 1 is Invalid Message Length.
    RouteRefresh(u8),
    /// Send Hold Timer Expired (8, RFC 9687): the peer has not read what we sent for the
    /// send hold time.
    SendHoldTimerExpired,
    /// Any other code/subcode pair, kept as received.
    Unknown {
        /// Error code.
        code: u8,
        /// Error subcode.
        subcode: u8,
    },
}

macro_rules! subcode_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A subcode this implementation has no name for.
            Other(u8),
        }

        impl From<u8> for $name {
            fn from(v: u8) -> Self {
                match v {
                    $($value => $name::$variant,)*
                    other => $name::Other(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(s: $name) -> u8 {
                match s {
                    $($name::$variant => $value,)*
                    $name::Other(v) => v,
                }
            }
        }
    };
}

subcode_enum!(
    /// Message Header Error subcodes (RFC 4271 §4.5).
    HeaderSubcode {
        /// 0
        Unspecific = 0,
        /// 1
        ConnectionNotSynchronized = 1,
        /// 2
        BadMessageLength = 2,
        /// 3
        BadMessageType = 3,
    }
);

subcode_enum!(
    /// OPEN Message Error subcodes (RFC 4271 §4.5, RFC 5492, RFC 9234).
    OpenSubcode {
        /// 0
        Unspecific = 0,
        /// 1
        UnsupportedVersionNumber = 1,
        /// 2
        BadPeerAs = 2,
        /// 3
        BadBgpIdentifier = 3,
        /// 4
        UnsupportedOptionalParameter = 4,
        /// 6
        UnacceptableHoldTime = 6,
        /// 7 (RFC 5492)
        UnsupportedCapability = 7,
        /// 11 (RFC 9234)
        RoleMismatch = 11,
    }
);

subcode_enum!(
    /// UPDATE Message Error subcodes (RFC 4271 §4.5).
    UpdateSubcode {
        /// 0
        Unspecific = 0,
        /// 1
        MalformedAttributeList = 1,
        /// 2
        UnrecognizedWellKnownAttribute = 2,
        /// 3
        MissingWellKnownAttribute = 3,
        /// 4
        AttributeFlagsError = 4,
        /// 5
        AttributeLengthError = 5,
        /// 6
        InvalidOriginAttribute = 6,
        /// 8
        InvalidNextHopAttribute = 8,
        /// 9
        OptionalAttributeError = 9,
        /// 10
        InvalidNetworkField = 10,
        /// 11
        MalformedAsPath = 11,
    }
);

subcode_enum!(
    /// Finite State Machine Error subcodes (RFC 6608).
    FsmSubcode {
        /// 0
        Unspecific = 0,
        /// 1
        UnexpectedInOpenSent = 1,
        /// 2
        UnexpectedInOpenConfirm = 2,
        /// 3
        UnexpectedInEstablished = 3,
    }
);

subcode_enum!(
    /// Cease subcodes (RFC 4486, RFC 8538, RFC 9384).
    CeaseSubcode {
        /// 0
        Unspecific = 0,
        /// 1
        MaximumPrefixesReached = 1,
        /// 2
        AdministrativeShutdown = 2,
        /// 3
        PeerDeconfigured = 3,
        /// 4
        AdministrativeReset = 4,
        /// 5
        ConnectionRejected = 5,
        /// 6
        OtherConfigurationChange = 6,
        /// 7
        ConnectionCollisionResolution = 7,
        /// 8
        OutOfResources = 8,
        /// 9 (RFC 8538)
        HardReset = 9,
        /// 10 (RFC 9384)
        BfdDown = 10,
    }
);

impl ErrorCode {
    /// The (code, subcode) octets.
    pub fn to_octets(self) -> (u8, u8) {
        match self {
            ErrorCode::MessageHeader(s) => (1, s.into()),
            ErrorCode::Open(s) => (2, s.into()),
            ErrorCode::Update(s) => (3, s.into()),
            ErrorCode::HoldTimerExpired => (4, 0),
            ErrorCode::Fsm(s) => (5, s.into()),
            ErrorCode::Cease(s) => (6, s.into()),
            ErrorCode::RouteRefresh(s) => (7, s),
            ErrorCode::SendHoldTimerExpired => (8, 0),
            ErrorCode::Unknown { code, subcode } => (code, subcode),
        }
    }

    /// The code from its (code, subcode) octets.
    pub fn from_octets(code: u8, subcode: u8) -> Self {
        match code {
            1 => ErrorCode::MessageHeader(subcode.into()),
            2 => ErrorCode::Open(subcode.into()),
            3 => ErrorCode::Update(subcode.into()),
            4 if subcode == 0 => ErrorCode::HoldTimerExpired,
            5 => ErrorCode::Fsm(subcode.into()),
            6 => ErrorCode::Cease(subcode.into()),
            7 => ErrorCode::RouteRefresh(subcode),
            8 if subcode == 0 => ErrorCode::SendHoldTimerExpired,
            _ => ErrorCode::Unknown { code, subcode },
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (code, subcode) = self.to_octets();
        match self {
            ErrorCode::MessageHeader(s) => write!(f, "message header error/{s:?}"),
            ErrorCode::Open(s) => write!(f, "OPEN error/{s:?}"),
            ErrorCode::Update(s) => write!(f, "UPDATE error/{s:?}"),
            ErrorCode::HoldTimerExpired => f.write_str("hold timer expired"),
            ErrorCode::SendHoldTimerExpired => f.write_str("send hold timer expired"),
            ErrorCode::Fsm(s) => write!(f, "FSM error/{s:?}"),
            ErrorCode::Cease(s) => write!(f, "cease/{s:?}"),
            ErrorCode::RouteRefresh(_) | ErrorCode::Unknown { .. } => {
                write!(f, "code {code} subcode {subcode}")
            }
        }
    }
}

/// The longest shutdown communication (RFC 9003 §2).
pub const MAX_SHUTDOWN_REASON: usize = 255;

impl Notification {
    /// A notification with a code and data.
    pub fn new(code: ErrorCode, data: impl Into<Bytes>) -> Self {
        Notification {
            code,
            data: data.into(),
        }
    }

    /// A Cease with a shutdown communication (RFC 9003): used for Administrative Shutdown and
    /// Administrative Reset. The reason is cut at a character boundary to 255 bytes.
    pub fn cease_with_reason(subcode: CeaseSubcode, reason: &str) -> Self {
        let mut end = reason.len().min(MAX_SHUTDOWN_REASON);
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        let text = reason.get(..end).unwrap_or_default();
        let mut data = Vec::with_capacity(1 + text.len());
        data.push(u8::try_from(text.len()).unwrap_or(u8::MAX));
        data.extend_from_slice(text.as_bytes());
        Notification::new(ErrorCode::Cease(subcode), data)
    }

    /// Size of the body (after the header).
    pub(crate) fn body_len(&self) -> usize {
        2 + self.data.len()
    }

    /// Writes the body.
    pub(crate) fn write_body(&self, s: &mut dyn Sink) {
        let (code, subcode) = self.code.to_octets();
        s.put_u8(code);
        s.put_u8(subcode);
        s.put_slice(&self.data);
    }

    /// Decodes a body; the header check guarantees at least the two code octets.
    pub(crate) fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut rest = body;
        let Some([code, subcode]) = take_array::<2>(&mut rest) else {
            return Err(DecodeError::BadMessageLength {
                length: len_u16(HEADER_LEN + body.len()),
            });
        };
        Ok(Notification::new(
            ErrorCode::from_octets(code, subcode),
            Bytes::copy_from_slice(rest),
        ))
    }

    /// The shutdown communication of an Administrative Shutdown or Reset (RFC 9003), if the
    /// data holds a well-formed one.
    pub fn shutdown_reason(&self) -> Option<String> {
        match self.code {
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
            | ErrorCode::Cease(CeaseSubcode::AdministrativeReset) => {}
            _ => return None,
        }
        let (&len, rest) = self.data.split_first()?;
        let text = rest.get(..usize::from(len))?;
        std::str::from_utf8(text).ok().map(str::to_owned)
    }
}

impl fmt::Display for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.code.fmt(f)?;
        if let Some(reason) = self.shutdown_reason() {
            write!(f, " ({reason:?})")?;
        } else if !self.data.is_empty() {
            write!(f, " data {}", Hex(&self.data))?;
        }
        Ok(())
    }
}
