//! Draining withdrawals: `announcer withdraw` without `--now` re-announces the VIPs with the
//! GRACEFUL_SHUTDOWN community (RFC 8326), so routers move traffic away while the route still
//! exists, and withdraws them when the drain time is over. The client gets a
//! [`Reply::Draining`] at once and the final reply when the withdrawal is done.

use announcer_bgp::Prefix;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::info;

use super::effects::Effects;
use super::{list, Daemon};
use crate::control::protocol::Reply;

/// A client waiting for the end of a drain.
pub(super) struct PendingDrain {
    until: Instant,
    prefixes: Vec<Prefix>,
    reply: mpsc::Sender<Reply>,
}

impl<E: Effects> Daemon<E> {
    /// Starts draining those of `prefixes` that are announced (already in maintenance);
    /// returns the first reply for the client, or `None` when none is announced and there is
    /// nothing to wait for.
    pub(super) async fn start_drain(
        &mut self,
        prefixes: &[Prefix],
        reply: &mpsc::Sender<Reply>,
    ) -> Option<Reply> {
        let time = self.config.drain.time;
        let until = Instant::now() + time;
        let mut draining = Vec::new();
        for prefix in prefixes {
            if let Some(vip) = self.vips.get_mut(prefix) {
                if vip.drain_until.is_none() && vip.announced.is_some() {
                    vip.drain_until = Some(until);
                }
                if vip.drain_until.is_some() {
                    draining.push(*prefix);
                }
            }
        }
        self.reconcile_each(prefixes).await;
        let end = draining
            .iter()
            .filter_map(|p| self.vips.get(p)?.drain_until)
            .max()?;
        let ms = u64::try_from(end.saturating_duration_since(Instant::now()).as_millis())
            .unwrap_or(u64::MAX);
        info!(vips = %list(&draining), drain_ms = ms, "draining: announced with GRACEFUL_SHUTDOWN, withdrawing when the drain time is over");
        self.drains.push(PendingDrain {
            until: end,
            prefixes: prefixes.to_vec(),
            reply: reply.clone(),
        });
        Some(Reply::Draining {
            ok: true,
            draining_ms: ms,
            message: format!(
                "draining {} for {ms} ms (announced with GRACEFUL_SHUTDOWN), then withdrawing",
                list(&draining)
            ),
        })
    }

    /// Stops draining `prefixes` (a `--now` withdrawal or the end of maintenance).
    pub(super) fn cancel_drain(&mut self, prefixes: &[Prefix]) {
        for prefix in prefixes {
            if let Some(vip) = self.vips.get_mut(prefix) {
                vip.drain_until = None;
            }
        }
    }

    /// When the next drain ends or a waiting client is due.
    pub(super) fn next_drain_end(&self) -> Option<Instant> {
        let vips = self.vips.values().filter_map(|v| v.drain_until);
        vips.chain(self.drains.iter().map(|d| d.until)).min()
    }

    /// Withdraws the VIPs whose drain is over and answers the clients that waited for them.
    pub(super) async fn drains_due(&mut self) {
        let now = Instant::now();
        let over: Vec<Prefix> = self
            .vips
            .values()
            .filter(|v| v.drain_until.is_some_and(|t| t <= now))
            .map(|v| v.config.prefix)
            .collect();
        self.cancel_drain(&over);
        self.reconcile_each(&over).await;
        let (due, waiting) = std::mem::take(&mut self.drains)
            .into_iter()
            .partition(|d| d.until <= now);
        self.drains = waiting;
        for drain in due {
            let message = self.drain_outcome(&drain.prefixes);
            let _ = drain.reply.try_send(Reply::done(message));
        }
    }

    /// Answers every waiting client now: the daemon is stopping (`why`).
    pub(super) fn answer_drains(&mut self, why: &str) {
        for drain in std::mem::take(&mut self.drains) {
            let _ = drain.reply.try_send(Reply::done(format!(
                "{} ({why})",
                self.drain_outcome(&drain.prefixes)
            )));
        }
    }

    fn drain_outcome(&self, prefixes: &[Prefix]) -> String {
        let (withdrawn, back): (Vec<Prefix>, Vec<Prefix>) = prefixes
            .iter()
            .partition(|p| self.maintenance.get(p).is_some());
        if back.is_empty() {
            format!("withdrawn: {}", list(&withdrawn))
        } else {
            format!(
                "withdrawn: {}; maintenance ended during the drain: {}",
                list(&withdrawn),
                list(&back)
            )
        }
    }
}
