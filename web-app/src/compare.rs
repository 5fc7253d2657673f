//! NAT, DR and TUN side by side: the first request of each lab followed hop by hop (client
//! SYN to the real server, and the real server's SYN-ACK back), with what every node changed.

use crate::flights::{conn_key, FlightLog};
use crate::inspector::inspect;
use lvslab_sim::lesson::Message;
use lvslab_sim::trace::{Direction, TraceRecord, Verdict};

/// The three lab scenarios compared.
pub const LABS: [&str; 3] = ["nat-lab", "dr-lab", "tun-lab"];

/// What one node did to the frame.
#[derive(Clone, Debug, PartialEq)]
pub struct HopChange {
    pub node: String,
    /// "layer field: before -> after" lines in English (logs, tests); empty when the node
    /// changed nothing.
    pub changes: Vec<String>,
    /// The same changes as catalogue messages (`compare-changed`, `-added`, `-removed`, with
    /// `layer`, `field`, `before`, `after`, `value`), for the screen.
    pub edits: Vec<Message>,
    /// What the node did, as the inspector says it.
    pub outcome: Option<Message>,
    pub t: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Journey {
    pub request: Vec<HopChange>,
    pub reply: Vec<HopChange>,
    /// When the client sent the first SYN.
    pub start: u64,
}

/// The client's first SYN.
pub fn first_syn(records: &[TraceRecord]) -> Option<usize> {
    records.iter().position(|r| {
        r.dir == Direction::Tx
            && r.parent.is_none()
            && r.ip
                .as_ref()
                .and_then(|ip| ip.tcp.as_ref())
                .is_some_and(|t| t.flags == "S")
    })
}

/// Follows a frame from its first transmission until some node delivers or drops it.
pub fn follow(records: &[TraceRecord], index: &FlightLog, start_tx: usize) -> Vec<HopChange> {
    let mut out = Vec::new();
    let mut cur = start_tx;
    for _ in 0..32 {
        let Some(r) = records.get(cur) else { break };
        let Some(rx) = index.rx_by_pkt.get(&r.pkt).and_then(|v| {
            v.iter()
                .copied()
                .find(|&i| !matches!(records[i].verdict, Verdict::Dropped(_)))
                .or_else(|| v.first().copied())
        }) else {
            break;
        };
        let Some(ins) = inspect(records, index, rx) else {
            break;
        };
        let (changes, edits) = ins
            .rows
            .iter()
            .filter(|x| x.changed)
            .map(|x| {
                let m = |id| Message::new(id).arg("layer", &x.layer).arg("field", x.name);
                match (&x.before, &x.after) {
                    (None, Some(a)) => (
                        format!("{} {}: added {a}", x.layer, x.name),
                        m("compare-added").arg("value", a),
                    ),
                    (Some(b), None) => (
                        format!("{} {}: removed (was {b})", x.layer, x.name),
                        m("compare-removed").arg("value", b),
                    ),
                    (b, a) => {
                        let (b, a) = (b.as_deref().unwrap_or(""), a.as_deref().unwrap_or(""));
                        (
                            format!("{} {}: {b} \u{2192} {a}", x.layer, x.name),
                            m("compare-changed").arg("before", b).arg("after", a),
                        )
                    }
                }
            })
            .unzip();
        out.push(HopChange {
            node: ins.node.clone(),
            changes,
            edits,
            outcome: ins.outcome.clone(),
            t: records[rx].t,
        });
        match ins.after {
            Some(a) => cur = a,
            None => break,
        }
    }
    out
}

/// The first request's journey and the matching reply's.
pub fn journey(records: &[TraceRecord], index: &FlightLog) -> Option<Journey> {
    let syn = first_syn(records)?;
    let key = conn_key(records[syn].ip.as_ref()?)?;
    let request = follow(records, index, syn);
    let synack = records.iter().position(|r| {
        r.dir == Direction::Tx
            && r.parent.is_none()
            && r.ip.as_ref().is_some_and(|ip| {
                ip.tcp.as_ref().is_some_and(|t| t.flags == "S.")
                    && conn_key(ip).as_ref() == Some(&key)
            })
    });
    let reply = synack
        .map(|i| follow(records, index, i))
        .unwrap_or_default();
    Some(Journey {
        request,
        reply,
        start: records[syn].t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    fn journey_of(name: &str) -> Journey {
        let b = bundled::find(name).unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        sim.world.trace.enabled = true;
        sim.run_until(lvslab_sim::SimTime(500_000_000));
        let recs = std::mem::take(&mut sim.world.trace.records);
        let mut log = FlightLog::default();
        log.ingest(&recs);
        journey(&recs, &log).unwrap()
    }

    fn at<'a>(hops: &'a [HopChange], node: &str) -> &'a HopChange {
        hops.iter().find(|h| h.node == node).unwrap()
    }

    #[test]
    fn three_methods_three_stories() {
        let nat = journey_of("nat-lab");
        let d = at(&nat.request, "director");
        assert!(
            d.changes.iter().any(|c| c.starts_with("IPv4 dst:")),
            "{d:?}"
        );
        // NAT replies come back through the director, which rewrites the source.
        let back = at(&nat.reply, "director");
        assert!(back.changes.iter().any(|c| c.starts_with("IPv4 src:")));

        let dr = journey_of("dr-lab");
        let d = at(&dr.request, "director");
        assert!(
            d.changes
                .iter()
                .all(|c| c.starts_with("Ethernet") || c.starts_with("IPv4 ttl")),
            "{d:?}"
        );
        assert!(!dr.reply.iter().any(|h| h.node == "director"));

        let tun = journey_of("tun-lab");
        let d = at(&tun.request, "director");
        // An outer header is added; the client's packet inside keeps its addresses.
        assert!(
            d.changes
                .iter()
                .any(|c| c.starts_with("IPv4 dst") && c.contains("10.2.0.")),
            "{d:?}"
        );
        assert!(
            !d.changes
                .iter()
                .any(|c| c.starts_with("inner IPv4 src") || c.starts_with("inner IPv4 dst")),
            "{d:?}"
        );
        assert!(!tun.reply.iter().any(|h| h.node == "director"));
        assert!(tun.request.last().unwrap().node.starts_with("rs"));
        // Every change line has its message, naming the same field.
        for h in nat.request.iter().chain(&tun.request) {
            assert_eq!(h.changes.len(), h.edits.len());
            for (c, m) in h.changes.iter().zip(&h.edits) {
                let field = format!("{} {}:", m.get("layer").unwrap(), m.get("field").unwrap());
                assert!(c.starts_with(&field), "{c} / {m:?}");
            }
        }
        // The outer header is added, its destination the real server's tunnel address.
        let added = d
            .edits
            .iter()
            .find(|m| m.id == "compare-added" && m.get("field") == Some("dst"))
            .unwrap();
        assert!(
            added.get("value").unwrap().starts_with("10.2.0."),
            "{added:?}"
        );
        let cat = lvslab_i18n::Catalog::new();
        for id in ["compare-added", "compare-removed", "compare-changed"] {
            for lang in lvslab_i18n::Lang::ALL {
                assert!(cat.has(lang, id), "{id}");
            }
        }
    }
}
