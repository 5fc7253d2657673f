//! The NAT, DR and TUN labs carry real traffic, and the classic failures fail as they do
//! on real systems.

use crate::support::run;
use lvslab_sim::trace::{Direction, TraceRecord, Verdict};

fn assert_complete_and_even(name: &str) {
    let (_, r) = run(name, None, false);
    assert!(r.requests.sent > 0);
    assert_eq!(
        r.requests.completed, r.requests.sent,
        "{name}: {:?}",
        r.requests
    );
    assert_eq!(r.requests.failed, 0);
    let conns: Vec<u64> = r.real_servers.iter().map(|s| s.connections).collect();
    assert_eq!(conns.len(), 2);
    assert_eq!(
        conns[0], conns[1],
        "{name}: rr must split evenly: {conns:?}"
    );
    assert_eq!(conns[0] * 2, r.requests.sent);
}

#[test]
fn nat_dr_tun_labs_complete_every_request_split_evenly_by_rr() {
    for name in ["nat-lab", "dr-lab", "tun-lab"] {
        assert_complete_and_even(name);
    }
}

/// The first frame with these TCP flags that `node` received (on `iface`, if given).
fn first_rx<'a>(
    recs: &'a [TraceRecord],
    node: &str,
    iface: Option<&str>,
    flags: &str,
) -> &'a TraceRecord {
    recs.iter()
        .find(|r| {
            r.node == node
                && r.dir == Direction::Rx
                && iface.is_none_or(|i| r.iface == i)
                && r.ip
                    .as_ref()
                    .and_then(|i| i.tcp.as_ref())
                    .is_some_and(|t| t.flags == flags)
        })
        .unwrap_or_else(|| panic!("no [{flags}] received by {node}"))
}

/// The tx record that forwarded a given rx record (same node, parent = its packet id).
fn forwarded<'a>(recs: &'a [TraceRecord], rx: &TraceRecord) -> &'a TraceRecord {
    recs.iter()
        .find(|t| t.dir == Direction::Tx && t.node == rx.node && t.parent == Some(rx.pkt))
        .unwrap_or_else(|| panic!("no forwarded copy of packet {} at {}", rx.pkt, rx.node))
}

#[test]
fn nat_trace_shows_dnat_in_and_snat_out() {
    let (sim, _) = run("nat-lab", None, true);
    let recs = &sim.world.trace.records;
    // inbound SYN at the director: destination VIP -> RIP, source kept
    let rx = first_rx(recs, "director", Some("eth0"), "S");
    assert_eq!(rx.verdict, Verdict::Forwarded);
    let ip_in = rx.ip.as_ref().unwrap();
    assert_eq!(ip_in.dst, "172.16.16.172");
    let tx = forwarded(recs, rx);
    let ip_out = tx.ip.as_ref().unwrap();
    assert_eq!(tx.iface, "eth1");
    assert!(
        ip_out.dst == "192.168.10.102" || ip_out.dst == "192.168.10.103",
        "{ip_out:?}"
    );
    assert_eq!(
        ip_out.src, ip_in.src,
        "NAT keeps the client address inbound"
    );
    // outbound SYN-ACK: source RIP -> VIP
    let rx = first_rx(recs, "director", Some("eth1"), "S.");
    assert!(rx.ip.as_ref().unwrap().src.starts_with("192.168.10.10"));
    let tx = forwarded(recs, rx);
    assert_eq!(tx.iface, "eth0");
    assert_eq!(tx.ip.as_ref().unwrap().src, "172.16.16.172");
    assert_eq!(tx.ip.as_ref().unwrap().dst, "172.16.16.100");
}

