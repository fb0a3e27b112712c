//! Scenario 1, scale: N distinct /32s from 198.18.0.0/15, no health checks,
//! from the speaker's process start to BIRD holding all N.
//!
//! Each trial builds a fresh lab whose BIRD keeps routes in its own table
//! (no kernel export, so the kernel's route insertion does not slow BIRD
//! down for every speaker alike) and shows protocol times as Unix time. The
//! harness connects to BIRD's control socket, notes the time, starts the
//! speaker and asks `show protocols all spk0` every poll interval until the
//! channel counts N imported routes; `show route count` then confirms the
//! table holds N. The phases: start → Established (BIRD's `Since`, to the
//! millisecond), Established → all N (to the poll interval), start → all
//! N; and the speaker's peak RSS (`VmHWM`) just before it is stopped.
//!
//! announcer has one `[[vip]]` with `prefixes = [N host routes]` and `bind =
//! false`, as an operator with thousands of VIPs runs it: before the
//! speaker starts, the speaker's namespace gets one AnyIP route (`local
//! 198.18.0.0/15 dev lo`) that delivers every address locally, so no
//! address is added to `lo` (the kernel's cost of that grows superlinearly
//! with N). Its log says when it was running. At N = [`TABLE_FORM_N`] only,
//! announcer also runs with N `[[vip]]` tables (one `prefix` each, `bind =
//! false`), taking turns with the others, to show what that form costs in
//! memory. Once per N up to [`KERNEL_FLOOR_MAX`], the kernel alone
//! adding the N addresses to `lo` (`ip -batch`, no daemon) shows the cost
//! that `bind = false` avoids. ExaBGP has N static routes in its
//! configuration. GoBGP gets them in one `gobgp mrt inject` batch once its
//! API answers; then BIRD (configured disabled, as gobgpd must be passive)
//! is enabled and connects to it after the wait BIRD imposes on every
//! active connect (0.75–1 s), which is taken from BIRD's log and left out
//! of GoBGP's figures. Neither binds anything.

use std::net::Ipv4Addr;
use std::time::Instant;

use crate::birdctl::{connecting_at, BirdControl, ProtocolView};
use crate::plan::{rotated, Plan, Scenario, Speaker};
use crate::prefixes::SCALE_BLOCK;
use crate::report::{Metric, Report, Row, Unit};
use crate::running::Running;
use crate::stop;
use crate::table::{first_line, thousands};
use crate::timefmt::unix_now;
use crate::trial_rig::{speaker_protocol, TrialRig};
use crate::{announcer, exabgp, gobgp, kernel_floor, prefixes, procfs};
use announcer_harness::config_toml::Bind;
use announcer_harness::error::{Error, Result};
use announcer_harness::routers::bird::BirdOptions;
use announcer_harness::routers::Mode;

/// Process start to BIRD showing the session Established.
const TO_ESTABLISHED: Metric = Metric::median("start → Established", Unit::Millis);
/// Established to BIRD holding all N.
const ESTABLISHED_TO_ALL: Metric = Metric::median("Established → all N", Unit::Millis);
/// Process start to BIRD holding all N.
const TO_ALL: Metric = Metric::median("start → all N", Unit::Millis);
/// Peak resident memory of the speaker.
const PEAK_RSS: Metric = Metric::median("peak RSS", Unit::Megabytes);
/// Resident memory of the speaker once BIRD holds all N.
const RSS: Metric = Metric::median("RSS at all N", Unit::Megabytes);
/// announcer only: process start to its log line "announcer running"
/// (configuration read, every VIP set up, sessions about to start).
const TO_RUNNING: Metric = Metric::median("start → running", Unit::Millis);
/// GoBGP only: process start to the API answering.
const TO_API: Metric = Metric::median("start → API up", Unit::Millis);
/// GoBGP only: process start to its RIB holding every injected route.
const TO_INJECTED: Metric = Metric::median("start → injected", Unit::Millis);
/// GoBGP only: how long BIRD waited before connecting (left out of the
/// other GoBGP figures).
const BIRD_DELAY: Metric = Metric::median("BIRD connect delay (left out)", Unit::Millis);
/// The metrics of one speaker's own phases, shown in a table of their own.
const PHASES: [Metric; 4] = [TO_RUNNING, TO_API, TO_INJECTED, BIRD_DELAY];

