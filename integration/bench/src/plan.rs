//! What one benchmark run does: which scenarios, for which speakers, how
//! many trials of each and how big; the defaults of a full and a quick run.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use announcer_harness::routers::RouterKind;

/// The largest scale N: the addresses of 198.18.0.0/15.
pub const MAX_SCALE_ROUTES: usize = 1 << 17;

/// The largest scale N whose binding cost ([`Speaker::KernelFloor`]) is
/// measured: adding addresses to `lo` grows superlinearly (seen here: 10,000
/// in 2.9 s, 40,000 in 247 s).
pub const KERNEL_FLOOR_MAX: usize = 10_000;

/// A benchmark scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// N /32 routes from process start to the router holding all of them.
    Scale,
    /// A next hop leaving the router's kernel route after a health failure,
    /// `withdraw --now` or SIGTERM.
    Failover,
    /// CPU time and memory with 100 HTTP checks, and idle.
    Footprint,
}

impl Scenario {
    /// Every scenario, in the order a run does them.
    pub const ALL: [Scenario; 3] = [Scenario::Scale, Scenario::Failover, Scenario::Footprint];
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::Scale => "scale",
            Scenario::Failover => "failover",
            Scenario::Footprint => "footprint",
        })
    }
}

/// A BGP speaker under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// Ours: `announcer run`.
    Announcer,
    /// ExaBGP (the Debian package), static routes or its `healthcheck`.
    Exabgp,
    /// GoBGP's `gobgpd`, routes injected with the `gobgp` CLI.
    Gobgp,
    /// Not a speaker: the kernel alone doing what a speaker asks of it, no
    /// daemon. Scale: adding the N scale addresses to `lo` (one `ip
    /// -batch`), what binding each VIP costs and `bind = false` avoids, for
    /// N up to [`KERNEL_FLOOR_MAX`]. Footprint: the busy load's HTTP probes,
    /// each on a fresh connection, from a minimal blocking loop (the
    /// `probe-loop` binary). Measured whenever announcer is.
    KernelFloor,
    /// BIRD 2 as the speaker on the web server (a static route, BFD): the
    /// reference of the frozen-server trials, measured whenever announcer is.
    Bird,
}

impl Speaker {
    /// Every speaker, ours first ([`Speaker::KernelFloor`] is no speaker).
    pub const ALL: [Speaker; 3] = [Speaker::Announcer, Speaker::Exabgp, Speaker::Gobgp];

    /// The binaries this speaker needs besides the router's.
    pub fn binaries(self) -> &'static [&'static str] {
        match self {
            Speaker::Announcer => &[],
            Speaker::Exabgp => &["exabgp", "python3", "curl"],
            Speaker::Gobgp => &["gobgpd", "gobgp"],
            Speaker::KernelFloor => &["ip"],
            Speaker::Bird => &["bird"],
        }
    }
}

impl fmt::Display for Speaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Speaker::Announcer => "announcer",
            Speaker::Exabgp => "ExaBGP",
            Speaker::Gobgp => "GoBGP",
            Speaker::KernelFloor => "kernel alone",
            Speaker::Bird => "BIRD 2",
        })
    }
}

/// The binaries this repository builds that the benchmark runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// `announcer`.
    pub announcer: PathBuf,
    /// The lab's `web-server` (the health endpoint).
    pub web_server: PathBuf,
    /// `probe-loop`: fresh-connection HTTP probes at a fixed rate (the
    /// footprint's kernel floor).
    pub probe_loop: PathBuf,
}

