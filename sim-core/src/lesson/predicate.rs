//! Checks: typed predicates over a running `Simulation`. Each is resolved against the
//! scenario's hosts when the lesson loads (names become indices), so evaluation cannot fail.

use super::format::{CheckFile, FrameFile};
use super::Message;
use crate::admin::ServiceKey;
use crate::engine::Simulation;
use crate::ha::vrrp::VrrpState;
use crate::net::IfaceKind;
use crate::trace::{Direction, TraceRecord, Verdict};
use std::net::{IpAddr, Ipv4Addr};

/// `at-least` / `at-most` / `equals` on a number.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Range {
    pub at_least: Option<f64>,
    pub at_most: Option<f64>,
    pub equals: Option<f64>,
}

impl Range {
    pub fn holds(&self, v: f64) -> bool {
        self.at_least.is_none_or(|m| v >= m - 1e-9)
            && self.at_most.is_none_or(|m| v <= m + 1e-9)
            && self.equals.is_none_or(|e| (v - e).abs() < 1e-9)
    }

    /// `≥ 3`, `≤ 0.6`, `= 0`, `0.4 … 0.6` (for messages).
    pub fn describe(&self) -> String {
        let f = |v: f64| {
            if v.fract() == 0.0 && v.abs() < 1e15 {
                format!("{}", v as i64)
            } else {
                format!("{v}")
            }
        };
        if let Some(e) = self.equals {
            return format!("= {}", f(e));
        }
        match (self.at_least, self.at_most) {
            (Some(a), Some(b)) => format!("{} … {}", f(a), f(b)),
            (Some(a), None) => format!("≥ {}", f(a)),
            (None, Some(b)) => format!("≤ {}", f(b)),
            (None, None) => "any".into(),
        }
    }
}

/// An `ipvsadm -Ln` / `--stats` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    ActiveConn,
    InActConn,
    PersistConn,
    Weight,
    Conns,
    InPkts,
    OutPkts,
    InBytes,
    OutBytes,
}

impl Counter {
    pub const ALL: [(&'static str, Counter); 9] = [
        ("ActiveConn", Counter::ActiveConn),
        ("InActConn", Counter::InActConn),
        ("PersistConn", Counter::PersistConn),
        ("Weight", Counter::Weight),
        ("Conns", Counter::Conns),
        ("InPkts", Counter::InPkts),
        ("OutPkts", Counter::OutPkts),
        ("InBytes", Counter::InBytes),
        ("OutBytes", Counter::OutBytes),
    ];
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, c)| *c == self)
            .map(|(n, _)| *n)
            .unwrap_or("")
    }
}

/// Which service of a director (`VIP:PORT` or `fwmark:N`).
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceSel {
    Addr(IpAddr, u16),
    Fwmark(u32),
}

impl ServiceSel {
    fn parse(s: &str) -> Result<ServiceSel, String> {
        if let Some(m) = s.strip_prefix("fwmark:") {
            return m
                .trim()
                .parse()
                .map(ServiceSel::Fwmark)
                .map_err(|_| format!("`{s}`: the mark must be a number"));
        }
        let (a, p) = crate::scenario::parse_sockaddr(s)?;
        Ok(ServiceSel::Addr(IpAddr::V4(a), p))
    }
    fn matches(&self, k: &ServiceKey) -> bool {
        match (self, k) {
            (ServiceSel::Addr(a, p), ServiceKey::Addr { addr, port, .. }) => a == addr && p == port,
            (ServiceSel::Fwmark(m), ServiceKey::Fwmark { mark, .. }) => m == mark,
            _ => false,
        }
    }
}

/// A header field of a trace record a frame pattern can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    EthSrc,
    EthDst,
    EthType,
    IpSrc,
    IpDst,
    IpTtl,
    IpProto,
    InnerSrc,
    InnerDst,
    TcpSport,
    TcpDport,
    TcpFlags,
    UdpDport,
    ArpOp,
    ArpSenderIp,
    ArpTargetIp,
    Verdict,
    Reason,
}

