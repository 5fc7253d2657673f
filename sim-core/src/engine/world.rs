//! Everything a host may touch besides itself: the clock, the event queue, the segments it
//! transmits onto, the trace and the metrics. Hosts push events here; the engine delivers.

use super::queue::EventQueue;
use super::{Event, HostTimer};
use crate::ipvs::Decision;
use crate::metrics::Metrics;
use crate::net::segment::Segment;
use crate::net::Iface;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::trace::{self, Direction, TraceLog, Verdict};
use crate::wire::Frame;

/// Something a host tells the engine (beyond scheduling events).
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// A request of this workload finished (completed or failed).
    RequestFinished { workload: usize },
    /// A connection opened by the console finished connecting (or failed).
    ConsoleConnect {
        tag: u64,
        outcome: Result<(), String>,
    },
    /// A VRRP advertisement reached a host whose VRRP daemon listens.
    Vrrp {
        node: usize,
        iface: usize,
        packet: Box<crate::wire::Ipv4Packet>,
    },
    /// A health-check connection finished (connected, answered, or failed).
    Probe {
        node: usize,
        tag: u64,
        outcome: ProbeOutcome,
    },
}

/// What a health-check connection found.
#[derive(Clone, Debug, PartialEq)]
pub enum ProbeOutcome {
    /// TCP connection established (TCP_CHECK success).
    Connected,
    /// HTTP response status line received.
    Status(u16),
    /// Refused, reset, unreachable, timed out or closed without an answer.
    Failed(String),
}

pub struct World {
    pub now: SimTime,
    pub queue: EventQueue<Event>,
    pub segments: Vec<Segment>,
    pub trace: TraceLog,
    pub metrics: Metrics,
    pub notices: Vec<Notice>,
    /// Scheduling decisions (director name, decision), when recorded.
    pub decisions: Vec<(String, Decision)>,
    pub record_decisions: bool,
    next_pkt: u64,
    link_rng: SimRng,
}

impl World {
    pub fn new(segments: Vec<Segment>, link_rng: SimRng) -> Self {
        World {
            now: SimTime::ZERO,
            queue: EventQueue::default(),
            segments,
            trace: TraceLog::default(),
            metrics: Metrics::default(),
            notices: Vec::new(),
            decisions: Vec::new(),
            record_decisions: false,
            next_pkt: 0,
            link_rng,
        }
    }

    pub fn schedule(&mut self, at: SimTime, ev: Event) {
        self.queue.push(at, ev);
    }

    pub fn timer(&mut self, node: usize, at: SimTime, timer: HostTimer) {
        self.queue.push(
            at,
            Event::Timer {
                node: node as u32,
                timer,
            },
        );
    }

    /// Puts a frame on the segment the interface is plugged into. Returns its packet id.
    pub fn transmit(
        &mut self,
        node: usize,
        node_name: &str,
        iface_index: usize,
        iface: &Iface,
        frame: Frame,
        parent: Option<u64>,
    ) -> Option<u64> {
        let (seg, port) = iface.attachment?;
        self.next_pkt += 1;
        let pkt = self.next_pkt;
        let len = frame.len();
        self.metrics.frames += 1;
        let c = self.iface_counters(node, iface_index);
        c.tx_packets += 1;
        c.tx_bytes += len as u64;
        if self.trace.enabled {
            self.trace.records.push(trace::record(
                trace::Hop {
                    t: self.now,
                    node: node_name,
                    iface: &iface.name,
                    dir: Direction::Tx,
                    pkt,
                    parent,
                },
                &frame,
                Verdict::Sent,
            ));
        }
        let s = &mut self.segments[seg];
        if self.trace.capture {
            self.trace
                .frames
                .push((self.now, s.name.clone(), frame.clone()));
        }
        if !s.ports[port].connected {
            return Some(pkt);
        }
        if s.link.loss > 0.0 && self.link_rng.chance(s.link.loss) {
            self.metrics.drop(&s.name, "lost on the link");
            return Some(pkt);
        }
        let half = SimDuration(s.link.latency.0 / 2);
        let jitter = if s.link.jitter.0 > 0 {
            SimDuration(self.link_rng.below(s.link.jitter.0 + 1))
        } else {
            SimDuration::ZERO
        };
        let ser = s.link.serialization(len);
        let at_switch = s.ports[port].up.schedule(self.now, ser, half + jitter);
        // The switch is store-and-forward with fixed delays, so its decision and the egress
        // timing can be computed now; one event per receiving port instead of two per hop.
        self.switch(seg, port, at_switch, pkt, Box::new(frame));
        Some(pkt)
    }

    /// The switch of a segment forwards a frame that arrived on one of its ports.
    pub fn switch(
        &mut self,
        seg: usize,
        in_port: usize,
        arrival: SimTime,
        pkt: u64,
        frame: Box<Frame>,
    ) {
        let egress = self.segments[seg].forward(in_port, frame.src, frame.dst);
        let outs = egress.ports();
        let n = outs.len();
        let mut frame = Some(frame);
        for (k, &o) in outs.iter().enumerate() {
            // The last port gets the frame itself; the others a copy.
            let f = if k + 1 == n {
                frame.take().unwrap()
            } else {
                frame.clone().unwrap()
            };
            let s = &mut self.segments[seg];
            if s.link.loss > 0.0 && self.link_rng.chance(s.link.loss) {
                let name = s.name.clone();
                self.metrics.drop(&name, "lost on the link");
                continue;
            }
            let half = SimDuration(s.link.latency.0 / 2);
            let jitter = if s.link.jitter.0 > 0 {
                SimDuration(self.link_rng.below(s.link.jitter.0 + 1))
            } else {
                SimDuration::ZERO
            };
            let ser = s.link.serialization(f.len());
            let at = s.ports[o].down.schedule(arrival, ser, half + jitter);
            let (node, iface) = (s.ports[o].node as u32, s.ports[o].iface as u32);
            self.queue.push(
                at,
                Event::HostRx {
                    node,
                    iface,
                    pkt,
                    frame: f,
                },
            );
        }
    }

    /// Interface counters by host and interface index (kept in vectors: this is per frame).
    pub fn iface_counters(
        &mut self,
        node: usize,
        iface: usize,
    ) -> &mut crate::metrics::IfaceCounters {
        let v = &mut self.metrics.iface_table;
        if v.len() <= node {
            v.resize_with(node + 1, Vec::new);
        }
        if v[node].len() <= iface {
            v[node].resize_with(iface + 1, Default::default);
        }
        &mut v[node][iface]
    }

    /// Counts a drop verdict without building a trace record.
    pub fn note_rx(&mut self, node_name: &str, verdict: &Verdict) {
        if let Verdict::Dropped(r) = verdict {
            self.metrics.drop(node_name, r);
        }
    }

    /// Records what happened to a received frame.
    pub fn trace_rx(
        &mut self,
        node_name: &str,
        iface: &str,
        frame: &Frame,
        pkt: u64,
        verdict: Verdict,
    ) {
        if let Verdict::Dropped(r) = &verdict {
            self.metrics.drop(node_name, r);
        }
        if self.trace.enabled {
            self.trace.records.push(trace::record(
                trace::Hop {
                    t: self.now,
                    node: node_name,
                    iface,
                    dir: Direction::Rx,
                    pkt,
                    parent: None,
                },
                frame,
                verdict,
            ));
        }
    }
}
