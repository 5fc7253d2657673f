//! Lessons: every bundled lesson's walkthrough passes in both languages; a lesson whose
//! check already holds before the student acts (or would hold by just waiting) fails; bad
//! lesson files get located errors and never a panic; the browser's lesson driver completes
//! a lesson with the same walkthrough.

use crate::support::{lvslab_run, tmp};
use lvslab_sim::lesson::runner::{check_walkthrough, Phase};
use lvslab_sim::lesson::{self, Lang, StepKind};
use lvslab_web::lesson_run::{self, LessonRun};
use proptest::prelude::*;

const HEAD: &str = r#"
[lesson]
id = "probe"
scenario = "nat-lab"
title = { en = "Probe", zh-CN = "探针" }
summary = { en = "A test lesson.", zh-CN = "测试用的课程。" }
"#;

/// A one-step lesson on nat-lab: set rs1's weight to 3, then play `run`.
fn weight_lesson(check: &str, run: &str) -> String {
    format!(
        r#"{HEAD}
[[step]]
kind = "do"
text = {{ en = "Give [rs1](node:rs1) weight 3.", zh-CN = "把 [rs1](node:rs1) 的权重设为 3。" }}
check = [ {check} ]
walkthrough = [
  {{ do = "ipvsadm", host = "director", line = "-e -t 172.16.16.172:80 -r 192.168.10.102:80 -m -w 3" }},
  {{ do = "run", for = "{run}" }},
]
"#
    )
}

fn load(text: &str) -> Result<lesson::Lesson, Vec<lvslab_sim::scenario::diag::Diagnostic>> {
    lesson::load("probe.toml", text, &lesson::bundled_scenario)
}

#[test]
fn every_bundled_lesson_passes_in_both_languages() {
    assert!(lvslab_sim::bundled::LESSONS.len() >= 12);
    for lang in ["en", "zh-CN"] {
        let (code, out, err) = lvslab_run(&["lesson", "check", "--all", "--lang", lang]);
        assert_eq!(code, 0, "{out}{err}");
        let n = lvslab_sim::bundled::LESSONS.len();
        let want = match lang {
            "en" => format!("lessons: {n} passed, 0 failed"),
            _ => format!("课程：{n} 个通过，0 个失败"),
        };
        assert!(out.contains(&want), "{out}");
    }
    let (code, out, _) = lvslab_run(&["lesson", "list", "--lang", "zh-CN"]);
    assert_eq!(code, 0);
    assert!(out.contains("arp-flux") && out.contains("ARP"), "{out}");
}

#[test]
fn every_lesson_is_whole_in_both_languages() {
    for b in lvslab_sim::bundled::LESSONS {
        let l = lesson::load(b.name, b.text, &lesson::bundled_scenario)
            .unwrap_or_else(|d| panic!("{}: {:?}", b.name, d));
        assert!(l.steps.len() >= 5, "{}: {} steps", l.id, l.steps.len());
        for t in l.texts() {
            assert!(
                !t.en.trim().is_empty() && !t.zh.trim().is_empty(),
                "{}",
                l.id
            );
            // The Chinese text is Chinese, not a copy of the English.
            assert_ne!(t.en, t.zh, "{}: untranslated text {:?}", l.id, t.en);
        }
        assert!(l
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Predict { .. })));
        assert!(l
            .steps
            .iter()
            .any(|s| matches!(s.kind, StepKind::Do { .. })));
        // A transfer question ends the lesson.
        assert!(
            matches!(l.steps.last().map(|s| &s.kind), Some(StepKind::Predict { checks, until: None, .. }) if checks.is_empty()),
            "{} does not end with a transfer question",
            l.id
        );
    }
}

#[test]
fn a_proper_check_passes() {
    let l = load(&weight_lesson(
        r#"{ what = "ipvs", director = "director", server = "192.168.10.102:80", counter = "Weight", equals = 3 }"#,
        "1s",
    ))
    .unwrap();
    let r = check_walkthrough(&l);
    assert!(r.passed(), "{r:?}");
}

