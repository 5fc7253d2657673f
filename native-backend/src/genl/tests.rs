//! Byte-level tests: messages built by hand following the kernel's layout (nlmsghdr,
//! genlmsghdr, attributes padded to 4 bytes, ports in network order, nests without
//! NLA_F_NESTED, u64 counters with IPVS_STATS_ATTR_PAD), parsed, checked and re-emitted.

use super::attrs::*;
use super::client::{encode_request, parse_datagram, request_for, Reply};
use super::convert::*;
use super::ctrl::FamilyInfo;
use super::message::{IpvsCmd, IpvsMessage};
use lvslab_sim::admin::*;
use netlink_packet_core::{Emitable, NetlinkMessage};
use netlink_packet_generic::GenlMessage;
use proptest::prelude::*;
use std::net::IpAddr;

const FAMILY: u16 = 0x1c;

// --- a tiny independent encoder, written from the kernel's struct layouts -----------------

fn nla(kind: u16, payload: &[u8]) -> Vec<u8> {
    let len = 4 + payload.len();
    let mut v = Vec::new();
    v.extend_from_slice(&(len as u16).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(payload);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    v
}
fn nest(kind: u16, parts: &[Vec<u8>]) -> Vec<u8> {
    nla(kind, &parts.concat())
}
fn u16a(kind: u16, x: u16) -> Vec<u8> {
    nla(kind, &x.to_ne_bytes())
}
fn be16a(kind: u16, x: u16) -> Vec<u8> {
    nla(kind, &x.to_be_bytes())
}
fn u32a(kind: u16, x: u32) -> Vec<u8> {
    nla(kind, &x.to_ne_bytes())
}
fn u64a(kind: u16, x: u64) -> Vec<u8> {
    nla(kind, &x.to_ne_bytes())
}
fn pad() -> Vec<u8> {
    nla(stats_attr::PAD, &[])
}
fn addr16(ip: &str) -> Vec<u8> {
    let mut b = vec![0u8; 16];
    match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(a) => b[..4].copy_from_slice(&a.octets()),
        IpAddr::V6(a) => b.copy_from_slice(&a.octets()),
    }
    b
}
fn str0(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}
/// nlmsghdr (len, type, flags, seq, pid) + genlmsghdr (cmd, version, reserved) + attributes.
fn genl_msg(ty: u16, flags: u16, seq: u32, cmd: u8, attrs: &[Vec<u8>]) -> Vec<u8> {
    let body = attrs.concat();
    let len = 16 + 4 + body.len();
    let mut v = Vec::new();
    v.extend_from_slice(&(len as u32).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&4321u32.to_ne_bytes());
    v.extend_from_slice(&[cmd, 1, 0, 0]);
    v.extend_from_slice(&body);
    v
}
fn nlmsg(ty: u16, flags: u16, seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((16 + payload.len()) as u32).to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(payload);
    v
}
const NLM_F_MULTI: u16 = 2;

/// STATS as ip_vs_genl_fill_stats writes it, with a PAD before each u64 (an architecture
/// without cheap unaligned access, where the u64 payload would sit at 4 mod 8).
fn stats32(conns: u32, inbytes: u64) -> Vec<u8> {
    nest(
        10,
        &[
            u32a(1, conns),
            u32a(2, 50),
            u32a(3, 40),
            pad(),
            u64a(4, inbytes),
            pad(),
            u64a(5, 9000),
            u32a(6, 1),
            u32a(7, 2),
            u32a(8, 3),
            u32a(9, 400),
            u32a(10, 500),
        ],
    )
}
fn stats64(kind: u16, conns: u64, inbytes: u64) -> Vec<u8> {
    let vals = [conns, 50, 40, inbytes, 9000, 1, 2, 3, 400, 500];
    let mut parts = Vec::new();
    for (i, v) in vals.iter().enumerate() {
        parts.push(pad());
        parts.push(u64a(i as u16 + 1, *v));
    }
    nest(kind, &parts)
}

