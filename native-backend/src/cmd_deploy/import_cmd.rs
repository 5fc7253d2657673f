//! `lvslab import --from live | --from ipvsadm-save FILE | --from keepalived FILE
//! [-o FILE] [--name NAME]`: an IPVS table as a scenario file whose director has the table
//! as its `rules`, inside a placeholder topology (see
//! `lvslab_sim::admin::export::scenario_from_table` for what is made up).

use super::kernel::{connect, explain, KernelAccess};
use super::{Io, EXIT_REFUSED};
use crate::live::IpvsBackend;
use crate::plan::{build_plan, differences, format_op};
use lvslab_sim::admin::export::{scenario_from_table, ImportedTable};
use lvslab_sim::admin::ipvsadm::execute_with_stdin;
use lvslab_sim::admin::{IpvsOp, LvsConfig};
use lvslab_sim::scenario::Scenario;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportSource {
    /// The kernel's table, over netlink.
    Live,
    /// A file in `ipvsadm -S` format (what `ipvsadm -R` reads).
    IpvsadmSave,
    /// A keepalived.conf (not available in this build).
    Keepalived,
}

impl std::str::FromStr for ImportSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "live" => Ok(ImportSource::Live),
            "ipvsadm-save" | "ipvsadm" => Ok(ImportSource::IpvsadmSave),
            "keepalived" => Ok(ImportSource::Keepalived),
            o => Err(format!(
                "unknown import source `{o}` (one of: live, ipvsadm-save, keepalived)"
            )),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ImportArgs {
    pub from: ImportSource,
    /// The input file (`-` for standard input) for ipvsadm-save and keepalived.
    pub file: Option<String>,
    /// Where to write the scenario (default: standard output).
    pub output: Option<String>,
    /// Scenario name (default: "imported").
    pub name: Option<String>,
}

/// Reads an `ipvsadm -S` file into a table, line by line with ipvsadm's own semantics
/// (as `ipvsadm -R` would). The error names the line.
pub fn table_from_save(text: &str, file: &str) -> Result<(LvsConfig, String), String> {
    let mut table = LvsConfig::default();
    let mut rules = String::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let out = execute_with_stdin(l, "", &mut table);
        if out.exit_code != 0 {
            return Err(format!(
                "{file}:{}: `{l}`: {}",
                i + 1,
                out.stderr.trim().trim_start_matches("ipvsadm: ")
            ));
        }
        rules.push_str(l);
        rules.push('\n');
    }
    Ok((table, rules))
}

/// ipvsadm lines that rebuild `table` from an empty one, keeping each service's kernel
/// list order (real servers are added oldest first) and the thresholds that `ipvsadm -S`
/// leaves out. Sync daemons are not included.
pub fn rules_for_table(table: &LvsConfig) -> String {
    build_plan(table)
        .ops
        .iter()
        .filter(|op| !matches!(op, IpvsOp::StartDaemon(_) | IpvsOp::SetTimeouts(_)))
        .map(|op| format!("{}\n", format_op(op)))
        .collect()
}

