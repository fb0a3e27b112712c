//! UPDATE errors RFC 7606 handles without a reset, one row per case: the session must stay
//! up, the fault must be logged, and the session must still carry routes.

use std::path::Path;

use announcer_integration::hostile::bytes::{update, AS_PATH, NEXT_HOP, NLRI, ORIGIN};
use announcer_integration::hostile::report;
use announcer_integration::hostile::rig::{HostileRig, RigConfig, PATIENCE};
use announcer_integration::Result;

use super::{check, run_table, KEEPALIVE_EVERY, PROBE, WINDOW};

/// One case the session survives: its name, what is sent, and the bytes.
struct Survive {
    case: &'static str,
    sent: &'static str,
    bytes: Vec<u8>,
}

/// A row of the table.
fn survives(case: &'static str, sent: &'static str, bytes: Vec<u8>) -> Survive {
    Survive { case, sent, bytes }
}

/// Treat-as-withdraw (RFC 7606 §2, §7) and a family never negotiated (RFC 4760 §7).
fn cases() -> Vec<Survive> {
    let reach = "80 0e 1c 0002 01 10 20010db8000000000000000000000002 00 30 20010db80001";
    vec![
        survives(
            "wrong flags on ORIGIN",
            "UPDATE with ORIGIN flags 0xc0",
            update("", &format!("c0 01 01 00 {AS_PATH} {NEXT_HOP}"), NLRI),
        ),
        survives(
            "missing mandatory attribute",
            "UPDATE with NLRI and no ORIGIN",
            update("", &format!("{AS_PATH} {NEXT_HOP}"), NLRI),
        ),
        survives(
            "malformed AS_PATH",
            "UPDATE with AS_PATH segment type 7",
            update(
                "",
                &format!("{ORIGIN} 40 02 06 07 01 0000fdea {NEXT_HOP}"),
                NLRI,
            ),
        ),
        survives(
            "attribute overrunning the attribute section",
            "UPDATE whose NEXT_HOP claims 9 bytes, 4 present",
            update("", &format!("{ORIGIN} {AS_PATH} 40 03 09 c0000202"), NLRI),
        ),
        survives(
            "MP_REACH for an AFI never negotiated",
            "UPDATE with MP_REACH_NLRI IPv6 unicast (only IPv4 negotiated)",
            update("", &format!("{ORIGIN} {AS_PATH} {reach}"), ""),
        ),
    ]
}

#[test]
#[ignore = "needs root: scripts/test"]
fn update_errors_rfc_7606_handles_leave_the_session_up() -> Result<()> {
    let cases = cases();
    assert_eq!(cases.len(), 5);
    run_table(
        "update_errors_rfc_7606_handles_leave_the_session_up",
        &cases,
        |survive| survive.case,
        expect_survives,
    )
}

/// Sends the bytes on an Established session and checks RFC 7606 kept it up: no
/// NOTIFICATION and no close for [`WINDOW`] while the speaker keeps sending KEEPALIVEs, no
/// `down` event, the fault logged, and a route announced afterwards reaches the peer.
fn expect_survives(binary: &Path, survive: &Survive) -> Result<()> {
    let mut lab = HostileRig::start(binary, RigConfig::default())?;
    let mut peer = lab.established()?;
    peer.send(&survive.bytes)?;
    let keepalives = peer.stays_up(WINDOW, KEEPALIVE_EVERY)?;
    check(keepalives >= 2, || format!("only {keepalives} KEEPALIVEs"))?;
    lab.speaker.send(&format!("announce {PROBE}"))?;
    let probe = peer.expect_route(PROBE, PATIENCE)?;
    let events = lab.speaker.pending_events();
    check(!events.iter().any(|e| e.starts_with("down")), || {
        format!("{events:?}")
    })?;
    let log = lab.speaker.log_tail();
    check(log.contains("without reset"), || {
        format!("fault not logged:\n{log}")
    })?;
    let got = format!(
        "no NOTIFICATION, session up ({keepalives} KEEPALIVEs, probe route after {} ms)",
        probe.as_millis()
    );
    report(survive.case, survive.sent, &got, WINDOW, "");
    Ok(())
}
