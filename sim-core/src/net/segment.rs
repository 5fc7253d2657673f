//! An Ethernet segment: a learning switch with one port per attached interface.
//! Each port models a full-duplex link with latency, bandwidth (serialization delay),
//! optional jitter and loss; frames on one port never overtake each other.

use super::fasthash::FastMap;
use crate::time::{SimDuration, SimTime};
use crate::wire::MacAddr;
use std::collections::BTreeSet;

/// Link properties shared by all ports of a segment.
#[derive(Clone, Debug)]
pub struct LinkParams {
    /// One-way latency between two hosts on the segment (half on each side of the switch).
    pub latency: SimDuration,
    /// Bits per second (0 = infinite).
    pub bandwidth_bps: u64,
    /// Extra random delay, uniform in [0, jitter], per frame and hop.
    pub jitter: SimDuration,
    /// Probability that a frame is lost on a hop.
    pub loss: f64,
}

impl LinkParams {
    pub fn serialization(&self, bytes: usize) -> SimDuration {
        // Preamble + SFD + FCS + inter-frame gap = 24 bytes on the wire per frame.
        let bits = (bytes.max(60) as u64 + 24) * 8;
        SimDuration(
            (bits * 1_000_000_000)
                .checked_div(self.bandwidth_bps)
                .unwrap_or(0),
        )
    }
}

/// One direction of a port: when it is next free and the last arrival it produced,
/// so frames stay in order.
#[derive(Clone, Debug, Default)]
pub struct PortQueue {
    pub busy_until: SimTime,
    pub last_arrival: SimTime,
}

impl PortQueue {
    /// Departure and arrival time of a frame entering this queue now.
    pub fn schedule(&mut self, now: SimTime, ser: SimDuration, delay: SimDuration) -> SimTime {
        let start = if self.busy_until > now {
            self.busy_until
        } else {
            now
        };
        let done = start + ser;
        self.busy_until = done;
        let mut arrive = done + delay;
        if arrive < self.last_arrival {
            arrive = self.last_arrival;
        }
        self.last_arrival = arrive;
        arrive
    }
}

/// A port of the switch: which host interface is plugged in.
#[derive(Clone, Debug)]
pub struct Port {
    pub node: usize,
    pub iface: usize,
    /// host -> switch direction
    pub up: PortQueue,
    /// switch -> host direction
    pub down: PortQueue,
    pub connected: bool,
}

/// Where the switch sends a frame (one learned port needs no allocation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Egress {
    None,
    One(usize),
    Flood(Vec<usize>),
}

impl Egress {
    pub fn ports(&self) -> &[usize] {
        match self {
            Egress::None => &[],
            Egress::One(p) => std::slice::from_ref(p),
            Egress::Flood(v) => v,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Segment {
    pub name: String,
    pub link: LinkParams,
    pub ports: Vec<Port>,
    /// Port pairs (lower, higher) that cannot reach each other: a failed link between
    /// the switches they hang off (a network split).
    pub cut: BTreeSet<(usize, usize)>,
    /// MAC learning table (lookups only; never iterated).
    fdb: FastMap<MacAddr, usize>,
}

impl Segment {
    pub fn new(name: String, link: LinkParams) -> Self {
        Segment {
            name,
            link,
            ports: Vec::new(),
            cut: BTreeSet::new(),
            fdb: FastMap::default(),
        }
    }
    pub fn attach(&mut self, node: usize, iface: usize) -> usize {
        self.ports.push(Port {
            node,
            iface,
            up: PortQueue::default(),
            down: PortQueue::default(),
            connected: true,
        });
        self.ports.len() - 1
    }
    /// Learns the source and returns the output ports for a frame that came in on `in_port`.
    pub fn forward(&mut self, in_port: usize, src: MacAddr, dst: MacAddr) -> Egress {
        if !src.is_multicast() {
            self.fdb.insert(src, in_port);
        }
        if !dst.is_multicast() {
            if let Some(&p) = self.fdb.get(&dst) {
                return if p == in_port || self.is_cut(in_port, p) {
                    Egress::None
                } else {
                    Egress::One(p)
                };
            }
        }
        Egress::Flood(
            (0..self.ports.len())
                .filter(|p| *p != in_port && self.ports[*p].connected && !self.is_cut(in_port, *p))
                .collect(),
        )
    }
    /// Whether frames cannot pass between two ports.
    pub fn is_cut(&self, a: usize, b: usize) -> bool {
        !self.cut.is_empty() && self.cut.contains(&(a.min(b), a.max(b)))
    }
    /// Forgets what was learned on a port (link down).
    pub fn flush_port(&mut self, port: usize) {
        self.fdb.retain(|_, p| *p != port);
    }
}
