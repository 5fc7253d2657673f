//! The lesson panel: the step's text with its highlighted references, the prediction, the
//! task and its live checks, and the way on. The lesson picker lists the lessons first.

use super::state::{LabState, Link, Msg};
use crate::lesson_run::LessonRun;
use lvslab_sim::lesson::{text, Lang, Ref, Span, StepKind};
use yew::prelude::*;

fn ref_attr(r: &Ref) -> String {
    match r {
        Ref::Node { host } => format!("node:{host}"),
        Ref::Link { host, iface } => format!("link:{host}/{iface}"),
        Ref::Field { name } => format!("field:{name}"),
        Ref::Arp { host, ip } => format!("arp:{host}/{ip}"),
        Ref::Ipvs { director, server } => format!("ipvs:{director}/{server}"),
        Ref::Vrrp { host, instance } => format!("vrrp:{host}/{instance}"),
    }
}

/// A text with its references as marked spans; `code` in backticks as code.
pub fn rich(t: &str) -> Html {
    let spans = text::spans(t).unwrap_or_else(|_| vec![Span::Text(t.to_string())]);
    let code = |s: &str| -> Html {
        let parts: Vec<&str> = s.split('`').collect();
        html! { <>{ for parts.iter().enumerate().map(|(i, p)| if i % 2 == 1 { html! { <code>{ *p }</code> } } else { html! { { *p } } }) }</> }
    };
    html! {
        <>{ for spans.iter().map(|s| match s {
            Span::Text(t) => code(t),
            Span::Ref { words, target } => html! {
                <mark class="ref" data-ref={ref_attr(target)}>{ code(words) }</mark>
            },
        }) }</>
    }
}

impl LabState {
    pub fn t(&self, id: &str) -> String {
        self.cat.tr(self.lang, id, &[])
    }

    pub fn view_lesson_list(&self, link: &Link) -> Html {
        let cur = self.lesson.as_ref().map(|r| r.lesson.id.clone());
        html! {
            <section class="panel lessons" id="lessons">
                <h2>{ self.t("picker-lessons") }</h2>
                <p class="muted">{ self.t("lesson-pick-hint") }</p>
                <ol class="lesson-list">
                    { for self.lessons.iter().map(|l| {
                        let id = l.id.clone();
                        let active = cur.as_deref() == Some(l.id.as_str());
                        html! {
                            <li>
                                <button class={classes!("lesson-pick", active.then_some("active"))} id={format!("lesson-{}", l.id)}
                                    aria-pressed={active.to_string()} lang={self.lang.code()}
                                    onclick={link.callback(move |_| Msg::PickLesson(id.clone()))}>
                                    { l.title.get(self.lang) }
                                </button>
                            </li>
                        }
                    }) }
                </ol>
            </section>
        }
    }

