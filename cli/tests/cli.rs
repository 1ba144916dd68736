//! The built `upstream-doctor` binary, run as a user runs it: arguments,
//! standard input, exit status, standard output and standard error.

use flate2::write::GzEncoder;
use flate2::Compression;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;

mod common;
use common::run_env;

/// Run the binary with `args` and `stdin`.
fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_env(args, stdin, &[])
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../samples/mixed-502.txt")
}

/// A fresh scratch file for this test.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-tests");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("scratch file");
    p
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).expect("in memory");
    e.finish().expect("in memory")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

/// Run with `--json`, check exit 0 and an empty stderr, parse the report.
fn json(args: &[&str], stdin: &[u8]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let o = run(&all, stdin);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stderr(&o), "");
    serde_json::from_slice(&o.stdout).expect("stdout is one JSON document")
}

fn cause_ids(r: &Value) -> Vec<String> {
    r["causes"]
        .as_array()
        .expect("causes is an array")
        .iter()
        .map(|c| c["id"].as_str().expect("id is a string").to_string())
        .collect()
}

/// Evidence line numbers of cause `id`.
fn evidence_lines(r: &Value, id: &str) -> Vec<u64> {
    let c = r["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("cause {id} in {r}"));
    c["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .map(|e| e["line"].as_u64().expect("line"))
        .collect()
}

/// A usage or input error: exit 2, nothing on stdout, one line on stderr.
fn check_error(o: &Output, expected_stderr: &str) {
    assert_eq!(o.status.code(), Some(2), "stdout: {}", stdout(o));
    assert_eq!(stdout(o), "");
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.ends_with('\n'));
    assert_eq!(err.trim_end(), expected_stderr);
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn file_argument_prints_the_readable_report() {
    let o = run(&[path_str(&fixture("refused.log"))], b"");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    assert!(text.starts_with("Most likely: "), "{text}");
    assert!(text.contains("nginx error.log L1–3"), "{text}");
    // The table, then the cause with its evidence, fixes and verification.
    assert!(text.contains("  #  cause"), "{text}");
    assert!(text.contains("  1  upstream_down"), "{text}");
    assert!(text.contains("1. upstream_down: "), "{text}");
    assert!(
        text.contains("    L1  2024/05/14 09:12:01 [error]"),
        "{text}"
    );
    assert!(
        text.contains("    L3  2024/05/14 09:13:17 [error]"),
        "{text}"
    );
    assert!(text.contains("   Fix\n"), "{text}");
    assert!(
        text.contains("[disruptive]") || text.contains("[safe]"),
        "{text}"
    );
    assert!(text.contains("   Verify\n"), "{text}");
    // Not a terminal: no colour codes.
    assert!(!text.contains('\x1b'), "{text}");
}

#[test]
fn stdin_and_dash_read_standard_input() {
    let path = fixture("refused.log");
    let data = std::fs::read(&path).expect("fixture");
    let from_file = json(&[path_str(&path)], b"");
    assert_eq!(json(&[], &data), from_file);
    assert_eq!(json(&["-"], &data), from_file);
    assert_eq!(
        cause_ids(&from_file).first().map(String::as_str),
        Some("upstream_down")
    );
}

#[test]
fn gzip_is_read_by_magic_bytes_not_name() {
    let data = std::fs::read(fixture("refused.log")).expect("fixture");
    let plain = json(&[path_str(&fixture("refused.log"))], b"");
    let packed = gz(&data);
    let as_gz = scratch("refused.log.gz", &packed);
    let disguised = scratch("refused-gzip.log", &packed);
    let plain_named_gz = scratch("plain.gz", &data);
    assert_eq!(json(&[path_str(&as_gz)], b""), plain);
    assert_eq!(json(&[path_str(&disguised)], b""), plain);
    assert_eq!(json(&[path_str(&plain_named_gz)], b""), plain);
    assert_eq!(json(&[], &packed), plain, "gzip on standard input");
}

#[test]
fn several_files_are_one_case_with_continuing_line_numbers() {
    let r = json(
        &[
            path_str(&fixture("refused.log")),
            path_str(&fixture("timeout.log")),
        ],
        b"",
    );
    let ids = cause_ids(&r);
    assert!(ids.contains(&"upstream_down".to_string()), "{ids:?}");
    assert!(ids.contains(&"upstream_timeout".to_string()), "{ids:?}");
    assert_eq!(evidence_lines(&r, "upstream_down"), vec![1, 2, 3]);
    // timeout.log's first line is line 4 of the case.
    assert_eq!(evidence_lines(&r, "upstream_timeout"), vec![4]);
    assert_eq!(r["stats"]["lines"], 4);
}

#[test]
fn a_file_without_final_newline_does_not_merge_with_the_next() {
    let refused = std::fs::read_to_string(fixture("refused.log")).expect("fixture");
    let timeout = std::fs::read_to_string(fixture("timeout.log")).expect("fixture");
    let first = scratch("no-final-newline.log", refused.trim_end().as_bytes());
    let second = scratch("timeout-copy.log", timeout.as_bytes());
    let r = json(&[path_str(&first), path_str(&second)], b"");
    assert_eq!(r["stats"]["lines"], 4);
    assert_eq!(evidence_lines(&r, "upstream_down"), vec![1, 2, 3]);
    assert_eq!(evidence_lines(&r, "upstream_timeout"), vec![4]);
    // Same report as the two pasted together.
    let whole = format!("{}\n{}", refused.trim_end(), timeout);
    assert_eq!(json(&[], whole.as_bytes()), r);
}

#[test]
fn json_follows_the_contract() {
    let r = json(&[path_str(&sample())], b"");
    assert_eq!(r["version"], 1);
    let artifacts = r["artifacts"].as_array().expect("artifacts");
    assert!(!artifacts.is_empty());
    for a in artifacts {
        assert!(a["kind"].is_string(), "{a}");
        let (first, last) = (a["first_line"].as_u64(), a["last_line"].as_u64());
        assert!(
            matches!((first, last), (Some(f), Some(l)) if f >= 1 && f <= l),
            "{a}"
        );
    }
    let causes = r["causes"].as_array().expect("causes");
    assert!(!causes.is_empty(), "the mixed sample has causes");
    let mut last_confidence = f64::INFINITY;
    for c in causes {
        assert!(c["id"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
        let family = c["family"].as_str().expect("family");
        assert!(analyzer_core::CONTRACT_IDS.contains(&family), "{family}");
        if analyzer_core::CONTRACT_IDS.contains(&c["id"].as_str().unwrap_or_default()) {
            assert_eq!(c["family"], c["id"], "a contract cause is its own family");
        }
        assert!(c["title"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
        let confidence = c["confidence"].as_f64().expect("confidence");
        assert!((0.0..=1.0).contains(&confidence), "{c}");
        assert!(confidence <= last_confidence, "rank order");
        last_confidence = confidence;
        assert!(c["events"].is_u64(), "{c}");
        let evidence = c["evidence"].as_array().expect("evidence");
        assert!(!evidence.is_empty(), "{c}");
        for e in evidence {
            assert!(e["line"].as_u64().is_some_and(|l| l >= 1), "{e}");
            assert!(e["text"].is_string(), "{e}");
        }
        for f in c["fixes"].as_array().expect("fixes") {
            assert!(f["command"].is_string() && f["why"].is_string(), "{f}");
        }
        assert!(
            c["verify"]
                .as_array()
                .expect("verify")
                .iter()
                .all(Value::is_string),
            "{c}"
        );
    }
}

#[test]
fn evidence_is_the_input_line_itself() {
    let files = [fixture("refused.log"), fixture("timeout.log")];
    let mut input = String::new();
    for f in &files {
        input.push_str(&std::fs::read_to_string(f).expect("fixture"));
    }
    let lines: Vec<&str> = input.lines().collect();
    let r = json(&[path_str(&files[0]), path_str(&files[1])], b"");
    for c in r["causes"].as_array().expect("causes") {
        for e in c["evidence"].as_array().expect("evidence") {
            let n = e["line"].as_u64().expect("line") as usize;
            let text = e["text"].as_str().expect("text");
            let original = lines.get(n - 1).expect("line number within the input");
            assert!(
                original.contains(text.trim_end_matches('…')),
                "L{n}: {text:?} vs {original:?}"
            );
        }
    }
}

#[test]
fn empty_input_is_a_report_with_advice() {
    let r = json(&[], b"");
    assert_eq!(r["causes"], Value::Array(vec![]));
    let next = r["next"].as_array().expect("top-level next");
    assert!(!next.is_empty());
    assert!(next
        .iter()
        .all(|n| n["paste"].is_string() && n["why"].is_string()));

    let o = run(&[], b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("To find the cause, paste the output of:"));
}

#[test]
fn input_without_a_cause_exits_zero() {
    let r = json(&[path_str(&fixture("unrelated.txt"))], b"");
    assert_eq!(r["causes"], Value::Array(vec![]));
    assert!(r["next"].as_array().is_some_and(|n| !n.is_empty()));
}

#[test]
fn missing_file_is_a_one_line_error() {
    let o = run(&["/no/such/file.log"], b"");
    check_error(&o, "upstream-doctor: /no/such/file.log: no such file");
    // Also when it comes after a good file: no partial report.
    let o = run(
        &[path_str(&fixture("refused.log")), "/no/such/file.log"],
        b"",
    );
    check_error(&o, "upstream-doctor: /no/such/file.log: no such file");
}

#[test]
fn directory_is_a_one_line_error() {
    let dir = fixture("");
    let o = run(&[path_str(&dir)], b"");
    let expected = format!(
        "upstream-doctor: {}: is a directory (give the log files inside it)",
        dir.display()
    );
    check_error(&o, &expected);
}

#[test]
fn corrupt_gzip_is_a_one_line_error() {
    let data = std::fs::read(fixture("refused.log")).expect("fixture");
    let mut packed = gz(&data);
    packed.truncate(packed.len() / 2);
    let p = scratch("truncated.log.gz", &packed);
    let o = run(&[path_str(&p)], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stdout(&o), "");
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "upstream-doctor: {}: not a valid gzip file",
            p.display()
        )),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2() {
    check_error(
        &run(&["--frobnicate"], b""),
        "upstream-doctor: unknown option '--frobnicate' (see --help)",
    );
}

#[test]
fn help_and_version() {
    let o = run(&["--help"], b"");
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    assert!(
        help.contains("Usage:\n  upstream-doctor [OPTIONS] [FILE...]"),
        "{help}"
    );
    assert!(help.contains("--json"), "{help}");
    let o = run(&["--version"], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        format!("upstream-doctor {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn large_input_streams_through_chunk_boundaries() {
    // ~5 MB: the 128 KiB chunks split lines anywhere; every event is counted.
    let line = std::fs::read_to_string(fixture("timeout.log")).expect("fixture");
    let n = 5 * 1024 * 1024 / line.len() + 1;
    let data = line.repeat(n);
    let r = json(&[], data.as_bytes());
    assert_eq!(r["stats"]["lines"], n as u64);
    assert_eq!(r["stats"]["bytes"], data.len() as u64);
    let timeout = r["causes"]
        .as_array()
        .expect("causes")
        .iter()
        .find(|c| c["id"] == "upstream_timeout")
        .expect("upstream_timeout");
    assert_eq!(timeout["events"], n as u64);
}

#[test]
fn markdown_is_redacted_by_default_and_ends_with_the_link() {
    let s = sample();
    let o = run(&["--markdown", path_str(&s)], b"");
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let md = stdout(&o);
    assert!(md.starts_with("## nginx 502/504 diagnosis (Upstream Doctor)\n"));
    // The sample's host names and client addresses are replaced.
    let text = std::fs::read_to_string(&s).expect("sample");
    for original in ["shop.example.com", "203.0.113.7"] {
        assert!(text.contains(original));
        assert!(!md.contains(original), "{original} in\n{md}");
    }
    assert!(!md.contains("Shared diagnosis"), "no link unless asked");

    let plain = stdout(&run(&["--markdown", "--no-redact", path_str(&s)], b""));
    assert!(plain.contains("shop.example.com"));

    let base = "https://tools.example/ud/";
    let linked = stdout(&run(
        &[
            "--markdown",
            "--share-link",
            "--base-url",
            base,
            path_str(&s),
        ],
        b"",
    ));
    let last = linked.trim_end().lines().last().expect("a last line");
    let link = last
        .strip_prefix("Shared diagnosis (redacted): <")
        .and_then(|l| l.strip_suffix('>'))
        .expect("the link ends the Markdown");
    assert!(link.starts_with("https://tools.example/ud/#v2."));
    // The same Markdown as without the link, up to it.
    assert!(linked.starts_with(&md));
    // And the link opens the report's causes, redacted.
    let opened = json(&["--open", link], b"");
    let ids = cause_ids(&opened);
    assert!(!ids.is_empty());
    assert_eq!(ids[..], cause_ids(&json(&[path_str(&s)], b""))[..ids.len()]);
    assert!(!opened.to_string().contains("shop.example.com"));
}
