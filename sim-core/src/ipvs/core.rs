//! The packet path (K:ip_vs_core.c): in-lookup, connection reuse and dead-dest handling,
//! service lookup, scheduling with and without persistence (K:ip_vs_core.c
//! `ip_vs_sched_persist`, K:ip_vs_conn.c `ip_vs_check_template`), binding to dests with
//! the Active/InAct/Persist counters and OVERLOAD, state transitions, statistics, the
//! forwarding verdict, the reply path and expiry.

use super::conn::{flags, Conn, ConnId, InKey, OutKey};
use super::proto::{self, tcp_state, Direction};
use super::sched::{DestId, SchedInput};
use super::{Decision, Ipvs, IpvsIn, IpvsOut, Xmit};
use crate::admin::{Family, FwdMethod, Protocol, ServiceKey, TunType};
use crate::time::{SimDuration, SimTime};
use crate::wire::{proto as ipproto, IpPayload, Ipv4Packet, TcpFlags};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const FTPPORT: u16 = 21;
const FTPDATA: u16 = 20;
/// `ip_unprivileged_port_start` default.
const UNPRIVILEGED_PORT_START: u16 = 1024;
/// Timeout of a new entry before its first state transition.
const NEW_CONN_TIMEOUT: SimDuration = SimDuration(3_000_000_000);
/// Expiry of an entry that still controls others is postponed by this much.
const CONTROL_POSTPONE: SimDuration = SimDuration(60_000_000_000);

/// What a new entry is created from.
pub(super) struct NewConn {
    pub proto: u8,
    pub caddr: IpAddr,
    pub cport: u16,
    pub vaddr: IpAddr,
    pub vport: u16,
    pub daddr: IpAddr,
    pub dport: u16,
    pub flags: u32,
    pub dest: Option<DestId>,
    pub fwmark: u32,
}

/// Outcome of trying to schedule a packet without an entry.
enum Sched {
    Conn(ConnId),
    Verdict(IpvsIn),
}

impl Ipvs {
    pub(super) fn packet_in(&mut self, now: SimTime, pkt: &Ipv4Packet, fwmark: u32) -> IpvsIn {
        let proto = pkt.protocol();
        if proto != ipproto::TCP && proto != ipproto::UDP {
            return IpvsIn::Pass;
        }
        let Some((sport, dport)) = pkt.ports() else {
            return IpvsIn::Pass;
        };
        let tcp_flags = pkt.tcp().map(|t| t.flags).unwrap_or_default();
        let key = InKey {
            proto,
            caddr: IpAddr::V4(pkt.src),
            cport: sport,
            vaddr: IpAddr::V4(pkt.dst),
            vport: dport,
        };
        let mut cid = self.conns.in_get(&key);

        // A SYN for an existing entry: reschedule instead of reusing it?
        if let (true, Some(id)) = (proto == ipproto::TCP && tcp_flags.syn(), cid) {
            let c = self.conns.get(id).expect("indexed");
            let n_control = c.n_control;
            let dest_weight0 = c
                .dest
                .and_then(|d| self.dests.get(&d))
                .is_some_and(|d| d.cfg.weight == 0);
            let old_ct = c.flags & flags::NFCT != 0;
            let resched = if self.sysctls.expire_nodest_conn != 0 && dest_weight0 {
                true
            } else if self.sysctls.conn_reuse_mode != 0
                && new_conn_expected(c, self.sysctls.conn_reuse_mode)
            {
                c.n_control == 0 || !old_ct
            } else {
                false
            };
            if resched {
                if n_control == 0 {
                    self.conns.arm(id, now);
                }
                if old_ct {
                    return IpvsIn::Drop("ipvs: old connection still has a conntrack entry".into());
                }
                cid = None;
            }
        }

        // The entry's real server was deleted (it sits in the trash).
        if let Some(id) = cid {
            let c = self.conns.get(id).expect("indexed");
            let unavailable = c
                .dest
                .and_then(|d| self.dests.get(&d))
                .is_some_and(|d| !d.available);
            if unavailable {
                if self.sysctls.expire_nodest_conn == 0 {
                    return IpvsIn::Drop("ipvs: real server of this connection was deleted".into());
                }
                let old_ct = c.flags & flags::NFCT != 0;
                self.conns.arm(id, now);
                if old_ct {
                    return IpvsIn::Drop("ipvs: old connection still has a conntrack entry".into());
                }
                cid = None;
            }
        }

        let id = match cid {
            Some(id) => id,
            None => match self.try_to_schedule(now, pkt, fwmark, tcp_flags) {
                Sched::Conn(id) => id,
                Sched::Verdict(v) => return v,
            },
        };

        self.in_stats(id, pkt.total_len() as u64);
        self.set_state(id, Direction::Input, tcp_flags);
        let verdict = self.xmit(id, pkt);

        let one_packet = self
            .conns
            .get(id)
            .is_some_and(|c| c.flags & flags::ONE_PACKET != 0);
        let pkts = if one_packet {
            self.sysctls.sync_threshold.0
        } else {
            let c = self.conns.get_mut(id).expect("live");
            c.in_pkts = c.in_pkts.wrapping_add(1);
            c.in_pkts
        };
        if self.sync_master() {
            self.sync_conn(now, id, pkts);
        } else if one_packet {
            if let Some(ct) = self.conns.get(id).and_then(|c| c.control) {
                if let Some(t) = self.conns.get_mut(ct) {
                    t.in_pkts = t.in_pkts.wrapping_add(1);
                }
            }
        }
        self.conn_put(now, id);
        verdict
    }

