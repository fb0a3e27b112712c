//! Rate limits for per-peer log lines about events a peer can repeat at will (ROUTE-REFRESH,
//! UPDATE faults, a peer that does not read): at most one line per kind per interval, and
//! that line says how many were left out before it. Pure: time is an argument.
//!
//! State changes (session up or down, connects) are not repeated events and are always
//! logged.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often a line of each kind may be logged per peer.
pub(crate) const REPEAT_EVERY: Duration = Duration::from_secs(10);

/// The kinds of repeated events, each limited on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Repeated {
    /// The peer asked for a table (ROUTE-REFRESH) and none was owed.
    RouteRefresh,
    /// The peer asked for a table that was already owed; merged.
    RefreshMerged,
    /// Routes the session cannot carry (family not negotiated, no next hop).
    Unsendable,
    /// The connection's queue is full: route changes wait until the peer reads.
    NotReading,
    /// An UPDATE fault handled per RFC 7606 without a reset.
    UpdateFault,
    /// A connection attempt failed (the peer is down or unreachable; retried).
    ConnectFailed,
}

/// When each kind was last logged and how many were left out since.
#[derive(Debug)]
pub(crate) struct RepeatLimit {
    every: Duration,
    kinds: HashMap<Repeated, (Instant, u64)>,
}

impl RepeatLimit {
    /// At most one line per kind per `every`.
    pub(crate) fn new(every: Duration) -> Self {
        RepeatLimit {
            every,
            kinds: HashMap::new(),
        }
    }

    /// An event of `kind` at `now`: `Some(left_out)` when a line may be logged now, with the
    /// number of events of that kind that were not logged since the last line; `None` when
    /// this one is left out (and counted).
    pub(crate) fn allow(&mut self, kind: Repeated, now: Instant) -> Option<u64> {
        match self.kinds.get_mut(&kind) {
            Some((last, left_out)) if now.saturating_duration_since(*last) < self.every => {
                *left_out = left_out.saturating_add(1);
                None
            }
            Some((last, left_out)) => {
                let count = std::mem::take(left_out);
                *last = now;
                Some(count)
            }
            None => {
                self.kinds.insert(kind, (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: Duration = Duration::from_secs(10);

    #[test]
    fn the_first_event_of_a_kind_is_logged_at_once() {
        let mut limit = RepeatLimit::new(EVERY);
        assert_eq!(limit.allow(Repeated::RouteRefresh, Instant::now()), Some(0));
    }

    #[test]
    fn events_within_the_interval_are_left_out_and_counted_in_the_next_line() {
        let mut limit = RepeatLimit::new(EVERY);
        let start = Instant::now();
        assert_eq!(limit.allow(Repeated::RouteRefresh, start), Some(0));
        for ms in 1..=29_999u64 {
            let at = start + Duration::from_millis(ms / 3);
            assert_eq!(limit.allow(Repeated::RouteRefresh, at), None);
        }
        assert_eq!(
            limit.allow(Repeated::RouteRefresh, start + EVERY),
            Some(29_999)
        );
        assert_eq!(
            limit.allow(
                Repeated::RouteRefresh,
                start + EVERY + Duration::from_secs(1)
            ),
            None
        );
    }

    #[test]
    fn a_flood_of_15_seconds_gives_at_most_two_lines_per_kind() {
        let mut limit = RepeatLimit::new(EVERY);
        let start = Instant::now();
        let lines = (0..30_000u64)
            .filter_map(|i| {
                limit.allow(
                    Repeated::RouteRefresh,
                    start + Duration::from_micros(i * 500),
                )
            })
            .count();
        assert_eq!(lines, 2);
    }

    #[test]
    fn each_kind_is_limited_on_its_own() {
        let mut limit = RepeatLimit::new(EVERY);
        let now = Instant::now();
        assert_eq!(limit.allow(Repeated::RouteRefresh, now), Some(0));
        assert_eq!(limit.allow(Repeated::RefreshMerged, now), Some(0));
        assert_eq!(limit.allow(Repeated::RouteRefresh, now), None);
        assert_eq!(limit.allow(Repeated::NotReading, now), Some(0));
    }

    #[test]
    fn a_clock_that_goes_back_never_lets_a_line_through_early() {
        let mut limit = RepeatLimit::new(EVERY);
        let now = Instant::now() + EVERY;
        assert_eq!(limit.allow(Repeated::UpdateFault, now), Some(0));
        assert_eq!(limit.allow(Repeated::UpdateFault, now - EVERY), None);
    }
}
