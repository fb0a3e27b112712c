//! The report as text: a header with what bears on the figures (date, CPUs,
//! load, versions, other busy processes), then per scenario its notes and
//! one aligned table per group: a row per speaker (and trigger), a column
//! per metric, then the ratios of ours to theirs and the failures.

use std::fmt::Write as _;

use crate::report::{Measurement, Report, Style, Unit};

/// Renders the whole report.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let meta = &report.meta;
    let _ = writeln!(
        out,
        "announcer benchmark · started {} · {} CPUs",
        meta.started, meta.cpus
    );
    let _ = writeln!(
        out,
        "load average (1, 5, 15 min): {} at start, {} at end",
        meta.load_at_start, meta.load_at_end
    );
    if !meta.versions.is_empty() {
        let versions: Vec<String> = meta
            .versions
            .iter()
            .map(|(program, version)| format!("{program} {version}"))
            .collect();
        let _ = writeln!(out, "versions: {}", versions.join(" · "));
    }
    if meta.busy.is_empty() {
        out.push_str("no other process was busy during the run\n");
    } else {
        let _ = writeln!(
            out,
            "busy besides the benchmark (distorts the figures): {}",
            meta.busy.join("; ")
        );
    }
    let _ = writeln!(out, "plan: {}", meta.plan);
    let mut scenarios = Vec::new();
    for m in &report.measurements {
        if !scenarios.contains(&m.scenario) {
            scenarios.push(m.scenario);
        }
    }
    for scenario in scenarios {
        let _ = write!(out, "\n== {scenario}\n");
        for (_, note) in report.notes.iter().filter(|(s, _)| *s == scenario) {
            let _ = writeln!(out, "  · {note}");
        }
        let mut groups: Vec<&str> = Vec::new();
        for m in report
            .measurements
            .iter()
            .filter(|m| m.scenario == scenario)
        {
            if !groups.contains(&m.group.as_str()) {
                groups.push(&m.group);
            }
        }
        for group in groups {
            let members: Vec<&Measurement> = report
                .measurements
                .iter()
                .filter(|m| m.scenario == scenario && m.group == group)
                .collect();
            let _ = write!(out, "\n-- {group}\n");
            out.push_str(&group_table(report, &members));
        }
    }
    out
}

/// One group's table, ratios and failures.
fn group_table(report: &Report, members: &[&Measurement]) -> String {
    let mut metrics: Vec<&str> = Vec::new();
    let mut rows: Vec<&str> = Vec::new();
    for m in members {
        if !metrics.contains(&m.metric.as_str()) {
            metrics.push(&m.metric);
        }
        if !rows.contains(&m.row.as_str()) {
            rows.push(&m.row);
        }
    }
    let find = |row: &str, metric: &str| {
        members
            .iter()
            .find(|m| m.row == row && m.metric == metric)
            .copied()
    };
    let mut grid: Vec<Vec<String>> = Vec::new();
    grid.push(
        std::iter::once(String::new())
            .chain(metrics.iter().map(|m| (*m).to_owned()))
            .collect(),
    );
    for row in &rows {
        let mut line = vec![(*row).to_owned()];
        line.extend(
            metrics
                .iter()
                .map(|metric| find(row, metric).map_or_else(|| "—".to_owned(), cell)),
        );
        grid.push(line);
    }
    let ratios = report.ratios();
    let Some(first) = members.first() else {
        return String::new();
    };
    let mut pairs: Vec<(String, String)> = Vec::new();
    for ratio in ratios
        .iter()
        .filter(|r| r.scenario == first.scenario && r.group == first.group)
    {
        let pair = (ratio.ours.clone(), ratio.theirs.clone());
        if !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    for (ours, theirs) in &pairs {
        let mut line = vec![format!("{ours} / {theirs}")];
        line.extend(metrics.iter().map(|metric| {
            ratios
                .iter()
                .find(|r| {
                    r.scenario == first.scenario
                        && r.group == first.group
                        && r.metric == *metric
                        && r.ours == *ours
                        && r.theirs == *theirs
                })
                .map_or_else(|| "—".to_owned(), |r| format!("{:.2}×", r.ratio))
        }));
        grid.push(line);
    }
    let mut out = aligned(&grid);
    for m in members.iter().filter(|m| !m.failures.is_empty()) {
        let mut seen: Vec<(&str, usize)> = Vec::new();
        for failure in &m.failures {
            match seen.iter_mut().find(|(text, _)| *text == failure.as_str()) {
                Some((_, count)) => *count += 1,
                None => seen.push((failure, 1)),
            }
        }
        for (text, count) in seen {
            let _ = writeln!(
                out,
                "  failed: {} {} ×{count}: {}",
                m.row,
                m.metric,
                first_line(text)
            );
        }
    }
    out
}

/// A measurement's cell: `12.3 ms [11.0–14.2]` (median style) or
/// `p50 12.3 · p95 15.0 ms [9.8–16.0] n=20` (percentiles), with the
/// failures counted.
fn cell(m: &Measurement) -> String {
    let failed = m.failures.len();
    let total = m.samples.len() + failed;
    let Some(summary) = m.summary() else {
        return format!("failed ({failed} of {total})");
    };
    let range = format!(
        "[{}–{}]",
        number(summary.min, m.unit),
        number(summary.max, m.unit)
    );
    let mut text = match m.style {
        Style::Median if summary.n == 1 => value(summary.median, m.unit),
        Style::Median => format!("{} {range}", value(summary.median, m.unit)),
        Style::Percentiles => format!(
            "p50 {} · p95 {} {range} n={}",
            number(summary.median, m.unit),
            value(summary.p95, m.unit),
            summary.n
        ),
    };
    if failed > 0 {
        let _ = write!(text, " ({failed} of {total} failed)");
    }
    text
}

/// A number with its unit: `12.3 ms`, `5.9 MB`, `0.42 %`, `100`.
pub fn value(x: f64, unit: Unit) -> String {
    let suffix = match unit {
        Unit::Millis => " ms",
        Unit::Megabytes => " MB",
        Unit::PercentOfCore => " % of a core",
        Unit::Count => "",
    };
    format!("{}{suffix}", number(x, unit))
}

/// A number in its unit's precision: three significant digits or so.
pub fn number(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Count => format!("{x:.0}"),
        _ if x.abs() >= 100.0 => format!("{x:.0}"),
        _ if x.abs() >= 10.0 => format!("{x:.1}"),
        _ => format!("{x:.2}"),
    }
}

