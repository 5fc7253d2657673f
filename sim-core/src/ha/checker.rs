//! keepalived's checker process (KA:check/check_tcp.c, check_http.c, ipwrapper.c): each
//! TCP_CHECK / HTTP_GET runs as real TCP connections from the director (so a checker sees
//! what the network shows it, and can be fooled as a real one can), its retry counting
//! decides UP / DOWN, and real servers go in and out of IPVS (deleted, or weight 0 with
//! inhibit_on_failure), with quorum, hysteresis and the sorry server.

use super::*;
use crate::admin::keepalived::{lvs, CheckKind, VirtualServer};
use crate::admin::IpvsOp;
use crate::engine::world::{ProbeOutcome, World};
use crate::net::host::Host;
use crate::time::SimDuration;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// keepalived waits this long before the first check (BOOTSTRAP_DELAY).
pub const BOOTSTRAP_DELAY: SimDuration = SimDuration(1_000_000_000);

/// One checker's running state.
#[derive(Clone, Debug)]
pub struct CheckerRt {
    pub vs: usize,
    pub rs: usize,
    pub ck: usize,
    pub is_up: bool,
    pub has_run: bool,
    pub retry_it: u32,
    /// Run counter: results and timeouts of older runs are ignored.
    pub gen: u64,
    first_at: SimTime,
    /// HTTP_GET: the URL being checked, and the one that failed (while DOWN).
    url_it: usize,
    failed_url: Option<usize>,
}

/// A real server as the checker process sees it.
#[derive(Clone, Debug, Default)]
pub struct RsRt {
    pub alive: bool,
    /// The weight it has in IPVS, None = not in the table.
    pub in_ipvs: Option<i32>,
}

