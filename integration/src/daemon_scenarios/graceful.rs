//! Taking a server out or restarting its daemon without dropping client connections: the
//! drain (`announcer withdraw` re-announces with GRACEFUL_SHUTDOWN, waits, then withdraws)
//! and graceful restart (RFC 4724: after SIGUSR2 or a crash the router keeps the routes
//! while the daemon is replaced). A client loop of short connections runs through the VIP all along.

use std::cell::Cell;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use super::{measured, settled, EXIT_LIMIT, RECONNECT_LIMIT};
use crate::daemon_testbed::{Bed, DaemonTestbed, HTTP_PORT, VIP, VIP_ADDRESS};
use crate::error::{Error, Result};
use crate::http::{ClientLoop, Failure, Tally};
use crate::kernel::expect_next_hops;
use crate::wait::{holds_for, wait_until, POLL};

/// The drain time the drain scenario configures: long enough to watch the router mid-drain.
const DRAIN_TIME: Duration = Duration::from_secs(2);
/// Pause between the client loop's connections.
const CLIENT_PAUSE: Duration = Duration::from_millis(5);
/// The longest a client loop runs.
const CLIENT_LIMIT: Duration = Duration::from_secs(120);
/// How long the client loop runs before the event, so that both servers serve it.
const BEFORE: Duration = Duration::from_secs(1);
/// The route watch polls every [`crate::daemon_testbed::FINE_POLL`] and `ip route` takes a few milliseconds: a
/// next-hop change happened at most this long before it was seen.
const MOVE_SEEN_WITHIN: Duration = Duration::from_millis(150);
/// How long the router is watched while the daemon is down.
const DOWN_FOR: Duration = Duration::from_secs(1);

/// `announcer withdraw` on web2 with a 2 s drain: while draining, the router still holds
/// web2's route with 65535:0 but forwards only to web1; then the route goes; no client
/// connection fails but one open at the moment the router moved web2's flows to web1 (a
/// stateless ECMP rehash breaks it on any router). `withdraw --now` after `announce`
/// withdraws at once.
pub fn a_drain_moves_traffic_before_the_withdraw(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let (web1, web2) = (lab.web(1)?.peer(), lab.web(2)?.peer());
        reconfigure(
            lab,
            2,
            "[drain]",
            &format!("time = \"{}ms\"", DRAIN_TIME.as_millis()),
        )?;
        lab.wait_next_hops(VIP, &lab.both(), Instant::now(), RECONNECT_LIMIT)?;
        let client = client_loop(lab);
        std::thread::sleep(BEFORE);
        let start = Instant::now();
        let lab: &DaemonTestbed = lab;
        let move_seen = Cell::new(None);
        let withdrawn = std::thread::scope(|scope| -> Result<Duration> {
            let announcer = &lab.web(2)?.announcer;
            let cli = scope.spawn(|| announcer.control(&["withdraw"]));
            let moved = lab.wait_next_hops(VIP, &[web1], start, DRAIN_TIME)?;
            move_seen.set(Some(Instant::now()));
            measured("drain: traffic moved to web1 (GRACEFUL_SHUTDOWN)", moved);
            expect_draining_route(lab, web2)?;
            let output = cli
                .join()
                .map_err(|_| Error::Check("the withdraw thread panicked".into()))??;
            let took = start.elapsed();
            if !output.contains("draining") || !output.contains("withdrawn") {
                return Err(Error::Check(format!("withdraw printed {output:?}")));
            }
            expect_no_route_from(lab, web2)?;
            Ok(took)
        })?;
        measured(
            "drain: `announcer withdraw` returned, route gone",
            withdrawn,
        );
        if withdrawn < DRAIN_TIME {
            return Err(Error::Check(format!(
                "withdrawn after {withdrawn:?}, before the {DRAIN_TIME:?} drain"
            )));
        }
        std::thread::sleep(BEFORE);
        let tally = client.stop()?;
        let seen = move_seen
            .get()
            .ok_or_else(|| Error::Check("the move to web1 was not seen".into()))?;
        expect_failures_only_at_the_move("drain", &tally, seen)?;
        lab.web(2)?.announcer.control(&["announce"])?;
        lab.wait_next_hops(VIP, &lab.both(), Instant::now(), RECONNECT_LIMIT)?;
        let start = Instant::now();
        lab.web(2)?.announcer.control(&["withdraw", "--now"])?;
        let took = lab.wait_next_hops(VIP, &[web1], start, super::WITHDRAW_LIMIT)?;
        measured("`announcer withdraw --now`", took);
        expect_no_route_from(lab, web2)
    })
}

/// Graceful restart is on by default: SIGUSR2 to web2's announcer (a planned restart), then
/// SIGKILL (a crash): each time the router keeps both next hops while the daemon is down,
/// the new process comes back, holds End-of-RIB until the check has a verdict, then
/// sends it; the route never changes and no client connection fails.
pub fn a_graceful_restart_keeps_the_route(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let client = client_loop(lab);
        std::thread::sleep(BEFORE);
        restart_keeping_routes(lab, "USR2", "stopping for a graceful restart")?;
        restart_keeping_routes(lab, "KILL", "")?;
        expect_no_failures("graceful restarts", &client.stop()?)
    })
}

