//! The interop scenarios, shared by the per-router test files so the same
//! checks run against BIRD, FRR and GoBGP. Each scenario builds a [`InteropRig`],
//! drives the sender(s), and asserts on what the edge router shows; on
//! failure the error carries the router's and senders' logs.

use std::net::IpAddr;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::kernel::{next_hops, tcp_connect_attempts};
use crate::preflight::{require_built, require_host};
use crate::reference::{BirdSender, BirdSenderSetup};
use crate::routers::{EdgeRouter, Mode, PeerConfig, RibRoute, RouterKind, RouterSetup, LOCAL_AS};
use crate::sender::{Announcement, Sender};
use crate::speaker::{Speaker, SpeakerArgs};
use crate::topology::{Host, Topology, ROUTER_V4};
use crate::wait::{holds_for, wait_until, POLL};

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
    pub fn start(
        router: RouterKind,
        sender: SenderKind,
        spec: &InteropSpec,
        test: &str,
    ) -> Result<Option<InteropRig>> {
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
        router: RouterKind,
        sender: SenderKind,
        spec: &InteropSpec,
        test: &str,
        body: impl FnOnce(&mut InteropRig) -> Result<()>,
    ) -> Result<()> {
        match InteropRig::start(router, sender, spec, test)? {
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

/// The session with one speaker reaches Established in the router's view.
pub fn session_reaches_established(
    router: RouterKind,
    sender: SenderKind,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(router, sender, &InteropSpec::single(), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        lab.sender(1)?.wait_established(SESSION_TIMEOUT)
    })
}

/// An IPv4 /32 and an IPv6 /128 arrive with AS path `[65001]` (plus
/// `prepend` copies), the speaker's next hops, MED and both kinds of
/// communities.
pub fn routes_arrive_with_attributes(
    router: RouterKind,
    sender: SenderKind,
    prepend: u8,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(router, sender, &InteropSpec::single(), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.sender(1)?.announce(&decorated(prefix, prepend))?;
        }
        for prefix in [V4_ROUTE, V6_ROUTE] {
            let got = lab.wait_route(1, prefix, ROUTE_TIMEOUT)?;
            assert_route(
                got,
                expected(lab.host(1)?, SPEAKER_AS, &decorated(prefix, prepend)),
            )?;
        }
        Ok(())
    })
}

/// Withdrawing both routes removes them from the router (and, for BIRD,
/// from the kernel).
pub fn withdrawn_routes_disappear(
    router: RouterKind,
    sender: SenderKind,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(router, sender, &InteropSpec::single(), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.sender(1)?.announce(&Announcement::new(prefix))?;
        }
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.wait_route(1, prefix, ROUTE_TIMEOUT)?;
        }
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.sender(1)?.withdraw(prefix)?;
        }
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.wait_no_route(1, prefix, ROUTE_TIMEOUT)?;
            if router == RouterKind::Bird {
                let rtr = lab.topology.rtr.clone();
                wait_until(
                    &format!("kernel route {prefix} removed"),
                    ROUTE_TIMEOUT,
                    POLL,
                    || match next_hops(&rtr, prefix) {
                        Ok(hops) if hops.is_empty() => Ok(()),
                        Ok(hops) => Err(format!("next hops {hops:?}")),
                        Err(e) => Err(e.to_string()),
                    },
                )?;
            }
        }
        Ok(())
    })
}

