//! The Adj-RIB-Out of one peer: the routes we want it to have, what it has been sent, and
//! how changes become as few UPDATEs as fit in 4,096 bytes (RFC 4271 §9.2).
//!
//! Pure: no I/O. Invariant: after [`AdjRibOut::pending_updates`] or [`AdjRibOut::full_table`]
//! the peer has been sent exactly `desired`; nothing is sent for a change that cancels out.
//!
//! A peer that does not keep up is sent the latest desired state, not every intermediate
//! one: the driver takes UPDATEs in batches with [`AdjRibOut::next_updates`] only while the
//! connection has room, and meanwhile changes only mark their prefixes dirty. A ROUTE-REFRESH
//! ([`AdjRibOut::request_refresh`]) only marks its family owed, and the driver starts owed
//! tables ([`AdjRibOut::start_owed_refreshes`]) only once the connection has written what
//! it had, so requests that arrive meanwhile merge into one; a new session's table
//! ([`AdjRibOut::start_table`]) owes an End-of-RIB per family once everything dirty is sent.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use crate::types::{Asn, Family, Prefix};
use crate::wire::{
    AsPath, Community, LargeCommunity, MpNextHop, MpReach, MpUnreach, Origin, PathAttributes,
    Update, WireContext, MAX_MESSAGE_LEN,
};

/// The attributes the daemon chooses for one announced route.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteAttributes {
    /// ORIGIN; IGP for a service address.
    pub origin: Origin,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF, sent to iBGP peers only (100 when unset).
    pub local_pref: Option<u32>,
    /// Standard communities (RFC 1997).
    pub communities: Vec<Community>,
    /// Large communities (RFC 8092).
    pub large_communities: Vec<LargeCommunity>,
    /// How many extra times our AS is prepended on eBGP sessions.
    pub as_path_prepend: u8,
    /// A next hop for this route, instead of the session's.
    pub next_hop: Option<IpAddr>,
}

impl Default for RouteAttributes {
    fn default() -> Self {
        RouteAttributes {
            origin: Origin::Igp,
            med: None,
            local_pref: None,
            communities: Vec::new(),
            large_communities: Vec::new(),
            as_path_prepend: 0,
            next_hop: None,
        }
    }
}

/// What an established session decides about the attributes we send on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionView {
    /// Our AS.
    pub local_as: Asn,
    /// The peer is in our AS: empty AS_PATH and LOCAL_PREF (RFC 4271 §5.1.2, §5.1.5).
    pub ibgp: bool,
    /// Next hop for IPv4 routes: configured, or our end of the session.
    pub next_hop_v4: Option<Ipv4Addr>,
    /// Next hop for IPv6 routes: configured, or our end of the session.
    pub next_hop_v6: Option<Ipv6Addr>,
    /// The negotiated codec context (families, AS width).
    pub wire: WireContext,
}

/// Routes the session could not carry, returned so the driver can log them once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Unsendable {
    /// Routes of a family the peer did not negotiate.
    pub family_not_negotiated: Vec<Prefix>,
    /// Routes with no next hop of their family (no address of that family on the session
    /// and none configured).
    pub no_next_hop: Vec<Prefix>,
}

/// The Adj-RIB-Out of one peer.
#[derive(Debug, Default)]
pub struct AdjRibOut {
    desired: BTreeMap<Prefix, Arc<RouteAttributes>>,
    advertised: HashMap<Prefix, Arc<RouteAttributes>>,
    dirty: BTreeSet<Prefix>,
    /// Families whose whole table a ROUTE-REFRESH asked for, not yet marked dirty: one table
    /// per family however many requests arrive before it is sent.
    refresh_owed: BTreeSet<Family>,
    /// Families whose End-of-RIB (RFC 4724 §2) follows once nothing is dirty.
    end_of_rib_owed: BTreeSet<Family>,
    /// End-of-RIB waits for [`AdjRibOut::release_end_of_rib`]: the first table is still
    /// being decided, and a peer that kept our routes across a restart drops those still
    /// missing at End-of-RIB. Routes are sent meanwhile.
    end_of_rib_held: bool,
}

