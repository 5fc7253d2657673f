//! Project tasks: `cargo xtask <task>`.

mod vm;

fn usage() -> ! {
    eprintln!(
        "usage: cargo xtask <task>\n\ntasks:\n  vm-test [--modes nat,dr,tun] [--keep]\n      deploy the vm-nat, vm-dr and vm-tun scenarios with `lvslab` to a real Linux\n      kernel (Debian's, booted in qemu) and check them against the simulator"
    );
    std::process::exit(2);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let task = args.next().unwrap_or_else(|| usage());
    let rest: Vec<String> = args.collect();
    let result = match task.as_str() {
        "vm-test" => vm::vm_test(&rest),
        "-h" | "--help" | "help" => usage(),
        other => {
            eprintln!("xtask: unknown task `{other}`");
            usage()
        }
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::exit(1);
        }
    }
}
