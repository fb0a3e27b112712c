//! A soft check failing, to traffic moved at the router: two announcer servers announce
//! the VIP (BIRD keeps both paths, `merge paths on`); the first one's soft check (a file
//! check, every 100 ms, fall 1) starts failing, so it announces the VIP with the
//! `[degraded]` prepend, and BIRD's kernel route goes via the second server alone. Timed
//! from the file's creation to that route change, as `ip monitor route` sees it in the
//! router's namespace. Each trial is a fresh lab; the trigger falls a random part of a
//! check interval after the route is via both.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::announcer;
use crate::failover::{phase, CHECK_INTERVAL};
use crate::plan::{Plan, Scenario, Speaker};
use crate::prefixes::{host_route, FAILOVER_VIP};
use crate::report::{Metric, Report, Row, Style, Unit};
use crate::route_watch::RouteWatch;
use crate::running::Running;
use crate::stop;
use crate::trial_rig::{write_file, TrialRig};
use announcer_harness::error::{Error, Result};
use announcer_harness::kernel::expect_next_hops;
use announcer_harness::routers::bird::BirdOptions;
use announcer_harness::routers::Mode;

/// How long both servers may take to get their paths into the router's kernel.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the traffic may take to move after the trigger.
const MOVE_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the kernel route is looked at while waiting for both paths.
const ROUTE_POLL: Duration = Duration::from_millis(20);
/// The daemon's log line for a VIP announced with its own attributes: until its soft check
/// first passes, a VIP is announced degraded, and two degraded paths are equal too.
const ANNOUNCED_PLAIN: &str = "announced: bound and all checks pass";
/// The soft check's name, and the file whose existence fails it.
const CHECK: &str = "busy";

/// The one metric: trigger to the route via the other server alone.
const MOVED: Metric = Metric {
    name: "trigger → traffic moved",
    unit: Unit::Millis,
    style: Style::Percentiles,
};

/// The report's row.
fn row() -> Row {
    Row {
        scenario: Scenario::Failover,
        group: "a soft check fails (file check every 100 ms, fall 1), two servers".to_owned(),
        speaker: Speaker::Announcer,
        label: "announcer soft_checks".to_owned(),
    }
}

/// Runs the soft-failure trials of `plan` into `report` (announcer only: no other speaker
/// has a degraded announcement).
pub fn run(plan: &Plan, report: &mut Report) {
    if !plan.runs(Speaker::Announcer) {
        return;
    }
    report.note(Scenario::Failover, "soft check: two announcer servers, each `soft_checks = [\"busy\"]` with a file check (interval 100ms, fall 1, rise 1); the first one's file appears after a random wait of up to one interval; timed until the router's kernel route is via the second server alone (`ip monitor route`)");
    let row = row();
    for trial in 0..plan.failover_trials {
        if stop::requested() {
            return;
        }
        eprint!(
            "failover trial {}/{}: {} ... ",
            trial + 1,
            plan.failover_trials,
            row.label
        );
        let moved = trial_once(plan, trial).map(|moved| moved.as_secs_f64() * 1000.0);
        report.trial(&row, MOVED, &moved);
    }
}

/// One server of the trial: its busy file, its log and its daemon.
struct Server {
    busy: PathBuf,
    /// The daemon's log (its stderr).
    log: PathBuf,
    daemon: Running,
}

/// One trial: the time from the first server's busy file to the route via the second.
fn trial_once(plan: &Plan, trial: usize) -> Result<Duration> {
    let lab = TrialRig::with_speakers(2, Mode::Passive, BirdOptions::default())?;
    let mut servers = Vec::with_capacity(2);
    for n in 1..=2 {
        servers.push(start_server(plan, &lab, n)?);
    }
    let result = measure(&lab, &mut servers, trial);
    result.map_err(|e| {
        let logs: Vec<String> = servers.iter().map(|s| s.daemon.logs()).collect();
        lab.failure(Error::Check(format!(
            "{e}\n===== servers =====\n{}",
            logs.join("\n-----\n")
        )))
    })
}

