//! `lvslab`: simulate LVS clusters, validate designs, and deploy them to a real director.

use clap::{Parser, Subcommand};
use lvslab::{cmd_console, cmd_run};

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
    /// Time the NAT lab scaled up (what `cargo xtask bench` runs; use a release build).
    Bench {
        /// Connections to run.
        #[arg(long, default_value_t = 100_000)]
        connections: u64,
        /// Real servers behind the director.
        #[arg(long, default_value_t = 10)]
        real_servers: usize,
        /// Arrival rate, connections per second.
        #[arg(long, default_value_t = 2000.0)]
        rate: f64,
        /// Connections for the IPVS connection-table benchmark (0 = skip it).
        #[arg(long, default_value_t = 1_000_000)]
        table_connections: u64,
    },
    /// Run ipvsadm commands and @connect lines against a scenario's director, in the simulator.
    #[command(after_help = cmd_console::HELP)]
    Console {
        /// Scenario file or bundled scenario name (default: testbed-nat, an empty NAT director).
        #[arg(value_name = "SCENARIO")]
        first: Option<String>,
        /// Script file, or `-` for standard input (the default).
        #[arg(value_name = "FILE|-")]
        second: Option<String>,
        /// Random seed (default: the scenario's own).
        #[arg(long)]
        seed: Option<u64>,
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
        Cmd::Bench {
            connections,
            real_servers,
            rate,
            table_connections,
        } => {
            let code = lvslab::cmd_bench::bench(connections, real_servers, rate);
            if table_connections > 0 {
                lvslab::cmd_bench::bench_table(table_connections, 5_000);
            }
            code
        }
        Cmd::Console {
            first,
            second,
            seed,
        } => cmd_console::run(cmd_console::ConsoleArgs {
            first,
            second,
            seed,
        }),
    };
    match res {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("lvslab: {e:#}");
            std::process::exit(1);
        }
    }
}
