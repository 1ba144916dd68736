//! Upstream Doctor in the browser.
//!
//! One wasm package, two entry points:
//! - the page calls [`run_app`] (from `www/app.js`) to mount the Yew UI;
//! - the worker (`www/worker.js`) calls [`worker_init`] and drives
//!   [`WorkerAnalyzer`] with the protocol in [`protocol`].
//!
//! The UI holds no diagnosis logic: everything it shows comes from
//! `analyzer_core::Report`, computed in the worker.

pub mod bridge;
pub mod components;
pub mod doc;
pub mod dom;
pub mod evidence;
pub mod format;
pub mod protocol;
pub mod route;
pub mod sharing;
pub mod state;
pub mod warm;

use wasm_bindgen::prelude::*;

/// The "Try a sample" paste (also used by the CLI and the tests).
pub const SAMPLE: &str = include_str!("../../samples/mixed-502.txt");

/// Mount the app into `#app`. Called by `www/app.js` (not a `start`
/// function, which would also run inside the worker).
#[wasm_bindgen]
pub fn run_app() -> Result<(), JsValue> {
    yew::set_custom_panic_hook(Box::new(|info| {
        let msg = info.to_string();
        web_sys_console_error(&msg);
        dom::show_fatal(&msg);
    }));
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"))
        .ok_or_else(|| JsValue::from_str("no #app element"))?;
    yew::Renderer::<components::App>::with_root(root).render();
    Ok(())
}

fn web_sys_console_error(msg: &str) {
    let console = js_sys::Reflect::get(&js_sys::global(), &"console".into())
        .ok()
        .filter(|c| !c.is_undefined());
    if let Some(c) = console {
        if let Ok(f) = js_sys::Reflect::get(&c, &"error".into()) {
            if let Ok(f) = f.dyn_into::<js_sys::Function>() {
                let _ = f.call1(&c, &msg.into());
            }
        }
    }
}

/// Install the worker's panic hook: a panic becomes an `error` message
/// (`job: null`) to the page, which shows its error panel.
#[wasm_bindgen]
pub fn worker_init() {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("the analyzer crashed: {info}");
        web_sys_console_error(&message);
        let msg = protocol::FromWorker::Error { job: None, message };
        if let (Ok(v), Ok(scope)) = (
            msg.to_js(),
            js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>(),
        ) {
            let _ = scope.post_message(&v);
        }
    }));
}

/// The worker's warm-up text ([`warm::warm_up_log`]), as bytes to feed.
#[wasm_bindgen]
pub fn worker_warm_up_log(bytes: usize) -> Vec<u8> {
    warm::warm_up_log(bytes).into_bytes()
}

/// One streaming diagnosis, driven from the worker.
#[wasm_bindgen]
pub struct WorkerAnalyzer {
    inner: Option<analyzer_core::Analyzer>,
}

impl Default for WorkerAnalyzer {
    fn default() -> Self {
        Self::new()
    }
}

#[wasm_bindgen]
impl WorkerAnalyzer {
    #[wasm_bindgen(constructor)]
    pub fn new() -> WorkerAnalyzer {
        WorkerAnalyzer {
            inner: Some(analyzer_core::Analyzer::new()),
        }
    }

    /// Read these line ranges as these kinds (`[{first_line, last_line,
    /// kind}]`, the user's corrections): call before the first `feed`.
    #[wasm_bindgen(js_name = setOverrides)]
    pub fn set_overrides(&mut self, overrides: JsValue) -> Result<(), JsValue> {
        let list: Vec<analyzer_core::segment::KindOverride> =
            serde_wasm_bindgen::from_value(overrides).map_err(JsValue::from)?;
        if self.inner.as_ref().is_some_and(|a| a.bytes_seen() > 0) {
            return Err(JsValue::from_str("setOverrides() after feed()"));
        }
        self.inner = Some(analyzer_core::Analyzer::with_overrides(&list));
        Ok(())
    }

    /// Feed the next bytes (a `Uint8Array`); lines may be split anywhere.
    pub fn feed(&mut self, chunk: &[u8]) {
        if let Some(a) = self.inner.as_mut() {
            a.feed(chunk);
        }
    }

    /// Bytes fed so far.
    #[wasm_bindgen(js_name = bytesSeen)]
    pub fn bytes_seen(&self) -> f64 {
        self.inner.as_ref().map_or(0.0, |a| a.bytes_seen() as f64)
    }

    /// Diagnose: the report as JSON text (the contract's `--json` shape;
    /// see `protocol` for why text). A second call is an error.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let a = self
            .inner
            .take()
            .ok_or_else(|| JsValue::from_str("finish() was already called"))?;
        Ok(a.finish().to_json())
    }
}

/// Open a share link (the whole URL or its `#v2.…` fragment) with the core:
/// `{ report, input, trimmed }` (the report in the JSON report shape), or an
/// exception whose message says why the link cannot be opened. For scripts
/// and tests; the page itself goes through `sharing`.
#[wasm_bindgen(js_name = openShareLink)]
pub fn open_share_link(link: &str) -> Result<JsValue, JsValue> {
    let d = analyzer_core::share::decode(link).map_err(|e| JsValue::from_str(&e.to_string()))?;
    let out = js_sys::Object::new();
    js_sys::Reflect::set(
        &out,
        &"report".into(),
        &js_sys::JSON::parse(&d.report.to_json())?,
    )?;
    let input = d.input.map_or(JsValue::NULL, |i| JsValue::from_str(&i));
    js_sys::Reflect::set(&out, &"input".into(), &input)?;
    js_sys::Reflect::set(&out, &"trimmed".into(), &JsValue::from_bool(d.trimmed))?;
    Ok(out.into())
}
