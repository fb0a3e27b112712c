//! Tests of the configuration contract: what is accepted and with which defaults, and
//! for every rejected case the exact line, key and message.

mod accepted;
mod duration;
mod password;
mod reference;
mod rejected;
mod vip_tables;

use std::path::Path;

use super::{parse, Config, ConfigError};

/// The file name the tests' errors carry.
const FILE: &str = "/etc/announcer/announcer.toml";

/// `text` parsed as if read from [`FILE`].
fn accept(text: &str) -> Config {
    match parse(text, Path::new(FILE)) {
        Ok(config) => config,
        Err(error) => panic!("expected the configuration to load, got: {error}"),
    }
}

/// The line, key and message of the error `text` is rejected with.
fn reject(text: &str) -> (usize, String, String) {
    match parse(text, Path::new(FILE)) {
        Err(ConfigError::Invalid {
            line, key, problem, ..
        }) => (line, key, problem.to_string()),
        Err(error) => panic!("expected a located error, got: {error}"),
        Ok(config) => panic!("expected an error, got: {config:?}"),
    }
}

/// The smallest valid file: `[bgp]` on line 1, the peer on lines 4-6, the VIP on 8-9.
const MINIMAL: &str = r#"[bgp]
local_as = 65001

[[peer]]
address = "192.0.2.1"
remote_as = 65000

[[vip]]
prefix = "203.0.113.10/32"
"#;
