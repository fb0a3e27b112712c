//! The shape of the TOML document: which tables and keys exist, nothing more.
//!
//! Serde checks the structure (unknown keys, missing keys, tables versus arrays of tables);
//! every leaf stays a spanned [`toml::Value`] so that validation can judge it with its own
//! message and point at its line. These types never leave the config module, and carry no
//! `Debug` so that an inline password cannot be printed from them.

use std::ops::Range;

use serde::Deserialize;
use serde_path_to_error::Segment;
use toml::{Spanned, Value};

use super::error::{Invalid, Problem};
use super::plain_vip;

/// A single value and where it was written.
pub(super) type Leaf = Spanned<Value>;

/// An array whose elements each keep their own position.
pub(super) type List = Spanned<Vec<Spanned<Value>>>;

/// The whole file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// `[bgp]`.
    pub bgp: RawBgp,
    /// `[[peer]]`.
    #[serde(default)]
    pub peer: Vec<RawPeer>,
    /// `[[check]]`.
    #[serde(default)]
    pub check: Vec<RawCheck>,
    /// `[[vip]]`, each with its position (for a missing `prefix`).
    #[serde(default)]
    pub vip: Vec<Spanned<RawVip>>,
    /// `[control]`.
    pub control: Option<RawControl>,
    /// `[drain]`.
    pub drain: Option<RawDrain>,
    /// `[metrics]`.
    pub metrics: Option<RawMetrics>,
    /// `[degraded]`.
    pub degraded: Option<RawDegraded>,
}

/// One `[[vip]]` section of the file (see `sections`), parsed on its own.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVipSection {
    /// The one `[[vip]]` table.
    vip: Vec<Spanned<RawVip>>,
}

/// What a client reads to find the daemon: `[control]` alone, every other table ignored
/// (and no password file read).
#[derive(Deserialize)]
pub(super) struct RawClientView {
    /// `[control]`.
    pub control: Option<RawControl>,
}

/// `[bgp]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBgp {
    pub local_as: Leaf,
    pub router_id: Option<Leaf>,
    pub listen: Option<Leaf>,
    pub graceful_restart: Option<Leaf>,
    pub restart_time: Option<Leaf>,
}

/// One `[[peer]]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPeer {
    pub address: Leaf,
    pub remote_as: Leaf,
    pub name: Option<Leaf>,
    pub port: Option<Leaf>,
    pub hold_time: Option<Leaf>,
    pub passive: Option<Leaf>,
    pub password: Option<Leaf>,
    pub password_file: Option<Leaf>,
    pub local_address: Option<Leaf>,
    pub next_hop: Option<Leaf>,
    pub ttl_security: Option<Leaf>,
    pub multihop: Option<Leaf>,
    pub bfd: Option<Leaf>,
    pub bfd_min_tx: Option<Leaf>,
    pub bfd_min_rx: Option<Leaf>,
    pub bfd_multiplier: Option<Leaf>,
}

/// One `[[check]]`: the common keys and those of every type (validation rejects the keys
/// of other types).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCheck {
    pub name: Leaf,
    #[serde(rename = "type")]
    pub kind: Leaf,
    pub interval: Option<Leaf>,
    pub timeout: Option<Leaf>,
    pub fast_interval: Option<Leaf>,
    pub rise: Option<Leaf>,
    pub fall: Option<Leaf>,
    pub url: Option<Leaf>,
    pub method: Option<Leaf>,
    pub expect_status: Option<Leaf>,
    pub expect_body: Option<Leaf>,
    pub host: Option<Leaf>,
    pub address: Option<Leaf>,
    pub command: Option<List>,
    pub user: Option<Leaf>,
    pub path: Option<Leaf>,
    pub pass_if: Option<Leaf>,
}

/// One `[[vip]]`: one host route (`prefix`) or several sharing the other keys (`prefixes`).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVip {
    pub prefix: Option<Leaf>,
    pub prefixes: Option<List>,
    pub checks: Option<List>,
    pub interface: Option<Leaf>,
    pub bind: Option<Leaf>,
    pub med: Option<Leaf>,
    pub local_pref: Option<Leaf>,
    pub communities: Option<List>,
    pub large_communities: Option<List>,
    pub as_path_prepend: Option<Leaf>,
    pub soft_checks: Option<List>,
    pub on_failure: Option<Leaf>,
    pub require: Option<Leaf>,
}

/// `[degraded]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDegraded {
    pub as_path_prepend: Option<Leaf>,
    pub med: Option<Leaf>,
    pub communities: Option<List>,
    pub large_communities: Option<List>,
}

/// `[control]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawControl {
    pub socket: Option<Leaf>,
    pub state_dir: Option<Leaf>,
    pub group: Option<Leaf>,
}

/// `[metrics]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    pub listen: Option<Leaf>,
    pub per_vip: Option<Leaf>,
}

/// `[drain]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDrain {
    pub time: Option<Leaf>,
    pub med: Option<Leaf>,
    pub as_path_prepend: Option<Leaf>,
}

/// Parses `text` into the raw shape; errors carry the key path serde was in.
pub(super) fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Invalid> {
    let document =
        toml::Deserializer::parse(text).map_err(|error| toml_error(&error, String::new()))?;
    serde_path_to_error::deserialize(document).map_err(|error| {
        let key = key_path(error.path());
        toml_error(&error.into_inner(), key)
    })
}

/// The `index`th `[[vip]]` table, parsed from `range` of `text`: its spans count from
/// `range.start`, its errors are located in `text` under `vip[index]`.
pub(super) fn parse_vip(
    text: &str,
    range: Range<usize>,
    index: usize,
) -> Result<Spanned<RawVip>, Invalid> {
    let offset = range.start;
    let section = text.get(range).unwrap_or_default();
    let in_file = |mut invalid: Invalid| {
        invalid.at += offset;
        if let Some(rest) = invalid.key.strip_prefix("vip[0]") {
            invalid.key = format!("vip[{index}]{rest}");
        }
        invalid
    };
    match plain_vip::read(section) {
        Some(table) => Ok(table),
        None => parse_vip_document(section).map_err(in_file),
    }
}

/// The one `[[vip]]` table of `section`, parsed as a TOML document; errors are located in
/// `section`, under `vip[0]`.
pub(super) fn parse_vip_document(section: &str) -> Result<Spanned<RawVip>, Invalid> {
    let raw: RawVipSection = parse(section)?;
    let mut tables = raw.vip.into_iter();
    match (tables.next(), tables.next()) {
        (Some(table), None) => Ok(table),
        _ => Err(Invalid::new(
            0,
            "vip[0]",
            Problem::Toml("expected one [[vip]] table here".to_owned()),
        )),
    }
}

/// A parse or shape error at `key`, located at its span.
fn toml_error(error: &toml::de::Error, key: String) -> Invalid {
    let at = error.span().map_or(0, |span| span.start);
    let message = error.message().trim().replace('\n', "; ");
    Invalid::new(at, key, Problem::Toml(message))
}

/// `peer[0].remote_as` from serde's path, without the private fields `toml::Spanned`
/// deserializes through.
fn key_path(path: &serde_path_to_error::Path) -> String {
    let mut key = String::new();
    for segment in path {
        match segment {
            Segment::Seq { index } => key.push_str(&format!("[{index}]")),
            Segment::Map { key: name } if !name.starts_with("$__serde_spanned_private") => {
                if !key.is_empty() {
                    key.push('.');
                }
                key.push_str(name);
            }
            Segment::Map { .. } | Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    key
}
