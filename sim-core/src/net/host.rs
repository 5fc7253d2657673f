//! A host: interfaces, routes, ARP cache, the IPv4 stack (local delivery, forwarding,
//! reverse-path filter, IPIP decapsulation), the director's IPVS hooks, TCP endpoints and the
//! applications running on it. Each entry point takes the `World` and pushes events into it.

use super::arp::{ArpCache, Learn, Resolve, Retry};
use super::fasthash::FastMap;
use super::route::{self, Route};
use super::{Cidr, IfConf, Iface, IfaceKind};
use crate::admin::FwdMethod;
use crate::engine::world::{Notice, ProbeOutcome, World};
use crate::engine::HostTimer;
use crate::ipvs::{Ipvs, IpvsIn, IpvsOut, Xmit};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::trace::Verdict;
use crate::transport::app::{ClientMode, ServerSpec, WorkloadSpec, L4};
use crate::transport::tcp::{reset_for, TcpConn, TcpEvent, TcpOutput, TcpParams, TcpState};
use crate::wire::{
    AppData, ArpOp, ArpPacket, EthPayload, Frame, IcmpMessage, IpPayload, Ipv4Packet, MacAddr,
    Payload, TcpSegment, UdpDatagram,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::Ipv4Addr;

/// What a host is for (affects defaults and displays only).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Client,
    Router,
    Director,
    RealServer,
    Host,
}

/// Application state attached to a TCP connection.
#[derive(Clone, Debug)]
enum ConnApp {
    Client {
        workload: usize,
        started: SimTime,
        got_response: bool,
        server: String,
        done: bool,
        closed_ours: bool,
        console_tag: Option<u64>,
        plan: ClientPlan,
    },
    Server {
        port: u16,
        got_request: bool,
        responded: bool,
        /// The body size the request asked for (replayed captures).
        respond_bytes: Option<u32>,
    },
    /// A health-check connection of a checker (keepalived TCP_CHECK / HTTP_GET).
    Probe {
        tag: u64,
        http_path: Option<String>,
        reported: bool,
    },
}

/// What a client connection does once connected.
#[derive(Clone, Debug)]
struct ClientPlan {
    mode: ClientMode,
    request_bytes: u32,
    path: String,
    half_close: bool,
    /// A replayed connection's response size, asked of the server.
    respond_bytes: Option<u32>,
}

struct TcpEntry {
    conn: TcpConn,
    app: ConnApp,
    armed: Option<SimTime>,
}

/// Where a client request comes from: a fixed source address and port (a client that binds
/// them, or a replayed capture) and a replayed connection's (request, response) sizes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RequestFrom {
    pub src: Option<Ipv4Addr>,
    pub sport: Option<u16>,
    pub sizes: Option<(u32, u32)>,
}

/// A running server application.
pub struct ServerRt {
    pub spec: ServerSpec,
    busy: u32,
    /// Requests waiting for a worker, with the time each began waiting.
    queue: VecDeque<(u64, SimTime)>,
    half_open: u32,
}

/// A pending UDP request of a client.
struct UdpPending {
    workload: usize,
    started: SimTime,
}

type Tuple = (Ipv4Addr, u16, Ipv4Addr, u16);

pub struct Host {
    pub id: usize,
    pub name: String,
    pub role: Role,
    /// Index 0 is always `lo`.
    pub ifaces: Vec<Iface>,
    pub routes: Vec<Route>,
    pub ip_forward: bool,
    /// net.ipv4.conf.all.*
    pub conf_all: IfConf,
    pub arp: ArpCache,
    pub tcp_params: TcpParams,
    pub ipvs: Option<Ipvs>,
    pub servers: BTreeMap<(L4, u16), ServerRt>,
    pub up: bool,
    /// A VRRP daemon listens on this host: adverts go up to it (as `Notice::Vrrp`).
    pub vrrp_listening: bool,
    /// Client connections whose fate is followed (for failover reports): None while open,
    /// then whether they finished well.
    pub watched: BTreeMap<u64, Option<bool>>,
    ipvs_armed: Option<SimTime>,
    /// TCP connections by id (lookups only; code that walks them sorts the ids first).
    conns: FastMap<u64, TcpEntry>,
    demux: FastMap<Tuple, u64>,
    /// Addresses of the interfaces that are up (and lo), refreshed by `refresh_addrs`.
    local_addrs: BTreeSet<Ipv4Addr>,
    /// Connected subnets of Ethernet / tunnel interfaces that are up: (network, iface, src).
    connected: Vec<(Cidr, usize, Ipv4Addr)>,
    next_conn: u64,
    next_port: BTreeMap<Ipv4Addr, u16>,
    udp_pending: BTreeMap<(Ipv4Addr, u16), UdpPending>,
    rng: SimRng,
    ip_id: u16,
}

/// An established connection, possibly half-closed (data may still flow one way).
fn synchronized(s: TcpState) -> bool {
    matches!(
        s,
        TcpState::Established | TcpState::FinWait1 | TcpState::FinWait2 | TcpState::CloseWait
    )
}

fn eff(all: u8, dev: u8) -> u8 {
    all.max(dev)
}

impl Host {
    pub fn new(id: usize, name: String, role: Role, rng: SimRng) -> Self {
        let lo = Iface {
            name: "lo".into(),
            kind: IfaceKind::Loopback,
            mac: MacAddr::ZERO,
            addrs: vec![Cidr::new(Ipv4Addr::LOCALHOST, 8)],
            up: true,
            mtu: 65535,
            conf: IfConf::default(),
            attachment: None,
        };
        Host {
            id,
            name,
            role,
            ifaces: vec![lo],
            routes: Vec::new(),
            ip_forward: matches!(role, Role::Router),
            conf_all: IfConf::default(),
            arp: ArpCache::default(),
            tcp_params: TcpParams::default(),
            ipvs: None,
            servers: BTreeMap::new(),
            up: true,
            vrrp_listening: false,
            watched: BTreeMap::new(),
            ipvs_armed: None,
            conns: FastMap::default(),
            demux: FastMap::default(),
            local_addrs: BTreeSet::new(),
            connected: Vec::new(),
            next_conn: 1,
            next_port: BTreeMap::new(),
            udp_pending: BTreeMap::new(),
            rng,
            ip_id: 0,
        }
    }

    pub fn iface_index(&self, name: &str) -> Option<usize> {
        self.ifaces.iter().position(|i| i.name == name)
    }

    /// True if the address is configured on any interface of this host (Linux's weak host
    /// model: a VIP on `lo` is local for every interface).
    pub fn is_local(&self, ip: Ipv4Addr) -> bool {
        ip.is_loopback() || self.local_addrs.contains(&ip)
    }

    /// Rebuilds the address caches; call after changing interface addresses or state
    /// (`add_addr`, `del_addr` and `set_link` do it).
    pub fn refresh_addrs(&mut self) {
        self.local_addrs.clear();
        self.connected.clear();
        for (i, ifc) in self.ifaces.iter().enumerate() {
            if !(ifc.up || ifc.kind == IfaceKind::Loopback) {
                continue;
            }
            for c in &ifc.addrs {
                self.local_addrs.insert(c.addr);
                if ifc.kind != IfaceKind::Loopback && c.prefix < 32 {
                    let net = Cidr::new(c.network(), c.prefix);
                    if !self.connected.iter().any(|(n, j, _)| *n == net && *j == i) {
                        self.connected.push((net, i, c.addr));
                    }
                }
            }
        }
    }

    /// Adds an address to an interface (`ip addr add`).
    pub fn add_addr(&mut self, iface: usize, addr: Cidr) {
        if !self.ifaces[iface].addrs.contains(&addr) {
            self.ifaces[iface].addrs.push(addr);
        }
        self.refresh_addrs();
    }

    /// Removes an address from an interface (`ip addr del`).
    pub fn del_addr(&mut self, iface: usize, addr: Ipv4Addr) {
        self.ifaces[iface].addrs.retain(|c| c.addr != addr);
        self.refresh_addrs();
    }

