//! Diagnostics with locations: file, line, column, the field path, what is wrong and what
//! to do about it.

use serde::Serialize;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub file: String,
    /// 1-based; 0 when unknown.
    pub line: usize,
    pub col: usize,
    /// Field path such as `host[2].iface[0].addrs[1]`.
    pub path: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        if self.line > 0 {
            write!(f, "{}:{}:{}: {sev}", self.file, self.line, self.col)?;
        } else {
            write!(f, "{}: {sev}", self.file)?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map(|i| before[i + 1..].chars().count())
        .unwrap_or(before.chars().count())
        + 1;
    (line, col)
}

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub fn path_string(p: &[Seg]) -> String {
    let mut s = String::new();
    for seg in p {
        match seg {
            Seg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Finds the byte span of a field in the document (the deepest part of the path that exists).
pub fn locate(doc: &toml_edit::Document<&str>, path: &[Seg]) -> Option<std::ops::Range<usize>> {
    let mut item: &toml_edit::Item = doc.as_item();
    let mut best = None;
    for seg in path {
        let next = match seg {
            Seg::Key(k) => item.get(k.as_str()),
            Seg::Index(i) => item.get(*i),
        };
        match next {
            Some(n) => {
                item = n;
                if let Some(sp) = n.span() {
                    best = Some(sp);
                } else if let Some(t) = n.as_table() {
                    if let Some(sp) = t.span() {
                        best = Some(sp);
                    }
                }
            }
            None => break,
        }
    }
    best
}

/// Parses TOML text into `T` (unknown fields rejected by `T`'s serde attributes). A syntax or
/// type error comes back as one located diagnostic with a hint; `doc` names the format's
/// documentation in the hint for unknown fields.
pub fn parse_toml<T: serde::de::DeserializeOwned>(
    file: &str,
    text: &str,
    doc: &str,
) -> Result<T, Vec<Diagnostic>> {
    let de = match toml::Deserializer::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            return Err(vec![Diagnostic {
                severity: Severity::Error,
                file: file.into(),
                line,
                col,
                path: String::new(),
                message: format!("TOML syntax: {}", e.message().trim()),
                hint: Some("check quotes, brackets and `key = value` pairs on that line".into()),
            }]);
        }
    };
    serde_path_to_error::deserialize::<_, T>(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (line, col) = inner
            .span()
            .map(|s| line_col(text, s.start))
            .unwrap_or((0, 0));
        let msg = inner.message().trim().to_string();
        let hint = if msg.contains("unknown field") {
            Some(format!(
                "remove or rename the field; the message lists the accepted ones{doc}"
            ))
        } else if msg.contains("missing field") {
            Some("add the field to this table".into())
        } else if msg.contains("invalid type") {
            Some(
                "write the value with the expected type (strings in quotes, numbers without)"
                    .into(),
            )
        } else {
            None
        };
        vec![Diagnostic {
            severity: Severity::Error,
            file: file.into(),
            line,
            col,
            path: if path == "." { String::new() } else { path },
            message: msg,
            hint,
        }]
    })
}
