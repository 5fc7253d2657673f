//! Connection-level bulk runs agree with the packet-level model: same requests, same
//! scheduling, the same IPVS counters (packets, bytes, connection states), close latencies.

use lvslab_sim::engine::report::Report;
use lvslab_sim::scenario::Scenario;

fn both(name: &str, text: &str) -> (Report, Report) {
    let sc = Scenario::parse(name, text).unwrap_or_else(|d| panic!("{d:?}"));
    let (mut packet, _) = sc.build(None).unwrap();
    packet.run();
    let (mut bulk, _) = sc.build(None).unwrap();
    bulk.use_bulk_mode().expect("bulk mode");
    bulk.run();
    (packet.report(), bulk.report())
}

fn compare(name: &str, text: &str) {
    let (p, b) = both(name, text);
    assert_eq!(b.requests.sent, p.requests.sent, "{name}");
    assert_eq!(
        b.requests.completed, p.requests.completed,
        "{name}: {:?} vs {:?}",
        b.requests, p.requests
    );
    let split = |r: &Report| {
        r.real_servers
            .iter()
            .map(|s| (s.host.clone(), s.connections, s.requests))
            .collect::<Vec<_>>()
    };
    assert_eq!(split(&b), split(&p), "{name}: per-server split");
    for (dp, db) in p.directors.iter().zip(b.directors.iter()) {
        assert_eq!(
            (db.inbound_packets, db.inbound_bytes),
            (dp.inbound_packets, dp.inbound_bytes),
            "{name}: IPVS in"
        );
        assert_eq!(
            (db.outbound_packets, db.outbound_bytes),
            (dp.outbound_packets, dp.outbound_bytes),
            "{name}: IPVS out"
        );
        assert_eq!(db.ipvsadm, dp.ipvsadm, "{name}: -Ln at the end");
    }
    let rel = (b.latency_ms.p50 - p.latency_ms.p50).abs() / p.latency_ms.p50;
    assert!(
        rel < 0.25,
        "{name}: p50 {} (bulk) vs {} (packet)",
        b.latency_ms.p50,
        p.latency_ms.p50
    );
}

#[test]
fn bulk_runs_match_the_packet_model_on_the_labs() {
    for name in ["nat-lab", "dr-lab", "tun-lab"] {
        compare(name, lvslab_sim::bundled::find(name).unwrap().text);
    }
}

#[test]
fn bulk_mode_refuses_what_it_does_not_model() {
    for name in ["ha-failover-sync", "persistence-pinning"] {
        let b = lvslab_sim::bundled::find(name).unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        let e = sim.use_bulk_mode().unwrap_err();
        assert!(
            e.contains("keepalived") || e.contains("faults"),
            "{name}: {e}"
        );
    }
}

#[test]
fn bulk_runs_agree_under_load_with_wlc_and_queueing() {
    let text = include_str!("../../web-app/src/whatif-dr.toml");
    let text = text.replacen("duration = \"30s\"", "duration = \"12s\"", 1);
    let sc = Scenario::parse("whatif-dr", &text).unwrap();
    let run = |bulk: bool| {
        let (mut sim, _) = sc.build(None).unwrap();
        sim.workloads[0].spec.connections = Some(20_000);
        sim.workloads[0].spec.arrival =
            lvslab_sim::transport::app::Arrival::Poisson { rate: 2000.0 };
        if bulk {
            sim.use_bulk_mode().unwrap();
        }
        sim.run();
        sim.report()
    };
    let (p, b) = (run(false), run(true));
    eprintln!(
        "packet: {:?} p50 {} p99 {}",
        p.requests, p.latency_ms.p50, p.latency_ms.p99
    );
    eprintln!(
        "bulk:   {:?} p50 {} p99 {}",
        b.requests, b.latency_ms.p50, b.latency_ms.p99
    );
    for (x, y) in p.real_servers.iter().zip(b.real_servers.iter()) {
        eprintln!("{} packet {} bulk {}", x.host, x.connections, y.connections);
    }
    assert_eq!(b.requests.completed, p.requests.completed);
    for (x, y) in p.real_servers.iter().zip(b.real_servers.iter()) {
        let rel = (x.connections as f64 - y.connections as f64).abs() / x.connections as f64;
        assert!(
            rel < 0.02,
            "{}: {} (packet) vs {} (bulk)",
            x.host,
            x.connections,
            y.connections
        );
    }
    for (q, lp, lb) in [
        ("p50", p.latency_ms.p50, b.latency_ms.p50),
        ("p99", p.latency_ms.p99, b.latency_ms.p99),
    ] {
        assert!(
            (lp - lb).abs() / lp < 0.15,
            "{q}: {lp} (packet) vs {lb} (bulk)"
        );
    }
}

#[test]
fn lvslab_run_bulk_reports_like_a_packet_run_and_refuses_what_it_cannot_do() {
    use crate::support::lvslab_run;
    let (code, out, err) = lvslab_run(&["run", "dr-lab", "--bulk", "--json", "-q"]);
    assert_eq!(code, 0, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["requests"]["completed"], r["requests"]["sent"]);
    let (code, _, err) = lvslab_run(&["run", "ha-failover-sync", "--bulk"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("--bulk:") && err.contains("without --bulk"),
        "{err}"
    );
    let (code, _, err) = lvslab_run(&["run", "dr-lab", "--bulk", "--trace", "x.jsonl"]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot write --trace"), "{err}");
}