impl Field {
    pub const ALL: [(&'static str, Field); 18] = [
        ("eth.src", Field::EthSrc),
        ("eth.dst", Field::EthDst),
        ("eth.type", Field::EthType),
        ("ip.src", Field::IpSrc),
        ("ip.dst", Field::IpDst),
        ("ip.ttl", Field::IpTtl),
        ("ip.proto", Field::IpProto),
        ("inner.src", Field::InnerSrc),
        ("inner.dst", Field::InnerDst),
        ("tcp.sport", Field::TcpSport),
        ("tcp.dport", Field::TcpDport),
        ("tcp.flags", Field::TcpFlags),
        ("udp.dport", Field::UdpDport),
        ("arp.op", Field::ArpOp),
        ("arp.sender-ip", Field::ArpSenderIp),
        ("arp.target-ip", Field::ArpTargetIp),
        ("verdict", Field::Verdict),
        ("reason", Field::Reason),
    ];

    pub fn parse(s: &str) -> Option<Field> {
        Self::ALL.iter().find(|(n, _)| *n == s).map(|(_, f)| *f)
    }

    fn is_mac(self) -> bool {
        matches!(self, Field::EthSrc | Field::EthDst)
    }
    fn is_addr(self) -> bool {
        matches!(
            self,
            Field::IpSrc
                | Field::IpDst
                | Field::InnerSrc
                | Field::InnerDst
                | Field::ArpSenderIp
                | Field::ArpTargetIp
        )
    }

    /// The record's value of this field, as text (None: the frame has no such header).
    fn value(self, r: &TraceRecord) -> Option<String> {
        let ip = r.ip.as_ref();
        let tcp = ip.and_then(|i| i.tcp.as_ref());
        Some(match self {
            Field::EthSrc => r.eth.src.clone(),
            Field::EthDst => r.eth.dst.clone(),
            Field::EthType => r.eth.ethertype.to_string(),
            Field::IpSrc => ip?.src.clone(),
            Field::IpDst => ip?.dst.clone(),
            Field::IpTtl => ip?.ttl.to_string(),
            Field::IpProto => ip?.proto.to_string(),
            Field::InnerSrc => ip?.inner.as_ref()?.src.clone(),
            Field::InnerDst => ip?.inner.as_ref()?.dst.clone(),
            Field::TcpSport => tcp?.sport.to_string(),
            Field::TcpDport => tcp?.dport.to_string(),
            Field::TcpFlags => tcp?.flags.clone(),
            Field::UdpDport => ip?.udp.as_ref()?.dport.to_string(),
            Field::ArpOp => r.arp.as_ref()?.op.to_string(),
            Field::ArpSenderIp => r.arp.as_ref()?.sender_ip.clone(),
            Field::ArpTargetIp => r.arp.as_ref()?.target_ip.clone(),
            Field::Verdict => match r.verdict {
                Verdict::Sent => "sent",
                Verdict::Delivered => "delivered",
                Verdict::Forwarded => "forwarded",
                Verdict::Dropped(_) => "dropped",
            }
            .to_string(),
            Field::Reason => match &r.verdict {
                Verdict::Dropped(why) => why.clone(),
                _ => return None,
            },
        })
    }
}

/// What a field must be: one of some values (a host name stands for all its addresses or
/// MACs), or for `reason` a substring.
#[derive(Clone, Debug, PartialEq)]
pub enum Want {
    OneOf(Vec<String>),
    Contains(String),
}

/// Frames at one node (optionally one interface and direction) with header values.
#[derive(Clone, Debug, PartialEq)]
pub struct FramePattern {
    pub node: String,
    pub iface: Option<String>,
    pub dir: Option<Direction>,
    pub fields: Vec<(Field, Want)>,
    /// The pattern as the lesson wrote it (`tx, ip.dst = rs1`), for messages.
    pub label: String,
}

impl FramePattern {
    pub fn matches(&self, r: &TraceRecord) -> bool {
        r.node == self.node
            && self.iface.as_ref().is_none_or(|i| *i == r.iface)
            && self.dir.is_none_or(|d| d == r.dir)
            && self.fields.iter().all(|(f, want)| match f.value(r) {
                None => false,
                Some(v) => match want {
                    Want::OneOf(vals) => vals.contains(&v),
                    Want::Contains(s) => v.contains(s.as_str()),
                },
            })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Since {
    Step,
    Start,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailoverField {
    Established,
    Survived,
    Lost,
}

/// A check over the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Predicate {
    ArpOwner {
        host: usize,
        ip: Ipv4Addr,
        owner: Option<usize>,
    },
    Completed {
        workload: Option<String>,
        range: Range,
    },
    Failed {
        workload: Option<String>,
        reason: Option<String>,
        range: Range,
    },
    Served {
        host: usize,
        port: Option<u16>,
        range: Range,
    },
    Share {
        host: usize,
        range: Range,
    },
    Ipvs {
        director: usize,
        counter: Counter,
        server: Option<(IpAddr, u16)>,
        service: Option<ServiceSel>,
        range: Range,
    },
    RealServer {
        director: usize,
        server: (IpAddr, u16),
        service: Option<ServiceSel>,
        present: bool,
    },
    Scheduler {
        director: usize,
        service: Option<ServiceSel>,
        equals: String,
    },
    Sysctl {
        host: usize,
        name: String,
        range: Range,
    },
    VrrpState {
        host: usize,
        instance: String,
        state: VrrpState,
    },
    Vip {
        ip: Ipv4Addr,
        holder: Option<usize>,
    },
    Frame {
        pattern: FramePattern,
        since: Since,
        range: Range,
    },
    Drops {
        node: Option<String>,
        reason: Option<String>,
        range: Range,
    },
    Failover {
        field: FailoverField,
        instance: Option<String>,
        range: Range,
    },
}

/// A check's result: whether it holds, what the model shows, and its wording.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub pass: bool,
    /// The check as a message (`check-…` id) with its arguments, `observed` included.
    pub message: Message,
}

/// What the evaluation may look at besides the simulation.
#[derive(Clone, Copy, Debug, Default)]
pub struct EvalCtx {
    /// Trace records before this index belong to earlier steps (`since = "step"`).
    pub step_first_record: usize,
}

fn host_name(sim: &Simulation, i: usize) -> String {
    sim.hosts.get(i).map(|h| h.name.clone()).unwrap_or_default()
}

fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{:.3}", v)
    }
}

