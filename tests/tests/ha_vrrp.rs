//! VRRP timings against real keepalived 2.2.7 (ground-truth/keepalived/README.md): the
//! ground truth's topology (two directors and a router on one bridge), its configs, its
//! experiments. Every takeover time must be within 10% of the measured one; the model is
//! exact to the microsecond plus the link latency, which the tests also check.

use lvslab_sim::ha::vrrp::VrrpState;
use lvslab_sim::ha::{HaRecord, HaWhat};
use lvslab_sim::scenario::Scenario;
use lvslab_sim::time::SimTime;
use lvslab_sim::Simulation;

/// One-way latency over the bridge in these scenarios (latency 100 us, frames of 1 us).
const LAT: f64 = 0.000_1;

struct Ld {
    state: &'static str,
    prio: u8,
    extra: &'static str,
}

fn conf(router_id: &str, ld: &Ld, adv: &str, version: u8) -> String {
    let auth = if version == 2 {
        "    authentication {\n        auth_type PASS\n        auth_pass vtpass1\n    }\n"
    } else {
        ""
    };
    format!(
        "global_defs {{\n    router_id {router_id}\n    vrrp_version {version}\n}}\nvrrp_instance VI_1 {{\n    state {}\n    interface eth0\n    virtual_router_id 51\n    priority {}\n    advert_int {adv}\n{}{auth}    virtual_ipaddress {{\n        10.0.0.100/24 dev eth0\n    }}\n}}\n",
        ld.state, ld.prio, ld.extra
    )
}

/// The ground truth's topology with a client behind the router polling the VIP.
fn scenario(
    ld1: &Ld,
    ld2: &Ld,
    adv: &str,
    version: u8,
    faults: &str,
    duration: &str,
) -> Simulation {
    scenario_with(
        &conf("LD1", ld1, adv, version),
        &conf("LD2", ld2, adv, version),
        faults,
        duration,
    )
}

fn scenario_with(ld1c: &str, ld2c: &str, faults: &str, duration: &str) -> Simulation {
    let text = format!(
        r#"
[scenario]
name = "vrrp-gt"
title = "VRRP ground truth"
kind = "ha"
duration = "{duration}"

[[segment]]
name = "wan"
latency = "100us"

[[segment]]
name = "out"
latency = "100us"

[[host]]
name = "client"
role = "client"
iface = [{{ name = "eth0", segment = "wan", addrs = ["192.168.0.10/24"] }}]
route = [{{ to = "default", via = "192.168.0.1" }}]

[[host]]
name = "rt"
role = "router"
iface = [
  {{ name = "eth0", segment = "out", addrs = ["10.0.0.1/24"] }},
  {{ name = "eth1", segment = "wan", addrs = ["192.168.0.1/24"] }},
]

[[host]]
name = "ld1"
role = "director"
iface = [{{ name = "eth0", segment = "out", addrs = ["10.0.0.11/24"] }}]
route = [{{ to = "default", via = "10.0.0.1" }}]
keepalived = """
{ld1c}"""

[[host]]
name = "ld2"
role = "director"
iface = [{{ name = "eth0", segment = "out", addrs = ["10.0.0.12/24"] }}]
route = [{{ to = "default", via = "10.0.0.1" }}]
keepalived = """
{ld2c}"""

[[workload]]
client = "client"
target = "10.0.0.100:80"
arrival = "uniform"
rate = 2
start = "4s"
timeout = "1s"

{faults}
"#,
    );
    let sc = Scenario::parse("vrrp-gt.toml", &text).unwrap_or_else(|d| panic!("{d:?}"));
    let (mut sim, _) = sc.build(None).unwrap_or_else(|d| panic!("{d:?}"));
    sim.world.trace.enabled = true;
    sim.run();
    sim
}

fn fault(at: &str, action: &str, host: &str) -> String {
    format!("[[fault]]\nat = \"{at}\"\naction = \"{action}\"\nhost = \"{host}\"\n")
}

fn history<'a>(sim: &'a Simulation, host: &str) -> &'a [HaRecord] {
    &sim.keepalived_on(host).unwrap().history
}

fn secs(t: SimTime) -> f64 {
    t.as_secs_f64()
}

