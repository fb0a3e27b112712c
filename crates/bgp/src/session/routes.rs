//! Sending routes on the Established connection without letting a slow peer grow our memory:
//! UPDATEs are taken from the Adj-RIB-Out in batches only while the connection's queue is
//! below [`QUEUE_LIMIT`]; otherwise changes stay dirty in the Adj-RIB-Out (so the peer later
//! gets the latest state, not every intermediate one) and the writer says when it has
//! drained. A table owed to ROUTE-REFRESH starts only once the queue is empty, so requests
//! that arrive while the peer has not taken the previous table merge into one.

use std::time::Instant;

use tracing::{debug, info, warn};

use super::{Repeated, Session};
use crate::fsm::ConnId;
use crate::rib_out::Unsendable;
use crate::types::Family;
use crate::wire::{Message, Update};

/// Queued bytes at or above which no more UPDATEs are queued on a connection. With the
/// batch below, a connection holds at most about this plus one batch of UPDATE bytes.
pub(super) const QUEUE_LIMIT: usize = 256 * 1024;
/// Routes taken from the Adj-RIB-Out at a time (about 5 KiB of UPDATEs for /32s sharing
/// attributes; at most about 100 KiB if every route had attributes of its own).
const BATCH_ROUTES: usize = 1_000;

impl Session {
    /// The peer asked for our routes of `family` again (RFC 2918): owed once, however many
    /// requests arrive before it is sent. Ignored until the session is Established.
    pub(super) fn route_refresh(&mut self, family: Family) {
        if self.established.is_none() {
            return;
        }
        let now = Instant::now();
        if self.rib.request_refresh(family) {
            if let Some(left_out) = self.repeats.allow(Repeated::RouteRefresh, now) {
                info!(%family, left_out, "route refresh requested");
            }
        } else if let Some(left_out) = self.repeats.allow(Repeated::RefreshMerged, now) {
            info!(
                %family,
                left_out,
                "route refresh requested while one is still owed; merged into it"
            );
        }
    }

    /// Sends what changed in the Adj-RIB-Out, if the session is up, as far as the
    /// connection's queue has room.
    pub(super) fn flush_routes(&mut self) {
        self.flush(Some(QUEUE_LIMIT));
    }

    /// Sends everything that changed, however full the queue (before a clean shutdown:
    /// the withdrawals precede the Cease).
    pub(super) fn flush_all_routes(&mut self) {
        self.flush(None);
    }

    /// Takes batches from the Adj-RIB-Out while something is pending and the queue is
    /// below `limit` (any size when `None`).
    fn flush(&mut self, limit: Option<usize>) {
        let (id, view) = match &self.established {
            Some((id, view)) => (*id, view.clone()),
            _ => return,
        };
        let rounds = self.rib.pending_bound() / BATCH_ROUTES + 2;
        for _ in 0..rounds {
            let Some(conn) = self.conns.get(&id) else {
                return;
            };
            let queued = conn.queued();
            if queued == 0 || limit.is_none() {
                self.rib.start_owed_refreshes();
            }
            if !self.rib.has_ready() {
                if !self.rib.refresh_owed() {
                    return;
                }
                conn.notify_when_drained();
                // The writer may have emptied the queue before it saw the request.
                if conn.queued() == 0 {
                    continue;
                }
                return;
            }
            if limit.is_some_and(|limit| queued >= limit) {
                conn.notify_when_drained();
                if conn.queued() == 0 {
                    continue;
                }
                if let Some(left_out) = self.repeats.allow(Repeated::NotReading, Instant::now()) {
                    info!(
                        queued,
                        left_out,
                        "peer is not reading; route changes wait and are sent as they stand when it does"
                    );
                }
                return;
            }
            let (updates, unsendable) = self.rib.next_updates(&view, BATCH_ROUTES);
            self.send_updates(id, updates, &unsendable);
        }
    }

    /// Queues `updates` on connection `id`; logs (rate-limited) the routes it cannot carry.
    pub(super) fn send_updates(
        &mut self,
        id: ConnId,
        updates: Vec<Update>,
        unsendable: &Unsendable,
    ) {
        let has_unsendable =
            !unsendable.family_not_negotiated.is_empty() || !unsendable.no_next_hop.is_empty();
        if has_unsendable {
            if let Some(left_out) = self.repeats.allow(Repeated::Unsendable, Instant::now()) {
                if !unsendable.family_not_negotiated.is_empty() {
                    warn!(routes = ?unsendable.family_not_negotiated, left_out, "peer did not negotiate these routes' family; not sent");
                }
                if !unsendable.no_next_hop.is_empty() {
                    warn!(routes = ?unsendable.no_next_hop, left_out, "no next hop of these routes' family on this session (set next_hop); not sent");
                }
            }
        }
        if updates.is_empty() {
            return;
        }
        debug!(updates = updates.len(), "sending UPDATEs");
        let messages: Vec<Message> = updates.into_iter().map(Message::Update).collect();
        self.send(id, &messages);
    }
}
