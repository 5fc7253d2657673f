//! The `virtual_server` part of keepalived.conf <-> the shared `LvsConfig`.
//!
//! `initial_table` is the IPVS table keepalived's checker process programs at start-up
//! (KA:check/ipwrapper.c `init_services`): every service, and every real server with its
//! weight unless `alpha` says checkers start failed. `from_lvs` goes the other way for
//! `lvslab export --to keepalived`, so that ipvsadm rules and keepalived.conf round-trip.

use super::*;
use crate::admin::{
    svc_flags, DestConfig, Family, IpvsError, IpvsOp, LvsConfig, ServiceConfig, ServiceKey,
};

/// The kernel service key of a virtual server.
pub fn service_key(v: &VirtualServer) -> ServiceKey {
    match v.key {
        VsKey::Addr { addr, port } => ServiceKey::Addr {
            proto: v.protocol,
            addr,
            port,
        },
        VsKey::Fwmark(mark) => ServiceKey::Fwmark {
            mark,
            family: Family::Inet,
        },
    }
}

/// The service as keepalived sends it to the kernel.
pub fn service_config(v: &VirtualServer) -> ServiceConfig {
    let mut c = ServiceConfig::new(service_key(v));
    c.scheduler = v.lb_algo.clone();
    if let Some(t) = v.persistence_timeout {
        c.flags |= svc_flags::PERSISTENT;
        c.timeout = t;
        c.netmask = v.persistence_granularity;
    }
    c
}

/// A real server as keepalived sends it: the virtual server's forwarding method, the port
/// forced to the service's for DR/TUN (0 for fwmark services), the given weight.
pub fn dest_config(v: &VirtualServer, r: &RealServer, weight: i32) -> DestConfig {
    let port = match (v.lb_kind, v.key) {
        (FwdMethod::Masq, _) => r.port,
        (_, VsKey::Addr { port, .. }) => port,
        (_, VsKey::Fwmark(_)) => 0,
    };
    let mut d = DestConfig::new(r.addr, port)
        .with_fwd(v.lb_kind)
        .with_weight(weight.max(0));
    d.u_threshold = r.uthreshold;
    d.l_threshold = r.lthreshold;
    d
}

/// The sorry server's dest.
pub fn sorry_dest(v: &VirtualServer) -> Option<DestConfig> {
    v.sorry_server.map(|(addr, port)| {
        let r = RealServer {
            addr,
            port,
            weight: 1,
            inhibit_on_failure: false,
            uthreshold: 0,
            lthreshold: 0,
            checkers: Vec::new(),
        };
        dest_config(v, &r, 1)
    })
}

/// The operations keepalived performs at start-up for one virtual server.
pub fn startup_ops(v: &VirtualServer) -> Vec<IpvsOp> {
    let key = service_key(v);
    let mut ops = vec![IpvsOp::AddService(service_config(v))];
    let mut live: i64 = 0;
    for r in &v.real_servers {
        // With alpha every checker starts failed: the server is not added (or added with
        // weight 0 when inhibit_on_failure). Without checkers a server is always alive.
        let alive = !v.alpha || r.checkers.is_empty();
        if alive {
            live += r.weight as i64;
            ops.push(IpvsOp::AddDest(key, dest_config(v, r, r.weight)));
        } else if r.inhibit_on_failure {
            ops.push(IpvsOp::AddDest(key, dest_config(v, r, 0)));
        }
    }
    let quorum_up = live.max(0) >= (v.quorum + v.hysteresis) as i64;
    if !quorum_up {
        if let Some(d) = sorry_dest(v) {
            ops.push(IpvsOp::AddDest(key, d));
        }
    }
    ops
}

/// The table keepalived programs at start-up.
pub fn initial_table(c: &KeepalivedConfig) -> Result<LvsConfig, IpvsError> {
    let mut t = LvsConfig::default();
    for v in &c.virtual_servers {
        for op in startup_ops(v) {
            t.apply(&op)?;
        }
    }
    Ok(t)
}

/// Virtual servers describing an IPVS table (no health checkers: keepalived then keeps
/// every server in). Fails when one service mixes forwarding methods, which keepalived's
/// per-virtual-server `lb_kind` cannot express.
pub fn from_lvs(t: &LvsConfig) -> Result<Vec<VirtualServer>, String> {
    let mut out = Vec::new();
    for s in &t.services {
        let (key, protocol) = match s.config.key {
            ServiceKey::Addr { proto, addr, port } => (VsKey::Addr { addr, port }, proto),
            ServiceKey::Fwmark { mark, family } => {
                if family != Family::Inet {
                    return Err(format!(
                        "fwmark {mark}: IPv6 fwmark services are not modelled"
                    ));
                }
                (VsKey::Fwmark(mark), Protocol::Tcp)
            }
        };
        let lb_kind = s.dests.first().map(|d| d.fwd).unwrap_or(FwdMethod::Route);
        if let Some(d) = s.dests.iter().find(|d| d.fwd != lb_kind) {
            return Err(format!(
                "service {}: real servers use both {} and {} ({}); keepalived sets one lb_kind per virtual_server",
                s.config.key,
                lb_kind.mode_name(),
                d.fwd.mode_name(),
                d.addr
            ));
        }
        if let Some(d) = s.dests.iter().find(|d| d.fwd == FwdMethod::Local) {
            return Err(format!(
                "service {}: {} is a local dest, which keepalived cannot express",
                s.config.key, d.addr
            ));
        }
        let persistent = s.config.persistent();
        // Dests are listed newest first; keepalived adds them in file order.
        let real_servers = s
            .dests
            .iter()
            .rev()
            .map(|d| RealServer {
                addr: d.addr,
                port: d.port,
                weight: d.weight,
                inhibit_on_failure: false,
                uthreshold: d.u_threshold,
                lthreshold: d.l_threshold,
                checkers: Vec::new(),
            })
            .collect();
        out.push(VirtualServer {
            key,
            protocol,
            delay_loop: defaults::DELAY_LOOP,
            lb_algo: s.config.scheduler.clone(),
            lb_kind,
            persistence_timeout: persistent.then_some(s.config.timeout),
            persistence_granularity: if persistent {
                s.config.netmask
            } else {
                0xffff_ffff
            },
            sorry_server: None,
            sorry_server_inhibit: false,
            quorum: 1,
            hysteresis: 0,
            alpha: false,
            omega: false,
            ha_suspend: false,
            real_servers,
        });
    }
    Ok(out)
}
