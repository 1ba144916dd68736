//! analyzer-core compiled to WebAssembly and run under Node: the same
//! answers as natively, whole or in chunks.
//!
//! `wasm-pack test --node wasm-tests`
#![cfg(not(feature = "browser"))]

use analyzer_core::{analyze, Analyzer};
use wasm_bindgen_test::wasm_bindgen_test;

/// What the engine ranks first for `samples/mixed-502.txt`: nginx proxies
/// to 127.0.0.1:3000 while the app listens on 127.0.0.1:8080.
const SAMPLE_TOP: &str = "wrong_port";

#[wasm_bindgen_test]
fn sample_top_cause() {
    let r = analyze(web_ui::SAMPLE.as_bytes());
    let ids: Vec<&str> = r.causes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.first().copied(), Some(SAMPLE_TOP), "ranking: {ids:?}");
    for id in ["upstream_timeout", "socket_missing"] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    for c in &r.causes {
        assert!(
            analyzer_core::CONTRACT_IDS.contains(&c.family.as_str()),
            "{} has family {}",
            c.id,
            c.family
        );
        assert!((0.0..=1.0).contains(&c.confidence));
    }
}

#[wasm_bindgen_test]
fn streaming_in_odd_chunks_equals_whole_input() {
    let input = web_ui::SAMPLE.as_bytes();
    let whole = analyze(input);
    for size in [1, 2, 3, 7, 13, 64, 333, 4096] {
        let mut a = Analyzer::new();
        for chunk in input.chunks(size) {
            a.feed(chunk);
        }
        assert_eq!(a.finish(), whole, "chunk size {size}");
    }
}

#[wasm_bindgen_test]
fn streaming_splits_inside_utf8_sequences() {
    let text = format!("{}\n# café – naïve ✓\n", web_ui::SAMPLE);
    let input = text.as_bytes();
    let whole = analyze(input);
    let mut a = Analyzer::new();
    // Split at every byte boundary pattern, including inside multi-byte chars.
    let mut i = 0;
    let mut step = 1;
    while i < input.len() {
        let end = (i + step).min(input.len());
        a.feed(&input[i..end]);
        i = end;
        step = step % 5 + 1;
    }
    assert_eq!(a.finish(), whole);
}

#[wasm_bindgen_test]
fn empty_input_says_so() {
    let r = analyze(b"");
    assert!(r.causes.is_empty());
    assert!(!r.headline.is_empty());
}

#[wasm_bindgen_test]
fn worker_analyzer_matches_the_core() {
    let mut w = web_ui::WorkerAnalyzer::new();
    for chunk in web_ui::SAMPLE.as_bytes().chunks(10) {
        w.feed(chunk);
    }
    assert_eq!(w.bytes_seen(), web_ui::SAMPLE.len() as f64);
    let text = w.finish().expect("a report");
    let back = web_ui::protocol::report_from_json(&text).expect("report shape");
    assert_eq!(*back, analyze(web_ui::SAMPLE.as_bytes()));
    assert!(
        w.finish().is_err(),
        "a second finish is an error, not a panic"
    );
}

/// Lines of plain ASCII take a fast lane, checked 16 and 64 bytes at a
/// time (with `simd128` in the shipped build): a line whose first odd byte
/// (UTF-8, a tab, `\r`) sits at any offset across those blocks takes the
/// general path and is still read whole, with the line after it.
#[wasm_bindgen_test]
fn lines_with_an_odd_byte_at_any_offset_are_read_whole() {
    let line = |k: usize, odd: &str| {
        format!(
            "2024/01/15 10:{:02}:00 [error] 7#7: *{k} connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: \"GET /{}{odd} HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"shop.example.com\"\n",
            k % 60,
            "p".repeat(k)
        )
    };
    for odd in ["é", "\t", "\r", "e"] {
        let input: String = (0..140).map(|k| line(k, odd)).collect();
        let r = analyze(input.as_bytes());
        assert_eq!(r.stats.lines, 140, "{odd:?}");
        assert_eq!(r.stats.error_log_lines, 140, "{odd:?}");
        assert_eq!(r.stats.events, 140, "{odd:?}");
        assert_eq!(r.causes.first().map(|c| c.events), Some(140), "{odd:?}");
    }
}
