//! `docs/configuration.md` against the parser: every key the parser accepts is documented
//! under its table with its default (or as required), and every key documented is one the
//! parser accepts. The keys come from the serde structs of `raw.rs` themselves, so a key
//! added there and not to the reference fails here.
//!
//! The reference's format, which these tests read: one heading ``### `[bgp]` `` per table
//! (``### `[[peer]]` `` for arrays of tables), ending at the next `##` or `###` heading
//! (`####` subsections stay inside); in it, one bullet per key starting with the key in
//! backticks (``- `local_as` ``), continued on indented lines, that says "Required" or
//! "Default:".

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::super::raw::{
    RawBgp, RawCheck, RawConfig, RawControl, RawDegraded, RawDrain, RawMetrics, RawPeer, RawVip,
};

/// The reference an operator reads.
const REFERENCE: &str = include_str!("../../../../../docs/configuration.md");

/// Where the reference lives, for messages.
const REFERENCE_PATH: &str = "docs/configuration.md";

/// Each table of the file: its heading in the reference and the keys its serde struct takes.
/// A table added to [`RawConfig`] needs a row here (a test says so).
fn tables() -> Vec<(&'static str, &'static [&'static str])> {
    vec![
        ("[bgp]", keys::<RawBgp>()),
        ("[[peer]]", keys::<RawPeer>()),
        ("[[check]]", keys::<RawCheck>()),
        ("[[vip]]", keys::<RawVip>()),
        ("[degraded]", keys::<RawDegraded>()),
        ("[drain]", keys::<RawDrain>()),
        ("[control]", keys::<RawControl>()),
        ("[metrics]", keys::<RawMetrics>()),
    ]
}

#[test]
fn every_key_the_parser_accepts_is_in_the_reference_with_its_default() {
    let mut problems = Vec::new();
    for (heading, keys) in tables() {
        let Some(entries) = section(heading) else {
            problems.push(format!(
                "{heading}: no heading \"### `{heading}`\" in {REFERENCE_PATH}"
            ));
            continue;
        };
        for key in keys {
            match entries.iter().find(|entry| entry.key == *key) {
                None => problems.push(format!(
                    "{heading} `{key}`: the parser accepts it, {REFERENCE_PATH} does not document it"
                )),
                Some(entry) if !entry.has_default() => problems.push(format!(
                    "{heading} `{key}`: documented without its default (say \"Default: ...\" or \"Required\")"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_in_the_reference_is_one_the_parser_accepts() {
    let mut problems = Vec::new();
    for (heading, keys) in tables() {
        for entry in section(heading).unwrap_or_default() {
            if !keys.contains(&entry.key.as_str()) {
                problems.push(format!(
                    "{heading} `{}`: documented in {REFERENCE_PATH}, but the parser refuses it",
                    entry.key
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_table_of_the_file_is_checked_here() {
    let rows = tables();
    let unchecked: Vec<String> = keys::<RawConfig>()
        .iter()
        .filter(|table| {
            !rows
                .iter()
                .any(|(heading, _)| heading.trim_matches(['[', ']']) == **table)
        })
        .map(|table| {
            format!(
                "the table `{table}` has no row in tables() in {}: add (\"[{table}]\", keys::<RawStruct>()) \
                 (\"[[{table}]]\" for an array of tables) and document it in {REFERENCE_PATH}",
                file!()
            )
        })
        .collect();
    assert!(unchecked.is_empty(), "{}", unchecked.join("\n"));
}

#[test]
fn keys_are_read_as_the_file_spells_them() {
    assert!(keys::<RawCheck>().contains(&"type"));
    assert!(!keys::<RawCheck>().contains(&"kind"));
    assert!(keys::<RawConfig>().contains(&"bgp"));
}

/// One key's bullet in the reference.
#[derive(Clone, Debug)]
struct Entry {
    /// The key, as written between the first backticks.
    key: String,
    /// The bullet's text, continuation lines included.
    text: String,
}

impl Entry {
    /// Whether the bullet gives a default or says the key is required.
    fn has_default(&self) -> bool {
        self.text.contains("Default:") || self.text.contains("Required")
    }
}

/// The key bullets of the table section headed ``### `heading` ``, or `None` when the
/// reference has no such heading. Lines inside code blocks are skipped.
fn section(heading: &str) -> Option<Vec<Entry>> {
    let title = format!("### `{heading}`");
    let mut lines = REFERENCE.lines();
    lines.by_ref().find(|line| line.trim_end() == title)?;
    let mut entries: Vec<Entry> = Vec::new();
    let mut in_code = false;
    let mut continuing = false;
    for line in lines {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continuing = false;
            continue;
        }
        if in_code {
            continue;
        }
        if line.starts_with("## ") || line.starts_with("### ") {
            break;
        }
        if let Some(rest) = line.strip_prefix("- `") {
            let key = rest.split('`').next().unwrap_or_default().to_owned();
            entries.push(Entry {
                key,
                text: line.to_owned(),
            });
            continuing = true;
        } else if continuing && line.starts_with("  ") && !line.trim().is_empty() {
            if let Some(entry) = entries.last_mut() {
                entry.text.push(' ');
                entry.text.push_str(line.trim());
            }
        } else {
            continuing = false;
        }
    }
    Some(entries)
}

/// The keys serde's derive gives `T`, renames applied: what a table of that type accepts
/// (the structs deny unknown fields). Read by asking `T` to deserialize itself from a
/// deserializer that records the field list serde passes it and then stops.
fn keys<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    let mut fields = None;
    // The deserializer always stops with an error once it has the fields.
    let _ = T::deserialize(FieldNames {
        fields: &mut fields,
    });
    fields.unwrap_or_else(|| panic!("{} is not a struct", std::any::type_name::<T>()))
}

/// A deserializer that only records the field names of the struct asked of it.
struct FieldNames<'a> {
    fields: &'a mut Option<&'static [&'static str]>,
}

/// How [`FieldNames`] stops.
#[derive(Debug)]
struct Stop;

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("field names recorded")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.fields = Some(fields);
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}
