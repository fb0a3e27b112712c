//! Real routers as the edge router of the lab, behind one trait.
//!
//! Every router gets the same generated configuration: local AS
//! [`LOCAL_AS`], router id [`ROUTER_ID`], IPv4 and IPv6 unicast on each
//! (IPv4) peer, import everything, export nothing to the speakers. Each
//! implementation normalises what the router shows into [`RibRoute`]s.

pub mod bfd;
pub mod bird;
pub mod frr;
pub mod frr_json;
pub mod gobgp;
pub mod gobgp_json;

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::process::ChildGuard;
use bfd::{BfdSession, BfdTimers};

/// The edge router's AS.
pub const LOCAL_AS: u32 = 65000;
/// The edge router's BGP identifier (also its IPv4 address in the lab).
pub const ROUTER_ID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// Which side opens the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The router connects to the speaker (and also accepts).
    Active,
    /// The router only waits for the speaker to connect.
    Passive,
}

/// One BGP neighbor of the edge router.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// The speaker's address.
    pub address: IpAddr,
    /// The speaker's AS.
    pub remote_as: u32,
    /// TCP MD5 password (RFC 2385), if any.
    pub password: Option<String>,
    /// Who connects.
    pub mode: Mode,
}

impl PeerConfig {
    /// An active, password-less neighbor.
    pub fn new(address: IpAddr, remote_as: u32) -> Self {
        PeerConfig {
            address,
            remote_as,
            password: None,
            mode: Mode::Active,
        }
    }
}

/// Where and how to run an edge router.
#[derive(Debug, Clone)]
pub struct RouterSetup {
    /// The namespace the router runs in.
    pub ns: Arc<Netns>,
    /// A private directory for its configs, sockets, pid files and logs.
    pub dir: PathBuf,
    /// Its neighbors.
    pub peers: Vec<PeerConfig>,
}

/// A route as the edge router shows it, normalised across routers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RibRoute {
    /// The prefix, e.g. `203.0.113.10/32`.
    pub prefix: String,
    /// The AS path, nearest AS first.
    pub as_path: Vec<u32>,
    /// The BGP next hop.
    pub next_hop: IpAddr,
    /// MULTI_EXIT_DISC, if present.
    pub med: Option<u32>,
    /// Standard communities as (AS, value), in the order shown.
    pub communities: Vec<(u16, u16)>,
    /// Large communities as (global, local1, local2), in the order shown.
    pub large_communities: Vec<(u32, u32, u32)>,
    /// The neighbor the route was learned from.
    pub from: IpAddr,
}

/// Counts of what a router received from one neighbor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceivedUpdates {
    /// Routes announced (new or changed).
    pub announced: u64,
    /// Routes withdrawn.
    pub withdrawn: u64,
}

/// The routers the lab can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouterKind {
    /// BIRD 2.
    Bird,
    /// FRR (zebra + bgpd).
    Frr,
    /// GoBGP (gobgpd).
    Gobgp,
}

impl RouterKind {
    /// The binaries this router needs.
    pub fn binaries(self) -> &'static [&'static str] {
        match self {
            RouterKind::Bird => &["bird", "birdc"],
            RouterKind::Frr => &[
                "/usr/lib/frr/zebra",
                "/usr/lib/frr/bgpd",
                "/usr/lib/frr/bfdd",
                "vtysh",
            ],
            RouterKind::Gobgp => &["gobgpd", "gobgp"],
        }
    }

    /// Starts this router with `setup`.
    pub fn start(self, setup: RouterSetup) -> Result<Box<dyn EdgeRouter>> {
        Ok(match self {
            RouterKind::Bird => Box::new(bird::Bird::start(setup)?),
            RouterKind::Frr => Box::new(frr::Frr::start(setup)?),
            RouterKind::Gobgp => Box::new(gobgp::Gobgp::start(setup)?),
        })
    }

    /// Starts this router with `setup` and, when `bfd` is set, BFD with
    /// every neighbor at those timers (BIRD and FRR only).
    pub fn start_with_bfd(
        self,
        setup: RouterSetup,
        bfd: Option<BfdTimers>,
    ) -> Result<Box<dyn EdgeRouter>> {
        let Some(timers) = bfd else {
            return self.start(setup);
        };
        Ok(match self {
            RouterKind::Bird => Box::new(bird::Bird::start_with_bfd(
                setup,
                bird::BirdOptions::default(),
                Some(timers),
            )?),
            RouterKind::Frr => Box::new(frr::Frr::start_with(setup, Some(timers))?),
            RouterKind::Gobgp => {
                return Err(Error::Check("the lab runs no BFD with GoBGP".to_owned()))
            }
        })
    }
}

impl std::fmt::Display for RouterKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            RouterKind::Bird => "BIRD",
            RouterKind::Frr => "FRR",
            RouterKind::Gobgp => "GoBGP",
        })
    }
}

