//! Privileged tests of `Vips` against the real kernel, each in its own
//! private network namespace (see `lab`). Ignored by a plain `cargo test` (needs root:
//! `sudo scripts/test` runs them); run anyway without root, they fail.

mod lab;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use announcer_netlink::{AddressEvent, AddressEventKind, Binding, Bound, Error, Vips};
use lab::{in_private_netns, Lab};
use rtnetlink::packet_route::address::{AddressAttribute, AddressFlags};
use tokio::sync::mpsc::Receiver;

/// The VIPs bound on `lo`.
const V4: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
const V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
/// Addresses some other party configured: on the dummy, or not as a host.
const FOREIGN_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
const FOREIGN_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 7, 0, 0, 0, 0, 7));
const SUBNET_V4: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 3));
const HOST_V4: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 5);
const HOST_V6: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 5, 0, 0, 0, 0, 5));
const EVENT_WAIT: Duration = Duration::from_secs(5);
/// VIPs as addresses, and as `local` routes.
const ADDRESS: Binding = Binding::Address;
const ROUTE: Binding = Binding::Route;

/// Waits (bounded) for the first event that matches `wanted`.
async fn expect_event(events: &mut Receiver<AddressEvent>, wanted: &AddressEvent) {
    let seen = tokio::time::timeout(EVENT_WAIT, async {
        while let Some(event) = events.recv().await {
            if &event == wanted {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(seen, Ok(true), "no {wanted:?} within {EVENT_WAIT:?}");
}

/// Asserts that no interface holds `addr` as tentative (DAD pending).
async fn assert_not_tentative(lab: &Lab, addr: IpAddr) {
    for msg in lab.addresses(addr).await {
        for attribute in &msg.attributes {
            if let AddressAttribute::Flags(flags) = attribute {
                assert!(!flags.contains(AddressFlags::Tentative), "{addr} tentative");
            }
        }
    }
}

#[test]
#[ignore = "needs root: scripts/test"]
fn namespace_is_private_with_only_lo() {
    in_private_netns("namespace_is_private_with_only_lo", |lab| async move {
        assert_eq!(lab.links().await, ["lo"]);
        let vips = Vips::new().await.unwrap();
        assert_eq!(
            vips.bound(ADDRESS, "lo").await.unwrap(),
            Vec::<IpAddr>::new()
        );
    });
}

#[test]
#[ignore = "needs root: scripts/test"]
fn bind_is_idempotent_listed_found_and_usable_at_once() {
    in_private_netns(
        "bind_is_idempotent_listed_found_and_usable_at_once",
        |lab| async move {
            let vips = Vips::new().await.unwrap();
            for addr in [V4, V6] {
                assert_eq!(vips.bind(ADDRESS, "lo", addr).await.unwrap(), Bound::Added);
                assert_eq!(
                    vips.bind(ADDRESS, "lo", addr).await.unwrap(),
                    Bound::AlreadyPresent
                );
                assert_eq!(vips.find(addr).await.unwrap().as_deref(), Some("lo"));
                assert_not_tentative(&lab, addr).await;
                UdpSocket::bind(SocketAddr::new(addr, 0)).unwrap();
            }
            let mut bound = vips.bound(ADDRESS, "lo").await.unwrap();
            bound.sort();
            assert_eq!(bound, [V4, V6]);
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn unbind_removes_and_is_idempotent() {
    in_private_netns("unbind_removes_and_is_idempotent", |_lab| async move {
        let vips = Vips::new().await.unwrap();
        for addr in [V4, V6] {
            vips.bind(ADDRESS, "lo", addr).await.unwrap();
            vips.unbind(ADDRESS, "lo", addr).await.unwrap();
            assert_eq!(vips.find(addr).await.unwrap(), None);
            vips.unbind(ADDRESS, "lo", addr).await.unwrap();
        }
        assert_eq!(
            vips.bound(ADDRESS, "lo").await.unwrap(),
            Vec::<IpAddr>::new()
        );
    });
}

#[test]
#[ignore = "needs root: scripts/test"]
fn unbind_leaves_a_non_host_address_alone() {
    in_private_netns("unbind_leaves_a_non_host_address_alone", |lab| async move {
        let vips = Vips::new().await.unwrap();
        lab.add_address("lo", SUBNET_V4, 24).await;
        vips.unbind(ADDRESS, "lo", SUBNET_V4).await.unwrap();
        assert_eq!(vips.find(SUBNET_V4).await.unwrap().as_deref(), Some("lo"));
        assert_eq!(
            vips.bound(ADDRESS, "lo").await.unwrap(),
            Vec::<IpAddr>::new()
        );
    });
}

#[test]
#[ignore = "needs root: scripts/test"]
fn removal_behind_our_back_is_watched() {
    in_private_netns("removal_behind_our_back_is_watched", |lab| async move {
        let vips = Vips::new().await.unwrap();
        let mut events = vips.watch().await.unwrap();
        for (addr, prefix_len) in [(V4, 32), (V6, 128)] {
            vips.bind(ADDRESS, "lo", addr).await.unwrap();
            let added = AddressEvent {
                kind: AddressEventKind::Added,
                interface: "lo".to_owned(),
                addr,
                prefix_len,
                binding: ADDRESS,
            };
            expect_event(&mut events, &added).await;
            lab.delete_address(addr).await;
            let removed = AddressEvent {
                kind: AddressEventKind::Removed,
                interface: "lo".to_owned(),
                addr,
                prefix_len,
                binding: ADDRESS,
            };
            expect_event(&mut events, &removed).await;
        }
    });
}

#[test]
#[ignore = "needs root: scripts/test"]
fn addresses_of_a_deleted_interface_are_watched_with_its_name() {
    in_private_netns(
        "addresses_of_a_deleted_interface_are_watched_with_its_name",
        |lab| async move {
            let vips = Vips::new().await.unwrap();
            lab.add_dummy("dum0").await;
            let mut events = vips.watch().await.unwrap();
            lab.add_address("dum0", FOREIGN_V4, 24).await;
            lab.delete_link("dum0").await;
            let removed = AddressEvent {
                kind: AddressEventKind::Removed,
                interface: "dum0".to_owned(),
                addr: FOREIGN_V4,
                prefix_len: 24,
                binding: ADDRESS,
            };
            expect_event(&mut events, &removed).await;
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn ipv6_bound_off_loopback_is_usable_at_once() {
    in_private_netns(
        "ipv6_bound_off_loopback_is_usable_at_once",
        |lab| async move {
            let vips = Vips::new().await.unwrap();
            lab.add_dummy("dum0").await;
            assert_eq!(vips.bind(ADDRESS, "dum0", V6).await.unwrap(), Bound::Added);
            assert_not_tentative(&lab, V6).await;
            UdpSocket::bind(SocketAddr::new(V6, 0)).unwrap();
            assert_eq!(vips.bound(ADDRESS, "dum0").await.unwrap(), [V6]);
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn address_on_another_interface_is_reported_not_duplicated() {
    in_private_netns(
        "address_on_another_interface_is_reported_not_duplicated",
        |lab| async move {
            let vips = Vips::new().await.unwrap();
            lab.add_dummy("dum0").await;
            for (addr, prefix_len) in [(FOREIGN_V4, 24), (FOREIGN_V6, 64)] {
                lab.add_address("dum0", addr, prefix_len).await;
                match vips.bind(ADDRESS, "lo", addr).await {
                    Err(Error::OnOtherInterface { addr: a, interface }) => {
                        assert_eq!((a, interface.as_str()), (addr, "dum0"));
                    }
                    other => panic!("expected OnOtherInterface, got {other:?}"),
                }
                assert_eq!(lab.addresses(addr).await.len(), 1);
                assert_eq!(vips.find(addr).await.unwrap().as_deref(), Some("dum0"));
            }
            assert_eq!(
                vips.bound(ADDRESS, "lo").await.unwrap(),
                Vec::<IpAddr>::new()
            );
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn missing_interface_is_no_such_interface() {
    in_private_netns(
        "missing_interface_is_no_such_interface",
        |_lab| async move {
            let vips = Vips::new().await.unwrap();
            for name in ["nope0", "", "a-name-far-too-long-for-linux"] {
                let bind = vips.bind(ADDRESS, name, V4).await;
                assert!(
                    matches!(&bind, Err(Error::NoSuchInterface(n)) if n == name),
                    "{bind:?}"
                );
                let unbind = vips.unbind(ADDRESS, name, V4).await;
                assert!(
                    matches!(&unbind, Err(Error::NoSuchInterface(n)) if n == name),
                    "{unbind:?}"
                );
                let bound = vips.bound(ADDRESS, name).await;
                assert!(
                    matches!(&bound, Err(Error::NoSuchInterface(n)) if n == name),
                    "{bound:?}"
                );
            }
            let message = vips
                .bind(ADDRESS, "nope0", V4)
                .await
                .unwrap_err()
                .to_string();
            assert_eq!(message, "no such interface: nope0");
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn first_global_ipv4_skips_loopback_and_finds_the_dummy() {
    in_private_netns(
        "first_global_ipv4_skips_loopback_and_finds_the_dummy",
        |lab| async move {
            let vips = Vips::new().await.unwrap();
            assert_eq!(vips.first_global_ipv4().await.unwrap(), None);
            vips.bind(ADDRESS, "lo", V4).await.unwrap();
            assert_eq!(vips.first_global_ipv4().await.unwrap(), None);
            lab.add_dummy("dum0").await;
            lab.add_address("dum0", HOST_V6, 64).await;
            assert_eq!(vips.first_global_ipv4().await.unwrap(), None);
            lab.add_address("dum0", IpAddr::V4(HOST_V4), 24).await;
            assert_eq!(vips.first_global_ipv4().await.unwrap(), Some(HOST_V4));
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_local_route_binds_is_listed_delivers_ipv4_and_unbinds_idempotently() {
    in_private_netns(
        "a_local_route_binds_is_listed_delivers_ipv4_and_unbinds_idempotently",
        |_lab| async move {
            let vips = Vips::new().await.unwrap();
            for addr in [V4, V6] {
                assert_eq!(vips.bind(ROUTE, "lo", addr).await.unwrap(), Bound::Added);
                assert_eq!(
                    vips.bind(ROUTE, "lo", addr).await.unwrap(),
                    Bound::AlreadyPresent
                );
                assert_eq!(
                    vips.find(addr).await.unwrap(),
                    None,
                    "no address for {addr}"
                );
            }
            UdpSocket::bind(SocketAddr::new(V4, 0)).unwrap();
            let mut bound = vips.bound(ROUTE, "lo").await.unwrap();
            bound.sort();
            assert_eq!(bound, [V4, V6]);
            assert_eq!(
                vips.bound(ADDRESS, "lo").await.unwrap(),
                Vec::<IpAddr>::new()
            );
            for addr in [V4, V6] {
                vips.unbind(ROUTE, "lo", addr).await.unwrap();
                vips.unbind(ROUTE, "lo", addr).await.unwrap();
            }
            assert_eq!(vips.bound(ROUTE, "lo").await.unwrap(), Vec::<IpAddr>::new());
            assert!(UdpSocket::bind(SocketAddr::new(V4, 0)).is_err());
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn ipv6_sockets_need_freebind_for_one_routed_address() {
    in_private_netns(
        "ipv6_sockets_need_freebind_for_one_routed_address",
        |_lab| async move {
            let vips = Vips::new().await.unwrap();
            vips.bind(ROUTE, "lo", V6).await.unwrap();
            let specific = UdpSocket::bind(SocketAddr::new(V6, 0));
            assert!(specific.is_err(), "bound {V6} without IPV6_FREEBIND");
            let wildcard = UdpSocket::bind(SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), 0));
            let wildcard = wildcard.unwrap();
            wildcard.send_to(b"vip", SocketAddr::new(V6, 9)).unwrap();
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn unbinding_a_route_leaves_the_kernels_route_of_an_address_alone() {
    in_private_netns(
        "unbinding_a_route_leaves_the_kernels_route_of_an_address_alone",
        |_lab| async move {
            let vips = Vips::new().await.unwrap();
            vips.bind(ADDRESS, "lo", V4).await.unwrap();
            assert_eq!(
                vips.bind(ROUTE, "lo", V4).await.unwrap(),
                Bound::AlreadyPresent
            );
            assert_eq!(vips.bound(ROUTE, "lo").await.unwrap(), [V4]);
            vips.unbind(ROUTE, "lo", V4).await.unwrap();
            assert_eq!(vips.bound(ROUTE, "lo").await.unwrap(), [V4]);
            UdpSocket::bind(SocketAddr::new(V4, 0)).unwrap();
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_route_removed_behind_our_back_is_watched() {
    in_private_netns(
        "a_route_removed_behind_our_back_is_watched",
        |lab| async move {
            let vips = Vips::new().await.unwrap();
            let mut events = vips.watch().await.unwrap();
            for (addr, prefix_len) in [(V4, 32), (V6, 128)] {
                vips.bind(ROUTE, "lo", addr).await.unwrap();
                let interface = "lo".to_owned();
                let added = AddressEvent {
                    kind: AddressEventKind::Added,
                    interface: interface.clone(),
                    addr,
                    prefix_len,
                    binding: ROUTE,
                };
                expect_event(&mut events, &added).await;
                lab.delete_local_routes(addr).await;
                let removed = AddressEvent {
                    kind: AddressEventKind::Removed,
                    interface,
                    addr,
                    prefix_len,
                    binding: ROUTE,
                };
                expect_event(&mut events, &removed).await;
            }
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_route_for_an_address_on_another_interface_is_reported_not_added() {
    in_private_netns(
        "a_route_for_an_address_on_another_interface_is_reported_not_added",
        |lab| async move {
            lab.add_dummy("dum0").await;
            lab.add_address("dum0", FOREIGN_V4, 32).await;
            let vips = Vips::new().await.unwrap();
            match vips.bind(ROUTE, "lo", FOREIGN_V4).await {
                Err(Error::OnOtherInterface { interface, .. }) => assert_eq!(interface, "dum0"),
                other => panic!("expected OnOtherInterface, got {other:?}"),
            }
            assert_eq!(vips.bound(ROUTE, "lo").await.unwrap(), Vec::<IpAddr>::new());
        },
    );
}

#[test]
#[ignore = "needs root: scripts/test"]
fn many_vips_bound_at_once_each_get_their_own_outcome() {
    in_private_netns(
        "many_vips_bound_at_once_each_get_their_own_outcome",
        |lab| async move {
            lab.add_dummy("dum0").await;
            lab.add_address("dum0", FOREIGN_V4, 32).await;
            let vips = Vips::new().await.unwrap();
            let fresh: Vec<IpAddr> = (1..=200u8)
                .map(|n| IpAddr::V4(Ipv4Addr::new(203, 0, 113, n)))
                .chain(
                    (1..=100u16)
                        .map(|n| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, n))),
                )
                .collect();
            for binding in [ROUTE, ADDRESS] {
                vips.bind(binding, "lo", V4).await.unwrap();
                let mut asked = fresh.clone();
                asked.extend([V4, FOREIGN_V4]);
                let outcomes = vips.bind_all(binding, "lo", &asked).await.unwrap();
                assert_eq!(outcomes.len(), asked.len(), "{binding}");
                for (addr, outcome) in outcomes {
                    match (addr, outcome) {
                        (V4, Ok(bound)) => assert_eq!(bound, Bound::AlreadyPresent, "{binding}"),
                        (FOREIGN_V4, Err(Error::OnOtherInterface { interface, .. })) => {
                            assert_eq!(interface, "dum0", "{binding}")
                        }
                        (addr, Ok(bound)) if fresh.contains(&addr) => {
                            assert_eq!(bound, Bound::Added, "{binding} {addr}")
                        }
                        (addr, other) => panic!("{binding} {addr}: {other:?}"),
                    }
                }
                let mut bound = vips.bound(binding, "lo").await.unwrap();
                bound.sort();
                let mut expected = fresh.clone();
                expected.push(V4);
                expected.sort();
                assert_eq!(bound, expected, "{binding}");
                for &addr in &expected {
                    vips.unbind(binding, "lo", addr).await.unwrap();
                }
            }
        },
    );
}
