//! The pure decision for one VIP: from what is observed (bound? checks? maintenance? a
//! drain under way?) and what the routers were told, the actions to take, in the only safe
//! order — bind before announce, withdraw before unbind — and one line saying why.

use std::fmt;

/// What is known about one VIP right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipView<'a> {
    /// The address is on its interface.
    pub bound: bool,
    /// Why binding failed, if it did.
    pub bind_error: Option<&'a str>,
    /// Its checks, in configuration order.
    pub checks: Vec<CheckView<'a>>,
    /// The operator's maintenance reason, if it is withdrawn by hand.
    pub maintenance: Option<&'a str>,
    /// The maintenance withdrawal is still draining: the route stays, marked to be avoided.
    pub draining: bool,
    /// The routers have been told to carry it.
    pub announced: bool,
    /// What they were told carries the drain marks (GRACEFUL_SHUTDOWN).
    pub announced_draining: bool,
    /// The daemon is stopping: nothing may be announced.
    pub stopping: bool,
    /// The VIP is leaving the configuration: withdrawn, then unbound if announcer bound it.
    pub removing: bool,
    /// announcer binds the address (`bind = true`), so it also unbinds it.
    pub managed: bool,
}

/// What is known about one of a VIP's checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckView<'a> {
    /// The check's name.
    pub name: &'a str,
    /// The rise/fall verdict.
    pub healthy: bool,
    /// The last probe's detail ("HTTP 500"), if any probe ran.
    pub detail: Option<&'a str>,
}

/// One step to take for a VIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Put the address on its interface.
    Bind,
    /// Tell the routers to carry the route.
    Announce,
    /// Tell the routers to carry the route marked to be avoided (RFC 8326), before it goes.
    Drain,
    /// Tell the routers to drop the route.
    Withdraw,
    /// Take the address off its interface (only once withdrawn).
    Unbind,
}

/// Why a VIP is or is not announced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// Announced: bound and every check passes.
    Announce,
    /// The daemon is stopping.
    Stopping,
    /// Removed from the configuration.
    Removed,
    /// Withdrawn by the operator.
    Maintenance(&'a str),
    /// Withdrawn by the operator, still announced marked to be avoided until the drain ends.
    Draining(&'a str),
    /// Not on its interface (yet, or any more).
    NotBound(Option<&'a str>),
    /// A check is not healthy.
    CheckFailing(&'a str, Option<&'a str>),
}

impl Verdict<'_> {
    /// Whether the routers should carry the route (draining included).
    pub fn announces(&self) -> bool {
        matches!(self, Verdict::Announce | Verdict::Draining(_))
    }
}

impl VipView<'_> {
    /// Whether the VIP should be announced, and why.
    pub fn verdict(&self) -> Verdict<'_> {
        if self.stopping {
            return Verdict::Stopping;
        }
        if self.removing {
            return Verdict::Removed;
        }
        let serving = if !self.bound {
            Verdict::NotBound(self.bind_error)
        } else {
            match self.checks.iter().find(|c| !c.healthy) {
                Some(check) => Verdict::CheckFailing(check.name, check.detail),
                None => Verdict::Announce,
            }
        };
        match self.maintenance {
            Some(reason) if self.draining && serving == Verdict::Announce => {
                Verdict::Draining(reason)
            }
            Some(reason) => Verdict::Maintenance(reason),
            None => serving,
        }
    }

    /// What to do now, in order. A drain only marks a route that is announced; it never
    /// announces one.
    pub fn plan(&self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.removing {
            if self.announced {
                actions.push(Action::Withdraw);
            }
            if self.bound && self.managed {
                actions.push(Action::Unbind);
            }
            return actions;
        }
        let verdict = self.verdict();
        let keep = match verdict {
            Verdict::Announce => true,
            Verdict::Draining(_) => self.announced,
            _ => false,
        };
        if self.announced && !keep {
            actions.push(Action::Withdraw);
        }
        if !self.bound && !self.stopping {
            actions.push(Action::Bind);
        }
        match verdict {
            Verdict::Announce if !self.announced || self.announced_draining => {
                actions.push(Action::Announce);
            }
            Verdict::Draining(_) if keep && !self.announced_draining => {
                actions.push(Action::Drain);
            }
            _ => {}
        }
        actions
    }
}

