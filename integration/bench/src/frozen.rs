//! Failover, server frozen: from freezing a web server ([`Frozen`]: SIGSTOP
//! of every process in its namespace) to the router's kernel route for the
//! VIP (203.0.113.10/32) losing its next hop, timed by `ip monitor route`
//! in the router's namespace ([`RouteWatch`]). A frozen server sends
//! nothing and closes nothing: only BFD or hold-time expiry tells the
//! router.
//!
//! Rows, at each router of the plan (BIRD 2, FRR; [`Edge`]): announcer
//! with BFD 100 ms × 3 and 300 ms × 3, announcer without BFD (hold time
//! 9 s, fewer trials: each takes about 9 s), and BIRD 2 as the speaker
//! with the same BFD timers as the reference. Every trial is a fresh lab
//! (namespaces and router) with one web server, so its next hop leaving
//! deletes the route; rows take turns trial by trial. With BFD the server
//! is frozen only once the router's session is Up at the row's timers
//! (not the 1 s of a session coming up), after a random part of an interval
//! (without BFD: of the keepalive interval).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::announcer::{self, Peer};
use crate::edge::{
    bird_bfd_protocol, spawn_bird, BfdTimers, Edge, EdgePeer, EdgeSetup, BIRD_SESSION_TIMERS,
    HOLD_SECS,
};
use crate::failover::phase;
use crate::freeze::Frozen;
use crate::plan::{rotated, Plan, Scenario, Speaker};
use crate::prefixes::{host_route, FAILOVER_VIP};
use crate::report::{Metric, Report, Row, Style, Unit};
use crate::route_watch::RouteWatch;
use crate::running::Running;
use crate::stop;
use crate::trial_rig::{write_file, SPEAKER_AS};
use announcer_harness::error::{Error, Result};
use announcer_harness::kernel::expect_next_hops;
use announcer_harness::netns::Netns;
use announcer_harness::routers::{RouterKind, LOCAL_AS};
use announcer_harness::topology::{Topology, ROUTER_V4};

/// BFD at 100 ms × 3.
pub const BFD_FAST: BfdTimers = BfdTimers {
    interval: Duration::from_millis(100),
    multiplier: 3,
};
/// BFD at 300 ms × 3 (announcer's default).
pub const BFD_SLOW: BfdTimers = BfdTimers {
    interval: Duration::from_millis(300),
    multiplier: 3,
};
/// How long the speaker may take to get its route into the router's kernel.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the router's BFD session may take to come Up at its timers.
const BFD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the route may take to go after the freeze (hold time 9 s).
const GONE_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the kernel route is looked at while waiting for it.
const ROUTE_POLL: Duration = Duration::from_millis(20);
/// How often the router's BFD session is looked at while waiting for it.
const BFD_POLL: Duration = Duration::from_millis(50);
/// Without BFD, the freeze falls at a random point of this span: the
/// keepalive interval (a third of the hold time), so the last keepalive
/// before it is anywhere from 0 to 3 s old, as for a server freezing at any
/// moment (otherwise it would always come soon after the keepalive sent
/// when the session was established, and the hold timer would run its
/// whole 9 s from then).
const HOLD_PHASE: Duration = Duration::from_secs(HOLD_SECS / 3);

/// The one metric: freeze to next hop gone from the kernel route.
const GONE: Metric = Metric {
    name: "freeze → next hop gone",
    unit: Unit::Millis,
    style: Style::Percentiles,
};

/// One kind of trial: a router, a speaker and its BFD timers (none: hold
/// time expiry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The edge router.
    pub router: RouterKind,
    /// announcer, or BIRD 2 as the reference.
    pub speaker: Speaker,
    /// BFD timers on both sides, or none.
    pub bfd: Option<BfdTimers>,
}

impl Kind {
    /// Its row: a group per router and timers, a row per speaker.
    pub fn row(self, hold_trials: usize) -> Row {
        let setting = match self.bfd {
            Some(timers) => timers.to_string(),
            None => format!(
                "no BFD: hold time {HOLD_SECS} s, keepalive 3 s ({hold_trials} trials per router, fewer: each takes about {HOLD_SECS} s)"
            ),
        };
        Row {
            scenario: Scenario::Failover,
            group: format!("server frozen · {} router · {setting}", self.router),
            speaker: self.speaker,
            label: self.speaker.to_string(),
        }
    }
}

/// The kinds of trial of `plan`, in table order: per router, announcer and
/// BIRD 2 at 100 ms, the same at 300 ms, announcer without BFD.
pub fn kinds(plan: &Plan) -> Vec<Kind> {
    if !plan.runs(Speaker::Announcer) {
        return Vec::new();
    }
    let mut kinds = Vec::new();
    for &router in &plan.routers {
        for (speaker, bfd) in [
            (Speaker::Announcer, Some(BFD_FAST)),
            (Speaker::Bird, Some(BFD_FAST)),
            (Speaker::Announcer, Some(BFD_SLOW)),
            (Speaker::Bird, Some(BFD_SLOW)),
            (Speaker::Announcer, None),
        ] {
            kinds.push(Kind {
                router,
                speaker,
                bfd,
            });
        }
    }
    kinds
}

