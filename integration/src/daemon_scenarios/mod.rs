//! The end-to-end scenarios of the `announcer` daemon, shared by the
//! per-router test files: each builds a [`DaemonTestbed`], acts on a web server
//! (its health, `announcer withdraw`/`announce`, signals, its config) and
//! asserts on what the router's kernel, the router and the client see, and
//! on `announcer status --json`. Timed steps print a `measured:` line.
//!
//! `withdrawal`: health failure, `announcer withdraw`, SIGTERM and SIGINT;
//! `session`: hold-time expiry of a frozen daemon and SIGHUP reloads;
//! `bfd`: BFD with the router (failures it detects, stops, restarts, reloads);
//! `day_two`: metrics, JSON logs, `check-config --diff` and `announcer reload`.

pub mod bfd;
mod day_two;
pub mod faults;
mod graceful;
mod policy;
mod secrets;
mod session;
mod systemd;
mod timed_maintenance;
mod withdrawal;

pub use day_two::metrics_logs_and_reload_follow_the_server;
pub use graceful::{a_drain_moves_traffic_before_the_withdraw, a_graceful_restart_keeps_the_route};
pub use policy::the_failure_policy_steers_traffic_and_fails_open;
pub use secrets::the_md5_password_never_appears_in_logs_status_or_errors;
pub use session::{
    a_frozen_daemon_loses_its_route_at_hold_expiry, sighup_adds_a_vip_without_resetting_the_session,
};
pub use systemd::the_daemon_notifies_systemd_and_pings_its_watchdog;
pub use timed_maintenance::a_maintenance_for_a_time_ends_by_itself_across_a_restart;
pub use withdrawal::{
    a_failing_health_check_withdraws_the_server, maintenance_withdraws_and_survives_a_restart,
    sigterm_withdraws_and_says_why,
};

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::daemon::RISE;
use crate::daemon_testbed::{
    start_web_server, Bed, DaemonTestbed, TestbedOptions, Web, HEALTH_PORT, HTTP_PORT, VIP,
    VIP_ADDRESS,
};
use crate::error::{Error, Result};
use crate::http::{get_many, get_once};
use crate::routers::RouterKind;
use crate::status::Status;
use crate::topology::ROUTER_V4;

/// Sessions up and the VIP announced by both, from the lab's start.
const SETTLE: Duration = Duration::from_secs(30);
/// `announcer withdraw` and SIGTERM to next hop gone (the contract's bound).
const WITHDRAW_LIMIT: Duration = Duration::from_secs(1);
/// SIGTERM to process exit (the contract's bound).
const EXIT_LIMIT: Duration = Duration::from_secs(2);
/// A health recovery, `announcer announce` or a reload to next hop back.
const RETURN_LIMIT: Duration = Duration::from_secs(5);
/// The hold time of the frozen-daemon scenario.
const HOLD_TIME: Duration = Duration::from_secs(3);
/// Slack past [`HOLD_TIME`] for the router to notice and the kernel to follow.
const HOLD_MARGIN: Duration = Duration::from_secs(2);
/// A resumed daemon reconnecting and announcing again (router back-off included).
const RECONNECT_LIMIT: Duration = Duration::from_secs(30);
/// Short connections per client tally.
const GETS: usize = 40;
/// A second VIP, added by a reload.
const VIP2: &str = "203.0.113.20/32";
/// [`VIP2`]'s address.
const VIP2_ADDRESS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 20);
/// The reason given to `announcer withdraw`.
const MAINTENANCE_REASON: &str = "maint";

/// Starts the testbed `bed` with the daemon's default hold time, waits until both web
/// servers announce the VIP, and runs `body` in it; skips (Ok) when the lab cannot run here.
fn settled(
    bed: Bed,
    test: &str,
    body: impl FnOnce(&mut DaemonTestbed) -> Result<()>,
) -> Result<()> {
    settled_with(bed, &TestbedOptions::default(), test, body)
}

