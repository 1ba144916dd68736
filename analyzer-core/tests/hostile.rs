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
