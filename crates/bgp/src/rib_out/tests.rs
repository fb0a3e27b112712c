//! Adj-RIB-Out behaviour: no churn, full re-send, packing, eBGP/iBGP attributes.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use bytes::BytesMut;

use super::*;
use crate::wire::{AsSegment, Message};

fn view(families: Vec<Family>, ibgp: bool) -> SessionView {
    SessionView {
        local_as: Asn::new(65001),
        ibgp,
        next_hop_v4: Some(Ipv4Addr::new(192, 0, 2, 11)),
        next_hop_v6: Some("2001:db8::11".parse().unwrap()),
        wire: WireContext {
            four_octet_as: true,
            families,
        },
    }
}

pub(super) fn both() -> SessionView {
    view(vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST], false)
}

pub(super) fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

pub(super) fn attrs(med: u32) -> Arc<RouteAttributes> {
    Arc::new(RouteAttributes {
        med: Some(med),
        ..RouteAttributes::default()
    })
}

fn announced(updates: &[Update]) -> Vec<Prefix> {
    updates
        .iter()
        .flat_map(|u| {
            u.nlri
                .iter()
                .chain(u.attributes.mp_reach.iter().flat_map(|r| r.nlri.iter()))
        })
        .copied()
        .collect()
}

pub(super) fn withdrawn(updates: &[Update]) -> Vec<Prefix> {
    updates
        .iter()
        .flat_map(|u| {
            u.withdrawn.iter().chain(
                u.attributes
                    .mp_unreach
                    .iter()
                    .flat_map(|r| r.withdrawn.iter()),
            )
        })
        .copied()
        .collect()
}

#[test]
fn announcing_the_same_route_twice_sends_nothing_the_second_time() {
    let mut rib = AdjRibOut::new();
    let v = both();
    assert!(rib.announce(p("203.0.113.10/32"), attrs(10)));
    assert_eq!(
        announced(&rib.pending_updates(&v).0),
        vec![p("203.0.113.10/32")]
    );
    assert!(!rib.announce(p("203.0.113.10/32"), attrs(10)));
    assert!(rib.pending_updates(&v).0.is_empty());
}

#[test]
fn announce_then_withdraw_before_sending_sends_nothing() {
    let mut rib = AdjRibOut::new();
    rib.announce(p("203.0.113.10/32"), attrs(10));
    rib.withdraw(p("203.0.113.10/32"));
    assert!(rib.pending_updates(&both()).0.is_empty());
}

#[test]
fn withdrawing_a_route_never_announced_sends_nothing() {
    let mut rib = AdjRibOut::new();
    assert!(!rib.withdraw(p("203.0.113.10/32")));
    assert!(rib.pending_updates(&both()).0.is_empty());
}

#[test]
fn changed_attributes_re_announce_without_a_withdraw() {
    let mut rib = AdjRibOut::new();
    let v = both();
    rib.announce(p("203.0.113.10/32"), attrs(10));
    rib.pending_updates(&v);
    rib.announce(p("203.0.113.10/32"), attrs(20));
    let (updates, _) = rib.pending_updates(&v);
    assert_eq!(announced(&updates), vec![p("203.0.113.10/32")]);
    assert!(withdrawn(&updates).is_empty());
    assert_eq!(updates[0].attributes.med, Some(20));
}

#[test]
fn ipv6_routes_go_in_mp_reach_and_mp_unreach_with_the_session_next_hop() {
    let mut rib = AdjRibOut::new();
    let v = both();
    rib.announce(p("2001:db8:100::10/128"), attrs(5));
    let (updates, _) = rib.pending_updates(&v);
    let reach = updates[0].attributes.mp_reach.as_ref().unwrap();
    assert_eq!(reach.family, Family::IPV6_UNICAST);
    assert_eq!(
        reach.next_hop,
        MpNextHop::V6 {
            global: "2001:db8::11".parse::<Ipv6Addr>().unwrap(),
            link_local: None
        }
    );
    assert!(updates[0].nlri.is_empty() && updates[0].attributes.next_hop.is_none());
    rib.withdraw(p("2001:db8:100::10/128"));
    let (updates, _) = rib.pending_updates(&v);
    assert_eq!(
        updates[0].attributes.mp_unreach.as_ref().unwrap().withdrawn,
        vec![p("2001:db8:100::10/128")]
    );
}