/// One run of the benchmark.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The scenarios to run, in order.
    pub scenarios: Vec<Scenario>,
    /// The speakers to run them for.
    pub speakers: Vec<Speaker>,
    /// Scale: the route counts.
    pub scale_sizes: Vec<usize>,
    /// Scale: trials per speaker and size.
    pub scale_trials: usize,
    /// Scale: how long one trial may take before it counts as failed.
    pub scale_timeout: Duration,
    /// Failover: trials per speaker and trigger, and per row of the
    /// frozen-server trials with BFD.
    pub failover_trials: usize,
    /// Failover: trials of a frozen server without BFD (hold-time expiry,
    /// about 9 s each), per router; at most `failover_trials`.
    pub hold_expiry_trials: usize,
    /// Failover: the edge routers of the frozen-server trials (BIRD, FRR).
    pub routers: Vec<RouterKind>,
    /// Failover: how long the idle BFD cost's CPU is measured.
    pub bfd_idle_window: Duration,
    /// Footprint: trials per speaker and load.
    pub footprint_trials: usize,
    /// Footprint: how long CPU time is measured.
    pub footprint_window: Duration,
    /// How often the router is asked while waiting for routes.
    pub poll: Duration,
    /// The binaries under test.
    pub binaries: Binaries,
}

impl Plan {
    /// The full run of issue 6: N = 1,000, 10,000 and 100,000 (5 trials,
    /// each at most 300 s), failover 20 trials (5 by hold-time expiry) at
    /// BIRD and FRR, idle BFD cost over 20 s, footprint 60 s.
    pub fn full(binaries: Binaries) -> Plan {
        Plan {
            scenarios: Scenario::ALL.to_vec(),
            speakers: Speaker::ALL.to_vec(),
            scale_sizes: vec![1_000, 10_000, 100_000],
            scale_trials: 5,
            scale_timeout: Duration::from_secs(300),
            failover_trials: 20,
            hold_expiry_trials: 5,
            routers: vec![RouterKind::Bird, RouterKind::Frr],
            bfd_idle_window: Duration::from_secs(20),
            footprint_trials: 1,
            footprint_window: Duration::from_secs(60),
            poll: Duration::from_millis(5),
            binaries,
        }
    }

    /// A quick run (a few minutes): N = 1,000 (3 trials), failover 5 trials
    /// (2 by hold-time expiry), idle BFD cost and footprint 10 s.
    pub fn quick(binaries: Binaries) -> Plan {
        Plan {
            scale_sizes: vec![1_000],
            scale_trials: 3,
            scale_timeout: Duration::from_secs(120),
            failover_trials: 5,
            hold_expiry_trials: 2,
            bfd_idle_window: Duration::from_secs(10),
            footprint_window: Duration::from_secs(10),
            ..Plan::full(binaries)
        }
    }

    /// Whether `speaker` is part of this run.
    pub fn runs(&self, speaker: Speaker) -> bool {
        self.speakers.contains(&speaker)
    }
}

/// `items` rotated left by `trial` places: trial 0 keeps the order, trial 1
/// starts with the second item, and so on, so no speaker always goes first.
pub fn rotated<T: Clone>(items: &[T], trial: usize) -> Vec<T> {
    let mut out = items.to_vec();
    if !out.is_empty() {
        let shift = trial % out.len();
        out.rotate_left(shift);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::binaries;

    #[test]
    fn trials_rotate_the_order_of_the_speakers() {
        let all = Speaker::ALL;
        assert_eq!(rotated(&all, 0), all.to_vec());
        assert_eq!(
            rotated(&all, 1),
            vec![Speaker::Exabgp, Speaker::Gobgp, Speaker::Announcer]
        );
        assert_eq!(rotated(&all, 3), all.to_vec());
        assert!(rotated::<Speaker>(&[], 2).is_empty());
    }

    #[test]
    fn a_quick_plan_is_the_full_one_made_smaller() {
        let full = Plan::full(binaries());
        let quick = Plan::quick(binaries());
        assert_eq!(full.scale_sizes, vec![1_000, 10_000, 100_000]);
        assert!(full.failover_trials >= 20);
        assert_eq!(quick.scale_sizes, vec![1_000]);
        assert!(quick.footprint_window < full.footprint_window);
        assert_eq!(quick.scenarios, full.scenarios);
        assert!(quick.runs(Speaker::Gobgp));
    }
}
