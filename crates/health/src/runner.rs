//! The runner: one tokio task per check, probing forever and publishing its status.
//!
//! The first probe comes after a start-up jitter in `[0, interval)`, so checks
//! spawned together do not probe in step. Each later probe is scheduled
//! [`RiseFall::next_interval`] after the scheduled start of the previous one (no
//! drift); a probe that overruns is followed at once. Every result is fed to the
//! rise/fall policy and published on a `watch` channel.

use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use tracing::Instrument;

use crate::policy::{RiseFall, Transition};
use crate::probe::{self, human, ProbeResult};
use crate::spec::CheckSpec;

/// The longest wait the runner schedules: a year.
const MAX_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);

/// The published state of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckStatus {
    /// The check's name.
    pub name: String,
    /// The rise/fall state: announce the check's VIPs only while true.
    pub healthy: bool,
    /// Consecutive results equal to the latest one.
    pub streak: u32,
    /// The check has a verdict: healthy, or failed `fall` times in a row
    /// ([`RiseFall::decided`]).
    pub decided: bool,
    /// The latest probe, `None` before the first one.
    pub last: Option<LastProbe>,
    /// Probes run so far.
    pub probes: u64,
    /// Liveness for the daemon's watchdog: when the runner started, then when
    /// each probe finished. A live runner updates it at least every
    /// `interval + timeout`, plus slack for scheduling and for reaping a killed
    /// command (up to a second); older means it is stuck.
    pub last_run: std::time::Instant,
}

/// The outcome of the latest probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastProbe {
    /// Whether it passed.
    pub pass: bool,
    /// How long it took.
    pub latency: Duration,
    /// Why, for the operator.
    pub detail: String,
    /// When it finished (wall clock, for display).
    pub at: SystemTime,
}

/// A running check. Dropping the handle stops the check.
#[derive(Debug)]
pub struct CheckHandle {
    /// The latest status. Once the check stops, `changed()` returns an error.
    pub status: watch::Receiver<CheckStatus>,
    /// The task running the check.
    task: JoinHandle<()>,
}

