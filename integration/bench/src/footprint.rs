//! Scenario 3, footprint: what a speaker costs on every web server. Busy:
//! 100 VIPs, each with its own HTTP check every second (announcer: 100
//! `[[check]]`s in the daemon; ExaBGP: 100 `exabgp healthcheck` processes
//! each running `curl`; GoBGP has no health checks). Idle: 10 VIPs without
//! checks.
//!
//! Each trial starts the speaker in a fresh lab, waits until BIRD holds all
//! its routes and a settling time has passed, then reads the CPU time of
//! the speaker and all its descendants (`utime + stime` and that of reaped
//! children, from `/proc/PID/stat`) before and after the measuring window.
//! At the end: the speaker's RSS and peak RSS, the summed PSS of it and its
//! descendants (shared pages split between them), and how many processes
//! that is; and from BIRD, how many withdrawals it received during the
//! window and how many routes it holds at its end (a check that timed out
//! on a loaded machine withdraws its VIP: both say so).
//!
//! Beside the busy speakers, whenever announcer runs: the kernel alone
//! making the busy load's probes ([`super::probe_loop`]: 100 a second, each
//! on a fresh connection, against the same web server, from the speaker's
//! namespace, no daemon), its CPU measured over the same window: the floor
//! under any checker that opens a connection per probe.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::announcer::{self, HttpCheck};
use crate::birdctl::BirdControl;
use crate::exabgp::{self, Healthcheck};
use crate::gobgp;
use crate::plan::{rotated, Plan, Scenario, Speaker};
use crate::prefixes::service_vips;
use crate::report::{Metric, Report, Row, Unit};
use crate::running::Running;
use crate::stop;
use crate::trial_rig::{speaker_protocol, TrialRig};
use crate::{procfs, table};
use announcer_harness::error::{Error, Result};
use announcer_harness::process::{ChildGuard, Streams};
use announcer_harness::web_server::{start_web_server, HEALTH_PORT};

/// VIPs (and checks) of the busy load.
pub const BUSY_VIPS: usize = 100;
/// VIPs of the idle load.
pub const IDLE_VIPS: usize = 10;
/// The busy checks' interval.
const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// What the busy checks fetch from the web server's health address.
const HEALTH_PATH: &str = "/healthz";
/// How much longer than settling and the window the kernel floor's probe
/// loop is told to run (it is killed once measured).
const PROBE_SLACK: Duration = Duration::from_secs(30);
/// How long all routes may take to reach BIRD.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(180);
/// How long to let start-up work finish before measuring.
const SETTLE: Duration = Duration::from_secs(3);

/// CPU used during the window, in percent of one core.
const CPU: Metric = Metric::median("CPU", Unit::PercentOfCore);
/// The speaker's resident set at the end.
const RSS: Metric = Metric::median("RSS", Unit::Megabytes);
/// The speaker's peak resident set.
const PEAK_RSS: Metric = Metric::median("peak RSS", Unit::Megabytes);
/// Summed PSS of the speaker and its descendants.
const PSS: Metric = Metric::median("PSS, all its processes", Unit::Megabytes);
/// How many processes the speaker is.
const PROCESSES: Metric = Metric::median("processes", Unit::Count);
/// Withdrawals BIRD received during the window.
const WITHDRAWALS: Metric = Metric::median("withdrawals in window", Unit::Count);
/// Routes at BIRD at the end of the window.
const ROUTES_AT_END: Metric = Metric::median("routes at end", Unit::Count);
/// Checks' rise and fall: both daemons' style of default, so one slow probe
/// on a loaded machine does not withdraw a VIP.
const RISE_FALL: u32 = 2;

/// What the speaker runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Load {
    /// [`BUSY_VIPS`] VIPs with a check each.
    Busy,
    /// [`IDLE_VIPS`] VIPs, no checks.
    Idle,
}

impl Load {
    fn vips(self) -> usize {
        match self {
            Load::Busy => BUSY_VIPS,
            Load::Idle => IDLE_VIPS,
        }
    }

    fn group(self) -> String {
        match self {
            Load::Busy => format!("{BUSY_VIPS} VIPs, {BUSY_VIPS} HTTP checks every 1 s"),
            Load::Idle => format!("idle: {IDLE_VIPS} VIPs, no checks"),
        }
    }
}

/// The (speaker, load) pairs measured, in table order (GoBGP has no checks;
/// the kernel floor is the busy load's probes without a daemon).
const KINDS: [(Speaker, Load); 6] = [
    (Speaker::Announcer, Load::Busy),
    (Speaker::Exabgp, Load::Busy),
    (Speaker::KernelFloor, Load::Busy),
    (Speaker::Announcer, Load::Idle),
    (Speaker::Exabgp, Load::Idle),
    (Speaker::Gobgp, Load::Idle),
];

