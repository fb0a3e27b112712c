//! Probes: one attempt at a check, bounded by its timeout, answering pass or fail.
//!
//! Every probe returns a [`ProbeResult`]; anything that keeps a probe from
//! answering (timeout, refused connection, DNS, spawn failure) is a failing
//! result with an operator-readable detail, never an error or a panic.

pub mod exec;
pub mod file;
pub mod http;
mod spawner;
pub mod tcp;

use std::future::Future;
use std::io;
use std::time::Duration;

use tokio::time::Instant;

use crate::spec::CheckKind;

/// The outcome of one probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeResult {
    /// Whether the check passed.
    pub pass: bool,
    /// How long the probe took.
    pub latency: Duration,
    /// A short operator-readable reason: "HTTP 500", "connect refused", "timed out after 1s".
    pub detail: String,
}

/// Runs the probe of `kind` once, bounded by `timeout`.
pub async fn run(kind: &CheckKind, timeout: Duration) -> ProbeResult {
    match kind {
        CheckKind::Http(check) => http::probe(check, timeout).await,
        CheckKind::Tcp { address } => tcp::probe(*address, timeout).await,
        CheckKind::Exec { command, user } => exec::probe_as(command, user.as_ref(), timeout).await,
        CheckKind::File { path, pass_if } => file::probe(path, *pass_if, timeout).await,
    }
}

/// A probe's answer before its latency is known.
#[derive(Debug)]
pub(crate) struct Verdict {
    /// Whether the check passed.
    pub(crate) pass: bool,
    /// Why, for the operator.
    pub(crate) detail: String,
}

impl Verdict {
    /// A passing verdict.
    pub(crate) fn pass(detail: impl Into<String>) -> Self {
        Verdict {
            pass: true,
            detail: detail.into(),
        }
    }

    /// A failing verdict.
    pub(crate) fn fail(detail: impl Into<String>) -> Self {
        Verdict {
            pass: false,
            detail: detail.into(),
        }
    }

    /// The result of a probe that started at `start`.
    pub(crate) fn since(self, start: Instant) -> ProbeResult {
        ProbeResult {
            pass: self.pass,
            latency: start.elapsed(),
            detail: self.detail,
        }
    }
}

/// Runs `work` and times it; past `timeout` it is dropped and the probe fails.
pub(crate) async fn timed(timeout: Duration, work: impl Future<Output = Verdict>) -> ProbeResult {
    let start = Instant::now();
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| timed_out(timeout))
        .since(start)
}

/// The verdict of a probe that hit its timeout.
pub(crate) fn timed_out(timeout: Duration) -> Verdict {
    Verdict::fail(format!("timed out after {}", human(timeout)))
}

/// Detail for a failed TCP connect: "connect refused", or the error.
pub(crate) fn connect_failed(err: &io::Error) -> Verdict {
    match err.kind() {
        io::ErrorKind::ConnectionRefused => Verdict::fail("connect refused"),
        _ => Verdict::fail(format!("connect: {err}")),
    }
}

/// A duration as an operator reads it: "1s", "250ms", "1500ms", "80µs".
pub(crate) fn human(d: Duration) -> String {
    let millis = d.as_millis();
    if millis == 0 {
        format!("{}µs", d.as_micros())
    } else if millis % 1000 == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{millis}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations_use_the_largest_exact_unit() {
        assert_eq!(human(Duration::from_secs(1)), "1s");
        assert_eq!(human(Duration::from_millis(250)), "250ms");
        assert_eq!(human(Duration::from_millis(1500)), "1500ms");
        assert_eq!(human(Duration::from_micros(80)), "80µs");
        assert_eq!(human(Duration::ZERO), "0µs");
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_past_its_timeout_fails_with_the_timeout_in_its_detail() {
        let result = timed(Duration::from_secs(1), std::future::pending()).await;
        assert!(!result.pass);
        assert_eq!(result.detail, "timed out after 1s");
        assert_eq!(result.latency, Duration::from_secs(1));
    }
}
