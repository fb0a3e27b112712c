//! Messages captured from real routers (BIRD 2.0.12, FRR 8.4.4, GoBGP 3.10.0; see
//! `testdata/captured/README.md`): every file decodes, key fields are what the sender's
//! configuration says, and re-encoding gives the same bytes wherever the sender's layout is
//! the canonical one we write (one Capabilities parameter; attributes in ascending type order
//! with the Extended Length bit only when needed). BIRD and FRR set Extended Length on short
//! MP_REACH_NLRI / AS_PATH values and put MP_* first, and FRR sends one capability per
//! parameter: those files are only decoded.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wire_support;

use std::net::Ipv4Addr;
use std::path::PathBuf;

use announcer_bgp::wire::{
    decode, Capability, CeaseSubcode, ErrorCode, Message, MpNextHop, Origin, Update,
};
use announcer_bgp::{Asn, Family, Prefix};
use wire_support::{assert_hex_eq, ctx4, encode, unhex};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/captured")
}

/// The bytes of a capture, and the message decoded with the sessions' context (4-octet AS,
/// IPv4 and IPv6 unicast).
fn load(name: &str) -> (Vec<u8>, Message) {
    let text = std::fs::read_to_string(dir().join(name)).unwrap();
    let bytes = unhex(&text);
    let msg = decode(&bytes, &ctx4()).unwrap_or_else(|e| panic!("{name}: {e}"));
    (bytes, msg)
}

fn update(name: &str) -> Update {
    match load(name).1 {
        Message::Update(u) => u,
        other => panic!("{name}: not an UPDATE: {other:?}"),
    }
}

fn p(s: &str) -> Prefix {
    s.parse().unwrap()
}

/// Re-encoding reproduces the capture byte for byte.
fn reencodes_identically(name: &str) {
    let (bytes, msg) = load(name);
    assert_hex_eq(&encode(&msg, &ctx4()), &bytes);
}

#[test]
fn every_captured_message_decodes_without_faults() {
    let mut count = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if !name.ends_with(".hex") {
            continue;
        }
        if let (_, Message::Update(u)) = load(&name) {
            assert!(u.faults.is_empty(), "{name}: {:?}", u.faults);
        }
        count += 1;
    }
    assert!(count >= 30, "only {count} captures");
}

#[test]
fn bird_open_carries_as_trans_and_its_four_octet_as_in_one_parameter() {
    let Message::Open(open) = load("bird-open.hex").1 else {
        panic!()
    };
    assert_eq!(open.my_as, 23456);
    assert_eq!(open.asn(), Asn::new(4_200_000_001));
    assert_eq!(open.hold_time.seconds(), 9);
    assert_eq!(open.router_id.addr(), Ipv4Addr::new(192, 0, 2, 1));
    assert!(open
        .capabilities
        .contains(&Capability::Multiprotocol(Family::IPV6_UNICAST)));
    assert!(open.capabilities.contains(&Capability::RouteRefresh));
    reencodes_identically("bird-open.hex");
}

#[test]
fn frr_open_with_one_capability_per_parameter_decodes_every_capability() {
    let Message::Open(open) = load("frr-open.hex").1 else {
        panic!()
    };
    assert_eq!(open.asn(), Asn::new(65002));
    let codes: Vec<u8> = open.capabilities.iter().map(Capability::code).collect();
    assert_eq!(codes, vec![1, 1, 128, 2, 70, 65, 6, 69, 73, 64, 71]);
    let gr = open.capabilities.iter().find_map(|c| match c {
        Capability::GracefulRestart(gr) => Some(gr),
        _ => None,
    });
    let gr = gr.unwrap();
    assert!(gr.restart_state && gr.notification);
    assert_eq!(gr.restart_time, 120);
}

#[test]
fn gobgp_open_with_graceful_restart_families_reencodes_identically() {
    let Message::Open(open) = load("gobgp-open.hex").1 else {
        panic!()
    };
    assert_eq!(open.asn(), Asn::new(65003));
    let Some(Capability::GracefulRestart(gr)) = open.capabilities.iter().find(|c| c.code() == 64)
    else {
        panic!()
    };
    let families: Vec<Family> = gr.families.iter().map(|f| f.family).collect();
    assert_eq!(families, vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]);
    reencodes_identically("gobgp-open.hex");
}

#[test]
fn keepalives_from_all_three_reencode_identically() {
    for name in [
        "bird-keepalive.hex",
        "frr-keepalive.hex",
        "gobgp-keepalive.hex",
    ] {
        assert_eq!(load(name).1, Message::Keepalive);
        reencodes_identically(name);
    }
}

#[test]
fn shutdown_notifications_from_all_three_carry_the_rfc_9003_reason() {
    for name in [
        "bird-notification-cease.hex",
        "frr-notification-cease.hex",
        "gobgp-notification-cease.hex",
    ] {
        let Message::Notification(n) = load(name).1 else {
            panic!("{name}")
        };
        assert_eq!(
            n.code,
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown)
        );
        assert_eq!(
            n.shutdown_reason().as_deref(),
            Some("maintenance window 42"),
            "{name}"
        );
        reencodes_identically(name);
    }
}

