//! SIGHUP with a configuration file that cannot be applied — one that does
//! not load (a syntax error, a value of the wrong type, an MD5 key file others
//! can read: the log names the file and line), one whose `[bgp] listen`
//! address the host does not have (the new listener cannot be had, which is
//! found out before the running sessions are touched), one that has announcer
//! bind a VIP whose address another interface holds: the running
//! configuration and the session stay; a good file then applies.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{faulted, log_lines, wait_log};
use crate::daemon_scenarios::expect_still_running;
use crate::daemon_scenarios::{expect_vip, measured, RETURN_LIMIT};
use crate::daemon_testbed::{Bed, DaemonTestbed, TestbedOptions, VIP};
use crate::error::{Error, Result};
use crate::kernel::next_hops;
use crate::routers::same_session;
use crate::status::Status;
use crate::topology::ROUTER_V4;
use crate::wait::{holds_for, POLL};

/// A listener address no namespace of the lab has.
const FOREIGN_LISTEN: &str = "198.51.100.77:179";
/// A VIP the good file adds.
const NEW_VIP: &str = "203.0.113.30/32";
/// A VIP announced with `bind = false` whose address another interface then holds.
const HELD_VIP: &str = "203.0.113.31/32";
/// How long a broken file must change nothing at the router.
const UNCHANGED_FOR: Duration = Duration::from_millis(1500);
/// The log line of a reload that failed.
const RELOAD_FAILED: &str = "reload failed; keeping the running configuration";
/// Slack when comparing the peer's uptime with the time that passed.
const UPTIME_SLACK: f64 = 0.5;

/// Two broken files (a TOML syntax error, then a value of the wrong type)
/// sent to web1 with SIGHUP: each time the log says the reload failed,
/// naming the file and the line, and for a while the route stays via both,
/// the daemon runs, and the session is not reset (same session at the
/// router, peer uptime still growing). A good file adding a VIP then
/// applies, still without a reset.
pub fn a_broken_file_on_sighup_keeps_the_running_configuration(bed: Bed, test: &str) -> Result<()> {
    faulted(bed, TestbedOptions::default(), test, |lab| {
        let web1 = lab.web(1)?.peer();
        let mark = lab.router.session_mark(web1)?;
        let uptime = peer_uptime(&lab.web(1)?.announcer.status()?)?;
        let since = Instant::now();
        let good = lab.web(1)?.announcer.config().to_toml();
        let syntax = good.replacen("remote_as = 65000", "remote_as = 65000 65001", 1);
        reload_broken(lab, &syntax, line_of(&syntax, "remote_as = 65000 65001")?)?;
        let wrong_type = good.replacen("local_as = 65001", "local_as = \"AS65001\"", 1);
        reload_broken(lab, &wrong_type, line_of(&wrong_type, "local_as = ")?)?;
        let foreign_listener = good.replacen(
            "local_as = 65001",
            &format!("local_as = 65001\nlisten = \"{FOREIGN_LISTEN}\""),
            1,
        );
        reload_refused(lab, &foreign_listener, FOREIGN_LISTEN)?;
        let key = lab.web(1)?.dir().join("peer.key");
        write_readable_key(&key)?;
        let open_key = good.replacen(
            "remote_as = 65000",
            &format!("remote_as = 65000\npassword_file = \"{}\"", key.display()),
            1,
        );
        reload_broken(lab, &open_key, line_of(&open_key, "password_file")?)?;
        bind_refused(lab, &good)?;
        let later = peer_uptime(&lab.web(1)?.announcer.status()?)?;
        let expected = uptime + since.elapsed().as_secs_f64() - UPTIME_SLACK;
        let now = lab.router.session_mark(web1)?;
        if later < expected || !same_session(mark.as_deref(), now.as_deref()) {
            return Err(Error::Check(format!(
                "the session was reset by a broken reload: peer uptime {uptime:.1} s then {later:.1} s (expected ≥ {expected:.1}); router {mark:?} then {now:?}"
            )));
        }
        lab.web_mut(1)?
            .announcer
            .update_config(|config| config.vips.push(NEW_VIP.to_owned()))?;
        let seen = log_lines(lab.web(1)?, &["reload: done"])?.len();
        let start = Instant::now();
        lab.web_mut(1)?.announcer.signal("HUP")?;
        let took = lab.wait_next_hops(NEW_VIP, &[web1], start, RETURN_LIMIT)?;
        measured(
            "SIGHUP with a good file after broken ones → new VIP announced",
            took,
        );
        wait_log(lab.web(1)?, &["reload: done"], seen)?;
        let status = lab.web(1)?.announcer.status()?;
        expect_vip(&status, NEW_VIP, true, true)?;
        expect_vip(&status, VIP, true, true)?;
        if !same_session(mark.as_deref(), lab.router.session_mark(web1)?.as_deref()) {
            return Err(Error::Check("the good reload reset the session".into()));
        }
        Ok(())
    })
}

