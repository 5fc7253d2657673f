//! Typed packets to exact wire bytes, laid out as Linux (and keepalived, and the IPVS sync
//! daemon) put them on the wire, so that pcap output opens cleanly in Wireshark.
//!
//! Every writer appends to one caller-owned buffer; checksums are patched in place once the
//! covered bytes are known. The encoded lengths always equal the lengths the typed model
//! reports (`Frame::len`, `Ipv4Packet::total_len`), which the tests check for every variant.

use super::{
    proto, AppData, ArpOp, ArpPacket, EthPayload, Frame, IcmpMessage, IpPayload, Ipv4Packet,
    Payload, SyncConnEntry, TcpOptions, TcpSegment, UdpDatagram, VrrpAdvert,
};
use std::fmt::{self, Write as _};
use std::net::Ipv4Addr;

/// Shortest Ethernet frame without FCS; shorter frames are zero-padded to this size.
pub const ETH_MIN_FRAME: usize = 60;
pub const ETH_HEADER_LEN: usize = 14;
pub const ETHERTYPE_IPV4: u16 = 0x0800;
pub const ETHERTYPE_ARP: u16 = 0x0806;

/// UDP port of the IPVS connection synchronisation daemon (K:ip_vs_sync.c `IP_VS_SYNC_PORT`).
pub const IPVS_SYNC_PORT: u16 = 8848;
/// Version written in the sync message header (`SYNC_PROTO_VER`).
pub const SYNC_PROTO_VER: u8 = 1;
/// `struct ip_vs_sync_mesg`: reserved, syncid, size, nr_conns, version, spare.
pub const SYNC_MESG_HEADER_LEN: usize = 8;
/// `struct ip_vs_sync_v4` without options.
pub const SYNC_CONN_V4_LEN: usize = 36;
/// The kernel never sends the HASHED connection flag in sync messages.
const IP_VS_CONN_F_HASHED: u32 = 0x0040;

/// Host name written in rendered HTTP requests. The payload bytes must not depend on the
/// addresses of the packet carrying them: NAT and tunnelling rewrite headers, never data.
const HTTP_HOST: &str = "lvslab.test";
/// Filler for payloads with no modelled meaning.
const OPAQUE_PATTERN: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789\n";

/// Wire length of an IPVS sync message (protocol version 1) carrying `conns` IPv4 entries.
pub fn ipvs_sync_len(conns: usize) -> usize {
    SYNC_MESG_HEADER_LEN + SYNC_CONN_V4_LEN * conns
}

/// The Internet checksum (RFC 1071) of `data`: one's complement of the one's complement sum
/// of its 16-bit big-endian words. Over bytes that already contain a correct checksum the
/// result is 0.
pub fn ipv4_checksum(data: &[u8]) -> u16 {
    finish_checksum(sum_words(0, data))
}

/// One's complement sum (not yet folded) of `data` added to `acc`; an odd last byte is
/// padded with a zero low byte.
fn sum_words(mut acc: u64, data: &[u8]) -> u64 {
    let mut chunks = data.chunks_exact(2);
    for w in &mut chunks {
        acc += u64::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u64::from(*last) << 8;
    }
    acc
}

fn finish_checksum(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Checksum of a transport message preceded by the IPv4 pseudo-header
/// (source, destination, zero, protocol, length).
fn pseudo_header_checksum(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, data: &[u8]) -> u16 {
    let mut acc = sum_words(0, &src.octets());
    acc = sum_words(acc, &dst.octets());
    acc += u64::from(protocol);
    acc += data.len() as u64 & 0xffff;
    finish_checksum(sum_words(acc, data))
}

fn put_u16(buf: &mut Vec<u8>, v: u16) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_be_bytes());
}

fn patch_u16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_be_bytes());
}

/// The bytes of an Ethernet II frame as pcap records it: no preamble, no FCS, zero-padded
/// to the 60-byte minimum.
pub fn encode_frame(frame: &Frame) -> Vec<u8> {
    let mut buf = Vec::with_capacity(frame.len());
    write_frame(&mut buf, frame);
    buf
}

/// Appends the bytes of `frame` to `buf` (see [`encode_frame`]).
pub fn write_frame(buf: &mut Vec<u8>, frame: &Frame) {
    let start = buf.len();
    buf.extend_from_slice(&frame.dst.0);
    buf.extend_from_slice(&frame.src.0);
    match &frame.payload {
        EthPayload::Arp(a) => {
            put_u16(buf, ETHERTYPE_ARP);
            write_arp(buf, a);
        }
        EthPayload::Ipv4(p) => {
            put_u16(buf, ETHERTYPE_IPV4);
            write_ipv4(buf, p);
        }
    }
    if buf.len() - start < ETH_MIN_FRAME {
        buf.resize(start + ETH_MIN_FRAME, 0);
    }
}

/// Appends an ARP packet for Ethernet/IPv4 (28 bytes).
pub fn write_arp(buf: &mut Vec<u8>, a: &ArpPacket) {
    put_u16(buf, 1); // hardware type: Ethernet
    put_u16(buf, ETHERTYPE_IPV4);
    buf.push(6);
    buf.push(4);
    put_u16(
        buf,
        match a.op {
            ArpOp::Request => 1,
            ArpOp::Reply => 2,
        },
    );
    buf.extend_from_slice(&a.sender_mac.0);
    buf.extend_from_slice(&a.sender_ip.octets());
    buf.extend_from_slice(&a.target_mac.0);
    buf.extend_from_slice(&a.target_ip.octets());
}

