//! Messages a state does not expect (RFC 6608 FSM Error subcodes), NOTIFICATIONs received,
//! malformed messages and closed connections, in each state.

use std::time::Duration;

use super::{failure, fsm_error, notification, peer_open, Harness, OURS, THEIRS};
use crate::fsm::{DownReason, Input, Output, State};
use crate::types::Family;
use crate::wire::{
    CeaseSubcode, DecodeError, ErrorCode, FsmSubcode, HeaderSubcode, Message, Notification,
    RouteRefresh, Update,
};

fn route_refresh() -> Message {
    Message::RouteRefresh(RouteRefresh {
        family: Family::IPV4_UNICAST,
        subtype: 0,
    })
}

fn update() -> Message {
    Message::Update(Update::default())
}

/// Feeds `msg` on our connection and expects the FSM Error with `subcode`, the session
/// down and an automatic restart pending.
fn expect_fsm_error(mut h: Harness, msg: Message, subcode: FsmSubcode) {
    let out = h.input(Input::Received(OURS, msg));
    assert_eq!(out, failure(OURS, fsm_error(subcode)));
    assert_eq!(h.state(), State::Idle);
    assert!(h.next_in().is_some(), "automatic restart pending");
}

#[test]
fn keepalive_in_open_sent_is_answered_with_fsm_error_subcode_1() {
    expect_fsm_error(
        Harness::open_sent(),
        Message::Keepalive,
        FsmSubcode::UnexpectedInOpenSent,
    );
}

#[test]
fn update_in_open_sent_is_answered_with_fsm_error_subcode_1() {
    expect_fsm_error(
        Harness::open_sent(),
        update(),
        FsmSubcode::UnexpectedInOpenSent,
    );
}

#[test]
fn route_refresh_in_open_sent_is_answered_with_fsm_error_subcode_1() {
    expect_fsm_error(
        Harness::open_sent(),
        route_refresh(),
        FsmSubcode::UnexpectedInOpenSent,
    );
}

#[test]
fn open_in_open_confirm_is_answered_with_fsm_error_subcode_2() {
    let open = Message::Open(peer_open());
    expect_fsm_error(
        Harness::open_confirm(),
        open,
        FsmSubcode::UnexpectedInOpenConfirm,
    );
}

#[test]
fn update_in_open_confirm_is_answered_with_fsm_error_subcode_2() {
    expect_fsm_error(
        Harness::open_confirm(),
        update(),
        FsmSubcode::UnexpectedInOpenConfirm,
    );
}

#[test]
fn route_refresh_in_open_confirm_is_answered_with_fsm_error_subcode_2() {
    let h = Harness::open_confirm();
    expect_fsm_error(h, route_refresh(), FsmSubcode::UnexpectedInOpenConfirm);
}

#[test]
fn open_in_established_is_answered_with_fsm_error_subcode_3() {
    let open = Message::Open(peer_open());
    expect_fsm_error(
        Harness::established(),
        open,
        FsmSubcode::UnexpectedInEstablished,
    );
}

fn peer_cease() -> Notification {
    notification(ErrorCode::Cease(CeaseSubcode::AdministrativeReset))
}

/// Feeds a NOTIFICATION on our connection and expects close, Down(Received), Idle, then the
/// automatic restart connecting out again.
fn expect_notification_handled(mut h: Harness) {
    let out = h.input(Input::Received(OURS, Message::Notification(peer_cease())));
    assert_eq!(
        out,
        vec![
            Output::Close(OURS),
            Output::Down(DownReason::Received(peer_cease()))
        ]
    );
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.fire_next(), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn notification_in_open_sent_closes_and_restarts_after_backoff() {
    expect_notification_handled(Harness::open_sent());
}

#[test]
fn notification_in_open_confirm_closes_and_restarts_after_backoff() {
    expect_notification_handled(Harness::open_confirm());
}

#[test]
fn notification_in_established_closes_and_restarts_after_backoff() {
    expect_notification_handled(Harness::established());
}

/// Needs the codec's error → NOTIFICATION map (`DecodeError::notification`).
#[test]
fn malformed_message_is_answered_with_the_notification_of_its_error() {
    let mut h = Harness::established();
    let out = h.input(Input::Malformed(OURS, DecodeError::BadMarker));
    let n = notification(ErrorCode::MessageHeader(
        HeaderSubcode::ConnectionNotSynchronized,
    ));
    assert_eq!(out, failure(OURS, n));
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn connection_closed_in_open_sent_reports_down_and_waits_in_idle() {
    let mut h = Harness::open_sent();
    assert_eq!(
        h.input(Input::Closed(OURS)),
        vec![Output::Down(DownReason::ConnectionClosed)]
    );
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.fire_next(), vec![Output::Connect]);
}

#[test]
fn connection_closed_in_established_reports_down() {
    let mut h = Harness::established();
    assert_eq!(
        h.input(Input::Closed(OURS)),
        vec![Output::Down(DownReason::ConnectionClosed)]
    );
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.fsm.negotiated(), None);
}

#[test]
fn inputs_about_unknown_connections_are_ignored() {
    let mut h = Harness::established();
    assert_eq!(h.input(Input::Received(THEIRS, Message::Keepalive)), vec![]);
    assert_eq!(
        h.input(Input::Malformed(THEIRS, DecodeError::BadMarker)),
        vec![]
    );
    assert_eq!(h.input(Input::Closed(THEIRS)), vec![]);
    assert_eq!(h.state(), State::Established);
}

#[test]
fn every_error_restart_waits_longer_until_a_session_is_established() {
    let mut h = Harness::open_sent();
    let mut waits = Vec::new();
    for _ in 0..3 {
        h.input(Input::Closed(OURS));
        waits.push(h.next_in().unwrap());
        h.fire_next();
        h.input(Input::Connected(OURS));
    }
    assert!(waits[0] < waits[1] && waits[1] < waits[2], "{waits:?}");
    assert!(waits[0] <= Duration::from_millis(1250));
}

#[test]
fn inputs_repeating_the_id_of_a_live_connection_are_ignored() {
    let mut h = Harness::established();
    assert_eq!(h.input(Input::Connected(OURS)), vec![]);
    assert_eq!(h.input(Input::Accepted(OURS)), vec![]);
    assert_eq!(h.state(), State::Established);
}
