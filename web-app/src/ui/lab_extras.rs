//! The timeline (scrub, markers, step back), the packet log with its filters and pages,
//! and the HA panel (VRRP strip and failover report).

use super::state::{LabState, Link, Msg};
use crate::driver::Driver;
use crate::packet_log::{self, LogFilter, Roles};
use crate::timeline::{self, StripMark};
use lvslab_sim::trace::{Direction, Verdict};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

fn verdict_full(v: &Verdict, app: &LabState) -> String {
    match v {
        Verdict::Dropped(x) => format!(
            "{}: {}",
            app.t("verdict-dropped"),
            app.cat.reason(app.lang, x)
        ),
        _ => String::new(),
    }
}

fn ms(t: u64) -> String {
    format!("{:.3}", t as f64 / 1e6)
}

impl LabState {
    pub fn view_timeline(&self, link: &Link, l: &Driver) -> Html {
        let end = l.sim.end.0.max(l.view_t).max(1);
        let w = 1000.0;
        let x = |t: u64| t as f64 / end as f64 * w;
        let oninput = link.batch_callback(|e: InputEvent| {
            e.target_dyn_into::<HtmlInputElement>()
                .and_then(|i| i.value().parse::<f64>().ok())
                .map(|v| Msg::Seek((v * 1e6) as u64))
        });

        html! {
            <div class="timeline">
                <div class="row">
                    <button id="step-back" onclick={link.callback(|_| Msg::StepBack)} title=",">{ self.t("step-back") }</button>
                    <button id="marker-prev" onclick={link.callback(|_| Msg::MarkerPrev)}>{ self.t("marker-prev") }</button>
                    <button id="marker-next" onclick={link.callback(|_| Msg::MarkerNext)}>{ self.t("marker-next") }</button>

                </div>
                <div class="markers-wrap">
                    <super::components::TimelineTicks link={link.clone()} stamp={self.panel_stamp} />
                    <div class="cursor" style={format!("left: {:.2}%", x(l.view_t) / 10.0)}></div>
                </div>
                <input id="timeline" type="range" min="0" max={format!("{:.3}", end as f64 / 1e6)} step="0.001"
                    value={format!("{:.3}", l.view_t as f64 / 1e6)} {oninput}
                    aria-label={self.t("timeline")} aria-valuetext={format!("{} ms", ms(l.view_t))} />
                <ul class="legend-markers">
                    { for ["conn", "drop", "fault", "vrrp", "checker"].iter().map(|k| html! {
                        <li><span class={classes!("swatch", *k)}></span>{ self.t(&format!("marker-{k}")) }</li>
                    }) }
                </ul>
            </div>
        }
    }

    /// The marker ticks (many lines: drawn again only with the panel stamp).
    pub fn view_timeline_ticks(&self, l: &Driver) -> Html {
        let end = l.sim.end.0.max(l.view_t).max(1);
        let markers = timeline::markers_cached(l, &mut self.marker_cache.borrow_mut());
        let x = |t: u64| t as f64 / end as f64 * 1000.0;
        html! {
            <>
            <span class="muted marker-count">{ self.cat.tr(self.lang, "timeline-markers", &[("n", &markers.len().to_string())]) }</span>
            <svg class="markers" id="timeline-markers" viewBox="0 0 1000 24" preserveAspectRatio="none" aria-hidden="true">
                { for markers.iter().map(|m| {
                    let cls = classes!("marker", m.kind.name());
                    html! { <line class={cls} x1={format!("{:.1}", x(m.t))} x2={format!("{:.1}", x(m.t))} y1="2" y2="22"><title>{ format!("{} ms: {}", ms(m.t), m.label) }</title></line> }
                }) }
            </svg>
            </>
        }
    }

