//! SIGHUP: read the configuration again and apply the [`ReloadPlan`] as one transaction.
//!
//! Order: prepare what can fail without touching what runs (the router id, the new
//! listener's address, binding VIPs that announcer binds from now on); then the steps that
//! can fail, each undone if a later one fails (BFD sessions, then the speaker or its
//! peers); then the steps that cannot fail (checks, VIPs). A file that does not load, or a
//! step that fails, leaves the running configuration, sessions, bindings and routes as they
//! were; the next reload compares against what runs.

use std::net::{IpAddr, SocketAddr};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

use announcer_bgp::{PeerConfig, Prefix, Target};
use announcer_netlink::Binding;
use tracing::{error, info, warn};

use super::effects::{Effects, Routes};
use super::reconcile::Marking;
use super::vip::Vip;
use super::{speaker_config, Daemon};
use crate::config::{self, Config};
use crate::control::requester::Requester;
use crate::error::Error;
use crate::reload_plan::{preview, ReloadPlan, VipNow};

/// A VIP a reload bound before changing anything else: where, and how.
type Prepared = (Prefix, Arc<str>, Binding);

impl<E: Effects> Daemon<E> {
    /// Reloads the configuration file; the plan applied, or why nothing changed.
    pub(super) async fn reload(&mut self) -> Result<ReloadPlan, Error> {
        let result = self.try_reload().await;
        match &result {
            Ok(plan) if plan.is_empty() => info!("reload: configuration unchanged"),
            Ok(plan) => info!(%plan, "reload: done"),
            Err(e) => error!(error = %e, "reload failed; keeping the running configuration"),
        }
        result
    }

    /// What reloading the file at `path` would do now, one change a line; nothing changes.
    /// The daemon reads the file with its own rights, so it reads only a file that `by` (the
    /// requester) owns or that anyone may read: a control socket user cannot have it read,
    /// and quote in errors, a file they could not read themselves (a password file).
    pub(super) fn preview(&self, path: &Path, by: Option<Requester>) -> Result<String, Error> {
        let meta = std::fs::metadata(path).map_err(|source| Error::Io {
            context: "reading the file to preview",
            source,
        })?;
        if !readable_by(by, meta.uid(), meta.mode()) {
            return Err(Error::Refused(format!(
                "{} is neither yours nor readable by everyone: copy it to a file of your own to preview it",
                path.display()
            )));
        }
        let new = config::load(path)?;
        let now = |prefix| VipNow {
            announced: self
                .vips
                .get(&prefix)
                .is_some_and(|v| v.announced.is_some()),
            maintenance: self.maintenance.get(&prefix).is_some(),
        };
        let passing = |name: &str| self.checks.status(name).is_some_and(|s| s.healthy);
        let changes = preview(&self.config, &new, now, passing);
        if changes.is_empty() {
            return Ok("no change".to_owned());
        }
        let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
        Ok(lines.join("\n"))
    }

    async fn try_reload(&mut self) -> Result<ReloadPlan, Error> {
        let new = config::load(&self.path)?;
        let plan = ReloadPlan::new(&self.config, &new);
        if plan.is_empty() {
            return Ok(plan);
        }
        info!(%plan, "reload: applying");
        let bound = self.prepare(&new, &plan).await?;
        if plan.bfd_changed {
            if let Err(e) = self.reload_bfd(&new, self.lease()).await {
                self.unbind_prepared(&bound).await;
                return Err(e);
            }
        }
        let sessions = if plan.restart_speaker {
            self.replace_speaker(&new).await
        } else {
            self.change_peers(&plan).await
        };
        if let Err(e) = sessions {
            if plan.bfd_changed {
                let running = self.config.clone();
                if let Err(undo) = self.reload_bfd(&running, self.lease()).await {
                    error!(error = %undo, "reload: cannot restore the BFD sessions");
                }
            }
            self.unbind_prepared(&bound).await;
            return Err(e);
        }
        if plan.control_changed {
            warn!("reload: [control] changes take effect at the next start");
        }
        if plan.metrics_changed {
            warn!("reload: [metrics] changes take effect at the next start");
        }
        self.checks.apply(&new.checks);
        self.reload_vips(&new, &plan).await;
        self.config = new;
        self.reconcile_all().await;
        Ok(plan)
    }

