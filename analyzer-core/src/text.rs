//! Line clean-up: what a terminal, a chat or a log shipper wrapped around
//! the line is taken off before anything tries to recognise it.
//!
//! People paste from everywhere: ANSI colours from `pm2` or `systemctl`,
//! CRLF from Windows chats, `docker compose logs` prefixes (`web-1  | `),
//! journald prefixes (`Nov 25 10:00:01 web1 nginx[123]: `), `kubectl logs
//! --timestamps` stamps, `cat -n` line numbers, chat quotes (`> `). Each is
//! removed here, once, so the parsers see the line as the program wrote it,
//! and the wrapper is kept as a hint (the journald ident names the program).

use std::borrow::Cow;

/// What was taken off the front of a line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Wrapper {
    /// `docker compose logs` service/container name (`nginx-1`).
    pub container: Option<String>,
    /// journald/syslog identifier (`nginx`, `php-fpm8.1`, `kernel`, `systemd`).
    pub ident: Option<String>,
    /// journald/syslog host name.
    pub host: Option<String>,
    /// pm2 app (`0|api`), or `PM2` for the daemon.
    pub pm2: Option<String>,
    /// The journald/syslog timestamp text (`Jan 15 10:23:45`), year unknown.
    pub stamp: Option<String>,
}

impl Wrapper {
    pub fn is_empty(&self) -> bool {
        self.container.is_none() && self.ident.is_none() && self.pm2.is_none()
    }
}

/// Remove ANSI escape sequences (CSI `ESC [ … letter`, OSC `ESC ] … BEL`,
/// and two-byte escapes) and other C0 controls except tab.
pub fn strip_controls(s: &str) -> Cow<'_, str> {
    if !has_controls(s.as_bytes()) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            match chars.peek() {
                Some('[') => {
                    chars.next();
                    // parameters and intermediates, then one final byte 0x40..=0x7e
                    for d in chars.by_ref() {
                        if ('\x40'..='\x7e').contains(&d) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    chars.next();
                    while let Some(d) = chars.next() {
                        if d == '\x07' {
                            break;
                        }
                        if d == '\x1b' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            }
        } else if c == '\t' || !(c.is_control()) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Any byte [`strip_controls`] would act on? Checked 32 bytes at a time
/// without early exits inside a block, so the compiler vectorises it: this
/// runs on every input line.
#[inline]
pub(crate) fn has_controls(b: &[u8]) -> bool {
    #[inline(always)]
    fn control(x: u8) -> bool {
        (x < 0x20) & (x != b'\t') | (x == 0x7f)
    }
    if b.len() < 32 {
        return b.iter().any(|&x| control(x));
    }
    let mut blocks = b.chunks_exact(32);
    for block in &mut blocks {
        if block.iter().fold(false, |acc, &x| acc | control(x)) {
            return true;
        }
    }
    // The last 32 bytes (overlapping the last block) instead of a byte loop.
    b[b.len() - 32..]
        .iter()
        .fold(false, |acc, &x| acc | control(x))
}

/// The line as `&str` when every byte is printable ASCII (`0x20..=0x7e`):
/// such a line is valid UTF-8, has no control byte and no `\r`, so it
/// needs neither the UTF-8 check nor the control scan: one pass of a
/// single compare a byte (vectorised, 64 bytes a step) instead of two.
/// Nearly every line of a big log qualifies; `None` sends a line to the
/// general path (UTF-8 check, clean-up), which gives the same result.
#[inline]
pub(crate) fn printable_ascii(b: &[u8]) -> Option<&str> {
    if !is_printable_ascii(b) {
        return None;
    }
    debug_assert!(std::str::from_utf8(b).is_ok());
    // SAFETY: every byte is in 0x20..=0x7e (checked just above), and a
    // sequence of ASCII bytes is valid UTF-8.
    Some(unsafe { std::str::from_utf8_unchecked(b) })
}

/// Every byte in `0x20..=0x7e`? Written so the compiler vectorises it: one
/// add and one signed compare a byte, no early exit inside a block.
#[inline]
fn is_printable_ascii(b: &[u8]) -> bool {
    /// `x + 0x60` maps `0x20..=0x7e` to `0x80..=0xde`, the signed bytes
    /// below -33, and every other byte to -33 or more.
    #[inline(always)]
    fn bad(x: u8) -> bool {
        (x.wrapping_add(0x60) as i8) >= -33
    }
    /// Blocks of `N` bytes with no early exit inside one, then the last
    /// `N` bytes (overlapping the last block) instead of a byte loop.
    #[inline(always)]
    fn blocks_ok<const N: usize>(b: &[u8]) -> bool {
        #[inline(always)]
        fn any_bad<const N: usize>(block: &[u8; N]) -> bool {
            block.iter().fold(false, |acc, &x| acc | bad(x))
        }
        let mut blocks = b.chunks_exact(N);
        for block in &mut blocks {
            if block.try_into().is_ok_and(any_bad::<N>) {
                return false;
            }
        }
        blocks.remainder().is_empty() || !b[b.len() - N..].try_into().is_ok_and(any_bad::<N>)
    }
    match b.len() {
        0..16 => !b.iter().any(|&x| bad(x)),
        16..64 => blocks_ok::<16>(b),
        _ => blocks_ok::<64>(b),
    }
}

/// The first `needle` in `haystack`: `memchr`, without its per-call CPU
/// dispatch where the vector unit is known when compiling.
///
/// Why: the hot paths search 20 to 250 bytes (a line, a field of one), a
/// million times a second. `memchr::memchr` picks its AVX2 or SSE2 routine
/// at run time through a function pointer on every call, which costs about
/// as much as such a short search itself. On x86-64, SSE2 is always there,
/// so its searcher is built and called directly (and inlined); elsewhere
/// (WebAssembly, where `simd128` is chosen when compiling anyway) this is
/// `memchr::memchr`.
#[inline(always)]
pub(crate) fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.find(haystack);
    }
    memchr::memchr(needle, haystack)
}

