use super::*;
use crate::admin::ipvsadm::execute_with_stdin;
use crate::bundled;

fn scenario(name: &str) -> Scenario {
    let b = bundled::find(name).unwrap();
    Scenario::parse(b.name, b.text).unwrap()
}

fn file<'a>(ex: &'a Export, name: &str) -> &'a str {
    &ex.files
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| {
            panic!(
                "no {name} in {:?}",
                ex.files.iter().map(|f| &f.name).collect::<Vec<_>>()
            )
        })
        .content
}

/// The observed `ipvsadm -Sn` of the real 6.1 kernel after these commands (ground truth,
/// ipvs-basic.txt): the real servers were added rs1, rs2, rs3 and are listed sorted.
#[test]
fn rules_are_what_ipvsadm_save_prints_on_the_real_kernel() {
    let mut t = LvsConfig::default();
    for l in [
        "-A -t 10.0.0.1:80 -s wrr",
        "-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4",
        "-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3",
        "-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2",
        "-A -t 10.0.0.6:80 -s rr",
        "-a -t 10.0.0.6:80 -r 192.168.10.12:80 -m",
        "-a -t 10.0.0.6:80 -r 192.168.10.13:80 -m",
        "-a -t 10.0.0.6:80 -r 192.168.10.11:80 -m -x 10 -y 5",
    ] {
        assert_eq!(execute_with_stdin(l, "", &mut t).exit_code, 0, "{l}");
    }
    assert_eq!(
        ipvsadm_rules(&t),
        "-A -t 10.0.0.1:80 -s wrr\n\
         -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4\n\
         -a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3\n\
         -a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2\n\
         -A -t 10.0.0.6:80 -s rr\n\
         -a -t 10.0.0.6:80 -r 192.168.10.11:80 -m -w 1\n\
         -a -t 10.0.0.6:80 -r 192.168.10.12:80 -m -w 1\n\
         -a -t 10.0.0.6:80 -r 192.168.10.13:80 -m -w 1\n"
    );
    // -S drops thresholds; the export says how to put them back.
    let notes = unsaved_settings(&t);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("-e -t 10.0.0.6:80 -r 192.168.10.11:80 -x 10 -y 5"));
}

#[test]
fn nat_lab_exports() {
    let ex = export(&scenario("nat-lab"), Target::All, None).unwrap();
    assert_eq!(
        file(&ex, "director.ipvsadm"),
        "-A -t 172.16.16.172:80 -s rr\n\
         -a -t 172.16.16.172:80 -r 192.168.10.102:80 -m -w 1\n\
         -a -t 172.16.16.172:80 -r 192.168.10.103:80 -m -w 1\n"
    );
    let sys = file(&ex, "director.sysctl.conf");
    assert!(sys.contains("\nnet.ipv4.ip_forward = 1\n"));
    for i in ["all", "default", "eth0", "eth1"] {
        assert!(
            sys.contains(&format!("net.ipv4.conf.{i}.send_redirects = 0\n")),
            "{i}"
        );
    }
    let rs1 = file(&ex, "rs1.setup.sh");
    assert!(rs1.contains("ip route replace default via 192.168.10.172 dev eth0\n"));
    assert!(!rs1.contains("arp_ignore"), "NAT needs no ARP settings");
    assert!(
        file(&ex, "rs1.teardown.sh").contains("ip route del default via 192.168.10.172 dev eth0")
    );
    assert!(file(&ex, "rs2.setup.sh").contains("via 192.168.10.172 dev eth0"));
    assert!(file(&ex, "director.keepalived.conf").contains("lb_kind NAT"));
    assert_eq!(ex.files.iter().filter(|f| f.executable).count(), 4);
}