impl AdjRibOut {
    /// An empty table.
    pub fn new() -> Self {
        AdjRibOut::default()
    }

    /// Wants `prefix` announced with `attributes`. Returns false when that is already so.
    pub fn announce(&mut self, prefix: Prefix, attributes: Arc<RouteAttributes>) -> bool {
        if self.desired.get(&prefix) == Some(&attributes) {
            return false;
        }
        self.desired.insert(prefix, attributes);
        self.dirty.insert(prefix);
        true
    }

    /// Wants `prefix` withdrawn. Returns false when it was not announced.
    pub fn withdraw(&mut self, prefix: Prefix) -> bool {
        if self.desired.remove(&prefix).is_none() {
            return false;
        }
        self.dirty.insert(prefix);
        true
    }

    /// Wants every route withdrawn (before a clean shutdown).
    pub fn withdraw_all(&mut self) {
        self.dirty.extend(self.desired.keys().copied());
        self.desired.clear();
    }

    /// How many routes the peer has been sent and not withdrawn.
    pub fn advertised_len(&self) -> usize {
        self.advertised.len()
    }

    /// True when changes, a refreshed table or an End-of-RIB wait to be sent (a held
    /// End-of-RIB does not count).
    pub fn has_pending(&self) -> bool {
        !self.dirty.is_empty() || !self.refresh_owed.is_empty() || self.end_of_rib_ready()
    }

    /// Holds End-of-RIB until [`AdjRibOut::release_end_of_rib`]; routes still go out.
    pub fn hold_end_of_rib(&mut self) {
        self.end_of_rib_held = true;
    }

    /// Lets End-of-RIB follow the table, now or once the table has been sent.
    pub fn release_end_of_rib(&mut self) {
        self.end_of_rib_held = false;
    }

    /// Whether End-of-RIB is held.
    pub fn end_of_rib_held(&self) -> bool {
        self.end_of_rib_held
    }

    /// An End-of-RIB is owed and not held.
    fn end_of_rib_ready(&self) -> bool {
        !self.end_of_rib_held && !self.end_of_rib_owed.is_empty()
    }

    /// The session went down: the peer has nothing from us any more, and is owed nothing.
    pub fn session_down(&mut self) {
        self.advertised.clear();
        self.dirty.clear();
        self.refresh_owed.clear();
        self.end_of_rib_owed.clear();
    }

    /// An upper bound on the routes still to be sent: the dirty ones plus, for owed
    /// refreshes, every desired one.
    pub fn pending_bound(&self) -> usize {
        let refresh = if self.refresh_owed.is_empty() {
            0
        } else {
            self.desired.len()
        };
        self.dirty.len().saturating_add(refresh)
    }

    /// The peer asked for our routes of `family` again (RFC 2918). Returns false when a
    /// table of that family is already owed and not yet started: the request merges into it.
    pub fn request_refresh(&mut self, family: Family) -> bool {
        self.refresh_owed.insert(family)
    }

    /// A new session: every desired route is owed, then End-of-RIB for each negotiated
    /// family (RFC 4724 §2). Earlier refresh requests are covered by it.
    pub fn start_table(&mut self, view: &SessionView) {
        self.advertised.clear();
        self.refresh_owed.clear();
        self.dirty.extend(self.desired.keys().copied());
        self.end_of_rib_owed = view.wire.families.iter().copied().collect();
    }

    /// True when a ROUTE-REFRESH is owed and its table not started.
    pub fn refresh_owed(&self) -> bool {
        !self.refresh_owed.is_empty()
    }

    /// Starts the tables owed to ROUTE-REFRESH requests: every desired route of those
    /// families is to be sent again. The driver calls this only once what it queued
    /// before has been written, so requests that arrive meanwhile merge into one table.
    pub fn start_owed_refreshes(&mut self) {
        for family in std::mem::take(&mut self.refresh_owed) {
            self.mark_family(family);
        }
    }

    /// True when [`AdjRibOut::next_updates`] has something to send now: dirty routes or an
    /// End-of-RIB not held (not an owed refresh that is not started).
    pub fn has_ready(&self) -> bool {
        !self.dirty.is_empty() || self.end_of_rib_ready()
    }

