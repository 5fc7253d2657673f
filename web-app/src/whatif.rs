//! The what-if panel: change weights, the scheduler, timeouts, the arrival rate and the real
//! servers' capacity (workers, service time), rerun a bulk simulation (no trace, no
//! animation) and chart the result.

use crate::console::run_ipvsadm;
use crate::controls;
use crate::sampling::{ChartData, Sampler};
use lvslab_sim::metrics::percentile;
use lvslab_sim::scenario::format::{DistSpec, Dur, RoleSpec};
use lvslab_sim::scenario::Scenario;
use lvslab_sim::transport::app::Distribution;
use lvslab_sim::{SimDuration, SimTime};

/// The bundled base of the what-if panel: one LAN, so bulk runs are cheap per connection.
pub const BASE_NAME: &str = "whatif-dr";
pub const BASE_TEXT: &str = include_str!("whatif-dr.toml");

pub fn base() -> Result<Scenario, String> {
    Scenario::parse(BASE_NAME, BASE_TEXT).map_err(|d| format!("{d:?}"))
}

/// The shape of the real servers' service time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceDist {
    Constant,
    Exponential,
    LogNormal,
    /// ±50 % around the mean (shown when the scenario itself uses a uniform time).
    Uniform,
}

impl ServiceDist {
    pub const ALL: [ServiceDist; 4] = [
        ServiceDist::Constant,
        ServiceDist::Exponential,
        ServiceDist::LogNormal,
        ServiceDist::Uniform,
    ];

    /// The stable name (element values, share links).
    pub fn slug(self) -> &'static str {
        match self {
            ServiceDist::Constant => "constant",
            ServiceDist::Exponential => "exponential",
            ServiceDist::LogNormal => "lognormal",
            ServiceDist::Uniform => "uniform",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceDist> {
        ServiceDist::ALL.into_iter().find(|d| d.slug() == s)
    }
}

/// Sigma of the log-normal service time the panel sets (the scenario format's default).
pub const LOGNORMAL_SIGMA: f64 = 0.5;

/// A service-time distribution given by its shape and its mean.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceTime {
    pub dist: ServiceDist,
    pub mean_ms: f64,
}

impl ServiceTime {
    /// The simulator's distribution with this mean: log-normal with sigma 0.5 (its median is
    /// mean / e^(σ²/2)), uniform from half the mean to one and a half times it.
    pub fn distribution(&self) -> Distribution {
        let ms = |x: f64| SimDuration::from_secs_f64(x.max(0.0) / 1000.0);
        let m = self.mean_ms;
        match self.dist {
            ServiceDist::Constant => Distribution::Constant(ms(m)),
            ServiceDist::Exponential => Distribution::Exponential { mean: ms(m) },
            ServiceDist::LogNormal => Distribution::LogNormal {
                median: ms(m / (LOGNORMAL_SIGMA * LOGNORMAL_SIGMA / 2.0).exp()),
                sigma: LOGNORMAL_SIGMA,
            },
            ServiceDist::Uniform => Distribution::Uniform {
                min: ms(m * 0.5),
                max: ms(m * 1.5),
            },
        }
    }

    /// The panel's view of a scenario's distribution (its shape and mean).
    pub fn of(d: &Distribution) -> ServiceTime {
        let dist = match d {
            Distribution::Constant(_) => ServiceDist::Constant,
            Distribution::Exponential { .. } => ServiceDist::Exponential,
            Distribution::LogNormal { .. } => ServiceDist::LogNormal,
            Distribution::Uniform { .. } => ServiceDist::Uniform,
        };
        ServiceTime {
            dist,
            mean_ms: d.mean().as_millis_f64(),
        }
    }
}

/// What one real server can do: its workers (requests served at once) and service time.
#[derive(Clone, Debug, PartialEq)]
pub struct Capacity {
    pub workers: u32,
    pub service: ServiceTime,
}

/// The scenario's own capacity: that of its first real server's first server application
/// (the scenario format's defaults when it has none).
pub fn capacity(sc: &Scenario) -> Capacity {
    sc.spec
        .hosts
        .iter()
        .filter(|h| h.role == RoleSpec::RealServer)
        .flat_map(|h| h.servers.iter())
        .next()
        .map(|s| Capacity {
            workers: s.workers,
            service: ServiceTime::of(&s.service_time.0),
        })
        .unwrap_or(Capacity {
            workers: 64,
            service: ServiceTime {
                dist: ServiceDist::Constant,
                mean_ms: 0.2,
            },
        })
}

