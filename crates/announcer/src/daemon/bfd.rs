//! BFD in the daemon (RFC 5882): the sessions of the peers with `bfd = true`, tied to the
//! daemon's liveness and to their BGP sessions.
//!
//! - A session that fails ([`announcer_bfd::StateChange::is_failure`]: Up to Down for a
//!   path failure seen by either side) resets its BGP session at once (Cease / BFD Down,
//!   RFC 9384); the peer's router does the same on its side, so our routes are gone from it
//!   within the detection time.
//! - A BGP session whose BFD has not come Up is left alone: BFD only ever takes a session
//!   down on a failure it saw. Holding BGP until BFD is Up would let a router without BFD
//!   configured (or a BFD packet filter) quietly keep a healthy server out of service; the
//!   status shows such a session as never Up instead.
//! - Packets go out only while the liveness rule that feeds systemd's watchdog holds (the
//!   daemon's loop runs and no check loop is stalled): each liveness tick renews a lease of
//!   two ticks and a half.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use announcer_bfd::driver::Handoff;
use announcer_bfd::{Bfd, BfdPeer, PeerBfdStatus};
use tokio::sync::watch;
use tracing::{error, info, warn};

use super::effects::{Effects, Routes};
use super::Daemon;
use crate::bfd_handoff;
use crate::config::Config;
use crate::error::Error;

/// The detection time a planned restart asks the peers for: the new process must send
/// before it runs out. Capped by the graceful restart time.
pub(super) const RESTART_DETECTION: Duration = Duration::from_secs(30);

/// The BFD sessions and what the daemon has seen of them.
pub(super) struct BfdSessions {
    bfd: Bfd,
    status: watch::Receiver<Vec<PeerBfdStatus>>,
    /// The failure count of each peer that the daemon has acted on.
    failures_seen: BTreeMap<IpAddr, u64>,
}

impl BfdSessions {
    /// Starts the sessions `config` asks for (none: `None`), carrying on `handoffs`.
    pub(super) async fn start(
        config: &Config,
        handoffs: &[Handoff],
        alive_for: Duration,
    ) -> Result<Option<BfdSessions>, Error> {
        let peers = bfd_peers(config);
        if peers.is_empty() {
            return Ok(None);
        }
        let bfd = Bfd::start(peers, handoffs, alive_for).await?;
        let status = bfd.watch();
        Ok(Some(BfdSessions {
            bfd,
            status,
            failures_seen: BTreeMap::new(),
        }))
    }

