//! The peer's OPEN: checks (RFC 4271 §6.2, RFC 6286, RFC 6793) and negotiation.

use std::time::Duration;

use super::{config, failure, hold, notification, peer_open, rid, Harness, OURS};
use crate::fsm::{FsmConfig, Input, Output, State};
use crate::types::{Asn, Family, HoldTime};
use crate::wire::{Capability, ErrorCode, Message, Open, OpenSubcode, WireContext};

#[test]
fn valid_open_in_open_sent_is_answered_with_keepalive_and_enters_open_confirm() {
    let mut h = Harness::open_sent();
    let out = h.input(Input::Received(OURS, Message::Open(peer_open())));
    assert_eq!(out, vec![Output::Send(OURS, Message::Keepalive)]);
    assert_eq!(h.state(), State::OpenConfirm);
    assert_eq!(h.fsm.negotiated(), None, "only reported once Established");
}

#[test]
fn hold_time_negotiation_uses_the_minimum() {
    let h = Harness::established_with(
        config(),
        Open {
            hold_time: hold(30),
            ..peer_open()
        },
    );
    assert_eq!(h.fsm.negotiated().unwrap().hold_time, hold(30));
    assert_eq!(
        h.next_in(),
        Some(Duration::from_secs(10)),
        "keepalive at a third"
    );

    let ours = FsmConfig {
        hold_time: hold(9),
        ..config()
    };
    let h = Harness::established_with(ours, peer_open());
    assert_eq!(h.fsm.negotiated().unwrap().hold_time, hold(9));
    assert_eq!(h.next_in(), Some(Duration::from_secs(3)));
}

#[test]
fn zero_hold_time_sends_no_keepalives() {
    let mut h = Harness::established_with(
        config(),
        Open {
            hold_time: HoldTime::NONE,
            ..peer_open()
        },
    );
    assert_eq!(h.fsm.negotiated().unwrap().hold_time, HoldTime::NONE);
    assert_eq!(h.next_in(), None);
    assert_eq!(h.advance(Duration::from_secs(24 * 3600)), vec![]);
    assert_eq!(h.state(), State::Established);
}

/// A proposal of 1 or 2 seconds is rejected by the codec with Unacceptable Hold Time: an
/// `Open` holds a `HoldTime`, which cannot be built from those values.
#[test]
fn hold_time_proposal_of_one_second_never_reaches_the_fsm() {
    assert!(HoldTime::new(1).is_err());
    assert!(HoldTime::new(2).is_err());
}

#[test]
fn open_with_wrong_peer_as_is_answered_with_bad_peer_as() {
    let mut h = Harness::open_sent();
    let open = Open {
        my_as: 65003,
        capabilities: vec![],
        ..peer_open()
    };
    let out = h.input(Input::Received(OURS, Message::Open(open)));
    assert_eq!(
        out,
        failure(OURS, notification(ErrorCode::Open(OpenSubcode::BadPeerAs)))
    );
    assert_eq!(h.state(), State::Idle);
    assert!(h.next_in().is_some(), "restarts after the backoff");
}

