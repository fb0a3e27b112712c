//! The BFD hostile-packet suite: a scripted BFD peer holds a session Up with the real
//! `announcer` daemon (100 ms intervals) and sends it what RFC 5880 §6.8.6 and RFC 5881 §5
//! say to discard, one case per row of [`CASES`]; then a flood of all of them; then a
//! genuine Down, which must take the session down (the suite can see a failure).
//!
//! Most hostile packets are the genuine Down with one rule broken, so a missing check would
//! show as the session going down; the exceptions: AdminDown from the stranger (accepted,
//! it would take the session down too), Your Discriminator 0 in an Up (zero is valid in a
//! Down; accepted, the Up would change nothing, so only its log line tells) and the empty
//! datagram. For each case: the daemon logs "BFD packet discarded" with the case's reason
//! and text (and no other reason), and `announcer status --json` still shows the session Up
//! on both sides with `failures` 0.
//!
//! The daemon logs each reason at most once per 10 s, so a case whose reason was logged
//! less than that ago waits (the others run meanwhile). Run with `--nocapture` to see the
//! outcome table (`bfd-hostile: ...` lines) and the flood's figures.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use announcer_integration::bfd_hostile::packets::{
    admin_down, down, truncated, up_without_your_discriminator, with_flags, with_length,
    with_multiplier, with_my_discriminator, with_simple_password, with_version,
    with_your_discriminator, Discriminators, FINAL, MULTIPOINT, POLL,
};
use announcer_integration::bfd_hostile::peer::Via;
use announcer_integration::bfd_hostile::rig::{
    BfdHostileRig, BfdView, UdpCounters, PATIENCE, STATUS_POLL,
};
use announcer_integration::bfd_hostile::{report, require, DiscardLine, LOG_EVERY};
use announcer_integration::wait::{holds_for, wait_until};
use announcer_integration::Result;

/// One hostile packet: what it is, how it is built from the session's discriminators,
/// where it comes from, and the discard reason and log text the daemon must give.
struct Case {
    name: &'static str,
    build: fn(Discriminators) -> Vec<u8>,
    via: Via,
    reason: &'static str,
    logged: &'static str,
}

/// The contract: every reception check of RFC 5880 §6.8.6 and RFC 5881 §5 the daemon makes.
const CASES: &[Case] = &[
    Case {
        name: "version 0",
        build: |d| with_version(down(d), 0),
        via: Via::Peer,
        reason: "version",
        logged: "version 0, not 1",
    },
    Case {
        name: "version 2",
        build: |d| with_version(down(d), 2),
        via: Via::Peer,
        reason: "version",
        logged: "version 2, not 1",
    },
    Case {
        name: "Length 23, below 24",
        build: |d| with_length(down(d), 23),
        via: Via::Peer,
        reason: "length",
        logged: "Length field 23 with 24 bytes received",
    },
    Case {
        name: "Length 48, beyond the 24 bytes sent",
        build: |d| with_length(down(d), 48),
        via: Via::Peer,
        reason: "length",
        logged: "Length field 48 with 24 bytes received",
    },
    Case {
        name: "Detect Mult 0",
        build: |d| with_multiplier(down(d), 0),
        via: Via::Peer,
        reason: "zero_multiplier",
        logged: "Detect Mult 0",
    },
    Case {
        name: "Multipoint bit",
        build: |d| with_flags(down(d), MULTIPOINT),
        via: Via::Peer,
        reason: "multipoint",
        logged: "Multipoint bit set",
    },
    Case {
        name: "My Discriminator 0",
        build: |d| with_my_discriminator(down(d), 0),
        via: Via::Peer,
        reason: "zero_my_discriminator",
        logged: "My Discriminator 0",
    },
    Case {
        name: "Your Discriminator 0 in Up",
        build: |_| up_without_your_discriminator(),
        via: Via::Peer,
        reason: "zero_your_discriminator",
        logged: "Your Discriminator 0 in state Up",
    },
    Case {
        name: "A bit (Simple Password section)",
        build: |d| with_simple_password(down(d)),
        via: Via::Peer,
        reason: "authentication",
        logged: "authentication present, none configured",
    },
    Case {
        name: "Poll and Final",
        build: |d| with_flags(down(d), POLL | FINAL),
        via: Via::Peer,
        reason: "poll_and_final",
        logged: "Poll and Final both set",
    },
    Case {
        name: "TTL 254",
        build: down,
        via: Via::LowTtl,
        reason: "ttl",
        logged: "TTL 254, not 255",
    },
    Case {
        name: "unknown Your Discriminator",
        build: |d| with_your_discriminator(down(d), d.unknown()),
        via: Via::Peer,
        reason: "unknown_discriminator",
        logged: "is no session",
    },
    Case {
        name: "AdminDown from 192.0.2.99",
        build: admin_down,
        via: Via::Stranger,
        reason: "not_a_peer",
        logged: "from 192.0.2.99, no BFD peer",
    },
    Case {
        name: "Down from 192.0.2.99",
        build: down,
        via: Via::Stranger,
        reason: "not_a_peer",
        logged: "from 192.0.2.99, no BFD peer",
    },
    Case {
        name: "10 bytes",
        build: |d| truncated(down(d), 10),
        via: Via::Peer,
        reason: "too_short",
        logged: "10 bytes, fewer than the 24-byte header",
    },
    Case {
        name: "empty datagram",
        build: |_| Vec::new(),
        via: Via::Peer,
        reason: "too_short",
        logged: "0 bytes, fewer than the 24-byte header",
    },
];

