//! What a benchmark run measured: samples per scenario, group, row (a
//! speaker doing one thing) and metric, the failures beside them, notes on
//! method, and the ratios of ours to theirs. Rendered as a table
//! ([`super::table`]) or as JSON ([`Report::to_json`]).

use serde::Serialize;
use serde_json::Value;

use crate::plan::{Scenario, Speaker};
use crate::stats::Summary;

/// The unit of a metric's samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Milliseconds.
    Millis,
    /// Megabytes (10⁶ bytes).
    Megabytes,
    /// Percent of one CPU core.
    PercentOfCore,
    /// A plain count.
    Count,
}

/// How a metric's samples are summarised in the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Median and min–max (few trials).
    Median,
    /// p50, p95 and min–max (many trials).
    Percentiles,
}

/// A metric: its name (a column of the table), unit and style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The column name, e.g. `start → all N`.
    pub name: &'static str,
    /// The unit of its samples.
    pub unit: Unit,
    /// How it is summarised.
    pub style: Style,
}

impl Metric {
    /// A metric summarised by its median.
    pub const fn median(name: &'static str, unit: Unit) -> Metric {
        Metric {
            name,
            unit,
            style: Style::Median,
        }
    }
}

/// A row of a table: one speaker doing one thing in one group of a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The scenario.
    pub scenario: Scenario,
    /// The group within it (one table), e.g. `N = 10,000`.
    pub group: String,
    /// The speaker.
    pub speaker: Speaker,
    /// The row's label, e.g. `announcer` or `ExaBGP SIGTERM`.
    pub label: String,
}

/// The samples of one metric in one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// The scenario.
    pub scenario: Scenario,
    /// The group (table) within the scenario.
    pub group: String,
    /// The row label.
    pub row: String,
    /// The speaker.
    pub speaker: Speaker,
    /// The metric (column) name.
    pub metric: String,
    /// The unit of the samples.
    pub unit: Unit,
    /// How the table summarises them.
    pub style: Style,
    /// One value per successful trial, in trial order.
    pub samples: Vec<f64>,
    /// Why each failed trial failed.
    pub failures: Vec<String>,
}

impl Measurement {
    /// The summary of the samples, if there are any.
    pub fn summary(&self) -> Option<Summary> {
        Summary::of(&self.samples)
    }

    /// Whether this is our speaker's row.
    pub fn ours(&self) -> bool {
        self.speaker == Speaker::Announcer
    }
}

/// The ratio of our median to theirs for one metric of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ratio {
    /// The scenario.
    pub scenario: Scenario,
    /// The group.
    pub group: String,
    /// The metric.
    pub metric: String,
    /// Our row.
    pub ours: String,
    /// Their row.
    pub theirs: String,
    /// Our median divided by theirs (below 1: ours is smaller).
    pub ratio: f64,
}

/// Facts about the run that bear on its figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Meta {
    /// When the run started, UTC (`2026-11-21 03:50 UTC`).
    pub started: String,
    /// How many CPUs the machine has.
    pub cpus: usize,
    /// The 1-, 5- and 15-minute load averages when the run started.
    pub load_at_start: String,
    /// The same when it ended.
    pub load_at_end: String,
    /// Versions of the programs involved, as (program, version).
    pub versions: Vec<(String, String)>,
    /// Other processes that were busy during the run, with their share of
    /// one core: they distort the figures.
    pub busy: Vec<String>,
    /// The plan, in words (sizes, trials, durations).
    pub plan: String,
}

/// Everything a run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    /// Facts about the run.
    pub meta: Meta,
    /// Notes on method, per scenario, in the order given.
    pub notes: Vec<(Scenario, String)>,
    /// The measurements, in the order first recorded (which is the order of
    /// the groups, rows and columns in the table).
    pub measurements: Vec<Measurement>,
}

impl Report {
    /// Records one sample of `metric` in `row`.
    pub fn sample(&mut self, row: &Row, metric: Metric, value: f64) {
        if let Some(entry) = self.entry(row, metric) {
            entry.samples.push(value);
        }
    }

    /// Records that a trial of `row` produced no `metric`, and why.
    pub fn failure(&mut self, row: &Row, metric: Metric, why: &str) {
        if let Some(entry) = self.entry(row, metric) {
            entry.failures.push(why.to_owned());
        }
    }

    /// Records one trial's `outcome` in `row`: its milliseconds as a sample of `metric`, or
    /// why it failed; and ends the trial's progress line on stderr with it.
    pub fn trial(&mut self, row: &Row, metric: Metric, outcome: &crate::Result<f64>) {
        match outcome {
            Ok(ms) => {
                eprintln!("{ms:.1} ms");
                self.sample(row, metric, *ms);
            }
            Err(e) => {
                eprintln!("failed: {}", super::table::first_line(&e.to_string()));
                self.failure(row, metric, &e.to_string());
            }
        }
    }

    /// Adds a note on method to `scenario` (once: repeats are dropped).
    pub fn note(&mut self, scenario: Scenario, text: impl Into<String>) {
        let text = text.into();
        if !self.notes.iter().any(|(s, t)| *s == scenario && *t == text) {
            self.notes.push((scenario, text));
        }
    }

