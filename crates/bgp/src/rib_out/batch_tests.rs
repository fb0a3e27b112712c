//! Adj-RIB-Out for a peer that does not keep up: batches, owed tables, merged refreshes,
//! and the latest desired state instead of every intermediate one.

use super::tests::{attrs, both as view, p, withdrawn};
use super::*;

/// `count` IPv4 /32s from 198.51.100.0/24.
fn routes(count: u8) -> Vec<Prefix> {
    (0..count)
        .map(|i| p(&format!("198.51.100.{i}/32")))
        .collect()
}

/// Routes announced in `updates`, with the MED they carry.
fn announced(updates: &[Update]) -> Vec<(Prefix, Option<u32>)> {
    updates
        .iter()
        .flat_map(|u| {
            let med = u.attributes.med;
            u.nlri
                .iter()
                .chain(u.attributes.mp_reach.iter().flat_map(|r| r.nlri.iter()))
                .map(move |p| (*p, med))
        })
        .collect()
}

fn end_of_ribs(updates: &[Update]) -> Vec<Family> {
    updates
        .iter()
        .filter_map(Update::end_of_rib_family)
        .collect()
}

/// A table with `routes` announced (MED 1) and already sent to the peer.
fn sent(routes: &[Prefix]) -> AdjRibOut {
    let mut rib = AdjRibOut::new();
    for r in routes {
        rib.announce(*r, attrs(1));
    }
    rib.start_table(&view());
    let _ = rib.next_updates(&view(), usize::MAX);
    assert!(!rib.has_pending());
    rib
}

#[test]
fn refresh_requests_that_arrive_before_the_table_is_sent_merge_into_one_table() {
    let all = routes(3);
    let mut rib = sent(&all);
    assert!(rib.request_refresh(Family::IPV4_UNICAST));
    for _ in 0..1000 {
        assert!(!rib.request_refresh(Family::IPV4_UNICAST));
    }
    assert!(rib.refresh_owed() && !rib.has_ready(), "owed, not started");
    rib.start_owed_refreshes();
    let (updates, _) = rib.next_updates(&view(), usize::MAX);
    let got: Vec<Prefix> = announced(&updates).into_iter().map(|(p, _)| p).collect();
    assert_eq!(got, all, "one table for 1,001 requests");
    assert!(rib.next_updates(&view(), usize::MAX).0.is_empty());
}

#[test]
fn a_refresh_requested_after_the_table_was_started_owes_another_table() {
    let mut rib = sent(&routes(3));
    assert!(rib.request_refresh(Family::IPV4_UNICAST));
    rib.start_owed_refreshes();
    let _ = rib.next_updates(&view(), 1);
    assert!(rib.request_refresh(Family::IPV4_UNICAST));
    rib.start_owed_refreshes();
    let (updates, _) = rib.next_updates(&view(), usize::MAX);
    assert_eq!(announced(&updates).len(), 3, "the whole table again");
}

#[test]
fn a_refresh_sends_only_its_family_and_no_end_of_rib() {
    let v6 = p("2001:db8::1/128");
    let mut rib = sent(&[p("198.51.100.1/32"), v6]);
    assert!(rib.request_refresh(Family::IPV6_UNICAST));
    rib.start_owed_refreshes();
    let (updates, _) = rib.next_updates(&view(), usize::MAX);
    assert_eq!(announced(&updates), vec![(v6, Some(1))]);
    assert!(end_of_ribs(&updates).is_empty());
}

#[test]
fn a_batch_takes_at_most_max_routes_and_leaves_the_rest_dirty() {
    let all = routes(10);
    let mut rib = sent(&[]);
    for r in &all {
        rib.announce(*r, attrs(1));
    }
    let mut got = Vec::new();
    let mut batches = 0;
    while rib.has_pending() && batches < 10 {
        let (updates, _) = rib.next_updates(&view(), 4);
        let batch = announced(&updates);
        assert!(batch.len() <= 4, "{batch:?}");
        got.extend(batch.into_iter().map(|(p, _)| p));
        batches += 1;
    }
    assert_eq!(batches, 3);
    assert_eq!(got, all);
}

#[test]
fn a_new_session_gets_every_route_then_end_of_rib_after_the_last_batch() {
    let mut rib = AdjRibOut::new();
    for r in routes(5) {
        rib.announce(r, attrs(1));
    }
    rib.start_table(&view());
    let (first, _) = rib.next_updates(&view(), 2);
    let (second, _) = rib.next_updates(&view(), 2);
    let (last, _) = rib.next_updates(&view(), 2);
    assert!(end_of_ribs(&first).is_empty() && end_of_ribs(&second).is_empty());
    assert_eq!(announced(&last).len(), 1);
    assert_eq!(
        end_of_ribs(&last),
        vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST]
    );
    assert!(!rib.has_pending());
}

#[test]
fn changes_while_the_peer_is_not_reading_collapse_to_the_latest_desired_state() {
    let [kept, changed, gone, back, flapped] =
        [1, 2, 3, 4, 5].map(|i| p(&format!("198.51.100.{i}/32")));
    let mut rib = sent(&[kept, changed, gone, back]);
    for med in 2..100 {
        rib.announce(changed, attrs(med));
        rib.announce(flapped, attrs(med));
        rib.withdraw(flapped);
    }
    rib.withdraw(gone);
    rib.withdraw(back);
    rib.announce(back, attrs(1));
    let (updates, _) = rib.next_updates(&view(), usize::MAX);
    assert_eq!(announced(&updates), vec![(changed, Some(99))]);
    assert_eq!(withdrawn(&updates), vec![gone]);
}

#[test]
fn a_session_going_down_forgets_the_tables_owed_to_it() {
    let mut rib = sent(&routes(2));
    rib.request_refresh(Family::IPV4_UNICAST);
    rib.start_table(&view());
    rib.session_down();
    assert!(!rib.has_pending());
    assert!(rib.next_updates(&view(), usize::MAX).0.is_empty());
}

#[test]
fn a_new_table_covers_refreshes_requested_before_it() {
    let mut rib = sent(&routes(2));
    rib.request_refresh(Family::IPV4_UNICAST);
    rib.start_table(&view());
    rib.start_owed_refreshes();
    let (updates, _) = rib.next_updates(&view(), usize::MAX);
    assert_eq!(announced(&updates).len(), 2, "sent once, not twice");
    assert!(!rib.has_pending());
}

#[test]
fn an_owed_refresh_sends_nothing_until_it_is_started() {
    let mut rib = sent(&routes(3));
    rib.request_refresh(Family::IPV4_UNICAST);
    assert!(rib.has_pending());
    assert!(rib.next_updates(&view(), usize::MAX).0.is_empty());
    assert!(rib.refresh_owed(), "still owed");
}
