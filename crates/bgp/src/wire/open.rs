//! OPEN (RFC 4271 §4.2) with capabilities in optional parameters (RFC 5492).

use std::net::Ipv4Addr;

use super::Capability;
use crate::types::{Asn, HoldTime, RouterId};

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
}
