//! Applications: request/response clients driven by workloads, and servers with a backlog,
//! a number of worker slots and a service-time distribution.

use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// A service-time (or think-time) distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Distribution {
    Constant(SimDuration),
    Exponential {
        mean: SimDuration,
    },
    Uniform {
        min: SimDuration,
        max: SimDuration,
    },
    /// Log-normal given its median and the sigma of the underlying normal.
    LogNormal {
        median: SimDuration,
        sigma: f64,
    },
}

impl Distribution {
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        match self {
            Distribution::Constant(d) => *d,
            Distribution::Exponential { mean } => {
                SimDuration::from_secs_f64(rng.exp(mean.as_secs_f64()))
            }
            Distribution::Uniform { min, max } => {
                if max.0 <= min.0 {
                    *min
                } else {
                    SimDuration(min.0 + rng.below(max.0 - min.0 + 1))
                }
            }
            Distribution::LogNormal { median, sigma } => {
                // Box-Muller for a standard normal.
                let u1 = 1.0 - rng.next_f64();
                let u2 = rng.next_f64();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                SimDuration::from_secs_f64(median.as_secs_f64() * (sigma * z).exp())
            }
        }
    }
    pub fn mean(&self) -> SimDuration {
        match self {
            Distribution::Constant(d) => *d,
            Distribution::Exponential { mean } => *mean,
            Distribution::Uniform { min, max } => SimDuration((min.0 + max.0) / 2),
            Distribution::LogNormal { median, sigma } => {
                SimDuration::from_secs_f64(median.as_secs_f64() * (sigma * sigma / 2.0).exp())
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum L4 {
    Tcp,
    Udp,
}

/// A listening application on a host.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSpec {
    pub proto: L4,
    pub port: u16,
    /// Requests served at once.
    pub workers: u32,
    /// Connections waiting (half-open or not yet served) before new SYNs are dropped.
    pub backlog: u32,
    pub service_time: Distribution,
    /// Response headers (first segment) and body bytes.
    pub response_header_bytes: u32,
    pub response_body_bytes: u32,
    pub status: u16,
    /// Service-time multiplier (a "slow" fault sets it above 1).
    pub slowdown: f64,
}

/// How a workload's connections arrive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Arrival {
    /// Poisson arrivals at `rate` per second.
    Poisson { rate: f64 },
    /// Evenly spaced arrivals at `rate` per second.
    Uniform { rate: f64 },
    /// One at a time: the next starts `think` after the previous one finished.
    Sequential { think: SimDuration },
    /// Exactly these connections (a replayed capture), in time order.
    Replay(Vec<ReplayConn>),
}

/// One connection of a replayed capture: when it starts (after the workload's start), from
/// which address and port, and how many bytes each way.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayConn {
    pub at: SimDuration,
    pub src: Ipv4Addr,
    pub sport: u16,
    pub request_bytes: u32,
    pub response_bytes: u32,
}

impl Arrival {
    /// The gap to the next arrival after connection `k` (0-based) started, or None when
    /// the next one does not follow by a gap (sequential) or there is no next one.
    pub fn replay_gap(&self, k: usize) -> Option<SimDuration> {
        match self {
            Arrival::Replay(c) => {
                let (a, b) = (c.get(k)?, c.get(k + 1)?);
                Some(SimDuration(b.at.0.saturating_sub(a.at.0)))
            }
            _ => None,
        }
    }
    /// The replayed connection `k`, for replay workloads.
    pub fn replayed(&self, k: usize) -> Option<&ReplayConn> {
        match self {
            Arrival::Replay(c) => c.get(k),
            _ => None,
        }
    }
}

/// What a client connection does once connected.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum ClientMode {
    /// Send one request, read the response until the server closes (HTTP/1.0 style).
    Request,
    /// Stay connected without sending; close after the given time (None = until told).
    Hold(Option<SimDuration>),
}

/// A stream of client connections from one host to one target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadSpec {
    pub name: String,
    pub client: usize,
    pub proto: L4,
    pub target: (Ipv4Addr, u16),
    /// Source addresses to rotate through (empty = the host's route-selected address).
    pub sources: Vec<Ipv4Addr>,
    pub arrival: Arrival,
    /// Total connections (None = until `stop`).
    pub connections: Option<u64>,
    pub start: SimTime,
    pub stop: Option<SimTime>,
    pub request_bytes: u32,
    pub path: String,
    /// A request not answered within this time is failed and its connection aborted.
    pub timeout: SimDuration,
    /// Close our side right after sending the request (as `nc` does when its input ends).
    pub half_close: bool,
    pub mode: ClientMode,
}

impl WorkloadSpec {
    /// When the first connection starts.
    pub fn first_arrival(&self) -> SimTime {
        match &self.arrival {
            Arrival::Replay(c) => self.start + c.first().map(|f| f.at).unwrap_or_default(),
            _ => self.start,
        }
    }

    /// When the last connection is expected to start: well past the mean for Poisson
    /// arrivals (mean + 4 standard deviations of the sum of the gaps); None when it depends
    /// on the run (sequential clients, or no connection count).
    pub fn last_arrival_estimate(&self) -> Option<SimTime> {
        if let Arrival::Replay(c) = &self.arrival {
            return c.last().map(|l| self.start + l.at);
        }
        let n = self.connections? as f64;
        let secs = match self.arrival {
            Arrival::Poisson { rate } if rate > 0.0 => (n + 4.0 * n.sqrt()) / rate,
            Arrival::Uniform { rate } if rate > 0.0 => n / rate,
            _ => return None,
        };
        Some(self.start + SimDuration::from_secs_f64(secs))
    }
}
