//! A fake of the daemon's effects that records each one, in order, in a [`World`] the test
//! shares: addresses and local routes bound and unbound, routes announced and withdrawn, sessions started,
//! changed and closed. The test can make binds, session starts and peer additions fail.

use std::cell::RefCell;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::rc::Rc;
use std::sync::Arc;

use announcer_bgp::fsm::State;
use announcer_bgp::wire::Community;
use announcer_bgp::{PeerConfig, PeerStatus, Prefix, RouteAttributes, SpeakerConfig, Target};
use announcer_netlink::{AddressEvent, Binding, Bound};
use tokio::sync::mpsc;

use crate::daemon::effects::{BgpResult, Effects, NetResult, Routes};

/// One effect of the daemon's decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// An address put on an interface.
    Bind(IpAddr),
    /// An address taken off its interface.
    Unbind(IpAddr),
    /// A `local` route added for an address.
    Route(IpAddr),
    /// A `local` route removed.
    Unroute(IpAddr),
    /// A route announced, and how it is marked.
    Announce(Target, Prefix, Marks),
    /// A route withdrawn.
    Withdraw(Target, Prefix),
    /// Sessions started with these peers; `restarting` after a graceful restart.
    SessionsStarted {
        /// The peers' addresses.
        peers: Vec<IpAddr>,
        /// This start follows a graceful restart.
        restarting: bool,
    },
    /// A session added.
    PeerAdded(IpAddr),
    /// A session removed.
    PeerRemoved(IpAddr),
    /// End-of-RIB released: the first table is decided.
    EndOfRibReleased,
    /// Every route withdrawn and every session closed, with this reason.
    Shutdown(String),
    /// Every session closed, the routes kept at the peers.
    ClosedForRestart,
}

/// How an announced route is marked, as its attributes tell (the test VIPs prepend nothing
/// of their own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marks {
    /// Plain.
    Plain,
    /// With the `[degraded]` prepend.
    Degraded,
    /// With GRACEFUL_SHUTDOWN.
    Draining,
}

/// What the fake world holds, and how it misbehaves.
#[derive(Default)]
pub struct World {
    /// Every effect so far.
    pub log: Vec<Effect>,
    /// The addresses and local routes bound now.
    pub bound: BTreeSet<(Binding, IpAddr)>,
    /// Binding these fails.
    pub refuse_bind: BTreeSet<IpAddr>,
    /// Starting sessions fails this many times.
    pub refuse_sessions: usize,
    /// Adding these peers fails.
    pub refuse_peers: BTreeSet<IpAddr>,
    /// Where address events go, once the daemon watches.
    pub events: Option<mpsc::Sender<AddressEvent>>,
}

/// The shared world, as the daemon's [`Effects`].
#[derive(Clone, Default)]
pub struct Fake(pub Rc<RefCell<World>>);

impl Fake {
    fn record(&self, effect: Effect) {
        self.0.borrow_mut().log.push(effect);
    }
}

impl Effects for Fake {
    type Routes = FakeSessions;

    async fn bind(&self, binding: Binding, _interface: &str, addr: IpAddr) -> NetResult<Bound> {
        let mut world = self.0.borrow_mut();
        if world.refuse_bind.contains(&addr) {
            return Err(announcer_netlink::Error::NoSuchInterface("refused".into()));
        }
        world.log.push(match binding {
            Binding::Address => Effect::Bind(addr),
            Binding::Route => Effect::Route(addr),
        });
        if world.bound.insert((binding, addr)) {
            Ok(Bound::Added)
        } else {
            Ok(Bound::AlreadyPresent)
        }
    }

    async fn unbind(&self, binding: Binding, _interface: &str, addr: IpAddr) -> NetResult<()> {
        let mut world = self.0.borrow_mut();
        world.bound.remove(&(binding, addr));
        world.log.push(match binding {
            Binding::Address => Effect::Unbind(addr),
            Binding::Route => Effect::Unroute(addr),
        });
        Ok(())
    }

    async fn bound(&self, binding: Binding, _interface: &str) -> NetResult<Vec<IpAddr>> {
        let world = self.0.borrow();
        let held = world.bound.iter().filter(|(b, _)| *b == binding);
        Ok(held.map(|(_, addr)| *addr).collect())
    }

    async fn watch(&self) -> NetResult<mpsc::Receiver<AddressEvent>> {
        let (tx, rx) = mpsc::channel(16);
        self.0.borrow_mut().events = Some(tx);
        Ok(rx)
    }

    async fn first_global_ipv4(&self) -> NetResult<Option<Ipv4Addr>> {
        Ok(Some(Ipv4Addr::new(192, 0, 2, 11)))
    }

    async fn start_routes(&self, config: SpeakerConfig) -> BgpResult<FakeSessions> {
        {
            let mut world = self.0.borrow_mut();
            if world.refuse_sessions > 0 {
                world.refuse_sessions -= 1;
                return Err(announcer_bgp::Error::UnknownPeer(config.peers[0].address));
            }
        }
        self.record(Effect::SessionsStarted {
            peers: config.peers.iter().map(|p| p.address).collect(),
            restarting: config.graceful_restart.is_some_and(|g| g.restarting),
        });
        Ok(FakeSessions {
            world: self.clone(),
            peers: config.peers,
            held: config.hold_end_of_rib,
        })
    }
}

/// The fake's sessions: every configured peer counts as Established.
pub struct FakeSessions {
    world: Fake,
    peers: Vec<PeerConfig>,
    held: bool,
}

impl Routes for FakeSessions {
    fn announce(&self, target: Target, prefix: Prefix, attrs: Arc<RouteAttributes>) -> BgpResult {
        let marks = if attrs.communities.contains(&Community::GRACEFUL_SHUTDOWN) {
            Marks::Draining
        } else if attrs.as_path_prepend > 0 {
            Marks::Degraded
        } else {
            Marks::Plain
        };
        self.world.record(Effect::Announce(target, prefix, marks));
        Ok(())
    }

    fn withdraw(&self, target: Target, prefix: Prefix) -> BgpResult {
        self.world.record(Effect::Withdraw(target, prefix));
        Ok(())
    }

    async fn sync(&self) {}

    fn reset_peer(&self, _address: IpAddr) -> BgpResult {
        Ok(())
    }

    fn add_peer(&mut self, peer: PeerConfig) -> BgpResult {
        if self.world.0.borrow().refuse_peers.contains(&peer.address) {
            return Err(announcer_bgp::Error::DuplicatePeer(peer.address));
        }
        self.world.record(Effect::PeerAdded(peer.address));
        self.peers.push(peer);
        Ok(())
    }

    async fn remove_peer(&mut self, address: IpAddr, _reason: &str) -> BgpResult {
        self.world.record(Effect::PeerRemoved(address));
        self.peers.retain(|p| p.address != address);
        Ok(())
    }

    fn end_of_rib_held(&self) -> bool {
        self.held
    }

    fn release_end_of_rib(&mut self) {
        self.held = false;
        self.world.record(Effect::EndOfRibReleased);
    }

    fn status(&self) -> Vec<PeerStatus> {
        self.peers
            .iter()
            .map(|p| PeerStatus {
                state: State::Established,
                ..PeerStatus::new(p.name.clone(), p.address, p.remote_as)
            })
            .collect()
    }

    async fn shutdown(self, reason: &str) {
        self.world.record(Effect::Shutdown(reason.to_owned()));
    }

    async fn close_for_restart(self) {
        self.world.record(Effect::ClosedForRestart);
    }
}