impl Predicate {
    /// Evaluates the check now.
    pub fn eval(&self, sim: &Simulation, ctx: EvalCtx) -> Outcome {
        let m: Message;
        let pass = match self {
            Predicate::ArpOwner { host, ip, owner } => {
                let h = &sim.hosts[*host];
                let mac = h
                    .ifaces
                    .iter()
                    .enumerate()
                    .find_map(|(i, _)| h.arp.get(i, *ip).and_then(|e| e.mac));
                let now_owner = mac.and_then(|mac| {
                    sim.hosts
                        .iter()
                        .position(|o| o.ifaces.iter().any(|i| i.mac == mac))
                });
                m = Message::new(if owner.is_some() {
                    "check-arp-owner"
                } else {
                    "check-arp-owner-none"
                })
                .arg("host", &h.name)
                .arg("ip", ip)
                .arg(
                    "owner",
                    owner
                        .map(|o| host_name(sim, o))
                        .unwrap_or_else(|| "none".into()),
                )
                .arg(
                    "observed",
                    match (mac, now_owner) {
                        (None, _) => "none".to_string(),
                        (Some(mac), None) => mac.to_string(),
                        (Some(mac), Some(o)) => format!("{} ({mac})", host_name(sim, o)),
                    },
                );
                mac.is_some() == owner.is_some() && now_owner == *owner
            }
            Predicate::Completed { workload, range } => {
                let v = match workload {
                    Some(w) => sim
                        .world
                        .metrics
                        .per_workload
                        .get(w)
                        .map(|x| x.0)
                        .unwrap_or(0),
                    None => sim.world.metrics.requests_completed,
                } as f64;
                m = Message::new(if workload.is_some() {
                    "check-completed-workload"
                } else {
                    "check-completed"
                })
                .arg("workload", workload.clone().unwrap_or_default())
                .arg("range", range.describe())
                .arg("observed", num(v));
                range.holds(v)
            }
            Predicate::Failed {
                workload,
                reason,
                range,
            } => {
                let mt = &sim.world.metrics;
                let v = match (workload, reason) {
                    (None, None) => mt.requests_failed,
                    (Some(w), None) => mt.per_workload.get(w).map(|x| x.1).unwrap_or(0),
                    (_, Some(r)) => mt
                        .failures
                        .iter()
                        .filter(|(k, _)| k.contains(r.as_str()))
                        .map(|(_, n)| *n)
                        .sum(),
                } as f64;
                m = Message::new(if reason.is_some() {
                    "check-failed-reason"
                } else {
                    "check-failed"
                })
                .arg("reason", reason.clone().unwrap_or_default())
                .arg("range", range.describe())
                .arg("observed", num(v));
                range.holds(v)
            }
            Predicate::Served { host, port, range } => {
                let v = served(sim, *host, *port) as f64;
                m = Message::new("check-served")
                    .arg("host", host_name(sim, *host))
                    .arg("range", range.describe())
                    .arg("observed", num(v));
                range.holds(v)
            }
            Predicate::Share { host, range } => {
                let total: u64 = (0..sim.hosts.len()).map(|h| served(sim, h, None)).sum();
                let mine = served(sim, *host, None);
                let v = if total == 0 {
                    0.0
                } else {
                    mine as f64 / total as f64
                };
                m = Message::new("check-share")
                    .arg("host", host_name(sim, *host))
                    .arg("range", range.describe())
                    .arg("observed", format!("{:.2} ({mine}/{total})", v));
                total > 0 && range.holds(v)
            }
            Predicate::Ipvs {
                director,
                counter,
                server,
                service,
                range,
            } => {
                let v = ipvs_counter(sim, *director, *counter, server.as_ref(), service.as_ref());
                m = Message::new(if server.is_some() {
                    "check-ipvs-server"
                } else {
                    "check-ipvs"
                })
                .arg("director", host_name(sim, *director))
                .arg("counter", counter.name())
                .arg(
                    "server",
                    server
                        .map(|(a, p)| crate::admin::format_addr_port(&a, p))
                        .unwrap_or_default(),
                )
                .arg("range", range.describe())
                .arg("observed", v.map(num).unwrap_or_else(|| "-".into()));
                v.is_some_and(|v| range.holds(v))
            }
            Predicate::RealServer {
                director,
                server,
                service,
                present,
            } => {
                let there = ipvs_counter(
                    sim,
                    *director,
                    Counter::Weight,
                    Some(server),
                    service.as_ref(),
                )
                .is_some();
                m = Message::new(if *present {
                    "check-real-server-present"
                } else {
                    "check-real-server-absent"
                })
                .arg("director", host_name(sim, *director))
                .arg(
                    "server",
                    crate::admin::format_addr_port(&server.0, server.1),
                )
                .arg("observed", if there { "present" } else { "absent" });
                there == *present
            }
            Predicate::Scheduler {
                director,
                service,
                equals,
            } => {
                let now = sim.hosts[*director].ipvs.as_ref().and_then(|i| {
                    i.config()
                        .services
                        .iter()
                        .find(|s| {
                            service
                                .as_ref()
                                .is_none_or(|sel| sel.matches(&s.config.key))
                        })
                        .map(|s| s.config.scheduler.clone())
                });
                m = Message::new("check-scheduler")
                    .arg("director", host_name(sim, *director))
                    .arg("scheduler", equals)
                    .arg("observed", now.clone().unwrap_or_else(|| "-".into()));
                now.as_deref() == Some(equals.as_str())
            }
            Predicate::Sysctl { host, name, range } => {
                let v = sysctl_value(sim, *host, name);
                m = Message::new("check-sysctl")
                    .arg("host", host_name(sim, *host))
                    .arg("name", name)
                    .arg("range", range.describe())
                    .arg(
                        "observed",
                        v.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                    );
                v.is_some_and(|v| range.holds(v as f64))
            }
            Predicate::VrrpState {
                host,
                instance,
                state,
            } => {
                let now = vrrp_state(sim, *host, instance);
                m = Message::new("check-vrrp-state")
                    .arg("host", host_name(sim, *host))
                    .arg("instance", instance)
                    .arg("state", state.name())
                    .arg("observed", now.map(|s| s.name()).unwrap_or("-"));
                now == Some(*state)
            }
            Predicate::Vip { ip, holder } => {
                let holders = vip_holders(sim, *ip);
                m = Message::new(if holder.is_some() {
                    "check-vip"
                } else {
                    "check-vip-none"
                })
                .arg("ip", ip)
                .arg(
                    "holder",
                    holder
                        .map(|h| host_name(sim, h))
                        .unwrap_or_else(|| "none".into()),
                )
                .arg(
                    "observed",
                    if holders.is_empty() {
                        "none".to_string()
                    } else {
                        holders
                            .iter()
                            .map(|h| host_name(sim, *h))
                            .collect::<Vec<_>>()
                            .join(" + ")
                    },
                );
                match holder {
                    Some(h) => holders == vec![*h],
                    None => holders.is_empty(),
                }
            }
            Predicate::Frame {
                pattern,
                since,
                range,
            } => {
                let from = match since {
                    Since::Step => ctx.step_first_record,
                    Since::Start => 0,
                };
                let recs = &sim.world.trace.records;
                let v = recs
                    .get(from.min(recs.len())..)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|r| pattern.matches(r))
                    .count() as f64;
                m = Message::new(if pattern.iface.is_some() {
                    "check-frame-iface"
                } else {
                    "check-frame"
                })
                .arg("node", &pattern.node)
                .arg("iface", pattern.iface.clone().unwrap_or_default())
                .arg(
                    "pattern",
                    if pattern.label.is_empty() {
                        "*".to_string()
                    } else {
                        pattern.label.clone()
                    },
                )
                .arg("range", range.describe())
                .arg("observed", num(v));
                range.holds(v)
            }
            Predicate::Drops {
                node,
                reason,
                range,
            } => {
                let v = sim
                    .world
                    .metrics
                    .drops
                    .iter()
                    .filter(|((n, r), _)| {
                        node.as_ref().is_none_or(|x| x == n)
                            && reason.as_ref().is_none_or(|x| r.contains(x.as_str()))
                    })
                    .map(|(_, c)| *c)
                    .sum::<u64>() as f64;
                m = Message::new(match (node.is_some(), reason.is_some()) {
                    (false, false) => "check-drops",
                    (true, false) => "check-drops-at",
                    (false, true) => "check-drops-reason",
                    (true, true) => "check-drops-at-reason",
                })
                .arg("node", node.clone().unwrap_or_default())
                .arg("reason", reason.clone().unwrap_or_default())
                .arg("range", range.describe())
                .arg("observed", num(v));
                range.holds(v)
            }
            Predicate::Failover {
                field,
                instance,
                range,
            } => {
                let rows = sim.failover_report();
                let v: u64 = rows
                    .iter()
                    .filter(|r| instance.as_ref().is_none_or(|i| *i == r.instance))
                    .map(|r| match field {
                        FailoverField::Established => r.established,
                        FailoverField::Survived => r.survived,
                        FailoverField::Lost => r.lost,
                    })
                    .sum();
                m = Message::new(match field {
                    FailoverField::Established => "check-failover-established",
                    FailoverField::Survived => "check-failover-survived",
                    FailoverField::Lost => "check-failover-lost",
                })
                .arg("range", range.describe())
                .arg("takeovers", rows.len())
                .arg("observed", v);
                !rows.is_empty() && range.holds(v as f64)
            }
        };
        Outcome { pass, message: m }
    }
}

