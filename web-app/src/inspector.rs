//! The packet inspector: a frame's headers before and after the node it crossed (the rx
//! record, and the tx record whose parent it is), field by field, with rewritten fields
//! marked.

use crate::flights::FlightLog;
use lvslab_sim::lesson::Message;
use lvslab_sim::trace::{Direction, IpSummary, TraceRecord, Verdict};

/// One header field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub layer: String,
    pub name: &'static str,
    pub value: String,
}

/// Every header field of a record, outermost first.
pub fn fields(r: &TraceRecord) -> Vec<Field> {
    let mut v = Vec::new();
    let mut push = |layer: &str, name: &'static str, value: String| {
        v.push(Field {
            layer: layer.to_string(),
            name,
            value,
        })
    };
    push("Ethernet", "src", r.eth.src.clone());
    push("Ethernet", "dst", r.eth.dst.clone());
    push("Ethernet", "type", r.eth.ethertype.to_string());
    if let Some(a) = &r.arp {
        push("ARP", "op", a.op.to_string());
        push("ARP", "sender MAC", a.sender_mac.clone());
        push("ARP", "sender IP", a.sender_ip.clone());
        push("ARP", "target MAC", a.target_mac.clone());
        push("ARP", "target IP", a.target_ip.clone());
    }
    if let Some(ip) = &r.ip {
        ip_fields(ip, "IPv4", &mut v);
    }
    v
}

fn ip_fields(ip: &IpSummary, layer: &str, v: &mut Vec<Field>) {
    let mut push = |layer: &str, name: &'static str, value: String| {
        v.push(Field {
            layer: layer.to_string(),
            name,
            value,
        })
    };
    push(layer, "src", ip.src.clone());
    push(layer, "dst", ip.dst.clone());
    push(layer, "ttl", ip.ttl.to_string());
    push(
        layer,
        "protocol",
        match ip.proto {
            1 => "1 (ICMP)".into(),
            4 => "4 (IPIP)".into(),
            6 => "6 (TCP)".into(),
            17 => "17 (UDP)".into(),
            112 => "112 (VRRP)".into(),
            p => p.to_string(),
        },
    );
    push(layer, "total length", ip.len.to_string());
    push(layer, "id", ip.id.to_string());
    push(layer, "DF", if ip.df { "1" } else { "0" }.into());
    // The transport header is the same header whether or not it is encapsulated.
    let inner_layer = "TCP";
    if let Some(t) = &ip.tcp {
        push(inner_layer, "sport", t.sport.to_string());
        push(inner_layer, "dport", t.dport.to_string());
        push(inner_layer, "flags", t.flags.clone());
        push(inner_layer, "seq", t.seq.to_string());
        push(inner_layer, "ack", t.ack.to_string());
        push(inner_layer, "payload", t.len.to_string());
    }
    let udp_layer = "UDP";
    if let Some(u) = &ip.udp {
        push(udp_layer, "sport", u.sport.to_string());
        push(udp_layer, "dport", u.dport.to_string());
        push(udp_layer, "payload", u.len.to_string());
    }
    if let Some(i) = &ip.icmp {
        push("ICMP", "message", i.clone());
    }
    if let Some(x) = &ip.vrrp {
        push("VRRP", "advert", x.clone());
    }
    if let Some(inner) = &ip.inner {
        ip_fields(inner, "inner IPv4", v);
    }
}

/// Whether a lesson's field reference (`ip.dst`, `eth.src`, `tcp.flags`, `inner.dst`,
/// `arp.target-ip`, ...) names this inspector row.
pub fn field_matches(reference: &str, layer: &str, name: &str) -> bool {
    let Some((proto, field)) = reference.split_once('.') else {
        return false;
    };
    let layer_ok = match proto {
        "eth" => layer == "Ethernet",
        "ip" => layer == "IPv4",
        "inner" => layer == "inner IPv4",
        "tcp" => layer == "TCP",
        "udp" => layer == "UDP",
        "arp" => layer == "ARP",
        _ => false,
    };
    let want = match field {
        "proto" => "protocol".to_string(),
        "sender-ip" => "sender IP".to_string(),
        "target-ip" => "target IP".to_string(),
        f => f.to_string(),
    };
    layer_ok && name == want
}

fn relabel(fields: &mut [Field], from: &str, to: &str) {
    for f in fields.iter_mut().filter(|f| f.layer == from) {
        f.layer = to.to_string();
    }
}

