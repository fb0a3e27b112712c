//! Helpers shared by the codec tests.

// Test code: a panic is how a test fails.
#![allow(clippy::panic)]

/// Bytes from hex text; whitespace is ignored.
pub fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(
        digits.len() % 2 == 0,
        "odd number of hex digits in {text:?}"
    );
    digits
        .chunks(2)
        .map(|pair| {
            let s: String = pair.iter().collect();
            u8::from_str_radix(&s, 16).unwrap_or_else(|_| panic!("not hex: {s:?}"))
        })
        .collect()
}