#[test]
fn ibgp_open_with_our_own_router_id_is_answered_with_bad_bgp_identifier() {
    let ibgp = FsmConfig {
        remote_as: Asn::new(65001),
        ..config()
    };
    let mut h = Harness::started_with(ibgp);
    h.input(Input::Connected(OURS));
    let open = Open {
        my_as: 65001,
        router_id: rid(192, 0, 2, 1),
        capabilities: vec![Capability::FourOctetAs(Asn::new(65001))],
        ..peer_open()
    };
    let out = h.input(Input::Received(OURS, Message::Open(open)));
    assert_eq!(
        out,
        failure(
            OURS,
            notification(ErrorCode::Open(OpenSubcode::BadBgpIdentifier))
        )
    );
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn ebgp_open_with_our_own_router_id_is_accepted() {
    let open = Open {
        router_id: rid(192, 0, 2, 1),
        ..peer_open()
    };
    let h = Harness::established_with(config(), open);
    assert_eq!(h.fsm.negotiated().unwrap().peer_id, rid(192, 0, 2, 1));
}

#[test]
fn four_octet_peer_as_is_checked_against_the_capability() {
    let remote = Asn::new(4_200_000_002);
    let four = FsmConfig {
        remote_as: remote,
        ..config()
    };
    let with_capability = Open {
        my_as: 23456,
        capabilities: vec![Capability::FourOctetAs(remote)],
        ..peer_open()
    };
    let h = Harness::established_with(four.clone(), with_capability.clone());
    assert_eq!(h.fsm.negotiated().unwrap().peer_as, remote);

    let bad_peer_as = failure(OURS, notification(ErrorCode::Open(OpenSubcode::BadPeerAs)));
    let as_trans_alone = Open {
        capabilities: vec![],
        ..with_capability.clone()
    };
    let other_four = Open {
        capabilities: vec![Capability::FourOctetAs(Asn::new(4_200_000_003))],
        ..with_capability
    };
    for open in [as_trans_alone, other_four] {
        let mut h = Harness::started_with(four.clone());
        h.input(Input::Connected(OURS));
        assert_eq!(
            h.input(Input::Received(OURS, Message::Open(open))),
            bad_peer_as
        );
    }
}

#[test]
fn two_octet_peer_without_the_capability_is_accepted_by_my_as() {
    let old = Open {
        capabilities: vec![],
        ..peer_open()
    };
    let h = Harness::established_with(config(), old);
    let negotiated = h.fsm.negotiated().unwrap();
    assert_eq!(negotiated.peer_as, Asn::new(65002));
    assert!(!negotiated.wire.four_octet_as);
    assert!(!negotiated.route_refresh);
}

#[test]
fn families_are_the_intersection_of_multiprotocol_capabilities() {
    let v6_only = Open {
        capabilities: vec![Capability::Multiprotocol(Family::IPV6_UNICAST)],
        ..peer_open()
    };
    let h = Harness::established_with(config(), v6_only);
    assert_eq!(
        h.fsm.negotiated().unwrap().wire.families,
        vec![Family::IPV6_UNICAST]
    );
}

#[test]
fn peer_without_multiprotocol_capability_implies_ipv4_unicast_only() {
    let plain = Open {
        capabilities: vec![Capability::RouteRefresh],
        ..peer_open()
    };
    let h = Harness::established_with(config(), plain);
    assert_eq!(
        h.fsm.negotiated().unwrap().wire.families,
        vec![Family::IPV4_UNICAST]
    );

    let v6_config = FsmConfig {
        families: vec![Family::IPV6_UNICAST],
        ..config()
    };
    let plain = Open {
        capabilities: vec![],
        ..peer_open()
    };
    let h = Harness::established_with(v6_config, plain);
    assert_eq!(h.fsm.negotiated().unwrap().wire.families, vec![]);
}

#[test]
fn four_octet_as_and_route_refresh_are_negotiated_when_both_send_them() {
    let h = Harness::established();
    let negotiated = h.fsm.negotiated().unwrap();
    assert!(negotiated.wire.four_octet_as);
    assert!(negotiated.route_refresh);
    assert_eq!(negotiated.peer_capabilities, peer_open().capabilities);
    assert_eq!(
        negotiated.wire.families,
        vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
}

#[test]
fn wire_context_switches_to_the_negotiated_one_when_the_open_is_accepted() {
    let mut h = Harness::open_sent();
    assert_eq!(h.fsm.wire_context(OURS), &WireContext::initial());
    h.input(Input::Received(OURS, Message::Open(peer_open())));
    let expected = WireContext {
        four_octet_as: true,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
    };
    assert_eq!(h.fsm.wire_context(OURS), &expected);
    assert_eq!(
        h.fsm.wire_context(super::THEIRS),
        &WireContext::initial(),
        "unknown connection"
    );
    h.input(Input::Received(OURS, Message::Keepalive));
    assert_eq!(h.fsm.wire_context(OURS), &expected);
    assert_eq!(h.fsm.negotiated().unwrap().wire, expected);
}
