//! Discarded packets: counted by reason, logged at most once per reason every
//! [`LOG_EVERY`] with the count since the last line, so a flood costs no log volume.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tracing::warn;

use crate::packet::Discard;

/// The shortest time between two log lines for one reason.
pub(super) const LOG_EVERY: Duration = Duration::from_secs(10);

/// Counters and log pacing per reason.
#[derive(Debug, Default)]
pub(super) struct Discards {
    reasons: BTreeMap<&'static str, Reason>,
}

#[derive(Debug, Default)]
struct Reason {
    total: u64,
    unlogged: u64,
    logged_at: Option<Instant>,
}

impl Discards {
    /// Counts one discarded packet, and logs it unless this reason was logged recently.
    pub(super) fn count(&mut self, discard: Discard, from: SocketAddr, now: Instant) {
        let reason = self.reasons.entry(discard.kind()).or_default();
        reason.total += 1;
        reason.unlogged += 1;
        if reason
            .logged_at
            .is_some_and(|at| now.saturating_duration_since(at) < LOG_EVERY)
        {
            return;
        }
        warn!(
            %from,
            reason = discard.kind(),
            count = reason.unlogged,
            "BFD packet discarded: {discard}"
        );
        reason.unlogged = 0;
        reason.logged_at = Some(now);
    }
}
