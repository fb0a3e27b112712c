//! The control socket against real Unix sockets in a temporary directory, with a stand-in
//! for the daemon task: bounds, refusals and who asked.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::UnixStream;
use tokio::sync::mpsc;

use super::*;

/// A generous bound on anything a test waits for.
const PATIENCE: Duration = Duration::from_secs(10);

/// A socket served within `limits` in a fresh directory, and the daemon's end of its calls.
fn serving(limits: Limits) -> (tempfile::TempDir, PathBuf, mpsc::Receiver<Call>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run/announcer.sock");
    let socket = ControlSocket::bind(&path, None).unwrap();
    let (calls, daemon) = mpsc::channel(4);
    tokio::spawn(socket.serve_with(calls, limits));
    (dir, path, daemon)
}

/// The next reply line on `stream`, or `None` once the daemon closed it.
async fn next_reply(stream: &mut BufReader<UnixStream>) -> Option<serde_json::Value> {
    let mut line = String::new();
    let read = tokio::time::timeout(PATIENCE, stream.read_line(&mut line));
    match read.await.unwrap() {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(serde_json::from_str(&line).unwrap()),
    }
}

async fn connect(path: &Path) -> BufReader<UnixStream> {
    BufReader::new(UnixStream::connect(path).await.unwrap())
}

async fn send(stream: &mut BufReader<UnixStream>, line: &str) {
    stream.get_mut().write_all(line.as_bytes()).await.unwrap();
}

async fn exchange(path: &Path, line: &str) -> serde_json::Value {
    let mut stream = connect(path).await;
    send(&mut stream, line).await;
    next_reply(&mut stream).await.unwrap()
}

/// Answers the next call with `reply` and returns what was asked.
async fn answer_next(daemon: &mut mpsc::Receiver<Call>, reply: Reply) -> Requested {
    let (requested, replies) = daemon.recv().await.unwrap();
    replies.send(reply).await.unwrap();
    requested
}

fn status_line() -> &'static str {
    "{\"command\":\"status\"}\n"
}

#[tokio::test]
async fn the_socket_is_private_and_a_malformed_request_never_reaches_the_daemon() {
    let (_dir, path, mut daemon) = serving(Limits::default());
    assert_eq!(
        fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let reply = exchange(&path, "{\"command\":\"reboot\"}\n").await;
    assert_eq!(reply["ok"], false);
    let error = reply["error"].as_str().unwrap();
    assert!(error.starts_with("malformed request"), "{reply}");
    assert!(daemon.try_recv().is_err(), "nothing reached the daemon");
}

#[tokio::test]
async fn the_requesters_uid_and_pid_reach_the_daemon_with_the_request() {
    let (_dir, path, mut daemon) = serving(Limits::default());
    let answer =
        tokio::spawn(
            async move { answer_next(&mut daemon, Reply::done("maintenance over")).await },
        );
    let reply = exchange(&path, "{\"command\":\"announce\"}\n").await;
    assert_eq!(reply["message"], "maintenance over");
    let requested = answer.await.unwrap();
    assert_eq!(requested.request, Request::Announce { prefixes: vec![] });
    let me = Requester {
        uid: nix::unistd::getuid().as_raw(),
        pid: Some(std::process::id()),
    };
    assert_eq!(requested.by, Some(me));
}

#[tokio::test]
async fn idle_connections_beyond_the_cap_give_way_and_status_is_still_answered() {
    let limits = Limits {
        max_connections: 4,
        request_timeout: PATIENCE * 6,
        ..Limits::default()
    };
    let (_dir, path, mut daemon) = serving(limits);
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(connect(&path).await);
    }
    let answer = tokio::spawn(async move {
        answer_next(&mut daemon, Reply::done("status stand-in")).await;
        daemon
    });
    let reply = exchange(&path, status_line()).await;
    assert_eq!(reply["message"], "status stand-in", "{reply}");
    // Still taking calls: a daemon that stops closes every idle connection.
    let _daemon = answer.await.unwrap();

    // The seven that waited longest made room (six for the idle ones, one for status),
    // each told why; the three newest are still open.
    for (n, stream) in idle.iter_mut().enumerate().take(7) {
        let reply = next_reply(stream).await;
        let reply = reply.unwrap_or_else(|| panic!("connection {n} closed without a reply"));
        assert_eq!(reply["error"], BUSY, "connection {n}");
        assert!(next_reply(stream).await.is_none(), "connection {n} closed");
    }
    for (n, stream) in idle.iter_mut().enumerate().skip(7) {
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_millis(100), stream.read_line(&mut line));
        let read = read.await;
        assert!(
            read.is_err(),
            "connection {n} still open and silent: {read:?} {line:?}"
        );
    }
}

