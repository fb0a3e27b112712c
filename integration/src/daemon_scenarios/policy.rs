//! The failure policy against the router: a soft check moves traffic off a server while its
//! route stays (prepended); with `on_failure = "degrade"` a failure shared by every server
//! keeps the VIP reachable; with `require = "any"` one passing check keeps a server in.

use std::path::Path;
use std::time::Instant;

use super::{
    expect_answers, measured, restart_with, settled, RETURN_LIMIT, SETTLE, WITHDRAW_LIMIT,
};
use crate::daemon_testbed::{Bed, DaemonTestbed, VIP, VIP_ADDRESS};
use crate::error::{Error, Result};
use crate::wait::{holds_for, POLL};

/// The default `[degraded]` prepend.
const DEGRADED_PREPEND: usize = 3;

/// A file check named `name` on `path`, passing while it is absent (a "busy" flag) or while
/// it exists (an "alive" flag).
fn file_check(name: &str, path: &Path, pass_if: &str) -> String {
    format!(
        "\n[[check]]\nname = \"{name}\"\ntype = \"file\"\npath = \"{}\"\npass_if = \"{pass_if}\"\ninterval = \"500ms\"\nrise = 2\nfall = 2\n",
        path.display()
    )
}

/// See the module documentation.
pub fn the_failure_policy_steers_traffic_and_fails_open(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let busy = lab.web(2)?.dir().join("busy");
        let check = file_check("busy", &busy, "absent");
        restart_with(lab, 2, |config| {
            config.vip_keys = "soft_checks = [\"busy\"]\n".to_owned();
            config.extra = check;
        })?;
        lab.wait_all_announced(SETTLE)?;
        soft_check_moves_traffic(lab, &busy)?;
        for n in [1, 2] {
            restart_with(lab, n, |config| {
                config.vip_keys = "on_failure = \"degrade\"\n".to_owned();
                config.extra.clear();
            })?;
        }
        lab.wait_all_announced(SETTLE)?;
        every_server_failing_keeps_the_vip(lab)?;
        let alive = lab.web(1)?.dir().join("alive");
        std::fs::write(&alive, "")
            .map_err(|e| Error::io(format!("write {}", alive.display()), e))?;
        let check = file_check("alive", &alive, "exists");
        restart_with(lab, 1, |config| {
            config.vip_keys = "require = \"any\"\n".to_owned();
            config.more_checks = vec!["alive".to_owned()];
            config.extra = check;
        })?;
        lab.wait_all_announced(SETTLE)?;
        one_passing_check_is_enough(lab)
    })
}

/// `touch busy` on web2: the router moves to web1 alone, still holding web2's route with
/// the degraded prepend; status names the check; `rm busy` brings web2 back.
fn soft_check_moves_traffic(lab: &mut DaemonTestbed, busy: &Path) -> Result<()> {
    let (web1, web2) = (lab.web(1)?.peer(), lab.web(2)?.peer());
    let start = Instant::now();
    std::fs::write(busy, "").map_err(|e| Error::io(format!("write {}", busy.display()), e))?;
    let took = lab.wait_next_hops(VIP, &[web1], start, super::withdrawal::health_fail_limit())?;
    measured("soft check failing → traffic moved to web1", took);
    let routes = lab.router.routes()?;
    let degraded = routes
        .iter()
        .find(|r| r.prefix == VIP && r.from == web2)
        .ok_or_else(|| Error::Check(format!("no route from web2 while degraded: {routes:?}")))?;
    if degraded.as_path.len() != 1 + DEGRADED_PREPEND {
        return Err(Error::Check(format!("web2's degraded route: {degraded:?}")));
    }
    let status = lab.web(2)?.announcer.status()?;
    if !status.raw.contains("\"degraded\": \"busy\"") {
        return Err(Error::Check(format!(
            "status does not say degraded by busy: {}",
            status.raw
        )));
    }
    std::fs::remove_file(busy).map_err(|e| Error::io(format!("remove {}", busy.display()), e))?;
    lab.wait_next_hops(VIP, &lab.both(), Instant::now(), RETURN_LIMIT)?;
    Ok(())
}

/// Both servers' health checks fail with `on_failure = "degrade"`: the route never leaves
/// the router (one server may be degraded before the other), then it is via both again,
/// equally degraded, and the client is answered.
fn every_server_failing_keeps_the_vip(lab: &mut DaemonTestbed) -> Result<()> {
    let both = lab.both();
    let start = Instant::now();
    for n in [1, 2] {
        lab.web(n)?.set_healthy(false)?;
    }
    let window = super::withdrawal::health_fail_limit();
    holds_for(
        "a route for the VIP while every check fails",
        window,
        POLL,
        || match crate::kernel::next_hops(&lab.topology.rtr, VIP) {
            Ok(hops) if !hops.is_empty() => Ok(()),
            Ok(hops) => Err(format!("next hops {hops:?}")),
            Err(e) => Err(e.to_string()),
        },
    )?;
    lab.wait_next_hops(VIP, &both, start, window + RETURN_LIMIT)?;
    let status = lab.web(1)?.announcer.status()?;
    if !status.raw.contains("failing open") {
        return Err(Error::Check(format!(
            "status does not say it fails open: {}",
            status.raw
        )));
    }
    let answers = expect_answers(lab, VIP_ADDRESS, &["web1", "web2"]);
    for n in [1, 2] {
        lab.web(n)?.set_healthy(true)?;
    }
    answers
}

/// web1 with `require = "any"` over its health check and `alive`: the health check failing
/// keeps web1 in; `alive` removed too takes it out within the withdraw bound of a failure.
fn one_passing_check_is_enough(lab: &mut DaemonTestbed) -> Result<()> {
    let (web2, both) = (lab.web(2)?.peer(), lab.both());
    lab.web(1)?.set_healthy(false)?;
    holds_for(
        "web1 in while one of its checks passes",
        super::withdrawal::health_fail_limit(),
        POLL,
        || match crate::kernel::next_hops(&lab.topology.rtr, VIP) {
            Ok(hops) if hops == both => Ok(()),
            Ok(hops) => Err(format!("next hops {hops:?}")),
            Err(e) => Err(e.to_string()),
        },
    )?;
    let alive = lab.web(1)?.dir().join("alive");
    let start = Instant::now();
    std::fs::remove_file(&alive)
        .map_err(|e| Error::io(format!("remove {}", alive.display()), e))?;
    let took = lab.wait_next_hops(
        VIP,
        &[web2],
        start,
        super::withdrawal::health_fail_limit() + WITHDRAW_LIMIT,
    )?;
    measured(
        "require any: the last passing check fails → withdrawn",
        took,
    );
    lab.web(1)?.set_healthy(true)
}
