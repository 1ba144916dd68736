//! Hostile and broken input: every case completes, gives a report, and
//! never panics. Time bounds are not asserted here (benchmarks measure
//! speed); a quadratic blow-up would still show as a hung test.

use analyzer_core::analyze;

#[test]
fn empty_input_is_an_honest_empty_report() {
    let r = analyze(b"");
    assert!(r.causes.is_empty());
    assert!(!r.next.is_empty(), "tell the person what to paste");
    assert_eq!(r.stats.lines, 0);
}

#[test]
fn invalid_utf8_and_nul_bytes() {
    let mut input = b"2024/01/15 10:23:45 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET /\xff\xfe HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"\n".to_vec();
    input.extend_from_slice(b"\0\0\0\x80\x81\n\xc3\n");
    let r = analyze(&input);
    assert_eq!(
        r.causes.first().map(|c| c.id.as_str()),
        Some("upstream_down")
    );
    assert!(r.warnings.iter().any(|w| w.message.contains("UTF-8")));
}

#[test]
fn a_50_mb_single_line() {
    let mut input = vec![b'a'; 50 * 1024 * 1024];
    input.extend_from_slice(b"\n2024/01/15 10:23:45 [crit] 1#1: *1 connect() to unix:/run/php/php8.2-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"x\"\n");
    let r = analyze(&input);
    assert_eq!(r.stats.lines, 2);
    assert_eq!(
        r.causes.first().map(|c| c.id.as_str()),
        Some("socket_missing")
    );
    assert!(r.warnings.iter().any(|w| w.message.contains("cut")));
}

#[test]
fn a_million_tiny_lines() {
    let input = "x\n".repeat(1_000_000);
    let r = analyze(input.as_bytes());
    assert_eq!(r.stats.lines, 1_000_000);
    assert!(r.causes.is_empty());
}

#[test]
fn deeply_nested_and_unbalanced_braces() {
    let mut s = String::from("server {\n");
    s.push_str(&"location / {\n".repeat(100_000));
    s.push_str("proxy_pass http://127.0.0.1:3000;\n");
    let r = analyze(s.as_bytes());
    assert_eq!(r.stats.lines, 100_002);
    let s = "}\n}\n}\nserver {\n listen 80;\n".repeat(1000);
    let _ = analyze(s.as_bytes());
    let s = "{".repeat(1_000_000);
    let _ = analyze(s.as_bytes());
}

#[test]
fn terminal_escapes_bidi_and_markup_stay_text() {
    let line = "\x1b[31m2024/01/15 10:23:45 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET /<img src=x onerror=alert(1)>\u{202e}\u{200b} HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"javascript:alert(1)\"\x1b[0m\n";
    let r = analyze(line.as_bytes());
    let c = r.causes.first().expect("a cause");
    assert_eq!(c.id, "upstream_down");
    // Evidence is the line as text: markup is kept verbatim for the UI to render as text.
    assert!(c.evidence[0].text.contains("<img src=x onerror=alert(1)>"));
    assert!(!c.evidence[0].text.contains('\x1b'));
}

#[test]
fn random_bytes_never_panic() {
    // A fixed xorshift stream: deterministic, no clock, no rand crate.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut buf = Vec::with_capacity(4 << 20);
    for _ in 0..(4 << 20) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf.push((x >> 24) as u8);
    }
    let _ = analyze(&buf);
    // Printable noise with many newlines and braces.
    let alphabet: &[u8] = b"ab{};#\"'\\ \n:/[]()*|=$";
    let noise: Vec<u8> = buf
        .iter()
        .map(|b| alphabet[(*b as usize) % alphabet.len()])
        .collect();
    let _ = analyze(&noise);
}

// ------------------------------------------------------------------------
// Issue "Reliability and security": each class of hostile paste gives a
// report, keeps its diagnosis when there is one, and says so in a warning
// when part of the input could not be read as written.

const CONNECT_REFUSED: &str = "2024/01/15 10:23:45 [error] 1#1: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"";

fn top(r: &analyzer_core::Report) -> Option<&str> {
    r.causes.first().map(|c| c.id.as_str())
}

