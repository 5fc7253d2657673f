//! Reading scenario files from disk and printing diagnostics.

use lvslab_sim::scenario::diag::{Diagnostic, Severity};
use lvslab_sim::scenario::Scenario;
use std::path::Path;

/// Why a scenario could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{}", render(.0))]
    Invalid(Vec<Diagnostic>),
}

fn render(d: &[Diagnostic]) -> String {
    let errors = d.iter().filter(|x| x.severity == Severity::Error).count();
    let mut s: Vec<String> = d.iter().map(|x| x.to_string()).collect();
    s.push(format!("{errors} error(s): the scenario was not run"));
    s.join("\n")
}

/// Loads a scenario by path, or by the name of a bundled scenario.
pub fn load(path: &str) -> Result<Scenario, ScenarioError> {
    let p = Path::new(path);
    let (name, text) = if p.exists() {
        let text = std::fs::read_to_string(p).map_err(|e| ScenarioError::Read {
            path: path.into(),
            source: e,
        })?;
        (path.to_string(), text)
    } else if let Some(b) = lvslab_sim::bundled::find(path) {
        (format!("scenarios/{}.toml", b.name), b.text.to_string())
    } else {
        return Err(ScenarioError::Read {
            path: path.into(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file, and no bundled scenario of that name (see `lvslab list`)",
            ),
        });
    };
    let mut sc = Scenario::parse(&name, &text).map_err(ScenarioError::Invalid)?;
    if sc.spec.workloads.iter().any(|w| w.capture.is_some()) {
        let dir = if p.exists() {
            p.parent().map(Path::to_path_buf).unwrap_or_default()
        } else {
            std::path::PathBuf::new()
        };
        crate::capture::resolve_captures(&mut sc, &dir).map_err(|message| {
            ScenarioError::Invalid(vec![Diagnostic {
                severity: Severity::Error,
                file: name.clone(),
                line: 0,
                col: 0,
                path: "workload.capture".into(),
                message,
                hint: Some(
                    "capture files are pcap or pcapng, relative to the scenario file".into(),
                ),
            }])
        })?;
    }
    Ok(sc)
}
