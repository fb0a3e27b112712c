//! Fuzzes encode → decode round trips of messages built from `arbitrary` input.
//!
//! [`announcer_fuzz::build::context_and_message`] maps the input onto a context and a
//! message the speaker could build. Checked: `encoded_len` is the size `encode` writes;
//! `encode` fails, writing nothing, exactly when the message does not fit (over 4,096
//! bytes, or an OPEN whose capabilities exceed its 255-byte Optional Parameters field);
//! otherwise `frame_len` frames the bytes and `decode` gives back exactly
//! [`announcer_fuzz::build::expected`] (the message, with RFC 6793's AS_TRANS rewriting),
//! faults included (none).

#![no_main]

use announcer_bgp::wire::{decode, frame_len, MAX_MESSAGE_LEN};
use announcer_fuzz::build::{context_and_message, expected};
use arbitrary::Unstructured;
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok((ctx, message)) = context_and_message(&mut Unstructured::new(data)) else {
        return;
    };
    let len = message.encoded_len(&ctx);
    let mut buf = BytesMut::new();
    if let Err(e) = message.encode(&ctx, &mut buf) {
        assert!(buf.is_empty(), "a failed encode wrote {} bytes", buf.len());
        assert!(
            len.as_ref().map_or(true, |&len| len > MAX_MESSAGE_LEN),
            "{message:?} fits ({len:?}) but does not encode: {e}"
        );
        return;
    }
    assert_eq!(len.ok(), Some(buf.len()), "encoded_len of {message:?}");
    assert_eq!(frame_len(&buf), Ok(Some(buf.len())));
    match decode(&buf, &ctx) {
        Ok(decoded) => assert_eq!(decoded, expected(message, &ctx), "context {ctx:?}"),
        Err(e) => panic!("{message:?} encoded with {ctx:?} does not decode: {e}"),
    }
});
