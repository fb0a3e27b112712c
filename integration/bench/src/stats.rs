//! Summaries of a benchmark's samples: median, 95th percentile, minimum and
//! maximum. Percentiles interpolate linearly between the closest ranks (the
//! usual "type 7" definition), so the median of an even count is the mean of
//! the middle two.

use serde::Serialize;

/// What a set of samples comes to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Summary {
    /// How many samples.
    pub n: usize,
    /// The 50th percentile.
    pub median: f64,
    /// The 95th percentile.
    pub p95: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
}

impl Summary {
    /// The summary of `samples` (any order); `None` when there are none or
    /// one is not a number.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.iter().any(|s| s.is_nan()) {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        Some(Summary {
            n: sorted.len(),
            median: percentile(&sorted, 50.0)?,
            p95: percentile(&sorted, 95.0)?,
            min: *sorted.first()?,
            max: *sorted.last()?,
        })
    }
}

/// The `p`th percentile (0–100) of `sorted` (ascending), interpolating
/// linearly between the two closest ranks; `None` for no samples.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = p.clamp(0.0, 100.0) / 100.0 * last as f64;
    let below = rank.floor();
    // `rank` lies in 0..=last, so both conversions are exact and in range.
    let low = *sorted.get(below as usize)?;
    let high = *sorted.get(rank.ceil() as usize)?;
    Some(low + (high - low) * (rank - below))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_sample() {
        let summary = Summary::of(&[9.0, 1.0, 5.0]).unwrap();
        assert_eq!(summary.n, 3);
        assert_eq!(summary.median, 5.0);
        assert_eq!(summary.min, 1.0);
        assert_eq!(summary.max, 9.0);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(Summary::of(&[4.0, 1.0, 3.0, 2.0]).unwrap().median, 2.5);
    }

    #[test]
    fn the_95th_percentile_of_twenty_samples_interpolates_between_the_top_two() {
        let samples: Vec<f64> = (1..=20).map(f64::from).collect();
        let summary = Summary::of(&samples).unwrap();
        // rank 0.95 × 19 = 18.05: 19 + 0.05 × (20 − 19).
        assert!((summary.p95 - 19.05).abs() < 1e-9, "{}", summary.p95);
        assert_eq!(summary.median, 10.5);
    }

    #[test]
    fn one_sample_is_every_percentile_and_none_is_no_summary() {
        let summary = Summary::of(&[7.0]).unwrap();
        assert_eq!(
            (summary.median, summary.p95, summary.min, summary.max),
            (7.0, 7.0, 7.0, 7.0)
        );
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[1.0, f64::NAN]).is_none());
        assert_eq!(percentile(&[1.0, 3.0], 0.0), Some(1.0));
        assert_eq!(percentile(&[1.0, 3.0], 100.0), Some(3.0));
    }
}
