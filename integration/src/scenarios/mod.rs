//! The interop scenarios, shared by the per-router test files so the same
//! checks run against BIRD, FRR and GoBGP. Each scenario builds a [`InteropRig`],
//! drives the sender(s), and asserts on what the edge router shows; on
//! failure the error carries the router's and senders' logs.
//!
//! [`rig`] builds the [`InteropRig`]; the scenarios are grouped by what they look at:
//! [`routes`] (session, attributes, withdrawals, a router restart, a clean shutdown),
//! [`multipath`] (two speakers, one kernel route) and [`md5`] (TCP MD5).

mod md5;
mod multipath;
mod rig;
mod routes;

pub use md5::{md5_session_with_a_wrong_password_stays_down, md5_session_with_the_right_password};
pub use multipath::two_speakers_share_a_multipath_kernel_route;
pub use rig::InteropRig;
pub use routes::{
    clean_shutdown_shows_the_reason, routes_arrive_with_attributes,
    routes_return_after_router_restart, session_reaches_established, withdrawn_routes_disappear,
};

use std::net::IpAddr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::routers::{RibRoute, RouterKind};
use crate::sender::Announcement;
use crate::topology::Host;

/// The speakers' AS (the second speaker of a two-speaker lab uses the next).
pub const SPEAKER_AS: u32 = 65001;
/// The IPv4 host route the scenarios announce.
pub const V4_ROUTE: &str = "203.0.113.10/32";
/// The IPv6 host route the scenarios announce.
pub const V6_ROUTE: &str = "2001:db8:100::10/128";
/// The reason text of the clean-shutdown scenario.
pub const SHUTDOWN_REASON: &str = "maintenance window 42";

/// Session establishment bound (GoBGP and FRR take a few seconds).
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);
/// Announce/withdraw to router RIB bound.
const ROUTE_TIMEOUT: Duration = Duration::from_secs(20);
/// Router back up to routes re-announced bound (reconnect backoff included).
const RETURN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long the speaker's reconnect attempts are counted while the router is down.
const BACKOFF_WINDOW: Duration = Duration::from_secs(5);
/// At most this many attempts in [`BACKOFF_WINDOW`] (a fixed 0.5 s retry would make 10).
const MAX_ATTEMPTS_IN_WINDOW: u64 = 6;
/// How long a session with a wrong MD5 password must stay down.
const WRONG_PASSWORD_PERIOD: Duration = Duration::from_secs(5);

/// What announces routes in a lab.
#[derive(Debug, Clone, Copy)]
pub enum SenderKind {
    /// Our `bgp-speaker`: [`crate::preflight::BGP_SPEAKER`] (found by
    /// [`require_built`]) or a path.
    Speaker(&'static str),
    /// BIRD standing in for the speaker, to check the lab itself.
    ReferenceBird,
}

/// What an interop scenario puts together: the edge router and what announces routes to
/// it. A test file names one and hands it to each scenario.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// The edge router.
    pub router: RouterKind,
    /// What announces to it.
    pub sender: SenderKind,
}

impl Pair {
    /// `sender` announcing to `router`.
    pub const fn new(router: RouterKind, sender: SenderKind) -> Self {
        Pair { router, sender }
    }
}

/// One speaker of a lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpeakerSpec {
    /// Its AS.
    pub asn: u32,
    /// The MD5 password it uses.
    pub password: Option<String>,
}

/// A lab's speakers and the router's MD5 password for all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteropSpec {
    /// Speaker 1, 2, ...
    pub speakers: Vec<SpeakerSpec>,
    /// The password the router expects.
    pub router_password: Option<String>,
}

impl InteropSpec {
    /// One speaker in [`SPEAKER_AS`], no passwords.
    pub fn single() -> Self {
        InteropSpec {
            speakers: vec![SpeakerSpec {
                asn: SPEAKER_AS,
                password: None,
            }],
            router_password: None,
        }
    }
}

/// The announcement the attribute scenarios send.
pub fn decorated(prefix: &str, prepend: u8) -> Announcement {
    Announcement {
        prefix: prefix.to_owned(),
        med: Some(42),
        communities: vec![(65000, 100), (65000, 200)],
        large_communities: vec![(65000, 1, 2), (65000, 3, 4)],
        prepend,
    }
}

/// What the router should show for `route` sent by `host` in `asn`.
pub fn expected(host: &Host, asn: u32, route: &Announcement) -> RibRoute {
    let next_hop = if route.prefix.contains(':') {
        IpAddr::V6(host.v6)
    } else {
        IpAddr::V4(host.v4)
    };
    RibRoute {
        prefix: route.prefix.clone(),
        as_path: vec![asn; 1 + usize::from(route.prepend)],
        next_hop,
        med: route.med,
        communities: route.communities.clone(),
        large_communities: route.large_communities.clone(),
        from: host.peer_address(),
    }
}

/// Communities in a canonical order, so routers that sort them compare equal.
fn normalized(mut route: RibRoute) -> RibRoute {
    route.communities.sort_unstable();
    route.large_communities.sort_unstable();
    route
}

/// Fails unless `got` equals `want` (communities compared as sets).
fn assert_route(got: RibRoute, want: RibRoute) -> Result<()> {
    let (got, want) = (normalized(got), normalized(want));
    if got == want {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "route differs:\n  router shows {got:?}\n  expected     {want:?}"
        )))
    }
}

/// Prints a progress line (shown with `--nocapture`, as `scripts/demo` does).
fn narrate(text: &str) {
    eprintln!("[lab] {text}");
}
