//! Classic pcap output of the frames a run captured.

use lvslab_sim::Simulation;

/// The captured frames of one segment (or all) as a pcap file.
pub fn pcap_bytes(sim: &Simulation, segment: Option<&str>) -> Vec<u8> {
    let mut w = lvslab_sim::wire::pcap::PcapWriter::new();
    for (t, seg, frame) in &sim.world.trace.frames {
        if segment.map(|s| s == seg).unwrap_or(true) {
            w.push(*t, frame);
        }
    }
    w.into_bytes()
}
