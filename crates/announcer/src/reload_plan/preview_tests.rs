//! The reload preview for each kind of change, against a host where every VIP but the one
//! with `bind = false` is announced and every check passes unless a case says otherwise.

use std::sync::Arc;

use announcer_netlink::Binding;

use super::preview::{preview, Change, VipNow};
use super::tests::{config, ip, prefix, BASE};

const ANNOUNCED: VipNow = VipNow {
    announced: true,
    maintenance: false,
};

/// The preview of `BASE` with `from` replaced by `to`, every VIP announced and every
/// check passing but `failing`.
fn previewed(from: &str, to: &str, failing: &str) -> Vec<Change> {
    assert!(BASE.contains(from), "{from:?} is not in the base");
    let new = BASE.replacen(from, to, 1);
    preview(
        &config(BASE),
        &config(&new),
        |_| ANNOUNCED,
        |check| check != failing,
    )
}

const ADDRESS: Binding = Binding::Address;

fn lo() -> Arc<str> {
    Arc::from("lo")
}

#[test]
fn the_same_file_changes_nothing() {
    assert_eq!(previewed("", "", ""), Vec::new());
}

#[test]
fn each_kind_of_change_says_what_it_binds_announces_withdraws_and_resets() {
    let ten = prefix("203.0.113.10/32");
    let twelve = prefix("203.0.113.12/32");
    let new_vip = prefix("203.0.113.20/32");
    let second = ip("192.0.2.2");
    let cases: Vec<(&str, &str, &str, Vec<Change>)> = vec![
        (
            "[[vip]]\nprefix = \"203.0.113.12/32\"\n",
            "[[vip]]\nprefix = \"203.0.113.12/32\"\n\n[[vip]]\nprefix = \"203.0.113.20/32\"\nchecks = [\"web\"]\n",
            "",
            vec![Change::Bind(new_vip, lo(), ADDRESS), Change::Announce(new_vip, Vec::new())],
        ),
        (
            "[[vip]]\nprefix = \"203.0.113.12/32\"\n",
            "[[vip]]\nprefix = \"203.0.113.12/32\"\n\n[[vip]]\nprefix = \"203.0.113.20/32\"\nchecks = [\"web\"]\n",
            "web",
            vec![Change::Bind(new_vip, lo(), ADDRESS), Change::Announce(new_vip, vec!["web".into()])],
        ),
        (
            "[[vip]]\nprefix = \"203.0.113.12/32\"\n",
            "",
            "",
            vec![Change::Withdraw(twelve, "removed"), Change::Unbind(twelve, lo(), ADDRESS)],
        ),
        (
            "prefix = \"203.0.113.10/32\"\n",
            "prefix = \"203.0.113.10/32\"\ninterface = \"dummy0\"\n",
            "",
            vec![
                Change::Withdraw(ten, "moving to another interface"),
                Change::Unbind(ten, lo(), ADDRESS),
                Change::Bind(ten, Arc::from("dummy0"), ADDRESS),
                Change::Announce(ten, Vec::new()),
            ],
        ),
        (
            "checks = [\"web\"]",
            "checks = [\"web\"]\nmed = 10",
            "",
            vec![Change::Reannounce(ten)],
        ),
        (
            "checks = [\"web\"]",
            "checks = [\"db\"]",
            "db",
            vec![
                Change::Withdraw(ten, "until its checks pass"),
                Change::Announce(ten, vec!["db".into()]),
            ],
        ),
        (
            "address = \"127.0.0.1:80\"",
            "address = \"127.0.0.1:8080\"",
            "",
            vec![
                Change::RestartCheck("web".into()),
                Change::Withdraw(ten, "until its checks pass"),
                Change::Announce(ten, vec!["web".into()]),
            ],
        ),
        (
            "[[peer]]\naddress = \"192.0.2.2\"\nremote_as = 65000\n",
            "",
            "",
            vec![Change::Stop(second)],
        ),
        (
            "address = \"192.0.2.2\"\nremote_as = 65000\n",
            "address = \"192.0.2.2\"\nremote_as = 65000\nhold_time = \"30s\"\n",
            "",
            vec![Change::Reset("192.0.2.2".into(), second, "its settings changed")],
        ),
        (
            "local_as = 65001",
            "local_as = 65002",
            "",
            vec![
                Change::Reset("192.0.2.1".into(), ip("192.0.2.1"), "[bgp] changed"),
                Change::Reset("192.0.2.2".into(), second, "[bgp] changed"),
            ],
        ),
        (
            "prefix = \"203.0.113.12/32\"\n",
            "prefix = \"203.0.113.12/32\"\nbind = false\n",
            "",
            vec![Change::Release(twelve)],
        ),
        (
            "prefix = \"203.0.113.10/32\"\n",
            "prefix = \"203.0.113.10/32\"\nbind = \"route\"\n",
            "",
            vec![
                Change::Withdraw(ten, "bound another way"),
                Change::Unbind(ten, lo(), ADDRESS),
                Change::Bind(ten, lo(), Binding::Route),
                Change::Announce(ten, Vec::new()),
            ],
        ),
        (
            "[bgp]",
            "[metrics]\nlisten = \"127.0.0.1:9180\"\n\n[bgp]",
            "",
            vec![Change::NextStart("[metrics]")],
        ),
    ];
    for (from, to, failing, want) in cases {
        assert_eq!(previewed(from, to, failing), want, "{from:?} → {to:?}");
    }
}

#[test]
fn a_vip_in_maintenance_is_not_announced_by_a_reload() {
    let new = BASE.replacen("checks = [\"web\"]", "checks = [\"web\"]\nmed = 10", 1);
    let maintenance = VipNow {
        announced: false,
        maintenance: true,
    };
    let changes = preview(&config(BASE), &config(&new), |_| maintenance, |_| true);
    assert_eq!(changes, Vec::new());
}

#[test]
fn each_change_reads_as_one_line() {
    let ten = prefix("203.0.113.10/32");
    let lines = [
        (
            Change::Bind(ten, lo(), ADDRESS),
            "bind 203.0.113.10/32 on lo",
        ),
        (
            Change::Bind(ten, lo(), Binding::Route),
            "add a local route for 203.0.113.10/32 through lo",
        ),
        (
            Change::Unbind(ten, lo(), Binding::Route),
            "remove the local route for 203.0.113.10/32 through lo",
        ),
        (
            Change::Announce(ten, vec!["web".into(), "db".into()]),
            "announce 203.0.113.10/32 once web, db pass",
        ),
        (
            Change::Withdraw(ten, "removed"),
            "withdraw 203.0.113.10/32 (removed)",
        ),
        (Change::Stop(ip("2001:db8::1")), "stop session 2001:db8::1"),
    ];
    for (change, line) in lines {
        assert_eq!(change.to_string(), line);
    }
}
