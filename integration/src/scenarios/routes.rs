//! One speaker against the router: the session, the routes' attributes, withdrawals,
//! a router restart and a clean shutdown.

use super::{
    assert_route, decorated, expected, narrate, InteropRig, InteropSpec, Pair, SenderKind,
    BACKOFF_WINDOW, MAX_ATTEMPTS_IN_WINDOW, RETURN_TIMEOUT, ROUTE_TIMEOUT, SESSION_TIMEOUT,
    SHUTDOWN_REASON, SPEAKER_AS, V4_ROUTE, V6_ROUTE,
};
use crate::error::{Error, Result};
use crate::kernel::{expect_next_hops, tcp_connect_attempts};
use crate::routers::RouterKind;
use crate::sender::Announcement;
use crate::wait::{holds_for, wait_until, POLL};

/// The session with one speaker reaches Established in the router's view.
pub fn session_reaches_established(pair: Pair, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &InteropSpec::single(), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        lab.sender(1)?.wait_established(SESSION_TIMEOUT)
    })
}

/// An IPv4 /32 and an IPv6 /128 arrive with AS path `[65001]` (plus
/// `prepend` copies), the speaker's next hops, MED and both kinds of
/// communities.
pub fn routes_arrive_with_attributes(pair: Pair, prepend: u8, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &InteropSpec::single(), test, |lab| {
        established_announcing(lab, |prefix| decorated(prefix, prepend))?;
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
pub fn withdrawn_routes_disappear(pair: Pair, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &InteropSpec::single(), test, |lab| {
        established_announcing(lab, Announcement::new)?;
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.wait_route(1, prefix, ROUTE_TIMEOUT)?;
        }
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.sender(1)?.withdraw(prefix)?;
        }
        for prefix in [V4_ROUTE, V6_ROUTE] {
            lab.wait_no_route(1, prefix, ROUTE_TIMEOUT)?;
            if pair.router == RouterKind::Bird {
                let rtr = lab.topology.rtr.clone();
                wait_until(
                    &format!("kernel route {prefix} removed"),
                    ROUTE_TIMEOUT,
                    POLL,
                    || expect_next_hops(&rtr, prefix, &[]),
                )?;
            }
        }
        Ok(())
    })
}

/// Stopping the router drops the session; while it is down the sender
/// retries (at least once in `BACKOFF_WINDOW` (5 s), and our speaker with
/// backoff: at most `MAX_ATTEMPTS_IN_WINDOW` (6) times, counted by the speaker
/// namespace's TCP `ActiveOpens`; BIRD standing in retries about once a
/// second and is not held to that bound); when the router returns, the
/// sender reconnects and re-announces its routes.
pub fn routes_return_after_router_restart(pair: Pair, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &InteropSpec::single(), test, |lab| {
        established_announcing(lab, |prefix| decorated(prefix, 0))?;
        lab.wait_route(1, V4_ROUTE, ROUTE_TIMEOUT)?;
        lab.router.stop()?;
        lab.sender(1)?.wait_down(ROUTE_TIMEOUT)?;
        let speaker_ns = lab.host(1)?.ns.clone();
        let before = tcp_connect_attempts(&speaker_ns)?;
        let bound = match pair.sender {
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
pub fn clean_shutdown_shows_the_reason(pair: Pair, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &InteropSpec::single(), test, |lab| {
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

/// Waits until speaker 1's session is Established, then has it announce
/// `announcement(prefix)` for [`V4_ROUTE`] and [`V6_ROUTE`].
fn established_announcing(
    lab: &mut InteropRig,
    announcement: impl Fn(&str) -> Announcement,
) -> Result<()> {
    lab.wait_established(1, SESSION_TIMEOUT)?;
    for prefix in [V4_ROUTE, V6_ROUTE] {
        lab.sender(1)?.announce(&announcement(prefix))?;
    }
    Ok(())
}
