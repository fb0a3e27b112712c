//! Fuzzes the BFD control-packet decoder (`announcer_bfd::ControlPacket::decode`).
//!
//! Input: one UDP payload. Checked, besides the absence of panics:
//!
//! - every discard reason prints and has a counter name;
//! - a decoded packet encodes to the bytes received, except that the D bit is cleared and
//!   the Length byte is 24 (bytes beyond the first 24 are never written);
//! - the encoding decodes back to the same packet.

#![no_main]

use announcer_bfd::packet::LENGTH;
use announcer_bfd::ControlPacket;
use libfuzzer_sys::fuzz_target;

/// The D (Demand) bit of the flags byte: ignored on receipt, never sent.
const DEMAND: u8 = 0b10;

fuzz_target!(|data: &[u8]| {
    let packet = match ControlPacket::decode(data) {
        Ok(packet) => packet,
        Err(discard) => {
            assert!(!discard.to_string().is_empty() && !discard.kind().is_empty());
            return;
        }
    };
    let bytes = packet.encode();
    let mut want = [0; LENGTH];
    want.copy_from_slice(&data[..LENGTH]);
    want[1] &= !DEMAND;
    want[3] = LENGTH as u8;
    assert_eq!(bytes, want, "{packet:?} re-encodes differently");
    match ControlPacket::decode(&bytes) {
        Ok(again) => assert_eq!(again, packet),
        Err(discard) => panic!("{packet:?} encodes to bytes that are discarded: {discard}"),
    }
});
