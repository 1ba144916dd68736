//! nginx access.log lines: `combined`, `main` (trailing
//! `"$http_x_forwarded_for"`), custom formats that add `key=value` timing
//! pairs (`rt=60.001 ua="127.0.0.1:8000" us="504" urt="60.001"`, or the
//! long names `request_time=`, `upstream_response_time=`, …), trailing
//! bare times, and JSON formats (`{"status":"502",…}`).
//!
//! Why: the share of 502/503/504, the upstream status behind them and how
//! long the upstream took (≈60 s = a timeout, ≈0 s = refused/closed) point
//! at the cause even when error.log is missing.
//!
//! Runs on every line of possibly huge logs, so the recogniser is a few
//! byte comparisons (`[dd/Mon/yyyy:` or `[yyyy-mm-ddT` after a quote-free
//! prefix, a quoted request, a 3-digit status) and only 502/503/504 lines
//! are looked at further. Nothing is allocated for other lines beyond the
//! status counter.

use crate::facts::{EvidenceLine, Facts};
use crate::text::{find_byte, find_byte2};
use memchr::memchr;

/// Most 5xx lines kept as evidence.
pub const MAX_SAMPLES: usize = 5;

fn is_gateway_error(code: u16) -> bool {
    matches!(code, 502..=504)
}

fn three_digits(b: &[u8]) -> Option<u16> {
    if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((b[0] - b'0') as u16 * 100 + (b[1] - b'0') as u16 * 10 + (b[2] - b'0') as u16)
}

/// The 12 bytes after a `[` start a time stamp: `15/Jan/2024:` (nginx's
/// `$time_local`) or `2024-01-15T` (`$time_iso8601`).
fn is_stamp(ts: &[u8]) -> bool {
    let clf = ts[2] == b'/'
        && ts[6] == b'/'
        && ts[11] == b':'
        && ts[0].is_ascii_digit()
        && ts[10].is_ascii_digit();
    let iso = ts[4] == b'-'
        && ts[7] == b'-'
        && ts[10] == b'T'
        && ts[0].is_ascii_digit()
        && ts[9].is_ascii_digit();
    clf || iso
}

/// Byte offset of the status code in a text-format line, and the code.
fn text_status(b: &[u8]) -> Option<(usize, u16)> {
    let head = &b[..b.len().min(256)];
    // The first `[` with no `"` before it: one search for either.
    let lb = find_byte2(b'[', b'"', head)?;
    if b[lb] == b'"' || lb == 0 || b[lb - 1] != b' ' {
        return None;
    }
    if !is_stamp(b.get(lb + 1..lb + 13)?) {
        return None;
    }
    let rb = lb + find_byte(b']', &b[lb..])?;
    // `] "` as nginx writes it, else the first quote after the `]`.
    let q1 = if b.get(rb + 1..rb + 3) == Some(b" \"") {
        rb + 2
    } else {
        rb + find_byte(b'"', &b[rb..])?
    };
    if q1 - rb > 200 {
        return None;
    }
    let q2 = q1 + 1 + find_byte(b'"', &b[q1 + 1..])?;
    if b.get(q2 + 1) != Some(&b' ') {
        return None;
    }
    let s = q2 + 2;
    let code = three_digits(b.get(s..)?)?;
    match b.get(s + 3) {
        None | Some(b' ') => Some((s, code)),
        _ => None,
    }
}

/// The raw value of `"key":` in a flat JSON object (string or bare).
fn json_field<'a>(s: &'a str, key: &str) -> Option<(usize, &'a str)> {
    let b = s.as_bytes();
    let mut from = 0;
    loop {
        let i = from + s.get(from..)?.find(key)?;
        from = i + key.len();
        // `"key"` exactly, followed by `:`.
        if i == 0 || b[i - 1] != b'"' || b.get(i + key.len()) != Some(&b'"') {
            continue;
        }
        let mut j = i + key.len() + 1;
        while b.get(j).is_some_and(|c| *c == b' ') {
            j += 1;
        }
        if b.get(j) != Some(&b':') {
            continue;
        }
        j += 1;
        while b.get(j).is_some_and(|c| *c == b' ') {
            j += 1;
        }
        if b.get(j) == Some(&b'"') {
            let start = j + 1;
            let end = start + memchr(b'"', b.get(start..)?)?;
            return Some((start, s.get(start..end)?));
        }
        let end = j + b
            .get(j..)?
            .iter()
            .position(|c| matches!(c, b',' | b'}' | b' '))
            .unwrap_or(b.len() - j);
        return Some((j, s.get(j..end)?));
    }
}

