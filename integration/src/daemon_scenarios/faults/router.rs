//! Faults of the router itself: it crashes and comes back, or it is not
//! there yet when the announcers start.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::{faulted, log_lines, measured_count, wait_log, wait_peer_down};
use crate::daemon_scenarios::{expect_status_check, expect_vip, measured, RECONNECT_LIMIT};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, VIP};
use crate::error::{Error, Result};
use crate::topology::ROUTER_V4;
use crate::wait::{holds_for, wait_until, POLL};

/// How long the announcers run before the router is reachable: long
/// enough for a first attempt to fail (ARP gives up after about 3 s) and a
/// second to start after the first backoff (1 s ± 25 %).
const UNREACHABLE_FOR: Duration = Duration::from_secs(7);
/// At least this many connection attempts per peer while it is unreachable.
const MIN_ATTEMPTS: usize = 2;
/// At most this many (a backoff from 1 s doubling makes 2 or 3, a storm
/// many more).
const MAX_ATTEMPTS: usize = 8;
/// How long a daemon may take to see its session closed by the killed router.
const NOTICE_LIMIT: Duration = Duration::from_secs(5);
/// The log line of a connection attempt (`announcer_bgp::session`, debug).
const CONNECTING: &str = "connecting target_addr=";
/// The log line of a failed connection attempt (`announcer_bgp::session`).
const CONNECT_FAILED: &str = "connect failed";
/// The log line of a session coming up (`announcer_bgp::session`).
const ESTABLISHED: &str = "session established";
/// The log line of a session going down (`announcer_bgp::session`).
const SESSION_DOWN: &str = "session down";

/// BIRD killed (SIGKILL by PID, a crash) and started again, then stopped
/// (SIGTERM: it sends a Cease) and started again: each time each daemon
/// sees its session drop and says why in status and log, keeps retrying,
/// and once the router is back both routes return by themselves.
pub fn a_killed_or_stopped_router_gets_both_routes_back_by_itself(
    bed: Bed,
    test: &str,
) -> Result<()> {
    faulted(bed, TestbedOptions::default(), test, |lab| {
        bounce(lab, Bounce::Kill)?;
        bounce(lab, Bounce::Stop)
    })
}

/// How the router goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bounce {
    /// SIGKILL: the kernel closes its sockets, no NOTIFICATION.
    Kill,
    /// SIGTERM: it sends a Cease and withdraws its kernel routes.
    Stop,
}

impl Bounce {
    /// What the daemon's `session down` line gives as the reason.
    fn reason(self) -> &'static str {
        match self {
            Bounce::Kill => "connection closed",
            Bounce::Stop => "received notification",
        }
    }
}

/// The router goes away as `how` says and starts again; checks and
/// measures what [`a_killed_or_stopped_router_gets_both_routes_back_by_itself`] says.
fn bounce(lab: &mut DaemonTestbed, how: Bounce) -> Result<()> {
    let down = count_lines(lab, &[SESSION_DOWN, how.reason()])?;
    let up = count_lines(lab, &[ESTABLISHED])?;
    let gone = Instant::now();
    match how {
        Bounce::Kill => lab.router.kill()?,
        Bounce::Stop => lab.router.stop()?,
    }
    let verb = match how {
        Bounce::Kill => "killed",
        Bounce::Stop => "stopped",
    };
    for (web, seen) in lab.webs.iter().zip(down) {
        let (took, error) = wait_peer_down(web, gone, NOTICE_LIMIT)?;
        measured(
            &format!("router {verb} → {} status shows the peer down", web.name),
            took,
        );
        eprintln!("[lab] {} peer: {error}", web.name);
        wait_log(web, &[SESSION_DOWN, how.reason()], seen)?;
        expect_status_check(web, false, &ROUTER_V4.to_string())?;
    }
    let started = Instant::now();
    lab.router.start_again()?;
    let took = wait_learned_from_both(lab, started, RECONNECT_LIMIT)?;
    measured(
        &format!("router {verb} and started → both paths learned by the router"),
        took,
    );
    let took = lab.wait_next_hops(VIP, &lab.both(), started, RECONNECT_LIMIT)?;
    measured(
        &format!("router {verb} and started → kernel route via both"),
        took,
    );
    for (web, seen) in lab.webs.iter().zip(up) {
        wait_log(web, &[ESTABLISHED], seen)?;
        expect_vip(&web.announcer.status()?, VIP, true, true)?;
        expect_status_check(web, true, "")?;
    }
    Ok(())
}

