//! The `lab` binary end to end (root, BIRD and ping needed: ignored by a plain
//! `cargo test`, run by `sudo scripts/test`, and failing when run without them): the
//! fixture `tests/fixtures/bird-lab` (a BIRD router between two linux hosts)
//! is copied under a unique lab name per test, and a guard runs `lab down`
//! on drop so a failing test leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use announcer_integration::preflight::{find_binary, require_built, LAB};
use announcer_integration::require_host;
use announcer_integration::routers::RouterKind;

/// What the helpers return: any error ends the test with its message.
type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Whether this test can run (root, `ip`, BIRD and `ping`): `Ok(true)`, or a
/// failure naming what is missing.
fn available(test: &str) -> TestResult<bool> {
    if !require_host(RouterKind::Bird, test)? {
        return Ok(false);
    }
    assert!(
        find_binary("ping").is_some(),
        "{test}: ping is missing (apt-get install iputils-ping); lab tests run as root by \
         `sudo scripts/test`"
    );
    require_built(LAB, test)?;
    Ok(true)
}

/// A copy of the fixture under a unique lab name, brought down on drop.
struct Lab {
    _dir: tempfile::TempDir,
    binary: PathBuf,
    file: PathBuf,
    name: String,
}

impl Lab {
    /// Copies the fixture as lab `lr<pid><tag>`, with `edit` applied to the
    /// topology text.
    fn new(tag: &str, edit: impl Fn(String) -> String) -> TestResult<Lab> {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bird-lab");
        let dir = tempfile::tempdir()?;
        std::fs::create_dir(dir.path().join("router"))?;
        std::fs::copy(
            fixture.join("router/bird.conf"),
            dir.path().join("router/bird.conf"),
        )?;
        let name = format!("lr{}{tag}", std::process::id() % 100_000);
        let text = std::fs::read_to_string(fixture.join("bird-lab.clab.yml"))?;
        let text = edit(text.replace("name: bird-lab", &format!("name: {name}")));
        let file = dir.path().join("lab.clab.yml");
        std::fs::write(&file, text)?;
        Ok(Lab {
            _dir: dir,
            binary: require_built(LAB, "lab_runner")?,
            file,
            name,
        })
    }

    /// Runs `lab <command> <file> <rest...>`.
    fn lab(&self, command: &str, rest: &[&str]) -> TestResult<Output> {
        Ok(Command::new(&self.binary)
            .arg(command)
            .arg(&self.file)
            .args(rest)
            .output()?)
    }

    /// Like [`Lab::lab`], asserting success; returns stdout.
    fn ok(&self, command: &str, rest: &[&str]) -> TestResult<String> {
        let output = self.lab(command, rest)?;
        assert!(
            output.status.success(),
            "lab {command} {rest:?} failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn lab_dir(&self) -> PathBuf {
        Path::new("/run/announcer-lab").join(&self.name)
    }

    fn state_file(&self) -> PathBuf {
        self.lab_dir().join("state.json")
    }

    /// The PIDs recorded in the state.
    fn recorded_pids(&self) -> TestResult<Vec<u32>> {
        let state: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(self.state_file())?)?;
        let processes = state
            .get("processes")
            .and_then(serde_json::Value::as_array)
            .ok_or("no processes in the state")?;
        processes
            .iter()
            .map(|p| {
                let pid = p.get("pid").and_then(serde_json::Value::as_u64);
                Ok(u32::try_from(pid.ok_or("a process without pid")?)?)
            })
            .collect()
    }

    /// The lab's namespaces that exist.
    fn namespaces(&self) -> Vec<String> {
        let prefix = format!("clab-{}-", self.name);
        std::fs::read_dir("/run/netns")
            .map(|entries| {
                entries
                    .filter_map(|e| e.ok())
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.starts_with(&prefix))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Asserts that nothing of the lab is left.
    fn assert_gone(&self, pids: &[u32]) {
        assert_eq!(self.namespaces(), Vec::<String>::new());
        assert!(!self.lab_dir().exists());
        for pid in pids {
            assert!(!running(*pid), "pid {pid} still runs");
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.lab("down", &[]);
    }
}

/// Whether `pid` exists and is not a zombie (an exited process waits for
/// init to reap it).
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z")
    })
}

