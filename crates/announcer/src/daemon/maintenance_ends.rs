//! Maintenance with an end (`announcer withdraw --for`). Each end is saved with the
//! maintenance as a Unix time, so it survives restarts, and kept here as a timer on the
//! runtime's clock while the daemon runs. When it passes, the maintenance ends as
//! `announcer announce` would end it: the VIPs are announced again if healthy.

use std::time::Duration;

use announcer_bgp::Prefix;
use tokio::time::Instant;
use tracing::{error, info};

use super::effects::Effects;
use super::{list, Daemon};
use crate::maintenance::time_until;

/// How long to wait before trying again to end a maintenance whose state cannot be saved.
const SAVE_RETRY: Duration = Duration::from_secs(10);

impl<E: Effects> Daemon<E> {
    /// Starts the timers of the ends saved with the maintenance (at start; an end already
    /// past is due at once).
    pub(super) fn restore_maintenance_ends(&mut self) {
        let start = Instant::now();
        self.maintenance_ends = self
            .maintenance
            .ends()
            .map(|(prefix, until)| (prefix, start + time_until(until)))
            .collect();
    }

    /// Sets the end of `prefixes`' maintenance to `after` from now, or clears it.
    pub(super) fn set_maintenance_end(&mut self, prefixes: &[Prefix], after: Option<Duration>) {
        let now = Instant::now();
        for prefix in prefixes {
            match after {
                Some(after) => self.maintenance_ends.insert(*prefix, now + after),
                None => self.maintenance_ends.remove(prefix),
            };
        }
    }

    /// When the next maintenance ends.
    pub(super) fn next_maintenance_end(&self) -> Option<Instant> {
        self.maintenance_ends.values().min().copied()
    }

    /// Ends the maintenance of the VIPs whose end has come.
    pub(super) async fn maintenance_ends_due(&mut self) {
        let now = Instant::now();
        let due: Vec<Prefix> = self
            .maintenance_ends
            .iter()
            .filter(|(_, end)| **end <= now)
            .map(|(prefix, _)| *prefix)
            .collect();
        if let Err(e) = self.maintenance.announce(&due) {
            error!(vips = %list(&due), error = %e, "cannot save maintenance state; the maintenance ends once it can be saved");
            self.set_maintenance_end(&due, Some(SAVE_RETRY));
            return;
        }
        self.set_maintenance_end(&due, None);
        info!(vips = %list(&due), "maintenance over: its time ended (announced while healthy)");
        self.cancel_drain(&due);
        self.reconcile_each(&due).await;
    }
}
