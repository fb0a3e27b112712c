//! Checks, address events, status and the signals that stop the daemon.

use announcer_netlink::{AddressEvent, AddressEventKind, Binding};

use super::fake::{Effect, Marks};
use super::*;

#[tokio::test(start_paused = true)]
async fn a_vip_is_bound_before_it_is_announced_and_stays_bound_while_its_check_fails() {
    let lab = with_daemon(VIP_TABLE, async |d| {
        let bound = d.wait_for(0, &Effect::Bind(addr(VIP))).await;
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        assert!(bound < up, "{:#?}", d.lab.log());
        d.lab.set_healthy(false);
        let down = d.wait_for(up, &withdrawn()).await;
        d.lab.set_healthy(true);
        d.wait_for(down, &announced(Marks::Plain)).await;
    })
    .await;
    assert!(!lab.log().contains(&Effect::Unbind(addr(VIP))));
}

#[tokio::test(start_paused = true)]
async fn a_check_flips_within_an_interval_of_its_file_changing() {
    with_daemon(VIP_TABLE, async |d| {
        d.wait_for(0, &announced(Marks::Plain)).await;
        let before = tokio::time::Instant::now();
        let mark = d.lab.mark();
        d.lab.set_healthy(false);
        d.wait_for(mark, &withdrawn()).await;
        assert!(
            before.elapsed() <= INTERVAL + STEP,
            "{:?}",
            before.elapsed()
        );
    })
    .await;
}

/// Tells the daemon, as netlink would, that `vip` left `interface` (its address, or its
/// local route as `binding` says).
async fn removed_as(d: &Running<'_>, binding: Binding, interface: &str, vip: &str, prefix_len: u8) {
    let events = d.lab.world.0.borrow().events.clone();
    let event = AddressEvent {
        kind: AddressEventKind::Removed,
        interface: interface.into(),
        addr: addr(vip),
        prefix_len,
        binding,
    };
    let events = events.expect("the daemon watches");
    events.send(event).await.expect("the daemon listens");
}

#[tokio::test(start_paused = true)]
async fn an_address_removed_behind_our_back_is_withdrawn_then_bound_and_announced_again() {
    with_daemon(VIP_TABLE, async |d| {
        let up = d.wait_for(0, &announced(Marks::Plain)).await;
        d.lab.world.0.borrow_mut().bound.clear();
        removed(d, "lo", VIP, 32).await;
        let down = d.wait_for(up, &withdrawn()).await;
        let bound = d.wait_for(down, &Effect::Bind(addr(VIP))).await;
        d.wait_for(bound, &announced(Marks::Plain)).await;
    })
    .await;
}

/// [`removed_as`] an address.
async fn removed(d: &Running<'_>, interface: &str, vip: &str, prefix_len: u8) {
    removed_as(d, Binding::Address, interface, vip, prefix_len).await;
}

#[tokio::test(start_paused = true)]
async fn a_routed_vip_is_bound_as_a_local_route_and_bound_again_when_it_goes() {
    let routed = VIP_TABLE.replace("checks", "bind = \"route\"\nchecks");
    with_daemon(&routed, async |d| {
        let routed = d.wait_for(0, &Effect::Route(addr(VIP))).await;
        let up = d.wait_for(routed, &announced(Marks::Plain)).await;
        let mark = d.lab.mark();
        removed(d, "lo", VIP, 32).await;
        d.pass(INTERVAL).await;
        assert_eq!(
            d.lab.since(mark),
            Vec::new(),
            "an address event is not ours"
        );
        d.lab.world.0.borrow_mut().bound.clear();
        removed_as(d, Binding::Route, "lo", VIP, 32).await;
        let down = d.wait_for(up, &withdrawn()).await;
        let again = d.wait_for(down, &Effect::Route(addr(VIP))).await;
        d.wait_for(again, &announced(Marks::Plain)).await;
        let (Reply::Status { status, .. }, _) = d.request(Request::Status {}).await else {
            panic!("not a status reply");
        };
        assert_eq!(
            (status.vips[0].bind.as_str(), status.vips[0].bound),
            ("route", true)
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_address_event_for_another_interface_or_address_changes_nothing() {
    with_daemon(VIP_TABLE, async |d| {
        d.wait_for(0, &announced(Marks::Plain)).await;
        let mark = d.lab.mark();
        let cases = [
            ("eth0", VIP, 32),
            ("lo", "203.0.113.99/32", 32),
            ("lo", VIP, 24),
        ];
        for (interface, vip, prefix_len) in cases {
            removed(d, interface, vip, prefix_len).await;
        }
        d.pass(INTERVAL).await;
        assert_eq!(d.lab.since(mark), Vec::new());
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn status_says_why_and_to_how_many_peers_a_vip_is_announced() {
    with_daemon(VIP_TABLE, async |d| {
        d.wait_for(0, &announced(Marks::Plain)).await;
        let (Reply::Status { status, .. }, _) = d.request(Request::Status {}).await else {
            panic!("not a status reply");
        };
        let vip = &status.vips[0];
        assert!(vip.announced && vip.wanted && vip.bound, "{vip:?}");
        assert_eq!((vip.announced_to, vip.peers), (1, 1));
        assert_eq!(status.peers[0].state, "Established");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn sigterm_withdraws_through_the_sessions_shutdown_and_leaves_the_vip_bound() {
    let lab = with_daemon(VIP_TABLE, async |d| {
        d.wait_for(0, &announced(Marks::Plain)).await;
    })
    .await;
    let log = lab.log();
    let Some(Effect::Shutdown(reason)) = log.last() else {
        panic!("the last effect is not the shutdown: {log:#?}");
    };
    assert!(reason.contains("stopping (SIGTERM)"), "{reason}");
    assert!(!log.contains(&Effect::Unbind(addr(VIP))));
}

#[tokio::test(start_paused = true)]
async fn sigusr2_keeps_the_routes_and_the_next_start_sends_its_table_once_checks_decide() {
    let lab = Lab::with(Options {
        graceful_restart: true,
        ..Options::default()
    });
    lab.run(VIP_TABLE, async |d| {
        d.wait_for(0, &Effect::EndOfRibReleased).await;
        d.signal(Signal::Restart).await;
        d.wait_for(0, &Effect::ClosedForRestart).await;
    })
    .await;
    assert!(!lab.log().contains(&withdrawn()), "{:#?}", lab.log());
    let mark = lab.mark();
    lab.run(VIP_TABLE, async |d| {
        let start = Effect::SessionsStarted {
            peers: vec![addr("192.0.2.1/32")],
            restarting: true,
        };
        let started = d.wait_for(mark, &start).await;
        let up = d.wait_for(started, &announced(Marks::Plain)).await;
        d.wait_for(up, &Effect::EndOfRibReleased).await;
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn sigusr2_without_graceful_restart_is_ignored() {
    with_daemon(VIP_TABLE, async |d| {
        d.wait_for(0, &announced(Marks::Plain)).await;
        let mark = d.lab.mark();
        d.signal(Signal::Restart).await;
        d.pass(INTERVAL).await;
        assert_eq!(d.lab.since(mark), Vec::new());
    })
    .await;
}
