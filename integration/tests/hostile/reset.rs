//! Input that resets the session, one row per case: what is sent, in which state, and the
//! exact NOTIFICATION (code, subcode, data) expected; after it the speaker must accept a new
//! session.

use std::net::Ipv4Addr;
use std::path::Path;

use announcer_bgp::wire::Hex;
use announcer_integration::hostile::bytes::{
    frame, keepalive, open_with, peer_open, raw, unhex, update, valid_update, AS_PATH,
    CAPABILITIES, NEXT_HOP, NLRI, ORIGIN,
};
use announcer_integration::hostile::rig::{HostileRig, RigConfig, PATIENCE, PEER_V4};
use announcer_integration::hostile::{describe, report};
use announcer_integration::wait::{wait_until, POLL};
use announcer_integration::Result;

use super::{check, run_table};

/// Where in the session the hostile bytes are sent.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// After the speaker's OPEN, before ours.
    OpenSent,
    /// On an Established session.
    Established,
}

/// One case that resets the session: what is sent, when, and the NOTIFICATION expected
/// (code, subcode, data as hex without spaces).
struct Reset {
    case: &'static str,
    sent: &'static str,
    stage: Stage,
    bytes: Vec<u8>,
    expect: (u8, u8, String),
}

/// A row whose bytes are sent after the speaker's OPEN, before ours.
fn in_open_sent(
    case: &'static str,
    sent: &'static str,
    bytes: Vec<u8>,
    expect: (u8, u8, String),
) -> Reset {
    Reset {
        case,
        sent,
        stage: Stage::OpenSent,
        bytes,
        expect,
    }
}

/// A row whose bytes are sent on an Established session.
fn in_established(
    case: &'static str,
    sent: &'static str,
    bytes: Vec<u8>,
    expect: (u8, u8, String),
) -> Reset {
    Reset {
        stage: Stage::Established,
        ..in_open_sent(case, sent, bytes, expect)
    }
}

/// The NOTIFICATION expected: code, subcode and data (hex, spaces allowed).
fn notification(code: u8, subcode: u8, data: &str) -> (u8, u8, String) {
    (code, subcode, Hex(&unhex(data)).to_string())
}

/// The peer's 2-octet AS field.
const MY_AS: u16 = 65002;

/// Message header errors (RFC 4271 §6.1).
fn header_cases() -> Vec<Reset> {
    let mut bad_marker = keepalive();
    if let Some(first) = bad_marker.first_mut() {
        *first = 0x7f;
    }
    vec![
        in_established(
            "bad marker",
            "KEEPALIVE with marker 7fff..ff",
            bad_marker,
            notification(1, 1, ""),
        ),
        in_established(
            "length below 19",
            "header with length 18",
            raw(18, 4, &[]),
            notification(1, 2, "0012"),
        ),
        in_established(
            "length above 4,096",
            "UPDATE header with length 4097",
            raw(4097, 2, &[]),
            notification(1, 2, "1001"),
        ),
        in_established(
            "KEEPALIVE of 20 bytes",
            "KEEPALIVE with one body byte",
            raw(20, 4, &[0]),
            notification(1, 2, "0014"),
        ),
        in_open_sent(
            "OPEN of 28 bytes",
            "OPEN without its optional parameters length octet",
            raw(28, 1, &unhex("04 fdea 0003 c0000202")),
            notification(1, 2, "001c"),
        ),
        in_established(
            "unknown message type",
            "message of type 6",
            raw(19, 6, &[]),
            notification(1, 3, "06"),
        ),
    ]
}

/// OPEN errors (RFC 4271 §6.2, RFC 5492).
fn open_cases() -> Vec<Reset> {
    vec![
        in_open_sent(
            "OPEN version 3",
            "OPEN with version 3",
            open_with(3, MY_AS, 3, PEER_V4, CAPABILITIES),
            notification(2, 1, "0004"),
        ),
        in_open_sent(
            "hold time 1",
            "OPEN with hold time 1",
            open_with(4, MY_AS, 1, PEER_V4, CAPABILITIES),
            notification(2, 6, ""),
        ),
        in_open_sent(
            "hold time 2",
            "OPEN with hold time 2",
            open_with(4, MY_AS, 2, PEER_V4, CAPABILITIES),
            notification(2, 6, ""),
        ),
        in_open_sent(
            "AS mismatch",
            "OPEN from AS 65099 (65002 configured)",
            open_with(
                4,
                65099,
                3,
                PEER_V4,
                "02 0e 01 04 0001 00 01 02 00 41 04 0000fe4b",
            ),
            notification(2, 2, ""),
        ),
        in_open_sent(
            "BGP identifier 0",
            "OPEN with identifier 0.0.0.0",
            open_with(4, MY_AS, 3, Ipv4Addr::UNSPECIFIED, CAPABILITIES),
            notification(2, 3, ""),
        ),
        in_open_sent(
            "unsupported optional parameter",
            "OPEN with optional parameter type 1",
            open_with(4, MY_AS, 3, PEER_V4, "01 02 0000"),
            notification(2, 4, ""),
        ),
        in_open_sent(
            "conflicting 4-octet AS capabilities",
            "OPEN with 4-octet AS 65002 and 65003",
            open_with(4, MY_AS, 3, PEER_V4, "02 0c 41 04 0000fdea 41 04 0000fdeb"),
            notification(2, 0, ""),
        ),
    ]
}

