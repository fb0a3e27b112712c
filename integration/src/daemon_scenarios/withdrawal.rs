//! Scenarios where a server leaves the multipath route on purpose: its
//! health fails, an operator runs `announcer withdraw`, or the daemon is
//! stopped with SIGTERM.

use std::net::IpAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{
    expect_answers, expect_routes_sent, expect_serving, expect_vip, measured, settled, EXIT_LIMIT,
    MAINTENANCE_REASON, RETURN_LIMIT, SETTLE, WITHDRAW_LIMIT,
};
use crate::daemon::{expect_clean_exit, CHECK_INTERVAL, FALL, RISE};
use crate::daemon_testbed::{Bed, DaemonTestbed};
use crate::daemon_testbed::{Web, VIP, VIP_ADDRESS};
use crate::error::{Error, Result};
use crate::wait::{holds_for, wait_until, POLL};

/// How long the router may take to show the NOTIFICATION it received.
const SHUTDOWN_SHOWN: Duration = Duration::from_secs(5);

/// The health-fail bound: fall × interval + 1 s.
pub(super) fn health_fail_limit() -> Duration {
    CHECK_INTERVAL * FALL + Duration::from_secs(1)
}

/// Seconds since the Unix epoch.
fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// web1's health failing removes its next hop within fall × interval + 1 s
/// without dropping its session; recovering brings it back.
pub fn a_failing_health_check_withdraws_the_server(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let web2 = lab.web(2)?.peer();
        let start = Instant::now();
        lab.web(1)?.set_healthy(false)?;
        let took = lab.wait_next_hops(VIP, &[web2], start, health_fail_limit())?;
        measured("health-fail withdraw", took);
        let status = lab.web(1)?.announcer.status()?;
        expect_vip(&status, VIP, false, false)?;
        expect_routes_sent(&status, 0)?;
        let last = status.vip(VIP)?.checks.iter().find_map(|c| c.last.clone());
        status.expect(
            last.is_some_and(|last| !last.pass && last.detail.contains("500")),
            "the last check result failed with HTTP 500",
        )?;
        expect_session_kept(lab, 1)?;
        expect_answers(lab, VIP_ADDRESS, &["web2"])?;
        let start = Instant::now();
        lab.web(1)?.set_healthy(true)?;
        let took = lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
        measured("health-recover announce", took);
        let status = lab.web(1)?.announcer.status()?;
        expect_vip(&status, VIP, true, true)?;
        expect_routes_sent(&status, 1)?;
        expect_answers(lab, VIP_ADDRESS, &["web1", "web2"])
    })
}

/// `announcer withdraw --reason` removes web2 within 1 s, status shows the
/// maintenance, it holds across a daemon restart, and `announcer announce`
/// brings web2 back.
pub fn maintenance_withdraws_and_survives_a_restart(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let web1 = lab.web(1)?.peer();
        let start = Instant::now();
        lab.web(2)?
            .announcer
            .control(&["withdraw", "--reason", MAINTENANCE_REASON])?;
        let took = lab.wait_next_hops(VIP, &[web1], start, WITHDRAW_LIMIT)?;
        measured("announcer withdraw", took);
        expect_maintenance(lab.web(2)?)?;
        expect_session_kept(lab, 2)?;
        let web2 = lab.web_mut(2)?;
        web2.announcer.signal("TERM")?;
        let status = web2.announcer.wait_exit(EXIT_LIMIT)?;
        expect_clean_exit(status, "TERM")?;
        web2.announcer.start()?;
        let peer = web2.peer();
        wait_until(
            "web2 back: session up and checks healthy",
            SETTLE,
            POLL,
            || {
                let established = lab
                    .router
                    .session_established(peer)
                    .map_err(|e| e.to_string())?;
                let status = lab
                    .web(2)
                    .and_then(|web| web.announcer.status())
                    .map_err(|e| e.to_string())?;
                let healthy = status
                    .vip(VIP)
                    .map_err(|e| e.to_string())?
                    .all_checks_healthy();
                if established && healthy {
                    Ok(())
                } else {
                    Err(format!(
                        "router Established: {established}; status: {}",
                        status.raw
                    ))
                }
            },
        )?;
        let hold = CHECK_INTERVAL * (RISE + 1);
        holds_for(
            "web2 to stay withdrawn after its restart",
            hold,
            POLL,
            || match crate::kernel::next_hops(&lab.topology.rtr, VIP) {
                Ok(hops) if hops == [web1] => Ok(()),
                Ok(hops) => Err(format!("next hops {hops:?}")),
                Err(e) => Err(e.to_string()),
            },
        )?;
        expect_maintenance(lab.web(2)?)?;
        let start = Instant::now();
        lab.web(2)?.announcer.control(&["announce"])?;
        let took = lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
        measured("announcer announce", took);
        let status = lab.web(2)?.announcer.status()?;
        expect_serving(&status, VIP)
    })
}

/// Fails unless the router still has web `n`'s session Established (a
/// withdraw is an UPDATE, not a session reset).
fn expect_session_kept(lab: &DaemonTestbed, n: usize) -> Result<()> {
    let web = lab.web(n)?;
    if lab.router.session_established(web.peer())? {
        return Ok(());
    }
    Err(Error::Check(format!(
        "{}'s session dropped: a withdraw must be an UPDATE",
        web.name
    )))
}

