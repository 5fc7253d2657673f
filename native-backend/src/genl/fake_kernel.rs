//! A transport that answers like the kernel's IPVS family, backed by an in-memory table:
//! it decodes each request with this module's parser, applies it with the kernel's rules
//! and replies in the kernel's format (dumps several messages per datagram, then DONE;
//! ACKs and errors as NLMSG_ERROR). It exercises `NetlinkIpvs` end to end.

use super::attrs::{DestAttr, IpvsAttr, SvcAttr, SvcFlags};
use super::client::Transport;
use super::convert::*;
use super::message::{IpvsCmd, IpvsMessage};
use lvslab_sim::admin::{DestConfig, IpvsError, IpvsOp, LvsConfig, ServiceKey, SyncState};
use lvslab_sim::ipvs::snapshot::StatsSnapshot;
use netlink_packet_core::{Emitable, NetlinkBuffer, NetlinkMessage, NetlinkPayload};
use netlink_packet_generic::GenlMessage;
use std::collections::VecDeque;
use std::io;

pub const FAMILY: u16 = 0x1c;

#[derive(Default)]
pub struct FakeKernel {
    pub table: LvsConfig,
    pub no_ipvs: bool,
    pub deny: bool,
    outbox: VecDeque<Vec<u8>>,
    pub requests: usize,
    /// Fail the Nth changing request (1-based) with this errno.
    pub fail_op: Option<(usize, i32)>,
    ops: usize,
}

fn header(ty: u16, flags: u16, seq: u32) -> Vec<u8> {
    let mut v = vec![0u8; 16];
    v[4..6].copy_from_slice(&ty.to_ne_bytes());
    v[6..8].copy_from_slice(&flags.to_ne_bytes());
    v[8..12].copy_from_slice(&seq.to_ne_bytes());
    v
}

fn finish(mut v: Vec<u8>) -> Vec<u8> {
    let len = v.len() as u32;
    v[..4].copy_from_slice(&len.to_ne_bytes());
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}

fn error_msg(seq: u32, errno: i32) -> Vec<u8> {
    let mut v = header(2, 0, seq);
    v.extend_from_slice(&(-errno).to_ne_bytes());
    v.extend_from_slice(&header(0, 0, seq)); // the request's header, as the kernel echoes it
    finish(v)
}

fn genl(seq: u32, flags: u16, cmd: IpvsCmd, attrs: Vec<IpvsAttr>) -> Vec<u8> {
    let m = IpvsMessage::new(cmd, attrs);
    let mut v = header(FAMILY, flags, seq);
    v.extend_from_slice(&[cmd.into(), 1, 0, 0]);
    let mut body = vec![0u8; m.buffer_len()];
    m.emit(&mut body);
    v.extend_from_slice(&body);
    finish(v)
}

fn key_of(attrs: &[SvcAttr]) -> Option<ServiceKey> {
    let mut a = attrs.to_vec();
    if !a.iter().any(|x| matches!(x, SvcAttr::SchedName(_))) {
        a.push(SvcAttr::SchedName("wlc".into()));
    }
    service_from_attrs(&a).ok().map(|(c, _)| c.key)
}

fn dest_of(attrs: &[DestAttr], key: &ServiceKey) -> Option<DestConfig> {
    let mut a = attrs.to_vec();
    if !a.iter().any(|x| matches!(x, DestAttr::FwdMethod(_))) {
        a.push(DestAttr::FwdMethod(0));
        a.push(DestAttr::Weight(0));
    }
    dest_from_attrs(&a, key.family()).ok().map(|d| d.config)
}

