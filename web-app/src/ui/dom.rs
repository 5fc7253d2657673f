//! Small browser helpers: downloads (blobs, data URLs, canvas pictures), the URL fragment,
//! the clock, the fatal-error banner.

use crate::exports::Download;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

pub fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

/// Milliseconds since the page started (performance.now()).
pub fn now_ms() -> f64 {
    window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

pub fn hash() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Replaces the fragment without adding a history entry or scrolling.
pub fn set_hash(frag: &str) {
    if let Some(w) = window() {
        if let Ok(h) = w.history() {
            let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(frag));
        }
    }
}

/// The page address without its fragment.
pub fn page_url() -> String {
    window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default()
}

/// Offers bytes as a file download.
pub fn download(d: &Download) -> Result<(), String> {
    let e = |x: JsValue| format!("download failed: {x:?}");
    let doc = window().and_then(|w| w.document()).ok_or("no document")?;
    let arr = js_sys::Uint8Array::from(d.bytes.as_slice());
    let parts = js_sys::Array::new();
    parts.push(&arr.buffer());
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(d.mime);
    let blob =
        web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &opts).map_err(e)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(e)?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(e)?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    a.set_href(&url);
    a.set_download(&d.file_name);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Offers a URL (a `data:` URL) as a file download through a clicked `<a download>`, and
/// leaves `window.lvslabLastDownload = {name, href}` for the end-to-end tests.
pub fn download_url(file_name: &str, href: &str) -> Result<(), String> {
    let w = window().ok_or("no window")?;
    let doc = w.document().ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = doc
        .create_element("a")
        .map_err(|x| format!("download failed: {x:?}"))?
        .dyn_into()
        .map_err(|_| "not an anchor".to_string())?;
    a.set_href(href);
    a.set_download(file_name);
    let last = js_sys::Object::new();
    let _ = js_sys::Reflect::set(
        &last,
        &JsValue::from_str("name"),
        &JsValue::from_str(file_name),
    );
    let _ = js_sys::Reflect::set(&last, &JsValue::from_str("href"), &JsValue::from_str(href));
    let _ = js_sys::Reflect::set(&w, &JsValue::from_str("lvslabLastDownload"), &last);
    a.click();
    Ok(())
}

/// The picture on a canvas as a PNG `data:` URL.
pub fn canvas_png(id: &str) -> Result<String, String> {
    let doc = window().and_then(|w| w.document()).ok_or("no document")?;
    let c: web_sys::HtmlCanvasElement = doc
        .get_element_by_id(id)
        .ok_or_else(|| format!("no canvas {id}"))?
        .dyn_into()
        .map_err(|_| format!("{id} is not a canvas"))?;
    c.to_data_url_with_type("image/png")
        .map_err(|x| format!("{id}: {x:?}"))
}

/// Sets a number on `window` for tests and measurements, e.g. the first render time.
pub fn set_global(name: &str, v: f64) {
    if let Some(w) = window() {
        let _ = js_sys::Reflect::set(&w, &JsValue::from_str(name), &JsValue::from_f64(v));
    }
}

/// Shows a message in the page's fatal-error banner (outside the app, so it works even
/// when the app can no longer render).
pub fn fatal_banner(msg: &str) {
    let Some(doc) = window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(el) = doc.get_element_by_id("fatal") {
        el.set_text_content(Some(&format!(
            "The lab stopped on an internal error. Reload the page to continue.\n\n{msg}"
        )));
        let _ = el.set_attribute("class", "fatal shown");
    }
}

/// `<html lang>` follows the interface language (screen readers and fonts use it).
pub fn set_html_lang(code: &str) {
    if let Some(el) = window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = el.set_attribute("lang", code);
    }
}

/// Brings an element into view (the lab, after a lesson or scenario is chosen).
pub fn scroll_to(id: &str) {
    let id = id.to_string();
    gloo::timers::callback::Timeout::new(0, move || {
        let Some(w) = window() else { return };
        if let Some(el) = w.document().and_then(|d| d.get_element_by_id(&id)) {
            // Only when it is out of sight: on a narrow screen the lab is already first.
            let top = el.get_bounding_client_rect().top();
            let h = w
                .inner_height()
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(800.0);
            if top < 0.0 || top > h * 0.5 {
                el.scroll_into_view();
            }
        }
    })
    .forget();
}