    /// The next batch for the peer: at most `max_routes` dirty routes (in prefix order)
    /// packed into UPDATEs and counted as sent; the rest stay dirty for the next call. Once
    /// nothing is dirty, the End-of-RIBs owed follow, unless held. Empty when nothing is
    /// ready.
    pub fn next_updates(
        &mut self,
        view: &SessionView,
        max_routes: usize,
    ) -> (Vec<Update>, Unsendable) {
        let batch: Vec<Prefix> = self.dirty.iter().take(max_routes).copied().collect();
        for prefix in &batch {
            self.dirty.remove(prefix);
        }
        let (mut updates, unsendable) = self.updates_for(view, batch);
        if self.dirty.is_empty() && !self.end_of_rib_held {
            let families = std::mem::take(&mut self.end_of_rib_owed);
            updates.extend(families.into_iter().map(Update::end_of_rib));
        }
        (updates, unsendable)
    }

    /// Marks every desired route of `family` to be sent again.
    fn mark_family(&mut self, family: Family) {
        let selected = self.desired.keys().filter(|p| p.family() == family);
        for p in selected {
            self.advertised.remove(p);
            self.dirty.insert(*p);
        }
    }

    /// Every desired route for a new session (or a ROUTE-REFRESH of `only`), followed by
    /// End-of-RIB for each negotiated family on a new session (RFC 4724 §2).
    pub fn full_table(
        &mut self,
        view: &SessionView,
        only: Option<Family>,
    ) -> (Vec<Update>, Unsendable) {
        let selected: Vec<Prefix> = self
            .desired
            .keys()
            .filter(|p| only.is_none_or(|f| p.family() == f))
            .copied()
            .collect();
        for p in &selected {
            self.advertised.remove(p);
            self.dirty.insert(*p);
        }
        let (mut updates, unsendable) = self.pending_updates(view);
        if only.is_none() {
            updates.extend(view.wire.families.iter().map(|f| Update::end_of_rib(*f)));
        }
        (updates, unsendable)
    }

    /// UPDATEs that bring the peer from what it was sent to what we want, packed.
    pub fn pending_updates(&mut self, view: &SessionView) -> (Vec<Update>, Unsendable) {
        let dirty = std::mem::take(&mut self.dirty);
        self.updates_for(view, dirty)
    }

    /// UPDATEs that bring the peer to what we want for `prefixes`, packed; those prefixes
    /// count as sent.
    fn updates_for(
        &mut self,
        view: &SessionView,
        prefixes: impl IntoIterator<Item = Prefix>,
    ) -> (Vec<Update>, Unsendable) {
        let mut unsendable = Unsendable::default();
        let mut withdrawals: BTreeMap<Family, Vec<Prefix>> = BTreeMap::new();
        let mut announcements: HashMap<(Family, Arc<RouteAttributes>), Vec<Prefix>> =
            HashMap::new();
        for prefix in prefixes {
            let family = prefix.family();
            match self.desired.get(&prefix) {
                Some(attrs) if self.advertised.get(&prefix) == Some(attrs) => {}
                Some(attrs) => {
                    if !view.wire.families.contains(&family) {
                        unsendable.family_not_negotiated.push(prefix);
                    } else if next_hop(view, attrs, family).is_none() {
                        unsendable.no_next_hop.push(prefix);
                    } else {
                        self.advertised.insert(prefix, Arc::clone(attrs));
                        announcements
                            .entry((family, Arc::clone(attrs)))
                            .or_default()
                            .push(prefix);
                    }
                }
                None => {
                    if self.advertised.remove(&prefix).is_some() {
                        withdrawals.entry(family).or_default().push(prefix);
                    }
                }
            }
        }
        let mut updates = Vec::new();
        for (family, prefixes) in withdrawals {
            let template = withdrawal_template(family);
            pack(
                &mut updates,
                &view.wire,
                &template,
                &prefixes,
                set_withdrawn,
            );
        }
        let mut groups: Vec<_> = announcements.into_iter().collect();
        groups.sort_by(|a, b| a.1.first().cmp(&b.1.first()));
        for ((family, attrs), prefixes) in groups {
            let template = announcement_template(view, &attrs, family);
            pack(
                &mut updates,
                &view.wire,
                &template,
                &prefixes,
                set_announced,
            );
        }
        (updates, unsendable)
    }
}

