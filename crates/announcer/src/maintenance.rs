//! Maintenance set by `announcer withdraw`: which VIPs are out, why and since when, kept in
//! `state_dir` so it holds across restarts and reboots until `announcer announce`.
//!
//! Each entry names who asked (uid and pid of the `announcer withdraw` process); files
//! written before that was recorded load with no requester.
//!
//! Written atomically (temporary file, fsync, rename, fsync of the directory): after a crash
//! the file is either the old or the new one, never a mix.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use announcer_bgp::Prefix;
use serde::{Deserialize, Serialize};

use crate::control::requester::Requester;

/// The file in `state_dir`.
const FILE_NAME: &str = "maintenance.json";

/// Why and since when one VIP is in maintenance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The operator's reason.
    pub reason: String,
    /// When it started, in seconds since the Unix epoch.
    pub since_unix: u64,
    /// Who asked, when known (absent in files from before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<Requester>,
    /// When it ends by itself (`announcer withdraw --for`), in seconds since the Unix epoch;
    /// `None` lasts until `announcer announce`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_unix: Option<u64>,
}

/// The maintenance state and where it is kept.
#[derive(Debug)]
pub struct Maintenance {
    path: PathBuf,
    entries: BTreeMap<Prefix, Entry>,
}

/// Errors reading or writing the state file.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The file is not what we write.
    #[error("{path}: not a maintenance state file: {source}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: serde_json::Error,
    },
}

impl Maintenance {
    /// Loads the state from `state_dir`, creating the directory if needed (none yet is an
    /// empty state).
    pub fn load(state_dir: &Path) -> Result<Maintenance, StateError> {
        fs::create_dir_all(state_dir).map_err(|source| StateError::Io {
            path: state_dir.to_owned(),
            source,
        })?;
        let path = state_dir.join(FILE_NAME);
        let entries = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| StateError::Corrupt {
                path: path.clone(),
                source,
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => BTreeMap::new(),
            Err(source) => return Err(StateError::Io { path, source }),
        };
        Ok(Maintenance { path, entries })
    }

    /// The entry of `prefix`, if it is in maintenance.
    pub fn get(&self, prefix: &Prefix) -> Option<&Entry> {
        self.entries.get(prefix)
    }

    /// Puts `prefixes` in maintenance for `reason`, asked by `by`, until `until_unix` (or
    /// until `announcer announce`), and saves. An earlier entry keeps its reason, time and
    /// requester and takes the new end. Nothing changes in memory unless the file was
    /// written.
    pub fn withdraw(
        &mut self,
        prefixes: &[Prefix],
        reason: &str,
        by: Option<Requester>,
        until_unix: Option<u64>,
    ) -> Result<(), StateError> {
        let since_unix = now_unix();
        let mut next = self.entries.clone();
        for prefix in prefixes {
            let entry = next.entry(*prefix).or_insert_with(|| Entry {
                reason: reason.to_owned(),
                since_unix,
                by,
                until_unix,
            });
            entry.until_unix = until_unix;
        }
        self.replace(next)
    }