/// Connections a host's server applications accepted (optionally one port).
fn served(sim: &Simulation, host: usize, port: Option<u16>) -> u64 {
    let h = &sim.hosts[host];
    sim.world
        .metrics
        .servers
        .get(&h.name)
        .map(|ports| {
            ports
                .iter()
                .filter(|(p, _)| port.is_none_or(|x| x == **p))
                .map(|(_, c)| c.connections)
                .sum()
        })
        .unwrap_or(0)
}

/// A counter summed over the matching real-server rows; None when no row matches.
fn ipvs_counter(
    sim: &Simulation,
    director: usize,
    counter: Counter,
    server: Option<&(IpAddr, u16)>,
    service: Option<&ServiceSel>,
) -> Option<f64> {
    let ipvs = sim.hosts[director].ipvs.as_ref()?;
    let snap = ipvs.snapshot(sim.now());
    let mut sum = 0.0;
    let mut any = false;
    for s in &snap.services {
        if service.is_some_and(|sel| !sel.matches(&s.config.key)) {
            continue;
        }
        for d in &s.dests {
            if server.is_some_and(|(a, p)| d.config.addr != *a || d.config.port != *p) {
                continue;
            }
            any = true;
            sum += match counter {
                Counter::ActiveConn => d.active as f64,
                Counter::InActConn => d.inactive as f64,
                Counter::PersistConn => d.persistent as f64,
                Counter::Weight => d.config.weight as f64,
                Counter::Conns => d.stats.conns as f64,
                Counter::InPkts => d.stats.inpkts as f64,
                Counter::OutPkts => d.stats.outpkts as f64,
                Counter::InBytes => d.stats.inbytes as f64,
                Counter::OutBytes => d.stats.outbytes as f64,
            };
        }
    }
    any.then_some(sum)
}

