//! Once per simulated second: each real server's ActiveConn/InActConn (from its director's
//! table), requests per second per answering server, and latency p50/p99 of the requests
//! that completed in that second.

use lvslab_sim::metrics::percentile;
use lvslab_sim::Simulation;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// One line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
}

/// Everything the charts draw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChartData {
    pub conns: Vec<Series>,
    pub rps: Vec<Series>,
    pub latency: Vec<Series>,
}

#[derive(Debug, Default)]
pub struct Sampler {
    /// The next whole second to sample.
    pub next_sec: u64,
    /// label -> (second, active, inactive)
    conns: BTreeMap<String, Vec<(u64, u32, u32)>>,
}

/// The name to show for a real server address: the host that has it, else the address.
fn dest_name(sim: &Simulation, addr: IpAddr, port: u16) -> String {
    let IpAddr::V4(a) = addr else {
        return format!("{addr}:{port}");
    };
    sim.hosts
        .iter()
        .find(|h| {
            h.ipvs.is_none()
                && h.ifaces
                    .iter()
                    .any(|i| i.kind == lvslab_sim::net::IfaceKind::Ethernet && i.has_addr(a))
        })
        .map(|h| h.name.clone())
        .unwrap_or_else(|| format!("{a}:{port}"))
}

impl Sampler {
    /// Records the state at `sim.now()` as second `sec`.
    pub fn sample(&mut self, sim: &Simulation, sec: u64) {
        for h in &sim.hosts {
            let Some(ipvs) = &h.ipvs else { continue };
            let snap = ipvs.snapshot_services(sim.now());
            // A director with several services (lc on :80, wlc on :81) gets a line per
            // service and server, not one line mixing both.
            let several = snap.services.len() > 1;
            for s in &snap.services {
                for d in &s.dests {
                    let mut name = dest_name(sim, d.config.addr, d.config.port);
                    if several {
                        match &s.config.key {
                            lvslab_sim::admin::ServiceKey::Addr { port, .. } => {
                                name.push_str(&format!(" :{port}"))
                            }
                            lvslab_sim::admin::ServiceKey::Fwmark { mark, .. } => {
                                name.push_str(&format!(" fwmark {mark}"))
                            }
                        }
                    }
                    self.conns
                        .entry(name)
                        .or_default()
                        .push((sec, d.active, d.inactive));
                }
            }
        }
        self.next_sec = sec + 1;
    }

    /// Runs the simulation to `until_ns`, sampling at every whole second on the way.
    pub fn run_sampled(&mut self, sim: &mut Simulation, until_ns: u64) {
        loop {
            let at = self.next_sec.saturating_mul(1_000_000_000);
            if at > until_ns {
                break;
            }
            if sim.now().0 < at {
                sim.run_until(lvslab_sim::SimTime(at));
            }
            let s = self.next_sec;
            self.sample(sim, s);
        }
        if sim.now().0 < until_ns {
            sim.run_until(lvslab_sim::SimTime(until_ns));
        }
    }

    /// Chart lines for everything sampled so far.
    pub fn chart_data(&self, sim: &Simulation) -> ChartData {
        let mut conns = Vec::new();
        for (name, pts) in &self.conns {
            conns.push(Series {
                label: format!("{name} active"),
                points: pts.iter().map(|p| (p.0 as f64, p.1 as f64)).collect(),
            });
            conns.push(Series {
                label: format!("{name} inactive"),
                points: pts.iter().map(|p| (p.0 as f64, p.2 as f64)).collect(),
            });
        }
        // Completed seconds only: [0, next_sec - 1).
        let done = self.next_sec.saturating_sub(1);
        let m = &sim.world.metrics;
        let mut per_server: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
        for ((_, server), _) in m.completions_per_sec.iter() {
            per_server.entry(server.as_str()).or_default();
        }
        for (server, pts) in per_server.iter_mut() {
            for sec in 0..done {
                let n = m
                    .completions_per_sec
                    .get(&(sec, server.to_string()))
                    .copied()
                    .unwrap_or(0);
                pts.push((sec as f64 + 1.0, n as f64));
            }
        }
        let rps = per_server
            .into_iter()
            .map(|(s, points)| Series {
                label: s.to_string(),
                points,
            })
            .collect();
        let mut p50 = Vec::new();
        let mut p99 = Vec::new();
        for sec in 0..done {
            if let Some(l) = m.latency_per_sec.get(&sec) {
                let mut l = l.clone();
                l.sort_unstable();
                p50.push((sec as f64 + 1.0, percentile(&l, 50.0) as f64 / 1e6));
                p99.push((sec as f64 + 1.0, percentile(&l, 99.0) as f64 / 1e6));
            }
        }
        ChartData {
            conns,
            rps,
            latency: vec![
                Series {
                    label: "p50".into(),
                    points: p50,
                },
                Series {
                    label: "p99".into(),
                    points: p99,
                },
            ],
        }
    }
}

#[cfg(test)]
mod service_tests {
    use super::*;

    #[test]
    fn two_services_get_separate_lines() {
        let b = lvslab_sim::bundled::find("lc-time-wait").unwrap();
        let (mut sim, _) = lvslab_sim::scenario::Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        let mut s = Sampler::default();
        s.run_sampled(&mut sim, 3_000_000_000);
        let labels: Vec<String> = s
            .chart_data(&sim)
            .conns
            .into_iter()
            .map(|x| x.label)
            .collect();
        assert!(
            labels.iter().any(|l| l.contains(":80")) && labels.iter().any(|l| l.contains(":81")),
            "{labels:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    #[test]
    fn dr_lab_samples_each_second() {
        let b = bundled::find("dr-lab").unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        let mut s = Sampler::default();
        s.run_sampled(&mut sim, 4_000_000_000);
        assert_eq!(s.next_sec, 5);
        let d = s.chart_data(&sim);
        let labels: Vec<_> = d.conns.iter().map(|x| x.label.as_str()).collect();
        assert_eq!(
            labels,
            ["rs1 active", "rs1 inactive", "rs2 active", "rs2 inactive"]
        );
        assert_eq!(d.conns[0].points.len(), 5);
        // Connections linger in the table (FIN_WAIT / TIME_WAIT): InActConn grows.
        assert!(d.conns[1].points.last().unwrap().1 > 0.0);
        let rps: f64 = d
            .rps
            .iter()
            .flat_map(|x| x.points.iter().map(|p| p.1))
            .sum();
        let done = sim
            .world
            .metrics
            .completions_per_sec
            .iter()
            .filter(|((sec, _), _)| *sec < 4)
            .map(|(_, n)| *n as f64)
            .sum::<f64>();
        assert_eq!(rps, done);
        assert!(rps > 30.0);
        assert_eq!(d.rps.len(), 2);
        assert!(d.latency[0]
            .points
            .iter()
            .zip(&d.latency[1].points)
            .all(|(a, b)| a.1 <= b.1));
    }
}
