//! The reconcile decision for each situation a VIP can be in.

use super::plan::*;
use crate::config::{OnFailure, Require};

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
        soft_checks: Vec::new(),
        on_failure: OnFailure::Withdraw,
        require: Require::All,
        maintenance: None,
        draining: false,
        announced: None,
        stopping: false,
        removing: false,
        managed: true,
    }
}

#[test]
fn a_removed_vip_is_withdrawn_before_it_is_unbound() {
    let v = VipView {
        announced: Some(Marking::Plain),
        removing: true,
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw, Action::Unbind]);
    assert_eq!(
        v.verdict().to_string(),
        "withdrawn: removed from the configuration"
    );
}

#[test]
fn a_removed_vip_announcer_does_not_bind_is_only_withdrawn() {
    let v = VipView {
        announced: Some(Marking::Plain),
        removing: true,
        managed: false,
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw]);
    let unannounced_unbound = VipView {
        bound: false,
        removing: true,
        ..view()
    };
    assert_eq!(plan(&unannounced_unbound).actions, vec![]);
}

#[test]
fn a_bound_vip_whose_checks_pass_is_announced() {
    assert_eq!(plan(&view()).actions, vec![Action::Announce]);
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
    assert_eq!(plan(&v).actions, vec![Action::Bind]);
}

#[test]
fn a_vip_that_left_its_interface_is_withdrawn_then_rebound() {
    let v = VipView {
        bound: false,
        announced: Some(Marking::Plain),
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw, Action::Bind]);
}

#[test]
fn any_failing_check_withdraws_and_is_named() {
    let v = VipView {
        checks: vec![healthy("web"), failing("db")],
        announced: Some(Marking::Plain),
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw]);
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
    assert!(plan(&v).actions.is_empty());
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
    assert_eq!(plan(&v).actions, vec![Action::Announce]);
}

#[test]
fn maintenance_wins_over_passing_checks_and_stays_bound() {
    let v = VipView {
        maintenance: Some("kernel upgrade"),
        announced: Some(Marking::Plain),
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw]);
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
        announced: Some(Marking::Plain),
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw]);
}

#[test]
fn nothing_is_done_when_observed_and_told_agree() {
    let announced = VipView {
        announced: Some(Marking::Plain),
        ..view()
    };
    assert!(plan(&announced).actions.is_empty());
    let failing_withdrawn = VipView {
        checks: vec![failing("web")],
        ..view()
    };
    assert!(plan(&failing_withdrawn).actions.is_empty());
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
        announced: Some(Marking::Plain),
        ..view()
    };
    assert_eq!(plan(&draining).actions, vec![Action::Drain]);
    assert_eq!(
        draining.verdict().to_string(),
        "draining: maintenance (kernel upgrade); announced with GRACEFUL_SHUTDOWN until the drain time ends"
    );
    let marked = VipView {
        announced: Some(Marking::Draining),
        ..draining.clone()
    };
    assert!(plan(&marked).actions.is_empty());
    let over = VipView {
        draining: false,
        ..marked
    };
    assert_eq!(plan(&over).actions, vec![Action::Withdraw]);
}

#[test]
fn a_drain_never_announces_a_vip_that_was_not_announced() {
    let v = VipView {
        maintenance: Some("kernel upgrade"),
        draining: true,
        ..view()
    };
    assert!(plan(&v).actions.is_empty());
}

#[test]
fn a_check_failing_during_a_drain_withdraws_at_once() {
    let v = VipView {
        maintenance: Some("kernel upgrade"),
        draining: true,
        announced: Some(Marking::Draining),
        checks: vec![failing("web")],
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Withdraw]);
}

#[test]
fn the_end_of_maintenance_during_a_drain_announces_without_the_marks() {
    let v = VipView {
        draining: true,
        announced: Some(Marking::Draining),
        ..view()
    };
    assert_eq!(plan(&v).actions, vec![Action::Announce]);
}

/// A VIP with `checks` hard and `soft` soft checks under `on_failure` and `require`,
/// announced as `announced`.
fn with_policy<'a>(
    checks: Vec<CheckView<'a>>,
    soft: Vec<CheckView<'a>>,
    policy: (OnFailure, Require),
    announced: Option<Marking>,
) -> VipView<'a> {
    VipView {
        checks,
        soft_checks: soft,
        on_failure: policy.0,
        require: policy.1,
        announced,
        ..view()
    }
}