fn round_trip(bytes: &[u8]) -> IpvsMessage {
    let msg = NetlinkMessage::<GenlMessage<IpvsMessage>>::deserialize(bytes).expect("parses");
    let mut out = vec![0u8; msg.buffer_len()];
    msg.serialize(&mut out);
    assert_eq!(out, bytes, "re-emitted bytes equal the kernel's");
    let netlink_packet_core::NetlinkPayload::InnerMessage(g) = msg.payload else {
        panic!("not a genl message")
    };
    assert_eq!(g.family_id(), FAMILY);
    g.payload
}

fn service_dump() -> Vec<u8> {
    genl_msg(
        FAMILY,
        NLM_F_MULTI,
        7,
        1,
        &[nest(
            cmd_attr::SERVICE,
            &[
                u16a(1, 2),
                u16a(2, 6),
                nla(3, &addr16("10.0.0.2")),
                be16a(4, 443),
                nla(6, &str0("sh")),
                nla(7, &[0x1b, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
                u32a(8, 300),
                nla(9, &[255, 255, 255, 0]),
                stats32(14209, 7_207_174),
                stats64(12, 14209, 7_207_174),
            ],
        )],
    )
}

#[test]
fn service_dump_message() {
    let bytes = service_dump();
    // Spot-check the hand layout: port 443 is 0x01 0xbb on the wire.
    let port_at = bytes
        .windows(8)
        .position(|w| w == [6, 0, 4, 0, 0x01, 0xbb, 0, 0])
        .is_some();
    assert!(port_at);
    let m = round_trip(&bytes);
    assert_eq!(m.cmd, IpvsCmd::NewService);
    let IpvsAttr::Service(s) = &m.attrs[0] else {
        panic!()
    };
    assert!(s.contains(&SvcAttr::Port(443)));
    assert!(s.contains(&SvcAttr::Flags(SvcFlags {
        flags: 0x1b,
        mask: !0
    })));
    let (cfg, stats) = service_from_attrs(s).unwrap();
    let key = ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: "10.0.0.2".parse().unwrap(),
        port: 443,
    };
    assert_eq!(cfg.key, key);
    assert_eq!(cfg.scheduler, "sh");
    assert_eq!(
        cfg.flags,
        svc_flags::PERSISTENT | svc_flags::SCHED1 | svc_flags::SCHED2,
        "HASHED dropped"
    );
    assert_eq!(cfg.timeout, 300);
    assert_eq!(cfg.netmask, 0xffff_ff00);
    assert_eq!(stats.conns, 14209);
    assert_eq!(stats.inbytes, 7_207_174);
    assert_eq!(stats.outbps, 500);
    // What a request for the same service carries, in libipvs' order.
    let spec = service_spec(&cfg);
    assert_eq!(spec[4], SvcAttr::SchedName("sh".into()));
    assert_eq!(
        spec[5],
        SvcAttr::Flags(SvcFlags {
            flags: 0x19,
            mask: !0
        })
    );
    assert_eq!(spec[7], SvcAttr::Netmask([255, 255, 255, 0]));
}

#[test]
fn fwmark_and_ipv6_services() {
    let bytes = genl_msg(
        FAMILY,
        NLM_F_MULTI,
        7,
        1,
        &[nest(
            1,
            &[
                u16a(1, 10),
                u32a(5, 1),
                nla(6, &str0("wlc")),
                nla(11, &str0("sip")),
                nla(7, &[1, 0, 0, 0, 255, 255, 255, 255]),
                u32a(8, 60),
                u32a(9, 64),
            ],
        )],
    );
    let m = round_trip(&bytes);
    let IpvsAttr::Service(s) = &m.attrs[0] else {
        panic!()
    };
    let (cfg, _) = service_from_attrs(s).unwrap();
    assert_eq!(
        cfg.key,
        ServiceKey::Fwmark {
            mark: 1,
            family: Family::Inet6
        }
    );
    assert_eq!(cfg.netmask, 64, "IPv6 prefix length is a plain integer");
    assert_eq!(cfg.pe_name.as_deref(), Some("sip"));
    assert!(cfg.persistent());

    let v6 = genl_msg(
        FAMILY,
        NLM_F_MULTI,
        7,
        1,
        &[nest(
            1,
            &[
                u16a(1, 10),
                u16a(2, 17),
                nla(3, &addr16("2001:db8::1")),
                be16a(4, 53),
                nla(6, &str0("rr")),
                nla(7, &[0; 8]),
                u32a(8, 0),
                u32a(9, 128),
            ],
        )],
    );
    let m = round_trip(&v6);
    let IpvsAttr::Service(s) = &m.attrs[0] else {
        panic!()
    };
    let (cfg, _) = service_from_attrs(s).unwrap();
    assert_eq!(
        cfg.key,
        ServiceKey::Addr {
            proto: Protocol::Udp,
            addr: "2001:db8::1".parse().unwrap(),
            port: 53
        }
    );
}

#[test]
fn dest_dump_message() {
    let bytes = genl_msg(
        FAMILY,
        NLM_F_MULTI,
        8,
        5,
        &[nest(
            cmd_attr::DEST,
            &[
                nla(1, &addr16("10.0.0.11")),
                be16a(2, 80),
                u32a(3, 2),
                u32a(4, 1),
                nla(13, &[1]),
                be16a(14, 6080),
                u16a(15, 1),
                u32a(5, 100),
                u32a(6, 50),
                u32a(7, 3),
                u32a(8, 12),
                u32a(9, 1),
                u16a(11, 2),
                stats32(2, 774),
                stats64(12, 2, 774),
            ],
        )],
    );
    let m = round_trip(&bytes);
    assert_eq!(m.cmd, IpvsCmd::NewDest);
    let IpvsAttr::Dest(d) = &m.attrs[0] else {
        panic!()
    };
    assert!(d.contains(&DestAttr::TunPort(6080)));
    let snap = dest_from_attrs(d, Family::Inet).unwrap();
    let c = &snap.config;
    assert_eq!(c.addr, "10.0.0.11".parse::<IpAddr>().unwrap());
    assert_eq!((c.port, c.fwd, c.weight), (80, FwdMethod::Tunnel, 1));
    assert_eq!(
        (c.tun_type, c.tun_port, c.tun_csum),
        (TunType::Gue, 6080, TunCsum::Csum)
    );
    assert_eq!((c.u_threshold, c.l_threshold), (100, 50));
    assert_eq!((snap.active, snap.inactive, snap.persistent), (3, 12, 1));
    assert_eq!(snap.stats.inbytes, 774);
    // The request for this dest carries the same values back.
    let spec = dest_spec(c);
    assert!(spec.contains(&DestAttr::TunPort(6080)) && spec.contains(&DestAttr::FwdMethod(2)));
}

#[test]
fn old_kernel_dest_without_family_or_tunnel_attributes() {
    let bytes = genl_msg(
        FAMILY,
        NLM_F_MULTI,
        8,
        5,
        &[nest(
            2,
            &[
                nla(1, &addr16("2001:db8:1::11")),
                be16a(2, 80),
                u32a(3, 0),
                u32a(4, 3),
                u32a(5, 0),
                u32a(6, 0),
            ],
        )],
    );
    let m = round_trip(&bytes);
    let IpvsAttr::Dest(d) = &m.attrs[0] else {
        panic!()
    };
    let snap = dest_from_attrs(d, Family::Inet6).unwrap();
    assert_eq!(
        snap.config.addr,
        "2001:db8:1::11".parse::<IpAddr>().unwrap()
    );
    assert_eq!(snap.config.fwd, FwdMethod::Masq);
    assert_eq!(snap.config.tun_type, TunType::Ipip);
}

#[test]
fn daemon_config_and_info_messages() {
    let bytes = genl_msg(
        FAMILY,
        NLM_F_MULTI,
        9,
        9,
        &[nest(
            3,
            &[
                u32a(1, 1),
                nla(2, &str0("eth0")),
                u32a(3, 7),
                u16a(4, 1472),
                u16a(7, 8848),
                nla(8, &[1]),
                nla(5, &[224, 0, 0, 81]),
            ],
        )],
    );
    let m = round_trip(&bytes);
    let IpvsAttr::Daemon(d) = &m.attrs[0] else {
        panic!()
    };
    let d = daemon_from_attrs(d).unwrap();
    assert_eq!(d.state, SyncState::Master);
    assert_eq!((d.mcast_ifn.as_str(), d.syncid), ("eth0", 7));
    assert_eq!(
        (d.maxlen, d.mcast_port, d.mcast_ttl),
        (Some(1472), Some(8848), Some(1))
    );
    assert_eq!(d.mcast_group, Some("224.0.0.81".parse().unwrap()));

    let cfg = genl_msg(
        FAMILY,
        0,
        10,
        12,
        &[u32a(4, 900), u32a(5, 120), u32a(6, 300)],
    );
    let m = round_trip(&cfg);
    assert_eq!(m.cmd, IpvsCmd::SetConfig);
    assert_eq!(
        timeouts_from_attrs(&m.attrs),
        Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300
        }
    );

    // GET_INFO replies use IPVS_INFO_ATTR_* (1 and 2) at the top level.
    let info = genl_msg(FAMILY, 0, 11, 14, &[u32a(1, 0x010201), u32a(2, 4096)]);
    let m = round_trip(&info);
    assert_eq!(
        m.attrs,
        vec![
            IpvsAttr::InfoVersion(0x010201),
            IpvsAttr::InfoConnTabSize(4096)
        ]
    );
    let i = info_from_attrs(&m.attrs).unwrap();
    assert_eq!(
        (i.version_string(), i.conn_tab_size),
        ("1.2.1".to_string(), 4096)
    );
}