#[derive(Clone, Debug, Default)]
pub struct VsRt {
    pub quorum_up: bool,
    pub sorry_in: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Checkers {
    pub list: Vec<CheckerRt>,
    pub rs: Vec<Vec<RsRt>>,
    pub vs: Vec<VsRt>,
    /// Open probes: tag -> (checker, run, connection id).
    pending: BTreeMap<u64, (usize, u64, Option<u64>)>,
    next_tag: u64,
}

fn live_weight(v: &VirtualServer, rs: &[RsRt]) -> i64 {
    v.real_servers
        .iter()
        .zip(rs)
        .filter(|(_, s)| s.alive)
        .map(|(r, _)| r.weight as i64)
        .sum::<i64>()
        .max(0)
}

impl Checkers {
    pub fn new(cfg: &KeepalivedConfig) -> Self {
        let mut c = Checkers::default();
        for (vi, v) in cfg.virtual_servers.iter().enumerate() {
            for (ri, r) in v.real_servers.iter().enumerate() {
                for ci in 0..r.checkers.len() {
                    c.list.push(CheckerRt {
                        vs: vi,
                        rs: ri,
                        ck: ci,
                        is_up: true,
                        has_run: false,
                        retry_it: 0,
                        gen: 0,
                        first_at: SimTime::ZERO,
                        url_it: 0,
                        failed_url: None,
                    });
                }
            }
        }
        c.rs = cfg
            .virtual_servers
            .iter()
            .map(|v| vec![RsRt::default(); v.real_servers.len()])
            .collect();
        c.vs = vec![VsRt::default(); cfg.virtual_servers.len()];
        c
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Start-up state, matching the table `lvs::startup_ops` programs: without `alpha`
    /// every checker starts UP with its retry counter pre-loaded (one failure is enough
    /// initially); with `alpha` checkers start DOWN. First runs come after BOOTSTRAP_DELAY
    /// plus a random part of `warmup`.
    pub fn start(&mut self, cfg: &KeepalivedConfig, now: SimTime, rng: &mut SimRng) {
        self.pending.clear();
        for c in &mut self.list {
            let v = &cfg.virtual_servers[c.vs];
            let ck = &v.real_servers[c.rs].checkers[c.ck];
            c.is_up = !v.alpha;
            c.has_run = false;
            c.retry_it = ck.retry;
            c.gen = 0;
            c.url_it = 0;
            c.failed_url = None;
            let warm = if ck.warmup.0 > 0 {
                SimDuration((ck.warmup.0 as f64 * rng.next_f64()) as u64)
            } else {
                SimDuration::ZERO
            };
            c.first_at = now + BOOTSTRAP_DELAY + warm;
        }
        for (vi, v) in cfg.virtual_servers.iter().enumerate() {
            for (ri, r) in v.real_servers.iter().enumerate() {
                let alive = !v.alpha || r.checkers.is_empty();
                self.rs[vi][ri] = RsRt {
                    alive,
                    in_ipvs: if alive {
                        Some(r.weight)
                    } else if r.inhibit_on_failure {
                        Some(0)
                    } else {
                        None
                    },
                };
            }
            let up = live_weight(v, &self.rs[vi]) >= (v.quorum + v.hysteresis) as i64;
            self.vs[vi] = VsRt {
                quorum_up: up,
                sorry_in: !up && v.sorry_server.is_some(),
            };
        }
    }

    pub fn first_run(&self, idx: usize) -> SimTime {
        self.list[idx].first_at
    }

    pub fn crash(&mut self) {
        self.pending.clear();
    }

    /// Programs the start-up table again (a restart after a stop or crash).
    pub fn program_startup(&self, cfg: &KeepalivedConfig, h: &mut Host, w: &mut World) {
        let now = w.now;
        let Some(ipvs) = h.ipvs.as_mut() else { return };
        for v in &cfg.virtual_servers {
            let _ = ipvs.apply(now, &IpvsOp::DelService(lvs::service_key(v)));
            for op in lvs::startup_ops(v) {
                let _ = ipvs.apply(now, &op);
            }
        }
        h.ipvs_changed(w);
    }

    /// keepalived removes the virtual services it created when it stops.
    pub fn remove_services(&self, cfg: &KeepalivedConfig, h: &mut Host, w: &mut World) {
        let now = w.now;
        let Some(ipvs) = h.ipvs.as_mut() else { return };
        for v in &cfg.virtual_servers {
            let _ = ipvs.apply(now, &IpvsOp::DelService(lvs::service_key(v)));
        }
        h.ipvs_changed(w);
    }
}

impl Keepalived {
    /// A checker's run is due: open its connection and arm connect_timeout.
    pub(super) fn checker_run(&mut self, idx: usize, gen: u64, h: &mut Host, w: &mut World) {
        if self.checkers.list[idx].gen != gen {
            return;
        }
        let now = w.now;
        let c = &mut self.checkers.list[idx];
        c.gen += 1;
        let gen = c.gen;
        let v = &self.cfg.virtual_servers[c.vs];
        let r = &v.real_servers[c.rs];
        let ck = &r.checkers[c.ck];
        let addr = ck.connect_ip.unwrap_or(r.addr);
        let port = ck.connect_port.unwrap_or(r.port);
        let path = match &ck.kind {
            CheckKind::Tcp => None,
            CheckKind::Http { urls } => Some(urls[c.url_it.min(urls.len() - 1)].path.clone()),
        };
        let src = match ck.bindto {
            Some(IpAddr::V4(a)) => Some(a),
            _ => None,
        };
        let timeout = ck.connect_timeout;
        self.checkers.next_tag += 1;
        let tag = self.checkers.next_tag;
        self.checkers.pending.insert(tag, (idx, gen, None));
        let IpAddr::V4(dst) = addr else {
            self.checkers.pending.remove(&tag);
            self.checker_epilog(idx, false, h, w);
            return;
        };
        let conn = h.open_probe(w, src, (dst, port), path, tag);
        if let Some(p) = self.checkers.pending.get_mut(&tag) {
            p.2 = conn;
        }
        self.timer(
            w,
            now + timeout,
            HaTimerKind::CheckTimeout {
                idx: idx as u32,
                gen,
            },
        );
    }

    /// connect_timeout ran out with the check still open.
    pub(super) fn checker_timeout(&mut self, idx: usize, gen: u64, h: &mut Host, w: &mut World) {
        let Some((&tag, &(_, _, conn))) = self
            .checkers
            .pending
            .iter()
            .find(|(_, (i, g, _))| *i == idx && *g == gen)
        else {
            return;
        };
        self.checkers.pending.remove(&tag);
        if let Some(conn) = conn {
            h.abort_probe(w, conn);
        }
        self.checker_epilog(idx, false, h, w);
    }

