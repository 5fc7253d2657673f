//! Workloads replayed from real traffic captures.
//!
//! An operator points a scenario workload at a pcap or pcapng file taken on a real director
//! or client (`capture = "file.pcapng"`); [`resolve_captures`] reads it with
//! [`read_capture`] and fills the workload's `replay` list: one entry per TCP connection to
//! the service port, with its arrival time, client address and port, and the payload bytes
//! each side sent. The engine then opens exactly those connections.
//!
//! What is read:
//!
//! * containers: classic pcap (either byte order, microsecond or nanosecond timestamps) and
//!   pcapng (any number of sections and interfaces; `if_tsresol` and `if_tsoffset` are
//!   applied). pcapng Simple Packet Blocks (no timestamp) and obsolete Packet Blocks are
//!   skipped;
//! * link layers: Ethernet (with VLAN tags), Linux cooked capture v1 and v2, raw IP and
//!   BSD/OpenBSD loopback. Any other link type is an error;
//! * IPv4 only: IPv6 packets are skipped (counted, and named in the error when no
//!   connection was found), and so are IP fragments.
//!
//! How connections are found: a connection starts at a client SYN (SYN without ACK) to the
//! server port. A SYN of the same 4-tuple with the same initial sequence number is a
//! retransmission (or the same SYN seen again on another hop, as a capture on an LVS-DR
//! director shows it) and does not start a new connection; a SYN of the same client
//! address, port and initial sequence number to another server address is the same
//! connection after destination NAT (a capture on both sides of an LVS-NAT director), so it
//! is counted once too. Payload bytes are counted per direction as the highest sequence
//! offset reached, so retransmitted and overlapping segments count once and bytes lost by
//! the capture (but sent) count too. A segment cut by the snap length counts with the
//! length its IP header gives. Segments of connections whose SYN is not in the capture are
//! ignored.
//!
//! Nothing here panics on any input: malformed or truncated containers are errors,
//! undecodable packets are skipped.

use lvslab_sim::scenario::format::{Dur, ReplayConnFile};
use lvslab_sim::scenario::{parse_sockaddr, Scenario};
use lvslab_sim::SimDuration;
use std::collections::{BTreeSet, HashMap};
use std::net::Ipv4Addr;
use std::path::Path;

/// One TCP connection found in a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CapturedConn {
    /// Time of the client's SYN, in nanoseconds after the first SYN taken.
    pub t_ns: u64,
    pub client: Ipv4Addr,
    pub client_port: u16,
    pub server: Ipv4Addr,
    pub server_port: u16,
    /// TCP payload bytes client -> server.
    pub request_bytes: u64,
    /// TCP payload bytes server -> client.
    pub response_bytes: u64,
}

/// Why a capture could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("not a capture file: {0}")]
    NotACapture(String),
    #[error("the capture file is truncated at byte {at}: the {what} starting at byte {start} is incomplete")]
    Truncated {
        /// Where the data ends (the file's length).
        at: usize,
        /// Where the incomplete header, record or block starts.
        start: usize,
        what: &'static str,
    },
    #[error("the capture file is malformed at byte {at}: {what}")]
    Malformed { at: usize, what: String },
    #[error("unsupported link type {0} (supported: Ethernet, Linux cooked v1/v2, raw IPv4, BSD loopback)")]
    UnsupportedLinkType(u32),
    #[error("no TCP connection to port {port} in the capture ({})", describe_seen(.seen, .ipv6_skipped))]
    NoConnection {
        port: u16,
        /// Server ports of the client SYNs the capture holds.
        seen: Vec<u16>,
        ipv6_skipped: u64,
    },
}

fn describe_seen(seen: &[u16], ipv6_skipped: &u64) -> String {
    let mut s = if seen.is_empty() {
        "it holds no TCP connection set-up at all".to_string()
    } else {
        const SHOWN: usize = 20;
        let mut list: Vec<String> = seen.iter().take(SHOWN).map(|p| p.to_string()).collect();
        if seen.len() > SHOWN {
            list.push(format!("and {} more", seen.len() - SHOWN));
        }
        format!("it has connections to ports {}", list.join(", "))
    };
    if *ipv6_skipped > 0 {
        s.push_str(&format!(
            "; {ipv6_skipped} IPv6 packet(s) were skipped: only IPv4 is replayed"
        ));
    }
    s
}

// LINKTYPE_* values of the tcpdump.org registry.
const LINK_NULL: u32 = 0;
const LINK_ETHERNET: u32 = 1;
const LINK_RAW: u32 = 101;
const LINK_LOOP: u32 = 108;
const LINK_LINUX_SLL: u32 = 113;
const LINK_IPV4: u32 = 228;
const LINK_LINUX_SLL2: u32 = 276;

/// The link type without the FCS bits some writers put in the upper bits.
fn link_type(raw: u32) -> u32 {
    raw & 0x03FF_FFFF
}

