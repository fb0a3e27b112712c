//! A reset from outside the session (BFD Down, RFC 5882 §3.2) in each state.

use std::time::Duration;

use super::{failure, Harness, OURS};
use crate::fsm::{Input, Output, State};
use crate::wire::{CeaseSubcode, ErrorCode, Notification};

fn bfd_down() -> Notification {
    Notification::new(ErrorCode::Cease(CeaseSubcode::BfdDown), Vec::new())
}

#[test]
fn a_reset_of_an_established_session_notifies_closes_and_restarts_after_the_backoff() {
    let mut h = Harness::established();
    assert_eq!(h.input(Input::Reset(bfd_down())), failure(OURS, bfd_down()));
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.fsm.negotiated(), None);
    let wait = h.next_in().unwrap();
    assert!(wait <= Duration::from_millis(1250), "{wait:?}");
    assert_eq!(h.fire_next(), vec![Output::Connect]);
}

#[test]
fn a_reset_while_connecting_abandons_the_attempt_and_retries_after_the_backoff() {
    let mut h = Harness::started();
    let out = h.input(Input::Reset(bfd_down()));
    assert_eq!(out.first(), Some(&Output::CancelConnect));
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.fire_next(), vec![Output::Connect]);
}

#[test]
fn a_reset_with_nothing_to_reset_changes_nothing() {
    let mut h = Harness::new(super::config());
    assert_eq!(h.input(Input::Reset(bfd_down())), vec![]);
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.next_in(), None);
}
