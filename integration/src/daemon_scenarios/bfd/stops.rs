//! The daemon stopping with BFD running: SIGTERM (Cease, then AdminDown, which the router
//! must not take for a BFD failure), SIGUSR2 (a planned restart: the BFD session is handed
//! to the next process through `state_dir`, so the router never sees it go down and keeps
//! the route), and SIGKILL (a crash: what each router does is documented per router in
//! [`CrashOutcome`]).

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{announcer_bfd, log_count, router_bfd, wait_back, wait_bfd, with_bfd, FAILOVER_LIMIT};
use crate::daemon::expect_clean_exit;
use crate::daemon_scenarios::graceful::{client_loop, expect_no_failures};
use crate::daemon_scenarios::withdrawal::{expect_shutdown_reason, stop_and_exit};
use crate::daemon_scenarios::{measured, EXIT_LIMIT, RECONNECT_LIMIT};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, FINE_POLL, VIP};
use crate::error::{Error, Result};
use crate::kernel::{expect_next_hops, next_hops};
use crate::netns::Netns;
use crate::routers::bfd::FAST;
use crate::routers::RouterKind;
use crate::wait::{holds_for, wait_until, POLL};

/// How long the client loop runs before the restart, so both servers serve it.
const BEFORE: Duration = Duration::from_secs(1);
/// How long the route and the BFD session are watched after a restart.
const AFTER: Duration = Duration::from_secs(1);
/// The longest a route sampler runs.
const SAMPLER_LIMIT: Duration = Duration::from_secs(120);
/// How long the router may take to show how a stopped session ended.
const SHUTDOWN_SHOWN: Duration = Duration::from_secs(5);
/// How long FRR is watched keeping a crashed server's stale route.
const STALE_WATCH: Duration = Duration::from_secs(2);
/// The log line of a new process that carries on a BFD session.
const CARRIED_ON: &str = "BFD session carried on from the previous process";
/// The log line of a process releasing its first table.
const FIRST_TABLE: &str = "the first table is complete; sending End-of-RIB";

/// What a router does when a server's daemon crashes (SIGKILL: the TCP session closes, BFD
/// stops) while graceful restart and BFD are both on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrashOutcome {
    /// BIRD 2: BFD going Down ends its graceful-restart helper, so the route goes within
    /// a detection time.
    GoneWithinDetection,
    /// FRR 8.4: its graceful-restart helper keeps the stale route (until the restart
    /// time); a new start of the daemon (without the restart mark) replaces it.
    StaleUntilNewStart,
}

/// The documented outcome of a crash at `router`.
pub fn crash_outcome(router: RouterKind) -> CrashOutcome {
    match router {
        RouterKind::Bird => CrashOutcome::GoneWithinDetection,
        RouterKind::Frr | RouterKind::Gobgp => CrashOutcome::StaleUntilNewStart,
    }
}

/// Polls the kernel route for [`VIP`] every [`FINE_POLL`] on a thread, counting the
/// samples that lack an expected next hop.
struct RouteSampler {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Samples>>,
}

/// What a [`RouteSampler`] saw.
#[derive(Debug, Default)]
struct Samples {
    /// Samples taken.
    total: usize,
    /// Samples lacking a next hop of the expected ones, with when and what was seen.
    missing: Vec<(Duration, Vec<IpAddr>)>,
}

impl RouteSampler {
    fn start(ns: Arc<Netns>, want: Vec<IpAddr>) -> RouteSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut samples = Samples::default();
            let most = SAMPLER_LIMIT.as_millis() / FINE_POLL.as_millis();
            for _ in 0..most {
                if stopped.load(Ordering::Relaxed) || start.elapsed() > SAMPLER_LIMIT {
                    break;
                }
                let hops = next_hops(&ns, VIP)?;
                samples.total += 1;
                if !want.iter().all(|hop| hops.contains(hop)) {
                    samples.missing.push((start.elapsed(), hops));
                }
                std::thread::sleep(FINE_POLL);
            }
            Ok(samples)
        });
        RouteSampler { stop, thread }
    }

    fn stop(self) -> Result<Samples> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| Error::Check("the route sampler panicked".to_owned()))?
    }
}

