//! Classic pcap capture files (the libpcap format tcpdump and Wireshark read), built in
//! memory: the simulator does no I/O, the caller writes `bytes()` to a file.
//!
//! Microsecond timestamps, Ethernet link type. All fields are written little-endian, so the
//! file is byte-for-byte the same on every platform (readers detect the order from the magic).

use super::encode::write_frame;
use super::Frame;
use crate::time::{SimTime, NANOS_PER_SEC};

/// Magic number of a microsecond-resolution pcap file.
pub const PCAP_MAGIC: u32 = 0xa1b2_c3d4;
pub const PCAP_VERSION_MAJOR: u16 = 2;
pub const PCAP_VERSION_MINOR: u16 = 4;
/// Largest number of bytes kept per frame.
pub const PCAP_SNAPLEN: u32 = 65_535;
/// LINKTYPE_ETHERNET.
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const PCAP_GLOBAL_HEADER_LEN: usize = 24;
pub const PCAP_RECORD_HEADER_LEN: usize = 16;

/// A pcap file under construction: the global header followed by one record per frame.
#[derive(Clone, Debug)]
pub struct PcapWriter {
    buf: Vec<u8>,
    frames: usize,
}

impl Default for PcapWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl PcapWriter {
    /// An empty capture (global header only).
    pub fn new() -> Self {
        let mut buf = Vec::with_capacity(4096);
        buf.extend_from_slice(&PCAP_MAGIC.to_le_bytes());
        buf.extend_from_slice(&PCAP_VERSION_MAJOR.to_le_bytes());
        buf.extend_from_slice(&PCAP_VERSION_MINOR.to_le_bytes());
        buf.extend_from_slice(&0i32.to_le_bytes()); // thiszone: UTC
        buf.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
        buf.extend_from_slice(&PCAP_SNAPLEN.to_le_bytes());
        buf.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        PcapWriter { buf, frames: 0 }
    }

    /// Records `frame` as seen at simulated time `time` (truncated to whole microseconds).
    pub fn push(&mut self, time: SimTime, frame: &Frame) {
        let rec = self.buf.len();
        self.buf.extend_from_slice(&[0; PCAP_RECORD_HEADER_LEN]);
        write_frame(&mut self.buf, frame);
        self.finish_record(rec, time);
    }

    /// Records already-encoded frame bytes.
    pub fn push_bytes(&mut self, time: SimTime, frame: &[u8]) {
        let rec = self.buf.len();
        self.buf.extend_from_slice(&[0; PCAP_RECORD_HEADER_LEN]);
        self.buf.extend_from_slice(frame);
        self.finish_record(rec, time);
    }

    /// Fills in the record header at `rec` for the frame bytes that follow it, cutting the
    /// stored bytes to the snap length (the original length is kept in the header).
    fn finish_record(&mut self, rec: usize, time: SimTime) {
        let data = rec + PCAP_RECORD_HEADER_LEN;
        let orig_len = u32::try_from(self.buf.len() - data).unwrap_or(u32::MAX);
        let incl_len = orig_len.min(PCAP_SNAPLEN);
        self.buf.truncate(data + incl_len as usize);
        let nanos = time.as_nanos();
        let secs = u32::try_from(nanos / NANOS_PER_SEC).unwrap_or(u32::MAX);
        let micros = ((nanos % NANOS_PER_SEC) / 1_000) as u32;
        let h = &mut self.buf[rec..data];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&micros.to_le_bytes());
        h[8..12].copy_from_slice(&incl_len.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.frames += 1;
    }

    /// Number of frames recorded.
    pub fn frame_count(&self) -> usize {
        self.frames
    }

    /// The file contents so far.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{ArpOp, ArpPacket, EthPayload, MacAddr};
    use std::net::Ipv4Addr;

    fn arp_frame() -> Frame {
        Frame {
            src: MacAddr([2, 0, 0, 0, 0, 1]),
            dst: MacAddr::BROADCAST,
            payload: EthPayload::Arp(ArpPacket {
                op: ArpOp::Request,
                sender_mac: MacAddr([2, 0, 0, 0, 0, 1]),
                sender_ip: Ipv4Addr::new(10, 0, 0, 1),
                target_mac: MacAddr::ZERO,
                target_ip: Ipv4Addr::new(10, 0, 0, 2),
            }),
        }
    }

    #[test]
    fn global_header_is_classic_microsecond_ethernet() {
        let w = PcapWriter::new();
        assert_eq!(
            w.bytes(),
            &[
                0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0,
                0, 0
            ]
        );
        assert_eq!(w.frame_count(), 0);
    }

    #[test]
    fn record_header_carries_time_and_lengths() {
        let mut w = PcapWriter::new();
        // 3 s + 250_001_999 ns: microseconds are truncated, not rounded.
        w.push(SimTime(3 * NANOS_PER_SEC + 250_001_999), &arp_frame());
        let b = w.bytes();
        assert_eq!(
            b.len(),
            PCAP_GLOBAL_HEADER_LEN + PCAP_RECORD_HEADER_LEN + 60
        );
        let rec = &b[PCAP_GLOBAL_HEADER_LEN..];
        assert_eq!(u32::from_le_bytes(rec[0..4].try_into().unwrap()), 3);
        assert_eq!(u32::from_le_bytes(rec[4..8].try_into().unwrap()), 250_001);
        assert_eq!(u32::from_le_bytes(rec[8..12].try_into().unwrap()), 60);
        assert_eq!(u32::from_le_bytes(rec[12..16].try_into().unwrap()), 60);
        assert_eq!(
            &rec[16..],
            crate::wire::encode::encode_frame(&arp_frame()).as_slice()
        );
        assert_eq!(w.frame_count(), 1);
    }

    #[test]
    fn frames_longer_than_snaplen_are_cut_but_keep_their_length() {
        let mut w = PcapWriter::new();
        let big = vec![0xabu8; PCAP_SNAPLEN as usize + 100];
        w.push_bytes(SimTime::ZERO, &big);
        w.push(SimTime::from_secs(1), &arp_frame());
        let rec = &w.bytes()[PCAP_GLOBAL_HEADER_LEN..];
        assert_eq!(
            u32::from_le_bytes(rec[8..12].try_into().unwrap()),
            PCAP_SNAPLEN
        );
        assert_eq!(
            u32::from_le_bytes(rec[12..16].try_into().unwrap()),
            PCAP_SNAPLEN + 100
        );
        let next = &rec[PCAP_RECORD_HEADER_LEN + PCAP_SNAPLEN as usize..];
        assert_eq!(u32::from_le_bytes(next[0..4].try_into().unwrap()), 1);
        assert_eq!(next.len(), PCAP_RECORD_HEADER_LEN + 60);
        assert_eq!(w.frame_count(), 2);
    }
}