/// Two speakers in different ASes announcing the same /32 give one
/// multipath kernel route with both next hops (BIRD with `merge paths`).
pub fn two_speakers_share_a_multipath_kernel_route(sender: SenderKind, test: &str) -> Result<()> {
    let spec = InteropSpec {
        speakers: vec![
            SpeakerSpec {
                asn: SPEAKER_AS,
                password: None,
            },
            SpeakerSpec {
                asn: SPEAKER_AS + 1,
                password: None,
            },
        ],
        router_password: None,
    };
    InteropRig::scenario(RouterKind::Bird, sender, &spec, test, |lab| {
        for (n, asn) in [(1, SPEAKER_AS), (2, SPEAKER_AS + 1)] {
            lab.wait_established(n, SESSION_TIMEOUT)?;
            narrate(&format!("speaker {n} (AS {asn}) Established with BIRD"));
            lab.sender(n)?.announce(&Announcement::new(V4_ROUTE))?;
        }
        for n in [1, 2] {
            let route = lab.wait_route(n, V4_ROUTE, ROUTE_TIMEOUT)?;
            narrate(&format!("BIRD has {V4_ROUTE} from speaker {n}: {route:?}"));
        }
        let both = vec![lab.host(1)?.peer_address(), lab.host(2)?.peer_address()];
        wait_kernel_next_hops(lab, &both)?;
        narrate(&format!(
            "kernel route in the router namespace:\n{}",
            kernel_route(lab)?
        ));
        lab.sender(2)?.withdraw(V4_ROUTE)?;
        wait_kernel_next_hops(lab, &[lab.host(1)?.peer_address()])?;
        narrate(&format!(
            "after speaker 2 withdrew:\n{}",
            kernel_route(lab)?
        ));
        Ok(())
    })
}

/// Waits until the kernel route for [`V4_ROUTE`] in the router namespace has
/// exactly `want` as next hops.
fn wait_kernel_next_hops(lab: &InteropRig, want: &[IpAddr]) -> Result<()> {
    let what = format!("kernel route {V4_ROUTE} via {want:?}");
    wait_until(&what, ROUTE_TIMEOUT, POLL, || {
        match next_hops(&lab.topology.rtr, V4_ROUTE) {
            Ok(hops) if hops == want => Ok(()),
            Ok(hops) => Err(format!("next hops {hops:?}")),
            Err(e) => Err(e.to_string()),
        }
    })
}

/// `ip route show exact V4_ROUTE` in the router namespace, as text.
fn kernel_route(lab: &InteropRig) -> Result<String> {
    lab.topology.rtr.ip(&["route", "show", "exact", V4_ROUTE])
}

/// Prints a progress line (shown with `--nocapture`, as `scripts/demo` does).
fn narrate(text: &str) {
    eprintln!("[lab] {text}");
}

/// The lab with the router expecting `router_password` and the speaker using
/// `speaker_password`.
fn md5_spec(router_password: &str, speaker_password: &str) -> InteropSpec {
    InteropSpec {
        speakers: vec![SpeakerSpec {
            asn: SPEAKER_AS,
            password: Some(speaker_password.to_owned()),
        }],
        router_password: Some(router_password.to_owned()),
    }
}

/// With the right TCP MD5 password the session comes up, and the kernel
/// shows the socket signed.
pub fn md5_session_with_the_right_password(
    router: RouterKind,
    sender: SenderKind,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(
        router,
        sender,
        &md5_spec("lab-secret", "lab-secret"),
        test,
        |lab| {
            lab.wait_established(1, SESSION_TIMEOUT)?;
            let sockets = lab.topology.rtr.exec(
                "ss",
                &[
                    "-tni",
                    "state",
                    "established",
                    "( sport = :179 or dport = :179 )",
                ],
            )?;
            if !sockets.contains("md5") {
                return Err(Error::Check(format!(
                    "ss -tni shows no md5 on the BGP socket:\n{sockets}"
                )));
            }
            Ok(())
        },
    )
}

/// With a wrong TCP MD5 password the session stays down.
pub fn md5_session_with_a_wrong_password_stays_down(
    router: RouterKind,
    sender: SenderKind,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(
        router,
        sender,
        &md5_spec("lab-secret", "wrong-secret"),
        test,
        |lab| {
            let peer = lab.host(1)?.peer_address();
            holds_for(
                "the session to stay down",
                WRONG_PASSWORD_PERIOD,
                POLL,
                || match lab.router.session_established(peer) {
                    Ok(false) => Ok(()),
                    Ok(true) => Err("the router shows it Established".to_owned()),
                    Err(e) => Err(e.to_string()),
                },
            )
        },
    )
}

