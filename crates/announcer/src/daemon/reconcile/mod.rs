//! The daemon's decision for a VIP, in one step: gather its inputs (bound? its checks'
//! statuses? maintenance? draining? what the routers were told), [`plan`] what to do (pure,
//! in `plan.rs`, unit-tested without sockets or clocks), and apply the plan's
//! actions through the [`Effects`] in the order given: bind, then announce; withdraw, then
//! unbind. Every other part of the daemon changes the state and calls
//! [`Daemon::reconcile`] (or its batch forms) for the VIPs affected.

mod plan;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use announcer_bgp::{Prefix, Target};
use announcer_health::CheckStatus;
use announcer_netlink::Binding;
use tracing::{debug, error, info};

use super::effects::{Effects, Routes};
use super::vip::Vip;
use super::Daemon;
use crate::maintenance::Entry;
pub use plan::{plan, Action, CheckView, Marking, Verdict, VipView};

/// At most this many plan/act rounds per reconcile (bind, then announce).
const RECONCILE_ROUNDS: usize = 3;
/// How many VIPs one batch binds before they are announced (each batch of addresses costs
/// one address dump).
const BIND_BATCH: usize = 512;
/// How many VIPs a full reconcile decides before it lets the sessions' tasks run.
const YIELD_EVERY: usize = 1024;

/// A VIP's checks with their latest statuses: hard (`checks`), then soft (`soft_checks`).
#[derive(Debug, Default)]
pub struct CheckStatuses {
    /// `checks`, in configuration order.
    pub hard: Vec<(String, Option<CheckStatus>)>,
    /// `soft_checks`, in configuration order.
    pub soft: Vec<(String, Option<CheckStatus>)>,
}

impl Vip {
    /// The inputs of the plan for this VIP, given its checks' statuses, hard then soft (each
    /// in configuration order; a missing status counts as not healthy).
    pub fn view<'a>(
        &'a self,
        checks: &'a CheckStatuses,
        maintenance: Option<&'a Entry>,
        stopping: bool,
    ) -> VipView<'a> {
        let views = |statuses: &'a [(String, Option<CheckStatus>)]| {
            statuses
                .iter()
                .map(|(name, status)| CheckView {
                    name,
                    healthy: status.as_ref().is_some_and(|s| s.healthy),
                    detail: status
                        .as_ref()
                        .and_then(|s| s.last.as_ref())
                        .map(|l| l.detail.as_str()),
                })
                .collect()
        };
        VipView {
            bound: self.bound,
            bind_error: self.bind_error.as_deref(),
            checks: views(&checks.hard),
            soft_checks: views(&checks.soft),
            on_failure: self.config.policy.on_failure,
            require: self.config.policy.require,
            maintenance: maintenance.map(|m| m.reason.as_str()),
            draining: self.drain_until.is_some(),
            announced: self.announced,
            stopping,
            removing: self.removing,
            managed: self.config.bind.binding().is_some(),
        }
    }
}

impl<E: Effects> Daemon<E> {
    /// Brings one VIP to what its inputs call for: inputs, plan, apply, until the plan is
    /// empty (at most [`RECONCILE_ROUNDS`] times).
    pub(super) async fn reconcile(&mut self, prefix: Prefix) {
        for _ in 0..RECONCILE_ROUNDS {
            let Some(vip) = self.vips.get(&prefix) else {
                return;
            };
            let statuses = self.check_statuses(vip);
            let view = vip.view(&statuses, self.maintenance.get(&prefix), self.stopping);
            let plan = plan(&view);
            if plan.actions.is_empty() {
                return;
            }
            let why = plan.verdict.to_string();
            for action in plan.actions {
                self.apply(prefix, action, &why).await;
            }
        }
    }

    /// Reconciles each of `prefixes`.
    pub(super) async fn reconcile_each(&mut self, prefixes: &[Prefix]) {
        for prefix in prefixes {
            self.reconcile(*prefix).await;
        }
    }

    /// Binds the unbound VIPs in batches, then reconciles every VIP, letting the sessions'
    /// tasks run every [`YIELD_EVERY`] VIPs.
    pub(super) async fn reconcile_all(&mut self) {
        self.bind_unbound().await;
        let prefixes: Vec<Prefix> = self.vips.keys().copied().collect();
        for (n, prefix) in prefixes.into_iter().enumerate() {
            self.reconcile(prefix).await;
            if n % YIELD_EVERY == YIELD_EVERY - 1 {
                tokio::task::yield_now().await;
            }
        }
    }

