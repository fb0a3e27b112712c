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
use announcer_integration::daemon_testbed::Bed;
use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;

const BED: Bed = Bed::new(RouterKind::Bird, preflight::WEB_SERVER);

announcer_integration::daemon_suite!(BED);

announcer_integration::lab_tests! {
    the_lab_serves_both_web_servers_through_a_static_route =>
        scenarios::the_lab_serves_both_web_servers_through_a_static_route(BED.web_server);
    sigterm_removes_the_server_within_a_second_and_bird_logs_our_shutdown_reason =>
        scenarios::sigterm_withdraws_and_says_why(BED);
    the_daemon_tells_systemd_it_is_ready_and_pings_the_watchdog_every_second =>
        scenarios::the_daemon_notifies_systemd_and_pings_its_watchdog(BED);
    the_md5_password_reaches_the_session_and_never_the_logs_status_or_check_config =>
        scenarios::the_md5_password_never_appears_in_logs_status_or_errors(BED);
    metrics_json_logs_and_the_reload_command_follow_the_server =>
        scenarios::metrics_logs_and_reload_follow_the_server(BED);
}