    /// The measurement of `metric` in `row`, created empty if new (always
    /// `Some`).
    fn entry(&mut self, row: &Row, metric: Metric) -> Option<&mut Measurement> {
        let found = self.measurements.iter().position(|m| {
            m.scenario == row.scenario
                && m.group == row.group
                && m.row == row.label
                && m.metric == metric.name
        });
        let index = match found {
            Some(index) => index,
            None => {
                self.measurements.push(Measurement {
                    scenario: row.scenario,
                    group: row.group.clone(),
                    row: row.label.clone(),
                    speaker: row.speaker,
                    metric: metric.name.to_owned(),
                    unit: metric.unit,
                    style: metric.style,
                    samples: Vec::new(),
                    failures: Vec::new(),
                });
                self.measurements.len() - 1
            }
        };
        self.measurements.get_mut(index)
    }

    /// The ratios of our medians to theirs: for every group, every metric
    /// both rows have samples of, each of our rows against each of theirs.
    pub fn ratios(&self) -> Vec<Ratio> {
        let mut out = Vec::new();
        for ours in self.measurements.iter().filter(|m| m.ours()) {
            let Some(our) = ours.summary() else { continue };
            for theirs in self.measurements.iter().filter(|m| {
                !m.ours()
                    && m.scenario == ours.scenario
                    && m.group == ours.group
                    && m.metric == ours.metric
            }) {
                let Some(their) = theirs.summary() else {
                    continue;
                };
                if their.median > 0.0 {
                    out.push(Ratio {
                        scenario: ours.scenario,
                        group: ours.group.clone(),
                        metric: ours.metric.clone(),
                        ours: ours.row.clone(),
                        theirs: theirs.row.clone(),
                        ratio: our.median / their.median,
                    });
                }
            }
        }
        out
    }

    /// The report as JSON: `meta`, `notes` (scenario and text), `results`
    /// (each measurement with its samples, failures and summary) and
    /// `ratios`.
    pub fn to_json(&self) -> Value {
        let results: Vec<Value> = self
            .measurements
            .iter()
            .map(|m| {
                let mut value = serde_json::to_value(m).unwrap_or(Value::Null);
                if let Value::Object(map) = &mut value {
                    map.insert(
                        "summary".to_owned(),
                        serde_json::to_value(m.summary()).unwrap_or(Value::Null),
                    );
                }
                value
            })
            .collect();
        let notes: Vec<Value> = self
            .notes
            .iter()
            .map(|(scenario, text)| serde_json::json!({ "scenario": scenario, "text": text }))
            .collect();
        serde_json::json!({
            "meta": self.meta,
            "notes": notes,
            "results": results,
            "ratios": self.ratios(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{scale_row as row, TOTAL};

    #[test]
    fn samples_and_failures_land_in_one_measurement_per_row_and_metric() {
        let mut report = Report::default();
        report.sample(&row(Speaker::Announcer), TOTAL, 10.0);
        report.sample(&row(Speaker::Announcer), TOTAL, 12.0);
        report.failure(&row(Speaker::Announcer), TOTAL, "timed out");
        report.sample(&row(Speaker::Exabgp), TOTAL, 100.0);
        assert_eq!(report.measurements.len(), 2);
        let ours = &report.measurements[0];
        assert_eq!(ours.samples, vec![10.0, 12.0]);
        assert_eq!(ours.failures, vec!["timed out".to_owned()]);
        assert_eq!(ours.summary().unwrap().median, 11.0);
    }

    #[test]
    fn ratios_divide_our_median_by_theirs_within_a_group() {
        let mut report = Report::default();
        report.sample(&row(Speaker::Announcer), TOTAL, 50.0);
        report.sample(&row(Speaker::Exabgp), TOTAL, 500.0);
        report.failure(&row(Speaker::Gobgp), TOTAL, "no gobgpd");
        let mut other_group = row(Speaker::Exabgp);
        other_group.group = "N = 10,000".into();
        report.sample(&other_group, TOTAL, 5000.0);
        let ratios = report.ratios();
        assert_eq!(ratios.len(), 1, "{ratios:?}");
        assert_eq!(ratios[0].theirs, "ExaBGP");
        assert!((ratios[0].ratio - 0.1).abs() < 1e-12);
    }

    #[test]
    fn notes_are_kept_once_and_json_carries_summaries_and_ratios() {
        let mut report = Report::default();
        report.note(Scenario::Scale, "polled every 5 ms");
        report.note(Scenario::Scale, "polled every 5 ms");
        report.sample(&row(Speaker::Announcer), TOTAL, 50.0);
        report.sample(&row(Speaker::Gobgp), TOTAL, 100.0);
        assert_eq!(report.notes.len(), 1);
        let json = report.to_json();
        assert_eq!(json["results"][0]["summary"]["median"], 50.0);
        assert_eq!(json["results"][0]["speaker"], "announcer");
        assert_eq!(json["results"][1]["unit"], "millis");
        assert_eq!(json["ratios"][0]["ratio"], 0.5);
        assert_eq!(json["notes"][0]["scenario"], "scale");
    }
}
