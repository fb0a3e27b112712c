//! Interop with BIRD 2 as the edge router: our `bgp-speaker` in a speaker
//! namespace, assertions on what BIRD shows. BIRD also installs the routes
//! in the kernel: the multipath and MD5 scenarios run only here.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, SenderKind};

const ROUTER: RouterKind = RouterKind::Bird;
const SPEAKER: SenderKind = SenderKind::Speaker(BGP_SPEAKER);

announcer_integration::lab_tests! {
    the_session_reaches_established => scenarios::session_reaches_established(ROUTER, SPEAKER);
    routes_arrive_with_our_as_path_next_hops_med_and_communities =>
        scenarios::routes_arrive_with_attributes(ROUTER, SPEAKER, 0);
    prepended_routes_arrive_with_three_copies_of_our_as =>
        scenarios::routes_arrive_with_attributes(ROUTER, SPEAKER, 2);
    withdrawn_routes_disappear => scenarios::withdrawn_routes_disappear(ROUTER, SPEAKER);
    routes_return_after_the_router_restarts =>
        scenarios::routes_return_after_router_restart(ROUTER, SPEAKER);
    a_clean_shutdown_shows_as_administrative_shutdown_with_our_reason =>
        scenarios::clean_shutdown_shows_the_reason(ROUTER, SPEAKER);
    two_speakers_in_different_ases_give_one_multipath_kernel_route =>
        scenarios::two_speakers_share_a_multipath_kernel_route(SPEAKER);
    an_md5_session_comes_up_with_the_right_password =>
        scenarios::md5_session_with_the_right_password(ROUTER, SPEAKER);
    an_md5_session_stays_down_with_a_wrong_password =>
        scenarios::md5_session_with_a_wrong_password_stays_down(ROUTER, SPEAKER);
}
