//! The few browser calls the components need, each tolerant of failure:
//! local storage, timers, the clipboard and the last-resort error panel.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

const PASTE_KEY: &str = "upstream-doctor.paste";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The paste kept from the last visit.
pub fn load_paste() -> Option<String> {
    storage()?.get_item(PASTE_KEY).ok().flatten()
}

/// Keep the paste for the next visit. Returns false when the browser
/// refused (storage full or disabled).
pub fn save_paste(text: &str) -> bool {
    let Some(s) = storage() else { return false };
    if text.is_empty() {
        s.remove_item(PASTE_KEY).is_ok()
    } else {
        s.set_item(PASTE_KEY, text).is_ok()
    }
}

/// A `setTimeout` that is cleared when dropped.
pub struct Timeout {
    id: i32,
    _cb: Closure<dyn FnMut()>,
}

impl Timeout {
    pub fn new(ms: i32, f: impl FnOnce() + 'static) -> Option<Timeout> {
        let mut f = Some(f);
        let cb = Closure::<dyn FnMut()>::new(move || {
            if let Some(f) = f.take() {
                f()
            }
        });
        let id = web_sys::window()?
            .set_timeout_with_callback_and_timeout_and_arguments_0(cb.as_ref().unchecked_ref(), ms)
            .ok()?;
        Some(Timeout { id, _cb: cb })
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_timeout_with_handle(self.id);
        }
    }
}

/// Milliseconds since the page loaded (for rates); 0 when unavailable.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Put `text` on the clipboard with `navigator.clipboard.writeText`.
pub async fn copy_text(text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let navigator = js_sys::Reflect::get(&window, &"navigator".into())?;
    let clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into())?;
    if clipboard.is_undefined() || clipboard.is_null() {
        return Err(
            "the clipboard is not available on this page (it needs https or localhost)".into(),
        );
    }
    let write: js_sys::Function =
        js_sys::Reflect::get(&clipboard, &"writeText".into())?.dyn_into()?;
    let promise: js_sys::Promise = write.call1(&clipboard, &text.into())?.dyn_into()?;
    wasm_bindgen_futures::JsFuture::from(promise).await?;
    Ok(())
}

/// Show the static `#fatal` panel of index.html (used when the app itself
/// can no longer run, e.g. after a panic). The paste area is left alone.
pub fn show_fatal(detail: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(el) = doc.get_element_by_id("fatal-detail") {
        el.set_text_content(Some(detail));
    }
    if let Some(el) = doc.get_element_by_id("fatal") {
        let _ = el.remove_attribute("hidden");
    }
}

/// `location.hash` (`""` when unavailable).
pub fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

/// Call `on_change` on every `hashchange` until the returned function is
/// called: the body and clean-up of a `use_effect_with` for views that
/// follow the fragment (the knowledge base routes, opened share links).
pub fn on_hash_change(on_change: impl FnMut() + 'static) -> impl FnOnce() {
    let mut on_change = on_change;
    let cb = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| on_change());
    let window = web_sys::window();
    if let Some(w) = &window {
        let _ = w.add_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
    }
    move || {
        if let Some(w) = window {
            let _ =
                w.remove_event_listener_with_callback("hashchange", cb.as_ref().unchecked_ref());
        }
        drop(cb);
    }
}

/// Replace the fragment without a new history entry or a `hashchange`.
pub fn replace_hash(hash: &str) {
    if let Some(h) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(hash));
    }
}

/// The page's own address without its fragment: where share links made
/// here point (a deployment under a sub-path keeps its path).
pub fn page_base_url() -> String {
    let href = web_sys::window()
        .and_then(|w| w.location().href().ok())
        .unwrap_or_default();
    match href.split_once('#') {
        Some((base, _)) => base.to_string(),
        None => href,
    }
}

/// Offer `text` as a file download named `name` (a Blob URL on a
/// temporary `<a download>`; nothing leaves the browser).
pub fn download_text(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let doc = window.document().ok_or("no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let a: web_sys::HtmlAnchorElement = doc.create_element("a")?.dyn_into()?;
    a.set_href(&url);
    a.set_download(name);
    a.set_hidden(true);
    let body = doc.body().ok_or("no body")?;
    body.append_child(&a)?;
    a.click();
    body.remove_child(&a)?;
    // Revoked later: some browsers read the URL after click() returns.
    let _ = Timeout::new(10_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .map(std::mem::forget);
    Ok(())
}

/// The browser's print dialog.
pub fn print() {
    if let Some(w) = web_sys::window() {
        let _ = w.print();
    }
}

/// Scroll to the top and focus `el` (a heading with `tabindex="-1"`), so a
/// screen reader and the keyboard start on the new view.
pub fn focus_view(el: Option<web_sys::HtmlElement>) {
    if let Some(w) = web_sys::window() {
        w.scroll_to_with_x_and_y(0.0, 0.0);
    }
    if let Some(el) = el {
        let _ = el.focus();
    }
}
