//! Pcap output checked by an independent decoder: every kind of packet the simulator emits
//! is written to a capture file and dissected by tshark, which must find no malformed packet
//! and no bad checksum, and must read back the fields we put in.

use lvslab_sim::wire::encode::IPVS_SYNC_PORT;
use lvslab_sim::wire::pcap::PcapWriter;
use lvslab_sim::wire::{
    AppData, ArpOp, ArpPacket, EthPayload, Frame, IcmpMessage, IpPayload, Ipv4Packet, MacAddr,
    Payload, SyncConnEntry, TcpFlags, TcpOptions, TcpSegment, UdpDatagram, VrrpAdvert,
};
use lvslab_sim::SimTime;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;

const CLIENT: Ipv4Addr = Ipv4Addr::new(172, 16, 0, 10);
const VIP: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 100);
const DIRECTOR: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 2);
const BACKUP: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 3);
const RS1: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 11);
const VRRP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
const MAC_CLIENT: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x10]);
const MAC_DIRECTOR: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x02]);
const MAC_BACKUP: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x03]);
const MAC_RS1: MacAddr = MacAddr([0x02, 0, 0, 0, 0, 0x11]);

const CPORT: u16 = 43210;
const CLIENT_ISN: u32 = 1_000_000;
const SERVER_ISN: u32 = 7_000_000;
const REQUEST_LEN: u32 = 96;
const RESPONSE_LEN: u32 = 1200;

fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, payload: IpPayload) -> Ipv4Packet {
    Ipv4Packet {
        src,
        dst,
        ttl: 64,
        tos: 0,
        id: 0x4d2,
        df: true,
        payload,
    }
}

fn frame(src: MacAddr, dst: MacAddr, p: Ipv4Packet) -> Frame {
    Frame {
        src,
        dst,
        payload: EthPayload::Ipv4(p),
    }
}

fn arp(src: MacAddr, dst: MacAddr, a: ArpPacket) -> Frame {
    Frame {
        src,
        dst,
        payload: EthPayload::Arp(a),
    }
}

fn segment(
    from_client: bool,
    seq: u32,
    ack: u32,
    flags: u8,
    options: TcpOptions,
    payload: Payload,
) -> Ipv4Packet {
    let (src, dst, sport, dport) = if from_client {
        (CLIENT, VIP, CPORT, 80)
    } else {
        (VIP, CLIENT, 80, CPORT)
    };
    ipv4(
        src,
        dst,
        IpPayload::Tcp(TcpSegment {
            sport,
            dport,
            seq,
            ack,
            flags: TcpFlags(flags),
            window: 502,
            options,
            payload,
        }),
    )
}

fn syn_options(tsval: u32, tsecr: u32) -> TcpOptions {
    TcpOptions {
        mss: Some(1460),
        sack_permitted: true,
        timestamps: Some((tsval, tsecr)),
        window_scale: Some(7),
    }
}

fn ts(tsval: u32, tsecr: u32) -> TcpOptions {
    TcpOptions {
        timestamps: Some((tsval, tsecr)),
        ..TcpOptions::default()
    }
}

fn vrrp(version: u8, auth_pass: Option<[u8; 8]>, adver_int_cs: u16) -> Frame {
    let mut p = ipv4(
        DIRECTOR,
        VRRP_GROUP,
        IpPayload::Vrrp(VrrpAdvert {
            version,
            vrid: 51,
            priority: 150,
            adver_int_cs,
            auth_pass,
            addrs: vec![VIP],
        }),
    );
    p.ttl = 255;
    p.tos = 0xc0;
    p.id = 0;
    p.df = false;
    frame(MAC_DIRECTOR, MacAddr::ipv4_multicast(VRRP_GROUP), p)
}

