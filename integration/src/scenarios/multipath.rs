//! Two speakers in different ASes announcing one prefix: BIRD merges them into one
//! multipath kernel route.

use std::net::IpAddr;

use super::{
    narrate, InteropRig, InteropSpec, Pair, SenderKind, SpeakerSpec, ROUTE_TIMEOUT,
    SESSION_TIMEOUT, SPEAKER_AS, V4_ROUTE,
};
use crate::error::Result;
use crate::kernel::expect_next_hops;
use crate::routers::RouterKind;
use crate::sender::Announcement;
use crate::wait::{wait_until, POLL};

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
    InteropRig::scenario(Pair::new(RouterKind::Bird, sender), &spec, test, |lab| {
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
        expect_next_hops(&lab.topology.rtr, V4_ROUTE, want)
    })
}

/// `ip route show exact V4_ROUTE` in the router namespace, as text.
fn kernel_route(lab: &InteropRig) -> Result<String> {
    lab.topology.rtr.ip(&["route", "show", "exact", V4_ROUTE])
}
