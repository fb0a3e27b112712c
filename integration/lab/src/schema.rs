//! Validation of a topology against containerlab's own JSON schema
//! (draft-07), kept as data in `integration/containerlab/clab.schema.json`
//! with its licence.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The environment variable naming the schema file.
pub const SCHEMA_ENV: &str = "CLAB_SCHEMA";

/// `$CLAB_SCHEMA`, else the copy in this repository ([`vendored_path`]).
pub fn default_path() -> PathBuf {
    std::env::var_os(SCHEMA_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(vendored_path)
}

/// The schema kept in this repository, `integration/containerlab/clab.schema.json`.
pub fn vendored_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../containerlab/clab.schema.json")
}

/// The schema violations of topology `text` (YAML), one line each (empty
/// when valid).
pub fn violations(schema_path: &Path, text: &str) -> Result<Vec<String>> {
    let schema_text = std::fs::read_to_string(schema_path)
        .map_err(|e| Error::io(format!("read schema {}", schema_path.display()), e))?;
    let schema: serde_json::Value = serde_json::from_str(&schema_text)
        .map_err(|e| Error::parse(schema_path.display().to_string(), e.to_string()))?;
    let validator = jsonschema::draft7::new(&schema)
        .map_err(|e| Error::parse(schema_path.display().to_string(), e.to_string()))?;
    let document: serde_json::Value =
        serde_yaml_ng::from_str(text).map_err(|e| Error::parse("topology", e.to_string()))?;
    Ok(validator
        .iter_errors(&document)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect())
}
