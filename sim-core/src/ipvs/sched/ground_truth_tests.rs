//! Scheduler picks observed on a real 6.1 kernel (ipvsadm 1.31), replayed on the bench:
//! rs1 (w4), rs2 (w3), rs3 (w2) added in that order (list order rs3, rs2, rs1), client
//! 10.0.0.100, VIP 10.0.0.1, NAT real servers 192.168.10.11..13, DR/TUN 10.0.0.11..13.

use super::testkit::*;

const MODES: [&str; 3] = ["nat", "dr", "tun"];

/// The sweep order of the lab runs: rr = 8001 / 9001, wrr = 8002 / 9002, ...
const SWEEP: [&str; 13] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh",
];

fn sweep_port(base: u16, name: &str) -> u16 {
    base + 1 + SWEEP.iter().position(|s| *s == name).unwrap() as u16
}

/// Sequential sweep (port 8001..): the same in all three modes.
const SEQ: [(&str, &str); 9] = [
    (
        "rr",
        "rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "wrr",
        "rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "lc",
        "rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "wlc",
        "rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1",
    ),
    (
        "dh",
        "rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3",
    ),
    (
        "sh",
        "rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1",
    ),
    (
        "sed",
        "rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1",
    ),
    (
        "nq",
        "rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3",
    ),
    (
        "fo",
        "rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1",
    ),
];

/// Held-open sweep (port 9001..): the same in all three modes.
const HOLD: [(&str, &str); 9] = [
    (
        "rr",
        "rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "wrr",
        "rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "lc",
        "rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "wlc",
        "rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1",
    ),
    (
        "dh",
        "rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3",
    ),
    (
        "sh",
        "rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1",
    ),
    (
        "sed",
        "rs1 rs2 rs3 rs1 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "nq",
        "rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs3 rs1 rs2 rs1 rs3 rs2 rs1",
    ),
    (
        "fo",
        "rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1 rs1",
    ),
];

const ORDER: [u32; 3] = [1, 2, 3];

#[test]
fn sequential_sweep_matches_the_kernel() {
    for mode in MODES {
        for (name, want) in SEQ {
            let mut b = Bench::lab(name, mode, sweep_port(8000, name), &ORDER);
            assert_eq!(b.seq(18), want, "{mode} seq {name}");
        }
    }
}

#[test]
fn held_open_sweep_matches_the_kernel() {
    for mode in MODES {
        for (name, want) in HOLD {
            let mut b = Bench::lab(name, mode, sweep_port(9000, name), &ORDER);
            assert_eq!(b.hold(18), want, "{mode} hold {name}");
        }
    }
}

#[test]
fn wrr_and_rr_demos_match_the_kernel() {
    for mode in MODES {
        let mut b = Bench::lab("wrr", mode, 80, &ORDER);
        assert_eq!(
            b.seq(18),
            "rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1",
            "{mode} wrr demo"
        );
        // The listing after the run: InActConn 8 / 6 / 4.
        assert_eq!((b.counts(1).1, b.counts(2).1, b.counts(3).1), (8, 6, 4));
        let mut b = Bench::lab("rr", mode, 81, &ORDER);
        assert_eq!(
            b.seq(18),
            "rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1",
            "{mode} rr demo"
        );
    }
}

#[test]
fn insertion_order_rs2_rs3_rs1() {
    for mode in MODES {
        let mut b = Bench::lab("rr", mode, 8030, &[]);
        for id in [2, 3, 1] {
            b.add(id, 1);
        }
        assert_eq!(b.seq(9), "rs1 rs3 rs2 rs1 rs3 rs2 rs1 rs3 rs2", "{mode}");
        assert_eq!((b.counts(1).1, b.counts(2).1, b.counts(3).1), (3, 3, 3));
    }
}

#[test]
fn wrr_weight_zero_while_running() {
    for mode in MODES {
        let mut b = Bench::lab("wrr", mode, 8031, &ORDER);
        assert_eq!(b.seq(9), "rs3 rs2 rs1 rs1 rs2 rs1 rs3 rs2 rs1", "{mode}");
        b.edit_weight(2, 0);
        assert_eq!(b.seq(9), "rs1 rs3 rs1 rs1 rs3 rs1 rs1 rs3 rs1", "{mode}");
    }
}

