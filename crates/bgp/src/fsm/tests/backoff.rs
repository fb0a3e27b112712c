//! The retry delay schedule: exponential, capped, jittered, deterministic.

use std::time::Duration;

use crate::fsm::backoff::Schedule;
use crate::fsm::Backoff;

fn schedule(initial: u64, max: u64, seed: u64) -> Schedule {
    let config = Backoff {
        initial: Duration::from_secs(initial),
        max: Duration::from_secs(max),
    };
    Schedule::new(config, seed)
}

#[test]
fn backoff_doubles_and_is_capped_with_jitter() {
    let max = Duration::from_secs(10);
    let mut s = schedule(1, 10, 42);
    for nominal in [1u64, 2, 4, 8, 10, 10, 10, 10] {
        let nominal = Duration::from_secs(nominal);
        let delay = s.next_delay();
        assert!(
            delay >= nominal * 3 / 4,
            "{delay:?} below {nominal:?} - 25%"
        );
        assert!(
            delay <= nominal * 5 / 4,
            "{delay:?} above {nominal:?} + 25%"
        );
        assert!(delay <= max, "{delay:?} above the cap");
    }
}

#[test]
fn backoff_jitter_never_exceeds_the_cap() {
    let mut s = schedule(60, 60, 1);
    for _ in 0..1000 {
        assert!(s.next_delay() <= Duration::from_secs(60));
    }
}

#[test]
fn backoff_jitter_is_deterministic_per_seed_and_varies() {
    let delays = |seed| {
        let mut s = schedule(100, 100, seed);
        (0..20).map(|_| s.next_delay()).collect::<Vec<_>>()
    };
    assert_eq!(delays(5), delays(5));
    assert_ne!(delays(5), delays(6));
    let mut sorted = delays(0);
    sorted.dedup();
    assert!(sorted.len() > 1, "a zero seed jitters too");
}

#[test]
fn backoff_reset_starts_over_at_initial() {
    let mut s = schedule(1, 60, 3);
    for _ in 0..6 {
        s.next_delay();
    }
    s.reset();
    assert!(s.next_delay() <= Duration::from_millis(1250));
}

#[test]
fn backoff_initial_above_max_is_capped() {
    let mut s = schedule(100, 10, 3);
    assert!(s.next_delay() <= Duration::from_secs(10));
}