#[test]
fn unknown_attributes_survive_a_round_trip() {
    let bytes = genl_msg(
        FAMILY,
        NLM_F_MULTI,
        7,
        1,
        &[
            nest(
                1,
                &[
                    u16a(1, 2),
                    u32a(5, 3),
                    nla(6, &str0("rr")),
                    nla(42, &[1, 2, 3]),
                    nla(13, &[9; 8]),
                ],
            ),
            nla(0x8000 | 50, &u32a(1, 5)),
            nest(
                2,
                &[
                    nla(1, &addr16("1.2.3.4")),
                    be16a(2, 80),
                    u32a(3, 3),
                    u32a(4, 1),
                    nla(77, &[7]),
                ],
            ),
        ],
    );
    let m = round_trip(&bytes);
    assert!(
        matches!(&m.attrs[1], IpvsAttr::Other(o) if netlink_packet_core::Nla::kind(o) == 0x8000 | 50)
    );
    let IpvsAttr::Service(s) = &m.attrs[0] else {
        panic!()
    };
    assert_eq!(
        s.iter().filter(|a| matches!(a, SvcAttr::Other(_))).count(),
        2
    );
    assert!(
        service_from_attrs(s).is_ok(),
        "unknown attributes do not stop the conversion"
    );
}

#[test]
fn requests_match_what_ipvsadm_sends() {
    let key = ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: "10.0.0.1".parse().unwrap(),
        port: 80,
    };
    let mut svc = ServiceConfig::new(key);
    svc.scheduler = "wrr".into();
    let mut g = GenlMessage::from_payload(request_for(&IpvsOp::AddService(svc)));
    g.set_resolved_family_id(FAMILY);
    let bytes = encode_request(g, 0x4, 3); // NLM_F_ACK
    let want = genl_msg(
        FAMILY,
        0x1 | 0x4,
        3,
        1,
        &[nest(
            1,
            &[
                u16a(1, 2),
                u16a(2, 6),
                nla(3, &addr16("10.0.0.1")),
                be16a(4, 80),
                nla(6, &str0("wrr")),
                nla(7, &[0, 0, 0, 0, 255, 255, 255, 255]),
                u32a(8, 0),
                nla(9, &[255; 4]),
            ],
        )],
    );
    // The port field (4 bytes at 12..16) is the kernel's to fill; requests carry 0.
    let mut want = want;
    want[12..16].copy_from_slice(&0u32.to_ne_bytes());
    assert_eq!(bytes, want);

    let d = DestConfig::new("192.168.10.11".parse().unwrap(), 80)
        .with_fwd(FwdMethod::Masq)
        .with_weight(4);
    let m = request_for(&IpvsOp::AddDest(key, d));
    assert_eq!(m.cmd, IpvsCmd::NewDest);
    let mut out = vec![0; m.buffer_len()];
    m.emit(&mut out);
    let want = [
        nest(
            1,
            &[
                u16a(1, 2),
                u16a(2, 6),
                nla(3, &addr16("10.0.0.1")),
                be16a(4, 80),
            ],
        ),
        nest(
            2,
            &[
                nla(1, &addr16("192.168.10.11")),
                be16a(2, 80),
                u32a(3, 0),
                u32a(4, 4),
                nla(13, &[0]),
                be16a(14, 0),
                u16a(15, 0),
                u32a(5, 0),
                u32a(6, 0),
                u16a(11, 2),
            ],
        ),
    ]
    .concat();
    assert_eq!(out, want);

    let m = request_for(&IpvsOp::SetTimeouts(Timeouts {
        tcp: 600,
        tcp_fin: 0,
        udp: 0,
    }));
    assert_eq!((m.cmd, m.attrs.len()), (IpvsCmd::SetConfig, 3));
    assert_eq!(request_for(&IpvsOp::Flush).cmd, IpvsCmd::Flush);
    let m = request_for(&IpvsOp::StopDaemon(SyncState::Backup));
    assert_eq!(m.attrs, vec![IpvsAttr::Daemon(vec![DaemonAttr::State(2)])]);
}

