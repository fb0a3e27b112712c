//! Child process guards: every process the lab starts is owned by a
//! [`ChildGuard`], which kills it by PID and reaps it on drop, and keeps its
//! output in log files so a failing test can show them.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;

use crate::error::{Error, Result};
use crate::wait::{wait_until, POLL};

/// How a child's standard streams are connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Streams {
    /// No stdin; stdout and stderr go to `<name>.stdout` / `<name>.stderr`.
    Logged,
    /// Piped stdin and stdout for the harness to drive; stderr to `<name>.stderr`.
    Interactive,
}

/// How many trailing lines of a log [`ChildGuard::logs`] shows.
const LOG_TAIL_LINES: usize = 60;

/// A running child process, killed (SIGKILL by PID) and reaped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    name: String,
    child: Child,
    stdout_log: Option<PathBuf>,
    stderr_log: PathBuf,
    exited: Option<ExitStatus>,
}

impl ChildGuard {
    /// Spawns `command` as `name` (logs under `log_dir`) and waits up to `timeout` until
    /// `ready` answers (`what` says for what, in the error); fails with the process's log
    /// if it exits first or is not ready in time.
    pub fn spawn_ready<T>(
        name: &str,
        command: Command,
        log_dir: &Path,
        (what, timeout): (&str, Duration),
        mut ready: impl FnMut() -> std::result::Result<T, String>,
    ) -> Result<Self> {
        let mut process = ChildGuard::spawn(name, command, log_dir, Streams::Logged)?;
        let outcome = wait_until(what, timeout, POLL, || {
            if let Ok(Some(status)) = process.try_exited() {
                return Ok(Err(format!("{name} exited: {status}")));
            }
            ready().map(Ok)
        });
        match outcome {
            Ok(Ok(_)) => Ok(process),
            Ok(Err(exited)) => Err(process.failure(exited)),
            Err(e) => Err(process.failure(e.to_string())),
        }
    }

