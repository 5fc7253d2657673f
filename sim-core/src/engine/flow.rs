//! Connection-level bulk runs, for what-if experiments that need tens of thousands of
//! connections in well under a second.
//!
//! The director's IPVS is the real one: every packet of a connection that crosses the
//! director is built with the same flags, sizes and ports as in the packet-level model and
//! fed to `Ipvs::in_packet` / `out_packet` at the time it would arrive there, so scheduling,
//! connection states, timeouts, ActiveConn/InActConn and statistics are computed exactly as
//! in a packet-level run. Real servers keep their workers, backlog and service times.
//! What is not simulated is the network between the hosts: one-way delays are the sums of
//! segment latencies along the shortest forwarding path, and there is no ARP, loss,
//! serialization or TCP endpoint state. Scenarios with features this mode cannot represent
//! (timeline faults, keepalived, UDP workloads, hold-mode clients) are refused.

use super::queue::EventQueue;
use super::Simulation;
use crate::admin::FwdMethod;
use crate::ipvs::IpvsIn;
use crate::net::host::Role;
use crate::net::IfaceKind;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::transport::app::{Arrival, ClientMode, L4};
use crate::wire::{IpPayload, Ipv4Packet, Payload, TcpFlags, TcpOptions, TcpSegment};
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr};

const MSS: u32 = 1460;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// The client's SYN (attempt n) reaches the director.
    Syn(u8),
    /// The SYN reaches the real server.
    SynAtServer(u8),
    /// The client's ACK, request and FIN reach the director.
    Request,
    /// The request reaches the real server.
    RequestAtServer,
    /// NAT only: the server's SYN-ACK / ACK / response reach the director on their way out.
    OutSynAck,
    OutAck,
    OutResponse,
    /// The response and FIN reach the client.
    ResponseAtClient,
    /// The client's last ACKs reach the director.
    FinalAcks,
    /// The request timed out at the client (RST to the director).
    Timeout,
}

#[derive(Clone, Copy, Debug)]
enum Ev {
    Arrival(u32),
    Conn(u32, Step),
    ServiceDone(u32),
    IpvsTimer(u32, SimTime),
}

struct Conn {
    workload: u32,
    client_host: usize,
    client: (Ipv4Addr, u16),
    vip: (Ipv4Addr, u16),
    director: usize,
    started: SimTime,
    /// Real server host, its address and port (after the first SYN was scheduled).
    rs: Option<(usize, Ipv4Addr, u16)>,
    fwd: FwdMethod,
    accepted: bool,
    done: bool,
    /// A replayed connection's request and response sizes.
    sizes: Option<(u32, u32)>,
}

struct Server {
    busy: u32,
    /// Requests waiting for a worker, with the time each began waiting.
    queue: VecDeque<(u32, SimTime)>,
}

pub struct FlowEngine {
    queue: EventQueue<Ev>,
    conns: Vec<Conn>,
    servers: BTreeMap<(usize, u16), Server>,
    next_port: BTreeMap<Ipv4Addr, u16>,
    ipvs_armed: BTreeMap<usize, SimTime>,
    /// One-way delay between hosts (shortest forwarding path).
    delay: Vec<Vec<Option<SimDuration>>>,
    /// One-way delay from each workload's client to its director.
    client_director: Vec<SimDuration>,
    directors: Vec<(usize, Ipv4Addr, u16)>,
    by_addr: BTreeMap<Ipv4Addr, usize>,
    rng: SimRng,
    syn_retries: u8,
    now: SimTime,
}

/// One-way delays between every pair of hosts: shortest paths over segments, passing only
/// through hosts that forward packets.
fn delays(sim: &Simulation) -> Vec<Vec<Option<SimDuration>>> {
    let n = sim.hosts.len();
    let mut adj: Vec<Vec<(usize, SimDuration)>> = vec![Vec::new(); n];
    for seg in &sim.world.segments {
        let nodes: Vec<usize> = seg.ports.iter().map(|p| p.node).collect();
        for &a in &nodes {
            for &b in &nodes {
                if a != b {
                    adj[a].push((b, seg.link.latency));
                }
            }
        }
    }
    let mut out = vec![vec![None; n]; n];
    for (s, row) in out.iter_mut().enumerate() {
        // Dijkstra on a handful of hosts: a simple O(n^2) scan is enough.
        let mut dist: Vec<Option<SimDuration>> = vec![None; n];
        let mut done = vec![false; n];
        dist[s] = Some(SimDuration::ZERO);
        loop {
            let next = (0..n)
                .filter(|i| !done[*i] && dist[*i].is_some())
                .min_by_key(|i| dist[*i].unwrap());
            let Some(u) = next else { break };
            done[u] = true;
            if u != s && !sim.hosts[u].ip_forward {
                continue;
            }
            for &(v, d) in &adj[u] {
                let nd = dist[u].unwrap() + d;
                if dist[v].is_none_or(|x| nd < x) {
                    dist[v] = Some(nd);
                }
            }
        }
        *row = dist;
    }
    out
}

