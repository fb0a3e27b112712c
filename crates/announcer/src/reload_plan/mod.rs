//! The pure reload plan: from the configuration that runs and the one just loaded, what a
//! reload must change — sessions, checks, VIPs, BFD — and nothing else. The daemon prepares
//! every step of it that can fail before it touches anything that runs, then applies it
//! (`daemon/reload.rs`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::{self, Write as _};
use std::net::IpAddr;

use announcer_bgp::{PeerConfig, Prefix};

use crate::config::{Config, VipConfig};

mod preview;

pub use preview::{preview, VipNow};

/// What a reload changes, section by section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadPlan {
    /// `[bgp]` changed (identity, listener, graceful restart): every session restarts on a
    /// new speaker. The peer lists below are then empty: the new speaker starts them all.
    pub restart_speaker: bool,
    /// Peers to start.
    pub peers_added: Vec<PeerConfig>,
    /// Peers whose settings changed: their sessions are reset with the new settings.
    pub peers_changed: Vec<PeerConfig>,
    /// Peers to stop, by address.
    pub peers_removed: Vec<IpAddr>,
    /// Checks to start, by name.
    pub checks_added: Vec<String>,
    /// Checks whose definition changed: restarted, so they rise again.
    pub checks_changed: Vec<String>,
    /// Checks to stop. A check whose definition did not change keeps running and keeps its
    /// verdict.
    pub checks_removed: Vec<String>,
    /// VIPs to bind (unless `bind = false`) and announce once their checks allow.
    pub vips_added: Vec<Prefix>,
    /// VIPs to withdraw, then unbind (when announcer bound them).
    pub vips_removed: Vec<Prefix>,
    /// VIPs that move to another interface, or switch between an address and a `local`
    /// route: withdrawn and unbound as they were, then bound and announced as configured.
    pub vips_moved: Vec<Prefix>,
    /// VIPs that announcer binds from now on (`bind` switched on): bound before anything
    /// else changes, so that they stay announced throughout.
    pub vips_bind_on: Vec<Prefix>,
    /// VIPs that announcer stops binding (`bind` switched off): their address is left where
    /// it is, and they count as delivered by the host.
    pub vips_bind_off: Vec<Prefix>,
    /// VIPs whose checks or attributes changed: announced again with the new attributes if
    /// announced, and decided again by their new checks.
    pub vips_updated: Vec<Prefix>,
    /// The BFD sessions change (a peer's `bfd` keys).
    pub bfd_changed: bool,
    /// `[drain]` changed: the next drain uses it; VIPs draining now are announced again.
    pub drain_changed: bool,
    /// `[degraded]` changed: VIPs announced degraded are announced again with it.
    pub degraded_changed: bool,
    /// `[control]` changed, which takes effect only at the next start.
    pub control_changed: bool,
    /// `[metrics]` changed, which takes effect only at the next start.
    pub metrics_changed: bool,
}

impl ReloadPlan {
    /// The plan that takes a daemon running `running` to `new`.
    pub fn new(running: &Config, new: &Config) -> ReloadPlan {
        let mut plan = ReloadPlan {
            restart_speaker: running.bgp != new.bgp,
            bfd_changed: running.bfd != new.bfd,
            drain_changed: running.drain != new.drain,
            degraded_changed: running.degraded != new.degraded,
            control_changed: running.control != new.control,
            metrics_changed: running.metrics != new.metrics,
            ..ReloadPlan::default()
        };
        if !plan.restart_speaker {
            plan.plan_peers(&running.peers, &new.peers);
        }
        let (added, changed, removed) = diff_by(
            &running.checks,
            &new.checks,
            |c| c.name.clone(),
            |a, b| a == b,
        );
        plan.checks_added = added;
        plan.checks_changed = changed;
        plan.checks_removed = removed;
        plan.plan_vips(&running.vips, &new.vips);
        plan
    }

    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == ReloadPlan::default()
    }

    fn plan_peers(&mut self, running: &[PeerConfig], new: &[PeerConfig]) {
        let old: BTreeMap<IpAddr, &PeerConfig> = running.iter().map(|p| (p.address, p)).collect();
        for peer in new {
            match old.get(&peer.address) {
                None => self.peers_added.push(peer.clone()),
                Some(before) if *before != peer => self.peers_changed.push(peer.clone()),
                Some(_) => {}
            }
        }
        let kept: BTreeSet<IpAddr> = new.iter().map(|p| p.address).collect();
        self.peers_removed = running
            .iter()
            .map(|p| p.address)
            .filter(|a| !kept.contains(a))
            .collect();
    }

    fn plan_vips(&mut self, running: &[VipConfig], new: &[VipConfig]) {
        let old: BTreeMap<Prefix, &VipConfig> = running.iter().map(|v| (v.prefix, v)).collect();
        for vip in new {
            let Some(before) = old.get(&vip.prefix) else {
                self.vips_added.push(vip.prefix);
                continue;
            };
            match (before.bind.binding(), vip.bind.binding()) {
                (Some(was), Some(is)) if was != is || before.interface != vip.interface => {
                    self.vips_moved.push(vip.prefix);
                    continue;
                }
                (None, Some(_)) => self.vips_bind_on.push(vip.prefix),
                (Some(_), None) => self.vips_bind_off.push(vip.prefix),
                _ => {}
            }
            if before.checks != vip.checks
                || before.attributes != vip.attributes
                || before.policy != vip.policy
            {
                self.vips_updated.push(vip.prefix);
            }
        }
        let kept: BTreeSet<Prefix> = new.iter().map(|v| v.prefix).collect();
        self.vips_removed = running
            .iter()
            .map(|v| v.prefix)
            .filter(|p| !kept.contains(p))
            .collect();
    }
}