/// A field before and after the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub layer: String,
    pub name: &'static str,
    pub before: Option<String>,
    pub after: Option<String>,
    /// Present on both sides with different values, or present on one side only while the
    /// other side has a frame.
    pub changed: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inspection {
    pub node: String,
    pub t: u64,
    /// Record index of the frame as it arrived (None: the node originated it).
    pub before: Option<usize>,
    /// Record index of the frame it became (None: delivered locally or dropped).
    pub after: Option<usize>,
    pub rows: Vec<Row>,
    /// What happened at the node, as a catalogue message (`inspector-*`; a drop has its
    /// reason in `reason`, for `Catalog::reason`). None when there is nothing to say.
    pub outcome: Option<Message>,
}

fn verdict_message(node: &str, v: &Verdict) -> Message {
    match v {
        Verdict::Sent => Message::new("inspector-sent"),
        Verdict::Delivered => Message::new("inspector-delivered"),
        Verdict::Forwarded => Message::new("inspector-forwarded"),
        Verdict::Dropped(r) => Message::new("inspector-dropped").arg("reason", r),
    }
    .arg("node", node)
}

/// Pairs the record at `idx` with its other side at the same node.
pub fn inspect(records: &[TraceRecord], index: &FlightLog, idx: usize) -> Option<Inspection> {
    let r = records.get(idx)?;
    let (before, after) = match r.dir {
        Direction::Rx => {
            let after = index.tx_by_parent.get(&r.pkt).and_then(|v| {
                v.iter()
                    .copied()
                    .find(|&i| records.get(i).is_some_and(|x| x.node == r.node))
            });
            (Some(idx), after)
        }
        Direction::Tx => {
            let before = r.parent.and_then(|p| {
                index.rx_by_pkt.get(&p).and_then(|v| {
                    v.iter()
                        .copied()
                        .find(|&i| records.get(i).is_some_and(|x| x.node == r.node))
                })
            });
            (before, Some(idx))
        }
    };
    let mut fb = before
        .and_then(|i| records.get(i))
        .map(fields)
        .unwrap_or_default();
    let mut fa = after
        .and_then(|i| records.get(i))
        .map(fields)
        .unwrap_or_default();
    // Encapsulation (IPIP) adds an outer header around the packet as it was: compare the
    // arriving packet with the inner one, so the outer header shows as added rather than as
    // rewritten addresses. Decapsulation is the mirror image.
    let has_inner = |f: &[Field]| f.iter().any(|x| x.layer == "inner IPv4");
    if has_inner(&fa) && !has_inner(&fb) {
        relabel(&mut fb, "IPv4", "inner IPv4");
    } else if has_inner(&fb) && !has_inner(&fa) {
        relabel(&mut fa, "IPv4", "inner IPv4");
    }
    let both = before.is_some() && after.is_some();
    let mut rows: Vec<Row> = Vec::new();
    for f in &fb {
        let a = fa
            .iter()
            .find(|x| x.layer == f.layer && x.name == f.name)
            .map(|x| x.value.clone());
        rows.push(Row {
            layer: f.layer.clone(),
            name: f.name,
            changed: both && a.as_deref() != Some(f.value.as_str()),
            before: Some(f.value.clone()),
            after: a,
        });
    }
    for f in &fa {
        if !rows.iter().any(|x| x.layer == f.layer && x.name == f.name) {
            rows.push(Row {
                layer: f.layer.clone(),
                name: f.name,
                before: None,
                after: Some(f.value.clone()),
                changed: both,
            });
        }
    }
    let outcome = match (before, after) {
        (Some(b), Some(a)) => Some(
            Message::new("inspector-through")
                .arg("node", &r.node)
                .arg("from", &records[b].iface)
                .arg("to", &records[a].iface),
        ),
        (Some(b), None) => Some(verdict_message(&r.node, &records[b].verdict)),
        (None, Some(a)) => Some(
            Message::new("inspector-originated")
                .arg("node", &r.node)
                .arg("iface", &records[a].iface),
        ),
        (None, None) => None,
    };
    Some(Inspection {
        node: r.node.clone(),
        t: r.t,
        before,
        after,
        rows,
        outcome,
    })
}

#[cfg(test)]
mod ref_tests {
    use super::field_matches;

