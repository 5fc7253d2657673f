//! IPVS statistics (K:ip_vs_core.c `ip_vs_in_stats` and friends) and the rate estimator
//! (K:ip_vs_est.c): counters per dest, per service and in total, `-Z` zeroing by snapshot,
//! and the 2-second fixed-point EWMA with the kernel's decoding.

use super::snapshot::StatsSnapshot;
use crate::time::SimDuration;

/// How often the kernel recomputes rates.
pub const ESTIMATOR_PERIOD: SimDuration = SimDuration(2_000_000_000);

/// Raw counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
}

impl Counters {
    fn minus(&self, o: &Counters) -> Counters {
        Counters {
            conns: self.conns.wrapping_sub(o.conns),
            inpkts: self.inpkts.wrapping_sub(o.inpkts),
            outpkts: self.outpkts.wrapping_sub(o.outpkts),
            inbytes: self.inbytes.wrapping_sub(o.inbytes),
            outbytes: self.outbytes.wrapping_sub(o.outbytes),
        }
    }
}

/// Estimator state: last counter values and the scaled averages
/// (conns/packets scaled by 2^10 per second, bytes by 2^5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimator {
    last: Counters,
    cps: i64,
    inpps: i64,
    outpps: i64,
    inbps: i64,
    outbps: i64,
}

/// One `struct ip_vs_stats`: counters, the `-Z` baseline, the estimator.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub cnt: Counters,
    zero_base: Counters,
    est: Estimator,
}

fn ewma(avg: &mut i64, diff: u64, shift: u32) {
    let rate = (diff as i64) << shift;
    *avg += (rate - *avg) >> 2;
}

impl Stats {
    pub fn add_conn(&mut self) {
        self.cnt.conns += 1;
    }
    pub fn add_in(&mut self, bytes: u64) {
        self.cnt.inpkts += 1;
        self.cnt.inbytes += bytes;
    }
    pub fn add_out(&mut self, bytes: u64) {
        self.cnt.outpkts += 1;
        self.cnt.outbytes += bytes;
    }

    /// One estimator run (every 2 s).
    pub fn estimate(&mut self) {
        let d = self.cnt.minus(&self.est.last);
        self.est.last = self.cnt;
        ewma(&mut self.est.cps, d.conns, 9);
        ewma(&mut self.est.inpps, d.inpkts, 9);
        ewma(&mut self.est.outpps, d.outpkts, 9);
        ewma(&mut self.est.inbps, d.inbytes, 4);
        ewma(&mut self.est.outbps, d.outbytes, 4);
    }

    /// `ipvsadm -Z`: displayed counters restart from 0, rates are cleared.
    pub fn zero(&mut self) {
        self.zero_base = self.cnt;
        self.est = Estimator {
            last: self.cnt,
            ..Estimator::default()
        };
    }

    /// Counters as ipvsadm shows them, and the decoded rates.
    pub fn snapshot(&self) -> StatsSnapshot {
        let c = self.cnt.minus(&self.zero_base);
        let pkt = |v: i64| ((v + 0x1FF) >> 10).max(0) as u64;
        let byt = |v: i64| ((v + 0xF) >> 5).max(0) as u64;
        StatsSnapshot {
            conns: c.conns,
            inpkts: c.inpkts,
            outpkts: c.outpkts,
            inbytes: c.inbytes,
            outbytes: c.outbytes,
            cps: pkt(self.est.cps),
            inpps: pkt(self.est.inpps),
            outpps: pkt(self.est.outpps),
            inbps: byt(self.est.inbps),
            outbps: byt(self.est.outbps),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_rate_converges_to_the_decoded_value() {
        // 100 conns/s, 1000 pkts/s in, 125 000 bytes/s in, sampled every 2 s.
        let mut s = Stats::default();
        let mut seen = Vec::new();
        for _ in 0..80 {
            s.cnt.conns += 200;
            s.cnt.inpkts += 2000;
            s.cnt.inbytes += 250_000;
            s.estimate();
            seen.push(s.snapshot().cps);
        }
        let snap = s.snapshot();
        assert_eq!(snap.cps, 100);
        assert_eq!(snap.inpps, 1000);
        assert_eq!(snap.inbps, 125_000);
        // EWMA with weight 1/4: after the first sample a quarter of the rate.
        assert_eq!(seen[0], 25);
        assert_eq!(seen[1], 44); // 25 + (100-25)/4 = 43.75 -> rounded
    }

    #[test]
    fn first_samples_match_fixed_point_arithmetic() {
        let mut s = Stats::default();
        s.cnt.conns = 3;
        s.estimate();
        // avg = (3<<9)>>2 = 384 ; decoded (384+511)>>10 = 0
        assert_eq!(s.snapshot().cps, 0);
        s.cnt.conns = 6;
        s.estimate();
        // avg = 384 + ((1536-384)>>2) = 672 ; (672+511)>>10 = 1
        assert_eq!(s.snapshot().cps, 1);
    }

    #[test]
    fn decay_to_zero_and_zeroing() {
        let mut s = Stats::default();
        s.cnt.inbytes = 1_000_000;
        s.cnt.conns = 10;
        s.estimate();
        assert!(s.snapshot().inbps > 0);
        s.zero();
        let z = s.snapshot();
        assert_eq!((z.conns, z.inbytes, z.inbps, z.cps), (0, 0, 0, 0));
        s.cnt.conns += 4;
        s.estimate();
        assert_eq!(s.snapshot().conns, 4);
        for _ in 0..60 {
            s.estimate();
        }
        assert_eq!(s.snapshot().cps, 0);
    }
}
