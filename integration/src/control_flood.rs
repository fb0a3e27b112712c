//! The control socket under a flood: 1,100 idle connections to one web
//! server's `announcer` while its open-files limit is 1,024 (soft and hard,
//! set on the running daemon with `prlimit --pid`), in the
//! [`daemon_testbed`](crate::daemon_testbed) with BIRD as the router. Also who asked:
//! a withdrawal's uid and pid in `status` and in the log.
//!
//! The flood comes from the test process over the Unix socket (no network
//! traffic); its connections stay open and never write. What is measured,
//! and printed as `measured:` lines whether or not it holds (so the same
//! scenario gives the figures of a daemon without bounds): how long
//! `announcer status` takes during and after the flood, whether the router
//! keeps the route via web1, the daemon's open file descriptors, its log
//! lines saying "Too many open files", and what the flood's connections were
//! told.

use std::io::Read;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, VIP};
use crate::error::{Error, Result};
use crate::kernel::next_hops;
use crate::netns::{run, Netns};
use crate::routers::RouterKind;
use crate::status::Requester;

/// How many idle connections the flood opens.
pub const CONNECTIONS: usize = 1_100;
/// The daemon's open-files limit during the flood (soft and hard).
pub const OPEN_FILES: u64 = 1_024;
/// The most `announcer status` may take during the flood before the
/// scenario fails: a generous correctness bound (the target is 1 s, and the
/// figures printed are compared with it; a daemon without bounds does not
/// answer at all, its client gives up after 10 s).
pub const STATUS_LIMIT: Duration = Duration::from_secs(3);
/// How long the flood is held while the route and the daemon are watched:
/// longer than a check needs to fail (`fall` × (interval + timeout)) and
/// than the daemon's request timeout.
const HOLD: Duration = Duration::from_secs(7);
/// How often the route and the daemon's descriptors are sampled.
const SAMPLE: Duration = Duration::from_millis(100);
/// Sessions up and the VIP announced by both, from the lab's start.
const SETTLE: Duration = Duration::from_secs(30);
/// The most opening the flood may take.
const OPEN_LIMIT: Duration = Duration::from_secs(20);
/// What the daemon logs when it runs out of descriptors (EMFILE).
const EMFILE: &str = "Too many open files";
/// The reply of a connection the daemon has no room for.
const BUSY: &str = "busy: too many control connections";
/// The reason of the withdrawal whose requester is checked.
const REASON: &str = "who asked";

/// What one flood did to the daemon.
#[derive(Debug, Default)]
pub struct FloodOutcome {
    /// How long each `announcer status` took, or why it failed: right after
    /// the flood opened, at the end of the hold, and after it closed.
    pub status: Vec<(&'static str, std::result::Result<Duration, String>)>,
    /// When the router lost the route via web1, from the flood's start.
    pub route_lost_after: Option<Duration>,
    /// The most file descriptors the daemon had open.
    pub peak_fds: usize,
    /// The daemon's open file descriptors before the flood.
    pub fds_before: usize,
    /// Log lines saying "Too many open files" since the flood started.
    pub emfile_lines: usize,
    /// Flood connections told the daemon is busy.
    pub told_busy: usize,
    /// Flood connections told anything else (e.g. their request timed out).
    pub told_other: usize,
    /// Flood connections closed by the daemon without a word.
    pub closed_silently: usize,
    /// Flood connections still open and silent at the end of the hold.
    pub still_open: usize,
}

impl FloodOutcome {
    /// Prints every figure as a `measured:` line.
    pub fn print(&self) {
        for (when, took) in &self.status {
            match took {
                Ok(took) => measured(
                    &format!("status {when}"),
                    format!("{} ms", took.as_millis()),
                ),
                Err(e) => measured(&format!("status {when}"), format!("failed: {e}")),
            }
        }
        let lost = self.route_lost_after.map_or("kept".to_owned(), |t| {
            format!("lost after {} ms", t.as_millis())
        });
        measured("route via web1 during the flood", lost);
        measured(
            "daemon fds before / peak",
            format!("{} / {}", self.fds_before, self.peak_fds),
        );
        measured(
            "daemon log lines \"Too many open files\"",
            self.emfile_lines,
        );
        measured(
            "flood connections: told busy / told other / closed silently / still open",
            format!(
                "{} / {} / {} / {}",
                self.told_busy, self.told_other, self.closed_silently, self.still_open
            ),
        );
    }

