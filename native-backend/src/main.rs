//! `lvslab`: simulate LVS clusters, validate designs, and deploy them to a real director.

use clap::{Parser, Subcommand};
use lvslab::{cmd_console, cmd_deploy, cmd_lesson, cmd_run};
use lvslab_sim::lesson::Lang;

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
        /// Connection-level bulk run: the real IPVS and servers, the network as path delays
        /// (much faster; no trace or pcap; refused for scenarios with keepalived or faults).
        #[arg(long)]
        bulk: bool,
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
    /// Guided lessons: list them, or run each one's walkthrough and check it.
    #[command(subcommand)]
    Lesson(LessonCmd),
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
    /// Export a checked design: ipvsadm rules, keepalived.conf, real-server scripts, director sysctls.
    Export(ExportCli),
    /// Make a director's live IPVS table match the design (plan, apply, verify, roll back).
    #[command(
        after_help = "Exit status: 0 applied (or nothing to do), 1 refused, or failed and rolled back, 3 failed and the rollback failed too (the table is in an intermediate state)."
    )]
    Apply(ApplyCli),
    /// Turn a live IPVS table, an `ipvsadm -S` file or a keepalived.conf into a scenario.
    Import(ImportCli),
    /// Capacity planning: run a parameter sweep (on every core) and write a tidy CSV, a
    /// JSON document, the knee table and charts (SVG and PNG).
    #[command(args_conflicts_with_subcommands = true, after_help = SWEEP_HELP)]
    Sweep(SweepCli),
    /// Serve the browser lab (built by `cargo xtask dist`) on 127.0.0.1.
    Serve {
        #[arg(long, default_value_t = 8787)]
        port: u16,
        /// The directory to serve.
        #[arg(long, default_value = "dist")]
        dir: String,
    },
}

const SWEEP_HELP: &str = "The sweep file format is in docs/sweeps.md (example: sweeps/capacity.toml).\n\
Quick sweeps: lvslab sweep --base capacity-dr-10rs --param workload.rate=1000..8000:1000 --param ipvs.scheduler=rr,wlc --slo 'p99 < 50ms' --knee workload.rate\n\
Exit status: 0 done, 1 some runs failed (the others are kept), 2 bad input, 130 interrupted (the finished rows are kept).";

