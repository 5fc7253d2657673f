use super::parse::parse_with_warnings;
use super::*;
use crate::admin::{IpvsOp, LvsConfig, ServiceKey};

/// The NAT HA example of the seed documents (LD1).
/// The seed documents' keepalived NAT example (LD1), shared with the integration tests.
pub(crate) const SEED_NAT_LD1: &str =
    include_str!("../../../../tests/fixtures/keepalived/seed-nat-ld1.conf");

#[test]
fn seed_nat_example_reads_with_keepalived_defaults() {
    let (c, warnings) = parse_with_warnings(SEED_NAT_LD1).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(c.sync_groups[0].members, ["VI_1", "VI_2"]);
    let vi1 = c.instance("VI_1").unwrap();
    assert_eq!(vi1.state, InitialState::Master);
    assert_eq!(vi1.priority, 100);
    assert_eq!(vi1.auth_pass.as_deref(), Some("1111"));
    assert_eq!(vi1.virtual_ipaddress[0].prefix, 32);
    let vs = &c.virtual_servers[0];
    assert_eq!(vs.lb_kind, FwdMethod::Masq);
    assert_eq!(vs.persistence_timeout, Some(600));
    let chk = &vs.real_servers[0].checkers[0];
    assert_eq!(chk.connect_timeout, SimDuration::from_secs(3));
    assert_eq!(chk.retry, 1);
    assert_eq!(chk.delay_before_retry, SimDuration::from_secs(1));
    assert_eq!(chk.delay_loop, SimDuration::from_secs(6));
    assert_eq!(chk.warmup, SimDuration::from_secs(6));
}

#[test]
fn render_then_parse_is_identity() {
    let c = parse(SEED_NAT_LD1).unwrap();
    let text = render(&c);
    let (again, warnings) = parse_with_warnings(&text).unwrap();
    assert_eq!(c, again, "{text}");
    assert!(warnings.is_empty(), "{warnings:?}\n{text}");
    assert!(text.contains("lb_kind NAT"));
    assert!(text.contains("protocol TCP"));
    assert!(text.contains("warmup 6"));
}

#[test]
fn keepalived_defaults_differ_from_ipvsadm() {
    let (c, w) = parse_with_warnings(
        "virtual_server 10.0.0.1 80 {\n real_server 10.0.1.1 8080 {\n  weight 2\n  TCP_CHECK {\n  }\n }\n}\n",
    )
    .unwrap();
    let vs = &c.virtual_servers[0];
    assert_eq!(vs.protocol, Protocol::Udp);
    assert_eq!(vs.lb_kind, FwdMethod::Masq);
    assert_eq!(vs.lb_algo, "wlc");
    assert_eq!(w.len(), 3, "{w:?}");
    let chk = &vs.real_servers[0].checkers[0];
    assert_eq!(chk.delay_loop, SimDuration::from_secs(60));
    assert_eq!(chk.connect_timeout, SimDuration::from_secs(5));
}

#[test]
fn priority_and_state_defaults() {
    let c = parse("vrrp_instance A {\n state MASTER\n interface eth0\n virtual_router_id 1\n}\nvrrp_instance B {\n interface eth0\n virtual_router_id 2\n priority 255\n}\nvrrp_instance C {\n interface eth0\n virtual_router_id 3\n}\n").unwrap();
    assert_eq!(c.instances[0].priority, 255);
    assert_eq!(c.instances[1].state, InitialState::Master);
    assert_eq!(c.instances[2].priority, 100);
    assert_eq!(c.instances[2].state, InitialState::Backup);
}

#[test]
fn nopreempt_with_state_master_is_cleared() {
    let (c, w) = parse_with_warnings(
        "vrrp_instance A {\n state MASTER\n priority 100\n nopreempt\n interface eth0\n virtual_router_id 1\n}\n",
    )
    .unwrap();
    assert!(!c.instances[0].nopreempt);
    assert!(w[0].message.contains("nopreempt"));
}

#[test]
fn inheritance_of_checker_timings() {
    let c = parse(
        "virtual_server 1.1.1.1 80 {\n protocol TCP\n delay_loop 10\n connect_timeout 2\n real_server 2.2.2.2 80 {\n  retry 3\n  HTTP_GET {\n   url {\n    path /health\n    status_code 200 301-302\n   }\n   warmup 0\n  }\n }\n}\n",
    )
    .unwrap();
    let ch = &c.virtual_servers[0].real_servers[0].checkers[0];
    assert_eq!(ch.connect_timeout, SimDuration::from_secs(2));
    assert_eq!(ch.retry, 3);
    assert_eq!(ch.delay_before_retry, SimDuration::from_secs(3));
    assert_eq!(ch.warmup, SimDuration::ZERO);
    let CheckKind::Http { urls } = &ch.kind else {
        panic!()
    };
    assert!(urls[0].accepts(301) && !urls[0].accepts(204) && urls[0].accepts(200));
}

