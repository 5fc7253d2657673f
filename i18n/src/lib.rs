//! The interface's messages in every language LVS Lab speaks, as Project Fluent catalogues
//! (`locales/LANG/*.ftl`, compiled in). The model speaks in message ids with arguments
//! (`lvslab_sim::lesson::Message`); the command line and the browser render them here.

use fluent_bundle::types::FluentNumber;
use fluent_bundle::{FluentArgs, FluentBundle, FluentResource};
pub use lvslab_sim::lesson::{Lang, Message};
use std::collections::BTreeSet;

pub mod reasons;

/// The catalogue files of one language: (file name, text).
pub fn sources(lang: Lang) -> &'static [(&'static str, &'static str)] {
    match lang {
        Lang::En => &[
            ("lvslab.ftl", include_str!("../locales/en/lvslab.ftl")),
            ("ui.ftl", include_str!("../locales/en/ui.ftl")),
            ("scenarios.ftl", include_str!("../locales/en/scenarios.ftl")),
            ("reasons.ftl", include_str!("../locales/en/reasons.ftl")),
        ],
        Lang::ZhCn => &[
            ("lvslab.ftl", include_str!("../locales/zh-CN/lvslab.ftl")),
            ("ui.ftl", include_str!("../locales/zh-CN/ui.ftl")),
            (
                "scenarios.ftl",
                include_str!("../locales/zh-CN/scenarios.ftl"),
            ),
            ("reasons.ftl", include_str!("../locales/zh-CN/reasons.ftl")),
        ],
    }
}

/// Every language's messages, ready to format.
pub struct Catalog {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

impl Default for Catalog {
    fn default() -> Self {
        Self::new()
    }
}

impl Catalog {
    /// Loads the compiled-in catalogues. A syntax error in one of them is a build bug that
    /// the tests catch; the messages that do parse are still used.
    pub fn new() -> Catalog {
        let bundles = Lang::ALL
            .iter()
            .map(|&lang| {
                let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
                let mut b = FluentBundle::new(vec![id]);
                // Plain text out: no Unicode isolation marks around placeables.
                b.set_use_isolating(false);
                for (_, src) in sources(lang) {
                    let res = match FluentResource::try_new(src.to_string()) {
                        Ok(r) => r,
                        Err((r, _)) => r,
                    };
                    let _ = b.add_resource(res);
                }
                (lang, b)
            })
            .collect();
        Catalog { bundles }
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        &self
            .bundles
            .iter()
            .find(|(l, _)| *l == lang)
            .unwrap_or(&self.bundles[0])
            .1
    }

    /// Whether `lang` has the message `id`.
    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    /// The message `id` with its arguments. A message missing in `lang` falls back to
    /// English, then to the id itself (the tests make sure neither happens).
    pub fn tr(&self, lang: Lang, id: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            // Numbers stay numbers so plural rules can select on them, with the fraction
            // digits they were written with ("12.500" stays "12.500", not "12.5").
            let numeric = v
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
            match v.parse::<FluentNumber>() {
                Ok(n) if numeric && !v.is_empty() => fa.set(*k, n),
                _ => fa.set(*k, v.to_string()),
            }
        }
        for l in [lang, Lang::En] {
            let b = self.bundle(l);
            if let Some(p) = b.get_message(id).and_then(|m| m.value()) {
                let mut errs = Vec::new();
                return b.format_pattern(p, Some(&fa), &mut errs).into_owned();
            }
        }
        id.to_string()
    }

    /// A model message in `lang`.
    pub fn msg(&self, lang: Lang, m: &Message) -> String {
        let args: Vec<(&str, &str)> = m.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.tr(lang, m.id, &args)
    }

    /// A drop or failure reason of the simulator (`Verdict::Dropped`, `metrics.drop`,
    /// `metrics.fail`) in `lang`; a nested reason is rendered too. A text that is no known
    /// reason comes back as it is.
    pub fn reason(&self, lang: Lang, reason: &str) -> String {
        let Some(mut m) = reasons::reason_message(reason) else {
            return reason.to_string();
        };
        for (k, v) in m.args.iter_mut() {
            if *k == "reason" {
                *v = self.reason(lang, v);
            }
        }
        self.msg(lang, &m)
    }
}

/// The message ids a catalogue text defines (for completeness checks).
pub fn message_ids(src: &str) -> BTreeSet<String> {
    src.lines()
        .filter(|l| !l.starts_with([' ', '\t', '#', '-', '.', '[', '*', '}']) && l.contains(" ="))
        .filter_map(|l| l.split_once(" =").map(|(id, _)| id.trim().to_string()))
        .filter(|id| !id.is_empty())
        .collect()
}

