//! The knowledge base: `#/causes` (every cause, searchable by name or by a
//! pasted message fragment) and `#/causes/<id>` (a cause's page, rendered
//! from its rule's documentation). Also the hash router hook and the
//! "why" text helper that links cause ids to their pages.
//!
//! The pages come from `analyzer_core::markdown` (the same text as the
//! CLI's `--explain`), read by [`crate::doc`] and rendered as elements with
//! text nodes: no HTML string is ever parsed.

use crate::doc::{self, Block, Inline};
use crate::dom;
use crate::route::{self, Route};
use analyzer_core::causes::{rule, RULES};
use analyzer_core::glossary::find_terms;
use analyzer_core::markdown::{cause_page, search_causes};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The current route, following `hashchange` (back/forward, links).
#[hook]
pub fn use_route() -> Route {
    let route = use_state(|| Route::parse(&dom::current_hash()));
    {
        let route = route.clone();
        use_effect_with((), move |_| {
            dom::on_hash_change(move || route.set(Route::parse(&dom::current_hash())))
        });
    }
    (*route).clone()
}

/// Text that may name causes in backticks (`` `upstream_timeout` ``), as
/// the "why" texts of a report do: known ids become links to their page,
/// other backticked parts `<code>`, the rest text nodes.
pub fn why_text(s: &str) -> Html {
    let parts = doc::inlines(s);
    html! { <>{ for parts.iter().map(|i| inline(i, None)) }</> }
}

fn inline(i: &Inline, current: Option<&str>) -> Html {
    match i {
        Inline::Text(t) => html! { { t.clone() } },
        Inline::Code(c) if rule(c).is_some() && current != Some(c.as_str()) => html! {
            <a class="cause-link" href={route::cause_href(c)}><code>{ c.clone() }</code></a>
        },
        Inline::Code(c) => html! { <code>{ c.clone() }</code> },
        Inline::Strong(t) => html! { <strong>{ t.clone() }</strong> },
        Inline::Em(t) => html! { <em>{ t.clone() }</em> },
    }
}

fn inlines(v: &[Inline], current: Option<&str>) -> Html {
    html! { <>{ for v.iter().map(|i| inline(i, current)) }</> }
}

#[derive(Properties, PartialEq)]
pub struct KnowledgeProps {
    pub route: Route,
}

