//! The Yew components (wasm32 only). They render state and dispatch messages; the logic is
//! in the crate's plain modules.

mod app;
mod chart_canvas;
mod compare_view;
mod components;
mod dom;
mod lab_extras;
mod lesson_view;
mod panels;
mod state;
mod topo_svg;
mod whatif_state;
mod whatif_sweep_view;
mod whatif_view;

use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        dom::fatal_banner(&info.to_string());
    }));
    dom::set_global("lvslabStart", dom::now_ms());
    yew::Renderer::<app::App>::new().render();
}
