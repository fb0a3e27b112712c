//! What the bench modules' tests share: a metric of each style, rows of the
//! scale scenario, and binaries for a plan.

use crate::plan::{Binaries, Scenario, Speaker};
use crate::report::{Metric, Row, Style, Unit};

/// A median-style metric in milliseconds.
pub const TOTAL: Metric = Metric::median("start → all N", Unit::Millis);

/// A percentile-style metric in milliseconds.
pub const WITHDRAWN: Metric = Metric {
    name: "withdrawn",
    unit: Unit::Millis,
    style: Style::Percentiles,
};

/// The row of `speaker` labelled `label` in `group` of `scenario`.
pub fn row(scenario: Scenario, group: &str, speaker: Speaker, label: &str) -> Row {
    Row {
        scenario,
        group: group.into(),
        speaker,
        label: label.into(),
    }
}

/// Binaries for a plan that is never run.
pub fn binaries() -> Binaries {
    Binaries {
        announcer: "a".into(),
        web_server: "w".into(),
        probe_loop: "p".into(),
    }
}

/// The row of `speaker`, labelled by its name, in the scale group N = 1,000.
pub fn scale_row(speaker: Speaker) -> Row {
    row(Scenario::Scale, "N = 1,000", speaker, &speaker.to_string())
}
