//! The "Share" button and its dialog: choose what the link carries (the
//! report, or the report and the redacted paste), see exactly what that is,
//! how long the link is, and copy it.
//!
//! Everything about the link comes from [`crate::sharing`] (the core's
//! redaction and link format); this file is the view, the focus handling
//! of a modal dialog (trapped inside, Esc closes, back to the button) and
//! the clipboard.

use crate::dom;
use crate::sharing::{self, Mode, Prepared};
use analyzer_core::share::MAX_FRAGMENT_BYTES;
use analyzer_core::Report;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub report: Rc<Report>,
    /// The paste the report was made from (`None`: files).
    #[prop_or_default]
    pub input: Option<Rc<str>>,
}

/// The button that opens the share dialog (and gets the focus back).
#[function_component(ShareButton)]
pub fn share_button(p: &ShareProps) -> Html {
    let open = use_state(|| false);
    let button = use_node_ref();
    let onclick = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(true))
    };
    let on_close = {
        let open = open.clone();
        let button = button.clone();
        Callback::from(move |_: ()| {
            open.set(false);
            if let Some(b) = button.cast::<HtmlElement>() {
                let _ = b.focus();
            }
        })
    };
    html! {
        <div class="share-bar">
            <button type="button" class="share-open" ref={button} {onclick} aria-haspopup="dialog">
                { "Share…" }
            </button>
            if *open {
                <ShareDialog report={p.report.clone()} input={p.input.clone()} {on_close} />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct DialogProps {
    report: Rc<Report>,
    input: Option<Rc<str>>,
    on_close: Callback<()>,
}

#[derive(Clone, Copy, PartialEq)]
enum Copy {
    Idle,
    Copied,
    /// The clipboard refused: the link field is selected instead.
    Selected,
}

/// What Tab may land on inside `root`, in document order.
fn focusables(root: &web_sys::Element) -> Vec<HtmlElement> {
    let Ok(list) = root.query_selector_all(
        "button:not([disabled]), textarea, a[href], [tabindex=\"0\"], \
         input:not([disabled]):not([type=radio]), input[type=radio]:checked:not([disabled])",
    ) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
        .collect()
}

#[function_component(ShareDialog)]
fn share_dialog(p: &DialogProps) -> Html {
    let mode = use_state(|| Mode::ReportOnly);
    let copy = use_state(|| Copy::Idle);
    let dialog = use_node_ref();
    let link_field = use_node_ref();
    let input_blocked = sharing::input_unavailable(p.input.as_deref());
    let prepared: Rc<Prepared> = {
        let deps = (*mode, p.report.clone(), p.input.clone());
        use_memo(deps, |(mode, report, input)| {
            sharing::prepare(
                &crate::dom::page_base_url(),
                report,
                input.as_deref(),
                *mode,
            )
        })
    };

    // Open as a modal (the rest of the page is inert) on mount.
    {
        let dialog = dialog.clone();
        use_effect_with((), move |_| {
            if let Some(d) = dialog.cast::<web_sys::HtmlDialogElement>() {
                if !d.open() {
                    let _ = d.show_modal();
                }
            }
            move || {
                if let Some(d) = dialog.cast::<web_sys::HtmlDialogElement>() {
                    d.close();
                }
            }
        });
    }

    // Close the element first, so the page is no longer inert when the
    // button takes the focus back.
    let close = {
        let dialog = dialog.clone();
        let on_close = p.on_close.clone();
        Callback::from(move |_: ()| {
            if let Some(d) = dialog.cast::<web_sys::HtmlDialogElement>() {
                d.close();
            }
            on_close.emit(());
        })
    };
    let oncancel = {
        let close = close.clone();
        Callback::from(move |e: Event| {
            // Esc: close through our state (the browser would close the
            // element behind Yew's back).
            e.prevent_default();
            close.emit(());
        })
    };
    let onkeydown = {
        let dialog = dialog.clone();
        let close = close.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "Escape" => {
                e.prevent_default();
                close.emit(());
            }
            "Tab" => {
                let Some(root) = dialog.cast::<web_sys::Element>() else {
                    return;
                };
                let items = focusables(&root);
                let (Some(first), Some(last)) = (items.first(), items.last()) else {
                    return;
                };
                let active = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element());
                let at = |el: &HtmlElement| active.as_ref().is_some_and(|a| a == el.as_ref());
                let inside = active.as_ref().is_some_and(|a| root.contains(Some(a)));
                if e.shift_key() && (at(first) || !inside) {
                    e.prevent_default();
                    let _ = last.focus();
                } else if !e.shift_key() && (at(last) || !inside) {
                    e.prevent_default();
                    let _ = first.focus();
                }
            }
            _ => {}
        })
    };
    let set_mode = |m: Mode| {
        let mode = mode.clone();
        let copy = copy.clone();
        Callback::from(move |_: Event| {
            mode.set(m);
            copy.set(Copy::Idle);
        })
    };
    let select_link = {
        let link_field = link_field.clone();
        move || {
            if let Some(t) = link_field.cast::<HtmlTextAreaElement>() {
                let _ = t.focus();
                t.select();
            }
        }
    };
    let on_copy = {
        let copy = copy.clone();
        let link = prepared.link.clone();
        let select_link = select_link.clone();
        Callback::from(move |_: MouseEvent| {
            let copy = copy.clone();
            let link = link.clone();
            let select_link = select_link.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match dom::copy_text(&link).await {
                    Ok(()) => copy.set(Copy::Copied),
                    Err(_) => {
                        select_link();
                        copy.set(Copy::Selected);
                    }
                }
            });
        })
    };
    let on_focus_link = {
        let select_link = select_link.clone();
        Callback::from(move |_: FocusEvent| select_link())
    };
    let on_close_click = close.reform(|_: MouseEvent| ());

    let shared = &prepared.shared;
    let unopenable = prepared.too_long_to_open();
    let status = match *copy {
        Copy::Idle => String::new(),
        Copy::Copied => "Copied: the link is on your clipboard.".to_string(),
        Copy::Selected => {
            "The clipboard is not available here: the link is selected, press Ctrl+C (⌘C) to copy it."
                .to_string()
        }
    };
    html! {
        <dialog ref={dialog} class="share-dialog" aria-labelledby="share-title"
                aria-describedby="share-desc" {oncancel} {onkeydown}>
            <div class="share-head">
                <h2 id="share-title">{ "Share this diagnosis" }</h2>
                <button type="button" class="secondary share-x" onclick={on_close_click.clone()}
                        aria-label="Close the share dialog">{ "×" }</button>
            </div>
            <p id="share-desc" class="help">
                { "The link holds the diagnosis itself, packed into the part after “#”, which browsers never send to a server. " }
                { "Redaction is always on: addresses, host names, user names, e-mail addresses and secrets are replaced with placeholders such as " }
                <code>{ "host-1" }</code>{ " and " }<code>{ "ip-2" }</code>{ "." }
            </p>
            <fieldset class="share-mode">
                <legend>{ "The link carries" }</legend>
                <label>
                    <input type="radio" name="share-mode" value="report"
                           checked={*mode == Mode::ReportOnly} onchange={set_mode(Mode::ReportOnly)} />
                    { " The report only" }
                </label>
                <label class={classes!(input_blocked.is_some().then_some("disabled"))}>
                    <input type="radio" name="share-mode" value="input"
                           checked={*mode == Mode::WithInput} disabled={input_blocked.is_some()}
                           aria-describedby={input_blocked.map(|_| "share-input-why")}
                           onchange={set_mode(Mode::WithInput)} />
                    { " The report and the redacted input" }
                    if let Some(why) = input_blocked {
                        <span id="share-input-why" class="share-why">{ format!(" ({why})") }</span>
                    }
                </label>
            </fieldset>
            <p class="share-replaced">
                <strong>{ "Redacted: " }</strong>{ prepared.replaced_text() }{ "." }
            </p>
            if shared.trimmed {
                <p class="share-note">{ "To keep the link short, some evidence, reasoning or less likely causes were left out; the preview shows what is kept." }</p>
            }
            <label for="share-link" class="share-link-label">{ "Link" }</label>
            <textarea id="share-link" class="share-link" readonly=true rows="3" spellcheck="false"
                      ref={link_field} value={prepared.link.clone()} onfocus={on_focus_link}
                      aria-describedby="share-length" />
            <p id="share-length" class={classes!("share-length", (prepared.is_long() || unopenable).then_some("warn"))}>
                { format!("{} characters.", sharing::thousands(prepared.len())) }
                if unopenable {
                    { format!(" Too long to open: Upstream Doctor opens links up to {} characters. Choose “The report only”.", sharing::thousands(MAX_FRAGMENT_BYTES)) }
                } else if prepared.is_long() {
                    { " Over 2,000 characters: some chat apps, e-mail clients and forms cut links this long." }
                    if shared.input.is_some() { { " The report alone makes a shorter link." } }
                }
            </p>
            <div class="actions">
                <button type="button" class="primary share-copy" onclick={on_copy} disabled={unopenable}>
                    { if *copy == Copy::Copied { "Copied" } else { "Copy link" } }
                </button>
                <button type="button" class="secondary" onclick={on_close_click}>{ "Close" }</button>
            </div>
            <p class="share-status" role="status" aria-live="polite">{ status }</p>
            <h3 id="share-preview-title">{ "Preview: every text the link carries" }</h3>
            <pre class="share-preview" id="share-preview" tabindex="0"
                 aria-labelledby="share-preview-title">{ prepared.preview.clone() }</pre>
            if let Some(input) = &shared.input {
                <h3 id="share-input-title">{ "The redacted input" }</h3>
                <pre class="share-preview share-input" id="share-input" tabindex="0"
                     aria-labelledby="share-input-title">{ input.clone() }</pre>
            }
        </dialog>
    }
}
