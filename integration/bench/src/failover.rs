//! Scenario 2, failover: from the moment a server should leave to the
//! moment the router's kernel route for its VIP (203.0.113.10/32) loses
//! that next hop, timed by an `ip monitor route` in the router's namespace
//! ([`RouteWatch`]), so no polling interval blurs it.
//!
//! Triggers: the health endpoint starts failing (the web server's health
//! file appears; checks every 100 ms, fall 1, rise 1), `announcer withdraw
//! --now` (from the client's start), SIGTERM (sent straight by PID). Each
//! trial is a fresh lab with one speaker, whose route is the only next hop,
//! so losing it deletes the route. Before the trigger the harness waits a
//! random part of a check interval, so the trigger falls anywhere between
//! two probes (as a real failure does).

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::sys::signal::Signal;

use crate::announcer::{self, HttpCheck};
use crate::exabgp::{self, Healthcheck};
use crate::gobgp;
use crate::plan::{rotated, Plan, Scenario, Speaker};
use crate::prefixes::{host_route, FAILOVER_VIP};
use crate::report::{Metric, Report, Row, Style, Unit};
use crate::route_watch::RouteWatch;
use crate::running::Running;
use crate::stop;
use crate::trial_rig::TrialRig;
use announcer_harness::error::{Error, Result};
use announcer_harness::kernel::expect_next_hops;
use announcer_harness::web_server::{start_web_server, HEALTH_PORT};

/// The checks' interval.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(100);
/// How long a speaker may take to get its route into the router's kernel.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the route may take to go after the trigger.
const WITHDRAW_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the kernel route is looked at while waiting for it to appear.
const ROUTE_POLL: Duration = Duration::from_millis(20);

/// The one metric: trigger to next hop gone from the kernel route.
const GONE: Metric = Metric {
    name: "trigger → next hop gone",
    unit: Unit::Millis,
    style: Style::Percentiles,
};

/// What makes the server leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Its health endpoint starts failing.
    HealthFails,
    /// `announcer withdraw --now`.
    WithdrawNow,
    /// SIGTERM to the speaker.
    Sigterm,
}

/// One kind of trial: a speaker and a trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    /// The speaker.
    pub speaker: Speaker,
    /// The trigger.
    pub trigger: Trigger,
}

/// Every kind of trial, in table order.
pub const KINDS: [Kind; 6] = [
    Kind {
        speaker: Speaker::Announcer,
        trigger: Trigger::HealthFails,
    },
    Kind {
        speaker: Speaker::Exabgp,
        trigger: Trigger::HealthFails,
    },
    Kind {
        speaker: Speaker::Announcer,
        trigger: Trigger::WithdrawNow,
    },
    Kind {
        speaker: Speaker::Announcer,
        trigger: Trigger::Sigterm,
    },
    Kind {
        speaker: Speaker::Exabgp,
        trigger: Trigger::Sigterm,
    },
    Kind {
        speaker: Speaker::Gobgp,
        trigger: Trigger::Sigterm,
    },
];

impl Kind {
    /// Its row in the report.
    pub fn row(self) -> Row {
        let (group, label) = match (self.speaker, self.trigger) {
            (Speaker::Exabgp, Trigger::HealthFails) => {
                (HEALTH_GROUP, "ExaBGP healthcheck".to_owned())
            }
            (speaker, Trigger::HealthFails) => (HEALTH_GROUP, speaker.to_string()),
            (speaker, Trigger::WithdrawNow) => (STOP_GROUP, format!("{speaker} withdraw --now")),
            (speaker, Trigger::Sigterm) => (STOP_GROUP, format!("{speaker} SIGTERM")),
        };
        Row {
            scenario: Scenario::Failover,
            group: group.to_owned(),
            speaker: self.speaker,
            label,
        }
    }
}

/// The group of health-failure trials.
const HEALTH_GROUP: &str = "health endpoint fails (check every 100 ms, fall 1)";
/// The group of operator-stop trials.
const STOP_GROUP: &str = "operator takes the server out";

/// Runs the failover scenario of `plan` into `report`.
pub fn run(plan: &Plan, report: &mut Report) {
    report.note(Scenario::Failover, "fresh namespaces and BIRD (kernel export, as in the lab) per trial; one speaker, so its next hop leaving deletes the kernel route; timed by `ip monitor route` in the router's namespace");
    report.note(Scenario::Failover, "health trials: the web server's health file appears after a random wait of up to one interval; announcer: an http check, interval 100ms, fall 1, rise 1 (timeout defaults to the interval); ExaBGP: `python3 -m exabgp healthcheck --interval 0.1 --fast-interval 0.1 --fall 1 --rise 1 --withdraw-on-down --cmd \"curl -sf --max-time 1 ...\"` (its fastest settings: --timeout takes whole seconds only)");
    report.note(Scenario::Failover, "withdraw --now: timed from the client's start; SIGTERM: sent by PID from the harness; ExaBGP SIGTERM: static route; GoBGP SIGTERM: route injected, BIRD connecting to passive gobgpd");
    let kinds: Vec<Kind> = KINDS
        .iter()
        .copied()
        .filter(|kind| plan.runs(kind.speaker))
        .collect();
    for trial in 0..plan.failover_trials {
        for kind in rotated(&kinds, trial) {
            if stop::requested() {
                return;
            }
            let row = kind.row();
            eprint!(
                "failover trial {}/{}: {} ... ",
                trial + 1,
                plan.failover_trials,
                row.label
            );
            let gone = trial_once(plan, kind, trial).map(|gone| gone.as_secs_f64() * 1000.0);
            report.trial(&row, GONE, &gone);
        }
    }
}