pub fn import(
    args: &ImportArgs,
    backend: Option<&mut dyn IpvsBackend>,
    io: &mut Io,
) -> std::io::Result<i32> {
    let name = args.name.clone().unwrap_or_else(|| "imported".into());
    let (table, rules, origin) = match args.from {
        ImportSource::Keepalived => {
            let Some(file) = &args.file else {
                writeln!(io.err, "lvslab: --from keepalived needs the keepalived.conf to read (`-` for standard input)")?;
                return Ok(EXIT_REFUSED);
            };
            let text = if file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
            } else {
                std::fs::read_to_string(file)
            };
            let text = match text {
                Ok(t) => t,
                Err(e) => {
                    writeln!(io.err, "lvslab: cannot read {file}: {e}")?;
                    return Ok(EXIT_REFUSED);
                }
            };
            let cfg = match lvslab_sim::admin::keepalived::parse(&text) {
                Ok(c) => c,
                Err(e) => {
                    writeln!(io.err, "lvslab: {file}:{}: {}", e.line, e.message)?;
                    return Ok(EXIT_REFUSED);
                }
            };
            if !cfg.instances.is_empty() {
                writeln!(
                    io.err,
                    "note: {} vrrp_instance(s) are not imported: the scenario holds the IPVS table keepalived programs at start-up",
                    cfg.instances.len()
                )?;
            }
            let table = match lvslab_sim::admin::keepalived::lvs::initial_table(&cfg) {
                Ok(t) => t,
                Err(e) => {
                    writeln!(io.err, "lvslab: {file}: the virtual_server sections do not make a valid IPVS table: {e}")?;
                    return Ok(EXIT_REFUSED);
                }
            };
            let rules = rules_for_table(&table);
            (table, rules, format!("the keepalived configuration {file}"))
        }
        ImportSource::IpvsadmSave => {
            let Some(file) = &args.file else {
                writeln!(
                    io.err,
                    "lvslab: --from ipvsadm-save needs the file to read (`-` for standard input)"
                )?;
                return Ok(EXIT_REFUSED);
            };
            let text = if file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map(|_| s)
            } else {
                std::fs::read_to_string(file)
            };
            let text = match text {
                Ok(t) => t,
                Err(e) => {
                    writeln!(io.err, "lvslab: cannot read {file}: {e}")?;
                    return Ok(EXIT_REFUSED);
                }
            };
            match table_from_save(&text, file) {
                Ok((t, r)) => (t, r, format!("the ipvsadm-save file {file}")),
                Err(e) => {
                    writeln!(io.err, "lvslab: {e}")?;
                    return Ok(EXIT_REFUSED);
                }
            }
        }
        ImportSource::Live => {
            if let Some(f) = &args.file {
                writeln!(
                    io.err,
                    "lvslab: --from live reads the kernel's table; `{f}` is not used (did you mean --from ipvsadm-save {f}?)"
                )?;
                return Ok(EXIT_REFUSED);
            }
            let mut notes = Vec::new();
            let mut kernel;
            let source: &mut dyn IpvsBackend = match backend {
                Some(b) => b,
                None => match connect(false, &mut notes) {
                    KernelAccess::Ready(n) => {
                        kernel = n;
                        &mut kernel
                    }
                    KernelAccess::Unavailable(why) => {
                        writeln!(io.err, "lvslab: cannot read the live IPVS table: {why}")?;
                        return Ok(EXIT_REFUSED);
                    }
                },
            };
            let table = match source.read() {
                Ok(t) => t,
                Err(e) => {
                    writeln!(
                        io.err,
                        "lvslab: cannot read the live IPVS table: {}",
                        explain(&e)
                    )?;
                    return Ok(EXIT_REFUSED);
                }
            };
            if !table.daemons.is_empty() {
                writeln!(
                    io.err,
                    "note: {} sync daemon(s) are running; the scenario does not include them",
                    table.daemons.len()
                )?;
            }
            let rules = rules_for_table(&table);
            (table, rules, "the live IPVS table".to_string())
        }
    };

    let text = scenario_from_table(&ImportedTable {
        name: &name,
        origin: &origin,
        table: &table,
        rules: &rules,
    });
    // The scenario must give back exactly the imported table.
    let file_name = args
        .output
        .clone()
        .unwrap_or_else(|| format!("{name}.toml"));
    if let Err(e) = verify(&file_name, &text, &table) {
        writeln!(
            io.err,
            "lvslab: the imported scenario does not reproduce the table: {e}"
        )?;
        return Ok(EXIT_REFUSED);
    }
    let services = table.services.len();
    let dests: usize = table.services.iter().map(|s| s.dests.len()).sum();
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                writeln!(io.err, "lvslab: cannot write {path}: {e}")?;
                return Ok(EXIT_REFUSED);
            }
            writeln!(
                io.err,
                "wrote {path}: {services} service(s), {dests} real server(s); the topology around them is a placeholder (see the comments at the top)"
            )?;
        }
        None => io.out.write_all(text.as_bytes())?,
    }
    Ok(0)
}

fn verify(file: &str, text: &str, table: &LvsConfig) -> Result<(), String> {
    let sc = Scenario::parse(file, text).map_err(|d| render(&d))?;
    let tables = sc.director_tables().map_err(|d| render(&d))?;
    let got = tables
        .first()
        .map(|t| &t.config)
        .ok_or("no director in the generated scenario")?;
    let want = LvsConfig {
        daemons: Vec::new(),
        ..table.clone()
    };
    let d = differences(got, &want, true, true);
    if d.is_empty() {
        Ok(())
    } else {
        Err(d.join("; "))
    }
}

fn render(d: &[lvslab_sim::scenario::diag::Diagnostic]) -> String {
    d.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}
