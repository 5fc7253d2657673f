//! NAT / DR / TUN side by side: three topologies on one clock, each aligned on its first SYN,
//! and what every node did to the first request and its reply.

use super::app::{App, Msg};
use super::topo_svg;
use crate::compare::HopChange;
use yew::prelude::*;

fn hops_table(hops: &[HopChange], start: u64) -> Html {
    html! {
        <ol class="hops">
            { for hops.iter().map(|h| html! {
                <li>
                    <b>{ &h.node }</b>{ format!("  +{:.3} ms", (h.t.saturating_sub(start)) as f64 / 1e6) }
                    <div class="outcome">{ &h.outcome }</div>
                    if h.changes.is_empty() {
                        <div class="nochange">{ "changed nothing" }</div>
                    }
                    <ul>{ for h.changes.iter().map(|c| html! { <li class="mono changed">{ c }</li> }) }</ul>
                </li>
            }) }
        </ol>
    }
}

impl App {
    pub fn view_compare(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let Some(c) = &self.compare else {
            return html! { <section class="panel"><p>{ "The comparison could not be built." }</p></section> };
        };
        let panes = c.panes.iter().map(|p| {
            let d = &p.driver;
            let up: Vec<bool> = d.sim.hosts.iter().map(|h| h.up).collect();
            let dots = d.dots();
            html! {
                <div class="pane">
                    <h3>{ p.name.to_uppercase().replace("-LAB", "") }</h3>
                    { topo_svg::topology(&d.topo, &dots, &topo_svg::Live { up: up.clone(), ..Default::default() }, &[], Callback::noop(), Callback::noop(), false, &format!("cmp-{}", p.name)) }
                </div>
            }
        });
        let tables = c.panes.iter().map(|p| match &p.journey {
            Some(j) => html! {
                <div class="pane">
                    <h3>{ format!("{}: the request", p.name) }</h3>
                    { hops_table(&j.request, j.start) }
                    <h3>{ "the reply (SYN-ACK)" }</h3>
                    { hops_table(&j.reply, j.start) }
                </div>
            },
            None => html! { <div class="pane"><p>{ "no request found" }</p></div> },
        });
        html! {
            <div class="compare">
                <section class="panel">
                    <h2>{ "The same request through NAT, DR and TUN" }</h2>
                    <div class="controls" role="toolbar">
                        <button id="cmp-play" class="primary" onclick={link.callback(|_| Msg::CmpTogglePlay)}>
                            { if c.playing { "\u{275a}\u{275a} Pause" } else { "\u{25b6} Play" } }</button>
                        <button id="cmp-step" onclick={link.callback(|_| Msg::CmpStep)}>{ "Step one hop" }</button>
                        { self.speed_select(c.speed, link.callback(Msg::CmpSpeed), "cmp-speed") }
                        <button onclick={link.callback(|_| Msg::CmpRestart)}>{ "Back to the first SYN" }</button>
                        <span>{ format!("t = first SYN + {:.3} ms", c.rel as f64 / 1e6) }</span>
                    </div>
                    <div class="panes">{ for panes }</div>
                </section>
                <section class="panel">
                    <h2>{ "What each hop changed" }</h2>
                    <div class="panes" id="hop-table">{ for tables }</div>
                </section>
            </div>
        }
    }
}