/// Starts announcer on server `n` with the VIP behind the soft check.
fn start_server(plan: &Plan, lab: &TrialRig, n: usize) -> Result<Server> {
    let host = lab.topology.speaker(n)?;
    let dir = lab.dir(&format!("web{n}"))?;
    let busy = dir.join(CHECK);
    let config = announcer::Config::new(host.v4, &dir, &[FAILOVER_VIP], Vec::new());
    let path = write_file(&dir, "announcer.toml", &soft_check_toml(&config, &busy))?;
    let daemon = announcer::spawn(&plan.binaries.announcer, &host.ns, &dir, &path)?;
    Ok(Server {
        busy,
        log: dir.join("announcer.stderr"),
        daemon,
    })
}

/// `config`'s TOML with its one VIP behind the soft check on `busy`.
fn soft_check_toml(config: &announcer::Config, busy: &Path) -> String {
    let toml = config.to_toml().replacen(
        "[[vip]]\n",
        &format!("[[vip]]\nsoft_checks = [\"{CHECK}\"]\n"),
        1,
    );
    format!(
        "{toml}\n[[check]]\nname = \"{CHECK}\"\ntype = \"file\"\npath = \"{}\"\npass_if = \"absent\"\ninterval = \"{}ms\"\nrise = 1\nfall = 1\n",
        busy.display(),
        CHECK_INTERVAL.as_millis()
    )
}

/// Waits for the route via both servers, then fails the first one's soft check and times
/// the route's move to the second.
fn measure(lab: &TrialRig, servers: &mut [Server], trial: usize) -> Result<Duration> {
    for server in servers.iter_mut() {
        let log = server.log.clone();
        server.daemon.poll_until(
            "the VIP announced plain (its soft check passing)",
            ANNOUNCE_TIMEOUT,
            ROUTE_POLL,
            || match std::fs::read_to_string(&log) {
                Ok(text) if text.contains(ANNOUNCED_PLAIN) => Ok(()),
                Ok(_) => Err("not yet".to_owned()),
                Err(e) => Err(format!("{}: {e}", log.display())),
            },
        )?;
    }
    let [first, _] = servers else {
        return Err(Error::Check(
            "a soft-failure trial needs two servers".to_owned(),
        ));
    };
    let vip = host_route(FAILOVER_VIP);
    let both: Vec<IpAddr> = [1, 2]
        .iter()
        .map(|&n| lab.topology.speaker(n).map(|host| host.peer_address()))
        .collect::<Result<_>>()?;
    first.daemon.poll_until(
        &format!("the kernel route {vip} via both servers"),
        ANNOUNCE_TIMEOUT,
        ROUTE_POLL,
        || expect_next_hops(&lab.topology.rtr, &vip, &both),
    )?;
    let watch = RouteWatch::start(&lab.topology.rtr, &lab.dir("watch")?)?;
    stop::sleep(phase(trial, CHECK_INTERVAL))?;
    let triggered = Instant::now();
    std::fs::write(&first.busy, "busy\n")
        .map_err(|e| Error::io(format!("write {}", first.busy.display()), e))?;
    let Some(&second) = both.get(1) else {
        return Err(Error::Check("the second server has no address".to_owned()));
    };
    let moved = watch.wait_only_via(FAILOVER_VIP, second, triggered, MOVE_TIMEOUT)?;
    Ok(moved.saturating_duration_since(triggered))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn the_vip_gets_the_soft_check_and_the_check_is_a_file_check() {
        let dir = Path::new("/tmp/web1");
        let config = announcer::Config::new(
            Ipv4Addr::new(192, 0, 2, 11),
            dir,
            &[FAILOVER_VIP],
            Vec::new(),
        );
        let toml = soft_check_toml(&config, &dir.join(CHECK));
        assert!(
            toml.contains("[[vip]]\nsoft_checks = [\"busy\"]\n"),
            "{toml}"
        );
        assert!(
            toml.contains("path = \"/tmp/web1/busy\"\npass_if = \"absent\"\ninterval = \"100ms\""),
            "{toml}"
        );
        let parsed: toml_edit::DocumentMut = toml.parse().unwrap();
        assert_eq!(
            parsed["check"].as_array_of_tables().map(|t| t.len()),
            Some(1)
        );
    }
}
