//! Decoding allocates at most a constant factor of the input length plus a constant: nothing
//! is sized from a count the peer sent. A counting global allocator measures every byte
//! requested on the decoding thread, for worst-case inputs (the smallest encodings of the
//! largest decoded values) and for random bodies of every message type.
//!
//! A global allocator must be `unsafe impl GlobalAlloc`; it only forwards to the system
//! allocator, so `unsafe_code` is allowed in this test crate alone.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![allow(unsafe_code)]

mod wire_support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use announcer_bgp::wire::{decode, WireContext};
use proptest::collection::vec;
use proptest::prelude::*;
use wire_support::{ctx2, ctx4, frame};

/// Bytes allowed per input byte (the worst cases below reach about 18).
const FACTOR: usize = 24;
/// Bytes allowed regardless of input.
const CONSTANT: usize = 8192;

struct Counting;

thread_local! {
    static REQUESTED: Cell<usize> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    let _ = REQUESTED.try_with(|c| c.set(c.get().saturating_add(bytes)));
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same layout as given to us.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: `ptr` came from `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes requested while decoding `bytes` (the result is dropped after counting).
fn allocated_by_decode(bytes: &[u8], ctx: &WireContext) -> usize {
    let before = REQUESTED.with(Cell::get);
    let result = decode(bytes, ctx);
    let after = REQUESTED.with(Cell::get);
    drop(result);
    after - before
}

fn assert_bounded(bytes: &[u8], ctx: &WireContext) {
    let used = allocated_by_decode(bytes, ctx);
    let bound = FACTOR * bytes.len() + CONSTANT;
    assert!(
        used <= bound,
        "{used} bytes allocated for {} input bytes (bound {bound})",
        bytes.len()
    );
}

/// A hand-made worst case: a message that decodes, checked against the bound.
fn assert_worst_case(bytes: &[u8], ctx: &WireContext) {
    assert!(bytes.len() <= 4096, "{} bytes", bytes.len());
    assert!(decode(bytes, ctx).is_ok(), "the worst case must decode");
    assert_bounded(bytes, ctx);
}

fn repeat(hex: &str, n: usize) -> String {
    vec![hex; n].join(" ")
}

#[test]
fn an_nlri_field_of_slash_0_prefixes_allocates_within_the_bound() {
    assert_worst_case(
        &frame(2, &format!("0000 0000 {}", repeat("00", 4073))),
        &ctx4(),
    );
}

#[test]
fn a_withdrawn_field_of_slash_0_prefixes_allocates_within_the_bound() {
    assert_worst_case(
        &frame(2, &format!("0fe9 {} 0000", repeat("00", 4073))),
        &ctx4(),
    );
}

#[test]
fn an_mp_unreach_of_ipv6_slash_0_prefixes_allocates_within_the_bound() {
    let attr = format!("90 0f 0fe5 0002 01 {}", repeat("00", 4066));
    assert_worst_case(&frame(2, &format!("0000 0fe9 {attr}")), &ctx4());
}

#[test]
fn an_as_path_of_one_asn_segments_allocates_within_the_bound() {
    let attr = format!("50 02 0fe4 {}", repeat("02 01 fde9", 1017));
    assert_worst_case(&frame(2, &format!("0000 0fe8 {attr}")), &ctx2());
}

#[test]
fn an_open_full_of_empty_unknown_capabilities_allocates_within_the_bound() {
    let caps = repeat("c8 00", 126);
    assert_worst_case(
        &frame(1, &format!("04 fde9 005a c0000201 fe 02 fc {caps}")),
        &ctx4(),
    );
}

#[test]
fn many_unknown_optional_transitive_attributes_allocate_within_the_bound() {
    let attrs: Vec<String> = (0..=255u16)
        .filter(|c| !matches!(c, 1..=8 | 14 | 15 | 17 | 18 | 32))
        .map(|c| format!("c0 {c:02x} 00"))
        .collect();
    let attrs = attrs.join(" ");
    let len = attrs.split_whitespace().count();
    assert_worst_case(&frame(2, &format!("0000 {len:04x} {attrs}")), &ctx4());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn random_bodies_allocate_within_the_bound(
        kind in 1u8..=5,
        body in vec(any::<u8>(), 0..4077),
        four in any::<bool>(),
    ) {
        let hex: Vec<String> = body.iter().map(|b| format!("{b:02x}")).collect();
        let ctx = if four { ctx4() } else { ctx2() };
        assert_bounded(&frame(kind, &hex.join("")), &ctx);
    }
}
