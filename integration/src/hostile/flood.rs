//! The refresh flood of the peer-bounds lab (issue 12, item 5): a peer that has stopped
//! reading asks for our whole table thousands of times a second, while a well-behaved peer
//! watches its own session; plus the measurements around it (the speaker's log lines, what
//! each peer received).
//!
//! Every loop here is bounded twice: by a deadline and by a count derived from it.

use std::path::Path;
use std::time::{Duration, Instant};

use announcer_bgp::wire::Message;

use super::bytes::{frame, keepalive, unhex};
use super::peer::{Peer, Received};
use crate::error::{Error, Result};
use crate::netns::Netns;

/// How often the flood writes a burst of ROUTE-REFRESH messages.
const TICK: Duration = Duration::from_millis(10);
/// How long one read of a watching peer may wait before it checks its clock again.
const READ_SLICE: Duration = Duration::from_millis(100);
/// The most messages a reading loop handles (far above what any lab case sends).
const MAX_MESSAGES: usize = 10_000_000;

/// A ROUTE-REFRESH for IPv4 unicast (RFC 2918: AFI 1, reserved 0, SAFI 1).
pub fn route_refresh() -> Vec<u8> {
    frame(5, &unhex("0001 00 01"))
}

/// Makes TCP sockets created in `ns` from now on receive into the smallest buffer the
/// kernel allows (4 KiB; `tcp_rmem` is per namespace), so a peer that does not read closes
/// its window after a few kilobytes.
pub fn starve_receive_buffer(ns: &Netns) -> Result<()> {
    ns.sysctl("net.ipv4.tcp_rmem", "4096 4096 4096")
}

/// `count` /32 routes (at most 512) from the documentation ranges: 198.51.100.0/24 first,
/// then 203.0.113.0/24 from its first address up.
pub fn documentation_routes(count: usize) -> Vec<String> {
    let first = (0..=255u8).map(|i| format!("198.51.100.{i}/32"));
    let second = (0..=255u8).map(|i| format!("203.0.113.{i}/32"));
    first.chain(second).take(count).collect()
}

/// What a flood sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flood {
    /// ROUTE-REFRESH messages written.
    pub sent: usize,
    /// How long writing them took.
    pub took: Duration,
}

/// Writes ROUTE-REFRESH messages at `per_second` for `duration`, in bursts every 10 ms, and
/// never reads. Fails if a write does not complete within the peer's write timeout (the
/// speaker stopped reading).
pub fn flood_refreshes(peer: &mut Peer, per_second: usize, duration: Duration) -> Result<Flood> {
    let ticks_per_second = (Duration::from_secs(1).as_millis() / TICK.as_millis()).max(1);
    let per_tick = per_second.div_ceil(usize::try_from(ticks_per_second).unwrap_or(1));
    let burst = route_refresh().repeat(per_tick);
    let ticks = duration.as_millis() / TICK.as_millis();
    let start = Instant::now();
    let mut sent = 0;
    for tick in 0..ticks {
        if start.elapsed() >= duration {
            break;
        }
        peer.send(&burst)?;
        sent += per_tick;
        let next = start + TICK * u32::try_from(tick + 1).unwrap_or(u32::MAX);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
    Ok(Flood {
        sent,
        took: start.elapsed(),
    })
}

/// What a well-behaved peer saw while it watched its session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    /// KEEPALIVEs from the speaker.
    pub keepalives: usize,
    /// UPDATEs from the speaker.
    pub updates: usize,
    /// When an UPDATE announcing the probe route arrived, from the start of the watch.
    pub probe_after: Option<Duration>,
}

