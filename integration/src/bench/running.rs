//! A speaker process under test and whatever it started (ExaBGP runs its
//! health checks as child processes): dropping it kills the descendants,
//! then the process itself, all by PID.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::Signal;

use super::procfs;
use super::stop::poll_until;
use crate::error::Result;
use crate::process::{ChildGuard, Streams};

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

    /// An error unless it is still running: `Err` with its log if it exited.
    pub fn alive(&mut self) -> std::result::Result<(), String> {
        match self.process.try_exited() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(self
                .process
                .failure(format!("it exited ({status})"))
                .to_string()),
            Err(e) => Err(e.to_string()),
        }
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
