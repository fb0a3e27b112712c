//! Who sent a control request: the uid and pid the kernel reports for the other end of the
//! Unix socket (SO_PEERCRED), logged with each `withdraw`/`announce` and kept with the
//! maintenance it starts, so `status` can say who took a VIP out.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The process at the other end of a control connection, as the kernel saw it at connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    /// Its user id.
    pub uid: u32,
    /// Its process id, when the kernel reports one (not from another PID namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

impl Requester {
    /// The requester of a connection whose peer credentials are `uid` and `pid` (a pid of
    /// zero or less means the kernel could not name the process).
    pub fn new(uid: u32, pid: Option<i32>) -> Requester {
        Requester {
            uid,
            pid: pid.and_then(|p| u32::try_from(p).ok()).filter(|p| *p > 0),
        }
    }
}

impl fmt::Display for Requester {
    /// "uid 0 (pid 1234)", or "uid 0" without a pid.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "uid {}", self.uid)?;
        if let Some(pid) = self.pid {
            write!(f, " (pid {pid})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requester_reads_as_uid_and_pid() {
        assert_eq!(
            Requester::new(0, Some(1234)).to_string(),
            "uid 0 (pid 1234)"
        );
        assert_eq!(Requester::new(1000, None).to_string(), "uid 1000");
    }

    #[test]
    fn a_pid_the_kernel_could_not_name_is_left_out() {
        assert_eq!(Requester::new(0, Some(0)).pid, None);
        assert_eq!(Requester::new(0, Some(-1)).pid, None);
    }

    #[test]
    fn a_requester_round_trips_through_json_and_a_missing_pid_is_allowed() {
        let requester = Requester::new(0, Some(1234));
        let text = serde_json::to_string(&requester).unwrap();
        assert_eq!(text, r#"{"uid":0,"pid":1234}"#);
        assert_eq!(serde_json::from_str::<Requester>(&text).unwrap(), requester);
        assert_eq!(
            serde_json::from_str::<Requester>(r#"{"uid":7}"#).unwrap(),
            Requester::new(7, None)
        );
    }
}
