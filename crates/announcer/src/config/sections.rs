//! Where the `[[vip]]` tables of a configuration file are, found by the TOML lexer without
//! building a document: each `[[vip]]` header starts a section that runs to the next header
//! of another table (its own sub-tables, `[vip.x]`, stay in it). Thousands of `[[vip]]`
//! tables are then parsed one at a time, each dropped once validated, instead of as one
//! document that keeps about 2 KB per table.
//!
//! The lexer knows strings (multi-line ones too) and comments, so a `[[vip]]` inside a
//! string is no header. Anything this scan does not understand leaves the sections to
//! the whole-document parse, which reports the file's errors as always.

use std::ops::Range;

use toml_parser::lexer::TokenKind;
use toml_parser::Source;

/// The `[[vip]]` sections of a file, and the rest of it.
pub(super) struct Sections {
    /// The file with every section's bytes blanked (newlines kept): the same offsets, lines
    /// and columns as the file, every other table as written.
    pub rest: String,
    /// Each section's byte range in the file, in file order.
    pub vips: Vec<Range<usize>>,
}

/// A table header: where it starts, and its key path's first key.
struct Header {
    start: usize,
    array: bool,
    /// The key path is `vip` alone.
    vip: bool,
    /// The first key of the path is `vip`.
    under_vip: bool,
}

/// The `[[vip]]` sections of `text`; `None` when it has none, or a header this scan cannot
/// read (the whole-document parse then runs, and reports what is wrong).
pub(super) fn split(text: &str) -> Option<Sections> {
    let headers = headers(text)?;
    let mut vips: Vec<Range<usize>> = Vec::new();
    let mut open: Option<usize> = None;
    for header in &headers {
        let continues = open.is_some() && header.under_vip && !(header.array && header.vip);
        if continues {
            continue;
        }
        if let Some(start) = open.take() {
            vips.push(start..header.start);
        }
        if header.array && header.vip {
            open = Some(header.start);
        }
    }
    if let Some(start) = open {
        vips.push(start..text.len());
    }
    if vips.is_empty() {
        return None;
    }
    let mut rest = text.as_bytes().to_vec();
    for range in &vips {
        for byte in rest.get_mut(range.clone())? {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b' ';
            }
        }
    }
    let rest = String::from_utf8(rest).ok()?;
    Some(Sections { rest, vips })
}

/// Every table header of `text`, in order; `None` on a header this scan cannot read.
fn headers(text: &str) -> Option<Vec<Header>> {
    let source = Source::new(text);
    let mut tokens = source.lex().filter(|t| t.kind() != TokenKind::Whitespace);
    let mut headers = Vec::new();
    let mut depth = 0usize;
    let mut line_start = true;
    while let Some(token) = tokens.next() {
        let kind = token.kind();
        match kind {
            TokenKind::Newline => {
                line_start = depth == 0;
                continue;
            }
            TokenKind::Comment => continue,
            TokenKind::Eof => break,
            TokenKind::LeftSquareBracket if line_start && depth == 0 => {
                let start = token.span().start();
                headers.push(header(text, start, &mut tokens)?);
                line_start = false;
                continue;
            }
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.checked_sub(1)?;
            }
            _ => {}
        }
        line_start = false;
    }
    Some(headers)
}

