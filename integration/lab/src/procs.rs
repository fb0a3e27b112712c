//! Detached node processes: started in their node's namespace in a process
//! group of their own (so they outlive `lab up`), with stdin from
//! `/dev/null` and output to a log file; identified by PID *and* start time,
//! so a signal never reaches a process that merely reuses a recorded PID.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use std::os::unix::process::CommandExt as _;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::state::ProcessRecord;
use crate::error::{Error, Result};
use announcer_harness::wait::wait_until;

/// How often readiness and exit are polled.
const POLL: Duration = Duration::from_millis(50);

/// A process to start on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// Its short name; its log is `<name>.log` in the node directory.
    pub name: String,
    /// The program (absolute path or a name looked up in `PATH`).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// When it counts as started.
    pub ready: Ready,
}

/// When a started process counts as ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ready {
    /// Once this path exists (a socket).
    Path(PathBuf),
    /// Once a TCP socket listens on this port in its namespace.
    Listening(u16),
    /// At once.
    Started,
}

impl Launch {
    /// The command line, as recorded in the state.
    pub fn cmdline(&self) -> Vec<String> {
        std::iter::once(self.program.display().to_string())
            .chain(self.args.iter().cloned())
            .collect()
    }
}

/// Starts `launch` in namespace `netns` with `env`, working directory and
/// log in `dir`; returns the child and its record for node `node`.
pub fn spawn(
    netns: &str,
    node: &str,
    launch: &Launch,
    env: &[(String, String)],
    dir: &Path,
) -> Result<(Child, ProcessRecord)> {
    let log_path = dir.join(format!("{}.log", launch.name));
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| Error::io(format!("open {}", log_path.display()), e))?;
    let err_log = log
        .try_clone()
        .map_err(|e| Error::io(format!("open {}", log_path.display()), e))?;
    let mut command = Command::new("ip");
    command
        .args(["netns", "exec", netns])
        .arg(&launch.program)
        .args(&launch.args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(dir)
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log);
    let child = command.spawn().map_err(|e| {
        Error::io(
            format!(
                "start {} on {node}: {}",
                launch.name,
                launch.cmdline().join(" ")
            ),
            e,
        )
    })?;
    let pid = child.id();
    let start_time = stat(pid).map(|(_, start)| start).ok_or_else(|| {
        Error::Refused(format!(
            "{} on {node} (pid {pid}) vanished at once",
            launch.name
        ))
    })?;
    let record = ProcessRecord {
        node: node.to_owned(),
        name: launch.name.clone(),
        pid,
        start_time,
        cmdline: launch.cmdline(),
    };
    Ok((child, record))
}

/// Waits (bounded by `timeout`) until the process is ready; fails with the
/// tail of its log if it exits first or is not ready in time.
pub fn wait_ready(
    child: &mut Child,
    launch: &Launch,
    node: &str,
    dir: &Path,
    timeout: Duration,
) -> Result<()> {
    let pid = child.id();
    let what = format!("{} on {node} to be ready ({:?})", launch.name, launch.ready);
    let outcome = wait_until(&what, timeout, POLL, || {
        if let Ok(Some(status)) = child.try_wait() {
            return Ok(Err(format!("{} on {node} exited: {status}", launch.name)));
        }
        let ready = match &launch.ready {
            Ready::Path(path) => path.exists(),
            Ready::Listening(port) => listening(pid, *port),
            Ready::Started => true,
        };
        if ready {
            Ok(Ok(()))
        } else {
            Err("not yet".to_owned())
        }
    });
    let failure = match outcome {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(exited)) => exited,
        Err(e) => e.to_string(),
    };
    let log = dir.join(format!("{}.log", launch.name));
    Err(Error::Process {
        what: failure,
        contents: announcer_harness::process::tail(&log, 20),
        log,
    })
}

/// The state letter and start time of `pid` from `/proc/PID/stat`.
fn stat(pid: u32) -> Option<(char, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields
    // after it start behind the last ')'. There, index 0 is field 3 (state)
    // and index 19 is field 22 (start time).
    let (_, rest) = text.rsplit_once(')')?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((state, start))
}

/// Whether the recorded process is still this very process and not a zombie.
pub fn is_running(record: &ProcessRecord) -> bool {
    stat(record.pid).is_some_and(|(state, start)| start == record.start_time && state != 'Z')
}

/// Whether a TCP socket in `pid`'s network namespace listens on `port`
/// (from `/proc/PID/net/tcp` and `tcp6`: state `0A` is LISTEN).
fn listening(pid: u32, port: u16) -> bool {
    let suffix = format!(":{port:04X}");
    ["tcp", "tcp6"].iter().any(|table| {
        std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).is_ok_and(|text| {
            text.lines().skip(1).any(|line| {
                let mut fields = line.split_whitespace().skip(1);
                let local = fields.next().unwrap_or_default();
                let state = fields.nth(1).unwrap_or_default();
                local.ends_with(&suffix) && state == "0A"
            })
        })
    })
}

/// Stops every recorded process still running: SIGTERM, up to `grace` for
/// all to exit, then SIGKILL. Returns one line per process killed or already gone.
pub fn stop_all(records: &[ProcessRecord], grace: Duration) -> Vec<String> {
    let mut report = Vec::new();
    let running: Vec<&ProcessRecord> = records.iter().filter(|r| is_running(r)).collect();
    for record in &running {
        signal(record, Signal::SIGTERM);
    }
    let _ = wait_until("processes to exit after SIGTERM", grace, POLL, || {
        if running.iter().any(|r| is_running(r)) {
            Err("some still running".to_owned())
        } else {
            Ok(())
        }
    });
    for record in running {
        if is_running(record) {
            signal(record, Signal::SIGKILL);
            report.push(format!(
                "killed {} on {} (pid {}) after {grace:?}",
                record.name, record.node, record.pid
            ));
        }
    }
    report
}

/// Sends `sig` to the recorded process if it is still that process.
fn signal(record: &ProcessRecord, sig: Signal) {
    if !is_running(record) {
        return;
    }
    if let Ok(pid) = i32::try_from(record.pid) {
        let _ = kill(Pid::from_raw(pid), sig);
    }
}

/// Records for every process running in namespace `netns` (from `ip netns
/// pids`), so processes missing from the state can be stopped too.
pub fn in_namespace(netns: &str, node: &str) -> Vec<ProcessRecord> {
    let Ok(output) = Command::new("ip").args(["netns", "pids", netns]).output() else {
        return Vec::new();
    };
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|pid| pid.parse::<u32>().ok())
        .filter_map(|pid| {
            let (_, start_time) = stat(pid)?;
            Some(ProcessRecord {
                node: node.to_owned(),
                name: comm(pid),
                pid,
                start_time,
                cmdline: Vec::new(),
            })
        })
        .collect()
}

/// The command name of `pid`.
fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_is_identified_by_pid_and_start_time() {
        let pid = std::process::id();
        let (state, start) = stat(pid).unwrap();
        assert_ne!(state, 'Z');
        let mut record = ProcessRecord {
            node: "n".into(),
            name: "test".into(),
            pid,
            start_time: start,
            cmdline: Vec::new(),
        };
        assert!(is_running(&record));
        record.start_time += 1;
        assert!(!is_running(&record), "a reused PID is not our process");
    }
}
