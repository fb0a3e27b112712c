//! The daemon's open-files limit: `announcer run` raises the soft RLIMIT_NOFILE to the hard
//! limit at start, so sessions, checks and control connections do not run out of file
//! descriptors under a low default soft limit (systemd's is 1,024; the unit sets
//! `LimitNOFILE`).

use nix::sys::resource::{getrlimit, setrlimit, Resource};
use tracing::{info, warn};

/// The soft limit to set given the current `soft` and `hard` ones: the hard limit when it is
/// higher, else none (nothing to do).
pub fn raised(soft: u64, hard: u64) -> Option<u64> {
    (hard > soft).then_some(hard)
}

/// Raises the soft open-files limit to the hard one; logs the outcome (a failure is a
/// warning: the daemon still runs, with the limit it has).
pub fn raise_to_hard_limit() {
    let (soft, hard) = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            warn!(error = %e, "cannot read the open-files limit");
            return;
        }
    };
    let Some(target) = raised(soft, hard) else {
        info!(limit = soft, "open-files limit (already the hard limit)");
        return;
    };
    match setrlimit(Resource::RLIMIT_NOFILE, target, hard) {
        Ok(()) => info!(
            from = soft,
            to = target,
            "open-files limit raised to the hard limit"
        ),
        Err(e) => warn!(limit = soft, hard, error = %e, "cannot raise the open-files limit"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_soft_limit_is_raised_to_a_higher_hard_limit_and_never_lowered() {
        assert_eq!(raised(1024, 524_288), Some(524_288));
        assert_eq!(raised(1024, 1024), None);
        assert_eq!(raised(65_536, 1024), None);
    }
}