    /// Re-arms the entry's timer after a packet (`ip_vs_conn_put`); ONE_PACKET entries go.
    fn conn_put(&mut self, now: SimTime, id: ConnId) {
        let Some(c) = self.conns.get(id) else { return };
        if c.flags & flags::ONE_PACKET != 0 {
            self.expire_entry(now, id);
        } else {
            let at = now + c.timeout;
            self.conns.arm(id, at);
        }
    }

    fn try_to_schedule(
        &mut self,
        now: SimTime,
        pkt: &Ipv4Packet,
        fwmark: u32,
        tf: TcpFlags,
    ) -> Sched {
        let proto = pkt.protocol();
        if proto == ipproto::TCP && (!(tf.syn() || self.sysctls.sloppy_tcp != 0) || tf.rst()) {
            return Sched::Verdict(IpvsIn::Pass);
        }
        let (sport, dport) = pkt.ports().expect("tcp or udp");
        let Some(skey) = self.service_find(fwmark, proto, IpAddr::V4(pkt.dst), dport) else {
            return Sched::Verdict(IpvsIn::Pass);
        };
        if sport == FTPDATA {
            return Sched::Verdict(IpvsIn::Pass);
        }
        let svc_cfg = self.services[&skey].cfg.clone();
        let caddr = IpAddr::V4(pkt.src);
        let vaddr = IpAddr::V4(pkt.dst);
        let input = SchedInput {
            saddr: caddr,
            sport,
            daddr: vaddr,
            dport,
            protocol: proto,
        };
        let one_packet = svc_cfg.one_packet() && proto == ipproto::UDP;
        let cflags = if one_packet { flags::ONE_PACKET } else { 0 };
        let decide = |dest: Option<(IpAddr, u16)>, reason: String| Decision {
            time: now,
            client: caddr,
            cport: sport,
            service: skey,
            dest,
            reason,
        };

        if svc_cfg.persistent() {
            return self.sched_persist(now, &skey, pkt, fwmark, input, cflags);
        }
        if !skey.is_fwmark() && dport != svc_cfg.key.port() {
            let reason = "port zero only supported in persistent services".to_string();
            self.decisions.push(decide(None, reason.clone()));
            return Sched::Verdict(self.leave(&skey, dport, reason));
        }
        let dest = match self.run_scheduler(now, &skey, &input) {
            Ok(d) => d,
            Err(reason) => {
                self.decisions.push(decide(None, reason.clone()));
                return Sched::Verdict(self.leave(&skey, dport, reason));
            }
        };
        let d = &self.dests[&dest];
        let (daddr, dp) = (d.cfg.addr, if d.cfg.port != 0 { d.cfg.port } else { dport });
        let sname = self.services[&skey].sched.name();
        self.decisions.push(decide(
            Some((daddr, d.cfg.port)),
            format!("scheduled by {sname}"),
        ));
        let id = self.new_conn(
            now,
            NewConn {
                proto,
                caddr,
                cport: sport,
                vaddr,
                vport: dport,
                daddr,
                dport: dp,
                flags: cflags,
                dest: Some(dest),
                fwmark,
            },
        );
        self.conn_stats(&skey, dest);
        Sched::Conn(id)
    }

