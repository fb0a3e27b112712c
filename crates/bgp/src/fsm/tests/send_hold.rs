//! The send hold timer (RFC 9687): a peer that reads nothing we send for the send hold time
//! is closed with Send Hold Timer Expired, and the session starts again after the backoff.
//! The driver reports progress with [`Input::Written`]; time is advanced by hand.

use std::time::Duration;

use super::{failure, hold, notification, peer_open, Harness, OURS};
use crate::fsm::{send_hold_time, Input, Output, State, MIN_SEND_HOLD_TIME};
use crate::wire::{ErrorCode, Message, Open};

/// Every keepalive interval (30 s at hold 90 s) until `total`: the peer sends a KEEPALIVE
/// (so its hold timer never fires) and, when `reading`, what we queued reached the socket.
/// Returns everything the machine output, in order.
fn run(h: &mut Harness, total: Duration, reading: bool) -> Vec<Output> {
    let step = Duration::from_secs(30);
    let mut out = Vec::new();
    let mut elapsed = Duration::ZERO;
    while elapsed < total {
        out.extend(h.advance(step));
        elapsed += step;
        h.input(Input::Received(OURS, Message::Keepalive));
        if reading {
            h.input(Input::Written(OURS));
        }
    }
    out
}

#[test]
fn the_send_hold_time_is_the_greater_of_8_minutes_and_twice_the_hold_time() {
    assert_eq!(MIN_SEND_HOLD_TIME, Duration::from_secs(480));
    assert_eq!(send_hold_time(hold(3)), Some(Duration::from_secs(480)));
    assert_eq!(send_hold_time(hold(90)), Some(Duration::from_secs(480)));
    assert_eq!(send_hold_time(hold(240)), Some(Duration::from_secs(480)));
    assert_eq!(send_hold_time(hold(300)), Some(Duration::from_secs(600)));
    assert_eq!(
        send_hold_time(hold(65535)),
        Some(Duration::from_secs(131_070))
    );
}

#[test]
fn a_hold_time_of_zero_runs_no_send_hold_timer() {
    assert_eq!(send_hold_time(hold(0)), None);
    let open = Open {
        hold_time: hold(0),
        ..peer_open()
    };
    let h = Harness::established_with(super::config(), open);
    assert_eq!(
        h.next_in(),
        None,
        "no hold, keepalive or send hold deadline"
    );
}

#[test]
fn a_peer_that_reads_nothing_for_the_send_hold_time_gets_send_hold_timer_expired() {
    let mut h = Harness::established();
    let before = run(&mut h, MIN_SEND_HOLD_TIME - Duration::from_secs(30), false);
    assert!(
        before
            .iter()
            .all(|o| *o == Output::Send(OURS, Message::Keepalive)),
        "only KEEPALIVEs before the send hold time: {before:?}"
    );
    assert_eq!(h.state(), State::Established);
    let at_expiry = h.advance(Duration::from_secs(30));
    assert_eq!(
        at_expiry,
        failure(OURS, notification(ErrorCode::SendHoldTimerExpired))
    );
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn a_session_closed_by_the_send_hold_timer_starts_again_after_the_backoff() {
    let mut h = Harness::established();
    let out = run(&mut h, MIN_SEND_HOLD_TIME, false);
    assert!(
        out.contains(&Output::Close(OURS)),
        "closed at the send hold time: {out:?}"
    );
    let wait = h.next_in().expect("an automatic restart is scheduled");
    assert!(wait <= Duration::from_secs(60), "backoff {wait:?}");
    assert_eq!(h.fire_next(), vec![Output::Connect]);
    assert_eq!(h.state(), State::Connect);
}

#[test]
fn what_reaches_the_socket_restarts_the_send_hold_timer() {
    let mut h = Harness::established();
    let out = run(&mut h, 4 * MIN_SEND_HOLD_TIME, true);
    assert!(
        out.iter()
            .all(|o| *o == Output::Send(OURS, Message::Keepalive)),
        "a reading peer keeps its session: {out:?}"
    );
    assert_eq!(h.state(), State::Established);
}

#[test]
fn the_send_hold_timer_runs_from_the_last_write_reported() {
    let mut h = Harness::established();
    run(&mut h, Duration::from_secs(300), true);
    let out = run(&mut h, MIN_SEND_HOLD_TIME - Duration::from_secs(30), false);
    assert!(!out.contains(&Output::Close(OURS)), "{out:?}");
    let out = run(&mut h, Duration::from_secs(30), false);
    assert_eq!(
        out,
        failure(OURS, notification(ErrorCode::SendHoldTimerExpired))
    );
}

#[test]
fn a_written_report_outside_established_starts_no_send_hold_timer() {
    let mut h = Harness::open_confirm();
    let before = h.next_in();
    h.input(Input::Written(OURS));
    assert_eq!(h.next_in(), before);
    let mut h = Harness::open_sent();
    h.input(Input::Written(OURS));
    assert_eq!(h.next_in(), Some(crate::fsm::OPEN_HOLD_TIME));
}

#[test]
fn a_write_reported_with_a_time_before_established_never_shortens_the_send_hold_timer() {
    let mut h = Harness::open_confirm();
    let opened = h.now;
    h.advance(Duration::from_secs(20));
    h.input(Input::Received(OURS, Message::Keepalive));
    assert_eq!(h.state(), State::Established);
    h.fsm.handle(Input::Written(OURS), opened);
    let mut h2 = h;
    let out = run(&mut h2, MIN_SEND_HOLD_TIME - Duration::from_secs(30), false);
    assert!(!out.contains(&Output::Close(OURS)), "{out:?}");
}
