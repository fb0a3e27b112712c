//! File probe: passes while a path exists, or while it is absent (a soft-stop file).

use std::path::Path;
use std::time::Duration;

use super::{timed, ProbeResult, Verdict};
use crate::spec::FilePassIf;

/// Checks whether `path` exists (following symlinks: a dangling link is absent)
/// and passes according to `pass_if`. An error other than "not found", such as
/// a permission error on a parent directory, fails with the error as detail.
pub async fn probe(path: &Path, pass_if: FilePassIf, timeout: Duration) -> ProbeResult {
    timed(timeout, async {
        match tokio::fs::try_exists(path).await {
            Ok(exists) => {
                let detail = if exists { "exists" } else { "absent" };
                if exists == (pass_if == FilePassIf::Exists) {
                    Verdict::pass(detail)
                } else {
                    Verdict::fail(detail)
                }
            }
            Err(err) => Verdict::fail(format!("{}: {err}", path.display())),
        }
    })
    .await
}
