//! The topology as SVG: hosts, segment buses, links and the frames on the wire.

use crate::driver::DotView;
use crate::topology::Topology;
use lvslab_sim::net::host::Role;
use wasm_bindgen::JsCast;
use yew::prelude::*;

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Client => "client",
        Role::Router => "router",
        Role::Director => "director",
        Role::RealServer => "real server",
        Role::Host => "host",
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

pub fn dot_colour(d: &DotView) -> String {
    match d.hue {
        Some(h) => format!("hsl({h}, 80%, 42%)"),
        None if d.arp => "#b58900".into(),
        None => "#555".into(),
    }
}

/// `up[i]` says whether host i is running.
pub fn topology(
    topo: &Topology,
    dots: &[DotView],
    up: &[bool],
    highlight: &[String],
    on_pick: Callback<usize>,
    id: &str,
) -> Html {
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
        let lines = n.labels.iter().enumerate().map(|(k, l)| {
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
        html! {
            <g class={class} data-host={n.name.clone()}>
                <rect x={n.x.to_string()} y={n.y.to_string()} width={n.w.to_string()} height={n.h.to_string()} rx="8" />
                <text x={(n.x + 8.0).to_string()} y={(n.y + 20.0).to_string()} class="name">{ &n.name }</text>
                <text x={(n.x + n.w - 8.0).to_string()} y={(n.y + 20.0).to_string()} text-anchor="end" class="role">
                    { if is_up { role_name(n.role) } else { "DOWN" } }
                </text>
                { for lines }
            </g>
        }
    });
    let dots = dots.iter().map(|d| {
        let rec = d.record;
        let key = format!("{rec}.{}", d.arrival);
        let fill = dot_colour(d);
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
    html! {
        <svg class="topology" id={id.to_string()} viewBox={vb} preserveAspectRatio="xMidYMin meet" role="img"
            aria-label="Topology: hosts, segments and the frames on the wire" {onclick}>
            { for buses }
            { for links }
            { for nodes }
            { for dots }
        </svg>
    }
}
