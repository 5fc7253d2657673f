//! `lvslab run` and `lvslab check`.

use crate::scenario_io::{load, ScenarioError};
use anyhow::{Context, Result};
use lvslab_sim::scenario::diag::Severity;
use lvslab_sim::time::parse_duration;
use lvslab_sim::SimTime;
use std::io::Write;

pub struct RunArgs {
    pub scenario: String,
    pub seed: Option<u64>,
    pub duration: Option<String>,
    pub json: bool,
    pub trace: Option<String>,
    pub pcap: Option<String>,
    pub segment: Option<String>,
    pub decisions: Option<String>,
    pub quiet: bool,
    pub bulk: bool,
}

pub fn run(a: RunArgs) -> Result<i32> {
    let sc = match load(&a.scenario) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let (mut sim, warnings) = match sc.build(a.seed) {
        Ok(x) => x,
        Err(d) => {
            eprintln!("{}", ScenarioError::Invalid(d));
            return Ok(1);
        }
    };
    if !a.quiet {
        for w in &warnings {
            eprintln!("{w}");
        }
    }
    if let Some(d) = &a.duration {
        match parse_duration(d) {
            Ok(d) => sim.end = SimTime(d.0),
            Err(e) => {
                eprintln!("--duration: {e}");
                return Ok(2);
            }
        }
    }
    if let Some(seg) = &a.segment {
        if !sim.world.segments.iter().any(|s| &s.name == seg) {
            let names: Vec<&str> = sim.world.segments.iter().map(|s| s.name.as_str()).collect();
            eprintln!(
                "--segment: no segment `{seg}` in this scenario (it has: {})",
                names.join(", ")
            );
            return Ok(2);
        }
    }
    if a.bulk {
        if a.trace.is_some() || a.pcap.is_some() {
            eprintln!(
                "--bulk simulates connections, not frames: it cannot write --trace or --pcap"
            );
            return Ok(2);
        }
        if let Err(why) = sim.use_bulk_mode() {
            eprintln!("--bulk: {why}; run it without --bulk (packet by packet)");
            return Ok(2);
        }
    }
    sim.world.trace.enabled = a.trace.is_some();
    sim.world.trace.capture = a.pcap.is_some();
    sim.world.record_decisions = a.decisions.is_some();

    let long = sim.end.as_secs_f64() > 30.0;
    let bar = if long && !a.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        let b = indicatif::ProgressBar::new(sim.end.0 / 1_000_000);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} simulated {pos}/{len} ms [{bar:40}] {per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(b)
    } else {
        None
    };
    sim.run_with_progress(|now, _| {
        if let Some(b) = &bar {
            b.set_position(now.0 / 1_000_000);
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    if let Some(path) = &a.trace {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?,
        );
        for r in &sim.world.trace.records {
            serde_json::to_writer(&mut f, r)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
    }
    if let Some(path) = &a.pcap {
        let bytes = crate::pcap_out::pcap_bytes(&sim, a.segment.as_deref());
        std::fs::write(path, bytes).with_context(|| format!("cannot write {path}"))?;
    }
    if let Some(path) = &a.decisions {
        let mut f = std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {path}"))?,
        );
        for (director, d) in &sim.world.decisions {
            let line = serde_json::json!({
                "t": d.time.as_secs_f64(),
                "director": director,
                "client": d.client.to_string(),
                "cport": d.cport,
                "service": d.service.to_string(),
                "dest": d.dest.map(|(a, p)| lvslab_sim::admin::format_addr_port(&a, p)),
                "reason": d.reason,
            });
            serde_json::to_writer(&mut f, &line)?;
            f.write_all(b"\n")?;
        }
        f.flush()?;
    }
    let report = sim.report();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.to_text());
    }
    Ok(0)
}

pub fn check(path: &str, json: bool) -> Result<i32> {
    let sc = match load(path) {
        Ok(s) => s,
        Err(ScenarioError::Invalid(d)) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&d)?);
            } else {
                for x in &d {
                    eprintln!("{x}");
                }
            }
            return Ok(1);
        }
        Err(e) => {
            eprintln!("{e}");
            return Ok(1);
        }
    };
    let diags = sc.check();
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    if json {
        println!("{}", serde_json::to_string_pretty(&diags)?);
    } else {
        for d in &diags {
            println!("{d}");
        }
        println!("{}: {errors} error(s), {warnings} warning(s)", sc.file_name);
    }
    Ok(if errors > 0 { 1 } else { 0 })
}

pub fn list() -> Result<i32> {
    let mut rows = Vec::new();
    for b in lvslab_sim::bundled::ALL {
        if let Ok(sc) = lvslab_sim::scenario::Scenario::parse(b.name, b.text) {
            rows.push((
                sc.spec.scenario.kind,
                sc.spec.scenario.order,
                b.name,
                sc.spec.scenario.title.clone(),
            ));
        }
    }
    rows.sort();
    for (kind, _, name, title) in rows {
        let kind = match kind {
            lvslab_sim::scenario::format::Kind::Lesson => "lesson",
            lvslab_sim::scenario::format::Kind::Failure => "failure",
            lvslab_sim::scenario::format::Kind::WhatIf => "what-if",
            lvslab_sim::scenario::format::Kind::Ha => "ha",
        };
        println!("{kind:<10} {name:<22} {title}");
    }
    Ok(0)
}