    fn run_scheduler(
        &mut self,
        now: SimTime,
        skey: &ServiceKey,
        input: &SchedInput,
    ) -> Result<DestId, String> {
        let views = self.views(skey);
        let svc = self.services.get_mut(skey).expect("service");
        svc.sched
            .schedule(now, &views, input, &mut self.rng)
            .map_err(|e| e.0)
    }

    /// `ip_vs_sched_persist`: find or create the client's template, then the connection.
    fn sched_persist(
        &mut self,
        now: SimTime,
        skey: &ServiceKey,
        pkt: &Ipv4Packet,
        fwmark: u32,
        input: SchedInput,
        cflags: u32,
    ) -> Sched {
        let svc = self.services[skey].cfg.clone();
        let proto = pkt.protocol();
        let (sport, dport) = (input.sport, input.dport);
        let caddr = IpAddr::V4(pkt.src);
        let vaddr = IpAddr::V4(pkt.dst);
        let svc_port = svc.key.port();
        let snet = mask_addr(caddr, svc.key.family(), svc.netmask);
        let (tproto, tvaddr, tvport) = if dport == svc_port {
            (proto, vaddr, if svc_port != FTPPORT { dport } else { 0 })
        } else if let ServiceKey::Fwmark { mark, .. } = svc.key {
            (0, IpAddr::V4(Ipv4Addr::from(mark)), 0)
        } else {
            (proto, vaddr, 0)
        };
        let tkey = InKey {
            proto: tproto,
            caddr: snet,
            cport: 0,
            vaddr: tvaddr,
            vport: tvport,
        };
        let found = self.conns.template_get(&tkey);
        let valid = found.filter(|ct| self.check_template(*ct));
        let decide = |dest: Option<(IpAddr, u16)>, reason: String| Decision {
            time: now,
            client: caddr,
            cport: sport,
            service: *skey,
            dest,
            reason,
        };
        let (ct, dest) = match valid {
            Some(ct) => {
                let Some(dest) = self.conns.get(ct).and_then(|c| c.dest) else {
                    return Sched::Verdict(IpvsIn::Drop(
                        "ipvs: template without a real server".into(),
                    ));
                };
                let d = &self.dests[&dest];
                self.decisions.push(decide(
                    Some((d.cfg.addr, d.cfg.port)),
                    "persistence template".into(),
                ));
                (ct, dest)
            }
            None => {
                let dest = match self.run_scheduler(now, skey, &input) {
                    Ok(d) => d,
                    Err(reason) => {
                        self.decisions.push(decide(None, reason.clone()));
                        return Sched::Verdict(self.leave(skey, dport, reason));
                    }
                };
                let d = &self.dests[&dest];
                let (daddr, dp) = (d.cfg.addr, d.cfg.port);
                let tdport = if dport == svc_port && svc_port != FTPPORT {
                    dp
                } else {
                    0
                };
                let sname = self.services[skey].sched.name();
                self.decisions
                    .push(decide(Some((daddr, dp)), format!("scheduled by {sname}")));
                let ct = self.new_conn(
                    now,
                    NewConn {
                        proto: tproto,
                        caddr: snet,
                        cport: 0,
                        vaddr: tvaddr,
                        vport: tvport,
                        daddr,
                        dport: tdport,
                        flags: flags::TEMPLATE,
                        dest: Some(dest),
                        fwmark,
                    },
                );
                if let Some(t) = self.conns.get_mut(ct) {
                    t.timeout = SimDuration::from_secs(svc.timeout as u64);
                }
                (ct, dest)
            }
        };
        let d = &self.dests[&dest];
        let daddr = d.cfg.addr;
        let conn_dport = if dport == svc_port && d.cfg.port != 0 {
            d.cfg.port
        } else {
            dport
        };
        let id = self.new_conn(
            now,
            NewConn {
                proto,
                caddr,
                cport: sport,
                vaddr,
                vport: dport,
                daddr,
                dport: conn_dport,
                flags: cflags,
                dest: Some(dest),
                fwmark,
            },
        );
        // Add the control and restart the template's timer: only new connections refresh it.
        if let Some(c) = self.conns.get_mut(id) {
            c.control = Some(ct);
        }
        if let Some(t) = self.conns.get_mut(ct) {
            t.n_control += 1;
        }
        self.conn_put(now, ct);
        self.conn_stats(skey, dest);
        Sched::Conn(id)
    }

