//! lblcr: locality-based least connection with replication (K:ip_vs_lblcr.c).
//!
//! Each destination address maps to a *set* of dests; the least loaded member serves,
//! the set grows when every member is overloaded, and after `lblcr_expiration` without
//! change the most loaded member is dropped.

use super::lblc::is_overloaded;
use super::locality::{Entry, LocalityTable};
use super::wlc::wlc_least;
use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, SchedParams, Scheduler};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use std::collections::BTreeMap;

/// A dest set: members newest first, and when it last changed.
#[derive(Debug, Clone, PartialEq)]
pub struct DestSet {
    pub members: Vec<DestId>,
    pub lastmod: SimTime,
}

/// What the set logic needs of a member. A member that left the service (it sits in the
/// trash, still referenced by the set) is not AVAILABLE and keeps the weight and load it
/// had when the scheduler last saw it in the list: the dest list passed in does not carry
/// trash dests, whose connections only drain from then on.
#[derive(Debug, Clone, Copy)]
struct MemberLoad {
    weight: i32,
    overhead: i64,
    overloaded: bool,
    available: bool,
}

#[derive(Debug, Clone)]
pub struct LblcrScheduler {
    table: LocalityTable<DestSet>,
    expiration: SimDuration,
    last_seen: BTreeMap<DestId, MemberLoad>,
}

impl LblcrScheduler {
    pub fn new(now: SimTime, params: &SchedParams) -> Self {
        LblcrScheduler {
            table: LocalityTable::new(now),
            expiration: SimDuration::from_secs(params.lblcr_expiration),
            last_seen: BTreeMap::new(),
        }
    }
    /// The cache (for inspection and tests).
    pub fn table(&self) -> &LocalityTable<DestSet> {
        &self.table
    }
    fn load(&self, id: DestId) -> Option<MemberLoad> {
        self.last_seen.get(&id).copied()
    }
    fn remember(&mut self, dests: &[DestView]) {
        for l in self.last_seen.values_mut() {
            l.available = false;
        }
        for d in dests {
            self.last_seen.insert(
                d.id,
                MemberLoad {
                    weight: d.weight,
                    overhead: d.overhead(),
                    overloaded: d.overloaded,
                    available: d.available,
                },
            );
        }
    }

    /// `ip_vs_dest_set_min`: first member not OVERLOAD, weight > 0 and AVAILABLE, improved
    /// by the wlc comparison over later non-OVERLOAD, AVAILABLE members.
    fn set_min(&self, members: &[DestId]) -> Option<DestId> {
        let loads: Vec<(DestId, MemberLoad)> = members
            .iter()
            .filter_map(|id| self.load(*id).map(|l| (*id, l)))
            .collect();
        let first = loads
            .iter()
            .position(|(_, l)| !l.overloaded && l.weight > 0 && l.available)?;
        let (mut least, mut ll) = loads[first];
        for (id, l) in &loads[first + 1..] {
            if l.overloaded {
                continue;
            }
            if ll.overhead * l.weight as i64 > l.overhead * ll.weight as i64 && l.available {
                least = *id;
                ll = *l;
            }
        }
        Some(least)
    }

    /// `ip_vs_dest_set_max`: first member with weight > 0, replaced by later weight > 0
    /// members with a strictly higher overhead / weight (OVERLOAD is not looked at).
    fn set_max(&self, members: &[DestId]) -> Option<DestId> {
        let loads: Vec<(DestId, MemberLoad)> = members
            .iter()
            .filter_map(|id| self.load(*id).map(|l| (*id, l)))
            .collect();
        let first = loads.iter().position(|(_, l)| l.weight > 0)?;
        let (mut most, mut ml) = loads[first];
        for (id, l) in &loads[first + 1..] {
            if ml.overhead * (l.weight as i64) < l.overhead * ml.weight as i64 && l.weight > 0 {
                most = *id;
                ml = *l;
            }
        }
        Some(most)
    }
}