/// The next hop a route is sent with on this session, if there is one.
fn next_hop(view: &SessionView, attrs: &RouteAttributes, family: Family) -> Option<IpAddr> {
    match (family == Family::IPV4_UNICAST, attrs.next_hop) {
        (true, Some(nh @ IpAddr::V4(_))) | (false, Some(nh @ IpAddr::V6(_))) => Some(nh),
        (true, _) => view.next_hop_v4.map(IpAddr::V4),
        (false, _) => view.next_hop_v6.map(IpAddr::V6),
    }
}

/// An UPDATE with the attributes for `attrs` on this session and no routes yet.
fn announcement_template(view: &SessionView, attrs: &RouteAttributes, family: Family) -> Update {
    let as_path = if view.ibgp {
        AsPath::default()
    } else {
        AsPath::sequence(vec![view.local_as; 1 + usize::from(attrs.as_path_prepend)])
    };
    let mut attributes = PathAttributes {
        origin: Some(attrs.origin),
        as_path: Some(as_path),
        med: attrs.med,
        local_pref: view.ibgp.then_some(attrs.local_pref.unwrap_or(100)),
        communities: attrs.communities.clone(),
        large_communities: attrs.large_communities.clone(),
        ..PathAttributes::default()
    };
    match next_hop(view, attrs, family) {
        Some(IpAddr::V4(nh)) => attributes.next_hop = Some(nh),
        Some(IpAddr::V6(global)) => {
            attributes.mp_reach = Some(MpReach {
                family,
                next_hop: MpNextHop::V6 {
                    global,
                    link_local: None,
                },
                nlri: Vec::new(),
            });
        }
        None => {}
    }
    Update {
        attributes,
        ..Update::default()
    }
}

/// An UPDATE that withdraws routes of `family` and has none yet.
fn withdrawal_template(family: Family) -> Update {
    if family == Family::IPV4_UNICAST {
        return Update::default();
    }
    let mp_unreach = Some(MpUnreach {
        family,
        withdrawn: Vec::new(),
    });
    Update {
        attributes: PathAttributes {
            mp_unreach,
            ..PathAttributes::default()
        },
        ..Update::default()
    }
}

/// Appends UPDATEs built from `template` carrying `prefixes` (placed by `place`), each
/// within 4,096 bytes.
fn pack(
    out: &mut Vec<Update>,
    wire: &WireContext,
    template: &Update,
    prefixes: &[Prefix],
    place: fn(&mut Update, Vec<Prefix>),
) {
    // Two spare bytes: an MP attribute may switch to the extended (2-byte) length as it grows.
    let budget = MAX_MESSAGE_LEN.saturating_sub(template.encoded_len(wire) + 2);
    let mut rest = prefixes;
    while !rest.is_empty() {
        let mut used = 0;
        let count = rest
            .iter()
            .take_while(|p| {
                used += p.nlri_len();
                used <= budget
            })
            .count()
            .max(1);
        let (chunk, tail) = rest.split_at(count.min(rest.len()));
        let mut update = template.clone();
        place(&mut update, chunk.to_vec());
        out.push(update);
        rest = tail;
    }
}

/// Puts announced routes where `update` carries them: MP_REACH_NLRI or the NLRI field.
fn set_announced(update: &mut Update, routes: Vec<Prefix>) {
    match &mut update.attributes.mp_reach {
        Some(reach) => reach.nlri = routes,
        None => update.nlri = routes,
    }
}

/// Puts withdrawn routes where `update` carries them: MP_UNREACH_NLRI or Withdrawn Routes.
fn set_withdrawn(update: &mut Update, routes: Vec<Prefix>) {
    match &mut update.attributes.mp_unreach {
        Some(unreach) => unreach.withdrawn = routes,
        None => update.withdrawn = routes,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod batch_tests;
