//! The `announcer` daemon end to end with FRR (zebra + bgpd) as the edge
//! router; the same scenarios as `daemon_bird`. Assertions on FRR's kernel
//! route, FRR itself (`lastShutdownDescription` for our Cease reason), what
//! the client gets and `announcer status`.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run
//! anyway, it fails without root, FRR or the `announcer` binary (`cargo build -p announcer`).

use announcer_integration::daemon_scenarios as scenarios;
use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;
use announcer_integration::Result;

const ROUTER: RouterKind = RouterKind::Frr;
const WEB_SERVER: &str = preflight::WEB_SERVER;

#[test]
#[ignore = "needs root: scripts/test"]
fn both_healthy_servers_share_one_multipath_route_and_answer_the_client() -> Result<()> {
    scenarios::both_healthy_servers_share_the_vip(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::both_healthy_servers_share_one_multipath_route_and_answer_the_client",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_failing_health_check_removes_the_server_within_fall_intervals_and_recovery_restores_it(
) -> Result<()> {
    scenarios::a_failing_health_check_withdraws_the_server(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::a_failing_health_check_removes_the_server_within_fall_intervals_and_recovery_restores_it",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn announcer_withdraw_removes_the_server_within_a_second_and_holds_across_a_restart() -> Result<()>
{
    scenarios::maintenance_withdraws_and_survives_a_restart(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::announcer_withdraw_removes_the_server_within_a_second_and_holds_across_a_restart",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn sigterm_removes_the_server_within_a_second_and_frr_shows_our_shutdown_reason() -> Result<()> {
    scenarios::sigterm_withdraws_and_says_why(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::sigterm_removes_the_server_within_a_second_and_frr_shows_our_shutdown_reason",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_frozen_daemon_loses_its_route_at_hold_expiry_and_returns_when_resumed() -> Result<()> {
    scenarios::a_frozen_daemon_loses_its_route_at_hold_expiry(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::a_frozen_daemon_loses_its_route_at_hold_expiry_and_returns_when_resumed",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn sighup_announces_an_added_vip_without_resetting_the_session() -> Result<()> {
    scenarios::sighup_adds_a_vip_without_resetting_the_session(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::sighup_announces_an_added_vip_without_resetting_the_session",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_drain_moves_traffic_to_the_other_server_before_the_withdraw_and_no_connection_fails(
) -> Result<()> {
    scenarios::a_drain_moves_traffic_before_the_withdraw(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::a_drain_moves_traffic_to_the_other_server_before_the_withdraw_and_no_connection_fails",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_graceful_restart_keeps_the_route_at_the_router_and_no_connection_fails() -> Result<()> {
    scenarios::a_graceful_restart_keeps_the_route(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::a_graceful_restart_keeps_the_route_at_the_router_and_no_connection_fails",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn withdraw_for_a_time_ends_by_itself_also_across_a_restart() -> Result<()> {
    scenarios::a_maintenance_for_a_time_ends_by_itself_across_a_restart(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::withdraw_for_a_time_ends_by_itself_also_across_a_restart",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn the_failure_policy_moves_traffic_on_a_soft_check_fails_open_and_needs_any_one_check(
) -> Result<()> {
    scenarios::the_failure_policy_steers_traffic_and_fails_open(
        ROUTER,
        WEB_SERVER,
        "daemon_frr::the_failure_policy_moves_traffic_on_a_soft_check_fails_open_and_needs_any_one_check",
    )
}
