//! lblc: locality-based least connection (K:ip_vs_lblc.c).
//!
//! Remembers, per packet destination address, the dest last chosen for it and keeps
//! sending there until that dest is "overloaded" in lblc's own sense; otherwise picks
//! with wlc and replaces the entry.

use super::locality::{Entry, LocalityTable};
use super::wlc::wlc_least;
use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, SchedParams, Scheduler};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// lblc / lblcr's "overloaded": more active connections than weight while some dest in
/// the service has active·2 < weight. Independent of the OVERLOAD flag.
pub(crate) fn is_overloaded(d: &DestView, dests: &[DestView]) -> bool {
    (d.active as i64) > d.weight as i64
        && dests
            .iter()
            .any(|o| (o.active as i64) * 2 < o.weight as i64)
}

#[derive(Debug, Clone)]
pub struct LblcScheduler {
    table: LocalityTable<DestId>,
    expiration: SimDuration,
}

impl LblcScheduler {
    pub fn new(now: SimTime, params: &SchedParams) -> Self {
        LblcScheduler {
            table: LocalityTable::new(now),
            expiration: SimDuration::from_secs(params.lblc_expiration),
        }
    }
    /// The cache (for inspection and tests).
    pub fn table(&self) -> &LocalityTable<DestId> {
        &self.table
    }
}

impl Scheduler for LblcScheduler {
    fn name(&self) -> &'static str {
        "lblc"
    }
    fn set_params(&mut self, params: &SchedParams) {
        self.expiration = SimDuration::from_secs(params.lblc_expiration);
    }
    fn dests_changed(&mut self, _dests: &[DestView], _change: DestChange) {}
    fn schedule(
        &mut self,
        now: SimTime,
        dests: &[DestView],
        pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        let daddr = pkt.daddr;
        if let Some(en) = self.table.get_mut(daddr) {
            en.lastuse = now;
            // A dest no longer in the list is in the trash: not AVAILABLE.
            if let Some(d) = dests.iter().find(|d| d.id == en.data) {
                if d.available && d.weight > 0 && !is_overloaded(d, dests) {
                    return Ok(d.id);
                }
            }
        }
        let dest = wlc_least(dests).ok_or_else(no_dest)?.id;
        match self.table.get(daddr).map(|e| e.data) {
            Some(cur) if cur == dest => {}
            Some(_) => {
                // The kernel unlinks the old entry without decrementing its entry counter and
                // then counts the new one: the counter drifts up by one per replacement.
                self.table.unlink(daddr);
                self.table.insert(Entry {
                    addr: daddr,
                    lastuse: now,
                    data: dest,
                });
            }
            None => self.table.insert(Entry {
                addr: daddr,
                lastuse: now,
                data: dest,
            }),
        }
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

    fn bench() -> Bench<LblcScheduler> {
        Bench::of(LblcScheduler::new(SimTime::ZERO, &SchedParams::default()))
    }

    #[test]
    fn sticks_to_the_cached_dest_per_destination_address() {
        let mut b = bench();
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        // All idle: wlc picks the list front rs3 and caches it for 10.0.0.1.
        assert_eq!(b.seq(5), "rs3 rs3 rs3 rs3 rs3");
        // Another destination address gets its own wlc choice (rs3 has 5 inactive now).
        assert_eq!(b.pick_to("10.0.0.100", 1, "10.0.0.2").unwrap(), DestId(2));
        assert_eq!(b.sched.table().len(), 2);
    }

    #[test]
    fn overloaded_means_active_above_weight_while_someone_is_under_half() {
        let mut b = bench();
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        // Held connections: rs3 takes 3 (active 0, 1, 2 <= weight), then active 3 > 2 with
        // rs1 at 0*2 < 4: reschedule with wlc -> rs2 (0/3), replacing the entry.
        assert_eq!(b.hold(4), "rs3 rs3 rs3 rs2");
        assert_eq!(
            b.sched.table().counted_entries(),
            2,
            "replacement drifts the counter"
        );
        assert_eq!(b.sched.table().len(), 1);
        // rs2 keeps it until active 4 > 3: then rs1 (0/4).
        assert_eq!(b.hold(4), "rs2 rs2 rs2 rs1");
    }

    #[test]
    fn no_one_under_half_means_no_overload() {
        let mut b = bench();
        b.add(1, 2);
        b.add(2, 2);
        b.set_counts(2, 1, 0); // 1*2 < 2 is false
        b.set_counts(1, 5, 0);
        assert_eq!(b.pick().unwrap(), DestId(2)); // wlc: 256/2 < 1280/2, cached
        b.set_counts(2, 3, 0); // 3 > 2, but nobody has active*2 < weight
        assert_eq!(b.pick().unwrap(), DestId(2));
    }

    #[test]
    fn unavailable_or_quiesced_cached_dest_is_replaced() {
        let mut b = bench();
        b.add(1, 1);
        b.add(2, 1);
        assert_eq!(b.pick().unwrap(), DestId(2));
        b.edit_weight(2, 0);
        assert_eq!(b.pick().unwrap(), DestId(1));
        b.edit_weight(2, 1);
        b.set_counts(1, 0, 3);
        assert_eq!(
            b.pick().unwrap(),
            DestId(1),
            "cache sticks while rs1 is fine"
        );
        b.delete(1);
        assert_eq!(b.pick().unwrap(), DestId(2));
        b.edit_weight(2, 0);
        assert!(b.pick().is_err());
    }

    #[test]
    fn gc_uses_the_expiration_sysctl() {
        let params = SchedParams {
            lblc_expiration: 100,
            lblcr_expiration: 86_400,
        };
        let mut b = Bench::of(LblcScheduler::new(SimTime::ZERO, &params));
        b.add(1, 1);
        b.at(SimTime::from_secs(10));
        b.pick().unwrap();
        assert_eq!(b.sched.poll_at(), Some(SimTime::from_secs(60)));
        b.run_timers_until(SimTime::from_secs(1799));
        assert_eq!(b.sched.table().len(), 1);
        b.run_timers_until(SimTime::from_secs(1800));
        assert_eq!(b.sched.table().len(), 0);
    }
}
