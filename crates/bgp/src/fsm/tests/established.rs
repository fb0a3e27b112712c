//! OpenConfirm → Established, and life in Established: keepalives, hold timer, UPDATE and
//! ROUTE-REFRESH passthrough, backoff reset.

use std::time::Duration;

use super::{config, failure, notification, peer_open, Harness, OURS};
use crate::fsm::{FsmConfig, Input, Output, State, OPEN_HOLD_TIME};
use crate::types::{Family, Prefix};
use crate::wire::{ErrorCode, Message, RouteRefresh, Update};

fn hold_timer_expired() -> crate::wire::Notification {
    notification(ErrorCode::HoldTimerExpired)
}

#[test]
fn established_path_happy_flow() {
    let mut h = Harness::new(config());
    assert_eq!(h.input(Input::Start), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
    h.answers_with_open(Input::Connected(OURS), OURS);
    let out = h.input(Input::Received(OURS, Message::Open(peer_open())));
    assert_eq!(out, vec![Output::Send(OURS, Message::Keepalive)]);
    assert_eq!(h.state(), State::OpenConfirm);
    let out = h.input(Input::Received(OURS, Message::Keepalive));
    let negotiated = h.fsm.negotiated().cloned().unwrap();
    assert_eq!(
        out,
        vec![Output::Established {
            conn: OURS,
            negotiated: negotiated.clone()
        }]
    );
    assert_eq!(h.state(), State::Established);
    assert_eq!(negotiated.peer_as, crate::types::Asn::new(65002));
    assert_eq!(negotiated.peer_id, super::rid(192, 0, 2, 2));
    assert_eq!(negotiated.hold_time, crate::types::HoldTime::DEFAULT);
}

#[test]
fn keepalive_timer_sends_keepalives_every_third_of_the_hold_time() {
    let mut h = Harness::established();
    for _ in 0..5 {
        assert_eq!(h.next_in(), Some(Duration::from_secs(30)));
        assert_eq!(
            h.advance(Duration::from_secs(30)),
            vec![Output::Send(OURS, Message::Keepalive)]
        );
        h.input(Input::Received(OURS, Message::Keepalive));
    }
    assert_eq!(h.state(), State::Established);
}

#[test]
fn keepalive_timer_also_runs_in_open_confirm() {
    let mut h = Harness::open_confirm();
    assert_eq!(
        h.advance(Duration::from_secs(30)),
        vec![Output::Send(OURS, Message::Keepalive)]
    );
    assert_eq!(h.state(), State::OpenConfirm);
}

#[test]
fn every_message_in_established_restarts_the_hold_timer() {
    let mut h = Harness::established();
    let refresh = Message::RouteRefresh(RouteRefresh {
        family: Family::IPV4_UNICAST,
        subtype: 0,
    });
    for msg in [
        Message::Keepalive,
        Message::Update(Update::default()),
        refresh,
    ] {
        h.advance(Duration::from_secs(80));
        h.input(Input::Received(OURS, msg));
    }
    assert_eq!(
        h.advance(Duration::from_secs(80)),
        vec![Output::Send(OURS, Message::Keepalive)]
    );
    assert_eq!(h.state(), State::Established);
}

#[test]
fn hold_timer_expiry_sends_hold_timer_expired_and_restarts_after_backoff() {
    let mut h = Harness::established();
    let mut out = Vec::new();
    for _ in 0..3 {
        out = h.advance(Duration::from_secs(30));
    }
    assert_eq!(out, failure(OURS, hold_timer_expired()));
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.fsm.negotiated(), None);
    let wait = h.next_in().unwrap();
    assert!(
        wait >= Duration::from_millis(750) && wait <= Duration::from_millis(1250),
        "{wait:?}"
    );
    assert_eq!(h.fire_next(), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn hold_timer_in_open_sent_expires_after_four_minutes() {
    let mut h = Harness::open_sent();
    assert_eq!(h.advance(OPEN_HOLD_TIME - Duration::from_secs(1)), vec![]);
    assert_eq!(
        h.advance(Duration::from_secs(1)),
        failure(OURS, hold_timer_expired())
    );
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn hold_timer_in_open_confirm_is_the_negotiated_one() {
    let mut h = Harness::open_confirm();
    h.advance(Duration::from_secs(30));
    h.advance(Duration::from_secs(30));
    assert_eq!(
        h.advance(Duration::from_secs(30)),
        failure(OURS, hold_timer_expired())
    );
}

#[test]
fn update_in_established_is_passed_through() {
    let mut h = Harness::established();
    let update = Update {
        nlri: vec!["192.0.2.1/32".parse::<Prefix>().unwrap()],
        ..Update::default()
    };
    let out = h.input(Input::Received(OURS, Message::Update(update.clone())));
    assert_eq!(out, vec![Output::Update(update)]);
    assert_eq!(h.state(), State::Established);
}

#[test]
fn route_refresh_for_a_negotiated_family_asks_for_our_routes_again() {
    let mut h = Harness::established();
    for family in [Family::IPV4_UNICAST, Family::IPV6_UNICAST] {
        let rr = Message::RouteRefresh(RouteRefresh { family, subtype: 0 });
        assert_eq!(
            h.input(Input::Received(OURS, rr)),
            vec![Output::RouteRefresh(family)]
        );
    }
}

#[test]
fn route_refresh_for_a_family_not_negotiated_is_ignored() {
    let v4_only = FsmConfig {
        families: vec![Family::IPV4_UNICAST],
        ..config()
    };
    let mut h = Harness::established_with(v4_only, peer_open());
    let rr = RouteRefresh {
        family: Family::IPV6_UNICAST,
        subtype: 0,
    };
    assert_eq!(
        h.input(Input::Received(OURS, Message::RouteRefresh(rr))),
        vec![]
    );
    assert_eq!(h.state(), State::Established);
}

#[test]
fn route_refresh_demarcation_and_unknown_subtypes_are_ignored() {
    let mut h = Harness::established();
    for subtype in [1, 2, 3, 255] {
        let rr = RouteRefresh {
            family: Family::IPV4_UNICAST,
            subtype,
        };
        assert_eq!(
            h.input(Input::Received(OURS, Message::RouteRefresh(rr))),
            vec![]
        );
    }
    assert_eq!(h.state(), State::Established);
}

#[test]
fn backoff_starts_over_once_a_session_is_established() {
    let mut h = Harness::started();
    for _ in 0..5 {
        h.input(Input::ConnectFailed);
        h.fire_next();
    }
    h.input(Input::Connected(OURS));
    h.input(Input::Received(OURS, Message::Open(peer_open())));
    h.input(Input::Received(OURS, Message::Keepalive));
    h.input(Input::Closed(OURS));
    let wait = h.next_in().unwrap();
    assert!(wait <= Duration::from_millis(1250), "{wait:?}");
}

#[test]
fn automatic_restart_of_a_passive_session_returns_to_active() {
    let passive = FsmConfig {
        passive: true,
        ..config()
    };
    let mut h = Harness::started_with(passive);
    h.input(Input::Accepted(OURS));
    h.input(Input::Closed(OURS));
    assert_eq!(h.state(), State::Idle);
    assert_eq!(
        h.input(Input::Accepted(super::THEIRS)),
        vec![Output::Close(super::THEIRS)]
    );
    assert_eq!(h.fire_next(), vec![]);
    assert_eq!(h.state(), State::Active);
}