/// Stopping the router drops the session; while it is down the sender
/// retries (at least once in `BACKOFF_WINDOW` (5 s), and our speaker with
/// backoff: at most `MAX_ATTEMPTS_IN_WINDOW` (6) times, counted by the speaker
/// namespace's TCP `ActiveOpens`; BIRD standing in retries about once a
/// second and is not held to that bound); when the router returns, the
/// sender reconnects and re-announces its routes.
pub fn routes_return_after_router_restart(
    router: RouterKind,
    sender: SenderKind,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(router, sender, &InteropSpec::single(), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.sender(1)?.announce(&decorated(prefix, 0))?;
        }
        lab.wait_route(1, V4_ROUTE, ROUTE_TIMEOUT)?;
        lab.router.stop()?;
        lab.sender(1)?.wait_down(ROUTE_TIMEOUT)?;
        let speaker_ns = lab.host(1)?.ns.clone();
        let before = tcp_connect_attempts(&speaker_ns)?;
        let bound = match sender {
            SenderKind::Speaker(_) => Some(MAX_ATTEMPTS_IN_WINDOW),
            SenderKind::ReferenceBird => None,
        };
        let mut attempts = 0;
        holds_for("reconnects with backoff", BACKOFF_WINDOW, POLL, || {
            attempts = tcp_connect_attempts(&speaker_ns)
                .map_err(|e| e.to_string())?
                .saturating_sub(before);
            if bound.is_some_and(|max| attempts > max) {
                Err(format!("{attempts} connection attempts already"))
            } else {
                Ok(())
            }
        })?;
        if attempts == 0 {
            return Err(Error::Check(format!(
                "no reconnect attempt within {BACKOFF_WINDOW:?}"
            )));
        }
        narrate(&format!(
            "{attempts} reconnect attempts in {BACKOFF_WINDOW:?} while the router was down"
        ));
        lab.router.start_again()?;
        lab.wait_established(1, RETURN_TIMEOUT)?;
        for prefix in [V4_ROUTE, V6_ROUTE] {
            let got = lab.wait_route(1, prefix, RETURN_TIMEOUT)?;
            assert_route(
                got,
                expected(lab.host(1)?, SPEAKER_AS, &decorated(prefix, 0)),
            )?;
        }
        Ok(())
    })
}

/// A clean shutdown shows at the router as Cease / Administrative Shutdown
/// with our reason text, and the routes go.
pub fn clean_shutdown_shows_the_reason(
    router: RouterKind,
    sender: SenderKind,
    test: &str,
) -> Result<()> {
    InteropRig::scenario(router, sender, &InteropSpec::single(), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        lab.sender(1)?.announce(&Announcement::new(V4_ROUTE))?;
        lab.wait_route(1, V4_ROUTE, ROUTE_TIMEOUT)?;
        lab.sender(1)?.shutdown(SHUTDOWN_REASON)?;
        let peer = lab.host(1)?.peer_address();
        let what = format!(
            "{} to show Administrative Shutdown with {SHUTDOWN_REASON:?}",
            lab.router.kind()
        );
        wait_until(&what, ROUTE_TIMEOUT, POLL, || {
            match lab.router.last_error(peer) {
                Ok(Some(text))
                    if text.contains(SHUTDOWN_REASON)
                        && text.to_lowercase().contains("administrative shutdown") =>
                {
                    Ok(())
                }
                Ok(other) => Err(format!("{other:?}")),
                Err(e) => Err(e.to_string()),
            }
        })?;
        lab.wait_no_route(1, V4_ROUTE, ROUTE_TIMEOUT)
    })
}
