//! What a reload would do on this host now, for `announcer check-config --diff`: the
//! [`ReloadPlan`] read against what runs (which VIPs are announced, which checks pass), as
//! the addresses bound and unbound, the routes announced and withdrawn, and the sessions and
//! checks started, stopped and reset. Pure: the daemon passes its state in.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use announcer_bgp::{PeerConfig, Prefix};
use announcer_netlink::Binding;

use super::ReloadPlan;
use crate::config::{Config, VipConfig};

/// A VIP as it stands now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VipNow {
    /// The routers carry it.
    pub announced: bool,
    /// It is withdrawn for maintenance.
    pub maintenance: bool,
}

/// One thing a reload would do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// Put the address on the interface, or its `local` route through it.
    Bind(Prefix, Arc<str>, Binding),
    /// Take the address off the interface, or its `local` route.
    Unbind(Prefix, Arc<str>, Binding),
    /// Stop managing the address (`bind = false`); it stays where it is.
    Release(Prefix),
    /// Announce the route: at once, or once these checks pass.
    Announce(Prefix, Vec<String>),
    /// Announce the route again with new attributes.
    Reannounce(Prefix),
    /// Withdraw the route, and why.
    Withdraw(Prefix, &'static str),
    /// Start a session.
    Start(String, IpAddr),
    /// Stop a session.
    Stop(IpAddr),
    /// Reset a session, and why.
    Reset(String, IpAddr, &'static str),
    /// Start a check.
    StartCheck(String),
    /// Restart a changed check: its VIPs wait for it to pass again.
    RestartCheck(String),
    /// Stop a check.
    StopCheck(String),
    /// A table that changes only at the next start.
    NextStart(&'static str),
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Bind(prefix, interface, Binding::Address) => {
                write!(f, "bind {prefix} on {interface}")
            }
            Change::Bind(prefix, interface, Binding::Route) => {
                write!(f, "add a local route for {prefix} through {interface}")
            }
            Change::Unbind(prefix, interface, Binding::Address) => {
                write!(f, "unbind {prefix} from {interface}")
            }
            Change::Unbind(prefix, interface, Binding::Route) => {
                write!(f, "remove the local route for {prefix} through {interface}")
            }
            Change::Release(prefix) => {
                write!(f, "stop binding {prefix} (its address stays where it is)")
            }
            Change::Announce(prefix, waits) if waits.is_empty() => write!(f, "announce {prefix}"),
            Change::Announce(prefix, waits) => {
                let verb = if waits.len() == 1 { "passes" } else { "pass" };
                write!(f, "announce {prefix} once {} {verb}", waits.join(", "))
            }
            Change::Reannounce(prefix) => write!(f, "announce {prefix} again (new attributes)"),
            Change::Withdraw(prefix, why) => write!(f, "withdraw {prefix} ({why})"),
            Change::Start(name, address) => write!(f, "start session {name} ({address})"),
            Change::Stop(address) => write!(f, "stop session {address}"),
            Change::Reset(name, address, why) => {
                write!(f, "reset session {name} ({address}): {why}")
            }
            Change::StartCheck(name) => write!(f, "start check {name}"),
            Change::RestartCheck(name) => {
                write!(
                    f,
                    "restart check {name} (its VIPs wait for it to pass again)"
                )
            }
            Change::StopCheck(name) => write!(f, "stop check {name}"),
            Change::NextStart(table) => {
                write!(f, "{table} changed: takes effect at the next start")
            }
        }
    }
}