fn supported_link(link: u32) -> bool {
    matches!(
        link,
        LINK_NULL
            | LINK_ETHERNET
            | LINK_RAW
            | LINK_LOOP
            | LINK_LINUX_SLL
            | LINK_IPV4
            | LINK_LINUX_SLL2
    )
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1], // microseconds, little-endian
    [0xa1, 0xb2, 0xc3, 0xd4], // microseconds, big-endian
    [0x4d, 0x3c, 0xb2, 0xa1], // nanoseconds, little-endian
    [0xa1, 0xb2, 0x3c, 0x4d], // nanoseconds, big-endian
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Reads the TCP connections to `server_port` from a pcap or pcapng file's bytes.
///
/// Connections come sorted by SYN time, then by 4-tuple; `t_ns` counts from the first SYN
/// taken. IPv6 packets and IP fragments are skipped (see the module documentation for the
/// rules). Never panics: a malformed or truncated file is an error.
pub fn read_capture(bytes: &[u8], server_port: u16) -> Result<Vec<CapturedConn>, CaptureError> {
    // The decoding is written not to panic; this is a backstop for the two third-party
    // parsers it relies on (pcap-file, etherparse): a bug there becomes an error, not a
    // crash of the command line.
    std::panic::catch_unwind(|| read_capture_unguarded(bytes, server_port)).unwrap_or_else(|_| {
        Err(CaptureError::Malformed {
            at: 0,
            what: "the capture could not be decoded (the parser failed on it)".into(),
        })
    })
}

fn read_capture_unguarded(
    bytes: &[u8],
    server_port: u16,
) -> Result<Vec<CapturedConn>, CaptureError> {
    let head = bytes.get(..4);
    let mut t = Tracker::new(server_port);
    match head {
        Some(h) if PCAP_MAGICS.iter().any(|m| m == h) => read_pcap(bytes, &mut t)?,
        Some(h) if h == PCAPNG_MAGIC => read_pcapng(bytes, &mut t)?,
        _ => return Err(not_a_capture(bytes)),
    }
    t.finish()
}

fn not_a_capture(bytes: &[u8]) -> CaptureError {
    if bytes.is_empty() {
        return CaptureError::NotACapture("the file is empty".into());
    }
    if bytes.len() < 4
        && (PCAP_MAGICS.iter().any(|m| m.starts_with(bytes)) || PCAPNG_MAGIC.starts_with(bytes))
    {
        return CaptureError::Truncated {
            at: bytes.len(),
            start: 0,
            what: "file header",
        };
    }
    if bytes.starts_with(&[0x1f, 0x8b]) {
        return CaptureError::NotACapture(
            "it is gzip-compressed; decompress it first (gunzip)".into(),
        );
    }
    let start: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    CaptureError::NotACapture(format!(
        "it starts with the bytes {}; a pcap file starts with d4 c3 b2 a1 or a1 b2 c3 d4 \
         (4d 3c b2 a1 or a1 b2 3c 4d with nanoseconds), a pcapng file with 0a 0d 0d 0a",
        start.join(" ")
    ))
}

fn container_error(
    e: pcap_file::PcapError,
    bytes: &[u8],
    start: usize,
    what: &'static str,
) -> CaptureError {
    match e {
        pcap_file::PcapError::IncompleteBuffer => CaptureError::Truncated {
            at: bytes.len(),
            start,
            what,
        },
        other => CaptureError::Malformed {
            at: start,
            what: format!("{what}: {other}"),
        },
    }
}

fn read_pcap(bytes: &[u8], t: &mut Tracker) -> Result<(), CaptureError> {
    use pcap_file::pcap::{PcapHeader, PcapParser};
    let (_, header) =
        PcapHeader::from_slice(bytes).map_err(|e| container_error(e, bytes, 0, "file header"))?;
    let (mut rem, parser) =
        PcapParser::new(bytes).map_err(|e| container_error(e, bytes, 0, "file header"))?;
    let link = link_type(u32::from(header.datalink));
    if !supported_link(link) {
        return Err(CaptureError::UnsupportedLinkType(link));
    }
    let nanos = header.ts_resolution == pcap_file::TsResolution::NanoSecond;
    while !rem.is_empty() {
        let start = bytes.len() - rem.len();
        let (next, packet) = parser
            .next_raw_packet(rem)
            .map_err(|e| container_error(e, bytes, start, "packet record"))?;
        if next.len() >= rem.len() {
            return Err(CaptureError::Malformed {
                at: start,
                what: "a packet record that takes no room".into(),
            });
        }
        rem = next;
        let frac = u64::from(packet.ts_frac);
        let ns = u64::from(packet.ts_sec)
            .saturating_mul(1_000_000_000)
            .saturating_add(if nanos {
                frac
            } else {
                frac.saturating_mul(1_000)
            });
        t.frame(link, ns, &packet.data);
    }
    Ok(())
}

/// Timestamp units per second of a pcapng interface (`if_tsresol`; default 10^-6 s).
fn units_per_sec(tsresol: u8) -> Option<u128> {
    let exp = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        10u128.checked_pow(exp)
    } else {
        2u128.checked_pow(exp)
    }
}

