//! Frames in flight, from trace records: a tx record at host A and the rx records of the
//! same packet id at hosts B. Also the indexes the inspector needs (rx by packet, tx by
//! parent).

use lvslab_sim::trace::{Direction, IpSummary, TraceRecord};
use std::collections::BTreeMap;

/// What kind of frame, for colouring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameKind {
    Arp,
    Tcp,
    Udp,
    Other,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrival {
    pub node: String,
    pub iface: String,
    pub t1: u64,
    pub rx: usize,
}

/// One transmission.
#[derive(Clone, Debug, PartialEq)]
pub struct Flight {
    pub pkt: u64,
    pub tx: usize,
    pub node: String,
    pub iface: String,
    pub t0: u64,
    pub arrivals: Vec<Arrival>,
    pub kind: FrameKind,
    /// Hue (0..360) of the connection it belongs to; None for ARP and the like.
    pub hue: Option<u16>,
}

/// A flight's position at a moment: which arrival and how far along (0..1).
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub flight: usize,
    /// Index into `arrivals`, or None when nobody received it.
    pub arrival: Option<usize>,
    pub frac: f64,
}

/// How long a frame nobody receives stays visible.
const LOST_NS: u64 = 100_000;

#[derive(Debug, Default)]
pub struct FlightLog {
    pub flights: Vec<Flight>,
    by_pkt: BTreeMap<u64, usize>,
    /// rx record indexes by packet id.
    pub rx_by_pkt: BTreeMap<u64, Vec<usize>>,
    /// tx record indexes by parent packet id.
    pub tx_by_parent: BTreeMap<u64, Vec<usize>>,
    /// Number of records ingested.
    pub cursor: usize,
    /// Longest flight seen, to bound searches.
    max_len: u64,
}

/// The client side (address, port) of a TCP/UDP packet: the endpoint with the higher port.
pub fn conn_key(ip: &IpSummary) -> Option<(String, u16)> {
    let ip = match &ip.inner {
        Some(inner) => inner.as_ref(),
        None => ip,
    };
    let (sp, dp) = if let Some(t) = &ip.tcp {
        (t.sport, t.dport)
    } else if let Some(u) = &ip.udp {
        (u.sport, u.dport)
    } else {
        return None;
    };
    Some(if sp >= dp {
        (ip.src.clone(), sp)
    } else {
        (ip.dst.clone(), dp)
    })
}

/// A stable colour per connection (FNV-1a of the client endpoint, spread over the hue circle).
pub fn conn_hue(key: &(String, u16)) -> u16 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.0.bytes().chain(key.1.to_be_bytes()) {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    // Golden-angle steps keep neighbouring ports apart.
    ((h % 360) as f64 * 137.508 % 360.0) as u16
}

pub fn kind_of(r: &TraceRecord) -> FrameKind {
    if r.arp.is_some() {
        return FrameKind::Arp;
    }
    match &r.ip {
        Some(ip) => {
            let ip = ip.inner.as_deref().unwrap_or(ip);
            if ip.tcp.is_some() {
                FrameKind::Tcp
            } else if ip.udp.is_some() {
                FrameKind::Udp
            } else {
                FrameKind::Other
            }
        }
        None => FrameKind::Other,
    }
}

impl FlightLog {
    /// Takes in records appended since the last call.
    pub fn ingest(&mut self, records: &[TraceRecord]) {
        for (i, r) in records.iter().enumerate().skip(self.cursor) {
            match r.dir {
                Direction::Tx => {
                    if let Some(p) = r.parent {
                        self.tx_by_parent.entry(p).or_default().push(i);
                    }
                    let hue = r.ip.as_ref().and_then(conn_key).map(|k| conn_hue(&k));
                    self.by_pkt.insert(r.pkt, self.flights.len());
                    self.flights.push(Flight {
                        pkt: r.pkt,
                        tx: i,
                        node: r.node.clone(),
                        iface: r.iface.clone(),
                        t0: r.t,
                        arrivals: Vec::new(),
                        kind: kind_of(r),
                        hue,
                    });
                }
                Direction::Rx => {
                    self.rx_by_pkt.entry(r.pkt).or_default().push(i);
                    if let Some(&f) = self.by_pkt.get(&r.pkt) {
                        let fl = &mut self.flights[f];
                        self.max_len = self.max_len.max(r.t.saturating_sub(fl.t0));
                        fl.arrivals.push(Arrival {
                            node: r.node.clone(),
                            iface: r.iface.clone(),
                            t1: r.t,
                            rx: i,
                        });
                    }
                }
            }
        }
        self.cursor = records.len();
    }