/// Watches an Established session for `window`, sending a KEEPALIVE every
/// `keepalive_every`: fails if the speaker sends anything but KEEPALIVEs and UPDATEs or
/// closes; notes when an UPDATE announcing `probe` (e.g. `192.0.2.200/32`) arrives.
pub fn watch(
    peer: &mut Peer,
    window: Duration,
    keepalive_every: Duration,
    probe: &str,
) -> Result<Watched> {
    let start = Instant::now();
    let mut next_keepalive = start;
    let mut seen = Watched {
        keepalives: 0,
        updates: 0,
        probe_after: None,
    };
    for _ in 0..MAX_MESSAGES {
        let now = Instant::now();
        if now >= start + window {
            return Ok(seen);
        }
        if now >= next_keepalive {
            peer.send(&keepalive())?;
            next_keepalive = now + keepalive_every;
        }
        match peer.recv(READ_SLICE) {
            Ok(Received::Message(Message::Keepalive)) => seen.keepalives += 1,
            Ok(Received::Message(Message::Update(update))) => {
                seen.updates += 1;
                if seen.probe_after.is_none() && update.nlri.iter().any(|p| p.to_string() == probe)
                {
                    seen.probe_after = Some(start.elapsed());
                }
            }
            Ok(other) => {
                return Err(Error::Check(format!(
                    "expected the watched session to stay up, got {other:?} after {seen:?}"
                )))
            }
            Err(Error::Timeout { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(seen)
}

/// What a peer read once it resumed reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// UPDATEs read up to and including the one announcing the probe.
    pub updates: usize,
    /// Routes announced in them.
    pub announced: usize,
    /// How long it took.
    pub took: Duration,
}

/// Reads everything the speaker queued for a peer that had stopped reading, sending a
/// KEEPALIVE every second, until an UPDATE announces `probe`; at most `timeout`.
pub fn read_backlog(peer: &mut Peer, probe: &str, timeout: Duration) -> Result<Backlog> {
    let start = Instant::now();
    let mut next_keepalive = start;
    let mut backlog = Backlog {
        updates: 0,
        announced: 0,
        took: Duration::ZERO,
    };
    for _ in 0..MAX_MESSAGES {
        let now = Instant::now();
        if now >= start + timeout {
            break;
        }
        if now >= next_keepalive {
            peer.send(&keepalive())?;
            next_keepalive = now + Duration::from_secs(1);
        }
        match peer.recv(READ_SLICE) {
            Ok(Received::Message(Message::Update(update))) => {
                backlog.updates += 1;
                backlog.announced += update.nlri.len();
                if update.nlri.iter().any(|p| p.to_string() == probe) {
                    backlog.took = start.elapsed();
                    return Ok(backlog);
                }
            }
            Ok(Received::Message(Message::Keepalive)) | Err(Error::Timeout { .. }) => {}
            Ok(other) => {
                return Err(Error::Check(format!(
                    "expected the backlog and {probe}, got {other:?} after {backlog:?}"
                )))
            }
            Err(e) => return Err(e),
        }
    }
    Err(Error::Timeout {
        what: format!("{probe} after the backlog"),
        after: start.elapsed(),
        last: format!("{backlog:?}"),
    })
}

/// Lines of a `tracing` log by level.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogLines {
    /// Every line.
    pub total: usize,
    /// Lines at INFO, WARN or ERROR (what a daemon logs by default).
    pub info_and_above: usize,
}

impl LogLines {
    /// The lines written since `earlier` was counted.
    pub fn since(self, earlier: LogLines) -> LogLines {
        LogLines {
            total: self.total.saturating_sub(earlier.total),
            info_and_above: self.info_and_above.saturating_sub(earlier.info_and_above),
        }
    }
}

/// Counts the lines of the log at `path` (the `tracing` fmt layout: time, then level).
pub fn count_log_lines(path: &Path) -> Result<LogLines> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("read {}", path.display()), e))?;
    let mut lines = LogLines::default();
    for line in text.lines() {
        lines.total += 1;
        if matches!(
            line.split_whitespace().nth(1),
            Some("INFO" | "WARN" | "ERROR")
        ) {
            lines.info_and_above += 1;
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_bgp::wire::{decode, WireContext};

    #[test]
    fn a_route_refresh_decodes_as_an_ipv4_unicast_request() {
        let message = decode(&route_refresh(), &WireContext::initial());
        assert!(
            matches!(&message, Ok(Message::RouteRefresh(rr)) if rr.subtype == 0),
            "{message:?}"
        );
    }

    #[test]
    fn documentation_routes_are_distinct_and_stay_in_the_documentation_ranges() {
        let routes = documentation_routes(500);
        assert_eq!(routes.len(), 500);
        let distinct: std::collections::BTreeSet<&String> = routes.iter().collect();
        assert_eq!(distinct.len(), 500);
        assert!(routes
            .iter()
            .all(|r| r.starts_with("198.51.100.") || r.starts_with("203.0.113.")));
    }

    #[test]
    fn log_lines_are_counted_by_level() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else {
            return;
        };
        let path = dir.path().join("log");
        let log = "2025-01-01T00:00:00Z DEBUG peer: a\n2025-01-01T00:00:00Z  INFO peer: b\n\
                   2025-01-01T00:00:00Z  WARN peer: c\n";
        assert!(std::fs::write(&path, log).is_ok());
        let lines = count_log_lines(&path).ok();
        assert_eq!(
            lines,
            Some(LogLines {
                total: 3,
                info_and_above: 2
            })
        );
    }
}
