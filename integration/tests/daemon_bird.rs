//! The `announcer` daemon end to end with BIRD 2 as the edge router: two web
//! namespaces each running the real `announcer` (found next to this test's
//! target dir: build it first with `cargo build -p announcer`) and the lab's
//! `web-server`, a client namespace behind the router. Assertions on BIRD's
//! kernel route, BIRD itself, what the client gets and `announcer status`.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run
//! anyway, it fails without root, BIRD or the `announcer` binary. `--nocapture` shows the
//! `measured:` figures.

use announcer_integration::daemon_scenarios as scenarios;
use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;
use announcer_integration::Result;

const ROUTER: RouterKind = RouterKind::Bird;
const WEB_SERVER: &str = preflight::WEB_SERVER;

#[test]
#[ignore = "needs root: scripts/test"]
fn the_lab_serves_both_web_servers_through_a_static_route() -> Result<()> {
    scenarios::the_lab_serves_both_web_servers_through_a_static_route(
        WEB_SERVER,
        "daemon_bird::the_lab_serves_both_web_servers_through_a_static_route",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn both_healthy_servers_share_one_multipath_route_and_answer_the_client() -> Result<()> {
    scenarios::both_healthy_servers_share_the_vip(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::both_healthy_servers_share_one_multipath_route_and_answer_the_client",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_failing_health_check_removes_the_server_within_fall_intervals_and_recovery_restores_it(
) -> Result<()> {
    scenarios::a_failing_health_check_withdraws_the_server(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::a_failing_health_check_removes_the_server_within_fall_intervals_and_recovery_restores_it",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn announcer_withdraw_removes_the_server_within_a_second_and_holds_across_a_restart() -> Result<()>
{
    scenarios::maintenance_withdraws_and_survives_a_restart(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::announcer_withdraw_removes_the_server_within_a_second_and_holds_across_a_restart",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn sigterm_removes_the_server_within_a_second_and_bird_logs_our_shutdown_reason() -> Result<()> {
    scenarios::sigterm_withdraws_and_says_why(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::sigterm_removes_the_server_within_a_second_and_bird_logs_our_shutdown_reason",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_frozen_daemon_loses_its_route_at_hold_expiry_and_returns_when_resumed() -> Result<()> {
    scenarios::a_frozen_daemon_loses_its_route_at_hold_expiry(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::a_frozen_daemon_loses_its_route_at_hold_expiry_and_returns_when_resumed",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn sighup_announces_an_added_vip_without_resetting_the_session() -> Result<()> {
    scenarios::sighup_adds_a_vip_without_resetting_the_session(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::sighup_announces_an_added_vip_without_resetting_the_session",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_drain_moves_traffic_to_the_other_server_before_the_withdraw_and_no_connection_fails(
) -> Result<()> {
    scenarios::a_drain_moves_traffic_before_the_withdraw(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::a_drain_moves_traffic_to_the_other_server_before_the_withdraw_and_no_connection_fails",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_graceful_restart_keeps_the_route_at_the_router_and_no_connection_fails() -> Result<()> {
    scenarios::a_graceful_restart_keeps_the_route(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::a_graceful_restart_keeps_the_route_at_the_router_and_no_connection_fails",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn the_daemon_tells_systemd_it_is_ready_and_pings_the_watchdog_every_second() -> Result<()> {
    scenarios::the_daemon_notifies_systemd_and_pings_its_watchdog(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::the_daemon_tells_systemd_it_is_ready_and_pings_the_watchdog_every_second",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn the_md5_password_reaches_the_session_and_never_the_logs_status_or_check_config() -> Result<()> {
    scenarios::the_md5_password_never_appears_in_logs_status_or_errors(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::the_md5_password_reaches_the_session_and_never_the_logs_status_or_check_config",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn metrics_json_logs_and_the_reload_command_follow_the_server() -> Result<()> {
    scenarios::metrics_logs_and_reload_follow_the_server(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::metrics_json_logs_and_the_reload_command_follow_the_server",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn withdraw_for_a_time_ends_by_itself_also_across_a_restart() -> Result<()> {
    scenarios::a_maintenance_for_a_time_ends_by_itself_across_a_restart(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::withdraw_for_a_time_ends_by_itself_also_across_a_restart",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn the_failure_policy_moves_traffic_on_a_soft_check_fails_open_and_needs_any_one_check(
) -> Result<()> {
    scenarios::the_failure_policy_steers_traffic_and_fails_open(
        ROUTER,
        WEB_SERVER,
        "daemon_bird::the_failure_policy_moves_traffic_on_a_soft_check_fails_open_and_needs_any_one_check",
    )
}
