//! The diagnosis: headline, artifact chips, warnings, the ranked cause table
//! with expandable details, the timeline, or the honest "no cause found".
//!
//! Every input-derived string is rendered as a text node (Yew's `{string}`),
//! never as markup.

use super::chips::{ArtifactChips, KindChange};
use super::collector::CollectorOffer;
use super::export::Exports;
use super::glossary::EvidenceText;
use super::knowledge::why_text;
use super::timeline::TimelineChart;
use super::widgets::CopyButton;
use crate::format;
use crate::route;
use analyzer_core::report::{Cause, NextStep, Risk};
use analyzer_core::segment::KindOverride;
use analyzer_core::Report;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ResultsProps {
    pub report: Rc<Report>,
    /// What the report was made from ("the pasted text", "error.log.gz").
    #[prop_or_default]
    pub source: Option<AttrValue>,
    /// The kind corrections the report was made with.
    #[prop_or_default]
    pub overrides: Rc<Vec<KindOverride>>,
    /// Re-label an artifact (the chips' pickers); none: no pickers.
    #[prop_or_default]
    pub on_kind: Option<Callback<KindChange>>,
}

/// Whether "Paste this next" lists offer the collector: not when the
/// paste already came from it.
#[derive(Clone, Copy, PartialEq)]
struct OfferCollector(bool);

