//! UPDATE encode and decode throughput (criterion): one /32, and a full 4,096-byte UPDATE of
//! /32s, in routes per second and bytes per second. Run with `cargo bench -p announcer-bgp`.

// Bench setup: a panic means the bench itself is wrong.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::net::Ipv4Addr;

use announcer_bgp::wire::{decode, AsPath, Message, Origin, PathAttributes, Update, WireContext};
use announcer_bgp::{Asn, Family, Prefix};
use bytes::BytesMut;
use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};

/// The largest UPDATE (RFC 4271 §4).
const MAX_MESSAGE: usize = 4096;

/// The context of the sessions the lab's routers negotiate.
fn context() -> WireContext {
    WireContext {
        four_octet_as: true,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
    }
}

/// An UPDATE announcing `n` /32s from 198.18.0.0 with ORIGIN, AS_PATH and NEXT_HOP.
fn update(n: u32) -> Message {
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
    Message::Update(Update {
        attributes: PathAttributes {
            origin: Some(Origin::Igp),
            as_path: Some(AsPath::sequence(vec![Asn::new(65001)])),
            next_hop: Some(Ipv4Addr::new(192, 0, 2, 11)),
            ..PathAttributes::default()
        },
        nlri: (0..n)
            .map(|i| Prefix::host(Ipv4Addr::from(base + i).into()))
            .collect(),
        ..Update::default()
    })
}

/// The most /32s one UPDATE carries.
fn full_update_routes(ctx: &WireContext) -> u32 {
    let mut n = 1;
    while update(n + 1).encoded_len(ctx).unwrap() <= MAX_MESSAGE {
        n += 1;
    }
    n
}

fn encoded(message: &Message, ctx: &WireContext) -> Vec<u8> {
    let mut out = BytesMut::new();
    message.encode(ctx, &mut out).unwrap();
    out.to_vec()
}

fn codec(c: &mut Criterion) {
    let ctx = context();
    let sizes = [1, full_update_routes(&ctx)];
    for (unit, per_route) in [("routes", true), ("bytes", false)] {
        let mut group = c.benchmark_group(format!("update/{unit}"));
        for &n in &sizes {
            let message = update(n);
            let bytes = encoded(&message, &ctx);
            group.throughput(if per_route {
                Throughput::Elements(u64::from(n))
            } else {
                Throughput::Bytes(bytes.len() as u64)
            });
            group.bench_with_input(BenchmarkId::new("encode", n), &message, |b, m| {
                let mut out = BytesMut::with_capacity(MAX_MESSAGE);
                b.iter(|| {
                    out.clear();
                    black_box(m).encode(&ctx, &mut out).unwrap();
                });
            });
            group.bench_with_input(BenchmarkId::new("decode", n), &bytes, |b, wire| {
                b.iter(|| decode(black_box(wire), &ctx).unwrap());
            });
        }
        group.finish();
    }
}

/// The criterion group (its generated function is undocumented, so kept private here).
mod group {
    criterion::criterion_group!(benches, super::codec);
}

criterion_main!(group::benches);
