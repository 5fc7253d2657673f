//! ovf: weighted overflow (K:ip_vs_ovf.c).

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: the highest-weight dest whose active connections do not exceed its weight.
#[derive(Debug, Default)]
pub struct OvfScheduler;

impl Scheduler for OvfScheduler {
    fn name(&self) -> &'static str {
        "ovf"
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
        for d in dests {
            let w = d.weight;
            if d.overloaded || d.active as i64 > w as i64 || w == 0 {
                continue;
            }
            if best.is_none_or(|h| w > h.weight) {
                best = Some(d);
            }
        }
        best.map(|d| d.id).ok_or_else(no_dest)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn overflows_only_when_active_exceeds_weight() {
        let mut b = Bench::new("ovf");
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        assert_eq!(b.pick_id(), 1);
        b.set_counts(1, 4, 99); // active == weight: still eligible
        assert_eq!(b.pick_id(), 1);
        b.set_counts(1, 5, 0);
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 4, 0);
        assert_eq!(b.pick_id(), 3);
        b.set_counts(3, 3, 0);
        assert!(b.pick().is_err());
    }

    #[test]
    fn hold_run_fills_the_heaviest_first() {
        // Held-open connections: rs1 (w4) takes 5 (active 0..=4), then rs2 4, then rs3 3.
        let mut b = Bench::ground_truth("ovf", &[1, 2, 3]);
        let seq = b.hold(13);
        assert_eq!(seq, "rs1 rs1 rs1 rs1 rs1 rs2 rs2 rs2 rs2 rs3 rs3 rs3 none");
    }
}