/// The bytes of an IPv4 packet (header and payload).
pub fn encode_ipv4(p: &Ipv4Packet) -> Vec<u8> {
    let mut buf = Vec::with_capacity(usize::from(p.total_len()));
    write_ipv4(&mut buf, p);
    buf
}

/// Appends an IPv4 packet: 20-byte header (no options, never fragmented) with its checksum,
/// then the payload.
pub fn write_ipv4(buf: &mut Vec<u8>, p: &Ipv4Packet) {
    let start = buf.len();
    buf.push(0x45); // version 4, IHL 5
    buf.push(p.tos);
    put_u16(buf, 0); // total length, patched below
    put_u16(buf, p.id);
    put_u16(buf, if p.df { 0x4000 } else { 0 });
    buf.push(p.ttl);
    buf.push(p.protocol());
    put_u16(buf, 0); // header checksum, patched below
    buf.extend_from_slice(&p.src.octets());
    buf.extend_from_slice(&p.dst.octets());
    match &p.payload {
        IpPayload::Tcp(t) => write_tcp(buf, p.src, p.dst, t),
        IpPayload::Udp(u) => write_udp(buf, p.src, p.dst, u),
        IpPayload::Icmp(m) => write_icmp(buf, m),
        IpPayload::Ipip(inner) => write_ipv4(buf, inner),
        IpPayload::Vrrp(v) => write_vrrp(buf, p.src, p.dst, v),
    }
    let total = u16::try_from(buf.len() - start).unwrap_or(u16::MAX);
    patch_u16(buf, start + 2, total);
    let ck = ipv4_checksum(&buf[start..start + 20]);
    patch_u16(buf, start + 10, ck);
}

/// Appends a TCP segment with its options and payload; the checksum covers the pseudo-header.
fn write_tcp(buf: &mut Vec<u8>, src: Ipv4Addr, dst: Ipv4Addr, t: &TcpSegment) {
    let start = buf.len();
    put_u16(buf, t.sport);
    put_u16(buf, t.dport);
    put_u32(buf, t.seq);
    put_u32(buf, t.ack);
    let words = (t.header_len() / 4) as u8;
    buf.push(words << 4);
    buf.push(t.flags.0);
    put_u16(buf, t.window);
    put_u16(buf, 0); // checksum, patched below
    put_u16(buf, 0); // urgent pointer
    write_tcp_options(buf, &t.options);
    write_payload(buf, &t.payload);
    let ck = pseudo_header_checksum(src, dst, proto::TCP, &buf[start..]);
    patch_u16(buf, start + 16, ck);
}

/// Appends TCP options in the order and packing of Linux `tcp_options_write`: MSS; then
/// timestamps, with SACK-permitted packed in front of them when both are present (else two
/// NOPs); then SACK-permitted alone behind two NOPs; then NOP + window scale. The result has
/// exactly `TcpOptions::len()` bytes (SYN with everything: 20; later segments: 12).
pub fn write_tcp_options(buf: &mut Vec<u8>, o: &TcpOptions) {
    const NOP: u8 = 1;
    const MSS: u8 = 2;
    const WSCALE: u8 = 3;
    const SACK_PERM: u8 = 4;
    const TIMESTAMP: u8 = 8;
    if let Some(mss) = o.mss {
        buf.extend_from_slice(&[MSS, 4]);
        put_u16(buf, mss);
    }
    if let Some((tsval, tsecr)) = o.timestamps {
        if o.sack_permitted {
            buf.extend_from_slice(&[SACK_PERM, 2, TIMESTAMP, 10]);
        } else {
            buf.extend_from_slice(&[NOP, NOP, TIMESTAMP, 10]);
        }
        put_u32(buf, tsval);
        put_u32(buf, tsecr);
    } else if o.sack_permitted {
        buf.extend_from_slice(&[NOP, NOP, SACK_PERM, 2]);
    }
    if let Some(ws) = o.window_scale {
        buf.extend_from_slice(&[NOP, WSCALE, 3, ws]);
    }
}

/// Appends a UDP datagram; a computed checksum of 0 is sent as 0xffff (RFC 768).
fn write_udp(buf: &mut Vec<u8>, src: Ipv4Addr, dst: Ipv4Addr, u: &UdpDatagram) {
    let start = buf.len();
    put_u16(buf, u.sport);
    put_u16(buf, u.dport);
    put_u16(buf, 0); // length, patched below
    put_u16(buf, 0); // checksum, patched below
    write_payload(buf, &u.payload);
    let len = u16::try_from(buf.len() - start).unwrap_or(u16::MAX);
    patch_u16(buf, start + 4, len);
    let ck = match pseudo_header_checksum(src, dst, proto::UDP, &buf[start..]) {
        0 => 0xffff,
        c => c,
    };
    patch_u16(buf, start + 6, ck);
}

