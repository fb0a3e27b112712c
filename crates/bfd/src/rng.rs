//! A small deterministic pseudo-random generator (xorshift64*) for jitter, discriminators
//! and source ports: seeded by the caller, so the state machine stays pure and tests repeat.

/// The generator's state.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator from any seed (zero is mapped to a valid state).
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next 32 random bits.
    pub(crate) fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// A number in `0..n` (`n` > 0), close enough to uniform for small `n`.
    pub(crate) fn below(&mut self, n: u32) -> u32 {
        self.next_u32() % n.max(1)
    }
}
