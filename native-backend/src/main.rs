//! `lvslab`: simulate LVS clusters, validate designs, and deploy them to a real director.

use clap::{Parser, Subcommand};
use lvslab::cmd_run;

#[derive(Parser)]
#[command(
    name = "lvslab",
    version,
    about = "Simulate Linux Virtual Server (IPVS) clusters packet by packet, validate designs, and deploy them to a real director"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run a scenario headless and print a report.
    Run {
        /// Scenario file, or the name of a bundled scenario (see `lvslab list`).
        scenario: String,
        /// Random seed (default: the scenario's own).
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated time to run, e.g. "30s" (default: the scenario's duration).
        #[arg(long)]
        duration: Option<String>,
        /// Print the report as one JSON document.
        #[arg(long)]
        json: bool,
        /// Write one JSON line per packet hop to this file.
        #[arg(long, value_name = "FILE.jsonl")]
        trace: Option<String>,
        /// Write a pcap of the frames on --segment (default: every segment) to this file.
        #[arg(long, value_name = "FILE")]
        pcap: Option<String>,
        /// The segment to capture with --pcap.
        #[arg(long, value_name = "NAME")]
        segment: Option<String>,
        /// Write one JSON line per scheduling decision (new connection) to this file.
        #[arg(long, value_name = "FILE.jsonl")]
        decisions: Option<String>,
        /// Do not print warnings or a progress bar.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Validate a scenario and print its diagnostics (errors and warnings).
    Check {
        scenario: String,
        /// Print the diagnostics as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the bundled scenarios.
    List,
    /// Serve the browser lab (built by `cargo xtask dist`) on 127.0.0.1.
    Serve {
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// The directory to serve.
        #[arg(long, default_value = "dist")]
        dir: String,
    },
}

fn main() {
    let cli = Cli::parse();
    let res = match cli.cmd {
        Cmd::Run {
            scenario,
            seed,
            duration,
            json,
            trace,
            pcap,
            segment,
            decisions,
            quiet,
        } => cmd_run::run(cmd_run::RunArgs {
            scenario,
            seed,
            duration,
            json,
            trace,
            pcap,
            segment,
            decisions,
            quiet,
        }),
        Cmd::Check { scenario, json } => cmd_run::check(&scenario, json),
        Cmd::List => cmd_run::list(),
        Cmd::Serve { port, dir } => lvslab::serve::run(&dir, port),
    };
    match res {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("lvslab: {e:#}");
            std::process::exit(1);
        }
    }
}
