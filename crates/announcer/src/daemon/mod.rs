//! `announcer run`: one task that owns all state. Health checks, netlink events, control
//! requests, drain deadlines, liveness ticks and signals arrive as messages; each is folded
//! into the state, and the affected VIPs are reconciled (bind → announce, withdraw → unbind)
//! through the BGP speaker and netlink.

mod bfd;
mod checks;
mod drain;
mod effects;
mod lifecycle;
mod maintenance_ends;
mod reconcile;
mod reload;
mod requests;
#[cfg(test)]
mod tests;
mod vip;

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use announcer_bgp::{GracefulRestartConfig, Prefix, RouterId, SpeakerConfig};
use announcer_netlink::{AddressEvent, Binding, Vips};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

use crate::bfd_handoff;
use crate::config::Config;
use crate::control::server::ControlSocket;
use crate::error::Error;
use crate::maintenance::Maintenance;
use crate::metrics::server::MetricsServer;
use crate::restart_mark;
use crate::systemd::Systemd;
use bfd::BfdSessions;
use checks::Checks;
use drain::PendingDrain;
use effects::{Effects, Routes};
use lifecycle::Inputs;
use vip::Vip;

/// Runs the daemon with a loaded configuration until SIGTERM or SIGINT.
pub fn run(path: &Path, config: Config) -> Result<(), Error> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| Error::Io {
            context: "starting the runtime",
            source,
        })?;
    runtime.block_on(async {
        let (calls_tx, calls) = mpsc::channel(16);
        let control = ControlSocket::bind(&config.control.socket, config.control.group.as_deref())?;
        let (signals, forward) = lifecycle::forward_signals()?;
        let (scrapes_tx, scrapes) = mpsc::channel(4);
        let metrics = match config.metrics.listen {
            Some(addr) => Some(MetricsServer::bind(addr).await?),
            None => None,
        };
        let mut daemon = Daemon::start(path, config, Vips::new().await?).await?;
        info!(socket = %daemon.config.control.socket.display(), "announcer running");
        let metrics = metrics.map(|server| {
            if let Some(addr) = daemon.config.metrics.listen {
                info!(%addr, "serving metrics at /metrics");
            }
            tokio::spawn(server.serve(scrapes_tx))
        });
        daemon.systemd.ready();
        let serve = tokio::spawn(control.serve(calls_tx));
        let inputs = Inputs {
            calls,
            signals,
            scrapes,
        };
        daemon.serve(inputs).await;
        serve.abort();
        forward.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        Ok(())
    })
}

/// The daemon's state; `E` is where its decisions take effect (netlink and the BGP
/// speaker, or the unit tests' fake).
pub struct Daemon<E: Effects> {
    /// The configuration file, read again on reload.
    path: PathBuf,
    /// The running configuration.
    config: Config,
    /// The BGP sessions; `None` before they start, after they stop, and while a reload
    /// replaces them.
    speaker: Option<E::Routes>,
    /// Netlink and the BGP speaker (or the unit tests' fake).
    effects: E,
    /// The health checks of the running configuration and their results.
    checks: Checks,
    /// Every configured VIP and what is known of it (bound, announced, draining).
    vips: BTreeMap<Prefix, Vip>,
    /// The VIPs an operator took out of service, kept in the state directory.
    maintenance: Maintenance,
    /// Set once the daemon began to stop (SIGTERM, SIGINT, SIGUSR2): nothing is announced or
    /// bound any more.
    stopping: bool,
    /// Clients of `announcer withdraw` waiting for the end of a drain.
    drains: Vec<PendingDrain>,
    /// The checks whose loops stalled at the last liveness tick (counted as failing).
    stalled: Vec<String>,
    /// Notifications to systemd (ready, stopping, the watchdog).
    systemd: Systemd,
    /// While End-of-RIB is held: when it is sent anyway, decided or not.
    end_of_rib_deadline: Option<Instant>,
    /// The BFD sessions of the peers with `bfd = true`, if any.
    bfd: Option<BfdSessions>,
    /// When each maintenance with an end (`withdraw --for`) ends.
    maintenance_ends: BTreeMap<Prefix, Instant>,
}

