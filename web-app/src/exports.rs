//! Downloads: the directors' rules (`ipvsadm -S -n`), keepalived.conf, real-server scripts
//! (from the shared exporters), a pcap of the captured frames, and the scenario text.

use lvslab_sim::admin::export::{export_from, Target};
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

/// The files of one export target bundled into one text download, each under a header
/// naming it (a browser download is one file).
fn bundle(sim: &Simulation, target: Target, suffix: &str, mime: &'static str) -> Option<Download> {
    let ex = export_from(sim, &sim.name, target, None).ok()?;
    if ex.files.is_empty() {
        return None;
    }
    let mut text = String::new();
    for f in &ex.files {
        text.push_str(&format!("# ===== {} =====\n", f.name));
        text.push_str(&f.content);
        if !f.content.ends_with('\n') {
            text.push('\n');
        }
    }
    for n in &ex.notes {
        text.push_str(&format!("# note: {n}\n"));
    }
    Some(Download {
        file_name: format!("{}-{suffix}", sim.name),
        mime,
        bytes: text.into_bytes(),
    })
}

/// keepalived.conf of every director (its own configuration, or its table as
/// `virtual_server` sections).
pub fn keepalived_conf(sim: &Simulation) -> Option<Download> {
    bundle(sim, Target::Keepalived, "keepalived.conf", "text/plain")
}

/// The real servers' setup and teardown scripts.
pub fn real_server_scripts(sim: &Simulation) -> Option<Download> {
    bundle(
        sim,
        Target::RealServer,
        "realserver-scripts.sh",
        "text/x-shellscript",
    )
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

    #[test]
    fn keepalived_and_real_server_scripts_come_from_the_exporters() {
        let b = bundled::find("dr-lab").unwrap();
        let (sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        let k = String::from_utf8(keepalived_conf(&sim).unwrap().bytes).unwrap();
        assert!(
            k.contains("# ===== director.keepalived.conf =====") && k.contains("lb_kind DR"),
            "{k}"
        );
        let s = String::from_utf8(real_server_scripts(&sim).unwrap().bytes).unwrap();
        assert!(
            s.contains("# ===== rs1.setup.sh =====") && s.contains("arp_ignore"),
            "{s}"
        );
        assert!(s.contains("# ===== rs2.teardown.sh ====="), "{s}");
    }
}
