//! The mark a graceful restart leaves in `state_dir`: when the daemon stopped for it. The
//! next start that finds a mark younger than the restart time is that restart: it tells the
//! peers (Restart State bit) and holds its first announcements until the checks decide.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file in `state_dir`.
const FILE_NAME: &str = "graceful-restart";

fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Leaves the mark, stamped now.
pub fn leave(state_dir: &Path) -> io::Result<()> {
    fs::write(path(state_dir), format!("{}\n", now_unix()))
}

/// Whether a mark younger than `restart_time` is there; removes any mark.
pub fn take(state_dir: &Path, restart_time: Duration) -> io::Result<bool> {
    let path = path(state_dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    fs::remove_file(&path)?;
    Ok(text
        .trim()
        .parse::<u64>()
        .is_ok_and(|since| now_unix().saturating_sub(since) <= restart_time.as_secs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_mark_is_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        leave(dir.path()).unwrap();
        assert!(take(dir.path(), Duration::from_secs(120)).unwrap());
        assert!(!take(dir.path(), Duration::from_secs(120)).unwrap());
    }

    #[test]
    fn an_old_or_garbled_mark_is_removed_and_does_not_count() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(path(dir.path()), "1000\n").unwrap();
        assert!(!take(dir.path(), Duration::from_secs(120)).unwrap());
        fs::write(path(dir.path()), "yesterday").unwrap();
        assert!(!take(dir.path(), Duration::from_secs(120)).unwrap());
        assert!(!path(dir.path()).exists());
    }
}