/// A good file adds [`HELD_VIP`] with `bind = false`; with its address then on web1's
/// eth0, a file switching it to `bind = true` is refused (the address cannot be bound to
/// lo), and web1 keeps announcing it.
fn bind_refused(lab: &mut DaemonTestbed, good: &str) -> Result<()> {
    let web1 = lab.web(1)?.peer();
    let unbound = format!("{good}\n[[vip]]\nprefix = \"{HELD_VIP}\"\nbind = false\n");
    let seen = log_lines(lab.web(1)?, &["reload: done"])?.len();
    lab.web(1)?.announcer.write_config_text(&unbound)?;
    let start = Instant::now();
    lab.web_mut(1)?.announcer.signal("HUP")?;
    wait_log(lab.web(1)?, &["reload: done"], seen)?;
    lab.wait_next_hops(HELD_VIP, &[web1], start, RETURN_LIMIT)?;
    lab.web(1)?
        .ns
        .ip(&["addr", "add", HELD_VIP, "dev", "eth0"])?;
    let bound = unbound.replace("bind = false", "bind = true");
    reload_refused(lab, &bound, &HELD_VIP.replace("/32", ""))?;
    match next_hops(&lab.topology.rtr, HELD_VIP)? {
        hops if hops == [web1] => Ok(()),
        hops => Err(Error::Check(format!(
            "{HELD_VIP} via {hops:?} after a refused reload, not via web1 alone"
        ))),
    }
}

/// Writes an MD5 key file that others can read (mode 0644), which the parser refuses.
fn write_readable_key(path: &Path) -> Result<()> {
    std::fs::write(path, "secret\n")
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    let mode = std::fs::Permissions::from_mode(0o644);
    std::fs::set_permissions(path, mode)
        .map_err(|e| Error::io(format!("chmod {}", path.display()), e))
}

/// Writes `text` as web1's config and sends SIGHUP; checks the log names
/// the file and `line`, and that nothing changes at the router meanwhile.
fn reload_broken(lab: &mut DaemonTestbed, text: &str, line: usize) -> Result<()> {
    let path = lab.web(1)?.announcer.config_path();
    reload_refused(lab, text, &format!("{}:{line}:", path.display()))
}

/// Writes `text` as web1's config and sends SIGHUP; checks the failure is
/// logged with `location` in the line, and that nothing changes at the
/// router meanwhile.
fn reload_refused(lab: &mut DaemonTestbed, text: &str, location: &str) -> Result<()> {
    let seen = log_lines(lab.web(1)?, &[RELOAD_FAILED])?.len();
    lab.web(1)?.announcer.write_config_text(text)?;
    let start = Instant::now();
    lab.web_mut(1)?.announcer.signal("HUP")?;
    let logged = wait_log(lab.web(1)?, &[RELOAD_FAILED], seen)?;
    measured(
        "SIGHUP with a broken file → failure logged",
        start.elapsed(),
    );
    if !logged.contains(location) {
        return Err(Error::Check(format!(
            "the failed reload's log line does not name {location}: {logged}"
        )));
    }
    let both = lab.both();
    holds_for(
        "a broken file to change nothing",
        UNCHANGED_FOR,
        POLL,
        || {
            let hops = next_hops(&lab.topology.rtr, VIP).map_err(|e| e.to_string())?;
            if hops == both {
                Ok(())
            } else {
                Err(format!("{VIP} via {hops:?}"))
            }
        },
    )?;
    expect_still_running(lab, "SIGHUP with a broken file")
}

/// The 1-based line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> Result<usize> {
    text.lines()
        .position(|line| line.contains(needle))
        .map(|index| index + 1)
        .ok_or_else(|| Error::Check(format!("no line with {needle:?} in:\n{text}")))
}

/// The router peer's `uptime_secs` in `status`.
fn peer_uptime(status: &Status) -> Result<f64> {
    status
        .peer(&ROUTER_V4.to_string())?
        .uptime_secs
        .ok_or_else(|| Error::Check(format!("no peer uptime in {}", status.raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_counted_from_one() {
        assert_eq!(line_of("a\nb = 1\nc", "b =").unwrap(), 2);
        assert!(line_of("a", "z").is_err());
    }
}
