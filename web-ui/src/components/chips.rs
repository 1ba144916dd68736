//! The "Recognised:" chips, one per detected artifact ("nginx error.log,
//! 1,204 lines"), each with a small kind picker: re-labelling a misdetected
//! block sends a `KindOverride` for its lines to the core
//! (`analyzer_core::segment::KindOverride`) and the diagnosis runs again.

use crate::format;
use analyzer_core::artifacts::Kind;
use analyzer_core::report::ArtifactInfo;
use analyzer_core::segment::KindOverride;
use analyzer_core::Report;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

pub use crate::state::KindChange;

#[derive(Properties, PartialEq)]
pub struct ChipsProps {
    pub report: Rc<Report>,
    /// The overrides the shown report was made with.
    #[prop_or_default]
    pub overrides: Rc<Vec<KindOverride>>,
    /// Without it, the chips have no picker (a report opened from a link).
    #[prop_or_default]
    pub on_kind: Option<Callback<KindChange>>,
}

/// The override that produced artifact `a`, if any.
fn override_of<'a>(a: &ArtifactInfo, overrides: &'a [KindOverride]) -> Option<&'a KindOverride> {
    overrides
        .iter()
        .rev()
        .find(|o| o.kind == a.kind && o.first_line <= a.first_line && a.last_line <= o.last_line)
}

#[function_component(ArtifactChips)]
pub fn artifact_chips(p: &ChipsProps) -> Html {
    if p.report.artifacts.is_empty() {
        return html! {};
    }
    html! {
        <div class="artifacts">
            <span class="label" id="artifacts-label">{ "Recognised:" }</span>
            <ul class="chips" aria-labelledby="artifacts-label">
                { for p.report.artifacts.iter().enumerate().map(|(i, a)| html! {
                    <Chip key={i} artifact={a.clone()}
                          forced={override_of(a, &p.overrides).copied()}
                          on_kind={p.on_kind.clone()} />
                }) }
            </ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct ChipProps {
    artifact: ArtifactInfo,
    forced: Option<KindOverride>,
    on_kind: Option<Callback<KindChange>>,
}

#[function_component(Chip)]
fn chip(p: &ChipProps) -> Html {
    let editing = use_state(|| false);
    let a = &p.artifact;
    let unknown = a.kind == Kind::Unrecognised;
    let range = if a.first_line == a.last_line {
        format!("line {}", a.first_line)
    } else {
        format!("lines {}–{}", a.first_line, a.last_line)
    };
    let picker = p.on_kind.clone().map(|on_kind| {
        // An override covers its whole range, which may be wider than the
        // artifact it produced.
        let (first_line, last_line) = p
            .forced
            .map_or((a.first_line, a.last_line), |o| (o.first_line, o.last_line));
        let onchange = {
            let editing = editing.clone();
            Callback::from(move |e: Event| {
                let v = e.target_unchecked_into::<HtmlSelectElement>().value();
                editing.set(false);
                on_kind.emit(KindChange {
                    first_line,
                    last_line,
                    kind: Kind::from_name(&v),
                });
            })
        };
        let toggle = {
            let editing = editing.clone();
            Callback::from(move |_: MouseEvent| editing.set(!*editing))
        };
        let current = p.forced.map(|o| o.kind.name()).unwrap_or("");
        html! {
            <>
            <button type="button" class="chip-edit" aria-expanded={editing.to_string()}
                    aria-label={format!("Change what {range} are ({})", a.label)}
                    title="Wrong kind? Change it" onclick={toggle}>{ "✎" }</button>
            if *editing {
                <select class="kind-select" aria-label={format!("What {range} are")} {onchange}>
                    <option value="" selected={current.is_empty()}>
                        { if p.forced.is_some() { "detect automatically" } else { "— choose a kind —" } }
                    </option>
                    { for Kind::ALL.iter().map(|k| html! {
                        <option value={k.name()} selected={current == k.name()}>{ k.label() }</option>
                    }) }
                </select>
            }
            </>
        }
    });
    html! {
        <li class={classes!("chip", unknown.then_some("chip-unknown"), p.forced.is_some().then_some("chip-set"))}
            title={range.clone()} data-first-line={a.first_line.to_string()} data-kind={a.kind.name()}>
            { format::artifact_chip(a) }
            if p.forced.is_some() { <span class="chip-note">{ " (set by you)" }</span> }
            { picker.unwrap_or_default() }
        </li>
    }
}