    /// Spawns `command` as `name`, with its logs under `log_dir` (appended
    /// to, so a restarted process keeps its earlier output).
    pub fn spawn(
        name: &str,
        mut command: Command,
        log_dir: &Path,
        streams: Streams,
    ) -> Result<Self> {
        let stderr_log = log_dir.join(format!("{name}.stderr"));
        let stderr = append(&stderr_log)?;
        let stdout_log = match streams {
            Streams::Logged => {
                let path = log_dir.join(format!("{name}.stdout"));
                let file = append(&path)?;
                command.stdin(Stdio::null()).stdout(file);
                Some(path)
            }
            Streams::Interactive => {
                command.stdin(Stdio::piped()).stdout(Stdio::piped());
                None
            }
        };
        command.stderr(stderr);
        let child = command
            .spawn()
            .map_err(|e| Error::io(format!("spawn {name}: {command:?}"), e))?;
        Ok(ChildGuard {
            name: name.to_owned(),
            child,
            stdout_log,
            stderr_log,
            exited: None,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Takes the piped stdin (for [`Streams::Interactive`]).
    pub fn take_stdin(&mut self) -> Option<ChildStdin> {
        self.child.stdin.take()
    }

    /// Takes the piped stdout (for [`Streams::Interactive`]).
    pub fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.stdout.take()
    }

    /// The exit status if the process has exited, without blocking.
    pub fn try_exited(&mut self) -> Result<Option<ExitStatus>> {
        if self.exited.is_none() {
            self.exited = self
                .child
                .try_wait()
                .map_err(|e| Error::io(format!("wait for {}", self.name), e))?;
        }
        Ok(self.exited)
    }

    /// Waits (bounded) for the process to exit on its own.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let what = format!("{} (pid {}) to exit", self.name, self.pid());
        wait_until(&what, timeout, Duration::from_millis(50), || {
            match self.try_exited() {
                Ok(Some(status)) => Ok(status),
                Ok(None) => Err("still running".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    /// Asks the process to stop (SIGTERM by PID), waits up to `grace`, then
    /// kills it (SIGKILL) and reaps it.
    pub fn stop(&mut self, grace: Duration) -> Result<()> {
        if self.try_exited()?.is_some() {
            return Ok(());
        }
        if self.signal("TERM").is_ok() && self.wait_exit(grace).is_ok() {
            return Ok(());
        }
        self.kill()
    }

    /// Sends `signal` (a name such as `TERM`, `HUP`, `STOP`, `CONT`) to the
    /// process by PID. Fails if the process has already exited and been
    /// reaped, so a signal never reaches a recycled PID.
    pub fn signal(&mut self, signal: &str) -> Result<()> {
        if let Some(status) = self.try_exited()? {
            return Err(self.failure(format!(
                "cannot send SIG{signal} to {}: it exited ({status})",
                self.name
            )));
        }
        let pid = self.pid().to_string();
        crate::netns::run(Command::new("kill").args([&format!("-{signal}"), &pid])).map(drop)
    }

    /// Sends `signal` to the process by PID straight from this process
    /// (`kill(2)`, no `kill(1)` to spawn), so a harness timing what follows
    /// the signal does not count a fork and exec. Like [`ChildGuard::signal`],
    /// fails once the process has exited and been reaped.
    pub fn send_signal(&mut self, signal: nix::sys::signal::Signal) -> Result<()> {
        if let Some(status) = self.try_exited()? {
            return Err(self.failure(format!(
                "cannot send {signal} to {}: it exited ({status})",
                self.name
            )));
        }
        let pid = i32::try_from(self.pid())
            .map_err(|e| Error::Check(format!("pid {} of {}: {e}", self.pid(), self.name)))?;
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)
            .map_err(|e| Error::io(format!("send {signal} to {}", self.name), e.into()))
    }

    /// Kills the process (SIGKILL by PID) and reaps it.
    pub fn kill(&mut self) -> Result<()> {
        if self.try_exited()?.is_some() {
            return Ok(());
        }
        self.child
            .kill()
            .map_err(|e| Error::io(format!("kill {}", self.name), e))?;
        let status = self
            .child
            .wait()
            .map_err(|e| Error::io(format!("reap {}", self.name), e))?;
        self.exited = Some(status);
        Ok(())
    }

    /// The last lines of the process's stderr (and stdout when logged), for
    /// failure messages.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for path in self
            .stdout_log
            .iter()
            .chain(std::iter::once(&self.stderr_log))
        {
            out.push_str(&format!(
                "--- {} ---\n{}\n",
                path.display(),
                tail(path, LOG_TAIL_LINES)
            ));
        }
        out
    }

    /// An error saying `what` about this process, with its stderr attached.
    pub fn failure(&self, what: impl Into<String>) -> Error {
        Error::Process {
            what: what.into(),
            log: self.stderr_log.clone(),
            contents: tail(&self.stderr_log, LOG_TAIL_LINES),
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Err(e) = self.kill() {
            eprintln!(
                "lab: could not stop {} (pid {}): {e}",
                self.name,
                self.pid()
            );
        }
    }
}

/// Opens a log file for appending, creating it if needed.
/// Waits at most `timeout` (checking every `poll`) for `child`, started in a process group
/// of its own, to finish; on timeout kills its whole group, reaps it and returns the wait's
/// error. `what` names it in that error.
pub fn wait_or_kill_group(
    child: &mut Child,
    what: &str,
    timeout: Duration,
    poll: Duration,
) -> Result<ExitStatus> {
    let finished = wait_until(
        &format!("{what} to finish"),
        timeout,
        poll,
        || match child.try_wait() {
            Ok(Some(status)) => Ok(status),
            Ok(None) => Err("still running".to_owned()),
            Err(e) => Err(e.to_string()),
        },
    );
    if finished.is_err() {
        // Not reaped yet, so the process group is still ours to kill.
        if let Ok(pid) = i32::try_from(child.id()) {
            let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = child.wait();
    }
    finished
}

fn append(path: &Path) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| Error::io(format!("open {}", path.display()), e))
}

/// The last `lines` lines of a text file (or why it could not be read).
pub fn tail(path: &Path, lines: usize) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let all: Vec<&str> = text.lines().collect();
            all.iter()
                .skip(all.len().saturating_sub(lines))
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_guard_kills_and_reaps_its_process() {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("sleep");
        command.arg("30");
        let guard = ChildGuard::spawn("sleeper", command, dir.path(), Streams::Logged).unwrap();
        let proc_dir = PathBuf::from(format!("/proc/{}", guard.pid()));
        assert!(proc_dir.exists());
        drop(guard);
        assert!(!proc_dir.exists(), "the process is gone and reaped");
    }

    #[test]
    fn stop_terminates_gracefully_and_logs_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "echo hello >&2; exec sleep 30"]);
        let mut guard = ChildGuard::spawn("talker", command, dir.path(), Streams::Logged).unwrap();
        wait_until(
            "stderr written",
            Duration::from_secs(5),
            Duration::from_millis(10),
            || {
                if tail(&dir.path().join("talker.stderr"), 5).contains("hello") {
                    Ok(())
                } else {
                    Err("empty".into())
                }
            },
        )
        .unwrap();
        guard.stop(Duration::from_secs(5)).unwrap();
        assert!(guard.try_exited().unwrap().is_some());
        assert!(guard.logs().contains("hello"));
    }
}
