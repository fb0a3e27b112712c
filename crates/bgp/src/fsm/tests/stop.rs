//! ManualStop (RFC 4271 §8.1.2, Event 2) in each state, and starting again.

use std::time::Duration;

use super::{failure, notified_and_closed, Harness, OURS, THEIRS};
use crate::fsm::{Input, Output, State};
use crate::wire::{CeaseSubcode, Notification};

fn shutdown() -> Notification {
    Notification::cease_with_reason(CeaseSubcode::AdministrativeShutdown, "maintenance")
}

fn expect_stopped_for_good(h: &mut Harness) {
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.next_in(), None);
    assert_eq!(h.advance(Duration::from_secs(24 * 3600)), vec![]);
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn stop_sends_cease_with_the_given_notification_and_stays_idle() {
    let mut h = Harness::established();
    let out = h.input(Input::Stop(Some(shutdown())));
    assert_eq!(out, failure(OURS, shutdown()));
    assert_eq!(h.fsm.negotiated(), None);
    expect_stopped_for_good(&mut h);
}

#[test]
fn stop_while_connecting_cancels_the_attempt() {
    let mut h = Harness::started();
    assert_eq!(
        h.input(Input::Stop(Some(shutdown()))),
        vec![Output::CancelConnect]
    );
    expect_stopped_for_good(&mut h);
}

#[test]
fn stop_before_established_notifies_every_connection_without_reporting_down() {
    let mut h = Harness::started();
    h.input(Input::Connected(OURS));
    h.input(Input::Accepted(THEIRS));
    let out = h.input(Input::Stop(Some(shutdown())));
    let both = [OURS, THEIRS].map(|conn| notified_and_closed(conn, shutdown()));
    assert_eq!(out, both.concat());
    expect_stopped_for_good(&mut h);
}

#[test]
fn stop_during_the_backoff_cancels_the_automatic_restart() {
    let mut h = Harness::open_sent();
    h.input(Input::Closed(OURS));
    assert!(h.next_in().is_some());
    assert_eq!(h.input(Input::Stop(Some(shutdown()))), vec![]);
    expect_stopped_for_good(&mut h);
}

#[test]
fn stop_in_active_stops_the_retry_timer() {
    let mut h = Harness::started();
    h.input(Input::ConnectFailed);
    assert_eq!(h.input(Input::Stop(Some(shutdown()))), vec![]);
    expect_stopped_for_good(&mut h);
}

#[test]
fn start_during_the_backoff_connects_at_once() {
    let mut h = Harness::open_sent();
    h.input(Input::Closed(OURS));
    assert_eq!(h.input(Input::Start), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn start_after_stop_starts_again() {
    let mut h = Harness::established();
    h.input(Input::Stop(Some(shutdown())));
    assert_eq!(h.input(Input::Start), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}