/// The N at which announcer also runs with a `[[vip]]` table per VIP (the
/// configuration's parsed document costs about 2 KB per table).
pub const TABLE_FORM_N: usize = 10_000;

/// One row of a group: a speaker, or announcer with a table per VIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entrant {
    /// A speaker as the scenario configures it (announcer: one `[[vip]]`
    /// with `prefixes`).
    Speaker(Speaker),
    /// announcer with N `[[vip]]` tables bound as given: not at all and as
    /// addresses at [`TABLE_FORM_N`] only, as local routes from it up.
    AnnouncerTables(Bind),
}

impl Entrant {
    /// The entrants at `n`: the plan's speakers, and right after announcer
    /// its table forms: at [`TABLE_FORM_N`] unbound, as local routes and as
    /// addresses; above it as local routes.
    fn at(plan: &Plan, n: usize) -> Vec<Entrant> {
        let mut out = Vec::new();
        for &speaker in &plan.speakers {
            out.push(Entrant::Speaker(speaker));
            if speaker != Speaker::Announcer || n < TABLE_FORM_N {
                continue;
            }
            if n == TABLE_FORM_N {
                out.push(Entrant::AnnouncerTables(Bind::None));
            }
            out.push(Entrant::AnnouncerTables(Bind::Route));
            if n == TABLE_FORM_N {
                out.push(Entrant::AnnouncerTables(Bind::Address));
            }
        }
        out
    }

    fn speaker(self) -> Speaker {
        match self {
            Entrant::Speaker(speaker) => speaker,
            Entrant::AnnouncerTables(_) => Speaker::Announcer,
        }
    }

    fn label(self) -> String {
        let tables = format!("{}, N [[vip]] tables", Speaker::Announcer);
        match self {
            Entrant::Speaker(speaker) => speaker.to_string(),
            Entrant::AnnouncerTables(Bind::None) => tables,
            Entrant::AnnouncerTables(Bind::Route) => format!("{tables}, bind = route"),
            Entrant::AnnouncerTables(Bind::Address) => format!("{tables}, bind = address"),
        }
    }
}

/// A moment on both clocks: monotonic for spans, wall for BIRD's times.
#[derive(Debug, Clone, Copy)]
struct Stamp {
    instant: Instant,
    unix: f64,
}

impl Stamp {
    fn now() -> Self {
        Stamp {
            unix: unix_now(),
            instant: Instant::now(),
        }
    }

    /// Milliseconds from this stamp to `later`.
    fn ms_to(&self, later: Instant) -> f64 {
        later.saturating_duration_since(self.instant).as_secs_f64() * 1000.0
    }
}

/// What one trial measured.
#[derive(Debug, Clone, Default)]
struct Outcome {
    samples: Vec<(Metric, f64)>,
}

/// Runs the scale scenario of `plan` into `report`.
pub fn run(plan: &Plan, report: &mut Report) {
    note_method(plan, report);
    for &n in &plan.scale_sizes {
        let group = format!("N = {}", thousands(n));
        let phases = format!("{group}: each speaker's own phases");
        let entrants = Entrant::at(plan, n);
        let mut gave_up: Vec<Entrant> = Vec::new();
        for trial in 0..plan.scale_trials {
            for entrant in rotated(&entrants, trial) {
                if stop::requested() {
                    return;
                }
                let row = Row {
                    scenario: Scenario::Scale,
                    group: group.clone(),
                    speaker: entrant.speaker(),
                    label: entrant.label(),
                };
                if gave_up.contains(&entrant) {
                    report.failure(
                        &row,
                        TO_ALL,
                        "skipped: an earlier trial at this N timed out",
                    );
                    continue;
                }
                let phases_row = Row {
                    group: phases.clone(),
                    ..row.clone()
                };
                eprint!(
                    "scale {group}, trial {}/{}: {} ... ",
                    trial + 1,
                    plan.scale_trials,
                    row.label
                );
                match trial_once(plan, entrant, n) {
                    Ok(outcome) => {
                        let total = outcome.samples.iter().find(|(m, _)| *m == TO_ALL);
                        eprintln!("{:.0} ms", total.map_or(f64::NAN, |(_, ms)| *ms));
                        for (metric, value) in outcome.samples {
                            let row = if PHASES.contains(&metric) {
                                &phases_row
                            } else {
                                &row
                            };
                            report.sample(row, metric, value);
                        }
                    }
                    Err(e) => {
                        eprintln!("failed: {}", first_line(&e.to_string()));
                        if matches!(e, Error::Timeout { .. }) {
                            gave_up.push(entrant);
                        }
                        report.failure(&row, TO_ALL, &e.to_string());
                    }
                }
            }
        }
        if plan.runs(Speaker::Announcer) && !stop::requested() {
            let floor = format!("{group}: the kernel alone binding N VIPs, no daemon");
            kernel_floor::measure(plan, n, &floor, report);
        }
    }
}

