//! The scenario picker's list: every bundled scenario with its title, kind and "watch" text,
//! lessons first.

use lvslab_sim::bundled;
use lvslab_sim::scenario::format::Kind;
use lvslab_sim::scenario::Scenario;

/// One scenario the picker offers.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub name: &'static str,
    pub title: String,
    pub kind: Option<Kind>,
    pub watch: String,
    pub order: u32,
    pub text: &'static str,
}

/// Every bundled scenario, ordered lessons, failures, what-ifs, HA; then by `order`.
/// A bundled file that does not parse is still listed (kind `None`, last) so the editor can
/// show its diagnostics.
pub fn entries() -> Vec<Entry> {
    let mut v: Vec<Entry> = bundled::ALL
        .iter()
        .map(|b| match Scenario::parse(b.name, b.text) {
            Ok(sc) => Entry {
                name: b.name,
                title: sc.spec.scenario.title.clone(),
                kind: Some(sc.spec.scenario.kind),
                watch: sc.spec.scenario.watch.clone(),
                order: sc.spec.scenario.order,
                text: b.text,
            },
            Err(_) => Entry {
                name: b.name,
                title: b.name.to_string(),
                kind: None,
                watch: String::new(),
                order: u32::MAX,
                text: b.text,
            },
        })
        .collect();
    v.sort_by_key(|e| (e.kind.is_none(), e.kind, e.order, e.name));
    v
}

/// The catalogue message naming a kind of scenario (the picker's group headings).
pub fn kind_message_id(k: Option<Kind>) -> &'static str {
    match k {
        Some(Kind::Lesson) => "kind-lesson",
        Some(Kind::Failure) => "kind-failure",
        Some(Kind::WhatIf) => "kind-whatif",
        Some(Kind::Ha) => "kind-ha",
        None => "kind-unparsed",
    }
}

pub fn find(name: &str) -> Option<Entry> {
    entries().into_iter().find(|e| e.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_scenario_listed_lessons_first() {
        let e = entries();
        assert_eq!(e.len(), bundled::ALL.len());
        let first_non_lesson = e
            .iter()
            .position(|x| x.kind != Some(Kind::Lesson))
            .unwrap_or(e.len());
        assert!(e[..first_non_lesson].iter().any(|x| x.name == "dr-lab"));
        assert!(e[first_non_lesson..]
            .iter()
            .all(|x| x.kind != Some(Kind::Lesson)));
        assert!(e.iter().all(|x| !x.watch.is_empty()));
    }

    #[test]
    fn every_kind_has_its_heading_in_the_catalogue() {
        let cat = lvslab_i18n::Catalog::new();
        let kinds = [Kind::Lesson, Kind::Failure, Kind::WhatIf, Kind::Ha];
        for k in kinds.into_iter().map(Some).chain([None]) {
            for lang in lvslab_i18n::Lang::ALL {
                assert!(cat.has(lang, kind_message_id(k)), "{k:?}");
            }
        }
    }
}
