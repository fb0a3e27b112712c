//! The hostile-peer lab: a scripted BGP peer (test code) in its own network namespace sends
//! malformed or abusive input to our speaker, and the tests assert what the speaker answers
//! (the NOTIFICATION RFC 4271 / RFC 7606 prescribe, or a session that stays up) and that it
//! accepts or reconnects again after its backoff.
//!
//! Layers: [`bytes`] (raw messages built by hand) and [`crate::netns::in_namespace`] (socket
//! setup inside the peer's namespace) → [`peer`] (one connection: send raw bytes, read and
//! decode with a deadline) and [`crate::speaker`] (the `bgp-speaker` process) → [`rig`] (the
//! two namespaces, the speaker, connections in either direction) → [`flood`] (a peer that stops
//! reading and floods ROUTE-REFRESH, and the measurements around it). The cases are in
//! `integration/tests/hostile.rs` (its tables and tests in `integration/tests/hostile/`) and
//! `integration/tests/peer_bounds.rs`.

pub mod bytes;
pub mod flood;
pub mod peer;
pub mod rig;

use std::path::PathBuf;
use std::time::Duration;

use announcer_bgp::wire::{Hex, Notification};

use crate::error::{Error, Result};
use crate::preflight::{find_binary, require_built};

/// The speaker binary if the hostile-peer rig can run here (root, `ip`, the binary built);
/// otherwise an error naming what is missing (the tests are `#[ignore]`d unless asked for).
pub fn require(binary: &str, test: &str) -> Result<PathBuf> {
    let missing = if !nix::unistd::geteuid().is_root() {
        Some("needs root (network namespaces)")
    } else if find_binary("ip").is_none() {
        Some("needs ip (iproute2)")
    } else {
        None
    };
    match missing {
        None => require_built(binary, test),
        Some(reason) => Err(Error::LabUnavailable(format!(
            "{test}: {reason}; lab tests are ignored by a plain cargo test and run as root by sudo scripts/test"
        ))),
    }
}

/// `code/subcode data HEX (name)`, how the outcome lines show a NOTIFICATION.
pub fn describe(notification: &Notification) -> String {
    let (code, subcode) = notification.code.to_octets();
    let data = Hex(&notification.data).to_string();
    let data = if data.is_empty() {
        "none".to_owned()
    } else {
        data
    };
    format!(
        "NOTIFICATION {code}/{subcode} data {data} ({})",
        notification.code
    )
}

/// Prints one row of the outcome table:
/// `hostile: <case>: sent <what> → got <answer> in N ms<then>`, where `then` says what
/// followed (e.g. `; accepted again after 480 ms`) or is empty.
pub fn report(case: &str, sent: &str, got: &str, took: Duration, then: &str) {
    println!(
        "hostile: {case}: sent {sent} → got {got} in {} ms{then}",
        took.as_millis()
    );
}
