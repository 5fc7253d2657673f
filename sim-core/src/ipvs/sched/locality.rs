//! The cache table shared by lblc and lblcr (K:ip_vs_lblc.c, K:ip_vs_lblcr.c): entries
//! keyed by the packet's destination address in 1024 hash buckets, plus the periodic
//! garbage collection the kernel runs from a per-service timer.

use super::hash::{fold_addr, hash_32};
use crate::time::{SimDuration, SimTime};
use std::net::IpAddr;

/// CONFIG_IP_VS_LBLC_TAB_BITS / CONFIG_IP_VS_LBLCR_TAB_BITS default.
pub const TAB_BITS: u32 = 10;
pub const TAB_SIZE: usize = 1 << TAB_BITS;
const TAB_MASK: usize = TAB_SIZE - 1;
/// The table's nominal capacity: 16 entries per bucket.
pub const MAX_SIZE: usize = TAB_SIZE * 16;
/// CHECK_EXPIRE_INTERVAL: the garbage-collection timer period.
pub const CHECK_EXPIRE_INTERVAL: SimDuration = SimDuration(60 * crate::time::NANOS_PER_SEC);
/// ENTRY_TIMEOUT: idle time after which the partial (over-capacity) scan may drop an entry.
pub const ENTRY_TIMEOUT: SimDuration = SimDuration(6 * 60 * crate::time::NANOS_PER_SEC);
/// COUNT_FOR_FULL_EXPIRATION: every 30th tick without a partial scan is a full scan.
const COUNT_FOR_FULL_EXPIRATION: u32 = 30;

/// A cache entry: destination address, last use, and the scheduler's payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<T> {
    pub addr: IpAddr,
    pub lastuse: SimTime,
    pub data: T,
}

#[derive(Debug, Clone)]
pub struct LocalityTable<T> {
    buckets: Vec<Vec<Entry<T>>>,
    /// The kernel's `entries` counter (may drift above the real count, see lblc).
    entries: usize,
    rover: usize,
    counter: u32,
    next_tick: SimTime,
}

/// The bucket of a destination address.
pub fn bucket_of(addr: IpAddr) -> usize {
    hash_32(fold_addr(addr), TAB_BITS) as usize
}

impl<T> LocalityTable<T> {
    /// A table for a service created at `now`; the first timer tick is one interval later.
    pub fn new(now: SimTime) -> Self {
        LocalityTable {
            buckets: (0..TAB_SIZE).map(|_| Vec::new()).collect(),
            entries: 0,
            rover: 0,
            counter: 1,
            next_tick: now + CHECK_EXPIRE_INTERVAL,
        }
    }

    pub fn get_mut(&mut self, addr: IpAddr) -> Option<&mut Entry<T>> {
        self.buckets[bucket_of(addr)]
            .iter_mut()
            .find(|e| e.addr == addr)
    }

    pub fn get(&self, addr: IpAddr) -> Option<&Entry<T>> {
        self.buckets[bucket_of(addr)]
            .iter()
            .find(|e| e.addr == addr)
    }

    /// Inserts at the bucket head and counts it (`hlist_add_head` + `entries++`).
    pub fn insert(&mut self, e: Entry<T>) {
        self.buckets[bucket_of(e.addr)].insert(0, e);
        self.entries += 1;
    }

    /// Unlinks the entry for `addr` without touching the counter (the kernel's
    /// `ip_vs_lblc_del`, whose callers decide whether to decrement).
    pub fn unlink(&mut self, addr: IpAddr) -> Option<Entry<T>> {
        let b = &mut self.buckets[bucket_of(addr)];
        let i = b.iter().position(|e| e.addr == addr)?;
        Some(b.remove(i))
    }

    /// The kernel's entry counter.
    pub fn counted_entries(&self) -> usize {
        self.entries
    }

    /// Entries actually present.
    pub fn len(&self) -> usize {
        self.buckets.iter().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry<T>> {
        self.buckets.iter().flatten()
    }

    pub fn next_tick(&self) -> SimTime {
        self.next_tick
    }

    /// Removes, in bucket `j`, the entries `stale` says are stale; returns how many.
    fn sweep_bucket(&mut self, j: usize, stale: impl Fn(&Entry<T>) -> bool) -> usize {
        let b = &mut self.buckets[j];
        let before = b.len();
        b.retain(|e| !stale(e));
        let removed = before - b.len();
        self.entries = self.entries.saturating_sub(removed);
        removed
    }

    /// One run of the periodic timer (`ip_vs_lblc_check_expire`), if it is due.
    pub fn on_timer(&mut self, now: SimTime, expiration: SimDuration) {
        if now < self.next_tick {
            return;
        }
        if self.counter % COUNT_FOR_FULL_EXPIRATION == 0 {
            // Full scan: drop every entry idle for at least the expiration.
            let mut j = self.rover;
            for _ in 0..TAB_SIZE {
                j = (j + 1) & TAB_MASK;
                self.sweep_bucket(j, |e| now >= e.lastuse + expiration);
            }
            self.rover = j;
            self.counter = 1;
        } else if self.entries <= MAX_SIZE {
            self.counter += 1;
        } else {
            // Over capacity: drop entries idle >= ENTRY_TIMEOUT, bucket by bucket from the
            // rover, until the goal is met.
            let mut goal = ((self.entries - MAX_SIZE) * 4 / 3).min(MAX_SIZE / 2) as i64;
            let mut j = self.rover;
            for _ in 0..TAB_SIZE {
                j = (j + 1) & TAB_MASK;
                goal -= self.sweep_bucket(j, |e| now >= e.lastuse + ENTRY_TIMEOUT) as i64;
                if goal <= 0 {
                    break;
                }
            }
            self.rover = j;
        }
        self.next_tick = now + CHECK_EXPIRE_INTERVAL;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn a(i: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i))
    }