/// Finite state machine errors (RFC 6608) and ROUTE-REFRESH errors (RFC 7313 §5).
fn fsm_and_route_refresh_cases() -> Vec<Reset> {
    let route_refresh = raw(24, 5, &unhex("0001 00 01 00"));
    let route_refresh_hex = Hex(&route_refresh).to_string();
    vec![
        in_open_sent(
            "UPDATE before OPEN",
            "valid UPDATE in OpenSent",
            valid_update(),
            notification(5, 1, ""),
        ),
        in_established(
            "OPEN in Established",
            "second OPEN on the Established session",
            peer_open(3),
            notification(5, 3, ""),
        ),
        in_established(
            "ROUTE-REFRESH of 24 bytes",
            "ROUTE-REFRESH IPv4 unicast with one extra byte",
            route_refresh,
            (7, 1, route_refresh_hex),
        ),
    ]
}

/// UPDATE errors that reset the session (RFC 4271 §6.3, RFC 7606 §3 g, §5.3).
fn update_cases() -> Vec<Reset> {
    let reach = "80 0e 09 0001 01 04 c0000202 00";
    vec![
        in_established(
            "attribute length overflowing the message",
            "UPDATE with total path attribute length 9, 4 bytes present",
            frame(2, &unhex("0000 0009 40 01 01 00")),
            notification(3, 1, ""),
        ),
        in_established(
            "NLRI prefix length 33",
            "UPDATE with NLRI 203.0.113.1/33",
            update(
                "",
                &format!("{ORIGIN} {AS_PATH} {NEXT_HOP}"),
                "21 cb007101 00",
            ),
            notification(3, 10, ""),
        ),
        in_established(
            "duplicate MP_REACH",
            "UPDATE with MP_REACH_NLRI (IPv4) twice",
            update("", &format!("{ORIGIN} {AS_PATH} {reach} {reach}"), ""),
            notification(3, 1, ""),
        ),
        in_established(
            "unknown well-known attribute",
            "UPDATE with well-known attribute type 99",
            update(
                "",
                &format!("{ORIGIN} {AS_PATH} {NEXT_HOP} 40 63 02 abcd"),
                NLRI,
            ),
            notification(3, 2, "40 63 02 abcd"),
        ),
    ]
}

#[test]
#[ignore = "needs root: scripts/test"]
fn malformed_input_is_answered_with_its_notification_and_the_speaker_accepts_again() -> Result<()> {
    let cases: Vec<Reset> = [
        header_cases(),
        open_cases(),
        fsm_and_route_refresh_cases(),
        update_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert_eq!(cases.len(), 20);
    run_table(
        "malformed_input_is_answered_with_its_notification_and_the_speaker_accepts_again",
        &cases,
        |reset| reset.case,
        expect_reset,
    )
}

/// Sends the bytes, checks the NOTIFICATION and the close, that an Established session is
/// reported down, that the speaker's log names the peer and the NOTIFICATION, and that the
/// speaker accepts a new session after its backoff.
fn expect_reset(binary: &Path, reset: &Reset) -> Result<()> {
    let mut lab = HostileRig::start(binary, RigConfig::default())?;
    let mut peer = match reset.stage {
        Stage::OpenSent => lab.opened()?.0,
        Stage::Established => lab.established()?,
    };
    peer.send(&reset.bytes)?;
    let (notification, took) = peer.expect_notification(PATIENCE)?;
    let (code, subcode) = notification.code.to_octets();
    let got = (code, subcode, Hex(&notification.data).to_string());
    check(got == reset.expect, || {
        let (code, subcode, data) = &reset.expect;
        let data = if data.is_empty() { "none" } else { data };
        format!(
            "expected NOTIFICATION {code}/{subcode} data {data}, got {}",
            describe(&notification)
        )
    })?;
    if reset.stage == Stage::Established {
        let down = lab.speaker.wait_event("down ", PATIENCE)?;
        check(down.contains("sent notification"), || down.clone())?;
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