/// [`settled`] with the variations of `options`.
fn settled_with(
    bed: Bed,
    options: &TestbedOptions,
    test: &str,
    body: impl FnOnce(&mut DaemonTestbed) -> Result<()>,
) -> Result<()> {
    let Some(lab) = DaemonTestbed::start_with(bed, options, test)? else {
        return Ok(());
    };
    match lab.wait_all_announced(SETTLE) {
        Ok(()) => lab.run(body),
        Err(error) => Err(lab.failure(error)),
    }
}

/// Fails unless web1's announcer still runs after `what` (a refused reload).
fn expect_still_running(lab: &mut DaemonTestbed, what: &str) -> Result<()> {
    if lab.web_mut(1)?.announcer.is_running()? {
        Ok(())
    } else {
        Err(Error::Check(format!("announcer exited on {what}")))
    }
}

/// Prints a figure for the report (shown with `--nocapture`).
fn measured(what: &str, took: Duration) {
    eprintln!("measured: {what} took {} ms", took.as_millis());
}

/// [`expect_vip`] for a VIP serving normally: announced, its checks healthy, and no
/// maintenance on it.
fn expect_serving(status: &Status, prefix: &str) -> Result<()> {
    expect_vip(status, prefix, true, true)?;
    status.expect(
        status.vip(prefix)?.maintenance.is_none(),
        &format!("no maintenance of {prefix}"),
    )
}

/// Restarts web `n`'s announcer (SIGTERM, then a new process) after `change` to its
/// configuration; `stopped` runs while no announcer runs there.
fn restart_changed(
    lab: &mut DaemonTestbed,
    n: usize,
    stopped: impl FnOnce(&crate::daemon_testbed::Web) -> Result<()>,
    change: impl FnOnce(&mut crate::daemon::AnnouncerConfig),
) -> Result<()> {
    let web = lab.web_mut(n)?;
    web.announcer.signal("TERM")?;
    web.announcer.wait_exit(EXIT_LIMIT)?;
    stopped(web)?;
    web.announcer.update_config(change)?;
    web.announcer.start()
}

/// [`restart_changed`] with nothing to do in between.
fn restart_with(
    lab: &mut DaemonTestbed,
    n: usize,
    change: impl FnOnce(&mut crate::daemon::AnnouncerConfig),
) -> Result<()> {
    restart_changed(lab, n, |_| Ok(()), change)
}

/// Checks `status` shows `prefix` announced (or not) with its checks healthy
/// (or not) and the peer Established.
fn expect_vip(status: &Status, prefix: &str, announced: bool, healthy: bool) -> Result<()> {
    let vip = status.vip(prefix)?;
    status.expect(vip.bound, &format!("{prefix} bound"))?;
    status.expect(
        vip.announced == announced,
        &format!("{prefix} announced: {announced}"),
    )?;
    status.expect(
        !vip.checks.is_empty() && vip.all_checks_healthy() == healthy,
        &format!("{prefix} checks healthy: {healthy}"),
    )?;
    status.expect(!vip.why.trim().is_empty(), &format!("a why for {prefix}"))?;
    let peer = status.peer(&ROUTER_V4.to_string())?;
    status.expect(peer.state == "Established", "the peer Established")
}

/// `announcer status --check` on `web`: exit 0 when `healthy`, otherwise exit 1 with a
/// line naming `problem` (the monitoring contract).
fn expect_status_check(web: &Web, healthy: bool, problem: &str) -> Result<()> {
    let output = web.announcer.client(&["status", "--check"])?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output.status.code();
    let right = if healthy {
        code == Some(0)
    } else {
        code == Some(1) && said.contains(problem)
    };
    if right {
        return Ok(());
    }
    Err(Error::Check(format!(
        "{}: `announcer status --check` exited {code:?} (healthy: {healthy}, naming {problem:?}):\n{said}",
        web.name
    )))
}

/// Checks `status` shows exactly `count` routes sent to the router.
fn expect_routes_sent(status: &Status, count: u64) -> Result<()> {
    let peer = status.peer(&ROUTER_V4.to_string())?;
    status.expect(peer.routes_sent == count, &format!("routes_sent {count}"))
}

