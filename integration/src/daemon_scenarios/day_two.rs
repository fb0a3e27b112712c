//! Day two on a web server: web1's announcer restarted with `[metrics]` and JSON logs; the
//! metrics page follows a health failure and its recovery; `announcer check-config --diff`
//! previews a file and changes nothing; `announcer reload` refuses a broken file (exit 1,
//! naming the file and line, everything kept) and applies a good one (exit 0); every line
//! the daemon logged is one JSON object with its level and message.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::{expect_vip, measured, withdrawal, EXIT_LIMIT, RETURN_LIMIT, SETTLE};
use crate::daemon::CHECK_NAME;
use crate::daemon_testbed::{Bed, DaemonTestbed, Web, VIP};
use crate::error::{Error, Result};
use crate::http::get_once;
use crate::wait::{wait_until, POLL};

/// Where web1 serves metrics, inside its namespace.
const METRICS: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 9180);
/// The VIP the preview and the good reload add.
const ADDED_VIP: &str = "203.0.113.40/32";

/// See the module documentation.
pub fn metrics_logs_and_reload_follow_the_server(bed: Bed, test: &str) -> Result<()> {
    super::settled(bed, test, |lab| {
        restart_with_metrics_and_json_logs(lab)?;
        let web2 = lab.web(2)?.peer();
        let healthy = format!("announcer_check_healthy{{check=\"{CHECK_NAME}\"}}");
        expect_metric(lab.web(1)?, &vip_announced(VIP), 1)?;
        expect_metric(lab.web(1)?, &healthy, 1)?;
        let start = Instant::now();
        lab.web(1)?.set_healthy(false)?;
        lab.wait_next_hops(VIP, &[web2], start, withdrawal::health_fail_limit())?;
        let took = wait_metric(lab.web(1)?, &vip_announced(VIP), 0)?;
        measured("route gone → announcer_vip_announced 0 on the page", took);
        expect_metric(lab.web(1)?, &healthy, 0)?;
        lab.web(1)?.set_healthy(true)?;
        lab.wait_next_hops(VIP, &lab.both(), Instant::now(), RETURN_LIMIT)?;
        wait_metric(lab.web(1)?, &vip_announced(VIP), 1)?;
        let transitions = format!("announcer_check_transitions_total{{check=\"{CHECK_NAME}\"}}");
        expect_metric(lab.web(1)?, &transitions, 3)?;
        preview_changes_nothing(lab)?;
        reload_from_the_cli(lab)?;
        expect_json_log(lab)
    })
}

/// Restarts web1's announcer with `[metrics] listen` and `ANNOUNCER_LOG_FORMAT=json`, its
/// log emptied first.
fn restart_with_metrics_and_json_logs(lab: &mut DaemonTestbed) -> Result<()> {
    let web1 = lab.web_mut(1)?;
    web1.announcer.signal("TERM")?;
    web1.announcer.wait_exit(EXIT_LIMIT)?;
    let log = web1.dir().join("announcer.stderr");
    std::fs::write(&log, "").map_err(|e| Error::io(format!("empty {}", log.display()), e))?;
    web1.announcer
        .update_config(|config| config.metrics = Some(METRICS))?;
    web1.announcer.set_env("ANNOUNCER_LOG_FORMAT", "json");
    web1.announcer.start()?;
    lab.wait_all_announced(SETTLE)
}

fn vip_announced(prefix: &str) -> String {
    format!("announcer_vip_announced{{prefix=\"{prefix}\"}}")
}

/// The value of `series` (name and labels) on `web`'s metrics page.
fn metric(web: &Web, series: &str) -> Result<f64> {
    let page = get_once(&web.ns, METRICS, "/metrics")?;
    if page.status != 200 {
        return Err(Error::Check(format!("GET /metrics: {}", page.status)));
    }
    page.body
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .ok_or_else(|| Error::Check(format!("no {series} on the metrics page:\n{}", page.body)))
}

fn expect_metric(web: &Web, series: &str, want: u32) -> Result<()> {
    let value = metric(web, series)?;
    if value == f64::from(want) {
        return Ok(());
    }
    Err(Error::Check(format!("{series} is {value}, not {want}")))
}

