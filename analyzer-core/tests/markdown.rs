//! Markdown snapshots: what `upstream-doctor --markdown` prints and the web
//! app copies ("Copy as Markdown") for a few corpus cases, so a change to
//! the wording or layout of the posted text shows in review. Redacted (the
//! default of both front ends) and not, with and without the share link.

use analyzer_core::markdown::{cause_page, export_markdown, report_markdown};
use analyzer_core::{analyze, share};
use std::fs;
use std::path::Path;

const CASES: &[&str] = &[
    "upstream_down/curl_and_ss_no_listener",
    "socket_permission/lab_fpm_socket_owner",
    "upstream_timeout/trimmed_forum_paste",
    "gunicorn_worker_timeout/compose_reset",
    "fpm_pool_exhausted/max_children_with_504s",
    "header_too_big/oidc_callback_proxy",
    "none/notice_only",
];

fn case(name: &str) -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(format!("{name}.txt"));
    fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn snapshot(name: &str, md: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/markdown");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!(name.to_string(), md));
}

#[test]
fn redacted_markdown_of_corpus_cases() {
    for name in CASES {
        let r = analyze(&case(name));
        let md = export_markdown(&r, true, None);
        snapshot(&format!("redacted__{}", name.replace('/', "__")), &md);
    }
}

#[test]
fn plain_markdown_of_corpus_cases() {
    for name in CASES {
        let r = analyze(&case(name));
        let md = export_markdown(&r, false, None);
        assert_eq!(md, report_markdown(&r, None));
        snapshot(&format!("plain__{}", name.replace('/', "__")), &md);
    }
}

#[test]
fn markdown_with_a_share_link() {
    let r = analyze(&case(CASES[0]));
    let md = export_markdown(&r, true, Some("https://tools.example/upstream-doctor/"));
    snapshot("linked__upstream_down", &md);
    let link = md
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("Shared diagnosis (redacted): <"))
        .and_then(|l| l.strip_suffix('>'))
        .expect("the link is the last line");
    let opened = share::decode(link).expect("the link opens");
    let ids = |r: &analyzer_core::Report| r.causes.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&opened.report), ids(&r));
}

/// Fenced blocks in the Markdown stay closed whatever the paste holds.
#[test]
fn markdown_fences_hold_against_backticks_in_evidence() {
    let paste = "2024/05/14 09:12:01 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /```</code> HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\"\n";
    let md = report_markdown(&analyze(paste.as_bytes()), None);
    let evidence = md.split("Evidence:\n\n").nth(1).expect("evidence");
    assert!(evidence.starts_with("````text\n"), "{evidence}");
}

#[test]
fn cause_pages_are_snapshotted() {
    for id in [
        "upstream_down",
        "socket_permission",
        "gunicorn_worker_timeout",
    ] {
        snapshot(&format!("page__{id}"), &cause_page(id).expect("a page"));
    }
}
