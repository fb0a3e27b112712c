//! A `[[vip]]` section in the plain shape that generated files use, read without building
//! a TOML document: the `[[vip]]` header, then one `key = value` per line, where a value
//! is a basic string without escapes, `true`, `false`, a decimal integer, or a one-line
//! array of such strings; blank lines and comments anywhere a line may end.
//!
//! Anything else (another kind of value, a quoted or dotted key, a key twice, a sub-table,
//! a key `[[vip]]` does not have, an array in one line's field or a scalar in a list's)
//! returns `None`, and the section goes to the TOML parser, which reads it or reports
//! what is wrong. What this reader accepts it reads to the same values and spans as the
//! TOML parser: the configuration fuzzer holds the two to the same outcome.

use toml::{Spanned, Value};

use super::raw::{Leaf, List, RawVip};

/// The `[[vip]]` table in `section` (its header first), with spans counted from the start
/// of `section`; `None` when the section is not in the plain shape.
pub(super) fn read(section: &str) -> Option<Spanned<RawVip>> {
    const HEADER: &str = "[[vip]]";
    let mut line = Line {
        text: section,
        at: section.strip_prefix(HEADER).map(|_| HEADER.len())?,
    };
    line.end()?;
    let mut vip = RawVip::default();
    while line.at < section.len() {
        line.blank();
        if !line.end_if_here()? {
            line.field(&mut vip)?;
        }
    }
    Some(Spanned::new(0..HEADER.len(), vip))
}

/// A read position in a section.
struct Line<'a> {
    text: &'a str,
    at: usize,
}

/// A value as read: one line's field takes a scalar, a list's field an array.
enum Read {
    Scalar(Leaf),
    Array(List),
}

impl Line<'_> {
    /// The byte at the read position, if any.
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    /// Skips TOML white space (spaces and tabs).
    fn blank(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.at += 1;
        }
    }

    /// Skips `expected` when it is next.
    fn eat(&mut self, expected: u8) -> bool {
        let here = self.peek() == Some(expected);
        if here {
            self.at += 1;
        }
        here
    }

    /// Reads the end of a line (white space, a comment, the newline or the end of the
    /// section) when it is next: `Some(true)` when it was, `Some(false)` when something
    /// else is next, `None` when it is not valid TOML here.
    fn end_if_here(&mut self) -> Option<bool> {
        match self.peek() {
            None => Some(true),
            Some(b'\n') => {
                self.at += 1;
                Some(true)
            }
            Some(b'\r') => {
                self.at += 1;
                self.eat(b'\n').then_some(true)
            }
            Some(b'#') => {
                let rest = self.text.get(self.at..)?;
                let length = rest.find(['\n', '\r']).unwrap_or(rest.len());
                let comment = rest.get(..length)?;
                if comment.chars().any(|c| c != '\t' && c.is_ascii_control()) {
                    return None;
                }
                self.at += length;
                self.end_if_here()
            }
            Some(_) => Some(false),
        }
    }

    /// Reads white space and the end of a line, which must be next.
    fn end(&mut self) -> Option<()> {
        self.blank();
        self.end_if_here()?.then_some(())
    }

    /// Reads `key = value` and the end of its line into `vip`.
    fn field(&mut self, vip: &mut RawVip) -> Option<()> {
        let start = self.at;
        while matches!(
            self.peek(),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')
        ) {
            self.at += 1;
        }
        let key = self.text.get(start..self.at)?;
        self.blank();
        if !self.eat(b'=') {
            return None;
        }
        self.blank();
        let value = self.value()?;
        self.end()?;
        match (slot(vip, key)?, value) {
            (Slot::Leaf(slot), Read::Scalar(value)) => store(slot, value),
            (Slot::List(slot), Read::Array(value)) => store(slot, value),
            _ => None,
        }
    }

    /// Reads a value: a plain string, a boolean, a decimal integer or an array of strings.
    fn value(&mut self) -> Option<Read> {
        if self.peek() == Some(b'[') {
            let start = self.at;
            self.at += 1;
            let mut items = Vec::new();
            loop {
                self.blank();
                if self.eat(b']') {
                    break;
                }
                items.push(self.string()?);
                self.blank();
                if !self.eat(b',') {
                    self.blank();
                    if !self.eat(b']') {
                        return None;
                    }
                    break;
                }
            }
            return Some(Read::Array(Spanned::new(start..self.at, items)));
        }
        if self.peek() == Some(b'"') {
            return self.string().map(Read::Scalar);
        }
        let start = self.at;
        while matches!(self.peek(), Some(b'a'..=b'z' | b'0'..=b'9')) {
            self.at += 1;
        }
        let span = start..self.at;
        let value = match self.text.get(span.clone())? {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            digits => Value::Integer(integer(digits)?),
        };
        Some(Read::Scalar(Spanned::new(span, value)))
    }

    /// Reads a basic string without escapes or control characters (tab aside).
    fn string(&mut self) -> Option<Leaf> {
        let start = self.at;
        if !self.eat(b'"') {
            return None;
        }
        let rest = self.text.get(self.at..)?;
        let length = rest.find(['"', '\\', '\n'])?;
        if rest.as_bytes().get(length) != Some(&b'"') {
            return None;
        }
        let content = rest.get(..length)?;
        if content.chars().any(|c| c != '\t' && c.is_ascii_control()) {
            return None;
        }
        self.at += length + 1;
        Some(Spanned::new(
            start..self.at,
            Value::String(content.to_owned()),
        ))
    }
}