/// Polls `check` every 50 ms for up to `timeout`.
fn eventually(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs root: scripts/test"]
fn up_exec_status_and_down() -> TestResult {
    if !available("up_exec_status_and_down")? {
        return Ok(());
    }
    let lab = Lab::new("a", |t| t)?;
    lab.ok("up", &[])?;
    assert_eq!(lab.namespaces().len(), 3);

    lab.ok("exec", &["h1", "--", "ping", "-c1", "-W1", "192.0.2.1"])?;
    lab.ok("exec", &["h2", "--", "ping", "-c1", "-W1", "192.0.2.2"])?;
    let status = lab.lab("exec", &["h1", "--", "sh", "-c", "exit 7"])?;
    assert_eq!(
        status.status.code(),
        Some(7),
        "lab exec passes the exit status on"
    );
    let bird = lab.ok("exec", &["router", "--", "birdc", "show", "status"])?;
    assert!(bird.contains("Daemon is up and running"), "{bird}");

    let status = Command::new(&lab.binary).arg("status").output()?;
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains(&format!("lab {} (", lab.name)), "{status}");
    assert!(
        status.contains(&format!("clab-{}-router", lab.name)),
        "{status}"
    );
    assert!(status.contains("bird alive"), "{status}");

    let again = lab.lab("up", &[])?;
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("run `lab down"));

    let pids = lab.recorded_pids()?;
    assert!(!pids.is_empty());
    lab.ok("down", &[])?;
    lab.assert_gone(&pids);
    assert!(lab.ok("down", &[])?.contains("is not up"));
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn down_cleans_up_after_up_was_killed_half_way() -> TestResult {
    if !available("down_cleans_up_after_up_was_killed_half_way")? {
        return Ok(());
    }
    let lab = Lab::new("k", |t| {
        t.replace(
            "        - ip route add default via 192.0.2.65",
            "        - ip route add default via 192.0.2.65\n        - sleep 60",
        )
    })?;
    let mut up = Command::new(&lab.binary)
        .arg("up")
        .arg(&lab.file)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let h2 = format!("clab-{}-h2", lab.name);
    let sleeping = || {
        Command::new("ip")
            .args(["netns", "pids", &h2])
            .output()
            .map(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    eventually("the last exec line to run", Duration::from_secs(20), || {
        !sleeping().is_empty()
    });
    up.kill()?;
    up.wait()?;
    let mut pids = lab.recorded_pids()?;
    pids.extend(
        sleeping()
            .iter()
            .map(|p| p.parse::<u32>())
            .collect::<Result<Vec<_>, _>>()?,
    );
    lab.ok("down", &[])?;
    lab.assert_gone(&pids);
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn down_stops_a_process_missing_from_the_state() -> TestResult {
    if !available("down_stops_a_process_missing_from_the_state")? {
        return Ok(());
    }
    let lab = Lab::new("m", |t| t)?;
    lab.ok("up", &[])?;
    let pids = lab.recorded_pids()?;
    let text = std::fs::read_to_string(lab.state_file())?;
    let mut state: serde_json::Value = serde_json::from_str(&text)?;
    state["processes"] = serde_json::json!([]);
    std::fs::write(lab.state_file(), state.to_string())?;
    lab.ok("down", &[])?;
    lab.assert_gone(&pids);
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn a_failing_exec_line_aborts_up_and_tears_down() -> TestResult {
    if !available("a_failing_exec_line_aborts_up_and_tears_down")? {
        return Ok(());
    }
    let lab = Lab::new("f", |t| {
        t.replace(
            "        - ip route add default via 192.0.2.1",
            "        - ip route add default via 192.0.2.1\n        - echo boom >&2; exit 3",
        )
    })?;
    let output = lab.lab("up", &[])?;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for part in ["node h1", "exec line 3", "exit status: 3", "boom"] {
        assert!(stderr.contains(part), "{part:?} missing in {stderr}");
    }
    lab.assert_gone(&[]);
    Ok(())
}
