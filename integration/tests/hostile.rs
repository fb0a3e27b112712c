//! The hostile-peer suite (issue 5, item 1): a scripted peer in its own namespace sends
//! malformed or abusive input to our speaker; each test asserts the exact NOTIFICATION the
//! speaker answers (RFC 4271 §6, RFC 6608, RFC 7313, RFC 4486), or the RFC 7606 outcome (the
//! session stays up), and that the speaker accepts or reconnects again after its backoff.
//!
//! Each case prints `hostile: <case>: sent <what> → got <answer> in N ms` (run with
//! `--nocapture` to see the table); the flood and the storm also print `measured:` lines.

use std::time::{Duration, Instant};

use announcer_integration::hostile::bytes::{
    flood, frame, hex, keepalive, open_with, peer_open, raw, unhex, update, valid_update, AS_PATH,
    CAPABILITIES, NEXT_HOP, NLRI, ORIGIN,
};
use announcer_integration::hostile::lab::{
    HostileLab, LabConfig, Mode, PATIENCE, PEER_V4, STRANGER_V4,
};
use announcer_integration::hostile::peer::{Peer, Received};
use announcer_integration::hostile::{describe, report, require};
use announcer_integration::wait::{wait_until, POLL};
use announcer_integration::{Error, Result};

const SPEAKER: &str = env!("CARGO_BIN_EXE_bgp-speaker");
/// The route the speaker is asked to announce to prove it still serves the session.
const PROBE: &str = "203.0.113.7/32";
/// How long a session must stay up after input RFC 7606 handles without a reset.
const WINDOW: Duration = Duration::from_millis(3500);
/// How often the peer sends KEEPALIVEs while it watches (the hold time is 3 s).
const KEEPALIVE_EVERY: Duration = Duration::from_secs(1);

/// The lab for `test` with `config`, or `None` (after a SKIP line) where the lab cannot run
/// and `ANNOUNCER_LAB_REQUIRED` is not `1` (the tests are ignored unless asked for).
fn lab(test: &str, config: LabConfig) -> Result<Option<HostileLab>> {
    let Some(binary) = require(SPEAKER, test)? else {
        return Ok(None);
    };
    HostileLab::start(&binary, config).map(Some)
}

/// Where in the session the hostile bytes are sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// After the speaker's OPEN, before ours.
    OpenSent,
    /// On an Established session.
    Established,
}

/// One case that resets the session: what is sent, when, and the NOTIFICATION expected
/// (code, subcode, data as hex).
struct Reset<'a> {
    test: &'a str,
    case: &'a str,
    sent: &'a str,
    stage: Stage,
    bytes: Vec<u8>,
    expect: (u8, u8, &'a str),
}

/// Sends the bytes, checks the NOTIFICATION and the close, that an Established session is
/// reported down, that the speaker's log names the peer and the NOTIFICATION, and that the
/// speaker accepts a new session after its backoff.
fn expect_reset(reset: Reset<'_>) -> Result<()> {
    let Some(mut lab) = lab(reset.test, LabConfig::default())? else {
        return Ok(());
    };
    let mut peer = match reset.stage {
        Stage::OpenSent => lab.opened()?.0,
        Stage::Established => lab.established()?,
    };
    peer.send(&reset.bytes)?;
    let (notification, took) = peer.expect_notification(PATIENCE)?;
    let (code, subcode) = notification.code.to_octets();
    let got = (code, subcode, hex(&notification.data));
    let (want_code, want_subcode, want_data) = reset.expect;
    let want = (want_code, want_subcode, unhex(want_data));
    assert_eq!(
        got,
        (want.0, want.1, hex(&want.2)),
        "{}: {}",
        reset.case,
        describe(&notification)
    );
    if reset.stage == Stage::Established {
        let down = lab.speaker.wait_event("down ", PATIENCE)?;
        assert!(down.contains("sent notification"), "{down}");
    }
    let logged = format!("sent notification: {notification}");
    wait_until(
        "the NOTIFICATION in the speaker's log",
        PATIENCE,
        POLL,
        || {
            let log = lab.speaker.log_tail();
            if log.contains(&logged) && log.contains("addr=192.0.2.2") {
                Ok(())
            } else {
                Err(log)
            }
        },
    )?;
    let (_, _, again) = lab.opened()?;
    let then = format!("; accepted again after {} ms", again.as_millis());
    report(
        reset.case,
        reset.sent,
        &describe(&notification),
        took,
        &then,
    );
    Ok(())
}