    /// What a checker's connection found.
    pub fn on_probe(&mut self, h: &mut Host, w: &mut World, tag: u64, outcome: &ProbeOutcome) {
        if !self.running {
            return;
        }
        let Some((idx, gen, _)) = self.checkers.pending.remove(&tag) else {
            return;
        };
        let c = &self.checkers.list[idx];
        if c.gen != gen {
            return;
        }
        let ck = &self.cfg.virtual_servers[c.vs].real_servers[c.rs].checkers[c.ck];
        let ok = match (&ck.kind, outcome) {
            (CheckKind::Tcp, ProbeOutcome::Connected | ProbeOutcome::Status(_)) => true,
            (CheckKind::Http { urls }, ProbeOutcome::Status(s)) => {
                urls[c.url_it.min(urls.len() - 1)].accepts(*s)
            }
            _ => false,
        };
        if let ProbeOutcome::Failed(why) = outcome {
            let v = &self.cfg.virtual_servers[c.vs];
            let r = &v.real_servers[c.rs];
            if c.is_up {
                let line = format!(
                    "{} connection to [{}]:{} failed: {why}",
                    ck.kind.keyword(),
                    r.addr,
                    ck.connect_port.unwrap_or(r.port)
                );
                self.note(w.now, line);
            }
        }
        self.checker_epilog(idx, ok, h, w);
    }

    /// The retry logic (`tcp_epilog`; HTTP_GET walks its URLs) and the next run.
    fn checker_epilog(&mut self, idx: usize, ok: bool, h: &mut Host, w: &mut World) {
        let now = w.now;
        let c = self.checkers.list[idx].clone();
        let ck = self.cfg.virtual_servers[c.vs].real_servers[c.rs].checkers[c.ck].clone();
        let mut change = None;
        let delay;
        {
            let c = &mut self.checkers.list[idx];
            match &ck.kind {
                CheckKind::Tcp => {
                    if ok || c.retry_it >= ck.retry {
                        delay = ck.delay_loop;
                        c.retry_it = 0;
                        if ok && (!c.is_up || !c.has_run) {
                            change = Some(true);
                        } else if !ok && (c.is_up || !c.has_run) {
                            change = Some(false);
                        }
                    } else {
                        delay = ck.delay_before_retry;
                        c.retry_it += 1;
                    }
                }
                CheckKind::Http { urls } => {
                    let slow = ck.delay_before_retry.max(ck.delay_loop);
                    if ok {
                        c.retry_it = 0;
                        if c.failed_url.take().is_some() {
                            // The failed URL answers again: check them all before UP.
                            c.url_it = 0;
                            delay = ck.delay_loop;
                        } else {
                            c.url_it += 1;
                            if c.url_it >= urls.len() {
                                c.url_it = 0;
                                if !c.is_up || !c.has_run {
                                    change = Some(true);
                                }
                            }
                            delay = ck.delay_loop;
                        }
                    } else if c.failed_url.is_some() {
                        delay = slow;
                    } else if c.retry_it < ck.retry {
                        c.retry_it += 1;
                        delay = ck.delay_before_retry;
                    } else {
                        c.retry_it = 0;
                        c.failed_url = Some(c.url_it);
                        if c.is_up || !c.has_run {
                            change = Some(false);
                        }
                        delay = slow;
                    }
                }
            }
            c.has_run = true;
        }
        if let Some(up) = change {
            self.checkers.list[idx].is_up = up;
            self.rs_state_changed(c.vs, c.rs, h, w);
        }
        let gen = self.checkers.list[idx].gen;
        self.timer(
            w,
            now + delay,
            HaTimerKind::Check {
                idx: idx as u32,
                gen,
            },
        );
    }

    /// A checker changed: the real server is alive when none of its checkers is DOWN.
    fn rs_state_changed(&mut self, vi: usize, ri: usize, h: &mut Host, w: &mut World) {
        let now = w.now;
        let alive = self
            .checkers
            .list
            .iter()
            .filter(|c| c.vs == vi && c.rs == ri)
            .all(|c| c.is_up);
        if self.checkers.rs[vi][ri].alive == alive {
            return;
        }
        self.checkers.rs[vi][ri].alive = alive;
        let v = self.cfg.virtual_servers[vi].clone();
        let r = v.real_servers[ri].clone();
        let vs_name = match v.key {
            crate::admin::keepalived::VsKey::Addr { addr, port } => format!("{addr}:{port}"),
            crate::admin::keepalived::VsKey::Fwmark(m) => format!("fwmark {m}"),
        };
        let rs_name = format!("{}:{}", r.addr, r.port);
        self.record(
            now,
            &vs_name,
            HaWhat::RealServer {
                rs: rs_name.clone(),
                up: alive,
            },
        );
        self.note(
            now,
            format!(
                "{} server [{rs_name}] for VS [{vs_name}]",
                if alive { "Adding" } else { "Removing" }
            ),
        );
        if !self.checkers.vs[vi].sorry_in {
            let want = if alive {
                Some(r.weight)
            } else if r.inhibit_on_failure {
                Some(0)
            } else {
                None
            };
            self.set_rs_in_ipvs(vi, ri, want, h, w);
        }
        self.update_quorum(vi, h, w);
    }

