//! Texts in two languages, and the inline references inside them (`[words](node:router)`).

use serde::Serialize;
use std::fmt;

/// The languages every lesson and the whole interface are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub enum Lang {
    #[default]
    En,
    ZhCn,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::ZhCn];

    /// The BCP 47 tag (`en`, `zh-CN`), as in URLs and `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// Accepts `en`, `zh-CN` and the usual spellings of them (`zh`, `zh-cn`, `zh_CN`).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "zh-hans-cn" => Some(Lang::ZhCn),
            _ => None,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text present in both languages (validation guarantees it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LText {
    pub en: String,
    pub zh: String,
}

impl LText {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::ZhCn => &self.zh,
        }
    }
}

/// What an inline reference points at; the lab highlights it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Ref {
    Node { host: String },
    Link { host: String, iface: String },
    Field { name: String },
    Arp { host: String, ip: String },
    Ipvs { director: String, server: String },
    Vrrp { host: String, instance: String },
}

impl Ref {
    /// Parses the part in parentheses: `node:rs1`, `link:router/eth1`, `field:ip.dst`, ...
    pub fn parse(s: &str) -> Result<Ref, String> {
        let (scheme, rest) = s
            .split_once(':')
            .ok_or_else(|| format!("reference `{s}` has no kind (write e.g. `node:rs1`)"))?;
        let two = |what: &str| -> Result<(String, String), String> {
            rest.split_once('/')
                .filter(|(a, b)| !a.is_empty() && !b.is_empty())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| format!("reference `{s}`: write `{scheme}:{what}`"))
        };
        if rest.is_empty() {
            return Err(format!("reference `{s}` names nothing after `{scheme}:`"));
        }
        Ok(match scheme {
            "node" => Ref::Node { host: rest.into() },
            "field" => Ref::Field { name: rest.into() },
            "link" => {
                let (host, iface) = two("HOST/IFACE")?;
                Ref::Link { host, iface }
            }
            "arp" => {
                let (host, ip) = two("HOST/IP")?;
                Ref::Arp { host, ip }
            }
            "ipvs" => {
                let (director, server) = two("DIRECTOR/RIP:PORT")?;
                Ref::Ipvs { director, server }
            }
            "vrrp" => {
                let (host, instance) = two("HOST/INSTANCE")?;
                Ref::Vrrp { host, instance }
            }
            other => {
                return Err(format!(
                    "reference kind `{other}` is unknown (node, link, field, arp, ipvs, vrrp)"
                ))
            }
        })
    }
}

/// A piece of a text: plain words or words that reference something.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Span {
    Text(String),
    Ref { words: String, target: Ref },
}

/// Splits a text into plain and referencing spans. `[words](kind:...)` is a reference; any
/// other bracket is plain text. Errors name the bad reference.
pub fn spans(text: &str) -> Result<Vec<Span>, String> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let parsed = after.find("](").and_then(|close| {
            let words = &after[..close];
            let tail = &after[close + 2..];
            let end = tail.find(')')?;
            (!words.contains('[') && !words.contains('\n'))
                .then(|| (words, &tail[..end], &tail[end + 1..]))
        });
        match parsed {
            Some((words, target, remaining)) if target.contains(':') => {
                plain.push_str(&rest[..open]);
                if !plain.is_empty() {
                    out.push(Span::Text(std::mem::take(&mut plain)));
                }
                out.push(Span::Ref {
                    words: words.to_string(),
                    target: Ref::parse(target)?,
                });
                rest = remaining;
            }
            _ => {
                plain.push_str(&rest[..open + 1]);
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        out.push(Span::Text(plain));
    }
    Ok(out)
}

/// The text with references reduced to their words (for terminals and screen readers).
pub fn plain(text: &str) -> String {
    match spans(text) {
        Ok(sp) => sp
            .into_iter()
            .map(|s| match s {
                Span::Text(t) => t,
                Span::Ref { words, .. } => words,
            })
            .collect(),
        Err(_) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references_from_text() {
        let s =
            spans("The [router](node:router) asks for [10.0.0.10](arp:router/10.0.0.10).").unwrap();
        assert_eq!(
            s,
            vec![
                Span::Text("The ".into()),
                Span::Ref {
                    words: "router".into(),
                    target: Ref::Node {
                        host: "router".into()
                    }
                },
                Span::Text(" asks for ".into()),
                Span::Ref {
                    words: "10.0.0.10".into(),
                    target: Ref::Arp {
                        host: "router".into(),
                        ip: "10.0.0.10".into()
                    }
                },
                Span::Text(".".into()),
            ]
        );
        assert_eq!(
            plain("see [eth1](link:director/eth1) [x] (y)"),
            "see eth1 [x] (y)"
        );
    }

    #[test]
    fn bad_references_are_named() {
        assert!(spans("[a](nod:rs1)").unwrap_err().contains("nod"));
        assert!(spans("[a](link:rs1)").unwrap_err().contains("HOST/IFACE"));
        assert_eq!(Lang::parse("zh_cn"), Some(Lang::ZhCn));
        assert_eq!(Lang::parse("fr"), None);
    }
}
