//! `cargo xtask test`: every test of the project, installing what it needs first.
//! Phases run in order; each reports pass/fail/skip, and the last line sums them up.

use crate::setup;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[derive(Default)]
pub struct Tally {
    pub passed: u64,
    pub failed: u64,
    pub skipped: Vec<String>,
    pub failed_phases: Vec<String>,
}

impl Tally {
    pub fn phase(&mut self, name: &str, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            self.failed_phases.push(name.to_string());
        }
    }
}

/// Runs a command, echoing its output, and adds cargo's "test result" counts to the tally.
fn run_counting(cmd: &mut Command, tally: &mut Tally) -> bool {
    let mut child = match cmd.stdout(Stdio::piped()).spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: cannot start {cmd:?}: {e}");
            return false;
        }
    };
    let out = child.stdout.take().unwrap();
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        println!("{line}");
        if let Some(rest) = line.strip_prefix("test result: ") {
            let num = |key: &str| -> u64 {
                rest.split(';')
                    .find(|p| p.trim().ends_with(key))
                    .and_then(|p| p.split_whitespace().rev().nth(1))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0)
            };
            tally.passed += num("passed");
            tally.failed += num("failed");
        }
    }
    child.wait().map(|s| s.success()).unwrap_or(false)
}

pub fn run(extra: &[String]) -> i32 {
    let mut t = Tally::default();
    let quick = extra.iter().any(|a| a == "--quick");
    println!("== setup: packages and targets");
    for (p, why) in setup::apt_ensure(setup::TEST_PACKAGES) {
        t.skipped
            .push(format!("{p}: {why} (tests that need it report a skip)"));
    }
    if let Err(e) = setup::rust_target("wasm32-unknown-unknown") {
        t.skipped.push(format!("wasm32 target: {e}"));
    }

    println!("== cargo test --workspace");
    let ok = run_counting(
        Command::new("cargo").args(["test", "--workspace", "--color", "never"]),
        &mut t,
    );
    if !ok {
        t.failed_phases.push("cargo test --workspace".into());
        if t.failed == 0 {
            t.failed += 1;
        }
    }

    println!("== sim-core builds for wasm32-unknown-unknown");
    let ok = Command::new("cargo")
        .args([
            "build",
            "-p",
            "lvslab-sim",
            "--target",
            "wasm32-unknown-unknown",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    t.phase("sim-core for wasm32", ok);

    for (name, sub) in crate::extra_test_phases() {
        if quick {
            t.skipped.push(format!("{name}: skipped by --quick"));
            continue;
        }
        println!("== {name}");
        match sub(&mut t) {
            Ok(()) => {}
            Err(why) => t.skipped.push(format!("{name}: {why}")),
        }
    }

    println!();
    for s in &t.skipped {
        println!("skipped: {s}");
    }
    for f in &t.failed_phases {
        println!("FAILED: {f}");
    }
    println!(
        "tests: {} passed, {} failed, {} skipped",
        t.passed,
        t.failed,
        t.skipped.len()
    );
    if t.failed > 0 || !t.failed_phases.is_empty() {
        1
    } else {
        0
    }
}
