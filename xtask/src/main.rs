//! Workspace tasks: `cargo xtask dist | serve | e2e`.

mod dist;
mod e2e;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or(&[]);
    let res = match args.first().map(String::as_str) {
        Some("dist") => dist::run(rest),
        Some("serve") => dist::serve(rest),
        Some("e2e") => e2e::run(rest),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\
                 \n  dist           build the browser lab into dist/\
                 \n  serve [--port N]   dist, then serve it on 127.0.0.1\
                 \n  e2e [--no-build]   dist, then drive the lab in headless Chromium"
            );
            std::process::exit(2);
        }
    };
    if let Err(e) = res {
        eprintln!("xtask: {e:#}");
        std::process::exit(1);
    }
}
