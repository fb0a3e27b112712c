//! Durations as written in the configuration: whole numbers with a unit, largest unit
//! first, each unit at most once: `"250ms"`, `"2s"`, `"1m"`, `"1m30s"`, `"1h"`.
//!
//! No fractions (`"1.5s"`: write `"1500ms"`), no spaces, no bare numbers.

use std::time::Duration;

/// Describes the accepted form, for error messages.
pub(super) const EXPECTED: &str =
    "a duration such as \"250ms\", \"2s\" or \"1m30s\" (units h, m, s, ms)";

/// Units, largest first, with their length in milliseconds.
const UNITS: [(&str, u64); 4] = [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)];

/// The duration `text` denotes, or `None` when it is not of the accepted form.
pub(super) fn parse(text: &str) -> Option<Duration> {
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut smallest_allowed = 0;
    let mut millis: u64 = 0;
    while !rest.is_empty() {
        let (number, tail) = rest.split_at_checked(prefix_len(rest, |b| b.is_ascii_digit()))?;
        let (unit, tail) = tail.split_at_checked(prefix_len(tail, |b| b.is_ascii_alphabetic()))?;
        let value: u64 = number.parse().ok()?;
        let (index, (_, unit_millis)) = UNITS
            .iter()
            .enumerate()
            .skip(smallest_allowed)
            .find(|(_, (name, _))| *name == unit)?;
        smallest_allowed = index + 1;
        millis = millis.checked_add(value.checked_mul(*unit_millis)?)?;
        rest = tail;
    }
    Some(Duration::from_millis(millis))
}

/// How many leading ASCII bytes of `text` satisfy `accept`.
fn prefix_len(text: &str, accept: impl Fn(u8) -> bool) -> usize {
    text.bytes().take_while(|&b| accept(b)).count()
}
