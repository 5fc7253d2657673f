//! mh: Maglev hashing (K:ip_vs_mh.c).
//!
//! Each dest gets a permutation of the M table slots from two keyed hashes of its
//! address and port; dests claim slots in turns proportional to their `last_weight`, so a
//! quiesced dest (weight 0 after having been non-zero) keeps its slots but is skipped at
//! lookup time, and the table barely moves when dests come and go.

use super::hash::{fold_addr, hsiphash_u32, SipKey};
use super::sh::hash_port;
use super::{no_dest, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler, SVC_F_SCHED1};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::net::IpAddr;

/// Table size for CONFIG_IP_VS_MH_TAB_INDEX = 12 (the default): the prime 4093.
pub const TAB_SIZE: u32 = 4093;
/// IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2.
const TAB_BITS: u32 = 6;

/// The kernel's fixed keys (hsiphash_key_t holds two `unsigned long`s).
const HASH1: SipKey = SipKey(2_654_435_761, 2_654_435_761);
const HASH2: SipKey = SipKey(2_654_446_892, 2_654_446_892);

/// `hsiphash(offset + port + fold(addr))` with the given key.
fn mh_hashkey(addr: IpAddr, port: u16, key: SipKey, offset: u32) -> u32 {
    let v = offset
        .wrapping_add(port as u32)
        .wrapping_add(fold_addr(addr));
    hsiphash_u32(v, key)
}

/// A dest's permutation: (offset, skip).
pub fn permutation(addr: IpAddr, port: u16) -> (u32, u32) {
    let offset = mh_hashkey(addr, port, HASH1, 0) % TAB_SIZE;
    let skip = mh_hashkey(addr, port, HASH2, 0) % (TAB_SIZE - 1) + 1;
    (offset, skip)
}

/// The slot a client hashes to (port = 0 unless mh-port).
pub fn client_slot(addr: IpAddr, port: u16) -> usize {
    (mh_hashkey(addr, port, HASH1, 0) % TAB_SIZE) as usize
}

/// Bit length (the kernel's `fls`).
fn fls(x: i32) -> i32 {
    if x <= 0 {
        0
    } else {
        32 - x.leading_zeros() as i32
    }
}

fn gcd(a: i32, b: i32) -> i32 {
    let (mut a, mut b) = (a, b);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[derive(Debug, Clone)]
pub struct MhScheduler {
    lookup: Vec<Option<DestId>>,
    flags: u32,
    /// Whether the state was ever built from a dest list (see `schedule`).
    bound: bool,
}

impl Default for MhScheduler {
    fn default() -> Self {
        MhScheduler {
            lookup: vec![None; TAB_SIZE as usize],
            flags: 0,
            bound: false,
        }
    }
}

impl MhScheduler {
    /// The lookup table (for inspection and tests).
    pub fn table(&self) -> &[Option<DestId>] {
        &self.lookup
    }

    fn reassign(&mut self, dests: &[DestView]) {
        self.bound = true;
        // More dests than slots: the kernel refuses (-EINVAL) and leaves the table alone.
        if dests.len() > TAB_SIZE as usize {
            return;
        }
        let g = dests
            .iter()
            .map(|d| d.last_weight)
            .filter(|w| *w > 0)
            .fold(0, |g, w| if g > 0 { gcd(w, g) } else { w });
        if g < 1 {
            self.lookup.iter_mut().for_each(|s| *s = None);
            return;
        }
        let max_lw = dests.iter().map(|d| d.last_weight).fold(0, i32::max);
        let shift = (fls(max_lw / g) - TAB_BITS as i32).max(0);

        struct Setup {
            skip: u32,
            perm: u32,
            turns: i32,
        }
        let mut setup: Vec<Setup> = dests
            .iter()
            .map(|d| {
                let (offset, skip) = permutation(d.addr, d.port);
                let lw = d.last_weight;
                let t = (lw / g) >> shift;
                let turns = if t != 0 { t } else { (lw != 0) as i32 };
                Setup {
                    skip,
                    perm: offset,
                    turns,
                }
            })
            .collect();

        let m = TAB_SIZE as usize;
        let mut taken = vec![false; m];
        let mut n = 0usize;
        let mut dt_count = 0;
        // Rounds over the list; each dest with turns >= 1 claims `turns` slots in a row.
        'fill: loop {
            let mut i = 0;
            while i < dests.len() {
                let ds = &mut setup[i];
                if ds.turns < 1 {
                    i += 1;
                    continue;
                }
                let mut c = ds.perm;
                while taken[c as usize] {
                    ds.perm += ds.skip;
                    if ds.perm >= TAB_SIZE {
                        ds.perm -= TAB_SIZE;
                    }
                    c = ds.perm;
                }
                taken[c as usize] = true;
                self.lookup[c as usize] = Some(dests[i].id);
                n += 1;
                if n == m {
                    break 'fill;
                }
                dt_count += 1;
                if dt_count >= ds.turns {
                    dt_count = 0;
                    i += 1;
                }
            }
        }
    }

    fn usable(dests: &[DestView], id: DestId) -> bool {
        dests
            .iter()
            .any(|d| d.id == id && d.weight > 0 && !d.overloaded)
    }
}

