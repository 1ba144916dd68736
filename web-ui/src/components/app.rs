//! The page: paste area, file input and drop zone, progress, errors, results.

use super::collector::CollectorPanel;
use super::knowledge::{use_route, KnowledgeBase};
use super::results::Results;
use super::share::ShareButton;
use super::shared_view::{use_shared_link, SharedView};
use super::widgets::{ErrorPanel, ProgressPanel};
use crate::bridge::Bridge;
use crate::dom::{self, Timeout};
use crate::protocol::ToWorker;
use crate::route::{self, Route};
use crate::state::{self, Action, AppState, KindChange, Source, AUTO_DIAGNOSE_MAX};
use analyzer_core::segment::KindOverride;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

type Dispatch = UseReducerDispatcher<AppState>;

/// Pastes are sent to the worker in slices of this size.
const CHUNK: usize = 1 << 20;
/// Typing pause before a small paste is diagnosed again.
const DEBOUNCE_MS: i32 = 300;

/// The effects side of the page: the worker, job ids, the debounce timer.
#[derive(Default)]
struct Runner {
    bridge: Option<Bridge>,
    job: u32,
    timer: Option<Timeout>,
    /// The files of the last file job, to read again with new overrides.
    last_files: Vec<web_sys::File>,
}

impl Runner {
    fn bridge(&mut self, d: &Dispatch) -> Result<&Bridge, JsValue> {
        if self.bridge.as_ref().is_some_and(Bridge::is_dead) {
            self.bridge = None;
        }
        if self.bridge.is_none() {
            self.bridge = Some(Bridge::new(d.clone())?);
        }
        self.bridge
            .as_ref()
            .ok_or_else(|| JsValue::from_str("no worker"))
    }

    fn next_job(&mut self) -> u32 {
        self.job += 1;
        self.job
    }

    fn failed(d: &Dispatch, job: u32, e: JsValue) {
        let message = e
            .as_string()
            .or_else(|| js_sys::JSON::stringify(&e).ok().and_then(|s| s.as_string()))
            .unwrap_or_else(|| "unknown error".into());
        d.dispatch(Action::Failed {
            job: Some(job),
            message: format!("could not start the diagnosis: {message}"),
        });
    }

    fn paste(&mut self, d: &Dispatch, text: &str, overrides: &[KindOverride]) {
        let job = self.next_job();
        let bytes = text.as_bytes();
        d.dispatch(Action::Started {
            job,
            source: Source::Paste,
            total: bytes.len() as f64,
        });
        let sent = self.bridge(d).and_then(|b| {
            b.post(&ToWorker::Start {
                job,
                total: bytes.len() as f64,
                overrides: overrides.to_vec(),
            })?;
            for c in bytes.chunks(CHUNK) {
                b.post(&ToWorker::Chunk {
                    job,
                    data: c.to_vec(),
                })?;
            }
            b.post(&ToWorker::Finish { job })
        });
        if let Err(e) = sent {
            Self::failed(d, job, e);
        }
    }

    fn files(&mut self, d: &Dispatch, files: Vec<web_sys::File>, overrides: &[KindOverride]) {
        if files.is_empty() {
            return;
        }
        self.timer = None;
        self.last_files = files.clone();
        let job = self.next_job();
        let total: f64 = files.iter().map(|f| f.size()).sum();
        let names = files.iter().map(|f| f.name()).collect();
        d.dispatch(Action::Started {
            job,
            source: Source::Files(names),
            total,
        });
        if let Err(e) = self
            .bridge(d)
            .and_then(|b| b.post_files(job, total, overrides, &files))
        {
            Self::failed(d, job, e);
        }
    }

    fn cancel(&mut self, d: &Dispatch) {
        self.timer = None;
        let job = self.job;
        if let Some(b) = &self.bridge {
            let _ = b.post(&ToWorker::Cancel { job });
        }
        d.dispatch(Action::Cancelled { job });
    }
}

