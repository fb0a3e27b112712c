//! Interop with FRR (zebra + bgpd) as the edge router: our `bgp-speaker` in
//! a speaker namespace, assertions on what FRR shows. FRR runs with `no bgp
//! ebgp-requires-policy`, multipath-relax and maximum-paths.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, SenderKind};

const ROUTER: RouterKind = RouterKind::Frr;
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
}
