//! Events per minute by cause, as a small stacked-bar SVG.

use analyzer_core::num::fixed;
use analyzer_core::report::Timeline;
use std::rc::Rc;
use yew::prelude::*;

const W: f64 = 600.0;
const H: f64 = 120.0;
/// Colour classes cycle through this many series.
const COLOURS: usize = 6;

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub timeline: Rc<Timeline>,
}

#[function_component(TimelineChart)]
pub fn timeline_chart(p: &TimelineProps) -> Html {
    let t = &p.timeline;
    let n = t.minutes.len();
    if n == 0 || t.series.is_empty() {
        return html! {};
    }
    let totals: Vec<u64> = (0..n)
        .map(|i| {
            t.series
                .iter()
                .map(|s| s.counts.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0).max(1) as f64;
    let bw = W / n as f64;
    let gap = if bw > 4.0 { 1.0 } else { 0.0 };
    let first = t.minutes.first().cloned().unwrap_or_default();
    let last = t.minutes.last().cloned().unwrap_or_default();
    let label = format!("Events per minute from {first} to {last}, by cause");
    let mut bars = Vec::new();
    for i in 0..n {
        let mut y = H;
        for (k, s) in t.series.iter().enumerate() {
            let c = s.counts.get(i).copied().unwrap_or(0);
            if c == 0 {
                continue;
            }
            let h = (c as f64 / max * (H - 4.0)).max(1.0);
            y -= h;
            bars.push(html! {
                <rect class={format!("s{}", k % COLOURS)} x={fixed(i as f64 * bw, 2)} y={fixed(y, 2)}
                      width={fixed((bw - gap).max(0.5), 2)} height={fixed(h, 2)}>
                    <title>{ format!("{}: {} × {}", t.minutes[i], c, s.cause) }</title>
                </rect>
            });
        }
    }
    html! {
        <figure class="timeline">
            <figcaption>{ "When it happened (events per minute)" }</figcaption>
            <svg viewBox={format!("0 0 {} {}", fixed(W, 0), fixed(H, 0))} preserveAspectRatio="none" role="img" aria-label={label}>
                <line class="axis" x1="0" y1={fixed(H, 0)} x2={fixed(W, 0)} y2={fixed(H, 0)} />
                { for bars }
            </svg>
            <div class="timeline-axis"><span>{ first }</span><span>{ last }</span></div>
            <ul class="legend">
                { for t.series.iter().enumerate().map(|(k, s)| html! {
                    <li><span class={classes!("swatch", format!("s{}", k % COLOURS))} aria-hidden="true"></span>{ s.cause.clone() }</li>
                }) }
            </ul>
        </figure>
    }
}
