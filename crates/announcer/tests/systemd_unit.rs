//! The shipped systemd unit keeps its promises: notify with a watchdog, a dedicated user
//! with only the two capabilities the daemon needs, and a read-only system.

use std::collections::BTreeMap;

const UNIT: &str = include_str!("../../../config/systemd/announcer.service");
const SYSUSERS: &str = include_str!("../../../config/systemd/announcer.sysusers.conf");

/// `[Service]` keys and their values (a key given twice keeps the last).
fn service() -> BTreeMap<&'static str, &'static str> {
    UNIT.lines()
        .skip_while(|line| line.trim() != "[Service]")
        .skip(1)
        .take_while(|line| !line.starts_with('['))
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .collect()
}

#[test]
fn the_unit_is_type_notify_with_a_watchdog() {
    let service = service();
    assert_eq!(service.get("Type"), Some(&"notify"));
    assert_eq!(service.get("NotifyAccess"), Some(&"main"));
    assert!(service.contains_key("WatchdogSec"), "{service:?}");
    assert_eq!(service.get("Restart"), Some(&"always"));
}

#[test]
fn the_daemon_runs_as_its_own_user_with_net_admin_and_net_bind_service_only() {
    let service = service();
    assert_eq!(service.get("User"), Some(&"announcer"));
    let only = "CAP_NET_ADMIN CAP_NET_BIND_SERVICE";
    assert_eq!(service.get("AmbientCapabilities"), Some(&only));
    assert_eq!(service.get("CapabilityBoundingSet"), Some(&only));
    assert_eq!(service.get("NoNewPrivileges"), Some(&"yes"));
    assert!(SYSUSERS.lines().any(|l| l.starts_with("u announcer ")));
}

#[test]
fn the_system_is_read_only_but_for_the_state_and_runtime_directories() {
    let service = service();
    for (key, value) in [
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("StateDirectory", "announcer"),
        ("RuntimeDirectory", "announcer"),
    ] {
        assert_eq!(service.get(key), Some(&value), "{key}");
    }
}
