//! `--share-link` and `--open`, run as a user runs them: the link is the
//! last line, redacted and report-only; opening it prints the same
//! diagnosis; a bad link is one line on standard error and exit status 2.

use analyzer_core::share;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::run_env;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn refused() -> String {
    fixture("refused.log")
        .to_str()
        .expect("UTF-8 path")
        .to_string()
}

fn run(args: &[&str]) -> Output {
    run_env(args, b"", &[])
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

fn ok(o: &Output) -> String {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    assert_eq!(stderr(o), "");
    stdout(o)
}

fn last_line(s: &str) -> &str {
    s.lines().last().expect("output")
}

fn ids(r: &Value) -> Vec<String> {
    r["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// A usage or link error: exit 2, nothing on stdout, one line on stderr.
fn check_error(o: &Output, expected_stderr: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}", stdout(o));
    assert_eq!(stdout(o), "");
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert_eq!(err.trim_end(), expected_stderr);
}

#[test]
fn share_link_is_the_last_line_after_the_readable_report() {
    let plain = ok(&run(&[&refused()]));
    let out = ok(&run(&["--share-link", &refused()]));
    assert!(out.starts_with(&plain), "{out}");
    let link = last_line(&out);
    assert!(
        link.starts_with("https://upstream-doctor.example/#v2."),
        "{link}"
    );
    assert!(link.len() <= "https://upstream-doctor.example/".len() + share::REPORT_LINK_BUDGET);
    let d = share::decode(link).expect("the link opens");
    assert_eq!(d.input, None, "report only");
    let json = serde_json::to_string(&d.report).expect("json");
    for secret in ["203.0.113.7", "198.51.100.23", "shop.example.com"] {
        assert!(!json.contains(secret), "{secret} in {json}");
    }
    assert!(json.contains("127.0.0.1:3000"), "loopback and ports stay");
    assert_eq!(d.report.causes[0].id, "upstream_down");
}

#[test]
fn share_link_with_json_follows_the_document() {
    let plain = ok(&run(&["--json", &refused()]));
    let out = ok(&run(&["--json", "--share-link", &refused()]));
    let (doc, link) = out
        .trim_end()
        .rsplit_once('\n')
        .expect("a document, then the link");
    assert_eq!(format!("{doc}\n"), plain);
    let report: Value = serde_json::from_str(doc).expect("one JSON document");
    let opened = ok(&run(&["--open", link, "--json"]));
    let opened: Value = serde_json::from_str(&opened).expect("JSON");
    assert_eq!(ids(&opened), ids(&report));
}

#[test]
fn share_link_reads_standard_input_too() {
    let data = std::fs::read(fixture("refused.log")).expect("fixture");
    let from_stdin = ok(&run_env(&["--share-link"], &data, &[]));
    let from_file = ok(&run(&["--share-link", &refused()]));
    assert_eq!(last_line(&from_stdin), last_line(&from_file));
}

#[test]
fn base_url_from_the_option_or_the_environment() {
    let out = ok(&run(&[
        "--share-link",
        "--base-url",
        "https://tools.example.net/doctor/",
        &refused(),
    ]));
    assert!(
        last_line(&out).starts_with("https://tools.example.net/doctor/#v2."),
        "{out}"
    );
    let env = [("UPSTREAM_DOCTOR_URL", "https://doctor.example.org/")];
    let out = ok(&run_env(&["--share-link", &refused()], b"", &env));
    assert!(
        last_line(&out).starts_with("https://doctor.example.org/#v2."),
        "{out}"
    );
    // The option wins over the environment.
    let out = ok(&run_env(
        &["--share-link", "--base-url=https://a.example/", &refused()],
        b"",
        &env,
    ));
    assert!(
        last_line(&out).starts_with("https://a.example/#v2."),
        "{out}"
    );
    check_error(
        &run(&["--share-link", "--base-url", "ftp://x", &refused()]),
        "upstream-doctor: --base-url 'ftp://x' is not a web address (it should start with https://)",
    );
}

#[test]
fn open_prints_the_shared_report() {
    let out = ok(&run(&["--no-color", "--share-link", &refused()]));
    let link = last_line(&out).to_string();
    let text = ok(&run(&["--open", &link]));
    assert!(text.starts_with("Most likely: "), "{text}");
    assert!(text.contains("1. upstream_down: "), "{text}");
    assert!(text.contains("client: ip-1, server: host-1"), "{text}");
    assert!(!text.contains("203.0.113.7"), "{text}");
    assert!(
        text.contains(
            "Opened from a share link: addresses, host names, users and tokens were replaced"
        ),
        "{text}"
    );
    // Just the fragment, with or without `#`, opens the same report.
    let frag = &link[link.find('#').expect("fragment")..];
    assert_eq!(ok(&run(&["--open", frag])), text);
    assert_eq!(ok(&run(&["--open", &frag[1..]])), text);
    // As JSON: the report contract.
    let json: Value = serde_json::from_str(&ok(&run(&["--open", frag, "--json"]))).expect("JSON");
    assert_eq!(json["version"], 1);
    assert_eq!(ids(&json), ["upstream_down"]);
    assert_eq!(json["causes"][0]["evidence"][0]["line"], 1);
}

#[test]
fn bad_links_are_one_line_errors() {
    let out = ok(&run(&["--share-link", &refused()]));
    let link = last_line(&out).to_string();
    check_error(
        &run(&["--open", "https://upstream-doctor.example/"]),
        "upstream-doctor: this is not an Upstream Doctor share link (it should contain `#v2.` followed by letters and digits)",
    );
    check_error(
        &run(&["--open", ""]),
        "upstream-doctor: the share link is empty: paste the whole link",
    );
    check_error(
        &run(&["--open", &link.replace("#v2.", "#v3.")]),
        "upstream-doctor: this link was made by a newer Upstream Doctor (link format v3); update Upstream Doctor to open it",
    );
    check_error(
        &run(&["--open", &link[..link.len() / 2]]),
        "upstream-doctor: the share link is damaged or cut short; copy the whole link again",
    );
    check_error(
        &run(&["--open", &format!("{link}%20")]),
        "upstream-doctor: the share link is damaged: it has characters a link never has; copy the whole link again",
    );
    check_error(
        &run(&["--open", "#v1.abc", &refused()]),
        "upstream-doctor: --open reads the report from the link: give no FILE",
    );
}