fn file_list(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState::with_paste(&dom::load_paste().unwrap_or_default()));
    let d = state.dispatcher();
    let runner = use_mut_ref(Runner::default);
    let immediate = use_mut_ref(|| Cell::new(false));
    let dragging = use_state(|| false);
    let file_input = use_node_ref();
    let route = use_route();
    // A share link in the fragment is shown instead of the editor.
    let (shared, leave_shared) = use_shared_link();
    let shared_ok = shared.as_ref().is_some_and(|o| o.is_ok());

    // Start the diagnosis worker with the page, not with the first paste:
    // loading its wasm takes a few hundred milliseconds that the first
    // diagnosis would otherwise wait for. A worker that cannot start shows
    // the error panel now; the next diagnosis tries a new one.
    {
        let runner = runner.clone();
        let d = d.clone();
        use_effect_with((), move |_| {
            let warm = Timeout::new(0, move || {
                let mut r = runner.borrow_mut();
                if let Err(e) = r.bridge(&d) {
                    let job = r.job;
                    Runner::failed(&d, job, e);
                }
            });
            move || drop(warm)
        });
    }

    // Keep the paste across reloads; re-diagnose small pastes as you type.
    {
        let runner = runner.clone();
        let d = d.clone();
        let immediate = immediate.clone();
        use_effect_with(state.paste.clone(), move |paste: &Rc<str>| {
            dom::save_paste(paste);
            let delay = if immediate.borrow().replace(false) {
                0
            } else {
                DEBOUNCE_MS
            };
            let timer = if !paste.trim().is_empty() && paste.len() <= AUTO_DIAGNOSE_MAX {
                let r = runner.clone();
                let p = paste.clone();
                // A changed paste has no overrides (see AppState::overrides).
                Timeout::new(delay, move || r.borrow_mut().paste(&d, &p, &[]))
            } else {
                None
            };
            runner.borrow_mut().timer = timer;
        });
    }

    let diagnose_now = {
        let runner = runner.clone();
        let d = d.clone();
        let paste = state.paste.clone();
        let overrides = state.overrides.clone();
        Callback::from(move |_: ()| {
            let mut r = runner.borrow_mut();
            r.timer = None;
            if !paste.trim().is_empty() {
                r.paste(&d, &paste, &overrides);
            }
        })
    };

    let oninput = {
        let d = d.clone();
        Callback::from(move |e: InputEvent| {
            let t: HtmlTextAreaElement = e.target_unchecked_into();
            d.dispatch(Action::SetPaste(Rc::from(t.value())));
        })
    };
    let onkeydown = {
        let go = diagnose_now.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                e.prevent_default();
                go.emit(());
            }
        })
    };
    let on_sample = {
        let d = d.clone();
        let immediate = immediate.clone();
        let runner = runner.clone();
        let same = &*state.paste == crate::SAMPLE;
        Callback::from(move |_: MouseEvent| {
            if same {
                d.dispatch(Action::SetOverrides(Rc::default()));
                runner.borrow_mut().paste(&d, crate::SAMPLE, &[]);
            } else {
                immediate.borrow().set(true);
                d.dispatch(Action::SetPaste(Rc::from(crate::SAMPLE)));
            }
        })
    };
    let on_clear = {
        let d = d.clone();
        let runner = runner.clone();
        Callback::from(move |_: MouseEvent| {
            let mut r = runner.borrow_mut();
            r.timer = None;
            if let Some(b) = &r.bridge {
                let _ = b.post(&ToWorker::Cancel { job: r.job });
            }
            d.dispatch(Action::Clear);
        })
    };
    let on_cancel = {
        let d = d.clone();
        let runner = runner.clone();
        Callback::from(move |_: ()| runner.borrow_mut().cancel(&d))
    };
    let on_pick = {
        let file_input = file_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(i) = file_input.cast::<HtmlInputElement>() {
                i.click();
            }
        })
    };
    let on_files = {
        let d = d.clone();
        let runner = runner.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let files = file_list(input.files());
            d.dispatch(Action::SetOverrides(Rc::default()));
            runner.borrow_mut().files(&d, files, &[]);
            // Picking the same file again must fire `change` again.
            input.set_value("");
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            if !*dragging {
                dragging.set(true);
            }
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let d = d.clone();
        let runner = runner.clone();
        let dragging = dragging.clone();
        Callback::from(move |e: DragEvent| {
            e.prevent_default();
            dragging.set(false);
            let files = file_list(e.data_transfer().and_then(|t| t.files()));
            d.dispatch(Action::SetOverrides(Rc::default()));
            runner.borrow_mut().files(&d, files, &[]);
        })
    };
    let on_retry = {
        let d = d.clone();
        let go = diagnose_now.clone();
        Callback::from(move |_: ()| {
            d.dispatch(Action::DismissError);
            go.emit(());
        })
    };
    let on_dismiss = {
        let d = d.clone();
        Callback::from(move |_: ()| d.dispatch(Action::DismissError))
    };
    let on_diagnose = diagnose_now.reform(|_: MouseEvent| ());
    // A chip re-labelled: read the same input again with the correction.
    let on_kind = {
        let d = d.clone();
        let runner = runner.clone();
        let overrides = state.overrides.clone();
        let paste = state.paste.clone();
        let source = state.report_source.clone();
        Callback::from(move |c: KindChange| {
            let list = Rc::new(state::apply_change(&overrides, &c));
            d.dispatch(Action::SetOverrides(list.clone()));
            let mut r = runner.borrow_mut();
            r.timer = None;
            match &source {
                Some(Source::Files(_)) => {
                    let files = r.last_files.clone();
                    r.files(&d, files, &list);
                }
                _ => r.paste(&d, &paste, &list),
            }
        })
    };
    let kb = route.is_knowledge_base();

    let big = state.paste.len() > AUTO_DIAGNOSE_MAX;
    html! {
        <>
        <header class="top">
            <h1><img src="favicon.svg" alt="" width="28" height="28" />{ "Upstream Doctor" }</h1>
            <p class="tagline">{ "Why does nginx answer 502 Bad Gateway or 504 Gateway Time-out? Paste what you have; get the cause, the evidence and the fix." }</p>
            <nav class="top-nav" aria-label="Site">
                <a href={route::HOME} aria-current={(!kb).then_some("page")}>{ "Diagnose" }</a>
                <a href={route::CAUSES} aria-current={kb.then_some("page")}>{ "Knowledge base" }</a>
            </nav>
        </header>
        if kb {
            <KnowledgeBase route={route.clone()} />
        }
        if let Some(opened) = shared.as_ref().filter(|_| shared_ok && !kb) {
            <main id="shared-main"><SharedView opened={opened.clone()} on_leave={leave_shared.clone()} /></main>
        }
        <main id="main" hidden={shared_ok || kb}>
            if let Some(opened) = shared.as_ref().filter(|_| !shared_ok) {
                <SharedView opened={opened.clone()} on_leave={leave_shared.clone()} />
            }
            if route == Route::Collect {
                <CollectorPanel />
            }
            <section class={classes!("input", (*dragging).then_some("dragging"))} aria-label="Input"
                     {ondragover} {ondragleave} {ondrop}>
                <label for="paste" class="paste-label">
                    { "Paste nginx error.log lines, config (" }<code>{ "nginx -T" }</code>{ "), " }
                    <code>{ "ss -tlnp" }</code>{ ", " }<code>{ "systemctl status" }</code>{ " output… any mix" }
                </label>
                <textarea id="paste" class="paste" spellcheck="false" autocomplete="off" autocapitalize="off"
                          wrap="off" rows="14" aria-describedby="paste-help"
                          placeholder="2024/05/14 09:12:01 [error] 1234#1234: *101 connect() failed (111: Connection refused) while connecting to upstream, …"
                          value={AttrValue::from(state.paste.to_string())} {oninput} {onkeydown} />
                <p id="paste-help" class="help">
                    { if big {
                        "This paste is large: press Diagnose (or Ctrl+Enter) to read it."
                    } else {
                        "Diagnosed as you type (Ctrl+Enter to run now). Or drop log files here, .gz too."
                    } }
                    { " Everything stays in this browser tab." }
                </p>
                <div class="actions">
                    <button type="button" class="primary" onclick={on_diagnose}>{ "Diagnose" }</button>
                    <button type="button" onclick={on_sample}>{ "Try a sample" }</button>
                    <button type="button" onclick={on_pick}>{ "Open files…" }</button>
                    <a class="button" href={route::COLLECT}>{ "Collect everything…" }</a>
                    <input ref={file_input} id="files" type="file" multiple=true class="visually-hidden"
                           tabindex="-1" aria-label="Log files to diagnose" onchange={on_files} />
                    <button type="button" class="secondary" onclick={on_clear}
                            disabled={state.paste.is_empty() && state.report.is_none()}>{ "Clear" }</button>
                </div>
            </section>
            <p class="notice" role="status" aria-live="polite">{ state.notice.clone().unwrap_or_default() }</p>
            if let Some(r) = &state.running {
                <ProgressPanel running={r.clone()} {on_cancel} />
            }
            if !state.errors.is_empty() {
                <ErrorPanel errors={state.errors.clone()} {on_retry} {on_dismiss} />
            }
            // Hidden under a shared diagnosis: one set of cause rows at a time.
            if let Some(report) = state.report.as_ref().filter(|_| !shared_ok) {
                <ShareButton report={report.clone()} input={state.report_paste.clone()} />
                <Results report={report.clone()}
                         source={state.report_source.as_ref().map(|s| AttrValue::from(s.describe()))}
                         overrides={state.overrides.clone()} on_kind={Some(on_kind)} />
            }
        </main>
        <footer class="foot">
            <p>{ "Runs entirely in your browser: nothing is uploaded, and it works offline once loaded. " }
               { "Your paste is kept in this browser's local storage until you press Clear." }</p>
        </footer>
        </>
    }
}