#[test]
fn a_check_that_already_holds_fails_the_lesson() {
    // Weight >= 1 is already true before the student changes anything.
    let text = weight_lesson(
        r#"{ what = "ipvs", director = "director", server = "192.168.10.102:80", counter = "Weight", at-least = 1 }"#,
        "1s",
    );
    let r = check_walkthrough(&load(&text).unwrap());
    assert!(!r.passed());
    let bad: Vec<_> = r.steps[0].checks.iter().filter(|c| !c.ok).collect();
    assert!(bad.iter().any(|c| c.phase == Phase::Before), "{r:?}");
    // And from the command line: exit 1, the failing phase named.
    let p = tmp("probe.toml");
    std::fs::write(&p, &text).unwrap();
    let (code, out, err) = lvslab_run(&["lesson", "check", p.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("FAIL") && out.contains("before acting"),
        "{out}"
    );
    assert!(out.contains("lessons: 0 passed, 1 failed"), "{out}");
}

#[test]
fn a_check_that_holds_by_waiting_fails_the_lesson() {
    // Requests complete whatever the student does: the check teaches nothing.
    let r = check_walkthrough(
        &load(&weight_lesson(
            r#"{ what = "completed", at-least = 5 }"#,
            "3s",
        ))
        .unwrap(),
    );
    assert!(!r.passed());
    let c = &r.steps[0].checks;
    assert!(c.iter().any(|c| c.phase == Phase::Before && c.ok));
    assert!(c.iter().any(|c| c.phase == Phase::Idle && !c.ok), "{c:?}");
}

/// The diagnostics of a bad lesson, as one string.
fn errors(text: &str) -> String {
    match load(text) {
        Ok(_) => panic!("the lesson loaded"),
        Err(d) => d
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

#[test]
fn broken_predicates_get_located_errors() {
    let text = weight_lesson(
        r#"{ what = "arp-owner", host = "routr", ip = "10.0.0.10", owner = "director" }"#,
        "1s",
    );
    let line = text.lines().position(|l| l.contains("routr")).unwrap() + 1;
    let e = errors(&text);
    assert!(e.contains(&format!("probe.toml:{line}:")), "{e}");
    assert!(
        e.contains("step[0].check[0].host") && e.contains("no host `routr`"),
        "{e}"
    );

    let e = errors(&weight_lesson(
        r#"{ what = "arp-ownr", host = "client" }"#,
        "1s",
    ));
    assert!(
        e.contains("unknown check `arp-ownr`") && e.contains("arp-owner"),
        "{e}"
    );
    let e = errors(&weight_lesson(
        r#"{ what = "ipvs", director = "client", counter = "Weight", equals = 1 }"#,
        "1s",
    ));
    assert!(e.contains("runs no IPVS"), "{e}");
    let e = errors(&weight_lesson(
        r#"{ what = "ipvs", director = "director", counter = "Wait", equals = 1 }"#,
        "1s",
    ));
    assert!(e.contains("unknown counter `Wait`"), "{e}");
    let e = errors(&weight_lesson(
        r#"{ what = "frame", node = "director", match = { "ip.dest" = "x" }, at-least = 1 }"#,
        "1s",
    ));
    assert!(e.contains("unknown header field `ip.dest`"), "{e}");
    let e = errors(&weight_lesson(
        r#"{ what = "completed", at-least = 5, colour = "red" }"#,
        "1s",
    ));
    assert!(
        e.contains("probe.toml:") && e.contains("unknown field `colour`"),
        "{e}"
    );
    let e = errors(&weight_lesson(
        r#"{ what = "completed", at-least = 5 }"#,
        "soon",
    ));
    assert!(
        e.contains("walkthrough[1].for") && e.contains("not a duration"),
        "{e}"
    );
}

#[test]
fn bad_lesson_structure_gets_located_errors() {
    let e = errors(&HEAD.replace(r#", zh-CN = "探针""#, ""));
    assert!(
        e.contains("lesson.title") && e.contains("zh-CN text is missing"),
        "{e}"
    );
    assert!(e.contains("no steps"), "{e}");
    let predict = format!(
        r#"{HEAD}
[[step]]
kind = "predict"
text = {{ en = "Which?", zh-CN = "哪个？" }}
choices = [
  {{ text = {{ en = "a", zh-CN = "甲" }}, feedback = {{ en = "f", zh-CN = "反馈" }} }},
  {{ text = {{ en = "b", zh-CN = "乙" }}, feedback = {{ en = "f", zh-CN = "反馈" }} }},
]
walkthrough = [ {{ do = "run", for = "1s" }} ]
[[step]]
kind = "lecture"
text = {{ en = "See [it](nod:rs1).", zh-CN = "看 [它](node:rs9)。" }}
"#
    );
    let e = errors(&predict);
    assert!(e.contains("exactly one correct choice"), "{e}");
    assert!(e.contains("a `predict` step has no `walkthrough`"), "{e}");
    assert!(e.contains("unknown step kind `lecture`"), "{e}");
    assert!(e.contains("no `do` step"), "{e}");
    let refs = predict.replace("lecture", "explain");
    let e = errors(&refs);
    assert!(e.contains("reference kind `nod` is unknown"), "{e}");
    assert!(e.contains("no host `rs9`"), "{e}");
    let e = errors("[lesson\nid = 1");
    assert!(
        e.contains("probe.toml:1:") && e.contains("TOML syntax"),
        "{e}"
    );
    let e = errors(&HEAD.replace("nat-lab", "no-such-lab"));
    assert!(e.contains("no scenario `no-such-lab`"), "{e}");
}

#[test]
fn the_browser_completes_a_lesson_with_its_walkthrough() {
    assert!(lesson_run::bundled()
        .iter()
        .any(|l| l.id == "arp-flux" && !l.title.zh.is_empty()));
    let l = lesson_run::load_bundled("arp-flux").expect("the arp-flux lesson is bundled");
    let (mut run, mut d) = LessonRun::start(l).unwrap();
    loop {
        match &run.current().kind {
            StepKind::Predict { choices, .. } => {
                let right = choices.iter().position(|c| c.correct).unwrap();
                run.answer(right, &mut d);
            }
            StepKind::Observe { .. } => run.reveal(&mut d).unwrap(),
            StepKind::Do { .. } => {
                assert!(!run.can_advance(), "a task is done before the student acts");
                assert!(run.checks(&d).iter().any(|o| !o.pass));
                run.show_me(&mut d).unwrap();
                assert!(
                    run.can_advance(),
                    "step {} not done: {:?}",
                    run.step,
                    run.checks(&d)
                );
            }
            StepKind::Explain => {}
        }
        assert!(run.can_advance(), "step {}", run.step);
        if run.is_last() {
            break;
        }
        run.next(&d);
    }
    // The fix took: the router now sends the VIP's traffic to the director.
    let owner = run.lesson.steps.iter().any(|s| {
        s.kind
            .checks()
            .iter()
            .any(|c| matches!(c.pred, lesson::Predicate::ArpOwner { .. }))
    });
    assert!(owner);
    assert_eq!(Lang::parse("zh-CN"), Some(Lang::ZhCn));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// Cutting, duplicating or overwriting bytes of a bundled lesson never panics the loader.
    #[test]
    fn mutated_lessons_never_panic(which in 0usize..12, at in 0usize..100_000, len in 0usize..40, fill in "[ -~\n]{0,12}") {
        let b = &lvslab_sim::bundled::LESSONS[which % lvslab_sim::bundled::LESSONS.len()];
        let mut t = b.text.to_string();
        let mut at = at % (t.len() + 1);
        while !t.is_char_boundary(at) { at -= 1; }
        let mut end = (at + len).min(t.len());
        while !t.is_char_boundary(end) { end -= 1; }
        t.replace_range(at..end.max(at), &fill);
        let _ = lesson::load(&format!("{}.toml", b.name), &t, &lesson::bundled_scenario);
    }
}
