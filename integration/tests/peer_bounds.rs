//! Peers are bounded (issue 12, item 5): a peer that stops reading and floods ROUTE-REFRESH
//! must not grow the speaker's memory or its log, nor disturb another peer.
//!
//! The scripted hostile peer completes OPEN/KEEPALIVE with the ROUTE-REFRESH capability,
//! shrinks its receive buffer to 4 KiB and never reads, then sends 2,000 ROUTE-REFRESH a
//! second for 15 s to a `bgp-speaker` holding 500 routes. Meanwhile a well-behaved bystander
//! peer keeps its session and is sent a route announced mid-flood. The test prints
//! `measured:` lines (RSS before, peak during, after; log lines; what each peer received).

use std::time::{Duration, Instant};

use announcer_integration::hostile::flood::{
    count_log_lines, documentation_routes, flood_refreshes, read_backlog, starve_receive_buffer,
    watch, Flood,
};
use announcer_integration::hostile::peer::Peer;
use announcer_integration::hostile::require;
use announcer_integration::hostile::rig::{HostileRig, RigConfig, PATIENCE};
use announcer_integration::preflight;
use announcer_integration::{Error, Result};

const SPEAKER: &str = preflight::BGP_SPEAKER;
/// Routes the speaker announces to both peers.
const ROUTES: usize = 500;
/// ROUTE-REFRESH messages a second from the hostile peer.
const RATE: usize = 2_000;
/// How long the flood lasts.
const FLOOD: Duration = Duration::from_secs(15);
/// A route announced mid-flood that the bystander must receive (outside [`ROUTES`]).
const PROBE: &str = "203.0.113.250/32";
/// The correctness bound of the issue: RSS grows by at most 5 MB.
const RSS_GROWTH_KB: u64 = 5 * 1024;
/// More INFO-and-above lines than this during the flood is a log flood (one per refresh
/// would be 30,000).
const MAX_INFO_LINES: usize = 100;
/// Whole tables the hostile peer may find waiting once it reads again. Our queue holds at
/// most one table owed to a refresh; the rest is what the kernel's send buffer took before
/// the peer's window closed (about 15 tables of 500 /32s here). One per refresh would be
/// 30,000 tables (the code before this bound queued about 3,900 while it kept up).
const MAX_BACKLOG_TABLES: usize = 40;
/// How often the speaker's RSS is sampled during the flood.
const SAMPLE: Duration = Duration::from_millis(250);

#[test]
#[ignore = "needs root: scripts/test"]
fn a_non_reading_peer_flooding_route_refresh_leaves_memory_log_and_other_peers_bounded(
) -> Result<()> {
    let test =
        "a_non_reading_peer_flooding_route_refresh_leaves_memory_log_and_other_peers_bounded";
    let binary = require(SPEAKER, test)?;
    let config = RigConfig {
        bystander: true,
        ..RigConfig::default()
    };
    let mut lab = HostileRig::start(&binary, config)?;
    for route in documentation_routes(ROUTES) {
        lab.speaker.send(&format!("announce {route}"))?;
    }
    let mut bystander = lab.bystander()?;
    starve_receive_buffer(&lab.peer_ns)?;
    let mut hostile = lab.established()?;
    let outcome = flood_and_measure(&mut lab, &mut hostile, &mut bystander);
    if outcome.is_err() {
        eprintln!("speaker log:\n{}", lab.speaker.log_tail());
    }
    outcome
}