/// One frame of every kind, in a plausible order (frame numbers are used below).
fn capture_frames() -> Vec<Frame> {
    let request = Payload {
        len: REQUEST_LEN,
        app: Some(AppData::HttpRequest {
            request_id: 1,
            path: "/index.html".into(),
            respond_bytes: None,
        }),
    };
    let response = Payload {
        len: RESPONSE_LEN,
        app: Some(AppData::HttpResponse {
            request_id: 1,
            status: Some(200),
            server: "rs1".into(),
        }),
    };
    let c1 = CLIENT_ISN + 1;
    let s1 = SERVER_ISN + 1;
    let syn = segment(
        true,
        CLIENT_ISN,
        0,
        TcpFlags::SYN,
        syn_options(100, 0),
        Payload::empty(),
    );
    let data = segment(
        true,
        c1,
        s1,
        TcpFlags::ACK | TcpFlags::PSH,
        ts(101, 200),
        request.clone(),
    );
    let sync = SyncConnEntry {
        protocol: 6,
        flags: 0x0002, // DROUTE
        state: 1,      // ESTABLISHED
        cport: CPORT,
        vport: 80,
        dport: 80,
        fwmark: 0,
        timeout: 900,
        caddr: CLIENT,
        vaddr: VIP,
        daddr: RS1,
    };
    vec![
        // 1-3: ARP request, reply, gratuitous.
        arp(
            MAC_DIRECTOR,
            MacAddr::BROADCAST,
            ArpPacket {
                op: ArpOp::Request,
                sender_mac: MAC_DIRECTOR,
                sender_ip: DIRECTOR,
                target_mac: MacAddr::ZERO,
                target_ip: RS1,
            },
        ),
        arp(
            MAC_RS1,
            MAC_DIRECTOR,
            ArpPacket {
                op: ArpOp::Reply,
                sender_mac: MAC_RS1,
                sender_ip: RS1,
                target_mac: MAC_DIRECTOR,
                target_ip: DIRECTOR,
            },
        ),
        arp(
            MAC_DIRECTOR,
            MacAddr::BROADCAST,
            ArpPacket {
                op: ArpOp::Request,
                sender_mac: MAC_DIRECTOR,
                sender_ip: VIP,
                target_mac: MacAddr::ZERO,
                target_ip: VIP,
            },
        ),
        // 4-10: a whole HTTP exchange.
        frame(MAC_CLIENT, MAC_DIRECTOR, syn.clone()),
        frame(
            MAC_DIRECTOR,
            MAC_CLIENT,
            segment(
                false,
                SERVER_ISN,
                c1,
                TcpFlags::SYN | TcpFlags::ACK,
                syn_options(200, 100),
                Payload::empty(),
            ),
        ),
        frame(
            MAC_CLIENT,
            MAC_DIRECTOR,
            segment(true, c1, s1, TcpFlags::ACK, ts(101, 200), Payload::empty()),
        ),
        frame(MAC_CLIENT, MAC_DIRECTOR, data.clone()),
        frame(
            MAC_DIRECTOR,
            MAC_CLIENT,
            segment(
                false,
                s1,
                c1 + REQUEST_LEN,
                TcpFlags::ACK | TcpFlags::PSH | TcpFlags::FIN,
                ts(201, 101),
                response,
            ),
        ),
        frame(
            MAC_CLIENT,
            MAC_DIRECTOR,
            segment(
                true,
                c1 + REQUEST_LEN,
                s1 + RESPONSE_LEN + 1,
                TcpFlags::ACK | TcpFlags::FIN,
                ts(102, 201),
                Payload::empty(),
            ),
        ),
        frame(
            MAC_DIRECTOR,
            MAC_CLIENT,
            segment(
                false,
                s1 + RESPONSE_LEN + 1,
                0,
                TcpFlags::RST,
                TcpOptions::default(),
                Payload::empty(),
            ),
        ),
        // 11: UDP.
        frame(
            MAC_CLIENT,
            MAC_DIRECTOR,
            ipv4(
                CLIENT,
                VIP,
                IpPayload::Udp(UdpDatagram {
                    sport: 40000,
                    dport: 7777,
                    payload: Payload { len: 48, app: None },
                }),
            ),
        ),
        // 12: port unreachable quoting the request segment.
        frame(
            MAC_DIRECTOR,
            MAC_CLIENT,
            ipv4(
                VIP,
                CLIENT,
                IpPayload::Icmp(IcmpMessage::DestUnreachable {
                    code: IcmpMessage::PORT_UNREACHABLE,
                    mtu: 0,
                    original: Box::new(data.clone()),
                }),
            ),
        ),
        // 13: fragmentation needed, next-hop MTU 1480, quoting the request.
        frame(
            MAC_DIRECTOR,
            MAC_CLIENT,
            ipv4(
                DIRECTOR,
                CLIENT,
                IpPayload::Icmp(IcmpMessage::DestUnreachable {
                    code: IcmpMessage::FRAG_NEEDED,
                    mtu: 1480,
                    original: Box::new(data),
                }),
            ),
        ),
        // 14: IPIP (LVS-TUN) carrying the SYN to the real server.
        frame(
            MAC_DIRECTOR,
            MAC_RS1,
            ipv4(DIRECTOR, RS1, IpPayload::Ipip(Box::new(syn))),
        ),
        // 15-16: VRRP v2 with a password, VRRP v3.
        vrrp(2, Some(*b"lvs-pass"), 100),
        vrrp(3, None, 150),
        // 17: IPVS connection sync to the backup director.
        frame(
            MAC_DIRECTOR,
            MAC_BACKUP,
            ipv4(
                DIRECTOR,
                BACKUP,
                IpPayload::Udp(UdpDatagram {
                    sport: IPVS_SYNC_PORT,
                    dport: IPVS_SYNC_PORT,
                    payload: Payload::ipvs_sync(vec![sync]),
                }),
            ),
        ),
        // 18: ICMP echo request and 19: time exceeded quoting it.
        frame(
            MAC_CLIENT,
            MAC_DIRECTOR,
            ipv4(
                CLIENT,
                RS1,
                IpPayload::Icmp(IcmpMessage::EchoRequest { id: 9, seq: 1 }),
            ),
        ),
        frame(
            MAC_DIRECTOR,
            MAC_CLIENT,
            ipv4(
                DIRECTOR,
                CLIENT,
                IpPayload::Icmp(IcmpMessage::TimeExceeded {
                    original: Box::new(ipv4(
                        CLIENT,
                        RS1,
                        IpPayload::Icmp(IcmpMessage::EchoRequest { id: 9, seq: 1 }),
                    )),
                }),
            ),
        ),
    ]
}

