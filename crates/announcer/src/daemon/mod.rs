//! `announcer run`: one task that owns all state. Health checks, netlink events, control
//! requests, drain deadlines, liveness ticks and signals arrive as messages; each is folded
//! into the state, and the affected VIPs are reconciled (bind → announce, withdraw → unbind)
//! through the BGP speaker and netlink.

mod bfd;
mod checks;
mod drain;
mod reload;
mod requests;
mod vip;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use announcer_bgp::{GracefulRestartConfig, Prefix, RouterId, Speaker, SpeakerConfig, Target};
use announcer_netlink::{AddressEvent, Vips};
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::bfd_handoff;
use crate::config::Config;
use crate::control::server::{Call, ControlSocket};
use crate::error::Error;
use crate::maintenance::Maintenance;
use crate::reconcile::Action;
use crate::restart_mark;
use crate::systemd::Systemd;
use bfd::BfdSessions;
use checks::Checks;
use drain::PendingDrain;
use vip::Vip;

/// How often bound addresses are checked against the kernel, in case an event was missed.
const RESYNC_INTERVAL: Duration = Duration::from_secs(10);
/// How often the check loops are checked for stalls (and systemd's watchdog pinged, at
/// least this often).
const LIVENESS_INTERVAL: Duration = Duration::from_secs(1);

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
        daemon.systemd.ready();
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
    speaker: Option<Speaker>,
    netlink: Vips,
    checks: Checks,
    vips: BTreeMap<Prefix, Vip>,
    maintenance: Maintenance,
    stopping: bool,
    drains: Vec<PendingDrain>,
    stalled: Vec<String>,
    systemd: Systemd,
    /// While the first table is held: when it is sent anyway, decided or not.
    table_deadline: Option<Instant>,
    /// The BFD sessions of the peers with `bfd = true`, if any.
    bfd: Option<BfdSessions>,
}