/// Appends an ICMP message. Errors quote the offending packet's IP header and the first
/// 8 bytes of its payload (the model's `IcmpMessage::len`); "fragmentation needed" carries
/// the next-hop MTU in bytes 6-7 (RFC 1191).
fn write_icmp(buf: &mut Vec<u8>, m: &IcmpMessage) {
    let start = buf.len();
    match m {
        IcmpMessage::EchoRequest { id, seq } | IcmpMessage::EchoReply { id, seq } => {
            let ty = if matches!(m, IcmpMessage::EchoRequest { .. }) {
                8
            } else {
                0
            };
            buf.extend_from_slice(&[ty, 0, 0, 0]);
            put_u16(buf, *id);
            put_u16(buf, *seq);
        }
        IcmpMessage::DestUnreachable {
            code,
            mtu,
            original,
        } => {
            buf.extend_from_slice(&[3, *code, 0, 0]);
            put_u16(buf, 0);
            put_u16(
                buf,
                if *code == IcmpMessage::FRAG_NEEDED {
                    *mtu
                } else {
                    0
                },
            );
            write_quote(buf, original);
        }
        IcmpMessage::TimeExceeded { original } => {
            buf.extend_from_slice(&[11, 0, 0, 0]);
            put_u32(buf, 0);
            write_quote(buf, original);
        }
    }
    let ck = ipv4_checksum(&buf[start..]);
    patch_u16(buf, start + 2, ck);
}

/// Appends the part of `original` an ICMP error quotes: its header and up to 8 payload bytes.
fn write_quote(buf: &mut Vec<u8>, original: &Ipv4Packet) {
    let start = buf.len();
    write_ipv4(buf, original);
    let keep = usize::from(Ipv4Packet::HEADER_LEN) + usize::from(original.payload.len().min(8));
    buf.truncate(start + keep);
}

/// Appends a VRRP advertisement as keepalived builds it (§7.1 of the IPVS reference).
/// Version 2: interval in whole seconds, simple-password auth data, checksum over the VRRP
/// message only. Version 3: 12-bit interval in centiseconds, no auth, checksum including the
/// IPv4 pseudo-header.
fn write_vrrp(buf: &mut Vec<u8>, src: Ipv4Addr, dst: Ipv4Addr, v: &VrrpAdvert) {
    let start = buf.len();
    let count = u8::try_from(v.addrs.len()).unwrap_or(u8::MAX);
    buf.push((v.version & 0x0f) << 4 | 1); // type 1: advertisement
    buf.push(v.vrid);
    buf.push(v.priority);
    buf.push(count);
    if v.version == 2 {
        buf.push(u8::from(v.auth_pass.is_some()));
        buf.push(u8::try_from(v.adver_int_cs / 100).unwrap_or(u8::MAX));
        put_u16(buf, 0); // checksum, patched below
        for a in &v.addrs {
            buf.extend_from_slice(&a.octets());
        }
        buf.extend_from_slice(&v.auth_pass.unwrap_or([0; 8]));
        let ck = ipv4_checksum(&buf[start..]);
        patch_u16(buf, start + 6, ck);
    } else {
        put_u16(buf, v.adver_int_cs & 0x0fff);
        put_u16(buf, 0); // checksum, patched below
        for a in &v.addrs {
            buf.extend_from_slice(&a.octets());
        }
        let ck = pseudo_header_checksum(src, dst, proto::VRRP, &buf[start..]);
        patch_u16(buf, start + 6, ck);
    }
}

/// Lets `write!` format straight into the frame buffer.
struct ByteSink<'a>(&'a mut Vec<u8>);

impl fmt::Write for ByteSink<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Appends exactly `payload.len` bytes: a readable, deterministic rendering of what the
/// payload means (HTTP text, an IPVS sync message, or a repeating pattern), cut or padded
/// to the modelled length.
pub fn write_payload(buf: &mut Vec<u8>, payload: &Payload) {
    let start = buf.len();
    let len = payload.len as usize;
    if len == 0 {
        return;
    }
    match &payload.app {
        None | Some(AppData::Opaque) => fill_repeating(buf, start, OPAQUE_PATTERN, len),
        Some(AppData::HttpRequest {
            request_id, path, ..
        }) => write_http_request(buf, len, *request_id, path),
        Some(AppData::HttpResponse {
            request_id,
            status: Some(status),
            server,
        }) => {
            write_http_response_head(buf, *status, server, *request_id);
            let body_start = buf.len();
            write_http_body(
                buf,
                body_start,
                len.saturating_sub(body_start - start),
                *request_id,
                server,
            );
        }
        Some(AppData::HttpResponse {
            request_id,
            status: None,
            server,
        }) => write_http_body(buf, start, len, *request_id, server),
        Some(AppData::IpvsSync(conns)) => write_sync_message(buf, 0, conns),
    }
    buf.resize(start + len, 0);
}

/// Appends `len` bytes repeating `pattern` (`start` is where the repetition began).
fn fill_repeating(buf: &mut Vec<u8>, start: usize, pattern: &[u8], len: usize) {
    let end = start + len;
    buf.extend_from_slice(&pattern[..pattern.len().min(len)]);
    while buf.len() < end {
        let n = (buf.len() - start).min(end - buf.len());
        buf.extend_from_within(start..start + n);
    }
}

/// Writes `text` with bytes that would break an HTTP header line replaced by '_'.
fn put_header_text(buf: &mut Vec<u8>, text: &str) {
    buf.extend(
        text.bytes()
            .map(|b| if b <= b' ' || b == 0x7f { b'_' } else { b }),
    );
}

