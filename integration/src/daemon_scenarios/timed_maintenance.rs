//! `announcer withdraw --for`: a maintenance that ends by itself, also across a restart of
//! the daemon.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::{measured, settled, EXIT_LIMIT, RETURN_LIMIT, SETTLE, WITHDRAW_LIMIT};
use crate::daemon_testbed::{Bed, VIP};
use crate::error::{Error, Result};

/// How long the maintenance lasts.
const FOR: Duration = Duration::from_secs(6);

/// `announcer withdraw --for 6s` on web2: the route leaves within the withdraw bound,
/// status shows the end, the daemon is restarted in the middle, and the route comes back by
/// itself once the time is over (within the return bound after it).
pub fn a_maintenance_for_a_time_ends_by_itself_across_a_restart(
    bed: Bed,
    test: &str,
) -> Result<()> {
    settled(bed, test, |lab| {
        let web1 = lab.web(1)?.peer();
        let start = Instant::now();
        let said = lab.web(2)?.announcer.control(&[
            "withdraw",
            "--now",
            "--for",
            &format!("{}s", FOR.as_secs()),
            "--reason",
            "timed",
        ])?;
        if !said.contains(" until ") || !said.trim_end().ends_with(" UTC") {
            return Err(Error::Check(format!("withdraw --for printed {said:?}")));
        }
        let took = lab.wait_next_hops(VIP, &[web1], start, WITHDRAW_LIMIT)?;
        measured("announcer withdraw --for", took);
        let status = lab.web(2)?.announcer.status()?;
        let until = status
            .vip(VIP)?
            .maintenance
            .as_ref()
            .and_then(|m| m.until_unix)
            .ok_or_else(|| Error::Check(format!("no until_unix in {}", status.raw)))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        if (until - now - FOR.as_secs_f64()).abs() > 2.0 {
            return Err(Error::Check(format!("until_unix {until}, now {now}")));
        }
        let web2 = lab.web_mut(2)?;
        web2.announcer.signal("TERM")?;
        web2.announcer.wait_exit(EXIT_LIMIT)?;
        web2.announcer.start()?;
        let back = lab.wait_next_hops(VIP, &lab.both(), start, FOR + SETTLE)?;
        if back < FOR {
            return Err(Error::Check(format!(
                "web2 back after {back:?}, before {FOR:?}"
            )));
        }
        if back > FOR + RETURN_LIMIT {
            return Err(Error::Check(format!(
                "web2 back after {back:?}, later than {FOR:?} + {RETURN_LIMIT:?}"
            )));
        }
        measured("withdraw --for 6s, restarted meanwhile → back", back);
        let status = lab.web(2)?.announcer.status()?;
        match status.vip(VIP)?.maintenance {
            None => Ok(()),
            Some(_) => Err(Error::Check(format!(
                "still in maintenance: {}",
                status.raw
            ))),
        }
    })
}