impl Daemon {
    /// Loads the maintenance state, opens netlink, starts the BGP sessions and the checks,
    /// and binds every VIP. With graceful restart the sessions hold their first table until
    /// every check has a verdict, so that a peer that kept our routes across a restart (or a
    /// crash) gets the right table before End-of-RIB.
    async fn start(path: &Path, config: Config) -> Result<Daemon, Error> {
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
        let netlink = Vips::new().await?;
        let router_id = router_id(path, &config, &netlink).await?;
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
            netlink,
            checks,
            vips,
            maintenance,
            stopping: false,
            drains: Vec::new(),
            stalled: Vec::new(),
            systemd: Systemd::from_env(),
            table_deadline: None,
            bfd: None,
        };
        let alive_for = daemon.lease();
        daemon.bfd = BfdSessions::start(&daemon.config, &handoffs, alive_for).await?;
        if restarting {
            info!("graceful restart: this start follows one; peers kept our routes");
        }
        daemon.speaker = Some(start_speaker(&daemon.config, router_id, restarting, true).await?);
        daemon.table_deadline = daemon
            .config
            .bgp
            .restart_time
            .map(|time| Instant::now() + time / 2);
        daemon.reconcile_all().await;
        daemon.release_table_when_decided();
        Ok(daemon)
    }

    /// Sends the held first table once every check has a verdict (healthy, or failed `fall`
    /// times in a row), or at the deadline, whichever comes first.
    fn release_table_when_decided(&mut self) {
        let Some(speaker) = self.speaker.as_mut().filter(|s| s.table_held()) else {
            return;
        };
        let undecided = self.checks.undecided();
        let late = self.table_deadline.is_some_and(|t| Instant::now() >= t);
        if undecided.is_empty() {
            info!("every check has a verdict: sending the first table and End-of-RIB");
        } else if late {
            warn!(checks = ?undecided, "checks still undecided; sending the first table and End-of-RIB anyway");
        } else {
            return;
        }
        speaker.release_first_table();
        self.table_deadline = None;
    }

    /// The main loop: until SIGTERM or SIGINT, then a clean shutdown.
    async fn serve(&mut self, mut calls: mpsc::Receiver<Call>) -> Result<(), Error> {
        let mut sigterm = signal_stream(SignalKind::terminate())?;
        let mut sigint = signal_stream(SignalKind::interrupt())?;
        let mut sighup = signal_stream(SignalKind::hangup())?;
        let mut addresses = self.watch_addresses().await;
        let mut resync = tokio::time::interval(RESYNC_INTERVAL);
        let mut liveness = tokio::time::interval(self.liveness_period());
        let mut sigusr2 = signal_stream(SignalKind::user_defined2())?;
        let stop = loop {
            let drain_end = self.next_drain_end();
            tokio::select! {
                Some(name) = self.checks.flipped.recv() => {
                    self.check_flipped(&name).await;
                    self.release_table_when_decided();
                }
                event = next_event(&mut addresses) => match event {
                    Some(event) => self.address_event(event).await,
                    None => {
                        warn!("address event stream ended; relying on periodic checks");
                        addresses = None;
                    }
                },
                Some((request, reply)) = calls.recv() => {
                    let answer = self.request(request, &reply).await;
                    let _ = reply.try_send(answer);
                }
                () = sleep_until(drain_end) => self.drains_due().await,
                _ = liveness.tick() => self.liveness().await,
                () = BfdSessions::changed(&mut self.bfd) => self.bfd_changed(),
                _ = resync.tick() => {
                    if addresses.is_none() {
                        addresses = self.watch_addresses().await;
                    }
                    self.resync().await;
                }
                _ = sighup.recv() => {
                    let _ = self.reload().await;
                }
                _ = sigterm.recv() => break Stop::Withdraw("SIGTERM"),
                _ = sigint.recv() => break Stop::Withdraw("SIGINT"),
                _ = sigusr2.recv() => match self.config.bgp.restart_time {
                    Some(restart_time) => break Stop::Restart(restart_time),
                    None => warn!("SIGUSR2 ignored: graceful_restart is off, so a restart would drop the routes; use SIGTERM to stop"),
                },
            }
        };
        self.systemd.stopping();
        match stop {
            Stop::Withdraw(signal_name) => self.shutdown(signal_name).await,
            Stop::Restart(restart_time) => self.close_for_restart(restart_time).await,
        }
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
        self.shutdown_bfd().await;
        for vip in self.vips.values_mut() {
            vip.set_announced(false, false);
        }
        self.answer_drains("announcer stopped");
        info!("stopped");
    }

    /// SIGUSR2 with graceful restart on: closes the sessions without withdrawing anything
    /// and leaves the mark the next start recognises; VIPs stay bound, so traffic keeps
    /// flowing while the peers hold our routes for up to `restart_time`.
    async fn close_for_restart(&mut self, restart_time: Duration) {
        self.stopping = true;
        if let Err(e) = restart_mark::leave(&self.config.control.state_dir) {
            warn!(state_dir = %self.config.control.state_dir.display(), error = %e, "cannot leave the graceful restart mark; the next start will not hold its first announcements");
        }
        info!(
            restart_time_secs = restart_time.as_secs(),
            "stopping for a graceful restart (SIGUSR2): routes kept at the peers, VIPs stay bound; start announcer again within the restart time"
        );
        self.stop_bfd_for_restart(restart_time).await;
        if let Some(speaker) = self.speaker.take() {
            speaker.close_for_restart().await;
        }
        self.answer_drains("announcer restarting; the withdrawal completes when it is back");
        info!("stopped for a graceful restart");
    }

    /// Marks the checks whose loops stalled as failing (withdrawing their VIPs), and pings
    /// systemd's watchdog only while every check loop is alive.
    async fn liveness(&mut self) {
        let stalled = self.checks.stalled();
        if stalled != self.stalled {
            for name in stalled.iter().filter(|n| !self.stalled.contains(n)) {
                error!(check = %name, "check loop stalled: counted as failing; systemd's watchdog is no longer pinged");
            }
            for name in self.stalled.iter().filter(|n| !stalled.contains(n)) {
                info!(check = %name, "check loop running again");
            }
            self.stalled = stalled;
            self.reconcile_all().await;
        }
        if self.stalled.is_empty() {
            self.systemd.watchdog();
            self.renew_bfd(self.lease());
        }
        self.release_table_when_decided();
    }

    /// How often liveness is checked (and systemd's watchdog pinged).
    fn liveness_period(&self) -> Duration {
        self.systemd
            .watchdog_period()
            .map_or(LIVENESS_INTERVAL, |p| p.min(LIVENESS_INTERVAL))
    }

    /// How long BFD packets go on after a liveness check passed: two and a half periods,
    /// so one late tick does not stop them, while a stalled daemon stops them within
    /// seconds.
    fn lease(&self) -> Duration {
        self.liveness_period() * 5 / 2
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
        let Some(vip) = self
            .vips
            .get_mut(&Prefix::host(addr))
            .filter(|v| v.config.bind)
        else {
            return;
        };
        if *vip.config.interface != **interface
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
        let mut interfaces: Vec<Arc<str>> = self
            .vips
            .values()
            .filter(|v| v.config.bind)
            .map(|v| Arc::clone(&v.config.interface))
            .collect();
        interfaces.sort();
        interfaces.dedup();
        for interface in interfaces {
            match self.netlink.bound(&interface).await {
                Ok(addresses) => {
                    for vip in self
                        .vips
                        .values_mut()
                        .filter(|v| v.config.bind && v.config.interface == interface)
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

    async fn reconcile_each(&mut self, prefixes: &[Prefix]) {
        for prefix in prefixes {
            self.reconcile(*prefix).await;
        }
    }

    async fn reconcile_all(&mut self) {
        self.bind_unbound().await;
        let prefixes: Vec<Prefix> = self.vips.keys().copied().collect();
        for prefix in prefixes {
            self.reconcile(prefix).await;
        }
    }

    /// Binds every unbound VIP, one batch per interface (thousands of VIPs at start take one
    /// address dump, not one each). What fails here is tried again one by one, and reported,
    /// by the reconcile that follows.
    async fn bind_unbound(&mut self) {
        if self.stopping {
            return;
        }
        let mut by_interface: BTreeMap<Arc<str>, Vec<IpAddr>> = BTreeMap::new();
        for vip in self.vips.values().filter(|v| !v.bound && v.config.bind) {
            by_interface
                .entry(Arc::clone(&vip.config.interface))
                .or_default()
                .push(vip.config.prefix.addr());
        }
        for (interface, addrs) in by_interface {
            match self.netlink.bind_all(&interface, &addrs).await {
                Ok(outcomes) => {
                    for (addr, outcome) in outcomes {
                        if let Some(vip) = self.vips.get_mut(&Prefix::host(addr)) {
                            vip.record_bind(outcome);
                        }
                    }
                }
                Err(e) => debug!(%interface, error = %e, "batch bind failed; binding one by one"),
            }
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
            Action::Bind => {
                let outcome = self
                    .netlink
                    .bind(&vip.config.interface, prefix.addr())
                    .await;
                vip.record_bind(outcome);
            }
            Action::Announce | Action::Drain => {
                let draining = action == Action::Drain;
                if let Some(speaker) = &self.speaker {
                    let attributes = vip.attributes(&self.config.drain, draining);
                    match speaker.announce(Target::All, prefix, attributes) {
                        Ok(()) => {
                            vip.set_announced(true, draining);
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
                vip.set_announced(false, false);
                info!(vip = %prefix, "{why}");
            }
            Action::Unbind => {
                if let Some(speaker) = &self.speaker {
                    speaker.sync().await;
                }
                let interface = &vip.config.interface;
                match self.netlink.unbind(interface, prefix.addr()).await {
                    Ok(()) => info!(vip = %prefix, %interface, "unbound"),
                    Err(e) => error!(vip = %prefix, error = %e, "cannot unbind"),
                }
                vip.bound = false;
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

/// How the main loop ends.
enum Stop {
    /// Withdraw everything (on this signal) and exit.
    Withdraw(&'static str),
    /// Exit for a graceful restart, the peers keeping our routes this long.
    Restart(Duration),
}

/// Starts the sessions; `restarting` says this process is a graceful restart. With graceful
/// restart on and `hold`, the sessions hold their first table until the daemon releases it.
async fn start_speaker(
    config: &Config,
    router_id: RouterId,
    restarting: bool,
    hold: bool,
) -> Result<Speaker, Error> {
    let graceful_restart = config.bgp.restart_time.map(|time| GracefulRestartConfig {
        restart_time: u16::try_from(time.as_secs())
            .unwrap_or(GracefulRestartConfig::MAX_RESTART_TIME),
        restarting,
    });
    Ok(Speaker::start(SpeakerConfig {
        local_as: config.bgp.local_as,
        router_id,
        listen: config.bgp.listen,
        peers: config.peers.clone(),
        graceful_restart,
        hold_first_table: hold && graceful_restart.is_some(),
    })
    .await?)
}

/// Sleeps until `deadline`, or forever when there is none.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
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