/// Waits until `series` reads `want`; how long it took.
fn wait_metric(web: &Web, series: &str, want: u32) -> Result<Duration> {
    let start = Instant::now();
    wait_until(
        &format!("{series} {want}"),
        RETURN_LIMIT,
        POLL,
        || match metric(web, series) {
            Ok(value) if value == f64::from(want) => Ok(start.elapsed()),
            Ok(value) => Err(format!("{series} {value}")),
            Err(e) => Err(e.to_string()),
        },
    )
}

/// `check-config --diff` of a file that adds a VIP lists its bind and announce; the VIP is
/// neither configured nor bound afterwards.
fn preview_changes_nothing(lab: &mut DaemonTestbed) -> Result<()> {
    let web1 = lab.web(1)?;
    let mut candidate = web1.announcer.config().clone();
    candidate.vips.push(ADDED_VIP.to_owned());
    let path = web1.dir().join("candidate.toml");
    std::fs::write(&path, candidate.to_toml())
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    let path = path.to_string_lossy().into_owned();
    let output = web1
        .announcer
        .client(&["check-config", "--diff", "-c", &path])?;
    let said = String::from_utf8_lossy(&output.stdout);
    let wanted = [
        format!("bind {ADDED_VIP} on lo"),
        format!("announce {ADDED_VIP}"),
    ];
    if !output.status.success() || wanted.iter().any(|w| !said.lines().any(|l| l == w)) {
        return Err(Error::Check(format!(
            "check-config --diff exited {} and printed:\n{said}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let status = web1.announcer.status()?;
    if status.vip(ADDED_VIP).is_ok() || web1.has_on_lo(ADDED_VIP)? {
        return Err(Error::Check(format!(
            "the preview changed something: {}",
            status.raw
        )));
    }
    Ok(())
}

/// `announcer reload` with a broken file exits 1 naming the file and keeps the VIP; with a
/// good file that adds a VIP it exits 0 and the router learns the VIP.
fn reload_from_the_cli(lab: &mut DaemonTestbed) -> Result<()> {
    let web1 = lab.web(1)?;
    let good = web1.announcer.config().to_toml();
    let broken = good.replacen("local_as = ", "local_as = \"AS", 1);
    web1.announcer.write_config_text(&broken)?;
    let output = web1.announcer.client(&["reload"])?;
    let said = String::from_utf8_lossy(&output.stderr);
    let path = web1.announcer.config_path();
    if output.status.code() != Some(1) || !said.contains(&format!("{}:", path.display())) {
        return Err(Error::Check(format!(
            "announcer reload of a broken file exited {} and said: {said}",
            output.status
        )));
    }
    expect_vip(&web1.announcer.status()?, VIP, true, true)?;
    let peer = web1.peer();
    lab.web_mut(1)?
        .announcer
        .update_config(|config| config.vips.push(ADDED_VIP.to_owned()))?;
    let start = Instant::now();
    let output = lab.web(1)?.announcer.client(&["reload"])?;
    if !output.status.success() {
        return Err(Error::Check(format!(
            "announcer reload of a good file exited {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let took = lab.wait_next_hops(ADDED_VIP, &[peer], start, RETURN_LIMIT)?;
    measured("announcer reload adding a VIP → route at the router", took);
    Ok(())
}

/// Every line of web1's log is a JSON object with a level and a message; some carry the
/// peer's span field and some a VIP's prefix.
fn expect_json_log(lab: &mut DaemonTestbed) -> Result<()> {
    let text = lab.web(1)?.announcer.log_text()?;
    let mut objects = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let object: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| Error::Check(format!("a log line is not JSON ({e}): {line}")))?;
        let text_of = |key: &str| object.get(key).and_then(serde_json::Value::as_str);
        if text_of("level").is_none() || text_of("message").is_none() {
            return Err(Error::Check(format!("no level or message: {line}")));
        }
        objects.push(object);
    }
    let with = |key: &str| objects.iter().filter(|o| o.get(key).is_some()).count();
    eprintln!(
        "measured: JSON log: {} lines, {} with peer, {} with prefix",
        objects.len(),
        with("peer"),
        with("prefix")
    );
    if objects.len() < 10 || with("peer") == 0 || with("prefix") == 0 {
        return Err(Error::Check(format!("too little in the JSON log:\n{text}")));
    }
    Ok(())
}