    /// Fails unless the target holds: the route kept, every `status` during
    /// the flood answered within [`STATUS_LIMIT`], no "Too many open files",
    /// and the daemon's descriptors well under the limit.
    pub fn expect_target(&self) -> Result<()> {
        let mut failures = Vec::new();
        if let Some(after) = self.route_lost_after {
            failures.push(format!(
                "the router lost the route via web1 after {after:?}"
            ));
        }
        for (when, took) in &self.status {
            match took {
                Ok(took) if *took <= STATUS_LIMIT => {}
                Ok(took) => failures.push(format!("status {when} took {took:?}")),
                Err(e) => failures.push(format!("status {when} failed: {e}")),
            }
        }
        if self.emfile_lines > 0 {
            failures.push(format!("{} log lines say {EMFILE:?}", self.emfile_lines));
        }
        let ceiling = usize::try_from(OPEN_FILES / 2).unwrap_or(usize::MAX);
        if self.peak_fds >= ceiling {
            failures.push(format!("the daemon had {} descriptors open", self.peak_fds));
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::Check(failures.join("; ")))
        }
    }
}

/// The flood scenario (see the module doc): fails unless the target holds,
/// after printing its figures.
pub fn idle_connections_under_a_low_open_files_limit(web_server: &str, test: &str) -> Result<()> {
    let options = TestbedOptions::needing(&["prlimit"]);
    let bed = Bed::new(RouterKind::Bird, web_server);
    let Some(lab) = DaemonTestbed::start_with(bed, &options, test)? else {
        return Ok(());
    };
    if let Err(error) = lab.wait_all_announced(SETTLE) {
        return Err(lab.failure(error));
    }
    lab.run(|lab| {
        let outcome = flood(lab)?;
        outcome.print();
        outcome.expect_target()
    })
}

/// Limits web1's daemon to [`OPEN_FILES`], opens the flood, watches, closes it.
fn flood(lab: &DaemonTestbed) -> Result<FloodOutcome> {
    let web1 = lab.web(1)?;
    let pid = web1.announcer.pid()?;
    let limit = format!("--nofile={OPEN_FILES}:{OPEN_FILES}");
    run(Command::new("prlimit").args(["--pid", &pid.to_string(), &limit]))?;
    measured("web1 announcer open-files limit", max_open_files(pid)?);
    let log_before = web1.announcer.log_text()?.len();
    let mut outcome = FloodOutcome {
        fds_before: open_fds(pid)?,
        ..FloodOutcome::default()
    };
    outcome.peak_fds = outcome.fds_before;
    let start = Instant::now();
    let mut streams = open_idle(&web1.announcer.config().socket, CONNECTIONS)?;
    measured(
        &format!("opening {CONNECTIONS} idle connections"),
        format!("{} ms", start.elapsed().as_millis()),
    );
    let rtr: &Netns = &lab.topology.rtr;
    let both = lab.both();
    let deadline = start + HOLD;
    let watched = std::thread::scope(|scope| {
        let watcher = scope.spawn(|| watch(rtr, pid, &both, start, deadline));
        outcome
            .status
            .push(("right after the flood opened", timed_status(web1)));
        watcher.join()
    });
    let (lost, peak) = watched.map_err(|_| Error::Check("the watcher panicked".to_owned()))??;
    outcome.route_lost_after = lost;
    outcome.peak_fds = outcome.peak_fds.max(peak);
    outcome
        .status
        .push(("at the end of the hold", timed_status(web1)));
    for stream in &mut streams {
        match told(stream) {
            Told::Busy => outcome.told_busy += 1,
            Told::Other => outcome.told_other += 1,
            Told::Closed => outcome.closed_silently += 1,
            Told::Nothing => outcome.still_open += 1,
        }
    }
    drop(streams);
    outcome
        .status
        .push(("after the flood closed", timed_status(web1)));
    let log = web1.announcer.log_text()?;
    outcome.emfile_lines = log
        .get(log_before..)
        .unwrap_or(&log)
        .lines()
        .filter(|line| line.contains(EMFILE))
        .count();
    Ok(outcome)
}

/// Who asked: `announcer withdraw --now` on web1 puts its uid and pid in
/// `status --json`, in the text status beside the reason and in the log;
/// `announcer announce` logs its own.
pub fn a_withdrawal_records_who_asked(web_server: &str, test: &str) -> Result<()> {
    let bed = Bed::new(RouterKind::Bird, web_server);
    let Some(lab) = DaemonTestbed::start(bed, test)? else {
        return Ok(());
    };
    if let Err(error) = lab.wait_all_announced(SETTLE) {
        return Err(lab.failure(error));
    }
    lab.run(|lab| {
        let web1 = lab.web(1)?;
        web1.announcer
            .control(&["withdraw", "--now", VIP, "--reason", REASON])?;
        let status = web1.announcer.status()?;
        let by = status.vip(VIP)?.maintenance.as_ref().and_then(|m| m.by);
        let Some(Requester { uid: 0, pid }) = by else {
            return Err(Error::Check(format!(
                "status names no requester uid 0 with a pid: {}",
                status.raw
            )));
        };
        let text = web1.announcer.control(&["status"])?;
        let beside = format!("maintenance by uid 0 (pid {pid}): {REASON}");
        expect_contains("text status", &text, &beside)?;
        let log = web1.announcer.log_text()?;
        expect_line(
            "log",
            &log,
            &["maintenance: withdrawing", &format!("uid=0 pid={pid}")],
        )?;
        web1.announcer.control(&["announce", VIP])?;
        let log = web1.announcer.log_text()?;
        expect_line("log", &log, &["maintenance over", "uid=0 pid="])
    })
}