/// Trials of the rows without BFD.
pub fn hold_trials(plan: &Plan) -> usize {
    plan.hold_expiry_trials.min(plan.failover_trials)
}

/// Runs the frozen-server trials of `plan` into `report`.
pub fn run(plan: &Plan, report: &mut Report) {
    let kinds = kinds(plan);
    if kinds.is_empty() {
        return;
    }
    report.note(Scenario::Failover, "server frozen: SIGSTOP of every process in the web server's namespace (`ip netns pids`, then kill(2) by PID each; SIGCONT afterwards, always); timed from the first SIGSTOP to the deletion of the VIP's kernel route at the router (`ip monitor route`; one server, so its next hop leaving deletes the route); a fresh lab and router per trial, rows alternating trial by trial");
    report.note(Scenario::Failover, "routers: BIRD 2 (`protocol bfd` on br0 with the row's intervals and multiplier, `bfd on` per neighbor, kernel export) and FRR (zebra, bfdd and bgpd; a bfdd profile with the row's intervals, `neighbor X bfd` and `neighbor X bfd profile`, `no bgp ebgp-requires-policy`); hold time 9 s, keepalive 3 s; with BFD the server is frozen once the router's session is Up at the row's timers (BIRD: Timeout = interval × 3; FRR: the speaker's remote-transmit-interval), after a random wait of up to one interval (without BFD: of the 3 s keepalive interval, so the freeze falls anywhere between two keepalives)");
    report.note(Scenario::Failover, "speakers: announcer ([[peer]] bfd = true, bfd_min_tx = bfd_min_rx = the interval, bfd_multiplier = 3, hold_time \"9s\"; one VIP, no check) and BIRD 2 as the reference (a static blackhole route for the VIP exported, `protocol bfd` on eth0 with the same timers, `bfd on`); no health checks in these trials");
    let hold = hold_trials(plan);
    for trial in 0..plan.failover_trials {
        let now: Vec<Kind> = kinds
            .iter()
            .copied()
            .filter(|kind| kind.bfd.is_some() || trial < hold)
            .collect();
        for kind in rotated(&now, trial) {
            if stop::requested() {
                return;
            }
            let row = kind.row(hold);
            eprint!(
                "failover trial {}/{}: {} frozen, {} router, {} ... ",
                trial + 1,
                plan.failover_trials,
                row.label,
                kind.router,
                kind.bfd
                    .map_or_else(|| "no BFD".to_owned(), |t| t.to_string())
            );
            let gone = trial_once(plan, kind, trial).map(|gone| gone.as_secs_f64() * 1000.0);
            report.trial(&row, GONE, &gone);
        }
    }
}

/// One trial: the time from the freeze to the route's deletion.
fn trial_once(plan: &Plan, kind: Kind, trial: usize) -> Result<Duration> {
    let topology = Topology::new(1)?;
    let host = topology.speaker(1)?;
    let setup = EdgeSetup {
        dir: topology.subdir("router")?,
        router_id: ROUTER_V4,
        interface: "br0".to_owned(),
        peers: vec![EdgePeer {
            address: host.v4,
            remote_as: SPEAKER_AS,
        }],
        bfd: kind.bfd,
    };
    let router = Edge::start(kind.router, topology.rtr.clone(), setup)?;
    let dir = topology.subdir("speaker")?;
    let mut speaker = start_speaker(plan, kind, &host.ns, host.v4, &dir)?;
    let result = measure(&topology, &router, &mut speaker, kind, trial, &dir);
    result.map_err(|e| {
        Error::Check(format!(
            "{e}\n===== speaker =====\n{}\n===== router =====\n{}",
            speaker.logs(),
            router.logs()
        ))
    })
}

/// Starts the speaker of `kind` in `ns` (address `local`) announcing the VIP.
fn start_speaker(
    plan: &Plan,
    kind: Kind,
    ns: &Arc<Netns>,
    local: Ipv4Addr,
    dir: &Path,
) -> Result<Running> {
    match kind.speaker {
        Speaker::Announcer => {
            let mut config = announcer::Config::new(local, dir, &[FAILOVER_VIP], Vec::new());
            config.peers = vec![Peer {
                address: ROUTER_V4,
                bfd: kind.bfd,
            }];
            let path = announcer::write_config(dir, &config)?;
            announcer::spawn(&plan.binaries.announcer, ns, dir, &path)
        }
        Speaker::Bird => {
            let conf = write_file(dir, "bird.conf", &bird_speaker_config(dir, local, kind.bfd))?;
            Ok(Running::new(spawn_bird(ns, dir, &conf)?))
        }
        other => Err(Error::Check(format!(
            "{other} is no speaker of the frozen-server trials"
        ))),
    }
}

