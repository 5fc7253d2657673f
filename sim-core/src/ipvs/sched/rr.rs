//! rr: round robin (K:ip_vs_rr.c).

use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Cursor = the last selected dest (None = the list head).
#[derive(Default, Debug)]
pub struct RrScheduler {
    cursor: Option<DestId>,
}

impl Scheduler for RrScheduler {
    fn name(&self) -> &'static str {
        "rr"
    }
    fn init_service(&mut self, _dests: &[DestView]) {
        self.cursor = None;
    }
    fn dests_changed(&mut self, _dests: &[DestView], change: DestChange) {
        // Adding never moves the cursor; deleting the dest under it moves it one node back.
        if let DestChange::Deleted { id, prev } = change {
            if self.cursor == Some(id) {
                self.cursor = prev;
            }
        }
    }
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        _pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        let n = dests.len();
        let start = match self
            .cursor
            .and_then(|c| dests.iter().position(|d| d.id == c))
        {
            Some(i) => i + 1,
            None => 0,
        };
        // One full lap starting after the cursor (the list head itself is not a dest);
        // the cursor's own dest is tried last.
        for k in 0..n {
            let d = &dests[(start + k) % n];
            if !d.overloaded && d.weight > 0 {
                self.cursor = Some(d.id);
                return Ok(d.id);
            }
        }
        Err(no_dest())
    }
}

#[cfg(test)]
mod tests {
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn first_pick_is_the_newest_dest() {
        let mut b = Bench::new("rr");
        b.add(1, 1);
        b.add(2, 1);
        b.add(3, 1);
        assert_eq!(b.seq(6), "rs3 rs2 rs1 rs3 rs2 rs1");
    }

    #[test]
    fn skips_quiesced_and_overloaded_and_fails_on_a_full_lap() {
        let mut b = Bench::new("rr");
        b.add(1, 1);
        b.add(2, 1);
        b.add(3, 1);
        b.edit_weight(2, 0);
        b.set_overloaded(3, true);
        assert_eq!(b.seq(3), "rs1 rs1 rs1");
        b.set_overloaded(1, true);
        assert!(b.pick().is_err());
        b.set_overloaded(3, false);
        assert_eq!(b.seq(2), "rs3 rs3");
    }

    #[test]
    fn deleting_the_cursor_dest_moves_the_cursor_back() {
        let mut b = Bench::new("rr");
        b.add(1, 1);
        b.add(2, 1);
        b.add(3, 1);
        assert_eq!(b.seq(2), "rs3 rs2");
        b.delete(2); // cursor was rs2, goes back to rs3
        assert_eq!(b.seq(3), "rs1 rs3 rs1");
        b.delete(3); // cursor rs1 untouched... then rs3 deleted is not the cursor
        assert_eq!(b.seq(2), "rs1 rs1");
        b.delete(1); // cursor was rs1 at the list front: back to the head
        assert!(b.pick().is_err());
    }
}
