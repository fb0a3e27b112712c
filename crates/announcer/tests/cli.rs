//! The command line without a daemon or a router: exit statuses and the one-line errors an
//! operator sees when the daemon is not running or the configuration is wrong.
#![allow(
    clippy::unwrap_used,
    reason = "a test crate: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

const BINARY: &str = env!("CARGO_BIN_EXE_announcer");

/// A valid configuration whose control socket is `socket`.
fn config(socket: &Path, state_dir: &Path) -> String {
    format!(
        r#"[bgp]
local_as = 65001
router_id = "192.0.2.11"

[[peer]]
address = "192.0.2.1"
remote_as = 65000

[[check]]
name = "web"
type = "http"
url = "http://127.0.0.1:8080/healthz"

[[vip]]
prefix = "203.0.113.10/32"
checks = ["web"]

[control]
socket = "{}"
state_dir = "{}"
"#,
        socket.display(),
        state_dir.display()
    )
}

fn announcer(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BINARY)
        .env_remove("ANNOUNCER_SOCKET")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Exit 1 with exactly one stderr line naming `socket`.
fn assert_not_running_error(output: &Output, socket: &str) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(1), "exit status; stderr: {text}");
    assert_eq!(text.trim().lines().count(), 1, "one line: {text:?}");
    assert!(text.contains(socket), "names {socket}: {text:?}");
}

#[test]
fn status_without_a_daemon_exits_1_with_one_line_naming_the_socket() {
    let socket = "/nonexistent/announcer.sock";
    assert_not_running_error(&announcer(&["status", "--socket", socket], &[]), socket);
    assert_not_running_error(
        &announcer(&["status", "--json"], &[("ANNOUNCER_SOCKET", socket)]),
        socket,
    );
}

#[test]
fn client_commands_find_the_socket_in_the_config_and_fail_when_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("announcer.sock");
    let path = dir.path().join("announcer.toml");
    std::fs::write(&path, config(&socket, &dir.path().join("state"))).unwrap();
    let path = path.to_string_lossy();
    let socket = socket.to_string_lossy();
    for args in [
        vec!["status", "-c", &path],
        vec!["withdraw", "-c", &path, "--reason", "maint"],
        vec!["announce", "-c", &path],
    ] {
        assert_not_running_error(
            &announcer(&args, &[("ANNOUNCER_SOCKET", "/elsewhere.sock")]),
            &socket,
        );
    }
}

#[test]
fn check_config_describes_a_valid_file_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("good.toml");
    std::fs::write(
        &path,
        config(&dir.path().join("a.sock"), &dir.path().join("state")),
    )
    .unwrap();
    let output = announcer(&["check-config", "-c", &path.to_string_lossy()], &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        text.contains("peer 192.0.2.1 192.0.2.1:179 AS65000"),
        "{text}"
    );
    assert!(
        text.contains("vip 203.0.113.10/32 on lo: announced while checks web pass"),
        "{text}"
    );
}

#[test]
fn output_to_a_reader_that_went_away_ends_quietly() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/announcer.toml");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = Command::new(BINARY)
        .args(["check-config", "-c", &example.to_string_lossy()])
        .stdout(writer)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
}

#[test]
fn the_example_configuration_is_valid() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/announcer.toml");
    let output = announcer(&["check-config", "-c", &example.to_string_lossy()], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
fn check_config_rejects_an_unknown_key_naming_file_line_and_key_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = config(&dir.path().join("a.sock"), &dir.path().join("state"));
    let bad = good.replacen(
        "router_id = \"192.0.2.11\"\n",
        "router_id = \"192.0.2.11\"\ncolour = \"blue\"\n",
        1,
    );
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, bad).unwrap();
    let path = path.to_string_lossy();
    let output = announcer(&["check-config", "-c", &path], &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "exit status; stderr: {text}");
    assert!(
        text.contains(&format!("{path}:4:1: bgp.colour")),
        "names file, line and key: {text}"
    );
}

#[test]
fn run_with_a_missing_config_file_exits_2_naming_it() {
    let output = announcer(&["run", "-c", "/nonexistent/announcer.toml"], &[]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("/nonexistent/announcer.toml"), "{text}");
}

/// `announcer run` raises its soft open-files limit to the hard one first thing: started
/// under `prlimit` with 256 of (up to) 4,096, it logs the raise, then stops at once because
/// its control socket is taken (so it touches nothing else; as root it also runs in a
/// throwaway network namespace).
#[test]
fn run_raises_the_soft_open_files_limit_to_the_hard_limit_at_start() {
    let Some(prlimit) = ["/usr/bin/prlimit", "/bin/prlimit"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("SKIP run_raises_the_soft_open_files_limit: no prlimit");
        return;
    };
    let (_, hard) =
        nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
    let hard = hard.min(4096);
    if hard <= 256 {
        eprintln!("SKIP run_raises_the_soft_open_files_limit: hard limit {hard}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("announcer.sock");
    let _taken = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, b"").unwrap();
    let path = dir.path().join("announcer.toml");
    std::fs::write(&path, config(&socket, &not_a_dir.join("state"))).unwrap();
    let root = nix::unistd::geteuid().is_root();
    let mut command = Command::new(if root { "unshare" } else { prlimit });
    if root {
        command.args(["--net", prlimit]);
    }
    let output = command
        .arg(format!("--nofile=256:{hard}"))
        .arg(BINARY)
        .args(["run", "-c", &path.to_string_lossy()])
        .env("RUST_LOG", "info")
        .env_remove("NOTIFY_SOCKET")
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("already running"), "{text}");
    assert!(
        text.contains("open-files limit raised to the hard limit")
            && text.contains("from=256")
            && text.contains(&format!("to={hard}")),
        "{text}"
    );
}
