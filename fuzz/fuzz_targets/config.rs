//! Fuzzes the configuration parser, `announcer::config::parse`, with any text.
//!
//! Input: the file's bytes; those that are not UTF-8 are skipped (the daemon reads the file
//! with `read_to_string`, so `parse` never sees them). Checked: no panic, and an error's
//! message (file, line, column, key) formats. The file is `/nonexistent/announcer.toml`,
//! so relative `password_file` paths name nothing; absolute ones are opened and read.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match announcer::config::parse(text, Path::new("/nonexistent/announcer.toml")) {
        Ok(config) => {
            let _ = format!("{config:?}");
        }
        Err(error) => {
            let _ = error.to_string();
        }
    }
});
