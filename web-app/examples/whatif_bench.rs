//! The what-if panel's default 60,000-connection run, timed natively, to compare with the
//! time the browser shows: `cargo run --release -p lvslab-web --example whatif_bench`.

fn main() {
    let sc = lvslab_web::whatif::base().expect("the what-if base scenario parses");
    let mut p = lvslab_web::whatif::defaults(&sc).expect("defaults");
    if let Some(n) = std::env::args().nth(1).and_then(|a| a.parse().ok()) {
        p.connections = n;
    }
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let o = lvslab_web::whatif::run(&sc, &p).expect("runs");
        let s = t.elapsed().as_secs_f64();
        println!(
            "{} connections: {} completed, {} events in {:.0} ms ({:.2} M events/s)",
            p.connections,
            o.completed,
            o.events,
            s * 1e3,
            o.events as f64 / s / 1e6
        );
    }
}