#[tokio::test]
async fn when_every_slot_is_working_on_a_request_a_new_connection_is_refused_at_once() {
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let (_dir, path, mut daemon) = serving(limits);
    let mut working = Vec::new();
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&path).await;
        send(&mut stream, status_line()).await;
        held.push(daemon.recv().await.unwrap().1);
        working.push(stream);
    }
    let mut refused = connect(&path).await;
    let reply = next_reply(&mut refused).await.unwrap();
    assert_eq!(reply, serde_json::json!({"ok": false, "error": BUSY}));
    assert!(next_reply(&mut refused).await.is_none(), "closed at once");

    for (replies, stream) in held.iter().zip(&mut working) {
        replies.send(Reply::done("late but served")).await.unwrap();
        assert_eq!(
            next_reply(stream).await.unwrap()["message"],
            "late but served"
        );
    }
}

#[tokio::test]
async fn a_connection_that_sends_no_whole_request_in_time_is_told_so_and_closed() {
    let limits = Limits {
        request_timeout: Duration::from_millis(200),
        ..Limits::default()
    };
    let (_dir, path, mut daemon) = serving(limits);
    let mut silent = connect(&path).await;
    let mut partial = connect(&path).await;
    send(&mut partial, "{\"command\":").await;
    for stream in [&mut silent, &mut partial] {
        let reply = next_reply(stream).await.unwrap();
        assert_eq!(
            reply["error"], "no complete request within 200ms",
            "{reply}"
        );
        assert!(next_reply(stream).await.is_none());
    }
    assert!(daemon.try_recv().is_err(), "nothing reached the daemon");
}

#[tokio::test]
async fn a_request_longer_than_the_bound_is_refused_without_reading_the_rest() {
    let limits = Limits {
        max_request_len: 1024,
        ..Limits::default()
    };
    let (_dir, path, mut daemon) = serving(limits);
    let mut stream = connect(&path).await;
    send(&mut stream, &"x".repeat(4096)).await;
    let reply = next_reply(&mut stream).await.unwrap();
    assert_eq!(reply["error"], "request longer than 1024 bytes");
    assert!(next_reply(&mut stream).await.is_none(), "closed");
    assert!(daemon.try_recv().is_err(), "nothing reached the daemon");
}

#[tokio::test]
async fn a_draining_withdrawal_gets_its_first_reply_at_once_and_the_final_one_later() {
    let (_dir, path, mut daemon) = serving(Limits::default());
    let mut stream = connect(&path).await;
    send(
        &mut stream,
        "{\"command\":\"withdraw\",\"reason\":\"maint\"}\n",
    )
    .await;
    let (requested, replies) = daemon.recv().await.unwrap();
    assert!(matches!(requested.request, Request::Withdraw { .. }));
    let draining = Reply::Draining {
        ok: true,
        draining_ms: 500,
        message: "draining".into(),
    };
    replies.send(draining).await.unwrap();
    assert_eq!(next_reply(&mut stream).await.unwrap()["draining_ms"], 500);
    replies.send(Reply::done("withdrawn")).await.unwrap();
    assert_eq!(
        next_reply(&mut stream).await.unwrap()["message"],
        "withdrawn"
    );
}

#[tokio::test]
async fn requests_on_one_connection_are_answered_in_turn() {
    let (_dir, path, mut daemon) = serving(Limits::default());
    let mut stream = connect(&path).await;
    for n in 0..3 {
        send(&mut stream, status_line()).await;
        answer_next(&mut daemon, Reply::done(format!("answer {n}"))).await;
        let reply = next_reply(&mut stream).await.unwrap();
        assert_eq!(reply["message"], format!("answer {n}"));
    }
}

#[tokio::test]
async fn a_second_daemon_on_the_same_socket_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("announcer.sock");
    let _first = ControlSocket::bind(&path, None).unwrap();
    assert!(matches!(
        ControlSocket::bind(&path, None),
        Err(ServerError::InUse(_))
    ));
}

#[tokio::test]
async fn a_stale_socket_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("announcer.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    ControlSocket::bind(&path, None).unwrap();
}
