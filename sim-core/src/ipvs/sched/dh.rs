//! dh: destination hashing (K:ip_vs_dh.c).

use super::hash::{fold_addr, hash_32};
use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;

const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;

/// 256 buckets, bucket i = the (i mod n)-th dest in list order; weights do not replicate.
/// Refilled on add and delete only: the kernel has no update hook for dh.
#[derive(Debug, Clone)]
pub struct DhScheduler {
    buckets: Vec<Option<DestId>>,
    /// Whether the state was ever built from a dest list (see `schedule`).
    bound: bool,
}

impl Default for DhScheduler {
    fn default() -> Self {
        DhScheduler {
            buckets: vec![None; TAB_SIZE],
            bound: false,
        }
    }
}

impl DhScheduler {
    fn reassign(&mut self, dests: &[DestView]) {
        self.bound = true;
        for (i, b) in self.buckets.iter_mut().enumerate() {
            *b = if dests.is_empty() {
                None
            } else {
                Some(dests[i % dests.len()].id)
            };
        }
    }
    /// The bucket a destination address hashes to.
    pub fn bucket_of(addr: std::net::IpAddr) -> usize {
        hash_32(fold_addr(addr), TAB_BITS) as usize
    }
    /// The table (for inspection and tests).
    pub fn buckets(&self) -> &[Option<DestId>] {
        &self.buckets
    }
}

impl Scheduler for DhScheduler {
    fn name(&self) -> &'static str {
        "dh"
    }
    fn init_service(&mut self, dests: &[DestView]) {
        self.reassign(dests);
    }
    fn dests_changed(&mut self, dests: &[DestView], change: DestChange) {
        match change {
            DestChange::Added(_) | DestChange::Deleted { .. } => self.reassign(dests),
            // No upd_dest hook in dh; an edit only tells an unbound table it is bound.
            DestChange::Edited(_) if !self.bound => self.reassign(dests),
            DestChange::Edited(_) => {}
        }
    }
    fn schedule(
        &mut self,
        _now: SimTime,
        dests: &[DestView],
        pkt: &SchedInput,
        _rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        if !self.bound {
            self.init_service(dests);
        }
        let id = self.buckets[Self::bucket_of(pkt.daddr)].ok_or_else(no_dest)?;
        let d = dests.iter().find(|d| d.id == id).ok_or_else(no_dest)?;
        if !d.available || d.weight <= 0 || d.overloaded {
            return Err(no_dest());
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn table_is_round_robin_in_list_order() {
        let mut b = Bench::new("dh");
        b.add(1, 4);
        b.add(2, 3);
        b.add(3, 2);
        // bucket 39 (10.0.0.1) -> 39 mod 3 = 0 -> the list front, rs3
        assert_eq!(DhScheduler::bucket_of(ip("10.0.0.1")), 39);
        assert_eq!(
            b.pick_to("10.0.0.100", 1000, "10.0.0.1").unwrap(),
            DestId(3)
        );
        // 10.0.0.2 -> bucket 137 -> 137 mod 3 = 2 -> rs1
        assert_eq!(
            b.pick_to("10.0.0.100", 1000, "10.0.0.2").unwrap(),
            DestId(1)
        );
    }

    #[test]
    fn edit_does_not_refill_and_unusable_dest_fails() {
        let mut b = Bench::new("dh");
        b.add(1, 1);
        b.add(2, 1);
        b.edit_weight(2, 0);
        // 10.0.0.1 -> bucket 39 -> 39 mod 2 = 1 -> rs1
        assert_eq!(b.pick_to("10.0.0.100", 1, "10.0.0.1").unwrap(), DestId(1));
        // 10.0.0.2 -> bucket 137 -> 1 -> rs1; 192.168.1.100 -> 89 -> 1; 172.16.5.9 -> 115 -> 1.
        // bucket 0 would be rs2 (quiesced): find an address that lands on an even bucket.
        let even = (1u32..)
            .map(|i| std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i)))
            .find(|a| DhScheduler::bucket_of(*a) % 2 == 0)
            .unwrap();
        assert!(b.pick_to("10.0.0.100", 1, &even.to_string()).is_err());
        b.set_overloaded(1, true);
        assert!(b.pick_to("10.0.0.100", 1, "10.0.0.1").is_err());
    }

    #[test]
    fn delete_refills() {
        let mut b = Bench::of(DhScheduler::default());
        b.add(1, 1);
        b.add(2, 1);
        b.delete(2);
        assert!(b.sched.buckets().iter().all(|x| *x == Some(DestId(1))));
        b.delete(1);
        assert!(b.sched.buckets().iter().all(|x| x.is_none()));
        assert!(b.pick().is_err());
    }
}
