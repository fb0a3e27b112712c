//! Stopping a run cleanly: SIGINT (Ctrl-C) and SIGTERM set a flag that
//! every wait of the benchmark checks, so the trial in progress fails with
//! "interrupted", its guards kill its processes and delete its namespaces,
//! and the run ends with what it has.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use announcer_harness::error::{Error, Result};
use announcer_harness::wait::wait_until_unless;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Set once SIGINT or SIGTERM arrived.
static STOP: AtomicBool = AtomicBool::new(false);

/// The longest single sleep between checks of the flag.
const SLICE: Duration = Duration::from_millis(20);

/// Handles SIGINT and SIGTERM from now on (on a thread of its own) by
/// setting the stop flag; later signals change nothing.
pub fn install() -> Result<()> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).map_err(|e| Error::io("install signal handlers", e))?;
    std::thread::spawn(move || {
        for _ in signals.forever() {
            if !STOP.swap(true, Ordering::SeqCst) {
                eprintln!("bench: interrupted; cleaning up");
            }
        }
    });
    Ok(())
}

/// Whether the run should stop.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// An error if the run should stop.
pub fn check() -> Result<()> {
    if requested() {
        return Err(Error::Check("interrupted".to_owned()));
    }
    Ok(())
}

/// Sleeps `duration`, in slices, failing early if the run should stop.
pub fn sleep(duration: Duration) -> Result<()> {
    let end = Instant::now() + duration;
    let slices = duration.as_millis() / SLICE.as_millis() + 1;
    for _ in 0..=slices {
        check()?;
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(());
        }
        std::thread::sleep(left.min(SLICE));
    }
    Ok(())
}

/// [`announcer_harness::wait::wait_until`] that fails early if the run should stop:
/// calls `check_once` every `poll` until it returns `Ok`, for at most
/// `timeout`. `check_once` returns `Err(observed)` while the condition does
/// not hold.
pub fn poll_until<T>(
    what: &str,
    timeout: Duration,
    poll: Duration,
    check_once: impl FnMut() -> std::result::Result<T, String>,
) -> Result<T> {
    wait_until_unless(what, timeout, poll, check, check_once)
}
