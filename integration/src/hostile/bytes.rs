//! Raw BGP messages as a hostile peer writes them: built by hand, byte by byte, so that every
//! field (length, type, flags) can lie. Hex text in, bytes out.
//!
//! The well-formed pieces name the peer of the hostile-peer rig: AS 65002 (`fdea`), BGP identifier
//! and next hop 192.0.2.2 (`c0000202`), 4-octet AS_PATH encoding (the peer always sends the
//! 4-octet AS capability, so the session is coded with 4-octet ASNs).

use std::net::Ipv4Addr;

/// The peer's AS.
pub const PEER_AS: u32 = 65002;
/// ORIGIN IGP, well-known transitive.
pub const ORIGIN: &str = "40 01 01 00";
/// AS_PATH: one AS_SEQUENCE holding the peer's AS, 4-octet encoding.
pub const AS_PATH: &str = "40 02 06 02 01 0000fdea";
/// NEXT_HOP 192.0.2.2.
pub const NEXT_HOP: &str = "40 03 04 c0000202";
/// NLRI 203.0.113.0/24.
pub const NLRI: &str = "18 cb0071";
/// The Capabilities optional parameter of a well-behaved peer: Multiprotocol IPv4 unicast,
/// Route Refresh, 4-octet AS 65002.
pub const CAPABILITIES: &str = "02 0e 01 04 0001 00 01 02 00 41 04 0000fdea";
/// The BGP header marker.
const MARKER: [u8; 16] = [0xff; 16];

/// Bytes from hex text (whitespace ignored).
///
/// # Panics
/// On an odd number of digits or a non-hex character: the text is a literal of the test,
/// so that is a bug in the test itself.
#[allow(clippy::panic)]
pub fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .filter(|p| p.len() == 2)
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .unwrap_or_else(|| panic!("bad hex {pair:?} in {text:?}"))
        })
        .collect()
}

/// A message with an explicit header length field, which may lie about the body.
pub fn raw(len: u16, kind: u8, body: &[u8]) -> Vec<u8> {
    let mut message = MARKER.to_vec();
    message.extend_from_slice(&len.to_be_bytes());
    message.push(kind);
    message.extend_from_slice(body);
    message
}

/// A message of type `kind` whose header length is the true length.
pub fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let len = u16::try_from(19 + body.len()).unwrap_or(u16::MAX);
    raw(len, kind, body)
}

/// An OPEN with every field given: `params` is the Optional Parameters field (hex), whose
/// length octet is computed.
pub fn open_with(version: u8, my_as: u16, hold: u16, id: Ipv4Addr, params: &str) -> Vec<u8> {
    let params = unhex(params);
    let mut body = vec![version];
    body.extend_from_slice(&my_as.to_be_bytes());
    body.extend_from_slice(&hold.to_be_bytes());
    body.extend_from_slice(&id.octets());
    body.push(u8::try_from(params.len()).unwrap_or(u8::MAX));
    body.extend(params);
    frame(1, &body)
}

/// The OPEN of a well-behaved peer (version 4, AS 65002, identifier 192.0.2.2) proposing
/// `hold` seconds.
pub fn peer_open(hold: u16) -> Vec<u8> {
    let my_as = u16::try_from(PEER_AS).unwrap_or(u16::MAX);
    open_with(4, my_as, hold, Ipv4Addr::new(192, 0, 2, 2), CAPABILITIES)
}

/// A KEEPALIVE.
pub fn keepalive() -> Vec<u8> {
    frame(4, &[])
}

/// An UPDATE from its three fields in hex; both length fields are computed.
pub fn update(withdrawn: &str, attributes: &str, nlri: &str) -> Vec<u8> {
    let (withdrawn, attributes) = (unhex(withdrawn), unhex(attributes));
    let mut body = Vec::new();
    for field in [&withdrawn, &attributes] {
        body.extend_from_slice(&u16::try_from(field.len()).unwrap_or(u16::MAX).to_be_bytes());
        body.extend_from_slice(field);
    }
    body.extend(unhex(nlri));
    frame(2, &body)
}

/// A valid UPDATE announcing [`NLRI`] with ORIGIN, AS_PATH and NEXT_HOP.
pub fn valid_update() -> Vec<u8> {
    update("", &format!("{ORIGIN} {AS_PATH} {NEXT_HOP}"), NLRI)
}

/// Full UPDATEs (at most 4,096 bytes each) announcing `count` /32s taken in turn from
/// 198.18.0.0/15, wrapping around when the /15's 131,072 addresses are used up.
pub fn flood(count: usize) -> Vec<Vec<u8>> {
    const BASE: u32 = u32::from_be_bytes([198, 18, 0, 0]);
    const SPAN: u32 = 1 << 17;
    let attributes = unhex(&format!("{ORIGIN} {AS_PATH} {NEXT_HOP}"));
    let per_update = (4096 - 19 - 4 - attributes.len()) / 5;
    let mut addresses = (0..SPAN).cycle().map(|i| BASE + i).take(count).peekable();
    let mut updates = Vec::new();
    while addresses.peek().is_some() {
        let mut body = vec![0, 0];
        body.extend_from_slice(&u16::try_from(attributes.len()).unwrap_or(0).to_be_bytes());
        body.extend_from_slice(&attributes);
        for address in addresses.by_ref().take(per_update) {
            body.push(32);
            body.extend_from_slice(&address.to_be_bytes());
        }
        updates.push(frame(2, &body));
    }
    updates
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_bgp::wire::{decode, Hex, Message, WireContext};
    use announcer_bgp::Family;

    fn ctx4() -> WireContext {
        WireContext {
            four_octet_as: true,
            families: vec![Family::IPV4_UNICAST],
        }
    }

    #[test]
    fn the_peer_open_decodes_with_its_as_hold_time_and_capabilities() {
        let Ok(Message::Open(open)) = decode(&peer_open(3), &WireContext::initial()) else {
            panic!("not an OPEN: {}", Hex(&peer_open(3)));
        };
        assert_eq!(open.asn().get(), PEER_AS);
        assert_eq!(open.hold_time.seconds(), 3);
        assert_eq!(open.capabilities.len(), 3);
    }

    #[test]
    fn a_valid_update_decodes_without_faults() {
        let Ok(Message::Update(update)) = decode(&valid_update(), &ctx4()) else {
            panic!("not an UPDATE");
        };
        assert!(update.faults.is_empty(), "{:?}", update.faults);
        assert_eq!(update.nlri.len(), 1);
    }

    #[test]
    fn a_flood_packs_full_updates_that_decode() {
        let updates = flood(2000);
        assert_eq!(updates.len(), 3);
        let mut routes = 0;
        for bytes in &updates {
            assert!(bytes.len() <= 4096);
            let Ok(Message::Update(update)) = decode(bytes, &ctx4()) else {
                panic!("not an UPDATE");
            };
            assert!(update.faults.is_empty());
            routes += update.nlri.len();
        }
        assert_eq!(routes, 2000);
        let first = updates.first().map_or(0, Vec::len);
        assert!(first <= 4096 && first + 5 > 4096, "not full: {first} bytes");
    }
}
