//! Bytes shown as hex in logs and error messages, for operators comparing them with a packet
//! capture.

use std::fmt;

/// Bytes as lowercase hex without separators (`ffff0013`).
#[derive(Clone, Copy, Debug)]
pub struct Hex<'a>(pub &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// At most the first [`HexPrefix::SHOWN`] bytes as [`Hex`], followed by `...(N bytes)` when
/// there are more: a whole message in a log line, a long one cut short.
#[derive(Clone, Copy, Debug)]
pub struct HexPrefix<'a>(pub &'a [u8]);

impl HexPrefix<'_> {
    /// How many bytes are shown.
    pub const SHOWN: usize = 64;
}

impl fmt::Display for HexPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.0.get(..Self::SHOWN).unwrap_or(self.0);
        Hex(shown).fmt(f)?;
        if shown.len() < self.0.len() {
            write!(f, "...({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Hex, HexPrefix};

    #[test]
    fn bytes_are_lowercase_hex_without_separators() {
        assert_eq!(Hex(&[0xff, 0x00, 0x13, 0xab]).to_string(), "ff0013ab");
        assert_eq!(Hex(&[]).to_string(), "");
    }

    #[test]
    fn a_prefix_shows_64_bytes_and_the_length_of_a_longer_message() {
        assert_eq!(HexPrefix(&[7; 64]).to_string(), "07".repeat(64));
        assert_eq!(
            HexPrefix(&[7; 65]).to_string(),
            format!("{}...(65 bytes)", "07".repeat(64))
        );
    }
}
