//! Small building blocks: the copy button, the progress panel, the error panel.

use crate::format;
use crate::state::Running;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CopyProps {
    pub text: AttrValue,
}

#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

/// Copies `text` with `navigator.clipboard.writeText`.
#[function_component(CopyButton)]
pub fn copy_button(p: &CopyProps) -> Html {
    let st = use_state(|| CopyState::Idle);
    let onclick = {
        let st = st.clone();
        let text = p.text.clone();
        Callback::from(move |_: MouseEvent| {
            let st = st.clone();
            let text = text.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match crate::dom::copy_text(&text).await {
                    Ok(()) => st.set(CopyState::Copied),
                    Err(_) => st.set(CopyState::Failed),
                }
            });
        })
    };
    let label = match *st {
        CopyState::Idle => "Copy",
        CopyState::Copied => "Copied",
        CopyState::Failed => "Copy failed: select the text",
    };
    html! {
        <button type="button" class="copy" {onclick} aria-label={format!("Copy command: {}", first_line(&p.text))}>
            <span aria-live="polite">{ label }</span>
        </button>
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

#[derive(Properties, PartialEq)]
pub struct ProgressProps {
    pub running: Running,
    pub on_cancel: Callback<()>,
}

#[function_component(ProgressPanel)]
pub fn progress_panel(p: &ProgressProps) -> Html {
    let pr = &p.running.progress;
    let mut parts = vec![if pr.total > 0.0 {
        format!("{} of {}", format::bytes(pr.bytes), format::bytes(pr.total))
    } else {
        format::bytes(pr.bytes)
    }];
    if let Some(r) = format::mb_per_s(pr.bytes, pr.elapsed_ms) {
        parts.push(format!("{} MB/s", analyzer_core::num::fixed(r, 1)));
    }
    if let Some(s) = format::eta_s(pr.bytes, pr.total, pr.elapsed_ms) {
        parts.push(format!("about {} left", format::duration(s)));
    }
    let on_cancel = p.on_cancel.reform(|_: MouseEvent| ());
    html! {
        <div class="progress" role="status" aria-live="polite">
            <div class="progress-head">
                <span>{ format!("Reading {}", pr.file.clone().unwrap_or_else(|| p.running.source.describe())) }</span>
                <button type="button" class="secondary" onclick={on_cancel}>{ "Cancel" }</button>
            </div>
            if pr.total > 0.0 {
                <progress max={(pr.total as u64).to_string()} value={(pr.bytes.min(pr.total) as u64).to_string()}
                          aria-label="Bytes read"></progress>
            } else {
                <progress aria-label="Reading"></progress>
            }
            <p class="progress-text">{ parts.join(" · ") }</p>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorProps {
    pub errors: Vec<String>,
    pub on_retry: Callback<()>,
    pub on_dismiss: Callback<()>,
}

#[function_component(ErrorPanel)]
pub fn error_panel(p: &ErrorProps) -> Html {
    html! {
        <div class="error-panel" role="alert">
            <h2>{ "The diagnosis stopped" }</h2>
            <ul class="error-messages">{ for p.errors.iter().map(|e| html! { <li><code>{ e.clone() }</code></li> }) }</ul>
            <p>{ "Your paste is still here and nothing was sent anywhere. Try again; if it happens again, the message above helps a bug report." }</p>
            <div class="actions">
                <button type="button" onclick={p.on_retry.reform(|_: MouseEvent| ())}>{ "Try again" }</button>
                <button type="button" class="secondary" onclick={p.on_dismiss.reform(|_: MouseEvent| ())}>{ "Dismiss" }</button>
            </div>
        </div>
    }
}
