//! Workloads replayed from traffic captures (`lvslab::capture`).
//!
//! 1. A real capture: curl fetches a file from python's http.server 10 times from 5 source
//!    addresses inside a fresh network namespace while tshark captures; the capture must
//!    hold exactly those connections, and a scenario whose workload names the capture must
//!    open the same connections (same sources and ports, same relative times) and complete
//!    them all. Skipped when not root, when network namespaces cannot be made, or when
//!    tshark, python3 or curl are missing and apt cannot install them.
//! 2. The simulator's own pcap (`lvslab::pcap_out`) read back: one connection per request
//!    the run sent, from the client's address.

use crate::support;
use lvslab::capture::{read_capture, resolve_captures, CapturedConn};
use lvslab_sim::scenario::Scenario;
use lvslab_sim::trace::Direction;
use lvslab_sim::Simulation;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const SOURCES: [Ipv4Addr; 5] = [
    Ipv4Addr::new(203, 0, 113, 101),
    Ipv4Addr::new(203, 0, 113, 102),
    Ipv4Addr::new(203, 0, 113, 103),
    Ipv4Addr::new(203, 0, 113, 104),
    Ipv4Addr::new(203, 0, 113, 105),
];
const VIP: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);
const PORT: u16 = 8080;
const FILE_SIZE: usize = 3000;
const REQUESTS: usize = 10;
/// How late a replayed SYN may leave the simulated client (the first one waits for ARP).
const SYN_SLACK_NS: u64 = 5_000_000;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Makes sure `cmd` is installed (with apt, package `pkg`, when missing); Err = why the test
/// is skipped.
fn tool_available(cmd: &str, pkg: &str) -> Result<(), String> {
    if have(cmd) {
        return Ok(());
    }
    if !have("apt-get") {
        return Err(format!(
            "{cmd} is not installed and apt-get is not available"
        ));
    }
    let st = Command::new("sh")
        .args([
            "-c",
            &format!(
                "DEBIAN_FRONTEND=noninteractive apt-get install -y {pkg} >/dev/null 2>&1 || \
                 (apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y {pkg} >/dev/null 2>&1)"
            ),
        ])
        .status();
    match st {
        Ok(s) if s.success() && have(cmd) => Ok(()),
        _ => Err(format!(
            "{cmd} is not installed and `apt-get install {pkg}` failed"
        )),
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// Sends SIGINT (tshark then writes out its capture and exits).
fn interrupt(c: &Child) {
    let _ = Command::new("kill")
        .args(["-INT", &c.id().to_string()])
        .status();
}

fn wait_timeout(c: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let end = Instant::now() + limit;
    loop {
        match c.try_wait() {
            Ok(Some(st)) => return Some(st),
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(50)),
            _ => return None,
        }
    }
}

/// Stops a child: SIGINT, then SIGKILL if it is still there after a few seconds.
fn stop(c: &mut Child) {
    if let Ok(Some(_)) = c.try_wait() {
        return;
    }
    interrupt(c);
    if wait_timeout(c, Duration::from_secs(5)).is_none() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// A network namespace of this test, with the processes started in it; deleted (and the
/// processes stopped) when dropped, also when the test fails.
struct Netns {
    name: String,
    procs: Vec<Child>,
}

impl Netns {
    fn create(name: &str) -> Result<Netns, String> {
        let out = Command::new("ip")
            .args(["netns", "add", name])
            .output()
            .map_err(|e| format!("cannot run `ip netns add`: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "`ip netns add {name}` failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Netns {
            name: name.to_string(),
            procs: Vec::new(),
        })
    }

    /// `ip -n NS ARGS`
    fn ip(&self, args: &[&str]) -> Result<(), String> {
        let out = Command::new("ip")
            .arg("-n")
            .arg(&self.name)
            .args(args)
            .output()
            .map_err(|e| format!("cannot run ip: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`ip -n {} {}` failed: {}",
                self.name,
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// A command run inside the namespace.
    fn exec(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        for c in self.procs.iter_mut().rev() {
            stop(c);
        }
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .status();
    }
}

/// The lines a child writes, read on a thread (which keeps draining the pipe to its end).
fn lines_of<R: Read + Send + 'static>(r: R) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits for a line containing `needle`; Err with what was seen instead.
fn wait_line(rx: &mpsc::Receiver<String>, needle: &str, limit: Duration) -> Result<(), String> {
    let end = Instant::now() + limit;
    let mut seen = Vec::new();
    loop {
        let left = end.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if l.contains(needle) => return Ok(()),
            Ok(l) => seen.push(l),
            Err(_) => {
                return Err(format!(
                    "no line with {needle:?} within {limit:?}; got: {seen:?}"
                ))
            }
        }
    }
}

struct RealCapture {
    /// The folder holding capture.pcapng (the scenario's folder).
    dir: PathBuf,
    bytes: Vec<u8>,
    /// Local address and port of each curl, in order.
    sent: Vec<(Ipv4Addr, u16)>,
}

/// Takes the capture; Err = why the test is skipped. Failures after the namespace works
/// panic (the namespace is deleted all the same).
fn take_real_capture() -> Result<RealCapture, String> {
    if !is_root() {
        return Err("not root: network namespaces need CAP_SYS_ADMIN".into());
    }
    for (cmd, pkg) in [
        ("tshark", "tshark"),
        ("python3", "python3"),
        ("curl", "curl"),
    ] {
        tool_available(cmd, pkg)?;
    }
    if !have("ip") {
        return Err("iproute2 (`ip`) is not installed".into());
    }
    let dir = support::tmp(&format!("capture-replay-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let www = dir.join("www");
    std::fs::create_dir_all(&www).expect("create the served folder");
    let body: Vec<u8> = (0..FILE_SIZE).map(|i| b'a' + (i % 26) as u8).collect();
    std::fs::write(www.join("file"), &body).expect("write the served file");
    let pcap = dir.join("capture.pcapng");

    let mut ns = Netns::create(&format!("lvslab-cap-{}", std::process::id()))?;
    ns.ip(&["link", "set", "lo", "up"])?;
    for a in SOURCES.iter().chain([&VIP]) {
        ns.ip(&["addr", "add", &format!("{a}/32"), "dev", "lo"])?;
    }

    let mut server = ns
        .exec("python3")
        .args(["-u", "-m", "http.server", &PORT.to_string(), "--bind"])
        .arg(VIP.to_string())
        .arg("--directory")
        .arg(&www)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python3 -m http.server in the namespace");
    let server_out = lines_of(server.stdout.take().expect("server stdout"));
    let _server_log = lines_of(server.stderr.take().expect("server stderr"));
    ns.procs.push(server);
    wait_line(&server_out, "Serving HTTP", Duration::from_secs(20))
        .unwrap_or_else(|e| panic!("http.server did not start: {e}"));

    let mut tshark = ns
        .exec("tshark")
        .args(["-i", "lo", "-f", &format!("tcp port {PORT}"), "-w"])
        .arg(&pcap)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tshark in the namespace");
    let tshark_err = lines_of(tshark.stderr.take().expect("tshark stderr"));
    ns.procs.push(tshark);
    wait_line(&tshark_err, "Capturing on", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("tshark did not start capturing: {e}"));
    // The filter is attached when tshark says so; a little margin all the same.
    std::thread::sleep(Duration::from_millis(500));

    let url = format!("http://{VIP}:{PORT}/file");
    let mut sent = Vec::new();
    for k in 0..REQUESTS {
        let src = SOURCES[k % SOURCES.len()];
        let out = ns
            .exec("curl")
            .args(["-s", "-S", "--max-time", "10", "-o", "/dev/null"])
            .args([
                "-w",
                "%{local_ip} %{local_port} %{http_code} %{size_download}",
            ])
            .args(["--interface", &src.to_string(), &url])
            .stdin(Stdio::null())
            .output()
            .expect("run curl in the namespace");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "curl from {src} failed: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let f: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(f.len(), 4, "curl -w output: {text:?}");
        assert_eq!(f[2], "200", "curl from {src}: {text}");
        assert_eq!(f[3], FILE_SIZE.to_string(), "curl from {src}: {text}");
        let ip: Ipv4Addr = f[0].parse().expect("curl's local_ip");
        let port: u16 = f[1].parse().expect("curl's local_port");
        assert_eq!(ip, src, "curl bound another address: {text}");
        sent.push((ip, port));
        // Uneven gaps, so that the replayed times mean something.
        std::thread::sleep(Duration::from_millis(40 + 25 * k as u64));
    }
    // Let the last FINs reach the capture, then stop tshark: SIGINT makes it finish the file.
    std::thread::sleep(Duration::from_millis(500));
    let tshark = ns.procs.last_mut().expect("tshark");
    interrupt(tshark);
    let st = wait_timeout(tshark, Duration::from_secs(20));
    assert!(
        st.is_some_and(|s| s.success()),
        "tshark did not exit cleanly after SIGINT: {st:?}"
    );
    drop(ns);
    let bytes =
        std::fs::read(&pcap).unwrap_or_else(|e| panic!("tshark wrote no {}: {e}", pcap.display()));
    Ok(RealCapture { dir, bytes, sent })
}

/// A DR cluster with the capture's client addresses on its client and the capture's VIP and
/// port as its virtual service.
const REPLAY_SCENARIO: &str = r#"
[scenario]
name = "capture-replay"
title = "Connections replayed from a real capture"
kind = "what-if"
seed = 1
duration = "@DURATION@"

[[segment]]
name = "wan"
latency = "500us"

[[segment]]
name = "lan"
latency = "100us"

[[host]]
name = "client"
role = "client"
iface = [{ name = "eth0", segment = "wan", addrs = ["203.0.113.100/24", "203.0.113.101/24", "203.0.113.102/24", "203.0.113.103/24", "203.0.113.104/24", "203.0.113.105/24"] }]
route = [{ to = "default", via = "203.0.113.1" }]

[[host]]
name = "router"
role = "router"
iface = [
  { name = "eth0", segment = "wan", addrs = ["203.0.113.1/24"] },
  { name = "eth1", segment = "lan", addrs = ["198.51.100.1/24"] },
]

[[host]]
name = "director"
role = "director"
iface = [{ name = "eth0", segment = "lan", addrs = ["198.51.100.2/24", "198.51.100.10/32"] }]
route = [{ to = "default", via = "198.51.100.1" }]
[host.ipvs]
rules = """
ipvsadm -A -t 198.51.100.10:8080 -s rr
ipvsadm -a -t 198.51.100.10:8080 -r 198.51.100.11 -g -w 1
ipvsadm -a -t 198.51.100.10:8080 -r 198.51.100.12 -g -w 1
"""

[[host]]
name = "rs1"
role = "real-server"
iface = [
  { name = "eth0", segment = "lan", addrs = ["198.51.100.11/24"] },
  { name = "lo", addrs = ["198.51.100.10/32"] },
]
route = [{ to = "default", via = "198.51.100.1" }]
sysctl = { "net.ipv4.conf.all.arp_ignore" = 1, "net.ipv4.conf.all.arp_announce" = 2, "net.ipv4.conf.eth0.arp_ignore" = 1, "net.ipv4.conf.eth0.arp_announce" = 2 }
server = [{ port = 8080, workers = 16, service_time = "1ms" }]

[[host]]
name = "rs2"
role = "real-server"
iface = [
  { name = "eth0", segment = "lan", addrs = ["198.51.100.12/24"] },
  { name = "lo", addrs = ["198.51.100.10/32"] },
]
route = [{ to = "default", via = "198.51.100.1" }]
sysctl = { "net.ipv4.conf.all.arp_ignore" = 1, "net.ipv4.conf.all.arp_announce" = 2, "net.ipv4.conf.eth0.arp_ignore" = 1, "net.ipv4.conf.eth0.arp_announce" = 2 }
server = [{ port = 8080, workers = 16, service_time = "1ms" }]

[[workload]]
name = "replayed"
client = "client"
target = "198.51.100.10:8080"
# Ignored for a replay (the capture gives the arrivals); sequential needs no rate.
arrival = "sequential"
capture = "capture.pcapng"
"#;

/// (time, source address, source port) of the first SYN of each connection `node` opened.
fn client_syns(sim: &Simulation, node: &str) -> Vec<(u64, Ipv4Addr, u16)> {
    let mut seen = BTreeSet::new();
    let mut v = Vec::new();
    for r in &sim.world.trace.records {
        if r.node != node || r.dir != Direction::Tx {
            continue;
        }
        let Some(ip) = &r.ip else { continue };
        let Some(tcp) = &ip.tcp else { continue };
        if tcp.flags != "S" {
            continue;
        }
        let src: Ipv4Addr = ip.src.parse().expect("trace source address");
        if seen.insert((src, tcp.sport)) {
            v.push((r.t, src, tcp.sport));
        }
    }
    v.sort();
    v
}

#[test]
fn a_real_capture_is_replayed_connection_for_connection() {
    let cap = match take_real_capture() {
        Ok(c) => c,
        Err(why) => {
            eprintln!("skipped: {why}");
            return;
        }
    };
    let conns: Vec<CapturedConn> = read_capture(&cap.bytes, PORT)
        .unwrap_or_else(|e| panic!("reading the tshark capture: {e}"));
    assert_eq!(conns.len(), REQUESTS, "{conns:#?}");
    for (i, (c, (ip, port))) in conns.iter().zip(&cap.sent).enumerate() {
        assert_eq!(
            (c.client, c.client_port),
            (*ip, *port),
            "connection {i}: {c:?}"
        );
        assert_eq!(
            (c.server, c.server_port),
            (VIP, PORT),
            "connection {i}: {c:?}"
        );
        assert!(
            c.response_bytes >= FILE_SIZE as u64,
            "connection {i}: the response must hold the file: {c:?}"
        );
        assert!(c.request_bytes > 0, "connection {i}: no request: {c:?}");
    }
    assert_eq!(conns[0].t_ns, 0);
    assert!(
        conns.windows(2).all(|w| w[0].t_ns < w[1].t_ns),
        "{conns:#?}"
    );

    // A scenario replaying the capture.
    let last_s = conns.last().map(|c| c.t_ns / 1_000_000_000).unwrap_or(0);
    let text = REPLAY_SCENARIO.replace("@DURATION@", &format!("{}s", last_s + 15));
    let mut sc = Scenario::parse("capture-replay.toml", &text)
        .unwrap_or_else(|d| panic!("the replay scenario does not parse: {d:?}"));
    resolve_captures(&mut sc, &cap.dir).unwrap_or_else(|e| panic!("{e}"));
    let replay = &sc.spec.workloads[0].replay;
    assert_eq!(replay.len(), REQUESTS);
    for (r, c) in replay.iter().zip(&conns) {
        assert_eq!(r.source, format!("{}:{}", c.client, c.client_port));
        assert_eq!(r.at.0.as_nanos(), c.t_ns);
        assert_eq!(u64::from(r.response_bytes), c.response_bytes);
        assert_eq!(u64::from(r.request_bytes), c.request_bytes);
    }
    let (mut sim, _warnings) = sc
        .build(None)
        .unwrap_or_else(|d| panic!("the replay scenario does not build: {d:?}"));
    sim.world.trace.enabled = true;
    sim.run();
    let m = &sim.world.metrics;
    assert_eq!(m.requests_sent, REQUESTS as u64, "{:?}", m.failures);
    assert_eq!(m.requests_completed, REQUESTS as u64, "{:?}", m.failures);
    assert_eq!(m.requests_failed, 0, "{:?}", m.failures);

    let syns = client_syns(&sim, "client");
    assert_eq!(syns.len(), REQUESTS, "{syns:?}");
    for (i, (s, c)) in syns.iter().zip(&conns).enumerate() {
        assert_eq!((s.1, s.2), (c.client, c.client_port), "connection {i}");
        assert!(
            s.0 >= c.t_ns && s.0 - c.t_ns < SYN_SLACK_NS,
            "connection {i}: SYN at {} ns in the simulation, {} ns in the capture",
            s.0,
            c.t_ns
        );
    }
    let served: u64 = m
        .servers
        .values()
        .filter_map(|ports| ports.get(&PORT))
        .map(|s| s.bytes_out)
        .sum();
    let expected: u64 = conns.iter().map(|c| c.response_bytes).sum();
    assert!(
        served >= expected,
        "the real servers sent {served} bytes, the capture's responses hold {expected}"
    );
}

#[test]
fn the_simulators_own_pcap_reads_back() {
    let sc = support::scenario("nat-lab");
    let (mut sim, _) = sc.build(None).unwrap_or_else(|d| panic!("nat-lab: {d:?}"));
    sim.world.trace.capture = true;
    sim.world.trace.enabled = true;
    sim.run();
    let sent = sim.world.metrics.requests_sent;
    assert!(sent > 0);

    let wl = &sc.spec.workloads[0];
    let (vip, vport) = lvslab_sim::scenario::parse_sockaddr(&wl.target).unwrap();
    // nat-lab's workload names no sources: its connections come from the client's address.
    assert!(wl.sources.is_empty(), "update this test for sources");
    let client = sc
        .spec
        .hosts
        .iter()
        .find(|h| h.name == wl.client)
        .expect("the workload's client");
    let client_addr: Ipv4Addr = client.ifaces[0].addrs[0]
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // The client's side of the director: each connection once.
    let outside = lvslab::pcap_out::pcap_bytes(&sim, Some("outside"));
    let conns = read_capture(&outside, vport).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(conns.len() as u64, sent, "{conns:#?}");
    for c in &conns {
        assert_eq!(c.client, client_addr, "{c:?}");
        assert_eq!((c.server, c.server_port), (vip, vport), "{c:?}");
        assert!(c.request_bytes > 0, "{c:?}");
    }
    if sim.world.metrics.requests_failed == 0 {
        assert!(conns.iter().all(|c| c.response_bytes > 0), "{conns:#?}");
    }
    // The same connections, ports and (to the pcap's microsecond) times as the SYNs the
    // simulated client sent.
    let syns = client_syns(&sim, &wl.client);
    assert_eq!(syns.len(), conns.len());
    let t0 = syns[0].0;
    for (s, c) in syns.iter().zip(&conns) {
        assert_eq!((s.1, s.2), (c.client, c.client_port));
        let want = (s.0 / 1_000) * 1_000 - (t0 / 1_000) * 1_000;
        assert_eq!(c.t_ns, want, "{c:?} vs SYN at {} ns", s.0);
    }

    // Every segment: the inside legs (destination rewritten to a real server, client address,
    // port and sequence numbers kept) are the same connections, so the count stays.
    let all = lvslab::pcap_out::pcap_bytes(&sim, None);
    let every = read_capture(&all, vport).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(every.len() as u64, sent);
    assert!(every.iter().all(|c| c.server == vip), "{every:#?}");
    assert_eq!(every, conns);
}
