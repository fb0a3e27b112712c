//! Helpers shared by the wire test files: hex in and out, contexts, and the two-way golden
//! check with a hex diff on failure.

// Each test crate includes this module and uses a different part of it.
#![allow(dead_code)]

use announcer_bgp::wire::{decode, frame_len, Message, WireContext};
use announcer_bgp::Family;
use bytes::BytesMut;

/// Bytes from hex text; whitespace and `#` comment lines are ignored.
pub fn unhex(text: &str) -> Vec<u8> {
    let digits: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("hex digit"))
        .collect()
}

/// Hex dump, 16 bytes per line, with offsets.
pub fn hex_dump(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, row)| {
            let hex: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
            format!("{:04x}: {}\n", i * 16, hex.join(" "))
        })
        .collect()
}

/// Asserts two byte strings are equal, showing both as hex and the first differing offset.
pub fn assert_hex_eq(got: &[u8], want: &[u8]) {
    if got != want {
        let at = got
            .iter()
            .zip(want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()));
        panic!(
            "bytes differ at offset {at} (got {} bytes, want {})\n--- got\n{}--- want\n{}",
            got.len(),
            want.len(),
            hex_dump(got),
            hex_dump(want)
        );
    }
}

/// The context of a session with 4-octet AS and IPv4 + IPv6 unicast.
pub fn ctx4() -> WireContext {
    WireContext {
        four_octet_as: true,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
    }
}

/// The context of a session with a 2-octet peer, IPv4 + IPv6 unicast.
pub fn ctx2() -> WireContext {
    WireContext {
        four_octet_as: false,
        ..ctx4()
    }
}

/// Encodes a message into a fresh buffer.
pub fn encode(msg: &Message, ctx: &WireContext) -> Vec<u8> {
    let mut buf = BytesMut::new();
    msg.encode(ctx, &mut buf).expect("encodes");
    buf.to_vec()
}

/// A whole message from its type and body hex: marker, length and type are prepended.
pub fn frame(kind: u8, body_hex: &str) -> Vec<u8> {
    let body = unhex(body_hex);
    let mut bytes = vec![0xff; 16];
    bytes.extend_from_slice(&u16::try_from(19 + body.len()).expect("fits").to_be_bytes());
    bytes.push(kind);
    bytes.extend_from_slice(&body);
    bytes
}

/// The golden check: `bytes` decode to `msg`, `msg` encodes to `bytes`, and the framing and
/// size functions agree.
pub fn golden(ctx: &WireContext, bytes: &[u8], msg: &Message) {
    assert_eq!(frame_len(bytes), Ok(Some(bytes.len())), "frame_len");
    assert_eq!(&decode(bytes, ctx).expect("decodes"), msg, "decode");
    assert_hex_eq(&encode(msg, ctx), bytes);
    assert_eq!(
        msg.encoded_len(ctx).expect("fits"),
        bytes.len(),
        "encoded_len"
    );
}