/// `n` with thousands separators: `100,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The first line of `text`, for one-line failure summaries.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// The grid with its columns padded to a common width, two spaces apart.
fn aligned(grid: &[Vec<String>]) -> String {
    let columns = grid.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            grid.iter()
                .filter_map(|row| row.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in grid {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            let pad = width.saturating_sub(cell.chars().count());
            let _ = write!(line, "{cell}{}  ", " ".repeat(pad));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{row, scale_row, TOTAL, WITHDRAWN};
    use crate::plan::{Scenario, Speaker};

    #[test]
    fn thousands_get_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(100_000), "100,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn numbers_keep_about_three_significant_digits() {
        assert_eq!(value(1.234, Unit::Millis), "1.23 ms");
        assert_eq!(value(12.34, Unit::Megabytes), "12.3 MB");
        assert_eq!(value(523.6, Unit::Millis), "524 ms");
        assert_eq!(value(0.4, Unit::PercentOfCore), "0.40 % of a core");
        assert_eq!(value(101.0, Unit::Count), "101");
    }

    #[test]
    fn a_group_is_an_aligned_table_with_ratios_and_failures() {
        let mut report = Report::default();
        let ours = scale_row(Speaker::Announcer);
        let exa = scale_row(Speaker::Exabgp);
        for x in [40.0, 50.0, 60.0] {
            report.sample(&ours, TOTAL, x);
        }
        report.sample(&exa, TOTAL, 500.0);
        report.failure(&exa, TOTAL, "timed out after 2s\nlog: ...");
        report.note(Scenario::Scale, "polled every 5 ms");
        let text = render(&report);
        assert!(text.contains("== scale\n  · polled every 5 ms\n"), "{text}");
        assert!(text.contains("-- N = 1,000\n"), "{text}");
        let lines: Vec<&str> = text.lines().collect();
        let header = lines
            .iter()
            .position(|l| l.contains("start → all N"))
            .unwrap();
        assert_eq!(
            lines[header + 1],
            format!("announcer{}50.0 ms [40.0–60.0]", " ".repeat(11))
        );
        assert_eq!(
            lines[header + 2],
            format!("ExaBGP{}500 ms (1 of 2 failed)", " ".repeat(14))
        );
        assert_eq!(lines[header + 3], "announcer / ExaBGP  0.10×");
        assert!(
            text.contains("  failed: ExaBGP start → all N ×1: timed out after 2s\n"),
            "{text}"
        );
    }

    #[test]
    fn percentile_cells_show_p50_p95_range_and_count() {
        let mut report = Report::default();
        let ours = row(
            Scenario::Failover,
            "SIGTERM",
            Speaker::Announcer,
            "announcer",
        );
        for x in 1..=20 {
            report.sample(&ours, WITHDRAWN, f64::from(x));
        }
        let theirs = row(Scenario::Failover, "SIGTERM", Speaker::Gobgp, "GoBGP");
        report.failure(&theirs, WITHDRAWN, "no route");
        let text = render(&report);
        assert!(
            text.contains("announcer  p50 10.5 · p95 19.1 ms [1.00–20.0] n=20"),
            "{text}"
        );
        assert!(text.contains("GoBGP      failed (1 of 1)"), "{text}");
        assert!(
            !text.contains(" / "),
            "no ratio without their samples: {text}"
        );
    }
}
