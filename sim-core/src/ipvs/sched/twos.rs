//! twos: power of two random choices (K:ip_vs_twos.c).

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Stateless: two weighted random draws, the less loaded (overhead / weight) of the two wins.
#[derive(Debug, Default)]
pub struct TwosScheduler;

fn eligible(d: &DestView) -> bool {
    !d.overloaded && d.weight > 0
}

/// The kernel's selection for given draws `r1`, `r2` in [0, total].
pub(crate) fn twos_pick(dests: &[DestView], r1: i64, r2: i64) -> Option<DestId> {
    let (mut r1, mut r2) = (r1, r2);
    let mut c1: Option<&DestView> = None;
    let mut c2: Option<&DestView> = None;
    for d in dests.iter().filter(|d| eligible(d)) {
        r1 -= d.weight as i64;
        r2 -= d.weight as i64;
        if r1 <= 0 && c1.is_none() {
            c1 = Some(d);
        }
        if r2 <= 0 && c2.is_none() {
            c2 = Some(d);
        }
        if c1.is_some() && c2.is_some() {
            break;
        }
    }
    let c1 = c1?;
    if let Some(c2) = c2 {
        // `int` arithmetic in the kernel: weight2 * overhead1 > weight1 * overhead2.
        let oh1 = c1.overhead() as i32;
        let oh2 = c2.overhead() as i32;
        if c2.weight.wrapping_mul(oh1) > c1.weight.wrapping_mul(oh2) {
            return Some(c2.id);
        }
    }
    Some(c1.id)
}

impl Scheduler for TwosScheduler {
    fn name(&self) -> &'static str {
        "twos"
    }
    fn dests_changed(&mut self, _dests: &[DestView], _change: DestChange) {}
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        let total: i64 = dests
            .iter()
            .filter(|d| eligible(d))
            .map(|d| d.weight as i64)
            .sum();
        if !dests.iter().any(eligible) {
            return Err(no_dest());
        }
        // Inclusive draws in [0, total], first r1 then r2.
        let r1 = rng.below(total as u64 + 1) as i64;
        let r2 = rng.below(total as u64 + 1) as i64;
        twos_pick(dests, r1, r2).ok_or_else(no_dest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn draw_boundaries_select_by_cumulative_weight() {
        let mut b = Bench::new("twos");
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        // list rs3(2), rs2(3), rs1(4); cumulative 2, 5, 9; all idle so choice1 wins.
        let v = b.views();
        let id = |r| twos_pick(&v, r, r).unwrap().0;
        assert_eq!(id(0), 3);
        assert_eq!(id(2), 3);
        assert_eq!(id(3), 2);
        assert_eq!(id(5), 2);
        assert_eq!(id(6), 1);
        assert_eq!(id(9), 1);
    }

    #[test]
    fn less_loaded_of_the_two_wins_ties_keep_choice1() {
        let mut b = Bench::new("twos");
        b.add(1, 1);
        b.add(2, 1);
        // list rs2, rs1
        b.set_counts(2, 1, 0);
        let v = b.views();
        assert_eq!(twos_pick(&v, 1, 2), Some(DestId(1)));
        assert_eq!(twos_pick(&v, 2, 1), Some(DestId(1)));
        b.set_counts(1, 1, 0);
        let v = b.views();
        assert_eq!(twos_pick(&v, 1, 2), Some(DestId(2)));
        assert_eq!(twos_pick(&v, 2, 1), Some(DestId(1)));
    }

    #[test]
    fn draws_come_from_the_passed_rng_in_order() {
        let mut b = Bench::new("twos");
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        b.set_counts(1, 3, 0);
        b.set_counts(3, 1, 7);
        for seed in 0..50 {
            b.reseed(seed);
            let mut twin = SimRng::from_seed(seed);
            let r1 = twin.below(10) as i64;
            let r2 = twin.below(10) as i64;
            let want = twos_pick(&b.views(), r1, r2).unwrap();
            assert_eq!(b.pick().unwrap(), want, "seed {seed}");
        }
    }

    #[test]
    fn weighted_distribution_when_idle() {
        let mut b = Bench::new("twos");
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        let mut n = [0u32; 4];
        for _ in 0..9000 {
            n[b.pick().unwrap().0 as usize] += 1;
        }
        // Idle dests: choice1 always wins, so P = weight share over [0, 9]
        // (r = 0 also lands on the first dest): rs3 3/10, rs2 3/10, rs1 4/10.
        assert!((2500..3500).contains(&n[3]), "{n:?}");
        assert!((2500..3500).contains(&n[2]), "{n:?}");
        assert!((3300..4300).contains(&n[1]), "{n:?}");
    }

    #[test]
    fn nothing_eligible_fails() {
        let mut b = Bench::new("twos");
        assert!(b.pick().is_err());
        b.add(1, 0);
        b.add(2, 5);
        b.set_overloaded(2, true);
        assert!(b.pick().is_err());
    }
}
