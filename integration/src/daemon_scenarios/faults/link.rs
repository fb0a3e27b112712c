//! A web server's link goes down and comes back: the router drops its route
//! at hold-time expiry, and the session and route come back with the link.

use std::time::Instant;

use super::{faulted, log_lines, wait_log, wait_peer_down};
use crate::daemon_scenarios::{
    expect_answers, expect_vip, measured, HOLD_MARGIN, HOLD_TIME, RECONNECT_LIMIT,
};
use crate::daemon_testbed::{Bed, TestbedOptions, VIP, VIP_ADDRESS};
use crate::error::{Error, Result};
use crate::routers::same_session;
use crate::topology::ROUTER_V4;

/// The log line of a session going down.
const SESSION_DOWN: &str = "session down";
/// The reason of a session that went down at hold expiry.
const HOLD_EXPIRED: &str = "hold timer expired";
/// The log line of a session coming up.
const ESTABLISHED: &str = "session established";

/// web1's `eth0` set down inside its namespace (hold time 3 s): its next hop
/// leaves the router within the hold time (plus a margin), its daemon shows
/// the peer down and logs why; set up again (the default route the kernel
/// dropped with the link put back), the session is re-established by itself
/// (a new session at the router) and the route and the client's answers
/// from web1 come back.
pub fn a_link_down_and_up_drops_and_restores_the_route(bed: Bed, test: &str) -> Result<()> {
    let options = TestbedOptions {
        hold_time: Some(HOLD_TIME),
        ..TestbedOptions::default()
    };
    faulted(bed, options, test, |lab| {
        let web1 = lab.web(1)?;
        let web2_peer = lab.web(2)?.peer();
        let mark = lab.router.session_mark(web1.peer())?;
        let seen = log_lines(web1, &[SESSION_DOWN, HOLD_EXPIRED])?.len();
        let up_seen = log_lines(web1, &[ESTABLISHED])?.len();
        let down = Instant::now();
        web1.ns.ip(&["link", "set", "eth0", "down"])?;
        let took = lab.wait_next_hops(VIP, &[web2_peer], down, HOLD_TIME + HOLD_MARGIN)?;
        measured("link down → web1's route gone at the router", took);
        let (took, error) = wait_peer_down(web1, down, HOLD_TIME + HOLD_MARGIN)?;
        measured("link down → web1's status shows the peer down", took);
        eprintln!("[lab] web1 peer: {error}");
        wait_log(web1, &[SESSION_DOWN, HOLD_EXPIRED], seen)?;
        let up = Instant::now();
        web1.ns.ip(&["link", "set", "eth0", "up"])?;
        web1.ns
            .ip(&["route", "replace", "default", "via", &ROUTER_V4.to_string()])?;
        let took = lab.wait_next_hops(VIP, &lab.both(), up, RECONNECT_LIMIT)?;
        measured("link up → web1's route back at the router", took);
        wait_log(web1, &[ESTABLISHED], up_seen)?;
        let after = lab.router.session_mark(web1.peer())?;
        if after.is_none() || same_session(mark.as_deref(), after.as_deref()) {
            return Err(Error::Check(format!(
                "expected a new session with web1 after the link came back: before {mark:?}, after {after:?}"
            )));
        }
        expect_vip(&web1.announcer.status()?, VIP, true, true)?;
        expect_answers(lab, VIP_ADDRESS, &["web1", "web2"])
    })
}