impl<E: Effects> Daemon<E> {
    /// Loads the maintenance state, opens netlink, starts the BGP sessions and the checks,
    /// and binds every VIP, announcing each as soon as it is bound and its checks allow. With
    /// graceful restart the sessions hold End-of-RIB until every check has a verdict, so
    /// that a peer that kept our routes across a restart (or a crash) drops only those the
    /// first table leaves out.
    async fn start(path: &Path, config: Config, effects: E) -> Result<Daemon<E>, Error> {
        let maintenance = Maintenance::load(&config.control.state_dir)?;
        let restarting = config.bgp.restart_time.is_some_and(|time| {
            restart_mark::take(&config.control.state_dir, time).unwrap_or_else(|e| {
                warn!(state_dir = %config.control.state_dir.display(), error = %e, "cannot read the graceful restart mark; starting afresh");
                false
            })
        });
        let handoffs = if restarting {
            bfd_handoff::take(&config.control.state_dir, bfd::RESTART_DETECTION).unwrap_or_else(|e| {
                warn!(state_dir = %config.control.state_dir.display(), error = %e, "cannot read the BFD sessions of the previous process; starting them afresh");
                Vec::new()
            })
        } else {
            Vec::new()
        };
        let router_id = router_id(path, &config, &effects).await?;
        let mut checks = Checks::new();
        checks.apply(&config.checks);
        let vips = config
            .vips
            .iter()
            .map(|v| (v.prefix, Vip::new(v.clone())))
            .collect();
        let mut daemon = Daemon {
            path: path.to_owned(),
            config,
            speaker: None,
            effects,
            checks,
            vips,
            maintenance,
            stopping: false,
            drains: Vec::new(),
            stalled: Vec::new(),
            systemd: Systemd::from_env(),
            end_of_rib_deadline: None,
            bfd: None,
            maintenance_ends: BTreeMap::new(),
        };
        daemon.restore_maintenance_ends();
        let alive_for = daemon.lease();
        daemon.bfd = BfdSessions::start(&daemon.config, &handoffs, alive_for).await?;
        if restarting {
            info!("graceful restart: this start follows one; peers kept our routes");
        }
        let speaker = speaker_config(&daemon.config, router_id, restarting, true);
        daemon.speaker = Some(daemon.effects.start_routes(speaker).await?);
        daemon.end_of_rib_deadline = daemon
            .config
            .bgp
            .restart_time
            .map(|time| Instant::now() + time / 2);
        daemon.reconcile_all().await;
        daemon.release_end_of_rib_when_decided();
        Ok(daemon)
    }

    /// Releases End-of-RIB once every check has a verdict (healthy, or failed `fall`
    /// times in a row), or at the deadline, whichever comes first.
    fn release_end_of_rib_when_decided(&mut self) {
        let Some(speaker) = self.speaker.as_mut().filter(|s| s.end_of_rib_held()) else {
            return;
        };
        let undecided = self.checks.undecided();
        let late = self
            .end_of_rib_deadline
            .is_some_and(|t| Instant::now() >= t);
        if undecided.is_empty() {
            info!("every check has a verdict: the first table is complete; sending End-of-RIB");
        } else if late {
            warn!(checks = ?undecided, "checks still undecided; sending End-of-RIB anyway");
        } else {
            return;
        }
        speaker.release_end_of_rib();
        self.end_of_rib_deadline = None;
    }

    async fn check_flipped(&mut self, name: &str) {
        let affected: Vec<Prefix> = self
            .vips
            .values()
            .filter(|v| {
                let policy = &v.config.policy;
                v.config
                    .checks
                    .iter()
                    .chain(policy.soft_checks.iter())
                    .any(|c| c == name)
            })
            .map(|v| v.config.prefix)
            .collect();
        for prefix in affected {
            self.reconcile(prefix).await;
        }
    }