/// Markdown outside fenced code blocks (where raw text is inert).
fn markdown_prose(md: &str) -> String {
    let mut out = String::new();
    let mut fence: Option<String> = None;
    for line in md.lines() {
        let t = line.trim_start();
        let ticks: String = t.chars().take_while(|&c| c == '`').collect();
        match &fence {
            Some(f) if t.starts_with(f.as_str()) && t.trim_end() == f.as_str() => fence = None,
            Some(_) => {}
            None if ticks.len() >= 3 => fence = Some(ticks),
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

#[test]
fn invalid_utf8_alone_is_reported_and_shown_as_replacement() {
    let r = analyze(b"\xff\xfe\xfd\n\xed\xa0\x80 surrogate\n\xf8\x88\x80\x80\x80 overlong\n");
    assert_eq!(r.stats.lines, 3);
    let w: Vec<&str> = r.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(
        w.iter()
            .any(|m| m.starts_with("3 line(s) were not valid UTF-8")),
        "{w:?}"
    );
}

#[test]
fn nul_bytes_inside_and_before_a_log_line() {
    // logrotate's copytruncate leaves NUL padding before the next line.
    let mut input = vec![0u8; 4096];
    input.extend_from_slice(CONNECT_REFUSED.as_bytes());
    input.extend_from_slice(b"\n\0\0\0\n");
    input.extend_from_slice(CONNECT_REFUSED.replace("client:", "client:\0").as_bytes());
    let r = analyze(&input);
    assert_eq!(r.stats.lines, 3);
    assert_eq!(top(&r), Some("upstream_down"));
    for e in &r.causes[0].evidence {
        assert!(!e.text.contains('\0'), "{:?}", e.text);
    }
}

#[test]
fn a_50_mb_single_line_without_newline_streams_in_chunks() {
    let mut a = analyzer_core::Analyzer::new();
    let chunk = vec![b'x'; 256 * 1024];
    for _ in 0..200 {
        a.feed(&chunk);
    }
    let r = a.finish();
    assert_eq!(r.stats.lines, 1);
    assert_eq!(r.stats.bytes, 50 * 1024 * 1024);
    assert!(
        r.warnings.iter().any(|w| w
            .message
            .starts_with("1 line(s) longer than 64 KB were cut")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn a_million_empty_and_tiny_config_lines() {
    let r = analyze("\n".repeat(1_000_000).as_bytes());
    assert_eq!(r.stats.lines, 1_000_000);
    assert!(!r.next.is_empty());
    let r = analyze(";\n}\n{\n".repeat(333_334).as_bytes());
    assert_eq!(r.stats.lines, 1_000_002);
}

#[test]
fn a_hundred_thousand_nested_braces_are_warned_about() {
    let mut s = String::from("```nginx\nhttp {\n");
    s.push_str(&"{\n".repeat(100_000));
    s.push_str("proxy_pass http://127.0.0.1:3000;\n");
    let r = analyze(s.as_bytes());
    assert_eq!(r.stats.lines, 100_003);
    let w: Vec<&str> = r.warnings.iter().map(|w| w.message.as_str()).collect();
    assert!(w.iter().any(|m| m.contains("nested deeper than")), "{w:?}");
    assert!(w.iter().any(|m| m.contains("never closed")), "{w:?}");

    // 100,000 on one line: cut to 64 KB, and said so.
    let mut s = String::from("server { location / ");
    s.push_str(&"{ ".repeat(100_000));
    let r = analyze(s.as_bytes());
    assert!(r.warnings.iter().any(|w| w.message.contains("were cut")));
}

#[test]
fn terminal_escapes_are_taken_off_evidence() {
    // Colours, a window title (OSC), cursor moves, clear screen, a bell,
    // backspaces and a lone ESC: none may reach a terminal or the page.
    let hostile = format!(
        "\x1b]0;pwned\x07\x1b[2J\x1b[H\x1b[1;31m{}\x1b[0m\x08\x08\x07\x1b\n",
        CONNECT_REFUSED.replace(
            "GET /",
            "GET /\x1b]8;;https://evil.example/\x1b\\x\x1b]8;;\x1b\\"
        )
    );
    let r = analyze(hostile.as_bytes());
    assert_eq!(top(&r), Some("upstream_down"));
    for c in &r.causes {
        for e in &c.evidence {
            assert!(
                !e.text.contains(['\x1b', '\x07', '\x08']),
                "control left in evidence: {:?}",
                e.text
            );
            assert!(!e.text.contains("pwned"), "{:?}", e.text);
        }
    }
}

#[test]
fn bidi_overrides_and_zero_width_characters_stay_verbatim_in_evidence() {
    // Evidence is a span of the input: invisible and direction-changing
    // characters are kept (front ends show them escaped), never dropped so
    // that the shown line differs from the log, and never a reason to fail.
    let sneaky = "\u{202e}\u{2066}\u{200b}\u{200d}\u{feff}\u{2028}";
    let line = CONNECT_REFUSED
        .replace("GET /", &format!("GET /{sneaky}admin"))
        .replace("host: \"x\"", &format!("host: \"x{sneaky}\""));
    let input = format!("\u{feff}{line}\n{sneaky}\n");
    let r = analyze(input.as_bytes());
    assert_eq!(top(&r), Some("upstream_down"));
    let ev = &r.causes[0].evidence;
    assert!(ev.iter().any(|e| e.text.contains(sneaky)), "{ev:?}");
    for e in ev {
        if let Some((a, b)) = e.mark {
            assert!(e.text.get(a..b).is_some(), "mark off a char boundary");
        }
    }
    let _ = r.to_json();
    let md = analyzer_core::markdown::report_markdown(&r, None);
    assert!(!markdown_prose(&md).contains('\u{2028}'));
}

#[test]
fn html_and_javascript_in_request_lines_agents_and_hosts_stay_text() {
    let xss = "<img src=x onerror=alert(1)>";
    let input = format!(
        "{}\n\
         1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET /<script>alert(1)</script>?u=javascript:alert(1) HTTP/1.1\" 502 157 \"javascript:alert(document.cookie)\" \"{xss}\"\n\
         1.2.3.4 - - [15/Jan/2024:10:23:46 +0000] \"GET /{xss} HTTP/1.1\" 504 160 \"-\" \"Mozilla/5.0 </textarea><svg onload=alert(1)>\"\n",
        CONNECT_REFUSED
            .replace("GET /", &format!("GET /{xss}"))
            .replace("host: \"x\"", "host: \"javascript:alert(1)//<b>\"")
            .replace("server: x", "server: <iframe src=javascript:alert(1)>")
    );
    let r = analyze(input.as_bytes());
    assert_eq!(top(&r), Some("upstream_down"));
    assert_eq!(r.stats.access_5xx, 2);
    // Kept verbatim as data (the web UI renders it as text, never as markup).
    assert!(r.causes[0].evidence.iter().any(|e| e.text.contains(xss)));
    // The JSON report escapes nothing away and stays valid JSON.
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).expect("valid JSON");
    assert!(v.to_string().contains("onerror=alert(1)"));
    // In Markdown, markup only ever appears inside code blocks.
    let md = analyzer_core::markdown::report_markdown(&r, Some("https://x.example/#v1.AA<script>"));
    let prose = markdown_prose(&md);
    for bad in ["<img", "<script", "<iframe", "<svg", "</textarea"] {
        assert!(!prose.contains(bad), "{bad} outside a code block:\n{prose}");
    }
}

#[test]
fn javascript_urls_and_markup_in_the_config_stay_text() {
    // `javascript:` and markup where the config names targets and servers:
    // the diagnosis stays about the real target, the report is valid JSON,
    // and Markdown shows none of it outside code blocks.
    let input = format!(
        "# configuration file /etc/nginx/sites-enabled/x:\n\
         server {{\n\
         \x20 server_name <script>alert(1)</script> javascript:alert(2);\n\
         \x20 location /a {{ proxy_pass javascript:alert(3); }}\n\
         \x20 location /b {{ proxy_pass http://<img src=x onerror=alert(4)>:80; }}\n\
         \x20 location / {{ proxy_pass http://127.0.0.1:3000/; }}\n\
         }}\n{CONNECT_REFUSED}\n"
    );
    let r = analyze(input.as_bytes());
    assert_eq!(top(&r), Some("upstream_down"));
    let v: serde_json::Value = serde_json::from_str(&r.to_json()).expect("valid JSON");
    assert!(v.is_object());
    let md = analyzer_core::markdown::report_markdown(&r, None);
    let prose = markdown_prose(&md);
    for bad in ["<script", "<img", "javascript:alert"] {
        assert!(!prose.contains(bad), "{bad} outside a code block:\n{prose}");
    }
}

#[test]
fn logrotate_nul_padding_longer_than_a_line_keeps_the_next_line() {
    // copytruncate pads with as many NULs as the old file had bytes: far
    // more than the 64 KB kept of a line. The line after them still counts,
    // fed whole or in chunks that split the padding anywhere.
    let mut input = vec![0u8; 300_000];
    input.extend_from_slice(CONNECT_REFUSED.as_bytes());
    input.push(b'\n');
    let r = analyze(&input);
    assert_eq!(top(&r), Some("upstream_down"));
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    for cut in [1usize, 4096, 65_536, 299_999, 300_000, 300_010] {
        let mut a = analyzer_core::Analyzer::new();
        a.feed(&input[..cut]);
        a.feed(&input[cut..]);
        assert_eq!(a.finish().to_json(), r.to_json(), "cut at {cut}");
    }
}
