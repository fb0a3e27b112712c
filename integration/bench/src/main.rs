//! `bench`: the benchmark runner behind `scripts/bench` (root only).
//!
//! `bench [scale] [failover] [footprint] [--quick] [--n N,...] [--trials T]
//! [--hold-trials H] [--footprint-secs S] [--speakers announcer,exabgp,gobgp]
//! [--routers bird,frr] [--json] [--json-file PATH]`: runs the scenarios
//! (all by default) for announcer and the alternatives in network
//! namespaces with BIRD 2 as the router (and, for a frozen server, BIRD 2
//! and FRR with BFD), alternating the speakers trial by trial, and prints a
//! table of medians, min–max and ratios (ours / theirs), or with `--json`
//! the same with every sample (`--json-file`: also into a file). Progress
//! goes to stderr. Exit status: 0 done (failed trials are in the report), 1
//! could not run, 130 interrupted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use announcer_bench::plan::{Binaries, Plan, Scenario, Speaker, MAX_SCALE_ROUTES};
use announcer_bench::{stop, table};
use announcer_harness::routers::RouterKind;
use clap::{Parser, ValueEnum};

/// Command-line options.
#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "announcer against ExaBGP, GoBGP and BIRD 2, with BIRD 2 (and FRR) as the router"
)]
struct Options {
    /// Scenarios to run, in this order (default: all).
    #[arg(value_enum)]
    scenarios: Vec<ScenarioArg>,
    /// A quick run: N = 1,000 × 3 trials, failover × 5 (2 without BFD),
    /// idle BFD cost and footprint 10 s.
    #[arg(long)]
    quick: bool,
    /// Scale: route counts, comma-separated (at most 131072).
    #[arg(long = "n", value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Trials per speaker of every selected scenario.
    #[arg(long)]
    trials: Option<usize>,
    /// Failover: trials of a frozen server without BFD (about 9 s each),
    /// per router; at most --trials.
    #[arg(long)]
    hold_trials: Option<usize>,
    /// Failover: the routers of the frozen-server trials, comma-separated
    /// (default: bird,frr).
    #[arg(long, value_enum, value_delimiter = ',')]
    routers: Vec<RouterArg>,
    /// Footprint: seconds of CPU measurement.
    #[arg(long)]
    footprint_secs: Option<u64>,
    /// Speakers, comma-separated (default: all).
    #[arg(long, value_enum, value_delimiter = ',')]
    speakers: Vec<SpeakerArg>,
    /// Scale: how often BIRD is asked, in milliseconds.
    #[arg(long)]
    poll_ms: Option<u64>,
    /// Scale: how long one trial may take, in seconds.
    #[arg(long)]
    timeout_secs: Option<u64>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
    /// Also write the JSON (every sample) to this file, whatever is printed.
    #[arg(long)]
    json_file: Option<PathBuf>,
    /// The announcer binary (default: next to this one).
    #[arg(long)]
    announcer: Option<PathBuf>,
    /// The lab's web-server binary (default: next to this one).
    #[arg(long)]
    web_server: Option<PathBuf>,
}

/// A scenario on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum ScenarioArg {
    /// N routes from process start to BIRD holding all.
    Scale,
    /// Health failure, withdraw --now and SIGTERM to the route leaving.
    Failover,
    /// CPU and memory with 100 checks, and idle.
    Footprint,
}

/// An edge router of the frozen-server trials on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum RouterArg {
    /// BIRD 2 with `protocol bfd`.
    Bird,
    /// FRR: zebra, bfdd and bgpd.
    Frr,
}

/// A speaker on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum SpeakerArg {
    /// announcer.
    Announcer,
    /// ExaBGP.
    Exabgp,
    /// GoBGP.
    Gobgp,
}

impl Options {
    /// The plan these options describe.
    fn plan(&self) -> Result<Plan, String> {
        let here =
            std::env::current_exe().map_err(|e| format!("cannot locate this executable: {e}"))?;
        let dir = here.parent().map(PathBuf::from).unwrap_or_default();
        let binaries = Binaries {
            announcer: self
                .announcer
                .clone()
                .unwrap_or_else(|| dir.join("announcer")),
            web_server: self
                .web_server
                .clone()
                .unwrap_or_else(|| dir.join("web-server")),
            probe_loop: dir.join("probe-loop"),
        };
        let mut plan = if self.quick {
            Plan::quick(binaries)
        } else {
            Plan::full(binaries)
        };
        if !self.scenarios.is_empty() {
            plan.scenarios = self
                .scenarios
                .iter()
                .map(|s| match s {
                    ScenarioArg::Scale => Scenario::Scale,
                    ScenarioArg::Failover => Scenario::Failover,
                    ScenarioArg::Footprint => Scenario::Footprint,
                })
                .collect();
        }
        if !self.speakers.is_empty() {
            plan.speakers = Speaker::ALL
                .into_iter()
                .filter(|speaker| {
                    self.speakers.iter().any(|arg| {
                        matches!(
                            (arg, speaker),
                            (SpeakerArg::Announcer, Speaker::Announcer)
                                | (SpeakerArg::Exabgp, Speaker::Exabgp)
                                | (SpeakerArg::Gobgp, Speaker::Gobgp)
                        )
                    })
                })
                .collect();
        }
        if !self.routers.is_empty() {
            plan.routers = [RouterArg::Bird, RouterArg::Frr]
                .into_iter()
                .filter(|router| self.routers.contains(router))
                .map(|router| match router {
                    RouterArg::Bird => RouterKind::Bird,
                    RouterArg::Frr => RouterKind::Frr,
                })
                .collect();
        }
        if !self.sizes.is_empty() {
            if let Some(n) = self.sizes.iter().find(|&&n| n == 0 || n > MAX_SCALE_ROUTES) {
                return Err(format!("--n {n}: from 1 to {MAX_SCALE_ROUTES} routes"));
            }
            plan.scale_sizes = self.sizes.clone();
        }
        if let Some(trials) = self.trials {
            if trials == 0 {
                return Err("--trials 0: at least one trial".to_owned());
            }
            plan.scale_trials = trials;
            plan.failover_trials = trials;
            plan.footprint_trials = trials;
        }
        if let Some(trials) = self.hold_trials {
            plan.hold_expiry_trials = trials;
        }
        if let Some(secs) = self.footprint_secs {
            plan.footprint_window = Duration::from_secs(secs.max(1));
        }
        if let Some(ms) = self.poll_ms {
            plan.poll = Duration::from_millis(ms.max(1));
        }
        if let Some(secs) = self.timeout_secs {
            plan.scale_timeout = Duration::from_secs(secs.max(1));
        }
        Ok(plan)
    }
}

fn main() -> ExitCode {
    let options = Options::parse();
    let plan = match options.plan() {
        Ok(plan) => plan,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = stop::install() {
        eprintln!("bench: {e}");
        return ExitCode::FAILURE;
    }
    let report = match announcer_bench::run(&plan) {
        Ok(report) => report,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = match serde_json::to_string_pretty(&report.to_json()) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("bench: cannot print JSON: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &options.json_file {
        if let Err(e) = std::fs::write(path, format!("{json}\n")) {
            eprintln!("bench: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if options.json {
        println!("{json}");
    } else {
        print!("{}", table::render(&report));
    }
    if stop::requested() {
        return ExitCode::from(130);
    }
    ExitCode::SUCCESS
}
