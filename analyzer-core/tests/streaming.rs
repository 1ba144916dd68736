//! Streaming and whole-input analysis must give identical reports, wherever
//! the chunk boundaries fall (inside a line, inside a UTF-8 sequence, on a
//! CR before its LF).

use analyzer_core::{analyze, Analyzer};
use proptest::prelude::*;
use std::path::Path;

fn corpus_texts() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    for d in std::fs::read_dir(root).expect("corpus dir").flatten() {
        for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "txt") {
                out.push(std::fs::read(f.path()).expect("readable"));
            }
        }
    }
    out.sort();
    out
}

fn chunked(input: &[u8], cuts: &[usize]) -> analyzer_core::Report {
    let mut a = Analyzer::new();
    let mut at = 0;
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    for c in cuts {
        a.feed(&input[at..c]);
        at = c;
    }
    a.feed(&input[at..]);
    a.finish()
}

#[test]
fn every_corpus_case_one_byte_at_a_time() {
    for text in corpus_texts() {
        let whole = analyze(&text);
        let mut a = Analyzer::new();
        for b in &text {
            a.feed(std::slice::from_ref(b));
        }
        assert_eq!(a.finish(), whole);
    }
}

#[test]
fn crlf_and_lf_give_the_same_causes() {
    for text in corpus_texts() {
        let lf = analyze(&text);
        let crlf: Vec<u8> = String::from_utf8_lossy(&text)
            .replace('\n', "\r\n")
            .into_bytes();
        let r = analyze(&crlf);
        let ids =
            |r: &analyzer_core::Report| r.causes.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&r), ids(&lf));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunk_boundaries(case in 0usize..1000, cuts in proptest::collection::vec(any::<usize>(), 0..24)) {
        let texts = corpus_texts();
        let text = &texts[case % texts.len()];
        prop_assert_eq!(chunked(text, &cuts), analyze(text));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stream_the_same(bytes in proptest::collection::vec(any::<u8>(), 0..2048), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
        prop_assert_eq!(chunked(&bytes, &cuts), analyze(&bytes));
    }
}
