//! Per-hop packet records: one per frame a host sends or receives. They feed the trace
//! file, the browser's animation and packet inspector, and pcap output.

use crate::time::SimTime;
use crate::wire::{ArpOp, EthPayload, Frame, IcmpMessage, IpPayload, Ipv4Packet};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Rx,
    Tx,
}

/// What happened to a frame at this hop.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "verdict", content = "reason")]
pub enum Verdict {
    /// Put on the wire.
    Sent,
    /// Taken by the local stack (or ARP).
    Delivered,
    /// Routed / load-balanced onwards (the next tx record names this one as parent).
    Forwarded,
    Dropped(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EthSummary {
    pub src: String,
    pub dst: String,
    #[serde(rename = "type")]
    pub ethertype: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArpSummary {
    pub op: &'static str,
    pub sender_mac: String,
    pub sender_ip: String,
    pub target_mac: String,
    pub target_ip: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IpSummary {
    pub src: String,
    pub dst: String,
    pub ttl: u8,
    pub proto: u8,
    pub len: u16,
    pub id: u16,
    pub df: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub udp: Option<UdpSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub icmp: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vrrp: Option<String>,
    /// The inner packet of IPIP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inner: Option<Box<IpSummary>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TcpSummary {
    pub sport: u16,
    pub dport: u16,
    pub flags: String,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UdpSummary {
    pub sport: u16,
    pub dport: u16,
    pub len: u32,
}

/// One JSON line of `--trace`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRecord {
    /// Simulated time in nanoseconds.
    pub t: u64,
    pub node: String,
    pub iface: String,
    pub dir: Direction,
    /// Identity of this transmission; the rx records of the same frame carry the same id.
    pub pkt: u64,
    /// For a forwarded or rewritten packet, the id of the frame it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    pub eth: EthSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arp: Option<ArpSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpSummary>,
    pub summary: String,
    #[serde(flatten)]
    pub verdict: Verdict,
}

pub fn summarize_ip(p: &Ipv4Packet) -> IpSummary {
    let mut s = IpSummary {
        src: p.src.to_string(),
        dst: p.dst.to_string(),
        ttl: p.ttl,
        proto: p.protocol(),
        len: p.total_len(),
        id: p.id,
        df: p.df,
        tcp: None,
        udp: None,
        icmp: None,
        vrrp: None,
        inner: None,
    };
    match &p.payload {
        IpPayload::Tcp(t) => {
            s.tcp = Some(TcpSummary {
                sport: t.sport,
                dport: t.dport,
                flags: t.flags.to_string(),
                seq: t.seq,
                ack: t.ack,
                len: t.payload.len,
            })
        }
        IpPayload::Udp(u) => {
            s.udp = Some(UdpSummary {
                sport: u.sport,
                dport: u.dport,
                len: u.payload.len,
            })
        }
        IpPayload::Icmp(i) => {
            s.icmp = Some(match i {
                IcmpMessage::EchoRequest { .. } => "echo request".into(),
                IcmpMessage::EchoReply { .. } => "echo reply".into(),
                IcmpMessage::DestUnreachable { code, mtu, .. } => match *code {
                    IcmpMessage::PORT_UNREACHABLE => "port unreachable".into(),
                    IcmpMessage::HOST_UNREACHABLE => "host unreachable".into(),
                    IcmpMessage::FRAG_NEEDED => format!("fragmentation needed, mtu {mtu}"),
                    c => format!("unreachable code {c}"),
                },
                IcmpMessage::TimeExceeded { .. } => "time exceeded".into(),
            })
        }
        IpPayload::Ipip(inner) => s.inner = Some(Box::new(summarize_ip(inner))),
        IpPayload::Vrrp(v) => {
            s.vrrp = Some(format!(
                "v{} vrid {} prio {} intvl {}cs",
                v.version, v.vrid, v.priority, v.adver_int_cs
            ))
        }
    }
    s
}

/// Builds a record for a frame at a hop.
/// Where and when a frame was seen.
#[derive(Clone, Copy, Debug)]
pub struct Hop<'a> {
    pub t: SimTime,
    pub node: &'a str,
    pub iface: &'a str,
    pub dir: Direction,
    pub pkt: u64,
    pub parent: Option<u64>,
}

pub fn record(hop: Hop<'_>, frame: &Frame, verdict: Verdict) -> TraceRecord {
    let Hop {
        t,
        node,
        iface,
        dir,
        pkt,
        parent,
    } = hop;
    let (ethertype, arp, ip) = match &frame.payload {
        EthPayload::Arp(a) => (
            "arp",
            Some(ArpSummary {
                op: match a.op {
                    ArpOp::Request => "request",
                    ArpOp::Reply => "reply",
                },
                sender_mac: a.sender_mac.to_string(),
                sender_ip: a.sender_ip.to_string(),
                target_mac: a.target_mac.to_string(),
                target_ip: a.target_ip.to_string(),
            }),
            None,
        ),
        EthPayload::Ipv4(p) => ("ipv4", None, Some(summarize_ip(p))),
    };
    TraceRecord {
        t: t.0,
        node: node.to_string(),
        iface: iface.to_string(),
        dir,
        pkt,
        parent,
        eth: EthSummary {
            src: frame.src.to_string(),
            dst: frame.dst.to_string(),
            ethertype,
        },
        arp,
        ip,
        summary: crate::wire::summarize(frame),
        verdict,
    }
}

/// Collects trace records and raw frames (for pcap) when enabled.
#[derive(Debug, Default)]
pub struct TraceLog {
    pub enabled: bool,
    pub records: Vec<TraceRecord>,
    /// Keep frames for pcap output: (time, segment, frame) for every transmission.
    pub capture: bool,
    pub frames: Vec<(SimTime, String, Frame)>,
}
