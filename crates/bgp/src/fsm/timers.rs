//! Timers as data: a timer is an `Option<Instant>` deadline, `None` when not running.
//!
//! The driver asks for the earliest deadline ([`super::Fsm::poll_timeout`]) and reports when
//! it is reached ([`super::Fsm::handle_timeout`]); nothing here reads a clock.

use std::time::{Duration, Instant};

/// The deadline `delay` after `now`; `None` (never) if `delay` is `None` or the sum is not
/// representable.
pub(crate) fn after(now: Instant, delay: Option<Duration>) -> Option<Instant> {
    delay.and_then(|d| now.checked_add(d))
}

/// True when the timer is running and its deadline is at or before `now`.
pub(crate) fn expired(deadline: Option<Instant>, now: Instant) -> bool {
    deadline.is_some_and(|d| d <= now)
}