/// How often each hostile packet is sent.
const SENDS: usize = 3;
/// How long the daemon may take to log a discard.
const LOG_WAIT: Duration = Duration::from_secs(3);
/// How long the session must stay Up after a case's discard was logged.
const HOLD: Duration = Duration::from_millis(300);
/// Added to the daemon's [`LOG_EVERY`] before a reason is sent again.
const LOG_MARGIN: Duration = Duration::from_millis(500);
/// The flood: this many packets (all the cases, round robin) ...
const FLOOD_PACKETS: usize = 20_000;
/// ... in this long.
const FLOOD_FOR: Duration = Duration::from_secs(2);
/// The session is watched this much longer than the flood lasts.
const FLOOD_AFTER: Duration = Duration::from_secs(1);
/// Log lines per reason a 3-s flood may cause: one, or two if a 10-s window ends within it.
const FLOOD_LINES_PER_REASON: usize = 2;
/// How much the daemon's RSS may grow over the flood.
const RSS_GROWTH_KIB: u64 = 4 * 1024;

#[test]
#[ignore = "needs root: scripts/test"]
fn hostile_bfd_packets_are_discarded_and_only_a_genuine_down_takes_the_session_down() -> Result<()>
{
    let test = "hostile_bfd_packets_are_discarded_and_only_a_genuine_down_takes_the_session_down";
    let binary = require(test)?;
    let start = Instant::now();
    let lab = BfdHostileRig::start(&binary)?;
    let view = lab.bfd()?;
    report(
        "set-up",
        &format!(
            "session Up in {} ms (discriminators: ours {}, the daemon's {}), {view}",
            start.elapsed().as_millis(),
            lab.peer.discriminators().peer,
            lab.peer.discriminators().announcer
        ),
    );
    run_cases(&lab)?;
    flood(&lab)?;
    genuine_down(&lab)?;
    let counts = lab.peer.counts();
    report(
        "keeper",
        &format!(
            "{} Up packets sent, {} Polls answered with {} Finals; suite took {} ms",
            counts.ups,
            counts.polls,
            counts.finals,
            start.elapsed().as_millis()
        ),
    );
    Ok(())
}