    /// The VIPs whose maintenance ends by itself, with when.
    pub fn ends(&self) -> impl Iterator<Item = (Prefix, u64)> + '_ {
        self.entries
            .iter()
            .filter_map(|(prefix, entry)| Some((*prefix, entry.until_unix?)))
    }

    /// Takes `prefixes` out of maintenance and saves.
    pub fn announce(&mut self, prefixes: &[Prefix]) -> Result<(), StateError> {
        let mut next = self.entries.clone();
        for prefix in prefixes {
            next.remove(prefix);
        }
        self.replace(next)
    }

    fn replace(&mut self, next: BTreeMap<Prefix, Entry>) -> Result<(), StateError> {
        if next != self.entries {
            write_atomically(&self.path, &next)?;
            self.entries = next;
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch now.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The Unix time `after` from now, rounded up to the second, so that a saved end is never
/// early.
pub fn unix_after(after: Duration) -> u64 {
    let at = (SystemTime::now() + after)
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    at.as_secs() + u64::from(at.subsec_nanos() > 0)
}

/// How long from now until the Unix time `unix`; zero once it is past.
pub fn time_until(unix: u64) -> Duration {
    (UNIX_EPOCH + Duration::from_secs(unix))
        .duration_since(SystemTime::now())
        .unwrap_or_default()
}

fn write_atomically(path: &Path, entries: &BTreeMap<Prefix, Entry>) -> Result<(), StateError> {
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source| StateError::Io { path, source }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let temporary = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(entries).map_err(|e| StateError::Io {
        path: path.to_owned(),
        source: e.into(),
    })?;
    let mut file = fs::File::create(&temporary).map_err(io_error(&temporary))?;
    let written = file
        .write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_error(&temporary))
        .and_then(|()| fs::rename(&temporary, path).map_err(io_error(path)));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written?;
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Prefix {
        s.parse().unwrap()
    }

    #[test]
    fn maintenance_survives_a_reload_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Maintenance::load(dir.path()).unwrap();
        m.withdraw(&[p("203.0.113.10/32")], "kernel upgrade", None, None)
            .unwrap();
        let again = Maintenance::load(dir.path()).unwrap();
        assert_eq!(
            again.get(&p("203.0.113.10/32")).unwrap().reason,
            "kernel upgrade"
        );
        assert!(again.get(&p("203.0.113.11/32")).is_none());
    }

    #[test]
    fn announce_clears_only_the_named_prefixes() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Maintenance::load(dir.path()).unwrap();
        m.withdraw(
            &[p("203.0.113.10/32"), p("2001:db8::10/128")],
            "maint",
            None,
            None,
        )
        .unwrap();
        m.announce(&[p("203.0.113.10/32")]).unwrap();
        let again = Maintenance::load(dir.path()).unwrap();
        assert!(again.get(&p("203.0.113.10/32")).is_none());
        assert!(again.get(&p("2001:db8::10/128")).is_some());
    }

    #[test]
    fn a_repeated_withdraw_keeps_the_first_reason_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Maintenance::load(dir.path()).unwrap();
        m.withdraw(&[p("203.0.113.10/32")], "first", None, None)
            .unwrap();
        m.withdraw(&[p("203.0.113.10/32")], "second", None, None)
            .unwrap();
        assert_eq!(m.get(&p("203.0.113.10/32")).unwrap().reason, "first");
    }

    #[test]
    fn a_missing_state_dir_is_created() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("var/lib/announcer");
        let mut m = Maintenance::load(&state).unwrap();
        m.withdraw(&[p("203.0.113.10/32")], "maint", None, None)
            .unwrap();
        assert!(state.join(FILE_NAME).exists());
    }

    #[test]
    fn a_state_dir_that_cannot_be_created_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        fs::write(&file, b"").unwrap();
        let error = Maintenance::load(&file.join("state")).unwrap_err();
        assert!(error.to_string().contains("file/state"), "{error}");
    }

    #[test]
    fn a_state_dir_that_cannot_be_written_changes_nothing_and_says_where() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        let mut m = Maintenance::load(&state).unwrap();
        fs::remove_dir(&state).unwrap();
        let error = m
            .withdraw(&[p("203.0.113.10/32")], "maint", None, None)
            .unwrap_err();
        assert!(error.to_string().contains("state"), "{error}");
        assert!(m.get(&p("203.0.113.10/32")).is_none());
    }

    #[test]
    fn a_corrupt_state_file_is_reported_not_ignored() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), b"{not json").unwrap();
        let error = Maintenance::load(dir.path()).unwrap_err();
        assert!(
            error.to_string().contains("not a maintenance state file"),
            "{error}"
        );
    }

    #[test]
    fn the_requester_is_kept_with_the_entry_across_a_reload_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Maintenance::load(dir.path()).unwrap();
        let by = Requester::new(0, Some(1234));
        m.withdraw(&[p("203.0.113.10/32")], "maint", Some(by), None)
            .unwrap();
        let again = Maintenance::load(dir.path()).unwrap();
        assert_eq!(again.get(&p("203.0.113.10/32")).unwrap().by, Some(by));
    }

    #[test]
    fn a_maintenance_with_an_end_keeps_it_across_a_reload_and_a_repeat_sets_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Maintenance::load(dir.path()).unwrap();
        let vip = p("203.0.113.10/32");
        m.withdraw(&[vip], "maint", None, Some(1_900_000_000))
            .unwrap();
        let again = Maintenance::load(dir.path()).unwrap();
        assert_eq!(again.ends().collect::<Vec<_>>(), vec![(vip, 1_900_000_000)]);
        m.withdraw(&[vip], "other", None, None).unwrap();
        assert_eq!(m.get(&vip).unwrap().reason, "maint");
        assert_eq!(m.ends().count(), 0);
    }

    #[test]
    fn a_state_file_from_before_requesters_were_recorded_still_loads() {
        let dir = tempfile::tempdir().unwrap();
        let old = r#"{"203.0.113.10/32":{"reason":"kernel upgrade","since_unix":1763680000}}"#;
        fs::write(dir.path().join(FILE_NAME), old).unwrap();
        let m = Maintenance::load(dir.path()).unwrap();
        let entry = m.get(&p("203.0.113.10/32")).unwrap();
        assert_eq!(entry.reason, "kernel upgrade");
        assert_eq!(entry.since_unix, 1_763_680_000);
        assert_eq!(entry.by, None);
    }
}
