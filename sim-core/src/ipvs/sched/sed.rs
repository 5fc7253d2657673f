//! sed: shortest expected delay (K:ip_vs_sed.c).

use super::wlc::weighted_least;
use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: wlc's loop with cost = active + 1 (inactive connections ignored).
#[derive(Debug, Default)]
pub struct SedScheduler;

pub(crate) fn sed_cost(d: &DestView) -> i64 {
    d.active as i64 + 1
}

impl Scheduler for SedScheduler {
    fn name(&self) -> &'static str {
        "sed"
    }
    fn dests_changed(&mut self, _dests: &[DestView], _change: DestChange) {}
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        weighted_least(dests, sed_cost)
            .map(|d| d.id)
            .ok_or_else(no_dest)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn inactive_connections_are_ignored() {
        let mut b = Bench::new("sed");
        b.add(1, 1);
        b.add(2, 3);
        // list 2(w3), 1(w1): 1/3 < 1/1
        b.set_counts(2, 0, 1000);
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 2, 0); // 3/3 == 1/1: tie keeps 2
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 3, 0); // 4/3 > 1/1
        assert_eq!(b.pick_id(), 1);
    }
}