/// Runs every case, each as soon as the daemon would log its reason again.
fn run_cases(lab: &BfdHostileRig) -> Result<()> {
    let mut pending: Vec<&Case> = CASES.iter().collect();
    let mut logged_at: HashMap<&str, Instant> = HashMap::new();
    let ready_at = |logged_at: &HashMap<&str, Instant>, case: &Case| {
        logged_at
            .get(case.reason)
            .map(|at| *at + LOG_EVERY + LOG_MARGIN)
    };
    for _ in 0..CASES.len() * 2 {
        if pending.is_empty() {
            break;
        }
        let now = Instant::now();
        let ready = pending
            .iter()
            .position(|case| ready_at(&logged_at, case).is_none_or(|at| at <= now));
        let Some(index) = ready else {
            let next = pending
                .iter()
                .filter_map(|case| ready_at(&logged_at, case))
                .min()
                .unwrap_or(now);
            std::thread::sleep(next.saturating_duration_since(now));
            continue;
        };
        let case = pending.remove(index);
        run_case(lab, case)?;
        logged_at.insert(case.reason, Instant::now());
    }
    if let Some(left) = pending.first() {
        return Err(lab.failure(format!("case {:?} never ran", left.name)));
    }
    Ok(())
}

/// Sends one case [`SENDS`] times; expects its discard line (and no other) and the session
/// still Up without failures.
fn run_case(lab: &BfdHostileRig, case: &Case) -> Result<()> {
    let bytes = (case.build)(lab.peer.discriminators());
    let offset = lab.log_len()?;
    let sent = Instant::now();
    lab.peer.send(case.via, &bytes, SENDS)?;
    let line = wait_until(
        &format!("{}: a discard line with reason={}", case.name, case.reason),
        LOG_WAIT,
        STATUS_POLL,
        || {
            let lines = lab.discards_since(offset).map_err(|e| e.to_string())?;
            match lines.first() {
                Some(line) => Ok(line.clone()),
                None => Err("no discard line yet".to_owned()),
            }
        },
    )
    .map_err(|e| lab.failure(e))?;
    let took = sent.elapsed();
    expect_line(lab, case, &line)?;
    holds_for(
        &format!("{}: the session Up without failures", case.name),
        HOLD,
        STATUS_POLL,
        || lab.bfd().map_err(|e| e.to_string())?.up_without_failures(),
    )
    .map_err(|e| lab.failure(e))?;
    let others: Vec<DiscardLine> = lab
        .discards_since(offset)?
        .into_iter()
        .filter(|l| l.reason != case.reason)
        .collect();
    if !others.is_empty() {
        return Err(lab.failure(format!("{}: other discards too: {others:?}", case.name)));
    }
    report(
        case.name,
        &format!(
            "sent {SENDS} × {} bytes from {} → discarded, reason={} (\"{}\", count={}) logged in {} ms; session Up, failures 0",
            bytes.len(),
            case.via,
            line.reason,
            case.logged,
            line.count,
            took.as_millis()
        ),
    );
    Ok(())
}

/// The line must carry the case's reason and text.
fn expect_line(lab: &BfdHostileRig, case: &Case, line: &DiscardLine) -> Result<()> {
    if line.reason == case.reason && line.line.contains(case.logged) && line.count >= 1 {
        return Ok(());
    }
    Err(lab.failure(format!(
        "{}: expected reason={} with {:?}, got {}",
        case.name, case.reason, case.logged, line.line
    )))
}

