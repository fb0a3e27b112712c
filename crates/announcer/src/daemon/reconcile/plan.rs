//! The pure decision for one VIP: from what is observed (bound? checks? maintenance? a
//! drain under way?), its failure policy and what the routers were told, the actions to
//! take, in the only safe order — bind before announce, withdraw before unbind — and one
//! line saying why. No I/O and no clock: [`plan`] is a function of a [`VipView`].

use std::fmt;

use crate::config::{OnFailure, Require};

/// What is known about one VIP right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipView<'a> {
    /// The address is on its interface.
    pub bound: bool,
    /// Why binding failed, if it did.
    pub bind_error: Option<&'a str>,
    /// Its hard checks (`checks`), in configuration order.
    pub checks: Vec<CheckView<'a>>,
    /// Its soft checks: while one fails, it is announced degraded.
    pub soft_checks: Vec<CheckView<'a>>,
    /// What a failing hard check does.
    pub on_failure: OnFailure,
    /// How many hard checks must pass.
    pub require: Require,
    /// The operator's maintenance reason, if it is withdrawn by hand.
    pub maintenance: Option<&'a str>,
    /// The maintenance withdrawal is still draining: the route stays, marked to be avoided.
    pub draining: bool,
    /// How the routers have been told to carry it, if they have.
    pub announced: Option<Marking>,
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

/// How a route is announced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marking {
    /// With the VIP's own attributes.
    Plain,
    /// With the `[degraded]` attributes: routers prefer any healthy server.
    Degraded,
    /// With GRACEFUL_SHUTDOWN (RFC 8326), before a maintenance withdrawal.
    Draining,
}

impl<'a> CheckView<'a> {
    /// This check as the cause of a degraded VIP.
    fn failed(&self, soft: bool) -> Failed<'a> {
        Failed {
            name: self.name,
            detail: self.detail,
            soft,
        }
    }
}

/// One step to take for a VIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Put the address on its interface.
    Bind,
    /// Tell the routers to carry the route.
    Announce,
    /// Tell the routers to carry the route with the `[degraded]` attributes.
    Degrade,
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
    /// A check is not healthy (with `require = "any"`: none is healthy, the first named).
    CheckFailing(&'a str, Option<&'a str>),
    /// Announced with the `[degraded]` attributes because this check fails: a soft check,
    /// or a hard one under `on_failure = "degrade"`.
    Degraded(Failed<'a>),
}

/// The check that degrades a VIP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failed<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its last probe's detail.
    pub detail: Option<&'a str>,
    /// It is a soft check (else a hard one, failing open).
    pub soft: bool,
}

/// What to do for a VIP now, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan<'a> {
    /// The steps, in order (empty when nothing is to change).
    pub actions: Vec<Action>,
    /// Why: the line logged with each announcement or withdrawal.
    pub verdict: Verdict<'a>,
}

/// What to do now for the VIP `view` describes, in order, and why. A drain only marks a
/// route that is announced; it never announces one.
pub fn plan<'a>(view: &VipView<'a>) -> Plan<'a> {
    Plan {
        actions: view.actions(),
        verdict: view.verdict(),
    }
}

impl Verdict<'_> {
    /// Whether the routers should carry the route (degraded or draining included).
    pub fn announces(&self) -> bool {
        matches!(
            self,
            Verdict::Announce | Verdict::Degraded(_) | Verdict::Draining(_)
        )
    }
}

impl<'a> VipView<'a> {
    /// Whether the VIP should be announced, and why.
    pub fn verdict(&self) -> Verdict<'a> {
        if self.stopping {
            return Verdict::Stopping;
        }
        if self.removing {
            return Verdict::Removed;
        }
        let serving = if self.bound {
            self.health()
        } else {
            Verdict::NotBound(self.bind_error)
        };
        match self.maintenance {
            Some(reason) if self.draining && serving.announces() => Verdict::Draining(reason),
            Some(reason) => Verdict::Maintenance(reason),
            None => serving,
        }
    }

    /// What the checks and the policy say of a bound VIP.
    fn health(&self) -> Verdict<'a> {
        let failing_hard = match self.require {
            Require::All => self.checks.iter().find(|c| !c.healthy),
            Require::Any if self.checks.iter().any(|c| c.healthy) => None,
            Require::Any => self.checks.first(),
        };
        match (failing_hard, self.on_failure) {
            (Some(check), OnFailure::Withdraw) => Verdict::CheckFailing(check.name, check.detail),
            (Some(check), OnFailure::Degrade) => Verdict::Degraded(check.failed(false)),
            (None, _) => match self.soft_checks.iter().find(|c| !c.healthy) {
                Some(check) => Verdict::Degraded(check.failed(true)),
                None => Verdict::Announce,
            },
        }
    }

    /// The steps of [`plan`].
    fn actions(&self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.removing {
            if self.announced.is_some() {
                actions.push(Action::Withdraw);
            }
            if self.bound && self.managed {
                actions.push(Action::Unbind);
            }
            return actions;
        }
        let verdict = self.verdict();
        let keep = match verdict {
            Verdict::Announce | Verdict::Degraded(_) => true,
            Verdict::Draining(_) => self.announced.is_some(),
            _ => false,
        };
        if self.announced.is_some() && !keep {
            actions.push(Action::Withdraw);
        }
        if !self.bound && !self.stopping {
            actions.push(Action::Bind);
        }
        let wanted = match verdict {
            Verdict::Announce => Some((Marking::Plain, Action::Announce)),
            Verdict::Degraded(_) => Some((Marking::Degraded, Action::Degrade)),
            Verdict::Draining(_) if keep => Some((Marking::Draining, Action::Drain)),
            _ => None,
        };
        if let Some((marking, action)) = wanted {
            if self.announced != Some(marking) {
                actions.push(action);
            }
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
            Verdict::Degraded(failed) => {
                let (how, kind) = if failed.soft {
                    ("degraded", "soft check")
                } else {
                    ("degraded (failing open)", "check")
                };
                let detail = failed.detail.unwrap_or("no verdict yet");
                write!(
                    f,
                    "{how}: {kind} {} is failing ({detail}); announced with the [degraded] attributes",
                    failed.name
                )
            }
        }
    }
}
