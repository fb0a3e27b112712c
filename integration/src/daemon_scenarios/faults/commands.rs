//! 1,000 maintenance commands in a row through the real CLI: every one
//! succeeds, the end state is the last command's, and the daemon's memory
//! stays flat.

use std::time::{Duration, Instant};

use super::procfs::rss_kib;
use super::{faulted, log_lines, measured_count, state_file};
use crate::daemon_scenarios::{expect_serving, measured, RETURN_LIMIT, WITHDRAW_LIMIT};
use crate::daemon_testbed::{Bed, TestbedOptions, Web, VIP};
use crate::error::{Error, Result};

/// How many commands: `withdraw --now` and `announce`, alternating, ending
/// with an `announce`.
const COMMANDS: usize = 1000;
/// How often the daemon's memory is sampled, in commands.
const RSS_EVERY: usize = 250;
/// The most the daemon's resident memory may grow over the whole run.
const RSS_GROWTH_LIMIT_KIB: u64 = 16 * 1024;
/// The reason given to each withdraw.
const REASON: &str = "churn";

/// `withdraw --now VIP` and `announce VIP` alternately on web1, 1,000 times:
/// all succeed; after the last (`announce`) the route is via both, status
/// and the state file show no maintenance of the VIP; one more `withdraw
/// --now` takes web1 out and the state file records it; the log has one
/// line per command; the daemon's RSS grows by less than 16 MiB.
pub fn a_thousand_maintenance_commands_end_in_the_last_state(bed: Bed, test: &str) -> Result<()> {
    faulted(bed, TestbedOptions::default(), test, |lab| {
        let web1 = lab.web(1)?;
        let pid = web1.announcer.pid()?;
        let withdrawing = log_lines(web1, &["maintenance: withdrawing"])?.len();
        let over = log_lines(web1, &["maintenance over"])?.len();
        let rss_before = rss_kib(pid)?;
        let mut rss = vec![rss_before];
        let mut took = Vec::with_capacity(COMMANDS);
        let start = Instant::now();
        for n in 0..COMMANDS {
            took.push(command(web1, n)?);
            if (n + 1) % RSS_EVERY == 0 {
                rss.push(rss_kib(pid)?);
            }
        }
        let done = Instant::now();
        measured(
            &format!("{COMMANDS} withdraw --now/announce commands"),
            done - start,
        );
        took.sort();
        let median = took.get(COMMANDS / 2).copied().unwrap_or_default();
        let slowest = took.last().copied().unwrap_or_default();
        measured("median command", median);
        measured("slowest command", slowest);
        measured_count(
            &format!("web1 announcer RSS in KiB every {RSS_EVERY} commands"),
            format!("{rss:?}"),
        );
        let after = lab.wait_next_hops(VIP, &lab.both(), done, RETURN_LIMIT)?;
        measured("last announce → route via both", after);
        let status = web1.announcer.status()?;
        expect_serving(&status, VIP)?;
        if state_file(web1)?.get(VIP).is_some() {
            return Err(Error::Check(format!(
                "the state file still has {VIP} after the last announce: {}",
                state_file(web1)?
            )));
        }
        expect_logged(web1, "maintenance: withdrawing", withdrawing + COMMANDS / 2)?;
        expect_logged(web1, "maintenance over", over + COMMANDS / 2)?;
        let grown = rss
            .iter()
            .max()
            .copied()
            .unwrap_or(0)
            .saturating_sub(rss_before);
        if grown > RSS_GROWTH_LIMIT_KIB {
            return Err(Error::Check(format!(
                "the daemon's RSS grew by {grown} KiB over {COMMANDS} commands: {rss:?}"
            )));
        }
        let start = Instant::now();
        web1.announcer
            .control(&["withdraw", "--now", VIP, "--reason", REASON])?;
        let took = lab.wait_next_hops(VIP, &[lab.web(2)?.peer()], start, WITHDRAW_LIMIT)?;
        measured("one more withdraw --now → route via web2 only", took);
        let file = state_file(web1)?;
        if file.get(VIP).and_then(|entry| entry.get("reason")) != Some(&REASON.into()) {
            return Err(Error::Check(format!(
                "the state file lacks {VIP} ({REASON:?}) after the final withdraw: {file}"
            )));
        }
        web1.announcer.control(&["announce", VIP])?;
        lab.wait_next_hops(VIP, &lab.both(), Instant::now(), RETURN_LIMIT)
            .map(drop)
    })
}

/// Runs command `n` (even: `withdraw --now`, odd: `announce`) on `web`;
/// returns how long it took.
fn command(web: &Web, n: usize) -> Result<Duration> {
    let start = Instant::now();
    let result = if n % 2 == 0 {
        web.announcer
            .control(&["withdraw", "--now", VIP, "--reason", REASON])
    } else {
        web.announcer.control(&["announce", VIP])
    };
    result.map_err(|e| Error::Check(format!("command {} of {COMMANDS} failed: {e}", n + 1)))?;
    Ok(start.elapsed())
}

/// Fails unless `web`'s log has exactly `count` lines with `needle`.
fn expect_logged(web: &Web, needle: &str, count: usize) -> Result<()> {
    let lines = log_lines(web, &[needle])?.len();
    if lines == count {
        return Ok(());
    }
    Err(Error::Check(format!(
        "expected {count} log lines with {needle:?} on {}, found {lines}",
        web.name
    )))
}
