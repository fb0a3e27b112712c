//! SIGHUP: each kind of change applied through the same steps as the reconcile, and each
//! kind of failure changing nothing, so that the next good file applies.

use super::fake::{Effect, Marks};
use super::*;

const OTHER_VIP: &str = "203.0.113.11/32";
const SECOND_PEER: &str = "192.0.2.2/32";
const THIRD_PEER: &str = "192.0.2.3/32";

fn other_vip_table() -> String {
    format!("\n[[vip]]\nprefix = \"{OTHER_VIP}\"\nchecks = [\"web\"]\n")
}

fn peer_table(address: &str) -> String {
    let address = addr(address);
    format!("\n[[peer]]\naddress = \"{address}\"\nremote_as = 65000\n")
}

fn to_all(vip: &str) -> Effect {
    Effect::Announce(Target::All, prefix(vip), Marks::Plain)
}

fn to_peer(peer: &str, vip: &str) -> Effect {
    Effect::Announce(Target::Peer(addr(peer)), prefix(vip), Marks::Plain)
}

/// The VIP's status line `(announced, peers)` as the daemon reports it.
async fn vip_status(d: &Running<'_>) -> (bool, usize) {
    let (Reply::Status { status, .. }, _) = d.request(Request::Status {}).await else {
        panic!("not a status reply");
    };
    (status.vips[0].announced, status.vips[0].peers)
}

