//! `announcer run`: one task that owns all state. Health checks, netlink events, control
//! requests and signals arrive as messages; each is folded into the state, and the affected
//! VIPs are reconciled (bind → announce, withdraw → unbind) through the BGP speaker and
//! netlink.

mod checks;
mod reload;
mod requests;
mod vip;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use announcer_bgp::{Prefix, RouterId, Speaker, SpeakerConfig, Target};
use announcer_netlink::{AddressEvent, Vips};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tracing::{error, info, warn};

use crate::config::Config;
use crate::control::server::{Call, ControlSocket};
use crate::error::Error;
use crate::maintenance::Maintenance;
use crate::reconcile::Action;
use checks::Checks;
use vip::Vip;

/// How often bound addresses are checked against the kernel, in case an event was missed.
const RESYNC_INTERVAL: Duration = Duration::from_secs(10);
/// At most this many plan/act rounds per reconcile (bind, then announce).
const RECONCILE_ROUNDS: usize = 3;

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
        let mut daemon = Daemon::start(path, config).await?;
        info!(socket = %daemon.config.control.socket.display(), "announcer running");
        let serve = tokio::spawn(control.serve(calls_tx));
        let result = daemon.serve(calls).await;
        serve.abort();
        result
    })
}

/// The daemon's state.
pub struct Daemon {
    path: PathBuf,
    config: Config,
    router_id: RouterId,
    speaker: Option<Speaker>,
    netlink: Vips,
    checks: Checks,
    vips: BTreeMap<Prefix, Vip>,
    maintenance: Maintenance,
    stopping: bool,
}