#[test]
fn the_failure_policy_decides_between_announce_degrade_and_withdraw() {
    use Action::{Announce, Degrade, Withdraw};
    let all = (OnFailure::Withdraw, Require::All);
    let any = (OnFailure::Withdraw, Require::Any);
    let open = (OnFailure::Degrade, Require::All);
    let plain = Some(Marking::Plain);
    let degraded = Some(Marking::Degraded);
    let cases: Vec<(&str, VipView<'_>, Vec<Action>)> = vec![
        (
            "soft check failing",
            with_policy(vec![healthy("web")], vec![failing("load")], all, None),
            vec![Degrade],
        ),
        (
            "soft check fails while announced",
            with_policy(vec![healthy("web")], vec![failing("load")], all, plain),
            vec![Degrade],
        ),
        (
            "soft check back",
            with_policy(vec![healthy("web")], vec![healthy("load")], all, degraded),
            vec![Announce],
        ),
        (
            "degraded and told so",
            with_policy(vec![healthy("web")], vec![failing("load")], all, degraded),
            vec![],
        ),
        (
            "hard failing, withdraw wins over soft",
            with_policy(vec![failing("web")], vec![failing("load")], all, degraded),
            vec![Withdraw],
        ),
        (
            "hard failing, failing open",
            with_policy(vec![failing("web")], Vec::new(), open, plain),
            vec![Degrade],
        ),
        (
            "failing open before any verdict",
            with_policy(
                vec![CheckView {
                    name: "web",
                    healthy: false,
                    detail: None,
                }],
                Vec::new(),
                open,
                None,
            ),
            vec![Degrade],
        ),
        (
            "require any: one passes",
            with_policy(vec![failing("a"), healthy("b")], Vec::new(), any, None),
            vec![Announce],
        ),
        (
            "require any: none passes",
            with_policy(vec![failing("a"), failing("b")], Vec::new(), any, plain),
            vec![Withdraw],
        ),
        (
            "require all: one fails",
            with_policy(vec![failing("a"), healthy("b")], Vec::new(), all, plain),
            vec![Withdraw],
        ),
    ];
    for (case, view, actions) in cases {
        assert_eq!(plan(&view).actions, actions, "{case}");
    }
}

#[test]
fn maintenance_and_a_missing_binding_withdraw_whatever_the_policy_says() {
    let open = (OnFailure::Degrade, Require::All);
    let maintenance = VipView {
        maintenance: Some("kernel upgrade"),
        ..with_policy(
            vec![failing("web")],
            Vec::new(),
            open,
            Some(Marking::Degraded),
        )
    };
    assert_eq!(plan(&maintenance).actions, vec![Action::Withdraw]);
    let unbound = VipView {
        bound: false,
        ..with_policy(
            vec![failing("web")],
            Vec::new(),
            open,
            Some(Marking::Degraded),
        )
    };
    assert_eq!(plan(&unbound).actions, vec![Action::Withdraw, Action::Bind]);
}

#[test]
fn a_degraded_vip_drains_before_a_maintenance_withdrawal() {
    let all = (OnFailure::Withdraw, Require::All);
    let v = VipView {
        maintenance: Some("kernel upgrade"),
        draining: true,
        ..with_policy(
            vec![healthy("web")],
            vec![failing("load")],
            all,
            Some(Marking::Degraded),
        )
    };
    assert_eq!(plan(&v).actions, vec![Action::Drain]);
}

#[test]
fn a_degraded_vip_says_which_check_and_whether_it_fails_open() {
    let soft = with_policy(
        vec![healthy("web")],
        vec![failing("load")],
        (OnFailure::Withdraw, Require::All),
        None,
    );
    assert_eq!(
        soft.verdict().to_string(),
        "degraded: soft check load is failing (HTTP 500); announced with the [degraded] attributes"
    );
    let open = with_policy(
        vec![failing("web")],
        Vec::new(),
        (OnFailure::Degrade, Require::All),
        None,
    );
    assert_eq!(
        open.verdict().to_string(),
        "degraded (failing open): check web is failing (HTTP 500); announced with the [degraded] attributes"
    );
    assert!(open.verdict().announces());
}
