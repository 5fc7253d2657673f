//! `lvslab sweep`: run a parameter sweep on every core, write the tidy CSV, the JSON
//! document, the knee table and the charts; `--shard I/N` runs a deterministic slice and
//! `lvslab sweep merge` joins slices into the same bytes a single run writes.

use crate::scenario_io::{load, ScenarioError};
use anyhow::{Context, Result};
use lvslab_sim::sweep::file::{
    KneeFile, ModeChoice, ParamFile, RangeFile, Scale, SweepFile, SweepMeta,
};
use lvslab_sim::sweep::result::SweepResult;
use lvslab_sim::sweep::{PointError, Sweep};
use rayon::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub struct SweepArgs {
    /// The sweep file (None: a quick sweep from --base and --param).
    pub file: Option<String>,
    pub base: Option<String>,
    pub params: Vec<String>,
    pub repetitions: Option<u32>,
    pub slo: Vec<String>,
    pub knee: Option<String>,
    pub mode: Option<ModeChoice>,
    pub out: Option<String>,
    pub jobs: Option<usize>,
    pub shard: Option<String>,
    pub quiet: bool,
}

/// Parses `I/N` (0-based I below N).
pub fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or_else(|| {
        format!("--shard `{s}`: write I/N, e.g. 0/3 (shards are numbered from 0)")
    })?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("--shard `{s}`: I is not a number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("--shard `{s}`: N is not a number"))?;
    if n == 0 || i >= n {
        return Err(format!("--shard `{s}`: need 0 <= I < N"));
    }
    Ok((i, n))
}

/// One `--param PATH=VALUES`: a comma list of TOML values (`100,200`, `rr,wlc`, `"1s","5s"`)
/// or a range `FROM..TO:STEP` (or `FROM..TO/POINTS`).
pub fn parse_quick_param(s: &str) -> Result<ParamFile, String> {
    let (path, vals) = s.split_once('=').ok_or_else(|| {
        format!("--param `{s}`: write PATH=VALUES, e.g. workload.rate=100,200,400")
    })?;
    let path = path.trim().to_string();
    let vals = vals.trim();
    if let Some((from, rest)) = vals.split_once("..") {
        let (to, step, points) = if let Some((to, step)) = rest.split_once(':') {
            (to, Some(step), None)
        } else if let Some((to, pts)) = rest.split_once('/') {
            (to, None, Some(pts))
        } else {
            return Err(format!(
                "--param `{s}`: a range is FROM..TO:STEP or FROM..TO/POINTS"
            ));
        };
        let num = |t: &str| -> Result<f64, String> {
            t.trim()
                .parse()
                .map_err(|_| format!("--param `{s}`: `{t}` is not a number"))
        };
        return Ok(ParamFile {
            name: None,
            path,
            values: None,
            range: Some(RangeFile {
                from: num(from)?,
                to: num(to)?,
                step: step.map(num).transpose()?,
                points: points
                    .map(|p| {
                        p.trim()
                            .parse::<u32>()
                            .map_err(|_| format!("--param `{s}`: `{p}` is not a count"))
                    })
                    .transpose()?,
                scale: Scale::Linear,
            }),
            template: None,
        });
    }
    let values = vals
        .split(',')
        .map(|v| {
            let v = v.trim();
            toml::from_str::<toml::Table>(&format!("v = {v}"))
                .ok()
                .and_then(|t| t.get("v").cloned())
                .unwrap_or_else(|| toml::Value::String(v.to_string()))
        })
        .collect();
    Ok(ParamFile {
        name: None,
        path,
        values: Some(values),
        range: None,
        template: None,
    })
}

