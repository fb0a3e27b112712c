//! SIGHUP: read the configuration again and apply only the difference. A file that does not
//! load leaves the running configuration as it is.

use std::collections::HashSet;

use announcer_bgp::{Prefix, Target};
use tracing::{error, info, warn};

use super::vip::Vip;
use super::{start_speaker, Daemon};
use crate::config::{self, Config};

impl Daemon {
    /// Reloads the configuration file.
    pub(super) async fn reload(&mut self) {
        let new = match config::load(&self.path) {
            Ok(new) => new,
            Err(e) => {
                error!(error = %e, "reload failed; keeping the running configuration");
                return;
            }
        };
        if new == self.config {
            info!("reload: configuration unchanged");
            return;
        }
        if new.control != self.config.control {
            warn!("reload: [control] changes take effect at the next start");
        }
        if let Err(e) = self.reload_bgp(&new).await {
            error!(error = %e, "reload: BGP settings not applied; keeping the running configuration");
            return;
        }
        if let Err(e) = self.reload_bfd(&new, self.lease()).await {
            error!(error = %e, "reload: BFD settings not applied");
        }
        let restarted = self.checks.apply(&new.checks);
        if !restarted.is_empty() {
            info!(checks = ?restarted, "reload: checks started or restarted");
        }
        self.reload_vips(&new).await;
        self.config = new;
        self.reconcile_all().await;
        info!("reload: done");
    }

    /// New identity or listener: every session restarts. Otherwise only the peers whose
    /// settings changed are reset, and new peers get the VIPs announced now.
    async fn reload_bgp(&mut self, new: &Config) -> Result<(), crate::error::Error> {
        if new.bgp != self.config.bgp {
            info!("reload: [bgp] changed; restarting every session");
            if let Some(old) = self.speaker.take() {
                old.shutdown("announcer configuration changed").await;
            }
            let router_id = super::router_id(&self.path, new, &self.netlink).await?;
            self.router_id = router_id;
            self.speaker = Some(start_speaker(new, router_id, false, false).await?);
            for vip in self.vips.values_mut() {
                vip.set_announced(false, false);
            }
            return Ok(());
        }
        let Some(speaker) = self.speaker.as_mut() else {
            return Ok(());
        };
        for old in &self.config.peers {
            match new.peers.iter().find(|p| p.address == old.address) {
                Some(p) if p == old => {}
                Some(_) => {
                    speaker
                        .remove_peer(old.address, "announcer peer settings changed")
                        .await?
                }
                None => {
                    speaker
                        .remove_peer(old.address, "peer removed from announcer configuration")
                        .await?
                }
            }
        }
        for peer in &new.peers {
            if self.config.peers.contains(peer) {
                continue;
            }
            info!(peer = %peer.name, "reload: starting session");
            speaker.add_peer(peer.clone())?;
            for vip in self.vips.values().filter(|v| v.announced) {
                speaker.announce(
                    Target::Peer(peer.address),
                    vip.config.prefix,
                    vip.attributes(&new.drain, vip.announced_draining),
                )?;
            }
        }
        Ok(())
    }

    /// Removed VIPs are withdrawn, then unbound; changed ones re-announced (or moved to their
    /// new interface); new ones bound and announced by the reconcile that follows.
    async fn reload_vips(&mut self, new: &Config) {
        let kept: HashSet<Prefix> = new.vips.iter().map(|v| v.prefix).collect();
        let removed: Vec<Prefix> = self
            .vips
            .keys()
            .filter(|p| !kept.contains(p))
            .copied()
            .collect();
        for prefix in removed {
            self.retire(prefix).await;
        }
        for config in &new.vips {
            match self.vips.get_mut(&config.prefix) {
                None => {
                    info!(vip = %config.prefix, "reload: new VIP");
                    self.vips.insert(config.prefix, Vip::new(config.clone()));
                }
                Some(vip) if vip.config == *config => {}
                Some(vip) if vip.config.interface != config.interface => {
                    info!(vip = %config.prefix, from = %vip.config.interface, to = %config.interface, "reload: VIP moves");
                    self.retire(config.prefix).await;
                    self.vips.insert(config.prefix, Vip::new(config.clone()));
                }
                Some(vip) => {
                    vip.config = config.clone();
                    if vip.announced {
                        if let Some(speaker) = &self.speaker {
                            info!(vip = %config.prefix, "reload: attributes changed; announcing again");
                            if let Err(e) = speaker.announce(
                                Target::All,
                                config.prefix,
                                vip.attributes(&new.drain, vip.announced_draining),
                            ) {
                                error!(vip = %config.prefix, error = %e, "cannot announce");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Withdraws a VIP, then unbinds it (if announcer binds it), and forgets it.
    async fn retire(&mut self, prefix: Prefix) {
        let Some(vip) = self.vips.remove(&prefix) else {
            return;
        };
        if vip.announced {
            if let Some(speaker) = &self.speaker {
                if let Err(e) = speaker.withdraw(Target::All, prefix) {
                    error!(vip = %prefix, error = %e, "cannot withdraw");
                }
                speaker.sync().await;
            }
        }
        if !vip.config.bind {
            info!(vip = %prefix, "withdrawn");
            return;
        }
        match self
            .netlink
            .unbind(&vip.config.interface, prefix.addr())
            .await
        {
            Ok(()) => {
                info!(vip = %prefix, interface = %vip.config.interface, "withdrawn and unbound")
            }
            Err(e) => error!(vip = %prefix, error = %e, "cannot unbind"),
        }
    }
}
