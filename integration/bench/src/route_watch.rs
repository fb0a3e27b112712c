//! When the router's kernel drops a route, to the microsecond: `ip monitor
//! route` runs in the router's namespace and a thread stamps each line it
//! prints with the time it arrived (ip flushes after every event), so no
//! polling interval blurs the failover figures.
//!
//! Before a watch is handed out it proves it is listening: it adds a
//! blackhole route for [`PROBE_ROUTE`] in the router's namespace until it
//! sees the addition (the monitor may subscribe only after the first
//! tries), then deletes it and waits to see that too.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use announcer_harness::error::{Error, Result};
use announcer_harness::netns::Netns;
use announcer_harness::process::{ChildGuard, Streams};

/// The route added and deleted to prove the watch is listening (TEST-NET-2,
/// never announced by anything in the lab).
pub const PROBE_ROUTE: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 254);
/// How long the watch may take to show the probe's deletion.
const STARTUP: Duration = Duration::from_secs(5);
/// How long each try waits to see the probe's addition.
const PROBE_WAIT: Duration = Duration::from_millis(100);
/// How many times the probe is added before giving up.
const PROBE_TRIES: usize = 50;
/// At most this many lines are read per wait.
const MAX_LINES: usize = 100_000;
/// How many of the lines that did not match a failed wait shows.
const SHOWN_LINES: usize = 8;

/// A running `ip monitor route` in a namespace.
#[derive(Debug)]
pub struct RouteWatch {
    /// Lines with their arrival times.
    lines: Receiver<(Instant, String)>,
    /// The monitor (killed on drop; the reader thread then sees EOF).
    _process: ChildGuard,
}

impl RouteWatch {
    /// Starts watching the routes of `ns` (logs under `log_dir`) and waits
    /// until the watch demonstrably sees changes.
    pub fn start(ns: &Netns, log_dir: &Path) -> Result<Self> {
        let mut command = std::process::Command::new("ip");
        command.args(["-n", ns.name(), "monitor", "route"]);
        let mut process = ChildGuard::spawn("ip-monitor", command, log_dir, Streams::Interactive)?;
        let stdout = process
            .take_stdout()
            .ok_or_else(|| Error::Check("ip monitor has no stdout".to_owned()))?;
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send((Instant::now(), line)).is_err() {
                    break;
                }
            }
        });
        let watch = RouteWatch {
            lines,
            _process: process,
        };
        let probe = format!("{PROBE_ROUTE}/32");
        let mut listening = false;
        for _ in 0..PROBE_TRIES {
            let since = Instant::now();
            ns.ip(&["route", "add", "blackhole", &probe])?;
            listening = watch
                .wait_for(since, PROBE_WAIT, |line| {
                    route_event(line, PROBE_ROUTE) == Some(Event::Added)
                })
                .is_ok();
            let deleted = Instant::now();
            ns.ip(&["route", "del", "blackhole", &probe])?;
            if listening {
                watch.wait_for(deleted, STARTUP, |line| {
                    route_event(line, PROBE_ROUTE) == Some(Event::Deleted)
                })?;
                break;
            }
        }
        if !listening {
            return Err(Error::Check(format!(
                "ip monitor in {} never showed the probe route {probe}",
                ns.name()
            )));
        }
        Ok(watch)
    }

    /// Waits until the kernel deletes the route to `address` (at or after
    /// `after`), at most `timeout` from now; returns when it saw it.
    pub fn wait_deleted(
        &self,
        address: Ipv4Addr,
        after: Instant,
        timeout: Duration,
    ) -> Result<Instant> {
        self.wait_for(after, timeout, |line| {
            route_event(line, address) == Some(Event::Deleted)
        })
        .map_err(|e| Error::Check(format!("route {address}/32 not deleted: {e}")))
    }

    /// Waits until the kernel's route to `address` goes via `next_hop` alone (at or after
    /// `after`), at most `timeout` from now; returns when it saw it.
    pub fn wait_only_via(
        &self,
        address: Ipv4Addr,
        next_hop: IpAddr,
        after: Instant,
        timeout: Duration,
    ) -> Result<Instant> {
        self.wait_for(after, timeout, |line| only_via(line, address, next_hop))
            .map_err(|e| Error::Check(format!("route {address}/32 not via {next_hop} alone: {e}")))
    }

    /// The arrival time of the first line at or after `after` that `matches`.
    fn wait_for(
        &self,
        after: Instant,
        timeout: Duration,
        matches: impl Fn(&str) -> bool,
    ) -> Result<Instant> {
        let deadline = Instant::now() + timeout;
        let mut seen: VecDeque<String> = VecDeque::with_capacity(SHOWN_LINES);
        for _ in 0..MAX_LINES {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((at, line)) if at >= after && matches(&line) => return Ok(at),
                Ok((_, line)) => {
                    if seen.len() == SHOWN_LINES {
                        seen.pop_front();
                    }
                    seen.push_back(line);
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(Error::Check("ip monitor stopped".to_owned()))
                }
            }
        }
        let last = match seen.is_empty() {
            true => "no line".to_owned(),
            false => format!("no matching line; the last: {:?}", Vec::from(seen)),
        };
        Err(Error::Timeout {
            what: "a route event from ip monitor".to_owned(),
            after: timeout,
            last,
        })
    }
}