    /// Waits until a session's status changes.
    pub(super) async fn changed(sessions: &mut Option<BfdSessions>) {
        match sessions {
            Some(s) => {
                if s.status.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }

    /// The peers whose session failed since the last call.
    fn new_failures(&mut self) -> Vec<IpAddr> {
        let statuses = self.status.borrow_and_update().clone();
        new_failures(&mut self.failures_seen, &statuses)
    }

    /// Every session's status.
    pub(super) fn status(&self) -> Vec<PeerBfdStatus> {
        self.bfd.status()
    }
}

impl<E: Effects> Daemon<E> {
    /// A BFD session changed: each peer whose session failed has its BGP session reset.
    pub(super) fn bfd_changed(&mut self) {
        let Some(sessions) = self.bfd.as_mut() else {
            return;
        };
        for address in sessions.new_failures() {
            let Some(speaker) = &self.speaker else {
                continue;
            };
            warn!(peer = %address, "BFD session down: resetting its BGP session; the router drops our routes");
            if let Err(e) = speaker.reset_peer(address) {
                error!(peer = %address, error = %e, "cannot reset the BGP session");
            }
        }
    }

    /// The daemon is alive: BFD packets go on for `alive_for`.
    pub(super) fn renew_bfd(&self, alive_for: Duration) {
        if let Some(sessions) = &self.bfd {
            sessions.bfd.renew(alive_for);
        }
    }

    /// Runs the BFD sessions `new` asks for: started, stopped, or changed in place (new
    /// intervals through a Poll Sequence, never a reset).
    pub(super) async fn reload_bfd(
        &mut self,
        new: &Config,
        alive_for: Duration,
    ) -> Result<(), Error> {
        let peers = bfd_peers(new);
        match (self.bfd.as_mut(), peers.is_empty()) {
            (Some(_), true) => {
                info!("reload: BFD turned off for every peer");
                if let Some(sessions) = self.bfd.take() {
                    sessions.bfd.shutdown().await;
                }
            }
            (Some(sessions), false) => sessions.bfd.set_peers(peers).await?,
            (None, false) => self.bfd = BfdSessions::start(new, &[], alive_for).await?,
            (None, true) => {}
        }
        Ok(())
    }

    /// SIGTERM: every BFD session AdminDown, after the BGP sessions closed with a Cease.
    pub(super) async fn shutdown_bfd(&mut self) {
        if let Some(sessions) = self.bfd.take() {
            sessions.bfd.shutdown().await;
            info!("BFD sessions administratively down");
        }
    }

    /// SIGUSR2: the peers are asked for a detection time long enough for the restart, and
    /// the sessions are saved for the next process to carry on.
    pub(super) async fn stop_bfd_for_restart(&mut self, restart_time: Duration) {
        let Some(sessions) = self.bfd.take() else {
            return;
        };
        let detection = RESTART_DETECTION.min(restart_time);
        let handoffs = sessions.bfd.stop_for_restart(detection).await;
        match bfd_handoff::save(&self.config.control.state_dir, &handoffs) {
            Ok(()) => info!(
                sessions = handoffs.len(),
                detection_secs = detection.as_secs(),
                "BFD sessions handed to the next process; the peers wait that long for it"
            ),
            Err(e) => {
                warn!(state_dir = %self.config.control.state_dir.display(), error = %e, "cannot save the BFD sessions; the next start begins them afresh, which the routers may take for a failure")
            }
        }
    }
}

/// The peers whose failure count grew past what `seen` holds, which is brought up to date.
/// A session replaced by a reload starts counting again, so a count below the one seen is
/// taken as it is.
fn new_failures(seen: &mut BTreeMap<IpAddr, u64>, statuses: &[PeerBfdStatus]) -> Vec<IpAddr> {
    let mut failed = Vec::new();
    for status in statuses {
        let known = seen.insert(status.address, status.failures).unwrap_or(0);
        if status.failures > known {
            failed.push(status.address);
        }
    }
    seen.retain(|address, _| statuses.iter().any(|s| s.address == *address));
    failed
}

/// The BFD sessions a configuration asks for, in peer order.
fn bfd_peers(config: &Config) -> Vec<BfdPeer> {
    config
        .peers
        .iter()
        .filter_map(|peer| {
            config.bfd.get(&peer.address).map(|session| BfdPeer {
                name: peer.name.clone(),
                address: peer.address,
                local_address: peer.local_address,
                config: *session,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use announcer_bfd::{Diagnostic, Discriminator, Multiplier, SessionState};

    use super::*;

    fn status(last: u8, failures: u64) -> PeerBfdStatus {
        PeerBfdStatus {
            address: IpAddr::from([192, 0, 2, last]),
            state: SessionState::Up,
            remote_state: SessionState::Up,
            diagnostic: Diagnostic::None,
            local_discriminator: Discriminator::MIN,
            remote_discriminator: None,
            transmit_interval: None,
            detection_time: None,
            multiplier: Multiplier::DEFAULT,
            failures,
            ever_up: true,
        }
    }

    #[test]
    fn each_failure_is_acted_on_once_however_quickly_the_session_recovered() {
        let mut seen = BTreeMap::new();
        assert!(new_failures(&mut seen, &[status(1, 0), status(2, 0)]).is_empty());
        let failed = new_failures(&mut seen, &[status(1, 2), status(2, 0)]);
        assert_eq!(failed, vec![IpAddr::from([192, 0, 2, 1])]);
        assert!(new_failures(&mut seen, &[status(1, 2), status(2, 0)]).is_empty());
    }

    #[test]
    fn a_session_restarted_by_a_reload_counts_afresh() {
        let mut seen = BTreeMap::new();
        new_failures(&mut seen, &[status(1, 3)]);
        assert!(new_failures(&mut seen, &[status(1, 0)]).is_empty());
        assert_eq!(new_failures(&mut seen, &[status(1, 1)]).len(), 1);
        assert!(new_failures(&mut seen, &[]).is_empty());
        assert!(seen.is_empty());
    }
}
