//! Helpers shared by the fuzz targets in `fuzz_targets/`: the decode context chosen by one
//! input byte, the semantic normal form that the `decode` target compares re-decoded
//! messages in, and ([`build`]) the mapping from raw `arbitrary` values onto messages the
//! codec can write.

#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod build;

use announcer_bgp::types::{Afi, Safi};
use announcer_bgp::wire::{Message, WireContext};
use announcer_bgp::Family;

/// The families a context byte can negotiate, one bit each from bit 1 up: IPv4 and IPv6
/// unicast (parsed), then IPv4 and IPv6 multicast (parsed too: the codec parses any
/// negotiated family of AFI 1 or 2).
pub const CONTEXT_FAMILIES: [Family; 4] = [
    Family::IPV4_UNICAST,
    Family::IPV6_UNICAST,
    Family {
        afi: Afi::Ipv4,
        safi: Safi::Multicast,
    },
    Family {
        afi: Afi::Ipv6,
        safi: Safi::Multicast,
    },
];

/// The decode context a byte selects: bit 0 is 4-octet AS (RFC 6793), bits 1 to 4 add the
/// families of [`CONTEXT_FAMILIES`] in order; the upper bits are ignored. Seed files start
/// with this byte.
pub fn context_from_byte(byte: u8) -> WireContext {
    WireContext {
        four_octet_as: byte & 1 != 0,
        families: CONTEXT_FAMILIES
            .iter()
            .enumerate()
            .filter(|&(bit, _)| byte & (2 << bit) != 0)
            .map(|(_, family)| *family)
            .collect(),
    }
}

/// The parts of a decoded message that survive a re-encode, for comparing a message with its
/// re-encoded and re-decoded self. What is dropped or reordered here, the RFCs let a
/// receiver accept in a non-canonical form or tell it to drop:
///
/// - UPDATE faults are cleared: they describe input that was not kept (an attribute with
///   wrong flags, a repeat, a malformed optional attribute, an MP attribute of a family not
///   negotiated; RFC 7606, RFC 4760 §7), and the encoder writes only what was kept, so the
///   second decode reports a different set (for example a missing well-known attribute in
///   place of one with wrong flags).
/// - Unrecognized optional transitive attributes are sorted by type code: a receiver must
///   accept any order and the encoder writes ascending order (RFC 4271 §5). Their flags are
///   already normalised by the decoder (Partial set, Extended Length cleared).
pub fn normalise(message: Message) -> Message {
    let Message::Update(mut update) = message else {
        return message;
    };
    update.faults.clear();
    update.attributes.other.sort_by_key(|raw| raw.type_code);
    Message::Update(update)
}
