//! Scenario files: parse (serde, with locations), validate (diagnostics with hints), build
//! a `Simulation`. Also gives each director's `LvsConfig` to the exporters.

pub mod diag;
pub mod format;
mod keepalived;

use crate::admin::ipvsadm::{parse_line, Command};
use crate::admin::{
    svc_flags, DestConfig, FwdMethod, IpvsOp, LvsConfig, Protocol, ServiceConfig, ServiceKey,
    Timeouts,
};
use crate::engine::world::World;
use crate::engine::{Fault, FaultAction, Simulation};
use crate::ipvs::{Ipvs, IpvsSysctls};
use crate::net::host::{Host, Role};
use crate::net::route::Route;
use crate::net::segment::{LinkParams, Segment};
use crate::net::{Cidr, IfConf, Iface, IfaceKind};
use crate::rng::RngStreams;
use crate::time::{SimDuration, SimTime};
use crate::transport::app::{Arrival, ClientMode, ServerSpec, WorkloadSpec, L4};
use crate::wire::MacAddr;
use diag::{line_col, locate, path_string, Diagnostic, Seg, Severity};
use format::*;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

pub use format::ScenarioFile;

/// A parsed scenario with its source text, ready to validate and build.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub file_name: String,
    pub text: String,
    pub spec: ScenarioFile,
}

/// The ops (and their source lines) that build one director's table.
#[derive(Clone, Debug, Default)]
pub struct DirectorTable {
    pub host: String,
    pub config: LvsConfig,
}

fn diag_at(
    file: &str,
    text: &str,
    doc: Option<&toml_edit::Document<&str>>,
    path: &[Seg],
    sev: Severity,
    msg: String,
    hint: Option<String>,
) -> Diagnostic {
    let (line, col) = doc
        .and_then(|d| locate(d, path))
        .map(|sp| line_col(text, sp.start))
        .unwrap_or((0, 0));
    Diagnostic {
        severity: sev,
        file: file.into(),
        line,
        col,
        path: path_string(path),
        message: msg,
        hint,
    }
}

impl Scenario {
    /// Parses a scenario; a syntax or type error comes back as one diagnostic with its place.
    pub fn parse(file_name: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
        let spec: ScenarioFile = diag::parse_toml(file_name, text, "")?;
        Ok(Scenario {
            file_name: file_name.into(),
            text: text.into(),
            spec,
        })
    }

    fn doc(&self) -> Option<toml_edit::Document<&str>> {
        toml_edit::Document::parse(self.text.as_str()).ok()
    }

    /// Validates and builds. Warnings come back alongside the simulation; any error means no
    /// simulation.
    pub fn build(
        &self,
        seed: Option<u64>,
    ) -> Result<(Simulation, Vec<Diagnostic>), Vec<Diagnostic>> {
        let doc = self.doc();
        let mut b = Builder {
            sc: self,
            doc: doc.as_ref(),
            diags: Vec::new(),
        };
        let sim = b.build(seed.unwrap_or(self.spec.scenario.seed));
        let errors = b.diags.iter().any(|d| d.severity == Severity::Error);
        let mut diags = b.diags;
        diags.sort_by_key(|d| (d.severity, d.line, d.col));
        match sim {
            Some(s) if !errors => Ok((s, diags)),
            _ => Err(diags),
        }
    }

    /// Validation only.
    pub fn check(&self) -> Vec<Diagnostic> {
        match self.build(None) {
            Ok((_, d)) => d,
            Err(d) => d,
        }
    }

    /// The IPVS table of every director, as the scenario defines it at time zero.
    pub fn director_tables(&self) -> Result<Vec<DirectorTable>, Vec<Diagnostic>> {
        let (sim, _) = self.build(None)?;
        Ok(sim
            .hosts
            .iter()
            .filter_map(|h| {
                h.ipvs.as_ref().map(|i| DirectorTable {
                    host: h.name.clone(),
                    config: i.config().clone(),
                })
            })
            .collect())
    }
}

/// Loads and parses a scenario from text.
pub fn parse(file_name: &str, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    Scenario::parse(file_name, text)
}

struct Builder<'a> {
    sc: &'a Scenario,
    doc: Option<&'a toml_edit::Document<&'a str>>,
    diags: Vec<Diagnostic>,
}

fn k(s: &str) -> Seg {
    Seg::Key(s.into())
}

/// Parses "a.b.c.d:port".
pub fn parse_sockaddr(s: &str) -> Result<(Ipv4Addr, u16), String> {
    let (a, p) = s
        .rsplit_once(':')
        .ok_or_else(|| format!("`{s}` is not ADDRESS:PORT"))?;
    let a: Ipv4Addr = a
        .trim()
        .parse()
        .map_err(|_| format!("`{a}` is not an IPv4 address"))?;
    let p: u16 = p
        .trim()
        .parse()
        .map_err(|_| format!("`{p}` is not a port number (0..65535)"))?;
    Ok((a, p))
}

