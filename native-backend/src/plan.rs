//! The difference between a live IPVS table and the wanted one, as the shortest list of
//! `IpvsOp`s that turns one into the other.
//!
//! Rules:
//! * services are matched by key; a wanted service that is missing is added, one that
//!   differs is edited (the whole object, as ipvsadm does); a live service that is not
//!   wanted is deleted only with `prune`. A service whose key changed is therefore a delete
//!   (with prune) plus an add.
//! * in a wanted service, dests are matched by address and port; unwanted ones are deleted,
//!   changed ones edited, missing ones added in reverse list order, because the kernel puts
//!   every new dest at the front of its list.
//! * dests that stay are not deleted just to reorder them (that would cut their live
//!   connections), unless exact order is asked for; `Plan::order_differs` names the services
//!   whose list order will then differ from the wanted one.
//! * timeouts are set when a wanted (non-zero) value differs; sync daemons are started or
//!   restarted when wanted, and stopped only with `prune`.

use lvslab_sim::admin::{
    format_addr_port, svc_flags, DestConfig, Family, FwdMethod, IpvsError, IpvsOp, LvsConfig,
    ServiceConfig, ServiceKey, SyncDaemonConfig, SyncState, TunType,
};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// How to plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete live services (and stop sync daemons) that the wanted table does not have.
    pub prune: bool,
    /// Also delete and re-add dests that stay, when that is needed for the kernel's list
    /// order to equal the wanted order exactly.
    pub exact_order: bool,
}

/// An ordered list of operations.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub ops: Vec<IpvsOp>,
    /// Services whose dest list order will differ from the wanted order after the plan.
    pub order_differs: Vec<ServiceKey>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }
    pub fn len(&self) -> usize {
        self.ops.len()
    }
}

/// The minimal plan from `live` to `want` (see the module rules).
pub fn plan(live: &LvsConfig, want: &LvsConfig, prune: bool) -> Plan {
    plan_with(
        live,
        want,
        PlanOptions {
            prune,
            exact_order: false,
        },
    )
}

/// The plan from `live` to `want` with explicit options.
pub fn plan_with(live: &LvsConfig, want: &LvsConfig, opts: PlanOptions) -> Plan {
    let mut p = Plan::default();

    let t = want.timeouts;
    let l = live.timeouts;
    if (t.tcp != 0 && t.tcp != l.tcp)
        || (t.tcp_fin != 0 && t.tcp_fin != l.tcp_fin)
        || (t.udp != 0 && t.udp != l.udp)
    {
        p.ops.push(IpvsOp::SetTimeouts(t));
    }

    let mut starts = Vec::new();
    for d in &want.daemons {
        match live.daemons.iter().find(|x| x.state == d.state) {
            Some(x) if daemon_matches(d, x) => {}
            Some(_) => {
                p.ops.push(IpvsOp::StopDaemon(d.state));
                starts.push(IpvsOp::StartDaemon(d.clone()));
            }
            None => starts.push(IpvsOp::StartDaemon(d.clone())),
        }
    }
    if opts.prune {
        for x in &live.daemons {
            if !want.daemons.iter().any(|d| d.state == x.state) {
                p.ops.push(IpvsOp::StopDaemon(x.state));
            }
        }
        for s in &live.services {
            if want.service(&s.config.key).is_none() {
                p.ops.push(IpvsOp::DelService(s.config.key));
            }
        }
    }

    for w in &want.services {
        let cfg = normalized(&w.config);
        let key = cfg.key;
        match live.service(&key) {
            None => {
                p.ops.push(IpvsOp::AddService(cfg));
                for d in w.dests.iter().rev() {
                    p.ops.push(IpvsOp::AddDest(key, d.clone()));
                }
            }
            Some(lv) => {
                if lv.config != cfg {
                    p.ops.push(IpvsOp::EditService(cfg));
                }
                plan_dests(&mut p, key, &lv.dests, &w.dests, opts.exact_order);
            }
        }
    }
    p.ops.extend(starts);
    p
}

fn same_dest(a: &DestConfig, b: &DestConfig) -> bool {
    a.addr == b.addr && a.port == b.port
}

