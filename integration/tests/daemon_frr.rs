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

announcer_integration::daemon_suite!(BED);

announcer_integration::lab_tests! {
    sigterm_removes_the_server_within_a_second_and_frr_shows_our_shutdown_reason =>
        scenarios::sigterm_withdraws_and_says_why(BED);
}
