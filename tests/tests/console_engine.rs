//! The console language on the simulated director: time, held connections, failures,
//! secondary client addresses, -R blocks, directive errors.

use lvslab_sim::console::Console;

fn run(scenario: &str, script: &str) -> (Console, String) {
    let mut c = Console::bundled(scenario).unwrap();
    let t = c.run_script(script);
    assert!(t.errors.is_empty(), "{:?}\n{}", t.errors, t.text);
    (c, t.text)
}

const NAT_RR: &str = "\
ipvsadm -A -t 10.0.0.1:80 -s rr
ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m
ipvsadm -a -t 10.0.0.1:80 -r 192.168.10.12:80 -m
";

#[test]
fn held_connections_are_active_until_close_all_then_time_wait_expires_after_120_s() {
    let (c, out) = run(
        "testbed-nat",
        &format!(
            "{NAT_RR}@connect 10.0.0.100 10.0.0.1:80 hold repeat 4\n-Ln\n-Lnc\n@close-all\n-Ln\n@t=+119\n-Ln\n@t=+1.1\n-Lnc\n"
        ),
    );
    let lists: Vec<&str> = out.split("$ ipvsadm -Ln\n").skip(1).collect();
    assert!(lists[0].contains("Masq    1      2          0"), "{out}");
    assert!(lists[1].contains("Masq    1      0          2"), "{out}");
    // Still in TIME_WAIT 119 s after the close, gone 120 s after it.
    assert!(lists[2].contains("Masq    1      0          2"), "{out}");
    assert!(out.contains("TCP 14:59  ESTABLISHED 10.0.0.100:"), "{out}");
    assert_eq!(c.snapshot().conns.len(), 0, "{out}");
}

#[test]
fn close_after_closes_by_itself_and_the_entry_follows_the_tcp_states() {
    let (c, out) = run(
        "testbed-nat",
        &format!("{NAT_RR}@connect 10.0.0.100:40000 10.0.0.1:80 close-after 5\n@t=+4\n-Lnc\n@t=+2\n-Lnc\n"),
    );
    assert!(
        out.contains("10.0.0.100:40000 -> rs2 (192.168.10.12:80, scheduled by rr)"),
        "{out}"
    );
    assert!(out.contains("TCP 14:5"), "{out}");
    assert!(
        out.contains("TIME_WAIT   10.0.0.100:40000   10.0.0.1:80        192.168.10.12:80"),
        "{out}"
    );
    assert_eq!(c.snapshot().conns.len(), 1);
}

#[test]
fn no_available_server_is_none_with_icmp_port_unreachable() {
    let (_, out) = run(
        "testbed-nat",
        "ipvsadm -A -t 10.0.0.1:80 -s wlc\nipvsadm -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 0\n@connect 10.0.0.100 10.0.0.1:80\n@connect 10.0.0.100 10.0.0.1:81\n",
    );
    assert!(
        out.contains("-> none (no destination available: the director answered ICMP port unreachable; client: connection refused (ICMP port unreachable))"),
        "{out}"
    );
    // No service on :81: IPVS lets the SYN through to the director's own stack, which resets.
    assert!(out.contains("-> none (IPVS made no decision: no virtual service took the SYN; client: connection refused"), "{out}");
}

#[test]
fn an_unknown_client_address_is_added_to_the_client_and_said_so() {
    let (c, out) = run(
        "testbed-nat",
        &format!("{NAT_RR}@connect 10.0.0.150 10.0.0.1:80\n"),
    );
    assert!(
        out.contains(
            "# console: added 10.0.0.150/24 to client eth0 (secondary address)\n10.0.0.150:"
        ),
        "{out}"
    );
    let client = c.sim.host_index("client").unwrap();
    assert!(c.sim.hosts[client].is_local("10.0.0.150".parse().unwrap()));
}

#[test]
fn restore_reads_up_to_end_and_the_echo_shows_the_input() {
    let (c, out) = run(
        "testbed-nat",
        "ipvsadm -R\n-A -t 10.0.0.1:80 -s rr\n\n-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 2\n@end\n-Sn\n",
    );
    assert!(
        out.starts_with("$ ipvsadm -R\n> -A -t 10.0.0.1:80 -s rr\n> \n> -a -t"),
        "{out}"
    );
    assert!(out.ends_with("$ ipvsadm -Sn\n-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 2\n"), "{out}");
    assert_eq!(c.snapshot().services.len(), 1);
}