/// web's status shows [`VIP`] withdrawn for maintenance with our reason.
fn expect_maintenance(web: &Web) -> Result<()> {
    let status = web.announcer.status()?;
    expect_vip(&status, VIP, false, true)?;
    expect_routes_sent(&status, 0)?;
    let vip = status.vip(VIP)?;
    let since_ok = |since: f64| (now_unix() - since).abs() < 600.0;
    status.expect(
        vip.maintenance.as_ref().is_some_and(|m| {
            m.reason.as_deref() == Some(MAINTENANCE_REASON) && since_ok(m.since_unix)
        }),
        &format!("maintenance with reason {MAINTENANCE_REASON:?} since about now"),
    )?;
    status.expect(
        vip.why.to_lowercase().contains("maint"),
        "a why naming the maintenance",
    )
}

/// SIGTERM removes web1's next hop within 1 s, the daemon exits 0 within
/// 2 s, the router shows our Cease / Administrative Shutdown with a reason,
/// and the client then gets a one-line error naming the socket; SIGINT does
/// the same for web2, leaving no route.
pub fn sigterm_withdraws_and_says_why(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let web2 = lab.web(2)?.peer();
        stop_cleanly(lab, 1, "TERM", &[web2])?;
        expect_not_running_error(lab.web(1)?)?;
        stop_cleanly(lab, 2, "INT", &[])
    })
}

/// Sends `signal` to web `n`'s daemon; checks its next hop goes within 1 s
/// (leaving `remaining`), it exits 0 within 2 s and the router shows our
/// Administrative Shutdown with a reason.
pub(super) fn stop_cleanly(
    lab: &mut DaemonTestbed,
    n: usize,
    signal: &str,
    remaining: &[IpAddr],
) -> Result<()> {
    stop_and_exit(lab, n, signal, remaining)?;
    let peer = lab.web(n)?.peer();
    expect_shutdown_reason(lab, peer, signal)
}

/// Sends `signal` to web `n`'s daemon; checks its next hop goes within 1 s
/// (leaving `remaining`) and it exits 0 within 2 s.
pub(super) fn stop_and_exit(
    lab: &mut DaemonTestbed,
    n: usize,
    signal: &str,
    remaining: &[IpAddr],
) -> Result<()> {
    let start = Instant::now();
    lab.web_mut(n)?.announcer.signal(signal)?;
    let took = lab.wait_next_hops(VIP, remaining, start, WITHDRAW_LIMIT)?;
    measured(&format!("SIG{signal} withdraw"), took);
    let left = EXIT_LIMIT.saturating_sub(start.elapsed());
    let status = lab.web_mut(n)?.announcer.wait_exit(left)?;
    measured(
        &format!("SIG{signal} to exit seen (polled after the withdraw)"),
        start.elapsed(),
    );
    expect_clean_exit(status, signal)
}

/// The router shows our Administrative Shutdown with a reason as `peer`'s last error.
pub(super) fn expect_shutdown_reason(
    lab: &DaemonTestbed,
    peer: IpAddr,
    signal: &str,
) -> Result<()> {
    let router = lab.router.kind();
    let what = format!("{router} to show our Administrative Shutdown with a reason");
    let text = wait_until(&what, SHUTDOWN_SHOWN, POLL, || {
        match lab.router.last_error(peer) {
            Ok(Some(text)) if has_shutdown_reason(&text) => Ok(text),
            Ok(other) => Err(format!("{other:?}")),
            Err(e) => Err(e.to_string()),
        }
    })?;
    eprintln!("[lab] after SIG{signal} {router} shows: {text}");
    Ok(())
}

/// `announcer status` against web's stopped daemon exits 1 with one line
/// naming the socket.
fn expect_not_running_error(web: &Web) -> Result<()> {
    let output = web.announcer.client(&["status"])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let socket = web.announcer.config().socket.display().to_string();
    let one_line = stderr.trim().lines().count() == 1;
    if output.status.code() == Some(1) && one_line && stderr.contains(&socket) {
        return Ok(());
    }
    Err(Error::Check(format!(
        "`announcer status` with the daemon gone: expected exit 1 and one line naming {socket}; got {} and {stderr:?}",
        output.status
    )))
}

/// Whether a router's text of a received NOTIFICATION is Administrative
/// Shutdown followed by a reason (BIRD: `Received: Administrative shutdown:
/// "..."`, FRR: `Cease/Administrative Shutdown: ...`).
fn has_shutdown_reason(text: &str) -> bool {
    let lower = text.to_lowercase();
    let marker = "administrative shutdown";
    lower.find(marker).is_some_and(|at| {
        lower.get(at + marker.len()..).is_some_and(|rest| {
            !rest
                .trim_matches(|c: char| c == ':' || c == '"' || c.is_whitespace())
                .is_empty()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shutdown_text_counts_only_with_a_reason() {
        assert!(has_shutdown_reason(
            r#"Received: Administrative shutdown: "announcer stopping""#
        ));
        assert!(has_shutdown_reason(
            "Cease/Administrative Shutdown: announcer stopping"
        ));
        assert!(!has_shutdown_reason("Received: Administrative shutdown"));
        assert!(!has_shutdown_reason(
            r#"Received: Administrative shutdown: """#
        ));
        assert!(!has_shutdown_reason("Received: Hold timer expired"));
    }

    #[test]
    fn the_health_fail_bound_is_fall_intervals_plus_a_second() {
        assert_eq!(health_fail_limit(), Duration::from_millis(2000));
    }
}
