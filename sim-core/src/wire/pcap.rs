//! Classic pcap output (filled in by the encoder module).

use super::Frame;
use crate::time::SimTime;

#[derive(Default)]
pub struct PcapWriter {
    buf: Vec<u8>,
}

impl PcapWriter {
    pub fn new() -> Self {
        PcapWriter { buf: Vec::new() }
    }
    pub fn push(&mut self, _t: SimTime, _f: &Frame) {}
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}
