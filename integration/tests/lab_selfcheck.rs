//! Checks the lab itself, without our speaker: BIRD stands in for the
//! speaker and the same scenarios run against every edge router. When these
//! pass and a router test fails, the speaker is at fault, not the lab.

use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, SenderKind};
use announcer_integration::Result;

const SENDER: SenderKind = SenderKind::ReferenceBird;

/// The router-independent scenarios for one edge router.
macro_rules! scenarios_against {
    ($module:ident, $router:expr) => {
        mod $module {
            use super::*;

            #[test]
            #[ignore = "needs root: scripts/test"]
            fn the_session_reaches_established() -> Result<()> {
                scenarios::session_reaches_established(
                    $router,
                    SENDER,
                    concat!(stringify!($module), "::the_session_reaches_established"),
                )
            }

            #[test]
            #[ignore = "needs root: scripts/test"]
            fn prepended_routes_arrive_with_next_hops_med_and_communities() -> Result<()> {
                scenarios::routes_arrive_with_attributes(
                    $router,
                    SENDER,
                    2,
                    concat!(
                        stringify!($module),
                        "::prepended_routes_arrive_with_next_hops_med_and_communities"
                    ),
                )
            }

            #[test]
            #[ignore = "needs root: scripts/test"]
            fn withdrawn_routes_disappear() -> Result<()> {
                scenarios::withdrawn_routes_disappear(
                    $router,
                    SENDER,
                    concat!(stringify!($module), "::withdrawn_routes_disappear"),
                )
            }

            #[test]
            #[ignore = "needs root: scripts/test"]
            fn routes_return_after_the_router_restarts() -> Result<()> {
                scenarios::routes_return_after_router_restart(
                    $router,
                    SENDER,
                    concat!(
                        stringify!($module),
                        "::routes_return_after_the_router_restarts"
                    ),
                )
            }

            #[test]
            #[ignore = "needs root: scripts/test"]
            fn a_clean_shutdown_shows_as_administrative_shutdown_with_the_reason() -> Result<()> {
                scenarios::clean_shutdown_shows_the_reason(
                    $router,
                    SENDER,
                    concat!(
                        stringify!($module),
                        "::a_clean_shutdown_shows_as_administrative_shutdown_with_the_reason"
                    ),
                )
            }
        }
    };
}

scenarios_against!(bird, RouterKind::Bird);
scenarios_against!(frr, RouterKind::Frr);
scenarios_against!(gobgp, RouterKind::Gobgp);

#[test]
#[ignore = "needs root: scripts/test"]
fn two_bird_senders_give_one_multipath_kernel_route_at_bird() -> Result<()> {
    scenarios::two_speakers_share_a_multipath_kernel_route(
        SENDER,
        "two_bird_senders_give_one_multipath_kernel_route_at_bird",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_md5_session_comes_up_with_the_right_password() -> Result<()> {
    scenarios::md5_session_with_the_right_password(
        RouterKind::Bird,
        SENDER,
        "an_md5_session_comes_up_with_the_right_password",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn an_md5_session_stays_down_with_a_wrong_password() -> Result<()> {
    scenarios::md5_session_with_a_wrong_password_stays_down(
        RouterKind::Bird,
        SENDER,
        "an_md5_session_stays_down_with_a_wrong_password",
    )
}
