//! The exec probe with real commands.

use std::path::Path;
use std::time::{Duration, Instant};

use announcer_health::probe::exec::probe;

const TIMEOUT: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(300);
/// How much later than its timeout a probe may return: generous for a loaded machine (the
/// probe waits up to 1 s to reap what it killed), and still far below what these tests
/// catch (a probe waiting for `sleep 1000`, or for a grandchild holding its pipes).
const MARGIN: Duration = Duration::from_secs(5);
/// How long a killed grandchild may take to be gone.
const GONE_WITHIN: Duration = Duration::from_secs(10);

fn command(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// True once `pid` has exited: gone, or a zombie waiting for its new parent.
fn exited(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test]
async fn true_passes() {
    let result = probe(&command(&["true"]), TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    assert_eq!(result.detail, "exit status 0");
}

#[tokio::test]
async fn false_fails_with_its_status() {
    let result = probe(&command(&["false"]), TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "exit status 1");
}

#[tokio::test]
async fn exit_3_fails_with_status_3() {
    let result = probe(&command(&["sh", "-c", "exit 3"]), TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "exit status 3");
}

#[tokio::test]
async fn the_first_line_of_stderr_is_the_detail() {
    let script = "echo all good; echo; echo 'disk full' >&2; echo more >&2; exit 2";
    let result = probe(&command(&["sh", "-c", script]), TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "exit status 2: disk full");
}

#[tokio::test]
async fn arguments_are_passed_without_a_shell() {
    let result = probe(&command(&["test", "a b", "=", "a b"]), TIMEOUT).await;
    assert!(result.pass, "{result:?}");
}

#[tokio::test]
async fn output_beyond_the_pipe_buffer_does_not_block_the_command() {
    let script = "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2";
    let result = probe(&command(&["sh", "-c", script]), TIMEOUT).await;
    assert!(result.pass, "{result:?}");
}

#[tokio::test]
async fn stdin_is_closed() {
    let result = probe(&command(&["sh", "-c", "read line; exit 4"]), TIMEOUT).await;
    assert_eq!(result.detail, "exit status 4");
}

#[tokio::test]
async fn a_command_that_never_exits_is_killed_with_its_group_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let script = format!(
        "sleep 1000 & echo $! > {}; wait",
        pid_file.to_str().unwrap()
    );
    let start = Instant::now();
    let result = probe(&command(&["sh", "-c", &script]), SHORT).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "timed out after 300ms");
    assert!(elapsed < SHORT + MARGIN, "{elapsed:?}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    let pid = pid.trim();
    let deadline = Instant::now() + GONE_WITHIN;
    while !exited(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(exited(pid), "the grandchild {pid} survived");
}

#[tokio::test]
async fn sleep_alone_is_killed_at_the_timeout() {
    let start = Instant::now();
    let result = probe(&command(&["sleep", "1000"]), SHORT).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "timed out after 300ms");
    assert!(elapsed < SHORT + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn a_missing_program_fails_with_a_spawn_detail() {
    let missing = Path::new("/nonexistent/check-web");
    let result = probe(&command(&[missing.to_str().unwrap()]), TIMEOUT).await;
    assert!(!result.pass);
    assert!(
        result
            .detail
            .starts_with("spawn \"/nonexistent/check-web\": "),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn an_empty_command_fails() {
    let result = probe(&[], TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "empty command");
}