/// Reads the sweep file (or builds one from the flags) and its base scenario.
fn load_sweep(a: &SweepArgs) -> Result<Result<(Sweep, String), String>> {
    let (file, dir, label) = match &a.file {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("cannot read {path}"))?;
            let f = match SweepFile::parse(path, &text) {
                Ok(f) => f,
                Err(d) => {
                    return Ok(Err(d
                        .iter()
                        .map(|x| x.to_string())
                        .collect::<Vec<_>>()
                        .join("\n")))
                }
            };
            let dir = Path::new(path)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            (f, dir, path.clone())
        }
        None => {
            let Some(base) = &a.base else {
                return Ok(Err(
                    "give a sweep file, or --base SCENARIO with --param PATH=VALUES".into(),
                ));
            };
            let mut params = Vec::new();
            for p in &a.params {
                match parse_quick_param(p) {
                    Ok(p) => params.push(p),
                    Err(e) => return Ok(Err(e)),
                }
            }
            if params.is_empty() {
                return Ok(Err(
                    "a quick sweep needs at least one --param PATH=VALUES".into()
                ));
            }
            let f = SweepFile {
                sweep: SweepMeta {
                    name: format!("{base} sweep"),
                    base: base.clone(),
                    repetitions: 1,
                    seed: None,
                    duration: None,
                    mode: ModeChoice::Auto,
                    x: None,
                },
                slo: Vec::new(),
                params,
                knee: None,
            };
            (f, PathBuf::new(), "the command line".to_string())
        }
    };
    let mut file = file;
    if let Some(r) = a.repetitions {
        file.sweep.repetitions = r;
    }
    if !a.slo.is_empty() {
        file.slo = a.slo.clone();
    }
    if let Some(k) = &a.knee {
        file.knee = Some(KneeFile {
            param: k.clone(),
            low: None,
            high: None,
            precision: None,
        });
    }
    if let Some(m) = a.mode {
        file.sweep.mode = m;
    }
    // The base: relative to the sweep file, else a bundled scenario's name.
    let rel = dir.join(&file.sweep.base);
    let base_ref = if rel.exists() {
        rel.to_string_lossy().into_owned()
    } else {
        file.sweep.base.clone()
    };
    let base = match load(&base_ref) {
        Ok(b) => b,
        Err(e @ ScenarioError::Read { .. }) => {
            return Ok(Err(format!(
                "{label}: sweep.base `{}`: {e}",
                file.sweep.base
            )))
        }
        Err(e) => return Ok(Err(e.to_string())),
    };
    Ok(Sweep::new(&file, base)
        .map(|s| (s, label.clone()))
        .map_err(|e| format!("{label}: {e}")))
}

fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() {
        "sweep".into()
    } else {
        s
    }
}

fn bar(len: u64, quiet: bool, what: &str) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{pos}}/{{len}} [{{bar:40}}] {{per_sec}} eta {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

/// Set by Ctrl-C: points not yet started are skipped, finished rows are kept.
fn interrupt_flag() -> Arc<AtomicBool> {
    static FLAG: std::sync::OnceLock<Arc<AtomicBool>> = std::sync::OnceLock::new();
    FLAG.get_or_init(|| {
        let f = Arc::new(AtomicBool::new(false));
        let g = f.clone();
        let _ = ctrlc::set_handler(move || {
            if g.swap(true, Ordering::SeqCst) {
                // A second Ctrl-C: stop now.
                std::process::exit(130);
            }
            eprintln!("\ninterrupted: finishing the runs in progress, then writing the rows done so far (Ctrl-C again to stop at once)");
        });
        f
    })
    .clone()
}

/// Runs `work` on every item in parallel, in item order, with a progress bar; items not yet
/// started when `stop` is set come back as None.
fn run_all<T: Sync, R: Send>(
    items: &[T],
    quiet: bool,
    what: &str,
    stop: &AtomicBool,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<Option<R>> {
    let pb = bar(items.len() as u64, quiet, what);
    let out = items
        .par_iter()
        .map(|item| {
            if stop.load(Ordering::SeqCst) {
                return None;
            }
            let r = work(item);
            if let Some(b) = &pb {
                b.inc(1);
            }
            Some(r)
        })
        .collect();
    if let Some(b) = pb {
        b.finish_and_clear();
    }
    out
}

/// Runs the points and knee searches of a sweep (or of one shard).
pub fn execute(
    sweep: &Sweep,
    shard: Option<(usize, usize)>,
    quiet: bool,
    stop: &AtomicBool,
) -> (SweepResult, Vec<PointError>) {
    let points = match shard {
        Some((i, n)) => sweep.shard(i, n),
        None => sweep.points(),
    };
    let results = run_all(&points, quiet, "runs", stop, |p| sweep.run_point(p));
    let mut out = sweep.result(shard);
    let mut errors = Vec::new();
    for r in results {
        match r {
            Some(Ok(row)) => out.rows.push(row),
            Some(Err(e)) => errors.push(e),
            None => out.interrupted = true,
        }
    }
    let jobs = match shard {
        Some((i, n)) => sweep.shard_knee_jobs(i, n),
        None => sweep.knee_jobs(),
    };
    if !jobs.is_empty() && !out.interrupted {
        let knees = run_all(&jobs, quiet, "knee searches", stop, |j| {
            sweep.search_knee(j)
        });
        for k in knees {
            match k {
                Some(Ok(k)) => out.knees.push(k),
                Some(Err(e)) => errors.push(e),
                None => out.interrupted = true,
            }
        }
    }
    (out, errors)
}

/// Writes rows.csv, sweep.json, knee.csv and the charts into `dir`.
pub fn write_outputs(result: &SweepResult, dir: &Path, charts: bool) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = dir.join(name);
        std::fs::write(&p, bytes).with_context(|| format!("cannot write {}", p.display()))?;
        written.push(p);
        Ok(())
    };
    put("rows.csv", result.csv().as_bytes())?;
    let mut json = serde_json::to_string_pretty(result)?;
    json.push('\n');
    put("sweep.json", json.as_bytes())?;
    if !result.knees.is_empty() {
        put("knee.csv", result.knee_csv().as_bytes())?;
    }
    if charts && !result.rows.is_empty() {
        let c = crate::sweep_plot::write_charts(result, dir)?;
        written.extend(c.written);
        if let Some(why) = c.png_skipped {
            eprintln!("{why}");
        }
    }
    Ok(written)
}

