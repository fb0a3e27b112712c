//! Idle, Connect and Active: starting, connecting out, retrying, accepting.

use std::time::Duration;

use super::{config, Harness, OURS, THEIRS};
use crate::fsm::{Fsm, FsmConfig, Input, Output, State, OPEN_HOLD_TIME};
use crate::types::{Asn, Family};
use crate::wire::Capability;

#[test]
fn new_machine_is_idle_with_no_deadline() {
    let fsm = Fsm::new(config());
    assert_eq!(fsm.state(), State::Idle);
    assert_eq!(fsm.poll_timeout(), None);
    assert_eq!(fsm.negotiated(), None);
}

#[test]
fn active_start_connects_out() {
    let mut h = Harness::new(config());
    assert_eq!(h.input(Input::Start), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn passive_session_never_connects_out() {
    let mut h = Harness::new(FsmConfig {
        passive: true,
        ..config()
    });
    assert_eq!(h.input(Input::Start), vec![]);
    assert_eq!(h.state(), State::Active);
    assert_eq!(h.next_in(), None);
    assert_eq!(h.advance(Duration::from_secs(3600)), vec![]);
    assert_eq!(h.state(), State::Active);
    h.answers_with_open(Input::Accepted(THEIRS), THEIRS);
}

#[test]
fn failed_connect_waits_in_active_then_connects_again() {
    let mut h = Harness::started();
    assert_eq!(h.input(Input::ConnectFailed), vec![]);
    assert_eq!(h.state(), State::Active);
    let wait = h.next_in().unwrap();
    assert!(
        wait >= Duration::from_millis(750) && wait <= Duration::from_millis(1250),
        "{wait:?}"
    );
    assert_eq!(h.advance(wait - Duration::from_millis(1)), vec![]);
    assert_eq!(h.advance(Duration::from_millis(1)), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn retries_wait_longer_each_time() {
    let mut h = Harness::started();
    let mut waits = Vec::new();
    for _ in 0..4 {
        h.input(Input::ConnectFailed);
        waits.push(h.next_in().unwrap());
        assert_eq!(h.fire_next(), vec![Output::Connect]);
    }
    for pair in waits.windows(2) {
        assert!(pair[1] > pair[0], "{waits:?}");
    }
}

#[test]
fn connect_attempt_that_hangs_is_cancelled_after_the_connect_timeout() {
    let mut h = Harness::started();
    assert_eq!(h.next_in(), Some(config().connect_timeout));
    assert_eq!(
        h.advance(config().connect_timeout),
        vec![Output::CancelConnect]
    );
    assert_eq!(h.state(), State::Active);
    assert_eq!(h.fire_next(), vec![Output::Connect]);
}

#[test]
fn connected_sends_our_open_and_enters_open_sent_with_a_four_minute_hold_timer() {
    let mut h = Harness::started();
    h.answers_with_open(Input::Connected(OURS), OURS);
    assert_eq!(h.next_in(), Some(OPEN_HOLD_TIME));
    assert_eq!(h.fsm.negotiated(), None);
}

#[test]
fn accepted_while_active_stops_the_retry_timer() {
    let mut h = Harness::started();
    h.input(Input::ConnectFailed);
    h.answers_with_open(Input::Accepted(THEIRS), THEIRS);
    assert_eq!(h.next_in(), Some(OPEN_HOLD_TIME));
}

#[test]
fn start_is_ignored_unless_idle() {
    let mut h = Harness::started();
    assert_eq!(h.input(Input::Start), vec![]);
    h.input(Input::Connected(OURS));
    assert_eq!(h.input(Input::Start), vec![]);
    assert_eq!(h.state(), State::OpenSent);
}

#[test]
fn connection_accepted_in_idle_is_refused() {
    let mut h = Harness::new(config());
    assert_eq!(
        h.input(Input::Accepted(THEIRS)),
        vec![Output::Close(THEIRS)]
    );
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn connected_after_the_attempt_was_cancelled_is_closed() {
    let mut h = Harness::started();
    h.advance(config().connect_timeout);
    assert_eq!(h.input(Input::Connected(OURS)), vec![Output::Close(OURS)]);
    assert_eq!(h.state(), State::Active);
}

#[test]
fn connect_failed_without_an_attempt_is_ignored() {
    let mut h = Harness::new(config());
    assert_eq!(h.input(Input::ConnectFailed), vec![]);
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.next_in(), None);
}

#[test]
fn open_message_carries_our_settings_and_capabilities() {
    let fsm = Fsm::new(config());
    let open = fsm.open_message();
    assert_eq!(open.my_as, 65001);
    assert_eq!(open.hold_time, config().hold_time);
    assert_eq!(open.router_id, config().router_id);
    assert_eq!(
        open.capabilities,
        vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn::new(65001)),
        ]
    );
}

#[test]
fn open_message_of_a_four_octet_as_carries_as_trans() {
    let fsm = Fsm::new(FsmConfig {
        local_as: Asn::new(4_200_000_000),
        ..config()
    });
    let open = fsm.open_message();
    assert_eq!(open.my_as, 23456);
    assert!(open
        .capabilities
        .contains(&Capability::FourOctetAs(Asn::new(4_200_000_000))));
}
