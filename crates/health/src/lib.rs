//! announcer-health: local health checks and their rise/fall hysteresis.
//!
//! - [`spec`]: what a check is (type, interval, timeout, rise, fall).
//! - [`policy`]: the pure rise/fall state machine and the choice of interval.
//! - [`probe`]: one attempt at a check (HTTP, TCP, exec, file), always an answer.
//! - [`error`]: why an exec check's command could not be started.
//! - [`runner`]: a tokio task per check, publishing its status on a `watch` channel.

pub mod error;
pub mod policy;
pub mod probe;
pub mod runner;
pub mod spec;

pub use error::Error;
pub use policy::{RiseFall, Transition};
pub use probe::ProbeResult;
pub use runner::{spawn, CheckHandle, CheckStatus, LastProbe};
pub use spec::{CheckKind, CheckSpec, ExecUser, ExpectStatus, FilePassIf, HttpCheck, HttpMethod};