fn read_pcapng(bytes: &[u8], t: &mut Tracker) -> Result<(), CaptureError> {
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionOption;
    use pcap_file::pcapng::{Block, PcapNgParser};
    let (mut rem, mut parser) = PcapNgParser::new(bytes)
        .map_err(|e| container_error(e, bytes, 0, "section header block"))?;
    while !rem.is_empty() {
        let start = bytes.len() - rem.len();
        let (next, block) = parser
            .next_block(rem)
            .map_err(|e| container_error(e, bytes, start, "block"))?;
        if next.len() >= rem.len() {
            return Err(CaptureError::Malformed {
                at: start,
                what: "a block that takes no room".into(),
            });
        }
        rem = next;
        let Block::EnhancedPacket(epb) = &block else {
            continue;
        };
        let Some(idb) = parser.packet_interface(epb) else {
            // A packet of an interface no Interface Description Block announced: skipped.
            continue;
        };
        let link = link_type(u32::from(idb.linktype));
        if !supported_link(link) {
            t.unsupported_link.get_or_insert(link);
            continue;
        }
        let mut tsresol = 6u8;
        let mut tsoffset = 0i128;
        for o in &idb.options {
            match o {
                InterfaceDescriptionOption::IfTsResol(r) => tsresol = *r,
                // Seconds (u64 in pcap-file 2; `as` also fits a signed field).
                InterfaceDescriptionOption::IfTsOffset(s) => tsoffset = i128::from(*s as i64),
                _ => {}
            }
        }
        let Some(units) = units_per_sec(tsresol) else {
            // A resolution finer than 10^-38 s or 2^-127 s: not a real interface.
            continue;
        };
        // pcap-file 2 turns the raw 64-bit timestamp into a Duration as if it counted
        // nanoseconds, whatever if_tsresol says; that is lossless, so take the raw count
        // back and scale it by the interface's resolution.
        let raw = epb.timestamp.as_nanos();
        let ns = raw.saturating_mul(1_000_000_000) / units.max(1);
        let ns = i128::try_from(ns)
            .unwrap_or(i128::MAX)
            .saturating_add(tsoffset.saturating_mul(1_000_000_000));
        let ns = u64::try_from(ns.max(0)).unwrap_or(u64::MAX);
        t.frame(link, ns, &epb.data);
    }
    Ok(())
}

/// One TCP segment of an IPv4 packet.
struct Segment {
    src: Ipv4Addr,
    dst: Ipv4Addr,
    sport: u16,
    dport: u16,
    seq: u32,
    syn: bool,
    ack: bool,
    payload_len: u64,
}

enum Decoded {
    Tcp(Segment),
    Ipv6,
    Other,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([s[0], s[1]]))
}

/// The packet after a link header that gives an EtherType.
fn by_ether_type(ether_type: u16, rest: Option<&[u8]>) -> Decoded {
    match (ether_type, rest) {
        (0x0800, Some(ip)) => from_ip(ip),
        (0x86dd, _) => Decoded::Ipv6,
        _ => Decoded::Other,
    }
}

fn from_ip(ip: &[u8]) -> Decoded {
    match etherparse::LaxSlicedPacket::from_ip(ip) {
        Ok(p) => from_sliced(&p),
        Err(_) => Decoded::Other,
    }
}

fn decode(link: u32, data: &[u8]) -> Decoded {
    match link {
        LINK_ETHERNET => match etherparse::LaxSlicedPacket::from_ethernet(data) {
            Ok(p) => from_sliced(&p),
            Err(_) => Decoded::Other,
        },
        LINK_RAW | LINK_IPV4 => from_ip(data),
        // Linux cooked v1: 16 bytes, the protocol (an EtherType) in the last two.
        LINK_LINUX_SLL => match be16(data, 14) {
            Some(proto) => by_ether_type(proto, data.get(16..)),
            None => Decoded::Other,
        },
        // Linux cooked v2: 20 bytes, the protocol in the first two.
        LINK_LINUX_SLL2 => match be16(data, 0) {
            Some(proto) => by_ether_type(proto, data.get(20..)),
            None => Decoded::Other,
        },
        // BSD loopback: the address family in 4 bytes, host byte order (LINKTYPE_NULL) or
        // network byte order (LINKTYPE_LOOP); AF_INET is 2 everywhere, AF_INET6 24/28/30.
        LINK_NULL | LINK_LOOP => {
            let Some(fam) = data.get(..4) else {
                return Decoded::Other;
            };
            let fam = [fam[0], fam[1], fam[2], fam[3]];
            let (le, be) = (u32::from_le_bytes(fam), u32::from_be_bytes(fam));
            if le == 2 || be == 2 {
                data.get(4..).map(from_ip).unwrap_or(Decoded::Other)
            } else if [24, 28, 30].contains(&le) || [24, 28, 30].contains(&be) {
                Decoded::Ipv6
            } else {
                Decoded::Other
            }
        }
        _ => Decoded::Other,
    }
}

