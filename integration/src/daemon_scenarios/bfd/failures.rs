//! Failures only BFD notices quickly: a frozen server (every process of its namespace
//! stopped), a link that drops the server's packets while the router's interface stays
//! up, and a daemon whose check loop stalls (its BFD packets stop with its liveness lease).
//! Each must take web2's next hop out of the router's kernel route within a bound, the
//! router must say BFD took the session down, and web2 must come back once healed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::{expect_reset_by_bfd, log_count, wait_back, with_bfd, FAILOVER_LIMIT};
use crate::daemon::{CHECK_INTERVAL, CHECK_TIMEOUT};
use crate::daemon_scenarios::measured;
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, FINE_POLL, VIP};
use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::process::{ChildGuard, Streams};
use crate::wait::{wait_until, POLL};

/// The table of [`DROP_RULES`] in web2's namespace.
const DROP_TABLE: &str = "bfdlab";
/// nftables rules dropping everything in and out of `eth0` (not `lo`: the health check
/// and the control socket stay).
const DROP_RULES: &str = "table inet bfdlab {
  chain input { type filter hook input priority 0; policy accept; iifname \"eth0\" drop; }
  chain output { type filter hook output priority 0; policy accept; oifname \"eth0\" drop; }
}
";
/// How long `strace` holds each `epoll_wait` of the daemon's main thread: longer than the
/// whole scenario, so that thread (its loop and the check loops on it) makes no progress
/// while the BFD thread, not traced, runs on.
const STALL_DELAY_US: u64 = 60_000_000;
/// `strace`'s start-up bound.
const TRACER_STARTUP: Duration = Duration::from_secs(10);
/// The daemon's liveness period and the lease its BFD packets run on (2.5 periods).
const LIVENESS: Duration = Duration::from_secs(1);
/// How much longer than interval + timeout a check loop may go without a probe before the
/// daemon calls it stalled.
const STALL_SLACK: Duration = Duration::from_secs(2);
/// See [`LIVENESS`].
const BFD_LEASE: Duration = Duration::from_millis(2500);
/// How long a log line may take to appear after what causes it.
const LOG_LIMIT: Duration = Duration::from_secs(5);

/// Every process of a web namespace stopped (SIGSTOP); continued (SIGCONT) when dropped,
/// also when the scenario fails.
struct Frozen {
    pids: Vec<u32>,
}

impl Frozen {
    fn freeze(web: &Web) -> Result<Frozen> {
        let mut frozen = Frozen { pids: Vec::new() };
        for pid in web.pids()? {
            send(pid, Signal::SIGSTOP)?;
            frozen.pids.push(pid);
        }
        Ok(frozen)
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        for pid in &self.pids {
            if let Err(e) = send(*pid, Signal::SIGCONT) {
                eprintln!("lab: could not continue pid {pid}: {e}");
            }
        }
    }
}

fn send(pid: u32, signal: Signal) -> Result<()> {
    let raw = i32::try_from(pid).map_err(|e| Error::Check(format!("pid {pid}: {e}")))?;
    kill(Pid::from_raw(raw), signal)
        .map_err(|e| Error::io(format!("send {signal} to pid {pid}"), e.into()))
}

/// [`DROP_RULES`] loaded in a namespace; deleted when dropped.
struct Dropping<'a> {
    ns: &'a Netns,
}

impl<'a> Dropping<'a> {
    fn start(ns: &'a Netns, dir: &Path) -> Result<Dropping<'a>> {
        let file = dir.join("drop.nft");
        std::fs::write(&file, DROP_RULES)
            .map_err(|e| Error::io(format!("write {}", file.display()), e))?;
        ns.exec("nft", &["-f", &file.to_string_lossy()])?;
        Ok(Dropping { ns })
    }

    fn stop(self) -> Result<()> {
        let ns = self.ns;
        std::mem::forget(self);
        ns.exec("nft", &["delete", "table", "inet", DROP_TABLE])
            .map(drop)
    }
}

impl Drop for Dropping<'_> {
    fn drop(&mut self) {
        let _ = self
            .ns
            .exec("nft", &["delete", "table", "inet", DROP_TABLE]);
    }
}

/// Waits until web2's next hop has left the router's kernel route (from `start`, within
/// `limit`), prints how long that took as `what`, and checks that the router says BFD
/// reset the session.
fn expect_dropped_by_bfd(
    lab: &DaemonTestbed,
    (start, limit): (Instant, Duration),
    what: &str,
) -> Result<()> {
    let web1 = lab.web(1)?.peer();
    let took = lab.wait_next_hops(VIP, &[web1], start, limit)?;
    measured(what, took);
    expect_reset_by_bfd(lab, 2)
}

/// Every process of web2's namespace stopped: its next hop leaves the router's kernel
/// route within a second (BFD's 300 ms detection, where hold-time expiry takes seconds),
/// the router says BFD reset the session; continued, web2 comes back by itself.
pub fn a_frozen_server_leaves_the_route_within_a_second(bed: Bed, test: &str) -> Result<()> {
    let router = bed.router;
    with_bfd(bed, TestbedOptions::default(), test, |lab| {
        let start = Instant::now();
        let frozen = Frozen::freeze(lab.web(2)?)?;
        expect_dropped_by_bfd(
            lab,
            (start, FAILOVER_LIMIT),
            &format!("BFD: web2 frozen → next hop gone at {router}"),
        )?;
        let resumed = Instant::now();
        drop(frozen);
        wait_back(
            lab,
            2,
            resumed,
            "BFD: web2 continued → BFD Up and next hop back",
        )
    })
}