/// A decimal integer as TOML writes it without sign or underscores: `0`, or digits not
/// starting with 0, that fit an `i64`.
fn integer(digits: &str) -> Option<i64> {
    let plain =
        digits == "0" || (!digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit()));
    if plain && !digits.is_empty() {
        digits.parse().ok()
    } else {
        None
    }
}

/// Where a key's value goes in [`RawVip`].
enum Slot<'v> {
    Leaf(&'v mut Option<Leaf>),
    List(&'v mut Option<List>),
}

/// The field of `vip` named `key`; `None` for a key `[[vip]]` does not have.
fn slot<'v>(vip: &'v mut RawVip, key: &str) -> Option<Slot<'v>> {
    Some(match key {
        "prefix" => Slot::Leaf(&mut vip.prefix),
        "prefixes" => Slot::List(&mut vip.prefixes),
        "checks" => Slot::List(&mut vip.checks),
        "interface" => Slot::Leaf(&mut vip.interface),
        "bind" => Slot::Leaf(&mut vip.bind),
        "med" => Slot::Leaf(&mut vip.med),
        "local_pref" => Slot::Leaf(&mut vip.local_pref),
        "communities" => Slot::List(&mut vip.communities),
        "large_communities" => Slot::List(&mut vip.large_communities),
        "as_path_prepend" => Slot::Leaf(&mut vip.as_path_prepend),
        "soft_checks" => Slot::List(&mut vip.soft_checks),
        "on_failure" => Slot::Leaf(&mut vip.on_failure),
        "require" => Slot::Leaf(&mut vip.require),
        _ => return None,
    })
}

