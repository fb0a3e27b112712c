//! Every topology under `integration/topologies/*/` (and the runner's own
//! fixtures) is valid against containerlab's JSON schema and passes
//! `lab validate`.

use std::path::{Path, PathBuf};
use std::process::Command;

use announcer_lab::schema;

/// The schema kept in the repository.
fn schema_path() -> PathBuf {
    let path = schema::vendored_path();
    assert!(
        path.is_file(),
        "containerlab schema missing at {}",
        path.display()
    );
    path
}

/// `<dir>/*/*.clab.yml`, sorted.
fn topologies_under(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_dir(e.path()).ok())
        .flatten()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".clab.yml"))
        .collect();
    files.sort();
    files
}

fn all_topologies() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = topologies_under(&root.join("topologies"));
    files.extend(topologies_under(&root.join("tests/fixtures")));
    assert!(
        !files.is_empty(),
        "not even the runner's fixtures were found"
    );
    files
}

#[test]
fn every_topology_matches_the_containerlab_schema() {
    let schema = schema_path();
    for file in all_topologies() {
        let text = std::fs::read_to_string(&file).unwrap();
        let violations = schema::violations(&schema, &text).unwrap();
        assert!(violations.is_empty(), "{}: {violations:#?}", file.display());
    }
}

#[test]
fn every_topology_passes_lab_validate() {
    let schema = schema_path();
    for file in all_topologies() {
        let output = Command::new(env!("CARGO_BIN_EXE_lab"))
            .arg("validate")
            .arg("--schema")
            .arg(&schema)
            .arg(&file)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "lab validate {}: {}",
            file.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn the_schema_rejects_what_containerlab_rejects() {
    let violations = schema::violations(
        &schema_path(),
        "name: x\ntopology:\n  nodes:\n    a: {kind: linux, binds: 7}\n",
    )
    .unwrap();
    assert!(!violations.is_empty());
}

#[test]
fn lab_validate_exits_2_on_an_unknown_node_in_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.clab.yml");
    std::fs::write(
        &file,
        "name: bad\ntopology:\n  nodes:\n    a: {kind: linux}\n  links:\n    - endpoints: [\"a:eth1\", \"b:eth1\"]\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lab"))
        .arg("validate")
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown node \"b\""), "{stderr}");
}
