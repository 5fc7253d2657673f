//! The topology as SVG: hosts, segment buses, links and the frames on the wire.

use crate::driver::DotView;
use crate::topology::Topology;
use lvslab_sim::net::host::Role;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// The catalogue message naming a host's role.
fn role_message_id(r: Role) -> &'static str {
    match r {
        Role::Client => "role-client",
        Role::Router => "role-router",
        Role::Director => "role-director",
        Role::RealServer => "role-real-server",
        Role::Host => "role-host",
    }
}

fn role_class(r: Role) -> &'static str {
    match r {
        Role::Client => "client",
        Role::Router => "router",
        Role::Director => "director",
        Role::RealServer => "rs",
        Role::Host => "router",
    }
}

/// The Okabe–Ito palette: eight colours told apart with every common colour-vision
/// deficiency.
pub const OKABE_ITO: [&str; 7] = [
    "#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000",
];

pub fn dot_colour_safe(d: &DotView) -> String {
    match d.hue {
        Some(h) => OKABE_ITO[(h as usize / 7) % OKABE_ITO.len()].to_string(),
        None if d.arp => "#F0E442".into(),
        None => "#555".into(),
    }
}

pub fn dot_colour(d: &DotView) -> String {
    match d.hue {
        Some(h) => format!("hsl({h}, 80%, 42%)"),
        None if d.arp => "#b58900".into(),
        None => "#555".into(),
    }
}

/// What the diagram shows of each host now (addresses move with keepalived).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Live {
    pub up: Vec<bool>,
    pub labels: Vec<Vec<crate::topology::AddrLabel>>,
    pub badges: Vec<Vec<(String, &'static str)>>,
}

impl Live {
    pub fn of(sim: &lvslab_sim::Simulation) -> Live {
        let vips = crate::topology::virtual_addrs(sim);
        Live {
            up: sim.hosts.iter().map(|h| h.up).collect(),
            labels: (0..sim.hosts.len())
                .map(|i| crate::topology::live_labels(sim, i, &vips))
                .collect(),
            badges: (0..sim.hosts.len())
                .map(|i| crate::topology::vrrp_badges(sim, i))
                .collect(),
        }
    }
}