    /// Puts a real server in IPVS with a weight, or takes it out.
    fn set_rs_in_ipvs(
        &mut self,
        vi: usize,
        ri: usize,
        want: Option<i32>,
        h: &mut Host,
        w: &mut World,
    ) {
        let v = &self.cfg.virtual_servers[vi];
        let r = &v.real_servers[ri];
        let key = lvs::service_key(v);
        let have = self.checkers.rs[vi][ri].in_ipvs;
        let op = match (have, want) {
            (None, Some(wt)) => IpvsOp::AddDest(key, lvs::dest_config(v, r, wt)),
            (Some(a), Some(b)) if a != b => IpvsOp::EditDest(key, lvs::dest_config(v, r, b)),
            (Some(_), None) => {
                let d = lvs::dest_config(v, r, 0);
                IpvsOp::DelDest {
                    service: key,
                    addr: d.addr,
                    port: d.port,
                }
            }
            _ => return,
        };
        let _ = self.ipvs(h, w, &op);
        self.checkers.rs[vi][ri].in_ipvs = want;
    }

    /// `update_quorum_state`: lose quorum at live weight 0 or below quorum - hysteresis,
    /// gain it at quorum + hysteresis; the sorry server replaces the live servers meanwhile.
    fn update_quorum(&mut self, vi: usize, h: &mut Host, w: &mut World) {
        let now = w.now;
        let v = self.cfg.virtual_servers[vi].clone();
        let live = live_weight(&v, &self.checkers.rs[vi]);
        let (q, hy) = (v.quorum as i64, v.hysteresis as i64);
        let up = self.checkers.vs[vi].quorum_up;
        let vs_name = format!("{:?}", v.key);
        if up && (live == 0 || live < q - hy) {
            self.checkers.vs[vi].quorum_up = false;
            self.record(now, &vs_name, HaWhat::Quorum { up: false });
            self.note(
                now,
                format!(
                    "Lost quorum {}-{}={} > {live} for VS {vs_name}",
                    q,
                    hy,
                    q - hy
                ),
            );
            if let Some(d) = lvs::sorry_dest(&v) {
                for ri in 0..v.real_servers.len() {
                    if self.checkers.rs[vi][ri].alive {
                        let want = if v.real_servers[ri].inhibit_on_failure {
                            Some(0)
                        } else {
                            None
                        };
                        self.set_rs_in_ipvs(vi, ri, want, h, w);
                    }
                }
                let d = if v.sorry_server_inhibit {
                    d.with_weight(1)
                } else {
                    d
                };
                let _ = self.ipvs(h, w, &IpvsOp::AddDest(lvs::service_key(&v), d));
                self.checkers.vs[vi].sorry_in = true;
            }
        } else if !up && live >= q + hy {
            self.checkers.vs[vi].quorum_up = true;
            self.record(now, &vs_name, HaWhat::Quorum { up: true });
            self.note(
                now,
                format!(
                    "Gained quorum {}+{}={} <= {live} for VS {vs_name}",
                    q,
                    hy,
                    q + hy
                ),
            );
            if self.checkers.vs[vi].sorry_in {
                if let Some(d) = lvs::sorry_dest(&v) {
                    let op = if v.sorry_server_inhibit {
                        IpvsOp::EditDest(lvs::service_key(&v), d.with_weight(0))
                    } else {
                        IpvsOp::DelDest {
                            service: lvs::service_key(&v),
                            addr: d.addr,
                            port: d.port,
                        }
                    };
                    let _ = self.ipvs(h, w, &op);
                }
                self.checkers.vs[vi].sorry_in = false;
                for ri in 0..v.real_servers.len() {
                    if self.checkers.rs[vi][ri].alive {
                        let wt = v.real_servers[ri].weight;
                        self.set_rs_in_ipvs(vi, ri, Some(wt), h, w);
                    }
                }
            }
        }
    }
}
