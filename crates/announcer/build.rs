//! Records the commit the binary is built from, for `--version`: `ANNOUNCER_COMMIT` from
//! the environment (a package build from a tarball sets it), else `git rev-parse`, else
//! "unknown".

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=ANNOUNCER_COMMIT");
    let commit = std::env::var("ANNOUNCER_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_owned());
    if let Some(head) = git_path("HEAD") {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(refs) = git_path("refs") {
        println!("cargo:rerun-if-changed={refs}");
    }
    println!("cargo:rustc-env=ANNOUNCER_COMMIT={commit}");
}

/// The short hash of HEAD.
fn git_commit() -> Option<String> {
    git(&["rev-parse", "--short=12", "HEAD"])
}

/// Where git keeps `name` (so that a new commit rebuilds).
fn git_path(name: &str) -> Option<String> {
    git(&["rev-parse", "--git-path", name]).and_then(|p| {
        std::fs::canonicalize(p)
            .ok()
            .map(|p| p.display().to_string())
    })
}

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_owned())
}
