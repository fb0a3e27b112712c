//! Fuzzes the decoder with the decode context itself fuzzed.
//!
//! Input: one context byte ([`announcer_fuzz::context_from_byte`]: 4-octet AS on or off,
//! which families are negotiated), then a byte stream cut into messages with `frame_len`
//! and read with `decode`, as the session reader does, until a frame is incomplete, framing
//! fails or [`MAX_FRAMES`] frames are read. Checked, besides the absence of panics:
//!
//! - every decode error has a NOTIFICATION that encodes and decodes back unchanged;
//! - every decoded message encodes, and decoding that again gives the same message in the
//!   semantic normal form of [`announcer_fuzz::normalise`] (the RFCs let the input be
//!   non-canonical: attribute order, flags, faults);
//! - the re-encoding is canonical: encoding the re-decoded message gives the same bytes.

#![no_main]

use announcer_bgp::wire::{decode, frame_len, DecodeError, Message, WireContext};
use announcer_fuzz::{context_from_byte, normalise};
use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;

/// Frames read from one input. A few show that framing finds each message after the one
/// before; more reach no new code, only higher hit counts of the same edges, which libFuzzer
/// counts as new features: it then breeds ever longer streams of small messages, each frame
/// decoded, encoded and decoded again, and the target slows down many times over.
const MAX_FRAMES: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Some((&context, mut stream)) = data.split_first() else {
        return;
    };
    let ctx = context_from_byte(context);
    for _ in 0..MAX_FRAMES {
        match frame_len(stream) {
            Ok(Some(len)) if stream.len() >= len => {
                let (frame, rest) = stream.split_at(len);
                check_frame(frame, &ctx);
                stream = rest;
            }
            Ok(_) => break,
            Err(e) => {
                check_error(&e);
                break;
            }
        }
    }
});

/// Encodes `message`, which must succeed.
fn encode(message: &Message, ctx: &WireContext) -> BytesMut {
    let mut buf = BytesMut::new();
    if let Err(e) = message.encode(ctx, &mut buf) {
        panic!("cannot encode {message:?}: {e}");
    }
    buf
}

/// Decodes one whole frame and checks the outcome.
fn check_frame(frame: &[u8], ctx: &WireContext) {
    let first = match decode(frame, ctx) {
        Ok(message) => message,
        Err(e) => return check_error(&e),
    };
    if let Message::Update(update) = &first {
        let _ = (update.end_of_rib_family(), update.is_treat_as_withdraw());
    }
    let bytes = encode(&first, ctx);
    let second = match decode(&bytes, ctx) {
        Ok(message) => message,
        Err(e) => panic!("re-encoded {first:?} does not decode: {e}"),
    };
    assert_eq!(encode(&second, ctx), bytes, "re-encoding is not canonical");
    assert_eq!(normalise(second), normalise(first));
}

/// The NOTIFICATION for a decode error must be sendable and read back the same.
fn check_error(error: &DecodeError) {
    let notification = Message::Notification(error.notification());
    let _ = error.to_string();
    let ctx = WireContext::initial();
    let bytes = encode(&notification, &ctx);
    match decode(&bytes, &ctx) {
        Ok(back) => assert_eq!(back, notification),
        Err(e) => panic!("NOTIFICATION for {error:?} does not decode: {e}"),
    }
}