/// 20,000 hostile packets (every case, round robin) in 2 s: the session stays Up, the log
/// gains at most a line or two per reason, the RSS grows by less than [`RSS_GROWTH_KIB`].
fn flood(lab: &BfdHostileRig) -> Result<()> {
    let d = lab.peer.discriminators();
    let packets: Vec<(Via, Vec<u8>)> = CASES.iter().map(|c| (c.via, (c.build)(d))).collect();
    let rss_before = lab.rss_kib()?;
    let cpu_before = lab.cpu_ms()?;
    let udp_before = lab.udp_counters()?;
    let offset = lab.log_len()?;
    let began = Instant::now();
    let (sent, held) = std::thread::scope(|scope| {
        let flooder = scope.spawn(|| lab.peer.flood(&packets, FLOOD_PACKETS, FLOOD_FOR));
        let held = holds_for(
            "the session Up without failures during the flood",
            FLOOD_FOR + FLOOD_AFTER,
            STATUS_POLL * 4,
            || lab.bfd().map_err(|e| e.to_string())?.up_without_failures(),
        );
        (flooder.join(), held)
    });
    let sent = sent.map_err(|_| lab.failure("the flood thread panicked"))?;
    held.map_err(|e| lab.failure(e))?;
    let rss_after = lab.rss_kib()?;
    let cpu = lab.cpu_ms()?.saturating_sub(cpu_before);
    let lines = lab.discards_since(offset)?;
    let mut per_reason: HashMap<&str, (usize, u64)> = HashMap::new();
    for line in &lines {
        let entry = per_reason.entry(line.reason.as_str()).or_default();
        entry.0 += 1;
        entry.1 += line.count;
    }
    let mut figures: Vec<String> = per_reason
        .iter()
        .map(|(reason, (n, count))| format!("{reason}: {n} line(s), count {count}"))
        .collect();
    figures.sort();
    report(
        "flood",
        &format!(
            "{} packets sent ({} failed) in {} ms → {} log lines [{}]; RSS {rss_before} KiB → {rss_after} KiB; daemon CPU {cpu} ms; session Up, failures 0",
            sent.sent,
            sent.failed,
            sent.took.as_millis(),
            lines.len(),
            figures.join(", ")
        ),
    );
    if let Some((reason, (n, _))) = per_reason
        .iter()
        .find(|(_, (n, _))| *n > FLOOD_LINES_PER_REASON)
    {
        return Err(lab.failure(format!("the flood logged {n} lines for reason {reason}")));
    }
    let reasons = per_reason.len();
    if lines.len() > reasons * FLOOD_LINES_PER_REASON {
        return Err(lab.failure(format!("the flood logged {} lines", lines.len())));
    }
    if rss_after > rss_before + RSS_GROWTH_KIB {
        return Err(lab.failure(format!(
            "the daemon's RSS grew from {rss_before} KiB to {rss_after} KiB over the flood"
        )));
    }
    if sent.sent < (FLOOD_PACKETS as u64) * 9 / 10 {
        return Err(lab.failure(format!("only {} of the flood went out", sent.sent)));
    }
    account(lab, offset, began, udp_before)
}