impl Daemon {
    /// Loads the maintenance state, opens netlink, starts the BGP sessions and the checks,
    /// and binds every VIP.
    async fn start(path: &Path, config: Config) -> Result<Daemon, Error> {
        let maintenance = Maintenance::load(&config.control.state_dir)?;
        let netlink = Vips::new().await?;
        let router_id = router_id(path, &config, &netlink).await?;
        let speaker = start_speaker(&config, router_id).await?;
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
            router_id,
            speaker: Some(speaker),
            netlink,
            checks,
            vips,
            maintenance,
            stopping: false,
        };
        daemon.reconcile_all().await;
        Ok(daemon)
    }

    /// The main loop: until SIGTERM or SIGINT, then a clean shutdown.
    async fn serve(&mut self, mut calls: mpsc::Receiver<Call>) -> Result<(), Error> {
        let mut sigterm = signal_stream(SignalKind::terminate())?;
        let mut sigint = signal_stream(SignalKind::interrupt())?;
        let mut sighup = signal_stream(SignalKind::hangup())?;
        let mut addresses = self.watch_addresses().await;
        let mut resync = tokio::time::interval(RESYNC_INTERVAL);
        let signal_name = loop {
            tokio::select! {
                Some(name) = self.checks.flipped.recv() => self.check_flipped(&name).await,
                event = next_event(&mut addresses) => match event {
                    Some(event) => self.address_event(event).await,
                    None => {
                        warn!("address event stream ended; relying on periodic checks");
                        addresses = None;
                    }
                },
                Some((request, reply)) = calls.recv() => {
                    let answer = self.request(request).await;
                    let _ = reply.send(answer);
                }
                _ = resync.tick() => {
                    if addresses.is_none() {
                        addresses = self.watch_addresses().await;
                    }
                    self.resync().await;
                }
                _ = sighup.recv() => self.reload().await,
                _ = sigterm.recv() => break "SIGTERM",
                _ = sigint.recv() => break "SIGINT",
            }
        };
        self.shutdown(signal_name).await;
        Ok(())
    }

    /// Withdraws everything and closes every session with a Cease carrying the reason. VIPs
    /// stay bound, so connections in flight can finish.
    async fn shutdown(&mut self, signal_name: &str) {
        self.stopping = true;
        let reason = format!("announcer on {} stopping ({signal_name})", hostname());
        info!(%reason, "shutting down: withdrawing all routes");
        if let Some(speaker) = self.speaker.take() {
            speaker.shutdown(&reason).await;
        }
        for vip in self.vips.values_mut() {
            vip.announced = false;
        }
        info!("stopped");
    }

    /// Address events from now on, or `None` (then the periodic resync stands in, and
    /// tries again).
    async fn watch_addresses(&self) -> Option<mpsc::Receiver<AddressEvent>> {
        match self.netlink.watch().await {
            Ok(events) => Some(events),
            Err(e) => {
                warn!(error = %e, "cannot watch address events; checking every {RESYNC_INTERVAL:?} instead");
                None
            }
        }
    }

    async fn check_flipped(&mut self, name: &str) {
        let affected: Vec<Prefix> = self
            .vips
            .values()
            .filter(|v| v.config.checks.iter().any(|c| c == name))
            .map(|v| v.config.prefix)
            .collect();
        for prefix in affected {
            self.reconcile(prefix).await;
        }
    }

    async fn address_event(&mut self, event: AddressEvent) {
        let (interface, addr, prefix_len, present) = match &event {
            AddressEvent::Added {
                interface,
                addr,
                prefix_len,
            } => (interface, *addr, *prefix_len, true),
            AddressEvent::Removed {
                interface,
                addr,
                prefix_len,
            } => (interface, *addr, *prefix_len, false),
        };
        let Some(vip) = self.vips.get_mut(&Prefix::host(addr)) else {
            return;
        };
        if &vip.config.interface != interface
            || Prefix::host(addr).len() != prefix_len
            || vip.bound == present
        {
            return;
        }
        if present {
            info!(vip = %vip.config.prefix, %interface, "VIP appeared on its interface");
        } else {
            warn!(vip = %vip.config.prefix, %interface, "VIP removed from its interface behind our back; withdrawing and binding it again");
        }
        vip.bound = present;
        let prefix = vip.config.prefix;
        self.reconcile(prefix).await;
    }

    /// Compares the bound flags with the kernel and reconciles every VIP.
    async fn resync(&mut self) {
        let mut interfaces: Vec<String> = self
            .vips
            .values()
            .map(|v| v.config.interface.clone())
            .collect();
        interfaces.sort();
        interfaces.dedup();
        for interface in interfaces {
            match self.netlink.bound(&interface).await {
                Ok(addresses) => {
                    for vip in self
                        .vips
                        .values_mut()
                        .filter(|v| v.config.interface == interface)
                    {
                        let present = addresses.contains(&vip.config.prefix.addr());
                        if vip.bound && !present {
                            warn!(vip = %vip.config.prefix, %interface, "VIP no longer on its interface");
                        }
                        vip.bound = present;
                    }
                }
                Err(e) => warn!(%interface, error = %e, "cannot list addresses"),
            }
        }
        self.reconcile_all().await;
    }

    async fn reconcile_all(&mut self) {
        let prefixes: Vec<Prefix> = self.vips.keys().copied().collect();
        for prefix in prefixes {
            self.reconcile(prefix).await;
        }
    }

    /// Brings one VIP to what its view calls for.
    async fn reconcile(&mut self, prefix: Prefix) {
        for _ in 0..RECONCILE_ROUNDS {
            let Some(vip) = self.vips.get(&prefix) else {
                return;
            };
            let statuses = self.check_statuses(vip);
            let view = vip.view(&statuses, self.maintenance.get(&prefix), self.stopping);
            let actions = view.plan();
            let why = view.verdict().to_string();
            if actions.is_empty() {
                return;
            }
            for action in actions {
                self.act(prefix, action, &why).await;
            }
        }
    }

    async fn act(&mut self, prefix: Prefix, action: Action, why: &str) {
        let Some(vip) = self.vips.get_mut(&prefix) else {
            return;
        };
        match action {
            Action::Bind => match self
                .netlink
                .bind(&vip.config.interface, prefix.addr())
                .await
            {
                Ok(outcome) => {
                    info!(vip = %prefix, interface = %vip.config.interface, ?outcome, "bound");
                    vip.bound = true;
                    vip.bind_error = None;
                }
                Err(e) => {
                    let text = e.to_string();
                    if vip.bind_error.as_deref() != Some(text.as_str()) {
                        error!(vip = %prefix, interface = %vip.config.interface, error = %text, "cannot bind");
                    }
                    vip.bind_error = Some(text);
                }
            },
            Action::Announce => {
                if let Some(speaker) = &self.speaker {
                    match speaker.announce(
                        Target::All,
                        prefix,
                        Arc::new(vip.config.attributes.clone()),
                    ) {
                        Ok(()) => {
                            vip.announced = true;
                            info!(vip = %prefix, "{why}");
                        }
                        Err(e) => error!(vip = %prefix, error = %e, "cannot announce"),
                    }
                }
            }
            Action::Withdraw => {
                if let Some(speaker) = &self.speaker {
                    if let Err(e) = speaker.withdraw(Target::All, prefix) {
                        error!(vip = %prefix, error = %e, "cannot withdraw");
                    }
                }
                vip.announced = false;
                info!(vip = %prefix, "{why}");
            }
        }
    }

    /// Each of a VIP's checks with its latest status, in configuration order.
    fn check_statuses(&self, vip: &Vip) -> Vec<(String, Option<announcer_health::CheckStatus>)> {
        vip.config
            .checks
            .iter()
            .map(|name| (name.clone(), self.checks.status(name)))
            .collect()
    }
}

/// The router id: configured, or the host's first global IPv4 address.
async fn router_id(path: &Path, config: &Config, netlink: &Vips) -> Result<RouterId, Error> {
    if let Some(id) = config.bgp.router_id {
        return Ok(id);
    }
    let addr = netlink
        .first_global_ipv4()
        .await?
        .ok_or_else(|| Error::NoRouterId(path.to_owned()))?;
    let id = RouterId::new(addr).map_err(|_| Error::NoRouterId(path.to_owned()))?;
    info!(router_id = %id, "router id taken from the first global IPv4 address");
    Ok(id)
}

async fn start_speaker(config: &Config, router_id: RouterId) -> Result<Speaker, Error> {
    Ok(Speaker::start(SpeakerConfig {
        local_as: config.bgp.local_as,
        router_id,
        listen: config.bgp.listen,
        peers: config.peers.clone(),
    })
    .await?)
}

fn signal_stream(kind: SignalKind) -> Result<Signal, Error> {
    signal(kind).map_err(|source| Error::Io {
        context: "installing signal handlers",
        source,
    })
}

async fn next_event(events: &mut Option<mpsc::Receiver<AddressEvent>>) -> Option<AddressEvent> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// This host's name, for the shutdown reason routers log.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "this host".to_owned())
}
