//! Every topology of `integration/topologies/` brought up with the `lab`
//! runner, asserting what its README says: the multipath route and the client
//! answered by both servers (`ecmp`, `ecmp-bird`), a failing health check
//! removing its server within `fall × interval + 1 s`, `ecmp`'s BFD sessions
//! Up at the router and a frozen server (every process stopped) leaving the
//! route within [`FROZEN`] and coming back once resumed, anycast's nearest site,
//! the fail-over across sites and back, a busy site's clients moved to the other
//! site and a failure shared by every server failing open for one VIP and
//! withdrawing the other (`anycast`), and the IPv6 VIP reached over IPv6
//! (`dual-stack`).
//!
//! `lab` finds `announcer` and `web-server` beside itself (`cargo test
//! --workspace` builds them; alone: `cargo build -p announcer` first). Ignored by
//! a plain `cargo test` (needs root: `sudo scripts/test` runs it); run anyway, it
//! fails without root, the routers or `announcer`. `--nocapture` shows the
//! `measured:` figures.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use announcer_integration::preflight;
use announcer_integration::routers::RouterKind;
use announcer_integration::topology_tests::{expect_answers, RunningTopology};
use announcer_integration::wait::{holds_for, POLL};
use announcer_integration::{Error, Result};

const LAB: &str = preflight::LAB;
/// The IPv4 VIP of every topology.
const VIP4: &str = "203.0.113.10/32";
/// `anycast`'s VIP that is withdrawn, not degraded, when its check fails.
const VIP4_WITHDRAWN: &str = "203.0.113.11/32";
/// The IPv6 VIP of `dual-stack`.
const VIP6: &str = "2001:db8:100::10/128";
/// The web servers' HTTP port.
const HTTP: u16 = 80;
/// How long a topology may take from `lab up` to every route installed.
const SETTLE: Duration = Duration::from_secs(30);
/// The announcers' check: `fall × interval + 1 s` (2 × 500 ms + 1 s).
const FAILOVER: Duration = Duration::from_millis(2 * 500 + 1000);
/// BFD at 100 ms × 3 detects a frozen server in 300 ms; FRR's route update
/// adds about 75 ms (LAB-NOTES measured 319–377 ms). Hold-time expiry would
/// take 9 s.
const FROZEN: Duration = Duration::from_millis(1500);
/// Requests per tally: enough for the L4 hash to pick both servers.
const REQUESTS: usize = 40;

/// The address `192.0.2.<host>`, where each topology numbers its nodes.
fn v4(host: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(192, 0, 2, host))
}

/// The address `2001:db8:<link>::<host>` of dual-stack's links.
fn v6(link: u16, host: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, link, 0, 0, 0, 0, host))
}

fn vip4() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(203, 0, 113, 10), HTTP))
}

/// `ecmp` and `ecmp-bird`: one multipath route via web1 (192.0.2.2) and
/// web2 (192.0.2.6); the client answered by both; web1's failing check
/// leaves web2 alone within [`FAILOVER`]; recovery restores both. With
/// `bfd` (FRR's bfdd): both BFD sessions Up, and web1 frozen leaves web2
/// alone within [`FROZEN`]; resumed, web1 and its BFD session come back.
fn ecmp(name: &str, router: RouterKind, bfd: bool, test: &str) -> Result<()> {
    let Some(lab) = RunningTopology::up(LAB, name, router, test)? else {
        return Ok(());
    };
    lab.run(|lab| {
        let both = [v4(2), v4(6)];
        let settled = lab.wait_next_hops("rtr", VIP4, &both, Instant::now(), SETTLE)?;
        println!("measured: {name}: multipath route via both servers {settled:?} after lab up");
        if bfd {
            let up = lab.wait_bfd_up("rtr", &both, Instant::now(), SETTLE)?;
            println!("measured: {name}: both BFD sessions up {up:?} after the route");
        }
        let tally = lab.client_gets("client", vip4(), REQUESTS)?;
        println!("measured: {name}: client answers {:?}", tally.answers);
        expect_answers(&tally, &["web1", "web2"], true)?;

        let start = Instant::now();
        lab.set_healthy("web1", false)?;
        let moved = lab.wait_next_hops("rtr", VIP4, &[v4(6)], start, FAILOVER)?;
        println!("measured: {name}: web1 unhealthy -> route via web2 only in {moved:?}");
        expect_answers(&lab.client_gets("client", vip4(), 10)?, &["web2"], true)?;

        let start = Instant::now();
        lab.set_healthy("web1", true)?;
        let back = lab.wait_next_hops("rtr", VIP4, &both, start, FAILOVER)?;
        println!("measured: {name}: web1 healthy again -> both next hops in {back:?}");
        if bfd {
            frozen_server_leaves_and_returns(name, lab)?;
        }
        Ok(())
    })
}

