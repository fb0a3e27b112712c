//! Exec checks hold no capability even when the daemon runs as root with every
//! capability: root regains its bounding set at exec, so the spawner empties that too.
//! Needs root: ignored by a plain `cargo test` (`sudo scripts/test` runs it); run anyway
//! without root, it fails.
//!
//! One test only: see `capabilities/mod.rs`.

mod capabilities;

use capabilities::{field, plain_child_caps, report_as, require_root, user};

#[test]
#[ignore = "needs root: scripts/test"]
fn exec_checks_of_a_root_daemon_run_without_any_capability() {
    require_root("exec_checks_of_a_root_daemon_run_without_any_capability");
    let before = plain_child_caps();
    eprintln!("a child spawned by a root thread:\n{before}");
    assert_ne!(field(&before, "CapEff"), "0000000000000000", "{before}");

    let after = report_as(None);
    eprintln!("an exec check: {}", after.detail);
    assert!(after.pass, "{after:?}");
    assert!(
        after.detail.starts_with("exit status 0: uid=0 gid=0 ")
            && after.detail.ends_with(" inh=0 prm=0 eff=0 amb=0 bnd=0"),
        "{}",
        after.detail
    );

    let after = report_as(Some(&user("nobody", 65_534)));
    eprintln!("an exec check with user = \"nobody\": {}", after.detail);
    assert!(after.pass, "{after:?}");
    assert_eq!(
        after.detail,
        "exit status 0: uid=65534 gid=65534 groups=4242,65534 inh=0 prm=0 eff=0 amb=0 bnd=0"
    );
}