#[test]
fn ebgp_path_is_our_as_with_prepends_and_no_local_pref() {
    let mut rib = AdjRibOut::new();
    let a = Arc::new(RouteAttributes {
        as_path_prepend: 2,
        local_pref: Some(200),
        ..RouteAttributes::default()
    });
    rib.announce(p("203.0.113.10/32"), a);
    let (updates, _) = rib.pending_updates(&both());
    let attributes = &updates[0].attributes;
    assert_eq!(
        attributes.as_path,
        Some(AsPath {
            segments: vec![AsSegment::Sequence(vec![Asn::new(65001); 3])]
        })
    );
    assert_eq!(attributes.local_pref, None);
    assert_eq!(attributes.next_hop, Some(Ipv4Addr::new(192, 0, 2, 11)));
}

#[test]
fn ibgp_path_is_empty_and_local_pref_defaults_to_100() {
    let mut rib = AdjRibOut::new();
    rib.announce(p("203.0.113.10/32"), attrs(1));
    let (updates, _) = rib.pending_updates(&view(vec![Family::IPV4_UNICAST], true));
    assert_eq!(updates[0].attributes.as_path, Some(AsPath::default()));
    assert_eq!(updates[0].attributes.local_pref, Some(100));
}

#[test]
fn a_route_level_next_hop_overrides_the_session_one() {
    let mut rib = AdjRibOut::new();
    let nh = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));
    rib.announce(
        p("203.0.113.10/32"),
        Arc::new(RouteAttributes {
            next_hop: Some(nh),
            ..RouteAttributes::default()
        }),
    );
    let (updates, _) = rib.pending_updates(&both());
    assert_eq!(
        updates[0].attributes.next_hop,
        Some(Ipv4Addr::new(198, 51, 100, 7))
    );
}

#[test]
fn routes_of_a_family_not_negotiated_are_reported_not_sent() {
    let mut rib = AdjRibOut::new();
    rib.announce(p("2001:db8:100::10/128"), attrs(1));
    let (updates, unsendable) = rib.pending_updates(&view(vec![Family::IPV4_UNICAST], false));
    assert!(updates.is_empty());
    assert_eq!(
        unsendable.family_not_negotiated,
        vec![p("2001:db8:100::10/128")]
    );
}

#[test]
fn ipv6_routes_without_an_ipv6_next_hop_are_reported_not_sent() {
    let mut rib = AdjRibOut::new();
    let mut v = both();
    v.next_hop_v6 = None;
    rib.announce(p("2001:db8:100::10/128"), attrs(1));
    let (updates, unsendable) = rib.pending_updates(&v);
    assert!(updates.is_empty());
    assert_eq!(unsendable.no_next_hop, vec![p("2001:db8:100::10/128")]);
}

