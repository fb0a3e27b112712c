//! `announcer withdraw` (drained or at once), `announcer announce`, and maintenance that
//! outlives the process.

use tokio::time::Instant;

use super::fake::{Effect, Marks};
use super::*;

/// The drain time of the test configuration.
const DRAIN_TIME: Duration = Duration::from_secs(2);

fn withdraw(now: bool) -> Request {
    Request::Withdraw {
        prefixes: vec![VIP.to_owned()],
        reason: Some("kernel upgrade".to_owned()),
        now,
        for_ms: None,
    }
}

fn announce() -> Request {
    Request::Announce {
        prefixes: Vec::new(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_withdrawal_drains_with_graceful_shutdown_then_withdraws_when_the_drain_time_is_over() {
    with_daemon(VIP_TABLE, async |d| {
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        let start = Instant::now();
        let (first, mut rest) = d.request(withdraw(false)).await;
        let Reply::Draining { draining_ms, .. } = first else {
            panic!("not draining: {first:?}");
        };
        assert_eq!(draining_ms, 2000);
        assert_eq!(d.lab.since(up + 1), vec![announced(Marks::Draining)]);
        let last = rest.recv().await.expect("the final reply");
        assert_eq!(start.elapsed(), DRAIN_TIME);
        assert!(
            matches!(&last, Reply::Done { message, .. } if message.contains("withdrawn")),
            "{last:?}"
        );
        assert_eq!(
            d.lab.since(up + 1),
            vec![announced(Marks::Draining), withdrawn()]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_withdrawal_now_or_with_a_zero_drain_time_withdraws_at_once() {
    for (now, drain_time) in [(true, "2s"), (false, "0s")] {
        let lab = Lab::with(Options {
            drain_time,
            ..Options::default()
        });
        lab.run(VIP_TABLE, async |d| {
            let up = d.wait_for(0, &announced(Marks::Plain)).await;
            let (reply, _) = d.request(withdraw(now)).await;
            assert!(matches!(reply, Reply::Done { .. }), "{reply:?}");
            assert_eq!(d.lab.since(up + 1), vec![withdrawn()]);
        })
        .await;
    }
}

#[tokio::test(start_paused = true)]
async fn announce_during_a_drain_ends_it_and_the_route_loses_its_drain_marks() {
    with_daemon(VIP_TABLE, async |d| {
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        let (_, mut rest) = d.request(withdraw(false)).await;
        d.pass(DRAIN_TIME / 2).await;
        let (reply, _) = d.request(announce()).await;
        assert!(matches!(reply, Reply::Done { .. }), "{reply:?}");
        let last = rest.recv().await.expect("the final reply");
        assert!(matches!(&last, Reply::Done { message, .. } if message.contains("maintenance ended during the drain")), "{last:?}");
        assert_eq!(
            d.lab.since(up + 1),
            vec![announced(Marks::Draining), announced(Marks::Plain)]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_check_failing_during_a_drain_withdraws_at_once() {
    with_daemon(VIP_TABLE, async |d| {
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        let (_, mut rest) = d.request(withdraw(false)).await;
        d.lab.set_healthy(false);
        let start = Instant::now();
        d.wait_for(up, &withdrawn()).await;
        assert!(start.elapsed() <= INTERVAL + STEP, "{:?}", start.elapsed());
        rest.recv().await.expect("the final reply");
        assert_eq!(
            d.lab.since(up + 1),
            vec![announced(Marks::Draining), withdrawn()]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn maintenance_outlives_the_process_until_announce() {
    let lab = Lab::new();
    lab.run(VIP_TABLE, async |d| {
        d.wait_for(0, &announced(Marks::Plain)).await;
        d.request(withdraw(true)).await;
    })
    .await;
    let mark = lab.mark();
    lab.run(VIP_TABLE, async |d| {
        d.wait_for(mark, &Effect::Bind(addr(VIP))).await;
        d.pass(INTERVAL * 3).await;
        assert!(
            !d.lab.since(mark).contains(&announced(Marks::Plain)),
            "{:#?}",
            d.lab.log()
        );
        let (Reply::Status { status, .. }, _) = d.request(Request::Status {}).await else {
            panic!("not a status reply");
        };
        let maintenance = status.vips[0].maintenance.as_ref().expect("in maintenance");
        assert_eq!(maintenance.reason, "kernel upgrade");
        let (reply, _) = d.request(announce()).await;
        assert!(matches!(reply, Reply::Done { .. }), "{reply:?}");
        d.wait_for(mark, &announced(Marks::Plain)).await;
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_request_naming_an_unknown_vip_changes_nothing() {
    with_daemon(VIP_TABLE, async |d| {
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        for name in ["203.0.113.99", "not-an-address"] {
            let request = Request::Withdraw {
                prefixes: vec![name.to_owned()],
                reason: None,
                now: true,
                for_ms: None,
            };
            let (reply, _) = d.request(request).await;
            assert!(matches!(reply, Reply::Failed { .. }), "{reply:?}");
        }
        assert_eq!(d.lab.since(up + 1), Vec::new());
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_maintenance_for_a_time_ends_by_itself_also_across_a_restart() {
    let for_a_minute = Request::Withdraw {
        prefixes: vec![VIP.to_owned()],
        reason: Some("short".to_owned()),
        now: true,
        for_ms: Some(60_000),
    };
    let lab = Lab::new();
    lab.run(VIP_TABLE, async |d| {
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        let start = Instant::now();
        let (reply, _) = d.request(for_a_minute).await;
        assert!(matches!(&reply, Reply::Done { message, .. } if message.contains(" until ") && message.ends_with(" UTC")), "{reply:?}");
        let (Reply::Status { status, .. }, _) = d.request(Request::Status {}).await else {
            panic!("not a status reply");
        };
        let maintenance = status.vips[0].maintenance.as_ref().expect("in maintenance");
        assert!(maintenance.until_unix.is_some(), "{maintenance:?}");
        assert!(maintenance.to_string().contains(" until "), "{maintenance}");
        d.pass(Duration::from_secs(45)).await;
        assert_eq!(d.lab.since(up + 1), vec![withdrawn()]);
        let back = d.wait_for(up + 2, &announced(Marks::Plain)).await;
        assert!(start.elapsed() >= Duration::from_secs(60), "{:?}", start.elapsed());
        assert_eq!(back, up + 2);
        let (_, _) = d.request(Request::Withdraw {
            prefixes: Vec::new(),
            reason: None,
            now: true,
            for_ms: Some(30_000),
        }).await;
    })
    .await;
    let mark = lab.mark();
    lab.run(VIP_TABLE, async |d| {
        d.wait_for(mark, &Effect::Bind(addr(VIP))).await;
        d.pass(Duration::from_secs(5)).await;
        assert!(
            !d.lab.since(mark).contains(&announced(Marks::Plain)),
            "{:#?}",
            d.lab.log()
        );
        d.wait_for(mark, &announced(Marks::Plain)).await;
    })
    .await;
}
