//! wrr: weighted round robin (K:ip_vs_wrr.c).
//!
//! The state {cl, cw, mw, di} is recomputed on every add / delete / edit, but `cw` is only
//! reset when it is 0 or above the new maximum, so the first picks depend on the order in
//! which dests were added and edited. Replaying the same history gives the kernel's picks.

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// `cl` = current dest (None = list head), `cw` = current weight threshold,
/// `mw` = max weight − (di − 1), `di` = gcd of the positive weights (1 if none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrrScheduler {
    cl: Option<DestId>,
    cw: i32,
    mw: i32,
    di: i32,
    /// Whether the state was ever built from a dest list (see `schedule`).
    bound: bool,
}

impl Default for WrrScheduler {
    /// As `init_service` on a service without dests: di = 1, mw = 0, cw = 0.
    fn default() -> Self {
        WrrScheduler {
            cl: None,
            cw: 0,
            mw: 0,
            di: 1,
            bound: false,
        }
    }
}

fn gcd(a: i32, b: i32) -> i32 {
    let (mut a, mut b) = (a, b);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn gcd_weight(dests: &[DestView]) -> i32 {
    let g = dests.iter().filter(|d| d.weight > 0).fold(0, |g, d| {
        if g > 0 {
            gcd(d.weight, g)
        } else {
            d.weight
        }
    });
    if g == 0 {
        1
    } else {
        g
    }
}

fn max_weight(dests: &[DestView]) -> i32 {
    dests.iter().map(|d| d.weight).fold(0, i32::max)
}

enum Failure {
    NoneAvailable,
    AllOverloaded,
}

impl WrrScheduler {
    /// (cw, mw, di) for tests and inspection.
    pub fn state(&self) -> (i32, i32, i32) {
        (self.cw, self.mw, self.di)
    }

    fn select(&mut self, dests: &[DestView]) -> Result<usize, Failure> {
        // Positions: None = list head, Some(i) = dests[i].
        let mut pos: Option<usize> = self.cl.and_then(|c| dests.iter().position(|d| d.id == c));
        if self.mw == 0 {
            self.cl = pos.map(|i| dests[i].id);
            return Err(Failure::NoneAvailable);
        }
        let last = pos;
        let mut stop: Option<usize> = None;
        let mut last_pass = false;
        let mut restarted = false;
        loop {
            let from = pos.map_or(0, |i| i + 1);
            for (i, d) in dests.iter().enumerate().skip(from) {
                if !d.overloaded && d.weight >= self.cw {
                    self.cl = Some(d.id);
                    return Ok(i);
                }
                if stop == Some(i) {
                    self.cl = Some(d.id);
                    return Err(Failure::AllOverloaded);
                }
            }
            pos = None; // the scan ran off the end: continue from the list head
            self.cw -= self.di;
            if self.cw <= 0 {
                self.cw = self.mw;
                if last_pass || last.is_none() {
                    self.cl = None;
                    return Err(Failure::AllOverloaded);
                }
                restarted = true;
            }
            last_pass = self.cw <= self.di;
            if last_pass && restarted && last.is_some() {
                stop = last;
            }
        }
    }
}

impl Scheduler for WrrScheduler {
    fn name(&self) -> &'static str {
        "wrr"
    }
    fn init_service(&mut self, dests: &[DestView]) {
        self.bound = true;
        self.cl = None;
        self.di = gcd_weight(dests);
        self.mw = max_weight(dests) - (self.di - 1);
        self.cw = self.mw;
    }
    fn dests_changed(&mut self, dests: &[DestView], _change: DestChange) {
        self.bound = true;
        self.cl = None;
        self.di = gcd_weight(dests);
        self.mw = max_weight(dests) - (self.di - 1);
        if self.cw > self.mw || self.cw == 0 {
            self.cw = self.mw;
        } else if self.di > 1 {
            self.cw = (self.cw / self.di) * self.di + 1;
        }
    }
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        if !self.bound {
            self.init_service(dests);
        }
        match self.select(dests) {
            Ok(i) => Ok(dests[i].id),
            Err(Failure::NoneAvailable) => Err(no_dest()),
            Err(Failure::AllOverloaded) => Err(NoDest(
                "no destination available: all destinations are overloaded".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::sched::testkit::*;

    // Names in these tests: A = id 1 (w4), B = id 2 (w3), C = id 3 (w2); the bench names
    // them rs1, rs2, rs3.

    #[test]
    fn steady_state_period_from_init_service() {
        // List order A, B, C bound at once (init_service): cw starts at mw = 4.
        let mut b = Bench::of(WrrScheduler::default());
        b.add_silently(3, 2);
        b.add_silently(2, 3);
        b.add_silently(1, 4);
        b.init_service();
        let one = "rs1 rs1 rs2 rs1 rs2 rs3 rs1 rs2 rs3";
        assert_eq!(b.seq(18), format!("{one} {one}"));
    }

    #[test]
    fn phase_depends_on_add_order() {
        // Adding C, then B, then A (list A, B, C) leaves cw = 1:
        // the trailing pass first, then full periods.
        let mut b = Bench::of(WrrScheduler::default());
        b.add(3, 2);
        assert_eq!(b.sched.state(), (1, 1, 2));
        b.add(2, 3);
        b.add(1, 4);
        assert_eq!(b.sched.state(), (1, 4, 1));
        assert_eq!(b.seq(9), "rs1 rs2 rs3 rs1 rs1 rs2 rs1 rs2 rs3");
    }

    #[test]
    fn gcd_rounding_on_edit() {
        let mut b = Bench::of(WrrScheduler::default());
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        assert_eq!(b.seq(9), "rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1");
        assert_eq!(b.sched.state(), (2, 4, 1));
        b.edit_weight(2, 0);
        // di = gcd(4, 2) = 2, mw = 4 - 1 = 3, cw = (2 / 2) * 2 + 1 = 3
        assert_eq!(b.sched.state(), (3, 3, 2));
    }

    #[test]
    fn no_dests_and_all_zero_weights_fail() {
        let mut b = Bench::of(WrrScheduler::default());
        assert!(b.pick().is_err());
        b.add(1, 0);
        assert_eq!(b.pick().unwrap_err().0, "no destination available");
    }

    #[test]
    fn all_overloaded_fails_and_recovers() {
        let mut b = Bench::of(WrrScheduler::default());
        b.add(1, 2);
        b.add(2, 1);
        assert_eq!(b.seq(3), "rs2 rs1 rs1");
        b.set_overloaded(1, true);
        b.set_overloaded(2, true);
        let e = b.pick().unwrap_err();
        assert!(e.0.contains("overloaded"), "{e:?}");
        b.set_overloaded(2, false);
        // Only B (w1) is usable: every pick must end at B without looping forever.
        assert_eq!(b.seq(3), "rs2 rs2 rs2");
        b.set_overloaded(1, false);
        let s = b.seq(6);
        assert_eq!(s.matches("rs1").count(), 4, "{s}");
    }

    #[test]
    fn only_a_low_weight_dest_usable_mid_period() {
        // Exercise the `stop = last` path: start mid-list with a high cw and only an
        // earlier dest usable.
        let mut b = Bench::of(WrrScheduler::default());
        b.add(1, 1); // C-like: w1, last in list
        b.add(2, 5);
        b.add(3, 5);
        // list 3(w5), 2(w5), 1(w1); the first add left cw = 1 and it stays 1.
        assert_eq!(b.sched.state(), (1, 5, 1));
        assert_eq!(b.seq(2), "rs3 rs2");
        b.set_overloaded(3, true);
        b.set_overloaded(2, true);
        // From rs2: rs1 qualifies at cw 1; next call restarts at cw 5 and only the final
        // pass (cw 1, stopping at the start dest) finds rs1 again.
        assert_eq!(b.seq(2), "rs1 rs1");
        b.set_overloaded(1, true);
        assert!(b.pick().is_err());
    }

    #[test]
    fn gcd_helper() {
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(7, 3), 1);
        assert_eq!(gcd(5, 0), 5);
    }
}