    /// Frames on the wire at time `t`.
    pub fn in_flight(&self, t: u64) -> Vec<Dot> {
        let lo = t.saturating_sub(self.max_len.max(LOST_NS) + 1);
        let start = self.flights.partition_point(|f| f.t0 < lo);
        let mut out = Vec::new();
        for (i, f) in self.flights.iter().enumerate().skip(start) {
            if f.t0 > t {
                break;
            }
            if f.arrivals.is_empty() {
                if t < f.t0 + LOST_NS {
                    out.push(Dot {
                        flight: i,
                        arrival: None,
                        frac: (t - f.t0) as f64 / LOST_NS as f64,
                    });
                }
                continue;
            }
            for (k, a) in f.arrivals.iter().enumerate() {
                if t < a.t1 {
                    let len = (a.t1 - f.t0).max(1) as f64;
                    out.push(Dot {
                        flight: i,
                        arrival: Some(k),
                        frac: (t - f.t0) as f64 / len,
                    });
                }
            }
        }
        out
    }

    /// The next moment after `t` at which a frame is halfway along its link: "step one hop".
    /// The middle of each hop of the flights in `range` (a lost frame's hop is LOST_NS long).
    fn hop_midpoints(&self, range: std::ops::Range<usize>) -> impl Iterator<Item = u64> + '_ {
        self.flights[range].iter().flat_map(|f| {
            let t0 = f.t0;
            let ends: Vec<u64> = if f.arrivals.is_empty() {
                vec![t0 + LOST_NS]
            } else {
                f.arrivals.iter().map(|a| a.t1).collect()
            };
            ends.into_iter().map(move |t1| t0 + (t1 - t0) / 2)
        })
    }

    pub fn next_hop_midpoint(&self, t: u64) -> Option<u64> {
        let lo = t.saturating_sub(self.max_len.max(LOST_NS) + 1);
        let start = self.flights.partition_point(|f| f.t0 < lo);
        self.hop_midpoints(start..self.flights.len())
            .filter(|&m| m > t)
            .min()
    }

    /// The middle of the latest hop that is before `t` (stepping back one hop).
    pub fn prev_hop_midpoint(&self, t: u64) -> Option<u64> {
        let end = self.flights.partition_point(|f| f.t0 < t);
        self.hop_midpoints(0..end).filter(|&m| m < t).max()
    }

    pub fn next_start(&self, t: u64) -> Option<u64> {
        let i = self.flights.partition_point(|f| f.t0 < t);
        self.flights.get(i).map(|f| f.t0)
    }

    /// Number of record indexes at or before `t` (records are in time order).
    pub fn records_until(records: &[TraceRecord], t: u64) -> usize {
        records.partition_point(|r| r.t <= t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    fn traced(name: &str, until_ms: u64) -> Vec<TraceRecord> {
        let b = bundled::find(name).unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        sim.world.trace.enabled = true;
        sim.run_until(lvslab_sim::SimTime(until_ms * 1_000_000));
        std::mem::take(&mut sim.world.trace.records)
    }

    #[test]
    fn every_unicast_ip_frame_lands_somewhere_and_dots_move() {
        let recs = traced("dr-lab", 400);
        let mut log = FlightLog::default();
        log.ingest(&recs[..recs.len() / 2]);
        log.ingest(&recs);
        assert_eq!(log.cursor, recs.len());
        let tcp: Vec<_> = log
            .flights
            .iter()
            .filter(|f| f.kind == FrameKind::Tcp)
            .collect();
        assert!(!tcp.is_empty());
        assert!(tcp.iter().all(|f| f.arrivals.len() == 1 && f.hue.is_some()));
        let f = tcp[0];
        let a = &f.arrivals[0];
        let mid = f.t0 + (a.t1 - f.t0) / 2;
        let dots = log.in_flight(mid);
        let d = dots
            .iter()
            .find(|d| log.flights[d.flight].pkt == f.pkt)
            .unwrap();
        assert!((d.frac - 0.5).abs() < 0.01);
        assert!(log
            .in_flight(a.t1)
            .iter()
            .all(|d| log.flights[d.flight].pkt != f.pkt || d.arrival != Some(0)));
        let next = log.next_hop_midpoint(f.t0).unwrap();
        assert!(next > f.t0 && next <= mid);
    }

    #[test]
    fn same_connection_same_colour_across_nat() {
        let recs = traced("nat-lab", 400);
        let mut log = FlightLog::default();
        log.ingest(&recs);
        // The client's SYN and the director's rewritten SYN share the client endpoint.
        let syn_client = log
            .flights
            .iter()
            .find(|f| f.node == "client" && f.kind == FrameKind::Tcp)
            .unwrap();
        let child = recs
            .iter()
            .find(|r| r.node == "director" && r.dir == Direction::Tx && r.ip.is_some())
            .unwrap();
        let hue_child = conn_hue(&conn_key(child.ip.as_ref().unwrap()).unwrap());
        assert_eq!(syn_client.hue, Some(hue_child));
    }
}
