//! Hostile input, one row per case: malformed messages and the exact NOTIFICATION (code,
//! subcode, data) they are answered with, and the RFC 7606 outcomes (treat-as-withdraw,
//! attribute discard, family ignored) of UPDATEs that keep the session up.

// Test code: a panic is how a test fails, helpers included.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod wire_support;

use announcer_bgp::wire::{decode, FaultAction, Hex, Message, UpdateSubcode, WireContext};
use wire_support::{ctx2, ctx4, frame, unhex};

use FaultAction::{AttributeDiscard as Discard, FamilyIgnored as Ignored, TreatAsWithdraw as Taw};

const ORIGIN: &str = "40 01 01 00";
const AS_PATH: &str = "40 02 06 02 01 0000fde9";
const NEXT_HOP: &str = "40 03 04 c0000201";
const NLRI: &str = "18 c00002";

/// An UPDATE frame from its three fields; the two length fields are computed.
fn upd(withdrawn: &str, attrs: &str, nlri: &str) -> Vec<u8> {
    let (w, a) = (unhex(withdrawn), unhex(attrs));
    let body = format!("{:04x} {withdrawn} {:04x} {attrs} {nlri}", w.len(), a.len());
    frame(2, &body)
}

/// An UPDATE with the three mandatory attributes, `extra` after them, and one prefix.
fn with(extra: &str) -> Vec<u8> {
    upd("", &format!("{ORIGIN} {AS_PATH} {NEXT_HOP} {extra}"), NLRI)
}

/// An OPEN frame with the given optional parameters (length computed).
fn open(params: &str) -> Vec<u8> {
    frame(
        1,
        &format!("04 fde9 005a c0000201 {:02x} {params}", unhex(params).len()),
    )
}

/// A frame with an explicit length field (which may lie).
fn raw(len: u16, kind: u8, body: &str) -> Vec<u8> {
    let mut v = vec![0xff; 16];
    v.extend_from_slice(&len.to_be_bytes());
    v.push(kind);
    v.extend(unhex(body));
    v
}

enum Expect {
    /// The session is reset with this code, subcode and data (hex).
    Reset(u8, u8, String),
    /// The UPDATE is accepted with exactly these faults: (type code, subcode, action).
    Faults(Vec<(u8, u8, FaultAction)>),
}

use Expect::{Faults, Reset};

fn reset(code: u8, subcode: u8, data: &str) -> Expect {
    Reset(code, subcode, data.split_whitespace().collect())
}

/// A global IPv6 next hop, 2001:db8::1.
const NH6: &str = "20010db8000000000000000000000001";

/// One row: a name, the context, the input and the outcome.
struct Case {
    name: &'static str,
    ctx: WireContext,
    bytes: Vec<u8>,
    expect: Expect,
}

fn case(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        name,
        ctx: ctx4(),
        bytes,
        expect,
    }
}

/// A case decoded with a 2-octet-AS context.
fn case2(name: &'static str, bytes: Vec<u8>, expect: Expect) -> Case {
    Case {
        ctx: ctx2(),
        ..case(name, bytes, expect)
    }
}

fn taw(type_code: u8, subcode: u8) -> Expect {
    Faults(vec![(type_code, subcode, Taw)])
}

fn discard(type_code: u8, subcode: u8) -> Expect {
    Faults(vec![(type_code, subcode, Discard)])
}

/// Message header errors (RFC 4271 §6.1, RFC 7313 §5).
fn header_cases() -> Vec<Case> {
    let mut bad_marker = raw(19, 4, "");
    bad_marker[0] = 0x7f;
    let rr24 = raw(24, 5, "0001 00 01 00");
    let rr24_hex = Hex(&rr24).to_string();
    vec![
        case("marker with a zero bit", bad_marker, reset(1, 1, "")),
        case(
            "length field longer than the frame",
            raw(20, 4, ""),
            reset(1, 2, "0014"),
        ),
        case(
            "keepalive of 20 bytes",
            raw(20, 4, "00"),
            reset(1, 2, "0014"),
        ),
        case(
            "open of 28 bytes",
            raw(28, 1, "04 fde9 005a c0000201"),
            reset(1, 2, "001c"),
        ),
        case(
            "update of 22 bytes",
            raw(22, 2, "0000 00"),
            reset(1, 2, "0016"),
        ),
        case(
            "notification of 20 bytes",
            raw(20, 3, "06"),
            reset(1, 2, "0014"),
        ),
        case("unknown message type 6", raw(19, 6, ""), reset(1, 3, "06")),
        case("route-refresh of 24 bytes", rr24, Reset(7, 1, rr24_hex)),
    ]
}

