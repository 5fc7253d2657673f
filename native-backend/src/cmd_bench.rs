//! `lvslab bench`: the NAT lab scaled to 10 real servers and 100,000 connections, timed.

use anyhow::{anyhow, Result};
use lvslab_sim::admin::ipvsadm::{parse_line, Command};
use lvslab_sim::admin::IpvsOp;
use lvslab_sim::ipvs::{Ipvs, IpvsSysctls, TableMemory};
use lvslab_sim::rng::SimRng;
use lvslab_sim::scenario::Scenario;
use lvslab_sim::wire::{IpPayload, Ipv4Packet, Payload, TcpFlags, TcpOptions, TcpSegment};
use lvslab_sim::{SimDuration, SimTime};
use std::fmt::Write;
use std::net::Ipv4Addr;
use std::time::Instant;

/// The NAT lab of the seed documents with `n_rs` real servers and `conns` connections
/// arriving at `rate` per second from 100 client addresses (172.16.16.10-109).
pub fn scaled_nat_lab(n_rs: usize, conns: u64, rate: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"[scenario]
name = "bench-nat-{n_rs}rs"
title = "NAT lab scaled for the benchmark"
kind = "what-if"
seed = 1
duration = "{dur}s"

[[segment]]
name = "outside"
latency = "200us"

[[segment]]
name = "inside"
latency = "100us"

[[host]]
name = "client"
role = "client"
iface = [{{ name = "eth0", segment = "outside", addrs = [{addrs}] }}]
route = [{{ to = "default", via = "172.16.16.172" }}]

[[host]]
name = "director"
role = "director"
iface = [
  {{ name = "eth0", segment = "outside", addrs = ["172.16.16.172/24"] }},
  {{ name = "eth1", segment = "inside", addrs = ["192.168.10.172/24"] }},
]
sysctl = {{ "net.ipv4.ip_forward" = 1 }}
[host.ipvs]
rules = """
-A -t 172.16.16.172:80 -s rr
"#,
        dur = (conns as f64 / rate).ceil() as u64 + 30,
        addrs = (10..110)
            .map(|i| format!("\"172.16.16.{i}/24\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for i in 0..n_rs {
        let _ = writeln!(
            s,
            "-a -t 172.16.16.172:80 -r 192.168.10.{}:80 -m -w 1",
            101 + i
        );
    }
    s.push_str("\"\"\"\n");
    for i in 0..n_rs {
        let _ = write!(
            s,
            r#"
[[host]]
name = "rs{n}"
role = "real-server"
iface = [{{ name = "eth0", segment = "inside", addrs = ["192.168.10.{a}/24"] }}]
route = [{{ to = "default", via = "192.168.10.172" }}]
server = [{{ port = 80, workers = 64, service_time = {{ dist = "exponential", mean = "2ms" }} }}]
"#,
            n = i + 1,
            a = 101 + i
        );
    }
    let _ = write!(
        s,
        r#"
[[workload]]
name = "load"
client = "client"
target = "172.16.16.172:80"
arrival = "poisson"
rate = {rate}
connections = {conns}
sources = ["172.16.16.10-172.16.16.109"]
"#
    );
    s
}

/// Peak resident memory of this process in bytes (Linux VmHWM), if known.
fn peak_rss() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

pub fn bench(conns: u64, n_rs: usize, rate: f64) -> Result<i32> {
    let text = scaled_nat_lab(n_rs, conns, rate);
    let sc = Scenario::parse("bench.toml", &text).map_err(|d| anyhow!("bench scenario: {d:?}"))?;
    let (mut sim, _) = sc
        .build(None)
        .map_err(|d| anyhow!("bench scenario: {d:?}"))?;
    let t0 = Instant::now();
    sim.run();
    let wall = t0.elapsed().as_secs_f64();
    let r = sim.report();
    let events = r.events as f64;
    println!("benchmark: NAT lab, {n_rs} real servers, {conns} connections (poisson {rate}/s), simulated {:.0} s", r.duration_s);
    println!(
        "  requests completed      {} / {} ({} failed)",
        r.requests.completed, r.requests.sent, r.requests.failed
    );
    for f in &r.requests.failures {
        println!("  failed: {} x {}", f.count, f.reason);
    }
    println!("  wall time               {wall:.2} s");
    println!("  packet events / wall s  {:.0}", events / wall);
    println!("  frames / wall s         {:.0}", r.frames as f64 / wall);
    println!(
        "  connections / wall s    {:.0}",
        r.requests.completed as f64 / wall
    );
    match peak_rss() {
        Some(b) => println!("  peak memory (RSS)       {:.1} MiB", b as f64 / 1048576.0),
        None => println!("  peak memory (RSS)       unknown on this OS"),
    }
    // The same run in connection-level bulk mode.
    let (mut bulk, _) = sc
        .build(None)
        .map_err(|d| anyhow!("bench scenario: {d:?}"))?;
    bulk.use_bulk_mode()
        .map_err(|e| anyhow!("bulk mode: {e}"))?;
    let t0 = Instant::now();
    bulk.run();
    let bwall = t0.elapsed().as_secs_f64();
    let b = bulk.report();
    println!("benchmark: the same in connection-level bulk mode (lvslab run --bulk)");
    println!(
        "  requests completed      {} / {}",
        b.requests.completed, b.requests.sent
    );
    println!("  wall time               {bwall:.2} s");
    println!(
        "  connections / wall s    {:.0}",
        b.requests.completed as f64 / bwall
    );
    println!(
        "  latency p50 / p99       {:.3} / {:.3} ms (packet level: {:.3} / {:.3} ms)",
        b.latency_ms.p50, b.latency_ms.p99, r.latency_ms.p50, r.latency_ms.p99
    );
    let all_done =
        r.requests.completed == r.requests.sent && b.requests.completed == b.requests.sent;
    Ok(if all_done { 0 } else { 1 })
}

fn packet(src: Ipv4Addr, sport: u16, flags: u8) -> Ipv4Packet {
    Ipv4Packet {
        src,
        dst: Ipv4Addr::new(10, 0, 0, 1),
        ttl: 64,
        tos: 0,
        id: 0,
        df: true,
        payload: IpPayload::Tcp(TcpSegment {
            sport,
            dport: 80,
            seq: 0,
            ack: 0,
            flags: TcpFlags(flags),
            window: 502,
            options: TcpOptions::default(),
            payload: Payload::empty(),
        }),
    }
}

/// The IPVS connection table alone: `total` DR connections at `rate` per second (SYN, ACK, FIN from the client); returns the
/// largest table seen and the table's memory at that point.
pub fn ipvs_table_stream(total: u64, rate: u64) -> (usize, TableMemory, usize) {
    let mut ipvs = Ipvs::new(IpvsSysctls::default(), SimRng::from_seed(1));
    for l in [
        "-A -t 10.0.0.1:80 -s rr",
        "-a -t 10.0.0.1:80 -r 10.0.0.11 -g",
        "-a -t 10.0.0.1:80 -r 10.0.0.12 -g",
        "-a -t 10.0.0.1:80 -r 10.0.0.13 -g",
    ] {
        let Ok(Command::Apply(op)) = parse_line(l) else {
            unreachable!("fixed rule {l} parses")
        };
        let op: IpvsOp = op;
        ipvs.apply(SimTime::ZERO, &op).expect("fixed rules apply");
    }
    let gap = 1_000_000_000 / rate;
    let mut peak = 0;
    let mut peak_mem = ipvs.memory_estimate();
    for i in 0..total {
        let t = SimTime(i * gap);
        while let Some(at) = ipvs.poll_at() {
            if at > t {
                break;
            }
            ipvs.on_timer(at);
        }
        let src = Ipv4Addr::from(u32::from(Ipv4Addr::new(172, 16, 0, 0)) + (i / 28_000) as u32);
        let sport = 32768 + (i % 28_000) as u16;
        for (k, f) in [TcpFlags::SYN, TcpFlags::ACK, TcpFlags::FIN | TcpFlags::ACK]
            .into_iter()
            .enumerate()
        {
            let at = t + SimDuration(k as u64 * gap / 4);
            ipvs.in_packet(at, &packet(src, sport, f));
        }
        let _ = ipvs.take_decisions();
        if ipvs.conn_count() > peak {
            peak = ipvs.conn_count();
            if peak % 1024 == 0 {
                peak_mem = ipvs.memory_estimate();
            }
        }
    }
    (peak, peak_mem, ipvs.conn_count())
}

/// The connection-table benchmark: a million connections through IPVS alone.
pub fn bench_table(total: u64, rate: u64) {
    let t0 = Instant::now();
    let (peak, mem, end) = ipvs_table_stream(total, rate);
    let wall = t0.elapsed().as_secs_f64();
    println!(
        "benchmark: IPVS connection table, {total} DR connections at {rate}/s (SYN, ACK, FIN each)"
    );
    println!(
        "  peak entries            {peak} (bound: rate x 120 s FIN_WAIT = {})",
        rate * 120
    );
    println!("  entries at the end      {end}");
    println!(
        "  bytes per tracked conn  {:.0} ({} bytes for {} entries)",
        mem.bytes_per_entry(),
        mem.bytes,
        mem.entries
    );
    println!("  packets / wall s        {:.0}", (total * 3) as f64 / wall);
    println!("  wall time               {wall:.2} s");
}

#[cfg(test)]
mod tests {
    #[test]
    fn scaled_lab_is_valid_and_runs() {
        let text = super::scaled_nat_lab(3, 30, 100.0);
        let sc = lvslab_sim::scenario::Scenario::parse("b.toml", &text).unwrap();
        let (mut sim, w) = sc.build(None).unwrap();
        assert!(w.is_empty(), "{w:?}");
        sim.run();
        let r = sim.report();
        assert_eq!(r.requests.completed, 30, "{:?}", r.requests);
    }
}