/// nftables in web2's namespace drop everything on its `eth0` (the router's interface
/// stays up and sees nothing): web2's next hop leaves within a second and the router says
/// BFD reset the session; without the rules, web2 comes back by itself.
pub fn a_link_dropping_packets_unseen_by_the_router_removes_the_server(
    bed: Bed,
    test: &str,
) -> Result<()> {
    let router = bed.router;
    let options = TestbedOptions::needing(&["nft"]);
    with_bfd(bed, options, test, |lab| {
        let web2 = lab.web(2)?;
        let start = Instant::now();
        let dropping = Dropping::start(&web2.ns, web2.dir())?;
        expect_dropped_by_bfd(
            lab,
            (start, FAILOVER_LIMIT),
            &format!("BFD: web2's packets dropped → next hop gone at {router}"),
        )?;
        let healed = Instant::now();
        dropping.stop()?;
        wait_back(
            lab,
            2,
            healed,
            "BFD: drop rules removed → BFD Up and next hop back",
        )
    })
}

/// web2's daemon loop stalls for real while its BFD thread runs on: `strace` holds every
/// `epoll_wait` of its main thread (where the loop and the check loops run), as a blocked
/// call in the loop would. The liveness lease then runs out and BFD packets stop: web2's
/// next hop leaves the router within interval, plus timeout, plus 2 s (the stall rule),
/// plus 2.5 s (the lease), plus 1 s, with the router resetting the session for BFD. Kept
/// stalled past the stall rule and released, the daemon logs its stalled check loop and
/// web2 comes back.
pub fn a_stalled_check_loop_stops_bfd_and_the_router_drops_the_server(
    bed: Bed,
    test: &str,
) -> Result<()> {
    let router = bed.router;
    let options = TestbedOptions::needing(&["strace"]);
    with_bfd(bed, options, test, |lab| {
        let stall_rule = CHECK_INTERVAL + CHECK_TIMEOUT + STALL_SLACK;
        let limit = stall_rule + BFD_LEASE + LIVENESS;
        let stalled_seen = log_count(lab.web(2)?, "check loop stalled")?;
        let (tracer, start) = stall_main_thread(lab.web(2)?)?;
        expect_dropped_by_bfd(
            lab,
            (start, limit),
            &format!(
                "BFD: web2's daemon loop stalled → next hop gone at {router} (bound {} ms)",
                limit.as_millis()
            ),
        )?;
        wait_log(lab.web(2)?, "stopped making progress", 0)?;
        // The lease ran out before the stall rule could call the loop stalled: keep it
        // stalled past that rule, so the daemon sees the stall once its thread runs again.
        std::thread::sleep((stall_rule + LIVENESS).saturating_sub(start.elapsed()));
        let released = Instant::now();
        drop(tracer);
        let line = wait_log(lab.web(2)?, "check loop stalled", stalled_seen)?;
        measured(
            "stall released → the daemon logs the stalled check loop",
            released.elapsed(),
        );
        eprintln!("[lab] web2: {}", line.trim());
        wait_back(
            lab,
            2,
            released,
            "BFD: stall released → BFD Up and next hop back",
        )
    })
}

/// Attaches `strace` to web's daemon's main thread only, delaying each of its
/// `epoll_wait` calls by [`STALL_DELAY_US`]; returns it (killing it lets the thread go on)
/// and when it was attached.
fn stall_main_thread(web: &Web) -> Result<(ChildGuard, Instant)> {
    let pid = web.announcer.pid()?;
    let mut command = Command::new("strace");
    command.args([
        "-p",
        &pid.to_string(),
        "-e",
        "trace=epoll_wait",
        "-e",
        &format!("inject=epoll_wait:delay_enter={STALL_DELAY_US}"),
    ]);
    let tracer = ChildGuard::spawn("strace", command, web.dir(), Streams::Logged)?;
    let err = web.dir().join("strace.stderr");
    wait_until(
        "strace to attach to the daemon",
        TRACER_STARTUP,
        FINE_POLL,
        || match std::fs::read_to_string(&err) {
            Ok(text) if text.contains("attached") => Ok(()),
            Ok(_) => Err("not yet".to_owned()),
            Err(e) => Err(e.to_string()),
        },
    )
    .map_err(|e| tracer.failure(e.to_string()))?;
    Ok((tracer, Instant::now()))
}

/// Waits until web's daemon log has more than `seen` lines with `needle`; returns the last.
fn wait_log(web: &Web, needle: &str, seen: usize) -> Result<String> {
    let what = format!("{}'s log to show {needle:?}", web.name);
    wait_until(&what, LOG_LIMIT, POLL, || {
        let log = web.announcer.log_text().map_err(|e| e.to_string())?;
        let lines: Vec<&str> = log.lines().filter(|l| l.contains(needle)).collect();
        match lines.last() {
            Some(line) if lines.len() > seen => Ok((*line).to_owned()),
            _ => Err(format!("{} such line(s)", lines.len())),
        }
    })
}
