//! Decode errors and the NOTIFICATION each one calls for (RFC 4271 §6, RFC 7606).

use super::{ErrorCode, Notification};

/// A message that cannot be accepted. Each variant carries what the RFC needs in the
/// NOTIFICATION data and what an operator needs in the log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The marker is not all ones (RFC 4271 §6.1: Connection Not Synchronized).
    #[error("bad marker")]
    BadMarker,
}

impl DecodeError {
    /// The NOTIFICATION to send for this error.
    pub fn notification(&self) -> Notification {
        let _ = ErrorCode::HoldTimerExpired;
        todo!("codec")
    }
}