fn plan_dests(
    p: &mut Plan,
    key: ServiceKey,
    live: &[DestConfig],
    want: &[DestConfig],
    exact: bool,
) {
    // Wanted dests that stay where they are: with exact order, the longest tail of the
    // wanted list that is already in the live list in the same relative order; otherwise
    // every wanted dest that is live.
    let stays: Vec<bool> = if exact {
        let mut stays = vec![false; want.len()];
        let mut next_live_index = usize::MAX;
        for (i, w) in want.iter().enumerate().rev() {
            match live.iter().position(|l| same_dest(l, w)) {
                Some(li) if li < next_live_index => {
                    next_live_index = li;
                    stays[i] = true;
                }
                _ => break,
            }
        }
        stays
    } else {
        want.iter()
            .map(|w| live.iter().any(|l| same_dest(l, w)))
            .collect()
    };
    let kept = |l: &DestConfig| want.iter().zip(&stays).any(|(w, s)| *s && same_dest(l, w));

    for l in live {
        if !kept(l) {
            p.ops.push(IpvsOp::DelDest {
                service: key,
                addr: l.addr,
                port: l.port,
            });
        }
    }
    for (w, _) in want.iter().zip(&stays).filter(|(_, s)| **s) {
        if let Some(l) = live.iter().find(|l| same_dest(l, w)) {
            if l != w {
                p.ops.push(IpvsOp::EditDest(key, w.clone()));
            }
        }
    }
    for (w, _) in want.iter().zip(&stays).filter(|(_, s)| !**s).rev() {
        p.ops.push(IpvsOp::AddDest(key, w.clone()));
    }

    // The list the kernel ends with: the added dests (front, in wanted order), then the
    // kept ones in their live order.
    let mut result: Vec<(IpAddr, u16)> = want
        .iter()
        .zip(&stays)
        .filter(|(_, s)| !**s)
        .map(|(w, _)| (w.addr, w.port))
        .collect();
    result.extend(live.iter().filter(|l| kept(l)).map(|l| (l.addr, l.port)));
    let wanted: Vec<(IpAddr, u16)> = want.iter().map(|w| (w.addr, w.port)).collect();
    if result != wanted {
        p.order_differs.push(key);
    }
}

/// A wanted service as the kernel will report it: only user-settable flags, no empty PE.
pub fn normalized(cfg: &ServiceConfig) -> ServiceConfig {
    let mut c = cfg.clone();
    c.flags &= svc_flags::USER_MASK;
    if c.pe_name.as_deref() == Some("") {
        c.pe_name = None;
    }
    c
}

/// Whether a running daemon satisfies a wanted one: state, interface and sync id must be
/// equal; optional settings the wanted daemon leaves unset may have any (kernel default) value.
pub fn daemon_matches(want: &SyncDaemonConfig, live: &SyncDaemonConfig) -> bool {
    fn opt<T: PartialEq>(w: &Option<T>, l: &Option<T>) -> bool {
        w.is_none() || w == l
    }
    want.state == live.state
        && want.mcast_ifn == live.mcast_ifn
        && want.syncid == live.syncid
        && opt(&want.maxlen, &live.maxlen)
        && opt(&want.mcast_group, &live.mcast_group)
        && opt(&want.mcast_port, &live.mcast_port)
        && opt(&want.mcast_ttl, &live.mcast_ttl)
}

/// The table a plan produces from `live`, by the kernel's rules (`LvsConfig::apply`);
/// the first refused operation is returned with its index.
pub fn simulate(live: &LvsConfig, plan: &Plan) -> Result<LvsConfig, (usize, IpvsError)> {
    let mut t = live.clone();
    for (i, op) in plan.ops.iter().enumerate() {
        t.apply(op).map_err(|e| (i, e))?;
    }
    Ok(t)
}

