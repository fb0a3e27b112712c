//! Fuzzes the configuration parser, `announcer::config::parse`, with any text.
//!
//! Input: the file's bytes; those that are not UTF-8 are skipped (the daemon reads the file
//! with `read_to_string`, so `parse` never sees them). Checked: no panic, an error's
//! message (file, line, column, key) formats, and `parse` (which takes `[[vip]]` tables one
//! at a time) and `parse_whole` (one document) agree: both fail, or both give the same
//! configuration. The file is `/nonexistent/announcer.toml`,
//! so relative `password_file` paths name nothing; absolute ones are opened and read.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path = Path::new("/nonexistent/announcer.toml");
    let parsed = announcer::config::parse(text, path);
    let whole = announcer::config::parse_whole(text, path);
    match (&parsed, &whole) {
        (Ok(config), Ok(reference)) => {
            assert_eq!(config, reference, "the [[vip]] tables one at a time differ");
            let _ = format!("{config:?}");
        }
        (Err(error), Err(_)) => {
            let _ = error.to_string();
        }
        _ => panic!("parse and parse_whole disagree: {parsed:?} against {whole:?}"),
    }
});
