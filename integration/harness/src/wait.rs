//! Bounded polling: every wait in the lab has a deadline and a bounded number
//! of attempts, and its error says what was awaited and what was last seen.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The poll interval used by the scenarios.
pub const POLL: Duration = Duration::from_millis(200);

/// Calls `check` every `poll` until it returns `Ok`, for at most `timeout`.
///
/// `check` returns `Err(observed)` while the condition does not hold, where
/// `observed` describes the current state (it ends up in the timeout error).
/// The number of attempts is bounded by `timeout / poll + 1` as well as by the
/// clock, so a slow `check` cannot stretch the wait indefinitely.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    poll: Duration,
    check: impl FnMut() -> std::result::Result<T, String>,
) -> Result<T> {
    wait_until_unless(what, timeout, poll, || Ok(()), check)
}

/// [`wait_until`] that also calls `interrupted` before every attempt and
/// gives up with its error as soon as it returns one (e.g. the benchmark's
/// stop flag, so Ctrl-C ends a long wait at once).
pub fn wait_until_unless<T>(
    what: &str,
    timeout: Duration,
    poll: Duration,
    mut interrupted: impl FnMut() -> Result<()>,
    mut check: impl FnMut() -> std::result::Result<T, String>,
) -> Result<T> {
    let start = Instant::now();
    let deadline = start + timeout;
    let attempts = timeout.as_micros() / poll.as_micros().max(1) + 1;
    let mut last = String::from("(not checked)");
    for _ in 0..attempts {
        interrupted()?;
        match check() {
            Ok(value) => return Ok(value),
            Err(observed) => last = observed,
        }
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(poll.min(deadline - now));
    }
    Err(Error::Timeout {
        what: what.to_owned(),
        after: start.elapsed(),
        last,
    })
}

/// Checks that `check` keeps returning `Ok` for the whole `period` (polled
/// every `poll`); fails with the first observation that broke it.
pub fn holds_for(
    what: &str,
    period: Duration,
    poll: Duration,
    mut check: impl FnMut() -> std::result::Result<(), String>,
) -> Result<()> {
    let deadline = Instant::now() + period;
    let attempts = period.as_millis() / poll.as_millis().max(1) + 1;
    for _ in 0..attempts {
        check().map_err(|observed| {
            Error::Check(format!("expected {what} for {period:?}, but: {observed}"))
        })?;
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        std::thread::sleep(poll.min(deadline - now));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_until_returns_the_first_successful_value() {
        let mut calls = 0;
        let value = wait_until(
            "three calls",
            Duration::from_secs(2),
            Duration::from_millis(1),
            || {
                calls += 1;
                if calls == 3 {
                    Ok(calls)
                } else {
                    Err(format!("calls={calls}"))
                }
            },
        );
        assert_eq!(value.unwrap(), 3);
    }

    #[test]
    fn wait_until_times_out_naming_the_condition_and_last_observation() {
        let error = wait_until::<()>(
            "never",
            Duration::from_millis(30),
            Duration::from_millis(5),
            || Err("still no".to_owned()),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("never") && error.contains("still no"),
            "{error}"
        );
    }

    #[test]
    fn wait_until_unless_gives_up_once_interrupted() {
        let calls = std::cell::Cell::new(0);
        let error = wait_until_unless::<()>(
            "never",
            Duration::from_secs(10),
            Duration::from_millis(1),
            || {
                if calls.get() >= 2 {
                    Err(Error::Check("interrupted".to_owned()))
                } else {
                    Ok(())
                }
            },
            || {
                calls.set(calls.get() + 1);
                Err("not yet".to_owned())
            },
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("interrupted"), "{error}");
        assert_eq!(calls.get(), 2);
    }

    #[test]
    fn holds_for_reports_the_observation_that_broke_it() {
        let mut calls = 0;
        let error = holds_for(
            "calm",
            Duration::from_secs(1),
            Duration::from_millis(1),
            || {
                calls += 1;
                if calls < 3 {
                    Ok(())
                } else {
                    Err("storm".to_owned())
                }
            },
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("calm") && error.contains("storm"), "{error}");
    }
}
