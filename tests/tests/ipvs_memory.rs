//! The connection table stays bounded by the timeouts: connections that finished are
//! dropped 120 s (FIN_WAIT) after their last packet, so a steady stream of short
//! connections holds about rate x 120 s entries, however long it runs. Also measures the
//! table's bytes per tracked connection (`Ipvs::memory_estimate`).

use lvslab_sim::admin::ipvsadm::{parse_line, Command};
use lvslab_sim::admin::IpvsOp;
use lvslab_sim::ipvs::{Ipvs, IpvsSysctls, TableMemory};
use lvslab_sim::rng::SimRng;
use lvslab_sim::wire::{IpPayload, Ipv4Packet, Payload, TcpFlags, TcpOptions, TcpSegment};
use lvslab_sim::{SimDuration, SimTime};
use std::net::Ipv4Addr;

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

/// `total` DR connections at `rate` per second (SYN, ACK, FIN from the client); returns the
/// largest table seen and the table's memory at that point.
fn stream(total: u64, rate: u64) -> (usize, TableMemory, usize) {
    let mut ipvs = Ipvs::new(IpvsSysctls::default(), SimRng::from_seed(1));
    for l in [
        "-A -t 10.0.0.1:80 -s rr",
        "-a -t 10.0.0.1:80 -r 10.0.0.11 -g",
        "-a -t 10.0.0.1:80 -r 10.0.0.12 -g",
        "-a -t 10.0.0.1:80 -r 10.0.0.13 -g",
    ] {
        let Ok(Command::Apply(op)) = parse_line(l) else {
            panic!("{l}")
        };
        let op: IpvsOp = op;
        ipvs.apply(SimTime::ZERO, &op).unwrap();
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

#[test]
fn a_steady_stream_keeps_the_table_at_rate_times_the_fin_wait_timeout() {
    // 160 s at 150 connections/s: 24 000 connections, at most ~18 000 entries alive.
    let (peak, mem, end) = stream(24_000, 150);
    let bound = 150 * 121;
    assert!(peak <= bound, "peak {peak} > {bound}");
    assert!(peak >= 150 * 119, "peak {peak}: entries should live 120 s");
    assert!(end <= bound);
    let per = mem.bytes_per_entry();
    assert!((100.0..2000.0).contains(&per), "{per} bytes per entry");
}

/// One million connections (run with `cargo test --release -- --ignored ipvs_memory`):
/// prints the peak table size and the bytes per tracked connection.
#[test]
#[ignore]
fn one_million_connections_stay_bounded_and_report_bytes_per_connection() {
    let rate = 5_000;
    let (peak, mem, end) = stream(1_000_000, rate);
    println!(
        "1M connections at {rate}/s: peak {peak} entries, {} bytes at {} entries = {:.0} bytes per tracked connection, {end} left",
        mem.bytes,
        mem.entries,
        mem.bytes_per_entry()
    );
    assert!(peak as u64 <= rate * 121, "peak {peak}");
}
