//! The connection table stays bounded by the timeouts: connections that finished are
//! dropped 120 s (FIN_WAIT) after their last packet, so a steady stream of short
//! connections holds about rate x 120 s entries, however long it runs. Also measures the
//! table's bytes per tracked connection (`Ipvs::memory_estimate`).

use lvslab::cmd_bench::ipvs_table_stream as stream;

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
