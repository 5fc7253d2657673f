//! The end-of-run report: what `lvslab run` prints and `--json` serialises.

use super::Simulation;
use crate::metrics::percentile;
use crate::net::host::Role;
use serde::Serialize;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Reason {
    pub reason: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Requests {
    pub sent: u64,
    pub completed: u64,
    pub failed: u64,
    pub failures: Vec<Reason>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub mean: f64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RealServerReport {
    pub host: String,
    pub address: String,
    pub port: u16,
    pub connections: u64,
    pub requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub syn_dropped: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IfaceReport {
    pub name: String,
    pub rx_packets: u64,
    pub rx_bytes: u64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DirectorReport {
    pub host: String,
    /// Client -> real server direction as IPVS counted it.
    pub inbound_packets: u64,
    pub inbound_bytes: u64,
    /// Real server -> client direction (NAT replies) as IPVS counted it.
    pub outbound_packets: u64,
    pub outbound_bytes: u64,
    pub connections: u64,
    pub interfaces: Vec<IfaceReport>,
    /// The table at the end, in `ipvsadm -Ln` layout.
    pub ipvsadm: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Drop {
    pub node: String,
    pub reason: String,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ArpEntryReport {
    pub iface: String,
    pub ip: String,
    pub mac: String,
    pub state: String,
    /// The host that owns that MAC, if it is in the scenario.
    pub owner: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ArpReport {
    pub host: String,
    pub entries: Vec<ArpEntryReport>,
}

/// A VRRP takeover and the client connections that were established at that moment.
#[derive(Clone, Debug, PartialEq)]
pub struct FailoverWatch {
    pub t: crate::time::SimTime,
    pub instance: String,
    pub from: String,
    pub to: String,
    /// (client host, connection id)
    pub conns: Vec<(usize, u64)>,
}

/// What became of the connections open at a takeover: `survived` finished well or are
/// still established at the end; `lost` were reset or timed out.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FailoverReport {
    pub t: f64,
    pub instance: String,
    pub from: String,
    pub to: String,
    pub established: u64,
    pub survived: u64,
    pub lost: u64,
}

/// A VRRP instance's state at the end, per director.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VrrpReport {
    pub host: String,
    pub instance: String,
    pub state: String,
    pub priority: u8,
    /// Times it became MASTER.
    pub takeovers: u64,
    pub gratuitous_arps: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub duration_s: f64,
    pub requests: Requests,
    pub latency_ms: Latency,
    pub real_servers: Vec<RealServerReport>,
    pub directors: Vec<DirectorReport>,
    pub drops: Vec<Drop>,
    pub arp: Vec<ArpReport>,
    pub log: Vec<super::LogLine>,
    pub events: u64,
    pub frames: u64,
    /// VRRP instances of keepalived directors.
    pub vrrp: Vec<VrrpReport>,
    /// Takeovers and the fate of the connections established at each.
    pub failovers: Vec<FailoverReport>,
}

impl Simulation {
    pub fn report(&self) -> Report {
        let m = &self.world.metrics;
        let mut lat = m.latencies.clone();
        lat.sort_unstable();
        let ms = |ns: u64| ns as f64 / 1e6;
        let mean = if lat.is_empty() {
            0.0
        } else {
            lat.iter().map(|x| *x as f64).sum::<f64>() / lat.len() as f64 / 1e6
        };
        let mut real_servers = Vec::new();
        for h in &self.hosts {
            if h.role != Role::RealServer && h.servers.is_empty() {
                continue;
            }
            let address = h
                .ifaces
                .iter()
                .filter(|i| i.kind == crate::net::IfaceKind::Ethernet)
                .find_map(|i| i.primary())
                .map(|a| a.to_string())
                .unwrap_or_default();
            for (_, port) in h.servers.keys() {
                let c = m.server_counters(&h.name, *port);
                real_servers.push(RealServerReport {
                    host: h.name.clone(),
                    address: address.clone(),
                    port: *port,
                    connections: c.connections,
                    requests: c.requests,
                    bytes_in: c.bytes_in,
                    bytes_out: c.bytes_out,
                    syn_dropped: c.syn_dropped,
                });
            }
        }
        let mut directors = Vec::new();
        for h in &self.hosts {
            let Some(ipvs) = &h.ipvs else { continue };
            let snap = ipvs.snapshot(self.world.now);
            let (mut ip, mut ib, mut op, mut ob, mut conns) = (0, 0, 0, 0, 0);
            for s in &snap.services {
                for d in &s.dests {
                    ip += d.stats.inpkts;
                    ib += d.stats.inbytes;
                    op += d.stats.outpkts;
                    ob += d.stats.outbytes;
                    conns += d.stats.conns;
                }
            }
            let interfaces = h
                .ifaces
                .iter()
                .enumerate()
                .filter(|(_, i)| i.kind == crate::net::IfaceKind::Ethernet)
                .map(|(ix, i)| {
                    let c = m.iface_counters(h.id, ix);
                    IfaceReport {
                        name: i.name.clone(),
                        rx_packets: c.rx_packets,
                        rx_bytes: c.rx_bytes,
                        tx_packets: c.tx_packets,
                        tx_bytes: c.tx_bytes,
                    }
                })
                .collect();
            directors.push(DirectorReport {
                host: h.name.clone(),
                inbound_packets: ip,
                inbound_bytes: ib,
                outbound_packets: op,
                outbound_bytes: ob,
                connections: conns,
                interfaces,
                ipvsadm: crate::admin::render_list(&snap),
            });
        }
        let mac_owner = |mac: &str| -> Option<String> {
            self.hosts
                .iter()
                .find(|h| h.ifaces.iter().any(|i| i.mac.to_string() == mac))
                .map(|h| h.name.clone())
        };
        let arp = self
            .hosts
            .iter()
            .map(|h| ArpReport {
                host: h.name.clone(),
                entries: h
                    .arp
                    .rows()
                    .into_iter()
                    .map(|r| {
                        let mac = r.mac.map(|m| m.to_string()).unwrap_or_default();
                        ArpEntryReport {
                            iface: h.ifaces[r.iface].name.clone(),
                            ip: r.ip.to_string(),
                            owner: mac_owner(&mac),
                            mac,
                            state: r.state.to_string(),
                        }
                    })
                    .collect(),
            })
            .collect();
        Report {
            scenario: self.name.clone(),
            seed: self.seed,
            duration_s: self.world.now.as_secs_f64(),
            requests: Requests {
                sent: m.requests_sent,
                completed: m.requests_completed,
                failed: m.requests_failed,
                failures: m
                    .failures
                    .iter()
                    .map(|(r, c)| Reason {
                        reason: r.clone(),
                        count: *c,
                    })
                    .collect(),
            },
            latency_ms: Latency {
                p50: ms(percentile(&lat, 50.0)),
                p90: ms(percentile(&lat, 90.0)),
                p99: ms(percentile(&lat, 99.0)),
                max: ms(lat.last().copied().unwrap_or(0)),
                mean,
            },
            real_servers,
            directors,
            drops: m
                .drops
                .iter()
                .map(|((n, r), c)| Drop {
                    node: n.clone(),
                    reason: r.clone(),
                    count: *c,
                })
                .collect(),
            arp,
            log: self.log.clone(),
            events: m.events,
            frames: m.frames,
            vrrp: self.vrrp_report(),
            failovers: self.failover_report(),
        }
    }

    fn vrrp_report(&self) -> Vec<VrrpReport> {
        let mut out = Vec::new();
        for k in &self.keepalived {
            for i in &k.instances {
                let name = &i.vrrp.p.name;
                let mine = |w: &dyn Fn(&crate::ha::HaWhat) -> bool| {
                    k.history
                        .iter()
                        .filter(|r| &r.instance == name && w(&r.what))
                        .count() as u64
                };
                out.push(VrrpReport {
                    host: self.hosts[k.host].name.clone(),
                    instance: name.clone(),
                    state: i.vrrp.state.name().to_string(),
                    priority: i.vrrp.effective_priority,
                    takeovers: mine(&|w| {
                        *w == crate::ha::HaWhat::State(crate::ha::vrrp::VrrpState::Master)
                    }),
                    gratuitous_arps: mine(&|w| matches!(w, crate::ha::HaWhat::Garp(_))),
                });
            }
        }
        out
    }

    pub fn failover_report(&self) -> Vec<FailoverReport> {
        self.failovers
            .iter()
            .map(|f| {
                let mut survived = 0;
                for &(h, c) in &f.conns {
                    let host = &self.hosts[h];
                    let ok = match host.watched.get(&c).copied().flatten() {
                        Some(ok) => ok,
                        None => host.conn_established(c),
                    };
                    survived += ok as u64;
                }
                FailoverReport {
                    t: f.t.as_secs_f64(),
                    instance: f.instance.clone(),
                    from: f.from.clone(),
                    to: f.to.clone(),
                    established: f.conns.len() as u64,
                    survived,
                    lost: f.conns.len() as u64 - survived,
                }
            })
            .collect()
    }
}

impl Report {
    /// The human-readable form printed by `lvslab run`.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "scenario {}  seed {}  simulated {:.3} s  ({} events, {} frames)",
            self.scenario, self.seed, self.duration_s, self.events, self.frames
        );
        let r = &self.requests;
        let _ = writeln!(
            s,
            "\nrequests: {} sent, {} completed, {} failed",
            r.sent, r.completed, r.failed
        );
        for f in &r.failures {
            let _ = writeln!(s, "  failed: {:>6}  {}", f.count, f.reason);
        }
        let l = &self.latency_ms;
        let _ = writeln!(
            s,
            "latency: p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  max {:.3} ms",
            l.p50, l.p90, l.p99, l.max
        );
        if !self.real_servers.is_empty() {
            let _ = writeln!(s, "\nreal servers:");
            let _ = writeln!(
                s,
                "  {:<12} {:<16} {:>6} {:>11} {:>9} {:>10} {:>10}",
                "host", "address", "port", "connections", "requests", "bytes in", "bytes out"
            );
            for rs in &self.real_servers {
                let _ = writeln!(
                    s,
                    "  {:<12} {:<16} {:>6} {:>11} {:>9} {:>10} {:>10}",
                    rs.host,
                    rs.address,
                    rs.port,
                    rs.connections,
                    rs.requests,
                    rs.bytes_in,
                    rs.bytes_out
                );
            }
        }
        for d in &self.directors {
            let _ = writeln!(
                s,
                "\ndirector {}: {} connections scheduled",
                d.host, d.connections
            );
            let _ = writeln!(
                s,
                "  inbound  (client -> real server): {} packets, {} bytes",
                d.inbound_packets, d.inbound_bytes
            );
            let _ = writeln!(
                s,
                "  outbound (real server -> client): {} packets, {} bytes",
                d.outbound_packets, d.outbound_bytes
            );
            for i in &d.interfaces {
                let _ = writeln!(
                    s,
                    "  {:<6} rx {} packets / {} bytes, tx {} packets / {} bytes",
                    i.name, i.rx_packets, i.rx_bytes, i.tx_packets, i.tx_bytes
                );
            }
            let _ = writeln!(s, "\n$ ipvsadm -Ln   (on {})\n{}", d.host, d.ipvsadm);
        }
        if !self.drops.is_empty() {
            let _ = writeln!(s, "drops:");
            for d in &self.drops {
                let _ = writeln!(s, "  {:>6}  {:<10} {}", d.count, d.node, d.reason);
            }
        }
        if !self.vrrp.is_empty() {
            let _ = writeln!(s, "\nvrrp:");
            for v in &self.vrrp {
                let _ = writeln!(
                    s,
                    "  {:<10} {:<8} {:<7} prio {:>3}  became master {} time(s), {} gratuitous ARPs",
                    v.host, v.instance, v.state, v.priority, v.takeovers, v.gratuitous_arps
                );
            }
        }
        for f in &self.failovers {
            let _ = writeln!(
                s,
                "failover {:.3}s {} {} -> {}: {} established connections, {} survived, {} lost",
                f.t, f.instance, f.from, f.to, f.established, f.survived, f.lost
            );
        }
        if !self.log.is_empty() {
            let _ = writeln!(s, "\nevents:");
            for l in &self.log {
                let _ = writeln!(s, "  {:>9.3}s  {}", l.t, l.text);
            }
        }
        s
    }
}
