//! The Debian package that `scripts/package` builds, taken apart: the script run once with
//! a deadline, the `.deb` extracted with `dpkg-deb` into a scratch root, and what a
//! packaging check reads from it (files, the control fields, conffiles, maintainer scripts,
//! whether the binary is stripped).
//!
//! Every command runs in its own process group with a deadline; one that overruns is killed
//! with its whole group (`scripts/package` runs cargo, which runs rustc).

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::error::{Error, Result};
use crate::process::{tail, wait_or_kill_group};
use crate::wait::POLL;

/// How long `scripts/package` may take: a cold run installs cargo-deb and builds the
/// release binary (thin LTO) from scratch on a shared 2-core machine.
pub const PACKAGE_TIMEOUT: Duration = Duration::from_secs(40 * 60);

/// How long any other command here may take (dpkg-deb, gzip, the packaged binary,
/// systemd-analyze).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// The tools `scripts/package` and the check need besides cargo.
pub const TOOLS: &[(&str, &str)] = &[
    ("dpkg-deb", "dpkg"),
    ("dpkg-shlibdeps", "dpkg-dev"),
    ("strip", "binutils"),
    ("gzip", "gzip"),
];

/// What a finished command printed.
#[derive(Debug)]
pub struct Ran {
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// Runs `command` (described by `what`) in its own process group for at most `timeout`,
/// with its output in `<log_dir>/<name>.stdout` and `.stderr`; fails if it cannot start,
/// overruns (then its whole group is killed) or exits unsuccessfully.
pub fn run_bounded(
    what: &str,
    name: &str,
    mut command: Command,
    timeout: Duration,
    log_dir: &Path,
) -> Result<Ran> {
    let stdout_path = log_dir.join(format!("{name}.stdout"));
    let stderr_path = log_dir.join(format!("{name}.stderr"));
    let create = |path: &Path| {
        File::create(path).map_err(|e| Error::io(format!("create {}", path.display()), e))
    };
    let mut child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(create(&stdout_path)?)
        .stderr(create(&stderr_path)?)
        .spawn()
        .map_err(|e| Error::io(format!("start {what}"), e))?;
    let status = match wait_or_kill_group(&mut child, what, timeout, POLL) {
        Ok(status) => status,
        Err(timeout) => {
            return Err(Error::Check(format!(
                "{timeout}\n--- {} ---\n{}",
                stderr_path.display(),
                tail(&stderr_path, 40)
            )));
        }
    };
    let read = |path: &Path| {
        std::fs::read(path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .map_err(|e| Error::io(format!("read {}", path.display()), e))
    };
    let ran = Ran {
        status,
        stdout: read(&stdout_path)?,
        stderr: read(&stderr_path)?,
    };
    if !status.success() {
        return Err(Error::Command {
            command: what.to_owned(),
            status,
            stderr: tail(&stderr_path, 40).trim().to_owned(),
        });
    }
    Ok(ran)
}

/// Runs `<repo>/scripts/package` and returns the `.deb` it printed (its last line of
/// standard output), made absolute.
pub fn build(repo: &Path, log_dir: &Path) -> Result<PathBuf> {
    let mut command = Command::new(repo.join("scripts/package"));
    command.current_dir(repo);
    let ran = run_bounded(
        "scripts/package",
        "package",
        command,
        PACKAGE_TIMEOUT,
        log_dir,
    )?;
    let printed = ran.stdout.lines().last().unwrap_or_default().trim();
    let deb = repo.join(printed);
    if printed.is_empty() || !deb.is_file() {
        return Err(Error::Check(format!(
            "scripts/package printed {printed:?}, not the path of a .deb"
        )));
    }
    Ok(deb)
}

/// A `.deb` taken apart: its files under [`Extracted::root`], its control files (control,
/// conffiles, maintainer scripts) under [`Extracted::control`].
#[derive(Debug)]
pub struct Extracted {
    dir: TempDir,
}

impl Extracted {
    /// Extracts `deb` with `dpkg-deb -x` and `dpkg-deb -e` into a new temporary directory.
    pub fn new(deb: &Path, log_dir: &Path) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("announcer-deb.")
            .tempdir()
            .map_err(|e| Error::io("create a scratch directory", e))?;
        let extracted = Extracted { dir };
        for (flag, into, name) in [
            ("-x", extracted.root(), "dpkg-deb-x"),
            ("-e", extracted.control(), "dpkg-deb-e"),
        ] {
            let mut command = Command::new("dpkg-deb");
            command.arg(flag).arg(deb).arg(&into);
            let what = format!("dpkg-deb {flag} {} {}", deb.display(), into.display());
            run_bounded(&what, name, command, COMMAND_TIMEOUT, log_dir)?;
        }
        Ok(extracted)
    }

    /// The scratch root the package's files were extracted into.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The directory holding the package's control files.
    pub fn control(&self) -> PathBuf {
        self.dir.path().join("DEBIAN")
    }

    /// The package's file at `path` (absolute on the installed system).
    pub fn file(&self, path: &str) -> PathBuf {
        self.root().join(path.trim_start_matches('/'))
    }

    /// The control file `name` (`control`, `conffiles`, `postinst`, ...), or "" if absent.
    pub fn control_file(&self, name: &str) -> Result<String> {
        let path = self.control().join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            Err(e) => Err(Error::io(format!("read {}", path.display()), e)),
        }
    }