#[test]
fn rr_delete_and_readd_while_running() {
    for mode in MODES {
        let mut b = Bench::lab("rr", mode, 8032, &ORDER);
        assert_eq!(b.seq(7), "rs3 rs2 rs1 rs3 rs2 rs1 rs3", "{mode}");
        b.delete(2);
        assert_eq!(b.seq(6), "rs1 rs3 rs1 rs3 rs1 rs3", "{mode}");
        b.readd(2);
        assert_eq!(b.seq(9), "rs1 rs2 rs3 rs1 rs2 rs3 rs1 rs2 rs3", "{mode}");
        // Listing after the run: InActConn 8 / 5 / 9 (rs2 came back with its counters).
        assert_eq!(
            (b.counts(1).1, b.counts(2).1, b.counts(3).1),
            (8, 5, 9),
            "{mode}"
        );
    }
}

#[test]
fn rr_persistence_schedules_once_per_client() {
    // rr -p 60, 4 clients: only each client's first connection reaches the scheduler
    // (the rest follow the template), so the scheduler sees 4 picks.
    for mode in MODES {
        let mut b = Bench::lab("rr", mode, 8033, &ORDER);
        let sources: Vec<String> = (101..=104).map(|i| format!("10.0.0.{i}")).collect();
        assert_eq!(b.one_from_each(&sources), "rs3 rs2 rs1 rs3", "{mode}");
    }
}

#[test]
fn multi_source_sh_and_dh() {
    let sources: Vec<String> = (101..=112).map(|i| format!("10.0.0.{i}")).collect();
    for mode in MODES {
        let mut b = Bench::lab("sh", mode, sweep_port(8000, "sh"), &ORDER);
        assert_eq!(
            b.one_from_each(&sources),
            "rs3 rs1 rs2 rs3 rs3 rs2 rs2 rs1 rs1 rs2 rs1 rs1",
            "{mode} sh"
        );
        let mut b = Bench::lab("dh", mode, sweep_port(8000, "dh"), &ORDER);
        assert_eq!(
            b.one_from_each(&sources),
            "rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3 rs3",
            "{mode} dh"
        );
    }
}

#[test]
fn factory_knows_every_kernel_scheduler() {
    use super::{new_scheduler, new_scheduler_with_params, SchedParams, SCHEDULER_NAMES};
    use crate::time::SimTime;
    for name in SCHEDULER_NAMES {
        let s = new_scheduler(name, SimTime::ZERO).unwrap_or_else(|| panic!("{name}"));
        assert_eq!(s.name(), name);
        let s = new_scheduler_with_params(name, SimTime::ZERO, &SchedParams::default()).unwrap();
        assert_eq!(s.name(), name);
    }
    for bad in ["", "RR", "none", "wrr ", "foo"] {
        assert!(new_scheduler(bad, SimTime::ZERO).is_none(), "{bad:?}");
    }
}

#[test]
fn only_lblc_and_lblcr_want_timers() {
    use super::{new_scheduler, SCHEDULER_NAMES};
    use crate::time::SimTime;
    for name in SCHEDULER_NAMES {
        let s = new_scheduler(name, SimTime::from_secs(5)).unwrap();
        let want = matches!(name, "lblc" | "lblcr").then_some(SimTime::from_secs(65));
        assert_eq!(s.poll_at(), want, "{name}");
    }
}

#[test]
fn switching_to_a_table_scheduler_binds_to_the_existing_list() {
    // `ipvsadm -E -s <sched>` on a service with dests: the new scheduler's init_service
    // sees the whole list; without an explicit call it binds at its first pick.
    use super::new_scheduler;
    use crate::time::SimTime;
    for (name, want) in [
        ("wrr", "rs1 rs2 rs1 rs3 rs2 rs1 rs3 rs2 rs1"),
        ("sh", "rs1 rs1 rs1"),
        ("dh", "rs3 rs3 rs3"),
    ] {
        for explicit in [true, false] {
            let mut b = Bench::lab("rr", "nat", 80, &ORDER);
            b.sched = new_scheduler(name, SimTime::ZERO).unwrap();
            if explicit {
                b.init_service();
            }
            let n = want.split(' ').count();
            assert_eq!(b.seq(n), want, "{name} explicit={explicit}");
        }
    }
}