fn segment(sport: u16, dport: u16, flags: u8, len: u32, syn: bool) -> IpPayload {
    IpPayload::Tcp(TcpSegment {
        sport,
        dport,
        seq: 0,
        ack: 0,
        flags: TcpFlags(flags),
        window: 502,
        options: if syn {
            TcpOptions {
                mss: Some(MSS as u16),
                sack_permitted: true,
                timestamps: Some((0, 0)),
                window_scale: Some(7),
            }
        } else {
            TcpOptions {
                timestamps: Some((0, 0)),
                ..Default::default()
            }
        },
        payload: Payload { len, app: None },
    })
}

fn packet(src: Ipv4Addr, dst: Ipv4Addr, payload: IpPayload) -> Ipv4Packet {
    Ipv4Packet {
        src,
        dst,
        ttl: 64,
        tos: 0,
        id: 0,
        df: true,
        payload,
    }
}

/// Lengths of the segments a write of `len` bytes is cut into.
fn pieces(len: u32) -> impl Iterator<Item = u32> {
    let n = len.div_ceil(MSS);
    (0..n).map(move |i| if i + 1 == n { len - i * MSS } else { MSS })
}

impl FlowEngine {
    /// Prepares a bulk run of `sim` from its current state, or says why it cannot.
    pub fn new(sim: &Simulation) -> Result<FlowEngine, String> {
        if !sim.faults.is_empty() {
            return Err("the scenario has timeline faults; bulk runs do not model them".into());
        }
        if !sim.keepalived.is_empty() {
            return Err(
                "the scenario runs keepalived; bulk runs do not model VRRP or checkers".into(),
            );
        }
        let delay = delays(sim);
        let mut by_addr = BTreeMap::new();
        for (i, h) in sim.hosts.iter().enumerate() {
            for ifc in h.ifaces.iter().filter(|x| x.kind == IfaceKind::Ethernet) {
                for c in &ifc.addrs {
                    by_addr.entry(c.addr).or_insert(i);
                }
            }
        }
        let mut directors = Vec::new();
        let mut client_director = Vec::new();
        for w in &sim.workloads {
            let s = &w.spec;
            if s.proto != L4::Tcp || s.mode != ClientMode::Request {
                return Err(format!(
                    "workload `{}`: bulk runs model TCP request workloads only",
                    s.name
                ));
            }
            let key = crate::admin::ServiceKey::Addr {
                proto: crate::admin::Protocol::Tcp,
                addr: IpAddr::V4(s.target.0),
                port: s.target.1,
            };
            let d = sim
                .hosts
                .iter()
                .position(|h| {
                    h.role == Role::Director
                        && h.ipvs
                            .as_ref()
                            .is_some_and(|i| i.config().service(&key).is_some())
                })
                .ok_or_else(|| {
                    format!(
                        "workload `{}`: no director has the service {}:{}",
                        s.name, s.target.0, s.target.1
                    )
                })?;
            let cd = delay[s.client][d].ok_or_else(|| {
                format!(
                    "workload `{}`: the client cannot reach the director",
                    s.name
                )
            })?;
            directors.push((d, s.target.0, s.target.1));
            client_director.push(cd);
        }
        Ok(FlowEngine {
            queue: EventQueue::default(),
            conns: Vec::new(),
            servers: BTreeMap::new(),
            next_port: BTreeMap::new(),
            ipvs_armed: BTreeMap::new(),
            delay,
            client_director,
            directors,
            by_addr,
            rng: SimRng::from_seed(sim.seed ^ 0x666c_6f77),
            syn_retries: 6,
            now: sim.world.now,
        })
    }

