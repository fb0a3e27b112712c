//! What bears on a run's figures besides the speakers: the machine's CPUs
//! and load, the programs' versions, and other processes that were busy
//! meanwhile (a fuzzer or a build on a two-core machine distorts every
//! figure; the report says so rather than hiding it).

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use crate::plan::{Plan, Scenario, Speaker};
use crate::procfs::{self, ticks_to_duration};
use crate::table::thousands;
use announcer_harness::routers::RouterKind;

/// Other processes using at least this share of one core are reported.
const BUSY_PERCENT: f64 = 5.0;

/// The CPU time of every process at one moment.
#[derive(Debug, Clone)]
pub struct Snapshot {
    at: Instant,
    processes: BTreeMap<u32, (String, u64)>,
}

impl Snapshot {
    /// Reads every process's CPU time now.
    pub fn take() -> Self {
        let processes = procfs::all_processes()
            .unwrap_or_default()
            .into_iter()
            .map(|(pid, stat)| {
                let ticks = stat.total_ticks();
                (pid, (stat.comm, ticks))
            })
            .collect();
        Snapshot {
            at: Instant::now(),
            processes,
        }
    }

    /// The processes alive at both `self` and now, other than this one, that
    /// used at least 5% of one core in between, busiest first:
    /// `config (pid 25094): 97% of a core`.
    pub fn busy_since(&self) -> Vec<String> {
        busy(self, &Snapshot::take(), std::process::id())
    }
}

/// The busy processes between two snapshots, leaving out `own`.
fn busy(before: &Snapshot, after: &Snapshot, own: u32) -> Vec<String> {
    let seconds = after.at.saturating_duration_since(before.at).as_secs_f64();
    if seconds <= 0.0 {
        return Vec::new();
    }
    let mut found: Vec<(f64, String)> = after
        .processes
        .iter()
        .filter(|(pid, _)| **pid != own)
        .filter_map(|(pid, (comm, ticks))| {
            let (old_comm, old_ticks) = before.processes.get(pid)?;
            if old_comm != comm {
                return None;
            }
            let used = ticks_to_duration(ticks.saturating_sub(*old_ticks)).as_secs_f64();
            let percent = used / seconds * 100.0;
            (percent >= BUSY_PERCENT).then(|| {
                (
                    percent,
                    format!("{comm} (pid {pid}): {percent:.0}% of a core"),
                )
            })
        })
        .collect();
    found.sort_by(|a, b| b.0.total_cmp(&a.0));
    found.into_iter().map(|(_, text)| text).collect()
}

/// The load averages of `/proc/loadavg` (`1.02 0.98 0.90`).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|e| format!("(unreadable: {e})"))
}

/// The versions of BIRD, the selected speakers and announcer.
pub fn versions(plan: &Plan) -> Vec<(String, String)> {
    let announcer = plan.binaries.announcer.to_string_lossy().into_owned();
    let mut programs = vec![("announcer", announcer), ("BIRD", "bird".to_owned())];
    if plan.runs(Speaker::Exabgp) {
        programs.push(("ExaBGP", "exabgp".to_owned()));
    }
    if plan.runs(Speaker::Gobgp) {
        programs.push(("gobgpd", "gobgpd".to_owned()));
    }
    if plan.scenarios.contains(&Scenario::Failover) && plan.routers.contains(&RouterKind::Frr) {
        programs.push(("FRR", "/usr/lib/frr/zebra".to_owned()));
    }
    programs
        .into_iter()
        .map(|(name, program)| {
            let version = Command::new(&program)
                .arg("--version")
                .output()
                .ok()
                .and_then(|out| {
                    let text = format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    parse_version(&text)
                })
                .unwrap_or_else(|| "(unknown)".to_owned());
            (name.to_owned(), version)
        })
        .collect()
}

/// The version in a program's `--version` output: the first line that has a
/// word starting with a digit, from that word on (`BIRD version 2.0.12`,
/// `ExaBGP : 4.2.21`, `gobgpd version 3.10.0`, `announcer 0.1.0 (commit c0ffee)`).
fn parse_version(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let at = line
            .split_whitespace()
            .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))?;
        let start = line.find(at)?;
        line.get(start..).map(|rest| rest.trim_end().to_owned())
    })
}

/// The plan in words, for the report's header.
pub fn describe(plan: &Plan) -> String {
    let mut parts = Vec::new();
    for scenario in &plan.scenarios {
        parts.push(match scenario {
            Scenario::Scale => format!(
                "scale N = {} × {} trials",
                plan.scale_sizes
                    .iter()
                    .map(|&n| thousands(n))
                    .collect::<Vec<_>>()
                    .join(", "),
                plan.scale_trials
            ),
            Scenario::Failover => {
                let routers: Vec<String> = plan.routers.iter().map(ToString::to_string).collect();
                format!(
                    "failover × {} trials (frozen server at {}, {} without BFD; idle BFD {} s)",
                    plan.failover_trials,
                    routers.join(" and "),
                    plan.hold_expiry_trials.min(plan.failover_trials),
                    plan.bfd_idle_window.as_secs()
                )
            }
            Scenario::Footprint => format!(
                "footprint {} s × {} trials",
                plan.footprint_window.as_secs(),
                plan.footprint_trials
            ),
        });
    }
    let speakers: Vec<String> = plan.speakers.iter().map(Speaker::to_string).collect();
    format!("{}; speakers {}", parts.join("; "), speakers.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::binaries;
    use std::time::Duration;

    #[test]
    fn versions_are_the_first_line_with_a_number_from_the_number_on() {
        assert_eq!(
            parse_version("BIRD version 2.0.12\n").as_deref(),
            Some("2.0.12")
        );
        assert_eq!(
            parse_version("ExaBGP : 4.2.21\nPython : 3.11.2\n").as_deref(),
            Some("4.2.21")
        );
        assert_eq!(
            parse_version("gobgpd version 3.10.0\n").as_deref(),
            Some("3.10.0")
        );
        assert_eq!(
            parse_version("announcer 0.1.0 (commit c0ffee)\n").as_deref(),
            Some("0.1.0 (commit c0ffee)")
        );
        assert_eq!(parse_version("usage: nothing\n"), None);
    }

    #[test]
    fn busy_processes_are_those_alive_throughout_above_the_threshold() {
        let at = Instant::now();
        let snapshot = |at, entries: &[(u32, &str, u64)]| Snapshot {
            at,
            processes: entries
                .iter()
                .map(|&(pid, comm, ticks)| (pid, (comm.to_owned(), ticks)))
                .collect(),
        };
        let before = snapshot(
            at,
            &[
                (1, "init", 0),
                (50, "fuzzer", 1000),
                (60, "old", 0),
                (99, "bench", 0),
            ],
        );
        let after = snapshot(
            at + Duration::from_secs(10),
            &[
                (1, "init", 1),
                (50, "fuzzer", 1950),
                (60, "recycled", 900),
                (70, "new", 900),
                (99, "bench", 900),
            ],
        );
        assert_eq!(
            busy(&before, &after, 99),
            vec!["fuzzer (pid 50): 95% of a core".to_owned()]
        );
    }

    #[test]
    fn the_plan_is_described_in_words() {
        let text = describe(&Plan::quick(binaries()));
        assert_eq!(
            text,
            "scale N = 1,000 × 3 trials; failover × 5 trials (frozen server at BIRD and FRR, 2 without BFD; idle BFD 10 s); footprint 10 s × 1 trials; speakers announcer, ExaBGP, GoBGP"
        );
    }
}