    /// `ip_vs_check_template`: a template whose dest is gone, deleted, or (with
    /// expire_quiescent_template) quiesced is re-keyed so it no longer matches.
    fn check_template(&mut self, ct: ConnId) -> bool {
        let Some(c) = self.conns.get(ct) else {
            return false;
        };
        let ok = c.dest.and_then(|d| self.dests.get(&d)).is_some_and(|d| {
            d.available && !(self.sysctls.expire_quiescent_template != 0 && d.cfg.weight == 0)
        });
        if !ok && c.vport != 0xffff {
            self.conns.rekey(ct, |c| {
                c.dport = 0xffff;
                c.vport = 0xffff;
                c.cport = 0;
            });
        }
        ok
    }

    /// `ip_vs_leave`: no dest for a new connection.
    fn leave(&self, skey: &ServiceKey, dport: u16, reason: String) -> IpvsIn {
        if skey.port() == FTPPORT && dport != FTPPORT {
            return IpvsIn::Pass;
        }
        IpvsIn::Unreachable(format!("ipvs: {reason}"))
    }

    /// `ip_vs_service_find`: fwmark, exact, FTP data to the port-21 service, port 0.
    fn service_find(
        &self,
        fwmark: u32,
        proto: u8,
        vaddr: IpAddr,
        vport: u16,
    ) -> Option<ServiceKey> {
        if fwmark != 0 {
            let k = ServiceKey::Fwmark {
                mark: fwmark,
                family: Family::of(&vaddr),
            };
            if self.services.contains_key(&k) {
                return Some(k);
            }
        }
        let p = Protocol::from_number(proto as u16)?;
        let exact = ServiceKey::Addr {
            proto: p,
            addr: vaddr,
            port: vport,
        };
        if self.services.contains_key(&exact) {
            return Some(exact);
        }
        if p == Protocol::Tcp && (vport == FTPDATA || vport >= UNPRIVILEGED_PORT_START) {
            let ftp = ServiceKey::Addr {
                proto: p,
                addr: vaddr,
                port: FTPPORT,
            };
            if self.services.contains_key(&ftp) {
                return Some(ftp);
            }
        }
        let zero = ServiceKey::Addr {
            proto: p,
            addr: vaddr,
            port: 0,
        };
        self.services.contains_key(&zero).then_some(zero)
    }