/// The diagram. Hosts are focusable: arrow keys move between them, Enter inspects the
/// host's newest frame (`on_node`). `t` gives a catalogue message in the reader's language
/// (role names, "DOWN", the diagram's label).
#[allow(clippy::too_many_arguments)]
pub fn topology(
    topo: &Topology,
    dots: &[DotView],
    live: &Live,
    highlight: &[String],
    on_pick: Callback<usize>,
    on_node: Callback<usize>,
    palette_safe: bool,
    id: &str,
    t: &dyn Fn(&str) -> String,
) -> Html {
    let up = &live.up;
    let vb = format!("0 0 {:.0} {:.0}", topo.width, topo.height);
    let buses = topo.buses.iter().map(|b| {
        html! {
            <g class="bus">
                <line x1={b.x.to_string()} y1={b.y0.to_string()} x2={b.x.to_string()} y2={b.y1.to_string()} />
                <text x={b.x.to_string()} y={(b.y0 - 6.0).to_string()} text-anchor="middle" class="bus-name">{ &b.name }</text>
            </g>
        }
    });
    let links = topo.links.iter().map(|l| {
        let left = l.x_bus < l.x_host;
        let tx = if left { l.x_host - 4.0 } else { l.x_host + 4.0 };
        html! {
            <g class="link">
                <line x1={l.x_host.to_string()} y1={l.y.to_string()} x2={l.x_bus.to_string()} y2={l.y.to_string()} />
                <text x={tx.to_string()} y={(l.y - 4.0).to_string()} text-anchor={if left { "end" } else { "start" }} class="iface">{ &l.iface }</text>
            </g>
        }
    });
    let nodes = topo.nodes.iter().map(|n| {
        let is_up = up.get(n.idx).copied().unwrap_or(true);
        let lit = highlight.contains(&n.name);
        let class = classes!("node", role_class(n.role), (!is_up).then_some("down"), lit.then_some("highlight"));
        let labels = live.labels.get(n.idx).unwrap_or(&n.labels);
        let nlab = labels.len();
        let badges = live.badges.get(n.idx).cloned().unwrap_or_default();
        let badge_lines = badges.into_iter().enumerate().map(|(k, (inst, st))| {
            let y = n.y + 40.0 + 17.0 * (nlab + k) as f64;
            html! {
                <text x={(n.x + 8.0).to_string()} y={y.to_string()} class={classes!("vrrp-badge", st.to_ascii_lowercase())}
                    data-host={n.name.clone()} data-instance={inst.clone()}>{ format!("{inst}: {st}") }</text>
            }
        });
        let lines = labels.iter().enumerate().map(|(k, l)| {
            let y = n.y + 40.0 + 17.0 * k as f64;
            let text = if l.tag.is_empty() {
                format!("{} ({})", l.addr, l.iface)
            } else if l.iface != "eth0" {
                format!("{} {} ({})", l.tag, l.addr, l.iface)
            } else {
                format!("{} {}", l.tag, l.addr)
            };
            html! { <text x={(n.x + 8.0).to_string()} y={y.to_string()} class={classes!("addr", l.tag.to_ascii_lowercase())}>{ text }</text> }
        });
        let idx = n.idx;
        let on_node = on_node.clone();
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                on_node.emit(idx);
            }
        });
        html! {
            <g class={class} data-host={n.name.clone()} tabindex="0" role="button" {onkeydown}>
                <rect x={n.x.to_string()} y={n.y.to_string()} width={n.w.to_string()} height={n.h.to_string()} rx="8" />
                <text x={(n.x + 8.0).to_string()} y={(n.y + 20.0).to_string()} class="name">{ &n.name }</text>
                <text x={(n.x + n.w - 8.0).to_string()} y={(n.y + 20.0).to_string()} text-anchor="end" class="role">
                    { t(if is_up { role_message_id(n.role) } else { "role-down" }) }
                </text>
                { for lines }
                { for badge_lines }
            </g>
        }
    });
    let dots = dots.iter().map(|d| {
        let rec = d.record;
        let key = format!("{rec}.{}", d.arrival);
        let fill = if palette_safe { dot_colour_safe(d) } else { dot_colour(d) };
        if d.arp {
            html! {
                <rect {key} class="pkt arp" x={format!("{:.1}", d.x - 6.0)} y={format!("{:.1}", d.y - 6.0)} width="12" height="12"
                    fill={fill} data-record={rec.to_string()} />
            }
        } else {
            html! {
                <circle {key} class="pkt" cx={format!("{:.1}", d.x)} cy={format!("{:.1}", d.y)} r="7"
                    fill={fill} data-record={rec.to_string()} />
            }
        }
    });
    // One listener for every frame: the clicked element carries its record index.
    let onclick = Callback::from(move |e: MouseEvent| {
        let rec = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|el| el.get_attribute("data-record"))
            .and_then(|r| r.parse::<usize>().ok());
        if let Some(r) = rec {
            on_pick.emit(r);
        }
    });
    // Arrow keys move the focus from host to host (in the order they are drawn).
    let onkeydown = Callback::from(|e: KeyboardEvent| {
        let step: i32 = match e.key().as_str() {
            "ArrowRight" | "ArrowDown" => 1,
            "ArrowLeft" | "ArrowUp" => -1,
            _ => return,
        };
        let Some(svg) = e
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        else {
            return;
        };
        let Ok(nodes) = svg.query_selector_all("g.node") else {
            return;
        };
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element());
        let n = nodes.length() as i32;
        if n == 0 {
            return;
        }
        let cur = (0..n).find(|&i| {
            nodes
                .item(i as u32)
                .and_then(|x| x.dyn_into::<web_sys::Element>().ok())
                == active
        });
        let next = match cur {
            Some(i) => (i + step).rem_euclid(n),
            None => 0,
        };
        if let Some(el) = nodes
            .item(next as u32)
            .and_then(|x| x.dyn_into::<web_sys::SvgElement>().ok())
        {
            e.prevent_default();
            let _ = el.focus();
        }
    });
    html! {
        <svg class={classes!("topology", palette_safe.then_some("safe"))} id={id.to_string()} viewBox={vb} preserveAspectRatio="xMidYMin meet" role="group"
            aria-label={t("topology-label")} {onclick} {onkeydown}>
            { for buses }
            { for links }
            { for nodes }
            { for dots }
        </svg>
    }
}
