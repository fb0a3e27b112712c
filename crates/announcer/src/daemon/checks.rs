//! The running health checks: started, stopped and restarted as the configuration says, and
//! a channel that names a check whenever its verdict flips.

use std::collections::BTreeMap;

use announcer_health::{spawn, CheckHandle, CheckSpec, CheckStatus};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

struct Running {
    spec: CheckSpec,
    handle: CheckHandle,
    forward: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.forward.abort();
    }
}

/// The checks of the running configuration.
pub struct Checks {
    running: BTreeMap<String, Running>,
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
            let handle = spawn(spec.clone());
            let forward = tokio::spawn(forward_flips(
                spec.name.clone(),
                handle.status.clone(),
                self.flipped_tx.clone(),
            ));
            self.running.insert(
                spec.name.clone(),
                Running {
                    spec: spec.clone(),
                    handle,
                    forward,
                },
            );
            started.push(spec.name.clone());
        }
        started
    }

    /// The latest status of a check.
    pub fn status(&self, name: &str) -> Option<CheckStatus> {
        self.running
            .get(name)
            .map(|r| r.handle.status.borrow().clone())
    }
}

/// Sends `name` each time the check's verdict flips.
async fn forward_flips(
    name: String,
    mut status: tokio::sync::watch::Receiver<CheckStatus>,
    flipped: mpsc::UnboundedSender<String>,
) {
    let mut healthy = status.borrow().healthy;
    while status.changed().await.is_ok() {
        let now = status.borrow().healthy;
        if now != healthy {
            healthy = now;
            if flipped.send(name.clone()).is_err() {
                return;
            }
        }
    }
}
