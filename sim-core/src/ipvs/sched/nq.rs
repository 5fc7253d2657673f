//! nq: never queue (K:ip_vs_nq.c).

use super::sed::sed_cost;
use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: the first idle dest (no active connections) in list order, else sed's choice.
#[derive(Debug, Default)]
pub struct NqScheduler;

impl Scheduler for NqScheduler {
    fn name(&self) -> &'static str {
        "nq"
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
            if d.active == 0 {
                return Ok(d.id);
            }
            let doh = sed_cost(d);
            if least.is_none_or(|(l, loh)| loh * d.weight as i64 > doh * l.weight as i64) {
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
    fn first_idle_dest_wins_regardless_of_weight() {
        let mut b = Bench::new("nq");
        b.add(1, 100);
        b.add(2, 1);
        b.set_counts(2, 0, 50);
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 1, 0);
        assert_eq!(b.pick_id(), 1);
    }

    #[test]
    fn busy_dests_compare_like_sed() {
        let mut b = Bench::new("nq");
        b.add(1, 1);
        b.add(2, 2);
        b.set_counts(1, 1, 0); // 2/1
        b.set_counts(2, 3, 0); // 4/2: tie keeps 2
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 4, 0); // 5/2 > 2/1
        assert_eq!(b.pick_id(), 1);
    }
}
