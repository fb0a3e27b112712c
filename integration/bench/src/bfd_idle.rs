//! Failover, idle BFD cost: what keeping BFD sessions costs announcer when
//! nothing happens. announcer peers with two BIRD 2 routers, each in its
//! own namespace on the lab LAN (192.0.2.1 on `br0`, 192.0.2.2 on `eth0`),
//! with BFD at 100 ms × 3 on both sessions; once both routes are in and
//! both routers' BFD sessions run at those timers, and a settling time has
//! passed, its CPU time (`/proc/PID/stat`, with its descendants) is read
//! before and after the window. Beside it, the same two peers without BFD:
//! the difference is what BFD costs. Target: under 0.5 % of a core. For
//! reference, the two BIRD routers' CPU over the same window (one BGP and
//! one BFD session each: together the same packets as announcer's two).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::announcer::{self, Peer};
use crate::edge::{BfdTimers, Edge, EdgePeer, EdgeSetup};
use crate::frozen::BFD_FAST;
use crate::plan::{rotated, Plan, Scenario, Speaker};
use crate::prefixes::{host_route, FAILOVER_VIP};
use crate::procfs;
use crate::report::{Metric, Report, Row, Unit};
use crate::running::Running;
use crate::stop;
use crate::table::{first_line, value};
use crate::trial_rig::SPEAKER_AS;
use announcer_harness::error::{Error, Result};
use announcer_harness::kernel::expect_next_hops;
use announcer_harness::netns::{veth, Netns};
use announcer_harness::routers::RouterKind;
use announcer_harness::topology::{Topology, ROUTER_V4};

/// The second router's address on the lab LAN.
pub const SECOND_ROUTER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
/// How long the routes may take to reach both routers' kernels.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long both BFD sessions may take to run at their timers.
const BFD_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the routers are looked at while waiting.
const POLL: Duration = Duration::from_millis(50);
/// How long to let start-up work finish before measuring.
const SETTLE: Duration = Duration::from_secs(3);

/// CPU over the window, in percent of one core.
const CPU: Metric = Metric::median("CPU", Unit::PercentOfCore);
/// The routers' BFD sessions Up at the end of the window.
const SESSIONS_UP: Metric = Metric::median("BFD sessions Up at end", Unit::Count);
/// The two BIRD routers' CPU over the same window, summed.
const ROUTERS_CPU: Metric = Metric::median(
    "both BIRD routers' CPU (1 session each)",
    Unit::PercentOfCore,
);

/// What one trial measured.
struct Outcome {
    /// announcer's CPU, % of a core.
    cpu: f64,
    /// The routers' CPU together, % of a core.
    routers_cpu: f64,
    /// BFD sessions Up at the routers at the end.
    up: usize,
}

/// Runs the idle BFD cost of `plan` into `report` (needs announcer).
pub fn run(plan: &Plan, report: &mut Report) {
    if !plan.runs(Speaker::Announcer) {
        return;
    }
    report.note(Scenario::Failover, format!("idle BFD cost: announcer with one VIP and two peers, two BIRD 2 routers in their own namespaces on the LAN (192.0.2.1, 192.0.2.2), BFD {} ms × {} on both sessions or none; CPU of announcer over a {} s window, {} s after both routes reached the routers' kernels and their BFD sessions ran at those timers; target under 0.5 % of a core; beside it the two BIRD routers' CPU over the same window (one BGP and one BFD session each)", BFD_FAST.millis(), BFD_FAST.multiplier, plan.bfd_idle_window.as_secs(), SETTLE.as_secs()));
    let kinds = [Some(BFD_FAST), None];
    for trial in 0..plan.footprint_trials {
        for bfd in rotated(&kinds, trial) {
            if stop::requested() {
                return;
            }
            let row = Row {
                scenario: Scenario::Failover,
                group: format!(
                    "idle BFD cost: announcer, 2 peers, CPU over {} s",
                    plan.bfd_idle_window.as_secs()
                ),
                speaker: Speaker::Announcer,
                label: match bfd {
                    Some(timers) => format!("announcer, 2 peers with {timers}"),
                    None => "announcer, 2 peers without BFD".to_owned(),
                },
            };
            eprint!(
                "idle BFD cost trial {}/{}: {} ... ",
                trial + 1,
                plan.footprint_trials,
                row.label
            );
            match trial_once(plan, bfd) {
                Ok(outcome) => {
                    eprintln!("CPU {}", value(outcome.cpu, CPU.unit));
                    report.sample(&row, CPU, outcome.cpu);
                    report.sample(&row, ROUTERS_CPU, outcome.routers_cpu);
                    if bfd.is_some() {
                        report.sample(&row, SESSIONS_UP, outcome.up as f64);
                    }
                }
                Err(e) => {
                    eprintln!("failed: {}", first_line(&e.to_string()));
                    report.failure(&row, CPU, &e.to_string());
                }
            }
        }
    }
}