/// Floods from `hostile` while `bystander` watches, measures, prints and checks.
fn flood_and_measure(lab: &mut HostileRig, hostile: &mut Peer, bystander: &mut Peer) -> Result<()> {
    let log = lab.speaker_log();
    let lines_before = count_log_lines(&log)?;
    let rss_before = lab.speaker.memory_kb("VmRSS")?;
    let (flood, watched, rss_peak) = std::thread::scope(|scope| -> Result<_> {
        let flooding = scope.spawn(|| flood_refreshes(hostile, RATE, FLOOD));
        let watching = scope.spawn(|| {
            watch(
                bystander,
                FLOOD + Duration::from_secs(2),
                Duration::from_secs(1),
                PROBE,
            )
        });
        let start = Instant::now();
        let mut peak = rss_before;
        let mut probe_sent = false;
        let samples = (FLOOD + PATIENCE).as_millis() / SAMPLE.as_millis();
        for _ in 0..samples {
            if flooding.is_finished() || start.elapsed() > FLOOD + PATIENCE {
                break;
            }
            peak = peak.max(lab.speaker.memory_kb("VmRSS")?);
            if !probe_sent && start.elapsed() >= FLOOD / 2 {
                lab.speaker.send(&format!("announce {PROBE}"))?;
                probe_sent = true;
            }
            std::thread::sleep(SAMPLE);
        }
        let flood = join(flooding.join())?;
        let watched = join(watching.join())?;
        Ok((flood, watched, peak))
    })?;
    let rss_after = lab.speaker.memory_kb("VmRSS")?;
    let lines = count_log_lines(&log)?.since(lines_before);
    let downs: Vec<String> = lab
        .speaker
        .pending_events()
        .into_iter()
        .filter(|e| e.starts_with("down "))
        .collect();
    let backlog = read_backlog(hostile, PROBE, Duration::from_secs(120));

    report(
        &flood,
        rss_before,
        rss_peak,
        rss_after,
        lines.total,
        lines.info_and_above,
    );
    println!(
        "measured: bystander during the flood: {} KEEPALIVEs, {} UPDATEs, probe route after {}",
        watched.keepalives,
        watched.updates,
        watched
            .probe_after
            .map_or("never".to_owned(), |d| format!("{} ms", d.as_millis()))
    );
    match &backlog {
        Ok(b) => println!(
            "measured: hostile peer once it read again: {} UPDATEs announcing {} routes before the probe, read in {} ms",
            b.updates,
            b.announced,
            b.took.as_millis()
        ),
        Err(e) => println!("measured: hostile peer once it read again: {e}"),
    }
    println!("measured: session downs during the flood: {downs:?}");

    assert!(downs.is_empty(), "sessions went down: {downs:?}");
    assert!(
        watched.keepalives >= 5,
        "the bystander got only {} KEEPALIVEs: {watched:?}",
        watched.keepalives
    );
    assert!(
        watched.probe_after.is_some(),
        "the bystander never got {PROBE}: {watched:?}"
    );
    assert!(
        rss_peak <= rss_before + RSS_GROWTH_KB,
        "RSS grew from {rss_before} kB to a peak of {rss_peak} kB"
    );
    assert!(
        lines.info_and_above <= MAX_INFO_LINES,
        "{} INFO-and-above log lines during the flood",
        lines.info_and_above
    );
    let backlog = backlog?;
    assert!(
        backlog.announced <= MAX_BACKLOG_TABLES * ROUTES,
        "the hostile peer was sent {} routes once it read again: {backlog:?}",
        backlog.announced
    );
    Ok(())
}

/// A scoped thread's result, its panic turned into an error.
fn join<T>(joined: std::thread::Result<Result<T>>) -> Result<T> {
    joined.map_err(|_| Error::Check("a lab thread panicked".to_owned()))?
}

/// Prints the flood's `measured:` line.
fn report(flood: &Flood, before: u64, peak: u64, after: u64, total: usize, info: usize) {
    println!(
        "measured: refresh flood: {} ROUTE-REFRESH in {} ms to a speaker with {ROUTES} routes; speaker VmRSS before {before} kB, peak during {peak} kB (+{} kB), after {after} kB; log lines during the flood {total} ({info} at INFO or above)",
        flood.sent,
        flood.took.as_millis(),
        peak.saturating_sub(before)
    );
}