/// Sends `bytes` on an Established session and checks RFC 7606 kept it up: no NOTIFICATION
/// and no close for [`WINDOW`] while the speaker keeps sending KEEPALIVEs, no `down` event,
/// the fault logged, and a route announced afterwards reaches the peer.
fn expect_survives(test: &str, case: &str, sent: &str, bytes: &[u8]) -> Result<()> {
    let Some(mut lab) = lab(test, LabConfig::default())? else {
        return Ok(());
    };
    let mut peer = lab.established()?;
    peer.send(bytes)?;
    let keepalives = peer.stays_up(WINDOW, KEEPALIVE_EVERY)?;
    assert!(keepalives >= 2, "{case}: only {keepalives} KEEPALIVEs");
    lab.speaker.send(&format!("announce {PROBE}"))?;
    let probe = peer.expect_route(PROBE, PATIENCE)?;
    let events = lab.speaker.pending_events();
    assert!(!events.iter().any(|e| e.starts_with("down")), "{events:?}");
    let log = lab.speaker.log_tail();
    assert!(
        log.contains("without reset"),
        "{case}: fault not logged:\n{log}"
    );
    let got = format!(
        "no NOTIFICATION, session up ({keepalives} KEEPALIVEs, probe route after {} ms)",
        probe.as_millis()
    );
    report(case, sent, &got, WINDOW, "");
    Ok(())
}

// ---- Message header errors (RFC 4271 §6.1) ----

