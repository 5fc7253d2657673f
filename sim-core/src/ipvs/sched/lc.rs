//! lc: least connection (K:ip_vs_lc.c).

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: the dest with the smallest overhead (256·active + inactive) wins.
#[derive(Debug, Default)]
pub struct LcScheduler;

impl Scheduler for LcScheduler {
    fn name(&self) -> &'static str {
        "lc"
    }
    fn dests_changed(&mut self, _dests: &[DestView], _change: DestChange) {}
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        let mut least: Option<(&DestView, i64)> = None;
        for d in dests {
            if d.overloaded || d.weight == 0 {
                continue;
            }
            let doh = d.overhead();
            // Strict `<`: on a tie the earlier dest in list order stays.
            if least.is_none_or(|(_, loh)| doh < loh) {
                least = Some((d, doh));
            }
        }
        least.map(|(d, _)| d.id).ok_or_else(no_dest)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn least_overhead_wins_and_ties_go_to_list_order() {
        let mut b = Bench::new("lc");
        b.add(1, 4);
        b.add(2, 1);
        // list order: 2, 1
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 0, 1);
        assert_eq!(b.pick_id(), 1);
        b.set_counts(1, 1, 0); // 256 > 1
        assert_eq!(b.pick_id(), 2);
    }

    #[test]
    fn skips_weight_zero_and_overloaded() {
        let mut b = Bench::new("lc");
        b.add(1, 1);
        b.add(2, 0);
        b.add(3, 5);
        b.set_overloaded(3, true);
        b.set_counts(1, 9, 9);
        assert_eq!(b.pick_id(), 1);
        b.set_overloaded(1, true);
        assert!(b.pick().is_err());
    }
}
