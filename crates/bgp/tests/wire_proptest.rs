//! Properties of the codec: every valid message survives encode → decode unchanged (in the
//! 4-octet context, and in the 2-octet context with 2-octet ASNs plus explicit AS4_*), the
//! size function agrees with the encoder, and no input — random bytes, random bodies behind a
//! valid header, mutated valid messages, any context — makes decoding panic.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wire_support;

use std::net::{Ipv4Addr, Ipv6Addr};

use announcer_bgp::wire::{
    decode, frame_len, Aggregator, AsPath, AsSegment, Capability, Community, ErrorCode,
    GracefulRestart, GracefulRestartFamily, LargeCommunity, Message, MpNextHop, MpReach, MpUnreach,
    Notification, Open, Origin, PathAttributes, RawAttribute, RouteRefresh, Update, WireContext,
};
use announcer_bgp::{Afi, Asn, Family, HoldTime, Prefix, RouterId, Safi};
use bytes::Bytes;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;
use wire_support::{ctx2, ctx4, encode};

fn family() -> impl Strategy<Value = Family> {
    (any::<u16>(), any::<u8>()).prop_map(|(a, s)| Family {
        afi: Afi::from(a),
        safi: Safi::from(s),
    })
}

fn v4_prefix() -> impl Strategy<Value = Prefix> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, l)| Prefix::new(Ipv4Addr::from(a).into(), l).unwrap())
}

fn v6_prefix() -> impl Strategy<Value = Prefix> {
    (any::<u128>(), 0u8..=128).prop_map(|(a, l)| Prefix::new(Ipv6Addr::from(a).into(), l).unwrap())
}

fn capability() -> impl Strategy<Value = Capability> {
    let gr_family = (family(), any::<bool>()).prop_map(|(family, forwarding_preserved)| {
        GracefulRestartFamily {
            family,
            forwarding_preserved,
        }
    });
    prop_oneof![
        family().prop_map(Capability::Multiprotocol),
        Just(Capability::RouteRefresh),
        (
            any::<bool>(),
            any::<bool>(),
            0u16..4096,
            vec(gr_family, 0..4)
        )
            .prop_map(|(r, n, t, f)| {
                Capability::GracefulRestart(GracefulRestart {
                    restart_state: r,
                    notification: n,
                    restart_time: t,
                    families: f,
                })
            }),
        any::<u32>().prop_map(|a| Capability::FourOctetAs(Asn::new(a))),
        (3u8..=63, vec(any::<u8>(), 0..20)).prop_map(|(code, v)| Capability::Unknown {
            code,
            value: Bytes::from(v)
        }),
    ]
}

/// Capabilities without conflicting single-valued ones (those are a decode error).
fn capabilities() -> impl Strategy<Value = Vec<Capability>> {
    vec(capability(), 0..8).prop_map(|caps| {
        let mut out: Vec<Capability> = Vec::new();
        for cap in caps {
            if !out
                .iter()
                .any(|c| c.code() == cap.code() && matches!(c.code(), 64 | 65))
            {
                out.push(cap);
            }
        }
        out
    })
}

fn open() -> impl Strategy<Value = Message> {
    let hold = prop_oneof![Just(0u16), 3u16..];
    (any::<u16>(), hold, 1u32.., capabilities()).prop_map(|(my_as, hold, id, capabilities)| {
        Message::Open(Open {
            my_as,
            hold_time: HoldTime::new(hold).unwrap(),
            router_id: RouterId::new(Ipv4Addr::from(id)).unwrap(),
            capabilities,
        })
    })
}

fn notification() -> impl Strategy<Value = Message> {
    (any::<u8>(), any::<u8>(), vec(any::<u8>(), 0..300)).prop_map(|(c, s, data)| {
        Message::Notification(Notification::new(ErrorCode::from_octets(c, s), data))
    })
}

fn route_refresh() -> impl Strategy<Value = Message> {
    (family(), any::<u8>())
        .prop_map(|(family, subtype)| Message::RouteRefresh(RouteRefresh { family, subtype }))
}

