//! Shared helpers: running bundled scenarios, finding the `lvslab` binary.

use lvslab_sim::engine::report::Report;
use lvslab_sim::scenario::Scenario;
use lvslab_sim::Simulation;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

pub fn scenario(name: &str) -> Scenario {
    let b = lvslab_sim::bundled::find(name).unwrap_or_else(|| panic!("no bundled scenario {name}"));
    Scenario::parse(b.name, b.text).unwrap_or_else(|d| panic!("{name} does not parse: {d:?}"))
}

/// Builds and runs a bundled scenario with the trace on.
pub fn run(name: &str, seed: Option<u64>, trace: bool) -> (Simulation, Report) {
    let (mut sim, _warnings) = scenario(name)
        .build(seed)
        .unwrap_or_else(|d| panic!("{name}: {d:?}"));
    sim.world.trace.enabled = trace;
    sim.run();
    let r = sim.report();
    (sim, r)
}

/// The `lvslab` binary of this workspace (built on first use).
pub fn lvslab() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let st = Command::new(cargo)
            .args(["build", "--quiet", "-p", "lvslab", "--bin", "lvslab"])
            .current_dir(root())
            .status()
            .expect("cargo build -p lvslab");
        assert!(st.success(), "building lvslab failed");
        let target = std::env::var("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|_| root().join("target"));
        target.join("debug").join("lvslab")
    })
    .clone()
}

/// Runs `lvslab` with arguments; returns (exit code, stdout, stderr).
pub fn lvslab_run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(lvslab())
        .args(args)
        .current_dir(root())
        .output()
        .expect("run lvslab");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn tmp(name: &str) -> PathBuf {
    let d = root().join("target").join("test-artifacts");
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}
