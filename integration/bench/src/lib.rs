//! `scripts/bench`: announcer against ExaBGP and GoBGP in the namespace lab,
//! with BIRD 2 as the router, in one run on one machine (issue 6).
//!
//! Scenarios: [`scale`] (N routes from process start to BIRD holding all),
//! [`failover`] (health failure, `withdraw --now` and SIGTERM to the next
//! hop leaving the router's kernel route; then [`frozen`]: a frozen server
//! leaving it by BFD or hold-time expiry at BIRD and FRR, and
//! [`bfd_idle`]: what idle BFD sessions cost), [`footprint`] (CPU and
//! memory with 100 HTTP checks, and idle). Every trial gets a fresh lab
//! ([`trial_rig`]: namespaces and BIRD), speakers take turns trial by trial, and
//! the [`report`] holds every sample, printed as a [`table`] of medians,
//! ranges and ratios (ours / theirs) or as JSON.
//!
//! Layers, bottom up: [`stats`], [`timefmt`], [`procfs`], [`prefixes`],
//! [`mrt`], [`stop`], [`probe_loop`] (pure or nearly) → [`birdctl`], [`route_watch`],
//! [`running`], [`freeze`], [`trial_rig`], [`edge`] → the speakers ([`announcer`],
//! [`exabgp`], [`gobgp`]) → the scenarios → [`run`].

pub mod announcer;
pub mod bfd_idle;
pub mod birdctl;
pub mod edge;
pub mod exabgp;
pub mod failover;
#[cfg(test)]
mod fixtures;
pub mod footprint;
pub mod freeze;
pub mod frozen;
pub mod gobgp;
pub mod kernel_floor;
pub mod meta;
pub mod mrt;
pub mod plan;
pub mod prefixes;
pub mod probe_loop;
pub mod procfs;
pub mod report;
pub mod route_watch;
pub mod running;
pub mod scale;
pub mod soft_failover;
pub mod stats;
pub mod stop;
pub mod table;
pub mod timefmt;
pub mod trial_rig;

use announcer_harness::error::{Error, Result};
use announcer_harness::preflight::find_binary;
use announcer_harness::routers::RouterKind;
use plan::{Plan, Scenario};
use report::{Meta, Report};

/// Tools the lab itself needs, besides the speakers'.
const LAB_TOOLS: &[&str] = &["ip", "sysctl", "bird", "birdc"];

/// Runs `plan`: checks what it needs, then every scenario in order; an
/// interruption (SIGINT, SIGTERM; see [`stop`]) ends it early with what was
/// measured.
pub fn run(plan: &Plan) -> Result<Report> {
    preflight(plan)?;
    let snapshot = meta::Snapshot::take();
    let mut report = Report {
        meta: Meta {
            started: timefmt::format_utc_minutes(timefmt::unix_now()),
            cpus: std::thread::available_parallelism().map_or(0, usize::from),
            load_at_start: meta::load_average(),
            versions: meta::versions(plan),
            plan: meta::describe(plan),
            ..Meta::default()
        },
        ..Report::default()
    };
    for scenario in &plan.scenarios {
        if stop::requested() {
            break;
        }
        match scenario {
            Scenario::Scale => scale::run(plan, &mut report),
            Scenario::Failover => {
                failover::run(plan, &mut report);
                soft_failover::run(plan, &mut report);
                frozen::run(plan, &mut report);
                bfd_idle::run(plan, &mut report);
            }
            Scenario::Footprint => footprint::run(plan, &mut report),
        }
    }
    report.meta.load_at_end = meta::load_average();
    report.meta.busy = snapshot.busy_since();
    Ok(report)
}

/// The edge routers the plan runs besides the lab's BIRD: those of the
/// frozen-server trials, FRR with its bfdd.
fn edge_routers(plan: &Plan) -> Vec<RouterKind> {
    if !plan.scenarios.contains(&Scenario::Failover) {
        return Vec::new();
    }
    plan.routers.clone()
}

/// What FRR needs besides [`RouterKind::binaries`]: its BFD daemon.
const FRR_BFDD: &str = "/usr/lib/frr/bfdd";

/// Fails unless running as root with every tool and binary the plan needs.
fn preflight(plan: &Plan) -> Result<()> {
    if !nix::unistd::geteuid().is_root() {
        return Err(Error::LabUnavailable(
            "the benchmark needs root (network namespaces); run scripts/bench".to_owned(),
        ));
    }
    let mut missing: Vec<String> = LAB_TOOLS
        .iter()
        .chain(plan.speakers.iter().flat_map(|s| s.binaries()))
        .chain(edge_routers(plan).iter().flat_map(|r| r.binaries()))
        .filter(|tool| find_binary(tool).is_none())
        .map(|tool| (*tool).to_owned())
        .collect();
    if edge_routers(plan).contains(&RouterKind::Frr) && find_binary(FRR_BFDD).is_none() {
        missing.push(FRR_BFDD.to_owned());
    }
    let binaries = &plan.binaries;
    for binary in [
        &binaries.announcer,
        &binaries.web_server,
        &binaries.probe_loop,
    ] {
        if !binary.is_file() {
            missing.push(binary.display().to_string());
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::LabUnavailable(format!(
            "missing {} (scripts/bench installs and builds them)",
            missing.join(", ")
        )))
    }
}
