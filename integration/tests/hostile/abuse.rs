//! Abuse that is not one malformed message: a KEEPALIVE storm, a route flood, and messages
//! dripped a byte at a time within and beyond the hold time.

use std::time::{Duration, Instant};

use announcer_integration::hostile::bytes::{flood, frame, keepalive, unhex, valid_update};
use announcer_integration::hostile::peer::Peer;
use announcer_integration::hostile::rig::{RigConfig, PATIENCE};
use announcer_integration::hostile::{describe, report};
use announcer_integration::{Error, Result};

use super::{lab, KEEPALIVE_EVERY, PROBE, WINDOW};

#[test]
#[ignore = "needs root: scripts/test"]
fn a_storm_of_10000_keepalives_leaves_the_session_up_and_the_speaker_responsive() -> Result<()> {
    let mut lab = lab(
        "a_storm_of_10000_keepalives_leaves_the_session_up_and_the_speaker_responsive",
        RigConfig::default(),
    )?;
    let mut peer = lab.established()?;
    lab.speaker.send(&format!("announce {PROBE}"))?;
    peer.expect_route(PROBE, PATIENCE)?;
    let storm: Vec<u8> = keepalive().repeat(10_000);
    let start = Instant::now();
    peer.send(&storm)?;
    let written = start.elapsed();
    let drained = drained(&mut peer)?;
    let keepalives = peer.stays_up(WINDOW, KEEPALIVE_EVERY)?;
    assert!(
        keepalives >= 2,
        "only {keepalives} KEEPALIVEs after the storm"
    );
    println!(
        "measured: keepalive storm: 10000 KEEPALIVEs ({} bytes) written in {} ms, all handled {} ms after writing began",
        storm.len(),
        written.as_millis(),
        drained.as_millis()
    );
    let got = format!("no NOTIFICATION, session up ({keepalives} KEEPALIVEs in {WINDOW:?} after)");
    report(
        "KEEPALIVE storm",
        "10,000 KEEPALIVEs back to back",
        &got,
        drained,
        "",
    );
    Ok(())
}

/// Asks for a ROUTE-REFRESH of IPv4 unicast and waits for [`PROBE`] to be re-sent: the
/// speaker handles a connection's messages in order, so the answer proves everything sent
/// before it was handled. Returns the time from the call.
fn drained(peer: &mut Peer) -> Result<Duration> {
    let start = Instant::now();
    peer.send(&frame(5, &unhex("0001 00 01")))?;
    peer.expect_route(PROBE, Duration::from_secs(60))?;
    Ok(start.elapsed())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_flood_of_1000000_routes_leaves_the_session_up_and_memory_flat() -> Result<()> {
    let mut lab = lab(
        "a_flood_of_1000000_routes_leaves_the_session_up_and_memory_flat",
        RigConfig::default(),
    )?;
    let mut peer = lab.established()?;
    lab.speaker.send(&format!("announce {PROBE}"))?;
    peer.expect_route(PROBE, PATIENCE)?;
    let updates = flood(1_000_000);
    let bytes: usize = updates.iter().map(Vec::len).sum();
    let before = lab.speaker.memory_kb("VmHWM")?;
    let start = Instant::now();
    for message in &updates {
        peer.send(message)?;
    }
    let written = start.elapsed();
    let drained = written + drained(&mut peer)?;
    let keepalives = peer.stays_up(WINDOW, KEEPALIVE_EVERY)?;
    let after = lab.speaker.memory_kb("VmHWM")?;
    let rss = lab.speaker.memory_kb("VmRSS")?;
    println!(
        "measured: flood: 1000000 /32 announcements from 198.18.0.0/15 in {} UPDATEs ({bytes} bytes) written in {} ms, all handled {} ms after writing began",
        updates.len(),
        written.as_millis(),
        drained.as_millis()
    );
    println!(
        "measured: speaker peak RSS (VmHWM) before the flood {before} kB, after {after} kB; VmRSS after {rss} kB"
    );
    assert!(
        keepalives >= 2,
        "only {keepalives} KEEPALIVEs after the flood"
    );
    assert!(
        after < before + 32 * 1024,
        "peak RSS grew from {before} kB to {after} kB"
    );
    let got = format!("no NOTIFICATION, session up, peak RSS {before} → {after} kB");
    report(
        "1,000,000-route flood",
        "1,000,000 /32s in full UPDATEs",
        &got,
        drained,
        "",
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_slow_drip_shorter_than_the_hold_time_is_assembled_and_the_session_stays_up() -> Result<()> {
    let config = RigConfig {
        hold_time: 9,
        ..RigConfig::default()
    };
    let mut lab = lab(
        "a_slow_drip_shorter_than_the_hold_time_is_assembled_and_the_session_stays_up",
        config,
    )?;
    let mut peer = lab.established()?;
    let bytes = valid_update();
    let start = Instant::now();
    let answer = peer.drip(&bytes, Duration::from_millis(100))?;
    assert!(answer.is_none(), "NOTIFICATION during the drip: {answer:?}");
    let took = start.elapsed();
    peer.stays_up(Duration::from_secs(1), KEEPALIVE_EVERY)?;
    lab.speaker.send(&format!("announce {PROBE}"))?;
    peer.expect_route(PROBE, PATIENCE)?;
    let sent = format!(
        "{}-byte UPDATE one byte per 100 ms (hold time 9 s)",
        bytes.len()
    );
    report(
        "slow drip within the hold time",
        &sent,
        "no NOTIFICATION, session up",
        took,
        "",
    );
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_slow_drip_longer_than_the_hold_time_is_ended_by_hold_timer_expired() -> Result<()> {
    let mut lab = lab(
        "a_slow_drip_longer_than_the_hold_time_is_ended_by_hold_timer_expired",
        RigConfig::default(),
    )?;
    let mut peer = lab.established()?;
    let bytes = valid_update();
    let answer = peer.drip(&bytes, Duration::from_millis(100))?;
    let Some((notification, took)) = answer else {
        return Err(Error::Check(
            "the whole drip was accepted with hold time 3".into(),
        ));
    };
    assert_eq!(
        notification.code.to_octets(),
        (4, 0),
        "{}",
        describe(&notification)
    );
    assert!(
        took >= Duration::from_millis(2500) && took <= Duration::from_millis(4500),
        "hold timer fired after {took:?}"
    );
    peer.expect_closed(PATIENCE)?;
    let sent = format!(
        "{}-byte UPDATE one byte per 100 ms (hold time 3 s)",
        bytes.len()
    );
    report(
        "slow drip beyond the hold time",
        &sent,
        &describe(&notification),
        took,
        "",
    );
    Ok(())
}