#[test]
fn bad_directives_are_errors_with_line_numbers_and_the_script_goes_on() {
    let mut c = Console::bare();
    let t = c.run_script(
        "@t=5\n@t=1\n@connect 10.0.0.100\n@bogus\n@end\n@connect 10.0.0.999 10.0.0.1:80\n-Ln\n",
    );
    assert_eq!(t.errors.len(), 5, "{:?}", t.errors);
    assert!(
        t.errors[0].starts_with("line 2: time 1.000"),
        "{:?}",
        t.errors
    );
    assert!(
        t.errors[1].starts_with("line 3: usage: @connect"),
        "{:?}",
        t.errors
    );
    assert!(t.text.ends_with("$ ipvsadm -Ln\nIP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"));
    assert_eq!(c.sim.now().as_secs_f64(), 5.0);
}

#[test]
fn ipvsadm_errors_keep_their_exit_status_in_the_transcript() {
    let (_, out) = run("testbed-nat", "-A -t 10.0.0.1:80 -s bogus\n");
    assert_eq!(
        out,
        "$ ipvsadm -A -t 10.0.0.1:80 -s bogus\nScheduler or persistence engine not found\n[exit 255]\n"
    );
}

#[test]
fn a_client_port_in_use_fails_at_once() {
    let (c, out) = run(
        "testbed-nat",
        &format!("{NAT_RR}@connect 10.0.0.100:40000 10.0.0.1:80 hold\n@connect 10.0.0.100:40000 10.0.0.1:80 hold\n"),
    );
    assert!(
        out.ends_with("(not started) -> none (nothing was sent; client: could not start: no route to the target, or the port is in use)\n"),
        "{out}"
    );
    assert!(
        c.sim.now().as_secs_f64() < 1.0,
        "no waiting for a connection that never started"
    );
}

#[test]
fn the_cli_prints_the_same_transcript_and_defaults_to_the_nat_testbed() {
    use crate::support::lvslab_run;
    let script = "tests/console/traffic-nat.txt";
    let text = std::fs::read_to_string(crate::support::root().join(script)).unwrap();
    let (_, want) = run("testbed-nat", &text);
    let (code, out, err) = lvslab_run(&["console", "testbed-nat", script]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, want);
    let (code, out, err) = lvslab_run(&["console", script]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out, want,
        "one argument that is not a scenario is the script"
    );
    let bad = crate::support::tmp("bad-console.txt");
    std::fs::write(&bad, "@nope\n").unwrap();
    let (code, out, _) = lvslab_run(&["console", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("console: line 1: unknown directive `@nope`"),
        "{out}"
    );
}

/// ipvsadm accepts any VIP and any real-server address: in the bare testbeds a VIP outside
/// their subnets is routed through the director, and real servers at addresses no host owns
/// are given to real-server hosts, so `@connect` answers with the kernel's choice.
#[test]
fn any_vip_and_any_real_server_address_work_in_the_testbeds() {
    for (tb, flag) in [
        ("testbed-nat", "-m"),
        ("testbed-dr", "-g"),
        ("testbed-tun", "-i"),
    ] {
        let known = if tb == "testbed-nat" {
            "192.168.10.12"
        } else {
            "10.0.0.12"
        };
        let script = format!(
            "-A -t 10.9.9.9:80 -s rr\n-a -t 10.9.9.9:80 -r {known}:80 {flag}\n-a -t 10.9.9.9:80 -r 172.30.0.5:8080 {flag}\n@connect 10.0.0.100 10.9.9.9:80 repeat 4\n-Ln --stats\n"
        );
        let (c, out) = run(tb, &script);
        assert!(
            out.contains("# console: 10.9.9.9 is outside the testbed's subnets"),
            "{tb}: {out}"
        );
        assert!(
            out.contains("# console: no host had 172.30.0.5"),
            "{tb}: {out}"
        );
        // rr alternates between the two real servers, and every GET is answered (DR and
        // TUN forward to the service's port: ipvsadm drops the 8080 there, as it does).
        let port = if tb == "testbed-nat" { "8080" } else { "80" };
        assert!(
            out.contains(&format!("172.30.0.5:{port}=2")) && out.contains("rs2=2"),
            "{tb}: {out}"
        );
        assert!(!out.contains("#1:") && !out.contains("none"), "{tb}: {out}");
        assert_eq!(c.sim.world.metrics.requests_failed, 0, "{tb}: {out}");
    }
}
