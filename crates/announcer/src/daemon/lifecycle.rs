//! The main loop and how it ends: every input (check flips, address events, control
//! requests, drain deadlines, liveness ticks, BFD changes, signals) is a message folded into
//! the state in turn; SIGTERM and SIGINT withdraw and stop, SIGUSR2 stops for a graceful
//! restart, SIGHUP reloads.

use std::time::Duration;

use announcer_bgp::timer::sleep_until;
use announcer_netlink::AddressEvent;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{error, info, warn};

use super::bfd::BfdSessions;
use super::effects::{Effects, Routes};
use super::Daemon;
use crate::control::server::Call;
use crate::error::Error;
use crate::metrics::server::Scrape;
use crate::restart_mark;

/// How often bound addresses are checked against the kernel, in case an event was missed.
const RESYNC_INTERVAL: Duration = Duration::from_secs(10);
/// How often the check loops are checked for stalls (and systemd's watchdog pinged, at
/// least this often).
const LIVENESS_INTERVAL: Duration = Duration::from_secs(1);

/// The signals the daemon acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGTERM: withdraw everything and stop.
    Terminate,
    /// SIGINT: the same as SIGTERM.
    Interrupt,
    /// SIGHUP: reload the configuration.
    Hangup,
    /// SIGUSR2: stop for a graceful restart.
    Restart,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Terminate => "SIGTERM",
            Signal::Interrupt => "SIGINT",
            Signal::Hangup => "SIGHUP",
            Signal::Restart => "SIGUSR2",
        }
    }
}

/// Installs the handlers and forwards each signal to the returned channel until the task
/// is aborted.
pub fn forward_signals() -> Result<(mpsc::Receiver<Signal>, JoinHandle<()>), Error> {
    let install = |kind| {
        signal(kind).map_err(|source| Error::Io {
            context: "installing signal handlers",
            source,
        })
    };
    let mut term = install(SignalKind::terminate())?;
    let mut int = install(SignalKind::interrupt())?;
    let mut hup = install(SignalKind::hangup())?;
    let mut usr2 = install(SignalKind::user_defined2())?;
    let (tx, rx) = mpsc::channel(4);
    let task = tokio::spawn(async move {
        loop {
            let signal = tokio::select! {
                _ = term.recv() => Signal::Terminate,
                _ = int.recv() => Signal::Interrupt,
                _ = hup.recv() => Signal::Hangup,
                _ = usr2.recv() => Signal::Restart,
            };
            if tx.send(signal).await.is_err() {
                return;
            }
        }
    });
    Ok((rx, task))
}

/// What the main loop takes in besides its own timers and events.
pub struct Inputs {
    /// Control socket requests.
    pub calls: mpsc::Receiver<Call>,
    /// Signals.
    pub signals: mpsc::Receiver<Signal>,
    /// Metrics scrapes asking for a snapshot.
    pub scrapes: mpsc::Receiver<Scrape>,
}

/// How the main loop ends.
enum Stop {
    /// Withdraw everything (on this signal) and exit.
    Withdraw(Signal),
    /// Exit for a graceful restart, the peers keeping our routes this long.
    Restart(Duration),
}

impl<E: Effects> Daemon<E> {
    /// The main loop: until SIGTERM or SIGINT (withdraw everything) or SIGUSR2 (keep the
    /// routes at the peers for a graceful restart), then a clean stop.
    pub async fn serve(&mut self, inputs: Inputs) {
        let Inputs {
            mut calls,
            mut signals,
            mut scrapes,
        } = inputs;
        let mut addresses = self.watch_addresses().await;
        let mut resync = tokio::time::interval(RESYNC_INTERVAL);
        let mut liveness = tokio::time::interval(self.liveness_period());
        let stop = loop {
            let drain_end = self.next_drain_end();
            let maintenance_end = self.next_maintenance_end();
            tokio::select! {
                Some(name) = self.checks.flipped.recv() => {
                    self.check_flipped(&name).await;
                    self.release_end_of_rib_when_decided();
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
                Some(scrape) = scrapes.recv() => {
                    let _ = scrape.send(self.snapshot());
                }
                () = sleep_until(drain_end) => self.drains_due().await,
                () = sleep_until(maintenance_end) => self.maintenance_ends_due().await,
                _ = liveness.tick() => self.liveness().await,
                () = BfdSessions::changed(&mut self.bfd) => self.bfd_changed(),
                _ = resync.tick() => {
                    if addresses.is_none() {
                        addresses = self.watch_addresses().await;
                    }
                    self.resync().await;
                }
                Some(signal) = signals.recv() => match signal {
                    Signal::Hangup => {
                        let _ = self.reload().await;
                    }
                    Signal::Terminate | Signal::Interrupt => break Stop::Withdraw(signal),
                    Signal::Restart => match self.config.bgp.restart_time {
                        Some(restart_time) => break Stop::Restart(restart_time),
                        None => warn!("SIGUSR2 ignored: graceful_restart is off, so a restart would drop the routes; use SIGTERM to stop"),
                    },
                },
            }
        };
        self.systemd.stopping();
        match stop {
            Stop::Withdraw(signal) => self.shutdown(signal.name()).await,
            Stop::Restart(restart_time) => self.close_for_restart(restart_time).await,
        }
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
            vip.set_announced(None);
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
        self.release_end_of_rib_when_decided();
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
    pub(super) fn lease(&self) -> Duration {
        self.liveness_period() * 5 / 2
    }

    /// Address events from now on, or `None` (then the periodic resync stands in, and
    /// tries again).
    async fn watch_addresses(&self) -> Option<mpsc::Receiver<AddressEvent>> {
        match self.effects.watch().await {
            Ok(events) => Some(events),
            Err(e) => {
                warn!(error = %e, "cannot watch address events; checking every {RESYNC_INTERVAL:?} instead");
                None
            }
        }
    }
}

async fn next_event(events: &mut Option<mpsc::Receiver<AddressEvent>>) -> Option<AddressEvent> {
    match events {
        Some(events) => events.recv().await,
        None => std::future::pending().await,
    }
}

/// This host's name, for the shutdown reason routers log.
fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_else(|| "this host".to_owned())
}
