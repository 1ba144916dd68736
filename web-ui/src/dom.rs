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