/// An HTTP/1.0 GET whose headers end exactly at `len` bytes. Slack is taken up by an
/// `X-Fill` header, or (when too small for one) by leading zeros in the request id; a
/// request longer than `len` is cut, as the first segment of a larger request would be.
fn write_http_request(buf: &mut Vec<u8>, len: usize, request_id: u64, path: &str) {
    let start = buf.len();
    buf.extend_from_slice(b"GET ");
    if path.is_empty() {
        buf.push(b'/');
    } else {
        put_header_text(buf, path);
    }
    let _ = write!(
        ByteSink(buf),
        " HTTP/1.0\r\nHost: {HTTP_HOST}\r\nUser-Agent: lvslab-client\r\nX-Request-Id: "
    );
    let id_at = buf.len();
    let _ = write!(ByteSink(buf), "{request_id}\r\n");
    let base = buf.len() - start + 2; // + the empty line
    if len > base {
        let slack = len - base;
        const FILL_HEADER: usize = "X-Fill: \r\n".len();
        if slack >= FILL_HEADER {
            buf.extend_from_slice(b"X-Fill: ");
            let fill_at = buf.len();
            fill_repeating(buf, fill_at, b"lvslab-", slack - FILL_HEADER);
            buf.extend_from_slice(b"\r\n");
        } else {
            buf.splice(id_at..id_at, std::iter::repeat_n(b'0', slack));
        }
    }
    buf.extend_from_slice(b"\r\n");
}

fn write_http_response_head(buf: &mut Vec<u8>, status: u16, server: &str, request_id: u64) {
    let _ = write!(
        ByteSink(buf),
        "HTTP/1.0 {status} {}\r\nServer: ",
        reason_phrase(status)
    );
    put_header_text(buf, server);
    let _ = write!(
        ByteSink(buf),
        "\r\nContent-Type: text/plain\r\nX-Request-Id: {request_id}\r\n\r\n"
    );
}