impl Scheduler for LblcrScheduler {
    fn name(&self) -> &'static str {
        "lblcr"
    }
    fn set_params(&mut self, params: &SchedParams) {
        self.expiration = SimDuration::from_secs(params.lblcr_expiration);
    }
    fn init_service(&mut self, dests: &[DestView]) {
        self.remember(dests);
    }
    fn dests_changed(&mut self, dests: &[DestView], _change: DestChange) {
        self.remember(dests);
    }
    fn schedule(
        &mut self,
        now: SimTime,
        dests: &[DestView],
        pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        self.remember(dests);
        let daddr = pkt.daddr;
        let expiration = self.expiration;
        let members = match self.table.get_mut(daddr) {
            Some(en) => {
                en.lastuse = now;
                Some((en.data.members.clone(), en.data.lastmod))
            }
            None => None,
        };
        if let Some((members, lastmod)) = members {
            let chosen = self.set_min(&members);
            // More than one member and no change for longer than the expiration: drop the
            // most loaded one (possibly the one just chosen, which still serves this time).
            if members.len() > 1 && now > lastmod + expiration {
                if let Some(m) = self.set_max(&members) {
                    let en = self.table.get_mut(daddr).expect("entry present");
                    if let Some(i) = en.data.members.iter().position(|x| *x == m) {
                        en.data.members.remove(i);
                        en.data.lastmod = now;
                    }
                }
            }
            if let Some(c) = chosen {
                let d = dests.iter().find(|d| d.id == c);
                // A member outside the list is not AVAILABLE and was not chosen; one inside is
                // judged with the service's current counters.
                if d.is_some_and(|d| !is_overloaded(d, dests)) {
                    return Ok(c);
                }
            }
            let dest = wlc_least(dests).ok_or_else(no_dest)?.id;
            let en = self.table.get_mut(daddr).expect("entry present");
            if !en.data.members.contains(&dest) {
                en.data.members.insert(0, dest);
                en.data.lastmod = now;
            }
            return Ok(dest);
        }
        let dest = wlc_least(dests).ok_or_else(no_dest)?.id;
        self.table.insert(Entry {
            addr: daddr,
            lastuse: now,
            data: DestSet {
                members: vec![dest],
                lastmod: now,
            },
        });
        Ok(dest)
    }
    fn poll_at(&self) -> Option<SimTime> {
        Some(self.table.next_tick())
    }
    fn on_timer(&mut self, now: SimTime) {
        self.table.on_timer(now, self.expiration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::sched::testkit::*;

    fn bench(exp: u64) -> Bench<LblcrScheduler> {
        let p = SchedParams {
            lblc_expiration: 86_400,
            lblcr_expiration: exp,
        };
        Bench::of(LblcrScheduler::new(SimTime::ZERO, &p))
    }

    fn members(b: &Bench<LblcrScheduler>, daddr: &str) -> Vec<u32> {
        b.sched
            .table()
            .get(ip(daddr))
            .unwrap()
            .data
            .members
            .iter()
            .map(|d| d.0)
            .collect()
    }

    #[test]
    fn set_grows_when_members_are_overloaded() {
        let mut b = bench(86_400);
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        assert_eq!(b.hold(3), "rs3 rs3 rs3");
        assert_eq!(members(&b, "10.0.0.1"), vec![3]);
        // rs3 active 3 > 2 and rs1 is under half: wlc adds rs2 to the set (newest first).
        assert_eq!(b.hold(1), "rs2");
        assert_eq!(members(&b, "10.0.0.1"), vec![2, 3]);
        // Now the set's least loaded member serves: rs2 (256/3) vs rs3 (768/2).
        assert_eq!(b.hold(3), "rs2 rs2 rs2");
        // rs2 at 4 > 3: rs1 joins.
        assert_eq!(b.hold(1), "rs1");
        assert_eq!(members(&b, "10.0.0.1"), vec![1, 2, 3]);
    }

    #[test]
    fn seq_run_sticks_to_one_server() {
        let mut b = bench(86_400);
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        assert_eq!(b.seq(9), "rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3");
    }

    #[test]
    fn most_loaded_member_dropped_after_expiration() {
        let mut b = bench(100);
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        assert_eq!(b.hold(4), "rs3 rs3 rs3 rs2");
        assert_eq!(members(&b, "10.0.0.1"), vec![2, 3]);
        // lastmod = 0; at exactly 100 s nothing happens (strictly after is needed).
        b.at(SimTime::from_secs(100));
        assert_eq!(b.hold(1), "rs2");
        assert_eq!(members(&b, "10.0.0.1"), vec![2, 3]);
        // After that the most loaded member (rs3: 768/2 > 512/3) goes.
        b.at(SimTime::from_secs(101));
        assert_eq!(b.hold(1), "rs2");
        assert_eq!(members(&b, "10.0.0.1"), vec![2]);
    }

    #[test]
    fn chosen_member_can_be_the_one_dropped_and_still_serves() {
        let mut b = bench(10);
        b.add(1, 1);
        b.add(2, 1);
        assert_eq!(b.pick().unwrap(), DestId(2));
        b.set_counts(2, 5, 0); // rs2: 5 > 1 while rs1 is idle (0*2 < 1): overloaded
        assert_eq!(b.pick().unwrap(), DestId(1));
        assert_eq!(members(&b, "10.0.0.1"), vec![1, 2]);
        // rs2 drains (seen at the next pick) and is deleted; rs1 carries one connection.
        b.set_counts(2, 0, 0);
        assert_eq!(b.pick().unwrap(), DestId(1));
        b.delete(2);
        b.set_counts(1, 1, 0);
        b.at(SimTime::from_secs(11));
        // set_min can only take rs1 (rs2 is not AVAILABLE); set_max weighs every member
        // with weight > 0 and finds rs1 (256/1) heavier than rs2 (0/1): rs1 leaves the set
        // but still serves this connection (1 > 1 is not overloaded).
        assert_eq!(b.pick().unwrap(), DestId(1));
        assert_eq!(members(&b, "10.0.0.1"), vec![2]);
    }

    #[test]
    fn deleted_member_is_skipped_but_stays_in_the_set() {
        let mut b = bench(86_400);
        b.add(1, 1);
        b.add(2, 1);
        assert_eq!(b.pick().unwrap(), DestId(2));
        b.delete(2);
        assert_eq!(b.pick().unwrap(), DestId(1));
        assert_eq!(members(&b, "10.0.0.1"), vec![1, 2]);
        // Re-added (same object from the trash): usable again.
        b.readd(2);
        b.set_counts(1, 0, 1);
        assert_eq!(b.pick().unwrap(), DestId(2));
    }

    #[test]
    fn gc_removes_idle_entries() {
        let mut b = bench(300);
        b.add(1, 1);
        b.pick().unwrap();
        b.run_timers_until(SimTime::from_secs(1800));
        assert!(b.sched.table().is_empty());
    }
}