fn asns(four: bool) -> impl Strategy<Value = Vec<Asn>> {
    let max = if four { u32::MAX } else { u32::from(u16::MAX) };
    vec((0..=max).prop_map(Asn::new), 1..10)
}

fn as_path(four: bool, confed: bool) -> impl Strategy<Value = AsPath> {
    let kinds = if confed { 4u8 } else { 2 };
    let segment = (0..kinds, asns(four)).prop_map(|(kind, a)| match kind {
        0 => AsSegment::Sequence(a),
        1 => AsSegment::Set(a),
        2 => AsSegment::ConfedSequence(a),
        _ => AsSegment::ConfedSet(a),
    });
    vec(segment, 0..4).prop_map(|segments| AsPath { segments })
}

fn aggregator(four: bool) -> impl Strategy<Value = Aggregator> {
    let max = if four { u32::MAX } else { u32::from(u16::MAX) };
    (0..=max, any::<u32>()).prop_map(|(a, ip)| Aggregator {
        asn: Asn::new(a),
        address: ip.into(),
    })
}

fn mp_reach() -> impl Strategy<Value = MpReach> {
    let v4 = (any::<u32>(), vec(v4_prefix(), 0..20)).prop_map(|(nh, nlri)| MpReach {
        family: Family::IPV4_UNICAST,
        next_hop: MpNextHop::V4(nh.into()),
        nlri,
    });
    let v6 =
        (any::<u128>(), of(any::<u128>()), vec(v6_prefix(), 0..20)).prop_map(|(g, ll, nlri)| {
            MpReach {
                family: Family::IPV6_UNICAST,
                next_hop: MpNextHop::V6 {
                    global: g.into(),
                    link_local: ll.map(Ipv6Addr::from),
                },
                nlri,
            }
        });
    prop_oneof![v4, v6]
}

fn mp_unreach() -> impl Strategy<Value = MpUnreach> {
    prop_oneof![
        vec(v4_prefix(), 0..20).prop_map(|w| MpUnreach {
            family: Family::IPV4_UNICAST,
            withdrawn: w
        }),
        vec(v6_prefix(), 0..20).prop_map(|w| MpUnreach {
            family: Family::IPV6_UNICAST,
            withdrawn: w
        }),
    ]
}

fn other() -> impl Strategy<Value = Vec<RawAttribute>> {
    vec((100u8..=200, vec(any::<u8>(), 0..300)), 0..3).prop_map(|mut attrs| {
        attrs.sort_by_key(|a| a.0);
        attrs.dedup_by_key(|a| a.0);
        attrs
            .into_iter()
            .map(|(type_code, v)| RawAttribute {
                flags: 0xe0,
                type_code,
                value: Bytes::from(v),
            })
            .collect()
    })
}

