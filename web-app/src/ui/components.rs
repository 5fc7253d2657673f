//! The panels as function components. Each takes the app's `Link` and a stamp: it renders
//! again only when its stamp moves (the whole page's version for what follows the clock,
//! the slower panel stamp for the heavy tables), and reads the state through the link.

use super::state::{LabState, Link};
use yew::prelude::*;

#[derive(Properties, Clone, PartialEq)]
pub struct PanelProps {
    pub link: Link,
    pub stamp: u64,
}

/// Renders `f` over the state, or nothing when the app is gone.
fn with_state(p: &PanelProps, f: impl FnOnce(&LabState, &Link) -> Html) -> Html {
    match p.link.state() {
        Some(st) => match st.try_borrow() {
            Ok(s) => f(&s, &p.link),
            Err(_) => html! {},
        },
        None => html! {},
    }
}

/// The page: header, error banner, the current tab.
#[function_component(Root)]
pub fn root(p: &PanelProps) -> Html {
    with_state(p, |s, l| s.view_root(l))
}

#[function_component(LessonPanel)]
pub fn lesson_panel(p: &PanelProps) -> Html {
    with_state(p, |s, l| match &s.lesson {
        Some(run) => s.view_lesson(l, run),
        None => html! {},
    })
}

#[function_component(LessonList)]
pub fn lesson_list(p: &PanelProps) -> Html {
    with_state(p, |s, l| s.view_lesson_list(l))
}

#[function_component(PacketLog)]
pub fn packet_log(p: &PanelProps) -> Html {
    with_state(p, |s, l| match &s.lab {
        Some(d) => s.view_packet_log(l, d),
        None => html! {},
    })
}

#[function_component(Nodes)]
pub fn nodes(p: &PanelProps) -> Html {
    with_state(p, |s, l| match &s.lab {
        Some(d) => s.view_nodes(l, d),
        None => html! {},
    })
}

#[function_component(ConsolePanel)]
pub fn console_panel(p: &PanelProps) -> Html {
    with_state(p, |s, l| match &s.lab {
        Some(d) => s.view_console(l, d),
        None => html! {},
    })
}

#[function_component(Exports)]
pub fn exports(p: &PanelProps) -> Html {
    with_state(p, |s, l| match &s.lab {
        Some(d) => s.view_exports(l, d),
        None => html! {},
    })
}

#[function_component(HaPanel)]
pub fn ha_panel(p: &PanelProps) -> Html {
    with_state(p, |s, _| match &s.lab {
        Some(d) => s.view_ha(d),
        None => html! {},
    })
}

#[function_component(Picker)]
pub fn picker(p: &PanelProps) -> Html {
    with_state(p, |s, l| s.view_picker(l))
}

#[function_component(Editor)]
pub fn editor(p: &PanelProps) -> Html {
    with_state(p, |s, l| s.view_editor(l))
}

#[function_component(TimelineTicks)]
pub fn timeline_ticks(p: &PanelProps) -> Html {
    with_state(p, |s, _| match &s.lab {
        Some(d) => s.view_timeline_ticks(d),
        None => html! {},
    })
}
