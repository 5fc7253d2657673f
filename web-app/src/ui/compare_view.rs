//! NAT / DR / TUN side by side: three topologies on one clock, each aligned on its first SYN,
//! and what every node did to the first request and its reply.

use super::state::{LabState, Link, Msg};
use super::topo_svg;
use crate::compare::HopChange;
use yew::prelude::*;

impl LabState {
    fn hops_table(&self, hops: &[HopChange], start: u64) -> Html {
        html! {
            <ol class="hops">
                { for hops.iter().map(|h| html! {
                    <li>
                        <b>{ &h.node }</b>{ format!("  +{:.3} ms", (h.t.saturating_sub(start)) as f64 / 1e6) }
                        <div class="outcome">{ h.outcome.as_ref().map(|o| self.text_of(o)).unwrap_or_default() }</div>
                        if h.edits.is_empty() {
                            <div class="nochange">{ self.t("compare-unchanged") }</div>
                        }
                        <ul>{ for h.edits.iter().map(|c| html! { <li class="mono changed">{ self.text_of(c) }</li> }) }</ul>
                    </li>
                }) }
            </ol>
        }
    }

    pub fn view_compare(&self, link: &Link) -> Html {
        let Some(c) = &self.compare else {
            return html! { <section class="panel"><p>{ self.t("compare-unavailable") }</p></section> };
        };
        let panes = c.panes.iter().map(|p| {
            let d = &p.driver;
            let up: Vec<bool> = d.sim.hosts.iter().map(|h| h.up).collect();
            let dots = d.dots();
            html! {
                <div class="pane">
                    <h3>{ p.name.to_uppercase().replace("-LAB", "") }</h3>
                    { topo_svg::topology(&d.topo, &dots, &topo_svg::Live { up: up.clone(), ..Default::default() }, &[], Callback::noop(), Callback::noop(), false, &format!("cmp-{}", p.name), &|id: &str| self.t(id)) }
                </div>
            }
        });
        let tables = c.panes.iter().map(|p| match &p.journey {
            Some(j) => html! {
                <div class="pane">
                    <h3>{ self.cat.tr(self.lang, "compare-request", &[("lab", &p.name)]) }</h3>
                    { self.hops_table(&j.request, j.start) }
                    <h3>{ self.t("compare-reply") }</h3>
                    { self.hops_table(&j.reply, j.start) }
                </div>
            },
            None => html! { <div class="pane"><p>{ self.t("compare-no-request") }</p></div> },
        });
        html! {
            <div class="compare">
                <section class="panel">
                    <h2>{ self.t("compare-title") }</h2>
                    <div class="controls" role="toolbar" aria-label={self.t("controls-label")}>
                        <button id="cmp-play" class="primary" onclick={link.callback(|_| Msg::CmpTogglePlay)}>
                            { self.t(if c.playing { "pause" } else { "play" }) }</button>
                        <button id="cmp-step" onclick={link.callback(|_| Msg::CmpStep)}>{ self.t("step-hop") }</button>
                        { self.speed_select(c.speed, link.callback(Msg::CmpSpeed), "cmp-speed") }
                        <button onclick={link.callback(|_| Msg::CmpRestart)}>{ self.t("compare-back") }</button>
                        <span>{ self.cat.tr(self.lang, "compare-clock", &[("ms", &format!("{:.3}", c.rel as f64 / 1e6))]) }</span>
                    </div>
                    <div class="panes">{ for panes }</div>
                </section>
                <section class="panel">
                    <h2>{ self.t("compare-hops-title") }</h2>
                    <div class="panes" id="hop-table">{ for tables }</div>
                </section>
            </div>
        }
    }
}
