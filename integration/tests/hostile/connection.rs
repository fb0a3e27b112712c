//! The connection itself: a reset mid-message, silence after the connect and after the OPEN,
//! a NOTIFICATION from the peer, a second connection, a stranger, and a bystander peer that
//! must not notice any of it.

use std::time::{Duration, Instant};

use announcer_integration::hostile::bytes::{frame, keepalive, peer_open, unhex, valid_update};
use announcer_integration::hostile::peer::{Peer, Received};
use announcer_integration::hostile::rig::{Mode, RigConfig, PATIENCE, PEER_V4, STRANGER_V4};
use announcer_integration::hostile::{describe, report};
use announcer_integration::{Error, Result};

use super::{lab, KEEPALIVE_EVERY, PROBE, WINDOW};

#[test]
#[ignore = "needs root: scripts/test"]
fn a_reset_in_the_middle_of_an_update_brings_the_session_down_and_the_speaker_reconnects(
) -> Result<()> {
    let config = RigConfig {
        mode: Mode::Active,
        ..RigConfig::default()
    };
    let mut lab = lab(
        "a_reset_in_the_middle_of_an_update_brings_the_session_down_and_the_speaker_reconnects",
        config,
    )?;
    let mut peer = lab.established()?;
    let bytes = valid_update();
    peer.send(bytes.get(..bytes.len() / 2).unwrap_or_default())?;
    let start = Instant::now();
    peer.close();
    let down = lab.speaker.wait_event("down ", PATIENCE)?;
    let took = start.elapsed();
    assert!(down.contains("connection closed"), "{down}");
    lab.opened()?;
    let reconnect = start.elapsed();
    assert!(
        reconnect <= Duration::from_secs(3),
        "reconnected after {reconnect:?}"
    );
    let log = lab.speaker.log_tail();
    assert!(log.contains("connection closed by peer"), "{log}");
    let then = format!(
        "; reconnected (OPEN) {} ms after the close",
        reconnect.as_millis()
    );
    report(
        "reset mid-message",
        "half an UPDATE, then close",
        &format!("event `{down}`"),
        took,
        &then,
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn silence_after_the_tcp_connect_leaves_the_speaker_waiting_in_opensent() -> Result<()> {
    let lab = lab(
        "silence_after_the_tcp_connect_leaves_the_speaker_waiting_in_opensent",
        RigConfig::default(),
    )?;
    let (mut peer, open, took) = lab.opened()?;
    assert_eq!(open.asn().get(), 65001);
    let quiet = Duration::from_secs(2);
    match peer.recv(quiet) {
        Err(Error::Timeout { .. }) => {}
        other => return Err(Error::Check(format!("expected silence, got {other:?}"))),
    }
    peer.close();
    let got = format!(
        "its OPEN, then nothing for {} s (OpenSent; its hold timer there is 240 s)",
        quiet.as_secs()
    );
    report(
        "silence after TCP connect",
        "nothing after connecting",
        &got,
        took,
        "",
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn silence_after_the_open_is_ended_by_hold_timer_expired_after_the_negotiated_hold_time(
) -> Result<()> {
    let lab = lab(
        "silence_after_the_open_is_ended_by_hold_timer_expired_after_the_negotiated_hold_time",
        RigConfig::default(),
    )?;
    let (mut peer, _, _) = lab.opened()?;
    peer.send_open(&peer_open(3))?;
    let (notification, took) = peer.expect_notification(PATIENCE)?;
    assert_eq!(
        notification.code.to_octets(),
        (4, 0),
        "{}",
        describe(&notification)
    );
    assert!(
        took >= Duration::from_millis(2900) && took <= Duration::from_millis(4000),
        "hold timer fired after {took:?}"
    );
    let (_, _, again) = lab.opened()?;
    let then = format!("; accepted again after {} ms", again.as_millis());
    report(
        "silence after OPEN",
        "OPEN (hold 3), then nothing",
        &describe(&notification),
        took,
        &then,
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_notification_from_the_peer_closes_the_session_and_the_speaker_reconnects_after_backoff(
) -> Result<()> {
    let config = RigConfig {
        mode: Mode::Active,
        ..RigConfig::default()
    };
    let mut lab = lab(
        "a_notification_from_the_peer_closes_the_session_and_the_speaker_reconnects_after_backoff",
        config,
    )?;
    let mut peer = lab.established()?;
    let start = Instant::now();
    peer.send(&frame(3, &unhex("06 02 00")))?;
    peer.expect_closed(PATIENCE)?;
    let closed = start.elapsed();
    let down = lab.speaker.wait_event("down ", PATIENCE)?;
    assert!(down.contains("received notification"), "{down}");
    lab.opened()?;
    let reconnect = start.elapsed();
    assert!(
        reconnect >= Duration::from_millis(300) && reconnect <= Duration::from_secs(2),
        "reconnected after {reconnect:?}, the backoff starts at 500 ms ± 25 %"
    );
    let then = format!(
        "; reconnected {} ms after the NOTIFICATION",
        reconnect.as_millis()
    );
    report(
        "NOTIFICATION from the peer",
        "Cease/Administrative Shutdown",
        "close without NOTIFICATION",
        closed,
        &then,
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_second_connection_while_established_is_refused_with_connection_collision_resolution(
) -> Result<()> {
    let mut lab = lab(
        "a_second_connection_while_established_is_refused_with_connection_collision_resolution",
        RigConfig::default(),
    )?;
    let mut first = lab.established()?;
    let mut second = lab.connection()?;
    let (notification, took) = second.expect_notification(PATIENCE)?;
    assert_eq!(
        notification.code.to_octets(),
        (6, 7),
        "{}",
        describe(&notification)
    );
    let keepalives = first.stays_up(Duration::from_millis(1500), KEEPALIVE_EVERY)?;
    assert!(keepalives >= 1, "the first session went quiet");
    report(
        "second connection while Established",
        "a new TCP connection from the peer",
        &describe(&notification),
        took,
        "; the Established session stays up",
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_connection_from_an_address_that_is_not_a_peer_is_closed_without_an_open() -> Result<()> {
    let config = RigConfig {
        peer_v4: STRANGER_V4,
        ..RigConfig::default()
    };
    let lab = lab(
        "a_connection_from_an_address_that_is_not_a_peer_is_closed_without_an_open",
        config,
    )?;
    let mut stranger = Peer::connect(&lab.peer_ns, lab.speaker_addr())?;
    let start = Instant::now();
    let answer = stranger.recv(PATIENCE)?;
    assert_eq!(answer, Received::Closed);
    report(
        "connection from a stranger",
        &format!("TCP connection from {STRANGER_V4}"),
        "close without OPEN",
        start.elapsed(),
        "",
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_hostile_peer_leaves_the_session_of_another_peer_undisturbed() -> Result<()> {
    let config = RigConfig {
        bystander: true,
        ..RigConfig::default()
    };
    let mut lab = lab(
        "a_hostile_peer_leaves_the_session_of_another_peer_undisturbed",
        config,
    )?;
    let mut bystander = lab.bystander()?;
    let mut hostile = lab.established()?;
    let mut bytes = keepalive();
    if let Some(first) = bytes.first_mut() {
        *first = 0x7f;
    }
    hostile.send(&bytes)?;
    let (notification, took) = hostile.expect_notification(PATIENCE)?;
    assert_eq!(
        notification.code.to_octets(),
        (1, 1),
        "{}",
        describe(&notification)
    );
    let keepalives = bystander.stays_up(WINDOW, KEEPALIVE_EVERY)?;
    assert!(
        keepalives >= 2,
        "the bystander got only {keepalives} KEEPALIVEs"
    );
    lab.speaker.send(&format!("announce {PROBE}"))?;
    let probe = bystander.expect_route(PROBE, PATIENCE)?;
    let downs: Vec<String> = lab
        .speaker
        .pending_events()
        .into_iter()
        .filter(|e| e.starts_with("down ") && !e.contains(&PEER_V4.to_string()))
        .collect();
    assert!(downs.is_empty(), "{downs:?}");
    let then = format!(
        "; the bystander's session stayed up ({keepalives} KEEPALIVEs, probe route after {} ms)",
        probe.as_millis()
    );
    report(
        "other peers undisturbed",
        "bad marker from the hostile peer",
        &describe(&notification),
        took,
        &then,
    );
    Ok(())
}