/// Times the host's instance entered MASTER.
fn master_at(sim: &Simulation, host: &str) -> Vec<f64> {
    history(sim, host)
        .iter()
        .filter(|r| r.what == HaWhat::State(VrrpState::Master))
        .map(|r| secs(r.t))
        .collect()
}

fn vip_added(sim: &Simulation, host: &str) -> Vec<f64> {
    history(sim, host)
        .iter()
        .filter(|r| matches!(r.what, HaWhat::VipAdded(_)))
        .map(|r| secs(r.t))
        .collect()
}

fn vip_removed(sim: &Simulation, host: &str) -> Vec<f64> {
    history(sim, host)
        .iter()
        .filter(|r| matches!(r.what, HaWhat::VipRemoved(_)))
        .map(|r| secs(r.t))
        .collect()
}

/// Adverts sent by the host: (time, priority).
fn adverts(sim: &Simulation, host: &str) -> Vec<(f64, u8)> {
    history(sim, host)
        .iter()
        .filter_map(|r| match r.what {
            HaWhat::Advert { priority } => Some((secs(r.t), priority)),
            _ => None,
        })
        .collect()
}

fn garps(sim: &Simulation, host: &str) -> Vec<f64> {
    history(sim, host)
        .iter()
        .filter(|r| matches!(r.what, HaWhat::Garp(_)))
        .map(|r| secs(r.t))
        .collect()
}

fn within(measured: f64, truth: f64, what: &str) {
    assert!(
        (measured - truth).abs() <= truth * 0.10,
        "{what}: {measured:.4} s is not within 10% of the ground truth {truth:.3} s"
    );
}

const MASTER100: Ld = Ld {
    state: "MASTER",
    prio: 100,
    extra: "",
};
const BACKUP90: Ld = Ld {
    state: "BACKUP",
    prio: 90,
    extra: "",
};

#[test]
fn start_up_election_waits_the_master_down_interval() {
    let sim = scenario(&MASTER100, &BACKUP90, "1", 2, "", "10s");
    let m = master_at(&sim, "ld1");
    assert_eq!(m.len(), 1);
    within(m[0], 3.609, "init -> VIP on LD1");
    assert!((m[0] - 3.609375).abs() < 1e-6, "{}", m[0]);
    assert_eq!(vip_added(&sim, "ld1"), vec![m[0]]);
    // The backup is silent and never becomes master.
    assert!(adverts(&sim, "ld2").is_empty());
    assert!(master_at(&sim, "ld2").is_empty());
    // The master advertises every second from the takeover on.
    let a = adverts(&sim, "ld1");
    assert_eq!(a[0], (m[0], 100));
    for w in a.windows(2) {
        assert!((w[1].0 - w[0].0 - 1.0).abs() < 1e-9);
    }
}

#[test]
fn crash_takeover_is_the_master_down_interval_after_the_last_advert() {
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "1",
        2,
        &fault("10.3s", "keepalived-kill", "ld1"),
        "20s",
    );
    let last = adverts(&sim, "ld1").last().unwrap().0;
    let m = master_at(&sim, "ld2");
    assert_eq!(m.len(), 1);
    within(m[0] - last, 3.648, "last LD1 advert -> LD2 VIP (crash)");
    assert!(
        (m[0] - last - 3.648437 - LAT).abs() < 1e-5,
        "{}",
        m[0] - last
    );
    // kill -> takeover lies in [MDI - adv, MDI]
    assert!((2.64..=3.65).contains(&(m[0] - 10.3)));
    // The VIP stays on the killed LD1.
    assert!(vip_removed(&sim, "ld1").is_empty());
    let ld1 = &sim.hosts[sim.host_index("ld1").unwrap()];
    assert!(ld1.ifaces[1].has_addr("10.0.0.100".parse().unwrap()));
}

#[test]
fn graceful_stop_takeover_is_the_skew_time() {
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "1",
        2,
        &fault("10.3s", "keepalived-stop", "ld1"),
        "20s",
    );
    let a = adverts(&sim, "ld1");
    let (t0, p0) = *a.last().unwrap();
    assert_eq!(p0, 0, "exactly one priority-0 advert at the stop");
    assert_eq!(a.iter().filter(|x| x.1 == 0).count(), 1);
    assert_eq!(vip_removed(&sim, "ld1"), vec![10.3]);
    let m = master_at(&sim, "ld2");
    within(m[0] - t0, 0.648, "prio-0 advert -> LD2 VIP");
    assert!((m[0] - t0 - 0.648437 - LAT).abs() < 1e-5);
}