/// The first `a` or `b` in `haystack` ([`find_byte`] for two bytes).
#[inline(always)]
pub(crate) fn find_byte2(a: u8, b: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(two) = memchr::arch::x86_64::sse2::memchr::Two::new(a, b) {
        return two.find(haystack);
    }
    memchr::memchr2(a, b, haystack)
}

/// The last `needle` in `haystack` ([`find_byte`] searching backwards).
#[inline(always)]
pub(crate) fn rfind_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Some(one) = memchr::arch::x86_64::sse2::memchr::One::new(needle) {
        return one.rfind(haystack);
    }
    memchr::memrchr(needle, haystack)
}

/// `b.starts_with(p)` for a literal `p` of 4 to 16 bytes (a context field
/// name such as `" client: "`): two overlapping words compared, where a
/// slice comparison calls `memcmp`, which in WebAssembly goes byte by byte.
/// Other lengths compare as slices.
#[inline(always)]
pub(crate) fn has_prefix(b: &[u8], p: &[u8]) -> bool {
    let n = p.len();
    if b.len() < n {
        return false;
    }
    if (8..=16).contains(&n) {
        word(&b[..8]) == word(&p[..8]) && word(&b[n - 8..n]) == word(&p[n - 8..])
    } else if (4..8).contains(&n) {
        let w4 = |w: &[u8]| u32::from_le_bytes(w.try_into().unwrap_or_default());
        w4(&b[..4]) == w4(&p[..4]) && w4(&b[n - 4..n]) == w4(&p[n - 4..])
    } else {
        b[..n] == *p
    }
}

/// A word of eight bytes (`w` has eight).
#[inline(always)]
fn word(w: &[u8]) -> u64 {
    u64::from_le_bytes(w.try_into().unwrap_or_default())
}