impl FakeKernel {
    fn op_of(m: &IpvsMessage) -> Option<IpvsOp> {
        let svc = m.attrs.iter().find_map(|a| {
            if let IpvsAttr::Service(s) = a {
                Some(s.as_slice())
            } else {
                None
            }
        });
        let dest = m.attrs.iter().find_map(|a| {
            if let IpvsAttr::Dest(d) = a {
                Some(d.as_slice())
            } else {
                None
            }
        });
        let daemon = m.attrs.iter().find_map(|a| {
            if let IpvsAttr::Daemon(d) = a {
                Some(d.as_slice())
            } else {
                None
            }
        });
        Some(match m.cmd {
            IpvsCmd::NewService => IpvsOp::AddService(service_from_attrs(svc?).ok()?.0),
            IpvsCmd::SetService => IpvsOp::EditService(service_from_attrs(svc?).ok()?.0),
            IpvsCmd::DelService => IpvsOp::DelService(key_of(svc?)?),
            IpvsCmd::NewDest | IpvsCmd::SetDest | IpvsCmd::DelDest => {
                let key = key_of(svc?)?;
                let d = dest_of(dest?, &key)?;
                match m.cmd {
                    IpvsCmd::NewDest => IpvsOp::AddDest(key, d),
                    IpvsCmd::SetDest => IpvsOp::EditDest(key, d),
                    _ => IpvsOp::DelDest {
                        service: key,
                        addr: d.addr,
                        port: d.port,
                    },
                }
            }
            IpvsCmd::Flush => IpvsOp::Flush,
            IpvsCmd::SetConfig => IpvsOp::SetTimeouts(timeouts_from_attrs(&m.attrs)),
            IpvsCmd::Zero => IpvsOp::Zero(svc.and_then(key_of)),
            IpvsCmd::NewDaemon => IpvsOp::StartDaemon(daemon_from_attrs(daemon?).ok()?),
            IpvsCmd::DelDaemon => IpvsOp::StopDaemon(match daemon?.first()? {
                super::attrs::DaemonAttr::State(1) => SyncState::Master,
                _ => SyncState::Backup,
            }),
            _ => return None,
        })
    }

