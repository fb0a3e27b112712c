//! The control socket is bounded, against the real `announcer` daemon with
//! BIRD 2 as the edge router: 1,100 idle control connections while the
//! daemon's open-files limit is 1,024 leave the VIP announced and `status`
//! answering within 1 s; a withdrawal records who asked.
//!
//! Needs the `announcer` binary next to this test's target dir (build it
//! first with `cargo build -p announcer`). Ignored by a plain `cargo test` (needs
//! root: `sudo scripts/test` runs it); run anyway, it fails without root, BIRD or the
//! binary, and without prlimit prints a SKIP line unless `ANNOUNCER_LAB_REQUIRED=1`.
//! `--nocapture` shows the `measured:` figures.

use announcer_integration::control_flood;
use announcer_integration::preflight;

const WEB_SERVER: &str = preflight::WEB_SERVER;

announcer_integration::lab_tests! {
    eleven_hundred_idle_control_connections_under_1024_open_files_keep_the_vip_and_status_answers =>
        control_flood::idle_connections_under_a_low_open_files_limit(WEB_SERVER);
    a_withdrawal_shows_and_logs_the_uid_and_pid_of_who_asked =>
        control_flood::a_withdrawal_records_who_asked(WEB_SERVER);
}