    /// Binds every unbound VIP in batches of [`BIND_BATCH`] per interface and kind of
    /// binding (thousands of VIPs at start take one address dump per batch, not one each),
    /// and reconciles each batch's VIPs as soon as it is bound: the first routes leave while
    /// the rest are still being bound. What fails here is tried again one by one, and
    /// reported, by the reconcile.
    async fn bind_unbound(&mut self) {
        if self.stopping {
            return;
        }
        let mut batches: BTreeMap<(Binding, Arc<str>), Vec<IpAddr>> = BTreeMap::new();
        for vip in self.vips.values().filter(|v| !v.bound) {
            if let Some(binding) = vip.config.bind.binding() {
                batches
                    .entry((binding, Arc::clone(&vip.config.interface)))
                    .or_default()
                    .push(vip.config.prefix.addr());
            }
        }
        for ((binding, interface), addrs) in batches {
            for batch in addrs.chunks(BIND_BATCH) {
                match self.effects.bind_all(binding, &interface, batch).await {
                    Ok(outcomes) => {
                        for (addr, outcome) in outcomes {
                            if let Some(vip) = self.vips.get_mut(&Prefix::host(addr)) {
                                vip.record_bind(outcome);
                            }
                        }
                    }
                    Err(e) => {
                        debug!(%interface, error = %e, "batch bind failed; binding one by one");
                    }
                }
                for addr in batch {
                    self.reconcile(Prefix::host(*addr)).await;
                }
            }
        }
    }

    /// Takes one step of a plan for `prefix`, logging `why` with an announcement or a
    /// withdrawal.
    async fn apply(&mut self, prefix: Prefix, action: Action, why: &str) {
        let Some(vip) = self.vips.get_mut(&prefix) else {
            return;
        };
        match action {
            Action::Bind => {
                if let Some(binding) = vip.config.bind.binding() {
                    let interface = &vip.config.interface;
                    let outcome = self.effects.bind(binding, interface, prefix.addr()).await;
                    vip.record_bind(outcome);
                }
            }
            Action::Announce | Action::Degrade | Action::Drain => {
                let marking = match action {
                    Action::Degrade => Marking::Degraded,
                    Action::Drain => Marking::Draining,
                    _ => Marking::Plain,
                };
                if let Some(speaker) = &self.speaker {
                    let attributes =
                        vip.attributes(marking, &self.config.drain, &self.config.degraded);
                    match speaker.announce(Target::All, prefix, attributes) {
                        Ok(()) => {
                            vip.set_announced(Some(marking));
                            info!(prefix = %prefix, "{why}");
                        }
                        Err(e) => error!(prefix = %prefix, error = %e, "cannot announce"),
                    }
                }
            }
            Action::Withdraw => {
                if let Some(speaker) = &self.speaker {
                    if let Err(e) = speaker.withdraw(Target::All, prefix) {
                        error!(prefix = %prefix, error = %e, "cannot withdraw");
                    }
                }
                vip.set_announced(None);
                info!(prefix = %prefix, "{why}");
            }
            Action::Unbind => {
                if let Some(speaker) = &self.speaker {
                    speaker.sync().await;
                }
                if let Some(binding) = vip.config.bind.binding() {
                    let interface = &vip.config.interface;
                    match self.effects.unbind(binding, interface, prefix.addr()).await {
                        Ok(()) => info!(prefix = %prefix, %interface, %binding, "unbound"),
                        Err(e) => error!(prefix = %prefix, error = %e, "cannot unbind"),
                    }
                }
                vip.bound = false;
            }
        }
    }

    /// Each of a VIP's checks, hard then soft, with its latest status.
    pub(super) fn check_statuses(&self, vip: &Vip) -> CheckStatuses {
        let statuses = |names: &[String]| {
            names
                .iter()
                .map(|name| (name.clone(), self.checks.status(name)))
                .collect()
        };
        CheckStatuses {
            hard: statuses(&vip.config.checks),
            soft: statuses(&vip.config.policy.soft_checks),
        }
    }
}
