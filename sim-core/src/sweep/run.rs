//! Running one point of a sweep: build the scenario with the point's values, choose the
//! engine, run it while sampling the directors' connection counts, and summarise.

use super::file::ModeChoice;
use super::result::{Figures, RunMode};
use crate::metrics::percentile;
use crate::net::host::Role;
use crate::time::{SimDuration, SimTime};
use crate::Simulation;

/// How often the directors' ActiveConn/InActConn are sampled for the peaks.
pub const SAMPLE_EVERY: SimDuration = SimDuration(100_000_000);

/// Above this share of a link's bandwidth, queueing on the link matters and bulk mode (which
/// models propagation delay only) would be optimistic: the point runs packet by packet.
pub const BULK_LINK_LIMIT: f64 = 0.5;

/// What a finished run says about itself.
pub struct RunOutcome {
    pub figures: Figures,
    pub mode: RunMode,
    pub note: String,
}

/// Picks the engine for a built simulation. Returns the mode and, when bulk was wanted but
/// not possible, why.
pub fn choose_mode(sim: &mut Simulation, mode: ModeChoice) -> Result<(RunMode, String), String> {
    match mode {
        ModeChoice::Packet => Ok((RunMode::Packet, String::new())),
        ModeChoice::Bulk => sim
            .use_bulk_mode()
            .map(|_| (RunMode::Bulk, String::new()))
            .map_err(|why| format!("bulk mode cannot run this point: {why}")),
        ModeChoice::Auto => Ok(match sim.use_bulk_mode() {
            Ok(()) => (RunMode::Bulk, String::new()),
            Err(why) => (RunMode::Packet, why),
        }),
    }
}

/// Long enough for every request of every workload to be answered or to time out.
pub fn settle_end(sim: &Simulation) -> SimTime {
    let mut end = sim.end;
    for w in &sim.workloads {
        let s = &w.spec;
        let last_arrival = if let Some(stop) = s.stop {
            Some(stop)
        } else {
            s.last_arrival_estimate()
        };
        if let Some(t) = last_arrival {
            end = end.max(t + s.timeout + SimDuration::from_secs(1));
        }
    }
    end
}

/// Runs to `sim.end`, sampling the peaks, and summarises.
pub fn run_and_measure(sim: &mut Simulation) -> Figures {
    let mut peak = (0u64, 0u64);
    let end = sim.end;
    let mut t = SimTime::ZERO;
    loop {
        t = (t + SAMPLE_EVERY).min(end);
        sim.run_until(t);
        let (a, i) = director_counts(sim);
        peak.0 = peak.0.max(a);
        peak.1 = peak.1.max(i);
        if t >= end || sim.next_event_time().is_none() {
            break;
        }
    }
    figures(sim, peak)
}

fn director_counts(sim: &Simulation) -> (u64, u64) {
    sim.hosts
        .iter()
        .filter_map(|h| h.ipvs.as_ref())
        .map(|i| i.conn_counts())
        .fold((0, 0), |(a, b), (x, y)| (a + x, b + y))
}

fn figures(sim: &Simulation, peak: (u64, u64)) -> Figures {
    let m = &sim.world.metrics;
    let mut lat = m.latencies.clone();
    lat.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    let mean = if lat.is_empty() {
        0.0
    } else {
        lat.iter().map(|v| *v as u128).sum::<u128>() as f64 / lat.len() as f64 / 1e6
    };
    let window = match (m.first_sent, m.last_done) {
        (Some(a), Some(b)) if b > a => (b.0 - a.0) as f64 / 1e9,
        _ => 0.0,
    };
    let total = m.requests_completed.max(1) as f64;
    let mut f = Figures {
        sent: m.requests_sent,
        completed: m.requests_completed,
        failed: m.requests_failed,
        failures: m.failures.clone(),
        p50_ms: ms(percentile(&lat, 50.0)),
        p90_ms: ms(percentile(&lat, 90.0)),
        p99_ms: ms(percentile(&lat, 99.0)),
        max_ms: ms(lat.last().copied().unwrap_or(0)),
        mean_ms: mean,
        throughput_rps: if window > 0.0 {
            m.requests_completed as f64 / window
        } else {
            0.0
        },
        share: m
            .answered_by
            .iter()
            .map(|(k, v)| (k.clone(), *v as f64 / total))
            .collect(),
        peak_active: peak.0,
        peak_inactive: peak.1,
        events: m.events,
        ..Default::default()
    };
    for h in sim.hosts.iter().filter(|h| h.role == Role::Director) {
        if let Some(ipvs) = &h.ipvs {
            let s = ipvs.snapshot(sim.now()).total;
            f.director_in_packets += s.inpkts;
            f.director_in_bytes += s.inbytes;
            f.director_out_packets += s.outpkts;
            f.director_out_bytes += s.outbytes;
        }
    }
    f
}

/// The busiest link of a bulk run, as a share of its bandwidth: bytes each host sent or
/// received (whichever is more) over the run's active window, against the slowest port the
/// host has. Returns (host, share).
pub fn busiest_link(sim: &Simulation, f: &Figures) -> Option<(String, f64)> {
    let m = &sim.world.metrics;
    let window = match (m.first_sent, m.last_done) {
        (Some(a), Some(b)) if b > a => (b.0 - a.0) as f64 / 1e9,
        _ => return None,
    };
    let mut bandwidth: Vec<Option<u64>> = vec![None; sim.hosts.len()];
    for seg in &sim.world.segments {
        for p in &seg.ports {
            let b = &mut bandwidth[p.node];
            *b = Some(b.map_or(seg.link.bandwidth_bps, |x| x.min(seg.link.bandwidth_bps)));
        }
    }
    let mut load: Vec<u64> = vec![0; sim.hosts.len()];
    let mut responses = 0u64;
    for (i, h) in sim.hosts.iter().enumerate() {
        if h.role == Role::Director {
            load[i] = f.director_in_bytes.max(f.director_out_bytes);
        }
        if let Some(ports) = m.servers.get(&h.name) {
            let (bi, bo) = ports
                .values()
                .fold((0, 0), |(a, b), c| (a + c.bytes_in, b + c.bytes_out));
            load[i] = load[i].max(bi.max(bo));
            responses += bo;
        }
    }
    for w in &sim.workloads {
        load[w.spec.client] = load[w.spec.client].max(responses);
    }
    let mut best: Option<(String, f64)> = None;
    for (i, bytes) in load.iter().enumerate() {
        let Some(bw) = bandwidth[i].filter(|b| *b > 0) else {
            continue;
        };
        let share = *bytes as f64 * 8.0 / window / bw as f64;
        if best.as_ref().is_none_or(|b| share > b.1) {
            best = Some((sim.hosts[i].name.clone(), share));
        }
    }
    best
}