    /// The steps that can fail before anything that runs changes: the router id and a new
    /// listener address when `[bgp]` changed, and the VIPs announcer binds from now on
    /// (bound here, so they stay announced throughout). Returns what it bound, and where.
    async fn prepare(&mut self, new: &Config, plan: &ReloadPlan) -> Result<Vec<Prepared>, Error> {
        if plan.restart_speaker {
            super::router_id(&self.path, new, &self.effects).await?;
            if let Some(addr) = new.bgp.listen {
                probe_listen(addr, self.config.bgp.listen)?;
            }
        }
        let mut bound = Vec::new();
        for prefix in &plan.vips_bind_on {
            let Some(vip) = new.vips.iter().find(|v| v.prefix == *prefix) else {
                continue;
            };
            let Some(binding) = vip.bind.binding() else {
                continue;
            };
            if let Err(e) = self
                .effects
                .bind(binding, &vip.interface, prefix.addr())
                .await
            {
                self.unbind_prepared(&bound).await;
                return Err(Error::Netlink(e));
            }
            bound.push((*prefix, Arc::clone(&vip.interface), binding));
        }
        Ok(bound)
    }

    /// Undoes [`Daemon::prepare`]'s binding.
    async fn unbind_prepared(&mut self, bound: &[Prepared]) {
        for (prefix, interface, binding) in bound {
            let unbound = self
                .effects
                .unbind(*binding, interface, prefix.addr())
                .await;
            if let Err(e) = unbound {
                error!(prefix = %prefix, error = %e, "reload: cannot undo binding");
            }
        }
    }

    /// `[bgp]` changed: every session restarts on a new speaker. If it cannot start, the
    /// old configuration's speaker starts again and the error is returned.
    async fn replace_speaker(&mut self, new: &Config) -> Result<(), Error> {
        info!("reload: [bgp] changed; restarting every session");
        if let Some(old) = self.speaker.take() {
            old.shutdown("announcer configuration changed").await;
        }
        for vip in self.vips.values_mut() {
            vip.set_announced(None);
        }
        let started = self.start_routes(new).await;
        match started {
            Ok(speaker) => {
                self.speaker = Some(speaker);
                Ok(())
            }
            Err(e) => {
                let running = self.config.clone();
                let restored = self.start_routes(&running).await;
                match restored {
                    Ok(speaker) => self.speaker = Some(speaker),
                    Err(undo) => {
                        error!(error = %undo, "reload: cannot restart the running configuration's sessions")
                    }
                }
                self.reconcile_all().await;
                Err(e)
            }
        }
    }

    /// Starts the sessions of `config` (End-of-RIB not held).
    async fn start_routes(&self, config: &Config) -> Result<E::Routes, Error> {
        let id = super::router_id(&self.path, config, &self.effects).await?;
        let speaker = speaker_config(config, id, false, false);
        Ok(self.effects.start_routes(speaker).await?)
    }