    async fn address_event(&mut self, event: AddressEvent) {
        let AddressEvent {
            kind,
            interface,
            addr,
            prefix_len,
            binding,
        } = event;
        let present = kind.present();
        let Some(vip) = self
            .vips
            .get_mut(&Prefix::host(addr))
            .filter(|v| v.config.bind.binding() == Some(binding))
        else {
            return;
        };
        if *vip.config.interface != *interface
            || Prefix::host(addr).len() != prefix_len
            || vip.bound == present
        {
            return;
        }
        if present {
            info!(prefix = %vip.config.prefix, %interface, %binding, "VIP appeared on its interface");
        } else {
            warn!(prefix = %vip.config.prefix, %interface, %binding, "VIP removed from its interface behind our back; withdrawing and binding it again");
        }
        vip.bound = present;
        let prefix = vip.config.prefix;
        self.reconcile(prefix).await;
    }

    /// Compares the bound flags with the kernel and reconciles every VIP.
    async fn resync(&mut self) {
        let mut held: Vec<(Binding, Arc<str>)> = self
            .vips
            .values()
            .filter_map(|v| Some((v.config.bind.binding()?, Arc::clone(&v.config.interface))))
            .collect();
        held.sort();
        held.dedup();
        for (binding, interface) in held {
            match self.effects.bound(binding, &interface).await {
                Ok(addresses) => {
                    let addresses: HashSet<IpAddr> = addresses.into_iter().collect();
                    for vip in self.vips.values_mut().filter(|v| {
                        v.config.bind.binding() == Some(binding) && v.config.interface == interface
                    }) {
                        let present = addresses.contains(&vip.config.prefix.addr());
                        if vip.bound && !present {
                            warn!(prefix = %vip.config.prefix, %interface, "VIP no longer on its interface");
                        }
                        vip.bound = present;
                    }
                }
                Err(e) => warn!(%interface, error = %e, "cannot list addresses"),
            }
        }
        self.reconcile_all().await;
    }
}

/// The router id: configured, or the host's first global IPv4 address.
async fn router_id(
    path: &Path,
    config: &Config,
    effects: &impl Effects,
) -> Result<RouterId, Error> {
    if let Some(id) = config.bgp.router_id {
        return Ok(id);
    }
    let addr = effects
        .first_global_ipv4()
        .await?
        .ok_or_else(|| Error::NoRouterId(path.to_owned()))?;
    let id = RouterId::new(addr).map_err(|_| Error::NoRouterId(path.to_owned()))?;
    info!(router_id = %id, "router id taken from the first global IPv4 address");
    Ok(id)
}

/// The sessions' configuration; `restarting` says this process is a graceful restart. With
/// graceful restart on and `hold`, the sessions hold End-of-RIB until the daemon releases
/// it.
fn speaker_config(
    config: &Config,
    router_id: RouterId,
    restarting: bool,
    hold: bool,
) -> SpeakerConfig {
    let graceful_restart = config.bgp.restart_time.map(|time| GracefulRestartConfig {
        restart_time: u16::try_from(time.as_secs())
            .unwrap_or(GracefulRestartConfig::MAX_RESTART_TIME),
        restarting,
    });
    SpeakerConfig {
        local_as: config.bgp.local_as,
        router_id,
        listen: config.bgp.listen,
        peers: config.peers.clone(),
        graceful_restart,
        hold_end_of_rib: hold && graceful_restart.is_some(),
    }
}

/// Prefixes for a log line or reply: `203.0.113.10/32, 203.0.113.11/32`.
fn list(prefixes: &[Prefix]) -> String {
    if prefixes.is_empty() {
        return "no VIPs configured".to_owned();
    }
    prefixes
        .iter()
        .map(Prefix::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