    /// Schedules the first arrival of every workload.
    pub fn start(&mut self, sim: &Simulation) {
        for (i, w) in sim.workloads.iter().enumerate() {
            if w.issued == 0 {
                self.queue.push(
                    w.spec.first_arrival().max(sim.world.now),
                    Ev::Arrival(i as u32),
                );
            }
        }
    }

    pub fn peek_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    fn d(&self, a: usize, b: usize) -> SimDuration {
        self.delay[a][b].unwrap_or(SimDuration::from_millis(1))
    }

    /// Processes one event; returns its time.
    pub fn step(&mut self, sim: &mut Simulation) -> Option<SimTime> {
        let (at, ev) = self.queue.pop()?;
        self.now = at;
        sim.world.now = at;
        sim.world.metrics.events += 1;
        match ev {
            Ev::Arrival(w) => self.arrival(sim, w as usize),
            Ev::Conn(c, step) => self.conn_step(sim, c, step),
            Ev::ServiceDone(c) => self.service_done(sim, c),
            Ev::IpvsTimer(h, t) => {
                let h = h as usize;
                if self.ipvs_armed.get(&h) == Some(&t) {
                    self.ipvs_armed.remove(&h);
                    if let Some(ipvs) = sim.hosts[h].ipvs.as_mut() {
                        ipvs.on_timer(at);
                    }
                    self.rearm(sim, h);
                }
            }
        }
        Some(at)
    }

    fn rearm(&mut self, sim: &mut Simulation, h: usize) {
        let Some(ipvs) = sim.hosts[h].ipvs.as_mut() else {
            return;
        };
        let _ = ipvs.take_decisions();
        if let Some(at) = ipvs.poll_at() {
            let at = at.max(self.now);
            if self.ipvs_armed.get(&h).is_none_or(|a| at < *a) {
                self.ipvs_armed.insert(h, at);
                self.queue.push(at, Ev::IpvsTimer(h as u32, at));
            }
        }
    }

    fn arrival(&mut self, sim: &mut Simulation, i: usize) {
        let now = self.now;
        let w = &mut sim.workloads[i];
        if w.spec.connections.is_some_and(|n| w.issued >= n)
            || w.spec.stop.is_some_and(|s| now >= s)
        {
            return;
        }
        let k = w.issued as usize;
        w.issued += 1;
        let replayed = w.spec.arrival.replayed(k).copied();
        let src = if let Some(r) = &replayed {
            r.src
        } else if w.spec.sources.is_empty() {
            let h = &sim.hosts[w.spec.client];
            h.route(w.spec.target.0)
                .and_then(|r| r.src.or_else(|| h.ifaces[r.iface].primary()))
                .unwrap_or(Ipv4Addr::UNSPECIFIED)
        } else {
            let s = w.spec.sources[w.next_src % w.spec.sources.len()];
            w.next_src += 1;
            s
        };
        let next = match &w.spec.arrival {
            Arrival::Poisson { rate } => Some(SimDuration::from_secs_f64(w.rng.exp(1.0 / rate))),
            Arrival::Uniform { rate } => Some(SimDuration::from_secs_f64(1.0 / rate)),
            Arrival::Sequential { .. } => None,
            Arrival::Replay(_) => w.spec.arrival.replay_gap(k),
        };
        if let Some(d) = next {
            self.queue.push(now + d, Ev::Arrival(i as u32));
        }
        sim.world.metrics.sent(self.now);
        let port = match &replayed {
            Some(r) => r.sport,
            None => {
                let p = self.next_port.entry(src).or_insert(32768);
                *p = if *p >= 60997 { 32768 } else { *p + 2 };
                *p
            }
        };
        let (director, vip, vport) = self.directors[i];
        let id = self.conns.len() as u32;
        self.conns.push(Conn {
            workload: i as u32,
            client_host: w.spec.client,
            client: (src, port),
            vip: (vip, vport),
            director,
            started: now,
            rs: None,
            fwd: FwdMethod::Route,
            accepted: false,
            done: false,
            sizes: replayed.map(|r| (r.request_bytes, r.response_bytes)),
        });
        let timeout = w.spec.timeout;
        self.queue
            .push(now + self.client_director[i], Ev::Conn(id, Step::Syn(0)));
        self.queue.push(now + timeout, Ev::Conn(id, Step::Timeout));
    }