impl Scheduler for MhScheduler {
    fn name(&self) -> &'static str {
        "mh"
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
        let ihash = client_slot(pkt.saddr, port) as u32;
        let first = self.lookup[ihash as usize].ok_or_else(no_dest)?;
        if Self::usable(dests, first) {
            return Ok(first);
        }
        if self.flags & SVC_F_SCHED1 == 0 {
            return Err(no_dest());
        }
        // mh-fallback: a fresh hash per probe, offset by (i + ihash) mod M.
        for i in 0..TAB_SIZE {
            let roffset = (i + ihash) % TAB_SIZE;
            let slot = mh_hashkey(pkt.saddr, port, HASH1, roffset) % TAB_SIZE;
            let id = self.lookup[slot as usize].ok_or_else(no_dest)?;
            if Self::usable(dests, id) {
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
    use crate::ipvs::sched::SVC_F_SCHED2;

    fn count(t: &[Option<DestId>], id: u32) -> usize {
        t.iter().filter(|x| **x == Some(DestId(id))).count()
    }

    #[test]
    fn permutation_vectors() {
        assert_eq!(permutation(ip("192.168.1.1"), 80), (2684, 2584));
        assert_eq!(permutation(ip("192.168.1.2"), 80), (183, 1302));
        assert_eq!(permutation(ip("192.168.1.3"), 80), (1446, 594));
        assert_eq!(client_slot(ip("10.0.0.1"), 0), 3711);
        assert_eq!(client_slot(ip("10.0.0.2"), 0), 1884);
    }

    /// Three dests 192.168.1.1..3:80 of weight 1 in list order .1, .2, .3.
    fn three() -> Bench<MhScheduler> {
        let mut b = Bench::of(MhScheduler::default());
        b.add_at(3, "192.168.1.3", 80, 1);
        b.add_at(2, "192.168.1.2", 80, 1);
        b.add_at(1, "192.168.1.1", 80, 1);
        b
    }

    #[test]
    fn reference_table_split_and_lookups() {
        let mut b = three();
        let t = b.sched.table();
        assert!(t.iter().all(|s| s.is_some()));
        assert_eq!((count(t, 1), count(t, 2), count(t, 3)), (1365, 1364, 1364));
        assert_eq!(b.pick_from("10.0.0.1", 5555).unwrap(), DestId(2));
        assert_eq!(b.pick_from("10.0.0.2", 5555).unwrap(), DestId(1));
    }

    #[test]
    fn quiesced_dest_keeps_its_slots_and_fails_without_fallback() {
        let mut b = three();
        let before = b.sched.table().to_vec();
        b.edit_weight(2, 0);
        assert_eq!(b.sched.table(), &before[..], "last_weight keeps the slots");
        assert!(b.pick_from("10.0.0.1", 1).is_err());
        b.set_flags(SVC_F_SCHED1);
        let got = b.pick_from("10.0.0.1", 1).unwrap();
        assert_ne!(got, DestId(2));
        // The fallback probes hash (roffset + addr) afresh for roffset = ihash, ihash+1, ...
        let ihash = client_slot(ip("10.0.0.1"), 0) as u32;
        let want = (0..TAB_SIZE)
            .map(|i| mh_hashkey(ip("10.0.0.1"), 0, HASH1, (i + ihash) % TAB_SIZE) % TAB_SIZE)
            .map(|s| before[s as usize].unwrap())
            .find(|id| *id != DestId(2))
            .unwrap();
        assert_eq!(got, want);
    }

    #[test]
    fn dest_added_with_weight_zero_gets_no_slots() {
        let mut b = three();
        b.add_at(4, "192.168.1.4", 80, 0);
        assert_eq!(count(b.sched.table(), 4), 0);
        b.edit_weight(4, 2);
        let t = b.sched.table();
        // last_weight 2,1,1,1 -> turns 2,1,1,1: the new dest takes about 2/5 of the slots
        let c4 = count(t, 4);
        assert!((1400..1900).contains(&c4), "{c4}");
    }

    #[test]
    fn weights_scale_turns_with_gcd_and_shift() {
        let mut b = Bench::of(MhScheduler::default());
        // gcd 100: turns 1 and 3.
        b.add_at(1, "10.1.0.1", 80, 100);
        b.add_at(2, "10.1.0.2", 80, 300);
        let t = b.sched.table();
        let (c1, c2) = (count(t, 1), count(t, 2));
        assert_eq!(c1 + c2, TAB_SIZE as usize);
        assert!(c2 > 2 * c1, "{c1} {c2}");
        // Weights 1 and 1000: 1000 has 10 bits, shift 4: turns 1 and 62.
        let mut b = Bench::of(MhScheduler::default());
        b.add_at(1, "10.1.0.1", 80, 1);
        b.add_at(2, "10.1.0.2", 80, 1000);
        let c1 = count(b.sched.table(), 1);
        assert!((40..140).contains(&c1), "{c1}");
        assert_eq!(fls(1000), 10);
        assert_eq!(fls(0), 0);
    }

    #[test]
    fn port_flag_changes_the_key() {
        let mut b = three();
        b.set_flags(SVC_F_SCHED2);
        let slot = client_slot(ip("10.0.0.1"), 40000);
        let want = b.sched.table()[slot].unwrap();
        assert_eq!(b.pick_from("10.0.0.1", 40000).unwrap(), want);
    }

    #[test]
    fn empty_or_all_zero_last_weight_leaves_an_empty_table() {
        let mut b = Bench::of(MhScheduler::default());
        assert!(b.pick().is_err());
        b.add_at(1, "10.1.0.1", 80, 0);
        assert!(b.sched.table().iter().all(|s| s.is_none()));
        b.set_flags(SVC_F_SCHED1);
        assert!(b.pick().is_err());
    }

    #[test]
    fn deleting_a_dest_moves_few_clients() {
        let mut b = three();
        let before = b.sched.table().to_vec();
        b.delete(3);
        let after = b.sched.table();
        // Every slot that did not belong to the deleted dest keeps its owner.
        let moved = before
            .iter()
            .zip(after)
            .filter(|(x, y)| **x != Some(DestId(3)) && x != y)
            .count();
        assert!(moved < 50, "{moved}");
        assert_eq!(count(after, 3), 0);
    }
}