    #[test]
    fn lesson_field_references_name_inspector_rows() {
        assert!(field_matches("ip.dst", "IPv4", "dst"));
        assert!(!field_matches("ip.dst", "inner IPv4", "dst"));
        assert!(field_matches("inner.src", "inner IPv4", "src"));
        assert!(field_matches("eth.dst", "Ethernet", "dst"));
        assert!(field_matches("ip.proto", "IPv4", "protocol"));
        assert!(field_matches("tcp.flags", "TCP", "flags"));
        assert!(field_matches("arp.target-ip", "ARP", "target IP"));
        assert!(!field_matches("ttl", "IPv4", "ttl"));
        // Every field a lesson may name has a row.
        for (name, _) in lvslab_sim::lesson::predicate::Field::ALL {
            if matches!(
                name,
                "verdict"
                    | "reason"
                    | "udp.dport"
                    | "tcp.sport"
                    | "tcp.dport"
                    | "ip.ttl"
                    | "eth.type"
                    | "arp.op"
                    | "arp.sender-ip"
            ) {
                continue;
            }
            let ok = [
                ("Ethernet", "src"),
                ("Ethernet", "dst"),
                ("IPv4", "src"),
                ("IPv4", "dst"),
                ("IPv4", "protocol"),
                ("inner IPv4", "src"),
                ("inner IPv4", "dst"),
                ("TCP", "flags"),
                ("ARP", "target IP"),
            ]
            .iter()
            .any(|(l, n)| field_matches(name, l, n));
            assert!(ok, "{name}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    fn traced(name: &str) -> (Vec<TraceRecord>, FlightLog) {
        let b = bundled::find(name).unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        sim.world.trace.enabled = true;
        sim.run_until(lvslab_sim::SimTime(400_000_000));
        let recs = std::mem::take(&mut sim.world.trace.records);
        let mut log = FlightLog::default();
        log.ingest(&recs);
        (recs, log)
    }

    fn first_director_syn_tx(recs: &[TraceRecord]) -> usize {
        recs.iter()
            .position(|r| {
                r.node == "director" && r.dir == Direction::Tx && r.summary.contains("[S]")
            })
            .unwrap()
    }

    fn changed(ins: &Inspection) -> Vec<String> {
        ins.rows
            .iter()
            .filter(|r| r.changed)
            .map(|r| format!("{} {}", r.layer, r.name))
            .collect()
    }

    #[test]
    fn dr_director_changes_only_the_macs() {
        let (recs, log) = traced("dr-lab");
        let i = first_director_syn_tx(&recs);
        let ins = inspect(&recs, &log, i).unwrap();
        assert!(ins.before.is_some());
        // The kernel also decrements the TTL of what IPVS forwards (decrement_ttl).
        assert_eq!(changed(&ins), ["Ethernet src", "Ethernet dst", "IPv4 ttl"]);
        let o = ins.outcome.as_ref().unwrap();
        assert_eq!(o.id, "inspector-through");
        assert_eq!(o.get("node"), Some("director"));
        let dst = ins
            .rows
            .iter()
            .find(|r| r.layer == "Ethernet" && r.name == "dst")
            .unwrap();
        assert_ne!(dst.before, dst.after);
        // The same inspection from the rx side.
        let from_rx = inspect(&recs, &log, ins.before.unwrap()).unwrap();
        assert_eq!(from_rx.rows, ins.rows);
    }

    #[test]
    fn nat_director_rewrites_the_destination_address() {
        let (recs, log) = traced("nat-lab");
        let i = first_director_syn_tx(&recs);
        let ins = inspect(&recs, &log, i).unwrap();
        let c = changed(&ins);
        assert!(c.contains(&"IPv4 dst".to_string()), "{c:?}");
        assert!(!c.contains(&"IPv4 src".to_string()), "{c:?}");
    }

    #[test]
    fn tun_director_adds_an_outer_header() {
        let (recs, log) = traced("tun-lab");
        let i = first_director_syn_tx(&recs);
        let ins = inspect(&recs, &log, i).unwrap();
        let inner = ins
            .rows
            .iter()
            .find(|r| r.layer == "inner IPv4" && r.name == "dst")
            .unwrap();
        // The client's packet travels untouched inside: same addresses before and after.
        assert_eq!(inner.before.as_deref(), Some("10.0.0.10"));
        assert_eq!(inner.after.as_deref(), Some("10.0.0.10"));
        assert!(!inner.changed);
        // The outer header is new.
        let outer = ins
            .rows
            .iter()
            .find(|r| r.layer == "IPv4" && r.name == "dst")
            .unwrap();
        assert!(outer.changed);
        assert_eq!(outer.before, None);
        assert!(outer.after.as_deref().unwrap().starts_with("10.2.0."));
    }

    #[test]
    fn every_outcome_is_in_the_catalogue() {
        let cat = lvslab_i18n::Catalog::new();
        let (recs, log) = traced("dr-lab");
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..recs.len() {
            if let Some(m) = inspect(&recs, &log, i).and_then(|x| x.outcome) {
                seen.insert(m.id);
            }
        }
        assert!(seen.contains("inspector-through") && seen.contains("inspector-originated"));
        for id in seen.into_iter().chain([
            "inspector-sent",
            "inspector-delivered",
            "inspector-forwarded",
            "inspector-dropped",
        ]) {
            for lang in lvslab_i18n::Lang::ALL {
                assert!(cat.has(lang, id), "{}: no {id}", lang.code());
            }
        }
    }

    #[test]
    fn bad_index_is_none() {
        let (recs, log) = traced("dr-lab");
        assert!(inspect(&recs, &log, recs.len() + 5).is_none());
    }
}