    /// Starts, resets and stops single sessions; new ones first, each undone if a later one
    /// cannot start. New sessions get the VIPs announced now.
    async fn change_peers(&mut self, plan: &ReloadPlan) -> Result<(), Error> {
        let Some(speaker) = self.speaker.as_mut() else {
            return Ok(());
        };
        let mut added: Vec<IpAddr> = Vec::new();
        let mut replaced: Vec<PeerConfig> = Vec::new();
        let mut failure = None;
        for peer in &plan.peers_added {
            info!(peer = %peer.name, "reload: starting session");
            match speaker.add_peer(peer.clone()) {
                Ok(()) => added.push(peer.address),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_none() {
            for peer in &plan.peers_changed {
                let Some(old) = self.config.peers.iter().find(|p| p.address == peer.address) else {
                    continue;
                };
                info!(peer = %peer.name, "reload: peer settings changed; resetting its session");
                let _ = speaker
                    .remove_peer(peer.address, "announcer peer settings changed")
                    .await;
                match speaker.add_peer(peer.clone()) {
                    Ok(()) => replaced.push(old.clone()),
                    Err(e) => {
                        let _ = speaker.add_peer(old.clone());
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        if let Some(e) = failure {
            for address in added {
                let _ = speaker
                    .remove_peer(address, "announcer reload undone")
                    .await;
            }
            let mut restored = Vec::new();
            for old in replaced {
                let _ = speaker
                    .remove_peer(old.address, "announcer reload undone")
                    .await;
                restored.push(old.address);
                let _ = speaker.add_peer(old);
            }
            if let Some(failed) = plan.peers_changed.get(restored.len()) {
                restored.push(failed.address);
            }
            self.announce_to_new_sessions(&restored);
            return Err(Error::Bgp(e));
        }
        for address in &plan.peers_removed {
            let _ = speaker
                .remove_peer(*address, "peer removed from announcer configuration")
                .await;
        }
        let mut fresh: Vec<IpAddr> = plan.peers_added.iter().map(|p| p.address).collect();
        fresh.extend(plan.peers_changed.iter().map(|p| p.address));
        self.announce_to_new_sessions(&fresh);
        Ok(())
    }

    /// Tells the sessions of `peers` (just started) the VIPs announced now.
    fn announce_to_new_sessions(&self, peers: &[IpAddr]) {
        let Some(speaker) = &self.speaker else {
            return;
        };
        for address in peers {
            for vip in self.vips.values() {
                let Some(marking) = vip.announced else {
                    continue;
                };
                let attributes = vip.attributes(marking, &self.config.drain, &self.config.degraded);
                if let Err(e) =
                    speaker.announce(Target::Peer(*address), vip.config.prefix, attributes)
                {
                    error!(prefix = %vip.config.prefix, peer = %address, error = %e, "cannot announce");
                }
            }
        }
    }

    /// Removed and moved VIPs are withdrawn, then unbound (through the reconcile step);
    /// changed ones take their new configuration; new ones are bound and announced by the
    /// reconcile that follows.
    async fn reload_vips(&mut self, new: &Config, plan: &ReloadPlan) {
        for prefix in plan.vips_removed.iter().chain(&plan.vips_moved) {
            self.retire(*prefix).await;
        }
        let degraded_changed = self.config.degraded != new.degraded;
        for config in &new.vips {
            match self.vips.get_mut(&config.prefix) {
                None => {
                    info!(prefix = %config.prefix, interface = %config.interface, "reload: new VIP");
                    self.vips.insert(config.prefix, Vip::new(config.clone()));
                }
                Some(vip) if vip.config == *config => {
                    if degraded_changed && vip.announced == Some(Marking::Degraded) {
                        vip.set_announced(None);
                    }
                }
                Some(vip) => {
                    let switched = vip.config.bind != config.bind;
                    let attributes_changed = vip.config.attributes != config.attributes
                        || vip.config.policy != config.policy
                        || degraded_changed;
                    vip.config = config.clone();
                    if switched {
                        vip.bound = true;
                        vip.bind_error = None;
                        if config.bind.binding().is_some() {
                            info!(prefix = %config.prefix, "reload: announcer binds this VIP from now on");
                        } else {
                            info!(prefix = %config.prefix, "reload: announcer no longer binds this VIP; its address stays where it is");
                        }
                    }
                    if attributes_changed && vip.announced.is_some() {
                        vip.set_announced(None);
                        info!(prefix = %config.prefix, "reload: attributes changed; announcing again");
                    }
                }
            }
        }
    }

    /// Withdraws a VIP, then unbinds it if announcer bound it (the reconcile step's order),
    /// and forgets it.
    async fn retire(&mut self, prefix: Prefix) {
        let Some(vip) = self.vips.get_mut(&prefix) else {
            return;
        };
        vip.removing = true;
        self.reconcile(prefix).await;
        self.vips.remove(&prefix);
    }
}

/// Whether a requester may have the daemon read a file owned by `owner` with `mode`: root,
/// the owner, or anyone when the file is world-readable.
fn readable_by(by: Option<Requester>, owner: u32, mode: u32) -> bool {
    let world_readable = mode & 0o004 != 0;
    world_readable || by.is_some_and(|b| b.uid == 0 || b.uid == owner)
}

/// Checks that a listener can be had on `addr` before the running one is closed: binds and
/// drops a socket. An address in use on the port the running listener holds counts as
/// free, since closing that listener frees it.
fn probe_listen(addr: SocketAddr, running: Option<SocketAddr>) -> Result<(), Error> {
    if running == Some(addr) {
        return Ok(());
    }
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4(),
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6(),
    };
    let result = socket.and_then(|s| {
        s.set_reuseaddr(true)?;
        s.bind(addr)?;
        s.listen(1).map(drop)
    });
    match result {
        Ok(()) => Ok(()),
        Err(e)
            if e.kind() == std::io::ErrorKind::AddrInUse
                && running.is_some_and(|r| r.port() == addr.port()) =>
        {
            Ok(())
        }
        Err(source) => Err(Error::Bgp(announcer_bgp::Error::Listen { addr, source })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_reads_only_files_the_requester_could_read_as_owner_or_anyone() {
        let user = |uid| Some(Requester::new(uid, Some(42)));
        let cases = [
            (user(0), 1000, 0o600, true),
            (user(1000), 1000, 0o600, true),
            (user(1001), 1000, 0o600, false),
            (user(1001), 1000, 0o640, false),
            (user(1001), 1000, 0o644, true),
            (None, 0, 0o600, false),
            (None, 0, 0o644, true),
        ];
        for (by, owner, mode, readable) in cases {
            assert_eq!(
                readable_by(by, owner, mode),
                readable,
                "{by:?} {owner} {mode:o}"
            );
        }
    }
}
