//! `cargo xtask dist`: the browser lab as static files in dist/ (wasm + JS glue + HTML/CSS).
//! Installs the wasm32 target and the wasm-bindgen CLI of exactly the version in Cargo.lock
//! when they are missing; runs wasm-opt when it is installed.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn run_cmd(c: &mut Command) -> Result<()> {
    let st = c.status().with_context(|| format!("running {c:?}"))?;
    if !st.success() {
        bail!("{c:?} failed ({st})");
    }
    Ok(())
}

fn output(c: &mut Command) -> Option<String> {
    let o = c.output().ok()?;
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
}

/// The version of a package in Cargo.lock.
pub fn locked_version(lock: &str, package: &str) -> Option<String> {
    let mut name_matches = false;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            name_matches = false;
        } else if let Some(n) = line.strip_prefix("name = ") {
            name_matches = n.trim_matches('"') == package;
        } else if let Some(v) = line.strip_prefix("version = ") {
            if name_matches {
                return Some(v.trim_matches('"').to_string());
            }
        }
    }
    None
}

fn ensure_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        eprintln!("xtask: adding the wasm32-unknown-unknown target");
        run_cmd(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

fn bindgen_version(bin: &Path) -> Option<String> {
    let out = output(Command::new(bin).arg("--version"))?;
    out.split_whitespace().nth(1).map(str::to_string)
}

/// A wasm-bindgen CLI of exactly `version`: on PATH or in ~/.cargo/bin, else installed
/// there with `cargo install` (a few minutes, once).
fn ensure_bindgen(version: &str) -> Result<PathBuf> {
    let mut candidates = vec![PathBuf::from("wasm-bindgen")];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        candidates.push(home.join("bin").join("wasm-bindgen"));
    }
    for c in &candidates {
        if bindgen_version(c).as_deref() == Some(version) {
            return Ok(c.clone());
        }
    }
    eprintln!("xtask: installing wasm-bindgen-cli {version} (matches Cargo.lock; takes a few minutes, once)");
    run_cmd(Command::new(cargo()).args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &format!("={version}"),
    ]))?;
    for c in &candidates {
        if bindgen_version(c).as_deref() == Some(version) {
            return Ok(c.clone());
        }
    }
    bail!("wasm-bindgen {version} was installed but is not on PATH or in ~/.cargo/bin")
}

fn wasm_opt(file: &Path) -> Result<bool> {
    if output(Command::new("wasm-opt").arg("--version")).is_none() {
        eprintln!(
            "xtask: wasm-opt not installed; skipping (install binaryen for a smaller bundle)"
        );
        return Ok(false);
    }
    let tmp = file.with_extension("opt.wasm");
    let res = run_cmd(
        Command::new("wasm-opt")
            .args(["-Os", "--all-features", "--strip-debug"])
            .arg(file)
            .arg("-o")
            .arg(&tmp),
    );
    if let Err(e) = res {
        // An old binaryen cannot read what a recent rustc emits: keep the unoptimised file.
        eprintln!("xtask: wasm-opt failed, keeping the unoptimised wasm ({e:#})");
        let _ = std::fs::remove_file(&tmp);
        return Ok(false);
    }
    std::fs::rename(&tmp, file)?;
    Ok(true)
}

/// Builds dist/ and returns its path.
pub fn build() -> Result<PathBuf> {
    let root = root();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).context("reading Cargo.lock")?;
    let version = locked_version(&lock, "wasm-bindgen")
        .context("wasm-bindgen is not in Cargo.lock; build lvslab-web once")?;
    ensure_target()?;
    let bindgen = ensure_bindgen(&version)?;
    run_cmd(Command::new(cargo()).current_dir(&root).args([
        "build",
        "-p",
        "lvslab-web",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm",
    ]))?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let wasm = target_dir.join("wasm32-unknown-unknown/wasm/lvslab_web.wasm");
    let dist = root.join("dist");
    if dist.exists() {
        std::fs::remove_dir_all(&dist)?;
    }
    std::fs::create_dir_all(&dist)?;
    run_cmd(
        Command::new(&bindgen)
            .args([
                "--target",
                "web",
                "--no-typescript",
                "--out-name",
                "lvslab_web",
                "--out-dir",
            ])
            .arg(&dist)
            .arg(&wasm),
    )?;
    let bg = dist.join("lvslab_web_bg.wasm");
    let before = std::fs::metadata(&bg)?.len();
    let opt = wasm_opt(&bg)?;
    let after = std::fs::metadata(&bg)?.len();
    for f in ["index.html", "style.css"] {
        std::fs::copy(root.join("web-app/static").join(f), dist.join(f))
            .with_context(|| format!("copying {f}"))?;
    }
    let js = std::fs::metadata(dist.join("lvslab_web.js"))?.len();
    if opt {
        eprintln!(
            "xtask: dist/ ready: wasm {before} bytes, {after} after wasm-opt; JS glue {js} bytes"
        );
    } else {
        eprintln!("xtask: dist/ ready: wasm {after} bytes; JS glue {js} bytes");
    }
    Ok(dist)
}

pub fn run(_args: &[String]) -> Result<()> {
    build().map(|_| ())
}

/// `cargo xtask serve [--port N]`: dist, then `lvslab serve`.
pub fn serve(args: &[String]) -> Result<()> {
    let dist = build()?;
    let mut port = "8787".to_string();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--port" => port = it.next().context("--port needs a number")?.clone(),
            other => bail!("unknown argument `{other}`"),
        }
    }
    run_cmd(
        Command::new(cargo())
            .current_dir(root())
            .args([
                "run", "-q", "-p", "lvslab", "--", "serve", "--port", &port, "--dir",
            ])
            .arg(&dist),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_locked_version() {
        let lock = "[[package]]\nname = \"wasm-bindgen-macro\"\nversion = \"9.9.9\"\n\n[[package]]\nname = \"wasm-bindgen\"\nversion = \"0.2.130\"\n";
        assert_eq!(
            super::locked_version(lock, "wasm-bindgen").as_deref(),
            Some("0.2.130")
        );
        assert_eq!(super::locked_version(lock, "nope"), None);
    }
}
