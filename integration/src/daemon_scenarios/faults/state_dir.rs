//! A state directory that cannot take the maintenance file: `announcer
//! withdraw` and `announce` must be refused with a clear error, and nothing
//! may change (the route stays, the maintenance state is as it was).
//!
//! Root ignores permission bits, so `chmod` cannot make the directory
//! unwritable. Instead each daemon runs in a private mount namespace
//! (`unshare --mount`, gone with the daemon) where its state directory is a
//! 16 KiB tmpfs: remounted read-only (EROFS) or filled up (ENOSPC) from the
//! test. No mount of the host is touched.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use super::{faulted, log_lines, measured_count, state_file, wait_log, MAINT_VIP};
use crate::daemon_scenarios::{expect_serving, measured, RETURN_LIMIT, WITHDRAW_LIMIT};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, Web, VIP};
use crate::error::{Error, Result};
use crate::kernel::expect_next_hops;
use crate::wait::{holds_for, POLL};

/// The size of each daemon's state tmpfs.
const TMPFS_BYTES: u64 = 16 * 1024;
/// The file that fills the tmpfs up.
const FILLER: &str = "filler";
/// The size of each write while filling.
const FILL_CHUNK: usize = 1024;
/// The daemon's reply when the state cannot be saved.
const CANNOT_SAVE: &str = "cannot save maintenance state";
/// How long a refused withdraw must leave the route alone.
const UNCHANGED_FOR: std::time::Duration = std::time::Duration::from_millis(1500);

/// How the state directory is made unusable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unusable {
    /// Remounted read-only: writes fail with EROFS.
    ReadOnly,
    /// Filled up: writes fail with ENOSPC.
    Full,
}

impl Unusable {
    /// The OS error text the refusal must carry.
    fn os_error(self) -> &'static str {
        match self {
            Unusable::ReadOnly => "Read-only file system",
            Unusable::Full => "No space left on device",
        }
    }
}

/// web1's state directory made unusable: `announcer withdraw --now VIP`
/// exits 1 with one line naming the state file and the OS error, the route
/// stays via both, status and state file are unchanged, and `announcer
/// announce` of the VIP in maintenance is refused likewise; the log says
/// nothing was withdrawn or changed. Usable again, withdraw and announce
/// work.
pub fn an_unusable_state_dir_refuses_maintenance_and_changes_nothing(
    unusable: Unusable,
    bed: Bed,
    test: &str,
) -> Result<()> {
    let options = TestbedOptions {
        state_tmpfs: Some(TMPFS_BYTES),
        ..TestbedOptions::default()
    };
    faulted(bed, options, test, |lab| {
        let web1 = lab.web(1)?;
        let file = state_file(web1)?;
        let seen = log_lines(web1, &[CANNOT_SAVE])?.len();
        let state_dir = web1.announcer.config().state_dir.clone();
        set_state_dir(web1, unusable, &state_dir, true)?;
        let took = refused(web1, unusable, &["withdraw", "--now", VIP, "--reason", "x"])?;
        measured("refused withdraw answered", took);
        wait_log(
            web1,
            &[CANNOT_SAVE, "nothing withdrawn", unusable.os_error()],
            seen,
        )?;
        let both = lab.both();
        holds_for(
            "a refused withdraw to leave the route",
            UNCHANGED_FOR,
            POLL,
            || expect_next_hops(&lab.topology.rtr, VIP, &both).map_err(|e| format!("{VIP}: {e}")),
        )?;
        refused(web1, unusable, &["announce", MAINT_VIP])?;
        wait_log(
            web1,
            &[CANNOT_SAVE, "nothing changed", unusable.os_error()],
            seen,
        )?;
        let status = web1.announcer.status()?;
        expect_serving(&status, VIP)?;
        if state_file(web1)? != file {
            return Err(Error::Check(format!(
                "the state file changed although saving failed: {file} → {}",
                state_file(web1)?
            )));
        }
        set_state_dir(web1, unusable, &state_dir, false)?;
        usable_again(lab)
    })
}

/// Makes `web`'s state directory (its private tmpfs) unusable as `unusable` says
/// (`broken`), or undoes that.
fn set_state_dir(web: &Web, unusable: Unusable, state_dir: &Path, broken: bool) -> Result<()> {
    match unusable {
        Unusable::ReadOnly => {
            let mode = if broken { "remount,ro" } else { "remount,rw" };
            let dir = state_dir.to_string_lossy();
            web.announcer
                .in_mount_namespace("mount", &["-o", mode, &dir])
                .map(drop)
        }
        Unusable::Full => {
            let path = web.announcer.state_dir_seen()?.join(FILLER);
            if broken {
                let bytes = fill(&path)?;
                measured_count("bytes written to fill the state tmpfs", bytes);
                Ok(())
            } else {
                std::fs::remove_file(&path)
                    .map_err(|e| Error::io(format!("remove {}", path.display()), e))
            }
        }
    }
}

/// Writes `path` until the file system is full (at most the tmpfs's size
/// in chunks); returns how many bytes fit.
fn fill(path: &Path) -> Result<u64> {
    let mut file = std::fs::File::create(path)
        .map_err(|e| Error::io(format!("create {}", path.display()), e))?;
    let chunk = [0x5a_u8; FILL_CHUNK];
    let mut written: u64 = 0;
    for _ in 0..=TMPFS_BYTES / FILL_CHUNK as u64 {
        match file.write(&chunk) {
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOSPC) => return Ok(written),
            Err(e) => return Err(Error::io(format!("fill {}", path.display()), e)),
        }
    }
    Err(Error::Check(format!(
        "{} took {written} bytes without filling the state tmpfs",
        path.display()
    )))
}

/// Runs a client command that must be refused: exit status 1 and one line
/// naming the state directory, [`CANNOT_SAVE`] and the OS error. Returns
/// how long it took.
fn refused(web: &Web, unusable: Unusable, args: &[&str]) -> Result<std::time::Duration> {
    let start = Instant::now();
    let output = web.announcer.client(args)?;
    let took = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let state_dir = web.announcer.config().state_dir.display().to_string();
    let clear = stderr.trim().lines().count() == 1
        && stderr.contains(CANNOT_SAVE)
        && stderr.contains(&state_dir)
        && stderr.contains(unusable.os_error());
    eprintln!("[lab] `announcer {}`: {}", args.join(" "), stderr.trim());
    if output.status.code() == Some(1) && clear {
        return Ok(took);
    }
    Err(Error::Check(format!(
        "`announcer {}` with the state dir {unusable:?}: expected exit 1 and one line with {CANNOT_SAVE:?}, {state_dir} and {:?}; got {} and {stderr:?}",
        args.join(" "),
        unusable.os_error(),
        output.status
    )))
}

/// With the state directory usable again, `withdraw --now` takes web1 out
/// (and the state file records it) and `announce` brings it back.
fn usable_again(lab: &DaemonTestbed) -> Result<()> {
    let web1 = lab.web(1)?;
    let start = Instant::now();
    web1.announcer
        .control(&["withdraw", "--now", VIP, "--reason", "usable again"])?;
    lab.wait_next_hops(VIP, &[lab.web(2)?.peer()], start, WITHDRAW_LIMIT)?;
    if state_file(web1)?.get(VIP).is_none() {
        return Err(Error::Check(format!(
            "the state file lacks {VIP} after a withdraw: {}",
            state_file(web1)?
        )));
    }
    let start = Instant::now();
    web1.announcer.control(&["announce", VIP])?;
    lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
    Ok(())
}
