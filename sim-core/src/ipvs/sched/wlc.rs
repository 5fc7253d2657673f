//! wlc: weighted least connection (K:ip_vs_wlc.c), the default scheduler of ipvsadm
//! and keepalived. The same selection is reused by lblc / lblcr when they reschedule.

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: the smallest overhead / weight, compared by cross-multiplication.
#[derive(Debug, Default)]
pub struct WlcScheduler;

/// The kernel's wlc loop with a given cost function: the first dest that is not
/// OVERLOAD and has weight > 0 seeds `least`; later non-OVERLOAD dests replace it when
/// `cost(least) * w(d) > cost(d) * w(least)` (weight is not re-checked: weight 0 never wins).
pub(crate) fn weighted_least(
    dests: &[DestView],
    cost: impl Fn(&DestView) -> i64,
) -> Option<&DestView> {
    let first = dests.iter().position(|d| !d.overloaded && d.weight > 0)?;
    let mut least = &dests[first];
    let mut loh = cost(least);
    for d in &dests[first + 1..] {
        if d.overloaded {
            continue;
        }
        let doh = cost(d);
        if loh * d.weight as i64 > doh * least.weight as i64 {
            least = d;
            loh = doh;
        }
    }
    Some(least)
}

/// wlc's choice: least overhead (256·active + inactive) per unit of weight.
pub(crate) fn wlc_least(dests: &[DestView]) -> Option<&DestView> {
    weighted_least(dests, DestView::overhead)
}

impl Scheduler for WlcScheduler {
    fn name(&self) -> &'static str {
        "wlc"
    }
    fn dests_changed(&mut self, _dests: &[DestView], _change: DestChange) {}
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        wlc_least(dests).map(|d| d.id).ok_or_else(no_dest)
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn weighted_comparison_and_ties() {
        let mut b = Bench::new("wlc");
        b.add(1, 2);
        b.add(2, 1);
        // list 2(w1), 1(w2); both idle: first in list wins the tie
        assert_eq!(b.pick_id(), 2);
        b.set_counts(2, 1, 0); // 256/1 vs 0/2
        assert_eq!(b.pick_id(), 1);
        b.set_counts(1, 2, 0); // 512/2 == 256/1: tie keeps dest 2 (earlier)
        assert_eq!(b.pick_id(), 2);
        b.set_counts(1, 1, 0); // 256/2 < 256/1
        assert_eq!(b.pick_id(), 1);
    }

    #[test]
    fn weight_zero_never_wins_even_when_idle() {
        let mut b = Bench::new("wlc");
        b.add(1, 1);
        b.add(2, 0);
        b.set_counts(1, 100, 100);
        assert_eq!(b.pick_id(), 1);
        b.edit_weight(1, 0);
        assert!(b.pick().is_err());
    }

    #[test]
    fn overloaded_dests_are_skipped() {
        let mut b = Bench::new("wlc");
        b.add(1, 1);
        b.add(2, 1);
        b.set_counts(1, 5, 0);
        b.set_overloaded(2, true);
        assert_eq!(b.pick_id(), 1);
    }
}