/// Every message id of a language, over all its files.
pub fn all_ids(lang: Lang) -> BTreeSet<String> {
    sources(lang)
        .iter()
        .flat_map(|(_, src)| message_ids(src))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_parses() {
        for lang in Lang::ALL {
            for (file, src) in sources(lang) {
                if let Err((_, errs)) = FluentResource::try_new(src.to_string()) {
                    panic!("{}/{file}: {errs:?}", lang.code());
                }
            }
        }
    }

    #[test]
    fn no_message_is_defined_twice() {
        for lang in Lang::ALL {
            let mut seen = BTreeSet::new();
            for (file, src) in sources(lang) {
                for id in message_ids(src) {
                    assert!(
                        seen.insert(id.clone()),
                        "{}: `{id}` defined again in {file}",
                        lang.code()
                    );
                }
            }
        }
    }

    #[test]
    fn every_message_exists_in_both_languages() {
        let en = all_ids(Lang::En);
        let zh = all_ids(Lang::ZhCn);
        let only_en: Vec<_> = en.difference(&zh).collect();
        let only_zh: Vec<_> = zh.difference(&en).collect();
        assert!(only_en.is_empty(), "messages missing in zh-CN: {only_en:?}");
        assert!(only_zh.is_empty(), "messages missing in en: {only_zh:?}");
        assert!(en.len() > 20);
    }

    #[test]
    fn every_bundled_scenario_has_its_title_and_watch_text() {
        let c = Catalog::new();
        for b in lvslab_sim::bundled::ALL {
            let meta = lvslab_sim::scenario::Scenario::parse(b.name, b.text)
                .unwrap_or_else(|e| panic!("{}: {e:?}", b.name))
                .spec
                .scenario;
            for (part, file_text) in [("title", &meta.title), ("watch", &meta.watch)] {
                let id = format!("scenario-{}-{part}", b.name);
                for lang in Lang::ALL {
                    assert!(c.has(lang, &id), "{} has no {id}", lang.code());
                }
                // English is the scenario file's own text.
                let en = c.tr(Lang::En, &id, &[]);
                assert_eq!(
                    &en, file_text,
                    "{id} differs from scenarios/{}.toml",
                    b.name
                );
                let zh = c.tr(Lang::ZhCn, &id, &[]);
                assert_ne!(zh, en, "{id} is not translated");
                // Addresses and commands stay as they are.
                for kept in kept_verbatim(&en) {
                    assert!(zh.contains(&kept), "{id}: zh-CN lacks “{kept}”");
                }
            }
        }
    }

    /// The IPv4 addresses and `code` spans of a text.
    fn kept_verbatim(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .map(|w| w.trim_end_matches('.'))
            .filter(|w| w.parse::<std::net::Ipv4Addr>().is_ok())
            .map(str::to_string)
            .collect();
        v.extend(s.split('`').skip(1).step_by(2).map(|c| format!("`{c}`")));
        v
    }

    #[test]
    fn numbers_keep_their_fraction_digits() {
        let c = Catalog::new();
        let s = c.tr(
            Lang::En,
            "inspector-title",
            &[("node", "rs1"), ("t", "0.000")],
        );
        assert!(s.contains("0.000 ms"), "{s}");
        let s = c.tr(
            Lang::En,
            "whatif-totals",
            &[("sent", "60000"), ("completed", "12"), ("failed", "0")],
        );
        assert!(s.starts_with("60000 sent"), "{s}");
        // Plural rules still see a number.
        let one = c.tr(
            Lang::En,
            "error-compare-diagnostics",
            &[("name", "x"), ("n", "1")],
        );
        assert!(one.ends_with("1 diagnostic"), "{one}");
    }

    #[test]
    fn formats_arguments_without_isolation_marks() {
        let c = Catalog::new();
        let s = c.tr(
            Lang::En,
            "check-arp-owner",
            &[
                ("host", "router"),
                ("ip", "10.0.0.10"),
                ("owner", "director"),
                ("observed", "rs1"),
            ],
        );
        assert!(
            s.contains("router") && s.contains("10.0.0.10") && s.contains("rs1"),
            "{s}"
        );
        assert!(!s.contains('\u{2068}'));
        let z = c.tr(
            Lang::ZhCn,
            "check-arp-owner",
            &[
                ("host", "router"),
                ("ip", "10.0.0.10"),
                ("owner", "director"),
                ("observed", "rs1"),
            ],
        );
        assert_ne!(s, z);
    }
}
