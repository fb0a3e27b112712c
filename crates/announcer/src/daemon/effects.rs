//! The seam between the daemon's decisions and the world they change: addresses on
//! interfaces (netlink) and routes told to the peers (the BGP speaker). `announcer run` uses
//! [`Vips`] and [`Speaker`]; the daemon's unit tests use a fake that records every effect
//! in order, so that event handling, drains, maintenance and reloads run without root,
//! sockets or a real clock.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use announcer_bgp::{
    PeerConfig, PeerStatus, Prefix, RouteAttributes, Speaker, SpeakerConfig, Target,
};
use announcer_netlink::{AddressEvent, Binding, Bound, Vips};
use tokio::sync::mpsc;

/// What a change to (or a look at) the host's addresses gives.
pub type NetResult<T> = Result<T, announcer_netlink::Error>;

/// What a request to the BGP sessions gives.
pub type BgpResult<T = ()> = Result<T, announcer_bgp::Error>;

/// The outcome of binding each address of a batch.
pub type BindOutcomes = Vec<(IpAddr, NetResult<Bound>)>;

/// Addresses on the host's interfaces, and a way to start the routes' speaker.
pub trait Effects {
    /// The running speaker this starts.
    type Routes: Routes;

    /// Puts `addr` on `interface` as `binding` (an address, or a `local` route).
    async fn bind(&self, binding: Binding, interface: &str, addr: IpAddr) -> NetResult<Bound>;

    /// Puts each of `addrs` on `interface` as `binding`; the outcome of each, or why the
    /// batch failed. By default one [`bind`](Self::bind) after the other.
    async fn bind_all(
        &self,
        binding: Binding,
        interface: &str,
        addrs: &[IpAddr],
    ) -> NetResult<BindOutcomes> {
        let mut outcomes = Vec::new();
        for addr in addrs {
            outcomes.push((*addr, self.bind(binding, interface, *addr).await));
        }
        Ok(outcomes)
    }

    /// Takes `addr` off `interface` (its address, or its `local` route).
    async fn unbind(&self, binding: Binding, interface: &str, addr: IpAddr) -> NetResult<()>;

    /// The addresses on `interface` now, or those with a `local` route through it.
    async fn bound(&self, binding: Binding, interface: &str) -> NetResult<Vec<IpAddr>>;

    /// Address changes from now on.
    async fn watch(&self) -> NetResult<mpsc::Receiver<AddressEvent>>;

    /// The host's first global IPv4 address (the default router id).
    async fn first_global_ipv4(&self) -> NetResult<Option<Ipv4Addr>>;

    /// Starts the sessions of `config`.
    async fn start_routes(&self, config: SpeakerConfig) -> BgpResult<Self::Routes>;
}

/// The running BGP sessions: what the daemon tells them and asks of them.
pub trait Routes {
    /// Wants `prefix` announced with `attrs` to `target`.
    fn announce(&self, target: Target, prefix: Prefix, attrs: Arc<RouteAttributes>) -> BgpResult;

    /// Wants `prefix` withdrawn from `target`.
    fn withdraw(&self, target: Target, prefix: Prefix) -> BgpResult;

    /// Returns once every session has queued the changes asked of it before.
    async fn sync(&self);

    /// Resets the session with `address` (its BFD session went down).
    fn reset_peer(&self, address: IpAddr) -> BgpResult;

    /// Starts a session.
    fn add_peer(&mut self, peer: PeerConfig) -> BgpResult;

    /// Ends the session with `address`, telling the peer `reason`.
    async fn remove_peer(&mut self, address: IpAddr, reason: &str) -> BgpResult;

    /// Whether End-of-RIB is still held (the first table is not yet decided).
    fn end_of_rib_held(&self) -> bool;

    /// The first table is decided: End-of-RIB follows the routes sent.
    fn release_end_of_rib(&mut self);

    /// Every session's status.
    fn status(&self) -> Vec<PeerStatus>;

    /// Withdraws everything and closes every session with `reason`.
    async fn shutdown(self, reason: &str);

    /// Closes every session keeping the routes at the peers (graceful restart).
    async fn close_for_restart(self);
}

impl Effects for Vips {
    type Routes = Speaker;

    async fn bind(&self, binding: Binding, interface: &str, addr: IpAddr) -> NetResult<Bound> {
        Vips::bind(self, binding, interface, addr).await
    }

    async fn bind_all(&self, how: Binding, on: &str, addrs: &[IpAddr]) -> NetResult<BindOutcomes> {
        Vips::bind_all(self, how, on, addrs).await
    }

    async fn unbind(&self, binding: Binding, interface: &str, addr: IpAddr) -> NetResult<()> {
        Vips::unbind(self, binding, interface, addr).await
    }

    async fn bound(&self, binding: Binding, interface: &str) -> NetResult<Vec<IpAddr>> {
        Vips::bound(self, binding, interface).await
    }

    async fn watch(&self) -> NetResult<mpsc::Receiver<AddressEvent>> {
        Vips::watch(self).await
    }

    async fn first_global_ipv4(&self) -> NetResult<Option<Ipv4Addr>> {
        Vips::first_global_ipv4(self).await
    }

    async fn start_routes(&self, config: SpeakerConfig) -> BgpResult<Speaker> {
        Speaker::start(config).await
    }
}

impl Routes for Speaker {
    fn announce(&self, target: Target, prefix: Prefix, attrs: Arc<RouteAttributes>) -> BgpResult {
        Speaker::announce(self, target, prefix, attrs)
    }

    fn withdraw(&self, target: Target, prefix: Prefix) -> BgpResult {
        Speaker::withdraw(self, target, prefix)
    }

    async fn sync(&self) {
        Speaker::sync(self).await;
    }

    fn reset_peer(&self, address: IpAddr) -> BgpResult {
        Speaker::reset_peer(self, address)
    }

    fn add_peer(&mut self, peer: PeerConfig) -> BgpResult {
        Speaker::add_peer(self, peer)
    }

    async fn remove_peer(&mut self, address: IpAddr, reason: &str) -> BgpResult {
        Speaker::remove_peer(self, address, reason).await
    }

    fn end_of_rib_held(&self) -> bool {
        Speaker::end_of_rib_held(self)
    }

    fn release_end_of_rib(&mut self) {
        Speaker::release_end_of_rib(self);
    }

    fn status(&self) -> Vec<PeerStatus> {
        Speaker::status(self)
    }

    async fn shutdown(self, reason: &str) {
        Speaker::shutdown(self, reason).await;
    }

    async fn close_for_restart(self) {
        Speaker::close_for_restart(self).await;
    }
}