    /// The value of `field` in the control file, if present.
    pub fn control_field(&self, field: &str) -> Result<Option<String>> {
        let control = self.control_file("control")?;
        let prefix = format!("{field}:");
        Ok(control
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map(|value| value.trim().to_owned()))
    }
}

/// The decompressed text of the gzip file at `path` (`gzip -dc`).
pub fn gunzip(path: &Path, log_dir: &Path) -> Result<String> {
    let mut command = Command::new("gzip");
    command.arg("-dc").arg(path);
    let what = format!("gzip -dc {}", path.display());
    Ok(run_bounded(&what, "gunzip", command, COMMAND_TIMEOUT, log_dir)?.stdout)
}

/// Whether the ELF file holds a symbol table section (`SHT_SYMTAB`), which `strip`
/// removes (the dynamic symbols a binary needs to run are a separate `SHT_DYNSYM`).
/// Reads 64-bit little-endian ELF only; anything else is a parse error.
pub fn has_symbol_table(elf: &[u8]) -> Result<bool> {
    const SHT_SYMTAB: u64 = 2;
    let malformed = |detail: &str| Error::parse("an ELF file", detail);
    let field = |offset: u64, len: usize| -> Result<u64> {
        let start = usize::try_from(offset).map_err(|_| malformed("offset out of range"))?;
        let bytes = start
            .checked_add(len)
            .and_then(|end| elf.get(start..end))
            .ok_or_else(|| malformed(&format!("truncated at byte {start}")))?;
        Ok(bytes
            .iter()
            .rev()
            .fold(0, |value, &byte| value << 8 | u64::from(byte)))
    };
    if elf.get(..6) != Some(b"\x7fELF\x02\x01".as_slice()) {
        return Err(malformed("not a 64-bit little-endian ELF file"));
    }
    let section_headers = field(0x28, 8)?;
    let entry_size = field(0x3A, 2)?;
    let count = field(0x3C, 2)?;
    for index in 0..count {
        let header = index
            .checked_mul(entry_size)
            .and_then(|offset| offset.checked_add(section_headers))
            .ok_or_else(|| malformed("section header offset overflows"))?;
        if field(header.saturating_add(4), 4)? == SHT_SYMTAB {
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unstripped_binary_has_a_symbol_table_and_garbage_is_refused() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert!(has_symbol_table(&me).unwrap());
        assert!(has_symbol_table(b"#!/bin/sh\n").is_err());
        assert!(has_symbol_table(b"\x7fELF\x02\x01").is_err());
    }

    #[test]
    fn a_command_past_its_deadline_is_killed_with_its_group() {
        let logs = tempfile::tempdir().unwrap();
        let mut command = Command::new("sh");
        command.args(["-c", "sleep 30 & wait"]);
        let started = std::time::Instant::now();
        let outcome = run_bounded(
            "sleep",
            "sleep",
            command,
            Duration::from_millis(300),
            logs.path(),
        );
        assert!(matches!(outcome, Err(Error::Check(_))), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
