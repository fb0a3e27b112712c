//! The kernel alone binding the scale scenario's N VIPs, with no daemon and no BGP: one
//! `ip -batch` adding N addresses to `lo` of an empty namespace (up to
//! [`KERNEL_FLOOR_MAX`]: the cost grows faster than N), and one adding N `local` routes to
//! its `local` table (any N: the cost grows linearly). The floor under announcer's
//! `bind = "address"` and `bind = "route"`.

use std::process::Command;
use std::time::Instant;

use crate::plan::{Plan, Scenario, Speaker, KERNEL_FLOOR_MAX};
use crate::prefixes;
use crate::report::{Metric, Report, Row, Unit};
use crate::running::run_bounded;
use crate::table::thousands;
use announcer_harness::config_toml::Bind;
use announcer_harness::error::{Error, Result};
use announcer_harness::netns::Netns;

/// Adding the N addresses to `lo`.
const ADDRESSES: Metric = Metric::median("N addresses added to lo", Unit::Millis);
/// Adding N `local` routes to the `local` table.
const ROUTES: Metric = Metric::median("N local routes added", Unit::Millis);

/// The notes on how the floor is measured.
pub fn note(plan: &Plan, report: &mut Report) {
    report.note(Scenario::Scale, format!("kernel alone: the N VIPs bound in an empty namespace by one `ip -batch` (no daemon, no BGP), once per N: as addresses on lo (`address add A/32 dev lo`, up to N = {}), as local routes (`route add local A/32 dev lo table local`)", thousands(KERNEL_FLOOR_MAX)));
    let skipped: Vec<String> = plan
        .scale_sizes
        .iter()
        .filter(|&&n| n > KERNEL_FLOOR_MAX)
        .map(|&n| thousands(n))
        .collect();
    if !skipped.is_empty() {
        report.note(Scenario::Scale, format!("kernel alone: addresses not measured at N = {} (above {}: adding addresses to lo grows superlinearly, seconds at 10,000, minutes at 40,000)", skipped.join(", "), thousands(KERNEL_FLOOR_MAX)));
    }
}

/// Measures the kernel alone binding `n` VIPs each way it can at `n` into the row of
/// [`Speaker::KernelFloor`] in `group`.
pub fn measure(plan: &Plan, n: usize, group: &str, report: &mut Report) {
    let row = Row {
        scenario: Scenario::Scale,
        group: group.to_owned(),
        speaker: Speaker::KernelFloor,
        label: format!("{} (ip -batch, no daemon)", Speaker::KernelFloor),
    };
    let kinds = [(Bind::Address, ADDRESSES), (Bind::Route, ROUTES)];
    for (bind, metric) in kinds {
        if bind == Bind::Address && n > KERNEL_FLOOR_MAX {
            continue;
        }
        eprint!(
            "scale N = {}: {}, {} ... ",
            thousands(n),
            row.label,
            metric.name
        );
        report.trial(&row, metric, &bind_all(plan, n, bind));
    }
}

/// Binds `n` scale addresses as `bind` says in a fresh namespace with one `ip -batch`
/// and returns how long it took, in milliseconds.
fn bind_all(plan: &Plan, n: usize, bind: Bind) -> Result<f64> {
    let hosts = prefixes::scale_addresses(n)?;
    let dir = tempfile::Builder::new()
        .prefix("announcer-floor-")
        .tempdir()
        .map_err(|e| Error::io("create the kernel floor's directory", e))?;
    let batch = dir.path().join("bind.batch");
    let line = |host| match bind {
        Bind::Route => format!("route add local {host}/32 dev lo table local\n"),
        Bind::Address | Bind::None => format!("address add {host}/32 dev lo\n"),
    };
    let text: String = hosts.iter().map(line).collect();
    std::fs::write(&batch, text).map_err(|e| Error::io(format!("write {}", batch.display()), e))?;
    let ns = Netns::new("floor")?;
    ns.ip(&["link", "set", "lo", "up"])?;
    let mut command = Command::new("ip");
    command.args(["-n", ns.name(), "-batch"]).arg(&batch);
    let start = Instant::now();
    run_bounded("ip-batch", command, dir.path(), plan.scale_timeout)?;
    Ok(start.elapsed().as_secs_f64() * 1000.0)
}
