//! The handle a daemon holds: starts one session task per peer (and the listener for passive
//! peers), and takes announce / withdraw / status / shutdown.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::{debug, info, info_span, warn, Instrument};

use crate::config::{PeerConfig, SpeakerConfig};
use crate::fsm::{Fsm, FsmConfig};
use crate::rib_out::RouteAttributes;
use crate::session::{set_md5, Command, PeerStatus, Session, SessionEvent};
use crate::types::Prefix;
use crate::Error;

/// Which peers a route change applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every configured peer.
    All,
    /// The peer with this address.
    Peer(IpAddr),
}

struct PeerHandle {
    address: IpAddr,
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<PeerStatus>,
    task: JoinHandle<()>,
}

/// A running speaker.
pub struct Speaker {
    peers: Vec<PeerHandle>,
    listener: Option<JoinHandle<()>>,
    events: broadcast::Sender<SessionEvent>,
}

impl Speaker {
    /// Binds the listener (if configured) and starts every peer's session.
    pub async fn start(config: SpeakerConfig) -> Result<Speaker, Error> {
        let (events, _) = broadcast::channel(256);
        let channels: Vec<_> = config
            .peers
            .iter()
            .map(|_| mpsc::unbounded_channel())
            .collect();
        let listener = match config.listen {
            Some(addr) => {
                let routes = config.peers.iter().zip(&channels);
                let routes = routes.map(|(p, (tx, _))| (p.address, tx.clone())).collect();
                Some(listen(addr, &config.peers, routes).await?)
            }
            None => None,
        };
        let mut peers = Vec::with_capacity(config.peers.len());
        for (index, (peer, (commands, receiver))) in config.peers.iter().zip(channels).enumerate() {
            let status = PeerStatus::new(peer.name.clone(), peer.address, peer.remote_as);
            let (status_tx, status) = watch::channel(status);
            let fsm = Fsm::new(FsmConfig {
                local_as: config.local_as,
                remote_as: peer.remote_as,
                router_id: config.router_id,
                hold_time: peer.hold_time,
                passive: peer.passive,
                families: peer.families.clone(),
                backoff: peer.backoff,
                connect_timeout: peer.connect_timeout,
                jitter_seed: jitter_seed(index),
            });
            let session = Session::new(
                peer.clone(),
                config.local_as,
                fsm,
                status_tx,
                events.clone(),
            );
            let span = info_span!("peer", name = %peer.name, addr = %peer.address);
            let task = tokio::spawn(session.run(receiver).instrument(span));
            peers.push(PeerHandle {
                address: peer.address,
                commands,
                status,
                task,
            });
        }
        Ok(Speaker {
            peers,
            listener,
            events,
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

    /// The latest status of every peer, in configuration order.
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
        if let Some(listener) = &self.listener {
            listener.abort();
        }
        let mut waiting = Vec::new();
        for peer in &self.peers {
            let (done, wait) = oneshot::channel();
            if peer
                .commands
                .send(Command::Shutdown(reason.to_owned(), done))
                .is_ok()
            {
                waiting.push(wait);
            }
        }
        for wait in waiting {
            let _ = wait.await;
        }
        for peer in self.peers {
            let _ = peer.task.await;
        }
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
async fn listen(
    addr: SocketAddr,
    configs: &[PeerConfig],
    routes: Vec<(IpAddr, mpsc::UnboundedSender<Command>)>,
) -> Result<JoinHandle<()>, Error> {
    let listen_error = |source| Error::Listen { addr, source };
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4(),
        SocketAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(listen_error)?;
    socket.set_reuseaddr(true).map_err(listen_error)?;
    for peer in configs.iter().filter(|p| p.password.is_some()) {
        set_md5(&socket, peer).map_err(listen_error)?;
    }
    socket.bind(addr).map_err(listen_error)?;
    let listener: TcpListener = socket.listen(64).map_err(listen_error)?;
    info!(%addr, "listening for peers");
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, from)) => {
                    let from_ip = from.ip().to_canonical();
                    match routes.iter().find(|(address, _)| *address == from_ip) {
                        Some((_, commands)) => {
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
    }))
}
