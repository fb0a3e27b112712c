//! A speaker process under test and whatever it started (ExaBGP runs its
//! health checks as child processes): dropping it kills the descendants,
//! then the process itself, all by PID.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::procfs;
use crate::stop::{self, poll_until};
use announcer_harness::error::Result;
use announcer_harness::process::{ChildGuard, Streams};
use announcer_harness::wait::wait_until_unless;

/// How often [`run_bounded`] looks whether its command finished.
const RUN_POLL: Duration = Duration::from_millis(1);

/// A running speaker; killed with its descendants on drop.
#[derive(Debug)]
pub struct Running {
    process: ChildGuard,
}

impl Running {
    /// Takes ownership of a spawned speaker.
    pub fn new(process: ChildGuard) -> Self {
        Running { process }
    }

    /// Its PID.
    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// Sends `signal` by PID, directly (no `kill` process to wait for).
    pub fn signal(&mut self, signal: Signal) -> Result<()> {
        self.process.send_signal(signal)
    }

    /// An error, with its log, unless it is still running.
    pub fn alive(&mut self) -> Result<()> {
        match self.process.try_exited()? {
            None => Ok(()),
            Some(status) => Err(self.process.failure(format!("it exited ({status})"))),
        }
    }

    /// Calls `check_once` every `poll` until it returns `Ok`, for at most
    /// `timeout`, like [`poll_until`], while this process runs: its exit ends
    /// the wait at once, with its log, as does an interruption of the run.
    pub fn poll_until<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        poll: Duration,
        check_once: impl FnMut() -> std::result::Result<T, String>,
    ) -> Result<T> {
        let running = || {
            stop::check()?;
            self.alive()
        };
        wait_until_unless(what, timeout, poll, running, check_once)
    }

    /// Waits (bounded) until it exits on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<()> {
        self.process.wait_exit(timeout).map(drop)
    }

    /// Its logs, for failure messages.
    pub fn logs(&self) -> String {
        self.process.logs()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        procfs::kill_descendants(self.process.pid());
    }
}

/// Runs `command` as `name` (its output logged in `dir`) until it exits, at
/// most `timeout`, looking every millisecond so the caller learns of the end
/// at once; a non-zero exit is an error with its log.
pub fn run_bounded(name: &str, command: Command, dir: &Path, timeout: Duration) -> Result<()> {
    let mut process = ChildGuard::spawn(name, command, dir, Streams::Logged)?;
    let status = poll_until(
        &format!("{name} to finish"),
        timeout,
        RUN_POLL,
        || match process.try_exited() {
            Ok(Some(status)) => Ok(status),
            Ok(None) => Err("still running".to_owned()),
            Err(e) => Err(e.to_string()),
        },
    )?;
    if status.success() {
        Ok(())
    } else {
        Err(process.failure(format!("{name} failed ({status})")))
    }
}
