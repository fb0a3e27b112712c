//! Checks the lab itself, without our speaker: BIRD stands in for the
//! speaker and the same scenarios run against every edge router. When these
//! pass and a router test fails, the speaker is at fault, not the lab.

use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, Pair, SenderKind};

const SENDER: SenderKind = SenderKind::ReferenceBird;

/// The router-independent scenarios for one edge router.
macro_rules! scenarios_against {
    ($module:ident, $router:expr) => {
        mod $module {
            use super::*;

            const PAIR: Pair = Pair::new($router, SENDER);

            announcer_integration::lab_tests! {
                the_session_reaches_established => scenarios::session_reaches_established(PAIR);
                prepended_routes_arrive_with_next_hops_med_and_communities =>
                    scenarios::routes_arrive_with_attributes(PAIR, 2);
                withdrawn_routes_disappear => scenarios::withdrawn_routes_disappear(PAIR);
                routes_return_after_the_router_restarts =>
                    scenarios::routes_return_after_router_restart(PAIR);
                a_clean_shutdown_shows_as_administrative_shutdown_with_the_reason =>
                    scenarios::clean_shutdown_shows_the_reason(PAIR);
            }
        }
    };
}

scenarios_against!(bird, RouterKind::Bird);
scenarios_against!(frr, RouterKind::Frr);
scenarios_against!(gobgp, RouterKind::Gobgp);

/// BIRD standing in for the speaker, against BIRD.
const AT_BIRD: Pair = Pair::new(RouterKind::Bird, SENDER);

announcer_integration::lab_tests! {
    two_bird_senders_give_one_multipath_kernel_route_at_bird =>
        scenarios::two_speakers_share_a_multipath_kernel_route(SENDER);
    an_md5_session_comes_up_with_the_right_password =>
        scenarios::md5_session_with_the_right_password(AT_BIRD);
    an_md5_session_stays_down_with_a_wrong_password =>
        scenarios::md5_session_with_a_wrong_password_stays_down(AT_BIRD);
}
