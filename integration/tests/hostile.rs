//! The hostile-peer suite (issue 5, item 1): a scripted peer in its own namespace sends
//! malformed or abusive input to our speaker; each case asserts the exact NOTIFICATION the
//! speaker answers (RFC 4271 §6, RFC 6608, RFC 7313, RFC 4486), or the RFC 7606 outcome (the
//! session stays up), and that the speaker accepts or reconnects again after its backoff.
//!
//! The cases that differ only in what is sent are tables, one row per case, each row in a lab
//! of its own: [`reset`] (the input is answered with a NOTIFICATION) and [`survive`] (RFC 7606
//! keeps the session up). A table runs every row and then fails naming each row that failed.
//! The cases that need a lab or checks of their own are single tests: [`abuse`] (a KEEPALIVE
//! storm, a route flood, slow drips) and [`connection`] (resets, silence, collisions,
//! strangers, a bystander).
//!
//! Each case prints `hostile: <case>: sent <what> → got <answer> in N ms` (run with
//! `--nocapture` to see the table); the flood and the storm also print `measured:` lines.

use std::path::Path;
use std::time::Duration;

use announcer_integration::hostile::require;
use announcer_integration::hostile::rig::{HostileRig, RigConfig};
use announcer_integration::preflight;
use announcer_integration::{Error, Result};

#[path = "hostile/abuse.rs"]
mod abuse;
#[path = "hostile/connection.rs"]
mod connection;
#[path = "hostile/reset.rs"]
mod reset;
#[path = "hostile/survive.rs"]
mod survive;

const SPEAKER: &str = preflight::BGP_SPEAKER;
/// The route the speaker is asked to announce to prove it still serves the session.
const PROBE: &str = "203.0.113.7/32";
/// How long a session must stay up after input RFC 7606 handles without a reset.
const WINDOW: Duration = Duration::from_millis(3500);
/// How often the peer sends KEEPALIVEs while it watches (the hold time is 3 s).
const KEEPALIVE_EVERY: Duration = Duration::from_secs(1);

/// The rig for `test` with `config`; an error naming what is missing where it cannot run
/// (the tests are ignored unless asked for).
fn lab(test: &str, config: RigConfig) -> Result<HostileRig> {
    HostileRig::start(&require(SPEAKER, test)?, config)
}

/// A failed check as an error (the tables collect errors rather than stop at a panic).
fn check(holds: bool, failure: impl FnOnce() -> String) -> Result<()> {
    if holds {
        Ok(())
    } else {
        Err(Error::Check(failure()))
    }
}

/// Runs every row of the table `test` (named by `name`), each by `run` with the speaker
/// binary, and fails naming every row that failed, not only the first.
fn run_table<C>(
    test: &str,
    cases: &[C],
    name: impl Fn(&C) -> &str,
    run: impl Fn(&Path, &C) -> Result<()>,
) -> Result<()> {
    let binary = require(SPEAKER, test)?;
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            run(&binary, case)
                .err()
                .map(|e| format!("{}: {e}", name(case)))
        })
        .collect();
    check(failures.is_empty(), || {
        format!(
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        )
    })
}
