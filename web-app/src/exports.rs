//! Downloads: the directors' rules (`ipvsadm -S -n`), a pcap of the captured frames, and the
//! scenario text. keepalived.conf and real-server scripts come from the exporters when the
//! simulator offers them.

use lvslab_sim::admin::ipvsadm::render_save;
use lvslab_sim::wire::pcap::PcapWriter;
use lvslab_sim::Simulation;

/// A file offered for download.
#[derive(Clone, Debug, PartialEq)]
pub struct Download {
    pub file_name: String,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// `ipvsadm -S -n` of every director, each under a comment naming it.
pub fn ipvsadm_rules(sim: &Simulation) -> Option<Download> {
    let mut text = String::new();
    for h in &sim.hosts {
        let Some(ipvs) = &h.ipvs else { continue };
        text.push_str(&format!("# {} (ipvsadm -S -n)\n", h.name));
        text.push_str(&render_save(&ipvs.snapshot_services(sim.now()), true));
    }
    if text.is_empty() {
        return None;
    }
    Some(Download {
        file_name: format!("{}-ipvsadm.rules", sim.name),
        mime: "text/plain",
        bytes: text.into_bytes(),
    })
}

/// Every captured frame (on `segment`, or on all segments) as a pcap file. Needs
/// `world.trace.capture` on while the simulation ran.
pub fn pcap(sim: &Simulation, segment: Option<&str>) -> Download {
    let mut w = PcapWriter::new();
    for (t, seg, frame) in &sim.world.trace.frames {
        if segment.is_none_or(|s| s == seg) {
            w.push(*t, frame);
        }
    }
    Download {
        file_name: match segment {
            Some(s) => format!("{}-{s}.pcap", sim.name),
            None => format!("{}.pcap", sim.name),
        },
        mime: "application/vnd.tcpdump.pcap",
        bytes: w.into_bytes(),
    }
}

pub fn scenario_toml(name: &str, text: &str) -> Download {
    Download {
        file_name: format!("{name}.toml"),
        mime: "application/toml",
        bytes: text.as_bytes().to_vec(),
    }
}

/// Exports that need the keepalived and script exporters: None until they exist.
pub fn keepalived_conf(_sim: &Simulation) -> Option<Download> {
    None
}

pub fn real_server_scripts(_sim: &Simulation) -> Option<Download> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    #[test]
    fn rules_and_pcap() {
        let b = bundled::find("nat-lab").unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        sim.world.trace.capture = true;
        sim.run_until(lvslab_sim::SimTime(300_000_000));
        let r = ipvsadm_rules(&sim).unwrap();
        let t = String::from_utf8(r.bytes).unwrap();
        assert!(t.contains("-A -t 172.16.16.172:80 -s rr"), "{t}");
        assert!(
            t.contains("-a -t 172.16.16.172:80 -r 192.168.10.102:80 -m -w 1"),
            "{t}"
        );
        let all = pcap(&sim, None);
        let inside = pcap(&sim, Some("inside"));
        assert_eq!(&all.bytes[..4], &0xa1b2c3d4u32.to_le_bytes());
        assert!(inside.bytes.len() > 24 && inside.bytes.len() < all.bytes.len());
        assert_eq!(pcap(&sim, Some("nowhere")).bytes.len(), 24);
    }
}