/// web1 frozen: route via web2 only within [`FROZEN`] and the client
/// answered by web2; resumed: both next hops and both BFD sessions back.
fn frozen_server_leaves_and_returns(name: &str, lab: &RunningTopology) -> Result<()> {
    let both = [v4(2), v4(6)];
    let start = Instant::now();
    let frozen = lab.freeze("web1")?;
    let gone = lab.wait_next_hops("rtr", VIP4, &[v4(6)], start, FROZEN)?;
    println!(
        "measured: {name}: web1 frozen ({} processes stopped) -> route via web2 only in {gone:?}",
        frozen.pids().len()
    );
    expect_answers(&lab.client_gets("client", vip4(), 10)?, &["web2"], true)?;
    let start = Instant::now();
    frozen.resume();
    let back = lab.wait_next_hops("rtr", VIP4, &both, start, SETTLE)?;
    let up = lab.wait_bfd_up("rtr", &both, start, SETTLE)?;
    println!("measured: {name}: web1 resumed -> both next hops in {back:?}, BFD up in {up:?}");
    Ok(())
}

#[test]
#[ignore = "needs root: scripts/test"]
fn ecmp_spreads_the_vip_over_both_servers_and_drops_a_failing_one() -> Result<()> {
    ecmp(
        "ecmp",
        RouterKind::Frr,
        true,
        "topologies::ecmp_spreads_the_vip_over_both_servers_and_drops_a_failing_one",
    )
}

#[test]
#[ignore = "needs root: scripts/test"]
fn ecmp_bird_spreads_the_vip_over_both_servers_and_drops_a_failing_one() -> Result<()> {
    ecmp(
        "ecmp-bird",
        RouterKind::Bird,
        false,
        "topologies::ecmp_bird_spreads_the_vip_over_both_servers_and_drops_a_failing_one",
    )
}

/// `anycast`: each client is served by its own site; with web1 failing and
/// web2 withdrawn, edge1 routes the VIP to the core and client1 reaches
/// site 2; with both back, client1 returns to site 1.
#[test]
#[ignore = "needs root: scripts/test"]
fn anycast_serves_each_client_from_its_site_and_fails_over_across_sites() -> Result<()> {
    let test = "topologies::anycast_serves_each_client_from_its_site_and_fails_over_across_sites";
    let Some(lab) = RunningTopology::up(LAB, "anycast", RouterKind::Bird, test)? else {
        return Ok(());
    };
    lab.run(|lab| {
        let site1 = [v4(2), v4(6)];
        let site2 = [v4(10), v4(14)];
        let start = Instant::now();
        lab.wait_next_hops("edge1", VIP4, &site1, start, SETTLE)?;
        lab.wait_next_hops("edge2", VIP4, &site2, start, SETTLE)?;
        let settled = lab.wait_next_hops("core", VIP4, &[v4(18), v4(22)], start, SETTLE)?;
        println!(
            "measured: anycast: both sites routed, also by the core, {settled:?} after lab up"
        );
        expect_answers(
            &lab.client_gets("client1", vip4(), REQUESTS)?,
            &["web1", "web2"],
            false,
        )?;
        expect_answers(
            &lab.client_gets("client2", vip4(), REQUESTS)?,
            &["web3", "web4"],
            false,
        )?;

        let start = Instant::now();
        lab.set_healthy("web1", false)?;
        lab.exec(
            "web2",
            &["announcer", "withdraw", "--reason", "site 1 drained"],
        )?;
        let site2_via_core: (&[IpAddr], &[&str]) = (&[v4(17)], &["web3", "web4"]);
        client1_served(lab, "site 1 out", site2_via_core, (start, SETTLE))?;

        let start = Instant::now();
        lab.set_healthy("web1", true)?;
        lab.exec("web2", &["announcer", "announce"])?;
        client1_served(
            lab,
            "site 1 back",
            (&site1, &["web1", "web2"]),
            (start, SETTLE),
        )?;
        a_busy_site_sends_its_clients_to_the_other(lab)?;
        a_shared_failure_fails_open_or_withdraws_as_configured(lab)
    })
}

/// `anycast` after `event` at `start`: edge1 routes the VIP via `hops` within `limit`
/// (printed as measured), and client1 is answered by `servers`.
fn client1_served(
    lab: &RunningTopology,
    event: &str,
    (hops, servers): (&[IpAddr], &[&str]),
    (start, limit): (Instant, Duration),
) -> Result<()> {
    let took = lab.wait_next_hops("edge1", VIP4, hops, start, limit)?;
    println!("measured: anycast: {event} -> edge1 routes via {hops:?} in {took:?}");
    expect_answers(
        &lab.client_gets("client1", vip4(), REQUESTS)?,
        servers,
        false,
    )
}

