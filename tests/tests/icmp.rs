//! ICMP in the model: port unreachable when IPVS has no usable real server, host
//! unreachable when a real server does not answer ARP, fragmentation needed when the IPIP
//! header does not fit the path MTU (and TCP reacting to it).

use lvslab_sim::scenario::Scenario;

fn run_text(name: &str, text: &str) -> lvslab_sim::engine::report::Report {
    let sc = Scenario::parse(name, text).unwrap_or_else(|d| panic!("{d:?}"));
    let (mut sim, _) = sc.build(None).unwrap_or_else(|d| panic!("{d:?}"));
    sim.run();
    sim.report()
}

fn lab(name: &str) -> String {
    lvslab_sim::bundled::find(name).unwrap().text.to_string()
}

#[test]
fn no_usable_real_server_gives_icmp_port_unreachable_and_refused_connections() {
    let text = lab("nat-lab").replace("-m -w 1", "-m -w 0");
    let r = run_text("w0.toml", &text);
    assert_eq!(r.requests.completed, 0);
    assert_eq!(r.requests.failed, r.requests.sent);
    assert!(
        r.requests
            .failures
            .iter()
            .any(|f| f.reason == "connection refused (ICMP port unreachable)"),
        "{:?}",
        r.requests.failures
    );
    assert!(
        r.drops
            .iter()
            .any(|d| d.node == "director" && d.reason.contains("no destination available")),
        "{:?}",
        r.drops
    );
}

#[test]
fn a_real_server_that_does_not_exist_fails_arp_at_the_director() {
    let text = lab("nat-lab")
        .replace("-r 192.168.10.103:80", "-r 192.168.10.199:80")
        .replace("duration = \"6s\"", "duration = \"20s\"");
    let r = run_text("ghost.toml", &text);
    assert_eq!(r.requests.completed, 30, "rs1's half succeeds");
    assert_eq!(r.requests.failed, 30);
    assert!(
        r.requests
            .failures
            .iter()
            .all(|f| f.reason == "request timed out"),
        "{:?}",
        r.requests.failures
    );
    assert!(
        r.drops
            .iter()
            .any(|d| d.node == "director" && d.reason.contains("ARP: no reply for 192.168.10.199")),
        "{:?}",
        r.drops
    );
}

#[test]
fn tunnel_overhead_triggers_fragmentation_needed_and_tcp_lowers_its_mss() {
    // Requests of 1448 bytes fill a 1500-byte packet; the IPIP header makes it 1520.
    let text = lab("tun-lab").replace("connections = 60", "connections = 10\nrequest_bytes = 1448");
    let r = run_text("mtu.toml", &text);
    assert!(
        r.drops
            .iter()
            .any(|d| d.node == "director" && d.reason.contains("exceed MTU 1500 (DF set)")),
        "{:?}",
        r.drops
    );
    assert_eq!(
        r.requests.completed, r.requests.sent,
        "PMTU discovery lets every request through: {:?}",
        r.requests
    );
}