#[test]
fn a_new_session_gets_every_route_then_end_of_rib_for_each_family() {
    let mut rib = AdjRibOut::new();
    let v = both();
    rib.announce(p("203.0.113.10/32"), attrs(1));
    rib.announce(p("2001:db8:100::10/128"), attrs(1));
    rib.pending_updates(&v);
    rib.session_down();
    assert_eq!(rib.advertised_len(), 0);
    let (updates, _) = rib.full_table(&v, None);
    assert_eq!(announced(&updates).len(), 2);
    let eors: Vec<_> = updates
        .iter()
        .filter_map(Update::end_of_rib_family)
        .collect();
    assert_eq!(eors, vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    assert_eq!(
        updates.len(),
        4,
        "two announcements then two End-of-RIB markers"
    );
}

#[test]
fn a_held_end_of_rib_lets_routes_go_out_and_follows_them_once_released() {
    let mut rib = AdjRibOut::new();
    let v = both();
    rib.hold_end_of_rib();
    rib.start_table(&v);
    assert!(
        !rib.has_ready() && !rib.has_pending(),
        "nothing to send yet"
    );
    rib.announce(p("203.0.113.10/32"), attrs(1));
    let (updates, _) = rib.next_updates(&v, usize::MAX);
    assert_eq!(announced(&updates), vec![p("203.0.113.10/32")]);
    assert!(updates.iter().all(|u| u.end_of_rib_family().is_none()));
    rib.session_down();
    rib.start_table(&v);
    let (again, _) = rib.next_updates(&v, usize::MAX);
    assert_eq!(announced(&again), vec![p("203.0.113.10/32")]);
    assert!(
        again.iter().all(|u| u.end_of_rib_family().is_none()),
        "still held"
    );
    rib.announce(p("2001:db8:100::10/128"), attrs(1));
    rib.release_end_of_rib();
    let (updates, _) = rib.next_updates(&v, usize::MAX);
    assert_eq!(announced(&updates), vec![p("2001:db8:100::10/128")]);
    let eors: Vec<_> = updates
        .iter()
        .filter_map(Update::end_of_rib_family)
        .collect();
    assert_eq!(eors, vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    assert!(!rib.has_ready());
}

#[test]
fn route_refresh_resends_one_family_without_end_of_rib() {
    let mut rib = AdjRibOut::new();
    let v = both();
    rib.announce(p("203.0.113.10/32"), attrs(1));
    rib.announce(p("2001:db8:100::10/128"), attrs(1));
    rib.pending_updates(&v);
    let (updates, _) = rib.full_table(&v, Some(Family::IPV6_UNICAST));
    assert_eq!(announced(&updates), vec![p("2001:db8:100::10/128")]);
    assert!(updates.iter().all(|u| u.end_of_rib_family().is_none()));
}

#[test]
fn withdraw_all_withdraws_what_was_sent() {
    let mut rib = AdjRibOut::new();
    let v = both();
    rib.announce(p("203.0.113.10/32"), attrs(1));
    rib.announce(p("2001:db8:100::10/128"), attrs(1));
    rib.pending_updates(&v);
    rib.withdraw_all();
    let (updates, _) = rib.pending_updates(&v);
    assert_eq!(withdrawn(&updates).len(), 2);
    assert_eq!(rib.advertised_len(), 0);
}

fn host_routes(count: u32, base: Ipv4Addr) -> Vec<Prefix> {
    (0..count)
        .map(|i| Prefix::host(IpAddr::V4(Ipv4Addr::from(u32::from(base) + i))))
        .collect()
}

fn encoded_sizes(updates: &[Update], v: &SessionView) -> Vec<usize> {
    updates
        .iter()
        .map(|u| {
            let mut buf = BytesMut::new();
            Message::Update(u.clone())
                .encode(&v.wire, &mut buf)
                .unwrap();
            buf.len()
        })
        .collect()
}

#[test]
fn routes_with_equal_attributes_are_packed_into_full_updates() {
    let mut rib = AdjRibOut::new();
    let v = both();
    let routes = host_routes(10_000, Ipv4Addr::new(198, 18, 0, 0));
    let shared = attrs(1);
    for r in &routes {
        rib.announce(*r, Arc::clone(&shared));
    }
    let (updates, _) = rib.pending_updates(&v);
    let sizes = encoded_sizes(&updates, &v);
    assert!(sizes.iter().all(|&s| s <= MAX_MESSAGE_LEN), "{sizes:?}");
    // Each /32 takes 5 bytes: a full UPDATE holds about 800 of them.
    assert!(
        updates.len() <= 13,
        "{} updates for 10,000 routes",
        updates.len()
    );
    assert_eq!(announced(&updates).len(), 10_000);
}

#[test]
fn ipv6_and_withdrawals_are_packed_within_the_limit_too() {
    let mut rib = AdjRibOut::new();
    let v = both();
    let shared = attrs(1);
    let routes: Vec<Prefix> = (0..3000u128)
        .map(|i| {
            Prefix::host(IpAddr::V6(Ipv6Addr::from(
                0x2001_0db8_0100_0000_0000_0000_0000_0000u128 + i,
            )))
        })
        .collect();
    for r in &routes {
        rib.announce(*r, Arc::clone(&shared));
    }
    let (updates, _) = rib.pending_updates(&v);
    assert!(encoded_sizes(&updates, &v)
        .iter()
        .all(|&s| s <= MAX_MESSAGE_LEN));
    assert_eq!(announced(&updates).len(), 3000);
    rib.withdraw_all();
    let (updates, _) = rib.pending_updates(&v);
    assert!(encoded_sizes(&updates, &v)
        .iter()
        .all(|&s| s <= MAX_MESSAGE_LEN));
    assert_eq!(withdrawn(&updates).len(), 3000);
    assert!(updates.len() <= 20);
}

#[test]
fn routes_with_different_attributes_go_in_separate_updates() {
    let mut rib = AdjRibOut::new();
    rib.announce(p("203.0.113.10/32"), attrs(1));
    rib.announce(p("203.0.113.11/32"), attrs(2));
    rib.announce(p("203.0.113.12/32"), attrs(1));
    let (updates, _) = rib.pending_updates(&both());
    assert_eq!(updates.len(), 2);
    assert_eq!(
        updates[0].nlri,
        vec![p("203.0.113.10/32"), p("203.0.113.12/32")]
    );
}
