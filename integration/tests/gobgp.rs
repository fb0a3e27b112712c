//! Interop with GoBGP as the edge router: our `bgp-speaker` in a speaker
//! namespace, assertions on what GoBGP shows. GoBGP is passive (its own
//! outbound connect is slow) and installs no kernel routes, so assertions
//! are on its RIB.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, SenderKind};
use announcer_integration::Result;

const ROUTER: RouterKind = RouterKind::Gobgp;
const SPEAKER: SenderKind = SenderKind::Speaker(BGP_SPEAKER);

#[test]
#[ignore = "needs root: scripts/test"]
fn the_session_reaches_established() -> Result<()> {
    scenarios::session_reaches_established(
        ROUTER,
        SPEAKER,
        "gobgp::the_session_reaches_established",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn routes_arrive_with_our_as_path_next_hops_med_and_communities() -> Result<()> {
    scenarios::routes_arrive_with_attributes(
        ROUTER,
        SPEAKER,
        0,
        "gobgp::routes_arrive_with_our_as_path_next_hops_med_and_communities",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn prepended_routes_arrive_with_three_copies_of_our_as() -> Result<()> {
    scenarios::routes_arrive_with_attributes(
        ROUTER,
        SPEAKER,
        2,
        "gobgp::prepended_routes_arrive_with_three_copies_of_our_as",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn withdrawn_routes_disappear() -> Result<()> {
    scenarios::withdrawn_routes_disappear(ROUTER, SPEAKER, "gobgp::withdrawn_routes_disappear")
}

#[test]
#[ignore = "needs root: scripts/test"]
fn routes_return_after_the_router_restarts() -> Result<()> {
    scenarios::routes_return_after_router_restart(
        ROUTER,
        SPEAKER,
        "gobgp::routes_return_after_the_router_restarts",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_clean_shutdown_shows_as_administrative_shutdown_with_our_reason() -> Result<()> {
    scenarios::clean_shutdown_shows_the_reason(
        ROUTER,
        SPEAKER,
        "gobgp::a_clean_shutdown_shows_as_administrative_shutdown_with_our_reason",
    )
}
