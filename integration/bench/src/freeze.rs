//! Freezing a server: SIGSTOP to every process in its network namespace
//! (`ip netns pids NS`, then `kill(2)` by PID each), as a hung host looks
//! to its router: no packet leaves it, no connection closes. The guard sends
//! SIGCONT to every process it stopped when dropped, so a trial that fails
//! or is interrupted still resumes them (and can then kill them by PID).

use std::process::Command;
use std::time::Instant;

use nix::errno::Errno;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use announcer_harness::error::{Error, Result};
use announcer_harness::netns::{run, Netns};

/// At most this many processes are frozen (a namespace of the lab holds a
/// handful).
const MAX_PIDS: usize = 1_000;

/// The processes of a frozen namespace; resumed (SIGCONT) on drop.
#[derive(Debug)]
pub struct Frozen {
    /// The processes stopped.
    pids: Vec<Pid>,
    /// When the first SIGSTOP was sent.
    pub at: Instant,
}

impl Frozen {
    /// Stops every process in `ns`; an error (with those already stopped
    /// resumed) if there is none or one cannot be signalled.
    pub fn namespace(ns: &Netns) -> Result<Self> {
        let text = run(Command::new("ip").args(["netns", "pids", ns.name()]))?;
        let pids = parse_pids(&text)?;
        if pids.is_empty() {
            return Err(Error::Check(format!(
                "no process to freeze in {}",
                ns.name()
            )));
        }
        let mut frozen = Frozen {
            pids: Vec::with_capacity(pids.len()),
            at: Instant::now(),
        };
        for pid in pids {
            match kill(pid, Signal::SIGSTOP) {
                Ok(()) => frozen.pids.push(pid),
                // Gone since it was listed: nothing to freeze.
                Err(Errno::ESRCH) => {}
                Err(e) => {
                    return Err(Error::io(
                        format!("send SIGSTOP to {pid} in {}", ns.name()),
                        e.into(),
                    ))
                }
            }
        }
        Ok(frozen)
    }

    /// How many processes are frozen.
    pub fn count(&self) -> usize {
        self.pids.len()
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        for &pid in &self.pids {
            // A process that died meanwhile needs no resuming.
            let _ = kill(pid, Signal::SIGCONT);
        }
    }
}

/// The PIDs `ip netns pids` prints, one per line.
fn parse_pids(text: &str) -> Result<Vec<Pid>> {
    let pids = text
        .split_whitespace()
        .map(|word| {
            word.parse::<i32>()
                .ok()
                .filter(|&pid| pid > 1)
                .map(Pid::from_raw)
                .ok_or_else(|| Error::parse("ip netns pids", format!("{word:?} is no PID")))
        })
        .collect::<Result<Vec<Pid>>>()?;
    if pids.len() > MAX_PIDS {
        return Err(Error::parse(
            "ip netns pids",
            format!("{} processes, more than {MAX_PIDS}", pids.len()),
        ));
    }
    Ok(pids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pids_are_read_one_per_line_and_nonsense_is_refused() {
        assert_eq!(
            parse_pids("1234\n987\n").unwrap(),
            vec![Pid::from_raw(1234), Pid::from_raw(987)]
        );
        assert!(parse_pids("").unwrap().is_empty());
        assert!(parse_pids("12 x\n").is_err());
        assert!(parse_pids("1\n").is_err(), "never init");
        assert!(parse_pids("-5\n").is_err());
    }
}
