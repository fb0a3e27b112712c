//! The interop rig: the edge router, the speaker namespaces and a sender in each, built
//! for one scenario and torn down after it.

use std::net::IpAddr;
use std::time::Duration;

use super::{InteropSpec, Pair, SenderKind};
use crate::error::{Error, Result};
use crate::preflight::{require_built, require_host};
use crate::reference::{BirdSender, BirdSenderSetup};
use crate::routers::{EdgeRouter, Mode, PeerConfig, RibRoute, RouterKind, RouterSetup, LOCAL_AS};
use crate::sender::Sender;
use crate::speaker::{Speaker, SpeakerArgs};
use crate::topology::{Host, Topology, ROUTER_V4};
use crate::wait::{wait_until, POLL};

/// A running lab: senders, the edge router and the topology, dropped in
/// that order (processes first, namespaces and directory last).
pub struct InteropRig {
    /// One sender per speaker namespace.
    pub senders: Vec<Box<dyn Sender>>,
    /// The edge router.
    pub router: Box<dyn EdgeRouter>,
    /// Namespaces and directory.
    pub topology: Topology,
}

impl InteropRig {
    /// Builds the lab, or `None` (after a skip line) when it cannot run here.
    pub fn start(pair: Pair, spec: &InteropSpec, test: &str) -> Result<Option<InteropRig>> {
        let Pair { router, sender } = pair;
        if !require_host(router, test)? {
            return Ok(None);
        }
        // The speaker binary, or None for the BIRD stand-in.
        let binary = match sender {
            SenderKind::Speaker(binary) => Some(require_built(binary, test)?),
            SenderKind::ReferenceBird => {
                if !require_host(RouterKind::Bird, test)? {
                    return Ok(None);
                }
                None
            }
        };
        let topology = Topology::new(spec.speakers.len())?;
        // GoBGP's own outbound connect is slow (LAB-NOTES): let the speaker connect.
        let mode = if router == RouterKind::Gobgp {
            Mode::Passive
        } else {
            Mode::Active
        };
        let peers = topology
            .speakers
            .iter()
            .zip(&spec.speakers)
            .map(|(host, speaker)| PeerConfig {
                address: host.peer_address(),
                remote_as: speaker.asn,
                password: spec.router_password.clone(),
                mode,
            })
            .collect();
        let setup = RouterSetup {
            ns: topology.rtr.clone(),
            dir: topology.subdir("router")?,
            peers,
        };
        let edge = router.start(setup)?;
        let mut senders: Vec<Box<dyn Sender>> = Vec::new();
        for (index, (host, speaker)) in topology.speakers.iter().zip(&spec.speakers).enumerate() {
            let dir = topology.subdir(&format!("speaker{}", index + 1))?;
            senders.push(match &binary {
                Some(binary) => {
                    let mut args = SpeakerArgs::new(
                        speaker.asn,
                        host.v4,
                        host.v6,
                        IpAddr::V4(ROUTER_V4),
                        LOCAL_AS,
                    );
                    args.password = speaker.password.clone();
                    Box::new(Speaker::spawn(
                        binary,
                        &host.ns,
                        &dir,
                        "bgp-speaker",
                        &args,
                    )?)
                }
                None => Box::new(BirdSender::start(
                    host.ns.clone(),
                    BirdSenderSetup {
                        local_as: speaker.asn,
                        v4: host.v4,
                        v6: host.v6,
                        router: IpAddr::V4(ROUTER_V4),
                        router_as: LOCAL_AS,
                        password: speaker.password.clone(),
                        dir,
                    },
                )?),
            });
        }
        Ok(Some(InteropRig {
            senders,
            router: edge,
            topology,
        }))
    }

    /// Runs `body`; a failure gets the router's and senders' logs attached.
    pub fn run(mut self, body: impl FnOnce(&mut InteropRig) -> Result<()>) -> Result<()> {
        body(&mut self).map_err(|error| {
            let mut text = format!(
                "{error}\n===== {} logs =====\n{}",
                self.router.kind(),
                self.router.logs()
            );
            for (index, sender) in self.senders.iter().enumerate() {
                text.push_str(&format!(
                    "\n===== sender {} logs =====\n{}",
                    index + 1,
                    sender.logs()
                ));
            }
            Error::Check(text)
        })
    }

    /// Starts a lab (or skips, see [`InteropRig::start`]) and runs `body` in it.
    pub fn scenario(
        pair: Pair,
        spec: &InteropSpec,
        test: &str,
        body: impl FnOnce(&mut InteropRig) -> Result<()>,
    ) -> Result<()> {
        match InteropRig::start(pair, spec, test)? {
            Some(lab) => lab.run(body),
            None => Ok(()),
        }
    }

    /// Speaker `n`'s host (1-based).
    pub fn host(&self, n: usize) -> Result<&Host> {
        self.topology.speaker(n)
    }

    /// Sender `n` (1-based).
    pub fn sender(&mut self, n: usize) -> Result<&mut Box<dyn Sender>> {
        let count = self.senders.len();
        n.checked_sub(1)
            .and_then(|i| self.senders.get_mut(i))
            .ok_or_else(|| Error::Check(format!("no sender {n} in a lab of {count}")))
    }

    /// Waits until the router shows the session with speaker `n` Established.
    pub fn wait_established(&self, n: usize, timeout: Duration) -> Result<()> {
        let peer = self.host(n)?.peer_address();
        let what = format!(
            "{} to show the session with {peer} Established",
            self.router.kind()
        );
        wait_until(&what, timeout, POLL, || {
            match self.router.session_established(peer) {
                Ok(true) => Ok(()),
                Ok(false) => Err("not established".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    /// The routes for `prefix` the router learned from speaker `n`.
    pub fn routes_from(&self, n: usize, prefix: &str) -> Result<Vec<RibRoute>> {
        let peer = self.host(n)?.peer_address();
        Ok(self
            .router
            .routes()?
            .into_iter()
            .filter(|r| r.prefix == prefix && r.from == peer)
            .collect())
    }

    /// Waits until the router has exactly one route for `prefix` from
    /// speaker `n`, and returns it.
    pub fn wait_route(&self, n: usize, prefix: &str, timeout: Duration) -> Result<RibRoute> {
        let what = format!("{} to have {prefix} from speaker {n}", self.router.kind());
        wait_until(&what, timeout, POLL, || match self.routes_from(n, prefix) {
            Ok(routes) => match routes.as_slice() {
                [route] => Ok(route.clone()),
                _ => Err(format!("{routes:?}")),
            },
            Err(e) => Err(e.to_string()),
        })
    }

    /// Waits until the router has no route for `prefix` from speaker `n`.
    pub fn wait_no_route(&self, n: usize, prefix: &str, timeout: Duration) -> Result<()> {
        let what = format!("{} to drop {prefix} from speaker {n}", self.router.kind());
        wait_until(&what, timeout, POLL, || match self.routes_from(n, prefix) {
            Ok(routes) if routes.is_empty() => Ok(()),
            Ok(routes) => Err(format!("{routes:?}")),
            Err(e) => Err(e.to_string()),
        })
    }
}
