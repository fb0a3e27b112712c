//! The TOML configuration: parsing, validation, and errors that name file, line and key.
//!
//! Three layers: `raw` is the document's shape as serde sees it
//! (tables and keys, every leaf a spanned TOML value); `validate` and the per-section
//! modules (`peer`, `check`, `vip`) turn leaves into typed values and check the rules
//! between entries; [`model`] holds the result, which the daemon trusts without further
//! checks. `config/announcer.toml` at the repository root documents every key and default.

mod check;
mod duration;
pub mod error;
pub mod model;
mod peer;
mod plain_vip;
mod raw;
mod sections;
mod validate;
mod value;
mod vip;

#[cfg(test)]
mod tests;

use std::fs;
use std::path::Path;

pub use error::ConfigError;
pub use model::{
    BgpConfig, BindMode, Config, ControlConfig, DegradedConfig, DrainConfig, MetricsConfig,
    OnFailure, Policy, Require, VipConfig,
};

/// Reads and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// The duration `text` denotes in the configuration's form (`"90s"`, `"1h30m"`), if it is one.
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    duration::parse(text)
}

/// Reads only the `[control]` table of the file at `path`, as a client looking for the
/// daemon's socket does: the rest of the file is neither validated nor acted on, so no
/// password file is read.
pub fn load_control(path: &Path) -> Result<ControlConfig, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    let raw: raw::RawClientView =
        raw::parse(&text).map_err(|invalid| invalid.locate(&text, path))?;
    let base_dir = path.parent().unwrap_or(Path::new(""));
    match &raw.control {
        Some(control) => validate::control(control, base_dir),
        None => Ok(ControlConfig::default()),
    }
    .map_err(|invalid| invalid.locate(&text, path))
}

/// Validates `text`, the contents of the file `path`.
///
/// `path` names the file in errors, and its directory is where relative paths
/// (`password_file`, file checks, `[control]`) are resolved; password files are read.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_sections(text, path, sections::split(text))
}

/// [`parse`] as one document, without taking the `[[vip]]` tables one at a time: the
/// reference the configuration fuzzer holds [`parse`] to (the same outcome for any text).
#[doc(hidden)]
pub fn parse_whole(text: &str, path: &Path) -> Result<Config, ConfigError> {
    parse_sections(text, path, None)
}

/// [`parse`] with the `[[vip]]` tables of `sections` parsed one at a time.
fn parse_sections(
    text: &str,
    path: &Path,
    sections: Option<sections::Sections>,
) -> Result<Config, ConfigError> {
    let (rest, vip_sections) = match &sections {
        Some(sections) => (sections.rest.as_str(), sections.vips.as_slice()),
        None => (text, &[][..]),
    };
    let raw = raw::parse(rest).map_err(|invalid| invalid.locate(text, path))?;
    let source = validate::Source {
        text,
        base_dir: path.parent().unwrap_or(Path::new("")),
    };
    validate::config(&raw, vip_sections, &source).map_err(|invalid| invalid.locate(text, path))
}
