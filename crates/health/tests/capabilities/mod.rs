//! Support for the exec-check capability tests: a thread shaped like the daemon under
//! systemd, a command that reports its own credentials, and the root requirement.
//!
//! Credentials are per thread on Linux, so a test changes only the thread it makes: the
//! rest of the test process (and the host) keeps its own. Each capability test file holds
//! one test, because the exec spawner threads are shared by the whole process and take the
//! credentials of the thread that first needs them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    reason = "test support: a failed step is a failed test"
)]

use std::path::PathBuf;
use std::time::Duration;

use announcer_health::probe::exec::probe_as;
use announcer_health::{ExecUser, ProbeResult};
use rustix::process::{Gid, Uid};
use rustix::thread::{self as cred, CapabilitySet, CapabilitySets};

/// The daemon's user under the unit: any non-root id will do, it need not exist.
pub const DAEMON_UID: u32 = 64_123;

/// What the shipped unit grants: `AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE`.
pub const UNIT_CAPS: CapabilitySet =
    CapabilitySet::NET_ADMIN.union(CapabilitySet::NET_BIND_SERVICE);

/// The unit plus a drop-in granting what `user` needs.
pub const UNIT_CAPS_WITH_SETUID: CapabilitySet = UNIT_CAPS
    .union(CapabilitySet::SETUID)
    .union(CapabilitySet::SETGID);

/// Prints one line of the child's credentials and exits non-zero when the child holds any
/// capability (inheritable, permitted, effective, ambient) or got `NOTIFY_SOCKET`:
/// `uid=65534 gid=65534 groups=65534 inh=0 prm=0 eff=0 amb=0 bnd=1fffeffffff`.
const REPORT: &str = r#"
BEGIN { if ("NOTIFY_SOCKET" in ENVIRON) { bad = 1; env = " NOTIFY_SOCKET=" ENVIRON["NOTIFY_SOCKET"] } }
/^Uid:/ { uid = $2 }
/^Gid:/ { gid = $2 }
/^Groups:/ { $1 = ""; groups = substr($0, 2); gsub(/ /, ",", groups) }
/^Cap(Inh|Prm|Eff|Amb|Bnd):/ {
    v = $2; sub(/^0+/, "", v); if (v == "") v = "0"
    name = tolower(substr($1, 4, 3)); c[name] = v
    if (name != "bnd" && v != "0") bad = 1
}
END {
    print "uid=" uid " gid=" gid " groups=" groups " inh=" c["inh"] " prm=" c["prm"] \
        " eff=" c["eff"] " amb=" c["amb"] " bnd=" c["bnd"] env
    exit bad
}
"#;

/// Runs the credential report as an exec check as `user`, on a runtime of this thread.
pub fn report_as(user: Option<&ExecUser>) -> ProbeResult {
    let command: Vec<String> = ["awk", REPORT, "/proc/self/status"]
        .map(str::to_owned)
        .into();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(probe_as(&command, user, Duration::from_secs(5)))
}

/// The `Cap*` lines of a child spawned straight from this thread, as the exec probe did
/// before it had a spawner thread.
pub fn plain_child_caps() -> String {
    let output = std::process::Command::new("grep")
        .args(["^Cap", "/proc/self/status"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The value of `field` (e.g. `CapAmb`) in `/proc/self/status`-style `lines`.
pub fn field<'a>(lines: &'a str, field: &str) -> &'a str {
    lines
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .map_or("", str::trim)
}

/// A user to run checks as; the ids need not exist in the user database.
pub fn user(name: &str, uid: u32) -> ExecUser {
    ExecUser {
        name: name.to_owned(),
        uid,
        gid: uid,
        groups: vec![uid, 4_242],
        home: PathBuf::from("/nonexistent"),
    }
}

/// Turns this thread (which must be root) into the daemon as systemd starts it: user
/// [`DAEMON_UID`], `caps` in the permitted, effective, inheritable and ambient sets and
/// as the whole bounding set.
pub fn become_daemon(caps: CapabilitySet) {
    for bit in 0..u64::BITS {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        match cred::capability_is_in_bounding_set(cap) {
            Ok(true) if !caps.contains(cap) => {
                cred::remove_capability_from_bounding_set(cap).unwrap()
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    cred::set_keep_capabilities(true).unwrap();
    let (uid, gid) = (Uid::from_raw(DAEMON_UID), Gid::from_raw(DAEMON_UID));
    cred::set_thread_groups(&[gid]).unwrap();
    cred::set_thread_res_gid(gid, gid, gid).unwrap();
    cred::set_thread_res_uid(uid, uid, uid).unwrap();
    cred::set_capabilities(
        None,
        CapabilitySets {
            effective: caps,
            permitted: caps,
            inheritable: caps,
        },
    )
    .unwrap();
    for cap in caps.iter() {
        cred::configure_capability_in_ambient_set(cap, true).unwrap();
    }
}

/// Fails `test` unless it runs as root (to shape a thread's credentials). The tests are
/// `#[ignore]`d, so this fails only one that was asked for: it never passes without running.
pub fn require_root(test: &str) {
    assert!(
        rustix::process::geteuid().is_root(),
        "{test}: needs root to give a thread the daemon's capabilities; ignored by a plain \
         `cargo test`, run as root by `sudo scripts/test`"
    );
}