#[test]
fn dr_lab_real_servers_get_the_vip_on_lo_and_arp_settings() {
    let ex = export(&scenario("dr-lab"), Target::RealServer, Some("rs2")).unwrap();
    assert_eq!(ex.files.len(), 2);
    let s = file(&ex, "rs2.setup.sh");
    assert!(s.contains("add_addr 10.0.0.10/32 lo\n"));
    for l in [
        "set_proc /proc/sys/net/ipv4/conf/all/arp_ignore 1",
        "set_proc /proc/sys/net/ipv4/conf/all/arp_announce 2",
        "set_proc /proc/sys/net/ipv4/conf/eth0/arp_ignore 1",
        "set_proc /proc/sys/net/ipv4/conf/eth0/arp_announce 2",
    ] {
        assert!(s.contains(l), "{l}");
    }
    assert!(!s.contains("ip route"), "DR changes no route");
    assert!(!s.contains("tunl0"));
    let sys = export(&scenario("dr-lab"), Target::Sysctl, None).unwrap();
    assert!(
        !file(&sys, "director.sysctl.conf").contains("ip_forward"),
        "DR needs no forwarding"
    );
}

#[test]
fn tun_lab_real_servers_get_ipip_tunl0_and_rp_filter_off() {
    let ex = export(&scenario("tun-lab"), Target::RealServer, Some("rs1")).unwrap();
    let s = file(&ex, "rs1.setup.sh");
    assert!(s.contains("modprobe ipip"));
    assert!(s.contains("ip link set tunl0 up"));
    assert!(s.contains("add_addr 10.0.0.10/32 tunl0\n"));
    assert!(s.contains("set_proc /proc/sys/net/ipv4/conf/all/rp_filter 0"));
    assert!(s.contains("set_proc /proc/sys/net/ipv4/conf/tunl0/rp_filter 0"));
    let t = file(&ex, "rs1.teardown.sh");
    assert!(
        t.contains("ip addr del") && t.contains("ip link set") && t.contains("rm -f \"$STATE\"")
    );
}

#[test]
fn a_nat_server_with_the_wrong_gateway_gets_the_dip() {
    let ex = export(
        &scenario("nat-wrong-gateway"),
        Target::RealServer,
        Some("rs2"),
    )
    .unwrap();
    let s = file(&ex, "rs2.setup.sh");
    assert!(
        s.contains("ip route replace default via 192.168.10.172 dev eth0"),
        "{s}"
    );
}

#[test]
fn export_errors_say_what_is_wrong() {
    let sc = scenario("vm-nat");
    assert!(matches!(
        export(&sc, Target::Ipvsadm, Some("nope")),
        Err(ExportError::NoSuchNode { .. })
    ));
    let e = export(&sc, Target::Ipvsadm, Some("rs1")).unwrap_err();
    assert!(e.to_string().contains("`rs1` is not a director"), "{e}");
    let e = export(&sc, Target::RealServer, Some("client")).unwrap_err();
    assert!(e.to_string().contains("not a real server"), "{e}");
    let k = export(&sc, Target::Keepalived, None).unwrap();
    assert_eq!(k.files.len(), 1);
    assert!(
        k.files[0].content.contains("virtual_server 10.0.0.1 80"),
        "{}",
        k.files[0].content
    );
    assert!(
        k.files[0].content.contains("lb_kind NAT"),
        "{}",
        k.files[0].content
    );
    let bad = Scenario::parse("x.toml", "[scenario]\nname='x'\ntitle='x'\nkind='lesson'\nduration='1s'\n[[host]]\nname='d'\nrole='director'\niface=[{name='eth0', addrs=['1.2.3']}]\n").unwrap();
    assert!(matches!(
        export(&bad, Target::All, None),
        Err(ExportError::Invalid(_))
    ));
}

#[test]
fn design_check_catches_failing_traffic() {
    let ok = check_design(&scenario("vm-nat"));
    assert!(ok.problems().is_empty(), "{:?}", ok.problems());
    assert_eq!(ok.traffic.as_ref().unwrap().completed, 9);
    let bad = check_design(&scenario("nat-wrong-gateway"));
    let p = bad.problems();
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("request(s) failed"), "{p:?}");
}