/// Parses "10.0.0.101" or a range "10.0.0.101-10.0.0.112".
fn parse_sources(s: &str) -> Result<Vec<Ipv4Addr>, String> {
    if let Some((a, b)) = s.split_once('-') {
        let a: Ipv4Addr = a
            .trim()
            .parse()
            .map_err(|_| format!("`{a}` is not an IPv4 address"))?;
        let b: Ipv4Addr = b
            .trim()
            .parse()
            .map_err(|_| format!("`{b}` is not an IPv4 address"))?;
        let (x, y) = (u32::from(a), u32::from(b));
        if y < x || y - x > 65535 {
            return Err(format!(
                "`{s}`: the range must go upwards and hold at most 65536 addresses"
            ));
        }
        Ok((x..=y).map(Ipv4Addr::from).collect())
    } else {
        Ok(vec![s
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an IPv4 address"))?])
    }
}

/// The port written after `-r`/`--real-server` on an ipvsadm line, if any.
fn written_dest_port(line: &str) -> Option<u16> {
    let words: Vec<&str> = line.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let v = if *w == "-r" || *w == "--real-server" {
            words.get(i + 1).copied()
        } else if let Some(v) = w.strip_prefix("--real-server=") {
            Some(v)
        } else {
            w.strip_prefix("-r").filter(|v| !v.is_empty())
        };
        if let Some(v) = v {
            let port = if v.starts_with('[') {
                v.rsplit_once("]:").map(|x| x.1)
            } else {
                v.rsplit_once(':').map(|x| x.1)
            };
            return port.and_then(|p| p.parse().ok());
        }
    }
    None
}

impl Builder<'_> {
    fn err(&mut self, path: &[Seg], msg: impl Into<String>, hint: Option<&str>) {
        let d = diag_at(
            &self.sc.file_name,
            &self.sc.text,
            self.doc,
            path,
            Severity::Error,
            msg.into(),
            hint.map(String::from),
        );
        self.diags.push(d);
    }
    fn warn(&mut self, path: &[Seg], msg: impl Into<String>, hint: Option<&str>) {
        let d = diag_at(
            &self.sc.file_name,
            &self.sc.text,
            self.doc,
            path,
            Severity::Warning,
            msg.into(),
            hint.map(String::from),
        );
        self.diags.push(d);
    }
    /// An error on line `n` (0-based) of the multi-line string at `path`.
    fn err_in_rules(&mut self, path: &[Seg], n: usize, msg: String, hint: Option<&str>) {
        let mut d = diag_at(
            &self.sc.file_name,
            &self.sc.text,
            self.doc,
            path,
            Severity::Error,
            msg,
            hint.map(String::from),
        );
        if d.line > 0 {
            // A """ string starts with a newline that TOML drops; its first line is the next one.
            let starts_with_newline = self
                .doc
                .and_then(|doc| locate(doc, path))
                .map(|sp| {
                    self.sc.text[sp.start..].starts_with("\"\"\"\n")
                        || self.sc.text[sp.start..].starts_with("'''\n")
                })
                .unwrap_or(false);
            d.line += n + usize::from(starts_with_newline);
            d.col = 1;
        }
        d.path = format!("{} (line {} of the rules)", d.path, n + 1);
        self.diags.push(d);
    }

    fn build(&mut self, seed: u64) -> Option<Simulation> {
        let spec = &self.sc.spec;
        let rng = RngStreams::new(seed);
        // ---- segments
        let mut segments = Vec::new();
        let mut seg_names = BTreeSet::new();
        for (i, s) in spec.segments.iter().enumerate() {
            let p = [k("segment"), Seg::Index(i), k("name")];
            if !seg_names.insert(s.name.clone()) {
                self.err(
                    &p,
                    format!("segment `{}` is defined twice", s.name),
                    Some("give every segment its own name"),
                );
            }
            if !(0.0..=1.0).contains(&s.loss) {
                self.err(
                    &[k("segment"), Seg::Index(i), k("loss")],
                    format!("loss {} is not a probability", s.loss),
                    Some("use a value from 0.0 to 1.0"),
                );
            }
            segments.push(Segment::new(
                s.name.clone(),
                LinkParams {
                    latency: s.latency.0,
                    bandwidth_bps: s.bandwidth.0,
                    jitter: s.jitter.map(|j| j.0).unwrap_or(SimDuration::ZERO),
                    loss: s.loss,
                },
            ));
        }
        // ---- hosts
        let mut hosts: Vec<Host> = Vec::new();
        let mut keepalived_cfgs = Vec::new();
        let mut host_names = BTreeSet::new();
        for (hi, hs) in spec.hosts.iter().enumerate() {
            let hp = vec![k("host"), Seg::Index(hi)];
            if !host_names.insert(hs.name.clone()) {
                self.err(
                    &[hp.clone(), vec![k("name")]].concat(),
                    format!("host `{}` is defined twice", hs.name),
                    Some("give every host its own name"),
                );
            }
            let role = match hs.role {
                RoleSpec::Client => Role::Client,
                RoleSpec::Router => Role::Router,
                RoleSpec::Director => Role::Director,
                RoleSpec::RealServer => Role::RealServer,
                RoleSpec::Host => Role::Host,
            };
            let mut h = Host::new(
                hi,
                hs.name.clone(),
                role,
                rng.stream(&format!("host:{}", hs.name)),
            );
            if let Some(tw) = hs.time_wait {
                h.tcp_params.time_wait = tw.0;
            }
            let wants_tunl = hs.modules.iter().any(|m| m == "ipip")
                || hs.ifaces.iter().any(|i| i.name == "tunl0");
            for (mi, m) in hs.modules.iter().enumerate() {
                if m != "ipip" {
                    self.err(
                        &[hp.clone(), vec![k("modules"), Seg::Index(mi)]].concat(),
                        format!("unknown module `{m}`"),
                        Some("the model knows `ipip` (which creates tunl0)"),
                    );
                }
            }
            if wants_tunl {
                h.ifaces.push(Iface {
                    name: "tunl0".into(),
                    kind: IfaceKind::Tunnel,
                    mac: MacAddr::ZERO,
                    addrs: vec![],
                    up: true,
                    mtu: 1480,
                    conf: IfConf::default(),
                    attachment: None,
                });
            }
            let mut eth_n = 0u8;
            for (ii, is) in hs.ifaces.iter().enumerate() {
                let ip = [hp.clone(), vec![k("iface"), Seg::Index(ii)]].concat();
                let mut addrs = Vec::new();
                for (ai, a) in is.addrs.iter().enumerate() {
                    match a.parse::<Cidr>() {
                        Ok(c) => addrs.push(c),
                        Err(e) => self.err(
                            &[ip.clone(), vec![k("addrs"), Seg::Index(ai)]].concat(),
                            e,
                            Some(
                                "write an IPv4 address with its prefix, e.g. \"192.168.10.102/24\"",
                            ),
                        ),
                    }
                }
                match is.name.as_str() {
                    "lo" | "tunl0" => {
                        if is.segment.is_some() {
                            self.err(
                                &[ip.clone(), vec![k("segment")]].concat(),
                                format!("`{}` cannot be plugged into a segment", is.name),
                                Some("remove `segment` from this interface"),
                            );
                        }
                        let idx = h.iface_index(&is.name).unwrap_or(0);
                        h.ifaces[idx].addrs.extend(addrs);
                    }
                    name => {
                        if h.iface_index(name).is_some() {
                            self.err(
                                &[ip.clone(), vec![k("name")]].concat(),
                                format!("interface `{name}` is defined twice on {}", hs.name),
                                None,
                            );
                            continue;
                        }
                        let Some(seg_name) = &is.segment else {
                            self.err(
                                &[ip.clone(), vec![k("name")]].concat(),
                                format!("Ethernet interface `{name}` needs a `segment`"),
                                Some("add segment = \"<name of a [[segment]]>\""),
                            );
                            continue;
                        };
                        let Some(seg) = spec.segments.iter().position(|s| &s.name == seg_name)
                        else {
                            self.err(
                                &[ip.clone(), vec![k("segment")]].concat(),
                                format!("no segment named `{seg_name}`"),
                                Some("define it in a [[segment]] table or fix the name"),
                            );
                            continue;
                        };
                        eth_n += 1;
                        let mac = match &is.mac {
                            Some(m) => match m.parse::<MacAddr>() {
                                Ok(m) => m,
                                Err(e) => {
                                    self.err(&[ip.clone(), vec![k("mac")]].concat(), e, None);
                                    MacAddr::ZERO
                                }
                            },
                            None => {
                                MacAddr([0x02, 0, 0, (hi >> 8) as u8, (hi & 0xff) as u8 + 1, eth_n])
                            }
                        };
                        let idx = h.ifaces.len();
                        let port = segments
                            .get_mut(seg)
                            .map(|s| s.attach(hi, idx))
                            .unwrap_or(0);
                        h.ifaces.push(Iface {
                            name: name.into(),
                            kind: IfaceKind::Ethernet,
                            mac,
                            addrs,
                            up: true,
                            mtu: is.mtu.unwrap_or(1500),
                            conf: IfConf::default(),
                            attachment: Some((seg, port)),
                        });
                    }
                }
            }
            // routes
            for (ri, rs) in hs.routes.iter().enumerate() {
                let rp = [hp.clone(), vec![k("route"), Seg::Index(ri)]].concat();
                let dst = if rs.to == "default" {
                    Cidr::new(Ipv4Addr::UNSPECIFIED, 0)
                } else {
                    match rs.to.parse::<Cidr>() {
                        Ok(c) => c,
                        Err(e) => {
                            self.err(
                                &[rp.clone(), vec![k("to")]].concat(),
                                e,
                                Some("write \"default\" or a prefix like \"10.0.0.0/24\""),
                            );
                            continue;
                        }
                    }
                };
                let via = match &rs.via {
                    Some(v) => match v.parse::<Ipv4Addr>() {
                        Ok(a) => Some(a),
                        Err(_) => {
                            self.err(
                                &[rp.clone(), vec![k("via")]].concat(),
                                format!("`{v}` is not an IPv4 address"),
                                None,
                            );
                            continue;
                        }
                    },
                    None => None,
                };
                let dev = match &rs.dev {
                    Some(d) => match h.iface_index(d) {
                        Some(i) => i,
                        None => {
                            self.err(
                                &[rp.clone(), vec![k("dev")]].concat(),
                                format!("{} has no interface `{d}`", hs.name),
                                None,
                            );
                            continue;
                        }
                    },
                    None => match via.and_then(|v| {
                        h.ifaces.iter().position(|i| {
                            i.kind == IfaceKind::Ethernet && i.addr_in_subnet_of(v).is_some()
                        })
                    }) {
                        Some(i) => i,
                        None => {
                            self.err(&rp, format!("gateway {} is not on a network of {}", via.map(|v| v.to_string()).unwrap_or("(none)".into()), hs.name), Some("a gateway must be in the subnet of one of the host's interfaces, or give `dev`"));
                            continue;
                        }
                    },
                };
                let src = rs.src.as_ref().and_then(|s| s.parse::<Ipv4Addr>().ok());
                h.routes.push(Route { dst, via, dev, src });
            }
            // IPVS
            if let Some(ipvs_spec) = &hs.ipvs {
                if role != Role::Director {
                    self.err(
                        &[hp.clone(), vec![k("ipvs")]].concat(),
                        format!(
                            "{} has an IPVS table but its role is not `director`",
                            hs.name
                        ),
                        Some("set role = \"director\""),
                    );
                }
                let mut ipvs = Ipvs::new(
                    IpvsSysctls::default(),
                    rng.stream(&format!("ipvs:{}", hs.name)),
                );
                self.build_ipvs(&hp, ipvs_spec, &mut ipvs);
                h.ipvs = Some(ipvs);
            }
            if let Some(cfg) = self.build_keepalived(&hp, hs, &mut h, &rng) {
                keepalived_cfgs.push((hi, cfg, hs.keepalived_start.map(|d| SimTime(d.0 .0))));
            } else if hs.keepalived_start.is_some() {
                let mut p = hp.clone();
                p.push(k("keepalived_start"));
                self.err(
                    &p,
                    format!("{} runs no keepalived: `keepalived_start` has nothing to start", hs.name),
                    Some("add `keepalived = \"\"\"...\"\"\"` to the host, or remove keepalived_start"),
                );
            }
            // sysctls
            for (name, value) in &hs.sysctl {
                if let Err(e) = h.set_sysctl(name, *value) {
                    self.err(&[hp.clone(), vec![k("sysctl"), k(name)]].concat(), e, Some("known: net.ipv4.ip_forward, net.ipv4.conf.<all|iface>.{arp_ignore,arp_announce,rp_filter,send_redirects}, net.ipv4.vs.*"));
                }
            }
            // servers
            for (si, s) in hs.servers.iter().enumerate() {
                if s.workers == 0 {
                    self.err(
                        &[hp.clone(), vec![k("server"), Seg::Index(si), k("workers")]].concat(),
                        "a server needs at least one worker",
                        None,
                    );
                }
                h.add_server(ServerSpec {
                    proto: if s.proto == ProtoFile::Udp {
                        L4::Udp
                    } else {
                        L4::Tcp
                    },
                    port: s.port,
                    workers: s.workers.max(1),
                    backlog: s.backlog,
                    service_time: s.service_time.0.clone(),
                    response_header_bytes: s.header_bytes,
                    response_body_bytes: s.body_bytes,
                    status: s.status,
                    slowdown: 1.0,
                });
            }
            h.refresh_addrs();
            hosts.push(h);
        }
        self.lint_topology(&hosts);
        // ---- workloads
        let mut workloads = Vec::new();
        for (wi, w) in spec.workloads.iter().enumerate() {
            let wp = vec![k("workload"), Seg::Index(wi)];
            let Some(client) = hosts.iter().position(|h| h.name == w.client) else {
                self.err(
                    &[wp.clone(), vec![k("client")]].concat(),
                    format!("no host named `{}`", w.client),
                    None,
                );
                continue;
            };
            let target = match parse_sockaddr(&w.target) {
                Ok(t) => t,
                Err(e) => {
                    self.err(
                        &[wp.clone(), vec![k("target")]].concat(),
                        e,
                        Some("write the virtual service as \"VIP:PORT\""),
                    );
                    continue;
                }
            };
            if w.capture.is_some() && w.replay.is_empty() {
                self.err(
                    &[wp.clone(), vec![k("capture")]].concat(),
                    "the capture was not read: captures are loaded by `lvslab run`/`lvslab sweep` from a scenario file",
                    Some("run the scenario from its file with the lvslab command line, or list the connections in `replay`"),
                );
                continue;
            }
            let arrival = match w.arrival {
                _ if !w.replay.is_empty() => {
                    let mut conns = Vec::with_capacity(w.replay.len());
                    let mut bad = false;
                    for (ri, r) in w.replay.iter().enumerate() {
                        let at = &[wp.clone(), vec![k("replay"), Seg::Index(ri)]].concat();
                        match parse_sockaddr(&r.source) {
                            Ok((a, p)) if hosts[client].is_local(a) && p != 0 => {
                                conns.push(crate::transport::app::ReplayConn {
                                    at: r.at.0,
                                    src: a,
                                    sport: p,
                                    request_bytes: r.request_bytes,
                                    response_bytes: r.response_bytes,
                                })
                            }
                            Ok((a, _)) => {
                                self.err(
                                    at,
                                    format!("{a} is not configured on {} (or the port is 0)", w.client),
                                    Some("add the capture's client addresses to the client's interface, e.g. addrs = [\"203.0.113.101/24\", ...]"),
                                );
                                bad = true;
                                break;
                            }
                            Err(e) => {
                                self.err(at, e, None);
                                bad = true;
                                break;
                            }
                        }
                    }
                    if bad {
                        continue;
                    }
                    conns.sort_by_key(|c| c.at);
                    Arrival::Replay(conns)
                }
                ArrivalFile::Sequential => Arrival::Sequential {
                    think: w.think.map(|t| t.0).unwrap_or(SimDuration::ZERO),
                },
                a => match w.rate {
                    Some(r) if r > 0.0 && r.is_finite() => {
                        if a == ArrivalFile::Poisson {
                            Arrival::Poisson { rate: r }
                        } else {
                            Arrival::Uniform { rate: r }
                        }
                    }
                    _ => {
                        self.err(&wp, "poisson and uniform arrivals need a positive `rate` (connections per second)", Some("add rate = 50, or use arrival = \"sequential\""));
                        continue;
                    }
                },
            };
            let mut sources = Vec::new();
            for (si, s) in w.sources.iter().enumerate() {
                match parse_sources(s) {
                    Ok(v) => {
                        for a in &v {
                            if !hosts[client].is_local(*a) {
                                self.err(
                                    &[wp.clone(), vec![k("sources"), Seg::Index(si)]].concat(),
                                    format!("{a} is not configured on {}", w.client),
                                    Some("add the address to one of the client's interfaces"),
                                );
                                break;
                            }
                        }
                        sources.extend(v);
                    }
                    Err(e) => self.err(
                        &[wp.clone(), vec![k("sources"), Seg::Index(si)]].concat(),
                        e,
                        None,
                    ),
                }
            }
            let name = w.name.clone().unwrap_or_else(|| format!("workload{wi}"));
            let spec_w = WorkloadSpec {
                name: name.clone(),
                client,
                proto: if w.proto == ProtoFile::Udp {
                    L4::Udp
                } else {
                    L4::Tcp
                },
                target,
                sources,
                connections: match &arrival {
                    Arrival::Replay(c) => Some(c.len() as u64),
                    _ => w.connections,
                },
                arrival,
                start: SimTime(w.start.map(|d| d.0 .0).unwrap_or(0)),
                stop: w.stop.map(|d| SimTime(d.0 .0)),
                request_bytes: w.request_bytes,
                path: w.path.clone(),
                timeout: w.timeout.0,
                half_close: w.half_close,
                mode: match w.mode {
                    ModeFile::Request => ClientMode::Request,
                    ModeFile::Hold => ClientMode::Hold(w.hold.map(|h| h.0)),
                },
            };
            workloads.push((spec_w, rng.stream(&format!("workload:{name}"))));
        }
        // ---- faults
        let mut faults = Vec::new();
        for (fi, f) in spec.faults.iter().enumerate() {
            let fp = vec![k("fault"), Seg::Index(fi)];
            let Some(host) = hosts.iter().position(|h| h.name == f.host) else {
                self.err(
                    &[fp.clone(), vec![k("host")]].concat(),
                    format!("no host named `{}`", f.host),
                    None,
                );
                continue;
            };
            let iface = |b: &mut Self| -> Option<usize> {
                match &f.iface {
                    Some(n) => match hosts[host].iface_index(n) {
                        Some(i) => Some(i),
                        None => {
                            b.err(
                                &[fp.clone(), vec![k("iface")]].concat(),
                                format!("{} has no interface `{n}`", f.host),
                                None,
                            );
                            None
                        }
                    },
                    None => {
                        b.err(&fp, "this action needs `iface`", None);
                        None
                    }
                }
            };
            let action = match f.action {
                FaultKind::HostDown => Some(FaultAction::HostDown { host }),
                FaultKind::HostUp => Some(FaultAction::HostUp { host }),
                FaultKind::LinkDown => {
                    iface(self).map(|iface| FaultAction::LinkDown { host, iface })
                }
                FaultKind::LinkUp => iface(self).map(|iface| FaultAction::LinkUp { host, iface }),
                FaultKind::Sysctl => match (&f.name, f.value) {
                    (Some(n), Some(v)) => {
                        let mut probe =
                            Host::new(0, String::new(), Role::Host, rng.stream("probe"));
                        probe.ifaces = hosts[host].ifaces.clone();
                        probe.refresh_addrs();
                        probe.ipvs = hosts[host]
                            .ipvs
                            .as_ref()
                            .map(|_| Ipvs::new(IpvsSysctls::default(), rng.stream("probe")));
                        match probe.set_sysctl(n, v) {
                            Ok(()) => Some(FaultAction::Sysctl {
                                host,
                                name: n.clone(),
                                value: v,
                            }),
                            Err(e) => {
                                self.err(&[fp.clone(), vec![k("name")]].concat(), e, None);
                                None
                            }
                        }
                    }
                    _ => {
                        self.err(&fp, "action \"sysctl\" needs `name` and `value`", None);
                        None
                    }
                },
                FaultKind::Ipvsadm => match &f.command {
                    Some(c) => match parse_line(c) {
                        Ok(Command::Apply(op)) if hosts[host].ipvs.is_some() => {
                            Some(FaultAction::Ipvs { host, op })
                        }
                        Ok(Command::Apply(_)) => {
                            self.err(
                                &[fp.clone(), vec![k("host")]].concat(),
                                format!("{} runs no IPVS", f.host),
                                None,
                            );
                            None
                        }
                        Ok(_) => {
                            self.err(
                                &[fp.clone(), vec![k("command")]].concat(),
                                "only commands that change the table can be scheduled",
                                Some("use -A/-E/-D/-a/-e/-d/-C/-Z/--set"),
                            );
                            None
                        }
                        Err(e) => {
                            self.err(
                                &[fp.clone(), vec![k("command")]].concat(),
                                format!("ipvsadm: {}", e.message),
                                None,
                            );
                            None
                        }
                    },
                    None => {
                        self.err(&fp, "action \"ipvsadm\" needs `command`", None);
                        None
                    }
                },
                FaultKind::KeepalivedStop
                | FaultKind::KeepalivedStart
                | FaultKind::KeepalivedKill
                | FaultKind::VrrpPriority
                | FaultKind::VrrpScript
                | FaultKind::ServerStop
                | FaultKind::ServerStart => self.ha_fault(&fp, f, host, &hosts[host]),
                FaultKind::Cut | FaultKind::Restore => self.cut_fault(&fp, f, host, &hosts),
                FaultKind::Slow => match (f.port, f.factor) {
                    (Some(port), Some(factor)) if factor > 0.0 => {
                        Some(FaultAction::Slow { host, port, factor })
                    }
                    _ => {
                        self.err(
                            &fp,
                            "action \"slow\" needs `port` and a positive `factor`",
                            None,
                        );
                        None
                    }
                },
            };
            if let Some(action) = action {
                let label = format!("{:?} on {}", f.action, f.host).to_lowercase();
                faults.push(Fault {
                    at: SimTime(f.at.0 .0),
                    action,
                    label,
                });
            }
        }
        let world = World::new(segments, rng.stream("links"));
        let end = SimTime(spec.scenario.duration.0 .0);
        let mut sim = Simulation::new(
            spec.scenario.name.clone(),
            seed,
            world,
            hosts,
            workloads,
            faults,
            end,
        );
        for (host, cfg, start) in keepalived_cfgs {
            let rng = rng.stream(&format!("keepalived:{host}"));
            match start {
                Some(at) if at > SimTime::ZERO => sim.install_keepalived_at(host, cfg, rng, at),
                _ => sim.install_keepalived(host, cfg, rng),
            }
        }
        Some(sim)
    }

    fn build_ipvs(&mut self, hp: &[Seg], spec: &IpvsSpec, ipvs: &mut Ipvs) {
        let rules_path = [hp.to_vec(), vec![k("ipvs"), k("rules")]].concat();
        if let Some(rules) = &spec.rules {
            for (n, raw) in rules.lines().enumerate() {
                let line = raw.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match parse_line(line) {
                    Ok(Command::Apply(op)) => {
                        if let IpvsOp::AddDest(key, d) | IpvsOp::EditDest(key, d) = &op {
                            if matches!(d.fwd, FwdMethod::Route | FwdMethod::Tunnel)
                                && !key.is_fwmark()
                            {
                                if let Some(p) = written_dest_port(line) {
                                    if p != key.port() {
                                        let mode = d.fwd.mode_name();
                                        self.err_in_rules(&rules_path, n, format!(
                                            "port mapping ({} -> {}) is impossible with {mode}: the packet reaches the real server unchanged, so ipvsadm silently uses port {} and the kernel never rewrites ports for {mode}",
                                            key.port(), p, key.port()), Some("use the service's port for the real server, or NAT (-m) if you need port mapping"));
                                        continue;
                                    }
                                }
                            }
                        }
                        if let Err(e) = ipvs.apply(SimTime::ZERO, &op) {
                            self.err_in_rules(
                                &rules_path,
                                n,
                                format!(
                                    "{}: {}",
                                    line,
                                    crate::admin::ipvsadm::kernel_error_message(&op, &e)
                                ),
                                None,
                            );
                        }
                    }
                    Ok(_) => self.err_in_rules(
                        &rules_path,
                        n,
                        format!("`{line}` does not change the table"),
                        Some("rules hold -A/-a/-E/-e/--set lines; listings belong in the console"),
                    ),
                    Err(e) => self.err_in_rules(
                        &rules_path,
                        n,
                        format!("ipvsadm: {}", e.message.lines().next().unwrap_or("")),
                        None,
                    ),
                }
            }
        }
        for (si, s) in spec.services.iter().enumerate() {
            let sp = [hp.to_vec(), vec![k("ipvs"), k("service"), Seg::Index(si)]].concat();
            let key = match (&s.tcp, &s.udp, s.fwmark) {
                (Some(a), None, None) | (None, Some(a), None) => match parse_sockaddr(a) {
                    Ok((addr, port)) => ServiceKey::Addr {
                        proto: if s.tcp.is_some() {
                            Protocol::Tcp
                        } else {
                            Protocol::Udp
                        },
                        addr: IpAddr::V4(addr),
                        port,
                    },
                    Err(e) => {
                        self.err(&sp, e, Some("write tcp = \"VIP:PORT\""));
                        continue;
                    }
                },
                (None, None, Some(m)) => ServiceKey::Fwmark {
                    mark: m,
                    family: crate::admin::Family::Inet,
                },
                _ => {
                    self.err(
                        &sp,
                        "a service needs exactly one of `tcp`, `udp` or `fwmark`",
                        None,
                    );
                    continue;
                }
            };
            let mut cfg = ServiceConfig::new(key);
            cfg.scheduler = s.scheduler.clone();
            if let Some(p) = s.persistent {
                cfg.flags |= svc_flags::PERSISTENT;
                cfg.timeout = p;
            }
            if let Some(m) = &s.netmask {
                match m.parse::<Ipv4Addr>() {
                    Ok(m) => cfg.netmask = u32::from(m),
                    Err(_) => self.err(
                        &[sp.clone(), vec![k("netmask")]].concat(),
                        format!("`{m}` is not a netmask"),
                        None,
                    ),
                }
            }
            for f in &s.flags {
                cfg.flags |= match f.as_str() {
                    "sh-fallback" | "mh-fallback" | "flag-1" => svc_flags::SCHED1,
                    "sh-port" | "mh-port" | "flag-2" => svc_flags::SCHED2,
                    "flag-3" => svc_flags::SCHED3,
                    _ => {
                        self.err(
                            &[sp.clone(), vec![k("flags")]].concat(),
                            format!("unknown scheduler flag `{f}`"),
                            None,
                        );
                        0
                    }
                };
            }
            if s.ops {
                cfg.flags |= svc_flags::ONEPACKET;
            }
            if let Err(e) = ipvs.apply(SimTime::ZERO, &IpvsOp::AddService(cfg)) {
                self.err(
                    &sp,
                    e.to_string(),
                    Some("known schedulers: rr wrr lc wlc sed nq fo ovf twos dh sh mh lblc lblcr"),
                );
                continue;
            }
            for (ri, r) in s.real_servers.iter().enumerate() {
                let rp = [sp.clone(), vec![k("real_server"), Seg::Index(ri)]].concat();
                let (addr, port) = match parse_sockaddr(&r.address) {
                    Ok(x) => x,
                    Err(_) => match r.address.parse::<Ipv4Addr>() {
                        Ok(a) => (a, key.port()),
                        Err(_) => {
                            self.err(
                                &[rp.clone(), vec![k("address")]].concat(),
                                format!("`{}` is not ADDRESS[:PORT]", r.address),
                                None,
                            );
                            continue;
                        }
                    },
                };
                let fwd = match r.method {
                    MethodFile::Nat => FwdMethod::Masq,
                    MethodFile::Dr => FwdMethod::Route,
                    MethodFile::Tun => FwdMethod::Tunnel,
                };
                if fwd != FwdMethod::Masq && !key.is_fwmark() && port != key.port() {
                    self.err(&[rp.clone(), vec![k("address")]].concat(), format!("port mapping ({} -> {port}) is impossible with {}: the kernel never rewrites ports for DR or TUN", key.port(), fwd.mode_name()), Some("use the service's port, or method = \"nat\""));
                    continue;
                }
                let mut d = DestConfig::new(IpAddr::V4(addr), port)
                    .with_fwd(fwd)
                    .with_weight(r.weight);
                d.u_threshold = r.u_threshold;
                d.l_threshold = r.l_threshold;
                if let Err(e) = ipvs.apply(SimTime::ZERO, &IpvsOp::AddDest(key, d)) {
                    self.err(&rp, e.to_string(), None);
                }
            }
        }
        if let Some([tcp, fin, udp]) = spec.timeouts {
            let _ = ipvs.apply(
                SimTime::ZERO,
                &IpvsOp::SetTimeouts(Timeouts {
                    tcp,
                    tcp_fin: fin,
                    udp,
                }),
            );
        }
    }

    /// Teaching warnings: configurations that run but will not work as intended.
    fn lint_topology(&mut self, hosts: &[Host]) {
        for (di, d) in hosts.iter().enumerate() {
            let Some(ipvs) = &d.ipvs else { continue };
            let dp = vec![k("host"), Seg::Index(di)];
            let cfg = ipvs.config().clone();
            let has_nat = cfg
                .services
                .iter()
                .any(|s| s.dests.iter().any(|x| x.fwd == FwdMethod::Masq));
            if has_nat && !d.ip_forward {
                self.warn(&dp, format!("{} forwards NAT traffic but net.ipv4.ip_forward is 0: replies from the real servers will be dropped", d.name), Some("set \"net.ipv4.ip_forward\" = 1 in its sysctl table"));
            }
            for svc in &cfg.services {
                let vip = match svc.config.key {
                    ServiceKey::Addr {
                        addr: IpAddr::V4(a),
                        ..
                    } => Some(a),
                    _ => None,
                };
                for dest in &svc.dests {
                    let IpAddr::V4(rip) = dest.addr else { continue };
                    let Some((ri, rs)) = hosts.iter().enumerate().find(|(_, h)| {
                        h.ifaces
                            .iter()
                            .any(|i| i.kind == IfaceKind::Ethernet && i.has_addr(rip))
                    }) else {
                        self.warn(&dp, format!("real server {rip} is not a host of the scenario: traffic to it is lost"), None);
                        continue;
                    };
                    let rp = vec![k("host"), Seg::Index(ri)];
                    match dest.fwd {
                        FwdMethod::Masq => {
                            let gw = rs
                                .routes
                                .iter()
                                .find(|r| r.dst.prefix == 0)
                                .and_then(|r| r.via);
                            let mut d_addrs: Vec<Ipv4Addr> = d
                                .ifaces
                                .iter()
                                .flat_map(|i| i.addrs.iter().map(|c| c.addr))
                                .collect();
                            d_addrs.extend(self.floating_addrs(di));
                            match gw {
                                Some(g) if d_addrs.contains(&g) => {}
                                Some(g) => self.warn(&rp, format!("NAT real server {} routes its replies via {g}, not via the director: replies leave with source {rip} instead of the VIP and the client drops them", rs.name), Some("make the director's inside address (DIP) the real server's default gateway")),
                                None => self.warn(&rp, format!("NAT real server {} has no default route: it cannot answer clients on other networks", rs.name), Some("add a default route via the director's DIP")),
                            }
                        }
                        FwdMethod::Route | FwdMethod::Tunnel => {
                            let Some(vip) = vip else { continue };
                            if !rs.is_local(vip) {
                                self.warn(&rp, format!("{} real server {} does not have the VIP {vip}: it will drop the requests", dest.fwd.mode_name(), rs.name), Some(if dest.fwd == FwdMethod::Route { "add the VIP as a /32 on lo" } else { "load ipip and put the VIP on tunl0" }));
                            }
                            for (ii, ifc) in rs.ifaces.iter().enumerate() {
                                if ifc.kind != IfaceKind::Ethernet
                                    || ifc.has_addr(vip)
                                    || !rs.is_local(vip)
                                {
                                    continue;
                                }
                                let c = rs.conf(ii);
                                if c.arp_ignore == 0 {
                                    self.warn(&rp, format!("{} will answer ARP requests for the VIP {vip} on {} (arp_ignore=0): routers may send client traffic straight to it, bypassing the director", rs.name, ifc.name), Some("set net.ipv4.conf.all.arp_ignore = 1 and net.ipv4.conf.all.arp_announce = 2"));
                                }
                                if c.arp_announce < 2 {
                                    self.warn(&rp, format!("{} may announce the VIP {vip} as the source of its ARP requests on {} (arp_announce={}): neighbours will learn its MAC for the VIP", rs.name, ifc.name, c.arp_announce), Some("set net.ipv4.conf.all.arp_announce = 2"));
                                }
                            }
                            if dest.fwd == FwdMethod::Tunnel {
                                match rs.iface_index("tunl0") {
                                    None => self.warn(&rp, format!("TUN real server {} has no tunl0 (ipip not loaded): IPIP packets will be dropped", rs.name), Some("add modules = [\"ipip\"]")),
                                    Some(t) => {
                                        if rs.conf(t).rp_filter == 1 {
                                            self.warn(&rp, format!("TUN real server {} has rp_filter=1 on tunl0: decapsulated packets from clients fail the reverse-path check and are dropped", rs.name), Some("set net.ipv4.conf.all.rp_filter = 0 and net.ipv4.conf.tunl0.rp_filter = 0"));
                                        }
                                    }
                                }
                            } else if let Some(dseg) = d
                                .ifaces
                                .iter()
                                .filter_map(|i| i.attachment.map(|a| a.0))
                                .next()
                            {
                                let same = rs.ifaces.iter().any(|i| {
                                    i.attachment.map(|a| a.0) == Some(dseg)
                                        || d.ifaces.iter().any(|di| {
                                            di.attachment.is_some()
                                                && di.attachment.map(|a| a.0)
                                                    == i.attachment.map(|a| a.0)
                                        })
                                });
                                if !same {
                                    self.warn(&rp, format!("DR real server {} is not on a segment shared with the director: DR only works on one L2 network", rs.name), None);
                                }
                            }
                        }
                        FwdMethod::Local => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dest_port_is_read_from_the_line() {
        assert_eq!(
            written_dest_port("-a -t 1.1.1.1:80 -r 2.2.2.2:8080 -g"),
            Some(8080)
        );
        assert_eq!(
            written_dest_port("ipvsadm -a -t 1.1.1.1:80 -r 2.2.2.2 -g"),
            None
        );
        assert_eq!(
            written_dest_port("-a -t 1.1.1.1:80 --real-server=2.2.2.2:81"),
            Some(81)
        );
    }

    #[test]
    fn sources_ranges() {
        assert_eq!(parse_sources("10.0.0.1-10.0.0.3").unwrap().len(), 3);
        assert!(parse_sources("10.0.0.3-10.0.0.1").is_err());
        assert!(parse_sources("nope").is_err());
    }
}
