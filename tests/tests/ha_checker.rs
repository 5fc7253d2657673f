//! keepalived's health checkers in the model: detection time of a dead real server, the
//! scheduler never picking it while it is out, inhibit_on_failure's weight 0, recovery,
//! HTTP_GET status codes, quorum and the sorry server.

use crate::support::scenario;
use lvslab_sim::ha::HaWhat;
use lvslab_sim::scenario::Scenario;
use lvslab_sim::time::SimTime;
use lvslab_sim::Simulation;
use std::net::IpAddr;

fn build(name: &str) -> Simulation {
    let (mut sim, _) = scenario(name).build(None).unwrap();
    sim.world.record_decisions = true;
    sim
}

/// (time, up) of the real server's checker state changes.
fn rs_changes(sim: &Simulation, rs: &str) -> Vec<(f64, bool)> {
    sim.keepalived_on("ld1")
        .unwrap()
        .history
        .iter()
        .filter_map(|r| match &r.what {
            HaWhat::RealServer { rs: n, up } if n == rs => Some((r.t.as_secs_f64(), *up)),
            _ => None,
        })
        .collect()
}

fn dests(sim: &Simulation) -> Vec<(String, i32)> {
    let h = &sim.hosts[sim.host_index("ld1").unwrap()];
    h.ipvs.as_ref().unwrap().config().services[0]
        .dests
        .iter()
        .map(|d| (d.addr.to_string(), d.weight))
        .collect()
}

#[test]
fn dead_real_server_is_removed_after_check_and_retry_and_never_scheduled_while_out() {
    let mut sim = build("ha-checker-dead-rs");
    sim.run_until(SimTime::from_secs(15));
    let ch = rs_changes(&sim, "10.0.0.22:80");
    assert_eq!(ch.len(), 1);
    let (t_down, up) = ch[0];
    assert!(!up);
    // delay_loop 3, retry 1, delay_before_retry 1: the first failing check comes within
    // one delay_loop of the failure, the retry 1 s later marks it DOWN.
    assert!(
        t_down > 11.0 && t_down <= 10.0 + 3.0 + 1.0 + 0.01,
        "{t_down}"
    );
    assert_eq!(dests(&sim), vec![("10.0.0.21".to_string(), 1)]);
    sim.run();
    let ch = rs_changes(&sim, "10.0.0.22:80");
    assert_eq!(ch.len(), 2);
    let t_up = ch[1].0;
    assert!(
        ch[1].1 && t_up > 25.0 && t_up <= 25.0 + 3.0 + 0.01,
        "{t_up}"
    );
    let rs2: IpAddr = "10.0.0.22".parse().unwrap();
    let picked: Vec<f64> = sim
        .world
        .decisions
        .iter()
        .filter(|(h, d)| h == "ld1" && d.dest.map(|x| x.0) == Some(rs2))
        .map(|(_, d)| d.time.as_secs_f64())
        .collect();
    assert!(picked.iter().any(|t| *t < 10.0));
    assert!(
        picked.iter().all(|t| *t < t_down || *t > t_up),
        "{picked:?}"
    );
    assert!(picked.iter().any(|t| *t > t_up));
    // Connections refused by the dead server stop once it is out.
    let r = sim.report();
    assert!(r.requests.failed > 0);
}

#[test]
fn inhibit_on_failure_keeps_the_server_with_weight_zero() {
    let mut sim = build("ha-checker-inhibit");
    sim.run_until(SimTime::from_secs(15));
    let mut d = dests(&sim);
    d.sort();
    assert_eq!(
        d,
        vec![("10.0.0.21".to_string(), 1), ("10.0.0.22".to_string(), 0)]
    );
    sim.run();
    let mut d = dests(&sim);
    d.sort();
    assert_eq!(
        d,
        vec![("10.0.0.21".to_string(), 1), ("10.0.0.22".to_string(), 1)]
    );
    let rs2: IpAddr = "10.0.0.22".parse().unwrap();
    let ch = rs_changes(&sim, "10.0.0.22:80");
    let (t_down, t_up) = (ch[0].0, ch[1].0);
    assert!(sim
        .world
        .decisions
        .iter()
        .filter(|(_, d)| d.dest.map(|x| x.0) == Some(rs2))
        .all(|(_, d)| d.time.as_secs_f64() < t_down || d.time.as_secs_f64() > t_up));
}

/// One director with HTTP_GET checks, quorum and a sorry server.
fn http_scenario(status: u16, faults: &str) -> Simulation {
    let text = format!(
        r#"
[scenario]
name = "http-check"
title = "t"
kind = "ha"
duration = "30s"

[[segment]]
name = "lan"

[[host]]
name = "ld1"
role = "director"
iface = [{{ name = "eth0", segment = "lan", addrs = ["10.0.0.11/24"] }}]
keepalived = """
virtual_server 10.0.0.100 80 {{
    delay_loop 2
    lb_algo rr
    lb_kind DR
    protocol TCP
    quorum 2
    sorry_server 10.0.0.30 80
    real_server 10.0.0.21 80 {{
        weight 1
        HTTP_GET {{
            url {{
                path /health
                status_code 200
            }}
            connect_timeout 1
            retry 0
            warmup 0
        }}
    }}
    real_server 10.0.0.22 80 {{
        weight 1
        TCP_CHECK {{
            connect_timeout 1
            retry 0
            warmup 0
        }}
    }}
}}
"""

[[host]]
name = "web1"
role = "real-server"
iface = [{{ name = "eth0", segment = "lan", addrs = ["10.0.0.21/24"] }}]
server = [{{ port = 80, status = {status} }}]

[[host]]
name = "web2"
role = "real-server"
iface = [{{ name = "eth0", segment = "lan", addrs = ["10.0.0.22/24"] }}]
server = [{{ port = 80 }}]

[[host]]
name = "sorry"
role = "real-server"
iface = [{{ name = "eth0", segment = "lan", addrs = ["10.0.0.30/24"] }}]
server = [{{ port = 80 }}]
{faults}
"#
    );
    let (sim, _) = Scenario::parse("http.toml", &text)
        .unwrap()
        .build(None)
        .unwrap_or_else(|d| panic!("{d:?}"));
    sim
}

#[test]
fn http_get_checks_the_status_code() {
    let mut sim = http_scenario(503, "");
    sim.run_until(SimTime::from_secs(5));
    // First check at 1 s (warmup 0): 503 is not 200, DOWN at once (first run).
    let ch = rs_changes(&sim, "10.0.0.21:80");
    assert_eq!(ch.len(), 1);
    assert!(!ch[0].1 && (1.0..1.01).contains(&ch[0].0), "{ch:?}");
    let mut ok = http_scenario(200, "");
    ok.run();
    assert!(rs_changes(&ok, "10.0.0.21:80").is_empty());
}

#[test]
fn losing_quorum_brings_in_the_sorry_server() {
    let faults = "[[fault]]\nat = \"5s\"\naction = \"server-stop\"\nhost = \"web2\"\nport = 80\n\n[[fault]]\nat = \"15s\"\naction = \"server-start\"\nhost = \"web2\"\nport = 80\n";
    let mut sim = http_scenario(200, faults);
    sim.run_until(SimTime::from_secs(10));
    // live weight 1 < quorum 2: the live server is replaced by the sorry server.
    assert_eq!(dests(&sim), vec![("10.0.0.30".to_string(), 1)]);
    sim.run();
    let mut d = dests(&sim);
    d.sort();
    assert_eq!(
        d,
        vec![("10.0.0.21".to_string(), 1), ("10.0.0.22".to_string(), 1)]
    );
}
