//! Share links: the scenario (by name, or its full text when edited) and the seed in the URL
//! fragment, e.g. `#s=dr-lab&seed=7`.

/// What a fragment asks for.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Share {
    pub scenario: Option<String>,
    pub seed: Option<u64>,
    /// Edited scenario text (takes precedence over `scenario`).
    pub toml: Option<String>,
    /// Which view to open ("lab", "compare", "whatif").
    pub view: Option<String>,
    /// A lesson by id, and the step on screen (1-based in the URL).
    pub lesson: Option<String>,
    pub step: Option<usize>,
    /// The interface language (`en`, `zh-CN`).
    pub lang: Option<String>,
    /// Only the lesson and its lab, for an iframe in a course page.
    pub embed: bool,
    /// The clock, simulated milliseconds.
    pub t_ms: Option<u64>,
    /// The changes made in the lab (the driver's input log, packed).
    pub actions: Option<String>,
    /// The what-if settings (packed).
    pub whatif: Option<String>,
}

/// Edited texts longer than this go into the link compressed (`z=`).
pub const COMPRESS_OVER: usize = 160;

/// Deflate + URL-safe base64, for long texts and logs in a link.
pub fn pack(bytes: &[u8]) -> String {
    use base64::Engine;
    let z = miniz_oxide::deflate::compress_to_vec(bytes, 9);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(z)
}

/// The inverse of `pack`; a damaged link is an error, never a panic. Output is bounded so a
/// crafted link cannot exhaust memory.
pub fn unpack(s: &str) -> Result<Vec<u8>, String> {
    use base64::Engine;
    let z = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .map_err(|e| format!("not base64: {e}"))?;
    miniz_oxide::inflate::decompress_to_vec_with_limit(&z, 4 << 20)
        .map_err(|e| format!("cannot decompress: {e:?}"))
}

/// The fragment (with its leading `#`) for a scenario and seed.
pub fn fragment(scenario: &str, seed: u64, edited_text: Option<&str>) -> String {
    fragment_of(&Share {
        scenario: Some(scenario.to_string()),
        seed: Some(seed),
        toml: edited_text.map(String::from),
        ..Share::default()
    })
}

/// The fragment for everything a share link can carry. A lesson link names the lesson
/// (its scenario and seed come with it).
pub fn fragment_of(sh: &Share) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(l) = &sh.lesson {
        parts.push(format!("lesson={}", encode(l)));
        if let Some(n) = sh.step {
            parts.push(format!("step={n}"));
        }
    } else {
        if let Some(s) = &sh.scenario {
            parts.push(format!("s={}", encode(s)));
        }
        if let Some(seed) = sh.seed {
            parts.push(format!("seed={seed}"));
        }
        if let Some(t) = &sh.toml {
            if t.len() > COMPRESS_OVER {
                parts.push(format!("z={}", pack(t.as_bytes())));
            } else {
                parts.push(format!("toml={}", encode(t)));
            }
        }
    }
    if let Some(v) = &sh.view {
        parts.push(format!("view={}", encode(v)));
    }
    if let Some(t) = sh.t_ms {
        parts.push(format!("t={t}"));
    }
    if let Some(a) = &sh.actions {
        parts.push(format!("a={a}"));
    }
    if let Some(w) = &sh.whatif {
        parts.push(format!("wi={w}"));
    }
    if let Some(l) = &sh.lang {
        parts.push(format!("lang={}", encode(l)));
    }
    if sh.embed {
        parts.push("embed".into());
    }
    format!("#{}", parts.join("&"))
}

/// Reads a fragment (with or without `#`). Unknown keys are ignored; a bad value is an error.
pub fn parse_fragment(frag: &str) -> Result<Share, String> {
    let mut out = Share::default();
    let frag = frag.strip_prefix('#').unwrap_or(frag);
    for part in frag.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').unwrap_or((part, ""));
        let v = decode(v).map_err(|e| format!("share link `{k}`: {e}"))?;
        match k {
            "s" => out.scenario = Some(v),
            "seed" => {
                out.seed = Some(
                    v.parse()
                        .map_err(|_| format!("share link: seed `{v}` is not a number"))?,
                )
            }
            "toml" => out.toml = Some(v),
            "view" => out.view = Some(v),
            "lesson" => out.lesson = Some(v),
            "step" => {
                out.step = Some(
                    v.parse()
                        .map_err(|_| format!("share link: step `{v}` is not a number"))?,
                )
            }
            "lang" => out.lang = Some(v),
            "embed" => out.embed = true,
            "z" => {
                let bytes = unpack(&v).map_err(|e| format!("share link `z`: {e}"))?;
                out.toml = Some(
                    String::from_utf8(bytes)
                        .map_err(|_| "share link `z`: not UTF-8 text".to_string())?,
                );
            }
            "t" => {
                out.t_ms = Some(v.parse().map_err(|_| {
                    format!("share link: time `{v}` is not a number of milliseconds")
                })?)
            }
            "a" => out.actions = Some(v),
            "wi" => out.whatif = Some(v),
            _ => {}
        }
    }
    Ok(out)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

pub fn decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = s
                    .get(i + 1..i + 3)
                    .ok_or_else(|| format!("truncated escape at {i}"))?;
                let v = u8::from_str_radix(hex, 16)
                    .map_err(|_| format!("bad escape `%{hex}` at {i}"))?;
                out.push(v);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_text() {
        let t = "[scenario]\nname = \"x y\" # ü & = %\n";
        let f = fragment("dr-lab", 42, Some(t));
        let s = parse_fragment(&f).unwrap();
        assert_eq!(s.scenario.as_deref(), Some("dr-lab"));
        assert_eq!(s.seed, Some(42));
        assert_eq!(s.toml.as_deref(), Some(t));
    }

    #[test]
    fn long_texts_are_compressed_and_come_back() {
        let text = lvslab_sim::bundled::find("nat-lab").unwrap().text;
        let f = fragment("nat-lab", 1, Some(text));
        assert!(f.contains("&z=") && !f.contains("toml="));
        assert!(f.len() < text.len(), "{} vs {}", f.len(), text.len());
        assert_eq!(parse_fragment(&f).unwrap().toml.as_deref(), Some(text));
        assert!(parse_fragment("#z=%%%").is_err());
        assert!(parse_fragment("#z=AAAA").is_err());
        let sh = Share {
            lesson: Some("dr".into()),
            t_ms: Some(1500),
            actions: Some(pack(b"[]")),
            view: Some("whatif".into()),
            ..Share::default()
        };
        assert_eq!(parse_fragment(&fragment_of(&sh)).unwrap(), sh);
        assert!(parse_fragment("#t=soon").is_err());
    }

    #[test]
    fn lesson_links_round_trip() {
        let sh = Share {
            lesson: Some("arp-flux".into()),
            step: Some(3),
            lang: Some("zh-CN".into()),
            embed: true,
            ..Share::default()
        };
        let f = fragment_of(&sh);
        assert_eq!(f, "#lesson=arp-flux&step=3&lang=zh-CN&embed");
        assert_eq!(parse_fragment(&f).unwrap(), sh);
        assert!(parse_fragment("#lesson=x&step=two").is_err());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(parse_fragment("#seed=abc").is_err());
        assert!(parse_fragment("#s=%4").is_err());
        assert!(parse_fragment("#s=%zz").is_err());
        assert!(parse_fragment("#s=%ff").is_err());
        assert_eq!(parse_fragment("").unwrap(), Share::default());
        assert_eq!(
            parse_fragment("#junk&s=nat-lab")
                .unwrap()
                .scenario
                .as_deref(),
            Some("nat-lab")
        );
    }
}