#[test]
fn preemption_after_restart_waits_the_full_interval_from_init() {
    let faults = [
        fault("10.3s", "keepalived-stop", "ld1"),
        fault("15s", "keepalived-start", "ld1"),
    ]
    .concat();
    let sim = scenario(&MASTER100, &BACKUP90, "1", 2, &faults, "25s");
    let m1 = master_at(&sim, "ld1");
    assert_eq!(m1.len(), 2);
    within(m1[1] - 15.0, 3.609, "restart -> VIP on LD1");
    // LD2 gives up as soon as LD1's advert arrives.
    let r2 = vip_removed(&sim, "ld2");
    assert_eq!(r2.len(), 1);
    assert!((r2[0] - m1[1]).abs() < 0.002, "{} vs {}", r2[0], m1[1]);
    assert_eq!(
        sim.keepalived_on("ld2").unwrap().instances[0].vrrp.state,
        VrrpState::Backup
    );
}

#[test]
fn preemption_after_a_crash_removes_the_stale_vip_at_init() {
    let faults = [
        fault("10.3s", "keepalived-kill", "ld1"),
        fault("15s", "keepalived-start", "ld1"),
    ]
    .concat();
    let sim = scenario(&MASTER100, &BACKUP90, "1", 2, &faults, "25s");
    assert_eq!(vip_removed(&sim, "ld1"), vec![15.0]);
    let m1 = master_at(&sim, "ld1");
    within(m1[1] - 15.0, 3.630, "restart -> VIP on LD1 after a crash");
}

#[test]
fn nopreempt_keeps_the_lower_priority_master() {
    let np100 = Ld {
        state: "BACKUP",
        prio: 100,
        extra: "    nopreempt\n",
    };
    let np90 = Ld {
        state: "BACKUP",
        prio: 90,
        extra: "    nopreempt\n",
    };
    let faults = [
        fault("10.3s", "keepalived-stop", "ld1"),
        fault("15s", "keepalived-start", "ld1"),
    ]
    .concat();
    let sim = scenario(&np100, &np90, "1", 2, &faults, "32s");
    assert_eq!(
        master_at(&sim, "ld1").len(),
        1,
        "LD1 never takes back the VIP"
    );
    assert_eq!(master_at(&sim, "ld2").len(), 1);
    assert_eq!(
        sim.keepalived_on("ld1").unwrap().instances[0].vrrp.state,
        VrrpState::Backup
    );
}

#[test]
fn advert_interval_two_seconds_v2_skew_is_not_scaled() {
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "2",
        2,
        &fault("20.3s", "keepalived-kill", "ld1"),
        "35s",
    );
    within(master_at(&sim, "ld1")[0], 6.609, "start-up, v2 advert 2");
    let last = adverts(&sim, "ld1").last().unwrap().0;
    within(
        master_at(&sim, "ld2")[0] - last,
        6.648,
        "crash, v2 advert 2",
    );
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "2",
        2,
        &fault("20.3s", "keepalived-stop", "ld1"),
        "35s",
    );
    within(
        master_at(&sim, "ld2")[0] - 20.3,
        0.648,
        "SIGTERM, v2 advert 2",
    );
}

#[test]
fn advert_interval_half_second_v3_skew_is_scaled() {
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "0.5",
        3,
        &fault("10.3s", "keepalived-kill", "ld1"),
        "20s",
    );
    within(master_at(&sim, "ld1")[0], 1.805, "start-up, v3 advert 0.5");
    let last = adverts(&sim, "ld1").last().unwrap().0;
    within(
        master_at(&sim, "ld2")[0] - last,
        1.824,
        "crash, v3 advert 0.5",
    );
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "0.5",
        3,
        &fault("10.3s", "keepalived-stop", "ld1"),
        "20s",
    );
    within(
        master_at(&sim, "ld2")[0] - 10.3,
        0.325,
        "SIGTERM, v3 advert 0.5",
    );
    // v2 with 0.5 rounds to 1 s
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "0.5",
        2,
        &fault("10.3s", "keepalived-kill", "ld1"),
        "20s",
    );
    let last = adverts(&sim, "ld1").last().unwrap().0;
    within(
        master_at(&sim, "ld2")[0] - last,
        3.648,
        "crash, v2 advert 0.5 rounded",
    );
}

