//! Pure helpers between VIPs and `local` routes in the `local` table: building the
//! message that adds or deletes one, and reading one back from a dump or an event.
//!
//! Invariant: no I/O here. The routes announcer adds carry protocol `static`, so that a
//! delete never removes the kernel's own route for an address (protocol `kernel`).

use std::net::IpAddr;

use rtnetlink::packet_route::route::{
    RouteAddress, RouteAttribute, RouteMessage, RouteProtocol, RouteScope, RouteType,
};

use crate::addr::{family_of, host_prefix_len};

/// The kernel's `local` routing table (RT_TABLE_LOCAL).
pub(crate) const LOCAL_TABLE: u8 = 255;

/// The protocol of the routes announcer adds: `ip route show table local proto static`.
const PROTOCOL: RouteProtocol = RouteProtocol::Static;

/// The `local` host route of `addr` through interface `index`, as an add or a delete
/// request wants it.
pub(crate) fn local_route_message(index: u32, addr: IpAddr) -> RouteMessage {
    let mut msg = RouteMessage::default();
    msg.header.address_family = family_of(addr);
    msg.header.destination_prefix_length = host_prefix_len(addr);
    msg.header.table = LOCAL_TABLE;
    msg.header.protocol = PROTOCOL;
    msg.header.scope = RouteScope::Host;
    msg.header.kind = RouteType::Local;
    msg.attributes
        .push(RouteAttribute::Destination(RouteAddress::from(addr)));
    msg.attributes.push(RouteAttribute::Oif(index));
    msg
}

/// The interface index and address of a `local` host route in the `local` table, whoever
/// added it (the kernel adds one for every address); `None` for any other route.
pub(crate) fn local_host_route(msg: &RouteMessage) -> Option<(u32, IpAddr)> {
    if msg.header.kind != RouteType::Local || table(msg) != u32::from(LOCAL_TABLE) {
        return None;
    }
    let mut destination = None;
    let mut oif = None;
    for attribute in &msg.attributes {
        match attribute {
            RouteAttribute::Destination(RouteAddress::Inet(v4)) => {
                destination = Some(IpAddr::V4(*v4));
            }
            RouteAttribute::Destination(RouteAddress::Inet6(v6)) => {
                destination = Some(IpAddr::V6(*v6));
            }
            RouteAttribute::Oif(index) => oif = Some(*index),
            _ => {}
        }
    }
    let addr = destination?;
    (msg.header.destination_prefix_length == host_prefix_len(addr)).then_some((oif?, addr))
}

/// The table a route is in: RTA_TABLE when present (tables above 255), else the header's.
fn table(msg: &RouteMessage) -> u32 {
    msg.attributes
        .iter()
        .find_map(|attribute| match attribute {
            RouteAttribute::Table(table) => Some(*table),
            _ => None,
        })
        .unwrap_or(u32::from(msg.header.table))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_route::AddressFamily;

    #[test]
    fn a_vip_route_is_a_local_host_route_in_the_local_table() {
        let msg = local_route_message(1, "203.0.113.7".parse().unwrap());
        assert_eq!(msg.header.address_family, AddressFamily::Inet);
        assert_eq!(msg.header.destination_prefix_length, 32);
        assert_eq!(msg.header.kind, RouteType::Local);
        assert_eq!(msg.header.scope, RouteScope::Host);
        assert_eq!(msg.header.protocol, RouteProtocol::Static);
        assert_eq!(
            local_host_route(&msg),
            Some((1, "203.0.113.7".parse().unwrap()))
        );
        let v6 = local_route_message(3, "2001:db8::7".parse().unwrap());
        assert_eq!(v6.header.address_family, AddressFamily::Inet6);
        assert_eq!(
            local_host_route(&v6),
            Some((3, "2001:db8::7".parse().unwrap()))
        );
    }

    #[test]
    fn other_routes_are_not_vip_routes() {
        let addr: IpAddr = "198.51.100.7".parse().unwrap();
        type Change = fn(&mut RouteMessage);
        let cases: [(&str, Change); 4] = [
            ("a unicast route", |m| m.header.kind = RouteType::Unicast),
            ("the main table", |m| m.header.table = 254),
            ("a whole range", |m| m.header.destination_prefix_length = 15),
            ("no interface", |m| {
                m.attributes
                    .retain(|a| !matches!(a, RouteAttribute::Oif(_)))
            }),
        ];
        for (name, change) in cases {
            let mut msg = local_route_message(2, addr);
            change(&mut msg);
            assert_eq!(local_host_route(&msg), None, "{name}");
        }
    }

    #[test]
    fn the_table_attribute_wins_over_the_header() {
        let mut msg = local_route_message(2, "192.0.2.7".parse().unwrap());
        msg.attributes.push(RouteAttribute::Table(1000));
        assert_eq!(local_host_route(&msg), None);
    }
}