/// BIRD 2 as the web server's speaker: a static blackhole route for the
/// VIP, exported to the router (next hop self), BFD on `eth0` if `bfd`.
fn bird_speaker_config(dir: &Path, local: Ipv4Addr, bfd: Option<BfdTimers>) -> String {
    let mut conf = format!(
        "log \"{}\" all;\nrouter id {local};\nprotocol device {{ scan time 10; }}\nprotocol static vip {{\n  ipv4;\n  route {} blackhole;\n}}\n",
        dir.join("bird.log").display(),
        host_route(FAILOVER_VIP)
    );
    if let Some(timers) = bfd {
        conf.push_str(&bird_bfd_protocol("eth0", timers));
    }
    conf.push_str(&format!(
        "protocol bgp rtr {{\n  local as {SPEAKER_AS};\n  neighbor {ROUTER_V4} as {LOCAL_AS};\n  {BIRD_SESSION_TIMERS}\n  bfd {};\n  ipv4 {{ import none; export where source = RTS_STATIC; }};\n}}\n",
        if bfd.is_some() { "on" } else { "off" }
    ));
    conf
}

/// Waits for the route (and BFD Up at its timers), freezes the server and
/// times the route's deletion.
fn measure(
    topology: &Topology,
    router: &Edge,
    speaker: &mut Running,
    kind: Kind,
    trial: usize,
    dir: &Path,
) -> Result<Duration> {
    let host = topology.speaker(1)?;
    let vip = host_route(FAILOVER_VIP);
    let want = vec![IpAddr::V4(host.v4)];
    speaker.poll_until(
        &format!("the kernel route {vip} via the speaker"),
        ANNOUNCE_TIMEOUT,
        ROUTE_POLL,
        || expect_next_hops(&topology.rtr, &vip, &want),
    )?;
    if let Some(timers) = kind.bfd {
        speaker.poll_until(
            &format!("the router's BFD session Up at {timers}"),
            BFD_TIMEOUT,
            BFD_POLL,
            || router.bfd_settled(host.v4),
        )?;
    }
    let watch = RouteWatch::start(&topology.rtr, dir)?;
    stop::sleep(phase(trial, kind.bfd.map_or(HOLD_PHASE, |t| t.interval)))?;
    let frozen = Frozen::namespace(&host.ns)?;
    let at = frozen.at;
    let gone = watch.wait_deleted(FAILOVER_VIP, at, GONE_TIMEOUT);
    drop(frozen);
    Ok(gone?.saturating_duration_since(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::binaries;
    use announcer_harness::expect::missing_parts;

    #[test]
    fn each_router_has_five_rows_in_three_groups() {
        let plan = Plan::full(binaries());
        let kinds = kinds(&plan);
        assert_eq!(kinds.len(), 10);
        let rows: Vec<Row> = kinds.iter().map(|k| k.row(5)).collect();
        let groups: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(groups.len(), 6, "{groups:?}");
        assert_eq!(
            rows[0].group,
            "server frozen · BIRD router · BFD 100 ms × 3"
        );
        assert_eq!(rows[1].label, "BIRD 2");
        assert!(rows[4].group.contains("no BFD: hold time 9 s"), "{rows:?}");
        assert!(rows[4].group.contains("5 trials per router"));
        assert!(rows[9].group.starts_with("server frozen · FRR router"));
        let quick = Plan {
            speakers: vec![Speaker::Exabgp],
            ..Plan::quick(binaries())
        };
        assert!(super::kinds(&quick).is_empty());
        assert_eq!(hold_trials(&quick), 2);
    }

    #[test]
    fn the_bird_speaker_exports_a_static_vip_with_bfd_on_eth0() {
        let conf = bird_speaker_config(
            Path::new("/lab/spk"),
            Ipv4Addr::new(192, 0, 2, 11),
            Some(BFD_FAST),
        );
        let missing = missing_parts(
            &conf,
            &[
            "router id 192.0.2.11;\n",
            "  route 203.0.113.10/32 blackhole;\n",
            "interface \"eth0\" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };",
            "  local as 65001;\n  neighbor 192.0.2.1 as 65000;\n",
            "  bfd on;\n  ipv4 { import none; export where source = RTS_STATIC; };\n",
            ],
        );
        assert!(missing.is_empty(), "{missing:?} missing from:\n{conf}");
        let plain = bird_speaker_config(Path::new("/x"), Ipv4Addr::new(192, 0, 2, 11), None);
        assert!(!plain.contains("protocol bfd") && plain.contains("bfd off;"));
    }
}
