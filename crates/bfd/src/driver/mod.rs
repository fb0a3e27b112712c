//! The tokio shell around the [`Session`] state machines: the handle a daemon holds.
//!
//! One task owns every session, the receive sockets (UDP 3784, one per family) and one
//! sending socket per session. Packets are matched to sessions by Your Discriminator, and by
//! source address while it is zero; only packets from configured peers with TTL 255 count.
//! Packets go out only while the daemon's liveness lease ([`Bfd::renew`]) runs: a daemon
//! that stops making progress stops BFD, and its routers drop its routes within a
//! detection time.

mod discards;
mod task;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::session::{SessionConfig, SessionSnapshot};
use crate::types::{Diagnostic, Discriminator, Interval, Multiplier, SessionState};
use crate::Error;
use task::{Command, Task};

/// Commands queued to the task (only the daemon sends them).
const COMMAND_QUEUE: usize = 16;
/// How long AdminDown is repeated at shutdown, at most (RFC 5880 §6.8.16 asks for a
/// detection time).
pub const ADMIN_DOWN_FOR: Duration = Duration::from_secs(1);
/// How long a planned restart waits for the peers' Finals to the stretched intervals.
pub const RESTART_POLL_WAIT: Duration = Duration::from_secs(1);

/// A BFD session to run with one peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BfdPeer {
    /// The peer's name, for logs.
    pub name: String,
    /// The peer's address: where packets go, and the only source accepted for it.
    pub address: IpAddr,
    /// Our source address; else the kernel's choice for the route to the peer.
    pub local_address: Option<IpAddr>,
    /// Intervals and multiplier.
    pub config: SessionConfig,
}

/// One peer's BFD session as the daemon and `status` see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerBfdStatus {
    /// The peer's address.
    pub address: IpAddr,
    /// bfd.SessionState.
    pub state: SessionState,
    /// The state the peer last reported.
    pub remote_state: SessionState,
    /// Why the session last left Up, or why it is not Up.
    pub diagnostic: Diagnostic,
    /// Our discriminator and the peer's (once heard).
    pub local_discriminator: Discriminator,
    /// See `local_discriminator`.
    pub remote_discriminator: Option<Discriminator>,
    /// The interval between our packets in force (before jitter); `None` while the peer
    /// asks for none.
    pub transmit_interval: Option<Interval>,
    /// How long the peer may be silent before we declare it Down; `None` until heard.
    pub detection_time: Option<Duration>,
    /// Our multiplier in force.
    pub multiplier: Multiplier,
    /// How often the session failed ([`crate::StateChange::is_failure`]): a counter the
    /// daemon compares to learn of each failure, however quickly it recovered.
    pub failures: u64,
    /// Whether the session has ever been Up.
    pub ever_up: bool,
}

/// A session handed from a process that stops for a planned restart to the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// The peer's address.
    pub address: IpAddr,
    /// The session's state.
    pub session: SessionSnapshot,
    /// The source port, which the next process takes again if it can.
    pub source_port: u16,
}

/// The running BFD sessions. Their task runs on a thread of its own, so that packets keep
/// their rhythm however busy the daemon's own loop gets (a status of 100,000 VIPs, a large
/// reload); the lease, renewed by that loop, still ties them to its progress.
pub struct Bfd {
    commands: mpsc::Sender<Command>,
    status: watch::Receiver<Vec<PeerBfdStatus>>,
    lease: watch::Sender<Instant>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Bfd {
    /// Binds the receivers the peers' families need and starts a session per peer; a peer
    /// found in `handoffs` carries on that session (a planned restart). Packets go out until
    /// `alive_for` from now unless [`Bfd::renew`] extends it.
    pub async fn start(
        peers: Vec<BfdPeer>,
        handoffs: &[Handoff],
        alive_for: Duration,
    ) -> Result<Bfd, Error> {
        let (lease, lease_rx) = watch::channel(Instant::now() + alive_for);
        let (status_tx, status) = watch::channel(Vec::new());
        let (commands, receiver) = mpsc::channel(COMMAND_QUEUE);
        let (started_tx, started) = oneshot::channel();
        let handoffs = handoffs.to_vec();
        let span = tracing::Span::current();
        let thread = std::thread::Builder::new()
            .name("bfd".to_owned())
            .spawn(move || {
                let _span = span.entered();
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(source) => {
                        let _ = started_tx.send(Err(Error::Runtime(source)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match Task::new(peers, &handoffs, lease_rx, status_tx) {
                        Ok(task) => {
                            let _ = started_tx.send(Ok(()));
                            task.run(receiver).await;
                        }
                        Err(e) => {
                            let _ = started_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(Error::Runtime)?;
        started.await.map_err(|_| Error::Stopped)??;
        Ok(Bfd {
            commands,
            status,
            lease,
            thread: Some(thread),
        })
    }

    /// The daemon is alive: keep sending until `alive_for` from now.
    pub fn renew(&self, alive_for: Duration) {
        self.lease.send_replace(Instant::now() + alive_for);
    }

    /// Every session's status, in the order the peers were configured.
    pub fn status(&self) -> Vec<PeerBfdStatus> {
        self.status.borrow().clone()
    }

    /// A receiver that changes whenever a session's status does (state, intervals,
    /// failures), to learn of failures as they happen.
    pub fn watch(&self) -> watch::Receiver<Vec<PeerBfdStatus>> {
        self.status.clone()
    }

    /// Runs exactly these sessions from now on: new peers start a session, removed ones
    /// are taken AdminDown and dropped, changed intervals apply through a Poll Sequence.
    pub async fn set_peers(&self, peers: Vec<BfdPeer>) -> Result<(), Error> {
        self.ask(|done| Command::SetPeers(peers, done)).await?
    }

    /// Clean shutdown (RFC 5882 §3.2): every session goes AdminDown, which the peers do not
    /// take for a failure, repeated for a detection time (at most [`ADMIN_DOWN_FOR`]).
    pub async fn shutdown(mut self) {
        let _ = self.ask(Command::Shutdown).await;
        self.finished().await;
    }

    /// Planned restart (RFC 5882 §4.3.2): asks each peer, by a Poll Sequence, for a
    /// detection time of at least `detection` (bounded by [`RESTART_POLL_WAIT`]), stops
    /// sending, and returns what the next process needs to carry the sessions on.
    pub async fn stop_for_restart(mut self, detection: Duration) -> Vec<Handoff> {
        let handoffs = self
            .ask(|done| Command::StopForRestart(detection, done))
            .await
            .unwrap_or_default();
        self.finished().await;
        handoffs
    }

    /// Waits for the thread to end (it ends right after answering the last command).
    async fn finished(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, Error> {
        let (done, answer) = oneshot::channel();
        self.commands
            .send(command(done))
            .await
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }
}
