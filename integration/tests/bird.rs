//! Interop with BIRD 2 as the edge router: our `bgp-speaker` in a speaker
//! namespace, assertions on what BIRD shows. BIRD also installs the routes
//! in the kernel: the multipath and MD5 scenarios run only here.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, SenderKind};
use announcer_integration::Result;

const ROUTER: RouterKind = RouterKind::Bird;
const SPEAKER: SenderKind = SenderKind::Speaker(BGP_SPEAKER);

#[test]
#[ignore = "needs root: scripts/test"]
fn the_session_reaches_established() -> Result<()> {
    scenarios::session_reaches_established(ROUTER, SPEAKER, "bird::the_session_reaches_established")
}

#[test]
#[ignore = "needs root: scripts/test"]
fn routes_arrive_with_our_as_path_next_hops_med_and_communities() -> Result<()> {
    scenarios::routes_arrive_with_attributes(
        ROUTER,
        SPEAKER,
        0,
        "bird::routes_arrive_with_our_as_path_next_hops_med_and_communities",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn prepended_routes_arrive_with_three_copies_of_our_as() -> Result<()> {
    scenarios::routes_arrive_with_attributes(
        ROUTER,
        SPEAKER,
        2,
        "bird::prepended_routes_arrive_with_three_copies_of_our_as",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn withdrawn_routes_disappear() -> Result<()> {
    scenarios::withdrawn_routes_disappear(ROUTER, SPEAKER, "bird::withdrawn_routes_disappear")
}

#[test]
#[ignore = "needs root: scripts/test"]
fn routes_return_after_the_router_restarts() -> Result<()> {
    scenarios::routes_return_after_router_restart(
        ROUTER,
        SPEAKER,
        "bird::routes_return_after_the_router_restarts",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_clean_shutdown_shows_as_administrative_shutdown_with_our_reason() -> Result<()> {
    scenarios::clean_shutdown_shows_the_reason(
        ROUTER,
        SPEAKER,
        "bird::a_clean_shutdown_shows_as_administrative_shutdown_with_our_reason",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn two_speakers_in_different_ases_give_one_multipath_kernel_route() -> Result<()> {
    scenarios::two_speakers_share_a_multipath_kernel_route(
        SPEAKER,
        "bird::two_speakers_in_different_ases_give_one_multipath_kernel_route",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_md5_session_comes_up_with_the_right_password() -> Result<()> {
    scenarios::md5_session_with_the_right_password(
        ROUTER,
        SPEAKER,
        "bird::an_md5_session_comes_up_with_the_right_password",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_md5_session_stays_down_with_a_wrong_password() -> Result<()> {
    scenarios::md5_session_with_a_wrong_password_stays_down(
        ROUTER,
        SPEAKER,
        "bird::an_md5_session_stays_down_with_a_wrong_password",
    )
}
