//! TCP MD5 passwords: inline or from a private file, and never shown.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use announcer_bgp::Password;
use tempfile::TempDir;

use super::{reject, MINIMAL};
use crate::config::{load, ConfigError};

/// `MINIMAL` with `line` after the peer's `remote_as` (line 7).
fn peer_with(line: &str) -> String {
    MINIMAL.replace(
        "remote_as = 65000\n",
        &format!("remote_as = 65000\n{line}\n"),
    )
}

/// A directory holding `announcer.toml` (a peer with `password_file = "md5.key"`) and
/// `md5.key` with `contents` and permission bits `mode`.
fn with_key_file(contents: &str, mode: u32) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("md5.key");
    fs::write(&key, contents).unwrap();
    fs::set_permissions(&key, fs::Permissions::from_mode(mode)).unwrap();
    let config = peer_with("password_file = \"md5.key\"");
    fs::write(dir.path().join("announcer.toml"), config).unwrap();
    dir
}

/// The error `load` gives for the configuration in `dir`: line, key and message.
fn load_error(dir: &Path) -> (usize, String, String) {
    match load(&dir.join("announcer.toml")) {
        Err(ConfigError::Invalid {
            line, key, problem, ..
        }) => (line, key, problem.to_string()),
        other => panic!("expected a located error, got {other:?}"),
    }
}

#[test]
fn an_inline_password_is_used_as_written() {
    let config = super::accept(&peer_with("password = \"s3cret\""));
    assert_eq!(config.peers[0].password, Some(Password::new("s3cret")));
}

#[test]
fn a_password_file_next_to_the_configuration_is_read_without_its_newline() {
    let dir = with_key_file("s3cret\n", 0o640);
    let config = load(&dir.path().join("announcer.toml")).unwrap();
    assert_eq!(config.peers[0].password, Some(Password::new("s3cret")));
}

#[test]
fn password_and_password_file_together_are_rejected() {
    let text = peer_with("password = \"s3cret\"\npassword_file = \"/etc/announcer/md5.key\"");
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (8, "peer[0].password_file"));
    assert_eq!(message, "cannot be combined with `password`");
}

#[test]
fn a_password_file_readable_by_others_is_rejected_with_its_mode() {
    let dir = with_key_file("s3cret\n", 0o644);
    let (line, key, message) = load_error(dir.path());
    assert_eq!((line, key.as_str()), (7, "peer[0].password_file"));
    let file = dir.path().join("md5.key");
    assert_eq!(
        message,
        format!(
            "password file {} is readable by others (mode 0644); remove that with chmod o-rwx",
            file.display()
        )
    );
    assert!(!message.contains("s3cret"));
}

#[test]
fn a_missing_password_file_is_rejected_naming_it() {
    let (line, key, message) = reject(&peer_with("password_file = \"/nonexistent/md5.key\""));
    assert_eq!((line, key.as_str()), (7, "peer[0].password_file"));
    assert_eq!(
        message,
        "cannot read password file /nonexistent/md5.key: No such file or directory (os error 2)"
    );
}

#[test]
fn an_empty_password_is_rejected_inline_or_in_a_file() {
    let (line, key, message) = reject(&peer_with("password = \"\""));
    assert_eq!(
        (line, key.as_str(), message.as_str()),
        (7, "peer[0].password", "the password is empty")
    );
    let dir = with_key_file("\n", 0o600);
    let (line, key, message) = load_error(dir.path());
    assert_eq!(
        (line, key.as_str(), message.as_str()),
        (7, "peer[0].password_file", "the password is empty")
    );
}

#[test]
fn a_password_longer_than_a_tcp_md5_key_is_rejected() {
    let (_, key, message) = reject(&peer_with(&format!("password = \"{}\"", "k".repeat(81))));
    assert_eq!(key, "peer[0].password");
    assert_eq!(
        message,
        "the password is longer than 80 bytes, the TCP MD5 key limit"
    );
    let dir = with_key_file(&"k".repeat(200), 0o600);
    assert_eq!(load_error(dir.path()).2, message);
}

#[test]
fn a_password_never_appears_in_errors_or_debug_output() {
    let (_, key, message) = reject(&peer_with("password = 987654321"));
    assert_eq!(key, "peer[0].password");
    assert_eq!(message, "expected a string, found a value of type integer");
    let config = super::accept(&peer_with("password = \"s3cret\""));
    assert!(!format!("{config:?}").contains("s3cret"));
}