/// Once every reason may be logged again, one more packet of each case makes the daemon
/// log what it counted since the flood began: the flood must have reached it (a flood the
/// kernel dropped would prove nothing), and it must still log after it.
fn account(
    lab: &BfdHostileRig,
    offset: usize,
    began: Instant,
    udp_before: UdpCounters,
) -> Result<()> {
    std::thread::sleep((began + LOG_EVERY + LOG_MARGIN).saturating_duration_since(Instant::now()));
    let d = lab.peer.discriminators();
    let probes = lab.log_len()?;
    for case in CASES {
        lab.peer.send_once(case.via, &(case.build)(d))?;
    }
    let reasons: HashSet<&str> = CASES.iter().map(|c| c.reason).collect();
    wait_until(
        "a discard line per reason after the flood",
        LOG_WAIT,
        STATUS_POLL,
        || {
            let lines = lab.discards_since(probes).map_err(|e| e.to_string())?;
            let seen: HashSet<&str> = lines.iter().map(|l| l.reason.as_str()).collect();
            let missing: Vec<&&str> = reasons.iter().filter(|r| !seen.contains(**r)).collect();
            if missing.is_empty() {
                Ok(())
            } else {
                Err(format!("no line yet for {missing:?}"))
            }
        },
    )
    .map_err(|e| lab.failure(e))?;
    let counted: u64 = lab.discards_since(offset)?.iter().map(|l| l.count).sum();
    // Each reason's last case left SENDS - 1 unlogged before the flood; of the probes, the
    // first per reason was logged, a second one of the same reason is still unlogged.
    let reasons_n = reasons.len() as u64;
    let left_by_cases = reasons_n * (SENDS as u64 - 1);
    let of_flood = counted.saturating_sub(left_by_cases + reasons_n);
    let flood = FLOOD_PACKETS as u64;
    let udp_after = lab.udp_counters()?;
    let dropped = udp_after
        .receive_buffer_errors
        .saturating_sub(udp_before.receive_buffer_errors);
    // Every flood packet is either counted by the daemon or dropped by the kernel (its
    // receive queue full); drops beyond that were other datagrams to port 3784: the
    // peer's genuine packets, which share the one receive socket with the flood.
    let others_dropped = (of_flood + dropped).saturating_sub(flood);
    lab.bfd()?
        .up_without_failures()
        .map_err(|e| lab.failure(e))?;
    report(
        "flood accounting",
        &format!(
            "{} s after the flood began, one more packet per case: the daemon's lines count {counted} discards since the flood began = {left_by_cases} left unlogged by the cases + {reasons_n} probes + {of_flood} of the {FLOOD_PACKETS} flood packets; kernel drops for a full receive buffer: {dropped} ({others_dropped} of them not the flood's); session Up, failures 0",
            (began.elapsed().as_millis() as f64 / 1000.0).round(),
        ),
    );
    if of_flood < flood / 2 || of_flood + dropped < flood {
        return Err(lab.failure(format!(
            "the daemon counted {of_flood} of the {FLOOD_PACKETS} flood packets and the kernel dropped {dropped}: the flood did not reach it, or it lost count"
        )));
    }
    Ok(())
}

/// The genuine Down (the packet every hostile case broke one rule of) from the peer with
/// TTL 255: the session goes Down, Neighbor Signaled Session Down, and `failures` is 1.
fn genuine_down(lab: &BfdHostileRig) -> Result<()> {
    let d = lab.peer.discriminators();
    lab.peer.fall_silent();
    let offset = lab.log_len()?;
    let sent = Instant::now();
    lab.peer.send(Via::Peer, &down(d), 1)?;
    let is_down = |view: &BfdView| {
        view.state == "Down"
            && view.failures == 1
            && view.ever_up
            && view.diagnostic == "neighbor signaled session down"
    };
    let view = wait_until(
        "the genuine Down to take the session down with failures 1",
        PATIENCE,
        STATUS_POLL,
        || {
            let view = lab.bfd().map_err(|e| e.to_string())?;
            if is_down(&view) {
                Ok(view)
            } else {
                Err(view.to_string())
            }
        },
    )
    .map_err(|e| lab.failure(e))?;
    let took = sent.elapsed();
    holds_for(
        "the session Down with exactly one failure",
        Duration::from_millis(500),
        STATUS_POLL,
        || {
            let view = lab.bfd().map_err(|e| e.to_string())?;
            if is_down(&view) {
                Ok(())
            } else {
                Err(view.to_string())
            }
        },
    )
    .map_err(|e| lab.failure(e))?;
    let log = lab.announcer.log_text()?;
    let logged = log
        .get(offset..)
        .unwrap_or_default()
        .lines()
        .any(|line| line.contains("BFD session down") && line.contains("neighbor signaled"));
    if !logged {
        return Err(lab.failure("no \"BFD session down\" line for the genuine Down"));
    }
    if !lab.discards_since(offset)?.is_empty() {
        return Err(lab.failure("the genuine Down was discarded"));
    }
    report(
        "genuine Down",
        &format!(
            "sent 1 × 24 bytes from {} → session Down in {} ms, {view}",
            Via::Peer,
            took.as_millis()
        ),
    );
    Ok(())
}
