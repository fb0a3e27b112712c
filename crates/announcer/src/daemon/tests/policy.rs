//! The failure policy end to end: soft checks degrade, `on_failure = "degrade"` fails open,
//! `require = "any"` needs one passing check; status names the check that degrades.

use super::fake::{Effect, Marks};
use super::*;

/// A second file check, passing while `DIR/NAME-up` exists.
fn file_check(name: &str) -> String {
    format!("\n[[check]]\nname = \"{name}\"\ntype = \"file\"\npath = \"$DIR/{name}-up\"\ninterval = \"1s\"\nrise = 1\nfall = 1\n")
}

/// The test VIP with `keys` added to its table, and the `load` check.
fn vip_with(keys: &str) -> String {
    format!(
        "{}\n[[vip]]\nprefix = \"{VIP}\"\n{keys}\n",
        file_check("load")
    )
}

#[tokio::test(start_paused = true)]
async fn a_failing_soft_check_degrades_the_vip_and_its_recovery_restores_it() {
    with_daemon(
        &vip_with("checks = [\"web\"]\nsoft_checks = [\"load\"]"),
        async |d| {
            let load = d.lab.dir.path().join("load-up");
            d.lab.set_file(load.clone(), true);
            let up = d.wait_for(0, &announced(Marks::Plain)).await;
            d.lab.set_file(load.clone(), false);
            let degraded = d.wait_for(up, &announced(Marks::Degraded)).await;
            let (Reply::Status { status, .. }, _) = d.request(Request::Status {}).await else {
                panic!("not a status reply");
            };
            let vip = &status.vips[0];
            assert_eq!(vip.degraded.as_deref(), Some("load"), "{vip:?}");
            assert!(
                vip.announced && vip.why.starts_with("degraded: soft check load"),
                "{vip:?}"
            );
            assert!(vip.checks.iter().any(|c| c.name == "load" && c.soft));
            d.lab.set_file(load, true);
            d.wait_for(degraded, &announced(Marks::Plain)).await;
            assert!(!d.lab.log().contains(&withdrawn()), "{:#?}", d.lab.log());
        },
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn failing_open_keeps_the_vip_announced_degraded_and_maintenance_still_withdraws() {
    with_daemon(
        &vip_with("checks = [\"web\"]\non_failure = \"degrade\""),
        async |d| {
            let up = d.wait_for(0, &announced(Marks::Plain)).await;
            d.lab.set_healthy(false);
            let degraded = d.wait_for(up, &announced(Marks::Degraded)).await;
            let now = Request::Withdraw {
                prefixes: Vec::new(),
                reason: None,
                now: true,
                for_ms: None,
            };
            d.request(now).await;
            assert_eq!(d.lab.since(degraded + 1), vec![withdrawn()]);
        },
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn require_any_keeps_the_vip_while_one_check_passes() {
    with_daemon(
        &vip_with("checks = [\"web\", \"load\"]\nrequire = \"any\""),
        async |d| {
            let load = d.lab.dir.path().join("load-up");
            d.lab.set_file(load.clone(), true);
            let up = d.wait_for(0, &announced(Marks::Plain)).await;
            d.lab.set_healthy(false);
            d.pass(INTERVAL * 3).await;
            assert_eq!(d.lab.since(up + 1), Vec::<Effect>::new());
            d.lab.set_file(load, false);
            d.wait_for(up, &withdrawn()).await;
        },
    )
    .await;
}
