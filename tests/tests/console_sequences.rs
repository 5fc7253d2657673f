//! The scheduler sweeps of ground-truth/kernel-6.1/sequences.txt, through the packet
//! simulator: for every mode (NAT, DR, TUN) and every scheduler listed there, a fresh
//! testbed with rs1..rs3 at weights 4, 3, 2 (added in that order) and 18 connections from
//! 10.0.0.100: `seq` = sequential GETs (each closes before the next), `hold` = 18
//! connections held open, `src` = one GET from each of 10.0.0.101..112. The sequence of
//! real servers must be the kernel's.

use crate::console_ground_truth::ground_truth;
use lvslab_sim::console::Console;

struct Sweep {
    mode: String,
    kind: String,
    sched: String,
    expected: Vec<String>,
}

/// The `seq`, `hold` and `src` lines of sequences.txt.
fn sweeps() -> Vec<Sweep> {
    ground_truth("sequences.txt")
        .lines()
        .filter_map(|l| {
            let (head, tail) = l.split_once(" : ")?;
            let h: Vec<&str> = head.split_whitespace().collect();
            if h.len() != 3 || !matches!(h[1], "seq" | "hold" | "src") {
                return None;
            }
            let tail = tail.rsplit("-> ").next().unwrap();
            Some(Sweep {
                mode: h[0].into(),
                kind: h[1].into(),
                sched: h[2].into(),
                expected: tail.split_whitespace().map(str::to_string).collect(),
            })
        })
        .collect()
}

fn script(s: &Sweep) -> String {
    let (net, flag) = match s.mode.as_str() {
        "nat" => ("192.168.10.", "-m"),
        "dr" => ("10.0.0.", "-g"),
        _ => ("10.0.0.", "-i"),
    };
    let mut t = format!("ipvsadm -A -t 10.0.0.1:80 -s {}\n", s.sched);
    for (i, w) in [(1, 4), (2, 3), (3, 2)] {
        t += &format!("ipvsadm -a -t 10.0.0.1:80 -r {net}1{i}:80 {flag} -w {w}\n");
    }
    match s.kind.as_str() {
        "seq" => t += "@connect 10.0.0.100 10.0.0.1:80 repeat 18\n",
        "hold" => t += "@connect 10.0.0.100 10.0.0.1:80 hold repeat 18\n",
        _ => {
            for c in 101..=112 {
                t += &format!("@connect 10.0.0.{c} 10.0.0.1:80\n");
            }
        }
    }
    t
}

fn servers(transcript: &str, kind: &str) -> Vec<String> {
    if kind == "src" {
        transcript
            .lines()
            .filter_map(|l| l.split_once(" -> "))
            .map(|(_, r)| r.split_whitespace().next().unwrap().to_string())
            .collect()
    } else {
        let l = transcript
            .lines()
            .find_map(|l| l.strip_prefix("sequence: "))
            .expect("a sequence line");
        l.split_whitespace().map(str::to_string).collect()
    }
}

#[test]
fn every_scheduler_sweep_of_the_kernel_is_reproduced_in_nat_dr_and_tun() {
    let all = sweeps();
    // 3 modes x (9 seq + 9 hold + 2 src)
    assert_eq!(all.len(), 60, "sequences.txt lines parsed");
    let mut wrong = Vec::new();
    for s in &all {
        let mut c = Console::bundled(&format!("testbed-{}", s.mode)).unwrap();
        let t = c.run_script(&script(s));
        assert!(t.errors.is_empty(), "{:?}", t.errors);
        let got = servers(&t.text, &s.kind);
        if got != s.expected {
            wrong.push(format!(
                "{} {} {}:\n  kernel {}\n  ours   {}",
                s.mode,
                s.kind,
                s.sched,
                s.expected.join(" "),
                got.join(" ")
            ));
        }
        if s.kind == "hold" {
            // All 18 stay open: ESTABLISHED, counted as ActiveConn.
            let snap = c.snapshot();
            let active: u32 = snap.services[0].dests.iter().map(|d| d.active).sum();
            assert_eq!(active, 18, "{} hold {}", s.mode, s.sched);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