impl fmt::Display for Verdict<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Announce => f.write_str("announced: bound and all checks pass"),
            Verdict::Stopping => f.write_str("withdrawn: announcer is stopping"),
            Verdict::Removed => f.write_str("withdrawn: removed from the configuration"),
            Verdict::Maintenance(reason) => write!(f, "withdrawn: maintenance ({reason})"),
            Verdict::Draining(reason) => write!(
                f,
                "draining: maintenance ({reason}); announced with GRACEFUL_SHUTDOWN until the drain time ends"
            ),
            Verdict::NotBound(None) => f.write_str("withdrawn: not bound to its interface"),
            Verdict::NotBound(Some(error)) => write!(f, "withdrawn: cannot bind: {error}"),
            Verdict::CheckFailing(name, None) => {
                write!(f, "withdrawn: check {name} has no verdict yet")
            }
            Verdict::CheckFailing(name, Some(detail)) => {
                write!(f, "withdrawn: check {name} is failing ({detail})")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn healthy(name: &str) -> CheckView<'_> {
        CheckView {
            name,
            healthy: true,
            detail: Some("HTTP 200"),
        }
    }

    fn failing(name: &str) -> CheckView<'_> {
        CheckView {
            name,
            healthy: false,
            detail: Some("HTTP 500"),
        }
    }

    fn view() -> VipView<'static> {
        VipView {
            bound: true,
            bind_error: None,
            checks: vec![healthy("web")],
            maintenance: None,
            draining: false,
            announced: false,
            announced_draining: false,
            stopping: false,
            removing: false,
            managed: true,
        }
    }

    #[test]
    fn a_removed_vip_is_withdrawn_before_it_is_unbound() {
        let v = VipView {
            announced: true,
            removing: true,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw, Action::Unbind]);
        assert_eq!(
            v.verdict().to_string(),
            "withdrawn: removed from the configuration"
        );
    }

    #[test]
    fn a_removed_vip_announcer_does_not_bind_is_only_withdrawn() {
        let v = VipView {
            announced: true,
            removing: true,
            managed: false,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw]);
        let unannounced_unbound = VipView {
            bound: false,
            removing: true,
            ..view()
        };
        assert_eq!(unannounced_unbound.plan(), vec![]);
    }

    #[test]
    fn a_bound_vip_whose_checks_pass_is_announced() {
        assert_eq!(view().plan(), vec![Action::Announce]);
        assert_eq!(
            view().verdict().to_string(),
            "announced: bound and all checks pass"
        );
    }

    #[test]
    fn an_unbound_vip_is_bound_before_it_is_announced() {
        let v = VipView {
            bound: false,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Bind]);
    }

    #[test]
    fn a_vip_that_left_its_interface_is_withdrawn_then_rebound() {
        let v = VipView {
            bound: false,
            announced: true,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw, Action::Bind]);
    }

    #[test]
    fn any_failing_check_withdraws_and_is_named() {
        let v = VipView {
            checks: vec![healthy("web"), failing("db")],
            announced: true,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw]);
        assert_eq!(
            v.verdict().to_string(),
            "withdrawn: check db is failing (HTTP 500)"
        );
    }

    #[test]
    fn a_check_without_a_verdict_keeps_the_vip_withdrawn() {
        let v = VipView {
            checks: vec![CheckView {
                name: "web",
                healthy: false,
                detail: None,
            }],
            ..view()
        };
        assert!(v.plan().is_empty());
        assert_eq!(
            v.verdict().to_string(),
            "withdrawn: check web has no verdict yet"
        );
    }

    #[test]
    fn a_vip_without_checks_is_announced_while_bound() {
        let v = VipView {
            checks: Vec::new(),
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Announce]);
    }

    #[test]
    fn maintenance_wins_over_passing_checks_and_stays_bound() {
        let v = VipView {
            maintenance: Some("kernel upgrade"),
            announced: true,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw]);
        assert_eq!(
            v.verdict().to_string(),
            "withdrawn: maintenance (kernel upgrade)"
        );
    }

    #[test]
    fn stopping_withdraws_and_does_not_rebind() {
        let v = VipView {
            stopping: true,
            bound: false,
            announced: true,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw]);
    }

    #[test]
    fn nothing_is_done_when_observed_and_told_agree() {
        assert!(VipView {
            announced: true,
            ..view()
        }
        .plan()
        .is_empty());
        let failing_withdrawn = VipView {
            checks: vec![failing("web")],
            ..view()
        };
        assert!(failing_withdrawn.plan().is_empty());
    }

    #[test]
    fn a_bind_error_is_given_as_the_reason() {
        let v = VipView {
            bound: false,
            bind_error: Some("203.0.113.10 is on eth0"),
            ..view()
        };
        assert_eq!(
            v.verdict().to_string(),
            "withdrawn: cannot bind: 203.0.113.10 is on eth0"
        );
    }

    #[test]
    fn a_drain_marks_an_announced_vip_and_then_withdraws_it() {
        let draining = VipView {
            maintenance: Some("kernel upgrade"),
            draining: true,
            announced: true,
            ..view()
        };
        assert_eq!(draining.plan(), vec![Action::Drain]);
        assert_eq!(
            draining.verdict().to_string(),
            "draining: maintenance (kernel upgrade); announced with GRACEFUL_SHUTDOWN until the drain time ends"
        );
        let marked = VipView {
            announced_draining: true,
            ..draining.clone()
        };
        assert!(marked.plan().is_empty());
        let over = VipView {
            draining: false,
            ..marked
        };
        assert_eq!(over.plan(), vec![Action::Withdraw]);
    }

    #[test]
    fn a_drain_never_announces_a_vip_that_was_not_announced() {
        let v = VipView {
            maintenance: Some("kernel upgrade"),
            draining: true,
            ..view()
        };
        assert!(v.plan().is_empty());
    }

    #[test]
    fn a_check_failing_during_a_drain_withdraws_at_once() {
        let v = VipView {
            maintenance: Some("kernel upgrade"),
            draining: true,
            announced: true,
            announced_draining: true,
            checks: vec![failing("web")],
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Withdraw]);
    }

    #[test]
    fn the_end_of_maintenance_during_a_drain_announces_without_the_marks() {
        let v = VipView {
            draining: true,
            announced: true,
            announced_draining: true,
            ..view()
        };
        assert_eq!(v.plan(), vec![Action::Announce]);
    }
}
