//! The BFD hostile-peer rig: a scripted BFD peer (test code) in its own namespace holds a
//! session Up with the real `announcer` daemon, then sends packets that RFC 5880 §6.8.6 and
//! RFC 5881 §5 say to discard, a flood of them, and finally a genuine Down. The tests
//! assert that the discarded packets leave the session Up (status `failures` 0), that the
//! daemon logs each reason (paced: one line per reason per 10 s, with a count), that a
//! flood costs neither log volume nor memory, and that the genuine Down is seen.
//!
//! Layers: [`packets`] (well-formed packets and one-rule-broken edits) → [`peer`] (sockets
//! in the peer's namespace, handshake, keeper thread, hostile sends, flood) → [`rig`] (the
//! namespaces, the daemon and its status). The case table is in
//! `integration/tests/bfd_hostile.rs`.

pub mod packets;
pub mod peer;
pub mod rig;

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::Result;
use crate::preflight::require_built;

/// The daemon's address (the web namespace).
pub const ANNOUNCER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 11);
/// The configured BFD peer (the scripted peer).
pub const PEER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// A second address of the peer's namespace that is no peer of the daemon.
pub const STRANGER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 99);
/// How long the daemon waits before it logs one discard reason again.
pub const LOG_EVERY: Duration = Duration::from_secs(10);

/// The `announcer` binary if the rig can run here (root, `ip`, the binary built next to
/// this test); otherwise an error naming what is missing.
pub fn require(test: &str) -> Result<PathBuf> {
    let binary = require_built("announcer", test)?;
    crate::hostile::require(&binary.to_string_lossy(), test)
}

/// One "BFD packet discarded" line of the daemon's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscardLine {
    /// The `reason=` field, unquoted (e.g. `too_short`).
    pub reason: String,
    /// The `count=` field: packets of this reason since the last line for it.
    pub count: u64,
    /// The whole line.
    pub line: String,
}

/// The "BFD packet discarded" lines of `log`, in order.
pub fn discards(log: &str) -> Vec<DiscardLine> {
    log.lines()
        .filter(|line| line.contains("BFD packet discarded"))
        .map(|line| DiscardLine {
            reason: field(line, "reason").unwrap_or_default().to_owned(),
            count: field(line, "count")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            line: line.to_owned(),
        })
        .collect()
}

/// The value of ` name=value` in a `tracing` line, without quotes.
fn field<'a>(line: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=");
    let start = line.find(&key)? + key.len();
    let rest = line.get(start..)?;
    let value = rest.split_whitespace().next()?;
    Some(value.trim_matches('"'))
}

/// Prints one row of the outcome table: `bfd-hostile: <case>: <what happened>`.
pub fn report(case: &str, outcome: &str) {
    println!("bfd-hostile: {case}: {outcome}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discard_lines_give_their_reason_and_count() {
        let log = "2025-01-01T00:00:00.000000Z  INFO announcer: started\n\
            2025-01-01T00:00:01.000000Z  WARN bfd: announcer_bfd::driver::discards: BFD packet discarded: version 2, not 1 from=192.0.2.1:49152 reason=\"version\" count=1\n\
            2025-01-01T00:00:11.000000Z  WARN announcer_bfd::driver::discards: BFD packet discarded: TTL 254, not 255 from=192.0.2.1:49153 reason=ttl count=2999\n";
        let lines = discards(log);
        let got: Vec<(&str, u64)> = lines.iter().map(|l| (l.reason.as_str(), l.count)).collect();
        assert_eq!(got, [("version", 1), ("ttl", 2999)]);
        assert!(lines
            .iter()
            .all(|l| l.line.contains("BFD packet discarded")));
    }
}