/// What happened to a route, as `ip monitor route` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Added or replaced (`203.0.113.10 via ...`).
    Added,
    /// Deleted (`Deleted 203.0.113.10 via ...`).
    Deleted,
}

/// The event a line of `ip monitor route` reports for the host route to
/// `address`, if it is about that route (printed as `ADDR` or `ADDR/32`,
/// possibly after a route type such as `blackhole`).
pub fn route_event(line: &str, address: Ipv4Addr) -> Option<Event> {
    let (event, rest) = match line.strip_prefix("Deleted ") {
        Some(rest) => (Event::Deleted, rest),
        None => (Event::Added, line),
    };
    let mut words = rest.split_whitespace();
    let mut destination = words.next()?;
    if matches!(
        destination,
        "blackhole" | "unreachable" | "prohibit" | "unicast" | "local"
    ) {
        destination = words.next()?;
    }
    let host = destination.strip_suffix("/32").unwrap_or(destination);
    (host.parse::<Ipv4Addr>().ok()? == address).then_some(event)
}

/// Whether a line of `ip monitor route` adds the host route to `address` via `next_hop`
/// alone (a route of several next hops lists them on the lines after, without `via` on
/// its first).
pub fn only_via(line: &str, address: Ipv4Addr, next_hop: IpAddr) -> bool {
    route_event(line, address) == Some(Event::Added)
        && line
            .split_whitespace()
            .skip_while(|word| *word != "via")
            .nth(1)
            .and_then(|hop| hop.parse::<IpAddr>().ok())
            == Some(next_hop)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);

    #[test]
    fn additions_and_deletions_of_the_host_route_are_recognised() {
        assert_eq!(
            route_event(
                "203.0.113.10 via 192.0.2.11 dev br0 proto bird metric 32",
                VIP
            ),
            Some(Event::Added)
        );
        assert_eq!(
            route_event(
                "Deleted 203.0.113.10 via 192.0.2.11 dev br0 proto bird metric 32",
                VIP
            ),
            Some(Event::Deleted)
        );
        assert_eq!(
            route_event("Deleted 203.0.113.10 proto bird metric 32 ", VIP),
            Some(Event::Deleted)
        );
        assert_eq!(
            route_event("Deleted blackhole 198.51.100.254 ", PROBE_ROUTE),
            Some(Event::Deleted)
        );
        assert_eq!(
            route_event("blackhole 198.51.100.254/32 ", PROBE_ROUTE),
            Some(Event::Added)
        );
    }

    #[test]
    fn a_route_via_one_next_hop_alone_is_recognised() {
        let hop: IpAddr = "192.0.2.12".parse().unwrap();
        let cases = [
            (
                "203.0.113.10 via 192.0.2.12 dev br0 proto bird metric 32",
                true,
            ),
            (
                "203.0.113.10 via 192.0.2.11 dev br0 proto bird metric 32",
                false,
            ),
            ("203.0.113.10 proto bird metric 32 ", false),
            ("\tnexthop via 192.0.2.12 dev br0 weight 1", false),
            (
                "Deleted 203.0.113.10 via 192.0.2.12 dev br0 proto bird",
                false,
            ),
            (
                "203.0.113.11 via 192.0.2.12 dev br0 proto bird metric 32",
                false,
            ),
        ];
        for (line, alone) in cases {
            assert_eq!(only_via(line, VIP, hop), alone, "{line}");
        }
    }

    #[test]
    fn other_routes_and_nexthop_lines_are_not_events_of_the_vip() {
        assert_eq!(
            route_event("Deleted 203.0.113.11 via 192.0.2.11", VIP),
            None
        );
        assert_eq!(
            route_event("\tnexthop via 192.0.2.11 dev br0 weight 1", VIP),
            None
        );
        assert_eq!(
            route_event("203.0.113.0/24 dev br0 proto kernel", VIP),
            None
        );
        assert_eq!(route_event("", VIP), None);
    }
}
