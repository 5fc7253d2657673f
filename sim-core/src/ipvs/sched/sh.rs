//! sh: source hashing (K:ip_vs_sh.c).

use super::hash::{fold_addr, hash_32};
use super::{
    no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler, SVC_F_SCHED1,
    SVC_F_SCHED2,
};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::net::IpAddr;

/// CONFIG_IP_VS_SH_TAB_BITS default.
const TAB_BITS: u32 = 8;
const TAB_SIZE: usize = 1 << TAB_BITS;
const TAB_MASK: u32 = TAB_SIZE as u32 - 1;

/// 256 buckets filled by weight (each dest takes `weight` consecutive buckets, a weight-0
/// dest one), refilled on every add / delete / edit. Flags: SCHED1 = sh-fallback,
/// SCHED2 = sh-port.
#[derive(Debug, Clone)]
pub struct ShScheduler {
    buckets: Vec<Option<DestId>>,
    flags: u32,
    /// Whether the state was ever built from a dest list (see `schedule`).
    bound: bool,
}

impl Default for ShScheduler {
    fn default() -> Self {
        ShScheduler {
            buckets: vec![None; TAB_SIZE],
            flags: 0,
            bound: false,
        }
    }
}

/// `(offset + hash_32(port + fold(addr), 8)) & 255`, all u32 arithmetic.
pub fn sh_hashkey(addr: IpAddr, port: u16, offset: u32) -> usize {
    (offset.wrapping_add(hash_32(
        (port as u32).wrapping_add(fold_addr(addr)),
        TAB_BITS,
    )) & TAB_MASK) as usize
}

/// The source port when the service hashes on ports (TCP, UDP, SCTP only), else 0.
pub(crate) fn hash_port(flags: u32, pkt: &SchedInput) -> u16 {
    if flags & SVC_F_SCHED2 != 0 && matches!(pkt.protocol, 6 | 17 | 132) {
        pkt.sport
    } else {
        0
    }
}

impl ShScheduler {
    fn reassign(&mut self, dests: &[DestView]) {
        self.bound = true;
        if dests.is_empty() {
            self.buckets.iter_mut().for_each(|b| *b = None);
            return;
        }
        let mut p = 0usize;
        let mut count = 0i32;
        for b in self.buckets.iter_mut() {
            let d = &dests[p];
            *b = Some(d.id);
            count += 1;
            if count >= d.weight {
                p = (p + 1) % dests.len();
                count = 0;
            }
        }
    }
    /// The table (for inspection and tests).
    pub fn buckets(&self) -> &[Option<DestId>] {
        &self.buckets
    }
    fn usable(dests: &[DestView], id: DestId) -> Option<&DestView> {
        dests
            .iter()
            .find(|d| d.id == id)
            .filter(|d| d.weight > 0 && !d.overloaded)
    }
}

impl Scheduler for ShScheduler {
    fn name(&self) -> &'static str {
        "sh"
    }
    fn set_flags(&mut self, flags: u32) {
        self.flags = flags;
    }
    fn init_service(&mut self, dests: &[DestView]) {
        self.reassign(dests);
    }
    fn dests_changed(&mut self, dests: &[DestView], _change: DestChange) {
        self.reassign(dests);
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
        let port = hash_port(self.flags, pkt);
        let ihash = sh_hashkey(pkt.saddr, port, 0);
        let first = self.buckets[ihash].ok_or_else(no_dest)?;
        if Self::usable(dests, first).is_some() {
            return Ok(first);
        }
        if self.flags & SVC_F_SCHED1 == 0 {
            return Err(no_dest());
        }
        // sh-fallback: walk the table from the original hash; stop on an empty bucket.
        for offset in 0..TAB_SIZE as u32 {
            let roffset = (offset + ihash as u32) % TAB_SIZE as u32;
            let id = self.buckets[sh_hashkey(pkt.saddr, port, roffset)].ok_or_else(no_dest)?;
            if Self::usable(dests, id).is_some() {
                return Ok(id);
            }
        }
        Err(no_dest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipvs::sched::testkit::*;

    #[test]
    fn fill_by_weight_in_list_order() {
        let mut b = Bench::of(ShScheduler::default());
        b.add(2, 1); // B
        b.add(1, 2); // A, list A B
        let t = b.sched.buckets();
        assert_eq!(
            &t[..6],
            &[
                Some(DestId(1)),
                Some(DestId(1)),
                Some(DestId(2)),
                Some(DestId(1)),
                Some(DestId(1)),
                Some(DestId(2))
            ]
        );
        assert_eq!(t.iter().filter(|x| **x == Some(DestId(1))).count(), 171);
        assert_eq!(t.iter().filter(|x| **x == Some(DestId(2))).count(), 85);
    }

    #[test]
    fn weight_zero_dest_takes_one_bucket_and_edit_refills() {
        let mut b = Bench::of(ShScheduler::default());
        b.add(2, 3);
        b.add(1, 1);
        b.edit_weight(1, 0); // list 1(w0), 2(w3): 1 2 2 2 1 2 2 2 ...
        let t = b.sched.buckets();
        assert_eq!(t.iter().filter(|x| **x == Some(DestId(1))).count(), 64);
        assert_eq!(
            &t[..5],
            &[
                Some(DestId(1)),
                Some(DestId(2)),
                Some(DestId(2)),
                Some(DestId(2)),
                Some(DestId(1))
            ]
        );
        b.delete(1);
        b.delete(2);
        assert!(b.sched.buckets().iter().all(|x| x.is_none()));
    }

    #[test]
    fn port_flag_and_fallback() {
        let mut b = Bench::new("sh");
        b.add(1, 1);
        b.add(2, 1);
        // list 2, 1 -> even buckets rs2, odd rs1. 10.0.0.1 -> bucket 39 -> rs1.
        assert_eq!(b.pick_from("10.0.0.1", 12345).unwrap(), DestId(1));
        b.set_flags(SVC_F_SCHED2);
        // with the port: bucket 134 -> rs2
        assert_eq!(sh_hashkey(ip("10.0.0.1"), 12345, 0), 134);
        assert_eq!(b.pick_from("10.0.0.1", 12345).unwrap(), DestId(2));
        // the port is ignored for protocols without ports
        assert_eq!(b.pick_proto("10.0.0.1", 12345, 1).unwrap(), DestId(1));
        b.set_flags(0);
        b.edit_weight(1, 0);
        assert!(b.pick_from("10.0.0.1", 1).is_err());
        b.set_flags(SVC_F_SCHED1);
        // fallback probes (2·ihash + offset) & 255 = 78 first: even -> rs2
        assert_eq!(b.pick_from("10.0.0.1", 1).unwrap(), DestId(2));
        b.set_overloaded(2, true);
        assert!(b.pick_from("10.0.0.1", 1).is_err());
    }

    #[test]
    fn fallback_probe_order() {
        // Three dests of weight 1: bucket i -> list[i mod 3]. 10.0.0.1 hashes to 39
        // (list[0]); the fallback's first probe is bucket 78 (list[0] again), then 79 (list[1]).
        let mut b = Bench::new("sh");
        b.add(1, 1);
        b.add(2, 1);
        b.add(3, 1); // list 3, 2, 1
        b.set_flags(SVC_F_SCHED1);
        assert_eq!(b.pick_from("10.0.0.1", 0).unwrap(), DestId(3));
        b.set_overloaded(3, true);
        assert_eq!(b.pick_from("10.0.0.1", 0).unwrap(), DestId(2));
        b.set_overloaded(2, true);
        assert_eq!(b.pick_from("10.0.0.1", 0).unwrap(), DestId(1));
    }
}