/// The notes on method: the lab, each speaker's setup, the binding cost.
fn note_method(plan: &Plan, report: &mut Report) {
    report.note(
        Scenario::Scale,
        format!(
            "fresh namespaces and BIRD per trial; BIRD keeps routes in its table only (no kernel export); polled over its control socket every {} ms",
            plan.poll.as_millis()
        ),
    );
    report.note(Scenario::Scale, format!("announcer: one [[vip]] with prefixes = [N host routes], bind = false, no checks; instead the speaker's namespace gets one AnyIP route, `ip route add local {SCALE_BLOCK} dev lo`, before the speaker starts, so every address is still delivered locally (how an operator with thousands of VIPs runs it; ExaBGP and GoBGP bind nothing either); default logging; `start → running` is from its log line \"announcer running\""));
    if plan.runs(Speaker::Announcer) && plan.scale_sizes.iter().any(|&n| n >= TABLE_FORM_N) {
        report.note(Scenario::Scale, format!("{}: the same with N [[vip]] tables (one prefix each), taking turns with the others: bind = false and bind = \"address\" (each VIP an address on lo) at N = {} only, bind = \"route\" (each VIP a local route in the local table) from it up; the AnyIP route is there too, which changes nothing for them", Entrant::AnnouncerTables(Bind::None).label(), thousands(TABLE_FORM_N)));
    }
    report.note(Scenario::Scale, "ExaBGP: N static routes in its configuration; GoBGP: N routes injected with `gobgp mrt inject global` (one streamed batch; gobgpd's configuration cannot hold routes) once its API answers, then BIRD enabled");
    report.note(Scenario::Scale, "GoBGP: BIRD must connect (gobgpd's own first connect waits 5–10 s), and as the active side BIRD waits 0.75–1 s before connecting whatever `connect delay time` says; that wait (from BIRD's log) is left out of GoBGP's start → Established and start → all N and shown in its own column");
    if plan.runs(Speaker::Announcer) {
        kernel_floor::note(plan, report);
    }
    report.note(Scenario::Scale, "a speaker that times out at one N is not tried again at that N (its later trials are counted as failed)");
}

/// One trial of `entrant` with `n` routes.
fn trial_once(plan: &Plan, entrant: Entrant, n: usize) -> Result<Outcome> {
    let hosts = prefixes::scale_addresses(n)?;
    match entrant {
        Entrant::Speaker(Speaker::Announcer) => announcer_trial(plan, &hosts, None),
        Entrant::AnnouncerTables(bind) => announcer_trial(plan, &hosts, Some(bind)),
        Entrant::Speaker(Speaker::Exabgp) => exabgp_trial(plan, &hosts),
        Entrant::Speaker(Speaker::Gobgp) => gobgp_trial(plan, &hosts),
        Entrant::Speaker(Speaker::KernelFloor) => Err(Error::Check(
            "the kernel floor is measured once per N, not as a speaker".to_owned(),
        )),
        Entrant::Speaker(Speaker::Bird) => Err(Error::Check(
            "BIRD as a speaker is only the frozen-server reference".to_owned(),
        )),
    }
}

