//! Control requests: status, withdraw and announce. A request naming a VIP that is not
//! configured, or one whose state cannot be saved, changes nothing. Withdraw and announce
//! are logged with who asked (uid and pid), and a withdrawal keeps it with the maintenance.

use std::time::{Duration, UNIX_EPOCH};

use announcer_bfd::{PeerBfdStatus, SessionState};
use announcer_bgp::fsm::State;
use announcer_bgp::Prefix;
use tokio::sync::mpsc;
use tracing::{error, info};

use super::effects::{Effects, Routes};
use super::{list, Daemon};
use crate::control::protocol::{Reply, Request};
use crate::control::server::Requested;
use crate::maintenance::{now_unix, unix_after};
use crate::metrics::{Snapshot, VipSample};
use crate::status::{utc_time, BfdReport, PeerReport, StatusReport};

/// The reason recorded when `announcer withdraw` gives none.
const DEFAULT_REASON: &str = "withdrawn by operator";

impl<E: Effects> Daemon<E> {
    /// Answers one control request; a draining withdrawal answers a second time on `reply`
    /// when it is over.
    pub(super) async fn request(
        &mut self,
        requested: Requested,
        reply: &mpsc::Sender<Reply>,
    ) -> Reply {
        let Requested { request, by } = requested;
        let uid = by.map(|b| b.uid);
        let pid = by.and_then(|b| b.pid);
        match request {
            Request::Status {} => Reply::Status {
                ok: true,
                status: self.status(),
            },
            Request::Withdraw {
                prefixes,
                reason,
                now,
                for_ms,
            } => {
                let prefixes = match self.resolve(&prefixes) {
                    Ok(p) => p,
                    Err(reply) => return reply,
                };
                let reason = reason.filter(|r| !r.trim().is_empty());
                let reason = reason.as_deref().unwrap_or(DEFAULT_REASON);
                let after = for_ms.map(Duration::from_millis);
                let until_unix = after.map(unix_after);
                if let Err(e) = self.maintenance.withdraw(&prefixes, reason, by, until_unix) {
                    error!(error = %e, "cannot save maintenance state; nothing withdrawn");
                    return Reply::failed(format!(
                        "cannot save maintenance state, nothing withdrawn: {e}"
                    ));
                }
                self.set_maintenance_end(&prefixes, after);
                let until = until_unix.map(|u| format!(" until {}", utc_time(u, now_unix())));
                let until = until.unwrap_or_default();
                info!(vips = %list(&prefixes), reason, now, uid, pid, "maintenance: withdrawing{until}");
                if now || self.config.drain.time.is_zero() {
                    self.cancel_drain(&prefixes);
                } else if let Some(draining) = self.start_drain(&prefixes, reply).await {
                    return draining;
                }
                self.reconcile_each(&prefixes).await;
                Reply::done(format!("withdrawn: {}{until}", list(&prefixes)))
            }
            Request::Reload {} => match self.reload().await {
                Ok(plan) if plan.is_empty() => Reply::done("configuration unchanged"),
                Ok(plan) => Reply::done(format!("reloaded: {plan}")),
                Err(e) => Reply::failed(format!(
                    "reload refused, the running configuration is kept: {e}"
                )),
            },
            Request::Preview { config } => match self.preview(&config, by) {
                Ok(text) => Reply::done(text),
                Err(e) => Reply::failed(e.to_string()),
            },
            Request::Announce { prefixes } => {
                let prefixes = match self.resolve(&prefixes) {
                    Ok(p) => p,
                    Err(reply) => return reply,
                };
                if let Err(e) = self.maintenance.announce(&prefixes) {
                    error!(error = %e, "cannot save maintenance state; nothing changed");
                    return Reply::failed(format!(
                        "cannot save maintenance state, nothing changed: {e}"
                    ));
                }
                info!(vips = %list(&prefixes), uid, pid, "maintenance over");
                self.set_maintenance_end(&prefixes, None);
                self.cancel_drain(&prefixes);
                self.reconcile_each(&prefixes).await;
                Reply::done(format!(
                    "maintenance over: {} (announced while healthy)",
                    list(&prefixes)
                ))
            }
        }
    }

