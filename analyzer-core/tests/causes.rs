//! The labelled corpus: every `corpus/<expected>/<case>.txt` is a realistic
//! paste whose most likely cause is `<expected>` (`none`: no cause may be
//! reported). Every `near_miss/<id>/<case>.txt` is a paste that looks close
//! to cause `<id>` but must not produce it. Each case's full report is
//! snapshotted, so a rule change shows its blast radius (clippy's lintcheck).

use analyzer_core::{analyze, Report};
use std::fs;
use std::path::{Path, PathBuf};

fn cases(dir: &str) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(dir);
    let mut out = Vec::new();
    let Ok(groups) = fs::read_dir(&root) else {
        return out;
    };
    for g in groups.flatten() {
        if !g.path().is_dir() {
            continue;
        }
        let label = g.file_name().to_string_lossy().to_string();
        for f in fs::read_dir(g.path())
            .expect("readable corpus dir")
            .flatten()
        {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "txt") {
                out.push((label.clone(), p));
            }
        }
    }
    out.sort();
    out
}

fn report_of(p: &Path) -> Report {
    analyze(&fs::read(p).expect("readable case"))
}

fn case_name(p: &Path) -> String {
    let dir = p
        .parent()
        .and_then(|d| d.file_name())
        .unwrap_or_default()
        .to_string_lossy()
        .to_string();
    format!(
        "{}__{}",
        dir,
        p.file_stem().unwrap_or_default().to_string_lossy()
    )
}

#[test]
fn corpus_top1_accuracy_is_100_percent() {
    let cases = cases("corpus");
    assert!(!cases.is_empty(), "the corpus is empty");
    let mut wrong = Vec::new();
    for (expected, path) in &cases {
        let r = report_of(path);
        let got = r.causes.first().map(|c| c.id.as_str()).unwrap_or("none");
        if got != expected {
            let ranked: Vec<String> = r
                .causes
                .iter()
                .map(|c| format!("{} {:.2}", c.id, c.confidence))
                .collect();
            wrong.push(format!(
                "{}: expected {expected}, got {got} [{}]",
                path.display(),
                ranked.join(", ")
            ));
        }
    }
    let right = cases.len() - wrong.len();
    println!(
        "corpus top-1 accuracy: {right}/{} = {:.1}%",
        cases.len(),
        100.0 * right as f64 / cases.len() as f64
    );
    assert!(
        wrong.is_empty(),
        "misdiagnosed cases:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn near_misses_do_not_fire() {
    let mut wrong = Vec::new();
    for (id, path) in cases("near_miss") {
        let r = report_of(&path);
        if r.causes.iter().any(|c| c.id == id) {
            wrong.push(format!("{}: {id} fired", path.display()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_rule_has_a_corpus_case_and_a_near_miss() {
    let corpus: Vec<String> = cases("corpus").into_iter().map(|(l, _)| l).collect();
    let near: Vec<String> = cases("near_miss").into_iter().map(|(l, _)| l).collect();
    let mut missing = Vec::new();
    for r in analyzer_core::causes::RULES {
        if !corpus.iter().any(|l| l == r.id) {
            missing.push(format!("{}: no corpus case", r.id));
        }
        if !near.iter().any(|l| l == r.id) {
            missing.push(format!("{}: no near miss", r.id));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn no_cause_cases_say_what_to_paste_next() {
    for (label, path) in cases("corpus") {
        if label == "none" {
            let r = report_of(&path);
            assert!(!r.next.is_empty(), "{}: no next steps", path.display());
        }
    }
}

#[test]
fn reports_are_snapshotted() {
    for (_, path) in cases("corpus").into_iter().chain(cases("near_miss")) {
        let r = report_of(&path);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots/reports");
        settings.set_prepend_module_to_snapshot(false);
        settings.bind(|| insta::assert_json_snapshot!(case_name(&path), r));
    }
}