    pub fn view_packet_log(&self, link: &Link, l: &Driver) -> Html {
        let recs = l.records();
        let n = l.visible_records();
        let roles = Roles::of(&l.sim);
        let f = self.log_filter.clone();
        let (pages, page, shown, total) =
            packet_log::page_of(recs, n, &f, &roles, self.log_page.unwrap_or(usize::MAX));
        let body = shown.iter().map(|&i| {
            let r = &recs[i];
            let sel = self.selected == Some(i);
            let dir = match r.dir {
                Direction::Rx => "rx",
                Direction::Tx => "tx",
            };
            let (verdict, dropped) = match &r.verdict {
                Verdict::Sent => (String::new(), false),
                Verdict::Delivered => (self.t("verdict-delivered"), false),
                Verdict::Forwarded => (self.t("verdict-forwarded"), false),
                Verdict::Dropped(x) => (format!("{}: {}", self.t("verdict-dropped"), self.cat.reason(self.lang, x)), true),
            };
            // A drop's reason gets a full-width line of its own: readable without scrolling.
            html! {
                <>
                <tr class={classes!("log-row", sel.then_some("selected"), dropped.then_some("dropped"))}
                    data-node={r.node.clone()} data-dir={dir} data-record={i.to_string()}
                    onclick={link.callback(move |_| Msg::Inspect(i))}>
                    <td class="mono">{ ms(r.t) }</td>
                    <td>{ &r.node }</td><td>{ &r.iface }</td>
                    <td class={dir}>{ dir }</td>
                    <td class="mono">{ &r.summary }</td>
                    <td class="verdict">{ if dropped { self.t("verdict-dropped") } else { verdict } }</td>
                </tr>
                if dropped {
                    <tr class="reason-row" onclick={link.callback(move |_| Msg::Inspect(i))}><td colspan="6"><div class="reason">{ verdict_full(&r.verdict, self) }</div></td></tr>
                }
                </>
            }
        });
        // Keyboard: the table is one Tab stop; arrows move the selection through the rows.
        let shown_v: Vec<usize> = shown.clone();
        let sel = self.selected;
        let onkeydown = link.batch_callback(move |e: KeyboardEvent| {
            let pos = sel.and_then(|s| shown_v.iter().position(|&x| x == s));
            let next = match e.key().as_str() {
                "ArrowDown" => pos.map(|p| p + 1).or(Some(0)),
                "ArrowUp" => pos.map(|p| p.saturating_sub(1)).or(Some(0)),
                _ => return None,
            };
            e.prevent_default();
            next.and_then(|p| shown_v.get(p.min(shown_v.len().saturating_sub(1))))
                .map(|&i| Msg::Inspect(i))
        });
        let toggle = |id: &'static str, on: bool, set: fn(&mut LogFilter, bool), label: String| {
            let f = self.log_filter.clone();
            let onchange = link.callback(move |e: Event| {
                let v = e
                    .target_dyn_into::<HtmlInputElement>()
                    .map(|i| i.checked())
                    .unwrap_or(false);
                let mut nf = f.clone();
                set(&mut nf, v);
                Msg::LogFilterSet(nf)
            });
            html! { <label class="inline"><input type="checkbox" id={id} checked={on} {onchange} />{ " " }{ label }</label> }
        };
        let nodes: Vec<String> = l.sim.hosts.iter().map(|h| h.name.clone()).collect();
        let fnode = self.log_filter.clone();
        let on_node = link.callback(move |e: Event| {
            let v = e
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let mut nf = fnode.clone();
            nf.node = (!v.is_empty()).then_some(v);
            Msg::LogFilterSet(nf)
        });
        let conns = self.conn_index.borrow_mut().get(recs, n, 300);
        let fconn = self.log_filter.clone();
        let on_conn = link.callback(move |e: Event| {
            let v = e
                .target_dyn_into::<HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            let mut nf = fconn.clone();
            nf.conn = v
                .rsplit_once(':')
                .and_then(|(a, p)| Some((a.to_string(), p.parse().ok()?)));
            Msg::LogFilterSet(nf)
        });
        let cur_conn = f
            .conn
            .as_ref()
            .map(|(a, p)| format!("{a}:{p}"))
            .unwrap_or_default();
        let last = pages - 1;
        html! {
            <section class="panel log">
                <h2>{ self.cat.tr(self.lang, "log-title", &[("n", &n.to_string()), ("shown", &total.to_string())]) }</h2>
                <div class="row wrap log-filters">
                    { toggle("log-hide-arp", f.hide_arp, |f, v| f.hide_arp = v, self.t("log-hide-arp")) }
                    { toggle("log-hide-vrrp", f.hide_vrrp, |f, v| f.hide_vrrp = v, self.t("log-hide-vrrp")) }
                    { toggle("log-hide-checks", f.hide_checks, |f, v| f.hide_checks = v, self.t("log-hide-checks")) }
                    <label class="inline">{ self.t("log-node") }{ " " }
                        <select id="log-node" onchange={on_node}>
                            <option value="" selected={f.node.is_none()}>{ self.t("log-all") }</option>
                            { for nodes.iter().map(|h| html! { <option value={h.clone()} selected={f.node.as_deref() == Some(h.as_str())}>{ h }</option> }) }
                        </select>
                    </label>
                    <label class="inline">{ self.t("log-conn") }{ " " }
                        <select id="log-conn" onchange={on_conn}>
                            <option value="" selected={f.conn.is_none()}>{ self.t("log-all") }</option>
                            { for conns.iter().map(|(a, p)| { let v = format!("{a}:{p}"); html! { <option value={v.clone()} selected={v == cur_conn}>{ v.clone() }</option> } }) }
                        </select>
                    </label>
                </div>
                <div class="row log-pages">
                    <button id="log-first" disabled={page == 0} onclick={link.callback(|_| Msg::LogPage(Some(0)))}>{ "«" }<span class="sr-only">{ self.t("log-first") }</span></button>
                    <button id="log-prev" disabled={page == 0} onclick={link.callback(move |_| Msg::LogPage(Some(page.saturating_sub(1))))}>{ "‹" }<span class="sr-only">{ self.t("log-prev") }</span></button>
                    <span id="log-page">{ self.cat.tr(self.lang, "log-page", &[("page", &(page + 1).to_string()), ("pages", &pages.to_string())]) }</span>
                    <button id="log-next" disabled={page >= last} onclick={link.callback(move |_| Msg::LogPage(Some(page + 1)))}>{ "›" }<span class="sr-only">{ self.t("log-next") }</span></button>
                    <button id="log-last" disabled={page >= last} onclick={link.callback(|_| Msg::LogPage(None))}>{ "»" }<span class="sr-only">{ self.t("log-last") }</span></button>
                </div>
                <div class="scroll" tabindex="0" role="region" aria-label={self.t("log-region")} {onkeydown}>
                    <table id="packet-log">
                        <thead><tr><th>{ "ms" }</th><th>{ self.t("log-col-node") }</th><th>{ "if" }</th><th><span class="sr-only">{ self.t("log-col-dir") }</span></th><th>{ self.t("log-col-frame") }</th><th>{ self.t("log-col-verdict") }</th></tr></thead>
                        <tbody>{ for body }</tbody>
                    </table>
                </div>
            </section>
        }
    }

    pub fn view_ha(&self, l: &Driver) -> Html {
        if l.sim.keepalived.is_empty() {
            return html! {};
        }
        let end = l.sim.end.0.max(1);
        let w = 1000.0;
        let x = |t: u64| format!("{:.1}", t as f64 / end as f64 * w);
        let rows = timeline::vrrp_strip(l);
        let strip = rows.iter().enumerate().map(|(k, r)| {
            let y = 8.0 + 26.0 * k as f64;
            let marks = r.marks.iter().filter(|m| match m {
                StripMark::Advert { t, .. } | StripMark::State { t, .. } | StripMark::Garp { t, .. } => *t <= l.view_t,
                StripMark::Wait { from, .. } => *from <= l.view_t,
            }).map(|m| match m {
                StripMark::Advert { t, priority } => html! { <line class="advert" x1={x(*t)} x2={x(*t)} y1={(y + 4.0).to_string()} y2={(y + 16.0).to_string()}><title>{ format!("{} ms: advert, priority {priority}", ms(*t)) }</title></line> },
                StripMark::Garp { t, ip } => html! { <circle class="garp" cx={x(*t)} cy={(y + 10.0).to_string()} r="3"><title>{ format!("{} ms: gratuitous ARP {ip}", ms(*t)) }</title></circle> },
                StripMark::State { t, state } => html! { <g class={classes!("state", state.to_ascii_lowercase())}><line x1={x(*t)} x2={x(*t)} y1={y.to_string()} y2={(y + 20.0).to_string()} /><text x={x(*t)} y={(y + 2.0).to_string()}>{ *state }</text></g> },
                StripMark::Wait { from, to } => {
                    let to = (*to).min(l.view_t);
                    html! { <rect class="wait" x={x(*from)} width={format!("{:.1}", ((to.saturating_sub(*from)) as f64 / end as f64 * w).max(1.0))} y={(y + 7.0).to_string()} height="6"><title>{ format!("{} → {} ms: no advert heard (Master_Down_Interval)", ms(*from), ms(to)) }</title></rect> }
                }
            });
            html! {
                <g>
                    <text class="row-label" x="-88" y={(y + 14.0).to_string()}>{ format!("{} {}", r.host, r.instance) }</text>
                    { for marks }
                </g>
            }
        });
        let h = 8.0 + 26.0 * rows.len() as f64;
        let failovers = l.sim.failover_report();
        html! {
            <section class="panel ha" id="ha-panel">
                <h2>{ self.t("ha-title") }</h2>
                <p class="muted">{ self.t("ha-strip-help") }</p>
                <svg class="vrrp-strip" id="vrrp-strip" viewBox={format!("-90 0 1090 {h}")} preserveAspectRatio="none" role="img" aria-label={self.t("ha-strip")}>
                    { for strip }
                    <line class="cursor" x1={x(l.view_t)} x2={x(l.view_t)} y1="0" y2={h.to_string()} />
                </svg>
                <h3>{ self.t("ha-failover-title") }</h3>
                if failovers.is_empty() {
                    <p class="muted" id="failover-none">{ self.t("ha-no-failover") }</p>
                } else {
                    <table id="failover-report">
                        <thead><tr><th>{ "t (s)" }</th><th>{ self.t("ha-instance") }</th><th>{ self.t("ha-from-to") }</th>
                            <th>{ self.t("ha-established") }</th><th>{ self.t("ha-survived") }</th><th>{ self.t("ha-lost") }</th></tr></thead>
                        <tbody>
                            { for failovers.iter().map(|f| html! {
                                <tr><td>{ format!("{:.3}", f.t) }</td><td>{ &f.instance }</td><td>{ format!("{} → {}", f.from, f.to) }</td>
                                    <td>{ f.established }</td><td>{ f.survived }</td><td>{ f.lost }</td></tr>
                            }) }
                        </tbody>
                    </table>
                    <p class="muted">{ self.t("ha-failover-help") }</p>
                }
            </section>
        }
    }
}