/// The announcers start while the router is down and its address absent:
/// each keeps retrying with a bounded backoff (a few attempts, not a storm),
/// shows the peer down with an error, and announces as soon as the router
/// is reachable.
pub fn announcers_started_before_the_router_announce_once_it_is_reachable(
    bed: Bed,
    test: &str,
) -> Result<()> {
    let options = TestbedOptions {
        router_unreachable: true,
        ..TestbedOptions::default()
    };
    faulted(bed, options, test, |lab| {
        let started = Instant::now();
        let peer = crate::topology::ROUTER_V4.to_string();
        holds_for("the peer not Established", UNREACHABLE_FOR, POLL, || {
            for web in &lab.webs {
                let status = web.announcer.status().map_err(|e| e.to_string())?;
                let state = status.peer(&peer).map_err(|e| e.to_string())?;
                if state.state == "Established" {
                    return Err(format!("{} is Established: {}", web.name, status.raw));
                }
            }
            Ok(())
        })?;
        for web in &lab.webs {
            let (_, error) = wait_peer_down(web, started, Duration::ZERO)?;
            eprintln!("[lab] {} peer: {error}", web.name);
            expect_retries(web, started.elapsed())?;
        }
        let up = Instant::now();
        lab.bring_router_up()?;
        let took = wait_learned_from_both(lab, up, RECONNECT_LIMIT)?;
        measured("router reachable → both paths learned by the router", took);
        let took = lab.wait_next_hops(VIP, &lab.both(), up, RECONNECT_LIMIT)?;
        measured("router reachable → kernel route via both", took);
        for web in &lab.webs {
            wait_log(web, &[ESTABLISHED], 0)?;
            expect_vip(&web.announcer.status()?, VIP, true, true)?;
        }
        Ok(())
    })
}

/// Fails unless `web`'s log shows [`MIN_ATTEMPTS`] to [`MAX_ATTEMPTS`]
/// connection attempts in `period`, at least one of them failed with its
/// reason.
fn expect_retries(web: &Web, period: Duration) -> Result<()> {
    let attempts = log_lines(web, &[CONNECTING])?.len();
    let failed = log_lines(web, &[CONNECT_FAILED])?;
    let what = format!(
        "{} while the router was unreachable (at least {:.1} s)",
        web.name,
        period.as_secs_f64()
    );
    measured_count(&format!("connection attempts by {what}"), attempts);
    measured_count(
        &format!("failed connection attempts by {what}"),
        failed.len(),
    );
    let Some(first) = failed.first() else {
        return Err(Error::Check(format!(
            "no {CONNECT_FAILED:?} logged by {what}"
        )));
    };
    eprintln!("[lab] {} log: {}", web.name, first.trim());
    if (MIN_ATTEMPTS..=MAX_ATTEMPTS).contains(&attempts) {
        return Ok(());
    }
    Err(Error::Check(format!(
        "expected {MIN_ATTEMPTS} to {MAX_ATTEMPTS} connection attempts by {what}, got {attempts}"
    )))
}

/// How many lines with every one of `needles` each web server's log has.
fn count_lines(lab: &DaemonTestbed, needles: &[&str]) -> Result<Vec<usize>> {
    lab.webs
        .iter()
        .map(|web| log_lines(web, needles).map(|lines| lines.len()))
        .collect()
}

/// Waits until the router has learned [`VIP`] from both web servers over
/// Established sessions; returns the time from `since`.
fn wait_learned_from_both(
    lab: &DaemonTestbed,
    since: Instant,
    limit: Duration,
) -> Result<Duration> {
    let want = lab.both();
    let what = format!("the router to learn {VIP} from {want:?}");
    let left = limit.saturating_sub(since.elapsed());
    wait_until(&what, left, crate::daemon_testbed::FINE_POLL, || {
        let routes = lab.router.routes().map_err(|e| e.to_string())?;
        let mut from: Vec<IpAddr> = routes
            .iter()
            .filter(|route| route.prefix == VIP)
            .map(|route| route.from)
            .collect();
        from.sort();
        if from == want {
            Ok(since.elapsed())
        } else {
            Err(format!("{VIP} learned from {from:?}"))
        }
    })
}
