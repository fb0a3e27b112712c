//! The file probe on a temporary directory.

use std::time::Duration;

use announcer_health::probe::file::probe;
use announcer_health::FilePassIf;

const TIMEOUT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn exists_passes_while_the_file_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("running");
    std::fs::write(&path, b"").unwrap();
    let result = probe(&path, FilePassIf::Exists, TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    assert_eq!(result.detail, "exists");
}

#[tokio::test]
async fn exists_fails_while_the_file_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    let result = probe(&dir.path().join("running"), FilePassIf::Exists, TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "absent");
}

#[tokio::test]
async fn absent_passes_while_the_file_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    let result = probe(&dir.path().join("maintenance"), FilePassIf::Absent, TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    assert_eq!(result.detail, "absent");
}

#[tokio::test]
async fn absent_fails_while_the_file_exists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("maintenance");
    std::fs::write(&path, b"").unwrap();
    let result = probe(&path, FilePassIf::Absent, TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "exists");
}

#[tokio::test]
async fn a_dangling_symlink_counts_as_absent() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("running");
    std::os::unix::fs::symlink(dir.path().join("missing"), &link).unwrap();
    let result = probe(&link, FilePassIf::Exists, TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "absent");
}

#[tokio::test]
async fn a_path_through_a_regular_file_fails_with_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, b"").unwrap();
    let result = probe(&file.join("child"), FilePassIf::Absent, TIMEOUT).await;
    assert!(!result.pass, "{result:?}");
    assert!(
        result.detail.contains("Not a directory"),
        "{}",
        result.detail
    );
}