/// Stops web2's announcer with `signal` (its log then says `said`, if not empty), checks
/// the router keeps both next hops meanwhile, and starts it again.
fn restart_keeping_routes(lab: &mut DaemonTestbed, signal: &str, said: &str) -> Result<()> {
    let both = lab.both();
    let start = Instant::now();
    let web2 = lab.web_mut(2)?;
    web2.announcer.signal(signal)?;
    let status = web2.announcer.wait_exit(EXIT_LIMIT)?;
    if signal != "KILL" && !status.success() {
        return Err(Error::Check(format!("announcer exited with {status}")));
    }
    if !web2.announcer.logs().contains(said) {
        return Err(Error::Check(format!("no {said:?} in the daemon's log")));
    }
    measured(
        &format!("graceful restart ({signal}): signal to exit"),
        start.elapsed(),
    );
    holds_for(
        "both next hops while web2's daemon is down",
        DOWN_FOR,
        POLL,
        || expect_hops(lab, &both),
    )?;
    lab.web_mut(2)?.announcer.start()?;
    let peer = lab.web(2)?.peer();
    let back = wait_until("web2's session back", RECONNECT_LIMIT, POLL, || {
        expect_hops(lab, &both)?;
        match lab.router.session_established(peer) {
            Ok(true) => Ok(start.elapsed()),
            Ok(false) => Err("not Established".to_owned()),
            Err(e) => Err(e.to_string()),
        }
    })?;
    measured(
        &format!("graceful restart ({signal}): signal to session Established again"),
        back,
    );
    let released = wait_until("web2's first table sent", RECONNECT_LIMIT, POLL, || {
        expect_hops(lab, &both)?;
        let log = lab
            .web(2)
            .map(|w| w.announcer.logs())
            .map_err(|e| e.to_string())?;
        if log.contains("the first table is complete; sending End-of-RIB") {
            Ok(start.elapsed())
        } else {
            Err("first table not sent yet".to_owned())
        }
    })?;
    measured(
        &format!("graceful restart ({signal}): signal to first table and End-of-RIB"),
        released,
    );
    holds_for("both next hops after the restart", DOWN_FOR, POLL, || {
        expect_hops(lab, &both)
    })
}

/// Inserts `lines` after `table` (appending the table when it is missing) in web `n`'s
/// configuration and reloads it with SIGHUP.
fn reconfigure(lab: &mut DaemonTestbed, n: usize, table: &str, lines: &str) -> Result<()> {
    let web = lab.web_mut(n)?;
    let text = web.announcer.config().to_toml();
    let text = if text.contains(table) {
        text.replacen(&format!("{table}\n"), &format!("{table}\n{lines}\n"), 1)
    } else {
        format!("{text}\n{table}\n{lines}\n")
    };
    web.announcer.write_config_text(&text)?;
    web.announcer.signal("HUP")
}

pub(super) fn client_loop(lab: &DaemonTestbed) -> ClientLoop {
    let address = SocketAddr::from((VIP_ADDRESS, HTTP_PORT));
    ClientLoop::start(lab.client.name(), address, "/", CLIENT_PAUSE, CLIENT_LIMIT)
}

fn expect_hops(lab: &DaemonTestbed, want: &[IpAddr]) -> std::result::Result<(), String> {
    expect_next_hops(&lab.topology.rtr, VIP, want).map_err(|e| format!("{e}, want {want:?}"))
}

/// The router holds web2's route, marked 65535:0.
fn expect_draining_route(lab: &DaemonTestbed, from: IpAddr) -> Result<()> {
    let routes = lab.router.routes()?;
    let route = routes
        .iter()
        .find(|r| r.prefix == VIP && r.from == from)
        .ok_or_else(|| Error::Check(format!("no route from {from} while draining: {routes:?}")))?;
    if route.communities.contains(&(65535, 0)) {
        return Ok(());
    }
    Err(Error::Check(format!(
        "the draining route lacks 65535:0: {route:?}"
    )))
}

/// Waits (up to the withdraw bound) until the router holds no route from `from`.
fn expect_no_route_from(lab: &DaemonTestbed, from: IpAddr) -> Result<()> {
    let what = format!("no route for {VIP} from {from} at the router");
    wait_until(&what, super::WITHDRAW_LIMIT, POLL, || {
        let routes = lab.router.routes().map_err(|e| e.to_string())?;
        if routes.iter().any(|r| r.prefix == VIP && r.from == from) {
            Err(format!("routes {routes:?}"))
        } else {
            Ok(())
        }
    })
}

/// Every connection of `tally` was answered, and there was at least one.
pub(super) fn expect_no_failures(what: &str, tally: &Tally) -> Result<()> {
    expect_excused_failures(what, tally, |_| false)
}

/// Like [`expect_no_failures`], but the one connection (the client loop opens one at a
/// time) that was open when the router moved traffic off a next hop may fail: the router
/// saw the move at `seen`, so it happened within [`MOVE_SEEN_WITHIN`] before.
fn expect_failures_only_at_the_move(what: &str, tally: &Tally, seen: Instant) -> Result<()> {
    let from = seen.checked_sub(MOVE_SEEN_WITHIN).unwrap_or(seen);
    let at_move = tally
        .failures
        .iter()
        .filter(|f| f.open_during(from, seen))
        .count();
    if at_move > 0 {
        eprintln!("measured: {what}: {at_move} connection(s) open at the ECMP move failed");
    }
    expect_excused_failures(what, tally, |f| at_move == 1 && f.open_during(from, seen))
}

/// Every connection of `tally` that failed is `excused`, and at least one was answered.
fn expect_excused_failures(
    what: &str,
    tally: &Tally,
    excused: impl Fn(&Failure) -> bool,
) -> Result<()> {
    let answered: usize = tally.answers.values().sum();
    eprintln!(
        "measured: {what}: {answered} connections answered {:?}, {} failed",
        tally.answers,
        tally.failures.len()
    );
    if tally.failures.iter().all(excused) && answered > 0 {
        return Ok(());
    }
    Err(Error::Check(format!(
        "{what}: {} of {} connections failed: {:?}",
        tally.failures.len(),
        answered + tally.failures.len(),
        tally.failure_reasons()
    )))
}