/// Seconds in `0.000, 0.001 : 0.002` summed over attempts; `-` ignored.
fn seconds(v: &str) -> Option<f64> {
    if !v.bytes().any(|c| c == b',' || c == b':') {
        // One attempt (nearly always): the loop below without the split.
        return crate::num::parse_decimal(crate::text::trim(v))
            .filter(|x| x.is_finite() && *x >= 0.0)
            .map(|x| 0.0 + x);
    }
    seconds_of_attempts(v)
}

/// [`seconds`] for any number of attempts: each part between `,` and `:`.
fn seconds_of_attempts(v: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut any = false;
    for part in v.split([',', ':']) {
        if let Some(x) = crate::num::parse_decimal(part.trim()) {
            if x.is_finite() && x >= 0.0 {
                total += x;
                any = true;
            }
        }
    }
    any.then_some(total)
}

/// What a 5xx line says about its upstream.
#[derive(Default)]
struct Timing<'a> {
    request_time: Option<f64>,
    upstream_time: Option<f64>,
    bare_time: Option<f64>,
    upstream_status: Option<&'a str>,
    upstream_addr: Option<&'a str>,
    /// `$upstream_header_time`: a number when the upstream sent a
    /// response header (`-` when nginx got none).
    header_time: Option<f64>,
}

impl<'a> Timing<'a> {
    fn set(&mut self, key: &str, v: &'a str) {
        match key {
            "urt" | "upstream_response_time" | "upstream_time" => self.upstream_time = seconds(v),
            "rt" | "request_time" => self.request_time = seconds(v),
            "us" | "upstream_status" => self.upstream_status = Some(v),
            "ua" | "upstream_addr" | "upstream" => self.upstream_addr = Some(v),
            "uht" | "upstream_header_time" => self.header_time = seconds(v),
            _ => {}
        }
    }
}

/// Index just past the string that opens with the quote at `i`.
fn skip_quoted(b: &[u8], i: usize) -> usize {
    match b.get(i + 1..).and_then(|r| find_byte(b'"', r)) {
        Some(p) => i + 1 + p + 1,
        None => b.len(),
    }
}

/// Scan `key=value` / `key="value"` pairs and bare times after the status.
fn scan_pairs(tail: &str) -> Timing<'_> {
    let b = tail.as_bytes();
    let mut t = Timing::default();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        if b[i] == b'"' {
            // A quoted field (referer, user agent, x-forwarded-for).
            i = skip_quoted(b, i);
            continue;
        }
        let start = i;
        while i < b.len() && b[i] != b' ' && b[i] != b'=' && b[i] != b'"' {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            let key = &tail[start..i];
            i += 1;
            let (vs, ve) = if b.get(i) == Some(&b'"') {
                let vs = i + 1;
                let ve = vs + find_byte(b'"', &b[vs..]).unwrap_or(b.len() - vs);
                i = ve + 1;
                (vs, ve)
            } else {
                let vs = i;
                while i < b.len() && b[i] != b' ' {
                    i += 1;
                }
                (vs, i)
            };
            if let Some(v) = tail.get(vs..ve) {
                t.set(key, v);
            }
        } else {
            // Bare `60.001`: a `$request_time`/`$upstream_response_time` column.
            let tok = &tail[start..i];
            let dot = tok.bytes().position(|c| c == b'.');
            if dot.is_some_and(|d| d > 0 && tok.len() - d == 4)
                && tok.bytes().all(|c| c.is_ascii_digit() || c == b'.')
            {
                if let Some(x) = crate::num::parse_decimal(tok) {
                    t.bare_time = Some(t.bare_time.map_or(x, |y: f64| y.max(x)));
                }
            }
            if i < b.len() && b[i] == b'"' {
                i = skip_quoted(b, i);
            }
        }
    }
    t
}