/// OPEN errors (RFC 4271 §6.2, RFC 5492).
fn open_cases() -> Vec<Case> {
    let unspecific = || reset(2, 0, "");
    vec![
        case(
            "version 3",
            frame(1, "03 fde9 005a c0000201 00"),
            reset(2, 1, "0004"),
        ),
        case(
            "hold time 1",
            frame(1, "04 fde9 0001 c0000201 00"),
            reset(2, 6, ""),
        ),
        case(
            "hold time 2",
            frame(1, "04 fde9 0002 c0000201 00"),
            reset(2, 6, ""),
        ),
        case(
            "identifier 0.0.0.0",
            frame(1, "04 fde9 005a 00000000 00"),
            reset(2, 3, ""),
        ),
        case(
            "authentication parameter",
            open("01 02 0000"),
            reset(2, 4, ""),
        ),
        case(
            "rfc 9072 extended marker",
            open("ff 02 0000"),
            reset(2, 4, ""),
        ),
        case(
            "opt parm len past the end",
            frame(1, "04 fde9 005a c0000201 04 0200"),
            unspecific(),
        ),
        case("parameter overruns", open("02 05 0200"), unspecific()),
        case("lone parameter type octet", open("02"), unspecific()),
        case("capability overruns", open("02 02 4104"), unspecific()),
        case(
            "four-octet as capability of 2 bytes",
            open("02 04 41 02 fde9"),
            unspecific(),
        ),
        case(
            "multiprotocol capability of 3 bytes",
            open("02 05 01 03 000100"),
            unspecific(),
        ),
        case(
            "route refresh capability with a value",
            open("02 03 02 01 00"),
            unspecific(),
        ),
        case(
            "graceful restart of 3 bytes",
            open("02 05 40 03 0078 00"),
            unspecific(),
        ),
        case(
            "two different four-octet ases",
            open("02 0c 41 04 0000fde9 41 04 0000fdea"),
            unspecific(),
        ),
    ]
}

/// UPDATE errors that reset the session (RFC 4271 §6.3, RFC 7606 §3 g, §5.3, §7.11,
/// RFC 4760 §7).
fn update_reset_cases() -> Vec<Case> {
    let mandatory = format!("{ORIGIN} {AS_PATH} {NEXT_HOP}");
    let reach_twice = "80 0e 09 0001 01 04 c0000201 00 80 0e 09 0001 01 04 c0000201 00";
    let nh8 = "80 0e 0d 0002 01 08 2001 0db8 0000 0001 00";
    let v4_with_nh16 = format!("80 0e 15 0001 01 10 {NH6} 00");
    let v6_slash_129 = format!("80 0e 16 0002 01 10 {NH6} 00 81");
    let no_reserved = "80 0e 08 0001 01 04 c0000201";
    vec![
        case(
            "withdrawn length past the end",
            frame(2, "0005 0000"),
            reset(3, 1, ""),
        ),
        case(
            "attribute length past the end",
            frame(2, "0000 0009 40 01 01 00"),
            reset(3, 1, ""),
        ),
        case(
            "nlri prefix /33",
            upd("", &mandatory, "21 c0000201 00"),
            reset(3, 10, ""),
        ),
        case(
            "nlri prefix past the end",
            upd("", &mandatory, "20 c00002"),
            reset(3, 10, ""),
        ),
        case(
            "withdrawn prefix /40",
            upd("28 0102030405", "", ""),
            reset(3, 10, ""),
        ),
        case(
            "withdrawn prefix past the end",
            upd("18 0a00", "", ""),
            reset(3, 10, ""),
        ),
        case(
            "unknown well-known attribute",
            with("40 63 02 abcd"),
            reset(3, 2, "40 63 02 abcd"),
        ),
        case(
            "unknown well-known, extended",
            with("50 63 0001 ab"),
            reset(3, 2, "50 63 0001 ab"),
        ),
        case("mp_reach twice", upd("", reach_twice, ""), reset(3, 1, "")),
        case(
            "mp_unreach twice",
            upd("", "80 0f 03 000201 80 0f 03 000201", ""),
            reset(3, 1, ""),
        ),
        case(
            "mp_reach ipv6, 8-byte next hop",
            upd("", nh8, ""),
            reset(3, 9, nh8),
        ),
        case(
            "mp_reach ipv4, 16-byte next hop",
            upd("", &v4_with_nh16, ""),
            reset(3, 9, &v4_with_nh16),
        ),
        case(
            "mp_reach of two bytes",
            upd("", "80 0e 02 0002", ""),
            reset(3, 9, "80 0e 02 0002"),
        ),
        case(
            "mp_reach, no reserved octet",
            upd("", no_reserved, ""),
            reset(3, 9, no_reserved),
        ),
        case(
            "mp_reach ipv6 prefix /129",
            upd("", &v6_slash_129, ""),
            reset(3, 9, &v6_slash_129),
        ),
        case(
            "mp_unreach prefix past the end",
            upd("", "80 0f 05 0002 01 30 20", ""),
            reset(3, 9, "80 0f 05 0002 01 30 20"),
        ),
    ]
}

