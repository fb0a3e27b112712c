//! The VIP removed from `lo` behind the daemon's back (`ip addr del`): it
//! must be withdrawn, bound again and announced again, and the log says so.

use std::time::{Duration, Instant};

use super::{faulted, log_lines, spec, wait_log};
use crate::daemon_lab::{DaemonLab, LabOptions, FINE_POLL, VIP};
use crate::daemon_scenarios::{expect_vip, measured, RETURN_LIMIT, WITHDRAW_LIMIT};
use crate::error::Result;
use crate::routers::{ReceivedUpdates, RouterKind};
use crate::wait::wait_until;

/// The daemon's log line when a VIP disappears from its interface.
const REMOVED: &str = "VIP removed from its interface";
/// The daemon's log line when it has bound a VIP (`bound prefix=...`).
const BOUND: &str = ": bound prefix=";

/// `ip addr del VIP dev lo` in web1's namespace: the router receives a
/// withdrawal from web1 within a second; the daemon binds the VIP again and
/// the router receives it announced again, with the kernel route via both;
/// the log says the VIP was removed and bound again.
pub fn a_vip_removed_from_lo_is_withdrawn_bound_again_and_announced(
    router: RouterKind,
    web_server: &str,
    test: &str,
) -> Result<()> {
    faulted(
        spec(router),
        LabOptions::default(),
        (web_server, test),
        |lab| {
            let web1 = lab.web(1)?;
            let before = lab.router.received_updates(web1.peer())?;
            let removed = log_lines(web1, &[REMOVED])?.len();
            let bound = log_lines(web1, &[BOUND, VIP])?.len();
            let start = Instant::now();
            web1.ns.ip(&["addr", "del", VIP, "dev", "lo"])?;
            let took = wait_received(lab, "a withdrawal", (start, WITHDRAW_LIMIT), |now| {
                now.withdrawn > before.withdrawn
            })?;
            measured(
                "VIP removed from lo → withdrawal received by the router",
                took,
            );
            let took = wait_received(lab, "the route again", (start, RETURN_LIMIT), |now| {
                now.announced > before.announced
            })?;
            measured("VIP removed from lo → announced again", took);
            let took = lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
            measured("VIP removed from lo → kernel route via both again", took);
            wait_log(web1, &[REMOVED], removed)?;
            wait_log(web1, &[BOUND, VIP], bound)?;
            if !web1.has_on_lo(VIP)? {
                return Err(crate::error::Error::Check(format!(
                    "{VIP} is not back on web1's lo"
                )));
            }
            expect_vip(&web1.announcer.status()?, VIP, true, true)
        },
    )
}

/// Waits until what the router received from web1 satisfies `done`, at
/// most until `start + limit`; returns the time from `start`.
fn wait_received(
    lab: &DaemonLab,
    what: &str,
    (start, limit): (Instant, Duration),
    done: impl Fn(ReceivedUpdates) -> bool,
) -> Result<Duration> {
    let web1 = lab.web(1)?.peer();
    let left = limit.saturating_sub(start.elapsed());
    wait_until(
        &format!("the router to receive {what} from web1"),
        left,
        FINE_POLL,
        || match lab.router.received_updates(web1) {
            Ok(now) if done(now) => Ok(start.elapsed()),
            Ok(now) => Err(format!("{now:?}")),
            Err(e) => Err(e.to_string()),
        },
    )
}