/// An edge router running in a namespace. Dropping it stops its processes.
pub trait EdgeRouter {
    /// Which router this is.
    fn kind(&self) -> RouterKind;
    /// Stops the router's processes (the sessions drop).
    fn stop(&mut self) -> Result<()>;
    /// Starts it again with the same configuration after [`EdgeRouter::stop`].
    fn start_again(&mut self) -> Result<()>;
    /// Stops and starts the router with the same configuration.
    fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.start_again()
    }
    /// Kills the router's processes at once (SIGKILL by PID), like a crash:
    /// no NOTIFICATION is sent and routes it installed stay in the kernel.
    /// [`EdgeRouter::start_again`] starts it again.
    fn kill(&mut self) -> Result<()> {
        Err(Error::Check(format!(
            "{} cannot be killed like a crash by the lab",
            self.kind()
        )))
    }
    /// How many route announcements and withdrawals the router has received
    /// from `peer` on its current session (BIRD: `Import updates` and `Import
    /// withdraws` of `show protocols all`, summed over the channels).
    fn received_updates(&self, peer: IpAddr) -> Result<ReceivedUpdates> {
        Err(Error::Check(format!(
            "{} cannot count the updates received from {peer}",
            self.kind()
        )))
    }
    /// Every route the router learned from its neighbors (IPv4 and IPv6).
    fn routes(&self) -> Result<Vec<RibRoute>>;
    /// Whether the session with `peer` is Established, in the router's view.
    fn session_established(&self, peer: IpAddr) -> Result<bool>;
    /// A mark of the current Established session with `peer` that changes
    /// whenever the session is reset (BIRD: its `show protocols` line with
    /// the time of the last state change; FRR: the count of established
    /// connections); `None` while not Established. [`same_session`] compares two
    /// marks: whether the session survived in between.
    fn session_mark(&self, peer: IpAddr) -> Result<Option<String>> {
        Err(Error::Check(format!(
            "{} cannot tell whether the session with {peer} was reset",
            self.kind()
        )))
    }
    /// The router's BFD session with `peer`, if it has one.
    fn bfd_session(&self, peer: IpAddr) -> Result<Option<BfdSession>> {
        Err(Error::Check(format!(
            "{} runs no BFD session with {peer} in the lab",
            self.kind()
        )))
    }
    /// Why the router last took the session with `peer` down, in its words
    /// (BIRD: `Last error` of `show protocols all`; FRR: `lastResetDueTo`),
    /// e.g. "BFD session down" or a received Administrative Shutdown.
    fn session_down_reason(&self, peer: IpAddr) -> Result<Option<String>> {
        Err(Error::Check(format!(
            "{} cannot tell why the session with {peer} went down",
            self.kind()
        )))
    }
    /// The router's text for the last NOTIFICATION it received from `peer`
    /// (e.g. "Administrative shutdown: maintenance window 42").
    fn last_error(&self, peer: IpAddr) -> Result<Option<String>>;
    /// The router's logs, for failure messages.
    fn logs(&self) -> String;
}

/// Stops a router that runs as one process, if it runs: SIGTERM, then SIGKILL after 5 s.
fn stop_process(process: &mut Option<ChildGuard>) -> Result<()> {
    if let Some(mut process) = process.take() {
        process.stop(std::time::Duration::from_secs(5))?;
    }
    Ok(())
}

/// What the routers' parsers share in their tests.
/// Whether two [`EdgeRouter::session_mark`]s are of one session that stayed Established:
/// both set, and equal word by word, except that a time of day (BIRD's `Since`) may move by
/// up to [`bfd::SINCE_JITTER`], as BIRD prints it from a clock that moves between reads.
pub fn same_session(before: Option<&str>, after: Option<&str>) -> bool {
    let (Some(before), Some(after)) = (before, after) else {
        return false;
    };
    let (mut old, mut new) = (before.split_whitespace(), after.split_whitespace());
    loop {
        match (old.next(), new.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a == b || bfd::close_times(a, b) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod fixtures {
    use super::RibRoute;

    /// The IPv6 route the captured router outputs hold: 2001:db8:100::10/128 from
    /// 192.0.2.11 (AS 65001, prepended once) with MED 7 and both kinds of communities.
    pub(super) fn captured_v6_route() -> RibRoute {
        RibRoute {
            prefix: "2001:db8:100::10/128".into(),
            as_path: vec![65001, 65001],
            next_hop: "2001:db8::11".parse().unwrap(),
            med: Some(7),
            communities: vec![(65000, 100), (65000, 200)],
            large_communities: vec![(65000, 1, 2), (65000, 3, 4)],
            from: "192.0.2.11".parse().unwrap(),
        }
    }
}
