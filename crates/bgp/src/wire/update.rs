//! UPDATE (RFC 4271 §4.3), with IPv6 routes in MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760).

use super::{AttributeFault, MpUnreach, PathAttributes};
use crate::types::{Family, Prefix};

/// An UPDATE message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// IPv4 unicast routes withdrawn (the Withdrawn Routes field).
    pub withdrawn: Vec<Prefix>,
    /// Path attributes.
    pub attributes: PathAttributes,
    /// IPv4 unicast routes advertised (the NLRI field).
    pub nlri: Vec<Prefix>,
    /// Errors found while decoding that RFC 7606 handles without a session reset
    /// (treat-as-withdraw, attribute discard). Always empty on messages we build.
    pub faults: Vec<AttributeFault>,
}

impl Update {
    /// The End-of-RIB marker for a family (RFC 4724 §2).
    pub fn end_of_rib(family: Family) -> Update {
        if family == Family::IPV4_UNICAST {
            return Update::default();
        }
        Update {
            attributes: PathAttributes {
                mp_unreach: Some(MpUnreach { family, withdrawn: Vec::new() }),
                ..PathAttributes::default()
            },
            ..Update::default()
        }
    }

    /// The family this UPDATE marks End-of-RIB for, if it is such a marker.
    pub fn end_of_rib_family(&self) -> Option<Family> {
        let _ = self;
        todo!("codec")
    }
}