#[test]
#[ignore = "needs root: scripts/test"]
fn a_marker_with_a_zero_bit_is_answered_with_connection_not_synchronized() -> Result<()> {
    let mut bytes = keepalive();
    if let Some(first) = bytes.first_mut() {
        *first = 0x7f;
    }
    expect_reset(Reset {
        test: "a_marker_with_a_zero_bit_is_answered_with_connection_not_synchronized",
        case: "bad marker",
        sent: "KEEPALIVE with marker 7fff..ff",
        stage: Stage::Established,
        bytes,
        expect: (1, 1, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_length_below_19_is_answered_with_bad_message_length() -> Result<()> {
    expect_reset(Reset {
        test: "a_length_below_19_is_answered_with_bad_message_length",
        case: "length below 19",
        sent: "header with length 18",
        stage: Stage::Established,
        bytes: raw(18, 4, &[]),
        expect: (1, 2, "0012"),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_length_above_4096_is_answered_with_bad_message_length() -> Result<()> {
    expect_reset(Reset {
        test: "a_length_above_4096_is_answered_with_bad_message_length",
        case: "length above 4,096",
        sent: "UPDATE header with length 4097",
        stage: Stage::Established,
        bytes: raw(4097, 2, &[]),
        expect: (1, 2, "1001"),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_keepalive_of_20_bytes_is_answered_with_bad_message_length() -> Result<()> {
    expect_reset(Reset {
        test: "a_keepalive_of_20_bytes_is_answered_with_bad_message_length",
        case: "KEEPALIVE of 20 bytes",
        sent: "KEEPALIVE with one body byte",
        stage: Stage::Established,
        bytes: raw(20, 4, &[0]),
        expect: (1, 2, "0014"),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_shorter_than_29_bytes_is_answered_with_bad_message_length() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_shorter_than_29_bytes_is_answered_with_bad_message_length",
        case: "OPEN of 28 bytes",
        sent: "OPEN without its optional parameters length octet",
        stage: Stage::OpenSent,
        bytes: raw(28, 1, &unhex("04 fdea 0003 c0000202")),
        expect: (1, 2, "001c"),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_unknown_message_type_is_answered_with_bad_message_type() -> Result<()> {
    expect_reset(Reset {
        test: "an_unknown_message_type_is_answered_with_bad_message_type",
        case: "unknown message type",
        sent: "message of type 6",
        stage: Stage::Established,
        bytes: raw(19, 6, &[]),
        expect: (1, 3, "06"),
    })
}

// ---- OPEN errors (RFC 4271 §6.2, RFC 5492) ----

/// The peer's 2-octet AS field.
const MY_AS: u16 = 65002;

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_with_version_3_is_answered_with_unsupported_version_naming_4() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_with_version_3_is_answered_with_unsupported_version_naming_4",
        case: "OPEN version 3",
        sent: "OPEN with version 3",
        stage: Stage::OpenSent,
        bytes: open_with(3, MY_AS, 3, PEER_V4, CAPABILITIES),
        expect: (2, 1, "0004"),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_with_hold_time_1_is_answered_with_unacceptable_hold_time() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_with_hold_time_1_is_answered_with_unacceptable_hold_time",
        case: "hold time 1",
        sent: "OPEN with hold time 1",
        stage: Stage::OpenSent,
        bytes: open_with(4, MY_AS, 1, PEER_V4, CAPABILITIES),
        expect: (2, 6, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_with_hold_time_2_is_answered_with_unacceptable_hold_time() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_with_hold_time_2_is_answered_with_unacceptable_hold_time",
        case: "hold time 2",
        sent: "OPEN with hold time 2",
        stage: Stage::OpenSent,
        bytes: open_with(4, MY_AS, 2, PEER_V4, CAPABILITIES),
        expect: (2, 6, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_from_the_wrong_as_is_answered_with_bad_peer_as() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_from_the_wrong_as_is_answered_with_bad_peer_as",
        case: "AS mismatch",
        sent: "OPEN from AS 65099 (65002 configured)",
        stage: Stage::OpenSent,
        bytes: open_with(
            4,
            65099,
            3,
            PEER_V4,
            "02 0e 01 04 0001 00 01 02 00 41 04 0000fe4b",
        ),
        expect: (2, 2, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_with_bgp_identifier_0_is_answered_with_bad_bgp_identifier() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_with_bgp_identifier_0_is_answered_with_bad_bgp_identifier",
        case: "BGP identifier 0",
        sent: "OPEN with identifier 0.0.0.0",
        stage: Stage::OpenSent,
        bytes: open_with(4, MY_AS, 3, std::net::Ipv4Addr::UNSPECIFIED, CAPABILITIES),
        expect: (2, 3, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_with_an_authentication_parameter_is_answered_with_unsupported_optional_parameter(
) -> Result<()> {
    expect_reset(Reset {
        test: "an_open_with_an_authentication_parameter_is_answered_with_unsupported_optional_parameter",
        case: "unsupported optional parameter",
        sent: "OPEN with optional parameter type 1",
        stage: Stage::OpenSent,
        bytes: open_with(4, MY_AS, 3, PEER_V4, "01 02 0000"),
        expect: (2, 4, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_with_two_different_four_octet_ases_is_answered_with_open_error_unspecific() -> Result<()>
{
    expect_reset(Reset {
        test: "an_open_with_two_different_four_octet_ases_is_answered_with_open_error_unspecific",
        case: "conflicting 4-octet AS capabilities",
        sent: "OPEN with 4-octet AS 65002 and 65003",
        stage: Stage::OpenSent,
        bytes: open_with(4, MY_AS, 3, PEER_V4, "02 0c 41 04 0000fdea 41 04 0000fdeb"),
        expect: (2, 0, ""),
    })
}

// ---- Finite state machine errors (RFC 6608) ----

#[test]
#[ignore = "needs root: scripts/test"]
fn an_update_before_the_open_is_answered_with_fsm_error_in_opensent() -> Result<()> {
    expect_reset(Reset {
        test: "an_update_before_the_open_is_answered_with_fsm_error_in_opensent",
        case: "UPDATE before OPEN",
        sent: "valid UPDATE in OpenSent",
        stage: Stage::OpenSent,
        bytes: valid_update(),
        expect: (5, 1, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_open_in_established_is_answered_with_fsm_error_in_established() -> Result<()> {
    expect_reset(Reset {
        test: "an_open_in_established_is_answered_with_fsm_error_in_established",
        case: "OPEN in Established",
        sent: "second OPEN on the Established session",
        stage: Stage::Established,
        bytes: peer_open(3),
        expect: (5, 3, ""),
    })
}

// ---- ROUTE-REFRESH (RFC 7313 §5) ----

#[test]
#[ignore = "needs root: scripts/test"]
fn a_route_refresh_of_24_bytes_is_answered_with_invalid_length_carrying_the_message() -> Result<()>
{
    let bytes = raw(24, 5, &unhex("0001 00 01 00"));
    let data = hex(&bytes);
    expect_reset(Reset {
        test: "a_route_refresh_of_24_bytes_is_answered_with_invalid_length_carrying_the_message",
        case: "ROUTE-REFRESH of 24 bytes",
        sent: "ROUTE-REFRESH IPv4 unicast with one extra byte",
        stage: Stage::Established,
        bytes,
        expect: (7, 1, &data),
    })
}

// ---- UPDATE errors that reset the session (RFC 4271 §6.3, RFC 7606 §3 g, §5.3) ----

#[test]
#[ignore = "needs root: scripts/test"]
fn an_attribute_length_overflowing_the_update_is_answered_with_malformed_attribute_list(
) -> Result<()> {
    expect_reset(Reset {
        test:
            "an_attribute_length_overflowing_the_update_is_answered_with_malformed_attribute_list",
        case: "attribute length overflowing the message",
        sent: "UPDATE with total path attribute length 9, 4 bytes present",
        stage: Stage::Established,
        bytes: frame(2, &unhex("0000 0009 40 01 01 00")),
        expect: (3, 1, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_nlri_prefix_of_length_33_is_answered_with_invalid_network_field() -> Result<()> {
    expect_reset(Reset {
        test: "an_nlri_prefix_of_length_33_is_answered_with_invalid_network_field",
        case: "NLRI prefix length 33",
        sent: "UPDATE with NLRI 203.0.113.1/33",
        stage: Stage::Established,
        bytes: update(
            "",
            &format!("{ORIGIN} {AS_PATH} {NEXT_HOP}"),
            "21 cb007101 00",
        ),
        expect: (3, 10, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_repeated_mp_reach_is_answered_with_malformed_attribute_list() -> Result<()> {
    let reach = "80 0e 09 0001 01 04 c0000202 00";
    expect_reset(Reset {
        test: "a_repeated_mp_reach_is_answered_with_malformed_attribute_list",
        case: "duplicate MP_REACH",
        sent: "UPDATE with MP_REACH_NLRI (IPv4) twice",
        stage: Stage::Established,
        bytes: update("", &format!("{ORIGIN} {AS_PATH} {reach} {reach}"), ""),
        expect: (3, 1, ""),
    })
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_unknown_well_known_attribute_is_answered_with_its_bytes() -> Result<()> {
    expect_reset(Reset {
        test: "an_unknown_well_known_attribute_is_answered_with_its_bytes",
        case: "unknown well-known attribute",
        sent: "UPDATE with well-known attribute type 99",
        stage: Stage::Established,
        bytes: update(
            "",
            &format!("{ORIGIN} {AS_PATH} {NEXT_HOP} 40 63 02 abcd"),
            NLRI,
        ),
        expect: (3, 2, "40 63 02 abcd"),
    })
}

// ---- UPDATE errors RFC 7606 handles without a reset ----

#[test]
#[ignore = "needs root: scripts/test"]
fn an_origin_flagged_optional_is_treated_as_withdraw_and_the_session_stays_up() -> Result<()> {
    expect_survives(
        "an_origin_flagged_optional_is_treated_as_withdraw_and_the_session_stays_up",
        "wrong flags on ORIGIN",
        "UPDATE with ORIGIN flags 0xc0",
        &update("", &format!("c0 01 01 00 {AS_PATH} {NEXT_HOP}"), NLRI),
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_missing_origin_with_nlri_is_treated_as_withdraw_and_the_session_stays_up() -> Result<()> {
    expect_survives(
        "a_missing_origin_with_nlri_is_treated_as_withdraw_and_the_session_stays_up",
        "missing mandatory attribute",
        "UPDATE with NLRI and no ORIGIN",
        &update("", &format!("{AS_PATH} {NEXT_HOP}"), NLRI),
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_malformed_as_path_is_treated_as_withdraw_and_the_session_stays_up() -> Result<()> {
    expect_survives(
        "a_malformed_as_path_is_treated_as_withdraw_and_the_session_stays_up",
        "malformed AS_PATH",
        "UPDATE with AS_PATH segment type 7",
        &update(
            "",
            &format!("{ORIGIN} 40 02 06 07 01 0000fdea {NEXT_HOP}"),
            NLRI,
        ),
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_attribute_overrunning_the_attribute_section_is_treated_as_withdraw() -> Result<()> {
    expect_survives(
        "an_attribute_overrunning_the_attribute_section_is_treated_as_withdraw",
        "attribute overrunning the attribute section",
        "UPDATE whose NEXT_HOP claims 9 bytes, 4 present",
        &update("", &format!("{ORIGIN} {AS_PATH} 40 03 09 c0000202"), NLRI),
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_mp_reach_for_a_family_never_negotiated_is_ignored_and_the_session_stays_up() -> Result<()> {
    let reach = "80 0e 1c 0002 01 10 20010db8000000000000000000000002 00 30 20010db80001";
    expect_survives(
        "an_mp_reach_for_a_family_never_negotiated_is_ignored_and_the_session_stays_up",
        "MP_REACH for an AFI never negotiated",
        "UPDATE with MP_REACH_NLRI IPv6 unicast (only IPv4 negotiated)",
        &update("", &format!("{ORIGIN} {AS_PATH} {reach}"), ""),
    )
}

// ---- Abuse ----

#[test]
#[ignore = "needs root: scripts/test"]
fn a_storm_of_10000_keepalives_leaves_the_session_up_and_the_speaker_responsive() -> Result<()> {
    let Some(mut lab) = lab(
        "a_storm_of_10000_keepalives_leaves_the_session_up_and_the_speaker_responsive",
        LabConfig::default(),
    )?
    else {
        return Ok(());
    };
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
    let Some(mut lab) = lab(
        "a_flood_of_1000000_routes_leaves_the_session_up_and_memory_flat",
        LabConfig::default(),
    )?
    else {
        return Ok(());
    };
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
    let config = LabConfig {
        hold_time: 9,
        ..LabConfig::default()
    };
    let Some(mut lab) = lab(
        "a_slow_drip_shorter_than_the_hold_time_is_assembled_and_the_session_stays_up",
        config,
    )?
    else {
        return Ok(());
    };
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
    let Some(mut lab) = lab(
        "a_slow_drip_longer_than_the_hold_time_is_ended_by_hold_timer_expired",
        LabConfig::default(),
    )?
    else {
        return Ok(());
    };
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

#[test]
#[ignore = "needs root: scripts/test"]
fn a_reset_in_the_middle_of_an_update_brings_the_session_down_and_the_speaker_reconnects(
) -> Result<()> {
    let config = LabConfig {
        mode: Mode::Active,
        ..LabConfig::default()
    };
    let Some(mut lab) = lab(
        "a_reset_in_the_middle_of_an_update_brings_the_session_down_and_the_speaker_reconnects",
        config,
    )?
    else {
        return Ok(());
    };
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
    let Some(lab) = lab(
        "silence_after_the_tcp_connect_leaves_the_speaker_waiting_in_opensent",
        LabConfig::default(),
    )?
    else {
        return Ok(());
    };
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
    let Some(lab) = lab(
        "silence_after_the_open_is_ended_by_hold_timer_expired_after_the_negotiated_hold_time",
        LabConfig::default(),
    )?
    else {
        return Ok(());
    };
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
    let config = LabConfig {
        mode: Mode::Active,
        ..LabConfig::default()
    };
    let Some(mut lab) = lab(
        "a_notification_from_the_peer_closes_the_session_and_the_speaker_reconnects_after_backoff",
        config,
    )?
    else {
        return Ok(());
    };
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
    let Some(mut lab) = lab(
        "a_second_connection_while_established_is_refused_with_connection_collision_resolution",
        LabConfig::default(),
    )?
    else {
        return Ok(());
    };
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
    let config = LabConfig {
        peer_v4: STRANGER_V4,
        ..LabConfig::default()
    };
    let Some(lab) = lab(
        "a_connection_from_an_address_that_is_not_a_peer_is_closed_without_an_open",
        config,
    )?
    else {
        return Ok(());
    };
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
    let config = LabConfig {
        bystander: true,
        ..LabConfig::default()
    };
    let Some(mut lab) = lab(
        "a_hostile_peer_leaves_the_session_of_another_peer_undisturbed",
        config,
    )?
    else {
        return Ok(());
    };
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