/// The keys of `new` missing from `old` (added), present in both but different (changed),
/// and of `old` missing from `new` (removed), each in its list's order.
fn diff_by<T, K: Ord>(
    old: &[T],
    new: &[T],
    key: impl Fn(&T) -> K,
    same: impl Fn(&T, &T) -> bool,
) -> (Vec<K>, Vec<K>, Vec<K>) {
    let before: BTreeMap<K, &T> = old.iter().map(|t| (key(t), t)).collect();
    let after: BTreeSet<K> = new.iter().map(&key).collect();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for item in new {
        match before.get(&key(item)) {
            None => added.push(key(item)),
            Some(old) if !same(old, item) => changed.push(key(item)),
            Some(_) => {}
        }
    }
    let removed = old
        .iter()
        .map(&key)
        .filter(|k| !after.contains(k))
        .collect();
    (added, changed, removed)
}

impl fmt::Display for ReloadPlan {
    /// One line per kind of change, in the order they are applied; "no change" for none.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("no change");
        }
        let mut lines = Vec::new();
        let mut line = |what: &str, items: Vec<String>| {
            if !items.is_empty() {
                lines.push(format!("{what}: {}", items.join(", ")));
            }
        };
        let names = |peers: &[PeerConfig]| peers.iter().map(|p| p.name.clone()).collect();
        let prefixes = |list: &[Prefix]| list.iter().map(Prefix::to_string).collect();
        if self.restart_speaker {
            line("restart every session", vec!["[bgp] changed".to_owned()]);
        }
        line("bind", prefixes(&self.vips_bind_on));
        line("start sessions", names(&self.peers_added));
        line("reset sessions", names(&self.peers_changed));
        line(
            "stop sessions",
            self.peers_removed.iter().map(IpAddr::to_string).collect(),
        );
        line("start checks", self.checks_added.clone());
        line("restart checks", self.checks_changed.clone());
        line("stop checks", self.checks_removed.clone());
        line("withdraw and unbind", prefixes(&self.vips_removed));
        line("move", prefixes(&self.vips_moved));
        line("stop binding", prefixes(&self.vips_bind_off));
        line("add", prefixes(&self.vips_added));
        line("update", prefixes(&self.vips_updated));
        if self.bfd_changed {
            line("BFD", vec!["sessions changed".to_owned()]);
        }
        if self.drain_changed {
            line("[drain]", vec!["changed".to_owned()]);
        }
        if self.degraded_changed {
            line("[degraded]", vec!["changed".to_owned()]);
        }
        for (table, changed) in [
            ("[control]", self.control_changed),
            ("[metrics]", self.metrics_changed),
        ] {
            if changed {
                line(
                    table,
                    vec!["changed; takes effect at the next start".to_owned()],
                );
            }
        }
        let mut text = String::new();
        for (i, l) in lines.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            let _ = write!(text, "{l}");
        }
        f.write_str(&text)
    }
}

#[cfg(test)]
mod preview_tests;
#[cfg(test)]
mod tests;
