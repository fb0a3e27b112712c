//! Pure helpers between IP addresses and rtnetlink address messages: host
//! prefix lengths, building a host-address message, reading one back.
//!
//! Invariant: no I/O here; everything is testable without privileges.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rtnetlink::packet_route::address::{
    AddressAttribute, AddressFlags, AddressHeaderFlags, AddressMessage, AddressScope,
};
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::AddressMessageBuilder;

/// The prefix length of a host address of `addr`'s family: 32 or 128.
pub(crate) fn host_prefix_len(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

/// The address family of `addr`.
pub(crate) fn family_of(addr: IpAddr) -> AddressFamily {
    match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// The message naming `addr` as a host address on interface `index`, as a
/// delete request wants it.
pub(crate) fn host_message(index: u32, addr: IpAddr) -> AddressMessage {
    let prefix_len = host_prefix_len(addr);
    match addr {
        IpAddr::V4(v4) => AddressMessageBuilder::<Ipv4Addr>::new()
            .index(index)
            .address(v4, prefix_len)
            .build(),
        IpAddr::V6(v6) => AddressMessageBuilder::<Ipv6Addr>::new()
            .index(index)
            .address(v6, prefix_len)
            .build(),
    }
}

/// Marks an IPv6 add request IFA_F_NODAD so that the address is usable at
/// once on any interface, not only on `lo` (which skips DAD anyway). IPv4
/// messages are left alone.
pub(crate) fn skip_dad(msg: &mut AddressMessage) {
    if msg.header.family == AddressFamily::Inet6 {
        msg.header.flags |= AddressHeaderFlags::Nodad;
        msg.attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad));
    }
}

/// The local address a message describes: IFA_LOCAL when present (on
/// point-to-point links IFA_ADDRESS is the peer), IFA_ADDRESS otherwise.
pub(crate) fn local_addr(msg: &AddressMessage) -> Option<IpAddr> {
    let mut address = None;
    for attribute in &msg.attributes {
        match attribute {
            AddressAttribute::Local(local) => return Some(*local),
            AddressAttribute::Address(addr) => address = Some(*addr),
            _ => {}
        }
    }
    address
}

/// Whether the message describes a host address (/32 or /128).
pub(crate) fn is_host(msg: &AddressMessage) -> bool {
    local_addr(msg).is_some_and(|addr| msg.header.prefix_len == host_prefix_len(addr))
}

/// The address of a message if it is a global-scope IPv4 address.
pub(crate) fn global_ipv4(msg: &AddressMessage) -> Option<Ipv4Addr> {
    match (msg.header.scope, local_addr(msg)) {
        (AddressScope::Universe, Some(IpAddr::V4(v4))) => Some(v4),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(addr: &str, prefix_len: u8, scope: AddressScope) -> AddressMessage {
        let mut msg = host_message(7, addr.parse().unwrap());
        msg.header.prefix_len = prefix_len;
        msg.header.scope = scope;
        msg
    }

    #[test]
    fn host_message_v4_is_a_slash_32_on_the_index() {
        let msg = host_message(3, "192.0.2.1".parse().unwrap());
        assert_eq!(msg.header.index, 3);
        assert_eq!(msg.header.family, AddressFamily::Inet);
        assert_eq!(msg.header.prefix_len, 32);
        assert_eq!(local_addr(&msg), Some("192.0.2.1".parse().unwrap()));
        assert!(is_host(&msg));
    }

    #[test]
    fn host_message_v6_is_a_slash_128() {
        let msg = host_message(1, "2001:db8::1".parse().unwrap());
        assert_eq!(msg.header.family, AddressFamily::Inet6);
        assert_eq!(msg.header.prefix_len, 128);
        assert!(is_host(&msg));
    }

    #[test]
    fn skip_dad_marks_ipv6_only() {
        let mut v6 = host_message(1, "2001:db8::1".parse().unwrap());
        skip_dad(&mut v6);
        assert!(v6.header.flags.contains(AddressHeaderFlags::Nodad));
        assert!(v6
            .attributes
            .contains(&AddressAttribute::Flags(AddressFlags::Nodad)));
        let mut v4 = host_message(1, "192.0.2.1".parse().unwrap());
        let before = v4.clone();
        skip_dad(&mut v4);
        assert_eq!(v4, before);
    }

    #[test]
    fn local_wins_over_peer_address() {
        let mut msg = AddressMessage::default();
        msg.attributes
            .push(AddressAttribute::Address("198.51.100.2".parse().unwrap()));
        msg.attributes
            .push(AddressAttribute::Local("198.51.100.1".parse().unwrap()));
        assert_eq!(local_addr(&msg), Some("198.51.100.1".parse().unwrap()));
    }

    #[test]
    fn subnet_addresses_are_not_host_addresses() {
        assert!(!is_host(&message(
            "203.0.113.5",
            24,
            AddressScope::Universe
        )));
        assert!(!is_host(&message(
            "2001:db8::5",
            64,
            AddressScope::Universe
        )));
        assert!(!is_host(&AddressMessage::default()));
    }

    #[test]
    fn only_universe_scope_ipv4_is_global() {
        let global = message("203.0.113.5", 24, AddressScope::Universe);
        assert_eq!(global_ipv4(&global), Some("203.0.113.5".parse().unwrap()));
        assert_eq!(
            global_ipv4(&message("127.0.0.1", 8, AddressScope::Host)),
            None
        );
        assert_eq!(
            global_ipv4(&message("2001:db8::5", 64, AddressScope::Universe)),
            None
        );
    }
}