/// One trial: the time from the trigger to the route's deletion.
fn trial_once(plan: &Plan, kind: Kind, trial: usize) -> Result<Duration> {
    let lab = TrialRig::for_speaker(kind.speaker)?;
    let ns = lab.speaker_ns()?;
    let dir = lab.dir("speaker")?;
    let health_file = dir.join("unhealthy");
    let _web = if kind.speaker == Speaker::Announcer || kind.trigger == Trigger::HealthFails {
        Some(start_web_server(
            &plan.binaries.web_server,
            &ns,
            &dir,
            "web",
            &health_file,
        )?)
    } else {
        None
    };
    let mut speaker = start_speaker(plan, &lab, &dir, kind)?;
    let result = measure(plan, &lab, &dir, &mut speaker, kind, trial, &health_file);
    result.map_err(|e| lab.speaker_failure(e, &speaker))
}

/// Starts the speaker of `kind` with the VIP, gated by the health check
/// where there is one.
fn start_speaker(plan: &Plan, lab: &TrialRig, dir: &Path, kind: Kind) -> Result<Running> {
    let ns = lab.speaker_ns()?;
    let local = lab.speaker_v4()?;
    let url = format!("http://127.0.0.1:{HEALTH_PORT}/healthz");
    match kind.speaker {
        Speaker::Announcer => {
            let check = HttpCheck {
                name: "web".to_owned(),
                url,
                interval: CHECK_INTERVAL,
                rise: 1,
                fall: 1,
            };
            let config = announcer::Config::new(local, dir, &[FAILOVER_VIP], vec![check]);
            let path = announcer::write_config(dir, &config)?;
            announcer::spawn(&plan.binaries.announcer, &ns, dir, &path)
        }
        Speaker::Exabgp => {
            let healthchecks = match kind.trigger {
                Trigger::HealthFails => vec![Healthcheck {
                    name: "web".to_owned(),
                    vip: FAILOVER_VIP,
                    url,
                    interval: CHECK_INTERVAL,
                    rise: 1,
                    fall: 1,
                }],
                Trigger::WithdrawNow | Trigger::Sigterm => Vec::new(),
            };
            let routes = if healthchecks.is_empty() {
                vec![FAILOVER_VIP]
            } else {
                Vec::new()
            };
            let config = exabgp::Config {
                local,
                routes,
                healthchecks,
            };
            let path = exabgp::write_config(dir, &config)?;
            exabgp::spawn(&ns, dir, &path)
        }
        Speaker::Gobgp => gobgp::start_announcing(lab, dir, &[FAILOVER_VIP], ANNOUNCE_TIMEOUT),
        Speaker::KernelFloor | Speaker::Bird => Err(Error::Check(format!(
            "{} is no speaker of these trials",
            kind.speaker
        ))),
    }
}

/// Waits for the route, then triggers and times its deletion.
fn measure(
    plan: &Plan,
    lab: &TrialRig,
    dir: &Path,
    speaker: &mut Running,
    kind: Kind,
    trial: usize,
    health_file: &Path,
) -> Result<Duration> {
    let vip = host_route(FAILOVER_VIP);
    let want = vec![lab.speaker_address()?];
    speaker.poll_until(
        &format!("the kernel route {vip} via the speaker"),
        ANNOUNCE_TIMEOUT,
        ROUTE_POLL,
        || expect_next_hops(&lab.topology.rtr, &vip, &want),
    )?;
    let watch = RouteWatch::start(&lab.topology.rtr, dir)?;
    stop::sleep(phase(trial, CHECK_INTERVAL))?;
    let socket = dir.join("announcer.sock");
    let triggered = match kind.trigger {
        Trigger::HealthFails => {
            let at = Instant::now();
            std::fs::write(health_file, "unhealthy\n")
                .map_err(|e| Error::io(format!("write {}", health_file.display()), e))?;
            at
        }
        Trigger::WithdrawNow => {
            let at = Instant::now();
            announcer::withdraw_now(&plan.binaries.announcer, &socket, dir, WITHDRAW_TIMEOUT)?;
            at
        }
        Trigger::Sigterm => {
            let at = Instant::now();
            speaker.signal(Signal::SIGTERM)?;
            at
        }
    };
    let gone = watch.wait_deleted(FAILOVER_VIP, triggered, WITHDRAW_TIMEOUT)?;
    Ok(gone.saturating_duration_since(triggered))
}

/// A pseudo-random wait below `interval` for `trial` (splitmix64 of the
/// clock and the trial number), so triggers fall anywhere between probes.
pub fn phase(trial: usize, interval: Duration) -> Duration {
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    spread(u64::from(clock) ^ (trial as u64).rotate_left(32), interval)
}

/// Maps `seed` to a duration in `0..interval` (splitmix64, then scaled).
fn spread(seed: u64, interval: Duration) -> Duration {
    let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let micros = u64::try_from(interval.as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    Duration::from_micros(z % micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spread_stays_below_the_interval_and_varies() {
        let interval = Duration::from_millis(100);
        let waits: Vec<Duration> = (0..50).map(|seed| spread(seed, interval)).collect();
        assert!(waits.iter().all(|w| *w < interval));
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 40, "{waits:?}");
        assert_eq!(spread(7, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn kinds_fall_into_two_groups_with_distinct_rows() {
        let rows: Vec<Row> = KINDS.iter().map(|k| k.row()).collect();
        assert_eq!(rows.iter().filter(|r| r.group == HEALTH_GROUP).count(), 2);
        assert_eq!(rows[1].label, "ExaBGP healthcheck");
        assert_eq!(rows[2].label, "announcer withdraw --now");
        assert_eq!(rows[5].label, "GoBGP SIGTERM");
        let labels: std::collections::BTreeSet<&str> =
            rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels.len(), KINDS.len());
    }
}
