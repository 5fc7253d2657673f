//! Parameter paths: where a sweep value goes in a scenario's TOML tree.
//!
//! `host[rs1].server.workers` walks the table `host` (an array of tables) to the entry whose
//! `name` is `rs1`, then its `server` entries, then sets `workers`. A selector is an index
//! (`[0]`), every entry (`[*]`), a field test (`[role=real-server]`) or a name (matched
//! against `name`, `address`, `tcp`, `udp`, `target` and `client`). An array with exactly one
//! entry needs no selector. The last key is created when the base does not set it, so the
//! scenario's own schema (which rejects unknown fields) decides whether it is valid.

use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    Index(usize),
    All,
    Field(String, String),
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub key: String,
    pub selectors: Vec<Selector>,
}

/// A parsed scenario path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioPath {
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("`{0}` is not a parameter path: {1}")]
    Syntax(String, String),
    #[error(
        "`{path}`: {at} has {count} entries; select one, e.g. {at}[{example}], {at}[0] or {at}[*]"
    )]
    Ambiguous {
        path: String,
        at: String,
        count: usize,
        example: String,
    },
    #[error("`{path}`: no {what} in the base scenario{hint}")]
    Missing {
        path: String,
        what: String,
        hint: String,
    },
}

impl fmt::Display for ScenarioPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            f.write_str(&s.key)?;
            for sel in &s.selectors {
                match sel {
                    Selector::Index(n) => write!(f, "[{n}]")?,
                    Selector::All => f.write_str("[*]")?,
                    Selector::Field(k, v) => write!(f, "[{k}={v}]")?,
                    Selector::Name(n) => write!(f, "[{n}]")?,
                }
            }
        }
        Ok(())
    }
}

impl ScenarioPath {
    pub fn parse(text: &str) -> Result<ScenarioPath, PathError> {
        let err = |why: &str| PathError::Syntax(text.into(), why.into());
        let mut steps = Vec::new();
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(err("it is empty"));
        }
        loop {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if key.is_empty()
                || !key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(err("each part is a key of letters, digits, `_` or `-`"));
            }
            rest = &rest[end..];
            let mut selectors = Vec::new();
            while let Some(r) = rest.strip_prefix('[') {
                // Selectors may hold dots (addresses), so find the closing bracket first.
                let close = r.find(']').ok_or_else(|| err("a `[` is not closed"))?;
                let inner = r[..close].trim();
                if inner.is_empty() {
                    return Err(err("an empty selector `[]`"));
                }
                selectors.push(if inner == "*" {
                    Selector::All
                } else if let Ok(n) = inner.parse::<usize>() {
                    Selector::Index(n)
                } else if let Some((k, v)) = inner.split_once('=') {
                    Selector::Field(k.trim().into(), v.trim().trim_matches('"').into())
                } else {
                    Selector::Name(inner.trim_matches('"').into())
                });
                rest = &r[close + 1..];
            }
            steps.push(Step {
                key: key.into(),
                selectors,
            });
            if rest.is_empty() {
                break;
            }
            rest = rest
                .strip_prefix('.')
                .ok_or_else(|| err("parts are joined with `.`"))?;
        }
        Ok(ScenarioPath { steps })
    }

    /// Sets `value` at every place the path selects in `root`.
    pub fn set(&self, root: &mut toml::Table, value: &toml::Value) -> Result<usize, PathError> {
        let mut count = 0;
        let path = self.to_string();
        set_in(root, &self.steps, value, &path, String::new(), &mut count)?;
        Ok(count)
    }
}

const NAME_FIELDS: [&str; 6] = ["name", "address", "tcp", "udp", "target", "client"];

fn matches(v: &toml::Value, sel: &Selector, i: usize) -> bool {
    match sel {
        Selector::All => true,
        Selector::Index(n) => *n == i,
        Selector::Field(k, want) => v.get(k.as_str()).is_some_and(|f| value_text(f) == *want),
        Selector::Name(n) => NAME_FIELDS
            .iter()
            .any(|k| v.get(*k).and_then(|f| f.as_str()) == Some(n.as_str())),
    }
}

/// A TOML value as a sweep writes it in columns and labels: strings bare, others as TOML.
pub fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn example_name(items: &[toml::Value]) -> String {
    items
        .first()
        .and_then(|v| NAME_FIELDS.iter().find_map(|k| v.get(*k)?.as_str()))
        .unwrap_or("0")
        .to_string()
}

