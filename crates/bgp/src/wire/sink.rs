//! Where encoders write: a byte buffer, or a counter that only measures.
//!
//! Every encoder writes through [`Sink`], so [`Counter`] gives the exact encoded size of a
//! message without allocating, and the size can never disagree with the bytes written.

use bytes::{BufMut, BytesMut};

/// A destination for encoded bytes.
pub(crate) trait Sink {
    /// Appends one octet.
    fn put_u8(&mut self, v: u8);
    /// Appends a big-endian 16-bit value.
    fn put_u16(&mut self, v: u16);
    /// Appends a big-endian 32-bit value.
    fn put_u32(&mut self, v: u32);
    /// Appends raw bytes.
    fn put_slice(&mut self, s: &[u8]);
}

impl Sink for BytesMut {
    fn put_u8(&mut self, v: u8) {
        BufMut::put_u8(self, v);
    }
    fn put_u16(&mut self, v: u16) {
        BufMut::put_u16(self, v);
    }
    fn put_u32(&mut self, v: u32) {
        BufMut::put_u32(self, v);
    }
    fn put_slice(&mut self, s: &[u8]) {
        BufMut::put_slice(self, s);
    }
}

/// A sink that counts the bytes it is given and keeps none.
#[derive(Debug, Default)]
pub(crate) struct Counter(pub(crate) usize);

impl Sink for Counter {
    fn put_u8(&mut self, _: u8) {
        self.0 = self.0.saturating_add(1);
    }
    fn put_u16(&mut self, _: u16) {
        self.0 = self.0.saturating_add(2);
    }
    fn put_u32(&mut self, _: u32) {
        self.0 = self.0.saturating_add(4);
    }
    fn put_slice(&mut self, s: &[u8]) {
        self.0 = self.0.saturating_add(s.len());
    }
}

/// The number of bytes `write` produces.
pub(crate) fn measure(write: impl FnOnce(&mut dyn Sink)) -> usize {
    let mut counter = Counter::default();
    write(&mut counter);
    counter.0
}

/// A length for a 16-bit length field. Callers check sizes against [`super::MAX_MESSAGE_LEN`]
/// before writing, so the saturation never happens on a message that is sent.
pub(crate) fn len_u16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}

/// A length for an 8-bit length field; callers check the bound first.
pub(crate) fn len_u8(len: usize) -> u8 {
    u8::try_from(len).unwrap_or(u8::MAX)
}