#[test]
fn route_refreshes_from_bird_and_frr_including_frr_borr_and_eorr_reencode_identically() {
    for (name, subtype) in [
        ("bird-route-refresh.hex", 0),
        ("frr-route-refresh.hex", 0),
        ("frr-route-refresh-borr.hex", 1),
        ("frr-route-refresh-eorr.hex", 2),
    ] {
        let Message::RouteRefresh(rr) = load(name).1 else {
            panic!("{name}")
        };
        assert_eq!(
            (rr.family, rr.subtype),
            (Family::IPV4_UNICAST, subtype),
            "{name}"
        );
        reencodes_identically(name);
    }
}

#[test]
fn end_of_rib_markers_from_all_three_are_recognised_for_both_families() {
    for sender in ["bird", "frr", "gobgp"] {
        let v4 = update(&format!("{sender}-eor-ipv4.hex"));
        assert_eq!(
            v4.end_of_rib_family(),
            Some(Family::IPV4_UNICAST),
            "{sender}"
        );
        let v6 = update(&format!("{sender}-eor-ipv6.hex"));
        assert_eq!(
            v6.end_of_rib_family(),
            Some(Family::IPV6_UNICAST),
            "{sender}"
        );
        reencodes_identically(&format!("{sender}-eor-ipv4.hex"));
        reencodes_identically(&format!("{sender}-eor-ipv6.hex"));
    }
}

#[test]
fn bird_ipv4_update_has_its_four_octet_as_med_50_and_both_community_kinds() {
    let u = update("bird-update-ipv4.hex");
    let a = &u.attributes;
    assert_eq!(a.origin, Some(Origin::Igp));
    assert_eq!(
        a.as_path.as_ref().unwrap().segments[0].asns(),
        &[Asn::new(4_200_000_001)]
    );
    assert_eq!(a.next_hop, Some(Ipv4Addr::new(192, 0, 2, 1)));
    assert_eq!(a.med, Some(50));
    assert_eq!(a.communities.len(), 2);
    assert_eq!(a.large_communities[0].global, 4_200_000_001);
    assert_eq!(u.nlri, vec![p("198.51.100.0/26"), p("198.51.100.64/26")]);
    reencodes_identically("bird-update-ipv4.hex");
}

#[test]
fn frr_ipv4_update_with_an_extended_length_as_path_decodes() {
    let u = update("frr-update-ipv4.hex");
    assert_eq!(
        u.attributes.as_path.as_ref().unwrap().segments[0].asns(),
        &[Asn::new(65002)]
    );
    assert_eq!(u.attributes.med, Some(70));
    assert_eq!(u.nlri, vec![p("198.51.100.128/26"), p("198.51.100.192/26")]);
}

#[test]
fn frr_readvertised_update_carries_birds_as_behind_its_own() {
    let u = update("frr-update-ipv4-readvertised.hex");
    let path = u.attributes.as_path.unwrap();
    assert_eq!(
        path.segments[0].asns(),
        &[Asn::new(65002), Asn::new(4_200_000_001)]
    );
    let v6 = update("frr-update-ipv6-mp-reach-readvertised.hex");
    assert_eq!(v6.attributes.mp_reach.unwrap().nlri.len(), 2);
}

#[test]
fn gobgp_ipv4_update_with_incomplete_origin_and_med_90_reencodes_identically() {
    let u = update("gobgp-update-ipv4.hex");
    assert_eq!(u.attributes.origin, Some(Origin::Incomplete));
    assert_eq!(u.attributes.med, Some(90));
    assert_eq!(u.attributes.next_hop, Some(Ipv4Addr::new(192, 0, 2, 2)));
    assert_eq!(u.nlri, vec![p("203.0.113.64/26"), p("203.0.113.0/26")]);
    reencodes_identically("gobgp-update-ipv4.hex");
}

#[test]
fn ipv6_mp_reach_from_all_three_has_a_sixteen_byte_global_next_hop() {
    for (name, nh) in [
        ("bird-update-ipv6-mp-reach.hex", "2001:db8::1"),
        ("frr-update-ipv6-mp-reach.hex", "2001:db8::2"),
        ("gobgp-update-ipv6-mp-reach.hex", "2001:db8::2"),
    ] {
        let reach = update(name).attributes.mp_reach.unwrap();
        assert_eq!(reach.family, Family::IPV6_UNICAST, "{name}");
        let want = MpNextHop::V6 {
            global: nh.parse().unwrap(),
            link_local: None,
        };
        assert_eq!(reach.next_hop, want, "{name}");
        assert!(!reach.nlri.is_empty(), "{name}");
    }
    reencodes_identically("gobgp-update-ipv6-mp-reach.hex");
}

#[test]
fn withdrawals_from_all_three_decode_and_reencode_identically() {
    let bird = update("bird-update-ipv4-withdraw.hex");
    assert_eq!(
        bird.withdrawn,
        vec![p("198.51.100.0/26"), p("198.51.100.64/26")]
    );
    let gobgp = update("gobgp-update-ipv4-withdraw.hex");
    assert_eq!(gobgp.withdrawn, vec![p("203.0.113.64/26")]);
    for name in [
        "bird-update-ipv4-withdraw.hex",
        "frr-update-ipv4-withdraw.hex",
        "gobgp-update-ipv4-withdraw.hex",
        "gobgp-update-ipv6-mp-unreach.hex",
    ] {
        reencodes_identically(name);
    }
    let unreach = update("bird-update-ipv6-mp-unreach.hex")
        .attributes
        .mp_unreach
        .unwrap();
    assert_eq!(
        unreach.withdrawn,
        vec![p("2001:db8:b1::/48"), p("2001:db8:b2::/48")]
    );
}