    /// `ip route replace DST via GW`: the route to exactly `dst` now goes through `via`,
    /// out of the interface whose subnet holds the gateway.
    pub fn replace_route(&mut self, dst: Cidr, via: Ipv4Addr) -> Result<(), String> {
        let dev = self
            .connected
            .iter()
            .find(|(net, _, _)| net.contains(via))
            .map(|(_, i, _)| *i)
            .ok_or_else(|| format!("{}: gateway {via} is not on a connected subnet", self.name))?;
        self.routes.retain(|r| r.dst != dst);
        self.routes.push(Route {
            dst,
            via: Some(via),
            dev,
            src: None,
        });
        Ok(())
    }

    /// `ip neigh flush all`: every ARP entry is forgotten.
    pub fn flush_arp(&mut self) {
        for i in 0..self.ifaces.len() {
            self.arp.flush_iface(i);
        }
    }

    /// Route lookup over the cached connected subnets and the static routes.
    pub fn route(&self, dst: Ipv4Addr) -> Option<route::RouteHit> {
        route::lookup_cached(&self.connected, &self.ifaces, &self.routes, dst)
    }

    /// Effective sysctls of an interface: max(all, iface).
    pub fn conf(&self, iface: usize) -> IfConf {
        let d = self.ifaces[iface].conf;
        let a = self.conf_all;
        IfConf {
            arp_ignore: eff(a.arp_ignore, d.arp_ignore),
            arp_announce: eff(a.arp_announce, d.arp_announce),
            rp_filter: eff(a.rp_filter, d.rp_filter),
            send_redirects: eff(a.send_redirects, d.send_redirects),
        }
    }

