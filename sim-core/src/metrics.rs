//! Run metrics: requests and their latencies, drops with reasons, per-host and
//! per-server counters, and per-second time series for charts.

use crate::time::SimTime;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counters of one listening application.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ServerCounters {
    pub connections: u64,
    pub requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub syn_dropped: u64,
}

/// Frames and bytes through one interface.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct IfaceCounters {
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

/// One per-second sample for a real server (charts).
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ServerSample {
    pub t: f64,
    pub active: u32,
    pub inactive: u32,
    pub requests: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Metrics {
    pub requests_sent: u64,
    pub requests_completed: u64,
    pub requests_failed: u64,
    pub failures: BTreeMap<String, u64>,
    /// Latency of completed requests, nanoseconds.
    pub latencies: Vec<u64>,
    /// (node, reason) -> count
    pub drops: BTreeMap<(String, String), u64>,
    /// host -> port -> counters
    pub servers: BTreeMap<String, BTreeMap<u16, ServerCounters>>,
    /// [host index][iface index] -> counters
    pub iface_table: Vec<Vec<IfaceCounters>>,
    /// Completed requests per answering server name.
    pub answered_by: BTreeMap<String, u64>,
    pub events: u64,
    pub frames: u64,
    /// Per workload: completed / failed (for the report).
    pub per_workload: BTreeMap<String, (u64, u64)>,
    /// Per-second completions per server name: (second, server) -> count.
    pub completions_per_sec: BTreeMap<(u64, String), u64>,
    /// Latencies per second bucket: second -> latencies (ns) — for p50/p99 charts.
    pub latency_per_sec: BTreeMap<u64, Vec<u64>>,
    /// When the first request was sent and the last one ended (throughput's window).
    pub first_sent: Option<SimTime>,
    pub last_done: Option<SimTime>,
    /// Worker queues of server applications: (host, port) -> statistics.
    pub queueing: BTreeMap<(String, u16), QueueStats>,
}

/// A server application's worker queue: how many requests began service, how many of them
/// waited for a worker, and the sums of waits and service times (for queueing theory).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct QueueStats {
    pub started: u64,
    pub waited: u64,
    pub wait_ns: u128,
    pub service_ns: u128,
}

impl Metrics {
    pub fn drop(&mut self, node: &str, reason: &str) {
        *self
            .drops
            .entry((node.to_string(), reason.to_string()))
            .or_insert(0) += 1;
    }
    /// A client sent a request.
    pub fn sent(&mut self, now: SimTime) {
        self.requests_sent += 1;
        self.first_sent.get_or_insert(now);
    }
    /// A request began service after waiting `wait_ns` for a worker.
    pub fn service_started(&mut self, host: &str, port: u16, wait_ns: u64, service_ns: u64) {
        let key = (host.to_string(), port);
        let q = match self.queueing.get_mut(&key) {
            Some(q) => q,
            None => self.queueing.entry(key).or_default(),
        };
        q.started += 1;
        if wait_ns > 0 {
            q.waited += 1;
            q.wait_ns += u128::from(wait_ns);
        }
        q.service_ns += u128::from(service_ns);
    }
    pub fn complete(&mut self, now: SimTime, workload: &str, latency_ns: u64, server: &str) {
        self.last_done = Some(now);
        self.requests_completed += 1;
        self.latencies.push(latency_ns);
        *self.answered_by.entry(server.to_string()).or_insert(0) += 1;
        self.per_workload
            .entry(workload.to_string())
            .or_insert((0, 0))
            .0 += 1;
        let sec = now.whole_secs();
        *self
            .completions_per_sec
            .entry((sec, server.to_string()))
            .or_insert(0) += 1;
        self.latency_per_sec
            .entry(sec)
            .or_default()
            .push(latency_ns);
    }
    pub fn fail(&mut self, workload: &str, reason: &str) {
        self.requests_failed += 1;
        *self.failures.entry(reason.to_string()).or_insert(0) += 1;
        self.per_workload
            .entry(workload.to_string())
            .or_insert((0, 0))
            .1 += 1;
    }
    /// Counters of a server application (allocates only the first time).
    pub fn server(&mut self, host: &str, port: u16) -> &mut ServerCounters {
        if !self.servers.contains_key(host) {
            self.servers.insert(host.to_string(), BTreeMap::new());
        }
        self.servers.get_mut(host).unwrap().entry(port).or_default()
    }
    pub fn server_counters(&self, host: &str, port: u16) -> ServerCounters {
        self.servers
            .get(host)
            .and_then(|m| m.get(&port))
            .cloned()
            .unwrap_or_default()
    }
    pub fn iface_counters(&self, host: usize, iface: usize) -> IfaceCounters {
        self.iface_table
            .get(host)
            .and_then(|v| v.get(iface))
            .cloned()
            .unwrap_or_default()
    }
}

/// Nearest-rank percentile of a sample (p in 0..=100), in the sample's unit.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(super::percentile(&v, 50.0), 50);
        assert_eq!(super::percentile(&v, 99.0), 99);
        assert_eq!(super::percentile(&v, 100.0), 100);
        assert_eq!(super::percentile(&[], 50.0), 0);
    }
}