/// `anycast`: web1 and web2 busy (their soft check fails): site 1 still
/// announces the VIP, with 3 extra ASes, so edge1 prefers site 2's route via
/// the core and client1 is served by site 2; no longer busy, site 1 again.
fn a_busy_site_sends_its_clients_to_the_other(lab: &RunningTopology) -> Result<()> {
    let site1 = [v4(2), v4(6)];
    let start = Instant::now();
    for node in ["web1", "web2"] {
        lab.set_busy(node, true)?;
    }
    let site2_via_core: (&[IpAddr], &[&str]) = (&[v4(17)], &["web3", "web4"]);
    client1_served(lab, "site 1 busy", site2_via_core, (start, FAILOVER))?;
    let start = Instant::now();
    for node in ["web1", "web2"] {
        lab.set_busy(node, false)?;
    }
    lab.wait_next_hops("edge1", VIP4, &site1, start, SETTLE)?;
    Ok(())
}

/// `anycast`: every server's health check fails at once. 203.0.113.10
/// (`on_failure = "degrade"`) never leaves any router: each edge keeps its own
/// site's (degraded) servers and each client is still served by its site.
/// 203.0.113.11 (withdrawn on failure) vanishes from every router. Healthy
/// again, both return.
fn a_shared_failure_fails_open_or_withdraws_as_configured(lab: &RunningTopology) -> Result<()> {
    let webs = ["web1", "web2", "web3", "web4"];
    let (site1, site2) = ([v4(2), v4(6)], [v4(10), v4(14)]);
    let routers = ["edge1", "edge2", "core"];
    let start = Instant::now();
    for node in webs {
        lab.set_healthy(node, false)?;
    }
    let mut gone: [Option<Duration>; 3] = [None; 3];
    holds_for("203.0.113.10 at every router", FAILOVER, POLL / 4, || {
        for (router, gone) in routers.iter().zip(gone.iter_mut()) {
            match lab.next_hops(router, VIP4) {
                Ok(hops) if !hops.is_empty() => {}
                other => return Err(format!("{router}: {other:?}")),
            }
            if gone.is_none()
                && lab
                    .next_hops(router, VIP4_WITHDRAWN)
                    .is_ok_and(|h| h.is_empty())
            {
                *gone = Some(start.elapsed());
            }
        }
        Ok(())
    })?;
    for (router, gone) in routers.iter().zip(gone) {
        let gone = match gone {
            Some(gone) => gone,
            None => lab.wait_next_hops(router, VIP4_WITHDRAWN, &[], start, FAILOVER)?,
        };
        println!("measured: anycast: every server failing -> {VIP4_WITHDRAWN} gone at {router} in {gone:?}");
    }
    lab.wait_next_hops("edge1", VIP4, &site1, start, FAILOVER)?;
    lab.wait_next_hops("edge2", VIP4, &site2, start, FAILOVER)?;
    for (client, servers) in [("client1", ["web1", "web2"]), ("client2", ["web3", "web4"])] {
        expect_answers(&lab.client_gets(client, vip4(), REQUESTS)?, &servers, false)?;
    }
    let status = lab.exec("web1", &["announcer", "status"])?;
    if !status.contains("failing open") {
        return Err(Error::Check(format!(
            "web1 does not say it fails open: {status}"
        )));
    }
    let start = Instant::now();
    for node in webs {
        lab.set_healthy(node, true)?;
    }
    lab.wait_next_hops("edge1", VIP4_WITHDRAWN, &site1, start, SETTLE)?;
    lab.wait_next_hops("edge2", VIP4_WITHDRAWN, &site2, start, SETTLE)?;
    Ok(())
}

/// `dual-stack`: both VIPs routed via both servers (IPv4 over the IPv4
/// sessions, IPv6 over the IPv6 sessions) and the client answered by both
/// servers on the IPv6 VIP over IPv6 and on the IPv4 VIP.
#[test]
#[ignore = "needs root: scripts/test"]
fn dual_stack_routes_both_vips_and_serves_the_ipv6_vip_over_ipv6() -> Result<()> {
    let test = "topologies::dual_stack_routes_both_vips_and_serves_the_ipv6_vip_over_ipv6";
    let Some(lab) = RunningTopology::up(LAB, "dual-stack", RouterKind::Frr, test)? else {
        return Ok(());
    };
    lab.run(|lab| {
        let start = Instant::now();
        lab.wait_next_hops("rtr", VIP4, &[v4(2), v4(6)], start, SETTLE)?;
        let settled = lab.wait_next_hops("rtr", VIP6, &[v6(1, 2), v6(2, 2)], start, SETTLE)?;
        println!("measured: dual-stack: both VIPs routed {settled:?} after lab up");
        let vip6 = SocketAddr::from((Ipv6Addr::new(0x2001, 0xdb8, 0x100, 0, 0, 0, 0, 0x10), HTTP));
        let tally = lab.client_gets("client", vip6, REQUESTS)?;
        println!(
            "measured: dual-stack: client answers over IPv6 {:?}",
            tally.answers
        );
        expect_answers(&tally, &["web1", "web2"], true)?;
        expect_answers(
            &lab.client_gets("client", vip4(), REQUESTS)?,
            &["web1", "web2"],
            true,
        )
    })
}
