//! The speaker under test: `bgp-speaker` running in a speaker namespace,
//! driven by commands on its stdin, reporting events on its stdout.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::process::{ChildStdin, ExitStatus};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::process::{ChildGuard, Streams};
use crate::sender::{Announcement, Sender};

/// Upper bound on the events one [`Speaker::wait_event`] call reads.
const MAX_EVENTS_PER_WAIT: usize = 10_000;

/// The command line of `bgp-speaker`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerArgs {
    /// `--local-as`.
    pub local_as: u32,
    /// `--router-id`.
    pub router_id: Ipv4Addr,
    /// `--peer ADDR:AS`, repeated.
    pub peers: Vec<(IpAddr, u32)>,
    /// `--password`.
    pub password: Option<String>,
    /// `--hold-time`.
    pub hold_time: u16,
    /// `--passive`.
    pub passive: bool,
    /// `--next-hop-v6`.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// `--listen`.
    pub listen: Option<SocketAddr>,
    /// `--backoff-max` in seconds.
    pub backoff_max: Option<u64>,
}

impl SpeakerArgs {
    /// A speaker at `v4`/`v6` in AS `local_as` peering with `router` (AS
    /// `router_as`), hold time 9, active.
    pub fn new(local_as: u32, v4: Ipv4Addr, v6: Ipv6Addr, router: IpAddr, router_as: u32) -> Self {
        SpeakerArgs {
            local_as,
            router_id: v4,
            peers: vec![(router, router_as)],
            password: None,
            hold_time: 9,
            passive: false,
            next_hop_v6: Some(v6),
            listen: None,
            backoff_max: None,
        }
    }

    /// The arguments as passed to the binary.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "--local-as".to_owned(),
            self.local_as.to_string(),
            "--router-id".to_owned(),
            self.router_id.to_string(),
        ];
        for (address, asn) in &self.peers {
            args.push("--peer".to_owned());
            args.push(match address {
                IpAddr::V4(v4) => format!("{v4}:{asn}"),
                IpAddr::V6(v6) => format!("[{v6}]:{asn}"),
            });
        }
        if let Some(password) = &self.password {
            args.extend(["--password".to_owned(), password.clone()]);
        }
        args.extend(["--hold-time".to_owned(), self.hold_time.to_string()]);
        if self.passive {
            args.push("--passive".to_owned());
        }
        if let Some(v6) = self.next_hop_v6 {
            args.extend(["--next-hop-v6".to_owned(), v6.to_string()]);
        }
        if let Some(listen) = self.listen {
            args.extend(["--listen".to_owned(), listen.to_string()]);
        }
        if let Some(seconds) = self.backoff_max {
            args.extend(["--backoff-max".to_owned(), seconds.to_string()]);
        }
        args
    }
}

/// A running `bgp-speaker`; dropping it kills the process.
#[derive(Debug)]
pub struct Speaker {
    /// Declared first so it is closed (EOF) before the process is killed.
    stdin: Option<ChildStdin>,
    events: Receiver<String>,
    /// Every event line read so far, for failure messages.
    seen: Vec<String>,
    process: ChildGuard,
}

impl Speaker {
    /// Starts `binary` with `args` in `ns`; logs go to `dir/<name>.stderr`.
    pub fn spawn(
        binary: &Path,
        ns: &Netns,
        dir: &Path,
        name: &str,
        args: &SpeakerArgs,
    ) -> Result<Self> {
        let mut command = ns.command(&binary.to_string_lossy());
        command
            .args(args.to_args())
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1");
        let mut process = ChildGuard::spawn(name, command, dir, Streams::Interactive)?;
        let stdin = process.take_stdin();
        let stdout = process
            .take_stdout()
            .ok_or_else(|| process.failure("no stdout pipe"))?;
        let (sender, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout)
                .lines()
                .map_while(std::io::Result::ok)
            {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Speaker {
            stdin,
            events,
            seen: Vec::new(),
            process,
        })
    }

    /// Sends one command line.
    pub fn send(&mut self, command: &str) -> Result<()> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| Error::Check("speaker stdin already closed".into()))?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|e| {
                self.process
                    .failure(format!("send {command:?} to the speaker: {e}"))
            })
    }

    /// Waits for the next event line starting with `prefix` (earlier lines
    /// are skipped but kept for diagnostics); `error` lines fail the wait.
    pub fn wait_event(&mut self, prefix: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        for _ in 0..MAX_EVENTS_PER_WAIT {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.starts_with(prefix) {
                        return Ok(line);
                    }
                    if line.starts_with("error") {
                        return Err(self.failure(&format!(
                            "speaker reported {line:?} while waiting for {prefix:?}"
                        )));
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.failure(&format!(
                        "speaker stdout closed while waiting for {prefix:?}"
                    )));
                }
            }
        }
        Err(self.failure(&format!("no {prefix:?} event within {timeout:?}")))
    }

    /// The event lines that arrived so far and were not consumed by a wait.
    pub fn pending_events(&mut self) -> Vec<String> {
        let fresh: Vec<String> = self.events.try_iter().collect();
        self.seen.extend(fresh.iter().cloned());
        fresh
    }

    /// A `Vm*` field of `/proc/PID/status` in kB (e.g. `VmHWM`, the peak resident set).
    pub fn memory_kb(&self, field: &str) -> Result<u64> {
        let path = format!("/proc/{}/status", self.process.pid());
        let status =
            std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|value| value.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| Error::parse(path, format!("no {field} in {status}")))
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> Result<bool> {
        Ok(self.process.try_exited()?.is_none())
    }

    /// The last lines of the process's stderr (its `tracing` output).
    pub fn log_tail(&self) -> String {
        self.process.logs()
    }

    /// Closes stdin and waits for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        self.stdin = None;
        self.process.wait_exit(timeout)
    }

    fn failure(&self, what: &str) -> Error {
        self.process
            .failure(format!("{what}; events so far: {:?}", self.seen))
    }
}

/// How long the speaker may take to act on a command or event.
const SPEAKER_TIMEOUT: Duration = Duration::from_secs(10);

impl Sender for Speaker {
    fn announce(&mut self, route: &Announcement) -> Result<()> {
        self.send(&route.command())
    }

    fn withdraw(&mut self, prefix: &str) -> Result<()> {
        self.send(&format!("withdraw {prefix}"))
    }

    fn shutdown(&mut self, reason: &str) -> Result<()> {
        self.send(&format!("shutdown {reason}"))?;
        let status = self.wait_exit(SPEAKER_TIMEOUT)?;
        if !status.success() {
            return Err(self.failure(&format!("speaker exited with {status} after shutdown")));
        }
        Ok(())
    }

    fn wait_established(&mut self, timeout: Duration) -> Result<()> {
        self.wait_event("established ", timeout).map(drop)
    }

    fn wait_down(&mut self, timeout: Duration) -> Result<()> {
        self.wait_event("down ", timeout).map(drop)
    }

    fn logs(&self) -> String {
        format!("events: {:?}\n{}", self.seen, self.process.logs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_follow_the_speaker_contract() {
        let mut args = SpeakerArgs::new(
            65001,
            "192.0.2.11".parse().unwrap(),
            "2001:db8::11".parse().unwrap(),
            "192.0.2.1".parse().unwrap(),
            65000,
        );
        args.password = Some("s3cret".into());
        assert_eq!(
            args.to_args().join(" "),
            "--local-as 65001 --router-id 192.0.2.11 --peer 192.0.2.1:65000 --password s3cret --hold-time 9 --next-hop-v6 2001:db8::11"
        );
    }
}
