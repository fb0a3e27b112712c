//! Whether the lab can run here: tests need root and the router binaries.
//!
//! Every lab test is `#[ignore = "needs root: scripts/test"]`, so a plain `cargo test`
//! reports it as ignored and it runs only when asked for (`scripts/test`, which passes
//! `--include-ignored`, or `--ignored`/`--include-ignored` by hand). A lab test that was
//! asked for but cannot run here fails, naming what is missing: it never passes without
//! having run.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::routers::RouterKind;

/// The environment variable `scripts/test` sets to say the lab must run. The helpers here
/// fail whether or not it is set (a lab test runs only when asked for); some helpers
/// elsewhere still read it.
pub const REQUIRED_ENV: &str = "ANNOUNCER_LAB_REQUIRED";

/// Tools every lab uses besides the routers.
const COMMON: &[&str] = &["ip", "sysctl", "ss"];

/// Directories searched besides `PATH` (root's tools live in sbin).
const EXTRA_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// `Ok(true)` if `test` can run with `router`; an error naming what is missing if not.
/// (It never returns `Ok(false)`; the `bool` stays for the callers' `if !require_lab(..)?`.)
pub fn require_lab(router: RouterKind, test: &str) -> Result<bool> {
    if !is_root() {
        return unavailable(test, "needs root (network namespaces)");
    }
    let missing: Vec<&str> = COMMON
        .iter()
        .chain(router.binaries())
        .copied()
        .filter(|b| find_binary(b).is_none())
        .collect();
    if !missing.is_empty() {
        return unavailable(test, &format!("{router} lab needs {}", missing.join(", ")));
    }
    Ok(true)
}

/// The speaker binary Cargo built (`option_env!("CARGO_BIN_EXE_bgp-speaker")`
/// in the test), or a failure like [`require_lab`].
pub fn require_speaker(binary: Option<&str>, test: &str) -> Result<Option<PathBuf>> {
    match binary.map(PathBuf::from) {
        Some(path) if path.exists() => Ok(Some(path)),
        Some(path) => {
            unavailable(test, &format!("{} does not exist", path.display())).map(|_| None)
        }
        None => unavailable(test, "bgp-speaker was not built with this test").map(|_| None),
    }
}

/// The `announcer` binary of the target directory this test runs from
/// (`.../target/debug/deps/<test>` → `.../target/debug/announcer`), or a
/// failure like [`require_lab`] when it has not been built.
pub fn require_announcer(test: &str) -> Result<Option<PathBuf>> {
    let exe = std::env::current_exe().map_err(|e| Error::io("locate the test executable", e))?;
    let path = exe
        .parent()
        .and_then(Path::parent)
        .map(|dir| dir.join("announcer"))
        .ok_or_else(|| Error::Check(format!("no target dir above {}", exe.display())))?;
    if path.is_file() {
        return Ok(Some(path));
    }
    let reason = format!(
        "{} does not exist; build it first: cargo build -p announcer",
        path.display()
    );
    unavailable(test, &reason).map(|_| None)
}

/// The failure of a lab test that was asked for (it is `#[ignore]`d otherwise) but cannot
/// run here.
fn unavailable(test: &str, reason: &str) -> Result<bool> {
    Err(Error::LabUnavailable(format!(
        "{test}: {reason}; lab tests are ignored by a plain `cargo test` and run as root by \
         `sudo scripts/test`"
    )))
}

/// Whether the effective user is root (from `/proc/self/status`).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .is_some_and(|effective| effective == "0")
    })
}

/// The path of `name` (absolute, or looked up in `PATH` and the sbin dirs).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    if name.starts_with('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(EXTRA_DIRS.iter().copied())
        .map(|dir| Path::new(dir).join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_found_on_the_path_or_by_absolute_name() {
        assert!(find_binary("sh").is_some());
        assert!(find_binary("/bin/sh").is_some());
        assert!(find_binary("no-such-binary-in-the-lab").is_none());
    }
}
