//! "Collect everything": the read-only collector script of
//! `analyzer_core::collector` (the same text as `upstream-doctor
//! --collector`), the command that runs it from a paste, and how to bring
//! its output back. Shown at `#/collect`, and offered wherever the report
//! asks for more input.

use super::widgets::CopyButton;
use crate::dom;
use crate::route;
use analyzer_core::collector::{paste_command, SCRIPT};
use yew::prelude::*;

/// The collector panel, at the top of the diagnosis page.
#[function_component(CollectorPanel)]
pub fn collector_panel() -> Html {
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        use_effect_with((), move |_| {
            dom::focus_view(heading.cast::<web_sys::HtmlElement>())
        });
    }
    let command = use_memo((), |_| paste_command());
    let lines = SCRIPT.lines().count();
    let on_download = Callback::from(|_: MouseEvent| {
        let _ = dom::download_text("collect.sh", "text/x-sh", SCRIPT);
    });
    html! {
        <section id="collector" class="collector" aria-labelledby="collector-title">
            <h2 id="collector-title" tabindex="-1" ref={heading}>{ "Collect everything in one paste" }</h2>
            <p class="collector-what">
                { "A read-only shell script: it reads nginx's config and logs, the listeners and the services, \
                   writes nothing, and talks to nothing outside the server (only a 5-second curl to each local \
                   upstream). Passwords and keys in the config come out as <redacted>. Run it on the server \
                   with sudo, then paste its whole output in the box below." }
            </p>
            <h3>{ "1. Run this in a terminal on the server" }</h3>
            <div class="cmd collector-command">
                <pre><code>{ (*command).clone() }</code></pre>
                <CopyButton text={AttrValue::from((*command).clone())} />
            </div>
            <p class="help">
                { "Or save the script and run it: " }
                <button type="button" class="linkish" onclick={on_download}>{ "Download collect.sh" }</button>
                { ", then " }<code>{ "sudo sh collect.sh > collected.txt" }</code>
                { " and drop collected.txt here. On a machine with the command-line tool: " }
                <code>{ "sudo sh collect.sh | upstream-doctor" }</code>{ "." }
            </p>
            <details class="collector-script">
                <summary>{ format!("Read the script first ({lines} lines)") }</summary>
                <div class="cmd">
                    <pre><code>{ SCRIPT }</code></pre>
                    <CopyButton text={AttrValue::Static(SCRIPT)} />
                </div>
            </details>
            <h3>{ "2. Paste its output" }</h3>
            <p>{ "Each part is marked " }<code>{ "### upstream-doctor: <part> ###" }</code>
               { ", so the diagnosis knows what it reads. Read the output before pasting it anywhere else: it holds your config and log lines." }</p>
            <p><a class="button" href={route::HOME}>{ "Close" }</a></p>
        </section>
    }
}

/// The offer of the collector under a "Paste this next" list.
#[function_component(CollectorOffer)]
pub fn collector_offer() -> Html {
    html! {
        <p class="collect-offer">
            { "Or gather all of it at once with one read-only script: " }
            <a class="button" href={route::COLLECT}>{ "Collect everything" }</a>
        </p>
    }
}