/// Where a table differs from the wanted one, for the services the wanted table names
/// (every service with `prune`), the timeouts it sets and its daemons. Dests are compared
/// in list order when `order` is set, as sets otherwise. Empty = they agree.
pub fn differences(got: &LvsConfig, want: &LvsConfig, prune: bool, order: bool) -> Vec<String> {
    let mut out = Vec::new();
    for w in &want.services {
        let cfg = normalized(&w.config);
        match got.service(&cfg.key) {
            None => out.push(format!("service {} is missing", cfg.key)),
            Some(g) => {
                if g.config != cfg {
                    out.push(format!("service {} has other settings", cfg.key));
                }
                for d in &w.dests {
                    match g.dests.iter().find(|x| same_dest(x, d)) {
                        None => out.push(format!(
                            "{}: dest {} is missing",
                            cfg.key,
                            format_addr_port(&d.addr, d.port)
                        )),
                        Some(x) if x != d => out.push(format!(
                            "{}: dest {} has other settings",
                            cfg.key,
                            format_addr_port(&d.addr, d.port)
                        )),
                        Some(_) => {}
                    }
                }
                for x in &g.dests {
                    if !w.dests.iter().any(|d| same_dest(x, d)) {
                        out.push(format!(
                            "{}: dest {} is not wanted",
                            cfg.key,
                            format_addr_port(&x.addr, x.port)
                        ));
                    }
                }
                let same_set = g.dests.len() == w.dests.len()
                    && w.dests.iter().all(|d| g.dests.iter().any(|x| x == d));
                if order && same_set {
                    let a: Vec<_> = g.dests.iter().map(|d| (d.addr, d.port)).collect();
                    let b: Vec<_> = w.dests.iter().map(|d| (d.addr, d.port)).collect();
                    if a != b {
                        out.push(format!("{}: dests are in another list order", cfg.key));
                    }
                }
            }
        }
    }
    if prune {
        for g in &got.services {
            if want.service(&g.config.key).is_none() {
                out.push(format!("service {} is not wanted", g.config.key));
            }
        }
    }
    let (t, g) = (want.timeouts, got.timeouts);
    if (t.tcp != 0 && t.tcp != g.tcp)
        || (t.tcp_fin != 0 && t.tcp_fin != g.tcp_fin)
        || (t.udp != 0 && t.udp != g.udp)
    {
        out.push(format!(
            "timeouts are {} {} {}, wanted {} {} {}",
            g.tcp, g.tcp_fin, g.udp, t.tcp, t.tcp_fin, t.udp
        ));
    }
    for d in &want.daemons {
        if !got.daemons.iter().any(|x| daemon_matches(d, x)) {
            out.push(format!(
                "{} sync daemon is not running as wanted",
                state_name(d.state)
            ));
        }
    }
    if prune {
        for x in &got.daemons {
            if !want.daemons.iter().any(|d| d.state == x.state) {
                out.push(format!("{} sync daemon is not wanted", state_name(x.state)));
            }
        }
    }
    out
}

fn state_name(s: SyncState) -> &'static str {
    match s {
        SyncState::Master => "master",
        SyncState::Backup => "backup",
    }
}

// ---------------------------------------------------------------------------------------------
// Display in ipvsadm syntax

/// `+` adds, `~` changes, `-` removes.
pub fn op_sign(op: &IpvsOp) -> char {
    match op {
        IpvsOp::AddService(_) | IpvsOp::AddDest(..) | IpvsOp::StartDaemon(_) => '+',
        IpvsOp::EditService(_)
        | IpvsOp::EditDest(..)
        | IpvsOp::SetTimeouts(_)
        | IpvsOp::Zero(_) => '~',
        IpvsOp::DelService(_) | IpvsOp::DelDest { .. } | IpvsOp::Flush | IpvsOp::StopDaemon(_) => {
            '-'
        }
    }
}

fn sched_flag_names(cfg: &ServiceConfig) -> Vec<&'static str> {
    let (f1, f2) = match cfg.scheduler.as_str() {
        "sh" => ("sh-fallback", "sh-port"),
        "mh" => ("mh-fallback", "mh-port"),
        _ => ("flag-1", "flag-2"),
    };
    let mut v = Vec::new();
    if cfg.flags & svc_flags::SCHED1 != 0 {
        v.push(f1);
    }
    if cfg.flags & svc_flags::SCHED2 != 0 {
        v.push(f2);
    }
    if cfg.flags & svc_flags::SCHED3 != 0 {
        v.push("flag-3");
    }
    v
}

