//! Health checks that never answer: an HTTP endpoint that stalls (part of a
//! response, or nothing at all) and an exec check that never exits. Each
//! must time out, count as a failure and withdraw the server within
//! fall × (interval + timeout) + 1 s, while the daemon keeps answering.

use std::time::{Duration, Instant};

use super::procfs::{children, in_network_namespace, open_fds, Proc};
use super::{faulted, log_lines, measured_count, stalled_check_limit, timed_status, wait_log};
use crate::daemon::CHECK_TIMEOUT;
use crate::daemon_scenarios::{expect_vip, measured, RETURN_LIMIT};
use crate::daemon_testbed::{
    Bed, DaemonTestbed, Stall, TestbedOptions, Web, DIR_PLACEHOLDER, FINE_POLL, VIP,
};
use crate::error::{Error, Result};
use crate::wait::{wait_until, POLL};

/// The file that makes the exec check hang, in each web server's directory.
const EXEC_HANG_FILE: &str = "exec-hang";
/// The program the hanging exec check leaves running until it is killed.
const HANGING_PROGRAM: &str = "sleep";
/// How long a check keeps timing out after the withdrawal, to see whether
/// connections, pipes or commands of timed-out probes pile up.
const KEEP_FAILING: Duration = Duration::from_secs(2);
/// At most this many hanging commands at once (the one in flight, and one
/// being killed).
const MAX_HANGING: usize = 2;
/// At most this many more open file descriptors in the daemon while its
/// check keeps timing out (a probe's socket or pipes in flight).
const MAX_FD_GROWTH: usize = 4;
/// How long killed commands may take to be gone once the check passes again.
const CLEANUP_LIMIT: Duration = Duration::from_secs(3);

/// web1's `/healthz` starts to stall as `stall` says: its check times out,
/// falls, and its next hop leaves the router within fall × (interval +
/// timeout) + 1 s, with `announcer status` answering within a second all
/// along; status and log say the check timed out; while it keeps timing
/// out the daemon's open file descriptors stay flat; unstalled, it comes
/// back.
pub fn a_stalled_health_endpoint_withdraws_the_server(
    stall: Stall,
    bed: Bed,
    test: &str,
) -> Result<()> {
    faulted(bed, TestbedOptions::default(), test, |lab| {
        let what = match stall {
            Stall::MidResponse => "health endpoint stalled mid-response",
            Stall::Mute => "health endpoint accepting and never answering",
        };
        hanging_withdraws_in_time(lab, what, |lab| lab.web(1)?.set_stall(stall, true))?;
        let web1 = lab.web(1)?;
        let start = Instant::now();
        web1.set_stall(stall, false)?;
        let took = lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
        measured(&format!("{what} → healed → route back"), took);
        Ok(())
    })
}

/// web1's exec check (`sh -c 'if [ -e FILE ]; then sleep 1000; fi'`) starts
/// to hang: each run is killed at the timeout (the shell and its `sleep`),
/// the check falls and the server is withdrawn in time; while it keeps
/// hanging, neither timed-out commands nor the daemon's open file
/// descriptors pile up; once it passes again, no
/// `sleep` is left in web1's namespace and the daemon has no zombie child.
pub fn an_exec_check_that_never_exits_is_killed(bed: Bed, test: &str) -> Result<()> {
    let hang_file = format!("{DIR_PLACEHOLDER}/{EXEC_HANG_FILE}");
    let command = format!("if [ -e \"$0\" ]; then {HANGING_PROGRAM} 1000; fi");
    let options = TestbedOptions {
        exec_check: Some(vec!["sh".into(), "-c".into(), command, hang_file]),
        ..TestbedOptions::default()
    };
    faulted(bed, options, test, |lab| {
        let file = lab.web(1)?.dir().join(EXEC_HANG_FILE);
        hanging_withdraws_in_time(lab, "exec check hanging", |_| {
            std::fs::write(&file, "hang\n")
                .map_err(|e| Error::io(format!("write {}", file.display()), e))
        })?;
        let web1 = lab.web(1)?;
        let start = Instant::now();
        std::fs::remove_file(&file)
            .map_err(|e| Error::io(format!("remove {}", file.display()), e))?;
        let took = lab.wait_next_hops(VIP, &lab.both(), start, RETURN_LIMIT)?;
        measured("exec check passing again → route back", took);
        let took = wait_nothing_left(web1, start)?;
        measured(
            "exec check passing again → no sleep and no zombie left",
            took,
        );
        Ok(())
    })
}

/// Makes web1's check hang with `hang`, then: web1's next hop leaves the
/// router in time with `announcer status` answering all along (both timed
/// under `what`), status and log say the check timed out, and while it keeps
/// timing out the daemon's open file descriptors stay flat.
fn hanging_withdraws_in_time(
    lab: &DaemonTestbed,
    what: &str,
    hang: impl FnOnce(&DaemonTestbed) -> Result<()>,
) -> Result<()> {
    let seen = log_lines(lab.web(1)?, &["up → down"])?.len();
    let fds = open_fds(lab.web(1)?.announcer.pid()?)?;
    let start = Instant::now();
    hang(lab)?;
    let (took, slowest) = withdrawn_while_responsive(lab, start)?;
    measured(&format!("{what} → route withdrawn"), took);
    measured("slowest `announcer status` meanwhile", slowest);
    let web1 = lab.web(1)?;
    expect_timed_out(web1)?;
    wait_log(web1, &["up → down", "timed out"], seen)?;
    keep_failing(web1, fds)
}