    /// The configured VIPs a request names; all of them when it names none.
    fn resolve(&self, names: &[String]) -> Result<Vec<Prefix>, Reply> {
        if names.is_empty() {
            return Ok(self.vips.keys().copied().collect());
        }
        names
            .iter()
            .map(|name| {
                let prefix = name
                    .parse::<Prefix>()
                    .ok()
                    .or_else(|| name.parse().ok().map(Prefix::host))
                    .ok_or_else(|| {
                        Reply::failed(format!("{name:?} is not an address or prefix"))
                    })?;
                self.vips
                    .contains_key(&prefix)
                    .then_some(prefix)
                    .ok_or_else(|| Reply::failed(format!("no VIP {name} is configured")))
            })
            .collect()
    }

    fn status(&self) -> StatusReport {
        let bfd = self.bfd.as_ref().map(|b| b.status()).unwrap_or_default();
        let sessions = self
            .speaker
            .as_ref()
            .map(|s| s.status())
            .unwrap_or_default();
        let established = sessions
            .iter()
            .filter(|p| p.state == State::Established)
            .count();
        let counts = (established, self.config.peers.len());
        let peers = sessions
            .iter()
            .map(|p| PeerReport {
                name: p.name.clone(),
                address: p.address.to_string(),
                remote_as: p.remote_as.get(),
                state: p.state.to_string(),
                uptime_secs: p.uptime().map(|u| u.as_secs_f64()),
                routes_sent: p.routes_advertised,
                last_error: p.last_error.clone(),
                last_error_at_unix: p
                    .last_error_at
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs_f64()),
                bfd: bfd.iter().find(|b| b.address == p.address).map(bfd_report),
            })
            .collect();
        let vips = self
            .vips
            .values()
            .map(|v| {
                let statuses = self.check_statuses(v);
                v.report(
                    &statuses,
                    self.maintenance.get(&v.config.prefix),
                    self.stopping,
                    counts,
                )
            })
            .collect();
        StatusReport { peers, vips }
    }
}

impl<E: Effects> Daemon<E> {
    /// What a metrics scrape shows now.
    pub(super) fn snapshot(&self) -> Snapshot {
        let peers = self
            .speaker
            .as_ref()
            .map(|s| s.status())
            .unwrap_or_default();
        let established = peers.iter().any(|p| p.state == State::Established);
        let bfd_up = self
            .bfd
            .as_ref()
            .map(|b| b.status())
            .unwrap_or_default()
            .iter()
            .map(|b| (b.address, b.state == SessionState::Up))
            .collect();
        let vips = self.config.metrics.per_vip.then(|| {
            self.vips
                .values()
                .map(|v| VipSample {
                    prefix: v.config.prefix.to_string(),
                    announced: v.announced.is_some() && established,
                    bound: v.bound,
                    maintenance: self.maintenance.get(&v.config.prefix).is_some(),
                })
                .collect()
        });
        let (checks, check_metrics) = self.checks.samples();
        Snapshot {
            peers,
            bfd_up,
            vips,
            checks,
            check_metrics,
        }
    }
}

/// A BFD session as `status` shows it.
fn bfd_report(status: &PeerBfdStatus) -> BfdReport {
    let millis = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    BfdReport {
        state: status.state.to_string(),
        remote_state: status.remote_state.to_string(),
        diagnostic: status.diagnostic.to_string(),
        transmit_interval_ms: status.transmit_interval.map(|i| millis(i.as_duration())),
        detection_time_ms: status.detection_time.map(millis),
        multiplier: status.multiplier.get(),
        local_discriminator: status.local_discriminator.get(),
        remote_discriminator: status.remote_discriminator.map(|d| d.get()),
        failures: status.failures,
        ever_up: status.ever_up,
    }
}