/// What the sliders set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// (weight key, weight). The key names director, service and real server (see
    /// `weight_key`); a bare "addr:port" (older share links) sets that real server in every
    /// director's every service.
    pub weights: Vec<(String, i32)>,
    pub scheduler: String,
    /// IPVS FIN_WAIT timeout (`ipvsadm --set 0 FIN 0`), seconds.
    pub tcp_fin_s: u32,
    /// The hosts' TCP TIME_WAIT, milliseconds (Linux: 60 000).
    pub time_wait_ms: u64,
    /// New connections per second.
    pub rate: f64,
    pub connections: u64,
    /// Workers of every real server; None keeps the scenario's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u32>,
    /// Service time of every real server; None keeps the scenario's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceTime>,
}

impl Params {
    /// The workers a run uses: the slider's, else the scenario's.
    pub fn workers_or(&self, base: &Capacity) -> u32 {
        self.workers.unwrap_or(base.workers)
    }

    /// The service time a run uses: the sliders', else the scenario's.
    pub fn service_or(&self, base: &Capacity) -> ServiceTime {
        self.service.clone().unwrap_or_else(|| base.service.clone())
    }
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
    /// Completed requests per second while connections arrived (whole seconds).
    pub throughput: f64,
    /// (server, completed requests)
    pub per_server: Vec<(String, u64)>,
    pub events: u64,
    pub simulated_s: f64,
    pub failures: Vec<(String, u64)>,
    /// True when the run used the connection-level bulk mode (else packet by packet).
    pub bulk: bool,
}

/// The key of one weight slider: director host, ipvsadm service argument, real server.
pub fn weight_key(director: &str, service: &str, dest: &str) -> String {
    format!("{director}|{service}|{dest}")
}

/// "-t 10.0.0.10:80" as "TCP 10.0.0.10:80", "-f 5" as "fwmark 5".
pub fn service_label(service: &str) -> String {
    let (flag, rest) = service.split_once(' ').unwrap_or((service, ""));
    let name = match flag {
        "-t" => "TCP",
        "-u" => "UDP",
        "--sctp-service" => "SCTP",
        "-f" => "fwmark",
        other => other,
    };
    format!("{name} {rest}").trim().to_string()
}

/// What a weight slider is labelled: "director · TCP 10.0.0.10:80 → 10.0.0.11:80" (a
/// bare "addr:port" key as it is).
pub fn weight_label(key: &str) -> String {
    let mut parts = key.splitn(3, '|');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(d), Some(s), Some(r)) => format!("{d} · {} → {r}", service_label(s)),
        _ => key.to_string(),
    }
}

/// The sliders' starting values: what the scenario itself says. The capacity stays the
/// scenario's (None) until a slider moves.
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
    let mut weights: Vec<(String, i32)> = dests
        .iter()
        .map(|d| {
            let host = &sim.hosts[d.director].name;
            (weight_key(host, &d.service, &d.dest), d.weight)
        })
        .collect();
    weights.sort();
    weights.dedup_by(|a, b| a.0 == b.0);
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
        workers: None,
        service: None,
    })
}

/// The weight `p` sets for a real server of a director's service: its own key first, else
/// a bare "addr:port" key.
fn weight_for(p: &Params, key: &str, dest: &str) -> Option<i32> {
    p.weights
        .iter()
        .find(|(k, _)| k == key)
        .or_else(|| p.weights.iter().find(|(k, _)| k == dest))
        .map(|(_, w)| *w)
}

/// Settings from a share link over the scenario's own: the link's values, with the weight
/// sliders the scenario has (a link's bare "addr:port" keys fill them too).
pub fn adopt(own: &Params, shared: &Params) -> Params {
    let mut p = shared.clone();
    p.weights = own
        .weights
        .iter()
        .map(|(key, w)| {
            let dest = key.rsplit('|').next().unwrap_or(key);
            (key.clone(), weight_for(shared, key, dest).unwrap_or(*w))
        })
        .collect();
    p
}

/// Applies the capacity sliders to every real server's server applications.
fn apply_capacity(sc: &mut Scenario, p: &Params) {
    for h in sc
        .spec
        .hosts
        .iter_mut()
        .filter(|h| h.role == RoleSpec::RealServer)
    {
        for s in &mut h.servers {
            if let Some(w) = p.workers {
                s.workers = w.max(1);
            }
            if let Some(t) = &p.service {
                s.service_time = DistSpec(t.distribution());
            }
        }
    }
}