    /// `ip_vs_conn_new` + `ip_vs_bind_dest`.
    pub(super) fn new_conn(&mut self, now: SimTime, n: NewConn) -> ConnId {
        let id = self.conns.next_id();
        let mut c = Conn {
            id,
            proto: n.proto,
            caddr: n.caddr,
            cport: n.cport,
            vaddr: n.vaddr,
            vport: n.vport,
            daddr: n.daddr,
            dport: n.dport,
            fwmark: n.fwmark,
            flags: n.flags,
            state: 0,
            old_state: 0,
            timeout: NEW_CONN_TIMEOUT,
            expires: now + NEW_CONN_TIMEOUT,
            control: None,
            n_control: 0,
            dest: None,
            in_pkts: 0,
            sync_endtime: jiffies(now) & !3,
            heap_at: SimTime::MAX,
        };
        if let Some(did) = n.dest {
            self.bind_dest(&mut c, did);
        }
        if self.sysctls.conntrack != 0 && c.flags & flags::TEMPLATE == 0 {
            c.flags |= flags::NFCT;
        }
        self.conns.insert(c);
        id
    }

    pub(super) fn bind_dest(&mut self, c: &mut Conn, did: DestId) {
        let Some(d) = self.dests.get_mut(&did) else {
            return;
        };
        let mut conn_flags = d.cfg.fwd.code() | flags::INACTIVE;
        if d.cfg.fwd != FwdMethod::Masq {
            conn_flags |= flags::NOOUTPUT;
        }
        let mut f = c.flags;
        if f & flags::SYNC != 0 {
            if f & flags::TEMPLATE == 0 {
                conn_flags &= !flags::INACTIVE;
            }
            f &= !(flags::FWD_MASK | flags::NOOUTPUT);
        }
        f |= conn_flags;
        c.flags = f;
        c.dest = Some(did);
        d.refs += 1;
        if f & flags::TEMPLATE == 0 {
            if f & flags::INACTIVE == 0 {
                d.active += 1;
            } else {
                d.inactive += 1;
            }
        } else {
            d.persist += 1;
        }
        if d.cfg.u_threshold != 0 && d.active + d.inactive >= d.cfg.u_threshold {
            d.overloaded = true;
        }
    }

    fn unbind_dest(&mut self, c: &Conn) {
        let Some(d) = c.dest.and_then(|id| self.dests.get_mut(&id)) else {
            return;
        };
        if c.flags & flags::TEMPLATE == 0 {
            if c.flags & flags::INACTIVE != 0 {
                d.inactive = d.inactive.saturating_sub(1);
            } else {
                d.active = d.active.saturating_sub(1);
            }
        } else {
            d.persist = d.persist.saturating_sub(1);
        }
        let total = d.active + d.inactive;
        if d.cfg.l_threshold != 0 {
            if total < d.cfg.l_threshold {
                d.overloaded = false;
            }
        } else if d.cfg.u_threshold != 0 {
            if (total as u64) * 4 < (d.cfg.u_threshold as u64) * 3 {
                d.overloaded = false;
            }
        } else {
            d.overloaded = false;
        }
        d.refs = d.refs.saturating_sub(1);
    }

    /// The entry's timer fired (`ip_vs_conn_expire`).
    pub(super) fn expire_entry(&mut self, now: SimTime, id: ConnId) {
        self.expire_inner(now, id, false);
    }

    /// `drop_chain`: the expiry was forced (`ip_vs_conn_del`): a controller left without
    /// children goes too unless it is an ASSURED template.
    fn expire_inner(&mut self, now: SimTime, id: ConnId, drop_chain: bool) {
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        if c.n_control > 0 {
            c.timeout = CONTROL_POSTPONE;
            if self.sync_master() {
                let th = self.sysctls.sync_threshold.0;
                self.sync_conn(now, id, th);
            }
            self.conns.arm(id, now + CONTROL_POSTPONE);
            return;
        }
        let Some(c) = self.conns.remove(id) else {
            return;
        };
        if let Some(ct) = c.control {
            let mut drop_ct = false;
            if let Some(t) = self.conns.get_mut(ct) {
                t.n_control = t.n_control.saturating_sub(1);
                drop_ct = drop_chain
                    && t.n_control == 0
                    && (t.flags & flags::TEMPLATE == 0 || t.state & proto::CTPL_ASSURED == 0);
            }
            if drop_ct {
                self.expire_inner(now, ct, true);
            }
        }
        self.unbind_dest(&c);
    }