/// Stores `value` in an empty `slot`; `None` when the key was written before.
fn store<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::raw::parse_vip_document;

    /// Every field of `vip` with its span and value, for comparing two readings.
    fn render(vip: &Spanned<RawVip>) -> String {
        let table = vip.get_ref();
        let leaves = [
            ("prefix", &table.prefix),
            ("interface", &table.interface),
            ("bind", &table.bind),
            ("med", &table.med),
            ("local_pref", &table.local_pref),
            ("as_path_prepend", &table.as_path_prepend),
            ("on_failure", &table.on_failure),
            ("require", &table.require),
        ];
        let lists = [
            ("prefixes", &table.prefixes),
            ("checks", &table.checks),
            ("communities", &table.communities),
            ("large_communities", &table.large_communities),
            ("soft_checks", &table.soft_checks),
        ];
        let mut out = format!("table {:?}\n", vip.span());
        for (name, leaf) in leaves {
            if let Some(leaf) = leaf {
                out += &format!("{name} {:?} {:?}\n", leaf.span(), leaf.get_ref());
            }
        }
        for (name, list) in lists {
            if let Some(list) = list {
                let items: Vec<_> = list
                    .get_ref()
                    .iter()
                    .map(|v| (v.span(), v.get_ref()))
                    .collect();
                out += &format!("{name} {:?} {items:?}\n", list.span());
            }
        }
        out
    }

    #[test]
    fn what_it_reads_it_reads_as_the_toml_parser_does() {
        let cases = [
            "[[vip]]\nprefix = \"198.18.0.1/32\"\nbind = false\n\n",
            "[[vip]]",
            "[[vip]]\n",
            "[[vip]]   # a comment\r\n  prefix=\"203.0.113.7/32\"\t# and one here\r\n\r\n",
            "[[vip]]\nprefixes = []\nchecks = [\"web\",\"db\",]\nmed = 0\nlocal_pref = 200\n",
            "[[vip]]\nprefixes = [ \"203.0.113.7/32\" , \"2001:db8::7/128\" ]\nbind = true\n# end",
            "[[vip]]\ncommunities = [\"65000:1\"]\nlarge_communities = [\"65000:1:2\"]\n",
            "[[vip]]\nsoft_checks = [\"load\"]\non_failure = \"degrade\"\nrequire = \"any\"\n",
            "[[vip]]\ninterface = \"dummy0\"\nas_path_prepend = 3\nprefix = \"not an address\"\n",
            "[[vip]]\nprefix = \"tab\there, é and # inside\"\n",
            "[[vip]]\nmed = 9223372036854775807\n",
            "[[vip]]\n\n\n   \n\t\n",
        ];
        for text in cases {
            let plain = read(text).unwrap_or_else(|| panic!("not read: {text:?}"));
            let Ok(parsed) = parse_vip_document(text) else {
                panic!("the TOML parser rejects {text:?}");
            };
            assert_eq!(render(&plain), render(&parsed), "{text:?}");
        }
    }

    #[test]
    fn what_it_does_not_read_goes_to_the_toml_parser() {
        let cases = [
            ("another header", "[vip]\nprefix = \"x\"\n"),
            ("a spaced header", "[[ vip ]]\n"),
            ("text after the header", "[[vip]] x\n"),
            ("a sub-table", "[[vip]]\nprefix = \"x\"\n[vip.extra]\n"),
            ("a quoted key", "[[vip]]\n\"prefix\" = \"x\"\n"),
            ("a dotted key", "[[vip]]\nprefix.a = \"x\"\n"),
            ("an unknown key", "[[vip]]\nprefx = \"x\"\n"),
            ("a key twice", "[[vip]]\nprefix = \"x\"\nprefix = \"y\"\n"),
            ("an escape", "[[vip]]\nprefix = \"a\\u0041\"\n"),
            ("a literal string", "[[vip]]\nprefix = 'x'\n"),
            ("a multi-line string", "[[vip]]\nprefix = \"\"\"x\"\"\"\n"),
            ("an unclosed string", "[[vip]]\nprefix = \"x\n"),
            ("a control character", "[[vip]]\nprefix = \"a\u{1}b\"\n"),
            ("a control character in a comment", "[[vip]]\n# a\u{7f}b\n"),
            ("a lone carriage return", "[[vip]]\nbind = true\r"),
            ("a float", "[[vip]]\nmed = 1.5\n"),
            ("a leading zero", "[[vip]]\nmed = 012\n"),
            ("a sign", "[[vip]]\nmed = +1\n"),
            ("underscores", "[[vip]]\nmed = 1_000\n"),
            ("too large", "[[vip]]\nmed = 9223372036854775808\n"),
            ("a date", "[[vip]]\nmed = 1979-05-27\n"),
            ("an inline table", "[[vip]]\nmed = { a = 1 }\n"),
            ("a multi-line array", "[[vip]]\nchecks = [\n\"a\"]\n"),
            ("a number in an array", "[[vip]]\nchecks = [1]\n"),
            ("an array for one value", "[[vip]]\nprefix = [\"x\"]\n"),
            ("one value for a list", "[[vip]]\nchecks = \"web\"\n"),
            ("two values on a line", "[[vip]]\nbind = true false\n"),
            ("a missing value", "[[vip]]\nbind =\n"),
            ("a word", "[[vip]]\nbind = yes\n"),
        ];
        for (case, text) in cases {
            assert!(read(text).is_none(), "{case}: {text:?}");
        }
    }
}