/// Builds the scenario with the parameters applied, runs it until every request has
/// completed or failed (at most its timeout after the last arrival), sampling every
/// simulated second, and summarises.
pub fn run(sc: &Scenario, p: &Params) -> Result<Outcome, String> {
    if !(p.rate.is_finite() && p.rate > 0.0) {
        return Err("the arrival rate must be above 0".into());
    }
    if p.service
        .as_ref()
        .is_some_and(|s| !(s.mean_ms.is_finite() && s.mean_ms > 0.0))
    {
        return Err("the service time must be above 0".into());
    }
    let mut sc = sc.clone();
    let w = sc
        .spec
        .workloads
        .first_mut()
        .ok_or("the scenario has no workload")?;
    w.rate = Some(p.rate);
    w.connections = Some(p.connections);
    let timeout_s = w.timeout.0.as_secs_f64();
    for h in &mut sc.spec.hosts {
        h.time_wait = Some(Dur(SimDuration::from_millis(p.time_wait_ms)));
    }
    apply_capacity(&mut sc, p);
    let (mut sim, _) = sc.build(None).map_err(|d| {
        d.iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    sim.world.trace.enabled = false;
    sim.world.trace.capture = false;
    // Long enough for every connection to arrive and finish when the servers keep up; an
    // overloaded run goes on until its requests are answered or time out.
    let arrive_s = p.connections as f64 / p.rate;
    let first_end = SimDuration::from_secs_f64(arrive_s.ceil() + 2.0).0;
    let last_end = SimDuration::from_secs_f64(arrive_s.ceil() + timeout_s.ceil() + 2.0).0;
    sim.end = SimTime::ZERO + SimDuration(last_end);
    let (svcs, dests) = controls::services(&sim);
    let mut cmds = Vec::new();
    for s in &svcs {
        if s.scheduler != p.scheduler {
            cmds.push((s.director, s.scheduler_command(&p.scheduler)));
        }
    }
    for d in &dests {
        let key = weight_key(&sim.hosts[d.director].name, &d.service, &d.dest);
        if let Some(w) = weight_for(p, &key, &d.dest) {
            if w != d.weight {
                cmds.push((d.director, d.weight_command(w)));
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
    let mut end = first_end;
    sampler.run_sampled(&mut sim, end);
    while end < last_end {
        let m = &sim.world.metrics;
        if m.requests_completed + m.requests_failed >= m.requests_sent {
            break;
        }
        end = (end + 1_000_000_000).min(last_end);
        sampler.run_sampled(&mut sim, end);
    }
    let m = &sim.world.metrics;
    let mut lat = m.latencies.clone();
    lat.sort_unstable();
    let window = arrive_s.floor().max(1.0) as u64;
    let in_window: u64 = m
        .completions_per_sec
        .iter()
        .filter(|((sec, _), _)| *sec < window)
        .map(|(_, n)| *n)
        .sum();
    Ok(Outcome {
        chart: sampler.chart_data(&sim),
        sent: m.requests_sent,
        completed: m.requests_completed,
        failed: m.requests_failed,
        p50_ms: percentile(&lat, 50.0) as f64 / 1e6,
        p99_ms: percentile(&lat, 99.0) as f64 / 1e6,
        throughput: in_window as f64 / window as f64,
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
        p.rate = 100.0;
        p.service = Some(ServiceTime {
            dist: ServiceDist::Constant,
            mean_ms: 0.0,
        });
        assert!(run(&sc, &p).is_err());
    }

    #[test]
    fn weight_keys_name_the_director_and_the_service() {
        let sc = base().unwrap();
        let p = defaults(&sc).unwrap();
        assert_eq!(p.weights[0].0, "director|-t 10.0.0.10:80|10.0.0.11:80");
        assert_eq!(
            weight_label(&p.weights[0].0),
            "director · TCP 10.0.0.10:80 → 10.0.0.11:80"
        );
        assert_eq!(weight_label("10.0.0.11:80"), "10.0.0.11:80");
        assert_eq!(service_label("-f 5"), "fwmark 5");
        assert_eq!(service_label("-u 10.0.0.10:53"), "UDP 10.0.0.10:53");

        // A second director with the same real servers: its own sliders, none repeated.
        let text = BASE_TEXT.replacen(
            "[[host]]\nname = \"rs1\"",
            "[[host]]\nname = \"director2\"\nrole = \"director\"\n\
             iface = [{ name = \"eth0\", segment = \"lan\", addrs = [\"10.0.0.3/24\", \"10.0.0.20/32\"] }]\n\
             [host.ipvs]\nrules = \"\"\"\n\
             ipvsadm -A -t 10.0.0.20:80 -s wlc\n\
             ipvsadm -a -t 10.0.0.20:80 -r 10.0.0.11 -g -w 1\n\
             ipvsadm -a -t 10.0.0.20:80 -r 10.0.0.12 -g -w 1\n\
             ipvsadm -a -t 10.0.0.20:80 -r 10.0.0.13 -g -w 2\n\
             \"\"\"\n\n[[host]]\nname = \"rs1\"",
            1,
        );
        assert!(text.contains("director2"));
        let sc2 = Scenario::parse("two-directors", &text).unwrap();
        let mut p2 = defaults(&sc2).unwrap();
        assert_eq!(p2.weights.len(), 6, "{:?}", p2.weights);
        let labels: Vec<String> = p2.weights.iter().map(|w| weight_label(&w.0)).collect();
        let mut uniq = labels.clone();
        uniq.sort();
        uniq.dedup();
        assert_eq!(uniq.len(), 6, "{labels:?}");
        assert!(labels.contains(&"director2 · TCP 10.0.0.20:80 → 10.0.0.13:80".to_string()));
        // Setting one of director2's weights leaves the first director's table alone.
        p2.connections = 300;
        p2.rate = 300.0;
        p2.scheduler = "wrr".into();
        for w in p2.weights.iter_mut() {
            if w.0 == "director2|-t 10.0.0.20:80|10.0.0.13:80" {
                w.1 = 0;
            }
        }
        let o = run(&sc2, &p2).unwrap();
        let rs3 = o.per_server.iter().find(|x| x.0 == "rs3").map(|x| x.1);
        assert!(rs3.unwrap_or(0) > 0, "{:?}", o.per_server);
    }

    #[test]
    fn capacity_sliders_make_the_servers_queue() {
        let sc = base().unwrap();
        let base_cap = capacity(&sc);
        assert_eq!(base_cap.workers, 16);
        assert_eq!(base_cap.service.dist, ServiceDist::Exponential);
        assert!((base_cap.service.mean_ms - 5.0).abs() < 1e-9);
        let mut p = defaults(&sc).unwrap();
        assert_eq!((p.workers, p.service.clone()), (None, None));
        p.connections = 2000;
        p.rate = 2000.0;
        let calm = run(&sc, &p).unwrap();
        assert_eq!(calm.completed, 2000, "{calm:?}");
        p.workers = Some(1);
        let busy = run(&sc, &p).unwrap();
        assert_eq!(busy.sent, 2000);
        assert_eq!(
            busy.completed + busy.failed,
            busy.sent,
            "every request ends: {busy:?}"
        );
        assert!(
            busy.p99_ms > 5.0 * calm.p99_ms,
            "p99 {} (1 worker) vs {} (16 workers)",
            busy.p99_ms,
            calm.p99_ms
        );
        assert!(busy.throughput < calm.throughput, "{busy:?}");
        // A slower service time queues too.
        p.workers = None;
        p.service = Some(ServiceTime {
            dist: ServiceDist::Constant,
            mean_ms: 60.0,
        });
        let slow = run(&sc, &p).unwrap();
        assert!(
            slow.p50_ms > calm.p50_ms * 5.0,
            "{} vs {}",
            slow.p50_ms,
            calm.p50_ms
        );
    }

    #[test]
    fn service_times_keep_their_mean() {
        for dist in ServiceDist::ALL {
            let t = ServiceTime {
                dist,
                mean_ms: 20.0,
            };
            let back = ServiceTime::of(&t.distribution());
            assert_eq!(back.dist, dist);
            assert!((back.mean_ms - 20.0).abs() < 1e-3, "{dist:?}: {back:?}");
            assert_eq!(ServiceDist::parse(dist.slug()), Some(dist));
        }
    }

    #[test]
    fn shared_settings_fill_the_scenarios_sliders() {
        let own = defaults(&base().unwrap()).unwrap();
        let mut shared = own.clone();
        shared.rate = 123.0;
        shared.weights = vec![("10.0.0.12:80".into(), 7)];
        let p = adopt(&own, &shared);
        assert_eq!(p.rate, 123.0);
        assert_eq!(p.weights.len(), 3);
        assert_eq!(
            p.weights[1],
            ("director|-t 10.0.0.10:80|10.0.0.12:80".into(), 7)
        );
        assert_eq!(p.weights[0].1, 1);
        assert_eq!(p.weights[2].1, 2);
    }

    #[test]
    fn older_share_links_still_read() {
        let old = r#"{"weights":[["10.0.0.11:80",2]],"scheduler":"wlc","tcp_fin_s":120,"time_wait_ms":60000,"rate":2000.0,"connections":60000}"#;
        let p: Params = serde_json::from_str(old).unwrap();
        assert_eq!(p.workers, None);
        assert_eq!(p.service, None);
        let mut q = p.clone();
        q.workers = Some(3);
        let j = serde_json::to_string(&q).unwrap();
        assert_eq!(serde_json::from_str::<Params>(&j).unwrap(), q);
        assert!(!serde_json::to_string(&p).unwrap().contains("workers"));
    }
}