/// UPDATEs that keep the session up (RFC 7606 §3-§7, RFC 6793 §6, RFC 8092 §6, RFC 4760 §7).
fn rfc7606_cases() -> Vec<Case> {
    let tail = format!("{AS_PATH} {NEXT_HOP}");
    let old = |extra: &str| {
        upd(
            "",
            &format!("{ORIGIN} 40 02 04 02 01 fde9 {NEXT_HOP} {extra}"),
            NLRI,
        )
    };
    let reach4 = "80 0e 0d 0001 01 04 c0000201 00 18 c00002";
    let reach6 = format!("80 0e 1c 0002 01 10 {NH6} 00 30 20010db80001");
    vec![
        case(
            "origin value 3",
            upd("", &format!("40 01 01 03 {tail}"), NLRI),
            taw(1, 6),
        ),
        case(
            "origin of 2 bytes",
            upd("", &format!("40 01 02 0000 {tail}"), NLRI),
            taw(1, 5),
        ),
        case(
            "origin flagged optional",
            upd("", &format!("c0 01 01 00 {tail}"), NLRI),
            taw(1, 4),
        ),
        case(
            "as_path zero-length segment",
            upd("", &format!("{ORIGIN} 40 02 02 0200 {NEXT_HOP}"), NLRI),
            taw(2, 11),
        ),
        case(
            "as_path segment type 7",
            upd(
                "",
                &format!("{ORIGIN} 40 02 06 07 01 0000fde9 {NEXT_HOP}"),
                NLRI,
            ),
            taw(2, 11),
        ),
        case(
            "as_path segment overrun",
            upd(
                "",
                &format!("{ORIGIN} 40 02 06 02 02 0000fde9 {NEXT_HOP}"),
                NLRI,
            ),
            taw(2, 11),
        ),
        case(
            "2-octet as_path, 4-octet session",
            upd(
                "",
                &format!("{ORIGIN} 40 02 04 02 01 fde9 {NEXT_HOP}"),
                NLRI,
            ),
            taw(2, 11),
        ),
        case(
            "next_hop of 5 bytes",
            upd("", &format!("{ORIGIN} {AS_PATH} 40 03 05 c000020100"), NLRI),
            taw(3, 5),
        ),
        case("med of 3 bytes", with("80 04 03 000001"), taw(4, 5)),
        case(
            "med flagged transitive",
            with("c0 04 04 00000001"),
            taw(4, 4),
        ),
        case("local_pref of 2 bytes", with("40 05 02 0064"), taw(5, 5)),
        case(
            "atomic_aggregate of 1 byte",
            with("40 06 01 00"),
            discard(6, 5),
        ),
        case(
            "aggregator of 7 bytes",
            with("c0 07 07 0000fde9 c00002"),
            discard(7, 5),
        ),
        case2(
            "aggregator of 8 bytes, 2-octet session",
            old("c0 07 08 0000fde9 c0000201"),
            discard(7, 5),
        ),
        case(
            "aggregator flagged well-known",
            with("40 07 08 0000fde9 c0000201"),
            taw(7, 4),
        ),
        case(
            "communities of 6 bytes",
            with("c0 08 06 fde80064 0000"),
            taw(8, 5),
        ),
        case("communities of 0 bytes", with("c0 08 00"), taw(8, 5)),
        case(
            "large_community of 8 bytes",
            with("c0 20 08 0000fde9 00000001"),
            taw(32, 5),
        ),
        case2(
            "as4_path zero-length segment",
            old("c0 11 02 0200"),
            discard(17, 9),
        ),
        case2("as4_path empty", old("c0 11 00"), discard(17, 9)),
        case2(
            "as4_aggregator of 6 bytes",
            old("c0 12 06 fde9 c0000201"),
            discard(18, 5),
        ),
        case("origin twice", with("40 01 01 02"), discard(1, 1)),
        case(
            "unknown optional twice",
            with("c0 63 01 01 c0 63 01 02"),
            discard(99, 1),
        ),
        case("origin missing", upd("", &tail, NLRI), taw(1, 3)),
        case(
            "as_path missing",
            upd("", &format!("{ORIGIN} {NEXT_HOP}"), NLRI),
            taw(2, 3),
        ),
        case(
            "next_hop missing, ipv4 nlri",
            upd("", &format!("{ORIGIN} {AS_PATH}"), NLRI),
            taw(3, 3),
        ),
        case(
            "all missing for mp_reach",
            upd("", reach4, ""),
            Faults(vec![(1, 3, Taw), (2, 3, Taw)]),
        ),
        case(
            "no next_hop needed for mp_reach",
            upd("", &format!("{ORIGIN} {AS_PATH} {reach4}"), ""),
            Faults(vec![]),
        ),
        case(
            "no attributes needed to withdraw",
            upd("18 c00002", "", ""),
            Faults(vec![]),
        ),
        case(
            "attribute overruns the section",
            upd("", &format!("{ORIGIN} {AS_PATH} 40 03 09 c0000201"), NLRI),
            Faults(vec![(3, 5, Taw), (3, 3, Taw)]),
        ),
        case("two stray bytes end the section", with("40 05"), taw(5, 1)),
        case("one stray byte ends the section", with("40"), taw(0, 1)),
        Case {
            ctx: WireContext::initial(),
            ..case(
                "mp_reach ipv6 not negotiated",
                upd("", &format!("{ORIGIN} 40 02 04 02 01 fde9 {reach6}"), ""),
                Faults(vec![(14, 9, Ignored)]),
            )
        },
        case(
            "mp_unreach of an unknown afi",
            upd("", "80 0f 05 0019 46 0102", ""),
            Faults(vec![(15, 9, Ignored)]),
        ),
        case(
            "mp_reach flagged transitive",
            upd("", &format!("{ORIGIN} {AS_PATH} c0{}", &reach4[2..]), ""),
            taw(14, 4),
        ),
    ]
}

