//! How a VIP is made local to the host: as an address on an interface, or as a `local`
//! route in the `local` table.

use std::fmt;

/// The kernel object that makes a VIP's address local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Binding {
    /// A host address (/32, /128) on the interface. Sockets may bind to it by address.
    Address,
    /// A host route of type `local` in the `local` table, through the interface: delivered
    /// to local sockets like an address, at a cost that grows linearly with the count.
    /// IPv6 sockets bound to this one address need `IPV6_FREEBIND` or
    /// `net.ipv6.ip_nonlocal_bind`; wildcard listeners work without.
    Route,
}

impl fmt::Display for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Binding::Address => "address",
            Binding::Route => "local route",
        })
    }
}
