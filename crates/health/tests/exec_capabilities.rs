//! Exec checks hold no capability when the daemon runs as the shipped unit makes it:
//! a non-root user with CAP_NET_ADMIN and CAP_NET_BIND_SERVICE in its ambient set.
//! Needs root to shape the test thread: ignored by a plain `cargo test` (`sudo scripts/test`
//! runs it); run anyway without root, it fails.
//!
//! One test only: see `capabilities/mod.rs`.

mod capabilities;

use capabilities::{
    become_daemon, field, plain_child_caps, report_as, require_root, user, DAEMON_UID, UNIT_CAPS,
    UNIT_CAPS_WITH_SETUID,
};

#[test]
#[ignore = "needs root: scripts/test"]
fn exec_checks_of_a_daemon_with_ambient_capabilities_run_without_any() {
    require_root("exec_checks_of_a_daemon_with_ambient_capabilities_run_without_any");
    // Not given to the command (the daemon's own systemd notification socket).
    std::env::set_var("NOTIFY_SOCKET", "/run/systemd/notify");

    // The unit as shipped: no `user`.
    std::thread::spawn(|| {
        become_daemon(UNIT_CAPS);
        let before = plain_child_caps();
        eprintln!("a child spawned by the daemon's thread:\n{before}");
        assert_eq!(field(&before, "CapAmb"), "0000000000001400", "{before}");
        let after = report_as(None);
        eprintln!("an exec check: {}", after.detail);
        assert!(after.pass, "{after:?}");
        assert!(
            after.detail.starts_with(&format!(
                "exit status 0: uid={DAEMON_UID} gid={DAEMON_UID} groups={DAEMON_UID} \
                 inh=0 prm=0 eff=0 amb=0 bnd="
            )),
            "{}",
            after.detail
        );
        // Without CAP_SETUID and CAP_SETGID, `user` fails every probe, saying why.
        let refused = report_as(Some(&user("other", 65_533)));
        assert!(!refused.pass);
        assert!(
            refused.detail.starts_with(
                "cannot run as user \"other\" (uid 65533, gid 65533): Operation not permitted"
            ),
            "{}",
            refused.detail
        );
    })
    .join()
    .unwrap();

    // The unit with a drop-in granting CAP_SETUID and CAP_SETGID, and `user`.
    std::thread::spawn(|| {
        become_daemon(UNIT_CAPS_WITH_SETUID);
        let after = report_as(Some(&user("nobody", 65_534)));
        eprintln!("an exec check with user = \"nobody\": {}", after.detail);
        assert!(after.pass, "{after:?}");
        assert!(
            after.detail.starts_with(
                "exit status 0: uid=65534 gid=65534 groups=4242,65534 \
                 inh=0 prm=0 eff=0 amb=0 bnd="
            ),
            "{}",
            after.detail
        );
    })
    .join()
    .unwrap();
}