/// A valid UPDATE for the context (`four`: 4-octet AS). Mandatory attributes are filled in
/// whenever routes are advertised, so decoding records no faults.
fn update(four: bool) -> impl Strategy<Value = Message> {
    let origin = of(prop_oneof![
        Just(Origin::Igp),
        Just(Origin::Egp),
        Just(Origin::Incomplete)
    ]);
    let basics = (
        origin,
        of(as_path(four, true)),
        of(any::<u32>().prop_map(Ipv4Addr::from)),
        of(any::<u32>()),
        of(any::<u32>()),
        any::<bool>(),
        of(aggregator(four)),
    );
    let rest = (
        vec(any::<u32>().prop_map(Community), 0..5),
        of(mp_reach()),
        of(mp_unreach()),
        vec((any::<u32>(), any::<u32>(), any::<u32>()), 0..3),
        other(),
        of(as_path(true, false).prop_filter("non-empty", |p| !p.segments.is_empty())),
        of(aggregator(true)),
    );
    let routes = (vec(v4_prefix(), 0..20), vec(v4_prefix(), 0..20));
    (basics, rest, routes).prop_map(move |(b, r, (withdrawn, nlri))| {
        let (origin, as_path, next_hop, med, local_pref, atomic_aggregate, aggregator) = b;
        let (communities, mp_reach, mp_unreach, large, other, as4_path, as4_aggregator) = r;
        let advertises = !nlri.is_empty() || mp_reach.is_some();
        let attributes = PathAttributes {
            origin: origin.or(advertises.then_some(Origin::Igp)),
            as_path: as_path.or(advertises.then(AsPath::default)),
            next_hop: next_hop.or((!nlri.is_empty()).then_some(Ipv4Addr::LOCALHOST)),
            med,
            local_pref,
            atomic_aggregate,
            aggregator,
            communities,
            mp_reach,
            mp_unreach,
            as4_path: if four { None } else { as4_path },
            as4_aggregator: if four { None } else { as4_aggregator },
            large_communities: large
                .into_iter()
                .map(|(global, local1, local2)| LargeCommunity {
                    global,
                    local1,
                    local2,
                })
                .collect(),
            other,
        };
        Message::Update(Update {
            withdrawn,
            attributes,
            nlri,
            faults: vec![],
        })
    })
}

fn any_message(four: bool) -> impl Strategy<Value = Message> {
    prop_oneof![
        open(),
        update(four),
        notification(),
        route_refresh(),
        Just(Message::Keepalive)
    ]
}

fn any_ctx() -> impl Strategy<Value = WireContext> {
    let fams = prop_oneof![
        Just(Family::IPV4_UNICAST),
        Just(Family::IPV6_UNICAST),
        family(),
    ];
    (any::<bool>(), vec(fams, 0..3)).prop_map(|(four_octet_as, families)| WireContext {
        four_octet_as,
        families,
    })
}

fn round_trip(msg: &Message, ctx: &WireContext) -> Result<(), TestCaseError> {
    let bytes = encode(msg, ctx);
    prop_assert_eq!(msg.encoded_len(ctx).unwrap(), bytes.len());
    prop_assert_eq!(frame_len(&bytes), Ok(Some(bytes.len())));
    prop_assert_eq!(&decode(&bytes, ctx).unwrap(), msg);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_message_round_trips_with_four_octet_asns(msg in any_message(true)) {
        round_trip(&msg, &ctx4())?;
    }

    #[test]
    fn every_message_round_trips_with_two_octet_asns_and_explicit_as4_attributes(
        msg in any_message(false),
    ) {
        round_trip(&msg, &ctx2())?;
    }

    #[test]
    fn update_encoded_len_matches_the_encoder_in_any_context(
        msg in update(true),
        ctx in any_ctx(),
    ) {
        let Message::Update(u) = &msg else { unreachable!() };
        prop_assert_eq!(u.encoded_len(&ctx), encode(&msg, &ctx).len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in vec(any::<u8>(), 0..600), ctx in any_ctx()) {
        let _ = frame_len(&bytes);
        let _ = decode(&bytes, &ctx);
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(
        kind in 1u8..=5,
        body in vec(any::<u8>(), 0..600),
        ctx in any_ctx(),
    ) {
        let mut bytes = vec![0xff; 16];
        bytes.extend_from_slice(&u16::try_from(19 + body.len()).unwrap().to_be_bytes());
        bytes.push(kind);
        bytes.extend_from_slice(&body);
        prop_assert_eq!(frame_len(&bytes), Ok(Some(bytes.len())));
        let _ = decode(&bytes, &ctx);
    }

    #[test]
    fn mutated_valid_messages_never_panic(
        msg in any_message(true),
        flips in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        ctx in any_ctx(),
    ) {
        let mut bytes = encode(&msg, &ctx4());
        for (at, value) in flips {
            // Keep the marker and length so the mutation reaches the body parsers.
            let i = 18 + at.index(bytes.len() - 18);
            bytes[i] = value;
        }
        let _ = decode(&bytes, &ctx);
    }
}
