//! The application component: owns the lab's state (`state::LabState`), hands each action
//! to it, and runs the animation-frame loop and the keyboard shortcuts.

use super::components::Root;
use super::dom;
use super::state::{LabState, Link, Msg};
use gloo::events::EventListener;
use gloo::render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

pub struct App {
    state: Rc<RefCell<LabState>>,
    link: Link,
    /// Bumped whenever the state changed: the root re-renders, panels by their own stamps.
    version: u64,
    first_render: bool,
    _raf: Option<AnimationFrame>,
    _keys: Option<EventListener>,
}

impl App {
    fn next_frame(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self._raf = Some(request_animation_frame(move |ts| {
            link.send_message(Msg::Frame(ts))
        }));
    }
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let (state, pending) = LabState::new();
        let state = Rc::new(RefCell::new(state));
        let link = Link::new(ctx.link().callback(|m| m), &state);
        let mut app = App {
            state,
            link,
            version: 0,
            first_render: true,
            _raf: None,
            _keys: None,
        };
        for m in pending {
            ctx.link().send_message(m);
        }
        // Keyboard: space plays/pauses, `s` steps one hop (outside text fields).
        if let Some(doc) = dom::window().and_then(|w| w.document()) {
            let link = ctx.link().clone();
            let opts = gloo::events::EventListenerOptions::enable_prevent_default();
            app._keys = Some(EventListener::new_with_options(
                &doc,
                "keydown",
                opts,
                move |e| {
                    let Some(e) = e.dyn_ref::<web_sys::KeyboardEvent>() else {
                        return;
                    };
                    let in_field = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .map(|el| {
                            matches!(
                                el.tag_name().as_str(),
                                "INPUT" | "TEXTAREA" | "SELECT" | "BUTTON"
                            )
                        })
                        .unwrap_or(false);
                    if in_field || e.ctrl_key() || e.meta_key() || e.alt_key() {
                        return;
                    }
                    match e.key().as_str() {
                        " " => {
                            e.prevent_default();
                            link.send_message(Msg::TogglePlay);
                        }
                        "s" | "." => link.send_message(Msg::Step),
                        "," => link.send_message(Msg::StepBack),
                        _ => {}
                    }
                },
            ));
        }
        app.next_frame(ctx);
        app
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        if matches!(msg, Msg::Frame(_)) {
            self.next_frame(ctx);
        }
        let mut st = self.state.borrow_mut();
        let changed = st.update(&self.link, msg);
        if changed {
            self.version += 1;
            st.version = self.version;
        }
        changed
    }

    fn view(&self, _ctx: &Context<Self>) -> Html {
        html! { <Root link={self.link.clone()} stamp={self.version} /> }
    }

    fn rendered(&mut self, _ctx: &Context<Self>, first_render: bool) {
        if first_render && self.first_render {
            self.first_render = false;
            dom::set_global("lvslabFirstRender", dom::now_ms());
        }
        self.state.borrow_mut().after_render(&self.link);
    }
}