fn from_sliced(p: &etherparse::LaxSlicedPacket<'_>) -> Decoded {
    use etherparse::{LaxNetSlice, TransportSlice};
    let ip = match &p.net {
        Some(LaxNetSlice::Ipv4(ip)) => ip,
        Some(LaxNetSlice::Ipv6(_)) => return Decoded::Ipv6,
        _ => return Decoded::Other,
    };
    // Fragments carry no (or not all of the) TCP header: etherparse does not slice their
    // transport layer, so they end here.
    let Some(TransportSlice::Tcp(tcp)) = &p.transport else {
        return Decoded::Other;
    };
    let h = ip.header();
    let captured = tcp.payload().len();
    // Cut by the snap length: the IP header still tells how long the segment was.
    let payload_len = if ip.payload().incomplete {
        let claimed = usize::from(h.total_len())
            .saturating_sub(usize::from(h.ihl()) * 4)
            .saturating_sub(tcp.header_len());
        claimed.max(captured)
    } else {
        captured
    };
    Decoded::Tcp(Segment {
        src: Ipv4Addr::from(h.source()),
        dst: Ipv4Addr::from(h.destination()),
        sport: tcp.source_port(),
        dport: tcp.destination_port(),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack(),
        payload_len: payload_len as u64,
    })
}

/// The bytes of one direction of a connection, as the highest sequence offset reached.
#[derive(Default)]
struct Stream {
    /// Sequence number of the first payload byte (ISN + 1).
    base: Option<u32>,
    /// Highest offset (from `base`) of a payload byte seen, plus one.
    high: u64,
}

impl Stream {
    fn data(&mut self, seq: u32, len: u64) {
        if len == 0 {
            return;
        }
        let base = *self.base.get_or_insert(seq);
        // The 32-bit offset, unwrapped to the 64-bit offset nearest the highest one so far
        // (sequence numbers wrap after 4 GiB).
        let rel = i128::from(seq.wrapping_sub(base));
        let high = i128::from(self.high);
        let mut start = (high & !0xFFFF_FFFF_i128) | rel;
        if start - high > 1 << 31 {
            start -= 1 << 32;
        } else if high - start > 1 << 31 {
            start += 1 << 32;
        }
        let end = start + i128::from(len);
        if end > high {
            self.high = u64::try_from(end).unwrap_or(u64::MAX);
        }
    }
}

/// (client, client port, server, server port)
type Key = (Ipv4Addr, u16, Ipv4Addr, u16);

struct Track {
    key: Key,
    syn_ns: u64,
    isn: u32,
    req: Stream,
    resp: Stream,
}

struct Tracker {
    port: u16,
    tracks: Vec<Track>,
    /// The connection each 4-tuple belongs to now (several 4-tuples may name one
    /// connection: the two sides of a NAT).
    by_key: HashMap<Key, usize>,
    /// (client, client port, ISN) -> connection: the same SYN after destination NAT.
    by_isn: HashMap<(Ipv4Addr, u16, u32), usize>,
    syn_ports: BTreeSet<u16>,
    ipv6: u64,
    /// A link type of an interface whose packets were skipped (pcapng).
    unsupported_link: Option<u32>,
}

impl Tracker {
    fn new(port: u16) -> Self {
        Tracker {
            port,
            tracks: Vec::new(),
            by_key: HashMap::new(),
            by_isn: HashMap::new(),
            syn_ports: BTreeSet::new(),
            ipv6: 0,
            unsupported_link: None,
        }
    }

    fn frame(&mut self, link: u32, ns: u64, data: &[u8]) {
        match decode(link, data) {
            Decoded::Tcp(s) => self.segment(ns, &s),
            Decoded::Ipv6 => self.ipv6 += 1,
            Decoded::Other => {}
        }
    }

    fn segment(&mut self, ns: u64, s: &Segment) {
        let fwd: Key = (s.src, s.sport, s.dst, s.dport);
        // Payload of a SYN (TCP Fast Open) starts after the SYN's sequence number.
        let data_seq = if s.syn { s.seq.wrapping_add(1) } else { s.seq };
        if s.syn && !s.ack {
            self.syn_ports.insert(s.dport);
            if s.dport != self.port {
                return;
            }
            let i = match self.by_key.get(&fwd) {
                // A retransmitted SYN, or the same SYN seen again on another hop.
                Some(&i) if self.tracks[i].isn == s.seq => i,
                _ => match self.by_isn.get(&(s.src, s.sport, s.seq)) {
                    // The same connection on the other side of a destination NAT.
                    Some(&i) => {
                        self.by_key.insert(fwd, i);
                        i
                    }
                    // A new connection (also a new one reusing an earlier 4-tuple).
                    None => {
                        let i = self.tracks.len();
                        self.tracks.push(Track {
                            key: fwd,
                            syn_ns: ns,
                            isn: s.seq,
                            req: Stream {
                                base: Some(s.seq.wrapping_add(1)),
                                high: 0,
                            },
                            resp: Stream::default(),
                        });
                        self.by_key.insert(fwd, i);
                        self.by_isn.insert((s.src, s.sport, s.seq), i);
                        i
                    }
                },
            };
            let t = &mut self.tracks[i];
            t.syn_ns = t.syn_ns.min(ns);
            t.req.data(data_seq, s.payload_len);
            return;
        }
        if let Some(&i) = self.by_key.get(&fwd) {
            self.tracks[i].req.data(data_seq, s.payload_len);
        } else if let Some(&i) = self.by_key.get(&(s.dst, s.dport, s.src, s.sport)) {
            let resp = &mut self.tracks[i].resp;
            if s.syn && resp.base.is_none() {
                resp.base = Some(s.seq.wrapping_add(1));
            }
            resp.data(data_seq, s.payload_len);
        }
    }

