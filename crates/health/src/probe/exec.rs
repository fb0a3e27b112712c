//! Exec probe: runs a command without a shell; exit status 0 passes.
//!
//! The command runs in its own process group with stdin closed and its output
//! drained (the first [`OUTPUT_CAP`] bytes of each stream are kept, for the
//! detail). At the timeout the whole process group is killed with SIGKILL, so
//! helpers the command started die with it, and the command is reaped.
//! A command is done when it has exited and its output is closed: a helper
//! left running with stdout or stderr open keeps the probe waiting until the
//! timeout, which then kills it.
//!
//! Killing a group needs `killpg(2)`; the workspace denies `unsafe`, so it
//! comes from the `nix` crate's safe wrapper.
//!
//! Privileges: the command starts with no capability at all, whatever the daemon
//! holds (see [`super::spawner`]), optionally as another user, and without the
//! daemon's systemd variables (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`),
//! so it can neither talk to systemd on the daemon's behalf nor change the host's
//! network. It does share the daemon's sandbox (the unit's read-only file system,
//! private `/tmp`, system call filter).

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, Command};
use tokio::time::Instant;

use super::{spawner, timed_out, ProbeResult, Verdict};
use crate::error::Error;
use crate::spec::ExecUser;

/// How much of stdout and of stderr is kept; the rest is read and discarded.
pub const OUTPUT_CAP: usize = 4 * 1024;

/// The longest output line quoted in a detail, in characters.
const LINE_CAP: usize = 120;

/// How long to wait for a killed command to be reaped before leaving it to
/// tokio's background reaping.
const REAP_GRACE: Duration = Duration::from_secs(1);

/// The daemon's systemd variables, which a check's command does not get.
const SYSTEMD_VARIABLES: [&str; 3] = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"];

/// Runs `command` (program and arguments) once as the daemon's user, bounded by `timeout`.
pub async fn probe(command: &[String], timeout: Duration) -> ProbeResult {
    probe_as(command, None, timeout).await
}

/// Runs `command` once as `user` (`None`: the daemon's user), bounded by `timeout`.
pub async fn probe_as(
    command: &[String],
    user: Option<&ExecUser>,
    timeout: Duration,
) -> ProbeResult {
    let start = Instant::now();
    let Some((program, args)) = command.split_first() else {
        return Verdict::fail("empty command").since(start);
    };
    let mut cmd = Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    for variable in SYSTEMD_VARIABLES {
        cmd.env_remove(variable);
    }
    if let Some(user) = user {
        cmd.env("USER", &user.name)
            .env("LOGNAME", &user.name)
            .env("HOME", &user.home);
    }
    let mut child = match spawner::spawn(cmd, user).await {
        Ok(child) => child,
        Err(err @ Error::Spawn { .. }) => {
            return Verdict::fail(format!("spawn {program:?}: {err}")).since(start)
        }
        Err(err) => return Verdict::fail(err.to_string()).since(start),
    };
    // Taken now: once the command is reaped its id is gone, but its helpers
    // may still hold the group.
    let group = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let finished = tokio::time::timeout(timeout, async {
        tokio::join!(child.wait(), drain(stdout), drain(stderr))
    })
    .await;
    let verdict = match finished {
        Ok((Ok(status), stdout, stderr)) => judge(status, &stdout, &stderr),
        Ok((Err(err), _, _)) => Verdict::fail(format!("wait: {err}")),
        Err(_) => {
            kill_group(group);
            reap(&mut child).await;
            timed_out(timeout)
        }
    };
    verdict.since(start)
}

/// Reads `pipe` to its end, keeping the first [`OUTPUT_CAP`] bytes.
async fn drain(pipe: Option<impl AsyncRead + Unpin>) -> Vec<u8> {
    let mut kept = Vec::new();
    let Some(mut pipe) = pipe else {
        return kept;
    };
    let mut chunk = [0_u8; 1024];
    loop {
        match pipe.read(&mut chunk).await {
            Ok(0) | Err(_) => return kept,
            Ok(read) => {
                let keep = read.min(OUTPUT_CAP.saturating_sub(kept.len()));
                kept.extend_from_slice(chunk.get(..keep).unwrap_or_default());
            }
        }
    }
}

/// Sends SIGKILL to the process group `group`; a group already gone is fine.
fn kill_group(group: Option<u32>) {
    let Some(group) = group.and_then(|id| i32::try_from(id).ok()) else {
        return;
    };
    match killpg(Pid::from_raw(group), Signal::SIGKILL) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(err) => {
            tracing::warn!(group, %err, "cannot kill the process group of a timed-out command")
        }
    }
}

/// Waits briefly for a killed command to exit, so it does not linger as a zombie.
async fn reap(child: &mut Child) {
    match tokio::time::timeout(REAP_GRACE, child.wait()).await {
        Ok(Ok(_)) => {}
        Ok(Err(err)) => tracing::warn!(%err, "cannot reap a killed command"),
        Err(_) => tracing::warn!("a killed command did not exit in time; reaping it later"),
    }
}

/// The verdict for a command that exited: "exit status 3: <first line of stderr>".
fn judge(status: ExitStatus, stdout: &[u8], stderr: &[u8]) -> Verdict {
    let outcome = match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => status.to_string(),
    };
    let detail = match first_line(stderr).or_else(|| first_line(stdout)) {
        Some(line) => format!("{outcome}: {line}"),
        None => outcome,
    };
    if status.success() {
        Verdict::pass(detail)
    } else {
        Verdict::fail(detail)
    }
}

/// The first non-blank line of `output`, trimmed and cut to [`LINE_CAP`] characters.
fn first_line(output: &[u8]) -> Option<String> {
    String::from_utf8_lossy(output)
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(|line| line.chars().take(LINE_CAP).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_skips_blank_lines_and_trims() {
        assert_eq!(
            first_line(b"\n  \n  disk full  \nmore"),
            Some("disk full".into())
        );
        assert_eq!(first_line(b" \n"), None);
    }

    #[test]
    fn first_line_is_cut_to_the_cap() {
        let long = "x".repeat(LINE_CAP * 2);
        assert_eq!(
            first_line(long.as_bytes()).map(|line| line.len()),
            Some(LINE_CAP)
        );
    }

    #[test]
    fn a_failing_exit_quotes_stderr_before_stdout() {
        let verdict = judge(ExitStatus::from_raw(3 << 8), b"out", b"err\n");
        assert!(!verdict.pass);
        assert_eq!(verdict.detail, "exit status 3: err");
    }

    #[test]
    fn a_signal_death_names_the_signal() {
        let verdict = judge(ExitStatus::from_raw(9), b"", b"");
        assert_eq!(verdict.detail, "killed by signal 9");
    }
}