/// A fresh lab as the scale scenario needs it: BIRD without kernel export,
/// with Unix times and traced sessions (`start_disabled` for passive
/// speakers), and in the speaker's namespace one AnyIP route delivering the
/// whole scale block locally (announcer's VIPs are `bind = false`).
fn scale_lab(start_disabled: bool) -> Result<TrialRig> {
    let mode = if start_disabled {
        Mode::Active
    } else {
        Mode::Passive
    };
    let options = BirdOptions {
        kernel_export: false,
        unix_times: true,
        trace_sessions: true,
        start_disabled,
    };
    let lab = TrialRig::start(mode, options)?;
    lab.speaker_ns()?
        .ip(&["route", "add", "local", SCALE_BLOCK, "dev", "lo"])?;
    Ok(lab)
}

/// announcer with `hosts` in a table each bound as `tables` says, or
/// unbound in one `[[vip]]` table when `tables` is `None`.
fn announcer_trial(plan: &Plan, hosts: &[Ipv4Addr], tables: Option<Bind>) -> Result<Outcome> {
    let lab = scale_lab(false)?;
    let dir = lab.dir("announcer")?;
    let config = announcer::Config::new(lab.speaker_v4()?, &dir, hosts, Vec::new());
    let config = match tables {
        Some(bind) => config.bound_as(bind),
        None => config.without_binding().in_shared_tables(),
    };
    let config_path = announcer::write_config(&dir, &config)?;
    let ns = lab.speaker_ns()?;
    let mut control = lab.control()?;
    let start = Stamp::now();
    let mut speaker = announcer::spawn(&plan.binaries.announcer, &ns, &dir, &config_path)?;
    let mut outcome = finish(plan, &lab, &mut control, &mut speaker, hosts.len(), start)?;
    if let Some(running) = announcer::running_since(&dir) {
        outcome
            .samples
            .push((TO_RUNNING, (running - start.unix) * 1000.0));
    }
    Ok(outcome)
}

fn exabgp_trial(plan: &Plan, hosts: &[Ipv4Addr]) -> Result<Outcome> {
    let lab = scale_lab(false)?;
    let dir = lab.dir("exabgp")?;
    let config = exabgp::Config {
        local: lab.speaker_v4()?,
        routes: hosts.to_vec(),
        healthchecks: Vec::new(),
    };
    let config_path = exabgp::write_config(&dir, &config)?;
    let ns = lab.speaker_ns()?;
    let mut control = lab.control()?;
    let start = Stamp::now();
    let mut speaker = exabgp::spawn(&ns, &dir, &config_path)?;
    finish(plan, &lab, &mut control, &mut speaker, hosts.len(), start)
}

fn gobgp_trial(plan: &Plan, hosts: &[Ipv4Addr]) -> Result<Outcome> {
    let lab = scale_lab(true)?;
    let dir = lab.dir("gobgp")?;
    let local = lab.speaker_v4()?;
    let routes = gobgp::routes(local, hosts);
    let config_path = gobgp::write_config(&dir, local)?;
    let ns = lab.speaker_ns()?;
    let mut control = lab.control()?;
    let start = Stamp::now();
    let mut speaker = gobgp::spawn(&ns, &dir, &config_path)?;
    gobgp::wait_api(&ns, &mut speaker)?;
    let api = Instant::now();
    gobgp::inject(&ns, &dir, routes, hosts.len(), plan.scale_timeout)?;
    let injected = Instant::now();
    let enabled = Stamp::now();
    control.enable(&speaker_protocol())?;
    let outcome = finish(plan, &lab, &mut control, &mut speaker, hosts.len(), start)?;
    let log = std::fs::read_to_string(lab.router.log_file())
        .map_err(|e| Error::io("read BIRD's log", e))?;
    let connecting = connecting_at(&log, &speaker_protocol()).ok_or_else(|| {
        lab.failure(Error::Check(
            "BIRD's log does not say when it connected".to_owned(),
        ))
    })?;
    let delay = ((connecting - enabled.unix) * 1000.0).max(0.0);
    let mut samples: Vec<(Metric, f64)> = outcome
        .samples
        .into_iter()
        .map(|(metric, value)| {
            if metric == TO_ALL || metric == TO_ESTABLISHED {
                (metric, value - delay)
            } else {
                (metric, value)
            }
        })
        .collect();
    samples.push((TO_API, start.ms_to(api)));
    samples.push((TO_INJECTED, start.ms_to(injected)));
    samples.push((BIRD_DELAY, delay));
    Ok(Outcome { samples })
}