    #[test]
    fn bucket_vectors() {
        assert_eq!(bucket_of("10.0.0.1".parse().unwrap()), 159);
        assert_eq!(bucket_of("10.0.0.2".parse().unwrap()), 550);
        assert_eq!(bucket_of("192.168.1.100".parse().unwrap()), 357);
        assert_eq!(bucket_of("172.16.5.9".parse().unwrap()), 460);
    }

    #[test]
    fn full_scan_every_thirtieth_tick() {
        let exp = SimDuration::from_secs(600);
        let mut t: LocalityTable<()> = LocalityTable::new(SimTime::ZERO);
        t.insert(Entry {
            addr: a(1),
            lastuse: SimTime::ZERO,
            data: (),
        });
        t.insert(Entry {
            addr: a(2),
            lastuse: SimTime::from_secs(1500),
            data: (),
        });
        // Ticks at 60, 120, ..., 1740 only count; the 30th tick (1800 s) scans.
        for k in 1..30 {
            let now = SimTime::from_secs(60 * k);
            assert_eq!(t.next_tick(), now);
            t.on_timer(now, exp);
            assert_eq!(t.len(), 2, "tick {k}");
        }
        t.on_timer(SimTime::from_secs(1800), exp);
        // a(1) idle 1800 s >= 600 -> gone; a(2) idle 300 s -> kept.
        assert_eq!(t.len(), 1);
        assert!(t.get(a(2)).is_some());
        assert_eq!(t.counted_entries(), 1);
        assert_eq!(t.next_tick(), SimTime::from_secs(1860));
        // The counter restarted at 1: the next full scan is 30 ticks later.
        for k in 31..60 {
            t.on_timer(SimTime::from_secs(60 * k), exp);
            assert_eq!(t.len(), 1);
        }
        t.on_timer(SimTime::from_secs(3600), exp);
        assert!(t.is_empty());
    }

    #[test]
    fn idle_exactly_expiration_is_removed() {
        let exp = SimDuration::from_secs(1800);
        let mut t: LocalityTable<()> = LocalityTable::new(SimTime::ZERO);
        t.insert(Entry {
            addr: a(1),
            lastuse: SimTime::ZERO,
            data: (),
        });
        t.insert(Entry {
            addr: a(2),
            lastuse: SimTime(1),
            data: (),
        });
        for k in 1..=30 {
            t.on_timer(SimTime::from_secs(60 * k), exp);
        }
        assert!(t.get(a(1)).is_none());
        assert!(t.get(a(2)).is_some());
    }

    #[test]
    fn early_call_does_nothing() {
        let mut t: LocalityTable<()> = LocalityTable::new(SimTime::from_secs(5));
        t.on_timer(SimTime::from_secs(64), SimDuration::from_secs(1));
        assert_eq!(t.next_tick(), SimTime::from_secs(65));
    }

    #[test]
    fn partial_scan_above_max_size() {
        let exp = SimDuration::from_secs(86_400);
        let mut t: LocalityTable<()> = LocalityTable::new(SimTime::ZERO);
        let n = MAX_SIZE as u32 + 300;
        for i in 0..n {
            // half the entries old, half fresh
            let lastuse = if i % 2 == 0 {
                SimTime::ZERO
            } else {
                SimTime::from_secs(59)
            };
            t.insert(Entry {
                addr: a(i),
                lastuse,
                data: (),
            });
        }
        t.on_timer(SimTime::from_secs(60), exp);
        // At 60 s nothing is idle for 6 minutes yet: no removal, counter not advanced.
        assert_eq!(t.len(), n as usize);
        for k in 2..=6 {
            t.on_timer(SimTime::from_secs(60 * k), exp);
        }
        // At 360 s the old half is stale; goal = 300 * 4 / 3 = 400, stop after the bucket
        // that reaches it.
        let removed = n as usize - t.len();
        assert!((400..430).contains(&removed), "{removed}");
        // Only old entries went; the fresh half is intact.
        let fresh = t.iter().filter(|e| e.lastuse != SimTime::ZERO).count();
        assert_eq!(fresh, n as usize / 2);
        assert_eq!(t.counted_entries(), t.len());
    }
}
