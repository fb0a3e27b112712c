//! The fault suite: what the daemon does when the world around it breaks.
//! Each scenario builds a [`DaemonTestbed`] with a second VIP, 203.0.113.20/32,
//! configured next to [`VIP`](crate::daemon_testbed::VIP) and kept in
//! maintenance on both web servers, injects one fault, and asserts on the
//! routes the router has, on `announcer status --json`, on the daemon's
//! log, and finally that the maintenance state survived untouched (status,
//! state file, no route at the router) with both daemons still running and
//! no panic logged. Timed steps and counts print `measured:` lines.
//!
//! `router`: the router killed or stopped and started again, and
//! unreachable while the announcers start; `link`: a web server's link down and up; `checks`: a
//! health endpoint that stalls mid-response or never answers, and an exec
//! check that never exits; `reload`: SIGHUP with a broken file;
//! `state_dir`: a read-only and a full state directory; `commands`: 1,000
//! `withdraw --now`/`announce` in a row; `unbound`: the VIP removed by hand,
//! as an address from `lo` and as a `local` route. `procfs` reads what the cases look at in `/proc`:
//! processes, open file descriptors, resident memory.

mod checks;
mod commands;
mod link;
mod procfs;
mod reload;
mod router;
mod state_dir;
mod unbound;

pub use checks::{
    a_stalled_health_endpoint_withdraws_the_server, an_exec_check_that_never_exits_is_killed,
};
pub use commands::a_thousand_maintenance_commands_end_in_the_last_state;
pub use link::a_link_down_and_up_drops_and_restores_the_route;
pub use reload::a_broken_file_on_sighup_keeps_the_running_configuration;
pub use router::{
    a_killed_or_stopped_router_gets_both_routes_back_by_itself,
    announcers_started_before_the_router_announce_once_it_is_reachable,
};
pub use state_dir::{an_unusable_state_dir_refuses_maintenance_and_changes_nothing, Unusable};
pub use unbound::a_vip_removed_by_hand_is_withdrawn_bound_again_and_announced;

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{SETTLE, WITHDRAW_LIMIT};
use crate::daemon::{CHECK_INTERVAL, CHECK_TIMEOUT, FALL};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, FINE_POLL};
use crate::error::{Error, Result};
use crate::kernel::next_hops;
use crate::wait::wait_until;

/// The VIP every web server keeps in maintenance throughout a case.
const MAINT_VIP: &str = "203.0.113.20/32";
/// The maintenance reason of [`MAINT_VIP`].
const MAINT_REASON: &str = "fault suite: kept in maintenance";
/// The maintenance state file in `state_dir` (the daemon's format: an
/// object from prefix to `{reason, since_unix}`).
const STATE_FILE: &str = "maintenance.json";
/// How long a log line may take to appear after what causes it.
const LOG_LIMIT: Duration = Duration::from_secs(5);
/// The longest `announcer status` may take while a check hangs.
const STATUS_LIMIT: Duration = Duration::from_secs(1);

/// Prints a count for the report (shown with `--nocapture`).
fn measured_count(what: &str, value: impl std::fmt::Display) {
    eprintln!("measured: {what}: {value}");
}

/// The bound of a check that stops answering: fall × (interval + timeout) + 1 s.
fn stalled_check_limit() -> Duration {
    (CHECK_INTERVAL + CHECK_TIMEOUT) * FALL + Duration::from_secs(1)
}

/// Starts a lab with `options` (plus [`MAINT_VIP`]), waits until both web
/// servers announce [`VIP`] (unless the router starts unreachable), puts
/// [`MAINT_VIP`] in maintenance on both, runs `body`, and checks that the
/// maintenance state was kept and the daemons are still running. Skips
/// (Ok) when the lab cannot run here.
fn faulted(
    bed: Bed,
    options: TestbedOptions,
    test: &str,
    body: impl FnOnce(&mut DaemonTestbed) -> Result<()>,
) -> Result<()> {
    let options = TestbedOptions {
        extra_vips: vec![MAINT_VIP.to_owned()],
        ..options
    };
    let Some(lab) = DaemonTestbed::start_with(bed, &options, test)? else {
        return Ok(());
    };
    lab.run(|lab| {
        if !options.router_unreachable {
            lab.wait_all_announced(SETTLE)?;
        }
        let baseline = Baseline::take(lab)?;
        body(lab)?;
        baseline.expect_kept(lab)
    })
}

/// [`MAINT_VIP`]'s maintenance on each web server, as set at the start.
struct Baseline {
    /// Per web server: the status entry's `since_unix` and the state file.
    webs: Vec<(f64, Value)>,
}

impl Baseline {
    /// Puts [`MAINT_VIP`] in maintenance on both web servers (at once), waits
    /// until the router has no route for it, and records the state.
    fn take(lab: &DaemonTestbed) -> Result<Self> {
        for web in &lab.webs {
            web.announcer
                .control(&["withdraw", "--now", MAINT_VIP, "--reason", MAINT_REASON])?;
        }
        lab.wait_next_hops(MAINT_VIP, &[], Instant::now(), WITHDRAW_LIMIT)?;
        let mut webs = Vec::new();
        for web in &lab.webs {
            let since = maintenance_since(web)?;
            webs.push((since, state_file(web)?));
        }
        Ok(Baseline { webs })
    }