    /// With expire_nodest_conn, deleting a dest queues a flush of every entry whose dest
    /// is no longer available (and of templates left without children).
    pub(super) fn expire_nodest_flush(&mut self, now: SimTime) {
        if self.sysctls.expire_nodest_conn == 0 {
            return;
        }
        for id in self.conns.ids() {
            let Some(c) = self.conns.get(id) else {
                continue;
            };
            let dead = c
                .dest
                .and_then(|d| self.dests.get(&d))
                .is_some_and(|d| !d.available);
            if !dead || c.n_control > 0 {
                continue;
            }
            let ctl = c.control;
            self.expire_inner(now, id, true);
            if let Some(ct) = ctl {
                if self.conns.get(ct).is_some_and(|t| t.n_control == 0) {
                    self.expire_inner(now, ct, true);
                }
            }
        }
    }

    fn conn_stats(&mut self, skey: &ServiceKey, dest: DestId) {
        if let Some(d) = self.dests.get_mut(&dest) {
            d.stats.add_conn();
        }
        if let Some(s) = self.services.get_mut(skey) {
            s.stats.add_conn();
        }
        self.total.add_conn();
    }

    fn in_stats(&mut self, id: ConnId, bytes: u64) {
        let Some(did) = self.conns.get(id).and_then(|c| c.dest) else {
            return;
        };
        let Some(d) = self.dests.get_mut(&did).filter(|d| d.available) else {
            return;
        };
        d.stats.add_in(bytes);
        let skey = d.svc;
        if let Some(s) = self.services.get_mut(&skey) {
            s.stats.add_in(bytes);
        }
        self.total.add_in(bytes);
    }

    fn out_stats(&mut self, id: ConnId, bytes: u64) {
        let Some(did) = self.conns.get(id).and_then(|c| c.dest) else {
            return;
        };
        let Some(d) = self.dests.get_mut(&did).filter(|d| d.available) else {
            return;
        };
        d.stats.add_out(bytes);
        let skey = d.svc;
        if let Some(s) = self.services.get_mut(&skey) {
            s.stats.add_out(bytes);
        }
        self.total.add_out(bytes);
    }

    /// The protocol's state transition; the timeout is re-read from the table every time.
    fn set_state(&mut self, id: ConnId, dir: Direction, tf: TcpFlags) {
        let secure = self.sysctls.secure_tcp >= 3;
        let Some(c) = self.conns.get_mut(id) else {
            return;
        };
        match c.proto {
            ipproto::TCP => {
                let mut input_only = false;
                if c.flags & flags::NOOUTPUT != 0 {
                    if dir == Direction::Output {
                        c.flags &= !flags::NOOUTPUT;
                    } else {
                        input_only = true;
                    }
                }
                let new = proto::tcp_next_state(secure, dir, input_only, tf, c.state);
                let mut assure = None;
                if new != c.state {
                    if let Some(d) = c.dest.and_then(|d| self.dests.get_mut(&d)) {
                        let inactive = c.flags & flags::INACTIVE != 0;
                        if !inactive && !proto::tcp_state_active(new) {
                            d.active = d.active.saturating_sub(1);
                            d.inactive += 1;
                            c.flags |= flags::INACTIVE;
                        } else if inactive && proto::tcp_state_active(new) {
                            d.active += 1;
                            d.inactive = d.inactive.saturating_sub(1);
                            c.flags &= !flags::INACTIVE;
                        }
                    }
                    if new == tcp_state::ESTABLISHED {
                        assure = c.control;
                    }
                }
                c.state = new;
                c.timeout = self.timeouts.tcp_timeout(new);
                if let Some(ct) = assure {
                    self.assure_template(ct);
                }
            }
            ipproto::UDP => {
                c.timeout = self.timeouts.udp_timeout();
                if dir == Direction::Output {
                    if let Some(ct) = c.control {
                        self.assure_template(ct);
                    }
                }
            }
            _ => {}
        }
    }