fn set_in(
    table: &mut toml::Table,
    steps: &[Step],
    value: &toml::Value,
    path: &str,
    at: String,
    count: &mut usize,
) -> Result<(), PathError> {
    let step = &steps[0];
    let here = if at.is_empty() {
        step.key.clone()
    } else {
        format!("{at}.{}", step.key)
    };
    let last = steps.len() == 1;
    if last && step.selectors.is_empty() {
        table.insert(step.key.clone(), value.clone());
        *count += 1;
        return Ok(());
    }
    let Some(item) = table.get_mut(&step.key) else {
        let keys: Vec<&String> = table.keys().collect();
        return Err(PathError::Missing {
            path: path.into(),
            what: format!("`{here}`"),
            hint: if keys.is_empty() {
                String::new()
            } else {
                format!(
                    " (there: {})",
                    keys.iter()
                        .map(|k| k.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
        });
    };
    set_value(item, step, &steps[1..], value, path, here, count)
}

fn set_value(
    item: &mut toml::Value,
    step: &Step,
    rest: &[Step],
    value: &toml::Value,
    path: &str,
    here: String,
    count: &mut usize,
) -> Result<(), PathError> {
    let mut targets: Vec<(String, &mut toml::Value)> = vec![(here, item)];
    for sel in &step.selectors {
        let mut next = Vec::new();
        for (at, t) in targets {
            let toml::Value::Array(items) = t else {
                return Err(PathError::Missing {
                    path: path.into(),
                    what: format!("list at `{at}` to select from"),
                    hint: String::new(),
                });
            };
            let before = next.len();
            for (i, v) in items.iter_mut().enumerate() {
                if matches(v, sel, i) {
                    next.push((format!("{at}[{i}]"), v));
                }
            }
            if next.len() == before {
                return Err(PathError::Missing {
                    path: path.into(),
                    what: format!("entry of `{at}` matches that selector"),
                    hint: String::new(),
                });
            }
        }
        targets = next;
    }
    for (at, t) in targets {
        // An array of tables without a selector: fine when it has one entry.
        let t = match t {
            toml::Value::Array(items) if !rest.is_empty() || step.selectors.is_empty() => {
                if items.len() != 1 || !items[0].is_table() {
                    if items.iter().all(|v| v.is_table()) && !items.is_empty() {
                        return Err(PathError::Ambiguous {
                            path: path.into(),
                            at,
                            count: items.len(),
                            example: example_name(items),
                        });
                    }
                    if rest.is_empty() {
                        *t = value.clone();
                        *count += 1;
                        continue;
                    }
                    return Err(PathError::Missing {
                        path: path.into(),
                        what: format!("table at `{at}`"),
                        hint: String::new(),
                    });
                }
                &mut items[0]
            }
            other => other,
        };
        if rest.is_empty() {
            *t = value.clone();
            *count += 1;
            continue;
        }
        let toml::Value::Table(tab) = t else {
            return Err(PathError::Missing {
                path: path.into(),
                what: format!("table at `{at}`"),
                hint: String::new(),
            });
        };
        set_in(tab, rest, value, path, at, count)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> toml::Table {
        toml::from_str(
            r#"
            [[host]]
            name = "rs1"
            role = "real-server"
            [[host.server]]
            port = 80
            [[host]]
            name = "rs2"
            role = "real-server"
            [[host]]
            name = "ld"
            role = "director"
            [host.ipvs]
            timeouts = [900, 120, 300]
            [[workload]]
            client = "c"
            target = "10.0.0.100:80"
            rate = 10.0
            "#,
        )
        .unwrap()
    }

    fn set(path: &str, v: toml::Value) -> Result<(toml::Table, usize), PathError> {
        let mut t = base();
        let n = ScenarioPath::parse(path)?.set(&mut t, &v)?;
        Ok((t, n))
    }

    #[test]
    fn a_single_entry_needs_no_selector() {
        let (t, n) = set("workload.rate", toml::Value::Float(50.0)).unwrap();
        assert_eq!(n, 1);
        assert_eq!(t["workload"][0]["rate"].as_float(), Some(50.0));
    }

    #[test]
    fn names_fields_and_stars_select() {
        let (t, n) = set("host[rs1].server.workers", toml::Value::Integer(4)).unwrap();
        assert_eq!(n, 1);
        assert_eq!(t["host"][0]["server"][0]["workers"].as_integer(), Some(4));
        let (t, n) = set("host[role=real-server].time_wait", "10s".into()).unwrap();
        assert_eq!(n, 2);
        assert!(t["host"][2].get("time_wait").is_none());
        let (_, n) = set("host[*].time_wait", "10s".into()).unwrap();
        assert_eq!(n, 3);
        let (t, _) = set("host[ld].ipvs.timeouts[1]", toml::Value::Integer(10)).unwrap();
        assert_eq!(t["host"][2]["ipvs"]["timeouts"][1].as_integer(), Some(10));
    }

    #[test]
    fn ambiguous_and_missing_paths_say_what_to_write() {
        let e = set("host.time_wait", "1s".into()).unwrap_err();
        assert!(e.to_string().contains("host[rs1]"), "{e}");
        let e = set("host[rs9].time_wait", "1s".into()).unwrap_err();
        assert!(e.to_string().contains("matches"), "{e}");
        let e = set("hosts[0].x", "1s".into()).unwrap_err();
        assert!(e.to_string().contains("there: host, workload"), "{e}");
        assert!(ScenarioPath::parse("host[.x").is_err());
        assert!(ScenarioPath::parse("a..b").is_err());
        assert!(ScenarioPath::parse("").is_err());
    }

    #[test]
    fn selectors_may_hold_addresses() {
        let p = ScenarioPath::parse("ipvs.weight[10.0.0.11:80]").unwrap();
        assert_eq!(p.steps.len(), 2);
        assert_eq!(
            p.steps[1].selectors,
            vec![Selector::Name("10.0.0.11:80".into())]
        );
        assert_eq!(p.to_string(), "ipvs.weight[10.0.0.11:80]");
    }
}
