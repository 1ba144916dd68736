//! Fuzz target bodies, as plain functions.
//!
//! The cargo-fuzz crate (`fuzz/`, nightly) and the bounded smoke test
//! (`tests/fuzz_smoke.rs`, stable) call these same functions, so a crash
//! input found by the fuzzer replays in the normal test suite. Each function
//! takes arbitrary bytes, must return normally, and panics only when an
//! invariant of the engine is broken (which is then a bug to fix).
//!
//! Not part of the API: hidden from the docs and free to change.

use crate::artifacts::nginx_config::NginxConfig;
use crate::artifacts::BlockLine;
use crate::report::Report;
use crate::segment::Segmenter;
use crate::{analyze, markdown, redact, share, Analyzer};

/// A fuzz target: its name and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by the name of its fuzz binary and corpus directory.
pub const TARGETS: &[Target] = &[
    ("detect_parse", detect_parse),
    ("diagnose", diagnose),
    ("nginx_config", nginx_config),
    ("share_decode", share_decode),
    ("redact", redact),
    ("streaming", streaming),
];

/// The target body for `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

/// Lines as the stream hands them on: split at `\n`, lossy UTF-8, numbered
/// from 1. No length cut: the segmenter must cope with any line.
fn lines(data: &[u8]) -> impl Iterator<Item = (u64, String)> + '_ {
    data.split(|&b| b == b'\n')
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, String::from_utf8_lossy(l).into_owned()))
}

/// The segmenter (and every line and block parser behind it) over
/// arbitrary bytes, line by line.
pub fn detect_parse(data: &[u8]) {
    let mut seg = Segmenter::new();
    for (no, line) in lines(data) {
        seg.line(no, &line);
    }
    seg.finish();
    for a in &seg.artifacts {
        assert!(a.first_line <= a.last_line, "artifact lines out of order");
    }
}

/// Invariants every report keeps, whatever the input.
pub fn check_report(r: &Report) {
    for c in &r.causes {
        assert!(
            (0.0..=1.0).contains(&c.confidence),
            "confidence {} of {} out of range",
            c.confidence,
            c.id
        );
        for e in &c.evidence {
            if let Some((a, b)) = e.mark {
                assert!(
                    a < b && e.text.get(a..b).is_some(),
                    "mark {a}..{b} does not fit evidence {:?}",
                    e.text
                );
            }
        }
    }
}

/// The whole pipeline, then every presentation of its report.
pub fn diagnose(data: &[u8]) {
    let r = analyze(data);
    check_report(&r);
    let json = r.to_json();
    let v: serde_json::Value = serde_json::from_str(&json).expect("to_json writes JSON");
    assert!(v.is_object());
    let _ = markdown::report_markdown(&r, None);
    let _ = markdown::report_markdown(&r, Some("https://upstream-doctor.example/#v1.AAAA"));
}

/// Directive names whose inheritance the cause rules ask about.
const QUERIED: &[&str] = &[
    "proxy_read_timeout",
    "proxy_connect_timeout",
    "fastcgi_read_timeout",
    "proxy_buffer_size",
    "proxy_http_version",
    "proxy_set_header",
    "proxy_ssl_server_name",
    "resolver",
    "include",
    "server_name",
];

/// The nginx config parser on arbitrary text, then every query.
pub fn nginx_config(data: &[u8]) {
    let block: Vec<BlockLine> = lines(data)
        .map(|(no, text)| BlockLine { no, text })
        .collect();
    let cfg = NginxConfig::parse(&block);
    let _ = cfg.is_empty();
    let _ = cfg.user();
    let _ = cfg.find("proxy_pass");
    // Every pass (up to MAX_PLACEMENTS per directive through include
    // cycles): each query follows its own include chain and scans each
    // directive list once, so this stays linear per pass.
    for p in &cfg.passes() {
        let _ = p.prefix();
        for name in QUERIED {
            let _ = cfg.effective(p, name);
            let _ = cfg.effective_all(p, name);
        }
        let _ = cfg.resolver_for(p);
        let _ = cfg.upstream_for(p);
    }
    for b in cfg.upstream_blocks() {
        let _ = cfg.upstream_named(&b.name);
    }
    let _ = cfg.includes_not_pasted();
    let _ = cfg.error_log_levels();
    let _ = cfg.worker_connections();
    let _ = cfg.worker_rlimit_nofile();
    let mut merged = cfg.clone();
    merged.merge(cfg);
    let _ = merged.passes();
}

/// Decoding whatever a stranger sends as a link, and the encode → decode
/// round trip of the report of the input.
pub fn share_decode(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(d) = share::decode(&s) {
        check_report(&d.report);
        let _ = d.report.to_json();
        let _ = markdown::report_markdown(&d.report, None);
        // What opened re-encodes and opens again.
        let again = share::encode(&d.report, d.input.as_deref());
        if again.len() <= share::MAX_FRAGMENT_BYTES {
            // Re-serialising may grow a payload that sat at the inflated limit.
            let back = share::decode(&again);
            assert!(
                matches!(back, Ok(_) | Err(share::ShareError::TooBig)),
                "a decoded link re-encodes: {back:?}"
            );
        }
    }
    let report = analyze(data);
    let frag = share::encode(&report, None);
    assert_eq!(
        share::decode(&frag).map(|d| d.report),
        Ok(share::shareable(&report, None)),
        "report-only round trip"
    );
    let link = share::link("", &report, Some(&s));
    if link.len() - share::DEFAULT_BASE_URL.len() <= share::MAX_FRAGMENT_BYTES {
        let d = share::decode(&link).expect("a link with its input opens");
        assert_eq!(d.input.as_deref(), Some(&*s));
        assert_eq!(d.report, share::shareable(&report, Some(&s)));
    }
}

/// Redaction of arbitrary text, diagnosis of the result, and redaction of
/// what was already redacted (of the text and of its report).
pub fn redact(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let (once, mut r) = redact::redact_input(&s);
    assert_eq!(
        once.matches('\n').count(),
        s.matches('\n').count(),
        "redaction keeps the line count"
    );
    let report = analyze(once.as_bytes());
    check_report(&report);
    let redacted = r.redact_report(&report);
    check_report(&redacted);
    let (twice, _) = redact::redact_input(&once);
    let _ = analyze(twice.as_bytes());
    let (case, input) = redact::redact_case(&analyze(data), Some(&s));
    check_report(&case);
    let _ = redact::redact_case(&case, input.as_deref());
}

/// Feeding the input in chunks gives the report of feeding it whole. The
/// first byte says how many cut points follow (two bytes each, modulo the
/// input length); the rest is the input.
pub fn streaming(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = usize::from(n % 16).min(rest.len() / 2);
    let (spec, input) = rest.split_at(n * 2);
    let mut cuts: Vec<usize> = spec
        .chunks_exact(2)
        .map(|c| usize::from(u16::from_le_bytes([c[0], c[1]])) % (input.len() + 1))
        .collect();
    cuts.sort_unstable();
    let mut a = Analyzer::new();
    let mut at = 0;
    for c in cuts {
        a.feed(&input[at..c]);
        at = c;
    }
    a.feed(&input[at..]);
    let chunked = a.finish();
    assert_eq!(chunked, analyze(input), "chunked and whole reports differ");
}