    /// Feeds client -> VIP packets to the director's IPVS; returns the verdict of the first.
    fn feed_in(
        &mut self,
        sim: &mut Simulation,
        c: u32,
        segs: &[(u8, u32, bool)],
    ) -> Option<IpvsIn> {
        let now = self.now;
        let conn = &self.conns[c as usize];
        let (d, client, vip) = (conn.director, conn.client, conn.vip);
        let mut first = None;
        if let Some(ipvs) = sim.hosts[d].ipvs.as_mut() {
            for &(flags, len, syn) in segs {
                let p = packet(client.0, vip.0, segment(client.1, vip.1, flags, len, syn));
                let v = ipvs.in_packet(now, &p);
                first.get_or_insert(v);
            }
        }
        self.rearm(sim, d);
        first
    }

    /// NAT: feeds real server -> client packets through the director's FORWARD hook.
    fn feed_out(&mut self, sim: &mut Simulation, c: u32, segs: &[(u8, u32)]) {
        let now = self.now;
        let conn = &self.conns[c as usize];
        let (d, client) = (conn.director, conn.client);
        let Some((_, rip, rport)) = conn.rs else {
            return;
        };
        if let Some(ipvs) = sim.hosts[d].ipvs.as_mut() {
            for &(flags, len) in segs {
                let mut p = packet(
                    rip,
                    client.0,
                    segment(rport, client.1, flags, len, flags & TcpFlags::SYN != 0),
                );
                let _ = ipvs.out_packet(now, &mut p);
            }
        }
        self.rearm(sim, d);
    }

    fn fail(&mut self, sim: &mut Simulation, c: u32, why: &str) {
        let conn = &mut self.conns[c as usize];
        if conn.done {
            return;
        }
        conn.done = true;
        let wl = conn.workload as usize;
        sim.world.metrics.fail(&format!("w{wl}"), why);
        self.finished(sim, wl);
    }

    fn finished(&mut self, sim: &mut Simulation, wl: usize) {
        sim.workloads[wl].finished += 1;
        if let Arrival::Sequential { think } = sim.workloads[wl].spec.arrival {
            self.queue.push(self.now + think, Ev::Arrival(wl as u32));
        }
    }