    fn handle(&mut self, req: &[u8]) -> Vec<Vec<u8>> {
        self.requests += 1;
        let nb = NetlinkBuffer::new_checked(req).expect("request has a netlink header");
        let (ty, seq, flags) = (nb.message_type(), nb.sequence_number(), nb.flags());
        if ty == 16 {
            if self.no_ipvs {
                return vec![error_msg(seq, 2)];
            }
            let mut v = header(16, 0, seq);
            v.extend_from_slice(&[1, 2, 0, 0]);
            for (kind, payload) in [
                (2u16, b"IPVS\0".to_vec()),
                (1, FAMILY.to_ne_bytes().to_vec()),
                (3, 1u32.to_ne_bytes().to_vec()),
                (5, 6u32.to_ne_bytes().to_vec()),
            ] {
                let mut a = ((4 + payload.len()) as u16).to_ne_bytes().to_vec();
                a.extend_from_slice(&kind.to_ne_bytes());
                a.extend_from_slice(&payload);
                while a.len() % 4 != 0 {
                    a.push(0);
                }
                v.extend_from_slice(&a);
            }
            return vec![finish(v), error_msg(seq, 0)];
        }
        assert_eq!(ty, FAMILY, "request sent to the resolved family");
        if self.deny {
            return vec![error_msg(seq, 1)];
        }
        let msg =
            NetlinkMessage::<GenlMessage<IpvsMessage>>::deserialize(req).expect("request parses");
        let NetlinkPayload::InnerMessage(g) = msg.payload else {
            panic!("not a genl request")
        };
        let m = g.payload;
        let dump = flags & 0x300 == 0x300;
        let multi = 2u16;
        let done = {
            let mut v = header(3, multi, seq);
            v.extend_from_slice(&0i32.to_ne_bytes());
            finish(v)
        };
        match m.cmd {
            IpvsCmd::GetService if dump => {
                let stats = StatsSnapshot {
                    conns: 5,
                    inbytes: 1 << 33,
                    ..Default::default()
                };
                // Two services per datagram, like a kernel filling a page.
                let mut out = Vec::new();
                for chunk in self.table.services.chunks(2) {
                    let mut dg = Vec::new();
                    for s in chunk {
                        let mut attrs = service_spec(&s.config);
                        for a in attrs.iter_mut() {
                            if let SvcAttr::Flags(f) = a {
                                *f = SvcFlags {
                                    flags: f.flags | 0x2,
                                    mask: !0,
                                }; // HASHED
                            }
                        }
                        attrs.push(SvcAttr::Stats(stats32_attrs(&stats)));
                        attrs.push(SvcAttr::Stats64(stats64_attrs(&stats)));
                        dg.extend(genl(
                            seq,
                            multi,
                            IpvsCmd::NewService,
                            vec![IpvsAttr::Service(attrs)],
                        ));
                    }
                    out.push(dg);
                }
                out.push(done);
                out
            }
            IpvsCmd::GetDest if dump => {
                let key = m.attrs.iter().find_map(|a| {
                    if let IpvsAttr::Service(s) = a {
                        key_of(s)
                    } else {
                        None
                    }
                });
                let mut dg = Vec::new();
                if let Some(s) = key.and_then(|k| self.table.service(&k)) {
                    for d in &s.dests {
                        let mut attrs = dest_spec(d);
                        attrs.push(DestAttr::ActiveConns(1));
                        attrs.push(DestAttr::InactConns(2));
                        attrs.push(DestAttr::PersistConns(0));
                        attrs.push(DestAttr::Stats64(stats64_attrs(&StatsSnapshot::default())));
                        dg.extend(genl(
                            seq,
                            multi,
                            IpvsCmd::NewDest,
                            vec![IpvsAttr::Dest(attrs)],
                        ));
                    }
                }
                dg.extend(done);
                vec![dg]
            }
            IpvsCmd::GetDaemon if dump => {
                let mut dg = Vec::new();
                for d in &self.table.daemons {
                    let mut d = d.clone();
                    d.mcast_port.get_or_insert(8848);
                    d.mcast_ttl.get_or_insert(1);
                    dg.extend(genl(
                        seq,
                        multi,
                        IpvsCmd::NewDaemon,
                        vec![IpvsAttr::Daemon(daemon_spec(&d))],
                    ));
                }
                dg.extend(done);
                vec![dg]
            }
            IpvsCmd::GetConfig => {
                vec![
                    genl(
                        seq,
                        0,
                        IpvsCmd::SetConfig,
                        timeouts_attrs(&self.table.timeouts),
                    ),
                    error_msg(seq, 0),
                ]
            }
            IpvsCmd::GetInfo => vec![
                genl(
                    seq,
                    0,
                    IpvsCmd::SetInfo,
                    vec![
                        IpvsAttr::InfoVersion(0x010201),
                        IpvsAttr::InfoConnTabSize(4096),
                    ],
                ),
                error_msg(seq, 0),
            ],
            _ => match Self::op_of(&m) {
                None => vec![error_msg(seq, 22)],
                Some(_)
                    if {
                        self.ops += 1;
                        self.fail_op.is_some_and(|(n, _)| n == self.ops)
                    } =>
                {
                    vec![error_msg(seq, self.fail_op.map(|(_, e)| e).unwrap_or(22))]
                }
                Some(op) => match self.table.apply(&op) {
                    Ok(()) => vec![error_msg(seq, 0)],
                    Err(e) => vec![error_msg(seq, errno_of(&e))],
                },
            },
        }
    }
}

fn errno_of(e: &IpvsError) -> i32 {
    e.errno()
}

/// Shares the fake kernel between the client (which owns its transport) and the test.
#[derive(Clone, Default)]
pub struct Shared(pub std::rc::Rc<std::cell::RefCell<FakeKernel>>);

