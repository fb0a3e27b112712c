//! The running health checks: started, stopped and restarted as the configuration says, a
//! channel that names a check whenever its verdict flips, and the watchdog's view of them: a
//! check whose loop has stopped finishing probes counts as failing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use announcer_health::{spawn, CheckHandle, CheckSpec, CheckStatus, LastProbe};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::metrics::{CheckCounters, CheckMetrics, CheckSample};

/// Time on top of `interval + timeout` after which a check loop that finished no probe is
/// stalled (scheduling, and reaping a killed command, take up to about a second).
const STALL_SLACK: Duration = Duration::from_secs(2);

struct Running {
    spec: CheckSpec,
    handle: CheckHandle,
    forward: JoinHandle<()>,
    metrics: CheckMetrics,
}

impl Running {
    /// The loop has not finished a probe for longer than a live one ever takes.
    fn stalled(&self, now: Instant) -> bool {
        stalled(&self.spec, self.handle.status.borrow().last_run, now)
    }
}

/// A loop of `spec` that last finished a probe (or started) at `last_run` is stalled at `now`.
fn stalled(spec: &CheckSpec, last_run: Instant, now: Instant) -> bool {
    now.saturating_duration_since(last_run) > stall_limit(spec)
}

/// The longest a live loop of `spec` goes without finishing a probe, with slack.
fn stall_limit(spec: &CheckSpec) -> Duration {
    spec.interval + spec.timeout + STALL_SLACK
}

impl Drop for Running {
    fn drop(&mut self) {
        self.forward.abort();
        self.metrics.stop(&self.spec.name);
    }
}

/// The checks of the running configuration.
pub struct Checks {
    running: BTreeMap<String, Running>,
    metrics: CheckMetrics,
    flipped_tx: mpsc::UnboundedSender<String>,
    /// Names of checks whose verdict (healthy or not) changed.
    pub flipped: mpsc::UnboundedReceiver<String>,
}

impl Checks {
    /// No checks yet.
    pub fn new() -> Self {
        let (flipped_tx, flipped) = mpsc::unbounded_channel();
        Checks {
            running: BTreeMap::new(),
            metrics: CheckMetrics::default(),
            flipped_tx,
            flipped,
        }
    }

    /// Makes the running checks those of `specs`: new ones start, removed ones stop, changed
    /// ones restart (and so must rise again). Returns the names started or restarted.
    pub fn apply(&mut self, specs: &[CheckSpec]) -> Vec<String> {
        self.running
            .retain(|name, _| specs.iter().any(|s| &s.name == name));
        let mut started = Vec::new();
        for spec in specs {
            if self
                .running
                .get(&spec.name)
                .is_some_and(|r| &r.spec == spec)
            {
                continue;
            }
            self.running.remove(&spec.name);
            let handle = spawn(spec.clone());
            let forward = tokio::spawn(forward_flips(
                spec.name.clone(),
                handle.status.clone(),
                self.flipped_tx.clone(),
                self.metrics.start(&spec.name),
            ));
            self.running.insert(
                spec.name.clone(),
                Running {
                    spec: spec.clone(),
                    handle,
                    forward,
                    metrics: self.metrics.clone(),
                },
            );
            started.push(spec.name.clone());
        }
        started
    }

    /// The latest status of a check; a stalled one is reported failing, with why.
    pub fn status(&self, name: &str) -> Option<CheckStatus> {
        let running = self.running.get(name)?;
        let mut status = running.handle.status.borrow().clone();
        if running.stalled(Instant::now()) {
            status.healthy = false;
            status.last = Some(LastProbe {
                pass: false,
                latency: Duration::ZERO,
                detail: format!(
                    "check loop stalled: no probe finished for over {:?}",
                    stall_limit(&running.spec)
                ),
                at: SystemTime::now(),
            });
        }
        Some(status)
    }

    /// The names of the checks without a verdict yet: neither healthy nor failed `fall`
    /// times in a row.
    pub fn undecided(&self) -> Vec<String> {
        self.running
            .iter()
            .filter(|(_, r)| !r.handle.status.borrow().decided)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Each check's verdict, and their flips and latencies, for a metrics scrape.
    pub fn samples(&self) -> (Vec<CheckSample>, CheckMetrics) {
        let samples = self
            .running
            .keys()
            .map(|name| CheckSample {
                name: name.clone(),
                healthy: self.status(name).is_some_and(|s| s.healthy),
            })
            .collect();
        (samples, self.metrics.clone())
    }

    /// The names of the checks whose loops are stalled now.
    pub fn stalled(&self) -> Vec<String> {
        let now = Instant::now();
        self.running
            .iter()
            .filter(|(_, r)| r.stalled(now))
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// Sends `name` each time the check's verdict flips, and counts flips and probe latencies.
async fn forward_flips(
    name: String,
    mut status: tokio::sync::watch::Receiver<CheckStatus>,
    flipped: mpsc::UnboundedSender<String>,
    counters: CheckCounters,
) {
    let (mut healthy, mut probes) = {
        let now = status.borrow();
        (now.healthy, now.probes)
    };
    while status.changed().await.is_ok() {
        let (now, latency) = {
            let now = status.borrow();
            let latest = (now.probes != probes)
                .then_some(now.last.as_ref())
                .flatten();
            probes = now.probes;
            (now.healthy, latest.map(|l| l.latency))
        };
        if let Some(latency) = latency {
            counters.probed(latency);
        }
        if now != healthy {
            healthy = now;
            counters.flipped();
            if flipped.send(name.clone()).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use announcer_health::{CheckKind, FilePassIf};

    use super::*;

    fn spec() -> CheckSpec {
        let kind = CheckKind::File {
            path: PathBuf::from("/nonexistent"),
            pass_if: FilePassIf::Absent,
        };
        CheckSpec::new("web", kind)
    }

    #[test]
    fn a_loop_is_stalled_only_after_interval_timeout_and_slack_without_a_probe() {
        let start = Instant::now();
        let limit = Duration::from_secs(5);
        assert!(!stalled(&spec(), start, start));
        assert!(!stalled(&spec(), start, start + limit));
        assert!(stalled(
            &spec(),
            start,
            start + limit + Duration::from_millis(1)
        ));
    }

    #[test]
    fn a_probe_in_the_future_of_now_is_not_a_stall() {
        let now = Instant::now();
        assert!(!stalled(&spec(), now + Duration::from_secs(60), now));
    }
}
