//! An evidence line with explanations: each message, errno or directive
//! the core's glossary knows (`analyzer_core::glossary`) is focusable and
//! described by a one-sentence tooltip (`role="tooltip"`, referenced with
//! `aria-describedby`), shown on hover and on keyboard focus, hidden again
//! with Escape. The marked range stays one `<mark>` ([`crate::evidence`]).

use crate::evidence::{self, Node};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EvidenceTextProps {
    pub text: AttrValue,
    #[prop_or_default]
    pub mark: Option<(usize, usize)>,
    /// Unique on the page: the tooltips' ids start with it.
    pub id: AttrValue,
}

#[function_component(EvidenceText)]
pub fn evidence_text(p: &EvidenceTextProps) -> Html {
    let ev = use_memo((p.text.clone(), p.mark), |(t, m)| evidence::build(t, *m));
    let active = use_state(|| None::<usize>);
    let tip_id = |i: usize| format!("{}-tip{}", p.id, i);
    let ctx = Ctx {
        active: active.clone(),
        ids: Rc::new((0..ev.terms.len()).map(tip_id).collect()),
    };
    html! {
        <>
        <code class="evidence-text">{ for ev.nodes.iter().map(|n| node(n, &ctx)) }</code>
        { for ev.terms.iter().enumerate().map(|(i, t)| html! {
            <span class="tip" role="tooltip" id={ctx.ids[i].clone()} hidden={*active != Some(i)}>
                { t.sentence }
            </span>
        }) }
        </>
    }
}

struct Ctx {
    active: UseStateHandle<Option<usize>>,
    ids: Rc<Vec<String>>,
}

fn node(n: &Node, ctx: &Ctx) -> Html {
    match n {
        Node::Text(t) => html! { { t.clone() } },
        Node::Mark(c) => html! { <mark>{ for c.iter().map(|n| node(n, ctx)) }</mark> },
        Node::Term(i, c) => {
            let i = *i;
            let show = {
                let a = ctx.active.clone();
                move || a.set(Some(i))
            };
            let hide = {
                let a = ctx.active.clone();
                move || {
                    if *a == Some(i) {
                        a.set(None)
                    }
                }
            };
            let (s1, s2) = (show.clone(), show);
            let (h1, h2, h3) = (hide.clone(), hide.clone(), hide);
            html! {
                <span class="term" tabindex="0" aria-describedby={ctx.ids[i].clone()}
                      onmouseenter={Callback::from(move |_: MouseEvent| s1())}
                      onmouseleave={Callback::from(move |_: MouseEvent| h1())}
                      onfocus={Callback::from(move |_: FocusEvent| s2())}
                      onblur={Callback::from(move |_: FocusEvent| h2())}
                      onkeydown={Callback::from(move |e: KeyboardEvent| if e.key() == "Escape" { h3() })}>
                    { for c.iter().map(|n| node(n, ctx)) }
                </span>
            }
        }
    }
}