/// Fails unless every GET was answered and `servers` all answered.
fn expect_answers(lab: &DaemonTestbed, address: Ipv4Addr, servers: &[&str]) -> Result<()> {
    let tally = lab.client_gets(address, GETS)?;
    let all_from_them: usize = servers.iter().map(|s| tally.answers_from(s)).sum();
    if tally.failures.is_empty()
        && all_from_them == GETS
        && servers.iter().all(|s| tally.answers_from(s) > 0)
    {
        eprintln!(
            "[lab] {GETS} GETs of http://{address}/: {:?}",
            tally.answers
        );
        return Ok(());
    }
    Err(Error::Check(format!(
        "expected all {GETS} GETs of {address} answered by {servers:?}, each at least once; got {tally:?}"
    )))
}

/// The lab without the daemon: with the VIP put on each web server's `lo`
/// and a static multipath route in the router, the client is answered by
/// both servers, and each `/healthz` follows its health file. When this
/// passes and a daemon scenario fails, the daemon is at fault.
pub fn the_lab_serves_both_web_servers_through_a_static_route(
    web_server: &str,
    test: &str,
) -> Result<()> {
    if !crate::preflight::require_host(RouterKind::Bird, test)? {
        return Ok(());
    }
    let topology = crate::topology::Topology::new(2)?;
    topology.route_speakers_via_router()?;
    let client = topology.add_client()?;
    let web_server = crate::preflight::require_built(web_server, test)?;
    let mut servers = Vec::new();
    let mut route = vec!["route", "add", VIP];
    let hops: Vec<String> = topology.speakers.iter().map(|h| h.v4.to_string()).collect();
    for (index, host) in topology.speakers.iter().enumerate() {
        let name = format!("web{}", index + 1);
        let dir = topology.subdir(&name)?;
        let health_file = dir.join("unhealthy");
        servers.push(start_web_server(
            &web_server,
            &host.ns,
            &dir,
            &name,
            &health_file,
        )?);
        host.ns.ip(&["addr", "add", VIP, "dev", "lo"])?;
        std::fs::write(&health_file, "")
            .map_err(|e| Error::io(format!("write {}", health_file.display()), e))?;
        let health = std::net::SocketAddr::from((Ipv4Addr::LOCALHOST, HEALTH_PORT));
        let response = get_once(&host.ns, health, "/healthz")?;
        if response.status != 500 || response.body != "unhealthy" {
            return Err(Error::Check(format!(
                "{name} /healthz with its health file: {response:?}"
            )));
        }
    }
    for hop in &hops {
        route.extend(["nexthop", "via", hop.as_str()]);
    }
    topology.rtr.ip(&route)?;
    let tally = get_many(
        client.name(),
        std::net::SocketAddr::from((VIP_ADDRESS, HTTP_PORT)),
        "/",
        GETS,
    )?;
    eprintln!("[lab] {GETS} GETs through a static route: {tally:?}");
    if !tally.failures.is_empty()
        || tally.answers_from("web1") == 0
        || tally.answers_from("web2") == 0
    {
        return Err(Error::Check(format!(
            "expected answers from web1 and web2; got {tally:?}"
        )));
    }
    Ok(())
}

/// Both servers healthy: one multipath kernel route via both, the VIP on
/// each `lo`, the client answered by both, and status says so.
pub fn both_healthy_servers_share_the_vip(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        eprintln!(
            "[lab] {}",
            lab.topology
                .rtr
                .ip(&["route", "show", "exact", VIP])?
                .trim()
        );
        for web in &lab.webs {
            if !web.has_on_lo(VIP)? {
                return Err(Error::Check(format!("{VIP} is not on {}'s lo", web.name)));
            }
            let status = web.announcer.status()?;
            expect_serving(&status, VIP)?;
            let vip = status.vip(VIP)?;
            status.expect(vip.interface == "lo", "interface lo")?;
            status.expect(
                vip.checks.iter().all(|c| c.streak >= u64::from(RISE)),
                "check streaks of at least rise",
            )?;
            expect_routes_sent(&status, 1)?;
        }
        expect_answers(lab, VIP_ADDRESS, &["web1", "web2"])
    })
}