/// How many ASCII digits `b` opens with, eight bytes at a time.
#[inline]
pub fn leading_digits(b: &[u8]) -> usize {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = !LOW7;
    let mut words = b.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let x = word(w);
        // Per byte, with no carry between bytes: the high bit of `ge0` is
        // set when the low seven bits are >= '0', of `ge10` when >= ':'.
        let ge0 = (x & LOW7) + 0x5050_5050_5050_5050;
        let ge10 = (x & LOW7) + 0x4646_4646_4646_4646;
        let digits = ge0 & !ge10 & !x & HIGH;
        let other = !digits & HIGH;
        if other != 0 {
            return n + (other.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + words
        .remainder()
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .count()
}

/// A substring searcher built once per program run (needles are constants):
/// `str::find` with a `&str` needle sets up a searcher on every call, which
/// dominates on short lines.
macro_rules! finder {
    ($(#[$doc:meta])* $name:ident, $needle:expr) => {
        $(#[$doc])*
        #[allow(non_snake_case)]
        pub fn $name() -> &'static memchr::memmem::Finder<'static> {
            static F: std::sync::OnceLock<memchr::memmem::Finder<'static>> =
                std::sync::OnceLock::new();
            F.get_or_init(|| memchr::memmem::Finder::new($needle))
        }
    };
}
pub(crate) use finder;

/// Reverse form of [`finder!`] (for `rfind`).
macro_rules! finder_rev {
    ($(#[$doc:meta])* $name:ident, $needle:expr) => {
        $(#[$doc])*
        #[allow(non_snake_case)]
        pub fn $name() -> &'static memchr::memmem::FinderRev<'static> {
            static F: std::sync::OnceLock<memchr::memmem::FinderRev<'static>> =
                std::sync::OnceLock::new();
            F.get_or_init(|| memchr::memmem::FinderRev::new($needle))
        }
    };
}
pub(crate) use finder_rev;

/// `s.find(needle)` for a prebuilt searcher (same result: the first match).
#[inline]
pub fn find_with(s: &str, f: &memchr::memmem::Finder<'_>) -> Option<usize> {
    f.find(s.as_bytes())
}

/// `s.rfind(needle)` for a prebuilt searcher (same result: the last match).
#[inline]
pub fn rfind_with(s: &str, f: &memchr::memmem::FinderRev<'_>) -> Option<usize> {
    f.rfind(s.as_bytes())
}

/// `s.rfind(needle)`, looking only where the needle's first byte is: for
/// needles that open with a rare byte (`, upstream: "`), faster than a
/// general reverse searcher on short haystacks.
#[inline]
pub fn rfind_lead(s: &str, needle: &str) -> Option<usize> {
    let (b, n) = (s.as_bytes(), needle.as_bytes());
    let first = *n.first()?;
    memchr::memrchr_iter(first, b).find(|&i| b[i..].starts_with(n))
}

/// A byte that `char::is_whitespace` cannot start: ASCII and not one of
/// tab, LF, VT, FF, CR and space.
#[inline]
fn plainly_not_blank(c: Option<&u8>) -> bool {
    matches!(c, Some(&c) if c < 0x80 && !matches!(c, b'\t'..=b'\r' | b' '))
}

/// `s.trim()`, without the Unicode tables when both ends are plainly not
/// whitespace (the usual case for a log field).
#[inline]
pub fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    if plainly_not_blank(b.first()) && plainly_not_blank(b.last()) {
        s
    } else {
        s.trim()
    }
}

/// `s.trim_start()`, without the Unicode tables when `s` opens with a
/// byte that is plainly not whitespace.
#[inline]
pub fn trim_start(s: &str) -> &str {
    if plainly_not_blank(s.as_bytes().first()) {
        s
    } else {
        s.trim_start()
    }
}

/// `s.find(&[a, b])`: the first `a` directly followed by `b`.
#[inline]
pub fn find_pair(s: &str, a: u8, b: u8) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut from = 0;
    while let Some(i) = memchr::memchr(a, &bytes[from..]) {
        let at = from + i;
        if bytes.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

pub fn month_index(m: &str) -> Option<u32> {
    MONTHS.iter().position(|x| *x == m).map(|i| i as u32 + 1)
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `Jan 15 10:23:45 host ident[pid]: rest` → (stamp, host, ident, rest).
fn strip_syslog(s: &str) -> Option<(&str, &str, &str, &str)> {
    let b = s.as_bytes();
    if b.len() < 17
        || !matches!(b[0], b'J' | b'F' | b'M' | b'A' | b'S' | b'O' | b'N' | b'D')
        || b[3] != b' '
        || month_index(s.get(..3)?).is_none()
    {
        return None;
    }
    // day may be space-padded: "Jan  5"
    let rest = s[4..].trim_start();
    let (day, rest) = rest.split_once(' ')?;
    if !is_digits(day) || day.len() > 2 {
        return None;
    }
    let (time, rest) = rest.split_once(' ')?;
    if time.len() < 8 || time.as_bytes()[2] != b':' || time.as_bytes()[5] != b':' {
        return None;
    }
    let stamp_len = s.len() - rest.len() - 1;
    let (host, rest) = rest.split_once(' ')?;
    let colon = rest
        .find(": ")
        .or_else(|| rest.strip_suffix(':').map(|r| r.len()))?;
    let ident_full = &rest[..colon];
    if ident_full.is_empty() || ident_full.contains(' ') {
        return None;
    }
    let ident = ident_full.split('[').next().unwrap_or(ident_full);
    let msg = rest.get(colon + 2..).unwrap_or("");
    Some((&s[..stamp_len], host, ident, msg))
}

/// `2024-01-15T10:23:41+0000 host ident[pid]: rest` (journalctl -o short-iso).
fn strip_iso_syslog(s: &str) -> Option<(&str, &str, &str, &str)> {
    // The stamp is the first word: `T` at 10 and 19 bytes at least.
    if s.as_bytes().get(10) != Some(&b'T') || s.len() < 19 {
        return None;
    }
    let (stamp, rest) = s.split_once(' ')?;
    if stamp.len() < 19 || stamp.as_bytes()[10] != b'T' || !stamp.get(..4).is_some_and(is_digits) {
        return None;
    }
    let (host, rest) = rest.split_once(' ')?;
    if host.contains(':') {
        return None;
    }
    let colon = rest.find(": ")?;
    let ident_full = &rest[..colon];
    if ident_full.is_empty() || ident_full.contains(' ') {
        return None;
    }
    let ident = ident_full.split('[').next().unwrap_or(ident_full);
    Some((stamp, host, ident, &rest[colon + 2..]))
}

/// `2024-01-15T10:23:45.123456789Z rest` (kubectl logs --timestamps).
fn strip_rfc3339(s: &str) -> Option<&str> {
    // The stamp is the first word: `-` at 4, `T` at 10, 20 bytes at least.
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[10] != b'T' {
        return None;
    }
    let (stamp, rest) = s.split_once(' ')?;
    let b = stamp.as_bytes();
    if b.len() >= 20
        && b[4] == b'-'
        && b[10] == b'T'
        && (stamp.ends_with('Z') || stamp.contains('+'))
        && stamp.get(..4).is_some_and(is_digits)
    {
        Some(rest)
    } else {
        None
    }
}

/// `2024-07-09 17:58:40 rest` (Docker Desktop's log view, s6-log and other
/// shippers: the local time, then the program's own line) when the rest
/// carries its own date: `[09-Jul-2024 …` (PHP-FPM), `[2024-…` or
/// `2024/07/09 …` (nginx). A line whose only date is this one keeps it.
fn strip_shipper_stamp(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    if b.len() < 30 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    if !s.get(..4).is_some_and(is_digits) {
        return None;
    }
    // seconds, then an optional fraction
    let after = s.get(19..)?;
    let frac = after
        .strip_prefix('.')
        .map_or(0, |r| 1 + r.bytes().take_while(u8::is_ascii_digit).count());
    let rest = s.get(19 + frac..)?.strip_prefix(' ')?.trim_start();
    let rb = rest.as_bytes();
    let dated = (rb.len() > 12 && rb[0] == b'[' && rb[1].is_ascii_digit())
        || (rb.len() > 10
            && rb[4] == b'/'
            && rb[7] == b'/'
            && rest.get(..4).is_some_and(is_digits));
    dated.then_some(rest)
}

/// `name  | rest`: docker compose / docker logs prefix, and pm2 logs
/// (`0|api      | rest`, `PM2        | rest`).
fn strip_bar_prefix(s: &str) -> Option<(&str, &str)> {
    // A bar past byte 64 is refused below, so the search stops there (a
    // `| ` further on would give the same `None`).
    let window = &s.as_bytes()[..s.len().min(66)];
    let bar = memchr::memchr_iter(b'|', window)
        .find(|&i| s.as_bytes().get(i + 1) == Some(&b' '))
        .or_else(|| s.strip_suffix('|').map(|r| r.len()))?;
    if bar == 0 || bar > 64 {
        return None;
    }
    let name = s[..bar].trim_end();
    if name.is_empty() || name.len() == bar && !name.ends_with(' ') && !name.contains('|') {
        // need padding before the bar ("web-1 | ") unless pm2's "0|api|"
        if !s[..bar].ends_with(' ') {
            return None;
        }
    }
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'|' | b'/'));
    if !ok {
        return None;
    }
    Some((name, s.get(bar + 2..).unwrap_or("")))
}

/// `   12\tcontent` (cat -n), `12 | content`, `12: content` (editors) when
/// the number is small and the rest is not itself a time.
fn strip_line_number(s: &str) -> Option<&str> {
    let t = s.trim_start();
    let digits = t.bytes().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 6 {
        return None;
    }
    let rest = &t[digits..];
    if let Some(r) = rest.strip_prefix('\t') {
        return Some(r);
    }
    if let Some(r) = rest
        .strip_prefix(" | ")
        .or_else(|| rest.strip_prefix(" │ "))
    {
        return Some(r);
    }
    None
}

/// The compose service of a `docker compose logs` prefix: `web-1` → `web`
/// (Compose v2), `proj_web_1` → `web` (v1 prefixed the project); a name
/// without an index is kept as it is.
pub fn service_of_prefix(prefix: &str) -> String {
    // forego/Procfile process names inside one container (`nginx.1`,
    // `dockergen.1` in nginx-proxy): the program, not a compose service.
    if let Some((name, n)) = prefix.rsplit_once('.') {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && !name.contains(['.', '_']) {
            return name.to_string();
        }
    }
    let sep = if prefix.contains('_') && !prefix.contains('-') {
        '_'
    } else {
        '-'
    };
    let parts: Vec<&str> = prefix.split(sep).collect();
    let indexed = parts.len() >= 2
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    if !indexed {
        return prefix.to_string();
    }
    let from = usize::from(sep == '_' && parts.len() >= 3);
    parts[from..parts.len() - 1].join(&sep.to_string())
}

/// Take off every wrapper and return the line as its program wrote it.
pub fn unwrap_line(line: &str) -> (&str, Wrapper) {
    let mut w = Wrapper::default();
    let mut s = line;
    for _ in 0..4 {
        let before = s.len();
        if let Some(r) = s.strip_prefix("> ") {
            s = r;
        }
        // A syslog line indented by the paste (` May  2 11:33:49 host kernel: …`).
        let lead = s.len() - s.trim_start_matches([' ', '\t']).len();
        let syslog = strip_syslog(&s[lead..]).or_else(|| strip_iso_syslog(s));
        if let Some((stamp, host, ident, rest)) = syslog {
            w.stamp = Some(stamp.to_string());
            w.host = Some(host.to_string());
            w.ident = Some(ident.to_string());
            s = rest;
        } else if let Some(r) = strip_rfc3339(s).or_else(|| strip_shipper_stamp(s)) {
            s = r;
        }
        if let Some((name, rest)) = strip_bar_prefix(s) {
            if name == "PM2" || name.contains('|') {
                w.pm2 = Some(name.to_string());
            } else {
                w.container = Some(name.to_string());
            }
            s = rest;
        }
        if let Some(r) = strip_line_number(s) {
            s = r;
        }
        if s.len() == before {
            break;
        }
    }
    (s, w)
}

/// `s` with typographic double quotes (`“…”`, `„…“`, `″`) made straight:
/// chat apps, word processors and some forums "smarten" the quotes of a
/// pasted log line, which hides nginx's quoted fields (`upstream: “http://…”`).
/// `None` when there is none (the usual case, checked on one byte).
pub fn straight_quotes(s: &str) -> Option<String> {
    if !s.as_bytes().contains(&0xE2) {
        return None;
    }
    let smart = |c: char| {
        matches!(
            c,
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{2033}'
        )
    };
    s.contains(smart).then(|| s.replace(smart, "\""))
}

/// A log line a shipper wrapped as one JSON object: Docker's json-file
/// log (`{"log":"…\n","stream":"stderr","time":…}`), `journalctl -o json`
/// (`MESSAGE`, `SYSLOG_IDENTIFIER`), Kubernetes' fluentd/Loki records and
/// exports from Kibana, CloudWatch or Cloud Logging (`message`, `msg`,
/// `textPayload`). Returns the message, unescaped (nginx's quoted fields
/// come back as `"`, not `\"`, so they can be read), without its trailing
/// newline, and what the record says of its source. `None` for anything
/// else, a JSON line cut short included, and for a record with a `status`:
/// an HTTP request's (a JSON access log, Caddy's error records), which the
/// access-log parser reads whole.
pub fn json_log(line: &str) -> Option<(String, Wrapper)> {
    // The message keys, quoted as they appear in the record.
    const MESSAGES: [&str; 6] = [
        "\"log\"",
        "\"MESSAGE\"",
        "\"message\"",
        "\"msg\"",
        "\"textPayload\"",
        "\"line\"",
    ];
    let t = line.trim();
    // Cheap checks first: a big JSON access log sends every line here.
    if !t.starts_with('{') || !t.ends_with('}') || t.contains("\"status\"") {
        return None;
    }
    if !MESSAGES.iter().any(|k| t.contains(k)) {
        return None;
    }
    let serde_json::Value::Object(o) = serde_json::from_str(t).ok()? else {
        return None;
    };
    let text = |k: &str| o.get(k).and_then(|v| v.as_str());
    // pino/bunyan put a Node error under `err` (`"msg"` is only its
    // message): its stack opens with `Error: listen EADDRINUSE …`, the form
    // Node prints and the backend-log parser reads.
    let stack = ["err", "error"]
        .iter()
        .find_map(|k| o.get(*k)?.get("stack")?.as_str());
    let message = stack.or_else(|| MESSAGES.iter().find_map(|k| text(k.trim_matches('"'))))?;
    let k8s = o.get("kubernetes").and_then(|k| k.get("container_name"));
    let container = ["container_name", "CONTAINER_NAME"]
        .iter()
        .find_map(|k| text(k))
        .or_else(|| k8s.and_then(|v| v.as_str()));
    let ident = ["SYSLOG_IDENTIFIER", "_COMM"].iter().find_map(|k| text(k));
    let w = Wrapper {
        container: container.map(str::to_string),
        ident: ident.map(str::to_string),
        host: text("_HOSTNAME").map(str::to_string),
        ..Wrapper::default()
    };
    Some((message.trim_end().to_string(), w))
}

/// Parse `(N: text)` right at the start of `s`; returns (N, text, rest).
/// A line cut inside the parentheses (`(111: Connection ref$` from a
/// terminal that truncates long lines, or a paste trimmed by hand) still
/// names its errno: the text is what is left of it and the rest is empty.
pub fn parse_errno(s: &str) -> Option<(u16, &str, &str)> {
    let s = s.strip_prefix('(')?;
    let colon = s.find(':')?;
    let n: u16 = s[..colon].trim().parse().ok()?;
    let Some(close) = s.find(')') else {
        let text = s[colon + 1..].trim();
        return (!text.is_empty()).then_some((n, text, ""));
    };
    if close < colon {
        return None;
    }
    Some((n, s[colon + 1..close].trim(), &s[close + 1..]))
}

/// Return the text between the first pair of double quotes after `prefix`.
pub fn quoted_after<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let i = s.find(prefix)? + prefix.len();
    let rest = s[i..].strip_prefix('"')?;
    let end = rest.find('"')?;
    Some(&rest[..end])
}

/// One step of Marsaglia's xorshift64: the small, seedable, dependency-free
/// generator the randomised comparison tests use (same seed, same cases).
#[cfg(test)]
pub(crate) fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_prefix_is_starts_with() {
        let text = b"a, client: 1.2.3.4, upstream: \"http://x\", host: \"h\"";
        for from in 0..text.len() {
            for to in from..=text.len() {
                let p = &text[from..to];
                for at in 0..text.len() {
                    let b = &text[at..];
                    assert_eq!(has_prefix(b, p), b.starts_with(p), "{from} {to} {at}");
                }
            }
        }
    }

    #[test]
    fn leading_digits_are_counted_as_take_while_counts() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x = crate::text::xorshift(x);
            x
        };
        let alphabet = [
            b',',
            b'"',
            b'0',
            b'9',
            b'/',
            b':',
            b'a',
            0,
            0x80,
            0xff,
            b'\n',
            0x2c ^ 0x80,
        ];
        for _ in 0..20_000 {
            let len = (next() % 200) as usize;
            let b: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() >> 20) as usize % alphabet.len()])
                .collect();
            let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
            assert_eq!(leading_digits(&b), digits, "{b:?}");
        }
        let all: Vec<u8> = (0..=255).collect();
        for w in all.windows(9) {
            let digits = w.iter().take_while(|c| c.is_ascii_digit()).count();
            assert_eq!(leading_digits(w), digits, "{w:?}");
        }
    }

    #[test]
    fn fast_trims_trim_as_std_trims() {
        for t in [
            "",
            " ",
            "a",
            " a ",
            "a ",
            " a",
            "\ta\r",
            "\u{b}x\u{c}",
            "\u{1c}x\u{1f}",
            "\u{a0}x",
            "x\u{a0}",
            "\u{2003} y \u{3000}",
            "é",
            "0.5",
            "-",
        ] {
            assert_eq!(trim(t), t.trim(), "{t:?}");
            assert_eq!(trim_start(t), t.trim_start(), "{t:?}");
        }
    }

    #[test]
    fn printable_ascii_is_exactly_bytes_0x20_to_0x7e() {
        // Every byte value at every place the blocks treat apart (the
        // short loop, 16- and 64-byte blocks, their overlapping tails).
        for len in [0usize, 1, 15, 16, 17, 40, 63, 64, 65, 127, 128, 200, 235] {
            let line = vec![b'x'; len];
            assert!(printable_ascii(&line).is_some(), "{len}");
            for at in [0, len / 2, len.saturating_sub(1)]
                .into_iter()
                .filter(|&at| at < len)
            {
                for c in 0..=255u8 {
                    let mut v = line.clone();
                    v[at] = c;
                    let want = (0x20..=0x7e).contains(&c);
                    assert_eq!(printable_ascii(&v).is_some(), want, "{len} {at} {c:#x}");
                    if let Some(s) = printable_ascii(&v) {
                        assert_eq!(s.as_bytes(), &v[..]);
                        assert!(!has_controls(&v));
                    }
                }
            }
        }
    }

    #[test]
    fn strips_ansi_and_controls() {
        assert_eq!(strip_controls("\x1b[31mred\x1b[0m ok\r"), "red ok");
        assert_eq!(strip_controls("a\x1b]0;title\x07b"), "ab");
        assert!(matches!(strip_controls("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn smart_quotes_are_straightened() {
        assert_eq!(
            straight_quotes("request: \u{201C}GET / HTTP/1.1\u{201D}, host: \u{201E}x\u{201C}")
                .as_deref(),
            Some("request: \"GET / HTTP/1.1\", host: \"x\"")
        );
        assert_eq!(straight_quotes("plain \"ascii\""), None);
        assert_eq!(straight_quotes("an arrow \u{2192} only"), None);
    }

    #[test]
    fn json_log_records_give_their_message() {
        let line = r#"{"log":"2024/03/02 11:20:01 [error] 29#29: *41 connect() failed (111: Connection refused), upstream: \"http://10.0.1.7:8080/\", host: \"x\"\n","stream":"stderr","time":"2024-03-02T11:20:01.5Z"}"#;
        let (m, w) = json_log(line).unwrap();
        assert!(
            m.ends_with(r#"upstream: "http://10.0.1.7:8080/", host: "x""#),
            "{m}"
        );
        assert!(w.is_empty());
        let (m, w) = json_log(
            r#"{"MESSAGE":"connect() failed","SYSLOG_IDENTIFIER":"nginx","_HOSTNAME":"web1"}"#,
        )
        .unwrap();
        assert_eq!(
            (m.as_str(), w.ident.as_deref(), w.host.as_deref()),
            ("connect() failed", Some("nginx"), Some("web1"))
        );
        let (_, w) =
            json_log(r#"{"log":"x","kubernetes":{"container_name":"php","pod_name":"p-1"}}"#)
                .unwrap();
        assert_eq!(w.container.as_deref(), Some("php"));
        let pino = r#"{"level":50,"time":1,"err":{"type":"Error","message":"listen EADDRINUSE","stack":"Error: listen EADDRINUSE: address already in use :::3000\n    at Server.setupListenHandle"},"msg":"listen EADDRINUSE"}"#;
        let (m, _) = json_log(pino).unwrap();
        assert!(
            m.starts_with("Error: listen EADDRINUSE: address already in use :::3000\n"),
            "{m}"
        );
        // Not a log record: no message field, a cut line, no object.
        assert!(json_log(r#"{"status":"ok"}"#).is_none());
        assert!(json_log(
            r#"{"msg":"dial tcp 127.0.0.1:8080: connect: connection refused","status":502}"#
        )
        .is_none());
        assert!(json_log(r#"{"log":"2024/03/02 11:20:01 [error] 29#29: *41 conn"#).is_none());
        assert!(json_log(r#"["log"]"#).is_none());
        assert!(json_log("{ not json }").is_none());
    }

    #[test]
    fn unwraps_wrappers() {
        let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
            (
                "nginx-1  | 2024/01/15 x",
                "2024/01/15 x",
                Some("nginx-1"),
                None,
            ),
            ("web_1    | hello", "hello", Some("web_1"), None),
            (
                "Jan 15 10:23:45 web1 nginx[1234]: 2024/01/15 x",
                "2024/01/15 x",
                None,
                Some("nginx"),
            ),
            (
                "Nov  5 10:00:01 web1 kernel: Out of memory",
                "Out of memory",
                None,
                Some("kernel"),
            ),
            (
                "2024-01-15T10:23:45.123456789Z 2024/01/15 x",
                "2024/01/15 x",
                None,
                None,
            ),
            ("     3\tuser www-data;", "user www-data;", None, None),
            ("> 2024/01/15 x", "2024/01/15 x", None, None),
            (
                "2024-01-15T10:23:41+0000 web1 php-fpm8.1[790]: [15-Jan-2024] WARNING",
                "[15-Jan-2024] WARNING",
                None,
                Some("php-fpm8.1"),
            ),
        ];
        for (input, rest, container, ident) in cases {
            let (r, w) = unwrap_line(input);
            assert_eq!(r, *rest, "{input}");
            assert_eq!(w.container.as_deref(), *container, "{input}");
            assert_eq!(w.ident.as_deref(), *ident, "{input}");
        }
    }

    #[test]
    fn pm2_prefixes() {
        let (r, w) = unwrap_line("0|api      | Error: listen EADDRINUSE");
        assert_eq!(r, "Error: listen EADDRINUSE");
        assert_eq!(w.pm2.as_deref(), Some("0|api"));
        let (r, w) = unwrap_line("PM2        | App [api:0] exited");
        assert_eq!(r, "App [api:0] exited");
        assert_eq!(w.pm2.as_deref(), Some("PM2"));
    }

    #[test]
    fn leaves_tables_alone() {
        for s in [
            "│ 0  │ api    │ default     │ 1.4.2   │ fork    │",
            "LISTEN 0 511 127.0.0.1:3000 0.0.0.0:* users:((\"node\",pid=1,fd=2))",
            "2024/01/15 10:23:45 [error] 1#1: *5 connect() failed",
            "location / {",
        ] {
            assert_eq!(unwrap_line(s).0, s);
        }
    }

    #[test]
    fn shipper_stamps_and_indented_syslog() {
        for (line, inner) in [
            (
                "2024-07-09 17:58:40 [09-Jul-2024 15:58:40] NOTICE: fpm is running, pid 1",
                "[09-Jul-2024 15:58:40] NOTICE: fpm is running, pid 1",
            ),
            (
                "2024-02-05 12:43:42.368690963  2024/02/05 13:43:42 [error] 146#146: *741 connect() failed",
                "2024/02/05 13:43:42 [error] 146#146: *741 connect() failed",
            ),
            // the only date of the line stays
            (
                "2024-07-09 17:58:40 INFO Booting worker with pid: 12",
                "2024-07-09 17:58:40 INFO Booting worker with pid: 12",
            ),
            (
                " May  2 11:33:49 ubuntu kernel: [148522.291772] php5-fpm[37887]: segfault at 2c",
                "[148522.291772] php5-fpm[37887]: segfault at 2c",
            ),
        ] {
            assert_eq!(unwrap_line(line).0, inner, "{line}");
        }
    }

    #[test]
    fn errno() {
        assert_eq!(
            parse_errno("(111: Connection refused) while"),
            Some((111, "Connection refused", " while"))
        );
        assert_eq!(parse_errno("(x: y)"), None);
        // cut short by a terminal (nano's `$`) or by hand
        assert_eq!(
            parse_errno("(111: Connection ref$"),
            Some((111, "Connection ref$", ""))
        );
        assert_eq!(parse_errno("(111:"), None);
    }

    #[test]
    fn compose_service_names() {
        assert_eq!(service_of_prefix("web-1"), "web");
        assert_eq!(service_of_prefix("nginx_1"), "nginx");
        assert_eq!(service_of_prefix("shop_web_1"), "web");
        assert_eq!(service_of_prefix("reverse-proxy-2"), "reverse-proxy");
        assert_eq!(service_of_prefix("nginx"), "nginx");
        // forego process names inside nginx-proxy
        assert_eq!(service_of_prefix("nginx.1"), "nginx");
        assert_eq!(service_of_prefix("dockergen.1"), "dockergen");
    }
}
