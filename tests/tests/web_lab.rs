//! The browser lab's logic on every bundled scenario, natively: the driver plays them, the
//! comparison follows the three labs, charts render to SVG, the what-if reruns.

use lvslab_web::driver::Driver;
use lvslab_web::{catalog, charts, compare, whatif};
use std::path::PathBuf;

fn out_dir() -> PathBuf {
    let d = super::support::root().join("target/web-charts");
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn every_bundled_scenario_plays_or_explains_why_not() {
    for e in catalog::entries() {
        match Driver::new(e.name, e.text, None) {
            Ok(mut d) => {
                d.playing = true;
                d.speed = 100_000.0;
                for _ in 0..300 {
                    d.tick(16.0);
                    for p in d.dots() {
                        assert!(p.x.is_finite() && p.y.is_finite(), "{}", e.name);
                        assert!(p.x >= 0.0 && p.x <= d.topo.width, "{}", e.name);
                    }
                }
                if d.sim.workloads.is_empty() && d.sim.keepalived.is_empty() {
                    // The console testbeds start empty: traffic comes from the console.
                    assert!(e.name.starts_with("testbed-"), "{}: no workload", e.name);
                } else {
                    assert!(d.sim.world.metrics.frames > 0, "{}: nothing moved", e.name);
                }
                assert!(!d.topo.nodes.is_empty());
            }
            Err(diags) => {
                // Only the scenario written to fail validation does not build.
                assert_eq!(e.name, "dr-port-mapping", "{diags:?}");
                assert!(diags.iter().any(|d| d.line > 0));
            }
        }
    }
}

#[test]
fn arp_flux_shows_in_the_router_cache() {
    let e = catalog::find("dr-arp-flux").unwrap();
    let mut d = Driver::new(e.name, e.text, None).unwrap();
    d.run_to_end();
    let router = d.sim.host_index("router").unwrap();
    let rows = lvslab_web::tables::arp_rows(&d.sim, router);
    let vip = rows.iter().find(|r| r.ip == "10.0.0.10").unwrap();
    assert!(vip.owner.starts_with("rs"), "{vip:?}");
}

#[test]
fn the_three_labs_differ_where_the_reference_says() {
    for name in compare::LABS {
        let e = catalog::find(name).unwrap();
        let mut d = Driver::new(e.name, e.text, None).unwrap();
        d.ensure(1_000_000_000);
        let j = compare::journey(d.records(), &d.flights).unwrap();
        let at_director = j.request.iter().find(|h| h.node == "director").unwrap();
        let changed: Vec<&str> = at_director.changes.iter().map(|c| c.as_str()).collect();
        let addr_change = changed.iter().any(|c| c.starts_with("IPv4 dst"));
        let encapsulated = changed.iter().any(|c| c.starts_with("inner IPv4"));
        match name {
            "nat-lab" => assert!(addr_change && !encapsulated, "{changed:?}"),
            "dr-lab" => assert!(!addr_change && !encapsulated, "{changed:?}"),
            "tun-lab" => assert!(encapsulated, "{changed:?}"),
            _ => unreachable!(),
        }
        // Only NAT brings the reply back through the director.
        let reply_via_director = j.reply.iter().any(|h| h.node == "director");
        assert_eq!(reply_via_director, name == "nat-lab", "{name}");
    }
}

#[test]
fn lab_charts_render_as_svg() {
    let e = catalog::find("dr-lab").unwrap();
    let mut d = Driver::new(e.name, e.text, None).unwrap();
    d.run_to_end();
    let data = d.sampler.chart_data(&d.sim);
    for (name, title, series) in [
        ("conns", "ActiveConn / InActConn", &data.conns),
        ("rps", "Requests per second", &data.rps),
        ("latency", "Latency p50 / p99", &data.latency),
    ] {
        let svg = charts::svg(title, "y", series, 640, 320).unwrap();
        assert!(svg.contains("<polyline") || svg.contains("<path"), "{name}");
        std::fs::write(out_dir().join(format!("dr-lab-{name}.svg")), svg).unwrap();
    }
}

#[test]
fn whatif_scheduler_change_moves_the_load() {
    let sc = whatif::base().unwrap();
    let mut p = whatif::defaults(&sc).unwrap();
    p.connections = 1500;
    p.rate = 500.0;
    let t = std::time::Instant::now();
    let wlc = whatif::run(&sc, &p).unwrap();
    p.scheduler = "rr".into();
    let rr = whatif::run(&sc, &p).unwrap();
    eprintln!("two what-if runs of 1500 connections: {:?}", t.elapsed());
    let share = |o: &whatif::Outcome, s: &str| {
        o.per_server
            .iter()
            .find(|x| x.0 == s)
            .map(|x| x.1)
            .unwrap_or(0)
    };
    // rr ignores the weight of 2 on rs3; wlc honours it.
    assert_eq!(share(&rr, "rs3"), 500);
    assert!(share(&wlc, "rs3") > 600, "{:?}", wlc.per_server);
    assert_eq!(wlc.completed, 1500);
}