/// The effective value of a sysctl as the kernel applies it: for `conf.IFACE.*` the
/// larger of `all` and the interface (arp_ignore, arp_announce, rp_filter are max()ed).
pub fn sysctl_value(sim: &Simulation, host: usize, name: &str) -> Option<i64> {
    let h = &sim.hosts[host];
    if name == "net.ipv4.ip_forward" || name == "net.ipv4.conf.all.forwarding" {
        return Some(h.ip_forward as i64);
    }
    if let Some(rest) = name.strip_prefix("net.ipv4.vs.") {
        let s = h.ipvs.as_ref()?.sysctls();
        return Some(match rest {
            "conn_reuse_mode" => s.conn_reuse_mode,
            "expire_nodest_conn" => s.expire_nodest_conn,
            "expire_quiescent_template" => s.expire_quiescent_template,
            "sloppy_tcp" => s.sloppy_tcp,
            "secure_tcp" => s.secure_tcp,
            "nat_icmp_send" => s.nat_icmp_send,
            "pmtu_disc" => s.pmtu_disc,
            "snat_reroute" => s.snat_reroute,
            "cache_bypass" => s.cache_bypass,
            "schedule_icmp" => s.schedule_icmp,
            "conntrack" => s.conntrack,
            _ => return None,
        } as i64);
    }
    let (dev, key) = name.strip_prefix("net.ipv4.conf.")?.split_once('.')?;
    let conf = match dev {
        "all" => h.conf_all,
        d => h.conf(h.iface_index(d)?),
    };
    Some(match key {
        "arp_ignore" => conf.arp_ignore,
        "arp_announce" => conf.arp_announce,
        "rp_filter" => conf.rp_filter,
        "send_redirects" => conf.send_redirects,
        _ => return None,
    } as i64)
}