/// What reloading `new` over `running` would do, given each VIP's state (`now`) and
/// whether each running check passes (`passing`).
pub fn preview(
    running: &Config,
    new: &Config,
    now: impl Fn(Prefix) -> VipNow,
    passing: impl Fn(&str) -> bool,
) -> Vec<Change> {
    let plan = ReloadPlan::new(running, new);
    let mut changes = sessions(&plan, running, new);
    changes.extend(plan.checks_added.iter().cloned().map(Change::StartCheck));
    changes.extend(
        plan.checks_changed
            .iter()
            .cloned()
            .map(Change::RestartCheck),
    );
    changes.extend(plan.checks_removed.iter().cloned().map(Change::StopCheck));
    let old_vip = |prefix: &Prefix| running.vips.iter().find(|v| v.prefix == *prefix);
    let new_vip = |prefix: &Prefix| new.vips.iter().find(|v| v.prefix == *prefix);
    let waits = |vip: &VipConfig| -> Vec<String> {
        vip.checks
            .iter()
            .filter(|c| !plan.keeps_check(c) || !passing(c))
            .cloned()
            .collect()
    };
    for prefix in &plan.vips_removed {
        if let Some(old) = old_vip(prefix) {
            if now(*prefix).announced {
                changes.push(Change::Withdraw(*prefix, "removed"));
            }
            if let Some(binding) = old.bind.binding() {
                changes.push(Change::Unbind(*prefix, Arc::clone(&old.interface), binding));
            }
        }
    }
    for prefix in &plan.vips_moved {
        if let (Some(old), Some(vip)) = (old_vip(prefix), new_vip(prefix)) {
            let state = now(*prefix);
            if state.announced {
                let why = if old.interface == vip.interface {
                    "bound another way"
                } else {
                    "moving to another interface"
                };
                changes.push(Change::Withdraw(*prefix, why));
            }
            if let Some(binding) = old.bind.binding() {
                changes.push(Change::Unbind(*prefix, Arc::clone(&old.interface), binding));
            }
            if let Some(binding) = vip.bind.binding() {
                changes.push(Change::Bind(*prefix, Arc::clone(&vip.interface), binding));
            }
            if !state.maintenance {
                changes.push(Change::Announce(*prefix, waits(vip)));
            }
        }
    }
    changes.extend(plan.vips_bind_off.iter().copied().map(Change::Release));
    for vip in new
        .vips
        .iter()
        .filter(|v| plan.vips_bind_on.contains(&v.prefix))
    {
        if let Some(binding) = vip.bind.binding() {
            changes.push(Change::Bind(
                vip.prefix,
                Arc::clone(&vip.interface),
                binding,
            ));
        }
    }
    for vip in new
        .vips
        .iter()
        .filter(|v| plan.vips_added.contains(&v.prefix))
    {
        if let Some(binding) = vip.bind.binding() {
            changes.push(Change::Bind(
                vip.prefix,
                Arc::clone(&vip.interface),
                binding,
            ));
        }
        changes.push(Change::Announce(vip.prefix, waits(vip)));
    }
    for vip in &new.vips {
        let Some(old) = old_vip(&vip.prefix) else {
            continue;
        };
        if plan.vips_moved.contains(&vip.prefix) {
            continue;
        }
        let touched = plan.vips_updated.contains(&vip.prefix)
            || vip.checks.iter().any(|c| plan.checks_changed.contains(c));
        let state = now(vip.prefix);
        if !touched || state.maintenance {
            continue;
        }
        let waiting = waits(vip);
        match (state.announced, waiting.is_empty()) {
            (true, false) => {
                changes.push(Change::Withdraw(vip.prefix, "until its checks pass"));
                changes.push(Change::Announce(vip.prefix, waiting));
            }
            (true, true) if old.attributes != vip.attributes || old.policy != vip.policy => {
                changes.push(Change::Reannounce(vip.prefix));
            }
            (false, _) => changes.push(Change::Announce(vip.prefix, waiting)),
            (true, true) => {}
        }
    }
    if plan.control_changed {
        changes.push(Change::NextStart("[control]"));
    }
    if plan.metrics_changed {
        changes.push(Change::NextStart("[metrics]"));
    }
    changes
}

/// The sessions started, stopped and reset: all of them reset when `[bgp]` changed.
fn sessions(plan: &ReloadPlan, running: &Config, new: &Config) -> Vec<Change> {
    let start = |p: &PeerConfig| Change::Start(p.name.clone(), p.address);
    if !plan.restart_speaker {
        let mut changes: Vec<Change> = plan.peers_added.iter().map(start).collect();
        changes.extend(plan.peers_removed.iter().copied().map(Change::Stop));
        changes.extend(
            plan.peers_changed
                .iter()
                .map(|p| Change::Reset(p.name.clone(), p.address, "its settings changed")),
        );
        return changes;
    }
    let kept = |address: IpAddr| running.peers.iter().any(|p| p.address == address);
    let mut changes: Vec<Change> = new
        .peers
        .iter()
        .map(|p| match kept(p.address) {
            true => Change::Reset(p.name.clone(), p.address, "[bgp] changed"),
            false => start(p),
        })
        .collect();
    changes.extend(
        running
            .peers
            .iter()
            .filter(|p| !new.peers.iter().any(|n| n.address == p.address))
            .map(|p| Change::Stop(p.address)),
    );
    changes
}

impl ReloadPlan {
    /// Whether a check keeps running with its verdict (it is neither new nor changed).
    fn keeps_check(&self, name: &str) -> bool {
        !self.checks_added.iter().any(|c| c == name)
            && !self.checks_changed.iter().any(|c| c == name)
    }
}