    fn conn_step(&mut self, sim: &mut Simulation, c: u32, step: Step) {
        let now = self.now;
        if self.conns[c as usize].done && step != Step::FinalAcks {
            return;
        }
        let (d, client_host) = {
            let conn = &self.conns[c as usize];
            (
                conn.director,
                sim.workloads[conn.workload as usize].spec.client,
            )
        };
        match step {
            Step::Syn(n) => match self.feed_in(sim, c, &[(TcpFlags::SYN, 0, true)]) {
                Some(IpvsIn::Forward(x)) => {
                    let Some(&rs) = self.by_addr.get(&x.rip) else {
                        return self.fail(sim, c, "request timed out");
                    };
                    let rport = x
                        .packet
                        .ports()
                        .map(|p| p.1)
                        .unwrap_or(self.conns[c as usize].vip.1);
                    let conn = &mut self.conns[c as usize];
                    conn.rs = Some((rs, x.rip, rport));
                    conn.fwd = x.method;
                    self.queue
                        .push(now + self.d(d, rs), Ev::Conn(c, Step::SynAtServer(n)));
                }
                Some(IpvsIn::Unreachable(_)) => {
                    self.fail(sim, c, "connection refused (ICMP port unreachable)")
                }
                Some(IpvsIn::Pass) | None => self.fail(sim, c, "connection refused (RST)"),
                Some(IpvsIn::Drop(_)) => self.retry_syn(c, n),
            },
            Step::SynAtServer(n) => {
                let Some((rs, _, rport)) = self.conns[c as usize].rs else {
                    return;
                };
                let Some(spec) = sim.hosts[rs]
                    .servers
                    .get(&(L4::Tcp, rport))
                    .map(|s| s.spec.clone())
                else {
                    return self.fail(sim, c, "connection refused (RST)");
                };
                let srv = self.servers.entry((rs, rport)).or_insert(Server {
                    busy: 0,
                    queue: VecDeque::new(),
                });
                if srv.queue.len() as u32 >= spec.backlog {
                    sim.world
                        .metrics
                        .server(&sim.hosts[rs].name, rport)
                        .syn_dropped += 1;
                    return self.retry_syn(c, n);
                }
                if !self.conns[c as usize].accepted {
                    self.conns[c as usize].accepted = true;
                    sim.world
                        .metrics
                        .server(&sim.hosts[rs].name, rport)
                        .connections += 1;
                }
                let back = self.back_delay(c);
                if self.conns[c as usize].fwd == FwdMethod::Masq {
                    self.queue
                        .push(now + self.d(rs, d), Ev::Conn(c, Step::OutSynAck));
                }
                // The client answers the SYN-ACK with ACK, request and FIN at once.
                let cd = self.d(client_host, d);
                self.queue.push(now + back + cd, Ev::Conn(c, Step::Request));
            }
            Step::OutSynAck => self.feed_out(sim, c, &[(TcpFlags::SYN | TcpFlags::ACK, 0)]),
            Step::Request => {
                let req = self.request_bytes(sim, c);
                let mut segs = vec![(TcpFlags::ACK, 0, false)];
                let n = req.div_ceil(MSS).max(1);
                for (i, len) in pieces(req).enumerate() {
                    let last = i as u32 + 1 == n;
                    segs.push((
                        TcpFlags::ACK | if last { TcpFlags::PSH } else { 0 },
                        len,
                        false,
                    ));
                }
                segs.push((TcpFlags::FIN | TcpFlags::ACK, 0, false));
                self.feed_in(sim, c, &segs);
                if let Some((rs, _, _)) = self.conns[c as usize].rs {
                    self.queue
                        .push(now + self.d(d, rs), Ev::Conn(c, Step::RequestAtServer));
                }
            }
            Step::RequestAtServer => {
                let Some((rs, _, rport)) = self.conns[c as usize].rs else {
                    return;
                };
                let req = self.request_bytes(sim, c);
                let name = sim.hosts[rs].name.clone();
                let m = sim.world.metrics.server(&name, rport);
                m.requests += 1;
                m.bytes_in += req as u64;
                if self.conns[c as usize].fwd == FwdMethod::Masq {
                    // The FIN makes the server acknowledge at once.
                    self.queue
                        .push(now + self.d(rs, d), Ev::Conn(c, Step::OutAck));
                }
                self.enqueue(sim, c, rs, rport, now);
            }
            Step::OutAck => self.feed_out(sim, c, &[(TcpFlags::ACK, 0)]),
            Step::OutResponse => {
                let segs = self.response_segments(sim, c);
                self.feed_out(sim, c, &segs);
            }
            Step::ResponseAtClient => {
                let conn = &mut self.conns[c as usize];
                if conn.done {
                    return;
                }
                conn.done = true;
                let (wl, started, rs) = (conn.workload as usize, conn.started, conn.rs);
                let server = rs.map(|r| sim.hosts[r.0].name.clone()).unwrap_or_default();
                sim.world
                    .metrics
                    .complete(now, &format!("w{wl}"), (now - started).0, &server);
                self.finished(sim, wl);
                let cd = self.d(client_host, d);
                self.queue.push(now + cd, Ev::Conn(c, Step::FinalAcks));
            }
            Step::FinalAcks => {
                // One ACK per data segment and one for the FIN.
                let n = self.response_segments(sim, c).len();
                let segs: Vec<(u8, u32, bool)> =
                    (0..n).map(|_| (TcpFlags::ACK, 0, false)).collect();
                self.feed_in(sim, c, &segs);
            }
            Step::Timeout => {
                if !self.conns[c as usize].done {
                    self.fail(sim, c, "request timed out");
                    self.feed_in(sim, c, &[(TcpFlags::RST | TcpFlags::ACK, 0, false)]);
                }
            }
        }
    }

    /// Delay from the real server back to the client: directly for DR and TUN, through the
    /// director for NAT.
    fn back_delay(&self, c: u32) -> SimDuration {
        let conn = &self.conns[c as usize];
        let Some((rs, _, _)) = conn.rs else {
            return SimDuration::ZERO;
        };
        let client = conn.client_host;
        if conn.fwd == FwdMethod::Masq {
            self.d(rs, conn.director) + self.d(conn.director, client)
        } else {
            self.d(rs, client)
        }
    }