#[test]
fn dr_trace_changes_only_the_destination_mac_and_replies_bypass_the_director() {
    let (sim, _) = run("dr-lab", None, true);
    let recs = &sim.world.trace.records;
    let mac_of = |host: &str| {
        sim.hosts.iter().find(|h| h.name == host).unwrap().ifaces[1]
            .mac
            .to_string()
    };
    let rx = first_rx(recs, "director", None, "S");
    let tx = forwarded(recs, rx);
    let (a, b) = (rx.ip.as_ref().unwrap(), tx.ip.as_ref().unwrap());
    assert_eq!(
        (a.src.as_str(), a.dst.as_str()),
        ("10.1.0.100", "10.0.0.10")
    );
    assert_eq!(
        (b.src.as_str(), b.dst.as_str()),
        ("10.1.0.100", "10.0.0.10"),
        "DR leaves the IP addresses alone"
    );
    assert_eq!(b.tcp, a.tcp, "DR leaves TCP alone");
    assert_eq!(b.ttl + 1, a.ttl);
    assert_eq!(rx.eth.dst, mac_of("director"));
    assert!(
        tx.eth.dst == mac_of("rs1") || tx.eth.dst == mac_of("rs2"),
        "frame goes to a real server's MAC"
    );
    // The reply leaves a real server from the VIP, addressed at L2 to the router.
    let reply = recs
        .iter()
        .find(|r| {
            r.node.starts_with("rs")
                && r.dir == Direction::Tx
                && r.ip
                    .as_ref()
                    .and_then(|i| i.tcp.as_ref())
                    .map(|t| t.flags == "S.")
                    .unwrap_or(false)
        })
        .expect("SYN-ACK from a real server");
    assert_eq!(reply.ip.as_ref().unwrap().src, "10.0.0.10");
    assert_eq!(
        reply.eth.dst,
        sim.hosts
            .iter()
            .find(|h| h.name == "router")
            .unwrap()
            .ifaces[2]
            .mac
            .to_string()
    );
    assert!(
        !recs.iter().any(|r| r.node == "director"
            && r.ip
                .as_ref()
                .and_then(|i| i.tcp.as_ref())
                .map(|t| t.flags.starts_with("S."))
                .unwrap_or(false)),
        "the director never sees a SYN-ACK"
    );
}

#[test]
fn tun_trace_wraps_the_untouched_packet_in_dip_to_rip() {
    let (sim, _) = run("tun-lab", None, true);
    let recs = &sim.world.trace.records;
    let rx = first_rx(recs, "director", None, "S");
    let tx = forwarded(recs, rx);
    let outer = tx.ip.as_ref().unwrap();
    assert_eq!(outer.proto, 4, "IPIP");
    assert_eq!(outer.src, "10.0.0.2");
    assert!(outer.dst == "10.2.0.11" || outer.dst == "10.2.0.12");
    let inner = outer.inner.as_ref().expect("inner packet");
    let orig = rx.ip.as_ref().unwrap();
    assert_eq!(
        (inner.src.as_str(), inner.dst.as_str()),
        ("10.1.0.100", "10.0.0.10")
    );
    assert_eq!(inner.tcp, orig.tcp);
    assert_eq!(outer.len, inner.len + 20);
    assert_eq!(
        outer.ttl, inner.ttl,
        "outer TTL copied from the inner header"
    );
}

fn has_drop(r: &lvslab_sim::engine::report::Report, node: &str, needle: &str) -> bool {
    r.drops
        .iter()
        .any(|d| d.node == node && d.reason.contains(needle) && d.count > 0)
}

#[test]
fn nat_real_server_with_wrong_gateway_fails_and_the_client_drops_its_replies() {
    let (_, r) = run("nat-wrong-gateway", None, false);
    assert!(r.requests.failed > 0 && r.requests.completed > 0);
    assert_eq!(r.requests.failed + r.requests.completed, r.requests.sent);
    assert!(
        has_drop(&r, "client", "from 192.168.10.103:80 matches no connection"),
        "{:?}",
        r.drops
    );
    let rs2 = r.real_servers.iter().find(|s| s.host == "rs2").unwrap();
    assert_eq!(rs2.requests, 0);
}

