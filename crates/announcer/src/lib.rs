//! The parts of `announcer` that other crates use: the configuration parser, which the
//! config fuzz target (`fuzz/fuzz_targets/config.rs`) drives.

pub mod config;
