//! Scenarios about the BGP session itself: a frozen daemon loses its routes
//! at hold-time expiry and comes back by itself; a SIGHUP reload adds a VIP
//! without resetting the session.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::{
    expect_answers, expect_routes_sent, expect_still_running, expect_vip, measured, settled,
    settled_with, HOLD_MARGIN, HOLD_TIME, RECONNECT_LIMIT, RETURN_LIMIT, VIP2, VIP2_ADDRESS,
};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, FINE_POLL, VIP};
use crate::error::{Error, Result};
use crate::kernel::next_hops;
use crate::routers::same_session;
use crate::status::Status;
use crate::topology::ROUTER_V4;
use crate::wait::{holds_for, POLL};

/// How long a reload with a bad config must change nothing.
const BAD_RELOAD_PERIOD: Duration = Duration::from_millis(1500);

/// A frozen daemon (SIGSTOP) loses its route when the hold time (3 s)
/// expires at the router, not before; resumed (SIGCONT), it reconnects and
/// announces again by itself.
pub fn a_frozen_daemon_loses_its_route_at_hold_expiry(bed: Bed, test: &str) -> Result<()> {
    let options = TestbedOptions {
        hold_time: Some(HOLD_TIME),
        ..TestbedOptions::default()
    };
    settled_with(bed, &options, test, |lab| {
        let web2 = lab.web(2)?.peer();
        let start = Instant::now();
        lab.web_mut(1)?.announcer.signal("STOP")?;
        let took = lab.wait_next_hops(VIP, &[web2], start, HOLD_TIME + HOLD_MARGIN)?;
        measured("hold-expiry withdraw of a frozen daemon", took);
        // The last KEEPALIVE left at most a third of the hold time before the freeze.
        let earliest = HOLD_TIME * 2 / 3 - FINE_POLL * 5;
        if took < earliest {
            return Err(Error::Check(format!(
                "the route went after {took:?}, before the hold time could expire (>= {earliest:?})"
            )));
        }
        let start = Instant::now();
        lab.web_mut(1)?.announcer.signal("CONT")?;
        let took = lab.wait_next_hops(VIP, &lab.both(), start, RECONNECT_LIMIT)?;
        measured("resumed daemon re-announce", took);
        expect_vip(&lab.web(1)?.announcer.status()?, VIP, true, true)
    })
}

/// SIGHUP with a broken config changes nothing; SIGHUP after adding
/// `203.0.113.20/32` to web1's config announces it (bound to `lo`, served to the
/// client); neither resets the BGP session.
pub fn sighup_adds_a_vip_without_resetting_the_session(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let web1 = lab.web(1)?.peer();
        let mark = lab.router.session_mark(web1)?;
        let uptime = peer_uptime(&lab.web(1)?.announcer.status()?)?;
        a_bad_reload_changes_nothing(lab)?;
        lab.web_mut(1)?
            .announcer
            .update_config(|config| config.vips.push(VIP2.to_owned()))?;
        let start = Instant::now();
        lab.web_mut(1)?.announcer.signal("HUP")?;
        let took = lab.wait_next_hops(VIP2, &[web1], start, RETURN_LIMIT)?;
        measured("SIGHUP to new VIP announced", took);
        if !lab.web_mut(1)?.announcer.is_running()? {
            return Err(Error::Check("announcer exited on SIGHUP".into()));
        }
        let after = lab.router.session_mark(web1)?;
        if !same_session(mark.as_deref(), after.as_deref()) {
            return Err(Error::Check(format!(
                "the session was reset by the reload: before {mark:?}, after {after:?}"
            )));
        }
        let status = lab.web(1)?.announcer.status()?;
        expect_vip(&status, VIP2, true, true)?;
        expect_vip(&status, VIP, true, true)?;
        expect_routes_sent(&status, 2)?;
        let later = peer_uptime(&status)?;
        status.expect(
            later > uptime,
            &format!("peer uptime grown past {uptime} s"),
        )?;
        if !lab.web(1)?.has_on_lo(VIP2)? {
            return Err(Error::Check(format!("{VIP2} is not on web1's lo")));
        }
        let both: Vec<IpAddr> = lab.both();
        lab.wait_next_hops(VIP, &both, Instant::now(), RETURN_LIMIT)?;
        expect_answers(lab, VIP2_ADDRESS, &["web1"])
    })
}

/// SIGHUP with web1's config file broken (an unknown key, and `203.0.113.20/32`
/// added) keeps the daemon running on its old config: `203.0.113.20/32` is not
/// announced and [`VIP`] keeps both next hops.
fn a_bad_reload_changes_nothing(lab: &mut DaemonTestbed) -> Result<()> {
    let mut wanted = lab.web(1)?.announcer.config().clone();
    wanted.vips.push(VIP2.to_owned());
    let broken = wanted
        .to_toml()
        .replacen("[bgp]\n", "[bgp]\ncolour = \"blue\"\n", 1);
    lab.web(1)?.announcer.write_config_text(&broken)?;
    lab.web_mut(1)?.announcer.signal("HUP")?;
    let both = lab.both();
    holds_for(
        "a bad config to change nothing",
        BAD_RELOAD_PERIOD,
        POLL,
        || {
            let vip = next_hops(&lab.topology.rtr, VIP).map_err(|e| e.to_string())?;
            let vip2 = next_hops(&lab.topology.rtr, VIP2).map_err(|e| e.to_string())?;
            if vip == both && vip2.is_empty() {
                Ok(())
            } else {
                Err(format!("{VIP} via {vip:?}, {VIP2} via {vip2:?}"))
            }
        },
    )?;
    expect_still_running(lab, "SIGHUP with a bad config")
}

/// The router peer's `uptime_secs` in `status`.
fn peer_uptime(status: &Status) -> Result<f64> {
    let peer = status.peer(&ROUTER_V4.to_string())?;
    peer.uptime_secs
        .ok_or_else(|| Error::Check(format!("no peer uptime in {}", status.raw)))
}
