//! BFD (RFC 5880/5881) between the real `announcer` and a real router (BIRD 2, or FRR's
//! bfdd): every scenario runs the daemon testbed with `bfd = true` at 100 ms × 3 on both web
//! servers and the same timers at the router, and starts once both sessions are Up at the
//! router and in `announcer status --json` at the fast intervals.
//!
//! Here: the sessions come Up, and a SIGHUP changes the timers without taking anything
//! down. `failures`: a frozen server, a link that drops packets unseen by the router, a
//! stalled check loop. `stops`: SIGTERM, a planned restart (SIGUSR2) that hands the BFD
//! session to the next process, and a crash (SIGKILL). Timed steps print `measured:`;
//! bounds are generous correctness bounds, the figures are for the report.

mod failures;
mod stops;

pub use failures::{
    a_frozen_server_leaves_the_route_within_a_second,
    a_link_dropping_packets_unseen_by_the_router_removes_the_server,
    a_stalled_check_loop_stops_bfd_and_the_router_drops_the_server,
};
pub use stops::{
    a_crashed_daemon_ends_as_the_router_documents, a_planned_restart_keeps_the_bfd_session_up,
    sigterm_with_bfd_closes_with_a_cease_not_a_bfd_failure,
};

use std::time::{Duration, Instant};

use super::{measured, settled_with, RECONNECT_LIMIT, RETURN_LIMIT, SETTLE};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, VIP};
use crate::error::{Error, Result};
use crate::routers::bfd::{BfdSession, BfdTimers, FAST};
use crate::routers::same_session;
use crate::status::BfdStatus;
use crate::topology::ROUTER_V4;
use crate::wait::{wait_until, POLL};

/// The timers a reload switches web2 to.
const SLOW: BfdTimers = BfdTimers::symmetric(Duration::from_millis(300), 5);
/// A server that stops answering leaves the router's kernel route within this (the target
/// is a detection time, 300 ms, plus the router's reaction).
const FAILOVER_LIMIT: Duration = Duration::from_secs(1);

/// The BFD figures expected at both ends when we run `ours` and the router [`FAST`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Expected {
    /// Our sending interval: max(our Desired Min TX, the router's Required Min RX).
    our_tx: Duration,
    /// Our detection time: the router's multiplier × max(our Required Min RX, its TX).
    our_detection: Duration,
    /// The router's detection time of us: our multiplier × max(its RX, our TX).
    router_detection: Duration,
}

impl Expected {
    fn of(ours: BfdTimers) -> Expected {
        let router = FAST;
        Expected {
            our_tx: ours.min_tx.max(router.min_rx),
            our_detection: router.min_tx.max(ours.min_rx) * u32::from(router.multiplier),
            router_detection: router.min_rx.max(ours.min_tx) * u32::from(ours.multiplier),
        }
    }
}

/// Starts the lab with BFD at [`FAST`] everywhere (and `options`), waits until both web
/// servers announce and both BFD sessions are Up at the fast timers, then runs `body`;
/// skips (Ok) when the lab cannot run here.
fn with_bfd(
    bed: Bed,
    options: TestbedOptions,
    test: &str,
    body: impl FnOnce(&mut DaemonTestbed) -> Result<()>,
) -> Result<()> {
    let options = TestbedOptions {
        bfd: Some(FAST),
        ..options
    };
    settled_with(bed, &options, test, |lab| {
        let start = Instant::now();
        for n in 1..=lab.webs.len() {
            wait_bfd(lab, n, FAST, start, SETTLE)?;
        }
        body(lab)
    })
}

/// web `n`'s status `bfd` object.
fn announcer_bfd(web: &Web) -> Result<BfdStatus> {
    let status = web.announcer.status()?;
    let peer = status.peer(&ROUTER_V4.to_string())?;
    peer.bfd
        .clone()
        .ok_or_else(|| Error::Check(format!("no bfd object in status: {}", status.raw)))
}

/// The router's BFD session with web `n`.
fn router_bfd(lab: &DaemonTestbed, n: usize) -> Result<BfdSession> {
    let peer = lab.web(n)?.peer();
    lab.router.bfd_session(peer)?.ok_or_else(|| {
        Error::Check(format!(
            "{} has no BFD session with {peer}",
            lab.router.kind()
        ))
    })
}

/// Waits (until `since + limit`) for web `n`'s BFD session to be Up at the router and in
/// its status, at the figures of `ours`; returns the time from `since`.
fn wait_bfd(
    lab: &DaemonTestbed,
    n: usize,
    ours: BfdTimers,
    since: Instant,
    limit: Duration,
) -> Result<Duration> {
    let want = Expected::of(ours);
    let what = format!(
        "web{n}'s BFD session Up at {} and in its status at {ours:?}",
        lab.router.kind()
    );
    let ms = |d: Duration| Some(d.as_secs_f64() * 1000.0);
    wait_until(&what, limit.saturating_sub(since.elapsed()), POLL, || {
        let router = router_bfd(lab, n).map_err(|e| e.to_string())?;
        let web = lab.web(n).map_err(|e| e.to_string())?;
        let ours = announcer_bfd(web).map_err(|e| e.to_string())?;
        let router_ok = router.is_up() && router.detection_time == Some(want.router_detection);
        let ours_ok = ours.state == "Up"
            && ours.transmit_interval_ms == ms(want.our_tx)
            && ours.detection_time_ms == ms(want.our_detection);
        if router_ok && ours_ok {
            Ok(since.elapsed())
        } else {
            Err(format!("router: {}; status: {ours:?}", router.raw))
        }
    })
}