#[test]
fn dr_without_arp_sysctls_lets_the_router_bypass_the_director() {
    let (sim, r) = run("dr-arp-flux", None, false);
    let router = r.arp.iter().find(|a| a.host == "router").unwrap();
    let vip = router
        .entries
        .iter()
        .find(|e| e.ip == "10.0.0.10")
        .expect("router knows the VIP");
    let owner = vip.owner.clone().unwrap();
    assert!(
        owner.starts_with("rs"),
        "the VIP resolved to {owner}, not to a real server"
    );
    let served = r
        .real_servers
        .iter()
        .find(|s| s.host == owner)
        .unwrap()
        .connections;
    assert_eq!(
        served, r.requests.sent,
        "every connection went straight to {owner}"
    );
    assert!(
        r.directors[0].connections < r.requests.sent / 10,
        "the director was bypassed"
    );
    // And the director itself never got the traffic on its interface.
    let _ = sim;
}

#[test]
fn tun_real_server_with_strict_rp_filter_drops_decapsulated_packets() {
    let (_, r) = run("tun-rp-filter", None, false);
    assert!(r.requests.failed > 0);
    assert!(has_drop(&r, "rs2", "rp_filter=1"), "{:?}", r.drops);
    assert!(!r.drops.iter().any(|d| d.node == "rs1"));
}

#[test]
fn dr_port_mapping_is_rejected_by_validation_at_the_rules_line() {
    let sc = crate::support::scenario("dr-port-mapping");
    let diags = sc.build(None).err().expect("must be rejected");
    let e = diags
        .iter()
        .find(|d| d.message.contains("port mapping"))
        .expect("port mapping error");
    let line = sc.text.lines().nth(e.line - 1).unwrap();
    assert!(line.contains("-r 10.0.0.11:8080 -g"), "points at `{line}`");
    let (code, _, err) = crate::support::lvslab_run(&["run", "scenarios/dr-port-mapping.toml"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("port mapping (80 -> 8080) is impossible with DR"),
        "{err}"
    );
}

#[test]
fn dr_lab_pcap_decodes_in_tshark() {
    let p = crate::support::tmp("dr-lab.pcap");
    let _ = std::fs::remove_file(&p);
    let (code, _, err) = crate::support::lvslab_run(&[
        "run",
        "dr-lab",
        "--quiet",
        "--pcap",
        p.to_str().unwrap(),
        "--segment",
        "lan",
    ]);
    assert_eq!(code, 0, "{err}");
    let bytes = std::fs::read(&p).unwrap();
    assert!(
        bytes.len() > 24 + 100 * 60,
        "pcap too small: {} bytes",
        bytes.len()
    );
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        eprintln!("skipped: tshark not installed (the README's test command installs it)");
        return;
    }
    let out = std::process::Command::new("tshark")
        .args([
            "-r",
            p.to_str().unwrap(),
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-z",
            "expert,error",
            "-q",
        ])
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(!text.contains("Malformed"), "{text}");
    assert!(!text.contains("Error/"), "tshark reported errors: {text}");
    // Decoded fields: DR frames keep CIP -> VIP and go to a real server's MAC.
    let out = std::process::Command::new("tshark")
        .args([
            "-r",
            p.to_str().unwrap(),
            "-Y",
            "tcp.flags.syn==1 && tcp.flags.ack==0",
            "-T",
            "fields",
            "-e",
            "ip.src",
            "-e",
            "ip.dst",
            "-e",
            "http.request.method",
        ])
        .output()
        .unwrap();
    let fields = String::from_utf8_lossy(&out.stdout);
    assert!(
        fields.lines().count() >= 120,
        "SYNs on the LAN (router->director and director->RS): {fields}"
    );
    assert!(
        fields
            .lines()
            .all(|l| l.starts_with("10.1.0.100\t10.0.0.10")),
        "{fields}"
    );
    let out = std::process::Command::new("tshark")
        .args([
            "-r",
            p.to_str().unwrap(),
            "-Y",
            "http.response.code == 200",
            "-T",
            "fields",
            "-e",
            "ip.src",
        ])
        .output()
        .unwrap();
    let responses = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        responses.lines().count(),
        60,
        "every response decodes as HTTP 200: {responses}"
    );
    assert!(
        responses.lines().all(|l| l == "10.0.0.10"),
        "DR replies come from the VIP"
    );
}
