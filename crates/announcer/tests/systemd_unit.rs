//! The shipped systemd unit keeps its promises: notify with a watchdog, a dedicated user
//! with only the two capabilities the daemon needs, a read-only system, and enough file
//! descriptors.

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

#[test]
fn the_unit_gives_the_daemon_more_file_descriptors_than_the_default_1024() {
    let service = service();
    let limit: u64 = service
        .get("LimitNOFILE")
        .and_then(|value| value.parse().ok())
        .unwrap_or_default();
    assert!(limit >= 16_384, "LimitNOFILE={limit} in {service:?}");
}

/// The example configuration, whose file check is the documented soft-stop file.
const EXAMPLE: &str = include_str!("../../../config/announcer.toml");

/// Trees the unit hides from the daemon and its checks (PrivateTmp, ProtectHome).
const HIDDEN: [&str; 5] = ["/tmp/", "/var/tmp/", "/home/", "/root/", "/run/user/"];

#[test]
fn the_documented_soft_stop_file_is_visible_to_the_sandboxed_daemon() {
    let service = service();
    let paths: Vec<&str> = EXAMPLE
        .lines()
        .filter_map(|line| line.strip_prefix("path = \""))
        .filter_map(|rest| rest.strip_suffix('"'))
        .collect();
    assert_eq!(paths, ["/etc/announcer/drain"]);
    for path in paths {
        assert!(
            !HIDDEN.iter().any(|tree| path.starts_with(tree)),
            "{path} is hidden by the sandbox"
        );
        assert!(UNIT.contains(path), "the unit does not document {path}");
    }
    // Read-only but visible: nothing replaces or hides /etc.
    assert_eq!(service.get("ProtectSystem"), Some(&"strict"));
    for hiding in ["InaccessiblePaths", "TemporaryFileSystem", "BindPaths"] {
        assert!(!service.contains_key(hiding), "{hiding}: {service:?}");
    }
    // The daemon (group announcer) may search /etc/announcer to stat the file.
    assert!(UNIT.contains("install -d -m 0750 -o root -g announcer /etc/announcer"));
}

#[test]
fn exec_checks_can_gain_no_privilege_and_user_needs_a_documented_drop_in() {
    let service = service();
    assert_eq!(service.get("NoNewPrivileges"), Some(&"yes"));
    assert_eq!(service.get("RestrictSUIDSGID"), Some(&"yes"));
    let bounding = service.get("CapabilityBoundingSet").copied().unwrap_or("");
    assert!(!bounding.contains("CAP_SETUID"), "{bounding}");
    assert!(UNIT.contains(
        "#     AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE CAP_SETUID CAP_SETGID"
    ));
}