/// Runs the footprint scenario of `plan` into `report`.
pub fn run(plan: &Plan, report: &mut Report) {
    report.note(
        Scenario::Footprint,
        format!(
            "CPU over a {} s window after all routes reached BIRD and {} s of settling; CPU counts the speaker and every descendant (ExaBGP's healthcheck processes and their curl runs); GoBGP has no health checks, so only idle",
            plan.footprint_window.as_secs(),
            SETTLE.as_secs()
        ),
    );
    report.note(Scenario::Footprint, "busy: announcer: one daemon with 100 http [[check]]s (interval 1s, rise 2, fall 2); ExaBGP: 100 `exabgp healthcheck` processes (--interval 1 --rise 2 --fall 2 --withdraw-on-down), each running `curl -sf --max-time 1` every second");
    if plan.runs(Speaker::Announcer) {
        report.note(Scenario::Footprint, format!("{}: a minimal blocking loop (probe-loop) in the same namespace making the busy load's 100 probes a second to the same health URL, each a fresh std TcpStream::connect, one HTTP/1.1 GET with `Connection: close`, read to EOF, close: the kernel's cost of a fresh connection per probe, the floor under any checker that opens one", label(Speaker::KernelFloor)));
    }
    let kinds: Vec<(Speaker, Load)> = KINDS
        .iter()
        .copied()
        .filter(|&(speaker, _)| match speaker {
            Speaker::KernelFloor => plan.runs(Speaker::Announcer),
            _ => plan.runs(speaker),
        })
        .collect();
    for trial in 0..plan.footprint_trials {
        for (speaker, load) in rotated(&kinds, trial) {
            if stop::requested() {
                return;
            }
            let row = Row {
                scenario: Scenario::Footprint,
                group: load.group(),
                speaker,
                label: label(speaker),
            };
            eprint!(
                "footprint trial {}/{}: {}, {} ... ",
                trial + 1,
                plan.footprint_trials,
                row.label,
                row.group
            );
            match trial_once(plan, speaker, load) {
                Ok(samples) => {
                    let cpu = samples.iter().find(|(m, _)| *m == CPU);
                    eprintln!(
                        "CPU {}",
                        cpu.map_or_else(String::new, |(_, x)| table::value(*x, CPU.unit))
                    );
                    for (metric, value) in samples {
                        report.sample(&row, metric, value);
                    }
                }
                Err(e) => {
                    eprintln!("failed: {}", table::first_line(&e.to_string()));
                    report.failure(&row, CPU, &e.to_string());
                }
            }
        }
    }
}

/// A row's label: the speaker's name, or what the kernel floor does.
fn label(speaker: Speaker) -> String {
    match speaker {
        Speaker::KernelFloor => format!("{speaker}: fresh HTTP connections, no daemon"),
        _ => speaker.to_string(),
    }
}

/// The web server's health address in the speaker's namespace.
fn health_address() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, HEALTH_PORT))
}

/// One trial: the metrics of `speaker` under `load`.
fn trial_once(plan: &Plan, speaker: Speaker, load: Load) -> Result<Vec<(Metric, f64)>> {
    let lab = TrialRig::for_speaker(speaker)?;
    let ns = lab.speaker_ns()?;
    let dir = lab.dir("speaker")?;
    let _web = match load {
        Load::Busy => Some(start_web_server(
            &plan.binaries.web_server,
            &ns,
            &dir,
            "web",
            &dir.join("unhealthy"),
        )?),
        Load::Idle => None,
    };
    let vips = service_vips(load.vips())?;
    let mut running = start_speaker(plan, &lab, &dir, speaker, load, &vips)?;
    let measured = match speaker {
        Speaker::KernelFloor => stop::sleep(SETTLE)
            .and_then(|()| cpu_over_window(plan, &mut running))
            .map(|cpu| vec![(CPU, cpu)]),
        _ => measure(plan, &lab, &mut running, vips.len()),
    };
    measured.map_err(|e| lab.speaker_failure(e, &running))
}

