//! One configured VIP as the daemon tracks it, and its line in the status report.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use announcer_bgp::wire::Community;
use announcer_bgp::RouteAttributes;
use announcer_health::CheckStatus;
use announcer_netlink::Bound;
use tokio::time::Instant;
use tracing::{debug, error};

use super::reconcile::{CheckStatuses, Marking, Verdict};
use crate::config::{DegradedConfig, DrainConfig, VipConfig};
use crate::maintenance::Entry;
use crate::status::{CheckReport, ProbeReport, VipReport};

/// A VIP: its configuration, what is observed, and what the routers were told.
#[derive(Debug)]
pub struct Vip {
    /// As configured.
    pub config: VipConfig,
    /// The address is on its interface.
    pub bound: bool,
    /// Why binding last failed.
    pub bind_error: Option<String>,
    /// How the routers were told to carry it, if they were.
    pub announced: Option<Marking>,
    /// A maintenance withdrawal drains until then.
    pub drain_until: Option<Instant>,
    /// It is leaving the configuration (a reload removed or moved it).
    pub removing: bool,
}

impl Vip {
    /// A VIP not yet bound nor announced (one with `bind = "none"` counts as bound).
    pub fn new(config: VipConfig) -> Self {
        Vip {
            bound: config.bind.binding().is_none(),
            config,
            bind_error: None,
            announced: None,
            drain_until: None,
            removing: false,
        }
    }

    /// The attributes the routers should have when announced as `marking`: the configured
    /// ones; degraded, with the `[degraded]` prepend and MED and its communities added;
    /// draining, with the GRACEFUL_SHUTDOWN community (RFC 8326) and the drain's MED and
    /// prepend.
    pub fn attributes(
        &self,
        marking: Marking,
        drain: &DrainConfig,
        degraded: &DegradedConfig,
    ) -> Arc<RouteAttributes> {
        let mut attributes = RouteAttributes::clone(&self.config.attributes);
        if marking == Marking::Plain {
            return Arc::clone(&self.config.attributes);
        }
        if marking == Marking::Degraded {
            attributes.as_path_prepend = degraded.as_path_prepend;
            attributes.med = degraded.med.or(attributes.med);
            for community in &degraded.communities {
                if !attributes.communities.contains(community) {
                    attributes.communities.push(*community);
                }
            }
            for community in &degraded.large_communities {
                if !attributes.large_communities.contains(community) {
                    attributes.large_communities.push(*community);
                }
            }
            return Arc::new(attributes);
        }
        if !attributes
            .communities
            .contains(&Community::GRACEFUL_SHUTDOWN)
        {
            attributes.communities.push(Community::GRACEFUL_SHUTDOWN);
        }
        attributes.med = drain.med.or(attributes.med);
        attributes.as_path_prepend = drain.as_path_prepend.unwrap_or(attributes.as_path_prepend);
        Arc::new(attributes)
    }

    /// Records the outcome of binding it; a failure is logged once per distinct error.
    pub fn record_bind(&mut self, outcome: Result<Bound, announcer_netlink::Error>) {
        let interface = &self.config.interface;
        match outcome {
            Ok(outcome) => {
                debug!(prefix = %self.config.prefix, %interface, ?outcome, "bound");
                self.bound = true;
                self.bind_error = None;
            }
            Err(e) => {
                let text = e.to_string();
                if self.bind_error.as_deref() != Some(text.as_str()) {
                    error!(prefix = %self.config.prefix, %interface, error = %text, "cannot bind");
                }
                self.bind_error = Some(text);
            }
        }
    }

    /// Records how the routers were told to carry it, or that they were told to drop it.
    pub fn set_announced(&mut self, announced: Option<Marking>) {
        self.announced = announced;
    }

    /// This VIP's entry in `announcer status`.
    /// `sessions` is (Established sessions, configured peers): the routes reach only the
    /// former.
    pub fn report(
        &self,
        checks: &CheckStatuses,
        maintenance: Option<&Entry>,
        stopping: bool,
        sessions: (usize, usize),
    ) -> VipReport {
        let (established, peers) = sessions;
        let view = self.view(checks, maintenance, stopping);
        let verdict = view.verdict();
        let carried = self.announced.is_some() && established > 0;
        let why = if self.announced.is_some() && !carried {
            format!("not announced: no BGP session is established ({verdict})")
        } else {
            verdict.to_string()
        };
        VipReport {
            prefix: self.config.prefix.to_string(),
            interface: self.config.interface.to_string(),
            bound: self.bound,
            bind: self.config.bind.name().to_owned(),
            announced: carried,
            wanted: verdict.announces(),
            degraded: match verdict {
                Verdict::Degraded(failed) => Some(failed.name.to_owned()),
                _ => None,
            },
            announced_to: if carried { established } else { 0 },
            peers,
            maintenance: maintenance.cloned(),
            why,
            checks: checks
                .hard
                .iter()
                .map(|(name, status)| check_report(name, status.as_ref(), false))
                .chain(
                    checks
                        .soft
                        .iter()
                        .map(|(name, status)| check_report(name, status.as_ref(), true)),
                )
                .collect(),
        }
    }
}

fn check_report(name: &str, status: Option<&CheckStatus>, soft: bool) -> CheckReport {
    CheckReport {
        name: name.to_owned(),
        soft,
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

#[cfg(test)]
mod tests {
    use announcer_bgp::RouteAttributes;

    use super::*;
    use crate::config::BindMode;

    fn config(bind: BindMode) -> VipConfig {
        VipConfig {
            prefix: "203.0.113.10/32".parse().unwrap(),
            interface: "lo".into(),
            bind,
            checks: Arc::default(),
            attributes: Arc::default(),
            policy: Arc::default(),
        }
    }

    #[test]
    fn a_vip_announcer_does_not_bind_counts_as_bound_from_the_start() {
        assert!(Vip::new(config(BindMode::None)).bound);
        assert!(!Vip::new(config(BindMode::Address)).bound);
    }

    #[test]
    fn draining_adds_graceful_shutdown_once_and_the_drain_med_and_prepend() {
        let vip = Vip::new(config(BindMode::Address));
        let drain = DrainConfig {
            med: Some(1000),
            as_path_prepend: Some(3),
            ..DrainConfig::default()
        };
        let degraded = DegradedConfig::default();
        let marked = vip.attributes(Marking::Draining, &drain, &degraded);
        assert_eq!(marked.communities, vec![Community::GRACEFUL_SHUTDOWN]);
        assert_eq!((marked.med, marked.as_path_prepend), (Some(1000), 3));
        let plain = vip.attributes(Marking::Plain, &drain, &degraded);
        assert_eq!(*plain, RouteAttributes::default());
    }

    #[test]
    fn degraded_takes_the_degraded_prepend_and_med_and_adds_its_communities() {
        let mut config = config(BindMode::Address);
        config.attributes = Arc::new(RouteAttributes {
            med: Some(10),
            communities: vec![Community::new(65000, 1)],
            as_path_prepend: 1,
            ..RouteAttributes::default()
        });
        let vip = Vip::new(config);
        let degraded = DegradedConfig {
            med: Some(500),
            communities: vec![Community::new(65000, 666), Community::new(65000, 1)],
            ..DegradedConfig::default()
        };
        let marked = vip.attributes(Marking::Degraded, &DrainConfig::default(), &degraded);
        assert_eq!((marked.med, marked.as_path_prepend), (Some(500), 3));
        assert_eq!(
            marked.communities,
            vec![Community::new(65000, 1), Community::new(65000, 666)]
        );
    }
}
