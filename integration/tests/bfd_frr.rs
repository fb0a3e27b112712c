//! BFD between the real `announcer` and FRR (zebra, bfdd with a profile at 100 ms × 3,
//! bgpd with `neighbor X bfd profile fast`), in the daemon lab: two web namespaces each running the
//! `announcer` (build it first: `cargo build -p announcer`) with `bfd = true` at the same
//! timers, and a client behind the router. Assertions on FRR's kernel route, `show bfd
//! peers json` / `show bgp neighbors json`, the client and `announcer status --json`.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it). Run anyway,
//! it fails without root, FRR (with bfdd) or the `announcer` binary; without a tool a
//! scenario needs (nft, python3) it prints a SKIP line unless `ANNOUNCER_LAB_REQUIRED=1`.
//! `--nocapture` shows the `measured:` figures.

use announcer_integration::daemon_scenarios::bfd as scenarios;
use announcer_integration::daemon_testbed::Bed;
use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;

const BED: Bed = Bed::new(RouterKind::Frr, preflight::WEB_SERVER);

announcer_integration::lab_tests! {
    bfd_sessions_come_up_at_100_ms_times_3_at_frr_and_in_the_status =>
        scenarios::bfd_sessions_come_up_at_the_configured_timers(BED);
    a_frozen_server_leaves_frrs_route_within_a_second_and_returns_when_continued =>
        scenarios::a_frozen_server_leaves_the_route_within_a_second(BED);
    a_link_dropping_packets_unseen_by_frr_removes_the_server_within_a_second =>
        scenarios::a_link_dropping_packets_unseen_by_the_router_removes_the_server(
            BED,
        );
    sigterm_with_bfd_closes_frrs_session_with_our_cease_then_an_admin_down =>
        scenarios::sigterm_with_bfd_closes_with_a_cease_not_a_bfd_failure(BED);
    a_planned_restart_hands_the_bfd_session_over_and_frr_never_drops_the_route =>
        scenarios::a_planned_restart_keeps_the_bfd_session_up(BED);
    a_crashed_daemon_keeps_its_stale_route_at_frr_until_a_new_start_replaces_it =>
        scenarios::a_crashed_daemon_ends_as_the_router_documents(BED);
    a_stalled_check_loop_stops_bfd_and_frr_drops_the_server =>
        scenarios::a_stalled_check_loop_stops_bfd_and_the_router_drops_the_server(
            BED,
        );
    a_reload_changes_the_bfd_timers_at_frr_without_taking_a_session_down =>
        scenarios::a_reload_changes_the_bfd_timers_without_a_reset(BED);
}
