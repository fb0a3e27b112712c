//! The handle a daemon holds: starts one session task per peer (and the listener for passive
//! peers), and takes announce / withdraw / status / peer changes / shutdown.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::config::{GracefulRestartConfig, PeerConfig, SpeakerConfig};
use crate::fsm::{Fsm, FsmConfig};
use crate::rib_out::RouteAttributes;
use crate::session::{set_md5, Command, Ending, PeerStatus, Session, SessionEvent};
use crate::types::{Asn, Prefix, RouterId};
use crate::wire::{CeaseSubcode, ErrorCode, Notification};
use crate::Error;

/// Which peers a route change applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every configured peer.
    All,
    /// The peer with this address.
    Peer(IpAddr),
}

/// Where the listener hands connections: each peer's command channel, by address.
type Routes = Arc<Mutex<HashMap<IpAddr, mpsc::UnboundedSender<Command>>>>;

struct PeerHandle {
    address: IpAddr,
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<PeerStatus>,
    task: JoinHandle<()>,
}

struct Listener {
    socket: Arc<TcpListener>,
    task: JoinHandle<()>,
}

/// A running speaker.
pub struct Speaker {
    local_as: Asn,
    router_id: RouterId,
    peers: Vec<PeerHandle>,
    routes: Routes,
    listener: Option<Listener>,
    events: broadcast::Sender<SessionEvent>,
    started: usize,
    graceful_restart: Option<GracefulRestartConfig>,
    end_of_rib_held: bool,
}

impl Speaker {
    /// Binds the listener (if configured) and starts every peer's session.
    pub async fn start(config: SpeakerConfig) -> Result<Speaker, Error> {
        let routes: Routes = Arc::default();
        let listener = match config.listen {
            Some(addr) => Some(listen(addr, &config.peers, Arc::clone(&routes)).await?),
            None => None,
        };
        let (events, _) = broadcast::channel(256);
        let mut speaker = Speaker {
            local_as: config.local_as,
            router_id: config.router_id,
            peers: Vec::with_capacity(config.peers.len()),
            routes,
            listener,
            events,
            started: 0,
            graceful_restart: config.graceful_restart,
            end_of_rib_held: config.hold_end_of_rib,
        };
        for peer in config.peers {
            speaker.add_peer(peer)?;
        }
        Ok(speaker)
    }

    /// Starts a session with one more peer. It gets no routes until they are announced to it.
    pub fn add_peer(&mut self, peer: PeerConfig) -> Result<(), Error> {
        if self.peers.iter().any(|p| p.address == peer.address) {
            return Err(Error::DuplicatePeer(peer.address));
        }
        if let Some(listener) = &self.listener {
            set_md5(&*listener.socket, &peer).map_err(|source| Error::Listen {
                addr: listener
                    .socket
                    .local_addr()
                    .unwrap_or(SocketAddr::new(peer.address, 0)),
                source,
            })?;
        }
        let (commands, receiver) = mpsc::unbounded_channel();
        let status = PeerStatus::new(peer.name.clone(), peer.address, peer.remote_as);
        let (status_tx, status) = watch::channel(status);
        let fsm = Fsm::new(FsmConfig {
            local_as: self.local_as,
            remote_as: peer.remote_as,
            router_id: self.router_id,
            hold_time: peer.hold_time,
            passive: peer.passive,
            families: peer.families.clone(),
            backoff: peer.backoff,
            connect_timeout: peer.connect_timeout,
            jitter_seed: jitter_seed(self.started),
            graceful_restart: self.graceful_restart,
        });
        self.started += 1;
        let address = peer.address;
        let span = info_span!("peer", peer = %peer.name, addr = %peer.address);
        let channels = (status_tx, self.events.clone());
        let held = self.end_of_rib_held;
        let session = Session::new(peer, self.local_as, fsm, channels, held);
        let task = tokio::spawn(session.run(receiver).instrument(span));
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(address, commands.clone());
        self.peers.push(PeerHandle {
            address,
            commands,
            status,
            task,
        });
        Ok(())
    }

