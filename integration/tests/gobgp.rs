//! Interop with GoBGP as the edge router: our `bgp-speaker` in a speaker
//! namespace, assertions on what GoBGP shows. GoBGP is passive (its own
//! outbound connect is slow) and installs no kernel routes, so assertions
//! are on its RIB.
//!
//! Ignored by a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway,
//! it fails without root, the router binaries or the speaker binary.

use announcer_integration::preflight::BGP_SPEAKER;
use announcer_integration::routers::RouterKind;
use announcer_integration::scenarios::{Pair, SenderKind};

const PAIR: Pair = Pair::new(RouterKind::Gobgp, SenderKind::Speaker(BGP_SPEAKER));

announcer_integration::speaker_suite!(PAIR);