    fn retry_syn(&mut self, c: u32, n: u8) {
        if n >= self.syn_retries {
            return; // the request timeout fails it
        }
        let rto = SimDuration::from_secs(1).times(1 << n);
        let cd = {
            let conn = &self.conns[c as usize];
            self.client_director[conn.workload as usize]
        };
        self.queue
            .push(self.now + rto + cd, Ev::Conn(c, Step::Syn(n + 1)));
    }

    fn enqueue(&mut self, sim: &mut Simulation, c: u32, rs: usize, port: u16, since: SimTime) {
        let Some(spec) = sim.hosts[rs]
            .servers
            .get(&(L4::Tcp, port))
            .map(|s| s.spec.clone())
        else {
            return;
        };
        let srv = self.servers.entry((rs, port)).or_insert(Server {
            busy: 0,
            queue: VecDeque::new(),
        });
        if srv.busy < spec.workers {
            srv.busy += 1;
            let t = spec.service_time.sample(&mut self.rng);
            let t = SimDuration::from_secs_f64(t.as_secs_f64() * spec.slowdown);
            self.queue.push(self.now + t, Ev::ServiceDone(c));
            let name = &sim.hosts[rs].name;
            let wait = self.now.0.saturating_sub(since.0);
            sim.world.metrics.service_started(name, port, wait, t.0);
        } else {
            srv.queue.push_back((c, since));
        }
    }

    fn response_segments(&self, sim: &Simulation, c: u32) -> Vec<(u8, u32)> {
        let mut segs = Vec::new();
        if let Some((rs, _, port)) = self.conns[c as usize].rs {
            if let Some(s) = sim.hosts[rs].servers.get(&(L4::Tcp, port)) {
                let body = self.conns[c as usize]
                    .sizes
                    .map_or(s.spec.response_body_bytes, |z| z.1);
                for part in [s.spec.response_header_bytes, body] {
                    let n = part.div_ceil(MSS);
                    for (i, len) in pieces(part).enumerate() {
                        let last = i as u32 + 1 == n;
                        segs.push((TcpFlags::ACK | if last { TcpFlags::PSH } else { 0 }, len));
                    }
                }
            }
        }
        segs.push((TcpFlags::FIN | TcpFlags::ACK, 0));
        segs
    }

    fn request_bytes(&self, sim: &Simulation, c: u32) -> u32 {
        let conn = &self.conns[c as usize];
        conn.sizes.map_or(
            sim.workloads[conn.workload as usize].spec.request_bytes,
            |z| z.0,
        )
    }

    fn service_done(&mut self, sim: &mut Simulation, c: u32) {
        let now = self.now;
        let Some((rs, _, port)) = self.conns[c as usize].rs else {
            return;
        };
        let d = self.conns[c as usize].director;
        let segs = self.response_segments(sim, c);
        let bytes: u64 = segs.iter().map(|s| s.1 as u64).sum();
        let name = sim.hosts[rs].name.clone();
        sim.world.metrics.server(&name, port).bytes_out += bytes;
        if self.conns[c as usize].fwd == FwdMethod::Masq {
            self.queue
                .push(now + self.d(rs, d), Ev::Conn(c, Step::OutResponse));
        }
        let back = self.back_delay(c);
        self.queue
            .push(now + back, Ev::Conn(c, Step::ResponseAtClient));
        // The worker takes the next request waiting.
        let next = self.servers.get_mut(&(rs, port)).and_then(|s| {
            s.busy = s.busy.saturating_sub(1);
            s.queue.pop_front()
        });
        if let Some((n, since)) = next {
            self.enqueue(sim, n, rs, port, since);
        }
    }
}

impl Simulation {
    /// Switches this simulation to connection-level bulk mode (see `engine::flow`) before it
    /// runs; the packet engine's pending events are discarded. Errors say why the scenario
    /// needs the packet-level model.
    pub fn use_bulk_mode(&mut self) -> Result<(), String> {
        let mut f = FlowEngine::new(self)?;
        self.world.queue = EventQueue::default();
        f.start(self);
        self.flow = Some(Box::new(f));
        Ok(())
    }

    /// Whether this run is in bulk mode.
    pub fn bulk_mode(&self) -> bool {
        self.flow.is_some()
    }
}