/// SIGTERM to web1's daemon with BFD Up: its next hop leaves within a second, it exits
/// cleanly within 2 s (the time printed), and web2's BFD session is untouched. BIRD shows
/// our Administrative Shutdown as the session's last error, not a BFD failure. FRR's BFD
/// session shows the remote diagnostic "administratively down" (FRR 8.4's bgpd records any
/// later BFD Down as the neighbor's last reset, AdminDown included, even for a session our
/// Cease already closed: the AdminDown waits until FRR has closed its side, so the Cease
/// is what ends the session).
pub fn sigterm_with_bfd_closes_with_a_cease_not_a_bfd_failure(bed: Bed, test: &str) -> Result<()> {
    let router = bed.router;
    with_bfd(bed, TestbedOptions::default(), test, |lab| {
        let web2 = lab.web(2)?.peer();
        let web2_bfd = router_bfd(lab, 2)?;
        stop_and_exit(lab, 1, "TERM", &[web2])?;
        let peer = lab.web(1)?.peer();
        match router {
            RouterKind::Frr => {
                let session = wait_until(
                    "FRR to see web1's AdminDown",
                    SHUTDOWN_SHOWN,
                    POLL,
                    || match lab.router.bfd_session(peer) {
                        Ok(Some(s)) if s.raw.contains("administratively") => Ok(s),
                        other => Err(format!("{other:?}")),
                    },
                )?;
                eprintln!(
                    "[lab] after SIGTERM FRR's BFD session for web1: {}",
                    session.raw
                );
            }
            _ => {
                expect_shutdown_reason(lab, peer, "TERM")?;
                let reason = lab.router.session_down_reason(peer)?;
                eprintln!("[lab] after SIGTERM {router} says web1's session went down: {reason:?}");
                if reason
                    .as_deref()
                    .is_none_or(|r| r.to_lowercase().contains("bfd"))
                {
                    return Err(Error::Check(format!(
                        "expected {router} to close web1's session for our Cease, not BFD: {reason:?}"
                    )));
                }
            }
        }
        let log = lab.web(1)?.announcer.log_text()?;
        if !log.contains("BFD sessions administratively down") {
            return Err(Error::Check(
                "web1's log lacks the BFD AdminDown".to_owned(),
            ));
        }
        eprintln!(
            "[lab] web1's BFD at {router} after SIGTERM: {:?}",
            lab.router.bfd_session(peer)?
        );
        let after = router_bfd(lab, 2)?;
        if !after.stayed_up_since(&web2_bfd) {
            return Err(Error::Check(format!(
                "web2's BFD session changed: {} → {}",
                web2_bfd.raw, after.raw
            )));
        }
        Ok(())
    })
}

/// SIGUSR2 to web2's daemon (a planned restart), then a new process with the same config,
/// while a client loop runs through the VIP and the router's kernel route is sampled every
/// 20 ms: the new process carries the BFD session on, the router's BFD session for web2
/// never goes down (same `Since` / event counts), no sample lacks web2's next hop, no
/// client connection fails, and the fast timers are back in force at the end.
pub fn a_planned_restart_keeps_the_bfd_session_up(bed: Bed, test: &str) -> Result<()> {
    with_bfd(bed, TestbedOptions::default(), test, |lab| {
        let before = router_bfd(lab, 2)?;
        let sampler = RouteSampler::start(lab.topology.rtr.clone(), lab.both());
        let client = client_loop(lab);
        std::thread::sleep(BEFORE);
        let carried = web2_log_count(lab, CARRIED_ON)?;
        let tables = web2_log_count(lab, FIRST_TABLE)?;
        let start = Instant::now();
        let web2 = lab.web_mut(2)?;
        web2.announcer.signal("USR2")?;
        let status = web2.announcer.wait_exit(EXIT_LIMIT)?;
        expect_clean_exit(status, "USR2")?;
        measured("BFD restart: SIGUSR2 to exit", start.elapsed());
        web2.announcer.start()?;
        measured(
            "BFD restart: SIGUSR2 to the new process answering",
            start.elapsed(),
        );
        let released = wait_until(
            "web2's new process to carry BFD on and send its table",
            RECONNECT_LIMIT,
            POLL,
            || {
                let (now_carried, now_tables) = (
                    web2_log_count(lab, CARRIED_ON),
                    web2_log_count(lab, FIRST_TABLE),
                );
                match (now_carried, now_tables) {
                    (Ok(c), Ok(t)) if c > carried && t > tables => Ok(start.elapsed()),
                    other => Err(format!("{other:?}")),
                }
            },
        )?;
        measured(
            "BFD restart: SIGUSR2 to the new process's first table",
            released,
        );
        let fast = wait_bfd(lab, 2, FAST, start, RECONNECT_LIMIT)?;
        measured(
            "BFD restart: SIGUSR2 to the fast timers in force again",
            fast,
        );
        holds_for("web2's BFD session Up and unchanged", AFTER, POLL, || {
            let now = router_bfd(lab, 2).map_err(|e| e.to_string())?;
            if now.stayed_up_since(&before) {
                Ok(())
            } else {
                Err(format!("before {}; now {}", before.raw, now.raw))
            }
        })?;
        let samples = sampler.stop()?;
        eprintln!(
            "measured: BFD restart: {} route samples every {} ms, {} without web2's next hop {:?}",
            samples.total,
            FINE_POLL.as_millis(),
            samples.missing.len(),
            samples.missing.iter().take(5).collect::<Vec<_>>()
        );
        expect_no_failures("BFD restart", &client.stop()?)?;
        let ours = announcer_bfd(lab.web(2)?)?;
        if !samples.missing.is_empty() || ours.failures != 0 {
            return Err(Error::Check(format!(
                "web2's next hop was missing in {} of {} samples; status {ours:?}",
                samples.missing.len(),
                samples.total
            )));
        }
        Ok(())
    })
}