impl Transport for Shared {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        let mut k = self.0.borrow_mut();
        let replies = k.handle(datagram);
        k.outbox.extend(replies);
        Ok(())
    }
    fn recv(&mut self) -> io::Result<Vec<u8>> {
        self.0
            .borrow_mut()
            .outbox
            .pop_front()
            .ok_or_else(|| io::Error::new(io::ErrorKind::WouldBlock, "no reply"))
    }
}

#[cfg(test)]
mod client_tests {
    use super::*;
    use crate::apply::{apply, ApplyError, ApplyFailure, RollbackOutcome};
    use crate::genl::NetlinkIpvs;
    use crate::live::{read_live, BackendError, IpvsBackend};
    use lvslab_sim::admin::{
        DestConfig, Family, FwdMethod, Protocol, ServiceConfig, SyncDaemonConfig, Timeouts,
        TunCsum, TunType, VirtualService,
    };

    fn key(vip: &str, port: u16) -> ServiceKey {
        ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: vip.parse().unwrap(),
            port,
        }
    }

    fn design() -> LvsConfig {
        let mut sh = ServiceConfig::new(key("10.0.0.2", 443));
        sh.scheduler = "sh".into();
        sh.flags = 0x1 | 0x8 | 0x10;
        sh.timeout = 300;
        sh.netmask = 0xffff_ff00;
        let mut gue =
            DestConfig::new("10.0.0.11".parse().unwrap(), 443).with_fwd(FwdMethod::Tunnel);
        gue.tun_type = TunType::Gue;
        gue.tun_port = 6080;
        gue.tun_csum = TunCsum::RemCsum;
        let mut fw6 = ServiceConfig::new(ServiceKey::Fwmark {
            mark: 3,
            family: Family::Inet6,
        });
        fw6.scheduler = "rr".into();
        fw6.flags = 0x1;
        fw6.timeout = 60;
        fw6.netmask = 64;
        let nat = |ip: &str, w| {
            DestConfig::new(ip.parse().unwrap(), 80)
                .with_fwd(FwdMethod::Masq)
                .with_weight(w)
        };
        let mut wrr = ServiceConfig::new(key("10.0.0.1", 80));
        wrr.scheduler = "wrr".into();
        LvsConfig {
            services: vec![
                VirtualService {
                    config: wrr,
                    dests: vec![
                        nat("192.168.10.13", 2),
                        nat("192.168.10.12", 3),
                        nat("192.168.10.11", 4),
                    ],
                },
                VirtualService {
                    config: sh,
                    dests: vec![gue, DestConfig::new("10.0.0.12".parse().unwrap(), 443)],
                },
                VirtualService {
                    config: fw6,
                    dests: vec![DestConfig::new("2001:db8:1::11".parse().unwrap(), 0)
                        .with_fwd(FwdMethod::Masq)],
                },
            ],
            timeouts: Timeouts {
                tcp: 600,
                tcp_fin: 60,
                udp: 200,
            },
            daemons: vec![SyncDaemonConfig {
                state: SyncState::Master,
                mcast_ifn: "eth0".into(),
                syncid: 9,
                maxlen: None,
                mcast_group: None,
                mcast_port: None,
                mcast_ttl: None,
            }],
        }
    }

    fn client(k: &Shared) -> NetlinkIpvs {
        NetlinkIpvs::with_transport(Box::new(k.clone())).expect("family resolves")
    }

    #[test]
    fn apply_and_read_back_over_the_netlink_client() {
        let k = Shared::default();
        let mut c = client(&k);
        assert_eq!(c.family().id, FAMILY);
        let report = apply(&mut c, &design(), true).expect("applies and verifies");
        assert!(report.plan.len() >= 10);
        let live = read_live(&mut c).unwrap();
        assert_eq!(
            live.services,
            design().services,
            "list order and every field survive the wire"
        );
        assert_eq!(live.timeouts, design().timeouts);
        assert_eq!(live.daemons[0].mcast_port, Some(8848));
        assert!(
            apply(&mut c, &design(), true).unwrap().plan.is_empty(),
            "idempotent"
        );

        let info = c.get_info().unwrap();
        assert_eq!(
            (info.version_string(), info.conn_tab_size),
            ("1.2.1".into(), 4096)
        );
        let snap = c.snapshot().unwrap();
        assert_eq!(snap.services.len(), 3);
        assert_eq!(
            snap.services[0].stats.inbytes,
            1 << 33,
            "64-bit counters come from STATS64"
        );
        assert_eq!(snap.services[0].dests[0].inactive, 2);
        assert!(c.get_dests(&key("10.9.9.9", 1)).unwrap().is_empty());
    }

    #[test]
    fn kernel_errors_map_to_ipvs_errors_and_rollback_works_over_netlink() {
        let k = Shared::default();
        let mut c = client(&k);
        let s = ServiceConfig::new(key("10.0.0.1", 80));
        c.new_service(&s).unwrap();
        assert_eq!(
            c.new_service(&s),
            Err(BackendError::Refused(IpvsError::ServiceExists))
        );
        assert_eq!(
            c.del_dest(&s.key, "1.1.1.1".parse().unwrap(), 80),
            Err(BackendError::Refused(IpvsError::NoDest))
        );
        assert_eq!(
            c.del_service(&key("10.0.0.7", 80)),
            Err(BackendError::Refused(IpvsError::NoService))
        );
        c.flush().unwrap();

        // A dest the kernel refuses (negative weight -> ERANGE) mid-apply: rolled back.
        k.0.borrow_mut().table = design();
        let before = k.0.borrow().table.clone();
        let mut want = design();
        want.services[0].dests[0].weight = 7;
        want.services[0]
            .dests
            .push(DestConfig::new("192.168.10.99".parse().unwrap(), 80).with_fwd(FwdMethod::Masq));
        want.services[2].dests[0].weight = -1;
        // The model refuses it before touching the kernel.
        assert!(matches!(
            apply(&mut c, &want, false),
            Err(ApplyError::Aborted {
                failure: ApplyFailure::Refused { .. },
                ..
            })
        ));
        assert_eq!(k.0.borrow().table, before);

        // The kernel refuses the second change (ENOMEM): the first is undone over netlink.
        want.services[2].dests[0].weight = 1;
        {
            let mut kernel = k.0.borrow_mut();
            kernel.ops = 0;
            kernel.fail_op = Some((2, 12));
        }
        let err = apply(&mut c, &want, false).unwrap_err();
        let ApplyError::Aborted {
            failure: ApplyFailure::Step {
                index: 1, error, ..
            },
            rollback,
            applied: 1,
            ..
        } = &err
        else {
            panic!("{err}")
        };
        assert!(
            matches!(error, BackendError::Errno { errno: 12, .. }),
            "{error}"
        );
        assert!(
            matches!(rollback, RollbackOutcome::Restored { .. }),
            "{err}"
        );
        assert_eq!(k.0.borrow().table, before, "dest list order restored too");
    }

    #[test]
    fn permission_and_missing_module_are_explained() {
        let k = Shared::default();
        k.0.borrow_mut().no_ipvs = true;
        let e = NetlinkIpvs::with_transport(Box::new(k.clone()))
            .err()
            .unwrap();
        assert_eq!(e, BackendError::NoIpvs);
        assert_eq!(
            e.to_string(),
            "the kernel has no IPVS (load it with `modprobe ip_vs`)"
        );

        let k = Shared::default();
        let mut c = client(&k);
        k.0.borrow_mut().deny = true;
        assert_eq!(c.read(), Err(BackendError::Permission));
        assert_eq!(c.flush(), Err(BackendError::Permission));
        assert!(matches!(
            apply(&mut c, &design(), false),
            Err(ApplyError::Read(BackendError::Permission))
        ));
    }
}