#[derive(clap::Args)]
struct SweepCli {
    #[command(subcommand)]
    merge: Option<SweepSub>,
    /// The sweep file (TOML; see docs/sweeps.md).
    #[arg(value_name = "SWEEP.toml")]
    file: Option<String>,
    /// Quick sweep: the base scenario (a file or a bundled name), instead of a sweep file.
    #[arg(long, value_name = "SCENARIO")]
    base: Option<String>,
    /// Quick sweep: PATH=V1,V2,... or PATH=FROM..TO:STEP (repeatable).
    #[arg(long = "param", value_name = "PATH=VALUES")]
    params: Vec<String>,
    /// Runs per point, each with its own seed (overrides the file).
    #[arg(long, value_name = "N")]
    repetitions: Option<u32>,
    /// A service-level objective such as "p99 < 50ms" or "failed < 0.1%" (repeatable).
    #[arg(long, value_name = "COND")]
    slo: Vec<String>,
    /// Search the highest rate meeting the SLO along this parameter.
    #[arg(long, value_name = "PARAM")]
    knee: Option<String>,
    /// auto (bulk where it is faithful, packet by packet otherwise), bulk or packet.
    #[arg(long, value_parser = parse_mode)]
    mode: Option<lvslab_sim::sweep::file::ModeChoice>,
    /// Output folder (default: sweep-NAME in the current folder).
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: Option<String>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
    /// Run only shard I of N (0-based), for a batch system; join with `lvslab sweep merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Subcommand)]
enum SweepSub {
    /// Join the folders written by `lvslab sweep --shard I/N` into one result.
    Merge {
        /// The shard folders.
        #[arg(required = true)]
        dirs: Vec<String>,
        /// The output folder.
        #[arg(short = 'o', long = "out", value_name = "DIR", required = true)]
        out: String,
    },
}

fn parse_mode(s: &str) -> Result<lvslab_sim::sweep::file::ModeChoice, String> {
    use lvslab_sim::sweep::file::ModeChoice;
    match s {
        "auto" => Ok(ModeChoice::Auto),
        "bulk" => Ok(ModeChoice::Bulk),
        "packet" => Ok(ModeChoice::Packet),
        _ => Err(format!("`{s}`: the mode is auto, bulk or packet")),
    }
}

#[derive(clap::Args)]
struct ExportCli {
    /// Scenario file, or the name of a bundled scenario.
    scenario: String,
    /// What to export: ipvsadm (`ipvsadm -R` input, identical to `ipvsadm -Sn`),
    /// realserver (setup and teardown scripts), sysctl (director), keepalived, or all.
    #[arg(long, value_name = "WHAT")]
    to: lvslab_sim::admin::export::Target,
    /// Only this host (a director, or a real server for realserver scripts).
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// Write the files into this directory instead of printing them.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    out: Option<String>,
    /// Export even if requests fail when the design is simulated.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct ApplyCli {
    /// Scenario file, or the name of a bundled scenario.
    scenario: String,
    /// The director to configure (needed when the scenario has several).
    #[arg(long, value_name = "NAME")]
    node: Option<String>,
    /// Print the plan only (works without IPVS or privileges: plans against an empty table).
    #[arg(long)]
    dry_run: bool,
    /// Also delete services that are not in the design.
    #[arg(long)]
    prune: bool,
    /// Apply even if requests fail when the design is simulated.
    #[arg(long)]
    force: bool,
}

#[derive(clap::Args)]
struct ImportCli {
    /// live (the kernel's table), ipvsadm-save (a file as `ipvsadm -S` prints it) or keepalived.
    #[arg(long, value_name = "SOURCE")]
    from: lvslab::cmd_deploy::ImportSource,
    /// The file to read for ipvsadm-save and keepalived (`-` for standard input).
    file: Option<String>,
    /// Write the scenario to this file instead of standard output.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: Option<String>,
    /// Scenario name (default: imported).
    #[arg(long)]
    name: Option<String>,
}

#[derive(Subcommand)]
enum LessonCmd {
    /// The bundled lessons, in teaching order.
    List {
        /// Language of the titles: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
    /// Run lessons' walkthroughs headless and print every check. A check of a `do` step
    /// must fail before the student acts, still fail after the same time without acting,
    /// and hold afterwards. Exit status 1 when any lesson fails or does not load.
    Check {
        /// Lesson files, folders of lesson files, or bundled lesson ids.
        lessons: Vec<String>,
        /// Every bundled lesson.
        #[arg(long)]
        all: bool,
        /// Language of the report: en or zh-CN.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| format!("`{s}` is not a language LVS Lab speaks (en, zh-CN)"))
}

fn deploy_io<F>(f: F) -> anyhow::Result<i32>
where
    F: FnOnce(&mut cmd_deploy::Io) -> std::io::Result<i32>,
{
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
    let mut io = cmd_deploy::Io {
        out: &mut out,
        err: &mut err,
    };
    Ok(f(&mut io)?)
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
            bulk,
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
            bulk,
        }),
        Cmd::Check { scenario, json } => cmd_run::check(&scenario, json),
        Cmd::List => cmd_run::list(),
        Cmd::Lesson(LessonCmd::List { lang }) => cmd_lesson::list(lang),
        Cmd::Lesson(LessonCmd::Check { lessons, all, lang }) => {
            cmd_lesson::check(&lessons, all, lang, &mut std::io::stdout().lock())
        }
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
        Cmd::Export(a) => deploy_io(|io| {
            let args = cmd_deploy::ExportArgs {
                scenario: a.scenario,
                to: a.to,
                node: a.node,
                out_dir: a.out,
                force: a.force,
            };
            cmd_deploy::export(&args, io)
        }),
        Cmd::Apply(a) => {
            let fail_at_step = match std::env::var(cmd_deploy::FAIL_AT_STEP_ENV) {
                Ok(v) => match v.trim().parse::<usize>() {
                    Ok(n) if n > 0 => Some(n),
                    _ => {
                        eprintln!(
                            "lvslab: {}={v:?} is not a step number (1, 2, ...)",
                            cmd_deploy::FAIL_AT_STEP_ENV
                        );
                        std::process::exit(2);
                    }
                },
                Err(_) => None,
            };
            deploy_io(|io| {
                let args = cmd_deploy::ApplyArgs {
                    scenario: a.scenario,
                    node: a.node,
                    dry_run: a.dry_run,
                    prune: a.prune,
                    force: a.force,
                    fail_at_step,
                };
                cmd_deploy::apply(&args, None, io)
            })
        }
        Cmd::Import(a) => deploy_io(|io| {
            let args = cmd_deploy::ImportArgs {
                from: a.from,
                file: a.file,
                output: a.out,
                name: a.name,
            };
            cmd_deploy::import(&args, None, io)
        }),
        Cmd::Sweep(s) => match s.merge {
            Some(SweepSub::Merge { dirs, out }) => lvslab::cmd_sweep::merge(&dirs, &out),
            None => lvslab::cmd_sweep::run(lvslab::cmd_sweep::SweepArgs {
                file: s.file,
                base: s.base,
                params: s.params,
                repetitions: s.repetitions,
                slo: s.slo,
                knee: s.knee,
                mode: s.mode,
                out: s.out,
                jobs: s.jobs,
                shard: s.shard,
                quiet: s.quiet,
            }),
        },
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
