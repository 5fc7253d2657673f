//! The what-if panel: change weights, scheduler, timeouts and the arrival rate, rerun a bulk
//! simulation (no trace, no animation) and chart the result.

use crate::console::run_ipvsadm;
use crate::controls;
use crate::sampling::{ChartData, Sampler};
use lvslab_sim::metrics::percentile;
use lvslab_sim::scenario::format::Dur;
use lvslab_sim::scenario::Scenario;
use lvslab_sim::{SimDuration, SimTime};

/// The bundled base of the what-if panel: one LAN, so bulk runs are cheap per connection.
pub const BASE_NAME: &str = "whatif-dr";
pub const BASE_TEXT: &str = include_str!("whatif-dr.toml");

pub fn base() -> Result<Scenario, String> {
    Scenario::parse(BASE_NAME, BASE_TEXT).map_err(|d| format!("{d:?}"))
}

/// What the sliders set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// (real server "addr:port", weight)
    pub weights: Vec<(String, i32)>,
    pub scheduler: String,
    /// IPVS FIN_WAIT timeout (`ipvsadm --set 0 FIN 0`), seconds.
    pub tcp_fin_s: u32,
    /// The hosts' TCP TIME_WAIT, milliseconds (Linux: 60 000).
    pub time_wait_ms: u64,
    /// New connections per second.
    pub rate: f64,
    pub connections: u64,
}

/// Results of one bulk run.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub chart: ChartData,
    pub sent: u64,
    pub completed: u64,
    pub failed: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// (server, completed requests)
    pub per_server: Vec<(String, u64)>,
    pub events: u64,
    pub simulated_s: f64,
    pub failures: Vec<(String, u64)>,
    /// True when the run used the connection-level bulk mode (else packet by packet).
    pub bulk: bool,
}

/// The sliders' starting values: what the scenario itself says.
pub fn defaults(sc: &Scenario) -> Result<Params, String> {
    let (sim, _) = sc
        .build(None)
        .map_err(|d| format!("{} diagnostics", d.len()))?;
    let (svcs, dests) = controls::services(&sim);
    let w = sc
        .spec
        .workloads
        .first()
        .ok_or("the scenario has no workload")?;
    let mut weights: Vec<(String, i32)> =
        dests.iter().map(|d| (d.dest.clone(), d.weight)).collect();
    weights.sort();
    Ok(Params {
        weights,
        scheduler: svcs
            .first()
            .map(|s| s.scheduler.clone())
            .unwrap_or("wlc".into()),
        tcp_fin_s: sim
            .hosts
            .iter()
            .find_map(|h| h.ipvs.as_ref())
            .map(|i| i.config().timeouts.tcp_fin)
            .unwrap_or(120),
        time_wait_ms: sc
            .spec
            .hosts
            .iter()
            .find_map(|h| h.time_wait)
            .map(|d| d.0 .0 / 1_000_000)
            .unwrap_or(60_000),
        rate: w.rate.unwrap_or(100.0),
        connections: w.connections.unwrap_or(1000),
    })
}

/// Builds the scenario with the parameters applied, runs it to the end sampling every
/// simulated second, and summarises.
pub fn run(sc: &Scenario, p: &Params) -> Result<Outcome, String> {
    if !(p.rate.is_finite() && p.rate > 0.0) {
        return Err("the arrival rate must be above 0".into());
    }
    let mut sc = sc.clone();
    let w = sc
        .spec
        .workloads
        .first_mut()
        .ok_or("the scenario has no workload")?;
    w.rate = Some(p.rate);
    w.connections = Some(p.connections);
    for h in &mut sc.spec.hosts {
        h.time_wait = Some(Dur(SimDuration::from_millis(p.time_wait_ms)));
    }
    let (mut sim, _) = sc.build(None).map_err(|d| {
        d.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    sim.world.trace.enabled = false;
    sim.world.trace.capture = false;
    // Long enough for every connection to arrive and finish.
    let arrive_s = p.connections as f64 / p.rate;
    sim.end = SimTime::ZERO + SimDuration::from_secs_f64(arrive_s.ceil() + 2.0);
    let (svcs, dests) = controls::services(&sim);
    let mut cmds = Vec::new();
    for s in &svcs {
        if s.scheduler != p.scheduler {
            cmds.push((s.director, s.scheduler_command(&p.scheduler)));
        }
    }
    for d in &dests {
        if let Some((_, w)) = p.weights.iter().find(|(a, _)| *a == d.dest) {
            if *w != d.weight {
                cmds.push((d.director, d.weight_command(*w)));
            }
        }
    }
    if let Some(s) = svcs.first() {
        cmds.push((s.director, format!("ipvsadm --set 0 {} 0", p.tcp_fin_s)));
    }
    for (host, c) in cmds {
        let out = run_ipvsadm(&mut sim, host, &c);
        if out.exit_code != 0 {
            return Err(format!("{c}: {}", out.stderr.trim()));
        }
    }
    // Connection-level bulk mode: the same IPVS, servers and workload without simulating
    // every frame (validated against the packet model in tests/tests/bulk.rs). Scenarios it
    // cannot represent (keepalived, faults) run packet by packet.
    let bulk = sim.use_bulk_mode().is_ok();
    let mut sampler = Sampler::default();
    let end = sim.end.0;
    sampler.run_sampled(&mut sim, end);
    let m = &sim.world.metrics;
    let mut lat = m.latencies.clone();
    lat.sort_unstable();
    Ok(Outcome {
        chart: sampler.chart_data(&sim),
        sent: m.requests_sent,
        completed: m.requests_completed,
        failed: m.requests_failed,
        p50_ms: percentile(&lat, 50.0) as f64 / 1e6,
        p99_ms: percentile(&lat, 99.0) as f64 / 1e6,
        per_server: m.answered_by.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        events: m.events,
        simulated_s: sim.now().as_secs_f64(),
        failures: m.failures.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        bulk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_shift_the_load() {
        let sc = base().unwrap();
        let mut p = defaults(&sc).unwrap();
        assert_eq!(p.weights.len(), 3);
        p.connections = 600;
        p.rate = 300.0;
        p.scheduler = "wrr".into();
        p.weights = vec![
            ("10.0.0.11:80".into(), 1),
            ("10.0.0.12:80".into(), 0),
            ("10.0.0.13:80".into(), 3),
        ];
        let o = run(&sc, &p).unwrap();
        assert_eq!(o.completed, 600, "{o:?}");
        let get = |n: &str| {
            o.per_server
                .iter()
                .find(|x| x.0 == n)
                .map(|x| x.1)
                .unwrap_or(0)
        };
        assert_eq!(get("rs2"), 0);
        assert_eq!(get("rs1"), 150);
        assert_eq!(get("rs3"), 450);
        assert!(!o.chart.conns.is_empty());
    }

    #[test]
    fn bad_parameters_are_errors() {
        let sc = base().unwrap();
        let mut p = defaults(&sc).unwrap();
        p.connections = 10;
        p.scheduler = "nope".into();
        assert!(run(&sc, &p).is_err());
        p.scheduler = "rr".into();
        p.rate = 0.0;
        assert!(run(&sc, &p).is_err());
    }
}