/// The knowledge base view (shown instead of the diagnosis page).
#[function_component(KnowledgeBase)]
pub fn knowledge_base(p: &KnowledgeProps) -> Html {
    let heading = use_node_ref();
    {
        let heading = heading.clone();
        // A new view: start at its heading.
        use_effect_with(p.route.clone(), move |_| {
            dom::focus_view(heading.cast::<web_sys::HtmlElement>());
        });
    }
    let body = match &p.route {
        Route::Cause(id) => {
            html! { <CausePage id={AttrValue::from(id.clone())} heading={heading.clone()} /> }
        }
        Route::Causes { query } => {
            html! { <CauseIndex query={AttrValue::from(query.clone())} heading={heading.clone()} /> }
        }
        _ => html! {},
    };
    html! {
        <main id="kb" class="kb">
            <nav class="crumbs" aria-label="Breadcrumb">
                <a href={route::HOME}>{ "Diagnosis" }</a>
                { " › " }
                if let Route::Cause(id) = &p.route {
                    <a href={route::CAUSES}>{ "Causes" }</a>{ " › " }<span aria-current="page">{ id.clone() }</span>
                } else {
                    <span aria-current="page">{ "Causes" }</span>
                }
            </nav>
            { body }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct IndexProps {
    query: AttrValue,
    heading: NodeRef,
}

#[function_component(CauseIndex)]
fn cause_index(p: &IndexProps) -> Html {
    let query = use_state(|| p.query.to_string());
    {
        // A link with another ?q= while the index is shown.
        let query = query.clone();
        use_effect_with(p.query.clone(), move |q| query.set(q.to_string()));
    }
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let q = e.target_unchecked_into::<HtmlInputElement>().value();
            dom::replace_hash(&if q.is_empty() {
                route::CAUSES.to_string()
            } else {
                route::search_href(&q)
            });
            query.set(q);
        })
    };
    let hits = search_causes(&query);
    let terms = find_terms(&query);
    let onsubmit = Callback::from(|e: SubmitEvent| e.prevent_default());
    html! {
        <>
        <h1 id="kb-title" tabindex="-1" ref={p.heading.clone()}>{ "Causes of nginx 502 and 504" }</h1>
        <p class="kb-intro">
            { format!("Every cause Upstream Doctor knows ({}), with what it means, why nginx answers 502 or 504, \
                       the evidence that shows it, the fix and how to verify it. ", RULES.len()) }
            { "Search by name, or paste a message from your log: " }
            <code>{ "prematurely closed" }</code>{ ", " }<code>{ "(13: Permission denied)" }</code>{ "…" }
        </p>
        <form class="kb-search" role="search" {onsubmit}>
            <label for="kb-search">{ "Search causes or paste a log message" }</label>
            <input id="kb-search" type="search" autocomplete="off" spellcheck="false"
                   value={(*query).clone()} {oninput} aria-describedby="kb-count" />
        </form>
        if !terms.is_empty() {
            <dl class="kb-terms" aria-label="In this message">
                { for terms.iter().map(|f| html! {
                    <>
                    <dt><code>{ f.term.text }</code></dt>
                    <dd>{ f.term.sentence }{ " " }
                        <a href={route::cause_href(f.term.cause)}>{ format!("More: {}", f.term.cause) }</a></dd>
                    </>
                }) }
            </dl>
        }
        <p id="kb-count" class="kb-count" role="status" aria-live="polite">
            { match (hits.len(), query.trim().is_empty()) {
                (n, true) => format!("{n} causes."),
                (0, false) => "No cause matches: try fewer words, or part of the message.".to_string(),
                (1, false) => "1 cause matches.".to_string(),
                (n, false) => format!("{n} causes match, best first."),
            } }
        </p>
        <ul class="kb-list">
            { for hits.iter().filter_map(|id| rule(id)).map(|r| html! {
                <li data-kb-cause={r.id}>
                    <a href={route::cause_href(r.id)} class="kb-title">{ r.title }</a>
                    <span class="kb-meta">
                        <code>{ r.id }</code>
                        if r.family != r.id { { format!(" · family {}", r.family) } }
                    </span>
                    if let Some(sig) = r.signatures.first() {
                        <span class="kb-sig"><code>{ *sig }</code></span>
                    }
                </li>
            }) }
        </ul>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct PageProps {
    id: AttrValue,
    heading: NodeRef,
}

#[function_component(CausePage)]
fn cause_page_view(p: &PageProps) -> Html {
    let Some(md) = cause_page(&p.id) else {
        return html! {
            <>
            <h1 id="kb-title" tabindex="-1" ref={p.heading.clone()}>{ "No such cause" }</h1>
            <p>{ format!("Upstream Doctor knows no cause called “{}”. ", p.id) }
               <a href={route::search_href(&p.id)}>{ "Search for it" }</a>{ " or see " }
               <a href={route::CAUSES}>{ "all causes" }</a>{ "." }</p>
            </>
        };
    };
    let blocks = doc::parse(&md);
    let id = p.id.as_str();
    html! {
        <article class="kb-page" data-kb-page={p.id.clone()} aria-labelledby="kb-title">
            { for blocks.iter().map(|b| block(b, id, &p.heading)) }
            <p class="kb-back"><a href={route::CAUSES}>{ "All causes" }</a></p>
        </article>
    }
}

fn block(b: &Block, id: &str, heading: &NodeRef) -> Html {
    let cur = Some(id);
    match b {
        Block::Heading(1, h) => html! {
            <h1 id="kb-title" tabindex="-1" ref={heading.clone()}>{ inlines(h, cur) }</h1>
        },
        Block::Heading(2, h) => html! { <h2>{ inlines(h, cur) }</h2> },
        Block::Heading(_, h) => html! { <h3>{ inlines(h, cur) }</h3> },
        Block::Para(v) => html! { <p>{ inlines(v, cur) }</p> },
        Block::List(items) => html! {
            <ul>{ for items.iter().map(|i| html! { <li>{ inlines(i, cur) }</li> }) }</ul>
        },
        Block::Code { lang, text } => html! {
            <pre class={classes!("kb-code", (!lang.is_empty()).then(|| format!("lang-{lang}")))}><code>{ text.clone() }</code></pre>
        },
        Block::Table { head, rows } => html! {
            <div class="kb-table">
                <table>
                    <thead><tr>{ for head.iter().map(|c| html! { <th scope="col">{ inlines(c, cur) }</th> }) }</tr></thead>
                    <tbody>
                        { for rows.iter().map(|r| html! {
                            <tr>{ for r.iter().map(|c| html! { <td>{ inlines(c, cur) }</td> }) }</tr>
                        }) }
                    </tbody>
                </table>
            </div>
        },
    }
}