#[test]
fn errors_name_the_line() {
    let cases = [
        (
            "vrrp_instance A {\n  interface eth0\n  bogus 1\n}\n",
            3,
            "unknown keyword `bogus`",
        ),
        (
            "vrrp_instance A {\n  interface eth0\n  virtual_router_id 300\n}\n",
            3,
            "1..255",
        ),
        ("vrrp_instance A {\n  interface eth0\n", 1, "never closed"),
        ("}\n", 1, "without a matching"),
        ("virtual_server 1.2.3 80 {\n}\n", 1, "not an IP address"),
        (
            "virtual_server 1.2.3.4 80 {\n lb_kind FOO\n}\n",
            2,
            "NAT, DR or TUN",
        ),
        (
            "virtual_server 1.2.3.4 80 {\n lb_algo xyz\n}\n",
            2,
            "unknown scheduler",
        ),
        ("global_defs {\n router_id \"LD1\n}\n", 2, "unterminated"),
        (
            "vrrp_sync_group G {\n group {\n  VI_X\n  VI_Y\n }\n}\n",
            0,
            "not defined",
        ),
    ];
    for (text, line, what) in cases {
        let e = parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text}: {e}");
        assert!(e.message.contains(what), "{text}: {e}");
    }
}

#[test]
fn garbage_never_panics() {
    let mut rng = crate::rng::SimRng::from_seed(7);
    let alphabet: Vec<char> = "{}\"#! \n\tabcvrrp_instance virtual_server 0123456789./-"
        .chars()
        .collect();
    for _ in 0..3000 {
        let n = rng.below(120) as usize;
        let s: String = (0..n)
            .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
            .collect();
        let _ = parse(&s);
    }
    // Truncations of a valid file.
    for cut in 0..SEED_NAT_LD1.len() {
        if SEED_NAT_LD1.is_char_boundary(cut) {
            let _ = parse(&SEED_NAT_LD1[..cut]);
        }
    }
}

#[test]
fn initial_table_is_what_keepalived_programs() {
    let c = parse(SEED_NAT_LD1).unwrap();
    let t = lvs::initial_table(&c).unwrap();
    let s = &t.services[0];
    assert_eq!(s.config.scheduler, "wlc");
    assert_eq!(s.config.timeout, 600);
    assert!(s.config.persistent());
    // Added in file order, so the kernel lists the last one first.
    let order: Vec<String> = s.dests.iter().map(|d| d.addr.to_string()).collect();
    assert_eq!(order, ["172.18.1.13", "172.18.1.12", "172.18.1.11"]);
    assert!(s
        .dests
        .iter()
        .all(|d| d.weight == 100 && d.fwd == FwdMethod::Masq));
}

#[test]
fn dr_forces_the_service_port_and_alpha_starts_servers_out() {
    let c = parse("virtual_server 1.1.1.1 80 {\n protocol TCP\n lb_kind DR\n lb_algo rr\n alpha\n sorry_server 9.9.9.9 80\n real_server 2.2.2.2 8080 {\n  TCP_CHECK {\n  }\n }\n real_server 2.2.2.3 80 {\n  inhibit_on_failure\n  TCP_CHECK {\n  }\n }\n}\n").unwrap();
    assert_eq!(c.virtual_servers[0].real_servers[0].port, 80);
    let t = lvs::initial_table(&c).unwrap();
    let d: Vec<(String, i32)> = t.services[0]
        .dests
        .iter()
        .map(|d| (d.addr.to_string(), d.weight))
        .collect();
    assert_eq!(d, [("9.9.9.9".to_string(), 1), ("2.2.2.3".to_string(), 0)]);
}

#[test]
fn ipvsadm_rules_round_trip_through_keepalived() {
    let mut t = LvsConfig::default();
    let rules = "-A -t 10.0.0.10:80 -s rr -p 300\n-a -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 2\n-a -t 10.0.0.10:80 -r 10.0.0.12:80 -g -w 1\n-A -u 10.0.0.10:53 -s wlc\n-a -u 10.0.0.10:53 -r 192.168.1.5:5353 -m -w 3";
    for l in rules.lines() {
        let crate::admin::ipvsadm::Command::Apply(op) =
            crate::admin::ipvsadm::parse_line(l).unwrap()
        else {
            panic!()
        };
        t.apply(&op).unwrap();
    }
    let kc = KeepalivedConfig {
        virtual_servers: lvs::from_lvs(&t).unwrap(),
        ..Default::default()
    };
    let text = render(&kc);
    let back = lvs::initial_table(&parse(&text).unwrap()).unwrap();
    assert_eq!(back, t, "{text}");
}

#[test]
fn mixed_methods_cannot_be_exported() {
    let mut t = LvsConfig::default();
    let key = ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: "1.1.1.1".parse().unwrap(),
        port: 80,
    };
    t.apply(&IpvsOp::AddService(crate::admin::ServiceConfig::new(key)))
        .unwrap();
    t.apply(&IpvsOp::AddDest(
        key,
        crate::admin::DestConfig::new("2.2.2.2".parse().unwrap(), 80),
    ))
    .unwrap();
    t.apply(&IpvsOp::AddDest(
        key,
        crate::admin::DestConfig::new("2.2.2.3".parse().unwrap(), 80).with_fwd(FwdMethod::Masq),
    ))
    .unwrap();
    assert!(lvs::from_lvs(&t).unwrap_err().contains("lb_kind"));
}

#[test]
fn secs_format() {
    assert_eq!(render::secs(SimDuration::from_secs(5)), "5");
    assert_eq!(render::secs(SimDuration::from_millis(500)), "0.5");
    assert_eq!(render::secs(SimDuration::from_millis(1250)), "1.25");
}