#[function_component(Results)]
pub fn results(p: &ResultsProps) -> Html {
    let r = &p.report;
    html! {
        <section class="results" aria-labelledby="results-title">
        <ContextProvider<OfferCollector> context={OfferCollector(r.sections.is_empty())}>
            <Headline report={r.clone()} source={p.source.clone()} />
            <Exports report={r.clone()} />
            <ArtifactChips report={r.clone()} overrides={p.overrides.clone()} on_kind={p.on_kind.clone()} />
            if !r.warnings.is_empty() {
                <details class="warnings">
                    <summary>{ format!("{} warning{} while reading", r.warnings.len(), plural(r.warnings.len())) }</summary>
                    <ul>
                        { for r.warnings.iter().map(|w| html! {
                            <li>
                                if let Some(l) = w.line { <span class="ln">{ format!("line {l}: ") }</span> }
                                { w.message.clone() }
                            </li>
                        }) }
                    </ul>
                </details>
            }
            if r.causes.is_empty() {
                <NoCause next={r.next.clone()} />
            } else {
                <CauseTable causes={Rc::new(r.causes.clone())} />
            }
            if let Some(t) = &r.timeline {
                <TimelineChart timeline={Rc::new(t.clone())} />
            }
        </ContextProvider<OfferCollector>>
        </section>
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[derive(Properties, PartialEq)]
struct ReportProps {
    report: Rc<Report>,
    #[prop_or_default]
    source: Option<AttrValue>,
}

#[function_component(Headline)]
fn headline(p: &ReportProps) -> Html {
    let r = &p.report;
    let s = &r.stats;
    let stats = format!(
        "Read {} line{} ({}) from {}: {} nginx error.log line{}, {} signal{}.",
        s.lines,
        plural(s.lines as usize),
        format::bytes(s.bytes as f64),
        p.source.as_deref().unwrap_or("the input"),
        s.error_log_lines,
        plural(s.error_log_lines as usize),
        s.events,
        plural(s.events as usize),
    );
    match r.causes.first() {
        Some(top) => html! {
            <div class="headline" id="headline">
                <h2 id="results-title">{ "Most likely cause" }</h2>
                <p class="headline-title">
                    <strong>{ top.title.clone() }</strong>
                    { " " }
                    <ConfidenceBadge confidence={top.confidence} />
                    if let Some(st) = top.status {
                        { " " }<span class="badge status">{ format!("nginx answers {st}") }</span>
                    }
                </p>
                <p class="summary">{ why_text(&top.summary) }</p>
                <p class="stats">{ stats }</p>
            </div>
        },
        None => html! {
            <div class="headline" id="headline">
                <h2 id="results-title">{ "No cause found" }</h2>
                <p class="summary">{ r.headline.clone() }</p>
                <p class="stats">{ stats }</p>
            </div>
        },
    }
}

#[derive(Properties, PartialEq)]
struct ConfidenceProps {
    confidence: f64,
}

#[function_component(ConfidenceBadge)]
fn confidence_badge(p: &ConfidenceProps) -> Html {
    let word = format::confidence_word(p.confidence);
    html! {
        <span class={classes!("badge", "conf", format!("conf-{word}"))}
              title={format!("{word} confidence")}>
            { format!("{} confidence", format::percent(p.confidence)) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
struct NextProps {
    next: Vec<NextStep>,
}

#[function_component(NoCause)]
fn no_cause(p: &NextProps) -> Html {
    html! {
        <div class="no-cause">
            <p>{ "Nothing in this paste explains a 502 or 504 yet. That is an honest answer, not a failure: the evidence is probably in an artifact that is not here." }</p>
            if !p.next.is_empty() {
                <h3>{ "Paste this next" }</h3>
                <NextList next={p.next.clone()} />
            }
        </div>
    }
}

/// The core names the collector as `upstream-doctor --collector` (its
/// command-line form); the web app offers its own panel there.
fn is_collector(n: &NextStep) -> bool {
    n.paste.starts_with("upstream-doctor --collector")
}

#[function_component(NextList)]
fn next_list(p: &NextProps) -> Html {
    let offer = use_context::<OfferCollector>().is_some_and(|o| o.0);
    html! {
        <>
        <ul class="next">
            { for p.next.iter().map(|n| html! {
                <li>
                    <div class="cmd">
                        <pre><code>{ n.paste.clone() }</code></pre>
                        if is_collector(n) {
                            <a class="button" href={route::COLLECT}>{ "Collect everything" }</a>
                        } else {
                            <CopyButton text={AttrValue::from(n.paste.clone())} />
                        }
                    </div>
                    <p class="why">{ why_text(&n.why) }</p>
                </li>
            }) }
        </ul>
        if offer && !p.next.iter().any(is_collector) {
            <CollectorOffer />
        }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct TableProps {
    causes: Rc<Vec<Cause>>,
}

#[function_component(CauseTable)]
fn cause_table(p: &TableProps) -> Html {
    html! {
        <table class="causes">
            <caption>{ "Causes, most likely first. Open a cause for its evidence and fix." }</caption>
            <thead>
                <tr>
                    <th scope="col" class="num">{ "#" }</th>
                    <th scope="col">{ "Cause" }</th>
                    <th scope="col">{ "Confidence" }</th>
                    <th scope="col" class="num">{ "Events" }</th>
                    <th scope="col">{ "Upstreams" }</th>
                    <th scope="col">{ "First seen" }</th>
                    <th scope="col">{ "Last seen" }</th>
                </tr>
            </thead>
            { for p.causes.iter().enumerate().map(|(i, c)| html! {
                <CauseRow key={format!("{}-{}", i, c.id)} rank={i + 1} cause={Rc::new(c.clone())} />
            }) }
        </table>
    }
}

#[derive(Properties, PartialEq)]
struct RowProps {
    rank: usize,
    cause: Rc<Cause>,
}

#[function_component(CauseRow)]
fn cause_row(p: &RowProps) -> Html {
    let open = use_state(|| p.rank == 1);
    let c = &p.cause;
    let detail_id = format!("cause-{}-{}", p.rank, c.id);
    let toggle = {
        let open = open.clone();
        Callback::from(move |_: MouseEvent| open.set(!*open))
    };
    let dash = || "—".to_string();
    html! {
        <tbody class={classes!("cause", (*open).then_some("open"))}>
            <tr class="cause-row" data-cause-id={c.id.clone()} data-cause-family={c.family.clone()}>
                <td class="num rank" data-label="#">{ p.rank }</td>
                <th scope="row" class="title" data-label="Cause">
                    <button type="button" class="expand" aria-expanded={open.to_string()}
                            aria-controls={detail_id.clone()} onclick={toggle}>
                        <span class="chev" aria-hidden="true"></span>
                        { c.title.clone() }
                    </button>
                    <span class="cause-id">{ c.id.clone() }</span>
                    <a class="about" href={route::cause_href(&c.id)}
                       aria-label={format!("About this cause: {}", c.id)}>{ "About this cause" }</a>
                </th>
                <td data-label="Confidence"><ConfidenceBadge confidence={c.confidence} /></td>
                <td class="num" data-label="Events">{ c.events }</td>
                <td class="upstreams" data-label="Upstreams">
                    if c.upstreams.is_empty() { { dash() } } else {
                        { for c.upstreams.iter().map(|u| html! { <code>{ u.clone() }</code> }) }
                    }
                </td>
                <td data-label="First seen">{ c.first_seen.clone().unwrap_or_else(dash) }</td>
                <td data-label="Last seen">{ c.last_seen.clone().unwrap_or_else(dash) }</td>
            </tr>
            <tr class="detail-row" id={detail_id} hidden={!*open}>
                <td colspan="7">
                    if *open { <CauseDetail cause={c.clone()} rank={p.rank} /> }
                </td>
            </tr>
        </tbody>
    }
}

#[derive(Properties, PartialEq)]
struct DetailProps {
    cause: Rc<Cause>,
    rank: usize,
}

fn risk_badge(r: Risk) -> Html {
    let (class, label, title) = match r {
        Risk::Safe => ("risk-safe", "safe", "read-only or trivially reversible"),
        Risk::Review => (
            "risk-review",
            "review first",
            "edits a file: read the change before running it",
        ),
        Risk::Disruptive => (
            "risk-disruptive",
            "disruptive",
            "restarts or reloads something users are connected to",
        ),
    };
    html! { <span class={classes!("badge", "risk", class)} title={title}>{ label }</span> }
}

#[function_component(CauseDetail)]
fn cause_detail(p: &DetailProps) -> Html {
    let c = &p.cause;
    let ev_id = format!("ev-{}-{}", p.rank, c.id);
    html! {
        <div class="detail">
            <p class="summary">{ why_text(&c.summary) }</p>
            if !c.servers.is_empty() {
                <p class="servers">{ "Sites: " }
                    { for c.servers.iter().map(|s| html! { <code>{ s.clone() }</code> }) }
                </p>
            }
            if !c.evidence.is_empty() {
                <h3>{ format!("Evidence ({} event{})", c.events, plural(c.events as usize)) }</h3>
                <ol class="evidence">
                    { for c.evidence.iter().enumerate().map(|(k, e)| html! {
                        <li>
                            <span class="ln">{ format!("line {}", e.line) }</span>
                            <EvidenceText text={AttrValue::from(e.text.clone())} mark={e.mark}
                                          id={AttrValue::from(format!("{ev_id}-{k}"))} />
                        </li>
                    }) }
                </ol>
            }
            if !c.fixes.is_empty() {
                <h3>{ "Fix" }</h3>
                <ol class="fixes">
                    { for c.fixes.iter().map(|f| html! {
                        <li class="fix">
                            <p class="why">{ why_text(&f.why) }{ " " }{ risk_badge(f.risk) }</p>
                            <div class="cmd">
                                <pre><code>{ f.command.clone() }</code></pre>
                                <CopyButton text={AttrValue::from(f.command.clone())} />
                            </div>
                        </li>
                    }) }
                </ol>
            }
            if !c.verify.is_empty() {
                <h3>{ "Verify" }</h3>
                <ul class="verify">
                    { for c.verify.iter().map(|v| html! {
                        <li class="cmd">
                            <pre><code>{ v.clone() }</code></pre>
                            <CopyButton text={AttrValue::from(v.clone())} />
                        </li>
                    }) }
                </ul>
            }
            if !c.next.is_empty() {
                <h3>{ "Paste this next" }</h3>
                <NextList next={c.next.clone()} />
            }
            if !c.reasoning.is_empty() {
                <details class="reasoning">
                    <summary>{ "Why this rank" }</summary>
                    <ul>{ for c.reasoning.iter().map(|r| html! { <li>{ why_text(r) }</li> }) }</ul>
                </details>
            }
        </div>
    }
}