    fn assure_template(&mut self, ct: ConnId) {
        if let Some(t) = self.conns.get_mut(ct) {
            if t.flags & flags::TEMPLATE != 0 {
                t.state |= proto::CTPL_ASSURED;
            }
        }
    }

    /// The forwarding verdict for a client packet of entry `id`.
    fn xmit(&self, id: ConnId, pkt: &Ipv4Packet) -> IpvsIn {
        let c = self.conns.get(id).expect("live");
        let fwd = c.fwd();
        if fwd == FwdMethod::Local {
            return IpvsIn::Pass;
        }
        let IpAddr::V4(rip) = c.daddr else {
            return IpvsIn::Drop("ipvs: IPv6 real server for an IPv4 packet".into());
        };
        let tun_type = c
            .dest
            .and_then(|d| self.dests.get(&d))
            .map(|d| d.cfg.tun_type)
            .unwrap_or(TunType::Ipip);
        let mut packet = pkt.clone();
        if fwd == FwdMethod::Masq {
            packet.dst = rip;
            let dp = c.dport;
            match &mut packet.payload {
                IpPayload::Tcp(t) => t.dport = dp,
                IpPayload::Udp(u) => u.dport = dp,
                _ => {}
            }
        }
        IpvsIn::Forward(Box::new(Xmit {
            method: fwd,
            packet,
            rip,
            tun_type,
        }))
    }

    pub(super) fn packet_out(&mut self, now: SimTime, pkt: &mut Ipv4Packet) -> IpvsOut {
        let proto = pkt.protocol();
        if proto != ipproto::TCP && proto != ipproto::UDP {
            return IpvsOut::Pass;
        }
        let Some((sport, dport)) = pkt.ports() else {
            return IpvsOut::Pass;
        };
        let key = OutKey {
            proto,
            caddr: IpAddr::V4(pkt.dst),
            cport: dport,
            saddr: IpAddr::V4(pkt.src),
            sport,
        };
        let Some(id) = self.conns.out_get(&key) else {
            return IpvsOut::Pass;
        };
        let c = self.conns.get(id).expect("indexed");
        let mut verdict = IpvsOut::Pass;
        if c.fwd() == FwdMethod::Masq {
            if let IpAddr::V4(v) = c.vaddr {
                pkt.src = v;
                pkt.set_ports(c.vport, dport);
                verdict = IpvsOut::Masqueraded;
            }
        }
        let tf = pkt.tcp().map(|t| t.flags).unwrap_or_default();
        self.out_stats(id, pkt.total_len() as u64);
        self.set_state(id, Direction::Output, tf);
        self.conn_put(now, id);
        verdict
    }
}

/// `is_new_conn_expected`: may a SYN reuse-by-rescheduling this entry?
fn new_conn_expected(c: &Conn, mode: u8) -> bool {
    if c.control.is_some() {
        return false;
    }
    match c.proto {
        ipproto::TCP => {
            c.state == tcp_state::TIME_WAIT
                || c.state == tcp_state::CLOSE
                || (mode & 2 != 0
                    && c.state == tcp_state::FIN_WAIT
                    && c.flags & flags::NOOUTPUT != 0)
        }
        _ => false,
    }
}

/// Kernel ticks for the sync bookkeeping (HZ = 1000).
pub(super) fn jiffies(t: SimTime) -> u64 {
    t.0 / 1_000_000
}

/// The persistence granularity: IPv4 netmask, or IPv6 prefix length.
fn mask_addr(a: IpAddr, fam: Family, netmask: u32) -> IpAddr {
    match (a, fam) {
        (IpAddr::V4(v), _) => IpAddr::V4(Ipv4Addr::from(u32::from(v) & netmask)),
        (IpAddr::V6(v), _) => {
            let plen = netmask.min(128);
            let m: u128 = if plen == 0 {
                0
            } else {
                u128::MAX << (128 - plen)
            };
            IpAddr::V6(Ipv6Addr::from(u128::from(v) & m))
        }
    }
}