/// SIGKILL to web2's daemon (a crash; nothing restarts it at first): at BIRD the route
/// leaves within a second; at FRR the route is kept (stale) while nothing runs, and a new
/// start replaces it (the time it was stale printed). Either way web2 comes back.
pub fn a_crashed_daemon_ends_as_the_router_documents(bed: Bed, test: &str) -> Result<()> {
    let router = bed.router;
    with_bfd(bed, TestbedOptions::default(), test, |lab| {
        let web1 = lab.web(1)?.peer();
        let both = lab.both();
        let tables = web2_log_count(lab, FIRST_TABLE)?;
        let start = Instant::now();
        let web2 = lab.web_mut(2)?;
        web2.announcer.signal("KILL")?;
        web2.announcer.wait_exit(EXIT_LIMIT)?;
        match crash_outcome(router) {
            CrashOutcome::GoneWithinDetection => {
                let took = lab.wait_next_hops(VIP, &[web1], start, FAILOVER_LIMIT)?;
                measured(
                    &format!("BFD crash: SIGKILL → next hop gone at {router}"),
                    took,
                );
                let restarted = Instant::now();
                lab.web_mut(2)?.announcer.start()?;
                wait_back(
                    lab,
                    2,
                    restarted,
                    "BFD crash: new start → BFD Up and next hop back",
                )
            }
            CrashOutcome::StaleUntilNewStart => {
                holds_for("the stale route kept via both", STALE_WATCH, POLL, || {
                    expect_next_hops(&lab.topology.rtr, VIP, &both)
                })?;
                eprintln!(
                    "[lab] {router} kept web2's route for {} ms after the crash",
                    start.elapsed().as_millis()
                );
                let sampler = RouteSampler::start(lab.topology.rtr.clone(), both);
                lab.web_mut(2)?.announcer.start()?;
                let relearned = wait_until(
                    "web2's new session to send its table",
                    RECONNECT_LIMIT,
                    POLL,
                    || match (
                        lab.router
                            .session_established(lab.web(2).map_err(|e| e.to_string())?.peer()),
                        web2_log_count(lab, FIRST_TABLE),
                    ) {
                        (Ok(true), Ok(t)) if t > tables => Ok(start.elapsed()),
                        other => Err(format!("{other:?}")),
                    },
                )?;
                measured(&format!("BFD crash: route stale at {router} from SIGKILL until the new process's table"), relearned);
                wait_back(
                    lab,
                    2,
                    start,
                    "BFD crash: SIGKILL → new process's BFD Up and next hop back",
                )?;
                let samples = sampler.stop()?;
                eprintln!(
                    "measured: BFD crash: {} of {} route samples after the new start lacked web2",
                    samples.missing.len(),
                    samples.total
                );
                Ok(())
            }
        }
    })
}

/// How many lines of web2's daemon log contain `needle`.
fn web2_log_count(lab: &DaemonTestbed, needle: &str) -> Result<usize> {
    log_count(lab.web(2)?, needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_router_has_its_documented_crash_outcome() {
        assert_eq!(
            crash_outcome(RouterKind::Bird),
            CrashOutcome::GoneWithinDetection
        );
        assert_eq!(
            crash_outcome(RouterKind::Frr),
            CrashOutcome::StaleUntilNewStart
        );
    }
}
