//! The VIP removed from `lo` behind the daemon's back (`ip addr del`): it
//! must be withdrawn, bound again and announced again, and the log says so.
//! Then the same VIP bound as a `local` route (`bind = "route"`): served
//! through the router with no address on `lo`, and its route deleted by hand
//! (`ip route del`) is noticed the same way.

use std::time::{Duration, Instant};

use super::{faulted, log_lines, wait_log};
use crate::daemon_scenarios::{
    expect_answers, expect_vip, measured, restart_changed, RETURN_LIMIT, SETTLE, WITHDRAW_LIMIT,
};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, FINE_POLL, VIP, VIP_ADDRESS};
use crate::error::{Error, Result};
use crate::routers::ReceivedUpdates;
use crate::wait::wait_until;

/// The daemon's log line when a VIP disappears from its interface.
const REMOVED: &str = "VIP removed from its interface";
/// The daemon's log line when it has bound a VIP (`bound prefix=...`).
const BOUND: &str = ": bound prefix=";
/// What `status --json` says of a VIP bound as a local route.
const LOCAL_ROUTE: &str = "\"bind\": \"route\"";

/// `ip addr del VIP dev lo` in web1's namespace: the router receives a
/// withdrawal from web1 within a second; the daemon binds the VIP again and
/// the router receives it announced again, with the kernel route via both;
/// the log says the VIP was removed and bound again.
pub fn a_vip_removed_by_hand_is_withdrawn_bound_again_and_announced(
    bed: Bed,
    test: &str,
) -> Result<()> {
    faulted(bed, TestbedOptions::default(), test, |lab| {
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
            return Err(Error::Check(format!("{VIP} is not back on web1's lo")));
        }
        expect_vip(&web1.announcer.status()?, VIP, true, true)?;
        a_local_route_removed_is_bound_again(lab)
    })
}

/// web1 restarted with `bind = "route"`, its address taken off `lo` while no
/// announcer runs: the VIP is a `local` route in web1's `local` table and no
/// address, status says so, and the client reaches both servers. `ip route
/// del` of that route: withdrawn, added again, announced again.
fn a_local_route_removed_is_bound_again(lab: &mut DaemonTestbed) -> Result<()> {
    restart_changed(
        lab,
        1,
        |web| web.ns.ip(&["addr", "del", VIP, "dev", "lo"]).map(drop),
        |config| config.vip_keys = "bind = \"route\"\n".to_owned(),
    )?;
    lab.wait_all_announced(SETTLE)?;
    let web1 = lab.web(1)?;
    expect_routed(web1)?;
    let status = web1.announcer.status()?;
    if !status.raw.contains(LOCAL_ROUTE) {
        return Err(Error::Check(format!(
            "status does not say {LOCAL_ROUTE}: {}",
            status.raw
        )));
    }
    expect_answers(lab, VIP_ADDRESS, &["web1", "web2"])?;
    let removed = log_lines(web1, &[REMOVED])?.len();
    let bound = log_lines(web1, &[BOUND, VIP])?.len();
    let start = Instant::now();
    web1.ns
        .ip(&["route", "del", "local", VIP, "dev", "lo", "table", "local"])?;
    wait_log(web1, &[REMOVED], removed)?;
    wait_log(web1, &[BOUND, VIP], bound)?;
    let took = lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
    measured("local route removed → kernel route via both again", took);
    expect_routed(web1)?;
    expect_vip(&web1.announcer.status()?, VIP, true, true)
}

/// `VIP` is a `local` route of announcer's in `web`'s `local` table, and not on its `lo`.
fn expect_routed(web: &Web) -> Result<()> {
    let address = VIP.trim_end_matches("/32");
    let routes = web
        .ns
        .ip(&["route", "show", "table", "local", "proto", "static"])?;
    let routed = routes
        .lines()
        .any(|line| line.split_whitespace().take(2).eq(["local", address]));
    if !routed || web.has_on_lo(VIP)? {
        return Err(Error::Check(format!(
            "{VIP} is not a local route alone on {}: routes {routes:?}",
            web.name
        )));
    }
    Ok(())
}

/// Waits until what the router received from web1 satisfies `done`, at
/// most until `start + limit`; returns the time from `start`.
fn wait_received(
    lab: &DaemonTestbed,
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
