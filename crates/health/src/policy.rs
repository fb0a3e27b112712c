//! The rise/fall policy: pure hysteresis over probe results, no I/O and no clock.
//!
//! A check starts unhealthy, so a VIP is announced only after `rise` passes in a
//! row. Once healthy it takes `fall` failures in a row to become unhealthy again.
//! A result that agrees with the current state resets the streak toward a flip.

use std::time::Duration;

use crate::spec::CheckSpec;

/// A change of state caused by one observed result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Unhealthy → healthy: `rise` passes in a row.
    Up,
    /// Healthy → unhealthy: `fall` failures in a row.
    Down,
}

/// Rise/fall hysteresis over a sequence of pass/fail results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiseFall {
    /// Passes in a row that make an unhealthy check healthy (at least 1).
    rise: u32,
    /// Failures in a row that make a healthy check unhealthy (at least 1).
    fall: u32,
    /// The current state.
    healthy: bool,
    /// The latest result, `None` before the first one.
    last: Option<bool>,
    /// Consecutive results equal to `last`.
    streak: u32,
}

impl RiseFall {
    /// A policy that starts unhealthy with no result seen.
    ///
    /// A `rise` or `fall` of 0 is treated as 1: one result is the least that can
    /// change the state.
    pub fn new(rise: u32, fall: u32) -> Self {
        RiseFall {
            rise: rise.max(1),
            fall: fall.max(1),
            healthy: false,
            last: None,
            streak: 0,
        }
    }

    /// Records one result and returns the transition it causes, if any.
    pub fn observe(&mut self, pass: bool) -> Option<Transition> {
        self.streak = if self.last == Some(pass) {
            self.streak.saturating_add(1)
        } else {
            1
        };
        self.last = Some(pass);
        if pass && !self.healthy && self.streak >= self.rise {
            self.healthy = true;
            Some(Transition::Up)
        } else if !pass && self.healthy && self.streak >= self.fall {
            self.healthy = false;
            Some(Transition::Down)
        } else {
            None
        }
    }

    /// The current state: true once `rise` passes in a row were seen and not
    /// since undone by `fall` failures in a row.
    pub fn healthy(&self) -> bool {
        self.healthy
    }

    /// Whether the check has a verdict: healthy, or failed `fall` times in a row. Before
    /// that (no result yet, or fewer failures), a check that never rose is undecided.
    pub fn decided(&self) -> bool {
        self.healthy || (self.last == Some(false) && self.streak >= self.fall)
    }

    /// Consecutive results equal to the latest one; 0 before the first result.
    pub fn streak(&self) -> u32 {
        self.streak
    }

    /// True while the latest result disagrees with the current state, that is
    /// while a streak toward a flip is under way.
    ///
    /// Precisely: a result has been seen and it was a pass while unhealthy or a
    /// failure while healthy. At start-up this is false until the first pass
    /// (failures agree with the initial unhealthy state) and true from that pass
    /// until `rise` is reached. It is false right after a transition, since the
    /// result that caused it agrees with the new state.
    pub fn changing(&self) -> bool {
        self.last.is_some_and(|pass| pass != self.healthy)
    }