#[test]
fn acks_errors_and_done() {
    let ack = nlmsg(
        2,
        0,
        5,
        &[0, 0, 0, 0]
            .iter()
            .chain(&[0u8; 16])
            .copied()
            .collect::<Vec<_>>(),
    );
    let r: Vec<Reply<IpvsMessage>> = parse_datagram(&ack, 5, FAMILY).unwrap();
    assert_eq!(r, vec![Reply::Ack]);
    let eexist = nlmsg(
        2,
        0,
        5,
        &(-17i32)
            .to_ne_bytes()
            .iter()
            .chain(&[0u8; 16])
            .copied()
            .collect::<Vec<_>>(),
    );
    let r: Vec<Reply<IpvsMessage>> = parse_datagram(&eexist, 5, FAMILY).unwrap();
    assert_eq!(r, vec![Reply::Error(17)]);
    // A dump: two messages and DONE in one datagram; a stale message of another request is skipped.
    let mut dg = service_dump();
    dg.extend(genl_msg(FAMILY, NLM_F_MULTI, 6, 1, &[]));
    dg.extend(service_dump());
    dg.extend(nlmsg(3, NLM_F_MULTI, 7, &0i32.to_ne_bytes()));
    let r: Vec<Reply<IpvsMessage>> = parse_datagram(&dg, 7, FAMILY).unwrap();
    assert_eq!(r.len(), 3);
    assert!(matches!(r[2], Reply::Done));
    // A message of another family is an error.
    assert!(parse_datagram::<IpvsMessage>(&service_dump(), 7, FAMILY + 1).is_err());
}

