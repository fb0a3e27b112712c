//! The delay schedule behind [`Backoff`]: exponential growth (×2 per wait) from `initial`,
//! capped at `max`, with ±25 % jitter from a tiny deterministic PRNG (xorshift64*).
//!
//! Invariant: no delay handed out exceeds `max`, jitter included. The schedule restarts at
//! `initial` once a session reaches Established (RFC 4271 §8.1.1 leaves the retry policy to
//! the implementation; damping beyond this backoff is not done).

use std::time::Duration;

use super::Backoff;

/// Replaces a zero seed, which xorshift cannot leave (the golden-ratio constant).
const NONZERO_SEED: u64 = 0x9E37_79B9_7F4A_7C15;

/// Jitter spans [768/1024, 1280/1024] of the nominal delay: ±25 %.
const JITTER_LOW: u128 = 768;
/// Width of the jitter range, in 1024ths of the nominal delay (inclusive).
const JITTER_SPAN: u64 = 513;
/// The jitter denominator.
const JITTER_SCALE: u128 = 1024;

/// Successive retry delays for one peer.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    config: Backoff,
    /// The nominal (un-jittered) delay the next wait is based on.
    nominal: Duration,
    /// The xorshift state; never zero.
    rng: u64,
}

impl Schedule {
    /// A schedule starting at `config.initial`, jittered from `seed`.
    pub(crate) fn new(config: Backoff, seed: u64) -> Self {
        let rng = if seed == 0 { NONZERO_SEED } else { seed };
        Schedule {
            config,
            nominal: config.initial.min(config.max),
            rng,
        }
    }

    /// The next delay to wait; the one after it is twice as long (up to `max`).
    pub(crate) fn next_delay(&mut self) -> Duration {
        let jittered = scale(
            self.nominal,
            JITTER_LOW + u128::from(self.next_random() % JITTER_SPAN),
        );
        self.nominal = self
            .nominal
            .checked_mul(2)
            .unwrap_or(self.config.max)
            .min(self.config.max);
        jittered.min(self.config.max)
    }

    /// Starts over at `initial` (after a session reached Established).
    pub(crate) fn reset(&mut self) {
        self.nominal = self.config.initial.min(self.config.max);
    }

    /// xorshift64* (Vigna): small, fast and good enough to spread reconnects.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// `d × factor / 1024`, in integer nanoseconds (no float rounding, no overflow panic).
fn scale(d: Duration, factor: u128) -> Duration {
    let nanos = d.as_nanos().saturating_mul(factor) / JITTER_SCALE;
    let secs = u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX);
    let sub = u32::try_from(nanos % 1_000_000_000).unwrap_or(0);
    Duration::new(secs, sub)
}