/// Response body text: one line naming the request and the server, repeated.
fn write_http_body(buf: &mut Vec<u8>, start: usize, len: usize, request_id: u64, server: &str) {
    if len == 0 {
        return;
    }
    let line_start = buf.len();
    let _ = write!(ByteSink(buf), "response to request {request_id} from ");
    put_header_text(buf, server);
    buf.push(b'\n');
    let end = start + len;
    if buf.len() > end {
        buf.truncate(end);
        return;
    }
    while buf.len() < end {
        let n = (buf.len() - line_start).min(end - buf.len());
        buf.extend_from_within(line_start..line_start + n);
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

/// Appends an IPVS sync message in the kernel's protocol version 1 (K:ip_vs_sync.c
/// `struct ip_vs_sync_mesg` + `struct ip_vs_sync_v4`, all fields in network order):
/// header {reserved 0, syncid, size, nr_conns, version 1, spare 0}, then per connection
/// {type 0 (IPv4), protocol, version 0 << 12 | entry size, flags without HASHED, state,
/// cport, vport, dport, fwmark, timeout in seconds, caddr, vaddr, daddr}. Entries are 36
/// bytes, so no alignment padding is needed between them.
pub fn write_sync_message(buf: &mut Vec<u8>, syncid: u8, conns: &[SyncConnEntry]) {
    let size = u16::try_from(ipvs_sync_len(conns.len())).unwrap_or(u16::MAX);
    buf.push(0);
    buf.push(syncid);
    put_u16(buf, size);
    buf.push(u8::try_from(conns.len()).unwrap_or(u8::MAX));
    buf.push(SYNC_PROTO_VER);
    put_u16(buf, 0);
    for c in conns {
        buf.push(0); // type: IPv4
        buf.push(c.protocol);
        put_u16(buf, SYNC_CONN_V4_LEN as u16 & 0x0fff);
        put_u32(buf, c.flags & !IP_VS_CONN_F_HASHED);
        put_u16(buf, c.state);
        put_u16(buf, c.cport);
        put_u16(buf, c.vport);
        put_u16(buf, c.dport);
        put_u32(buf, c.fwmark);
        put_u32(buf, c.timeout);
        buf.extend_from_slice(&c.caddr.octets());
        buf.extend_from_slice(&c.vaddr.octets());
        buf.extend_from_slice(&c.daddr.octets());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{MacAddr, TcpFlags};

    const A: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const B: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const MAC_A: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
    const MAC_B: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

    fn ip(src: Ipv4Addr, dst: Ipv4Addr, payload: IpPayload) -> Ipv4Packet {
        Ipv4Packet {
            src,
            dst,
            ttl: 64,
            tos: 0,
            id: 0x1234,
            df: true,
            payload,
        }
    }

    fn eth(p: Ipv4Packet) -> Frame {
        Frame {
            src: MAC_A,
            dst: MAC_B,
            payload: EthPayload::Ipv4(p),
        }
    }

    fn syn_options() -> TcpOptions {
        TcpOptions {
            mss: Some(1460),
            sack_permitted: true,
            timestamps: Some((1, 0)),
            window_scale: Some(7),
        }
    }

    fn tcp(flags: u8, options: TcpOptions, payload: Payload) -> IpPayload {
        IpPayload::Tcp(TcpSegment {
            sport: 40000,
            dport: 80,
            seq: 1000,
            ack: if flags & TcpFlags::ACK != 0 { 5000 } else { 0 },
            flags: TcpFlags(flags),
            window: 64240,
            options,
            payload,
        })
    }

    fn ts_only() -> TcpOptions {
        TcpOptions {
            timestamps: Some((123_456, 654_321)),
            ..TcpOptions::default()
        }
    }

    fn http_request(len: u32) -> Payload {
        Payload {
            len,
            app: Some(AppData::HttpRequest {
                request_id: 42,
                path: "/index.html".into(),
                respond_bytes: None,
            }),
        }
    }

    fn sync_entry() -> SyncConnEntry {
        SyncConnEntry {
            protocol: proto::TCP,
            flags: 0x0100 | IP_VS_CONN_F_HASHED | 2, // INACTIVE | HASHED | DROUTE
            state: 1,
            cport: 40000,
            vport: 80,
            dport: 8080,
            fwmark: 0,
            timeout: 900,
            caddr: A,
            vaddr: Ipv4Addr::new(192, 168, 0, 100),
            daddr: B,
        }
    }

    /// One packet of every kind the model can express.
    fn every_kind() -> Vec<Frame> {
        let syn = ip(A, B, tcp(TcpFlags::SYN, syn_options(), Payload::empty()));
        let data = ip(
            A,
            B,
            tcp(TcpFlags::ACK | TcpFlags::PSH, ts_only(), http_request(77)),
        );
        let mut frames = vec![
            Frame {
                src: MAC_A,
                dst: MacAddr::BROADCAST,
                payload: EthPayload::Arp(ArpPacket {
                    op: ArpOp::Request,
                    sender_mac: MAC_A,
                    sender_ip: A,
                    target_mac: MacAddr::ZERO,
                    target_ip: B,
                }),
            },
            Frame {
                src: MAC_B,
                dst: MAC_A,
                payload: EthPayload::Arp(ArpPacket {
                    op: ArpOp::Reply,
                    sender_mac: MAC_B,
                    sender_ip: B,
                    target_mac: MAC_A,
                    target_ip: A,
                }),
            },
            eth(syn.clone()),
            eth(data.clone()),
            eth(ip(
                A,
                B,
                tcp(TcpFlags::ACK, TcpOptions::default(), Payload::empty()),
            )),
            eth(ip(
                B,
                A,
                tcp(
                    TcpFlags::ACK,
                    ts_only(),
                    Payload {
                        len: 1448,
                        app: Some(AppData::HttpResponse {
                            request_id: 42,
                            status: Some(200),
                            server: "rs1".into(),
                        }),
                    },
                ),
            )),
            eth(ip(
                A,
                B,
                IpPayload::Udp(UdpDatagram {
                    sport: 5000,
                    dport: 9999,
                    payload: Payload { len: 33, app: None },
                }),
            )),
            eth(ip(
                A,
                B,
                IpPayload::Udp(UdpDatagram {
                    sport: IPVS_SYNC_PORT,
                    dport: IPVS_SYNC_PORT,
                    payload: Payload::ipvs_sync(vec![sync_entry(), sync_entry()]),
                }),
            )),
            eth(ip(
                A,
                B,
                IpPayload::Icmp(IcmpMessage::EchoRequest { id: 7, seq: 1 }),
            )),
            eth(ip(
                B,
                A,
                IpPayload::Icmp(IcmpMessage::EchoReply { id: 7, seq: 1 }),
            )),
            eth(ip(
                B,
                A,
                IpPayload::Icmp(IcmpMessage::DestUnreachable {
                    code: IcmpMessage::FRAG_NEEDED,
                    mtu: 1480,
                    original: Box::new(data.clone()),
                }),
            )),
            eth(ip(
                B,
                A,
                IpPayload::Icmp(IcmpMessage::DestUnreachable {
                    code: IcmpMessage::PORT_UNREACHABLE,
                    mtu: 0,
                    original: Box::new(ip(
                        A,
                        B,
                        IpPayload::Udp(UdpDatagram {
                            sport: 1,
                            dport: 2,
                            payload: Payload { len: 3, app: None },
                        }),
                    )),
                }),
            )),
            eth(ip(
                B,
                A,
                IpPayload::Icmp(IcmpMessage::TimeExceeded {
                    original: Box::new(syn.clone()),
                }),
            )),
            eth(ip(A, B, IpPayload::Ipip(Box::new(syn)))),
        ];
        for (version, auth_pass) in [(2, Some(*b"secret\0\0")), (2, None), (3, None)] {
            frames.push(Frame {
                src: MAC_A,
                dst: MacAddr::ipv4_multicast(Ipv4Addr::new(224, 0, 0, 18)),
                payload: EthPayload::Ipv4(Ipv4Packet {
                    src: A,
                    dst: Ipv4Addr::new(224, 0, 0, 18),
                    ttl: 255,
                    tos: 0xc0,
                    id: 0,
                    df: false,
                    payload: IpPayload::Vrrp(VrrpAdvert {
                        version,
                        vrid: 51,
                        priority: 150,
                        adver_int_cs: 100,
                        auth_pass,
                        addrs: vec![
                            Ipv4Addr::new(192, 168, 0, 100),
                            Ipv4Addr::new(192, 168, 0, 101),
                        ],
                    }),
                }),
            });
        }
        frames
    }

    fn be16(b: &[u8], at: usize) -> u16 {
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    /// Checks lengths and every checksum of an encoded IPv4 packet, recursing into IPIP.
    fn check_ipv4(p: &Ipv4Packet, b: &[u8]) {
        assert_eq!(
            b.len(),
            usize::from(p.total_len()),
            "{}",
            crate::wire::summarize_ip(p)
        );
        assert_eq!(be16(b, 2), p.total_len());
        assert_eq!(b[9], p.protocol());
        assert_eq!(ipv4_checksum(&b[..20]), 0, "IP header checksum");
        let l4 = &b[20..];
        assert_eq!(l4.len(), usize::from(p.payload.len()));
        match &p.payload {
            IpPayload::Tcp(t) => {
                assert_eq!(usize::from(l4[12] >> 4) * 4, usize::from(t.header_len()));
                assert_eq!(
                    pseudo_header_checksum(p.src, p.dst, proto::TCP, l4),
                    0,
                    "TCP checksum"
                );
            }
            IpPayload::Udp(_) => {
                assert_eq!(usize::from(be16(l4, 4)), l4.len());
                assert_eq!(
                    pseudo_header_checksum(p.src, p.dst, proto::UDP, l4),
                    0,
                    "UDP checksum"
                );
            }
            IpPayload::Icmp(_) => assert_eq!(ipv4_checksum(l4), 0, "ICMP checksum"),
            IpPayload::Ipip(inner) => {
                assert_eq!(l4, encode_ipv4(inner).as_slice());
                check_ipv4(inner, l4);
            }
            IpPayload::Vrrp(v) if v.version == 2 => {
                assert_eq!(ipv4_checksum(l4), 0, "VRRPv2 checksum")
            }
            IpPayload::Vrrp(_) => {
                assert_eq!(
                    pseudo_header_checksum(p.src, p.dst, proto::VRRP, l4),
                    0,
                    "VRRPv3 checksum"
                )
            }
        }
    }

    #[test]
    fn rfc1071_checksum_examples() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(ipv4_checksum(&data), !0xddf2);
        // Appending the checksum makes the sum verify to zero.
        let mut with = data.to_vec();
        with.extend_from_slice(&(!0xddf2u16).to_be_bytes());
        assert_eq!(ipv4_checksum(&with), 0);
        // An odd trailing byte counts as the high byte of a word.
        assert_eq!(ipv4_checksum(&[0x01]), !0x0100);
        assert_eq!(ipv4_checksum(&[0x00, 0x01, 0xf2]), !0xf201);
        // Carries wrap around: ffff + 0001 = 1_0000 -> 0001.
        assert_eq!(ipv4_checksum(&[0xff, 0xff, 0x00, 0x01]), !0x0001);
        assert_eq!(ipv4_checksum(&[]), 0xffff);
    }

    #[test]
    fn every_kind_has_model_lengths_and_valid_checksums() {
        for f in every_kind() {
            let b = encode_frame(&f);
            assert_eq!(b.len(), f.len(), "{}", crate::wire::summarize(&f));
            assert!(b.len() >= ETH_MIN_FRAME);
            assert_eq!(&b[0..6], &f.dst.0);
            assert_eq!(&b[6..12], &f.src.0);
            match &f.payload {
                EthPayload::Arp(_) => {
                    assert_eq!(be16(&b, 12), ETHERTYPE_ARP);
                    assert!(b[42..].iter().all(|&x| x == 0), "padding is zero");
                }
                EthPayload::Ipv4(p) => {
                    assert_eq!(be16(&b, 12), ETHERTYPE_IPV4);
                    let end = ETH_HEADER_LEN + usize::from(p.total_len());
                    check_ipv4(p, &b[ETH_HEADER_LEN..end]);
                    assert!(b[end..].iter().all(|&x| x == 0), "padding is zero");
                }
            }
        }
    }

    #[test]
    fn known_answer_tcp_syn() {
        let f = eth(ip(
            A,
            B,
            tcp(TcpFlags::SYN, syn_options(), Payload::empty()),
        ));
        #[rustfmt::skip]
        let expected: [u8; 74] = [
            // Ethernet: dst, src, IPv4
            0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00,
            // IPv4: 45 00, len 60, id 1234, DF, TTL 64, TCP, checksum 1486, 10.0.0.1 > 10.0.0.2
            0x45, 0x00, 0x00, 0x3c, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06, 0x14, 0x86,
            0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
            // TCP: 40000 > 80, seq 1000, ack 0, offset 10 words, SYN, window 64240, checksum, urg 0
            0x9c, 0x40, 0x00, 0x50, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x00,
            0xa0, 0x02, 0xfa, 0xf0, 0x98, 0x93, 0x00, 0x00,
            // MSS 1460; SACK_PERM + TS (1, 0); NOP WS 7
            0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
        ];
        assert_eq!(encode_frame(&f), expected);
    }

    #[test]
    fn known_answer_arp_request() {
        let f = Frame {
            src: MAC_A,
            dst: MacAddr::BROADCAST,
            payload: EthPayload::Arp(ArpPacket {
                op: ArpOp::Request,
                sender_mac: MAC_A,
                sender_ip: A,
                target_mac: MacAddr::ZERO,
                target_ip: B,
            }),
        };
        #[rustfmt::skip]
        let mut expected = vec![
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
            // htype 1, ptype 0800, hlen 6, plen 4, op 1
            0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
            0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
        ];
        expected.resize(60, 0);
        assert_eq!(encode_frame(&f), expected);
    }

    #[test]
    fn tcp_options_follow_linux_layout() {
        let cases: [(TcpOptions, &[u8]); 6] = [
            (TcpOptions::default(), &[]),
            (
                syn_options(),
                &[
                    2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
                ],
            ),
            (
                ts_only(),
                &[1, 1, 8, 10, 0, 1, 0xe2, 0x40, 0, 9, 0xfb, 0xf1],
            ),
            // SYN without timestamps: SACK_PERM behind two NOPs, before the window scale.
            (
                TcpOptions {
                    mss: Some(1460),
                    sack_permitted: true,
                    timestamps: None,
                    window_scale: Some(7),
                },
                &[2, 4, 5, 180, 1, 1, 4, 2, 1, 3, 3, 7],
            ),
            (
                TcpOptions {
                    mss: Some(536),
                    ..TcpOptions::default()
                },
                &[2, 4, 2, 24],
            ),
            (
                TcpOptions {
                    mss: None,
                    sack_permitted: false,
                    timestamps: Some((5, 6)),
                    window_scale: Some(0),
                },
                &[1, 1, 8, 10, 0, 0, 0, 5, 0, 0, 0, 6, 1, 3, 3, 0],
            ),
        ];
        for (o, bytes) in cases {
            let mut buf = Vec::new();
            write_tcp_options(&mut buf, &o);
            assert_eq!(buf, bytes, "{o:?}");
            assert_eq!(buf.len(), usize::from(o.len()), "{o:?}");
        }
    }

    fn render(p: &Payload) -> Vec<u8> {
        let mut buf = vec![0xee]; // what precedes must stay untouched
        write_payload(&mut buf, p);
        assert_eq!(buf[0], 0xee);
        buf.remove(0);
        buf
    }

    #[test]
    fn payload_lengths_are_exact_for_every_meaning() {
        let apps = [
            None,
            Some(AppData::Opaque),
            Some(AppData::HttpRequest {
                request_id: 7,
                path: "/a b\r\nc".into(),
                respond_bytes: None,
            }),
            Some(AppData::HttpRequest {
                request_id: 7,
                path: String::new(),
                respond_bytes: None,
            }),
            Some(AppData::HttpResponse {
                request_id: 7,
                status: Some(404),
                server: "rs2".into(),
            }),
            Some(AppData::HttpResponse {
                request_id: 7,
                status: None,
                server: "rs2".into(),
            }),
            Some(AppData::IpvsSync(vec![sync_entry()])),
        ];
        for app in apps {
            for len in (0..300).chain([1448, 1460, 8960, 65_000]) {
                let p = Payload {
                    len,
                    app: app.clone(),
                };
                let b = render(&p);
                assert_eq!(b.len(), len as usize, "{app:?} len {len}");
                assert_eq!(b, render(&p), "deterministic");
            }
        }
    }

    #[test]
    fn http_request_text_ends_its_headers_at_the_payload_length() {
        let base = render(&http_request(0)).len();
        assert_eq!(base, 0);
        let full = String::from_utf8(render(&http_request(200))).unwrap();
        assert!(
            full.starts_with("GET /index.html HTTP/1.0\r\nHost: lvslab.test\r\n"),
            "{full}"
        );
        assert!(full.contains("X-Request-Id: 42\r\n"), "{full}");
        assert!(full.contains("\r\nX-Fill: lvslab-lvslab-"), "{full}");
        assert!(full.ends_with("\r\n\r\n"), "{full}");
        assert_eq!(full.matches("\r\n\r\n").count(), 1);
        // The shortest complete request, and every slack too small for an X-Fill header.
        let min = "GET /index.html HTTP/1.0\r\nHost: lvslab.test\r\nUser-Agent: lvslab-client\r\nX-Request-Id: 42\r\n\r\n";
        assert_eq!(render(&http_request(min.len() as u32)), min.as_bytes());
        for slack in 1..10 {
            let t = String::from_utf8(render(&http_request((min.len() + slack) as u32))).unwrap();
            assert!(
                t.contains(&format!("X-Request-Id: {}42\r\n\r\n", "0".repeat(slack))),
                "{t}"
            );
        }
        // Shorter than the headers: the start of the request, as a first segment would carry.
        assert_eq!(render(&http_request(16)), b"GET /index.html ");
        // Characters that would break the request line are neutralised.
        let odd = Payload {
            len: 40,
            app: Some(AppData::HttpRequest {
                request_id: 1,
                path: "/a b\r\n".into(),
                respond_bytes: None,
            }),
        };
        assert!(render(&odd).starts_with(b"GET /a_b__ HTTP/1.0\r\n"));
    }

    #[test]
    fn http_response_has_status_line_then_body() {
        let p = |len, status| Payload {
            len,
            app: Some(AppData::HttpResponse {
                request_id: 9,
                status,
                server: "rs1".into(),
            }),
        };
        let t = String::from_utf8(render(&p(300, Some(503)))).unwrap();
        assert!(
            t.starts_with("HTTP/1.0 503 Service Unavailable\r\nServer: rs1\r\n"),
            "{t}"
        );
        let (_, body) = t.split_once("\r\n\r\n").unwrap();
        assert!(
            body.starts_with("response to request 9 from rs1\nresponse to request 9"),
            "{body}"
        );
        let cont = String::from_utf8(render(&p(50, None))).unwrap();
        assert_eq!(cont, "response to request 9 from rs1\nresponse to request");
        assert_eq!(render(&p(12, Some(200))), b"HTTP/1.0 200");
    }

    #[test]
    fn opaque_payload_repeats_a_pattern() {
        let b = render(&Payload { len: 80, app: None });
        assert_eq!(&b[..37], OPAQUE_PATTERN);
        assert_eq!(&b[37..74], OPAQUE_PATTERN);
        assert_eq!(&b[74..], &OPAQUE_PATTERN[..6]);
    }

    #[test]
    fn ipvs_sync_message_matches_kernel_v1_layout() {
        let mut buf = Vec::new();
        write_sync_message(&mut buf, 5, &[sync_entry()]);
        #[rustfmt::skip]
        let expected: [u8; 44] = [
            // reserved 0, syncid 5, size 44, 1 conn, version 1, spare 0
            0, 5, 0, 44, 1, 1, 0, 0,
            // type 0 (IPv4), TCP, version 0 size 36, flags INACTIVE|DROUTE (HASHED removed)
            0, 6, 0, 36, 0, 0, 0x01, 0x02,
            // state 1, cport 40000, vport 80, dport 8080
            0, 1, 0x9c, 0x40, 0, 80, 0x1f, 0x90,
            // fwmark 0, timeout 900 s
            0, 0, 0, 0, 0, 0, 0x03, 0x84,
            // caddr, vaddr, daddr
            10, 0, 0, 1, 192, 168, 0, 100, 10, 0, 0, 2,
        ];
        assert_eq!(buf, expected);
        assert_eq!(ipvs_sync_len(1), 44);
        let p = Payload::ipvs_sync(vec![sync_entry(), sync_entry(), sync_entry()]);
        assert_eq!(p.len, 8 + 3 * 36);
        let b = render(&p);
        assert_eq!(be16(&b, 2), 116);
        assert_eq!(b[4], 3);
    }

    #[test]
    fn icmp_errors_quote_header_and_eight_bytes() {
        let original = ip(
            A,
            B,
            tcp(TcpFlags::ACK | TcpFlags::PSH, ts_only(), http_request(1400)),
        );
        let m = IcmpMessage::DestUnreachable {
            code: IcmpMessage::FRAG_NEEDED,
            mtu: 1480,
            original: Box::new(original.clone()),
        };
        let b = encode_ipv4(&ip(B, A, IpPayload::Icmp(m)));
        let icmp = &b[20..];
        assert_eq!(&icmp[..2], &[3, 4]);
        assert_eq!(&icmp[4..8], &[0, 0, 0x05, 0xc8]);
        assert_eq!(&icmp[8..], &encode_ipv4(&original)[..28]);
        // The quoted header keeps the original total length.
        assert_eq!(be16(icmp, 8 + 2), original.total_len());

        let tiny = ip(
            A,
            B,
            IpPayload::Icmp(IcmpMessage::EchoRequest { id: 1, seq: 1 }),
        );
        let m = IcmpMessage::TimeExceeded {
            original: Box::new(tiny.clone()),
        };
        let b = encode_ipv4(&ip(B, A, IpPayload::Icmp(m)));
        assert_eq!(&b[20..28], &[11, 0, b[22], b[23], 0, 0, 0, 0]);
        assert_eq!(&b[28..], encode_ipv4(&tiny).as_slice());
    }

    #[test]
    fn vrrp_fields_follow_keepalived() {
        let frames = every_kind();
        let vrrp: Vec<Vec<u8>> = frames
            .iter()
            .filter(|f| matches!(f.ipv4().map(|p| &p.payload), Some(IpPayload::Vrrp(_))))
            .map(|f| {
                let end = ETH_HEADER_LEN + usize::from(f.ipv4().unwrap().total_len());
                encode_frame(f)[ETH_HEADER_LEN + 20..end].to_vec()
            })
            .collect();
        // v2 with PASS: version 2 type 1, vrid 51, prio 150, 2 addrs, auth 1, 1 s.
        assert_eq!(&vrrp[0][..6], &[0x21, 51, 150, 2, 1, 1]);
        assert_eq!(&vrrp[0][8..16], &[192, 168, 0, 100, 192, 168, 0, 101]);
        assert_eq!(&vrrp[0][16..], b"secret\0\0");
        // v2 without auth: auth type 0, auth data zero.
        assert_eq!(&vrrp[1][..6], &[0x21, 51, 150, 2, 0, 1]);
        assert_eq!(&vrrp[1][16..], &[0; 8]);
        // v3: 100 centiseconds in the low 12 bits, no auth data.
        assert_eq!(&vrrp[2][..6], &[0x31, 51, 150, 2, 0, 100]);
        assert_eq!(vrrp[2].len(), 16);
    }
}
