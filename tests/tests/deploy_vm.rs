//! The real-kernel test (`cargo xtask vm-test`): boots Debian's kernel in qemu and
//! deploys the vm-nat, vm-dr and vm-tun scenarios there. It downloads packages and takes
//! minutes, so it runs only with LVSLAB_VM_TEST=1.

use crate::support::root;

#[test]
fn vm_test_on_a_real_kernel() {
    if std::env::var("LVSLAB_VM_TEST").ok().as_deref() != Some("1") {
        eprintln!(
            "skipped: vm_test_on_a_real_kernel boots a Debian kernel in qemu (minutes, downloads packages); run it with LVSLAB_VM_TEST=1, or directly with `cargo xtask vm-test`"
        );
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args(["run", "--quiet", "-p", "xtask", "--", "vm-test"])
        .current_dir(root())
        .output()
        .expect("run cargo xtask vm-test");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("vm-test PASS:"),
        "cargo xtask vm-test failed:\n{stdout}\n{stderr}"
    );
    eprintln!(
        "{}",
        stdout
            .lines()
            .filter(|l| l.starts_with("vm-test"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
