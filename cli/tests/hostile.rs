//! Hostile pastes through the built binary: each gives exit status 0 and a
//! report (or, for unreadable input, exit 2 and one clear line), never a
//! panic, and nothing from the input reaches the terminal as a control
//! sequence. The same inputs as `analyzer-core/tests/hostile.rs`; speed is
//! measured by `bench/hostile.sh`, not asserted.

use serde_json::Value;
use std::path::Path;
use std::process::Output;

mod common;
use common::run_env;

fn run(args: &[&str], stdin: &[u8]) -> Output {
    run_env(args, stdin, &[])
}

const REFUSED: &str = "2024/01/15 10:23:45 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"";

/// Exit 0, no panic message, empty stderr; the text report.
fn report_text(stdin: &[u8]) -> String {
    let o = run(&[], stdin);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err, "");
    String::from_utf8(o.stdout).expect("UTF-8 report")
}

/// Exit 0 with `--json`; the parsed report.
fn report_json(stdin: &[u8]) -> Value {
    let o = run(&["--json"], stdin);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "stderr: {err}");
    assert_eq!(err, "");
    serde_json::from_slice(&o.stdout).expect("one JSON document")
}

fn top(r: &Value) -> Option<&str> {
    r["causes"][0]["id"].as_str()
}

fn warnings(r: &Value) -> String {
    r["warnings"].to_string()
}

/// Nothing a terminal would obey: no ESC, no other C0/C1 control (tabs and
/// newlines aside), no bidi override or zero-width character.
fn assert_terminal_safe(text: &str) {
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        assert!(!bad, "{:?} reached the terminal in:\n{text}", c);
    }
}

#[test]
fn invalid_utf8_is_read_with_a_warning() {
    let mut input = REFUSED.replace("GET /", "GET /\u{1}").into_bytes();
    input.splice(30..30, [0xff, 0xfe, 0xc0]);
    input.push(b'\n');
    let r = report_json(&input);
    assert!(
        warnings(&r).to_lowercase().contains("utf-8"),
        "{}",
        warnings(&r)
    );
    assert_terminal_safe(&report_text(&input));
}

#[test]
fn nul_bytes_keep_the_diagnosis() {
    let mut input = vec![0u8; 4096];
    input.extend_from_slice(REFUSED.as_bytes());
    input.extend_from_slice(b"\n\0\0\0\n");
    let r = report_json(&input);
    assert_eq!(top(&r), Some("upstream_down"));
    assert_terminal_safe(&report_text(&input));
}

#[test]
fn a_50_mb_single_line_then_a_real_one() {
    let mut input = vec![b'a'; 50 << 20];
    input.push(b'\n');
    input.extend_from_slice(REFUSED.as_bytes());
    input.push(b'\n');
    let r = report_json(&input);
    assert_eq!(top(&r), Some("upstream_down"));
    assert_eq!(r["stats"]["bytes"], input.len() as u64);
    assert!(
        warnings(&r).contains("long"),
        "the cut line is mentioned: {}",
        warnings(&r)
    );
}

#[test]
fn a_million_tiny_lines() {
    let input = "x\n".repeat(1_000_000);
    let r = report_json(input.as_bytes());
    assert_eq!(r["stats"]["lines"], 1_000_000u64);
}

#[test]
fn a_hundred_thousand_nested_braces() {
    let mut input = "# configuration file /etc/nginx/nginx.conf:\n".to_string();
    input.push_str(&"location / {\n".repeat(100_000));
    input.push_str("proxy_pass http://127.0.0.1:3000;\n");
    input.push_str(REFUSED);
    input.push('\n');
    let r = report_json(input.as_bytes());
    assert!(warnings(&r).contains("deeper"), "{}", warnings(&r));
}

#[test]
fn ansi_escapes_are_shown_not_obeyed() {
    let input = format!(
        "\x1b]0;pwned\x07\x1b[2J\x1b[31m{}\x1b[0m\x1b[1A\x08\x08\n",
        REFUSED.replace("GET /", "GET /\x1b[8m\u{9b}31m")
    );
    let text = report_text(input.as_bytes());
    // Taken off evidence by the engine, or shown as `\x1b` by the CLI:
    // either way nothing a terminal obeys.
    assert_terminal_safe(&text);
    assert_eq!(top(&report_json(input.as_bytes())), Some("upstream_down"));
}

#[test]
fn bidi_overrides_and_zero_width_characters_are_shown_escaped() {
    let input = format!(
        "{}\n",
        REFUSED
            .replace("GET /", "GET /admin\u{202e}fdp.exe\u{2066}\u{200b}\u{feff}")
            .replace("server: x", "server: \u{200d}x\u{2069}")
    );
    let text = report_text(input.as_bytes());
    assert_terminal_safe(&text);
    assert!(text.contains("\\u{202e}"), "{text}");
    // The JSON report keeps the evidence verbatim (the web UI escapes it).
    let r = report_json(input.as_bytes());
    assert!(r.to_string().contains('\u{202e}'));
}

#[test]
fn html_and_javascript_stay_text() {
    let xss = "<img src=x onerror=alert(1)>";
    let input = format!(
        "{}\n1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET /<script>alert(1)</script> HTTP/1.1\" 502 157 \"javascript:alert(document.cookie)\" \"{xss}\"\n",
        REFUSED
            .replace("GET /", &format!("GET /{xss}"))
            .replace("host: \"x\"", "host: \"javascript:alert(1)//<b>\"")
    );
    let text = report_text(input.as_bytes());
    assert!(text.contains(xss), "evidence is shown as written: {text}");
    let o = run(&["--markdown"], input.as_bytes());
    assert_eq!(o.status.code(), Some(0));
    let md = String::from_utf8(o.stdout).expect("UTF-8");
    // Outside fenced code blocks, no markup from the paste.
    let mut fenced = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            for bad in ["<img", "<script", "<b>"] {
                assert!(!line.contains(bad), "{bad} outside a code block: {line}");
            }
        }
    }
}

#[test]
fn random_bytes_give_a_report() {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let bytes: Vec<u8> = (0..2_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let r = report_json(&bytes);
    assert!(r["stats"]["bytes"].as_u64() == Some(bytes.len() as u64));
    assert_terminal_safe(&report_text(&bytes));
}

#[test]
fn unreadable_input_is_one_clear_line() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-hostile");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    // gzip magic, then garbage: a corrupt archive.
    let p = dir.join("broken.gz");
    std::fs::write(&p, [0x1f, 0x8b, 8, 0, 0xde, 0xad, 0xbe, 0xef]).expect("write");
    let o = run(&[p.to_str().expect("UTF-8 path")], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(o.stdout.is_empty());
}
