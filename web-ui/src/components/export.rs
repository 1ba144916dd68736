//! Exports of the shown diagnosis: "Copy as Markdown" (the very text of
//! `upstream-doctor --markdown --share-link --base-url <this page>`:
//! `analyzer_core::markdown::export_markdown`, redacted by default, with
//! a share link to this page), "Download JSON" (the contract's report, as
//! `upstream-doctor --json` prints it) and Print (the print stylesheet keeps
//! the headline, the causes, their evidence and fixes).

use crate::dom;
use analyzer_core::markdown::export_markdown;
use analyzer_core::Report;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The name of the downloaded report.
pub const JSON_FILE: &str = "upstream-doctor-report.json";

#[derive(Properties, PartialEq)]
pub struct ExportsProps {
    pub report: Rc<Report>,
}

#[function_component(Exports)]
pub fn exports(p: &ExportsProps) -> Html {
    let redact = use_state(|| true);
    let status = use_state(String::new);
    let show = use_state(|| false);
    let base = dom::page_base_url();
    let md = use_memo((p.report.clone(), *redact, base), |(r, redact, base)| {
        export_markdown(r, *redact, Some(base.as_str()))
    });

    let on_copy = {
        let md = md.clone();
        let status = status.clone();
        let show = show.clone();
        Callback::from(move |_: MouseEvent| {
            let md = md.clone();
            let status = status.clone();
            let show = show.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match dom::copy_text(&md).await {
                    Ok(()) => status.set("Markdown copied to the clipboard.".into()),
                    Err(_) => {
                        show.set(true);
                        status.set(
                            "The browser did not allow copying: the Markdown is shown below, select it and copy."
                                .into(),
                        );
                    }
                }
            });
        })
    };
    let on_json = {
        let report = p.report.clone();
        let status = status.clone();
        Callback::from(move |_: MouseEvent| {
            let mut json = report.to_json();
            json.push('\n');
            match dom::download_text(JSON_FILE, "application/json", &json) {
                Ok(()) => status.set(format!("Saved {JSON_FILE}.")),
                Err(_) => status.set("The browser refused the download.".into()),
            }
        })
    };
    let on_print = Callback::from(|_: MouseEvent| dom::print());
    let on_redact = {
        let redact = redact.clone();
        Callback::from(move |e: Event| {
            redact.set(e.target_unchecked_into::<HtmlInputElement>().checked());
        })
    };
    let on_toggle = {
        let show = show.clone();
        Callback::from(move |_: MouseEvent| show.set(!*show))
    };
    html! {
        <div class="exports" role="group" aria-label="Export this diagnosis">
            <div class="actions">
                <button type="button" id="copy-markdown" onclick={on_copy}>{ "Copy as Markdown" }</button>
                <button type="button" id="download-json" onclick={on_json}>{ "Download JSON" }</button>
                <button type="button" id="print-report" class="secondary" onclick={on_print}>{ "Print" }</button>
                <label class="check">
                    <input type="checkbox" id="markdown-redact" checked={*redact} onchange={on_redact} />
                    { " Replace addresses, host and user names in the Markdown" }
                </label>
                <button type="button" class="linkish" aria-expanded={show.to_string()}
                        aria-controls="markdown-preview" onclick={on_toggle}>
                    { if *show { "Hide the Markdown" } else { "Show the Markdown" } }
                </button>
            </div>
            <p class="export-status" role="status" aria-live="polite">{ (*status).clone() }</p>
            <div id="markdown-preview" class="markdown-preview" hidden={!*show}>
                <label for="markdown-text">{ "Markdown for a ticket or a forum post (the link shows the redacted report):" }</label>
                <textarea id="markdown-text" readonly=true rows="12" spellcheck="false" wrap="off"
                          value={AttrValue::from(md.to_string())} />
            </div>
        </div>
    }
}
