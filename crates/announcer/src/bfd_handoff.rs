//! The BFD sessions a planned restart hands to the next process (RFC 5882 §4.3.2), kept in
//! `state_dir` next to the graceful restart mark: taken once, and only while the detection
//! time the peers were asked for has not run out.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use announcer_bfd::driver::Handoff;
use serde::{Deserialize, Serialize};

/// The file in `state_dir`.
const FILE_NAME: &str = "bfd-sessions.json";

#[derive(Serialize, Deserialize)]
struct Saved {
    /// When the sessions were saved, in milliseconds since the Unix epoch.
    saved_unix_ms: u64,
    sessions: Vec<Handoff>,
}

fn path(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

fn now_unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Saves the sessions, stamped now (through a temporary file, so a reader sees all or none).
pub fn save(state_dir: &Path, sessions: &[Handoff]) -> io::Result<()> {
    let saved = Saved {
        saved_unix_ms: now_unix_ms(),
        sessions: sessions.to_vec(),
    };
    let text = serde_json::to_string(&saved).map_err(io::Error::other)?;
    let temporary = state_dir.join(format!(".{FILE_NAME}.tmp"));
    fs::write(&temporary, text)?;
    fs::rename(&temporary, path(state_dir))
}

/// The saved sessions if they are younger than `valid_for`; removes the file either way.
pub fn take(state_dir: &Path, valid_for: Duration) -> io::Result<Vec<Handoff>> {
    let path = path(state_dir);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    fs::remove_file(&path)?;
    let saved: Saved = serde_json::from_str(&text).map_err(io::Error::other)?;
    let age = Duration::from_millis(now_unix_ms().saturating_sub(saved.saved_unix_ms));
    Ok(if age <= valid_for {
        saved.sessions
    } else {
        Vec::new()
    })
}

#[cfg(test)]
mod tests {
    use std::net::IpAddr;
    use std::time::Instant;

    use announcer_bfd::{Discriminator, Interval, Multiplier, Session, SessionConfig};

    use super::*;

    fn handoff() -> Handoff {
        let config = SessionConfig {
            desired_min_tx: Interval::from_micros(100_000),
            required_min_rx: Interval::from_micros(100_000),
            multiplier: Multiplier::DEFAULT,
        };
        let discriminator = Discriminator::new(7).unwrap();
        Handoff {
            address: IpAddr::from([192, 0, 2, 1]),
            session: Session::new(config, discriminator, 1, Instant::now()).snapshot(),
            source_port: 49152,
        }
    }

    #[test]
    fn saved_sessions_are_taken_once() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &[handoff()]).unwrap();
        let taken = take(dir.path(), Duration::from_secs(30)).unwrap();
        assert_eq!(taken, vec![handoff()]);
        assert!(take(dir.path(), Duration::from_secs(30))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn sessions_older_than_their_validity_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let old = Saved {
            saved_unix_ms: now_unix_ms() - 60_000,
            sessions: vec![handoff()],
        };
        fs::write(path(dir.path()), serde_json::to_string(&old).unwrap()).unwrap();
        assert!(take(dir.path(), Duration::from_secs(30))
            .unwrap()
            .is_empty());
        assert!(!path(dir.path()).exists());
    }
}