fn service_options(cfg: &ServiceConfig) -> String {
    let mut s = format!("{} -s {}", cfg.key, cfg.scheduler);
    if cfg.persistent() {
        s += &format!(" -p {}", cfg.timeout);
        if !cfg.default_netmask() {
            match cfg.key.family() {
                Family::Inet => s += &format!(" -M {}", Ipv4Addr::from(cfg.netmask)),
                Family::Inet6 => s += &format!(" -M {}", cfg.netmask),
            }
        }
    }
    if let Some(pe) = &cfg.pe_name {
        s += &format!(" --pe {pe}");
    }
    if cfg.one_packet() {
        s += " -o";
    }
    let flags = sched_flag_names(cfg);
    if !flags.is_empty() {
        s += &format!(" -b {}", flags.join(","));
    }
    s
}

fn dest_options(key: &ServiceKey, d: &DestConfig) -> String {
    let fwd = match d.fwd {
        FwdMethod::Masq => "-m",
        FwdMethod::Tunnel => "-i",
        FwdMethod::Route | FwdMethod::Local => "-g",
    };
    let mut s = format!(
        "{key} -r {} {fwd} -w {}",
        format_addr_port(&d.addr, d.port),
        d.weight
    );
    if d.u_threshold != 0 {
        s += &format!(" -x {}", d.u_threshold);
    }
    if d.l_threshold != 0 {
        s += &format!(" -y {}", d.l_threshold);
    }
    if d.fwd == FwdMethod::Tunnel {
        let csum = match d.tun_csum {
            lvslab_sim::admin::TunCsum::NoCsum => "--tun-nocsum",
            lvslab_sim::admin::TunCsum::Csum => "--tun-csum",
            lvslab_sim::admin::TunCsum::RemCsum => "--tun-remcsum",
        };
        match d.tun_type {
            TunType::Ipip => s += " --tun-type ipip",
            TunType::Gue => s += &format!(" --tun-type gue --tun-port {} {csum}", d.tun_port),
            TunType::Gre => s += &format!(" --tun-type gre {csum}"),
        }
    }
    s
}

fn daemon_options(d: &SyncDaemonConfig) -> String {
    let mut s = format!(
        "--start-daemon {} --mcast-interface {} --syncid {}",
        state_name(d.state),
        d.mcast_ifn,
        d.syncid
    );
    if let Some(m) = d.maxlen {
        s += &format!(" --sync-maxlen {m}");
    }
    if let Some(g) = d.mcast_group {
        s += &format!(" --mcast-group {g}");
    }
    if let Some(p) = d.mcast_port {
        s += &format!(" --mcast-port {p}");
    }
    if let Some(t) = d.mcast_ttl {
        s += &format!(" --mcast-ttl {t}");
    }
    s
}

/// One operation as an ipvsadm command line (without the program name).
pub fn format_op(op: &IpvsOp) -> String {
    match op {
        IpvsOp::AddService(c) => format!("-A {}", service_options(c)),
        IpvsOp::EditService(c) => format!("-E {}", service_options(c)),
        IpvsOp::DelService(k) => format!("-D {k}"),
        IpvsOp::Flush => "-C".into(),
        IpvsOp::AddDest(k, d) => format!("-a {}", dest_options(k, d)),
        IpvsOp::EditDest(k, d) => format!("-e {}", dest_options(k, d)),
        IpvsOp::DelDest {
            service,
            addr,
            port,
        } => {
            format!("-d {service} -r {}", format_addr_port(addr, *port))
        }
        IpvsOp::SetTimeouts(t) => format!("--set {} {} {}", t.tcp, t.tcp_fin, t.udp),
        IpvsOp::Zero(None) => "-Z".into(),
        IpvsOp::Zero(Some(k)) => format!("-Z {k}"),
        IpvsOp::StartDaemon(d) => daemon_options(d),
        IpvsOp::StopDaemon(s) => format!("--stop-daemon {}", state_name(*s)),
    }
}

impl fmt::Display for Plan {
    /// One line per operation: sign, space, ipvsadm arguments.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.ops {
            writeln!(f, "{} {}", op_sign(op), format_op(op))?;
        }
        Ok(())
    }
}

/// A whole table as the operations that build it from nothing (for `--dry-run` on an
/// empty director and for exports).
pub fn build_plan(want: &LvsConfig) -> Plan {
    plan(
        &LvsConfig {
            services: Vec::new(),
            timeouts: want.timeouts,
            daemons: Vec::new(),
        },
        want,
        false,
    )
}

#[cfg(test)]
mod tests;