#[test]
fn every_malformed_input_gets_its_rfc_outcome() {
    let cases: Vec<Case> = [
        header_cases(),
        open_cases(),
        update_reset_cases(),
        rfc7606_cases(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut failures = Vec::new();
    for Case {
        name,
        ctx,
        bytes,
        expect,
    } in &cases
    {
        let got = decode(bytes, ctx);
        let ok = match (expect, &got) {
            (Reset(code, subcode, data), Err(e)) => {
                let n = e.notification();
                let got_data = Hex(&n.data).to_string();
                (n.code.to_octets(), &got_data) == ((*code, *subcode), data)
            }
            (Faults(want), Ok(Message::Update(u))) => {
                let got: Vec<(u8, u8, FaultAction)> = u
                    .faults
                    .iter()
                    .map(|f| (f.type_code, u8::from(f.subcode), f.action))
                    .collect();
                &got == want
            }
            _ => false,
        };
        if !ok {
            failures.push(format!("{name}: got {got:?}"));
        }
    }
    let (total, failed, report) = (cases.len(), failures.len(), failures.join("\n"));
    assert!(total >= 25, "only {total} cases");
    assert!(failed == 0, "{failed} of {total} cases failed:\n{report}");
}

#[test]
fn a_discarded_attribute_is_dropped_and_the_rest_of_the_update_is_used() {
    let Ok(Message::Update(u)) = decode(&with("c0 07 07 0000fde9 c00002"), &ctx4()) else {
        panic!()
    };
    assert_eq!(u.attributes.aggregator, None);
    assert!(u.attributes.origin.is_some() && u.attributes.next_hop.is_some());
    assert_eq!(u.nlri.len(), 1);
    assert!(!u.is_treat_as_withdraw());
}

#[test]
fn of_a_repeated_attribute_the_first_is_kept() {
    let Ok(Message::Update(u)) = decode(&with("40 01 01 02"), &ctx4()) else {
        panic!()
    };
    assert_eq!(u.attributes.origin, Some(announcer_bgp::wire::Origin::Igp));
}

#[test]
fn treat_as_withdraw_keeps_the_routes_so_they_can_be_withdrawn() {
    let bytes = upd("", &format!("40 01 01 07 {AS_PATH} {NEXT_HOP}"), NLRI);
    let Ok(Message::Update(u)) = decode(&bytes, &ctx4()) else {
        panic!()
    };
    assert!(u.is_treat_as_withdraw());
    assert_eq!(u.nlri, vec!["192.0.2.0/24".parse().unwrap()]);
    assert_eq!(u.faults[0].subcode, UpdateSubcode::InvalidOriginAttribute);
}

#[test]
fn an_ignored_family_is_named_in_the_fault_and_is_not_end_of_rib() {
    let bytes = upd("", "80 0f 03 0002 01", "");
    let Ok(Message::Update(u)) = decode(&bytes, &WireContext::initial()) else {
        panic!()
    };
    assert_eq!(
        u.faults[0].family,
        Some(announcer_bgp::Family::IPV6_UNICAST)
    );
    assert_eq!(u.attributes.mp_unreach, None);
    assert_eq!(u.end_of_rib_family(), None);
}

#[test]
fn an_overrunning_attribute_still_lets_the_nlri_be_found() {
    let bytes = upd("", &format!("{ORIGIN} {AS_PATH} 40 03 09 c0000201"), NLRI);
    let Ok(Message::Update(u)) = decode(&bytes, &ctx4()) else {
        panic!()
    };
    assert_eq!(u.nlri, vec!["192.0.2.0/24".parse().unwrap()]);
    assert!(u.is_treat_as_withdraw());
}