#[test]
fn family_resolution_reply() {
    let ops = nest(
        6,
        &[
            nest(1, &[u32a(1, 1), u32a(2, 0x0b)]),
            nest(2, &[u32a(1, 4), u32a(2, 0x0d)]),
        ],
    );
    let reply = genl_msg(
        16,
        0,
        1,
        1, // CTRL_CMD_NEWFAMILY
        &[
            nla(2, &str0("IPVS")),
            u16a(1, FAMILY),
            u32a(3, 1),
            u32a(4, 0),
            u32a(5, 6),
            ops,
            nla(99, &[1, 2, 3, 4]),
        ],
    );
    let r: Vec<Reply<FamilyInfo>> = parse_datagram(&reply, 1, 16).unwrap();
    let [Reply::Message(f)] = r.as_slice() else {
        panic!("{r:?}")
    };
    assert_eq!(
        (f.id, f.name.as_str(), f.version, f.max_attr),
        (FAMILY, "IPVS", 1, 6)
    );
    // A reply without the id is an error.
    let bad = genl_msg(16, 0, 1, 1, &[nla(2, &str0("IPVS"))]);
    assert!(parse_datagram::<FamilyInfo>(&bad, 1, 16).is_err());
    // ENOENT from the controller: the family is not registered.
    let enoent = nlmsg(
        2,
        0,
        1,
        &(-2i32)
            .to_ne_bytes()
            .iter()
            .chain(&[0u8; 16])
            .copied()
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        parse_datagram::<FamilyInfo>(&enoent, 1, 16).unwrap(),
        vec![Reply::Error(2)]
    );
}