    /// Time until the next probe: `fast_interval` while [`changing`](Self::changing),
    /// `interval` otherwise.
    pub fn next_interval(&self, spec: &CheckSpec) -> Duration {
        if self.changing() {
            spec.fast_interval
        } else {
            spec.interval
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::spec::{CheckKind, FilePassIf};

    const PASS: bool = true;
    const FAIL: bool = false;

    fn feed(policy: &mut RiseFall, results: &[bool]) -> Vec<Option<Transition>> {
        results.iter().map(|&r| policy.observe(r)).collect()
    }

    fn healthy_policy(rise: u32, fall: u32) -> RiseFall {
        let mut policy = RiseFall::new(rise, fall);
        for _ in 0..rise {
            policy.observe(PASS);
        }
        assert!(policy.healthy());
        policy
    }

    fn spec() -> CheckSpec {
        let kind = CheckKind::File {
            path: PathBuf::from("/nonexistent"),
            pass_if: FilePassIf::Exists,
        };
        CheckSpec {
            fall: 3,
            ..CheckSpec::new("web", kind)
        }
    }

    #[test]
    fn a_new_policy_is_unhealthy_settled_and_has_no_streak() {
        let policy = RiseFall::new(2, 3);
        assert!(!policy.healthy());
        assert!(!policy.changing());
        assert_eq!(policy.streak(), 0);
    }

    #[test]
    fn a_verdict_is_healthy_or_fall_failures_in_a_row() {
        let mut policy = RiseFall::new(2, 3);
        let decided: Vec<bool> = [FAIL, FAIL, FAIL, PASS, PASS, FAIL]
            .iter()
            .map(|&r| {
                policy.observe(r);
                policy.decided()
            })
            .collect();
        assert_eq!(decided, [false, false, true, false, true, true]);
        assert!(!RiseFall::new(2, 3).decided());
    }

    #[test]
    fn rise_passes_in_a_row_bring_it_up_on_the_last_one() {
        let mut policy = RiseFall::new(3, 2);
        assert_eq!(
            feed(&mut policy, &[PASS, PASS, PASS]),
            [None, None, Some(Transition::Up)]
        );
        assert!(policy.healthy());
        assert_eq!(policy.streak(), 3);
    }

    #[test]
    fn fall_failures_in_a_row_bring_it_down_on_the_last_one() {
        let mut policy = healthy_policy(2, 3);
        assert_eq!(
            feed(&mut policy, &[FAIL, FAIL, FAIL]),
            [None, None, Some(Transition::Down)]
        );
        assert!(!policy.healthy());
    }

    #[test]
    fn rise_one_comes_up_on_the_first_pass() {
        let mut policy = RiseFall::new(1, 1);
        assert_eq!(policy.observe(PASS), Some(Transition::Up));
        assert!(policy.healthy());
        assert!(!policy.changing());
    }

    #[test]
    fn fall_one_goes_down_on_the_first_failure() {
        let mut policy = healthy_policy(1, 1);
        assert_eq!(policy.observe(FAIL), Some(Transition::Down));
        assert!(!policy.healthy());
        assert!(!policy.changing());
    }

    #[test]
    fn rise_one_fall_one_follows_every_change_of_result() {
        let mut policy = RiseFall::new(1, 1);
        assert_eq!(
            feed(&mut policy, &[PASS, FAIL, FAIL, PASS, FAIL]),
            [
                Some(Transition::Up),
                Some(Transition::Down),
                None,
                Some(Transition::Up),
                Some(Transition::Down)
            ]
        );
    }

    #[test]
    fn zero_rise_and_fall_behave_as_one() {
        let mut policy = RiseFall::new(0, 0);
        assert_eq!(policy.observe(PASS), Some(Transition::Up));
        assert_eq!(policy.observe(FAIL), Some(Transition::Down));
    }

    #[test]
    fn failures_at_start_up_keep_it_down_without_a_transition() {
        let mut policy = RiseFall::new(2, 2);
        assert_eq!(feed(&mut policy, &[FAIL, FAIL, FAIL]), [None, None, None]);
        assert!(!policy.healthy());
        assert_eq!(policy.streak(), 3);
    }

    #[test]
    fn alternating_results_never_bring_it_up_with_rise_two() {
        let mut policy = RiseFall::new(2, 2);
        let results: Vec<bool> = (0..20).map(|i| i % 2 == 0).collect();
        assert!(feed(&mut policy, &results).iter().all(Option::is_none));
        assert!(!policy.healthy());
    }

    #[test]
    fn alternating_results_never_bring_it_down_with_fall_two() {
        let mut policy = healthy_policy(2, 2);
        let results: Vec<bool> = (0..20).map(|i| i % 2 == 1).collect();
        assert!(feed(&mut policy, &results).iter().all(Option::is_none));
        assert!(policy.healthy());
    }

    #[test]
    fn a_failure_resets_a_rising_streak() {
        let mut policy = RiseFall::new(3, 2);
        assert_eq!(
            feed(&mut policy, &[PASS, PASS, FAIL, PASS, PASS]),
            [None, None, None, None, None]
        );
        assert!(!policy.healthy());
        assert_eq!(policy.observe(PASS), Some(Transition::Up));
    }

    #[test]
    fn a_pass_resets_a_falling_streak() {
        let mut policy = healthy_policy(2, 3);
        assert_eq!(
            feed(&mut policy, &[FAIL, FAIL, PASS, FAIL, FAIL]),
            [None, None, None, None, None]
        );
        assert!(policy.healthy());
        assert_eq!(policy.observe(FAIL), Some(Transition::Down));
    }

    #[test]
    fn passes_while_healthy_cause_no_transition() {
        let mut policy = healthy_policy(2, 2);
        assert_eq!(feed(&mut policy, &[PASS, PASS, PASS]), [None, None, None]);
        assert_eq!(policy.streak(), 5);
    }

    #[test]
    fn streak_counts_results_equal_to_the_last_one() {
        let mut policy = RiseFall::new(5, 5);
        feed(&mut policy, &[PASS, PASS, FAIL]);
        assert_eq!(policy.streak(), 1);
        feed(&mut policy, &[FAIL, FAIL]);
        assert_eq!(policy.streak(), 3);
        policy.observe(PASS);
        assert_eq!(policy.streak(), 1);
    }

    #[test]
    fn streak_saturates_instead_of_overflowing() {
        let mut policy = RiseFall::new(1, 1);
        policy.observe(PASS);
        policy.streak = u32::MAX;
        assert_eq!(policy.observe(PASS), None);
        assert_eq!(policy.streak(), u32::MAX);
    }

    #[test]
    fn a_pass_at_start_up_below_rise_is_changing() {
        let mut policy = RiseFall::new(3, 2);
        policy.observe(PASS);
        assert!(policy.changing());
        policy.observe(PASS);
        assert!(policy.changing());
        policy.observe(PASS);
        assert!(!policy.changing());
    }

    #[test]
    fn a_failure_while_healthy_below_fall_is_changing() {
        let mut policy = healthy_policy(2, 3);
        policy.observe(FAIL);
        assert!(policy.changing());
        policy.observe(FAIL);
        assert!(policy.changing());
        policy.observe(FAIL);
        assert!(!policy.changing());
    }

    #[test]
    fn a_result_agreeing_with_the_state_ends_changing() {
        let mut policy = healthy_policy(2, 3);
        policy.observe(FAIL);
        policy.observe(PASS);
        assert!(!policy.changing());
    }

    #[test]
    fn settled_checks_wait_the_normal_interval() {
        let spec = spec();
        let mut policy = RiseFall::new(spec.rise, spec.fall);
        assert_eq!(policy.next_interval(&spec), spec.interval);
        policy.observe(FAIL);
        assert_eq!(policy.next_interval(&spec), spec.interval);
    }

    #[test]
    fn changing_checks_wait_the_fast_interval() {
        let spec = spec();
        let mut policy = RiseFall::new(spec.rise, spec.fall);
        policy.observe(PASS);
        assert_eq!(policy.next_interval(&spec), spec.fast_interval);
        policy.observe(PASS);
        assert_eq!(policy.next_interval(&spec), spec.interval);
        policy.observe(FAIL);
        assert_eq!(policy.next_interval(&spec), spec.fast_interval);
    }
}
