//! The interop test lab of announcer: real BGP routers (BIRD 2, FRR, GoBGP)
//! as the edge router in network namespaces, our `bgp-speaker` (or a BIRD
//! stand-in) in speaker namespaces, and scenarios asserting on what the
//! router shows. The tests in `tests/` call the scenarios here.
//!
//! Built on the harness (`announcer-harness`: namespaces, processes, waits,
//! routers, topology), whose modules are re-exported here so a test names
//! one crate. Layers, bottom up: the harness → [`speaker`],
//! [`reference`](mod@reference), [`sender`] → [`scenarios`].
//!
//! The daemon testbed runs the real `announcer` binary instead: [`daemon`]
//! and [`status`] (the daemon, its config and its control client) →
//! [`daemon_testbed`] (router, two web servers, a client) →
//! [`daemon_scenarios`]. The hostile peers ([`hostile`], [`bfd_hostile`]),
//! [`control_flood`], [`topology_tests`] (the `lab` runner on every
//! topology) and [`package`] (the Debian package) sit beside them.

pub mod bfd_hostile;
pub mod control_flood;
pub mod daemon;
pub mod daemon_scenarios;
pub mod daemon_testbed;
pub mod hostile;
pub mod package;
pub mod reference;
pub mod scenarios;
pub mod sender;
pub mod speaker;
pub mod status;
pub mod topology_tests;

pub use announcer_harness::{
    config_toml, error, http, kernel, netns, preflight, process, routers, topology, wait,
    web_server, Error, Result,
};
pub use preflight::require_host;

/// Lab tests as a table: one row per test, `test_name => scenario(args...);`, each
/// expanding to an ignored `#[test] fn test_name() -> Result<()>` (the lab tests run only
/// when asked for: `sudo scripts/test`) that calls the scenario with `args` and the test's
/// own name (`<test file>::<test_name>`) last. Attributes on a row (doc comments) go on
/// its test.
#[macro_export]
macro_rules! lab_tests {
    ($($(#[$meta:meta])* $test:ident => $($scenario:ident)::+ ($($arg:expr),* $(,)?);)*) => {
        $(
            $(#[$meta])*
            #[test]
            #[ignore = "needs root: scripts/test"]
            fn $test() -> $crate::Result<()> {
                $($scenario)::+($($arg,)* concat!(module_path!(), "::", stringify!($test)))
            }
        )*
    };
}

/// The speaker scenarios every edge router runs (`tests/bird.rs`, `frr.rs`, `gobgp.rs`):
/// the [`lab_tests!`] table of [`scenarios`] for `pair` (a [`scenarios::Pair`]).
#[macro_export]
macro_rules! speaker_suite {
    ($pair:expr) => {
        $crate::lab_tests! {
            the_session_reaches_established =>
                $crate::scenarios::session_reaches_established($pair);
            routes_arrive_with_our_as_path_next_hops_med_and_communities =>
                $crate::scenarios::routes_arrive_with_attributes($pair, 0);
            prepended_routes_arrive_with_three_copies_of_our_as =>
                $crate::scenarios::routes_arrive_with_attributes($pair, 2);
            withdrawn_routes_disappear => $crate::scenarios::withdrawn_routes_disappear($pair);
            routes_return_after_the_router_restarts =>
                $crate::scenarios::routes_return_after_router_restart($pair);
            a_clean_shutdown_shows_as_administrative_shutdown_with_our_reason =>
                $crate::scenarios::clean_shutdown_shows_the_reason($pair);
        }
    };
}

/// The daemon scenarios every edge router runs (`tests/daemon_bird.rs`, `daemon_frr.rs`),
/// besides each router's own: the [`lab_tests!`] table of [`daemon_scenarios`] for `bed` (a
/// [`daemon_testbed::Bed`]).
#[macro_export]
macro_rules! daemon_suite {
    ($bed:expr) => {
        $crate::lab_tests! {
            both_healthy_servers_share_one_multipath_route_and_answer_the_client =>
                $crate::daemon_scenarios::both_healthy_servers_share_the_vip($bed);
            a_failing_health_check_removes_the_server_within_fall_intervals_and_recovery_restores_it =>
                $crate::daemon_scenarios::a_failing_health_check_withdraws_the_server($bed);
            announcer_withdraw_removes_the_server_within_a_second_and_holds_across_a_restart =>
                $crate::daemon_scenarios::maintenance_withdraws_and_survives_a_restart($bed);
            a_frozen_daemon_loses_its_route_at_hold_expiry_and_returns_when_resumed =>
                $crate::daemon_scenarios::a_frozen_daemon_loses_its_route_at_hold_expiry($bed);
            sighup_announces_an_added_vip_without_resetting_the_session =>
                $crate::daemon_scenarios::sighup_adds_a_vip_without_resetting_the_session($bed);
            a_drain_moves_traffic_to_the_other_server_before_the_withdraw_and_no_connection_fails =>
                $crate::daemon_scenarios::a_drain_moves_traffic_before_the_withdraw($bed);
            a_graceful_restart_keeps_the_route_at_the_router_and_no_connection_fails =>
                $crate::daemon_scenarios::a_graceful_restart_keeps_the_route($bed);
            withdraw_for_a_time_ends_by_itself_also_across_a_restart =>
                $crate::daemon_scenarios::a_maintenance_for_a_time_ends_by_itself_across_a_restart($bed);
            the_failure_policy_moves_traffic_on_a_soft_check_fails_open_and_needs_any_one_check =>
                $crate::daemon_scenarios::the_failure_policy_steers_traffic_and_fails_open($bed);
        }
    };
}