#[test]
fn ten_gratuitous_arps_per_takeover_five_now_five_after_five_seconds() {
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "1",
        2,
        &fault("10.3s", "keepalived-stop", "ld1"),
        "25s",
    );
    for host in ["ld1", "ld2"] {
        let m = master_at(&sim, host)[0];
        let g: Vec<f64> = garps(&sim, host).into_iter().filter(|t| *t >= m).collect();
        assert_eq!(g.len(), 10, "{host}: {g:?}");
        assert!(g[..5].iter().all(|t| (*t - m).abs() < 1e-9));
        assert!(g[5..].iter().all(|t| (*t - m - 5.0).abs() < 1e-9));
    }
    // On the wire: requests `who-has VIP tell VIP` to the broadcast address from the MAC.
    let ld2_mac = sim.hosts[sim.host_index("ld2").unwrap()].ifaces[1]
        .mac
        .to_string();
    let wire: Vec<_> = sim
        .world
        .trace
        .records
        .iter()
        .filter(|r| {
            r.node == "ld2"
                && r.dir == lvslab_sim::trace::Direction::Tx
                && r.summary.contains("ARP gratuitous 10.0.0.100")
        })
        .collect();
    assert_eq!(wire.len(), 10);
    assert!(wire.iter().all(|r| r.summary.contains(&ld2_mac)));
}

#[test]
fn trace_shows_adverts_and_the_router_moves_the_vip_to_the_new_master() {
    let sim = scenario(
        &MASTER100,
        &BACKUP90,
        "1",
        2,
        &fault("10.3s", "keepalived-kill", "ld1"),
        "20s",
    );
    let adv: Vec<_> = sim
        .world
        .trace
        .records
        .iter()
        .filter(|r| r.summary.contains("VRRPv2 vrid 51"))
        .collect();
    assert!(adv
        .iter()
        .any(|r| r.node == "ld1" && r.summary.contains("prio 100")));
    assert!(adv
        .iter()
        .any(|r| r.node == "ld2" && r.summary.contains("prio 90")));
    assert!(adv.iter().all(|r| r.summary.contains("> 224.0.0.18")));
    let report = sim.report();
    let rt = report.arp.iter().find(|a| a.host == "rt").unwrap();
    let vip = rt.entries.iter().find(|e| e.ip == "10.0.0.100").unwrap();
    assert_eq!(vip.owner.as_deref(), Some("ld2"), "{rt:?}");
}

#[test]
fn wrong_password_is_ignored_and_both_become_master() {
    let ld1 = conf("LD1", &MASTER100, "1", 2);
    let ld2 = conf("LD2", &BACKUP90, "1", 2).replace("vtpass1", "other");
    let sim = scenario_with(&ld1, &ld2, "", "10s");
    assert_eq!(master_at(&sim, "ld1").len(), 1);
    // LD2 drops every advert of LD1 and takes over after its own down interval.
    let m2 = master_at(&sim, "ld2");
    assert_eq!(m2.len(), 1);
    assert!((m2[0] - 3.648437).abs() < 1e-5, "{}", m2[0]);
    // Each keeps the VIP.
    assert!(vip_removed(&sim, "ld1").is_empty() && vip_removed(&sim, "ld2").is_empty());
}

#[test]
fn interface_down_means_fault_and_back_up_means_backup_then_preemption() {
    let faults = [
        "[[fault]]\nat = \"10.3s\"\naction = \"link-down\"\nhost = \"ld1\"\niface = \"eth0\"\n",
        "[[fault]]\nat = \"20s\"\naction = \"link-up\"\nhost = \"ld1\"\niface = \"eth0\"\n",
    ]
    .concat();
    let sim = scenario(&MASTER100, &BACKUP90, "1", 2, &faults, "30s");
    let states: Vec<(f64, VrrpState)> = history(&sim, "ld1")
        .iter()
        .filter_map(|r| match r.what {
            HaWhat::State(s) => Some((secs(r.t), s)),
            _ => None,
        })
        .collect();
    assert!(states.contains(&(10.3, VrrpState::Fault)), "{states:?}");
    assert!(states.contains(&(20.0, VrrpState::Backup)), "{states:?}");
    // LD2 takes over from LD1's last advert (the priority-0 advert cannot leave a down link).
    let m2 = master_at(&sim, "ld2");
    assert!((m2[0] - 9.609375 - 3.648437 - LAT).abs() < 1e-5, "{m2:?}");
    // Back up at 20 s: LD1 discards LD2's lower-priority adverts and preempts 3.609 s later.
    let m1 = master_at(&sim, "ld1");
    assert!((m1[1] - 20.0 - 3.609375).abs() < 1e-5, "{m1:?}");
}