/// Starts `speaker` announcing `vips`, each with a check under a busy load.
fn start_speaker(
    plan: &Plan,
    lab: &TrialRig,
    dir: &Path,
    speaker: Speaker,
    load: Load,
    vips: &[Ipv4Addr],
) -> Result<Running> {
    let ns = lab.speaker_ns()?;
    let local = lab.speaker_v4()?;
    let url = format!("http://{}{HEALTH_PATH}", health_address());
    let names = (1..=vips.len()).map(|i| format!("c{i}"));
    match speaker {
        Speaker::Announcer => {
            let checks = match load {
                Load::Busy => names
                    .map(|name| HttpCheck {
                        name,
                        url: url.clone(),
                        interval: CHECK_INTERVAL,
                        rise: RISE_FALL,
                        fall: RISE_FALL,
                    })
                    .collect(),
                Load::Idle => Vec::new(),
            };
            let config = announcer::Config::new(local, dir, vips, checks);
            let path = announcer::write_config(dir, &config)?;
            announcer::spawn(&plan.binaries.announcer, &ns, dir, &path)
        }
        Speaker::Exabgp => {
            let config = match load {
                Load::Busy => exabgp::Config {
                    local,
                    routes: Vec::new(),
                    healthchecks: names
                        .zip(vips)
                        .map(|(name, &vip)| Healthcheck {
                            name,
                            vip,
                            url: url.clone(),
                            interval: CHECK_INTERVAL,
                            rise: RISE_FALL,
                            fall: RISE_FALL,
                        })
                        .collect(),
                },
                Load::Idle => exabgp::Config {
                    local,
                    routes: vips.to_vec(),
                    healthchecks: Vec::new(),
                },
            };
            let path = exabgp::write_config(dir, &config)?;
            exabgp::spawn(&ns, dir, &path)
        }
        Speaker::Gobgp => gobgp::start_announcing(lab, dir, vips, ANNOUNCE_TIMEOUT),
        Speaker::KernelFloor => {
            let rate = BUSY_VIPS as f64 / CHECK_INTERVAL.as_secs_f64();
            let secs = (SETTLE + plan.footprint_window + PROBE_SLACK).as_secs();
            let mut command = ns.command(&plan.binaries.probe_loop.to_string_lossy());
            command
                .arg("--address")
                .arg(health_address().to_string())
                .args(["--path", HEALTH_PATH])
                .args(["--rate", &format!("{rate:.0}"), "--secs", &secs.to_string()]);
            let probes = ChildGuard::spawn("probe-loop", command, dir, Streams::Logged)?;
            Ok(Running::new(probes))
        }
        Speaker::Bird => Err(Error::Check(
            "BIRD as a speaker is only the frozen-server reference".to_owned(),
        )),
    }
}

/// Waits for all `routes` at BIRD, settles, measures the window.
fn measure(
    plan: &Plan,
    lab: &TrialRig,
    running: &mut Running,
    routes: usize,
) -> Result<Vec<(Metric, f64)>> {
    let mut control = lab.control()?;
    let protocol = speaker_protocol();
    let view = |control: &mut BirdControl| control.protocol(&protocol);
    running.poll_until(
        &format!("BIRD to hold {routes} routes"),
        ANNOUNCE_TIMEOUT,
        Duration::from_millis(50),
        || match view(&mut control).map_err(|e| e.to_string())?.imported {
            n if n >= routes as u64 => Ok(()),
            n => Err(format!("{n} routes")),
        },
    )?;
    stop::sleep(SETTLE)?;
    let pid = running.pid();
    let withdrawals_before = view(&mut control)?.withdrawals;
    let cpu = cpu_over_window(plan, running)?;
    let memory = procfs::memory(pid)?;
    let pss = procfs::tree_pss_kib(pid)?;
    let processes = procfs::tree(pid)?.len();
    let end = view(&mut control)?;
    let megabytes = |kib: u64| kib as f64 * 1024.0 / 1e6;
    Ok(vec![
        (CPU, cpu),
        (RSS, megabytes(memory.now_kib)),
        (PEAK_RSS, megabytes(memory.peak_kib)),
        (PSS, megabytes(pss)),
        (PROCESSES, processes as f64),
        (
            WITHDRAWALS,
            end.withdrawals.saturating_sub(withdrawals_before) as f64,
        ),
        (ROUTES_AT_END, end.imported as f64),
    ])
}

/// The CPU time `running` and its descendants use over the measuring
/// window, in percent of one core; an error if it ended meanwhile.
fn cpu_over_window(plan: &Plan, running: &mut Running) -> Result<f64> {
    let pid = running.pid();
    let before = procfs::tree_cpu(pid)?;
    let start = Instant::now();
    stop::sleep(plan.footprint_window)?;
    let after = procfs::tree_cpu(pid)?;
    let window = start.elapsed();
    running.alive()?;
    Ok(after.saturating_sub(before).as_secs_f64() / window.as_secs_f64() * 100.0)
}