fn import(save: &str) -> (LvsConfig, Scenario) {
    let mut t = LvsConfig::default();
    for l in save.lines() {
        assert_eq!(execute_with_stdin(l, "", &mut t).exit_code, 0, "{l}");
    }
    let text = scenario_from_table(&ImportedTable {
        name: "imported",
        origin: "a test",
        table: &t,
        rules: save,
    });
    let sc = Scenario::parse("imported.toml", &text).unwrap_or_else(|d| panic!("{text}\n{d:?}"));
    (t, sc)
}

#[test]
fn an_imported_table_validates_runs_and_exports_back() {
    for name in ["vm-nat", "vm-dr", "vm-tun", "nat-lab", "dr-lab", "tun-lab"] {
        let rules = file(
            &export(&scenario(name), Target::Ipvsadm, None).unwrap(),
            "director.ipvsadm",
        )
        .to_string();
        let (t, sc) = import(&rules);
        let check = check_design(&sc);
        assert!(
            check.problems().is_empty(),
            "{name}: {:?}\n{}",
            check.problems(),
            sc.text
        );
        assert!(check.traffic.unwrap().completed > 0, "{name}");
        let tables = sc.director_tables().unwrap();
        assert_eq!(tables[0].config, t, "{name}");
        let back = export(&sc, Target::Ipvsadm, None).unwrap();
        assert_eq!(file(&back, "director.ipvsadm"), rules, "{name}");
    }
}

#[test]
fn the_observed_assorted_save_file_round_trips() {
    // ipvs-basic.txt, "assorted services": TCP/UDP/SCTP, persistence with netmask, sched
    // flags, GUE/GRE/IPIP tunnels, one-packet, IPv6, fwmark.
    let save = "\
-A -t 10.0.0.1:80 -s wrr
-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4
-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3
-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2
-A -t 10.0.0.2:443 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-a -t 10.0.0.2:443 -r 10.0.0.11:443 -g -w 1
-a -t 10.0.0.2:443 -r 10.0.0.12:443 -i -w 2 --tun-type ipip
-A -t 10.0.0.3:80 -s mh -b mh-fallback,mh-port
-a -t 10.0.0.3:80 -r 10.0.0.11:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -t 10.0.0.3:80 -r 10.0.0.12:80 -i -w 1 --tun-type gre --tun-nocsum
-a -t 10.0.0.3:80 -r 10.0.0.13:80 -i -w 0 --tun-type ipip
-A -u 10.0.0.1:53 -s rr
-a -u 10.0.0.1:53 -r 192.168.10.11:53 -m -w 1
-A -u 10.0.0.5:53 -s ovf -o
-a -u 10.0.0.5:53 -r 192.168.10.13:53 -m -w 2
-A --sctp-service 10.0.0.4:5000 -s lc
-a --sctp-service 10.0.0.4:5000 -r 192.168.10.12:5000 -m -w 1
-A -t [2001:db8::1]:80 -s wlc
-a -t [2001:db8::1]:80 -r [2001:db8:1::11]:80 -m -w 3
-A -f 1 -s wlc -p 60
-a -f 1 -r 192.168.10.11:0 -m -w 5
";
    let (t, sc) = import(save);
    assert!(sc
        .text
        .contains("Not modelled: real server 2001:db8:1::11 (IPv6) has no host"));
    assert_eq!(sc.director_tables().unwrap()[0].config, t);
    let back = export(&sc, Target::Ipvsadm, None).unwrap();
    assert_eq!(file(&back, "director.ipvsadm"), save);
}

#[test]
fn import_placeholders_avoid_the_table_addresses() {
    // The client network must not collide with a VIP or real server in 203.0.113.0/24.
    let (_, sc) =
        import("-A -t 203.0.113.10:80 -s rr\n-a -t 203.0.113.10:80 -r 203.0.113.21:80 -g -w 1\n");
    assert!(sc.text.contains("\"198.51.100.100/24\""), "{}", sc.text);
    assert!(check_design(&sc).problems().is_empty());
}
