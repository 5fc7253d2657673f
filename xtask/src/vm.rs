//! `cargo xtask vm-test`: deploys the vm-nat, vm-dr and vm-tun scenarios with the `lvslab`
//! binary to a real kernel and checks the result against the simulator.
//!
//! The kernel is Debian bookworm's (6.1, with its IPVS modules), booted in qemu from an
//! initramfs built by `xtask/vm/build.sh` out of Debian packages fetched with
//! `apt-get download`; `xtask/vm/run.sh` boots it (KVM when the host has hardware KVM, TCG
//! otherwise) and runs `xtask/vm/vm-test.sh` inside. `lvslab` is the workspace's debug
//! build: glibc-linked for bookworm, like the VM's userland.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const MODES: [&str; 3] = ["nat", "dr", "tun"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// qemu from apt when it is missing (as root); the image itself needs only apt-get
/// download and dpkg-deb, which install nothing.
fn ensure_host_tools() -> Result<()> {
    for t in ["apt-get", "dpkg-deb", "gzip", "sha256sum"] {
        if !on_path(t) {
            bail!("`{t}` is missing: the VM image is built from Debian packages, so this needs a Debian-like host with apt");
        }
    }
    if on_path("qemu-system-x86_64") {
        return Ok(());
    }
    if !is_root() {
        bail!(
            "qemu-system-x86_64 is missing: install it with `sudo apt-get install qemu-system-x86`"
        );
    }
    eprintln!("[vm-test] installing qemu-system-x86 with apt-get");
    let install = || {
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "qemu-system-x86",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    if !install() {
        let _ = Command::new("apt-get").args(["update", "-q"]).status();
        if !install() {
            bail!("`apt-get install qemu-system-x86` failed");
        }
    }
    Ok(())
}

/// Builds the debug `lvslab` binary and returns its path.
fn build_lvslab(root: &Path) -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let st = Command::new(cargo)
        .args(["build", "-p", "lvslab", "--bin", "lvslab"])
        .current_dir(root)
        .status()
        .context("running cargo build")?;
    if !st.success() {
        bail!("building lvslab failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("debug").join("lvslab");
    if !bin.is_file() {
        bail!("built lvslab not found at {}", bin.display());
    }
    Ok(bin)
}

/// The files the VM gets: lvslab (debug info stripped when `strip` exists, to keep the
/// initramfs small) and the three scenarios.
fn stage(root: &Path, lvslab: &Path, dir: &Path) -> Result<()> {
    let scen = dir.join("scenarios");
    std::fs::create_dir_all(&scen)?;
    let dst = dir.join("lvslab");
    let stripped = on_path("strip")
        && Command::new("strip")
            .arg("--strip-debug")
            .arg(lvslab)
            .arg("-o")
            .arg(&dst)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !stripped {
        std::fs::copy(lvslab, &dst)?;
    }
    for m in MODES {
        let name = format!("vm-{m}.toml");
        std::fs::copy(root.join("scenarios").join(&name), scen.join(&name))
            .with_context(|| format!("copying scenarios/{name}"))?;
    }
    Ok(())
}

struct Options {
    modes: Vec<String>,
    keep: bool,
}

fn parse(args: &[String]) -> Result<Options> {
    let mut o = Options {
        modes: MODES.iter().map(|m| m.to_string()).collect(),
        keep: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--modes" => {
                let v = it.next().context("--modes needs a list, e.g. nat,dr")?;
                o.modes = v.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = o.modes.iter().find(|m| !MODES.contains(&m.as_str())) {
                    bail!("unknown mode `{bad}` (nat, dr, tun)");
                }
            }
            "--keep" => o.keep = true,
            other => bail!("vm-test: unknown argument `{other}`"),
        }
    }
    Ok(o)
}

pub fn vm_test(args: &[String]) -> Result<i32> {
    let opts = parse(args)?;
    let t0 = Instant::now();
    let root = root();
    let vm = root.join("xtask").join("vm");
    ensure_host_tools()?;
    let lvslab = build_lvslab(&root)?;

    eprintln!("[vm-test] building the VM image (Debian kernel + IPVS, ipvsadm, iproute2, busybox)");
    let st = Command::new("bash")
        .arg(vm.join("build.sh"))
        .env("LVSLAB_BIN", &lvslab)
        .status()
        .context("running xtask/vm/build.sh")?;
    if !st.success() {
        bail!("building the VM image failed");
    }

    let work = std::env::temp_dir().join(format!("lvslab-vm-test.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    stage(&root, &lvslab, &work)?;

    eprintln!("[vm-test] booting the VM: modes {}", opts.modes.join(" "));
    let mut child = Command::new("bash")
        .arg(vm.join("run.sh"))
        .arg("-a")
        .arg(work.join("lvslab"))
        .arg("-a")
        .arg(work.join("scenarios"))
        .arg("-e")
        .arg(format!("MODES={}", opts.modes.join(" ")))
        .arg(vm.join("vm-test.sh"))
        .env("KEEP", if opts.keep { "1" } else { "0" })
        .stdout(Stdio::piped())
        .spawn()
        .context("running xtask/vm/run.sh")?;
    let mut tally = None;
    let mut failures = Vec::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines() {
            let line = line?;
            println!("{line}");
            if let Some(rest) = line.strip_prefix("vm-test: ") {
                tally = Some(rest.to_string());
            }
            if let Some(f) = line.strip_prefix("FAIL: ") {
                failures.push(f.to_string());
            }
        }
    }
    let status = child.wait()?;
    if !opts.keep {
        let _ = std::fs::remove_dir_all(&work);
    }
    let secs = t0.elapsed().as_secs_f64();
    let ok = status.success() && failures.is_empty() && tally.is_some();
    println!();
    match (&tally, ok) {
        (Some(t), true) => println!("vm-test PASS: {t} ({secs:.0} s in all)"),
        (Some(t), false) => {
            println!("vm-test FAIL: {t} ({secs:.0} s in all)");
            for f in &failures {
                println!("  FAIL: {f}");
            }
        }
        (None, _) => println!(
            "vm-test FAIL: the VM run ended without a result (exit status {}; see above) ({secs:.0} s)",
            status.code().map_or("none".into(), |c| c.to_string())
        ),
    }
    Ok(if ok { 0 } else { 1 })
}