#[test]
fn truncated_and_malformed_replies_are_errors() {
    let good = service_dump();
    for cut in 0..good.len() {
        let r = parse_datagram::<IpvsMessage>(&good[..cut], 7, FAMILY);
        assert!(r.is_err() || cut == 0, "cut at {cut} must not parse");
    }
    // Wrong sizes for typed attributes.
    let bad_port = genl_msg(FAMILY, 2, 7, 1, &[nest(1, &[u16a(1, 2), u32a(4, 80)])]);
    assert!(parse_datagram::<IpvsMessage>(&bad_port, 7, FAMILY).is_err());
    let bad_counter = genl_msg(
        FAMILY,
        2,
        7,
        1,
        &[nest(1, &[nest(10, &[nla(1, &[1, 2, 3])])])],
    );
    assert!(parse_datagram::<IpvsMessage>(&bad_counter, 7, FAMILY).is_err());
    // An attribute length running past its nest.
    let mut bad_len = service_dump();
    bad_len[20 + 4] = 0xff; // first attribute inside the SERVICE nest
    assert!(parse_datagram::<IpvsMessage>(&bad_len, 7, FAMILY).is_err());
    // Semantically wrong content: unknown address family, no scheduler.
    let odd = genl_msg(
        FAMILY,
        2,
        7,
        1,
        &[nest(1, &[u16a(1, 7), u32a(5, 1), nla(6, &str0("rr"))])],
    );
    let r = parse_datagram::<IpvsMessage>(&odd, 7, FAMILY).unwrap();
    let Reply::Message(m) = &r[0] else { panic!() };
    let IpvsAttr::Service(s) = &m.attrs[0] else {
        panic!()
    };
    assert!(service_from_attrs(s).is_err());
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_datagram::<IpvsMessage>(&bytes, 7, FAMILY);
        let _ = parse_datagram::<FamilyInfo>(&bytes, 7, 16);
    }

    #[test]
    fn mutated_replies_never_panic(pos in 0usize..400, val: u8, cut in 0usize..400) {
        let mut b = service_dump();
        let n = b.len();
        b[pos % n] = val;
        b.truncate(cut.max(16).min(n));
        if let Ok(replies) = parse_datagram::<IpvsMessage>(&b, 7, FAMILY) {
            for r in replies {
                if let Reply::Message(m) = r {
                    for a in &m.attrs {
                        if let IpvsAttr::Service(s) = a { let _ = service_from_attrs(s); }
                        if let IpvsAttr::Dest(d) = a { let _ = dest_from_attrs(d, Family::Inet); }
                    }
                }
            }
        }
    }
}