/// Waits until web `n` is back after a failure: its BFD session Up at the fast timers and
/// the route via both web servers; prints the time from `since` as `what`.
fn wait_back(lab: &DaemonTestbed, n: usize, since: Instant, what: &str) -> Result<()> {
    wait_bfd(lab, n, FAST, since, RECONNECT_LIMIT)?;
    let took = lab.wait_next_hops(VIP, &lab.both(), since, RECONNECT_LIMIT)?;
    measured(what, took);
    Ok(())
}

/// How many lines of web's daemon log contain `needle`.
fn log_count(web: &Web, needle: &str) -> Result<usize> {
    Ok(web
        .announcer
        .log_text()?
        .lines()
        .filter(|line| line.contains(needle))
        .count())
}

/// Fails unless the router says web `n`'s BGP session went down because of BFD.
fn expect_reset_by_bfd(lab: &DaemonTestbed, n: usize) -> Result<()> {
    let reason = lab.router.session_down_reason(lab.web(n)?.peer())?;
    eprintln!(
        "[lab] {} says web{n}'s session went down: {reason:?}",
        lab.router.kind()
    );
    match reason {
        Some(text) if text.to_lowercase().contains("bfd") => Ok(()),
        other => Err(Error::Check(format!(
            "expected {} to have reset web{n}'s session for BFD; its last error: {other:?}",
            lab.router.kind()
        ))),
    }
}

/// With BFD at 100 ms × 3 on both sides, both sessions come Up at the router, which
/// detects each web server in 300 ms, and each `announcer status --json` shows its session
/// Up, sending every 100 ms, detecting the router in 300 ms, with no failure.
pub fn bfd_sessions_come_up_at_the_configured_timers(bed: Bed, test: &str) -> Result<()> {
    with_bfd(bed, TestbedOptions::default(), test, |lab| {
        for (n, web) in lab.webs.iter().enumerate() {
            let at_router = router_bfd(lab, n + 1)?;
            eprintln!(
                "[lab] {} shows {}: {}",
                lab.router.kind(),
                web.name,
                at_router.raw
            );
            let ours = announcer_bfd(web)?;
            eprintln!("[lab] {} status bfd: {ours:?}", web.name);
            if ours.multiplier != FAST.multiplier || ours.failures != 0 || !ours.ever_up {
                return Err(Error::Check(format!(
                    "{}: expected multiplier 3, no failure, ever up; got {ours:?}",
                    web.name
                )));
            }
        }
        Ok(())
    })
}

/// SIGHUP after changing web2's timers from 100 ms × 3 to 300 ms × 5: the router and the
/// status take the new figures (a Poll Sequence), while neither the BGP session nor the
/// BFD session goes down (same session mark and BFD `Since` / event counts at the router,
/// no failure in the status).
pub fn a_reload_changes_the_bfd_timers_without_a_reset(bed: Bed, test: &str) -> Result<()> {
    with_bfd(bed, TestbedOptions::default(), test, |lab| {
        let peer = lab.web(2)?.peer();
        let bgp_before = lab.router.session_mark(peer)?;
        let bfd_before = router_bfd(lab, 2)?;
        let start = Instant::now();
        let web2 = lab.web_mut(2)?;
        web2.announcer.set_bfd(Some(SLOW))?;
        web2.announcer.signal("HUP")?;
        let took = wait_bfd(lab, 2, SLOW, start, RECONNECT_LIMIT)?;
        measured("SIGHUP to the new BFD timers in force at both ends", took);
        let bfd_after = router_bfd(lab, 2)?;
        let bgp_after = lab.router.session_mark(peer)?;
        let ours = announcer_bfd(lab.web(2)?)?;
        eprintln!(
            "[lab] web2 BFD at {}: before {}; after {}; status {ours:?}",
            lab.router.kind(),
            bfd_before.raw,
            bfd_after.raw
        );
        if !same_session(bgp_before.as_deref(), bgp_after.as_deref()) {
            return Err(Error::Check(format!(
                "the BGP session was reset by the reload: {bgp_before:?} → {bgp_after:?}"
            )));
        }
        if !bfd_after.stayed_up_since(&bfd_before) || ours.failures != 0 {
            return Err(Error::Check(format!(
                "the BFD session went down on the reload: {} → {}; status {ours:?}",
                bfd_before.raw, bfd_after.raw
            )));
        }
        let web1 = router_bfd(lab, 1)?;
        if web1.detection_time != Some(Expected::of(FAST).router_detection) {
            return Err(Error::Check(format!(
                "web1's BFD changed too: {}",
                web1.raw
            )));
        }
        lab.wait_next_hops(VIP, &lab.both(), Instant::now(), RETURN_LIMIT)
            .map(drop)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_figures_follow_rfc_5880_from_both_sides_timers() {
        let ms = Duration::from_millis;
        assert_eq!(
            Expected::of(FAST),
            Expected {
                our_tx: ms(100),
                our_detection: ms(300),
                router_detection: ms(300)
            }
        );
        assert_eq!(
            Expected::of(SLOW),
            Expected {
                our_tx: ms(300),
                our_detection: ms(900),
                router_detection: ms(1500)
            }
        );
    }
}
