//! `lvslab lesson list` and `lvslab lesson check`: the bundled lessons, and each lesson's
//! walkthrough run headless with every check's result.

use anyhow::{anyhow, Result};
use lvslab_i18n::Catalog;
use lvslab_sim::lesson::runner::{check_walkthrough, LessonReport, Phase};
use lvslab_sim::lesson::{self, Lang, Lesson};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a lesson's scenario is found: beside the lesson (`../scenarios/NAME.toml` from its
/// folder) when that file exists, else among the bundled scenarios.
fn scenario_source(dir: Option<PathBuf>) -> impl Fn(&str) -> Option<String> {
    move |name: &str| {
        if let Some(d) = &dir {
            for cand in [
                d.join("../scenarios").join(format!("{name}.toml")),
                d.join(format!("{name}.toml")),
            ] {
                if let Ok(t) = std::fs::read_to_string(&cand) {
                    return Some(t);
                }
            }
        }
        if Path::new(name).is_file() {
            return std::fs::read_to_string(name).ok();
        }
        lesson::bundled_scenario(name)
    }
}

/// Loads one lesson: a file, or a bundled lesson's id. Errors are located diagnostics.
pub fn load(arg: &str) -> Result<Lesson> {
    let p = Path::new(arg);
    if p.is_file() {
        let text = std::fs::read_to_string(p).map_err(|e| anyhow!("cannot read {arg}: {e}"))?;
        let src = scenario_source(p.parent().map(Path::to_path_buf));
        return lesson::load(arg, &text, &src).map_err(diag_error);
    }
    let b = lvslab_sim::bundled::find_lesson(arg).ok_or_else(|| {
        anyhow!("no lesson file {arg}, and no bundled lesson of that id (see `lvslab lesson list`)")
    })?;
    lesson::load(
        &format!("lessons/{}.toml", b.name),
        b.text,
        &lesson::bundled_scenario,
    )
    .map_err(diag_error)
}

fn diag_error(d: Vec<lvslab_sim::scenario::diag::Diagnostic>) -> anyhow::Error {
    let mut s: Vec<String> = d.iter().map(|x| x.to_string()).collect();
    s.push(format!("{} error(s): the lesson was not loaded", d.len()));
    anyhow!(s.join("\n"))
}

/// `lvslab lesson list`.
pub fn list(lang: Lang) -> Result<i32> {
    let mut out = std::io::stdout().lock();
    let mut lessons: Vec<Lesson> = Vec::new();
    for b in lvslab_sim::bundled::LESSONS {
        lessons.push(
            lesson::load(
                &format!("lessons/{}.toml", b.name),
                b.text,
                &lesson::bundled_scenario,
            )
            .map_err(diag_error)?,
        );
    }
    lessons.sort_by_key(|l| (l.order, l.id.clone()));
    for l in &lessons {
        writeln!(
            out,
            "{:>3}  {:<18} {:<22} {}",
            l.order,
            l.id,
            l.scenario,
            l.title.get(lang)
        )?;
    }
    Ok(0)
}

/// What `lvslab lesson check` looks at: files, folders of lesson files, bundled ids, or
/// every bundled lesson.
pub fn check(targets: &[String], all: bool, lang: Lang, out: &mut dyn Write) -> Result<i32> {
    let mut names: Vec<String> = Vec::new();
    if all {
        names.extend(
            lvslab_sim::bundled::LESSONS
                .iter()
                .map(|b| b.name.to_string()),
        );
    }
    for t in targets {
        let p = Path::new(t);
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| anyhow!("cannot read {t}: {e}"))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                .collect();
            files.sort();
            names.extend(files.iter().map(|f| f.display().to_string()));
        } else {
            names.push(t.clone());
        }
    }
    if names.is_empty() {
        return Err(anyhow!(
            "name a lesson (file or id), a folder of lessons, or --all"
        ));
    }
    let cat = Catalog::new();
    let (mut passed, mut failed) = (0, 0);
    for n in &names {
        match load(n) {
            Err(e) => {
                failed += 1;
                writeln!(out, "{n}: {}", cat.tr(lang, "result-fail", &[]))?;
                writeln!(out, "{e}")?;
            }
            Ok(l) => {
                let r = check_walkthrough(&l);
                print_report(&cat, lang, &l, &r, out)?;
                if r.passed() {
                    passed += 1;
                } else {
                    failed += 1;
                }
            }
        }
    }
    let (p, f) = (passed.to_string(), failed.to_string());
    writeln!(
        out,
        "{}",
        cat.tr(lang, "lesson-summary", &[("passed", &p), ("failed", &f)])
    )?;
    Ok(if failed == 0 { 0 } else { 1 })
}

fn print_report(
    cat: &Catalog,
    lang: Lang,
    l: &Lesson,
    r: &LessonReport,
    out: &mut dyn Write,
) -> Result<()> {
    let verdict = |ok: bool| cat.tr(lang, if ok { "result-ok" } else { "result-fail" }, &[]);
    writeln!(
        out,
        "{} {}  {}",
        verdict(r.passed()),
        l.id,
        l.title.get(lang)
    )?;
    if let Some(e) = &r.error {
        writeln!(
            out,
            "  {}",
            cat.tr(lang, "lesson-scenario-error", &[("error", e)])
        )?;
    }
    for s in &r.steps {
        if s.checks.is_empty() && s.error.is_none() {
            continue;
        }
        let n = (s.index + 1).to_string();
        let line = s.line.to_string();
        let t = s.t.to_string();
        let kind = cat.tr(lang, &format!("step-kind-{}", s.kind), &[]);
        writeln!(
            out,
            "  {}",
            cat.tr(
                lang,
                "lesson-step",
                &[("n", &n), ("kind", &kind), ("line", &line), ("t", &t)]
            )
        )?;
        for c in &s.checks {
            let phase = cat.tr(lang, &format!("phase-{}", c.phase.name()), &[]);
            let shown = if c.phase == Phase::Revealed {
                String::new()
            } else {
                format!("[{phase}] ")
            };
            writeln!(
                out,
                "    {:<4} {shown}{}",
                verdict(c.ok),
                cat.msg(lang, &c.outcome.message)
            )?;
        }
        if let Some(e) = &s.error {
            writeln!(
                out,
                "    {}",
                cat.tr(lang, "lesson-step-error", &[("error", e)])
            )?;
        }
    }
    Ok(())
}