/// The two routers and the namespace of the second; dropped routers first.
struct Routers {
    first: Edge,
    second: Edge,
    second_ns: Arc<Netns>,
}

/// One trial: announcer's and the routers' CPU over the window, and how
/// many BFD sessions the routers had Up at its end.
fn trial_once(plan: &Plan, bfd: Option<BfdTimers>) -> Result<Outcome> {
    let topology = Topology::new(1)?;
    let host = topology.speaker(1)?;
    let routers = start_routers(&topology, host.v4, bfd)?;
    let dir = topology.subdir("speaker")?;
    let mut config = announcer::Config::new(host.v4, &dir, &[FAILOVER_VIP], Vec::new());
    config.peers = [ROUTER_V4, SECOND_ROUTER_V4]
        .into_iter()
        .map(|address| Peer { address, bfd })
        .collect();
    let path = announcer::write_config(&dir, &config)?;
    let mut speaker = announcer::spawn(&plan.binaries.announcer, &host.ns, &dir, &path)?;
    let result = measure(plan, &topology, &routers, &mut speaker, bfd);
    result.map_err(|e| {
        Error::Check(format!(
            "{e}\n===== announcer =====\n{}\n===== router 1 =====\n{}\n===== router 2 =====\n{}",
            speaker.logs(),
            routers.first.logs(),
            routers.second.logs()
        ))
    })
}

/// Starts BIRD in the lab's router namespace and in a second one joined to
/// its bridge, each peering with the speaker at `speaker`.
fn start_routers(
    topology: &Topology,
    speaker: Ipv4Addr,
    bfd: Option<BfdTimers>,
) -> Result<Routers> {
    let second_ns = Arc::new(Netns::new("rtr2")?);
    veth(&second_ns, "eth0", &topology.rtr, "rtr2")?;
    topology.rtr.ip(&["link", "set", "rtr2", "master", "br0"])?;
    second_ns.add_address("eth0", IpAddr::V4(SECOND_ROUTER_V4), 24)?;
    let peers = vec![EdgePeer {
        address: speaker,
        remote_as: SPEAKER_AS,
    }];
    let first = Edge::start(
        RouterKind::Bird,
        topology.rtr.clone(),
        EdgeSetup {
            dir: topology.subdir("router1")?,
            router_id: ROUTER_V4,
            interface: "br0".to_owned(),
            peers: peers.clone(),
            bfd,
        },
    )?;
    let second = Edge::start(
        RouterKind::Bird,
        second_ns.clone(),
        EdgeSetup {
            dir: topology.subdir("router2")?,
            router_id: SECOND_ROUTER_V4,
            interface: "eth0".to_owned(),
            peers,
            bfd,
        },
    )?;
    Ok(Routers {
        first,
        second,
        second_ns,
    })
}

/// Waits for both routes (and BFD at its timers), settles, measures.
fn measure(
    plan: &Plan,
    topology: &Topology,
    routers: &Routers,
    speaker: &mut Running,
    bfd: Option<BfdTimers>,
) -> Result<Outcome> {
    let host = topology.speaker(1)?;
    let vip = host_route(FAILOVER_VIP);
    let want = vec![IpAddr::V4(host.v4)];
    for ns in [&topology.rtr, &routers.second_ns] {
        speaker.poll_until(
            &format!("the kernel route {vip} in {}", ns.name()),
            ANNOUNCE_TIMEOUT,
            POLL,
            || expect_next_hops(ns, &vip, &want),
        )?;
    }
    if let Some(timers) = bfd {
        for router in [&routers.first, &routers.second] {
            speaker.poll_until(&format!("BFD Up at {timers}"), BFD_TIMEOUT, POLL, || {
                router.bfd_settled(host.v4)
            })?;
        }
    }
    stop::sleep(SETTLE)?;
    let pid = speaker.pid();
    let bird_pids: Vec<u32> = [&routers.first, &routers.second]
        .iter()
        .flat_map(|router| router.pids())
        .collect();
    let cpu_of = |pids: &[u32]| -> Result<Duration> {
        pids.iter()
            .map(|&p| procfs::tree_cpu(p))
            .sum::<Result<Duration>>()
    };
    let before = (procfs::tree_cpu(pid)?, cpu_of(&bird_pids)?);
    let start = Instant::now();
    stop::sleep(plan.bfd_idle_window)?;
    let after = (procfs::tree_cpu(pid)?, cpu_of(&bird_pids)?);
    let window = start.elapsed().as_secs_f64();
    speaker.alive()?;
    let percent = |used: Duration| used.as_secs_f64() / window * 100.0;
    let up = if bfd.is_some() {
        routers.first.bfd_sessions_up()? + routers.second.bfd_sessions_up()?
    } else {
        0
    };
    Ok(Outcome {
        cpu: percent(after.0.saturating_sub(before.0)),
        routers_cpu: percent(after.1.saturating_sub(before.1)),
        up,
    })
}
