//! Typed packet formats. Nodes exchange these structs; `encode` turns them into real bytes
//! for pcap files. Formats are kept apart from the state machines that use them.

pub mod encode;
pub mod pcap;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// An Ethernet MAC address.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const BROADCAST: MacAddr = MacAddr([0xff; 6]);
    pub const ZERO: MacAddr = MacAddr([0; 6]);
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
    /// The multicast MAC an IPv4 multicast group maps to (01:00:5e + low 23 bits).
    pub fn ipv4_multicast(group: Ipv4Addr) -> MacAddr {
        let o = group.octets();
        MacAddr([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]])
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}
impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
impl std::str::FromStr for MacAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 6 {
            return Err(format!(
                "`{s}` is not a MAC address (write aa:bb:cc:dd:ee:ff)"
            ));
        }
        let mut m = [0u8; 6];
        for (i, p) in parts.iter().enumerate() {
            m[i] = u8::from_str_radix(p, 16)
                .map_err(|_| format!("`{s}` is not a MAC address (write aa:bb:cc:dd:ee:ff)"))?;
        }
        Ok(MacAddr(m))
    }
}

/// An Ethernet frame as it travels on a segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub src: MacAddr,
    pub dst: MacAddr,
    pub payload: EthPayload,
}

impl Frame {
    /// Bytes on the wire excluding preamble and FCS (what pcap records).
    pub fn len(&self) -> usize {
        14 + match &self.payload {
            EthPayload::Arp(_) => 28,
            EthPayload::Ipv4(p) => p.total_len() as usize,
        }
        .max(46)
    }
    pub fn is_empty(&self) -> bool {
        false
    }
    pub fn ipv4(&self) -> Option<&Ipv4Packet> {
        match &self.payload {
            EthPayload::Ipv4(p) => Some(p),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EthPayload {
    Arp(ArpPacket),
    Ipv4(Ipv4Packet),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ArpOp {
    Request,
    Reply,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArpPacket {
    pub op: ArpOp,
    pub sender_mac: MacAddr,
    pub sender_ip: Ipv4Addr,
    pub target_mac: MacAddr,
    pub target_ip: Ipv4Addr,
}

impl ArpPacket {
    /// A gratuitous ARP: a broadcast request for our own address.
    pub fn is_gratuitous(&self) -> bool {
        self.sender_ip == self.target_ip
    }
}

/// IP protocol numbers used in the model.
pub mod proto {
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const VRRP: u8 = 112;
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ipv4Packet {
    pub src: Ipv4Addr,
    pub dst: Ipv4Addr,
    pub ttl: u8,
    pub tos: u8,
    pub id: u16,
    pub df: bool,
    pub payload: IpPayload,
}

impl Ipv4Packet {
    pub const HEADER_LEN: u16 = 20;
    pub fn protocol(&self) -> u8 {
        match &self.payload {
            IpPayload::Tcp(_) => proto::TCP,
            IpPayload::Udp(_) => proto::UDP,
            IpPayload::Icmp(_) => proto::ICMP,
            IpPayload::Ipip(_) => proto::IPIP,
            IpPayload::Vrrp(_) => proto::VRRP,
        }
    }
    /// IP total length: header plus payload (what IPVS counts in its byte statistics).
    pub fn total_len(&self) -> u16 {
        Self::HEADER_LEN + self.payload.len()
    }
    pub fn tcp(&self) -> Option<&TcpSegment> {
        match &self.payload {
            IpPayload::Tcp(t) => Some(t),
            _ => None,
        }
    }
    pub fn tcp_mut(&mut self) -> Option<&mut TcpSegment> {
        match &mut self.payload {
            IpPayload::Tcp(t) => Some(t),
            _ => None,
        }
    }
    /// Source and destination ports for TCP and UDP, else None.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.payload {
            IpPayload::Tcp(t) => Some((t.sport, t.dport)),
            IpPayload::Udp(u) => Some((u.sport, u.dport)),
            _ => None,
        }
    }
    pub fn set_ports(&mut self, sport: u16, dport: u16) {
        match &mut self.payload {
            IpPayload::Tcp(t) => {
                t.sport = sport;
                t.dport = dport;
            }
            IpPayload::Udp(u) => {
                u.sport = sport;
                u.dport = dport;
            }
            _ => {}
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IpPayload {
    Tcp(TcpSegment),
    Udp(UdpDatagram),
    Icmp(IcmpMessage),
    /// IPIP: a whole IPv4 packet inside (outer protocol 4).
    Ipip(Box<Ipv4Packet>),
    Vrrp(VrrpAdvert),
}

impl IpPayload {
    pub fn len(&self) -> u16 {
        match self {
            IpPayload::Tcp(t) => t.header_len() + t.payload.len as u16,
            IpPayload::Udp(u) => 8 + u.payload.len as u16,
            IpPayload::Icmp(i) => i.len(),
            IpPayload::Ipip(p) => p.total_len(),
            IpPayload::Vrrp(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// TCP flag bits as on the wire.
#[derive(Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
    pub fn psh(self) -> bool {
        self.has(Self::PSH)
    }
}

impl fmt::Display for TcpFlags {
    /// tcpdump style: S, F, R, P, . for ACK.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        if self.syn() {
            s.push('S');
        }
        if self.fin() {
            s.push('F');
        }
        if self.rst() {
            s.push('R');
        }
        if self.psh() {
            s.push('P');
        }
        if self.ack() {
            s.push('.');
        }
        if s.is_empty() {
            s.push_str("none");
        }
        f.write_str(&s)
    }
}
impl fmt::Debug for TcpFlags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The TCP options the model carries (Linux's usual set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub sack_permitted: bool,
    /// (TSval, TSecr)
    pub timestamps: Option<(u32, u32)>,
    pub window_scale: Option<u8>,
}

impl TcpOptions {
    /// Encoded length, padded to a multiple of 4 (Linux: SYN 20 bytes, later segments 12).
    pub fn len(&self) -> u16 {
        let mut n = 0u16;
        if self.mss.is_some() {
            n += 4;
        }
        if self.sack_permitted && self.timestamps.is_some() {
            n += 12; // SACK_PERM(2) + TS(10) packed together
        } else {
            if self.sack_permitted {
                n += 4; // NOP NOP SACK_PERM
            }
            if self.timestamps.is_some() {
                n += 12; // NOP NOP TS
            }
        }
        if self.window_scale.is_some() {
            n += 4; // NOP WS
        }
        n
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Application data carried by a segment: only its length and meaning are modelled;
/// pcap output fills the bytes with a readable rendering of the meaning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub len: u32,
    pub app: Option<AppData>,
}

impl Payload {
    pub fn empty() -> Self {
        Payload::default()
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// An IPVS sync message (protocol version 1) carrying `conns`, with its exact wire length.
    pub fn ipvs_sync(conns: Vec<SyncConnEntry>) -> Self {
        Payload {
            len: encode::ipvs_sync_len(conns.len()) as u32,
            app: Some(AppData::IpvsSync(conns)),
        }
    }
}

/// What an application payload means.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppData {
    /// An HTTP request (or the first segment of one).
    HttpRequest {
        request_id: u64,
        path: String,
        /// The response size a replayed connection asks for (a capture's response bytes);
        /// None: the server's own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        respond_bytes: Option<u32>,
    },
    /// A piece of an HTTP response; `status` is set on the segment carrying the status line.
    HttpResponse {
        request_id: u64,
        status: Option<u16>,
        server: String,
    },
    /// IPVS connection synchronisation message (master -> backup director).
    IpvsSync(Vec<SyncConnEntry>),
    /// Anything else, e.g. a UDP request.
    Opaque,
}

/// One connection entry in an IPVS sync message (version 1 format, IPv4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncConnEntry {
    pub protocol: u8,
    pub flags: u32,
    pub state: u16,
    pub cport: u16,
    pub vport: u16,
    pub dport: u16,
    pub fwmark: u32,
    /// Timeout in seconds the backup should use.
    pub timeout: u32,
    pub caddr: Ipv4Addr,
    pub vaddr: Ipv4Addr,
    pub daddr: Ipv4Addr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TcpSegment {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub options: TcpOptions,
    pub payload: Payload,
}

impl TcpSegment {
    pub fn header_len(&self) -> u16 {
        20 + self.options.len()
    }
    /// Sequence space this segment occupies (payload + SYN + FIN).
    pub fn seq_len(&self) -> u32 {
        self.payload.len + self.flags.syn() as u32 + self.flags.fin() as u32
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UdpDatagram {
    pub sport: u16,
    pub dport: u16,
    pub payload: Payload,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum IcmpMessage {
    EchoRequest {
        id: u16,
        seq: u16,
    },
    EchoReply {
        id: u16,
        seq: u16,
    },
    /// Type 3. `code`: 1 host unreachable, 3 port unreachable, 4 fragmentation needed
    /// (`mtu` set). `original` is the offending packet (its header and first 8 payload
    /// bytes are what goes on the wire).
    DestUnreachable {
        code: u8,
        mtu: u16,
        original: Box<Ipv4Packet>,
    },
    /// Type 11 code 0.
    TimeExceeded {
        original: Box<Ipv4Packet>,
    },
}

impl IcmpMessage {
    pub const HOST_UNREACHABLE: u8 = 1;
    pub const PORT_UNREACHABLE: u8 = 3;
    pub const FRAG_NEEDED: u8 = 4;
    pub fn len(&self) -> u16 {
        match self {
            IcmpMessage::EchoRequest { .. } | IcmpMessage::EchoReply { .. } => 8,
            IcmpMessage::DestUnreachable { original, .. }
            | IcmpMessage::TimeExceeded { original } => 8 + 20 + original.payload.len().min(8),
        }
    }
    pub fn is_empty(&self) -> bool {
        false
    }
    pub fn original(&self) -> Option<&Ipv4Packet> {
        match self {
            IcmpMessage::DestUnreachable { original, .. }
            | IcmpMessage::TimeExceeded { original } => Some(original),
            _ => None,
        }
    }
}

/// A VRRP advertisement (version 2 or 3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VrrpAdvert {
    pub version: u8,
    pub vrid: u8,
    pub priority: u8,
    /// Advertisement interval in centiseconds (v2 carries whole seconds on the wire).
    pub adver_int_cs: u16,
    /// Simple-password authentication data (v2 auth type 1); None = no authentication.
    pub auth_pass: Option<[u8; 8]>,
    pub addrs: Vec<Ipv4Addr>,
}

impl VrrpAdvert {
    pub fn len(&self) -> u16 {
        let base = 8 + 4 * self.addrs.len() as u16;
        if self.version == 2 {
            base + 8
        } else {
            base
        }
    }
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// A short one-line summary of a frame, tcpdump-like.
pub fn summarize(frame: &Frame) -> String {
    match &frame.payload {
        EthPayload::Arp(a) => match a.op {
            ArpOp::Request if a.is_gratuitous() => {
                format!("ARP gratuitous {} is-at {}", a.sender_ip, a.sender_mac)
            }
            ArpOp::Request => format!("ARP who-has {} tell {}", a.target_ip, a.sender_ip),
            ArpOp::Reply => format!("ARP {} is-at {}", a.sender_ip, a.sender_mac),
        },
        EthPayload::Ipv4(p) => summarize_ip(p),
    }
}

pub fn summarize_ip(p: &Ipv4Packet) -> String {
    match &p.payload {
        IpPayload::Tcp(t) => format!(
            "{}:{} > {}:{} TCP [{}] seq {} ack {} len {}",
            p.src, t.sport, p.dst, t.dport, t.flags, t.seq, t.ack, t.payload.len
        ),
        IpPayload::Udp(u) => format!(
            "{}:{} > {}:{} UDP len {}",
            p.src, u.sport, p.dst, u.dport, u.payload.len
        ),
        IpPayload::Icmp(i) => match i {
            IcmpMessage::EchoRequest { .. } => format!("{} > {} ICMP echo request", p.src, p.dst),
            IcmpMessage::EchoReply { .. } => format!("{} > {} ICMP echo reply", p.src, p.dst),
            IcmpMessage::DestUnreachable { code, mtu, .. } => match *code {
                IcmpMessage::PORT_UNREACHABLE => {
                    format!("{} > {} ICMP port unreachable", p.src, p.dst)
                }
                IcmpMessage::HOST_UNREACHABLE => {
                    format!("{} > {} ICMP host unreachable", p.src, p.dst)
                }
                IcmpMessage::FRAG_NEEDED => {
                    format!("{} > {} ICMP frag needed mtu {}", p.src, p.dst, mtu)
                }
                c => format!("{} > {} ICMP unreachable code {}", p.src, p.dst, c),
            },
            IcmpMessage::TimeExceeded { .. } => format!("{} > {} ICMP time exceeded", p.src, p.dst),
        },
        IpPayload::Ipip(inner) => format!("{} > {} IPIP ( {} )", p.src, p.dst, summarize_ip(inner)),
        IpPayload::Vrrp(v) => format!(
            "{} > {} VRRPv{} vrid {} prio {} intvl {}cs",
            p.src, p.dst, v.version, v.vrid, v.priority, v.adver_int_cs
        ),
    }
}