/// The instance's VRRP state on a director (`STOPPED` when keepalived does not run).
pub fn vrrp_state(sim: &Simulation, host: usize, instance: &str) -> Option<VrrpState> {
    let k = sim.keepalived.iter().find(|k| k.host == host)?;
    let i = k.instance(instance)?;
    Some(if k.running && sim.hosts[host].up {
        k.instances[i].vrrp.state
    } else {
        VrrpState::Stopped
    })
}

/// Hosts that have `ip` on an Ethernet interface that is up (in host order).
pub fn vip_holders(sim: &Simulation, ip: Ipv4Addr) -> Vec<usize> {
    sim.hosts
        .iter()
        .enumerate()
        .filter(|(_, h)| {
            h.up && h
                .ifaces
                .iter()
                .any(|i| i.up && i.kind == IfaceKind::Ethernet && i.has_addr(ip))
        })
        .map(|(i, _)| i)
        .collect()
}

/// Host names and their addresses, for resolving a lesson against its scenario.
pub struct Names<'a> {
    pub sim: &'a Simulation,
}

type Bad = (&'static str, String);

impl Names<'_> {
    pub fn host(&self, key: &'static str, name: &Option<String>) -> Result<usize, Bad> {
        let n = name
            .as_deref()
            .ok_or((key, format!("`{key}` is missing")))?;
        self.host_named(key, n)
    }

    pub fn host_named(&self, key: &'static str, n: &str) -> Result<usize, Bad> {
        self.sim.host_index(n).ok_or_else(|| {
            (
                key,
                format!(
                    "no host `{n}` in the scenario (hosts: {})",
                    self.sim
                        .hosts
                        .iter()
                        .map(|h| h.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    }

    fn host_or_none(&self, key: &'static str, name: &Option<String>) -> Result<Option<usize>, Bad> {
        match name.as_deref() {
            None => Err((key, format!("`{key}` is missing (a host, or \"none\")"))),
            Some("none") => Ok(None),
            Some(n) => self.host_named(key, n).map(Some),
        }
    }

    pub fn director(&self, name: &Option<String>) -> Result<usize, Bad> {
        let d = self.host("director", name)?;
        if self.sim.hosts[d].ipvs.is_none() {
            return Err((
                "director",
                format!("`{}` runs no IPVS", self.sim.hosts[d].name),
            ));
        }
        Ok(d)
    }

    pub fn iface(&self, host: usize, key: &'static str, name: &str) -> Result<(), Bad> {
        let h = &self.sim.hosts[host];
        if h.iface_index(name).is_none() {
            return Err((
                key,
                format!(
                    "{} has no interface `{name}` (it has {})",
                    h.name,
                    h.ifaces
                        .iter()
                        .map(|i| i.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// The addresses (or MACs) of a host, for a frame field given as a host name.
    fn expand(&self, f: Field, v: &str) -> Vec<String> {
        match self.sim.host_index(v) {
            Some(i) if f.is_addr() => self.sim.hosts[i]
                .ifaces
                .iter()
                .flat_map(|x| x.addrs.iter().map(|c| c.addr.to_string()))
                .collect(),
            Some(i) if f.is_mac() => self.sim.hosts[i]
                .ifaces
                .iter()
                .map(|x| x.mac.to_string())
                .collect(),
            _ => vec![v.to_string()],
        }
    }

    pub fn frame(
        &self,
        node: &str,
        iface: &Option<String>,
        dir: &Option<String>,
        fields: &std::collections::BTreeMap<String, toml::Value>,
    ) -> Result<FramePattern, Bad> {
        let host = self.host_named("node", node)?;
        if let Some(i) = iface {
            self.iface(host, "iface", i)?;
        }
        let dir = match dir.as_deref() {
            None => None,
            Some("rx") => Some(Direction::Rx),
            Some("tx") => Some(Direction::Tx),
            Some(o) => return Err(("dir", format!("dir `{o}` is neither \"rx\" nor \"tx\""))),
        };
        let mut out = Vec::new();
        let mut label: Vec<String> = dir
            .map(|d| match d {
                Direction::Rx => "rx".to_string(),
                Direction::Tx => "tx".to_string(),
            })
            .into_iter()
            .collect();
        for (k, v) in fields {
            let f = Field::parse(k).ok_or_else(|| {
                (
                    "match",
                    format!(
                        "unknown header field `{k}` (known: {})",
                        Field::ALL
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            let text = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err((
                        "match",
                        format!("`{k}`: {other} is neither text nor a number"),
                    ))
                }
            };
            label.push(format!("{k} = {text}"));
            let want = if f == Field::Reason {
                Want::Contains(text)
            } else {
                Want::OneOf(self.expand(f, &text))
            };
            out.push((f, want));
        }
        Ok(FramePattern {
            node: node.to_string(),
            iface: iface.clone(),
            dir,
            fields: out,
            label: label.join(", "),
        })
    }

    pub fn frame_file(&self, f: &FrameFile) -> Result<FramePattern, Bad> {
        self.frame(&f.node, &f.iface, &f.dir, &f.fields)
    }
}

fn range_of(c: &CheckFile, needed: bool) -> Result<Range, Bad> {
    let equals = match &c.equals {
        None => None,
        Some(toml::Value::Integer(i)) => Some(*i as f64),
        Some(toml::Value::Float(f)) => Some(*f),
        Some(_) => return Err(("equals", "`equals` must be a number here".into())),
    };
    let r = Range {
        at_least: c.at_least,
        at_most: c.at_most,
        equals,
    };
    if needed && r == Range::default() {
        return Err(("what", "give `at-least`, `at-most` or `equals`".into()));
    }
    if let (Some(a), Some(b)) = (r.at_least, r.at_most) {
        if a > b {
            return Err((
                "at-least",
                format!("at-least {a} is above at-most {b}: nothing can hold"),
            ));
        }
    }
    Ok(r)
}

fn need<'a>(key: &'static str, v: &'a Option<String>) -> Result<&'a str, Bad> {
    v.as_deref().ok_or((key, format!("`{key}` is missing")))
}

fn sockaddr(key: &'static str, v: &str) -> Result<(IpAddr, u16), Bad> {
    crate::scenario::parse_sockaddr(v)
        .map(|(a, p)| (IpAddr::V4(a), p))
        .map_err(|e| (key, e))
}

fn ipv4(key: &'static str, v: &str) -> Result<Ipv4Addr, Bad> {
    v.trim()
        .parse()
        .map_err(|_| (key, format!("`{v}` is not an IPv4 address")))
}

/// The checks a lesson may use, by `what`.
pub const KINDS: &[&str] = &[
    "arp-owner",
    "completed",
    "failed",
    "served",
    "share",
    "ipvs",
    "real-server",
    "scheduler",
    "sysctl",
    "vrrp-state",
    "vip",
    "frame",
    "drops",
    "failover",
];

/// Resolves a check as written against the scenario. Errors name the key at fault.
pub fn resolve(c: &CheckFile, n: &Names<'_>) -> Result<Predicate, Bad> {
    let service = c
        .service
        .as_deref()
        .map(|s| ServiceSel::parse(s).map_err(|e| ("service", e)))
        .transpose()?;
    Ok(match c.what.as_str() {
        "arp-owner" => Predicate::ArpOwner {
            host: n.host("host", &c.host)?,
            ip: ipv4("ip", need("ip", &c.ip)?)?,
            owner: n.host_or_none("owner", &c.owner)?,
        },
        "completed" => Predicate::Completed {
            workload: c.workload.clone(),
            range: range_of(c, true)?,
        },
        "failed" => Predicate::Failed {
            workload: c.workload.clone(),
            reason: c.reason.clone(),
            range: range_of(c, true)?,
        },
        "served" => Predicate::Served {
            host: n.host("host", &c.host)?,
            port: c.port,
            range: range_of(c, true)?,
        },
        "share" => Predicate::Share {
            host: n.host("host", &c.host)?,
            range: range_of(c, true)?,
        },
        "ipvs" => {
            let cname = need("counter", &c.counter)?;
            let counter = Counter::ALL
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(cname))
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    (
                        "counter",
                        format!(
                            "unknown counter `{cname}` (known: {})",
                            Counter::ALL
                                .iter()
                                .map(|(k, _)| *k)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?;
            Predicate::Ipvs {
                director: n.director(&c.director)?,
                counter,
                server: c
                    .server
                    .as_deref()
                    .map(|s| sockaddr("server", s))
                    .transpose()?,
                service,
                range: range_of(c, true)?,
            }
        }
        "real-server" => Predicate::RealServer {
            director: n.director(&c.director)?,
            server: sockaddr("server", need("server", &c.server)?)?,
            service,
            present: c.present.ok_or((
                "present",
                "`present` is missing (true or false)".to_string(),
            ))?,
        },
        "scheduler" => Predicate::Scheduler {
            director: n.director(&c.director)?,
            service,
            equals: match &c.equals {
                Some(toml::Value::String(s)) => s.clone(),
                _ => {
                    return Err((
                        "equals",
                        "`equals` must name a scheduler, e.g. \"wlc\"".into(),
                    ))
                }
            },
        },
        "sysctl" => {
            let host = n.host("host", &c.host)?;
            let name = need("name", &c.name)?.to_string();
            if sysctl_value(n.sim, host, &name).is_none() {
                return Err((
                    "name",
                    format!("`{name}` is not a sysctl this host has (net.ipv4.ip_forward, net.ipv4.conf.IFACE.arp_ignore|arp_announce|rp_filter, net.ipv4.vs.*)"),
                ));
            }
            Predicate::Sysctl {
                host,
                name,
                range: range_of(c, true)?,
            }
        }
        "vrrp-state" => {
            let host = n.host("host", &c.host)?;
            let instance = need("instance", &c.instance)?.to_string();
            let k = n.sim.keepalived.iter().find(|k| k.host == host).ok_or((
                "host",
                format!("{} runs no keepalived", n.sim.hosts[host].name),
            ))?;
            if k.instance(&instance).is_none() {
                return Err((
                    "instance",
                    format!(
                        "no vrrp_instance `{instance}` on {}",
                        n.sim.hosts[host].name
                    ),
                ));
            }
            let state = match need("state", &c.state)?.to_ascii_uppercase().as_str() {
                "MASTER" => VrrpState::Master,
                "BACKUP" => VrrpState::Backup,
                "FAULT" => VrrpState::Fault,
                "INIT" => VrrpState::Init,
                "STOPPED" => VrrpState::Stopped,
                o => {
                    return Err((
                        "state",
                        format!("state `{o}` is not MASTER, BACKUP, FAULT, INIT or STOPPED"),
                    ))
                }
            };
            Predicate::VrrpState {
                host,
                instance,
                state,
            }
        }
        "vip" => Predicate::Vip {
            ip: ipv4("ip", need("ip", &c.ip)?)?,
            holder: n.host_or_none("holder", &c.holder)?,
        },
        "frame" => {
            let node = need("node", &c.node)?;
            let pattern = n.frame(
                node,
                &c.iface,
                &c.dir,
                &c.fields.clone().unwrap_or_default(),
            )?;
            let since = match c.since.as_deref() {
                None | Some("step") => Since::Step,
                Some("start") => Since::Start,
                Some(o) => {
                    return Err((
                        "since",
                        format!("since `{o}` is neither \"step\" nor \"start\""),
                    ))
                }
            };
            Predicate::Frame {
                pattern,
                since,
                range: range_of(c, true)?,
            }
        }
        "drops" => {
            if let Some(node) = &c.node {
                n.host_named("node", node)?;
            }
            Predicate::Drops {
                node: c.node.clone(),
                reason: c.reason.clone(),
                range: range_of(c, true)?,
            }
        }
        "failover" => Predicate::Failover {
            field: match need("field", &c.field)? {
                "established" => FailoverField::Established,
                "survived" => FailoverField::Survived,
                "lost" => FailoverField::Lost,
                o => {
                    return Err((
                        "field",
                        format!("field `{o}` is not established, survived or lost"),
                    ))
                }
            },
            instance: c.instance.clone(),
            range: range_of(c, true)?,
        },
        other => {
            return Err((
                "what",
                format!("unknown check `{other}` (known: {})", KINDS.join(", ")),
            ))
        }
    })
}
