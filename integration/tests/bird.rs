//! Interop with BIRD 2 as the edge router: our `bgp-speaker` in a speaker
//! namespace, assertions on what BIRD shows. BIRD also installs the routes
//! in the kernel: the multipath and MD5 scenarios run only here.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{self, Pair, SenderKind};

const PAIR: Pair = Pair::new(RouterKind::Bird, SenderKind::Speaker(BGP_SPEAKER));

announcer_integration::speaker_suite!(PAIR);

announcer_integration::lab_tests! {
    two_speakers_in_different_ases_give_one_multipath_kernel_route =>
        scenarios::two_speakers_share_a_multipath_kernel_route(PAIR.sender);
    an_md5_session_comes_up_with_the_right_password =>
        scenarios::md5_session_with_the_right_password(PAIR);
    an_md5_session_stays_down_with_a_wrong_password =>
        scenarios::md5_session_with_a_wrong_password_stays_down(PAIR);
}
