//! The `announcer` daemon end to end with FRR (zebra + bgpd) as the edge
//! router; the same scenarios as `daemon_bird`. Assertions on FRR's kernel
//! route, FRR itself (`lastShutdownDescription` for our Cease reason), what
//! the client gets and `announcer status`.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run
//! anyway, it fails without root, FRR or the `announcer` binary (`cargo build -p announcer`).

use announcer_integration::daemon_scenarios as scenarios;
use announcer_integration::daemon_testbed::Bed;
use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;

const BED: Bed = Bed::new(RouterKind::Frr, preflight::WEB_SERVER);

announcer_integration::lab_tests! {
    both_healthy_servers_share_one_multipath_route_and_answer_the_client =>
        scenarios::both_healthy_servers_share_the_vip(BED);
    a_failing_health_check_removes_the_server_within_fall_intervals_and_recovery_restores_it =>
        scenarios::a_failing_health_check_withdraws_the_server(BED);
    announcer_withdraw_removes_the_server_within_a_second_and_holds_across_a_restart =>
        scenarios::maintenance_withdraws_and_survives_a_restart(BED);
    sigterm_removes_the_server_within_a_second_and_frr_shows_our_shutdown_reason =>
        scenarios::sigterm_withdraws_and_says_why(BED);
    a_frozen_daemon_loses_its_route_at_hold_expiry_and_returns_when_resumed =>
        scenarios::a_frozen_daemon_loses_its_route_at_hold_expiry(BED);
    sighup_announces_an_added_vip_without_resetting_the_session =>
        scenarios::sighup_adds_a_vip_without_resetting_the_session(BED);
    a_drain_moves_traffic_to_the_other_server_before_the_withdraw_and_no_connection_fails =>
        scenarios::a_drain_moves_traffic_before_the_withdraw(BED);
    a_graceful_restart_keeps_the_route_at_the_router_and_no_connection_fails =>
        scenarios::a_graceful_restart_keeps_the_route(BED);
    withdraw_for_a_time_ends_by_itself_also_across_a_restart =>
        scenarios::a_maintenance_for_a_time_ends_by_itself_across_a_restart(BED);
    the_failure_policy_moves_traffic_on_a_soft_check_fails_open_and_needs_any_one_check =>
        scenarios::the_failure_policy_steers_traffic_and_fails_open(BED);
}
