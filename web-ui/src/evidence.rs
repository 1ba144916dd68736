//! An evidence line as a small tree: the marked range (`<mark>`) and the
//! glossary terms found in it (`analyzer_core::glossary`), nested so the
//! mark stays one element. Pure: the component renders the tree.

use analyzer_core::glossary::{find_terms, Term};

#[derive(Clone, Debug, PartialEq)]
pub enum Node {
    Text(String),
    Mark(Vec<Node>),
    /// `terms[index]` of [`Evidence`], around its text.
    Term(usize, Vec<Node>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    pub nodes: Vec<Node>,
    /// The terms, in line order.
    pub terms: Vec<&'static Term>,
}

#[derive(Clone, Copy)]
struct Span {
    s: usize,
    e: usize,
    idx: usize,
}

/// The tree for `text` with the byte range `mark` marked. A term that
/// overlaps the mark's edge keeps only its part outside the mark; a term
/// that covers the whole mark holds it.
pub fn build(text: &str, mark: Option<(usize, usize)>) -> Evidence {
    let mark = mark.filter(|&(a, b)| a < b && text.get(a..b).is_some());
    let mut terms = Vec::new();
    let mut spans = Vec::new();
    for f in find_terms(text) {
        let (mut s, mut e) = (f.start, f.end);
        if let Some((a, b)) = mark {
            let covers = s <= a && b <= e;
            let inside = a <= s && e <= b;
            let disjoint = e <= a || b <= s;
            if !(covers || inside || disjoint) {
                if s < a {
                    e = a;
                } else {
                    s = b;
                }
            }
        }
        if s < e && text.get(s..e).is_some() {
            spans.push(Span {
                s,
                e,
                idx: terms.len(),
            });
            terms.push(f.term);
        }
    }
    Evidence {
        nodes: layer(text, 0, text.len(), mark, &spans),
        terms,
    }
}

fn layer(
    text: &str,
    lo: usize,
    hi: usize,
    mark: Option<(usize, usize)>,
    spans: &[Span],
) -> Vec<Node> {
    let within: Vec<Span> = spans
        .iter()
        .copied()
        .filter(|t| lo <= t.s && t.e <= hi)
        .collect();
    let mark = mark.filter(|&(a, b)| lo <= a && b <= hi);
    let in_mark = |t: &Span| mark.is_some_and(|(a, b)| a <= t.s && t.e <= b);
    let holder = within
        .iter()
        .copied()
        .find(|t| mark.is_some_and(|(a, b)| t.s <= a && b <= t.e));
    // (start, end, node builder) at this level, in order.
    let mut items: Vec<(usize, usize, Node)> = Vec::new();
    for t in &within {
        let is_holder = holder.is_some_and(|h| h.idx == t.idx);
        if is_holder {
            let inner: Vec<Span> = within
                .iter()
                .copied()
                .filter(|x| x.idx != t.idx && in_mark(x))
                .collect();
            items.push((
                t.s,
                t.e,
                Node::Term(t.idx, layer(text, t.s, t.e, mark, &inner)),
            ));
        } else if !in_mark(t) {
            items.push((
                t.s,
                t.e,
                Node::Term(t.idx, vec![Node::Text(text[t.s..t.e].to_string())]),
            ));
        }
    }
    if let (Some((a, b)), None) = (mark, holder) {
        let inner: Vec<Span> = within.iter().copied().filter(|x| in_mark(x)).collect();
        items.push((a, b, Node::Mark(layer(text, a, b, None, &inner))));
    }
    items.sort_by_key(|i| i.0);
    let mut out = Vec::new();
    let mut at = lo;
    for (s, e, node) in items {
        if s > at {
            out.push(Node::Text(text[at..s].to_string()));
        }
        out.push(node);
        at = e;
    }
    if at < hi {
        out.push(Node::Text(text[at..hi].to_string()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use Node::*;

    fn t(s: &str) -> Node {
        Text(s.into())
    }

    /// The text back from the tree: nothing lost, nothing doubled.
    fn flat(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Text(s) => s.clone(),
                Mark(c) | Term(_, c) => flat(c),
            })
            .collect()
    }

    fn marks(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Text(_) => 0,
                Mark(c) => 1 + marks(c),
                Term(_, c) => marks(c),
            })
            .sum()
    }

    const L: &str = "x connect() failed (111: Connection refused) while connecting to upstream, y";

    fn range(needle: &str) -> Option<(usize, usize)> {
        L.find(needle).map(|i| (i, i + needle.len()))
    }

    #[test]
    fn terms_outside_and_inside_the_mark() {
        let e = build(L, range("(111: Connection refused)"));
        assert_eq!(e.terms.len(), 3);
        assert_eq!(
            e.nodes,
            [
                t("x "),
                Term(0, vec![t("connect() failed")]),
                t(" "),
                // A term exactly on the mark holds it.
                Term(1, vec![Mark(vec![t("(111: Connection refused)")])]),
                t(" "),
                Term(2, vec![t("while connecting to upstream")]),
                t(", y"),
            ]
        );
    }

    #[test]
    fn terms_inside_a_wider_mark() {
        let e = build(L, range("connect() failed (111: Connection refused)"));
        assert_eq!(
            e.nodes[1],
            Mark(vec![
                Term(0, vec![t("connect() failed")]),
                t(" "),
                Term(1, vec![t("(111: Connection refused)")])
            ])
        );
    }

    #[test]
    fn a_term_holding_the_mark_and_a_term_cut_by_it() {
        let e = build(L, range("failed"));
        assert_eq!(
            e.nodes[1],
            Term(0, vec![t("connect() "), Mark(vec![t("failed")])])
        );
        let e = build(L, range("refused) while"));
        // `(111: …)` is cut at the mark; `while connecting…` keeps its part after it.
        assert_eq!(flat(&e.nodes), L);
        assert_eq!(marks(&e.nodes), 1);
        assert!(e.nodes.contains(&Term(1, vec![t("(111: Connection ")])));
        assert!(e
            .nodes
            .contains(&Term(2, vec![t(" connecting to upstream")])));
    }

    #[test]
    fn text_is_kept_whole_whatever_the_mark() {
        for mark in [
            None,
            Some((0, 1)),
            Some((0, L.len())),
            Some((5, 3)),
            Some((2, 999)),
        ] {
            let e = build(L, mark);
            assert_eq!(flat(&e.nodes), L, "{mark:?}");
            assert!(marks(&e.nodes) <= 1);
        }
        let e = build("plain ☃ text", Some((6, 7)));
        assert_eq!(flat(&e.nodes), "plain ☃ text");
        assert_eq!(marks(&e.nodes), 0, "not a char boundary: no mark");
        assert_eq!(build("", None).nodes, []);
    }
}
