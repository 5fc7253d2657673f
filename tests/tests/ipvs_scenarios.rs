//! The lessons `lc-time-wait` and `persistence-pinning`, run through the packet simulator.

use crate::support::scenario;
use lvslab_sim::ipvs::snapshot::{DestSnapshot, IpvsSnapshot};
use lvslab_sim::{SimTime, Simulation};
use std::net::IpAddr;

fn build(name: &str) -> Simulation {
    let (mut sim, _) = scenario(name).build(None).unwrap();
    sim.world.record_decisions = true;
    sim
}

fn snap(sim: &Simulation) -> IpvsSnapshot {
    let d = sim.host_index("director").unwrap();
    sim.hosts[d].ipvs.as_ref().unwrap().snapshot(sim.now())
}

fn dests(s: &IpvsSnapshot, port: u16) -> Vec<&DestSnapshot> {
    let svc = s
        .services
        .iter()
        .find(|x| x.config.key.port() == port)
        .unwrap();
    let mut v: Vec<&DestSnapshot> = svc.dests.iter().collect();
    v.sort_by_key(|d| d.config.addr);
    v
}

#[test]
fn lc_splits_by_time_wait_entries_and_wlc_by_weight() {
    let mut sim = build("lc-time-wait");
    sim.run();
    let s = snap(&sim);
    let lc = dests(&s, 80);
    let wlc = dests(&s, 81);
    let (fast, slow) = (lc[0], lc[1]);
    // Nothing is open at the end; every finished connection is an InActConn (TIME_WAIT).
    assert!(lc.iter().chain(&wlc).all(|d| d.active == 0));
    // lc: rs-fast is four times faster, yet the TIME_WAIT piles are equal.
    assert!(
        fast.inactive.abs_diff(slow.inactive) <= 1,
        "lc {} / {}",
        fast.inactive,
        slow.inactive
    );
    assert_eq!((fast.inactive, slow.inactive), (285, 285));
    // wlc 4/1: the piles grow 4:1.
    let ratio = wlc[0].inactive as f64 / wlc[1].inactive as f64;
    assert!((3.6..=4.4).contains(&ratio), "wlc ratio {ratio}");
    assert_eq!((wlc[0].inactive, wlc[1].inactive), (463, 117));
    // The InActConn counted are the connections of the last 120 s: all of them here.
    assert_eq!(fast.stats.conns, fast.inactive as u64);
}

#[test]
fn persistence_pins_the_client_through_weight_0_until_expire_quiescent_template() {
    let mut sim = build("persistence-pinning");
    let c101: IpAddr = "10.0.0.101".parse().unwrap();
    let c103: IpAddr = "10.0.0.103".parse().unwrap();
    let rs3: IpAddr = "192.168.10.13".parse().unwrap();

    // The template: client port 0, ASSURED, about 59 s left, pointing at rs3.
    sim.run_until(SimTime::from_secs(1));
    let s = snap(&sim);
    let t = s.conns.iter().find(|c| c.template).expect("a template");
    assert_eq!(
        (t.caddr, t.cport, t.vport, t.daddr, t.dport),
        (c101, 0, 80, rs3, 80)
    );
    assert_eq!(t.state, "ASSURED");
    assert!((58..=59).contains(&t.expires_secs), "{}", t.expires_secs);
    let rows = lvslab_sim::admin::ipvsadm::render_connections(
        &s,
        &lvslab_sim::admin::ipvsadm::ListFormat {
            numeric: true,
            ..Default::default()
        },
    );
    assert!(rows.contains("TCP 00:5"), "{rows}");
    assert!(
        rows.contains("ASSURED     10.0.0.101:0       10.0.0.1:80        192.168.10.13:80"),
        "{rows}"
    );

    // After the sysctl, the old template is re-keyed to port 65535.
    sim.run_until(SimTime::from_secs(36));
    let s = snap(&sim);
    assert!(s.conns.iter().any(|c| c.template
        && c.caddr == c101
        && c.vport == 65535
        && c.dport == 65535
        && c.daddr == rs3));

    // 10.0.0.103's template is gone long before 200 s (its connection left TIME_WAIT at ~122 s).
    sim.run_until(SimTime::from_secs(199));
    let s = snap(&sim);
    assert!(!s.conns.iter().any(|c| c.caddr == c103), "{:?}", s.conns);
    sim.run();

    let d: Vec<_> = sim.world.decisions.iter().map(|(_, d)| d).collect();
    let of101: Vec<_> = d.iter().filter(|x| x.client == c101).collect();
    assert_eq!(of101.len(), 10);
    for x in &of101 {
        let t = x.time.as_secs_f64();
        let (a, _) = x.dest.unwrap();
        if t < 35.0 {
            // Before and after the weight-0 "drain": still rs3.
            assert_eq!(a, rs3, "at {t}");
            let want = if t < 1.0 {
                "scheduled by rr"
            } else {
                "persistence template"
            };
            assert_eq!(x.reason, want, "at {t}");
        } else {
            assert_ne!(
                a, rs3,
                "at {t}: quiesced server after expire_quiescent_template=1"
            );
        }
    }
    let moved = of101.iter().find(|x| x.time.as_secs_f64() > 35.0).unwrap();
    assert_eq!(moved.reason, "scheduled by rr");
    let of103: Vec<_> = d.iter().filter(|x| x.client == c103).collect();
    assert_eq!(of103.len(), 2);
    assert_eq!(
        of103[1].reason, "scheduled by rr",
        "released after the timeout"
    );
}