impl CheckHandle {
    /// Stops the check; a probe in flight is dropped (a command it ran is killed).
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for CheckHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts running `spec` on the current tokio runtime.
///
/// # Panics
///
/// When called outside a tokio runtime, like `tokio::spawn`.
pub fn spawn(spec: CheckSpec) -> CheckHandle {
    let (publish, status) = watch::channel(CheckStatus::new(&spec.name));
    let span = tracing::info_span!("check", check = %spec.name);
    let task = tokio::spawn(
        async move {
            drive(&spec, &publish, || probe::run(&spec.kind, spec.timeout)).await;
        }
        .instrument(span),
    );
    CheckHandle { status, task }
}

impl CheckStatus {
    /// The status of a check that has not probed yet.
    fn new(name: &str) -> Self {
        CheckStatus {
            name: name.to_owned(),
            healthy: false,
            streak: 0,
            decided: false,
            last: None,
            probes: 0,
            last_run: std::time::Instant::now(),
        }
    }
}

/// Probes forever with `probe`, scheduling by the policy and publishing each result.
async fn drive<P, F>(spec: &CheckSpec, publish: &watch::Sender<CheckStatus>, mut probe: P)
where
    P: FnMut() -> F,
    F: Future<Output = ProbeResult>,
{
    let mut policy = RiseFall::new(spec.rise, spec.fall);
    let mut next = later(
        Instant::now(),
        startup_jitter(&spec.name, spec.interval, clock_seed()),
    );
    loop {
        sleep_until(next).await;
        let result = probe().await;
        let transition = policy.observe(result.pass);
        report(&spec.name, &policy, transition, &result);
        publish.send_modify(|status| {
            status.healthy = policy.healthy();
            status.streak = policy.streak();
            status.decided = policy.decided();
            status.probes = status.probes.saturating_add(1);
            status.last_run = std::time::Instant::now();
            status.last = Some(LastProbe {
                pass: result.pass,
                latency: result.latency,
                detail: result.detail,
                at: SystemTime::now(),
            });
        });
        next = later(next, policy.next_interval(spec)).max(Instant::now());
    }
}

/// `delay` after `at`, with the delay capped at [`MAX_DELAY`] so no interval overflows the clock.
fn later(at: Instant, delay: Duration) -> Instant {
    at + delay.min(MAX_DELAY)
}

/// Logs a transition at info and a failed probe at debug.
fn report(name: &str, policy: &RiseFall, transition: Option<Transition>, result: &ProbeResult) {
    let latency = human(result.latency);
    match transition {
        Some(Transition::Up) => tracing::info!(
            from = "down",
            to = "up",
            "check {name}: down → up after {} ({}, {latency})",
            count(policy.streak(), "pass", "passes"),
            result.detail
        ),
        Some(Transition::Down) => tracing::info!(
            from = "up",
            to = "down",
            "check {name}: up → down after {} ({}, {latency})",
            count(policy.streak(), "failure", "failures"),
            result.detail
        ),
        None if !result.pass => tracing::debug!(
            detail = %result.detail,
            %latency,
            streak = policy.streak(),
            "probe failed"
        ),
        None => {}
    }
}

/// "1 pass", "2 passes".
fn count(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A delay in `[0, interval)` derived from the check's name and `seed`.
fn startup_jitter(name: &str, interval: Duration, seed: u64) -> Duration {
    let mut hasher = DefaultHasher::new();
    name.hash(&mut hasher);
    seed.hash(&mut hasher);
    let nanos = u128::from(hasher.finish())
        .checked_rem(interval.as_nanos())
        .unwrap_or(0);
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// Varies the jitter between runs: nanoseconds of the wall clock.
fn clock_seed() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |since| u64::from(since.subsec_nanos()))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::spec::{CheckKind, FilePassIf};

    fn spec(rise: u32, fall: u32) -> CheckSpec {
        let kind = CheckKind::File {
            path: PathBuf::from("/nonexistent"),
            pass_if: FilePassIf::Exists,
        };
        CheckSpec {
            interval: Duration::from_secs(10),
            fast_interval: Duration::from_secs(1),
            rise,
            fall,
            ..CheckSpec::new("web", kind)
        }
    }

    fn result(pass: bool) -> ProbeResult {
        ProbeResult {
            pass,
            latency: Duration::from_millis(3),
            detail: if pass { "HTTP 200" } else { "HTTP 500" }.into(),
        }
    }

    /// What the scripted probe saw when it was called: the time and the status
    /// published so far.
    struct Call {
        at: Instant,
        healthy: bool,
        probes: u64,
    }

    /// Runs `drive` with a probe answering `script` (then failing, when it has
    /// run out) until `script.len()` results are published; returns the calls.
    async fn run_script(spec: CheckSpec, script: Vec<bool>, latency: Duration) -> Vec<Call> {
        let (publish, mut status) = watch::channel(CheckStatus::new(&spec.name));
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let watcher = status.clone();
        let answers = script.clone();
        let task = tokio::spawn(async move {
            drive(&spec, &publish, || {
                let current = watcher.borrow().clone();
                let mut calls = seen.lock().unwrap();
                let pass = answers.get(calls.len()).copied().unwrap_or(false);
                calls.push(Call {
                    at: Instant::now(),
                    healthy: current.healthy,
                    probes: current.probes,
                });
                async move {
                    tokio::time::sleep(latency).await;
                    result(pass)
                }
            })
            .await;
        });
        let count = u64::try_from(script.len()).unwrap();
        status.wait_for(|s| s.probes >= count).await.unwrap();
        task.abort();
        let mut calls = calls.lock().unwrap();
        calls.truncate(script.len());
        std::mem::take(&mut *calls)
    }

    fn gaps(calls: &[Call]) -> Vec<Duration> {
        calls.windows(2).map(|w| w[1].at - w[0].at).collect()
    }

    #[test]
    fn counts_are_singular_only_for_one() {
        assert_eq!(count(1, "pass", "passes"), "1 pass");
        assert_eq!(count(2, "pass", "passes"), "2 passes");
    }

    #[test]
    fn startup_jitter_stays_below_the_interval() {
        let interval = Duration::from_millis(1500);
        for seed in 0..1000 {
            assert!(startup_jitter("web", interval, seed) < interval);
        }
    }

    #[test]
    fn startup_jitter_differs_between_checks() {
        let interval = Duration::from_secs(10);
        let a = startup_jitter("web", interval, 7);
        let b = startup_jitter("api", interval, 7);
        assert_ne!(a, b);
    }

    #[test]
    fn startup_jitter_of_a_zero_interval_is_zero() {
        assert_eq!(startup_jitter("web", Duration::ZERO, 7), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_probe_comes_within_one_interval() {
        let start = Instant::now();
        let calls = run_script(spec(2, 2), vec![false], Duration::ZERO).await;
        assert!(calls[0].at - start < Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn rise_and_fall_transitions_are_published_at_the_fast_interval() {
        let script = vec![true, true, true, false, false, false, false];
        let calls = run_script(spec(2, 3), script, Duration::ZERO).await;
        let healthy_before: Vec<bool> = calls.iter().map(|c| c.healthy).collect();
        // Healthy after the 2nd pass, unhealthy after the 3rd failure (6th result).
        assert_eq!(
            healthy_before,
            [false, false, true, true, true, true, false]
        );
        let probes_before: Vec<u64> = calls.iter().map(|c| c.probes).collect();
        assert_eq!(probes_before, [0, 1, 2, 3, 4, 5, 6]);
        let s = Duration::from_secs;
        assert_eq!(gaps(&calls), [s(1), s(10), s(10), s(1), s(1), s(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_at_start_up_are_probed_at_the_normal_interval() {
        let calls = run_script(spec(2, 2), vec![false, false, false], Duration::ZERO).await;
        let s = Duration::from_secs;
        assert_eq!(gaps(&calls), [s(10), s(10)]);
        assert!(calls.iter().all(|c| !c.healthy));
    }

    #[tokio::test(start_paused = true)]
    async fn intervals_are_measured_from_the_start_of_the_previous_probe() {
        let calls = run_script(spec(1, 1), vec![true, true, true], Duration::from_secs(3)).await;
        let s = Duration::from_secs;
        assert_eq!(gaps(&calls), [s(10), s(10)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_that_overruns_is_followed_at_once() {
        let calls = run_script(spec(1, 1), vec![true, true, true], Duration::from_secs(25)).await;
        let s = Duration::from_secs;
        assert_eq!(gaps(&calls), [s(25), s(25)]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_published_status_carries_the_last_probe() {
        let (publish, mut status) = watch::channel(CheckStatus::new("web"));
        let spec = spec(1, 1);
        let task = tokio::spawn(async move {
            drive(&spec, &publish, || async { result(true) }).await;
        });
        let published = status.wait_for(|s| s.probes == 1).await.unwrap().clone();
        task.abort();
        assert_eq!(published.name, "web");
        assert!(published.healthy);
        assert_eq!(published.streak, 1);
        let last = published.last.unwrap();
        assert!(last.pass);
        assert_eq!(last.detail, "HTTP 200");
        assert_eq!(last.latency, Duration::from_millis(3));
    }

    #[tokio::test]
    async fn a_spawned_file_check_rises_and_falls_with_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("running");
        let spec = CheckSpec {
            name: "soft-stop".into(),
            kind: CheckKind::File {
                path: path.clone(),
                pass_if: FilePassIf::Exists,
            },
            interval: Duration::from_millis(40),
            fast_interval: Duration::from_millis(5),
            timeout: Duration::from_secs(1),
            rise: 2,
            fall: 2,
        };
        let mut handle = spawn(spec);
        let bound = Duration::from_secs(5);
        std::fs::write(&path, b"").unwrap();
        tokio::time::timeout(bound, handle.status.wait_for(|s| s.healthy))
            .await
            .unwrap()
            .unwrap();
        std::fs::remove_file(&path).unwrap();
        let down = tokio::time::timeout(bound, handle.status.wait_for(|s| !s.healthy))
            .await
            .unwrap()
            .unwrap()
            .clone();
        assert_eq!(down.last.unwrap().detail, "absent");
        assert_eq!(down.streak, 2);
    }

    #[tokio::test]
    async fn stopping_a_check_closes_its_status_channel() {
        let mut handle = spawn(spec(1, 1));
        handle.stop();
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            while handle.status.changed().await.is_ok() {}
        })
        .await;
        assert!(closed.is_ok());
    }
}