fn expect_contains(what: &str, text: &str, want: &str) -> Result<()> {
    if text.contains(want) {
        Ok(())
    } else {
        Err(Error::Check(format!("{what} lacks {want:?}:\n{text}")))
    }
}

fn expect_line(what: &str, text: &str, parts: &[&str]) -> Result<()> {
    if text
        .lines()
        .any(|line| parts.iter().all(|p| line.contains(p)))
    {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "no {what} line with {parts:?}:\n{text}"
        )))
    }
}

/// Opens `count` connections to `socket` on a helper thread (a connect can
/// block while the listener's backlog is full), waiting at most
/// [`OPEN_LIMIT`]; they stay open and idle until dropped.
fn open_idle(socket: &Path, count: usize) -> Result<Vec<UnixStream>> {
    let (tx, rx) = mpsc::channel();
    let socket = socket.to_owned();
    std::thread::spawn(move || {
        let mut streams = Vec::with_capacity(count);
        for n in 0..count {
            match UnixStream::connect(&socket) {
                Ok(stream) => streams.push(stream),
                Err(e) => {
                    let _ = tx.send(Err(format!("connection {} of {count}: {e}", n + 1)));
                    return;
                }
            }
        }
        let _ = tx.send(Ok(streams));
    });
    match rx.recv_timeout(OPEN_LIMIT) {
        Ok(Ok(streams)) => Ok(streams),
        Ok(Err(e)) => Err(Error::Check(format!("opening the flood: {e}"))),
        Err(_) => Err(Error::Check(format!(
            "opening {count} connections took over {OPEN_LIMIT:?}"
        ))),
    }
}

/// Samples the route via both web servers at the router and the daemon's
/// open descriptors until `deadline`: when the route was first lost (from
/// `start`), and the most descriptors seen.
fn watch(
    rtr: &Netns,
    pid: u32,
    both: &[std::net::IpAddr],
    start: Instant,
    deadline: Instant,
) -> Result<(Option<Duration>, usize)> {
    let mut lost = None;
    let mut peak = 0;
    let samples = HOLD.as_millis() / SAMPLE.as_millis() + 1;
    for _ in 0..samples {
        if let Ok(fds) = open_fds(pid) {
            peak = peak.max(fds);
        }
        if lost.is_none() && next_hops(rtr, VIP)? != both {
            lost = Some(start.elapsed());
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(SAMPLE.min(deadline - now));
    }
    Ok((lost, peak))
}

/// How long `announcer status` took, or why it failed.
fn timed_status(web: &Web) -> std::result::Result<Duration, String> {
    let start = Instant::now();
    let output = web
        .announcer
        .client(&["status"])
        .map_err(|e| e.to_string())?;
    let took = start.elapsed();
    if output.status.success() {
        Ok(took)
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        Err(format!("{} after {} ms", stderr.trim(), took.as_millis()))
    }
}

/// What the daemon told one flood connection, read without waiting.
enum Told {
    Busy,
    Other,
    Closed,
    Nothing,
}

fn told(stream: &mut UnixStream) -> Told {
    let mut buffer = [0; 256];
    if stream.set_nonblocking(true).is_err() {
        return Told::Nothing;
    }
    match stream.read(&mut buffer) {
        Ok(0) => Told::Closed,
        Ok(n) => {
            let text = String::from_utf8_lossy(buffer.get(..n).unwrap_or_default());
            if text.contains(BUSY) {
                Told::Busy
            } else {
                Told::Other
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Told::Nothing,
        Err(_) => Told::Closed,
    }
}

/// How many file descriptors `pid` has open.
fn open_fds(pid: u32) -> Result<usize> {
    let path = format!("/proc/{pid}/fd");
    let entries = std::fs::read_dir(&path).map_err(|e| Error::io(format!("list {path}"), e))?;
    Ok(entries.count())
}

/// The "Max open files" line of `/proc/PID/limits` (soft, hard).
fn max_open_files(pid: u32) -> Result<String> {
    let path = format!("/proc/{pid}/limits");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
    text.lines()
        .find_map(|line| line.strip_prefix("Max open files"))
        .map(|rest| {
            rest.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" / ")
        })
        .ok_or_else(|| Error::parse(&path, "no Max open files line"))
}

fn measured(what: &str, value: impl std::fmt::Display) {
    eprintln!("measured: {what}: {value}");
}