#[test]
fn a_lower_priority_makes_the_backup_preempt() {
    let f = "[[fault]]\nat = \"10.3s\"\naction = \"vrrp-priority\"\nhost = \"ld1\"\nname = \"VI_1\"\nvalue = 80\n";
    let sim = scenario(&MASTER100, &BACKUP90, "1", 2, f, "20s");
    // LD1 advertises 80 from 10.609 on; LD2 (90) discards those adverts and takes over
    // its down interval after the last priority-100 advert it accepted (9.609).
    let m2 = master_at(&sim, "ld2");
    assert!((m2[0] - 9.609375 - 3.648437 - LAT).abs() < 1e-5, "{m2:?}");
    assert_eq!(
        sim.keepalived_on("ld1").unwrap().instances[0].vrrp.state,
        VrrpState::Backup
    );
}

/// Observed on real keepalived 2.2.7 (5 of 5 trials): in `vrrp_sync_group G1 { group { VI_1
/// VI_2 } }`, LD1 `state MASTER` priority 100 starts in BACKUP and becomes MASTER when its
/// Master_Down_Interval (3 x 1 s + 156/256 s = 3.609 s) runs out, as without a group. The
/// seed's LD1/LD2 pair (equal priorities, LD2 booting a second later) shows it.
#[test]
fn a_sync_group_starts_up_after_the_master_down_interval_as_observed() {
    let b = lvslab_sim::bundled::find("ha-nat-keepalived").unwrap();
    let (mut sim, _) = Scenario::parse(b.name, b.text)
        .unwrap()
        .build(None)
        .unwrap();
    sim.run_until(SimTime(10_000_000_000));
    for inst in ["VI_1", "VI_2"] {
        let t = history(&sim, "ld1")
            .iter()
            .find(|r| r.instance == inst && r.what == HaWhat::State(VrrpState::Master))
            .map(|r| secs(r.t))
            .expect("LD1 becomes MASTER");
        // 3.609 s after init, and no later than a link latency beyond it.
        assert!((3.609..3.611).contains(&t), "{inst}: MASTER at {t}");
        let backup_first = history(&sim, "ld1")
            .iter()
            .find(|r| r.instance == inst)
            .map(|r| r.what == HaWhat::State(VrrpState::Backup));
        assert_eq!(
            backup_first,
            Some(true),
            "{inst} enters BACKUP (init) first"
        );
    }
    // LD2, started a second later, hears LD1 and never becomes MASTER before the crash.
    assert!(
        master_at(&sim, "ld2").is_empty(),
        "{:?}",
        master_at(&sim, "ld2")
    );
}

/// With equal priorities and both directors started at the same instant, both time out
/// together and the higher primary address wins the election (LD2), as keepalived decides.
#[test]
fn equal_priorities_started_together_elect_the_higher_address() {
    let b = lvslab_sim::bundled::find("ha-nat-keepalived").unwrap();
    let text = b.text.replace("keepalived_start = \"1s\"\n", "");
    let (mut sim, _) = Scenario::parse(b.name, &text).unwrap().build(None).unwrap();
    sim.run_until(SimTime(10_000_000_000));
    let ld2 = sim.host_index("ld2").unwrap();
    let k = sim.keepalived.iter().find(|k| k.host == ld2).unwrap();
    assert!(k
        .instances
        .iter()
        .all(|i| i.vrrp.state == VrrpState::Master));
    let ld1 = sim.host_index("ld1").unwrap();
    let k = sim.keepalived.iter().find(|k| k.host == ld1).unwrap();
    assert!(k
        .instances
        .iter()
        .all(|i| i.vrrp.state == VrrpState::Backup));
}