fn summary(result: &SweepResult, secs: f64, dir: &Path) -> String {
    let bulk = result
        .rows
        .iter()
        .filter(|r| r.mode == lvslab_sim::sweep::result::RunMode::Bulk)
        .count();
    let packet = result.rows.len() - bulk;
    let mut s = format!(
        "{}: {} of {} runs{} in {:.1} s ({} bulk, {} packet by packet); results in {}\n",
        result.name,
        result.rows.len(),
        match result.shard {
            Some((i, n)) => format!("{} (shard {i}/{n})", result.total_points),
            None => result.total_points.to_string(),
        },
        if result.interrupted {
            " (interrupted)"
        } else {
            ""
        },
        secs,
        bulk,
        packet,
        dir.display()
    );
    let mut notes: Vec<&str> = result
        .rows
        .iter()
        .filter(|r| !r.mode_note.is_empty())
        .map(|r| r.mode_note.as_str())
        .collect();
    notes.sort();
    notes.dedup();
    for n in notes.iter().take(5) {
        s.push_str(&format!("  packet by packet: {n}\n"));
    }
    if !result.knees.is_empty() {
        s.push('\n');
        s.push_str(&result.knee_table());
    }
    s
}

pub fn run(a: SweepArgs) -> Result<i32> {
    let (sweep, _label) = match load_sweep(&a)? {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    let shard = match a.shard.as_deref().map(parse_shard).transpose() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    let dir = PathBuf::from(a.out.clone().unwrap_or_else(|| match shard {
        Some((i, n)) => format!("sweep-{}-shard-{i}-of-{n}", slug(&sweep.name)),
        None => format!("sweep-{}", slug(&sweep.name)),
    }));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.jobs.unwrap_or(0))
        .build()
        .context("cannot start the worker threads")?;
    let stop = interrupt_flag();
    let t0 = Instant::now();
    let (result, errors) = pool.install(|| execute(&sweep, shard, a.quiet, &stop));
    let secs = t0.elapsed().as_secs_f64();
    // Shards write data only: charts come from the merged whole.
    write_outputs(&result, &dir, shard.is_none())?;
    print!("{}", summary(&result, secs, &dir));
    for e in errors.iter().take(10) {
        eprintln!("{e}");
    }
    if errors.len() > 10 {
        eprintln!("... and {} more failed runs", errors.len() - 10);
    }
    Ok(if result.interrupted {
        130
    } else if errors.is_empty() {
        0
    } else {
        1
    })
}

/// `lvslab sweep merge DIR... --out DIR`.
pub fn merge(dirs: &[String], out: &str) -> Result<i32> {
    let mut parts = Vec::new();
    for d in dirs {
        let p = Path::new(d).join("sweep.json");
        let text = match std::fs::read_to_string(&p) {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "cannot read {}: {e} (give the folders `lvslab sweep --shard` wrote)",
                    p.display()
                );
                return Ok(2);
            }
        };
        match serde_json::from_str::<SweepResult>(&text) {
            Ok(r) => parts.push(r),
            Err(e) => {
                eprintln!("{}: not a sweep result: {e}", p.display());
                return Ok(2);
            }
        }
    }
    let merged = match SweepResult::merge(parts) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("cannot merge: {e}");
            return Ok(2);
        }
    };
    let dir = PathBuf::from(out);
    write_outputs(&merged, &dir, true)?;
    print!(
        "{}",
        summary(&merged, 0.0, &dir).replacen(" in 0.0 s", "", 1)
    );
    Ok(if merged.interrupted { 130 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_params_and_shards_parse() {
        let p = parse_quick_param("workload.rate=100,200").unwrap();
        assert_eq!(
            p.values.unwrap(),
            vec![toml::Value::Integer(100), toml::Value::Integer(200)]
        );
        let p = parse_quick_param("ipvs.scheduler=rr,wlc").unwrap();
        assert_eq!(p.values.unwrap()[1], toml::Value::String("wlc".into()));
        let p = parse_quick_param("workload.rate=100..500:100").unwrap();
        assert_eq!(p.range.unwrap().step, Some(100.0));
        assert!(parse_quick_param("workload.rate").is_err());
        assert!(parse_quick_param("workload.rate=1..x:1").is_err());
        assert_eq!(parse_shard("1/3"), Ok((1, 3)));
        assert!(parse_shard("3/3").is_err());
        assert!(parse_shard("x").is_err());
        assert_eq!(slug("capacity: rate x sched"), "capacity-rate-x-sched");
    }
}