    /// Number of TCP connections in each state (for displays).
    pub fn tcp_states(&self) -> BTreeMap<&'static str, usize> {
        let mut m = BTreeMap::new();
        for e in self.conns.values() {
            *m.entry(e.conn.state.name()).or_insert(0) += 1;
        }
        m
    }

    pub fn tcp_conn_count(&self) -> usize {
        self.conns.len()
    }

    fn next_id(&mut self) -> u16 {
        self.ip_id = self.ip_id.wrapping_add(1);
        self.ip_id
    }

    // ------------------------------------------------------------------ receive path

    /// A frame arrived on an interface.
    pub fn receive(&mut self, w: &mut World, iface: usize, frame: Frame, pkt: u64) {
        let pre = if !self.up {
            Some("host is down")
        } else if !self.ifaces[iface].up {
            Some("interface is down")
        } else {
            None
        };
        if let Some(why) = pre {
            w.trace_rx(
                &self.name,
                &self.ifaces[iface].name,
                &frame,
                pkt,
                Verdict::Dropped(why.into()),
            );
            return;
        }
        let ifc = &self.ifaces[iface];
        if frame.dst != ifc.mac && !frame.dst.is_broadcast() && !frame.dst.is_multicast() {
            return; // flooded unicast for another host: the NIC filters it silently
        }
        if frame.dst.is_multicast() && !frame.dst.is_broadcast() {
            // The NIC's multicast filter only passes groups this host joined.
            let joined = match &frame.payload {
                EthPayload::Ipv4(p) => self.wants_multicast(p.dst),
                EthPayload::Arp(_) => false,
            };
            if !joined {
                return;
            }
        }
        let len = frame.len() as u64;
        let c = w.iface_counters(self.id, iface);
        c.rx_packets += 1;
        c.rx_bytes += len;
        if w.trace.enabled {
            let v = match &frame.payload {
                EthPayload::Arp(a) => self.on_arp(w, iface, a),
                EthPayload::Ipv4(p) => self.on_ipv4(w, iface, p.clone(), pkt),
            };
            w.trace_rx(&self.name, &self.ifaces[iface].name, &frame, pkt, v);
        } else {
            // No trace: the frame can be consumed without copying it.
            let v = match frame.payload {
                EthPayload::Arp(a) => self.on_arp(w, iface, &a),
                EthPayload::Ipv4(p) => self.on_ipv4(w, iface, p, pkt),
            };
            w.note_rx(&self.name, &v);
        }
    }

    /// Linux `arp_process`: reply per arp_ignore, learn per the neighbour update rules.
    fn on_arp(&mut self, w: &mut World, iface: usize, a: &ArpPacket) -> Verdict {
        let now = w.now;
        if a.sender_ip.is_unspecified() {
            return Verdict::Delivered;
        }
        if a.op == ArpOp::Request && self.is_local(a.target_ip) {
            let conf = self.conf(iface);
            let ifc = &self.ifaces[iface];
            let reply = match conf.arp_ignore {
                1 => ifc.has_addr(a.target_ip),
                2 => ifc
                    .addrs
                    .iter()
                    .any(|c| c.addr == a.target_ip && c.contains(a.sender_ip)),
                3 => !a.target_ip.is_loopback(),
                8 => false,
                _ => true,
            };
            if !reply {
                return Verdict::Dropped(format!(
                    "arp_ignore={}: not answering for {} on {}",
                    conf.arp_ignore, a.target_ip, ifc.name
                ));
            }
            let waiting = self.arp.learn(
                now,
                iface,
                a.sender_ip,
                a.sender_mac,
                Learn {
                    create: true,
                    force: true,
                    confirm: false,
                },
            );
            let mac = ifc.mac;
            let reply = Frame {
                src: mac,
                dst: a.sender_mac,
                payload: EthPayload::Arp(ArpPacket {
                    op: ArpOp::Reply,
                    sender_mac: mac,
                    sender_ip: a.target_ip,
                    target_mac: a.sender_mac,
                    target_ip: a.sender_ip,
                }),
            };
            self.tx(w, iface, reply, None);
            self.flush_waiting(w, iface, a.sender_mac, waiting);
            return Verdict::Delivered;
        }
        let garp = a.sender_ip == a.target_ip;
        let to_us = a.op == ArpOp::Reply && a.target_mac == self.ifaces[iface].mac;
        let waiting = self.arp.learn(
            now,
            iface,
            a.sender_ip,
            a.sender_mac,
            Learn {
                create: false,
                force: garp,
                confirm: to_us,
            },
        );
        self.flush_waiting(w, iface, a.sender_mac, waiting);
        Verdict::Delivered
    }

    fn flush_waiting(
        &mut self,
        w: &mut World,
        iface: usize,
        mac: MacAddr,
        waiting: Vec<(Ipv4Packet, Option<u64>)>,
    ) {
        let src = self.ifaces[iface].mac;
        for (p, parent) in waiting {
            self.tx(
                w,
                iface,
                Frame {
                    src,
                    dst: mac,
                    payload: EthPayload::Ipv4(p),
                },
                parent,
            );
        }
    }

    /// Reverse-path filter (`rp_filter`, effective max(all, iface)): 1 strict, 2 loose.
    fn rp_ok(&self, iface: usize, src: Ipv4Addr) -> Result<(), String> {
        let mode = self.conf(iface).rp_filter;
        if mode == 0 || src.is_unspecified() || self.is_local(src) {
            return Ok(());
        }
        match self.route(src) {
            Some(hit) if mode == 2 || hit.iface == iface => Ok(()),
            Some(hit) => Err(format!(
                "rp_filter=1: the route back to {} leaves via {}, not {}",
                src, self.ifaces[hit.iface].name, self.ifaces[iface].name
            )),
            None => Err(format!("rp_filter={mode}: no route back to {src}")),
        }
    }

    fn on_ipv4(&mut self, w: &mut World, iface: usize, mut p: Ipv4Packet, pkt: u64) -> Verdict {
        if let Err(r) = self.rp_ok(iface, p.src) {
            return Verdict::Dropped(r);
        }
        let multicast_for_us = p.dst.is_multicast() && self.wants_multicast(p.dst);
        if self.is_local(p.dst) || multicast_for_us || p.dst.is_broadcast() {
            if self.ipvs.is_some() && !p.dst.is_multicast() {
                let now = w.now;
                let v = self.ipvs.as_mut().unwrap().in_packet(now, &p);
                self.after_ipvs(w);
                match v {
                    IpvsIn::Pass => {}
                    IpvsIn::Forward(x) => {
                        self.ipvs_xmit(w, *x, Some(pkt));
                        return Verdict::Forwarded;
                    }
                    IpvsIn::Drop(r) => return Verdict::Dropped(r),
                    IpvsIn::Unreachable(r) => {
                        self.icmp_error(w, &p, IcmpMessage::PORT_UNREACHABLE, 0, Some(p.dst));
                        return Verdict::Dropped(r);
                    }
                }
            }
            return self.local_deliver(w, iface, p);
        }
        if p.dst.is_multicast() {
            return Verdict::Dropped("multicast group not joined".into());
        }
        if !self.ip_forward {
            return Verdict::Dropped(format!(
                "not addressed to this host and ip_forward=0 (dst {})",
                p.dst
            ));
        }
        if let Some(ipvs) = self.ipvs.as_mut() {
            let now = w.now;
            let _: IpvsOut = ipvs.out_packet(now, &mut p);
            self.after_ipvs(w);
        }
        if p.ttl <= 1 {
            self.icmp_time_exceeded(w, &p);
            return Verdict::Dropped("TTL exceeded".into());
        }
        p.ttl -= 1;
        match self.route_and_send(w, p, Some(pkt)) {
            Ok(()) => Verdict::Forwarded,
            Err(r) => Verdict::Dropped(r),
        }
    }

    fn wants_multicast(&self, group: Ipv4Addr) -> bool {
        // VRRP (224.0.0.18) and the IPVS sync group (224.0.0.81) are joined by directors.
        self.role == Role::Director
            && (group == Ipv4Addr::new(224, 0, 0, 18) || group == Ipv4Addr::new(224, 0, 0, 81))
    }

    fn local_deliver(&mut self, w: &mut World, iface: usize, p: Ipv4Packet) -> Verdict {
        match &p.payload {
            IpPayload::Tcp(seg) => self.tcp_input(w, &p, seg),
            IpPayload::Udp(d) => self.udp_input(w, &p, d),
            IpPayload::Icmp(m) => self.icmp_input(w, &p, m),
            IpPayload::Ipip(inner) => {
                let Some(t) = self.ifaces.iter().position(|i| i.kind == IfaceKind::Tunnel) else {
                    return Verdict::Dropped(
                        "IPIP packet but no tunl0 (ipip module not loaded)".into(),
                    );
                };
                if !self.ifaces[t].up {
                    return Verdict::Dropped("IPIP packet but tunl0 is down".into());
                }
                let inner = (**inner).clone();
                if let Err(r) = self.rp_ok(t, inner.src) {
                    return Verdict::Dropped(format!("after decapsulation on tunl0: {r}"));
                }
                if self.is_local(inner.dst) {
                    match self.local_deliver(w, t, inner) {
                        Verdict::Dropped(r) => Verdict::Dropped(format!("inner packet: {r}")),
                        v => v,
                    }
                } else {
                    Verdict::Dropped(format!(
                        "decapsulated packet for {} is not local",
                        inner.dst
                    ))
                }
            }
            IpPayload::Vrrp(_) if self.vrrp_listening => {
                w.notices.push(Notice::Vrrp {
                    node: self.id,
                    iface,
                    packet: Box::new(p),
                });
                Verdict::Delivered
            }
            IpPayload::Vrrp(_) => Verdict::Dropped("no VRRP instance".into()),
        }
    }

    // ------------------------------------------------------------------ send path

    /// Sends a locally generated or forwarded packet: route lookup, then neighbour output.
    pub fn route_and_send(
        &mut self,
        w: &mut World,
        mut p: Ipv4Packet,
        parent: Option<u64>,
    ) -> Result<(), String> {
        if self.is_local(p.dst) && p.dst != Ipv4Addr::UNSPECIFIED {
            // Loopback: deliver to ourselves.
            let _ = self.local_deliver(w, 0, p);
            return Ok(());
        }
        if p.dst.is_multicast() {
            let iface = match self.route(p.src) {
                Some(h) => h.iface,
                None => self
                    .ifaces
                    .iter()
                    .position(|i| i.has_addr(p.src))
                    .ok_or("no interface for multicast source")?,
            };
            let src = self.ifaces[iface].mac;
            let frame = Frame {
                src,
                dst: MacAddr::ipv4_multicast(p.dst),
                payload: EthPayload::Ipv4(p),
            };
            self.tx(w, iface, frame, parent);
            return Ok(());
        }
        let hit = self
            .route(p.dst)
            .ok_or_else(|| format!("no route to {}", p.dst))?;
        if p.src.is_unspecified() {
            p.src = hit
                .src
                .or_else(|| self.ifaces[hit.iface].primary())
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
        }
        self.output(w, hit.iface, hit.next_hop, p, parent)
    }

    /// Neighbour output on an interface: MTU check, ARP resolution, transmission.
    fn output(
        &mut self,
        w: &mut World,
        iface: usize,
        next_hop: Ipv4Addr,
        p: Ipv4Packet,
        parent: Option<u64>,
    ) -> Result<(), String> {
        let mtu = self.ifaces[iface].mtu;
        if p.total_len() > mtu && p.df {
            let m = mtu;
            self.icmp_error(w, &p, IcmpMessage::FRAG_NEEDED, m, None);
            return Err(format!(
                "packet of {} bytes exceeds MTU {} with DF set",
                p.total_len(),
                m
            ));
        }
        match self.ifaces[iface].kind {
            IfaceKind::Loopback => {
                let _ = self.local_deliver(w, iface, p);
                return Ok(());
            }
            IfaceKind::Tunnel => return Err("sending through tunl0 is not modelled".into()),
            IfaceKind::Ethernet => {}
        }
        let now = w.now;
        let src_ip = p.src;
        let mac = self.ifaces[iface].mac;
        match self.arp.resolve(now, iface, next_hop, p, parent) {
            Resolve::Send(dst, p) => {
                self.tx(
                    w,
                    iface,
                    Frame {
                        src: mac,
                        dst,
                        payload: EthPayload::Ipv4(p),
                    },
                    parent,
                );
            }
            Resolve::SendAndProbe(dst, p) => {
                self.tx(
                    w,
                    iface,
                    Frame {
                        src: mac,
                        dst,
                        payload: EthPayload::Ipv4(p),
                    },
                    parent,
                );
                self.arp_request(w, iface, next_hop, Some(src_ip), Some(dst));
                let at = now
                    + self
                        .arp
                        .params
                        .retrans_time
                        .times(self.arp.params.mcast_probes as u64);
                w.timer(
                    self.id,
                    at,
                    HostTimer::ArpProbe {
                        iface: iface as u32,
                        ip: next_hop,
                    },
                );
            }
            Resolve::Request => {
                self.arp_request(w, iface, next_hop, Some(src_ip), None);
                w.timer(
                    self.id,
                    now + self.arp.params.retrans_time,
                    HostTimer::ArpRetry {
                        iface: iface as u32,
                        ip: next_hop,
                    },
                );
            }
            Resolve::Queued => {}
            Resolve::Overflow => return Err(format!("ARP queue for {next_hop} is full")),
        }
        Ok(())
    }

    /// Sends an ARP request; the sender address follows arp_announce (Linux `arp_solicit`).
    fn arp_request(
        &mut self,
        w: &mut World,
        iface: usize,
        target: Ipv4Addr,
        pkt_src: Option<Ipv4Addr>,
        unicast: Option<MacAddr>,
    ) {
        let ann = self.conf(iface).arp_announce;
        let ifc = &self.ifaces[iface];
        let mut sender = None;
        if let Some(s) = pkt_src.filter(|s| !s.is_unspecified()) {
            match ann {
                0 if self.is_local(s) => sender = Some(s),
                1 if self.is_local(s)
                    && ifc.addr_in_subnet_of(target).is_some()
                    && ifc
                        .addrs
                        .iter()
                        .any(|c| c.prefix < 32 && c.contains(s) && c.contains(target)) =>
                {
                    sender = Some(s)
                }
                _ => {}
            }
        }
        let sender = sender
            .or_else(|| ifc.addr_in_subnet_of(target))
            .or_else(|| ifc.primary())
            .or_else(|| {
                self.ifaces.iter().find_map(|i| {
                    if i.kind == IfaceKind::Ethernet {
                        i.primary()
                    } else {
                        None
                    }
                })
            })
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        let mac = ifc.mac;
        let frame = Frame {
            src: mac,
            dst: unicast.unwrap_or(MacAddr::BROADCAST),
            payload: EthPayload::Arp(ArpPacket {
                op: ArpOp::Request,
                sender_mac: mac,
                sender_ip: sender,
                target_mac: MacAddr::ZERO,
                target_ip: target,
            }),
        };
        self.tx(w, iface, frame, None);
    }

    /// Sends gratuitous ARPs for an address (used when a VIP moves).
    pub fn gratuitous_arp(&mut self, w: &mut World, iface: usize, ip: Ipv4Addr) {
        let mac = self.ifaces[iface].mac;
        let frame = Frame {
            src: mac,
            dst: MacAddr::BROADCAST,
            payload: EthPayload::Arp(ArpPacket {
                op: ArpOp::Request,
                sender_mac: mac,
                sender_ip: ip,
                target_mac: MacAddr::BROADCAST,
                target_ip: ip,
            }),
        };
        self.tx(w, iface, frame, None);
    }

    fn tx(&mut self, w: &mut World, iface: usize, frame: Frame, parent: Option<u64>) {
        if !self.up || !self.ifaces[iface].up {
            return;
        }
        let ifc = &self.ifaces[iface];
        w.transmit(self.id, &self.name, iface, ifc, frame, parent);
    }

    fn ip_packet(&mut self, src: Ipv4Addr, dst: Ipv4Addr, payload: IpPayload) -> Ipv4Packet {
        let id = self.next_id();
        Ipv4Packet {
            src,
            dst,
            ttl: 64,
            tos: 0,
            id,
            df: true,
            payload,
        }
    }

    /// Transmits what IPVS decided: NAT (routed to the RIP), DR (same packet, RS's MAC),
    /// TUN (IPIP to the RIP).
    fn ipvs_xmit(&mut self, w: &mut World, x: Xmit, parent: Option<u64>) {
        let mut p = x.packet;
        if p.ttl <= 1 {
            self.icmp_time_exceeded(w, &p);
            w.metrics.drop(&self.name, "TTL exceeded");
            return;
        }
        p.ttl -= 1;
        let res = match x.method {
            FwdMethod::Masq => self.route_and_send(w, p, parent),
            FwdMethod::Local => {
                let _ = self.local_deliver(w, 0, p);
                Ok(())
            }
            FwdMethod::Route => match self.route(x.rip) {
                Some(hit) if hit.next_hop == x.rip => self.output(w, hit.iface, x.rip, p, parent),
                Some(_) => Err(format!(
                    "ipvs DR: real server {} is not on a directly connected network",
                    x.rip
                )),
                None => Err(format!("ipvs DR: no route to real server {}", x.rip)),
            },
            FwdMethod::Tunnel => match self.route(x.rip) {
                Some(hit) => {
                    let src = hit
                        .src
                        .or_else(|| self.ifaces[hit.iface].primary())
                        .unwrap_or(Ipv4Addr::UNSPECIFIED);
                    let pmtu = self
                        .ipvs
                        .as_ref()
                        .map(|i| i.sysctls().pmtu_disc)
                        .unwrap_or(1);
                    let mtu = self.ifaces[hit.iface].mtu;
                    if p.total_len() + 20 > mtu && p.df && pmtu == 1 {
                        self.icmp_error(w, &p, IcmpMessage::FRAG_NEEDED, mtu - 20, None);
                        Err(format!("ipvs TUN: {} bytes + 20 outer exceed MTU {} (DF set): ICMP fragmentation needed sent", p.total_len(), mtu))
                    } else {
                        let id = self.next_id();
                        let tos = if p.tos & 3 == 3 {
                            (p.tos & !3) | 2
                        } else {
                            p.tos
                        };
                        let outer = Ipv4Packet {
                            src,
                            dst: x.rip,
                            ttl: p.ttl,
                            tos,
                            id,
                            df: p.df && pmtu == 1,
                            payload: IpPayload::Ipip(Box::new(p)),
                        };
                        self.output(w, hit.iface, hit.next_hop, outer, parent)
                    }
                }
                None => Err(format!("ipvs TUN: no route to real server {}", x.rip)),
            },
        };
        if let Err(r) = res {
            w.metrics.drop(&self.name, &r);
        }
    }

    /// Re-arms the IPVS timer and collects its decisions after any call into it.
    fn after_ipvs(&mut self, w: &mut World) {
        let Some(ipvs) = self.ipvs.as_mut() else {
            return;
        };
        if w.record_decisions {
            for d in ipvs.take_decisions() {
                w.decisions.push((self.name.clone(), d));
            }
        } else {
            let _ = ipvs.take_decisions();
        }
        if let Some(at) = ipvs.poll_at() {
            let at = at.max(w.now);
            if self.ipvs_armed.map(|a| at < a).unwrap_or(true) {
                self.ipvs_armed = Some(at);
                w.timer(self.id, at, HostTimer::Ipvs { at });
            }
        }
    }

    /// Runs after an administrative change to IPVS.
    pub fn ipvs_changed(&mut self, w: &mut World) {
        self.after_ipvs(w);
    }

    // ------------------------------------------------------------------ ICMP

    fn icmp_error(
        &mut self,
        w: &mut World,
        orig: &Ipv4Packet,
        code: u8,
        mtu: u16,
        from: Option<Ipv4Addr>,
    ) {
        if matches!(orig.payload, IpPayload::Icmp(_)) || orig.src.is_unspecified() {
            return;
        }
        let mut quoted = orig.clone();
        if let IpPayload::Tcp(t) = &mut quoted.payload {
            t.payload = Payload::empty();
        }
        let src = from.unwrap_or(Ipv4Addr::UNSPECIFIED);
        let p = self.ip_packet(
            src,
            orig.src,
            IpPayload::Icmp(IcmpMessage::DestUnreachable {
                code,
                mtu,
                original: Box::new(quoted),
            }),
        );
        let mut p = p;
        p.df = false;
        let _ = self.route_and_send(w, p, None);
    }

    fn icmp_time_exceeded(&mut self, w: &mut World, orig: &Ipv4Packet) {
        if matches!(orig.payload, IpPayload::Icmp(_)) {
            return;
        }
        let p = self.ip_packet(
            Ipv4Addr::UNSPECIFIED,
            orig.src,
            IpPayload::Icmp(IcmpMessage::TimeExceeded {
                original: Box::new(orig.clone()),
            }),
        );
        let _ = self.route_and_send(w, p, None);
    }

    fn icmp_input(&mut self, w: &mut World, p: &Ipv4Packet, m: &IcmpMessage) -> Verdict {
        match m {
            IcmpMessage::EchoRequest { id, seq } => {
                let r = self.ip_packet(
                    p.dst,
                    p.src,
                    IpPayload::Icmp(IcmpMessage::EchoReply { id: *id, seq: *seq }),
                );
                let _ = self.route_and_send(w, r, None);
                Verdict::Delivered
            }
            IcmpMessage::DestUnreachable {
                code,
                mtu,
                original,
            } => {
                if let IpPayload::Tcp(t) = &original.payload {
                    let key = (original.src, t.sport, original.dst, t.dport);
                    if let Some(&id) = self.demux.get(&key) {
                        if *code == IcmpMessage::FRAG_NEEDED {
                            let e = self.conns.get_mut(&id).unwrap();
                            let out = e.conn.path_mtu(w.now, *mtu);
                            self.tcp_after(w, id, out);
                            return Verdict::Delivered;
                        }
                        let state = self.conns[&id].conn.state;
                        if state == TcpState::SynSent {
                            let why = match *code {
                                IcmpMessage::PORT_UNREACHABLE => {
                                    "connection refused (ICMP port unreachable)"
                                }
                                IcmpMessage::HOST_UNREACHABLE => {
                                    "no route to host (ICMP host unreachable)"
                                }
                                _ => "destination unreachable (ICMP)",
                            };
                            let e = self.conns.get_mut(&id).unwrap();
                            let out = e.conn.abort(w.now);
                            let mut out = TcpOutput {
                                segments: Vec::new(),
                                events: out.events,
                            };
                            out.events.push(TcpEvent::Failed(why.into()));
                            self.tcp_after(w, id, out);
                        }
                    }
                }
                if let IpPayload::Udp(u) = &original.payload {
                    if let Some(pend) = self.udp_pending.remove(&(original.src, u.sport)) {
                        self.finish_request(
                            w,
                            pend.workload,
                            Err("ICMP port unreachable"),
                            "",
                            pend.started,
                        );
                    }
                }
                Verdict::Delivered
            }
            _ => Verdict::Delivered,
        }
    }

    // ------------------------------------------------------------------ TCP

    fn tcp_input(&mut self, w: &mut World, p: &Ipv4Packet, seg: &TcpSegment) -> Verdict {
        let key = (p.dst, seg.dport, p.src, seg.sport);
        if let Some(&id) = self.demux.get(&key) {
            let e = self.conns.get_mut(&id).unwrap();
            if e.conn.state == TcpState::TimeWait && seg.flags.syn() && !seg.flags.ack() {
                // A new SYN reusing a TIME_WAIT tuple: Linux accepts it; end the old one.
                self.remove_conn(id);
            } else {
                let out = e.conn.on_segment(w.now, seg);
                self.tcp_after(w, id, out);
                return Verdict::Delivered;
            }
        }
        if seg.flags.syn() && !seg.flags.ack() && !seg.flags.rst() {
            if let Some(srv) = self.servers.get_mut(&(L4::Tcp, seg.dport)) {
                if srv.half_open + srv.queue.len() as u32 >= srv.spec.backlog {
                    w.metrics.server(&self.name, seg.dport).syn_dropped += 1;
                    return Verdict::Dropped(format!(
                        "listen backlog of port {} full: SYN dropped",
                        seg.dport
                    ));
                }
                srv.half_open += 1;
                let iss = self.rng.next_u32();
                let tso = self.rng.next_u32();
                let (conn, out) = TcpConn::accept(
                    w.now,
                    (p.dst, seg.dport),
                    seg,
                    (p.src, seg.sport),
                    iss,
                    tso,
                    &self.tcp_params,
                );
                let id = self.add_conn(
                    conn,
                    ConnApp::Server {
                        port: seg.dport,
                        got_request: false,
                        responded: false,
                        respond_bytes: None,
                    },
                );
                self.tcp_after(w, id, out);
                return Verdict::Delivered;
            }
        }
        if let Some(rst) = reset_for(seg) {
            let r = self.ip_packet(p.dst, p.src, IpPayload::Tcp(rst));
            let _ = self.route_and_send(w, r, None);
        }
        if seg.flags.rst() {
            return Verdict::Dropped("TCP RST for no connection".into());
        }
        if seg.flags.syn() && !seg.flags.ack() {
            Verdict::Dropped(format!("TCP port {} closed: RST sent", seg.dport))
        } else {
            Verdict::Dropped(format!(
                "TCP segment from {}:{} matches no connection: RST sent",
                p.src, seg.sport
            ))
        }
    }

    fn add_conn(&mut self, conn: TcpConn, app: ConnApp) -> u64 {
        let id = self.next_conn;
        self.next_conn += 1;
        self.demux.insert(
            (conn.local.0, conn.local.1, conn.remote.0, conn.remote.1),
            id,
        );
        self.conns.insert(
            id,
            TcpEntry {
                conn,
                app,
                armed: None,
            },
        );
        id
    }

    fn remove_conn(&mut self, id: u64) {
        if let Some(e) = self.conns.remove(&id) {
            let c = &e.conn;
            self.demux
                .remove(&(c.local.0, c.local.1, c.remote.0, c.remote.1));
        }
    }

    /// Sends a connection's segments, runs the application on its events, re-arms its timer.
    fn tcp_after(&mut self, w: &mut World, id: u64, out: TcpOutput) {
        let mut pending = vec![out];
        while let Some(out) = pending.pop() {
            let Some(e) = self.conns.get(&id) else { return };
            let (l, r) = (e.conn.local, e.conn.remote);
            for seg in out.segments {
                let p = self.ip_packet(l.0, r.0, IpPayload::Tcp(seg));
                if let Err(why) = self.route_and_send(w, p, None) {
                    w.metrics.drop(&self.name, &why);
                }
            }
            for ev in out.events {
                if let Some(more) = self.app_event(w, id, ev) {
                    pending.push(more);
                }
            }
        }
        let now = w.now;
        let Some(e) = self.conns.get_mut(&id) else {
            return;
        };
        if e.conn.state == TcpState::Closed {
            self.remove_conn(id);
            return;
        }
        if let Some(at) = e.conn.next_deadline() {
            if e.armed.map(|a| at < a).unwrap_or(true) {
                let at = at.max(now);
                e.armed = Some(at);
                w.timer(self.id, at, HostTimer::Tcp { conn: id, at });
            }
        }
    }

    /// Application logic on a TCP event; may return more output (a request, a close).
    fn app_event(&mut self, w: &mut World, id: u64, ev: TcpEvent) -> Option<TcpOutput> {
        let now = w.now;
        let e = self.conns.get_mut(&id)?;
        match (&mut e.app, ev) {
            (
                ConnApp::Client {
                    console_tag,
                    plan,
                    closed_ours,
                    ..
                },
                TcpEvent::Connected,
            ) => {
                if let Some(tag) = console_tag.take() {
                    w.notices.push(Notice::ConsoleConnect {
                        tag,
                        outcome: Ok(()),
                    });
                }
                match plan.mode {
                    ClientMode::Request => {
                        let mut out = e.conn.send(
                            now,
                            plan.request_bytes,
                            Some(AppData::HttpRequest {
                                request_id: id,
                                path: plan.path.clone(),
                                respond_bytes: plan.respond_bytes,
                            }),
                        );
                        if plan.half_close {
                            *closed_ours = true;
                            out.segments.extend(e.conn.close(now).segments);
                        }
                        Some(out)
                    }
                    ClientMode::Hold(Some(d)) => {
                        w.timer(self.id, now + d, HostTimer::HoldClose { conn: id });
                        None
                    }
                    ClientMode::Hold(None) => None,
                }
            }
            (
                ConnApp::Client {
                    got_response,
                    server,
                    ..
                },
                TcpEvent::Data(payload),
            ) => {
                if let Some(AppData::HttpResponse {
                    status: Some(_),
                    server: s,
                    ..
                }) = &payload.app
                {
                    *got_response = true;
                    *server = s.clone();
                }
                None
            }
            (
                ConnApp::Client {
                    done,
                    closed_ours,
                    got_response,
                    workload,
                    started,
                    server,
                    ..
                },
                TcpEvent::PeerClosed,
            ) => {
                let mut out = None;
                if !*closed_ours {
                    *closed_ours = true;
                    out = Some(e.conn.close(now));
                }
                if !*done {
                    *done = true;
                    let (wl, st, ok, srv) = (*workload, *started, *got_response, server.clone());
                    self.note_outcome(id, ok);
                    let res = if ok {
                        Ok(())
                    } else {
                        Err("connection closed without a response")
                    };
                    self.finish_request(w, wl, res, &srv, st);
                }
                out
            }
            (
                ConnApp::Client {
                    done,
                    workload,
                    started,
                    console_tag,
                    ..
                },
                TcpEvent::Failed(why),
            ) => {
                if let Some(tag) = console_tag.take() {
                    w.notices.push(Notice::ConsoleConnect {
                        tag,
                        outcome: Err(why.clone()),
                    });
                }
                if !*done {
                    *done = true;
                    let (wl, st) = (*workload, *started);
                    self.note_outcome(id, false);
                    self.finish_request(w, wl, Err(&why), "", st);
                }
                None
            }
            (ConnApp::Server { port, .. }, TcpEvent::Accepted) => {
                let port = *port;
                if let Some(s) = self.servers.get_mut(&(L4::Tcp, port)) {
                    s.half_open = s.half_open.saturating_sub(1);
                }
                w.metrics.server(&self.name, port).connections += 1;
                None
            }
            (
                ConnApp::Server {
                    port,
                    got_request,
                    respond_bytes,
                    ..
                },
                TcpEvent::Data(payload),
            ) => {
                let port = *port;
                w.metrics.server(&self.name, port).bytes_in += payload.len as u64;
                if let (
                    Some(AppData::HttpRequest {
                        respond_bytes: asked,
                        ..
                    }),
                    false,
                ) = (&payload.app, *got_request)
                {
                    *respond_bytes = *asked;
                    *got_request = true;
                    w.metrics.server(&self.name, port).requests += 1;
                    self.enqueue_request(w, port, id, w.now);
                }
                None
            }
            (
                ConnApp::Server {
                    got_request,
                    responded,
                    ..
                },
                TcpEvent::PeerClosed,
            ) => {
                if !*got_request || *responded {
                    return Some(e.conn.close(now));
                }
                None
            }
            (
                ConnApp::Probe {
                    tag,
                    http_path,
                    reported,
                },
                ev,
            ) => {
                let tag = *tag;
                let mut outcome = None;
                let mut more = None;
                match ev {
                    TcpEvent::Connected => match http_path.clone() {
                        None => {
                            outcome = Some(ProbeOutcome::Connected);
                            more = Some(e.conn.close(now));
                        }
                        Some(path) => {
                            more = Some(e.conn.send(
                                now,
                                path.len() as u32 + 60,
                                Some(AppData::HttpRequest {
                                    request_id: id,
                                    path,
                                    respond_bytes: None,
                                }),
                            ))
                        }
                    },
                    TcpEvent::Data(payload) => {
                        if let Some(AppData::HttpResponse {
                            status: Some(st), ..
                        }) = payload.app
                        {
                            outcome = Some(ProbeOutcome::Status(st));
                        }
                    }
                    TcpEvent::PeerClosed => {
                        outcome = Some(ProbeOutcome::Failed(
                            "connection closed without a response".into(),
                        ));
                        more = Some(e.conn.close(now));
                    }
                    TcpEvent::Failed(why) => outcome = Some(ProbeOutcome::Failed(why)),
                    _ => {}
                }
                if let Some(outcome) = outcome {
                    if !*reported {
                        *reported = true;
                        w.notices.push(Notice::Probe {
                            node: self.id,
                            tag,
                            outcome,
                        });
                    }
                }
                more
            }
            (ConnApp::Server { port, .. }, TcpEvent::Failed(_)) => {
                let port = *port;
                if e.conn.state == TcpState::Closed {
                    if let Some(s) = self.servers.get_mut(&(L4::Tcp, port)) {
                        s.queue.retain(|c| c.0 != id);
                    }
                }
                None
            }
            _ => None,
        }
    }

    fn enqueue_request(&mut self, w: &mut World, port: u16, conn: u64, since: SimTime) {
        let Some(s) = self.servers.get_mut(&(L4::Tcp, port)) else {
            return;
        };
        if s.busy < s.spec.workers {
            s.busy += 1;
            let d = s.spec.service_time.sample(&mut self.rng);
            let d = SimDuration::from_secs_f64(d.as_secs_f64() * s.spec.slowdown);
            w.timer(self.id, w.now + d, HostTimer::ServiceDone { conn, port });
            let wait = w.now.0.saturating_sub(since.0);
            w.metrics.service_started(&self.name, port, wait, d.0);
        } else {
            s.queue.push_back((conn, since));
        }
    }

    fn service_done(&mut self, w: &mut World, conn: u64, port: u16) {
        let now = w.now;
        if let Some(e) = self.conns.get_mut(&conn) {
            let mut asked = None;
            if let ConnApp::Server {
                responded,
                respond_bytes,
                ..
            } = &mut e.app
            {
                *responded = true;
                asked = *respond_bytes;
            }
            let spec = &self.servers[&(L4::Tcp, port)].spec;
            let (hdr, body, status) = (
                spec.response_header_bytes,
                asked.unwrap_or(spec.response_body_bytes),
                spec.status,
            );
            let server = self.name.clone();
            let mut out = e.conn.send(
                now,
                hdr,
                Some(AppData::HttpResponse {
                    request_id: conn,
                    status: Some(status),
                    server: server.clone(),
                }),
            );
            let o2 = e.conn.send(
                now,
                body,
                Some(AppData::HttpResponse {
                    request_id: conn,
                    status: None,
                    server,
                }),
            );
            out.segments.extend(o2.segments);
            let o3 = e.conn.close(now);
            out.segments.extend(o3.segments);
            w.metrics.server(&self.name, port).bytes_out += (hdr + body) as u64;
            self.tcp_after(w, conn, out);
        }
        let s = self.servers.get_mut(&(L4::Tcp, port)).unwrap();
        s.busy = s.busy.saturating_sub(1);
        while let Some((next, since)) = s.queue.pop_front() {
            if self.conns.contains_key(&next) {
                self.enqueue_request(w, port, next, since);
                break;
            }
        }
    }

    fn finish_request(
        &mut self,
        w: &mut World,
        workload: usize,
        res: Result<(), &str>,
        server: &str,
        started: SimTime,
    ) {
        let name = format!("w{workload}");
        match res {
            Ok(()) => w
                .metrics
                .complete(w.now, &name, (w.now - started).0, server),
            Err(r) => w.metrics.fail(&name, r),
        }
        w.notices.push(Notice::RequestFinished { workload });
    }

    /// Picks a free ephemeral port for (src -> dst:dport), as connect() does.
    fn ephemeral_port(&mut self, src: Ipv4Addr, dst: (Ipv4Addr, u16)) -> Option<u16> {
        const LO: u16 = 32768;
        const HI: u16 = 60999;
        let start = *self
            .next_port
            .entry(src)
            .or_insert_with(|| LO + (self.rng.below((HI - LO) as u64) as u16 & !1));
        let mut port = start;
        for _ in 0..(HI - LO) {
            port = if port + 2 > HI {
                LO + (port + 2 - HI) % 2
            } else {
                port + 2
            };
            if !self.demux.contains_key(&(src, port, dst.0, dst.1)) {
                self.next_port.insert(src, port);
                return Some(port);
            }
        }
        None
    }

    /// Starts one client request of a workload (TCP connection or UDP datagram).
    pub fn start_request(
        &mut self,
        w: &mut World,
        wl_index: usize,
        wl: &WorkloadSpec,
        src: Option<Ipv4Addr>,
        console_tag: Option<u64>,
    ) {
        let from = RequestFrom {
            src,
            ..Default::default()
        };
        let _ = self.start_request_from(w, wl_index, wl, from, console_tag);
    }

    /// `start_request` with an optional fixed source port (a client that binds its port);
    /// returns the local address and port used, or None when the request failed at once.
    pub fn start_request_from(
        &mut self,
        w: &mut World,
        wl_index: usize,
        wl: &WorkloadSpec,
        from: RequestFrom,
        console_tag: Option<u64>,
    ) -> Option<(Ipv4Addr, u16)> {
        let RequestFrom { src, sport, sizes } = from;
        let now = w.now;
        w.metrics.sent(now);
        let src = match src {
            Some(s) => s,
            None => match self.route(wl.target.0) {
                Some(h) => h
                    .src
                    .or_else(|| self.ifaces[h.iface].primary())
                    .unwrap_or(Ipv4Addr::UNSPECIFIED),
                None => {
                    self.finish_request(w, wl_index, Err("no route to the target"), "", now);
                    return None;
                }
            },
        };
        let port = match sport {
            Some(p) if !self.demux.contains_key(&(src, p, wl.target.0, wl.target.1)) => Some(p),
            Some(_) => None,
            None => self.ephemeral_port(src, wl.target),
        };
        let Some(port) = port else {
            let why = if sport.is_some() {
                "source port already in use"
            } else {
                "no free ephemeral port"
            };
            self.finish_request(w, wl_index, Err(why), "", now);
            return None;
        };
        match wl.proto {
            L4::Tcp => {
                let iss = self.rng.next_u32();
                let tso = self.rng.next_u32();
                let (conn, out) =
                    TcpConn::connect(now, (src, port), wl.target, iss, tso, &self.tcp_params);
                let id = self.add_conn(
                    conn,
                    ConnApp::Client {
                        workload: wl_index,
                        started: now,
                        got_response: false,
                        server: String::new(),
                        done: false,
                        closed_ours: false,
                        console_tag,
                        plan: ClientPlan {
                            mode: wl.mode,
                            request_bytes: sizes.map_or(wl.request_bytes, |s| s.0),
                            path: wl.path.clone(),
                            half_close: wl.half_close,
                            respond_bytes: sizes.map(|s| s.1),
                        },
                    },
                );
                self.tcp_after(w, id, out);
                if self.conns.contains_key(&id) && wl.mode == ClientMode::Request {
                    w.timer(
                        self.id,
                        now + wl.timeout,
                        HostTimer::RequestTimeout { conn: id },
                    );
                }
            }
            L4::Udp => {
                self.udp_pending.insert(
                    (src, port),
                    UdpPending {
                        workload: wl_index,
                        started: now,
                    },
                );
                let d = UdpDatagram {
                    sport: port,
                    dport: wl.target.1,
                    payload: Payload {
                        len: wl.request_bytes,
                        app: Some(AppData::Opaque),
                    },
                };
                let p = self.ip_packet(src, wl.target.0, IpPayload::Udp(d));
                if let Err(why) = self.route_and_send(w, p, None) {
                    w.metrics.drop(&self.name, &why);
                }
                w.timer(
                    self.id,
                    now + wl.timeout,
                    HostTimer::UdpTimeout { src, port },
                );
            }
        }
        Some((src, port))
    }

    /// Closes every client connection held open (console `@close-all`).
    pub fn close_all_clients(&mut self, w: &mut World) {
        let mut ids: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, e)| matches!(e.app, ConnApp::Client { .. }))
            .map(|(k, _)| *k)
            .collect();
        ids.sort_unstable();
        for id in ids {
            self.hold_close(w, id);
        }
    }

    fn hold_close(&mut self, w: &mut World, conn: u64) {
        let now = w.now;
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        if let ConnApp::Client { closed_ours, .. } = &mut e.app {
            if *closed_ours {
                return;
            }
            *closed_ours = true;
        }
        let out = e.conn.close(now);
        self.tcp_after(w, conn, out);
    }

    // ------------------------------------------------------------------ UDP

    fn udp_input(&mut self, w: &mut World, p: &Ipv4Packet, d: &UdpDatagram) -> Verdict {
        if let Some(v) = self.ipvs_sync_input(w, p, d) {
            return v;
        }
        if let Some(pend) = self.udp_pending.remove(&(p.dst, d.dport)) {
            let server = match &d.payload.app {
                Some(AppData::HttpResponse { server, .. }) => server.clone(),
                _ => p.src.to_string(),
            };
            self.finish_request(w, pend.workload, Ok(()), &server, pend.started);
            return Verdict::Delivered;
        }
        if let Some(s) = self.servers.get_mut(&(L4::Udp, d.dport)) {
            let dly = s.spec.service_time.sample(&mut self.rng);
            let dly = SimDuration::from_secs_f64(dly.as_secs_f64() * s.spec.slowdown);
            let bytes = s.spec.response_body_bytes;
            w.metrics.server(&self.name, d.dport).requests += 1;
            w.metrics.server(&self.name, d.dport).bytes_in += d.payload.len as u64;
            w.timer(
                self.id,
                w.now + dly,
                HostTimer::UdpReply {
                    to: (p.src, d.sport),
                    from: (p.dst, d.dport),
                    bytes,
                },
            );
            return Verdict::Delivered;
        }
        self.icmp_error(w, p, IcmpMessage::PORT_UNREACHABLE, 0, Some(p.dst));
        Verdict::Dropped(format!(
            "UDP port {} closed: ICMP port unreachable sent",
            d.dport
        ))
    }

    // ------------------------------------------------------------------ HA hooks

    /// The backup sync daemon's receive side: UDP 8848 to 224.0.0.81 carrying an IPVS sync
    /// message. None = not a sync message.
    fn ipvs_sync_input(
        &mut self,
        w: &mut World,
        p: &Ipv4Packet,
        d: &UdpDatagram,
    ) -> Option<Verdict> {
        let Some(AppData::IpvsSync(entries)) = &d.payload.app else {
            return None;
        };
        if d.dport != crate::admin::ipvsadm::render::DEFAULT_SYNC_PORT || !p.dst.is_multicast() {
            return None;
        }
        let backup = self.ipvs.as_ref().is_some_and(|i| {
            i.config()
                .daemons
                .iter()
                .any(|x| x.state == crate::admin::SyncState::Backup)
        });
        if !backup {
            return Some(Verdict::Dropped(
                "IPVS sync message but no backup sync daemon".into(),
            ));
        }
        let now = w.now;
        if let Some(ipvs) = self.ipvs.as_mut() {
            ipvs.apply_sync(now, entries);
        }
        self.after_ipvs(w);
        Some(Verdict::Delivered)
    }

    /// Opens a health-check connection to `dst` (HTTP GET of `http_path` when given); the
    /// result comes back as `Notice::Probe` with `tag`. Returns the connection id.
    pub fn open_probe(
        &mut self,
        w: &mut World,
        src: Option<Ipv4Addr>,
        dst: (Ipv4Addr, u16),
        http_path: Option<String>,
        tag: u64,
    ) -> Option<u64> {
        let now = w.now;
        let src = src.or_else(|| {
            route::lookup(&self.ifaces, &self.routes, dst.0)
                .and_then(|h| h.src.or_else(|| self.ifaces[h.iface].primary()))
        });
        let port = src.and_then(|s| self.ephemeral_port(s, dst));
        let (Some(src), Some(port)) = (src, port) else {
            w.notices.push(Notice::Probe {
                node: self.id,
                tag,
                outcome: ProbeOutcome::Failed("no route to the real server".into()),
            });
            return None;
        };
        let iss = self.rng.next_u32();
        let tso = self.rng.next_u32();
        let (conn, out) = TcpConn::connect(now, (src, port), dst, iss, tso, &self.tcp_params);
        let id = self.add_conn(
            conn,
            ConnApp::Probe {
                tag,
                http_path,
                reported: false,
            },
        );
        self.tcp_after(w, id, out);
        Some(id)
    }

    /// Gives up a health-check connection (the checker's connect_timeout ran out): a
    /// connection still in SYN_SENT just disappears, an open one is reset.
    pub fn abort_probe(&mut self, w: &mut World, conn: u64) {
        let now = w.now;
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        if let ConnApp::Probe { reported, .. } = &mut e.app {
            *reported = true;
        } else {
            return;
        }
        if e.conn.state == TcpState::SynSent {
            self.remove_conn(conn);
            return;
        }
        let out = e.conn.abort(now);
        self.tcp_after(w, conn, out);
        self.remove_conn(conn);
    }

    /// Follows every established client connection from now on (see `watched`); returns
    /// their ids.
    pub fn watch_established_clients(&mut self) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .conns
            .iter()
            .filter(|(_, e)| {
                matches!(e.app, ConnApp::Client { done: false, .. }) && synchronized(e.conn.state)
            })
            .map(|(k, _)| *k)
            .collect();
        ids.sort_unstable();
        for id in &ids {
            self.watched.entry(*id).or_insert(None);
        }
        ids
    }

    /// Whether a watched connection is still open (established, or half-closed by us).
    pub fn conn_established(&self, id: u64) -> bool {
        self.conns
            .get(&id)
            .is_some_and(|e| synchronized(e.conn.state))
    }

    fn note_outcome(&mut self, id: u64, ok: bool) {
        if let Some(slot) = self.watched.get_mut(&id) {
            slot.get_or_insert(ok);
        }
    }

    // ------------------------------------------------------------------ timers

    pub fn on_timer(&mut self, w: &mut World, t: HostTimer) {
        if !self.up {
            return;
        }
        let now = w.now;
        match t {
            HostTimer::Tcp { conn, at } => {
                let Some(e) = self.conns.get_mut(&conn) else {
                    return;
                };
                if e.armed != Some(at) {
                    return;
                }
                e.armed = None;
                let out = e.conn.on_timer(now);
                self.tcp_after(w, conn, out);
            }
            HostTimer::ArpRetry { iface, ip } => match self.arp.retry(iface as usize, ip) {
                Retry::Done => {}
                Retry::Again(src) => {
                    self.arp_request(w, iface as usize, ip, src, None);
                    w.timer(
                        self.id,
                        now + self.arp.params.retrans_time,
                        HostTimer::ArpRetry { iface, ip },
                    );
                }
                Retry::Failed(pkts) => {
                    let n = pkts.len();
                    // Our own packets are retransmitted by their endpoints (which give up in
                    // time); forwarded ones get an ICMP host unreachable back.
                    for (p, _) in pkts {
                        if !self.is_local(p.src) {
                            self.icmp_error(w, &p, IcmpMessage::HOST_UNREACHABLE, 0, None);
                        }
                    }
                    for _ in 0..n {
                        w.metrics
                            .drop(&self.name, &format!("ARP: no reply for {ip}"));
                    }
                }
            },
            HostTimer::ArpProbe { iface, ip } => self.arp.probe_expired(now, iface as usize, ip),
            HostTimer::Ipvs { at } => {
                if self.ipvs_armed != Some(at) {
                    return;
                }
                self.ipvs_armed = None;
                if let Some(ipvs) = self.ipvs.as_mut() {
                    ipvs.on_timer(now);
                }
                self.after_ipvs(w);
            }
            HostTimer::ServiceDone { conn, port } => self.service_done(w, conn, port),
            HostTimer::RequestTimeout { conn } => {
                let Some(e) = self.conns.get_mut(&conn) else {
                    return;
                };
                if let ConnApp::Client {
                    done,
                    workload,
                    started,
                    ..
                } = &mut e.app
                {
                    if !*done {
                        *done = true;
                        let (wl, st) = (*workload, *started);
                        let out = e.conn.abort(now);
                        self.note_outcome(conn, false);
                        self.finish_request(w, wl, Err("request timed out"), "", st);
                        self.tcp_after(w, conn, out);
                    }
                }
            }
            HostTimer::HoldClose { conn } => self.hold_close(w, conn),
            HostTimer::UdpTimeout { src, port } => {
                if let Some(p) = self.udp_pending.remove(&(src, port)) {
                    self.finish_request(w, p.workload, Err("request timed out"), "", p.started);
                }
            }
            HostTimer::UdpReply { to, from, bytes } => {
                let d = UdpDatagram {
                    sport: from.1,
                    dport: to.1,
                    payload: Payload {
                        len: bytes,
                        app: Some(AppData::HttpResponse {
                            request_id: 0,
                            status: Some(200),
                            server: self.name.clone(),
                        }),
                    },
                };
                w.metrics.server(&self.name, from.1).bytes_out += bytes as u64;
                let p = self.ip_packet(from.0, to.0, IpPayload::Udp(d));
                if let Err(why) = self.route_and_send(w, p, None) {
                    w.metrics.drop(&self.name, &why);
                }
            }
        }
    }

    // ------------------------------------------------------------------ faults

    /// Crash: stop answering; all connection state is lost.
    pub fn crash(&mut self) {
        self.up = false;
        self.conns.clear();
        self.demux.clear();
        self.udp_pending.clear();
        for s in self.servers.values_mut() {
            s.busy = 0;
            s.queue.clear();
            s.half_open = 0;
        }
    }

    /// Comes back after a crash with empty caches.
    pub fn recover(&mut self) {
        self.up = true;
        self.arp = ArpCache::new(self.arp.params.clone());
        self.refresh_addrs();
    }

    pub fn add_server(&mut self, spec: ServerSpec) {
        self.servers.insert(
            (spec.proto, spec.port),
            ServerRt {
                spec,
                busy: 0,
                queue: VecDeque::new(),
                half_open: 0,
            },
        );
    }

    /// Sets a host or interface sysctl by its `net.ipv4...` name.
    pub fn set_sysctl(&mut self, name: &str, value: i64) -> Result<(), String> {
        let v = u8::try_from(value).map_err(|_| format!("{name}: value {value} out of range"))?;
        if name == "net.ipv4.ip_forward" || name == "net.ipv4.conf.all.forwarding" {
            self.ip_forward = value != 0;
            return Ok(());
        }
        if let Some(rest) = name.strip_prefix("net.ipv4.vs.") {
            let ipvs = self
                .ipvs
                .as_mut()
                .ok_or_else(|| format!("{name}: this host runs no IPVS"))?;
            let s = ipvs.sysctls_mut();
            let slot: &mut u8 = match rest {
                "conn_reuse_mode" => &mut s.conn_reuse_mode,
                "expire_nodest_conn" => &mut s.expire_nodest_conn,
                "expire_quiescent_template" => &mut s.expire_quiescent_template,
                "sloppy_tcp" => &mut s.sloppy_tcp,
                "secure_tcp" => &mut s.secure_tcp,
                "nat_icmp_send" => &mut s.nat_icmp_send,
                "pmtu_disc" => &mut s.pmtu_disc,
                "snat_reroute" => &mut s.snat_reroute,
                "cache_bypass" => &mut s.cache_bypass,
                "schedule_icmp" => &mut s.schedule_icmp,
                "conntrack" => &mut s.conntrack,
                _ => return Err(format!("unknown IPVS sysctl `{name}`")),
            };
            *slot = v;
            return Ok(());
        }
        let rest = name
            .strip_prefix("net.ipv4.conf.")
            .ok_or_else(|| format!("unknown sysctl `{name}`"))?;
        let (dev, key) = rest
            .split_once('.')
            .ok_or_else(|| format!("unknown sysctl `{name}`"))?;
        let conf: &mut IfConf = match dev {
            "all" => &mut self.conf_all,
            "default" => return Ok(()),
            d => {
                let i = self
                    .iface_index(d)
                    .ok_or_else(|| format!("{name}: no interface `{d}` on {}", self.name))?;
                &mut self.ifaces[i].conf
            }
        };
        match key {
            "arp_ignore" => {
                if !matches!(v, 0..=8) {
                    return Err(format!("{name}: arp_ignore takes 0..8"));
                }
                conf.arp_ignore = v
            }
            "arp_announce" => {
                if v > 2 {
                    return Err(format!("{name}: arp_announce takes 0..2"));
                }
                conf.arp_announce = v
            }
            "rp_filter" => {
                if v > 2 {
                    return Err(format!("{name}: rp_filter takes 0..2"));
                }
                conf.rp_filter = v
            }
            "send_redirects" => conf.send_redirects = v,
            "forwarding" => self.ip_forward = v != 0,
            _ => return Err(format!("unknown sysctl `{name}`")),
        }
        Ok(())
    }

    /// Brings an interface down or up (flushing its ARP entries when it goes down).
    pub fn set_link(&mut self, w: &mut World, iface: usize, up: bool) {
        self.ifaces[iface].up = up;
        if let Some((seg, port)) = self.ifaces[iface].attachment {
            w.segments[seg].ports[port].connected = up;
            if !up {
                w.segments[seg].flush_port(port);
            }
        }
        if !up {
            self.arp.flush_iface(iface);
        }
        self.refresh_addrs();
    }
}