fn write_capture(path: &Path) {
    let mut w = PcapWriter::new();
    for (i, f) in capture_frames().iter().enumerate() {
        w.push(SimTime::from_millis(1_000 + 10 * i as u64), f);
    }
    std::fs::write(path, w.bytes()).expect("write pcap");
}

const CHECKSUM_PREFS: [&str; 6] = [
    "-o",
    "ip.check_checksum:TRUE",
    "-o",
    "tcp.check_checksum:TRUE",
    "-o",
    "udp.check_checksum:TRUE",
];

fn tshark(args: &[&str]) -> Option<(bool, String, String)> {
    match Command::new("tshark").args(args).output() {
        Ok(out) => Some((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => panic!("cannot run tshark: {e}"),
    }
}

/// One line per frame with the requested fields, `|`-separated.
fn fields(file: &str, filter: &str, names: &[&str]) -> Vec<String> {
    let mut args = vec![
        "-r",
        file,
        "-Y",
        filter,
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-E",
        "occurrence=a",
    ];
    args.extend_from_slice(&CHECKSUM_PREFS);
    for n in names {
        args.push("-e");
        args.push(n);
    }
    let (ok, out, err) = tshark(&args).expect("tshark present");
    assert!(ok, "tshark {args:?} failed: {err}");
    out.lines().map(str::to_owned).collect()
}

fn temp_pcap() -> PathBuf {
    std::env::temp_dir().join(format!("lvslab-pcap-tshark-{}.pcap", std::process::id()))
}

#[test]
fn tshark_decodes_every_packet_kind_cleanly() {
    if tshark(&["--version"]).is_none() {
        eprintln!("skipped: tshark not installed");
        return;
    }
    let path = temp_pcap();
    write_capture(&path);
    let file = path.to_str().expect("utf-8 temp path");

    let mut args = vec!["-r", file, "-V"];
    args.extend_from_slice(&CHECKSUM_PREFS);
    let (ok, verbose, err) = tshark(&args).expect("tshark present");
    assert!(ok, "tshark failed: {err}");
    assert!(
        !verbose.contains("Malformed"),
        "malformed packet:\n{verbose}"
    );
    for line in verbose.lines().filter(|l| l.contains("Checksum Status")) {
        assert!(!line.contains("Bad"), "bad checksum: {line}\n{verbose}");
    }
    // Every checksum was verified: 16 IPv4 frames + 1 IPIP inner + 3 quoted IP headers;
    // 8 TCP (7 + the tunnelled SYN), 2 UDP, 4 ICMP, 2 VRRP.
    let count = |needle: &str| verbose.lines().filter(|l| l.contains(needle)).count();
    let ip_good = count("[Header checksum status: Good]");
    assert!(
        ip_good >= 20,
        "only {ip_good} IP header checksums verified:\n{verbose}"
    );
    let l4_good = count("[Checksum Status: Good]");
    assert!(
        l4_good >= 16,
        "only {l4_good} TCP/UDP/ICMP/VRRP checksums verified:\n{verbose}"
    );
    assert!(!verbose.contains("Bad checksum"), "{verbose}");

    // Expert infos of error severity (malformed, bad checksums) must be absent.
    let mut args = vec!["-r", file, "-q", "-z", "expert,error"];
    args.extend_from_slice(&CHECKSUM_PREFS);
    let (ok, expert, err) = tshark(&args).expect("tshark present");
    assert!(ok, "tshark failed: {err}");
    assert!(!expert.contains("Errors ("), "expert errors:\n{expert}");

    let frames = capture_frames();
    let lens = fields(file, "frame", &["frame.len", "ip.len"]);
    assert_eq!(lens.len(), frames.len());
    for (line, f) in lens.iter().zip(&frames) {
        let mut it = line.split('|');
        assert_eq!(
            it.next().unwrap(),
            f.len().to_string(),
            "frame length of {line}"
        );
        if let Some(p) = f.ipv4() {
            assert_eq!(
                it.next().unwrap().split(',').next().unwrap(),
                p.total_len().to_string()
            );
        }
    }

    assert_eq!(
        fields(
            file,
            "arp",
            &[
                "arp.opcode",
                "arp.src.proto_ipv4",
                "arp.dst.proto_ipv4",
                "arp.isgratuitous"
            ]
        ),
        [
            "1|192.168.10.2|192.168.10.11|",
            "2|192.168.10.11|192.168.10.2|",
            "1|192.168.10.100|192.168.10.100|1"
        ]
    );
    assert_eq!(
        fields(
            file,
            "tcp && !icmp && !(ip.proto == 4)",
            &[
                "tcp.flags.str",
                "tcp.len",
                "tcp.hdr_len",
                "tcp.options.mss_val",
                "tcp.options.wscale.shift"
            ]
        ),
        [
            "··········S·|0|40|1460|7",
            "·······A··S·|0|40|1460|7",
            "·······A····|0|32||",
            "·······AP···|96|32||",
            "·······AP··F|1200|32||",
            "·······A···F|0|32||",
            "·········R··|0|20||",
        ]
    );
    assert_eq!(
        fields(
            file,
            "http.request",
            &[
                "http.request.method",
                "http.request.uri",
                "http.request.version",
                "http.host"
            ]
        ),
        ["GET|/index.html|HTTP/1.0|lvslab.test"]
    );
    assert_eq!(
        fields(
            file,
            "http.response",
            &["http.response.code", "http.response.phrase", "http.server"]
        ),
        ["200|OK|rs1"]
    );
    assert_eq!(
        fields(
            file,
            "icmp",
            &[
                "icmp.type",
                "icmp.code",
                "icmp.mtu",
                "ip.src",
                "tcp.srcport",
                "udp.srcport"
            ]
        ),
        [
            "3|3||192.168.10.100,172.16.0.10|43210|",
            "3|4|1480|192.168.10.2,172.16.0.10|43210|",
            "8|0||172.16.0.10||",
            // The quoted echo request is dissected too.
            "11,8|0,0||192.168.10.2,172.16.0.10||",
        ]
    );
    assert_eq!(
        fields(
            file,
            "ip.proto == 4",
            &[
                "ip.proto",
                "ip.src",
                "ip.dst",
                "tcp.flags.syn",
                "tcp.dstport"
            ]
        ),
        ["4,6|192.168.10.2,172.16.0.10|192.168.10.11,192.168.10.100|1|80"]
    );
    assert_eq!(
        fields(
            file,
            "vrrp",
            &[
                "vrrp.version",
                "vrrp.type",
                "vrrp.virt_rtr_id",
                "vrrp.prio",
                "vrrp.auth_type",
                "vrrp.adver_int",
                "vrrp.short_adver_int",
                "vrrp.ip_addr"
            ]
        ),
        // v2: auth type 1, interval 1 s; v3: 150 cs in the 12-bit field.
        [
            "2|1|51|150|1|1||192.168.10.100",
            "3|1|51|150|||150|192.168.10.100"
        ]
    );
    assert_eq!(
        fields(file, "vrrp.version == 2", &["vrrp.auth_string"]),
        ["lvs-pass"]
    );
    assert_eq!(
        fields(
            file,
            "ipvs",
            &[
                "ipvs.version",
                "ipvs.conncount",
                "ipvs.size",
                "ipvs.type",
                "ipvs.size.v1",
                "ipvs.proto",
                "ipvs.state",
                "ipvs.caddr",
                "ipvs.vaddr",
                "ipvs.daddr",
                "ipvs.dport"
            ]
        ),
        ["1|1|44|0|36|0x06|0x0001|172.16.0.10|192.168.10.100|192.168.10.11|80"]
    );

    std::fs::remove_file(&path).ok();
}
