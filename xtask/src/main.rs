//! cargo xtask: project automation. `cargo xtask help` lists the commands.

mod dist;
mod e2e;
mod setup;
mod test_cmd;
mod vm;

use std::process::Command;

/// A test phase beyond `cargo test`: returns Err(reason) when it had to be skipped; it
/// records pass/fail itself.
type Phase = fn(&mut test_cmd::Tally) -> Result<(), String>;

/// Test phases that need more than `cargo test` (VM, browser), in the order they run.
fn extra_test_phases() -> Vec<(&'static str, Phase)> {
    vec![
        ("real kernel: cargo xtask vm-test", vm_phase),
        ("browser: cargo xtask e2e", e2e_phase),
    ]
}

/// The browser end-to-end test (builds the app first) as a phase of `cargo xtask test`.
fn e2e_phase(t: &mut test_cmd::Tally) -> Result<(), String> {
    if !setup::have("chromium") || !setup::have("chromedriver") {
        return Err(
            "chromium / chromium-driver are not installed and apt could not install them".into(),
        );
    }
    let ok = match e2e::run(&[]) {
        Ok(()) => true,
        Err(e) => {
            eprintln!("xtask: e2e: {e:#}");
            false
        }
    };
    t.phase("browser e2e", ok);
    Ok(())
}

/// Maps a task's result to an exit status, printing the error.
fn exit_of(r: anyhow::Result<()>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            1
        }
    }
}

/// The real-kernel test as a phase of `cargo xtask test`.
fn vm_phase(t: &mut test_cmd::Tally) -> Result<(), String> {
    match vm::vm_test(&[]) {
        Ok(0) => {
            t.phase("vm-test", true);
            Ok(())
        }
        Ok(_) => {
            t.phase("vm-test", false);
            Ok(())
        }
        Err(e) => Err(format!("{e:#}")),
    }
}

const HELP: &str = "cargo xtask <command>

  test [--quick]   run every test, installing what they need (apt packages, rust targets);
                   --quick skips the VM and browser phases
  bench            run the benchmarks (release build) and print the figures
  setup            install the packages and targets the tests use
  dist             build the browser lab into dist/ (wasm32 + wasm-bindgen)
  serve [--port N] dist, then serve it on 127.0.0.1 (the main job)
  e2e [--no-build] dist, then drive the lab in headless Chromium (screenshots in
                   target/e2e-artifacts/)
  vm-test [--modes nat,dr,tun] [--keep]
                   deploy the vm-nat, vm-dr and vm-tun scenarios with `lvslab` to a real
                   Linux kernel (Debian's, booted in qemu) and check them against the simulator
";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args.first().map(String::as_str) {
        Some("test") => test_cmd::run(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("dist") => exit_of(dist::run(&args[1..])),
        Some("serve") => exit_of(dist::serve(&args[1..])),
        Some("e2e") => exit_of(e2e::run(&args[1..])),
        Some("vm-test") => match vm::vm_test(&args[1..]) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("xtask: {e:#}");
                1
            }
        },
        Some("setup") => {
            for (p, why) in setup::apt_ensure(setup::TEST_PACKAGES) {
                eprintln!("could not install {p}: {why}");
            }
            match setup::rust_target("wasm32-unknown-unknown") {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("{e}");
                    1
                }
            }
        }
        Some("help") | None => {
            print!("{HELP}");
            0
        }
        Some(other) => {
            eprintln!("unknown xtask command `{other}`\n\n{HELP}");
            2
        }
    };
    std::process::exit(code);
}

fn bench(extra: &[String]) -> i32 {
    let st = Command::new("cargo")
        .args(["run", "--release", "--quiet", "-p", "lvslab", "--", "bench"])
        .args(extra)
        .status();
    let code = st.map(|s| s.code().unwrap_or(1)).unwrap_or(1);
    if code != 0 {
        return code;
    }
    sweep_bench()
}

/// The wall time of a 100-point sweep (rate x scheduler x weight of the capacity scenario,
/// 6,000 connections per run, every core).
fn sweep_bench() -> i32 {
    let out = std::env::temp_dir().join(format!("lvslab-bench-sweep-{}", std::process::id()));
    let t0 = std::time::Instant::now();
    let st = Command::new("cargo")
        .args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "lvslab",
            "--",
            "sweep",
            "-q",
        ])
        .args(["--base", "capacity-dr-10rs"])
        .args(["--param", "workload.rate=1000..10000:1000"])
        .args(["--param", "ipvs.scheduler=rr,wlc,lc,wrr,sed"])
        .args(["--param", "ipvs.weight[10.0.0.11:80]=1,3"])
        .arg("-o")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status();
    let secs = t0.elapsed().as_secs_f64();
    let _ = std::fs::remove_dir_all(&out);
    match st {
        Ok(s) if s.success() => {
            println!("sweep: 100 points (6,000 connections each, bulk mode, all cores) in {secs:.1} s wall, including the charts");
            0
        }
        _ => {
            eprintln!("sweep benchmark failed");
            1
        }
    }
}
