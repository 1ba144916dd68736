//! Developer tool: the length of share links over the labelled corpus
//! (`cargo run -p analyzer-core --example share_sizes`). Every link is made
//! from the redacted report (and redacted paste), as the CLI and the web
//! app make them.

use analyzer_core::redact::redact_input;
use analyzer_core::share;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files = Vec::new();
    for g in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(g.path()).into_iter().flatten().flatten() {
            if f.path().extension().is_some_and(|e| e == "txt") {
                files.push(f.path());
            }
        }
    }
    files.sort();
    let (mut report_only, mut with_input, mut json, mut lines) = (vec![], vec![], vec![], vec![]);
    let mut trimmed = Vec::new();
    for p in &files {
        let text = String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
        let report = analyzer_core::analyze_str(&text);
        let (red_input, mut redactor) = redact_input(&text);
        let red = redactor.redact_report(&report);
        let frag = share::encode(&red, None);
        if share::decode(&frag).is_ok_and(|d| d.trimmed) {
            trimmed.push(p.strip_prefix(&root).unwrap_or(p).display().to_string());
        }
        report_only.push(frag.len());
        with_input.push(share::encode(&red, Some(&red_input)).len());
        json.push(serde_json::to_string(&red).map(|s| s.len()).unwrap_or(0));
        lines.push(text.lines().count());
    }
    println!(
        "{} corpus cases, {}–{} input lines",
        files.len(),
        min(&lines),
        max(&lines)
    );
    row("report JSON (compact, bytes)", &mut json);
    row("link fragment, report only", &mut report_only);
    row("link fragment, with input", &mut with_input);
    println!(
        "report-only links over {} characters: {}; trimmed to fit: {} {:?}",
        share::REPORT_LINK_BUDGET,
        report_only
            .iter()
            .filter(|&&n| n > share::REPORT_LINK_BUDGET)
            .count(),
        trimmed.len(),
        trimmed
    );
}

fn min(v: &[usize]) -> usize {
    v.iter().copied().min().unwrap_or(0)
}

fn max(v: &[usize]) -> usize {
    v.iter().copied().max().unwrap_or(0)
}

fn row(name: &str, v: &mut [usize]) {
    v.sort_unstable();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<32} min {:>6}  median {:>6}  p90 {:>6}  max {:>6}",
        min(v),
        at(0.5),
        at(0.9),
        max(v)
    );
}