/// One more `key`: allocates only for a key not seen before (`entry`
/// would take an owned key on every 5xx line). A key past the first
/// [`ACCESS_KEYS_KEEP`] is not tallied: a log whose every line names
/// another upstream must not grow memory with its size.
fn bump<Q>(map: &mut std::collections::BTreeMap<Q::Owned, u64>, key: &Q)
where
    Q: Ord + ToOwned + ?Sized,
    Q::Owned: Ord + std::borrow::Borrow<Q>,
{
    let full = map.len() >= ACCESS_KEYS_KEEP;
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None if !full => {
            map.insert(key.to_owned(), 1);
        }
        None => {}
    }
}

/// Distinct keys each access-log tally keeps (`$upstream_status` values,
/// upstream addresses, whole seconds of 5xx answers). Real logs name a few
/// dozen; the cap bounds memory for the rest.
pub const ACCESS_KEYS_KEEP: usize = 1024;

fn record_5xx(line_no: u64, text: &str, mark: usize, t: Timing<'_>, facts: &mut Facts) {
    let a = &mut facts.access;
    a.first_5xx_line.get_or_insert(line_no);
    a.last_5xx_line = Some(line_no);
    if a.samples.len() < MAX_SAMPLES {
        let mut e = EvidenceLine::new(line_no, text);
        if mark + 3 <= e.text.len() {
            e.mark = Some((mark, mark + 3));
        }
        a.samples.push(e);
    }
    let secs = match (t.request_time, t.upstream_time) {
        (Some(r), Some(u)) => Some(r.max(u)),
        (r, u) => r.or(u).or(t.bare_time),
    };
    if let Some(s) = secs {
        let ms = (s * 1000.0).round().min(u64::MAX as f64) as u64;
        a.max_5xx_time_ms = Some(a.max_5xx_time_ms.map_or(ms, |m| m.max(ms)));
        bump(&mut a.time_5xx_seconds, &((ms + 500) / 1000));
    }
    if let (Some(us), Some(_)) = (t.upstream_status, t.header_time) {
        // The last attempt's status, from a response the upstream sent.
        let last = us.rsplit([',', ':']).next().map_or(us, crate::text::trim);
        if last.starts_with('5') {
            a.backend_5xx += 1;
        }
    }
    if let Some(us) = t.upstream_status {
        if !us.bytes().any(|c| c == b',' || c == b':') {
            // One attempt (nearly always): the loop below without the split.
            let part = crate::text::trim(us);
            if !part.is_empty() {
                bump(&mut a.upstream_status, part);
            }
        } else {
            for part in us
                .split([',', ':'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                bump(&mut a.upstream_status, part);
            }
        }
    }
    if let Some(ua) = t.upstream_addr {
        if !ua.bytes().any(|c| c == b' ') {
            // Both separators have a space: one address (nearly always),
            // without setting up the two substring searches.
            let part = crate::text::trim(ua);
            if !part.is_empty() && part != "-" {
                bump(&mut a.upstream_addr_5xx, part);
            }
        } else {
            for part in ua
                .split(", ")
                .flat_map(|p| p.split(" : "))
                .map(str::trim)
                .filter(|p| !p.is_empty() && *p != "-")
            {
                bump(&mut a.upstream_addr_5xx, part);
            }
        }
    }
}

fn parse_json(line_no: u64, text: &str, facts: &mut Facts) -> bool {
    let Some((at, v)) = json_field(text, "status") else {
        return false;
    };
    let Some(code) = three_digits(v.as_bytes()).filter(|_| v.len() == 3) else {
        return false;
    };
    // Some request field, so a random JSON line with a status is not taken.
    let requestish = [
        "request",
        "request_uri",
        "uri",
        "remote_addr",
        "time_local",
        "time_iso8601",
        "upstream_addr",
    ];
    if !requestish.iter().any(|k| json_field(text, k).is_some()) {
        return false;
    }
    count(code, facts);
    if is_gateway_error(code) {
        let mut t = Timing::default();
        for key in [
            "upstream_response_time",
            "request_time",
            "upstream_status",
            "upstream_addr",
            "upstream_header_time",
            "urt",
            "rt",
            "us",
            "ua",
            "uht",
        ] {
            if let Some((_, v)) = json_field(text, key) {
                t.set(key, v);
            }
        }
        record_5xx(line_no, text, at, t, facts);
    }
    true
}

fn count(code: u16, facts: &mut Facts) {
    facts.access.lines += 1;
    *facts.access.status.entry(code).or_insert(0) += 1;
}

/// Nginx Proxy Manager's own formats, which open with the time stamp:
/// `proxy` (`[27/Nov/2024:10:00:00 +0000] - 502 502 - GET https host "/uri"
/// [Client 1.2.3.4] [Length 552] [Gzip -] [Sent-to 172.17.0.1] "UA" "-"`:
/// cache status, `$upstream_status`, `$status`) and `standard` (only
/// `$status` before the ` - `). The address NPM forwards to is `[Sent-to …]`.
fn parse_npm(line_no: u64, text: &str, facts: &mut Facts) -> bool {
    let b = text.as_bytes();
    if !b.get(1..13).is_some_and(is_stamp) {
        return false;
    }
    let Some(rb) = find_byte(b']', &b[..b.len().min(64)]) else {
        return false;
    };
    let Some(q) = find_byte(b'"', &b[rb..]).map(|q| rb + q) else {
        return false;
    };
    if q - rb > 400 || memchr::memmem::find(&b[q..], b" [Client ").is_none() {
        return false;
    }
    // The words between the stamp and the quoted URI, with their offsets.
    let head = &text[rb + 1..q];
    let mut words: Vec<(usize, &str)> = Vec::with_capacity(10);
    let mut at = 0;
    for w in head.split(' ') {
        if !w.is_empty() {
            words.push((rb + 1 + at, w));
        }
        at += w.len() + 1;
        if words.len() > 10 {
            return false;
        }
    }
    // `… <status> - <METHOD> <scheme> <host>`.
    let Some(m) = words
        .iter()
        .position(|(_, w)| (3..=7).contains(&w.len()) && w.bytes().all(|c| c.is_ascii_uppercase()))
    else {
        return false;
    };
    if m < 2 || words[m - 1].1 != "-" {
        return false;
    }
    let (s_at, s) = words[m - 2];
    let Some(code) = three_digits(s.as_bytes()).filter(|_| s.len() == 3) else {
        return false;
    };
    facts.npm = true;
    count(code, facts);
    if is_gateway_error(code) {
        let mut t = Timing::default();
        if m >= 3 {
            let us = words[m - 3].1;
            if us != "-" && us.bytes().next().is_some_and(|c| c.is_ascii_digit()) {
                t.upstream_status = Some(us);
            }
        }
        if let Some(i) = memchr::memmem::find(&b[q..], b"[Sent-to ") {
            let from = q + i + 9;
            if let Some(e) = find_byte(b']', &b[from..]) {
                t.upstream_addr = text.get(from..from + e);
            }
        }
        record_5xx(line_no, text, s_at, t, facts);
    }
    true
}

/// Parse one unwrapped line; false when it is not an access-log line.
pub fn parse_line(line_no: u64, text: &str, facts: &mut Facts) -> bool {
    let b = text.as_bytes();
    if b.len() < 24 {
        return false;
    }
    if b[0] == b'{' {
        return parse_json(line_no, text, facts);
    }
    if b[0] == b'[' {
        return parse_npm(line_no, text, facts);
    }
    let Some((at, code)) = text_status(b) else {
        return false;
    };
    count(code, facts);
    if is_gateway_error(code) {
        let t = scan_pairs(text.get(at + 3..).unwrap_or(""));
        record_5xx(line_no, text, at, t, facts);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_of_one_attempt_are_read_as_the_sum_of_several() {
        for v in [
            "", "-", "0", "-0", "0.000", " 60.001 ", "1e3", "nan", "inf", "-1.5", "0.5, 1.5",
            "0.5 : -", "x", "12.", ".5",
        ] {
            let (got, want) = (seconds(v), seconds_of_attempts(v));
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{v:?}");
        }
    }

    #[test]
    fn combined_and_timing() {
        let mut f = Facts::default();
        let lines = [
            "203.0.113.7 - - [15/Jan/2024:10:23:45 +0000] \"GET /api/users HTTP/1.1\" 502 166 \"https://example.com/\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
            "203.0.113.7 - - [15/Jan/2024:10:24:45 +0000] \"POST /reports/export HTTP/1.1\" 504 160 \"-\" \"curl/8.5.0\" rt=60.001 ua=\"127.0.0.1:8000\" us=\"504\" uct=\"0.000\" uht=\"-\" urt=\"60.001\"",
            "203.0.113.7 - - [15/Jan/2024:10:25:02 +0000] \"GET / HTTP/1.1\" 502 166 \"-\" \"curl/8.5.0\" rt=0.001 ua=\"10.0.3.15:8080, 10.0.3.16:8080\" us=\"502, 502\" uct=\"-, -\" uht=\"-, -\" urt=\"0.000, 0.001\"",
            "::1 - bob [15/Jan/2024:10:25:03 +0000] \"GET /ok HTTP/2.0\" 200 12 \"-\" \"curl\" \"-\"",
        ];
        for (i, l) in lines.iter().enumerate() {
            assert!(parse_line(i as u64 + 1, l, &mut f), "{l}");
        }
        let a = &f.access;
        assert_eq!(a.lines, 4);
        assert_eq!(a.count_5xx(502), 2);
        assert_eq!(a.max_5xx_time_ms, Some(60001));
        assert_eq!(a.time_5xx_seconds.get(&60), Some(&1));
        assert_eq!(a.upstream_status.get("502"), Some(&2));
        assert_eq!(a.upstream_addr_5xx.get("10.0.3.16:8080"), Some(&1));
        assert_eq!((a.first_5xx_line, a.last_5xx_line), (Some(1), Some(3)));
        let s = &a.samples[0];
        assert_eq!(s.mark.map(|(x, y)| &s.text[x..y]), Some("502"));
    }

    #[test]
    fn json_lines() {
        let mut f = Facts::default();
        assert!(parse_line(
            1,
            r#"{"time_local":"15/Jan/2024:10:23:45 +0000","remote_addr":"1.2.3.4","request":"GET / HTTP/1.1","status": "502","request_time":"0.002","upstream_addr":"127.0.0.1:3000","upstream_status":"502","upstream_response_time":"0.001"}"#,
            &mut f
        ));
        assert!(parse_line(2, r#"{"uri":"/","status":200}"#, &mut f));
        assert!(!parse_line(
            3,
            r#"{"log":"hello \"status\":502","stream":"stdout"}"#,
            &mut f
        ));
        assert_eq!(f.access.count_5xx(502), 1);
        assert_eq!(f.access.upstream_addr_5xx.get("127.0.0.1:3000"), Some(&1));
    }

    /// [`text_status`] as it was, one search per delimiter.
    fn reference_text_status(b: &[u8]) -> Option<(usize, u16)> {
        let head = &b[..b.len().min(256)];
        let lb = memchr(b'[', head)?;
        if lb == 0 || b[lb - 1] != b' ' || memchr(b'"', &b[..lb]).is_some() {
            return None;
        }
        if !is_stamp(b.get(lb + 1..lb + 13)?) {
            return None;
        }
        let rb = lb + memchr(b']', &b[lb..])?;
        let q1 = rb + memchr(b'"', &b[rb..])?;
        if q1 - rb > 200 {
            return None;
        }
        let q2 = q1 + 1 + memchr(b'"', &b[q1 + 1..])?;
        if b.get(q2 + 1) != Some(&b' ') {
            return None;
        }
        let s = q2 + 2;
        let code = three_digits(b.get(s..)?)?;
        match b.get(s + 3) {
            None | Some(b' ') => Some((s, code)),
            _ => None,
        }
    }

    #[test]
    fn status_is_found_as_the_separate_searches_found_it() {
        // Each slot of `addr - - [time] "request" status …`, as nginx
        // writes it or not.
        let slots: [&[&str]; 8] = [
            &["1.2.3.4", "", "\"x\"", "a[b", "1.2.3.4 \"q\""],
            &[" - - ", " - - ", " ", "", " \" "],
            &["[", "[", "[[", "]", ""],
            &[
                "15/Jan/2024:10:23:45 +0000",
                "2024-01-15T10:23:45+00:00",
                "15/Jan/2024",
                "x",
            ],
            &["]", "]", "]]", "", "\"]"],
            &[" \"", " \"", "\"", "  \"", " x \"", " ]\""],
            &[
                "GET / HTTP/1.1\" ",
                "GET / HTTP/1.1\" ",
                "\" ",
                "x\"",
                "GET \"/\" x\" ",
            ],
            &["502", "200 12", "5020", "50", "504 \"-\"", "x"],
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut found = 0;
        for _ in 0..100_000 {
            let mut line = String::new();
            for slot in slots {
                x = crate::text::xorshift(x);
                line.push_str(slot[(x >> 20) as usize % slot.len()]);
            }
            let want = reference_text_status(line.as_bytes());
            found += usize::from(want.is_some());
            assert_eq!(text_status(line.as_bytes()), want, "{line:?}");
        }
        assert!(found > 100, "{found}");
    }

    #[test]
    fn rejects_other_lines() {
        let mut f = Facts::default();
        for l in [
            "2024/01/15 10:23:45 [error] 1234#1234: *5 connect() failed (111: Connection refused) while connecting to upstream",
            "LISTEN   0        511                 [::]:80                [::]:*       users:((\"nginx\",pid=1235,fd=7))",
            "[15-Jan-2024 10:23:41] WARNING: [pool www] server reached pm.max_children setting (5)",
            "[pid: 1234|app: 0|req: 1/1] 127.0.0.1 () {34 vars} [Mon Jan 15 10:23:45 2024] GET / => generated 0 bytes",
            "srw-rw---- 1 www-data www-data 0 Jan 15 09:12 /run/php/php8.1-fpm.sock",
            "1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 5020 1",
            "1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1",
            "a [15/Jan/20",
            "é [é/Jan/2024:10:23:45 +0000] \"x\" 502",
        ] {
            assert!(!parse_line(1, l, &mut f), "{l}");
        }
        assert_eq!(f.access.lines, 0);
    }

    #[test]
    fn a_5xx_the_backend_sent_itself() {
        let mut f = Facts::default();
        for l in [
            // The backend answered 502 (a header time): passed on.
            r#"1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] "GET / HTTP/1.1" 502 157 "-" "curl" rt=0.004 uht="0.004" us=502"#,
            // nginx's own 502 after a refused connect: no header time.
            r#"1.2.3.4 - - [15/Jan/2024:10:23:46 +0000] "GET / HTTP/1.1" 502 157 "-" "curl" rt=0.000 uht="-" us=502"#,
            // Two attempts, the last one answered 503.
            r#"{"status":"502","request":"GET / HTTP/1.1","upstream_status":"502, 503","upstream_header_time":"0.010"}"#,
        ] {
            assert!(parse_line(1, l, &mut f), "{l}");
        }
        assert_eq!(f.access.backend_5xx, 2);
    }

    #[test]
    fn nginx_proxy_manager_formats() {
        let mut f = Facts::default();
        let proxy = "[27/Nov/2024:10:00:00 +0000] - 502 502 - GET https app.example.com \"/\" [Client 1.2.3.4] [Length 552] [Gzip -] [Sent-to 172.17.0.1] \"Mozilla/5.0\" \"-\"";
        assert!(parse_line(3, proxy, &mut f));
        assert_eq!(f.access.status.get(&502), Some(&1));
        assert_eq!(f.access.upstream_status.get("502"), Some(&1));
        assert_eq!(f.access.upstream_addr_5xx.get("172.17.0.1"), Some(&1));
        assert!(f.npm);
        // `standard` (the default site): the status alone.
        let standard = "[27/Nov/2024:10:00:05 +0000] 200 - GET http 10.0.0.5 \"/\" [Client 10.0.0.9] [Length 612] [Gzip -] \"curl/8.5.0\" \"-\"";
        assert!(parse_line(4, standard, &mut f));
        assert_eq!(f.access.status.get(&200), Some(&1));
        // Other bracketed lines are not NPM's.
        let mut g = Facts::default();
        for other in [
            "[27-Nov-2024 10:00:00] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it",
            "[Wed Nov 27 10:00:00.123456 2024] [proxy:error] [pid 12] AH00957: HTTP: attempt to connect to 127.0.0.1:8080 failed",
            "[27/Nov/2024:10:00:00 +0000] something else entirely with a \"quote\" and no client",
            "[27/Nov/2024:10:00:00",
        ] {
            assert!(!parse_line(1, other, &mut g), "{other}");
        }
        assert!(!g.npm);
    }

    #[test]
    fn bare_times() {
        let mut f = Facts::default();
        assert!(parse_line(1, "1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 504 160 \"-\" \"curl\" 30.002 30.001", &mut f));
        assert_eq!(f.access.max_5xx_time_ms, Some(30002));
    }
}
