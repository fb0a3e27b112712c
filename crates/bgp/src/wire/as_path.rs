//! AS_PATH and AS4_PATH values (RFC 4271 §4.3, RFC 6793, RFC 5065 confederation segments).
//!
//! ```text
//! +----------------+----------------+-----------------------------+
//! | Seg. type (1)  | Seg. len (1)   | ASNs (len x 2 or len x 4)   |  repeated
//! +----------------+----------------+-----------------------------+
//! ```
//!
//! A path is malformed (RFC 7606 §7.2; RFC 6793 §6 for AS4_PATH) when a segment type is
//! unknown, a segment has length zero, a segment overruns the attribute, or a single octet is
//! left where a segment header should be.

use super::reader::{take, take_array};
use super::sink::{len_u8, Sink};
use super::{AsPath, AsSegment};
use crate::types::Asn;

const SET: u8 = 1;
const SEQUENCE: u8 = 2;
const CONFED_SEQUENCE: u8 = 3;
const CONFED_SET: u8 = 4;
/// Most ASNs one segment can hold.
const MAX_SEGMENT: usize = 255;

impl AsSegment {
    /// The ASNs of the segment.
    pub fn asns(&self) -> &[Asn] {
        match self {
            AsSegment::Set(a)
            | AsSegment::Sequence(a)
            | AsSegment::ConfedSequence(a)
            | AsSegment::ConfedSet(a) => a,
        }
    }

    /// The segment type octet.
    fn type_code(&self) -> u8 {
        match self {
            AsSegment::Set(_) => SET,
            AsSegment::Sequence(_) => SEQUENCE,
            AsSegment::ConfedSequence(_) => CONFED_SEQUENCE,
            AsSegment::ConfedSet(_) => CONFED_SET,
        }
    }

    /// True for the confederation segment types (RFC 5065), which AS4_PATH leaves out
    /// (RFC 6793 §4.2.2).
    fn is_confed(&self) -> bool {
        matches!(self, AsSegment::ConfedSequence(_) | AsSegment::ConfedSet(_))
    }
}

impl AsPath {
    /// True when a segment other than a confederation one is present: what AS4_PATH can
    /// carry (RFC 6793 §4.2.2).
    pub fn has_non_confed(&self) -> bool {
        self.segments.iter().any(|s| !s.is_confed())
    }

    /// The path without its confederation segments, or `None` when nothing else is left
    /// (how a received AS4_PATH is read, RFC 6793 §6).
    pub fn without_confed(self) -> Option<AsPath> {
        let segments: Vec<AsSegment> = self
            .segments
            .into_iter()
            .filter(|s| !s.is_confed())
            .collect();
        (!segments.is_empty()).then_some(AsPath { segments })
    }

    /// True when any ASN needs 4 octets, so a 2-octet peer also needs AS4_PATH.
    pub fn has_four_octet_asn(&self) -> bool {
        self.segments
            .iter()
            .flat_map(AsSegment::asns)
            .any(|a| a.is_four_octet())
    }
}

/// Decodes a path with 2- or 4-octet ASNs; `None` when malformed.
pub(crate) fn decode_as_path(value: &[u8], four_octet: bool) -> Option<AsPath> {
    let width = if four_octet { 4 } else { 2 };
    let mut rest = value;
    let mut segments = Vec::new();
    while !rest.is_empty() {
        let [seg_type, count] = take_array::<2>(&mut rest)?;
        if count == 0 {
            return None;
        }
        let asns = take(&mut rest, usize::from(count) * width)?
            .chunks_exact(width)
            .map(|c| Asn::new(c.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))))
            .collect();
        segments.push(match seg_type {
            SET => AsSegment::Set(asns),
            SEQUENCE => AsSegment::Sequence(asns),
            CONFED_SEQUENCE => AsSegment::ConfedSequence(asns),
            CONFED_SET => AsSegment::ConfedSet(asns),
            _ => return None,
        });
    }
    Some(AsPath { segments })
}

/// How a path is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathForm {
    /// AS_PATH to a 4-octet peer.
    FourOctet,
    /// AS_PATH to a 2-octet peer: 4-octet ASNs become AS_TRANS (RFC 6793 §4.2.2).
    TwoOctet,
    /// AS4_PATH: 4-octet ASNs without confederation segments (RFC 6793 §4.2.2).
    As4,
}

/// Writes a path. Empty segments are left out (a zero-length segment is malformed,
/// RFC 7606 §7.2) and segments over 255 ASNs are split.
pub(crate) fn write_as_path(path: &AsPath, form: PathForm, s: &mut dyn Sink) {
    for segment in &path.segments {
        if form == PathForm::As4 && segment.is_confed() {
            continue;
        }
        for chunk in segment.asns().chunks(MAX_SEGMENT) {
            s.put_u8(segment.type_code());
            s.put_u8(len_u8(chunk.len()));
            for asn in chunk {
                match form {
                    PathForm::TwoOctet => s.put_u16(asn.to_u16_or_trans()),
                    PathForm::FourOctet | PathForm::As4 => s.put_u32(asn.get()),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_octet_sequence_decodes() {
        let path = decode_as_path(&[2, 2, 0xfd, 0xe9, 0xfd, 0xea], false).unwrap();
        assert_eq!(
            path,
            AsPath::sequence(vec![Asn::new(65001), Asn::new(65002)])
        );
    }

    #[test]
    fn a_zero_length_segment_is_malformed() {
        assert_eq!(decode_as_path(&[2, 0], false), None);
    }

    #[test]
    fn a_lone_octet_after_a_segment_is_malformed() {
        assert_eq!(decode_as_path(&[2, 1, 0, 1, 2], false), None);
    }

    #[test]
    fn an_unknown_segment_type_is_malformed() {
        assert_eq!(decode_as_path(&[5, 1, 0, 1], false), None);
    }

    #[test]
    fn a_segment_longer_than_the_attribute_is_malformed() {
        assert_eq!(decode_as_path(&[2, 2, 0, 0, 0, 1, 0, 0], true), None);
    }

    #[test]
    fn segments_over_255_asns_are_split_on_encode() {
        let path = AsPath::sequence((1..=300).map(Asn::new).collect());
        let mut buf = bytes::BytesMut::new();
        write_as_path(&path, PathForm::TwoOctet, &mut buf);
        assert_eq!(buf.len(), 2 + 255 * 2 + 2 + 45 * 2);
        let back = decode_as_path(&buf, false).unwrap();
        assert_eq!(back.segments.len(), 2);
    }
}