    fn finish(self) -> Result<Vec<CapturedConn>, CaptureError> {
        let Some(t0) = self.tracks.iter().map(|t| t.syn_ns).min() else {
            if let Some(link) = self.unsupported_link {
                return Err(CaptureError::UnsupportedLinkType(link));
            }
            return Err(CaptureError::NoConnection {
                port: self.port,
                seen: self.syn_ports.into_iter().collect(),
                ipv6_skipped: self.ipv6,
            });
        };
        let mut v: Vec<CapturedConn> = self
            .tracks
            .iter()
            .map(|t| CapturedConn {
                t_ns: t.syn_ns - t0,
                client: t.key.0,
                client_port: t.key.1,
                server: t.key.2,
                server_port: t.key.3,
                request_bytes: t.req.high,
                response_bytes: t.resp.high,
            })
            .collect();
        v.sort_by_key(|c| (c.t_ns, c.client, c.client_port, c.server, c.server_port));
        Ok(v)
    }
}

/// Fills the `replay` list of every workload that names a `capture` file (a path relative
/// to `scenario_dir`), taking the connections to `capture_port` or, by default, to the port
/// of the workload's `target`. An existing `replay` list of such a workload is replaced.
/// The error names the scenario, the workload, the file and what is wrong with it.
pub fn resolve_captures(sc: &mut Scenario, scenario_dir: &Path) -> Result<(), String> {
    let scenario = sc.file_name.clone();
    for (i, w) in sc.spec.workloads.iter_mut().enumerate() {
        let Some(file) = w.capture.clone() else {
            continue;
        };
        let name = w.name.clone().unwrap_or_else(|| format!("workload{i}"));
        let at = format!("{scenario}: workload `{name}`");
        let port = match w.capture_port {
            Some(p) => p,
            None => match parse_sockaddr(&w.target) {
                Ok((_, p)) => p,
                Err(e) => {
                    return Err(format!(
                        "{at}: cannot tell which connections of {file} to replay: the target {e}; \
                         write the target as \"VIP:PORT\" or set capture_port"
                    ))
                }
            },
        };
        let path = scenario_dir.join(&file);
        let bytes = std::fs::read(&path)
            .map_err(|e| format!("{at}: cannot read the capture {}: {e}", path.display()))?;
        let conns = read_capture(&bytes, port)
            .map_err(|e| format!("{at}: capture {}: {e}", path.display()))?;
        w.replay = conns
            .iter()
            .map(|c| ReplayConnFile {
                at: Dur(SimDuration::from_nanos(c.t_ns)),
                source: format!("{}:{}", c.client, c.client_port),
                request_bytes: u32::try_from(c.request_bytes).unwrap_or(u32::MAX),
                response_bytes: u32::try_from(c.response_bytes).unwrap_or(u32::MAX),
            })
            .collect();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CLIENT: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 101);
    const CLIENT2: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 102);
    const VIP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
    const RIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 11);

    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;
    const PSH_ACK: u8 = 0x18;
    const FIN_ACK: u8 = 0x11;

    /// An IPv4 packet carrying a TCP segment of `len` zero bytes (checksums left at zero:
    /// nothing here checks them).
    fn ip_tcp(
        src: Ipv4Addr,
        dst: Ipv4Addr,
        sport: u16,
        dport: u16,
        seq: u32,
        flags: u8,
        len: usize,
    ) -> Vec<u8> {
        let total = (20 + 20 + len) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 64, 6, 0, 0]);
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&0u32.to_be_bytes()); // ack number: not read
        p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p.resize(p.len() + len, 0);
        p
    }

    fn ethernet(ip: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        f.extend_from_slice(ip);
        f
    }

    /// (seconds, microseconds, IPv4 packet)
    type Pkt = (u32, u32, Vec<u8>);

    /// A whole exchange: SYN, SYN-ACK, ACK, a request of `req` bytes, a response of
    /// `resp` bytes in two segments (the first sent twice), FINs.
    fn exchange(
        client: Ipv4Addr,
        cport: u16,
        server: Ipv4Addr,
        t: u32,
        req: usize,
        resp: usize,
    ) -> Vec<Pkt> {
        let (c, s) = (1000u32, 5000u32);
        let first = resp / 2;
        let c2s = |seq, flags, len| ip_tcp(client, server, cport, 80, seq, flags, len);
        let s2c = |seq, flags, len| ip_tcp(server, client, 80, cport, seq, flags, len);
        let r = req as u32;
        vec![
            (t, 0, c2s(c, SYN, 0)),
            (t, 100, s2c(s, SYN | ACK, 0)),
            (t, 200, c2s(c + 1, ACK, 0)),
            (t, 300, c2s(c + 1, PSH_ACK, req)),
            (t, 400, s2c(s + 1, ACK, 0)),
            (t, 500, s2c(s + 1, PSH_ACK, first)),
            (t, 600, s2c(s + 1, PSH_ACK, first)), // retransmitted
            (t, 700, s2c(s + 1 + first as u32, PSH_ACK, resp - first)),
            (t, 800, s2c(s + 1 + resp as u32, FIN_ACK, 0)),
            (t, 900, c2s(c + 1 + r, FIN_ACK, 0)),
        ]
    }

    fn pcap(le: bool, nanos: bool, link: u32, pkts: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
        let w32 = |b: &mut Vec<u8>, v: u32| {
            b.extend_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() })
        };
        let w16 = |b: &mut Vec<u8>, v: u16| {
            b.extend_from_slice(&if le { v.to_le_bytes() } else { v.to_be_bytes() })
        };
        let mut b = Vec::new();
        w32(&mut b, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        w16(&mut b, 2);
        w16(&mut b, 4);
        w32(&mut b, 0);
        w32(&mut b, 0);
        w32(&mut b, 65535);
        w32(&mut b, link);
        for (sec, usec, frame) in pkts {
            w32(&mut b, *sec);
            w32(&mut b, if nanos { usec * 1000 } else { *usec });
            w32(&mut b, frame.len() as u32);
            w32(&mut b, frame.len() as u32);
            b.extend_from_slice(frame);
        }
        b
    }

    fn eth_pcap(pkts: &[Pkt]) -> Vec<u8> {
        let frames: Vec<Pkt> = pkts.iter().map(|(s, u, p)| (*s, *u, ethernet(p))).collect();
        pcap(true, false, LINK_ETHERNET, &frames)
    }

    fn two_connections() -> Vec<Pkt> {
        let mut p = exchange(CLIENT, 40000, VIP, 10, 100, 1000);
        p.extend(exchange(CLIENT2, 40001, VIP, 11, 86, 3202));
        p
    }

    fn expected_two() -> Vec<CapturedConn> {
        vec![
            CapturedConn {
                t_ns: 0,
                client: CLIENT,
                client_port: 40000,
                server: VIP,
                server_port: 80,
                request_bytes: 100,
                response_bytes: 1000,
            },
            CapturedConn {
                t_ns: 1_000_000_000,
                client: CLIENT2,
                client_port: 40001,
                server: VIP,
                server_port: 80,
                request_bytes: 86,
                response_bytes: 3202,
            },
        ]
    }

    #[test]
    fn connections_with_request_and_response_sizes() {
        let bytes = eth_pcap(&two_connections());
        assert_eq!(read_capture(&bytes, 80).unwrap(), expected_two());
    }

    #[test]
    fn both_byte_orders_and_nanosecond_files_read_the_same() {
        let frames: Vec<Pkt> = two_connections()
            .iter()
            .map(|(s, u, p)| (*s, *u, ethernet(p)))
            .collect();
        for (le, nanos) in [(true, true), (false, false), (false, true)] {
            let bytes = pcap(le, nanos, LINK_ETHERNET, &frames);
            assert_eq!(
                read_capture(&bytes, 80).unwrap(),
                expected_two(),
                "le={le} nanos={nanos}"
            );
        }
    }

    /// The packets behind a link header.
    fn framed(header: &[u8]) -> Vec<Pkt> {
        two_connections()
            .into_iter()
            .map(|(s, u, p)| (s, u, [header, &p[..]].concat()))
            .collect()
    }

    #[test]
    fn other_link_layers() {
        let raw = framed(&[]);
        // Linux cooked v1: packet type, ARPHRD_ETHER, address length, address, EtherType.
        let sll = framed(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]);
        // Linux cooked v2: EtherType, reserved, ifindex, ARPHRD_ETHER, type, length, address.
        let sll2 = framed(&[
            0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ]);
        // BSD loopback: AF_INET in the capturing host's order (here little-endian) ...
        let null = framed(&2u32.to_le_bytes());
        // ... and OpenBSD loopback: in network order.
        let lo = framed(&2u32.to_be_bytes());
        for (link, frames) in [
            (LINK_RAW, &raw),
            (LINK_IPV4, &raw),
            (LINK_LINUX_SLL, &sll),
            (LINK_LINUX_SLL2, &sll2),
            (LINK_NULL, &null),
            (LINK_LOOP, &lo),
        ] {
            let bytes = pcap(true, false, link, frames);
            assert_eq!(
                read_capture(&bytes, 80).unwrap(),
                expected_two(),
                "link {link}"
            );
        }
    }

    #[test]
    fn a_retransmitted_syn_is_one_connection() {
        let mut p = exchange(CLIENT, 40000, VIP, 10, 100, 1000);
        // The SYN again, 1 s later (same ISN), after the first one was answered nowhere.
        p.insert(1, (11, 0, p[0].2.clone()));
        // And a different port: another connection.
        p.extend(exchange(CLIENT, 40002, VIP, 12, 10, 20));
        let got = read_capture(&eth_pcap(&p), 80).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].t_ns, got[0].client_port), (0, 40000));
        assert_eq!((got[0].request_bytes, got[0].response_bytes), (100, 1000));
        assert_eq!((got[1].t_ns, got[1].client_port), (2_000_000_000, 40002));
    }

    #[test]
    fn a_new_isn_on_the_same_four_tuple_is_a_new_connection() {
        let mut p = exchange(CLIENT, 40000, VIP, 10, 100, 1000);
        p.push((20, 0, ip_tcp(CLIENT, VIP, 40000, 80, 77_000, SYN, 0)));
        let got = read_capture(&eth_pcap(&p), 80).unwrap();
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[1].t_ns, 10_000_000_000);
        assert_eq!((got[1].request_bytes, got[1].response_bytes), (0, 0));
    }

    #[test]
    fn both_sides_of_a_nat_are_one_connection() {
        // A capture on an LVS-NAT director: each packet once towards the VIP, once
        // towards the real server (destination rewritten, ports and sequence numbers kept).
        let outside = exchange(CLIENT, 40000, VIP, 10, 100, 1000);
        let inside = exchange(CLIENT, 40000, RIP, 10, 100, 1000);
        let mut p = Vec::new();
        for (o, i) in outside.into_iter().zip(inside) {
            let (s, u, pkt) = i;
            p.push(o);
            p.push((s, u + 50, pkt));
        }
        let got = read_capture(&eth_pcap(&p), 80).unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].server, VIP);
        assert_eq!((got[0].request_bytes, got[0].response_bytes), (100, 1000));
    }

    #[test]
    fn sequence_numbers_wrapping_past_zero() {
        let c = u32::MAX - 10;
        let p = vec![
            (1, 0, ip_tcp(CLIENT, VIP, 40000, 80, c, SYN, 0)),
            (
                1,
                1,
                ip_tcp(CLIENT, VIP, 40000, 80, c.wrapping_add(1), PSH_ACK, 100),
            ),
            (
                1,
                2,
                ip_tcp(CLIENT, VIP, 40000, 80, c.wrapping_add(101), PSH_ACK, 50),
            ),
        ];
        let got = read_capture(&eth_pcap(&p), 80).unwrap();
        assert_eq!(got[0].request_bytes, 150);
    }

    #[test]
    fn a_segment_cut_by_the_snap_length_counts_whole() {
        let mut frames: Vec<Pkt> = exchange(CLIENT, 40000, VIP, 10, 100, 1000)
            .into_iter()
            .map(|(s, u, x)| (s, u, ethernet(&x)))
            .collect();
        // Keep only 10 payload bytes of every segment (a capture with a small snap length).
        for f in &mut frames {
            f.2.truncate(14 + 40 + 10);
        }
        let got = read_capture(&pcap(true, false, LINK_ETHERNET, &frames), 80).unwrap();
        assert_eq!((got[0].request_bytes, got[0].response_bytes), (100, 1000));
    }

    #[test]
    fn a_truncated_file_is_an_error() {
        let bytes = eth_pcap(&two_connections());
        // Where records start: cutting there leaves a valid (shorter) capture.
        let mut boundaries = vec![24usize];
        let mut at = 24;
        while at < bytes.len() {
            let len = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
            at += 16 + len;
            boundaries.push(at);
        }
        for cut in 0..bytes.len() {
            let r = read_capture(&bytes[..cut], 80);
            if cut == 0 {
                assert!(matches!(r, Err(CaptureError::NotACapture(_))), "{r:?}");
            } else if !boundaries.contains(&cut) {
                match r {
                    Err(e @ CaptureError::Truncated { .. }) => {
                        let msg = e.to_string();
                        assert!(msg.contains(&format!("truncated at byte {cut}")), "{msg}");
                    }
                    other => panic!("cut at {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn a_wrong_link_type_is_named() {
        let frames: Vec<Pkt> = two_connections()
            .iter()
            .map(|(s, u, p)| (*s, *u, ethernet(p)))
            .collect();
        let bytes = pcap(true, false, 105, &frames); // IEEE 802.11
        let e = read_capture(&bytes, 80).unwrap_err();
        assert!(matches!(e, CaptureError::UnsupportedLinkType(105)), "{e:?}");
        let msg = e.to_string();
        assert!(msg.contains("unsupported link type 105"), "{msg}");
        assert!(
            msg.contains("supported: Ethernet, Linux cooked v1/v2"),
            "{msg}"
        );
    }

    #[test]
    fn not_a_capture_and_no_connection_say_so() {
        let e = read_capture(b"hello, world", 80).unwrap_err();
        assert!(e.to_string().starts_with("not a capture file"), "{e}");
        let e = read_capture(&[0x1f, 0x8b, 8, 0, 0], 80).unwrap_err();
        assert!(e.to_string().contains("gzip"), "{e}");
        let e = read_capture(&eth_pcap(&two_connections()), 443).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("no TCP connection to port 443") && msg.contains("ports 80"),
            "{msg}"
        );
        let e = read_capture(&eth_pcap(&[]), 80).unwrap_err();
        assert!(
            e.to_string().contains("no TCP connection set-up at all"),
            "{e}"
        );
    }

    #[test]
    fn ipv6_is_skipped_and_mentioned() {
        let mut v6 = vec![0x60, 0, 0, 0, 0, 20, 6, 64];
        v6.extend_from_slice(&[0; 32]);
        v6.extend_from_slice(&[0; 20]);
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd];
        f.extend_from_slice(&v6);
        let bytes = pcap(true, false, LINK_ETHERNET, &[(1, 0, f)]);
        let msg = read_capture(&bytes, 80).unwrap_err().to_string();
        assert!(msg.contains("1 IPv6 packet(s) were skipped"), "{msg}");
    }

    /// pcapng with one Ethernet interface; `tsresol` None leaves the default (10^-6 s).
    fn pcapng(tsresol: Option<u8>, pkts: &[Pkt]) -> Vec<u8> {
        let block = |b: &mut Vec<u8>, kind: u32, body: &[u8]| {
            let len = (12 + body.len()) as u32;
            b.extend_from_slice(&kind.to_le_bytes());
            b.extend_from_slice(&len.to_le_bytes());
            b.extend_from_slice(body);
            b.extend_from_slice(&len.to_le_bytes());
        };
        let mut b = Vec::new();
        let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        block(&mut b, 0x0a0d_0d0a, &shb);
        let mut idb = 1u16.to_le_bytes().to_vec();
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&262_144u32.to_le_bytes());
        if let Some(r) = tsresol {
            idb.extend_from_slice(&9u16.to_le_bytes());
            idb.extend_from_slice(&1u16.to_le_bytes());
            idb.extend_from_slice(&[r, 0, 0, 0]);
            idb.extend_from_slice(&[0, 0, 0, 0]); // opt_endofopt
        }
        block(&mut b, 1, &idb);
        let per_sec: u64 = match tsresol {
            Some(r) => 10u64.pow(u32::from(r)),
            None => 1_000_000,
        };
        for (sec, usec, ip) in pkts {
            let frame = ethernet(ip);
            let ts = u64::from(*sec) * per_sec + u64::from(*usec) * per_sec / 1_000_000;
            let mut epb = 0u32.to_le_bytes().to_vec();
            epb.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
            epb.extend_from_slice(&(ts as u32).to_le_bytes());
            epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            epb.extend_from_slice(&(frame.len() as u32).to_le_bytes());
            epb.extend_from_slice(&frame);
            epb.resize(epb.len().div_ceil(4) * 4, 0);
            block(&mut b, 6, &epb);
        }
        b
    }

    #[test]
    fn pcapng_with_micro_and_nanosecond_interfaces() {
        for tsresol in [None, Some(6), Some(9)] {
            let bytes = pcapng(tsresol, &two_connections());
            assert_eq!(
                read_capture(&bytes, 80).unwrap(),
                expected_two(),
                "if_tsresol {tsresol:?}"
            );
        }
        let bytes = pcapng(None, &two_connections());
        let cut = bytes.len() - 3;
        assert!(matches!(
            read_capture(&bytes[..cut], 80),
            Err(CaptureError::Truncated { .. })
        ));
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..3000), port: u16) {
            // The unguarded reader: a panic here is a real bug (read_capture would turn it
            // into an error).
            let _ = read_capture_unguarded(&data, port);
            let mut pcap_head = pcap(true, false, LINK_ETHERNET, &[]);
            pcap_head.extend_from_slice(&data);
            let _ = read_capture_unguarded(&pcap_head, port);
            let mut ng_head = pcapng(None, &[]);
            ng_head.extend_from_slice(&data);
            let _ = read_capture_unguarded(&ng_head, port);
        }

        #[test]
        fn mutated_captures_never_panic(
            muts in proptest::collection::vec((any::<usize>(), any::<u8>()), 0..12),
            cut in any::<usize>(),
            ng: bool,
        ) {
            let mut b = if ng { pcapng(Some(9), &two_connections()) } else { eth_pcap(&two_connections()) };
            let n = b.len();
            for (at, v) in muts {
                b[at % n] = v;
            }
            b.truncate(cut % (n + 1));
            let _ = read_capture_unguarded(&b, 80);
            let _ = read_capture(&b, 80);
        }
    }
}
