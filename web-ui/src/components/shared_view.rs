//! A share link opened in the page: the page loads (or its fragment
//! changes, `hashchange`) with `#v2.…`; the core decodes it and the shared
//! diagnosis is shown read-only, with the sender's redacted input when the
//! link carries it. A link that cannot be opened (from a newer version,
//! damaged, cut short, too big) gets a message panel instead.
//!
//! Opening a link never touches the person's own paste (kept in local
//! storage by `app`): the shared report and input live only here, and
//! "Start your own" drops the fragment and shows the editor again.

use super::results::Results;
use crate::{dom, sharing};
use analyzer_core::share::{Decoded, ShareError};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

/// What the page's fragment opened to.
pub type Opened = Rc<Result<Decoded, ShareError>>;

fn current_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

fn open_current() -> Option<Opened> {
    sharing::open(&current_hash()).map(Rc::new)
}

/// Drop the fragment from the address without a reload (and without
/// `hashchange`), as a new history entry: Back returns to the link.
fn clear_fragment() {
    let Some(w) = web_sys::window() else { return };
    let loc = w.location();
    let url = format!(
        "{}{}",
        loc.pathname().unwrap_or_default(),
        loc.search().unwrap_or_default()
    );
    if let Ok(h) = w.history() {
        let _ = h.push_state_with_url(&JsValue::NULL, "", Some(&url));
    }
}

fn focus_by_id(id: &str) {
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id(id))
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    if let Some(el) = el {
        let _ = el.focus();
    }
}

/// The share link in the page's fragment, if any, following `hashchange`,
/// and the callback that leaves it ("Start your own").
#[hook]
pub fn use_shared_link() -> (Option<Opened>, Callback<()>) {
    let opened = use_state(open_current);
    {
        let opened = opened.clone();
        use_effect_with((), move |_| {
            dom::on_hash_change(move || opened.set(open_current()))
        });
    }
    let leave = {
        let opened = opened.clone();
        Callback::from(move |_: ()| {
            clear_fragment();
            opened.set(None);
        })
    };
    ((*opened).clone(), leave)
}

#[derive(Properties, PartialEq)]
pub struct SharedProps {
    pub opened: Opened,
    /// "Start your own": leave the link for the editor.
    pub on_leave: Callback<()>,
}

/// The opened link: the read-only diagnosis, or why it cannot be shown.
#[function_component(SharedView)]
pub fn shared_view(p: &SharedProps) -> Html {
    let heading = use_node_ref();
    // A link opened (or replaced by another): start reading at its heading.
    {
        let heading = heading.clone();
        use_effect_with(p.opened.clone(), move |_| {
            if let Some(h) = heading.cast::<HtmlElement>() {
                let _ = h.focus();
            }
        });
    }
    let leave = {
        let on_leave = p.on_leave.clone();
        Callback::from(move |_: MouseEvent| {
            on_leave.emit(());
            // The editor is shown again on the next render.
            let _ = crate::dom::Timeout::new(0, || focus_by_id("paste")).map(std::mem::forget);
        })
    };
    match &*p.opened {
        Ok(d) => html! {
            <section class="shared" aria-labelledby="shared-title">
                <div class="shared-banner" role="note">
                    <h2 id="shared-title" tabindex="-1" ref={heading}>{ "Shared diagnosis — read-only" }</h2>
                    <p>
                        { "Redacted by the sender: addresses, host names, user names and secrets were replaced with placeholders such as " }
                        <code>{ "host-1" }</code>{ " and " }<code>{ "ip-2" }</code>
                        { " before the link was made. The diagnosis travels inside the link itself; nothing was fetched from a server." }
                    </p>
                    if d.trimmed {
                        <p>{ "Some evidence, reasoning or less likely causes were left out to keep the link short." }</p>
                    }
                    <p class="shared-meta">
                        { format!("Link format v{}.", d.version) }
                        if d.input.is_some() { { " The link includes the sender's redacted input (below)." } }
                    </p>
                    <div class="actions">
                        <button type="button" class="primary shared-leave" onclick={leave}>{ "Start your own diagnosis" }</button>
                    </div>
                </div>
                <Results report={Rc::new(d.report.clone())} source={Some(AttrValue::from("a share link"))} />
                if let Some(input) = &d.input {
                    <section class="results shared-input" aria-labelledby="shared-input-title">
                        <h2 id="shared-input-title">{ "The sender's input (redacted, read-only)" }</h2>
                        <pre class="shared-input-text" tabindex="0" aria-labelledby="shared-input-title">{ input.clone() }</pre>
                    </section>
                }
            </section>
        },
        Err(e) => html! {
            <section class="error-panel shared-error" role="alert" aria-labelledby="shared-error-title">
                <h2 id="shared-error-title" tabindex="-1" ref={heading}>{ "This share link cannot be opened" }</h2>
                <p class="shared-error-reason">{ sharing::error_sentence(e) }</p>
                <p>{ "Nothing was run and nothing was sent anywhere. Your own paste below is untouched." }</p>
                <div class="actions">
                    <button type="button" class="shared-leave" onclick={leave}>{ "Dismiss and start your own" }</button>
                </div>
            </section>
        },
    }
}
