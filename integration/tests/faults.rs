//! The fault suite of the `announcer` daemon with BIRD 2 as the edge router:
//! the router crashing or unreachable, a link down, health checks that hang,
//! broken reloads, an unusable state directory, a storm of maintenance
//! commands and the VIP removed by hand. Each case asserts on the routes at
//! the router, on `announcer status`, on the daemon's log, and that the
//! maintenance state survived.
//!
//! Needs the `announcer` binary next to this test's target dir (build it
//! first with `cargo build -p announcer`). Ignored by a plain `cargo test` (needs
//! root: `sudo scripts/test` runs it); run anyway, it fails without root, BIRD or the binary.
//! `--nocapture` shows the `measured:` figures.

use announcer_integration::daemon_scenarios::faults;
use announcer_integration::daemon_testbed::Bed;
use announcer_integration::daemon_testbed::Stall;
use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;

const BED: Bed = Bed::new(RouterKind::Bird, preflight::WEB_SERVER);

announcer_integration::lab_tests! {
    a_killed_or_stopped_router_gets_both_routes_back_by_itself_when_it_starts_again =>
        faults::a_killed_or_stopped_router_gets_both_routes_back_by_itself(BED);
    a_web_servers_link_down_drops_its_route_at_hold_expiry_and_link_up_restores_it =>
        faults::a_link_down_and_up_drops_and_restores_the_route(BED);
    announcers_started_while_the_router_is_unreachable_keep_retrying_and_announce_once_it_is_up =>
        faults::announcers_started_before_the_router_announce_once_it_is_reachable(
            BED,
        );
    a_health_endpoint_that_stalls_mid_response_withdraws_the_server_in_time =>
        faults::a_stalled_health_endpoint_withdraws_the_server(
            Stall::MidResponse, BED,
        );
    a_health_endpoint_that_accepts_and_never_answers_withdraws_the_server_in_time =>
        faults::a_stalled_health_endpoint_withdraws_the_server(Stall::Mute, BED);
    an_exec_check_that_never_exits_is_killed_at_its_timeout_and_withdraws_the_server =>
        faults::an_exec_check_that_never_exits_is_killed(BED);
    sighup_with_a_broken_file_keeps_the_running_config_and_session_and_a_good_file_then_applies =>
        faults::a_broken_file_on_sighup_keeps_the_running_configuration(BED);
    a_read_only_state_dir_refuses_withdraw_and_leaves_route_and_maintenance_unchanged =>
        faults::an_unusable_state_dir_refuses_maintenance_and_changes_nothing(
            faults::Unusable::ReadOnly, BED,
        );
    a_full_state_dir_refuses_withdraw_and_leaves_route_and_maintenance_unchanged =>
        faults::an_unusable_state_dir_refuses_maintenance_and_changes_nothing(
            faults::Unusable::Full, BED,
        );
    a_thousand_withdraw_and_announce_commands_in_a_row_all_succeed_and_end_in_the_last_state =>
        faults::a_thousand_maintenance_commands_end_in_the_last_state(BED);
    a_vip_removed_by_hand_as_an_address_or_a_local_route_is_bound_again_and_announced =>
        faults::a_vip_removed_by_hand_is_withdrawn_bound_again_and_announced(BED);
}
