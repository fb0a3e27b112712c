//! One configured VIP as the daemon tracks it, and its line in the status report.

use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

use announcer_bgp::wire::Community;
use announcer_bgp::RouteAttributes;
use announcer_health::CheckStatus;

use crate::config::{DrainConfig, VipConfig};
use crate::maintenance::Entry;
use crate::reconcile::{CheckView, VipView};
use crate::status::{CheckReport, MaintenanceReport, ProbeReport, VipReport};

/// A VIP: its configuration, what is observed, and what the routers were told.
#[derive(Debug)]
pub struct Vip {
    /// As configured.
    pub config: VipConfig,
    /// The address is on its interface.
    pub bound: bool,
    /// Why binding last failed.
    pub bind_error: Option<String>,
    /// The routers were told to carry it.
    pub announced: bool,
    /// What they were told carries the drain marks.
    pub announced_draining: bool,
    /// A maintenance withdrawal drains until then.
    pub drain_until: Option<Instant>,
}

impl Vip {
    /// A VIP not yet bound nor announced.
    pub fn new(config: VipConfig) -> Self {
        Vip {
            config,
            bound: false,
            bind_error: None,
            announced: false,
            announced_draining: false,
            drain_until: None,
        }
    }

    /// The attributes the routers should have now: the configured ones, or while draining
    /// those with the GRACEFUL_SHUTDOWN community (RFC 8326) and the drain's MED and prepend.
    pub fn attributes(&self, drain: &DrainConfig, draining: bool) -> Arc<RouteAttributes> {
        let mut attributes = self.config.attributes.clone();
        if draining {
            if !attributes
                .communities
                .contains(&Community::GRACEFUL_SHUTDOWN)
            {
                attributes.communities.push(Community::GRACEFUL_SHUTDOWN);
            }
            attributes.med = drain.med.or(attributes.med);
            attributes.as_path_prepend =
                drain.as_path_prepend.unwrap_or(attributes.as_path_prepend);
        }
        Arc::new(attributes)
    }

    /// Records that the routers were told to carry it (marked to drain or not), or not.
    pub fn set_announced(&mut self, announced: bool, draining: bool) {
        self.announced = announced;
        self.announced_draining = announced && draining;
    }

    /// The reconcile view of this VIP, given its checks' statuses (in `config.checks` order;
    /// a missing status counts as not healthy).
    pub fn view<'a>(
        &'a self,
        checks: &'a [(String, Option<CheckStatus>)],
        maintenance: Option<&'a Entry>,
        stopping: bool,
    ) -> VipView<'a> {
        VipView {
            bound: self.bound,
            bind_error: self.bind_error.as_deref(),
            checks: checks
                .iter()
                .map(|(name, status)| CheckView {
                    name,
                    healthy: status.as_ref().is_some_and(|s| s.healthy),
                    detail: status
                        .as_ref()
                        .and_then(|s| s.last.as_ref())
                        .map(|l| l.detail.as_str()),
                })
                .collect(),
            maintenance: maintenance.map(|m| m.reason.as_str()),
            draining: self.drain_until.is_some(),
            announced: self.announced,
            announced_draining: self.announced_draining,
            stopping,
        }
    }

    /// This VIP's entry in `announcer status`.
    pub fn report(
        &self,
        checks: &[(String, Option<CheckStatus>)],
        maintenance: Option<&Entry>,
        stopping: bool,
    ) -> VipReport {
        VipReport {
            prefix: self.config.prefix.to_string(),
            interface: self.config.interface.clone(),
            bound: self.bound,
            announced: self.announced,
            maintenance: maintenance.map(|m| MaintenanceReport {
                reason: m.reason.clone(),
                since_unix: m.since_unix,
            }),
            why: self
                .view(checks, maintenance, stopping)
                .verdict()
                .to_string(),
            checks: checks
                .iter()
                .map(|(name, status)| check_report(name, status.as_ref()))
                .collect(),
        }
    }
}

fn check_report(name: &str, status: Option<&CheckStatus>) -> CheckReport {
    CheckReport {
        name: name.to_owned(),
        healthy: status.is_some_and(|s| s.healthy),
        streak: status.map_or(0, |s| s.streak),
        last: status.and_then(|s| s.last.as_ref()).map(|l| ProbeReport {
            pass: l.pass,
            latency_ms: l.latency.as_secs_f64() * 1000.0,
            detail: l.detail.clone(),
            at_unix: l
                .at
                .duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs_f64(),
        }),
    }
}