    pub fn view_lesson(&self, link: &Link, run: &LessonRun) -> Html {
        let lang: Lang = self.lang;
        let step = run.current();
        let n = (run.step + 1).to_string();
        let total = run.lesson.steps.len().to_string();
        let body = match &step.kind {
            StepKind::Explain => html! {},
            StepKind::Predict { choices, .. } => {
                let chosen = run.answers.get(&run.step).copied();
                html! {
                    <fieldset class="predict" id="lesson-predict">
                        <legend>{ self.t("lesson-predict") }</legend>
                        { for choices.iter().enumerate().map(|(i, c)| {
                            let picked = chosen == Some(i);
                            let cls = classes!("choice", picked.then_some("picked"),
                                (chosen.is_some() && c.correct).then_some("correct"));
                            html! {
                                <label class={cls}>
                                    <input type="radio" name={format!("predict-{}", run.step)} id={format!("choice-{i}")}
                                        checked={picked} disabled={chosen.is_some()}
                                        onchange={link.callback(move |_| Msg::LessonAnswer(i))} />
                                    <span>{ rich(c.text.get(lang)) }</span>
                                </label>
                            }
                        }) }
                        if let Some(i) = chosen {
                            <div class={classes!("feedback", if choices[i].correct { "good" } else { "bad" })} id="lesson-feedback" role="status">
                                <b>{ self.t(if choices[i].correct { "lesson-correct" } else { "lesson-wrong" }) }</b>{ " " }
                                { rich(choices[i].feedback.get(lang)) }
                            </div>
                        }
                    </fieldset>
                }
            }
            StepKind::Observe { .. } => {
                let shown = run.revealed.contains(&run.step);
                html! {
                    <div class="observe">
                        <button id="lesson-reveal" class="primary" disabled={shown}
                            onclick={link.callback(|_| Msg::LessonReveal)}>{ self.t("lesson-reveal") }</button>
                        if shown { <p class="note" role="status">{ self.t("lesson-revealed") }</p> }
                    </div>
                }
            }
            StepKind::Do { hint, .. } => html! {
                <div class="task">
                    if let Some(h) = hint {
                        <details><summary>{ self.t("lesson-hint") }</summary><p>{ rich(h.get(lang)) }</p></details>
                    }
                    <button id="lesson-show-me" onclick={link.callback(|_| Msg::LessonShowMe)}>{ self.t("lesson-show-me") }</button>
                </div>
            },
        };
        let checks = match &step.kind {
            StepKind::Do { .. } => true,
            StepKind::Observe { .. } => run.revealed.contains(&run.step),
            StepKind::Predict { .. } => run.revealed.contains(&run.step),
            StepKind::Explain => false,
        };
        let outcomes = if checks {
            self.lab.as_ref().map(|d| run.checks(d)).unwrap_or_default()
        } else {
            Vec::new()
        };
        let done = run.done.contains(&run.step);
        let blocked = match &step.kind {
            _ if run.can_advance() => None,
            StepKind::Predict { .. } => Some("lesson-answer-first"),
            StepKind::Do { .. } => Some("lesson-do-first"),
            StepKind::Observe { .. } => Some("lesson-play-first"),
            StepKind::Explain => None,
        };
        html! {
            <section class="panel lesson" id="lesson" aria-labelledby="lesson-title" lang={lang.code()}>
                <div class="lesson-head">
                    <h2 id="lesson-title">{ run.lesson.title.get(lang) }</h2>
                    <span class="muted" id="lesson-step-count">{ self.cat.tr(lang, "lesson-step-of", &[("n", &n), ("total", &total)]) }</span>
                    <span class="spacer"></span>
                    if !self.embed {
                        <button class="link" onclick={link.callback(|_| Msg::LessonExit)}>{ self.t("lesson-exit") }</button>
                    }
                </div>
                <ol class="progress" aria-hidden="true">
                    { for (0..run.lesson.steps.len()).map(|i| html! {
                        <li class={classes!((i < run.step).then_some("past"), (i == run.step).then_some("now"))}></li>
                    }) }
                </ol>
                <p class="step-text" id="lesson-text">{ rich(step.text.get(lang)) }</p>
                if let Some(w) = &step.why {
                    <details class="why"><summary>{ self.t("lesson-why") }</summary><p>{ rich(w.get(lang)) }</p></details>
                }
                { body }
                if !outcomes.is_empty() {
                    <ul class="checks" id="lesson-checks" aria-live="polite">
                        { for outcomes.iter().map(|o| html! {
                            <li class={if o.pass { "pass" } else { "wait" }} data-pass={o.pass.to_string()}>
                                <span class="mark" aria-hidden="true">{ if o.pass { "✓" } else { "○" } }</span>
                                <span class="sr-only">{ self.t(if o.pass { "lesson-check-pass" } else { "lesson-check-wait" }) }{ ": " }</span>
                                { self.cat.msg(lang, &o.message) }
                            </li>
                        }) }
                    </ul>
                }
                if done { <p class="feedback good" id="lesson-done" role="status">{ self.t("lesson-done") }</p> }
                if run.is_last() {
                    <p class="summary"><b>{ self.t("lesson-in-one-line") }{ ": " }</b>{ rich(run.lesson.summary.get(lang)) }</p>
                }
                <div class="lesson-nav">
                    <button id="lesson-back" disabled={run.step == 0} onclick={link.callback(|_| Msg::LessonBack)}>{ self.t("lesson-back") }</button>
                    if !run.is_last() {
                        <button id="lesson-next" class="primary" disabled={blocked.is_some()}
                            onclick={link.callback(|_| Msg::LessonNext)}>{ self.t("lesson-next") }</button>
                    }
                    if let Some(b) = blocked { <span class="muted">{ self.t(b) }</span> }
                </div>
            </section>
        }
    }
}