#[tokio::test(start_paused = true)]
async fn an_added_vip_is_bound_then_announced_and_no_session_is_touched() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.reload(&(VIP_TABLE.to_owned() + &other_vip_table())).await;
        d.wait_for(mark, &to_all(OTHER_VIP)).await;
        assert_eq!(
            d.lab.since(mark),
            vec![Effect::Bind(addr(OTHER_VIP)), to_all(OTHER_VIP)]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_removed_vip_is_withdrawn_before_it_is_unbound() {
    with_daemon(&(VIP_TABLE.to_owned() + &other_vip_table()), async |d| {
        d.wait_for(0, &to_all(OTHER_VIP)).await;
        let mark = d
            .wait_for(0, &announced(Marks::Plain))
            .await
            .max(d.lab.mark());
        d.reload(VIP_TABLE).await;
        assert_eq!(
            d.lab.since(mark),
            vec![
                Effect::Withdraw(Target::All, prefix(OTHER_VIP)),
                Effect::Unbind(addr(OTHER_VIP))
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_vip_moved_to_another_interface_is_withdrawn_unbound_bound_and_announced_again() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.reload(&VIP_TABLE.replace("checks", "interface = \"dummy0\"\nchecks"))
            .await;
        d.wait_for(mark, &announced(Marks::Plain)).await;
        let moved = [
            withdrawn(),
            Effect::Unbind(addr(VIP)),
            Effect::Bind(addr(VIP)),
        ];
        assert_eq!(d.lab.since(mark)[..3], moved);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn new_attributes_are_announced_at_once_as_the_unchanged_check_keeps_its_verdict() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.reload(&(VIP_TABLE.to_owned() + "med = 10\n")).await;
        assert_eq!(d.lab.since(mark), vec![announced(Marks::Plain)]);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_changed_check_starts_afresh_and_its_vip_waits_for_it_to_rise() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.reload_edited(VIP_TABLE, "rise = 1", "rise = 2").await;
        d.wait_for(mark, &announced(Marks::Plain)).await;
        assert_eq!(
            d.lab.since(mark),
            vec![withdrawn(), announced(Marks::Plain)]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn an_added_peer_starts_alone_and_is_told_the_announced_vips() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.reload(&(VIP_TABLE.to_owned() + &peer_table(SECOND_PEER)))
            .await;
        assert_eq!(
            d.lab.since(mark),
            vec![
                Effect::PeerAdded(addr(SECOND_PEER)),
                to_peer(SECOND_PEER, VIP)
            ]
        );
        assert_eq!(vip_status(d).await, (true, 2));
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_peer_that_cannot_be_added_undoes_the_others_and_the_next_reload_applies() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        let peers = VIP_TABLE.to_owned() + &peer_table(SECOND_PEER) + &peer_table(THIRD_PEER);
        d.lab
            .world
            .0
            .borrow_mut()
            .refuse_peers
            .insert(addr(THIRD_PEER));
        d.reload(&peers).await;
        assert_eq!(
            d.lab.since(mark),
            vec![
                Effect::PeerAdded(addr(SECOND_PEER)),
                Effect::PeerRemoved(addr(SECOND_PEER))
            ]
        );
        assert_eq!(vip_status(d).await, (true, 1));
        d.lab.world.0.borrow_mut().refuse_peers.clear();
        let mark = d.lab.mark();
        d.reload(&peers).await;
        assert_eq!(
            d.lab.since(mark),
            vec![
                Effect::PeerAdded(addr(SECOND_PEER)),
                Effect::PeerAdded(addr(THIRD_PEER)),
                to_peer(SECOND_PEER, VIP),
                to_peer(THIRD_PEER, VIP)
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_changed_peer_has_its_session_reset_and_is_told_the_announced_vips() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        let held = "remote_as = 65000\nhold_time = \"30s\"";
        d.reload_edited(VIP_TABLE, "remote_as = 65000", held).await;
        let peer = "192.0.2.1/32";
        assert_eq!(
            d.lab.since(mark),
            vec![
                Effect::PeerRemoved(addr(peer)),
                Effect::PeerAdded(addr(peer)),
                to_peer(peer, VIP)
            ]
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_refused_file_or_an_unusable_listen_address_changes_nothing_and_a_good_file_then_applies()
{
    let broken = [
        (
            Options::default(),
            "\n[[vip]]\nprefix = \"not-an-address\"\n",
        ),
        (
            Options {
                bgp: "listen = \"192.0.2.200:1179\"",
                ..Options::default()
            },
            "",
        ),
    ];
    for (options, extra) in broken {
        with_daemon(VIP_TABLE, async |d| {
            let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
            let refused = VIP_TABLE.to_owned() + &other_vip_table() + extra;
            d.reload_with(options, &refused).await;
            assert_eq!(d.lab.since(mark), Vec::new(), "{extra:?}");
            assert_eq!(vip_status(d).await, (true, 1));
            d.reload(&(VIP_TABLE.to_owned() + &other_vip_table())).await;
            d.wait_for(mark, &to_all(OTHER_VIP)).await;
        })
        .await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_vip_announcer_cannot_start_binding_stays_as_it_runs() {
    let unbound = VIP_TABLE.replace("checks", "bind = false\nchecks");
    with_daemon(&unbound, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.lab.world.0.borrow_mut().refuse_bind.insert(addr(VIP));
        d.reload(VIP_TABLE).await;
        assert_eq!(d.lab.since(mark), Vec::new());
        d.lab.world.0.borrow_mut().refuse_bind.clear();
        d.reload(VIP_TABLE).await;
        assert_eq!(d.lab.since(mark), vec![Effect::Bind(addr(VIP))]);
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn switching_a_vip_to_a_local_route_withdraws_unbinds_routes_then_announces() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.reload(&VIP_TABLE.replace("checks", "bind = \"route\"\nchecks"))
            .await;
        let withdrawn = d.wait_for(mark, &withdrawn()).await;
        let unbound = d.wait_for(withdrawn, &Effect::Unbind(addr(VIP))).await;
        let routed = d.wait_for(unbound, &Effect::Route(addr(VIP))).await;
        d.wait_for(routed, &announced(Marks::Plain)).await;
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn sessions_that_cannot_start_after_a_bgp_change_start_again_as_they_ran() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.lab.world.0.borrow_mut().refuse_sessions = 1;
        let renamed = Options {
            router_id: "192.0.2.12",
            ..Options::default()
        };
        d.reload_with(renamed, VIP_TABLE).await;
        let log = d.lab.since(mark);
        assert!(matches!(log.first(), Some(Effect::Shutdown(_))), "{log:#?}");
        let restarted = Effect::SessionsStarted {
            peers: vec![addr("192.0.2.1/32")],
            restarting: false,
        };
        assert_eq!(log[1..], [restarted, announced(Marks::Plain)]);
        assert_eq!(vip_status(d).await, (true, 1));
        let mark = d.lab.mark();
        d.reload_with(renamed, VIP_TABLE).await;
        assert_eq!(d.lab.since(mark).len(), 3, "{:#?}", d.lab.since(mark));
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_reload_asked_on_the_control_socket_answers_what_changed_or_why_nothing_did() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        d.lab.write_config(&(VIP_TABLE.to_owned() + "\n[[vip]]\nprefix = 42\n"));
        let (refused, _) = d.request(Request::Reload {}).await;
        let path = d.lab.path().display().to_string();
        assert!(
            matches!(&refused, Reply::Failed { error, .. } if error.contains(&path) && error.contains("prefix")),
            "{refused:?}"
        );
        assert_eq!(d.lab.since(mark), Vec::new());
        d.lab.write_config(&(VIP_TABLE.to_owned() + &other_vip_table()));
        let (applied, _) = d.request(Request::Reload {}).await;
        assert!(
            matches!(&applied, Reply::Done { message, .. } if message.contains(OTHER_VIP)),
            "{applied:?}"
        );
        d.wait_for(mark, &to_all(OTHER_VIP)).await;
        let (again, _) = d.request(Request::Reload {}).await;
        assert!(matches!(&again, Reply::Done { message, .. } if message == "configuration unchanged"), "{again:?}");
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn a_preview_lists_what_a_reload_would_do_and_changes_nothing() {
    with_daemon(VIP_TABLE, async |d| {
        let mark = d.wait_for(0, &announced(Marks::Plain)).await + 1;
        let candidate = d.lab.dir.path().join("candidate.toml");
        let text = config_text(d.lab.dir.path(), d.lab.options, &other_vip_table());
        std::fs::write(&candidate, text).expect("the candidate file");
        let (reply, _) = d.request(Request::Preview { config: candidate }).await;
        let Reply::Done { message, .. } = reply else {
            panic!("not done: {reply:?}");
        };
        let lines: Vec<&str> = message.lines().collect();
        let want = [
            format!("withdraw {VIP} (removed)"),
            format!("unbind {VIP} from lo"),
            format!("bind {OTHER_VIP} on lo"),
            format!("announce {OTHER_VIP}"),
        ];
        assert_eq!(lines, want, "{message}");
        d.pass(INTERVAL).await;
        assert_eq!(d.lab.since(mark), Vec::new());
    })
    .await;
}
