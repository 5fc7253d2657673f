//! rr: round robin (K:ip_vs_rr.c).

use super::{DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
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
    fn dests_changed(&mut self, _dests: &[DestView], change: DestChange) {
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
        // Walk one full lap starting after the cursor, skipping the list head.
        for k in 0..n {
            let d = &dests[(start + k) % n];
            if !d.overloaded && d.weight > 0 {
                self.cursor = Some(d.id);
                return Ok(d.id);
            }
        }
        Err(NoDest("no destination available".into()))
    }
}
