//! Interop with FRR (zebra + bgpd) as the edge router: our `bgp-speaker` in
//! a speaker namespace, assertions on what FRR shows. FRR runs with `no bgp
//! ebgp-requires-policy`, multipath-relax and maximum-paths.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{Pair, SenderKind};

const PAIR: Pair = Pair::new(RouterKind::Frr, SenderKind::Speaker(BGP_SPEAKER));

announcer_integration::speaker_suite!(PAIR);
