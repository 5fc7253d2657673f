//! fo: weighted fail-over (K:ip_vs_fo.c).

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: the non-OVERLOAD dest with the highest weight; connection counts ignored.
#[derive(Debug, Default)]
pub struct FoScheduler;

impl Scheduler for FoScheduler {
    fn name(&self) -> &'static str {
        "fo"
    }
    fn dests_changed(&mut self, _dests: &[DestView], _change: DestChange) {}
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        let mut best: Option<&DestView> = None;
        let mut hw = 0;
        for d in dests {
            // Strict `>` from 0: weight must be positive, ties keep the earlier dest.
            if !d.overloaded && d.weight > hw {
                best = Some(d);
                hw = d.weight;
            }
        }
        best.map(|d| d.id).ok_or_else(no_dest)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn highest_weight_first_in_list_on_ties() {
        let mut b = Bench::new("fo");
        b.add(1, 5);
        b.add(2, 5);
        b.add(3, 1);
        // list 3, 2, 1
        b.set_counts(2, 1000, 0);
        assert_eq!(b.pick_id(), 2);
        b.set_overloaded(2, true);
        assert_eq!(b.pick_id(), 1);
        b.set_overloaded(1, true);
        assert_eq!(b.pick_id(), 3);
        b.edit_weight(3, 0);
        assert!(b.pick().is_err());
    }
}