/// Waits until BIRD holds all `n` routes, then measures the phases and the
/// speaker's peak RSS; failures carry BIRD's and the speaker's logs.
fn finish(
    plan: &Plan,
    lab: &TrialRig,
    control: &mut BirdControl,
    speaker: &mut Running,
    n: usize,
    start: Stamp,
) -> Result<Outcome> {
    let attach = |e: Error, speaker: &Running| lab.speaker_failure(e, speaker);
    let (all, view) = match wait_all(plan, control, speaker, n) {
        Ok(arrival) => arrival,
        // A timeout stays one (the run gives up on this speaker at this N).
        Err(Error::Timeout { what, after, last }) => {
            let logs = attach(Error::Check(String::new()), speaker);
            return Err(Error::Timeout {
                what,
                after,
                last: format!("{last}{logs}"),
            });
        }
        Err(e) => return Err(attach(e, speaker)),
    };
    let memory = procfs::memory(speaker.pid())?;
    let counted = control.route_count()?;
    if counted != n as u64 {
        return Err(attach(
            Error::Check(format!(
                "BIRD counted {n} imported routes but its tables hold {counted}"
            )),
            speaker,
        ));
    }
    let mut outcome = Outcome::default();
    let total = start.ms_to(all);
    if let Some(since) = view.since {
        let established = (since - start.unix) * 1000.0;
        outcome.samples.push((TO_ESTABLISHED, established));
        outcome
            .samples
            .push((ESTABLISHED_TO_ALL, total - established));
    }
    outcome.samples.push((TO_ALL, total));
    let megabytes = |kib: u64| kib as f64 * 1024.0 / 1e6;
    outcome.samples.push((PEAK_RSS, megabytes(memory.peak_kib)));
    outcome.samples.push((RSS, megabytes(memory.now_kib)));
    Ok(outcome)
}

/// Polls BIRD until its session with the speaker has imported `n` routes;
/// when it saw them, and what BIRD said then.
fn wait_all(
    plan: &Plan,
    control: &mut BirdControl,
    speaker: &mut Running,
    n: usize,
) -> Result<(Instant, ProtocolView)> {
    let protocol = speaker_protocol();
    let what = format!("BIRD to import {} routes", thousands(n));
    speaker.poll_until(&what, plan.scale_timeout, plan.poll, || {
        let view = control.protocol(&protocol).map_err(|e| e.to_string())?;
        if view.imported >= n as u64 {
            Ok((Instant::now(), view))
        } else {
            Err(format!(
                "{} imported, BGP state {}",
                view.imported, view.bgp_state
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::binaries;

    #[test]
    fn the_table_forms_run_right_after_announcer_from_their_n() {
        let plan = Plan::full(binaries());
        let speakers: Vec<Entrant> = plan.speakers.iter().map(|&s| Entrant::Speaker(s)).collect();
        assert_eq!(Entrant::at(&plan, 1_000), speakers);
        let at = Entrant::at(&plan, 100_000);
        assert_eq!(at.len(), speakers.len() + 1);
        assert_eq!(at[1], Entrant::AnnouncerTables(Bind::Route));
        let at = Entrant::at(&plan, TABLE_FORM_N);
        assert_eq!(at.len(), speakers.len() + 3);
        assert_eq!(at[1], Entrant::AnnouncerTables(Bind::None));
        assert_eq!(at[1].speaker(), Speaker::Announcer);
        assert_eq!(at[1].label(), "announcer, N [[vip]] tables");
        assert_eq!(at[3].label(), "announcer, N [[vip]] tables, bind = address");
        let without_us = Plan {
            speakers: vec![Speaker::Exabgp],
            ..plan
        };
        assert_eq!(
            Entrant::at(&without_us, TABLE_FORM_N),
            [Entrant::Speaker(Speaker::Exabgp)]
        );
    }
}