/// The header whose first `[` is at `start`, read from the tokens after it up to its last
/// `]`; `None` when it is not a well-formed header.
fn header(
    text: &str,
    start: usize,
    tokens: &mut impl Iterator<Item = toml_parser::lexer::Token>,
) -> Option<Header> {
    let mut keys: Vec<&str> = Vec::new();
    let mut array = false;
    let mut closing = 0;
    let mut expect_key = true;
    for token in tokens.by_ref() {
        let span = token.span();
        let raw = text.get(span.start()..span.end())?;
        match token.kind() {
            TokenKind::LeftSquareBracket if keys.is_empty() && !array && expect_key => {
                array = true;
            }
            TokenKind::Atom | TokenKind::BasicString | TokenKind::LiteralString if expect_key => {
                keys.push(raw);
                expect_key = false;
            }
            TokenKind::Dot if !expect_key && closing == 0 => expect_key = true,
            TokenKind::RightSquareBracket if !expect_key => {
                closing += 1;
                let wanted = if array { 2 } else { 1 };
                if closing == wanted {
                    let first = keys.first().copied().map(bare)?;
                    return Some(Header {
                        start,
                        array,
                        vip: keys.len() == 1 && first == "vip",
                        under_vip: first == "vip",
                    });
                }
            }
            _ => return None,
        }
    }
    None
}

/// A key as written, without the quotes of a quoted key (one with escapes stays as written,
/// so it never passes for `vip`).
fn bare(key: &str) -> &str {
    let unquoted = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .filter(|k| !k.contains('\\'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')));
    unquoted.unwrap_or(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sections(text: &str) -> Vec<&str> {
        let split = split(text).expect("sections");
        assert_eq!(split.rest.len(), text.len());
        assert_eq!(split.rest.lines().count(), text.lines().count());
        split.vips.iter().map(|r| &text[r.clone()]).collect()
    }

    #[test]
    fn each_vip_table_is_a_section_up_to_the_next_other_table() {
        let text = "[bgp]\nlocal_as = 1\n\n[[vip]]\nprefix = \"203.0.113.1/32\"\n\n[[ vip ]] # two\nprefix = \"203.0.113.2/32\"\n[control]\nsocket = \"/s\"\n[[\"vip\"]]\nprefix = '203.0.113.3/32'\n";
        assert_eq!(
            sections(text),
            [
                "[[vip]]\nprefix = \"203.0.113.1/32\"\n\n",
                "[[ vip ]] # two\nprefix = \"203.0.113.2/32\"\n",
                "[[\"vip\"]]\nprefix = '203.0.113.3/32'\n",
            ]
        );
        let rest = split(text).unwrap().rest;
        assert!(rest.contains("[control]\nsocket = \"/s\"\n") && !rest.contains("vip"));
    }

    #[test]
    fn sub_tables_of_a_vip_stay_in_its_section() {
        let text = "[[vip]]\nprefix = \"203.0.113.1/32\"\n[vip.extra]\na = 1\n[[vip]]\nprefix = \"203.0.113.2/32\"\n";
        assert_eq!(
            sections(text),
            [
                "[[vip]]\nprefix = \"203.0.113.1/32\"\n[vip.extra]\na = 1\n",
                "[[vip]]\nprefix = \"203.0.113.2/32\"\n",
            ]
        );
    }

    #[test]
    fn headers_inside_strings_arrays_and_comments_are_no_headers() {
        let text = "[[check]]\nname = \"c\"\ncommand = [\n  \"\"\"\n[[vip]]\n\"\"\",\n  '''\n[[vip]]'''\n]\n# [[vip]]\nlist = [\n[1], [2]\n]\n";
        assert!(split(text).is_none());
        let text = format!("{text}[[vip]]\nprefix = \"203.0.113.1/32\"\n");
        assert_eq!(sections(&text), ["[[vip]]\nprefix = \"203.0.113.1/32\"\n"]);
    }

    #[test]
    fn files_without_vip_tables_or_with_unreadable_headers_are_left_whole() {
        let cases = [
            "[bgp]\nlocal_as = 1\n",
            "[vip]\nprefix = \"203.0.113.1/32\"\n",
            "vip = [{ prefix = \"203.0.113.1/32\" }]\n",
            "[[vip]\nprefix = 1\n",
            "[[vip]]]\n",
            "[[\"v\\u0069p\"]]\nprefix = 1\n",
        ];
        for text in cases {
            assert!(split(text).is_none(), "{text:?}");
        }
    }
}