    /// Ends the session with a peer (withdraw, Cease / Administrative Shutdown with `reason`)
    /// and forgets it.
    pub async fn remove_peer(&mut self, address: IpAddr, reason: &str) -> Result<(), Error> {
        let index = self
            .peers
            .iter()
            .position(|p| p.address == address)
            .ok_or(Error::UnknownPeer(address))?;
        let peer = self.peers.remove(index);
        self.routes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&address);
        stop_peers(vec![peer], Ending::Cease(reason.to_owned())).await;
        Ok(())
    }

    /// Resets the session with a peer whose forwarding path failed (BFD Down, RFC 5882
    /// §3.2): Cease / BFD Down (RFC 9384) on its connections, which close; our routes are
    /// gone from the peer, and the session starts again after the backoff.
    pub fn reset_peer(&self, address: IpAddr) -> Result<(), Error> {
        let notification = Notification::new(ErrorCode::Cease(CeaseSubcode::BfdDown), Vec::new());
        self.each(Target::Peer(address), |p| {
            p.commands
                .send(Command::Reset(notification.clone()))
                .is_ok()
        })
    }

    /// Wants `prefix` announced with `attributes` to the target peers.
    pub fn announce(
        &self,
        target: Target,
        prefix: Prefix,
        attributes: Arc<RouteAttributes>,
    ) -> Result<(), Error> {
        self.each(target, |p| {
            p.commands
                .send(Command::Announce(prefix, Arc::clone(&attributes)))
                .is_ok()
        })
    }

    /// Wants `prefix` withdrawn from the target peers.
    pub fn withdraw(&self, target: Target, prefix: Prefix) -> Result<(), Error> {
        self.each(target, |p| {
            p.commands.send(Command::Withdraw(prefix)).is_ok()
        })
    }

    fn each(&self, target: Target, mut send: impl FnMut(&PeerHandle) -> bool) -> Result<(), Error> {
        let mut matched = false;
        for peer in &self.peers {
            if target == Target::All || target == Target::Peer(peer.address) {
                matched = true;
                if !send(peer) {
                    return Err(Error::SessionGone(peer.address));
                }
            }
        }
        match (matched, target) {
            (false, Target::Peer(address)) => Err(Error::UnknownPeer(address)),
            _ => Ok(()),
        }
    }

    /// Whether End-of-RIB is still held ([`SpeakerConfig::hold_end_of_rib`]).
    pub fn end_of_rib_held(&self) -> bool {
        self.end_of_rib_held
    }

    /// The first table is complete: every session sends End-of-RIB once it has sent the
    /// routes asked of it before.
    pub fn release_end_of_rib(&mut self) {
        self.end_of_rib_held = false;
        for peer in &self.peers {
            let _ = peer.commands.send(Command::ReleaseEndOfRib);
        }
    }

    /// Returns once every session has queued, for sending, the route changes asked of it
    /// before this call (so a withdrawn address can be removed from the host after it). A
    /// peer that is not reading has them recorded instead: it is sent the state as it then
    /// stands once it reads again (or its session ends by the send hold timer, RFC 9687).
    pub async fn sync(&self) {
        ask_all(&self.peers, Command::Sync).await;
    }

    /// The latest status of every peer, in the order they were added.
    pub fn status(&self) -> Vec<PeerStatus> {
        self.peers
            .iter()
            .map(|p| p.status.borrow().clone())
            .collect()
    }

    /// Sessions coming up and going down from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    /// Withdraws every route, sends Cease / Administrative Shutdown with `reason` to every
    /// peer and closes; returns once all sessions are closed (each bounded to about a second).
    pub async fn shutdown(self, reason: &str) {
        self.end(Ending::Cease(reason.to_owned())).await;
    }

    /// Closes every session without withdrawing and without a NOTIFICATION, so that peers
    /// that negotiated graceful restart (RFC 4724) keep our routes for the restart time while
    /// this process is replaced; returns once all sessions are closed.
    pub async fn close_for_restart(self) {
        self.end(Ending::GracefulRestart).await;
    }

    async fn end(self, ending: Ending) {
        if let Some(listener) = &self.listener {
            listener.task.abort();
        }
        stop_peers(self.peers, ending).await;
    }
}

/// Ends sessions in parallel and waits for them.
async fn stop_peers(peers: Vec<PeerHandle>, ending: Ending) {
    ask_all(&peers, |done| Command::Shutdown(ending.clone(), done)).await;
    for peer in peers {
        let _ = peer.task.await;
    }
}

/// Sends each peer the command `ask` builds and waits until every one has answered (or its
/// session has already ended).
async fn ask_all(peers: &[PeerHandle], ask: impl Fn(oneshot::Sender<()>) -> Command) {
    let mut waiting = Vec::new();
    for peer in peers {
        let (done, wait) = oneshot::channel();
        if peer.commands.send(ask(done)).is_ok() {
            waiting.push(wait);
        }
    }
    for wait in waiting {
        let _ = wait.await;
    }
}

/// A different jitter seed per peer and per process, so peers do not retry in lockstep.
fn jitter_seed(index: usize) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    nanos
        ^ (u64::from(std::process::id()) << 32)
        ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Binds the listener and starts the task that hands each accepted connection to its peer.
async fn listen(addr: SocketAddr, peers: &[PeerConfig], routes: Routes) -> Result<Listener, Error> {
    let listen_error = |source| Error::Listen { addr, source };
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(listen_error)?;
    socket.set_reuseaddr(true).map_err(listen_error)?;
    for peer in peers {
        set_md5(&socket, peer).map_err(listen_error)?;
    }
    socket.bind(addr).map_err(listen_error)?;
    let socket = Arc::new(socket.listen(64).map_err(listen_error)?);
    info!(%addr, "listening for peers");
    let accepting = Arc::clone(&socket);
    let task = tokio::spawn(async move {
        loop {
            match accepting.accept().await {
                Ok((stream, from)) => {
                    let from_ip = from.ip().to_canonical();
                    let routes = routes.lock().unwrap_or_else(PoisonError::into_inner);
                    match routes.get(&from_ip) {
                        Some(commands) => {
                            let _ = commands.send(Command::Accepted(stream));
                        }
                        None => {
                            debug!(%from, "connection from an address that is not a peer; closed")
                        }
                    }
                }
                Err(e) => {
                    warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        }
    });
    Ok(Listener { socket, task })
}