/// Waits until web1's next hop leaves the router, timing `announcer status`
/// on web1 at every poll; returns the time from `start` and the slowest
/// status.
fn withdrawn_while_responsive(lab: &DaemonTestbed, start: Instant) -> Result<(Duration, Duration)> {
    let web2 = [lab.web(2)?.peer()];
    let web1 = lab.web(1)?;
    let limit = stalled_check_limit();
    let mut slowest = Duration::ZERO;
    let what = format!("web1's next hop gone within {limit:?}, status answering");
    let took = wait_until(&what, limit, FINE_POLL, || {
        slowest = slowest.max(timed_status(web1).map_err(|e| e.to_string())?);
        match crate::kernel::next_hops(&lab.topology.rtr, VIP) {
            Ok(hops) if hops == web2 => Ok(start.elapsed()),
            Ok(hops) => Err(format!("next hops {hops:?}")),
            Err(e) => Err(e.to_string()),
        }
    })?;
    Ok((took, slowest))
}

/// Fails unless web1's status shows [`VIP`] withdrawn with its check failing
/// because the last probe timed out.
fn expect_timed_out(web: &Web) -> Result<()> {
    let status = web.announcer.status()?;
    expect_vip(&status, VIP, false, false)?;
    let timeout = format!("timed out after {}ms", CHECK_TIMEOUT.as_millis());
    let vip = status.vip(VIP)?;
    let last = vip.checks.iter().find_map(|c| c.last.clone());
    status.expect(
        last.is_some_and(|last| !last.pass && last.detail.contains(&timeout)),
        &format!("the last probe failed with {timeout:?}"),
    )?;
    status.expect(
        vip.why.contains(&timeout),
        &format!("a why naming {timeout:?}"),
    )
}

/// Lets `web`'s check keep timing out for [`KEEP_FAILING`], sampling every
/// [`POLL`] its daemon's open file descriptors (against `fds` before the
/// fault), the [`HANGING_PROGRAM`] processes alive in its namespace and
/// how long `announcer status` takes; fails if descriptors or commands
/// pile up or status gets slow.
fn keep_failing(web: &Web, fds: usize) -> Result<()> {
    let pid = web.announcer.pid()?;
    let deadline = Instant::now() + KEEP_FAILING;
    let (mut most_fds, mut most_hanging, mut slowest) = (fds, 0, Duration::ZERO);
    for _ in 0..=KEEP_FAILING.as_millis() / POLL.as_millis() {
        most_fds = most_fds.max(open_fds(pid)?);
        let alive = hanging(web)?.iter().filter(|p| !p.zombie()).count();
        most_hanging = most_hanging.max(alive);
        slowest = slowest.max(timed_status(web)?);
        if Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(POLL);
    }
    let status = web.announcer.status()?;
    let streak: u64 = status.vip(VIP)?.checks.iter().map(|c| c.streak).sum();
    measured_count("failed probes in a row", streak);
    measured_count(
        "daemon's open fds before the fault → most while failing",
        format!("{fds} → {most_fds}"),
    );
    measured_count("most hanging commands alive at once", most_hanging);
    measured("slowest `announcer status` while failing", slowest);
    expect_timed_out(web)?;
    if most_fds > fds + MAX_FD_GROWTH {
        return Err(Error::Check(format!(
            "the daemon's open file descriptors grew from {fds} to {most_fds} while its check timed out: timed-out probes leak them"
        )));
    }
    if most_hanging > MAX_HANGING {
        return Err(Error::Check(format!(
            "{most_hanging} hanging commands alive at once: timed-out commands are not killed"
        )));
    }
    Ok(())
}

/// The [`HANGING_PROGRAM`] processes in `web`'s network namespace.
fn hanging(web: &Web) -> Result<Vec<Proc>> {
    Ok(in_network_namespace(web.ns.name())?
        .into_iter()
        .filter(|p| p.comm == HANGING_PROGRAM)
        .collect())
}

/// Waits until no [`HANGING_PROGRAM`] is alive in `web`'s namespace and its
/// daemon has no zombie child; returns the time from `start`.
fn wait_nothing_left(web: &Web, start: Instant) -> Result<Duration> {
    let pid = web.announcer.pid()?;
    let what = format!(
        "no {HANGING_PROGRAM} alive in {} and no zombie child of pid {pid}",
        web.name
    );
    wait_until(&what, CLEANUP_LIMIT, POLL, || {
        let alive: Vec<Proc> = hanging(web)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|p| !p.zombie())
            .collect();
        let zombies: Vec<Proc> = children(pid)
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(Proc::zombie)
            .collect();
        if alive.is_empty() && zombies.is_empty() {
            Ok(start.elapsed())
        } else {
            Err(format!("alive: {alive:?}; zombie children: {zombies:?}"))
        }
    })
}
