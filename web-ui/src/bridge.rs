//! The page's end of the worker protocol ([`crate::protocol`]): one module
//! worker running `worker.js`, which loads this same wasm package.

use crate::protocol::{FromWorker, ToWorker};
use crate::state::{Action, AppState, Progress};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::UseReducerDispatcher;

pub struct Bridge {
    worker: web_sys::Worker,
    /// Set when the worker failed as a whole: make a new one next time.
    dead: Rc<Cell<bool>>,
    _on_message: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Bridge {
    pub fn new(dispatch: UseReducerDispatcher<AppState>) -> Result<Bridge, JsValue> {
        let opts = web_sys::WorkerOptions::new();
        opts.set_type(web_sys::WorkerType::Module);
        // Relative to the page: works from any sub-path.
        let worker = web_sys::Worker::new_with_options("worker.js", &opts)?;
        let dead = Rc::new(Cell::new(false));

        let d = dispatch.clone();
        let dead_m = dead.clone();
        let on_message =
            Closure::<dyn FnMut(_)>::new(move |e: web_sys::MessageEvent| match FromWorker::decode(
                &e.data(),
            ) {
                Ok(msg) => handle(&d, &dead_m, msg),
                Err(err) => d.dispatch(Action::Failed {
                    job: None,
                    message: format!("unreadable message from the worker: {err}"),
                }),
            });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));

        let dead_e = dead.clone();
        let on_error = Closure::<dyn FnMut(_)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            dead_e.set(true);
            let detail = e
                .dyn_ref::<web_sys::ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the worker script could not be loaded".to_string());
            dispatch.dispatch(Action::Failed {
                job: None,
                message: format!("The diagnosis worker stopped: {detail}"),
            });
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        worker.set_onmessageerror(Some(on_error.as_ref().unchecked_ref()));

        Ok(Bridge {
            worker,
            dead,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    pub fn is_dead(&self) -> bool {
        self.dead.get()
    }

    pub fn post(&self, msg: &ToWorker) -> Result<(), JsValue> {
        let v = msg.to_js().map_err(JsValue::from)?;
        self.worker.post_message(&v)
    }

    /// `start` with the files attached: the worker streams them.
    pub fn post_files(
        &self,
        job: u32,
        total: f64,
        overrides: &[analyzer_core::segment::KindOverride],
        files: &[web_sys::File],
    ) -> Result<(), JsValue> {
        let v = ToWorker::Start {
            job,
            total,
            overrides: overrides.to_vec(),
        }
        .to_js()
        .map_err(JsValue::from)?;
        let arr = js_sys::Array::new();
        for f in files {
            arr.push(f);
        }
        js_sys::Reflect::set(&v, &"files".into(), &arr)?;
        self.worker.post_message(&v)
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.set_onmessageerror(None);
        self.worker.terminate();
    }
}

fn handle(d: &UseReducerDispatcher<AppState>, dead: &Cell<bool>, msg: FromWorker) {
    match msg {
        FromWorker::Ready | FromWorker::Warm => {}
        FromWorker::Progress {
            job,
            bytes,
            total,
            elapsed_ms,
            file,
        } => d.dispatch(Action::Progress {
            job,
            progress: Progress {
                bytes,
                total,
                elapsed_ms,
                file,
            },
        }),
        FromWorker::Report { job, report } => d.dispatch(Action::Report {
            job,
            report: Rc::new(*report),
        }),
        FromWorker::Error { job, message } => {
            if job.is_none() {
                dead.set(true);
            }
            d.dispatch(Action::Failed { job, message })
        }
    }
}