    /// Checks that each web server still has [`MAINT_VIP`] in maintenance
    /// with the same reason and time, in its status and in its state file
    /// (whatever else the file holds), that the router has no route for it,
    /// that each daemon still runs and that no log shows a panic.
    fn expect_kept(&self, lab: &mut DaemonTestbed) -> Result<()> {
        for (web, (since, file)) in lab.webs.iter().zip(&self.webs) {
            let now_since = maintenance_since(web)?;
            let now_file = state_file(web)?;
            if now_since != *since || now_file.get(MAINT_VIP) != file.get(MAINT_VIP) {
                return Err(Error::Check(format!(
                    "{}: maintenance of {MAINT_VIP} changed: since {since} → {now_since}, state file {file} → {now_file}",
                    web.name
                )));
            }
            if web.announcer.log_text()?.contains("panicked") {
                return Err(Error::Check(format!("{}'s announcer panicked", web.name)));
            }
        }
        for web in &mut lab.webs {
            if !web.announcer.is_running()? {
                return Err(Error::Check(format!("{}'s announcer exited", web.name)));
            }
        }
        let hops = next_hops(&lab.topology.rtr, MAINT_VIP)?;
        let learned = lab
            .router
            .routes()?
            .into_iter()
            .filter(|route| route.prefix == MAINT_VIP)
            .count();
        if hops.is_empty() && learned == 0 {
            return Ok(());
        }
        Err(Error::Check(format!(
            "{MAINT_VIP} is in maintenance but the router has it: kernel via {hops:?}, {learned} path(s) learned"
        )))
    }
}

/// When [`MAINT_VIP`]'s maintenance began on `web`, checking its reason.
fn maintenance_since(web: &Web) -> Result<f64> {
    let status = web.announcer.status()?;
    let vip = status.vip(MAINT_VIP)?;
    status.expect(!vip.announced, &format!("{MAINT_VIP} not announced"))?;
    match &vip.maintenance {
        Some(m) if m.reason.as_deref() == Some(MAINT_REASON) => Ok(m.since_unix),
        _ => Err(Error::Check(format!(
            "{}: expected {MAINT_VIP} in maintenance ({MAINT_REASON:?}); status: {}",
            web.name, status.raw
        ))),
    }
}

/// `web`'s maintenance state file, parsed (as its daemon sees it).
fn state_file(web: &Web) -> Result<Value> {
    let path = web.announcer.state_dir_seen()?.join(STATE_FILE);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
    serde_json::from_str(&text).map_err(|e| Error::parse(path.display().to_string(), e.to_string()))
}

/// The lines of `web`'s daemon log that contain every one of `needles`.
fn log_lines(web: &Web, needles: &[&str]) -> Result<Vec<String>> {
    Ok(web
        .announcer
        .log_text()?
        .lines()
        .filter(|line| needles.iter().all(|needle| line.contains(needle)))
        .map(str::to_owned)
        .collect())
}

/// Waits until `web`'s log has more than `seen` lines containing every one
/// of `needles`; returns the newest one (also printed).
fn wait_log(web: &Web, needles: &[&str], seen: usize) -> Result<String> {
    let what = format!("{}'s log to show a new line with {needles:?}", web.name);
    let line = wait_until(&what, LOG_LIMIT, FINE_POLL, || {
        let lines = log_lines(web, needles).map_err(|e| e.to_string())?;
        match lines.last() {
            Some(line) if lines.len() > seen => Ok(line.clone()),
            _ => Err(format!("{} such line(s)", lines.len())),
        }
    })?;
    eprintln!("[lab] {} log: {}", web.name, line.trim());
    Ok(line)
}

/// Waits until `web`'s daemon shows its peer (the router) not Established
/// with a last error; returns how long that took from `since`, and the error.
fn wait_peer_down(web: &Web, since: Instant, limit: Duration) -> Result<(Duration, String)> {
    let what = format!("{}'s status to show the peer down with an error", web.name);
    let peer = crate::topology::ROUTER_V4.to_string();
    wait_until(&what, limit, FINE_POLL, || {
        let status = web.announcer.status().map_err(|e| e.to_string())?;
        let state = status.peer(&peer).map_err(|e| e.to_string())?;
        match &state.last_error {
            Some(error) if state.state != "Established" && !error.trim().is_empty() => {
                Ok((since.elapsed(), format!("{}: {error}", state.state)))
            }
            _ => Err(status.raw.clone()),
        }
    })
}

/// Times how long `announcer status` takes on `web`, failing if it does not
/// answer or takes longer than [`STATUS_LIMIT`].
fn timed_status(web: &Web) -> Result<Duration> {
    let start = Instant::now();
    web.announcer.status()?;
    let took = start.elapsed();
    if took > STATUS_LIMIT {
        return Err(Error::Check(format!(
            "`announcer status` on {} took {took:?} (limit {STATUS_LIMIT:?})",
            web.name
        )));
    }
    Ok(took)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stalled_check_is_bounded_by_fall_probes_of_interval_plus_timeout() {
        assert_eq!(stalled_check_limit(), Duration::from_millis(2600));
    }
}
