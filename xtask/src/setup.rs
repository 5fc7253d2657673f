//! Installing what the tests and the app need: Debian packages and Rust targets.
//! Every step checks first and does nothing when the thing is already there.

use std::process::{Command, Stdio};

/// True if a program is on PATH.
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Installs the Debian packages whose commands are missing. Returns the packages that
/// could not be installed (with the reason), so callers can report skips honestly.
pub fn apt_ensure(pkgs: &[(&str, &str)]) -> Vec<(String, String)> {
    let missing: Vec<&str> = pkgs
        .iter()
        .filter(|(cmd, _)| !have(cmd))
        .map(|(_, p)| *p)
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    if !have("apt-get") {
        return missing
            .iter()
            .map(|p| {
                (
                    p.to_string(),
                    "apt-get is not available on this machine".into(),
                )
            })
            .collect();
    }
    let root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let sudo: &[&str] = if root { &[] } else { &["sudo", "-n"] };
    eprintln!("xtask: installing {} with apt", missing.join(" "));
    let run = |args: &[&str]| {
        let mut c = Command::new(if sudo.is_empty() { args[0] } else { sudo[0] });
        if !sudo.is_empty() {
            c.args(&sudo[1..]).arg(args[0]);
        }
        c.args(&args[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    };
    let _ = run(&["apt-get", "update", "-q"]);
    let mut args = vec!["apt-get", "install", "-y", "-q", "--no-install-recommends"];
    args.extend(missing.iter().copied());
    if !run(&args) {
        // Try one by one so one unavailable package does not block the others.
        for p in &missing {
            let _ = run(&[
                "apt-get",
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                p,
            ]);
        }
    }
    pkgs.iter()
        .filter(|(cmd, p)| missing.contains(p) && !have(cmd))
        .map(|(_, p)| (p.to_string(), "apt-get install failed".into()))
        .collect()
}

/// Adds a rustup target if it is not installed.
pub fn rust_target(target: &str) -> Result<(), String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup: {e}"))?;
    if String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == target)
    {
        return Ok(());
    }
    eprintln!("xtask: rustup target add {target}");
    let st = Command::new("rustup")
        .args(["target", "add", target])
        .status()
        .map_err(|e| format!("rustup: {e}"))?;
    if st.success() {
        Ok(())
    } else {
        Err(format!("rustup target add {target} failed"))
    }
}

/// The packages the whole test suite uses: (command that proves it is there, package).
pub const TEST_PACKAGES: &[(&str, &str)] = &[
    ("tshark", "tshark"),
    ("keepalived", "keepalived"),
    ("qemu-system-x86_64", "qemu-system-x86"),
    ("busybox", "busybox-static"),
    ("cpio", "cpio"),
    ("chromium", "chromium"),
    ("chromedriver", "chromium-driver"),
];
