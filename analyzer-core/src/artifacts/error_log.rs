//! nginx error.log lines.
//!
//! Layout: `2024/01/15 10:23:45 [error] 1234#1234: *5678 <message>[ (errno: text)][ while <action>][, client: …, server: …, request: "…", upstream: "…", host: "…"]`.
//! Every part after the message may be missing (lines are cut at 2048
//! bytes), so nothing past the message is required. Messages that do not
//! name an upstream problem still count as error-log lines, just not as
//! signals.

use crate::facts::{
    Action, Event, EventKey, Facts, Level, Occurrence, Signal, SliceHasher, Source, Upstream,
};
use crate::text::{find_byte, has_prefix, rfind_byte};
use crate::text::{
    find_pair, find_with, finder, finder_rev, leading_digits, parse_errno, rfind_with, trim,
    trim_start,
};
use crate::time;
use memchr::memchr;
use memchr::memmem::Finder;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

finder!(SERVER, ", server: ");
finder!(CLIENT, ", client: ");
finder!(REQUEST, ", request: ");
finder_rev!(WHILE_REV, " while ");
finder!(SCHEME_SEP, "://");
finder!(UPSTREAM, "upstream");
finder!(COULD_NOT_RESOLVE, " could not be resolved (");
finder!(HOST_NOT_FOUND, "host not found in upstream ");
finder!(EMFILE, "(24: Too many open files)");
finder!(
    WC_EXCEED,
    " worker_connections exceed open file resource limit: "
);
finder!(WC_NOT_ENOUGH, " worker_connections are not enough");

/// The header of an error.log line.
pub struct Header<'a> {
    pub time: Option<i64>,
    pub level: Level,
    pub pid: Option<u32>,
    pub message: &'a str,
}

/// Fast check: `YYYY/MM/DD HH:MM:SS [` at the start.
#[inline]
pub fn looks_like(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 22
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[19] == b' '
        && b[20] == b'['
        && b[0].is_ascii_digit()
}

/// Also accept `nginx: [emerg] …` lines from `nginx -t`.
pub fn parse_header(s: &str) -> Option<Header<'_>> {
    if !looks_like(s) {
        return None;
    }
    header_after_stamp(s, time::parse_nginx(&s[..19]))
}

/// [`parse_header`] for a line that [`looks_like`] one, its stamp read.
#[inline]
fn header_after_stamp(s: &str, t: Option<i64>) -> Option<Header<'_>> {
    header_and_plain(s, t).map(|(h, _)| h)
}

/// [`header_after_stamp`], and whether [`plain_header`] read it after a
/// stamp that parsed: then the line up to the message holds only the bytes
/// [`could_be_in_plain_header`] allows.
#[inline]
fn header_and_plain(s: &str, t: Option<i64>) -> Option<(Header<'_>, bool)> {
    match plain_header(s, t) {
        // A stamp that parsed is digits, `/`, ` ` and `:` only.
        Some(h) => {
            let plain = h.time.is_some();
            Some((h, plain))
        }
        None => header_after_stamp_general(s, t).map(|h| (h, false)),
    }
}

/// [`header_after_stamp_general`] for the header nginx writes, byte by
/// byte with no searches: `[level] ` (a level name nginx writes, one
/// space), the pid (1 to 11 digits),
/// `#`, the tid's digits, `: `, then an optional `*id `. Any other header
/// gives `None` and takes the general path; when this answers, the general
/// path answers the same: its `#` (within 12 bytes) is this one, its first
/// `: ` is right after the tid (digits hold no `:`), and the `*id ` step is
/// the same.
#[inline]
fn plain_header(s: &str, t: Option<i64>) -> Option<Header<'_>> {
    let b = s.as_bytes();
    let (level, mut i) = plain_level(b)?;
    let pid_at = i;
    let pid_len = leading_digits(&b[i..]);
    i += pid_len;
    if pid_len == 0 || pid_len > 11 || b.get(i) != Some(&b'#') {
        return None;
    }
    let pid = parse_u32(&b[pid_at..i]);
    i += 1;
    i += leading_digits(&b[i..]);
    if b.get(i) != Some(&b':') || b.get(i + 1) != Some(&b' ') {
        return None;
    }
    i += 2;
    if b.get(i) == Some(&b'*') {
        let n = leading_digits(&b[i + 1..]);
        if n > 0 && b.get(i + 1 + n) == Some(&b' ') {
            i += n + 2;
        }
    }
    Some(Header {
        time: t,
        level,
        pid,
        message: s.get(i..)?,
    })
}

/// The level of `[level] ` at byte 20 and where the text after its space
/// starts, when the level is one of nginx's (the bytes compared as one
/// word, not searched and parsed).
#[inline]
fn plain_level(b: &[u8]) -> Option<(Level, usize)> {
    const fn tag(t: &[u8; 8]) -> u64 {
        u64::from_le_bytes(*t)
    }
    // Seven-byte tags are compared with the eighth byte masked off.
    const SEVEN: u64 = 0x00ff_ffff_ffff_ffff;
    let w = u64::from_le_bytes(b.get(20..28)?.try_into().ok()?);
    Some(match w {
        x if x == tag(b"[error] ") => (Level::Error, 28),
        x if x & SEVEN == tag(b"[warn] \0") => (Level::Warn, 27),
        x if x & SEVEN == tag(b"[crit] \0") => (Level::Crit, 27),
        x if x & SEVEN == tag(b"[info] \0") => (Level::Info, 27),
        x if x == tag(b"[notice]") && b.get(28) == Some(&b' ') => (Level::Notice, 29),
        x if x == tag(b"[alert] ") => (Level::Alert, 28),
        x if x == tag(b"[emerg] ") => (Level::Emerg, 28),
        x if x == tag(b"[debug] ") => (Level::Debug, 28),
        _ => return None,
    })
}

/// [`header_after_stamp`] for any header.
fn header_after_stamp_general(s: &str, t: Option<i64>) -> Option<Header<'_>> {
    let rest = &s[21..];
    // Level names are at most 6 bytes: a `]` further on fails to parse
    // anyway, so only 7 bytes are looked at (and the pid's `#` must come
    // within 12): a short loop, cheaper than a search call.
    let close = rest.bytes().take(7).position(|b| b == b']')?;
    let level = Level::parse(&rest[..close])?;
    let mut rest = trim_start(&rest[close + 1..]);
    let mut pid = None;
    // `1234#1234: ` (older builds `1234#0: `)
    if let Some(hash) = rest.bytes().take(12).position(|b| b == b'#') {
        let digits = &rest.as_bytes()[..hash];
        if digits.iter().all(u8::is_ascii_digit) {
            pid = parse_u32(digits);
            if let Some(colon) = find_pair_near(rest, b':', b' ') {
                rest = &rest[colon + 2..];
            }
        }
    }
    // `*5678 ` connection id
    if let Some(r) = rest.strip_prefix('*') {
        let n = r.bytes().take_while(|b| b.is_ascii_digit()).count();
        if n > 0 && r.as_bytes().get(n) == Some(&b' ') {
            rest = &r[n + 1..];
        }
    }
    Some(Header {
        time: t,
        level,
        pid,
        message: rest,
    })
}

/// `digits.parse::<u32>().ok()` for bytes already known to be ASCII digits.
#[inline]
fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u32, |n, &d| {
        n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
    })
}

/// [`find_pair`], looking at the first bytes one by one before searching:
/// the pair is usually a few bytes away, closer than a search call pays off.
#[inline]
fn find_pair_near(s: &str, a: u8, b: u8) -> Option<usize> {
    const NEAR: usize = 24;
    let bytes = s.as_bytes();
    let near = &bytes[..bytes.len().min(NEAR + 1)];
    if let Some(i) = near.windows(2).position(|w| w[0] == a && w[1] == b) {
        return Some(i);
    }
    if bytes.len() <= NEAR + 1 {
        return None;
    }
    // Every pair starting before NEAR was looked at.
    let from = NEAR;
    let rest = &bytes[from..];
    let mut at = 0;
    while let Some(i) = memchr(a, &rest[at..]) {
        let p = at + i;
        if rest.get(p + 1) == Some(&b) {
            return Some(from + p);
        }
        at = p + 1;
    }
    None
}

/// A message split into its head and its `, client: …` context, with the
/// context fields nginx appends (`, client: X, server: Y, request: "R",
/// upstream: "U", host: "H"`).
///
/// Found in one pass over the commas of the message, because this runs on
/// every error.log line: each field opens with `, `, so checking the bytes
/// after every `, ` finds every place a field name could start. The rules
/// are those of the separate searches this replaced (kept in the tests as
/// the reference): the context starts at the first `, client: ` (else the
/// first `, server: `); `request` is the first `, request: "…"` in it,
/// `upstream` and `host` the last `, upstream: "…"` and `, host: "…"`, and
/// `client` runs to the next `, `.
struct Context<'a> {
    head: &'a str,
    ctx: &'a str,
    upstream: Option<&'a str>,
    request: Option<&'a str>,
    host: Option<&'a str>,
    client: Option<&'a str>,
}

impl<'a> Context<'a> {
    fn of(msg: &'a str) -> Self {
        let b = msg.as_bytes();
        let (mut client, mut server, mut request) = (None, None, None);
        let (mut upstream, mut host) = (None, None);
        for p in memchr::memchr_iter(b',', b) {
            let rest = &b[p + 1..];
            if rest.first() != Some(&b' ') {
                continue;
            }
            let rest = &rest[1..];
            match rest.first() {
                Some(b'c') if client.is_none() && has_prefix(rest, b"client: ") => client = Some(p),
                Some(b's') if server.is_none() && has_prefix(rest, b"server: ") => server = Some(p),
                Some(b'r') if request.is_none() && has_prefix(rest, b"request: ") => {
                    request = Some(p)
                }
                Some(b'u') if has_prefix(rest, b"upstream: \"") => upstream = Some(p),
                Some(b'h') if has_prefix(rest, b"host: \"") => host = Some(p),
                _ => {}
            }
        }
        let Some(split) = client.or(server) else {
            return Context {
                head: msg,
                ctx: "",
                upstream: None,
                request: None,
                host: None,
                client: None,
            };
        };
        // A `, request: ` inside the head does not count: look again in the
        // context (rare: the head would have to contain it).
        let request = match request {
            Some(r) if r < split => find_with(&msg[split..], REQUEST()).map(|i| split + i),
            r => r,
        };
        let value = |at: Option<usize>, skip: usize| {
            at.filter(|&i| i >= split)
                .map(|i| to_quote(&msg[i + skip..]))
        };
        Context {
            head: &msg[..split],
            ctx: &msg[split..],
            upstream: value(upstream, ", upstream: \"".len()),
            host: value(host, ", host: \"".len()),
            request: request.and_then(|i| {
                let rest = msg[i + ", request: ".len()..].strip_prefix('"')?;
                let end = memchr(b'"', rest.as_bytes())?;
                Some(&rest[..end])
            }),
            client: client.map(|i| {
                let rest = &msg[i + ", client: ".len()..];
                let end = find_pair(rest, b',', b' ').unwrap_or(rest.len());
                &rest[..end]
            }),
        }
    }
}

/// What the memo key needs of a message, found as [`Context::of`] finds it
/// but without its fields that only a group still collecting them reads
/// (request, client, host): where the context starts and the upstream.
///
/// The context starts at the first `, client: ` (else the first
/// `, server: `): the commas are looked at from the start until it is
/// found, which with nginx's layout is the first comma. The upstream is
/// the last `, upstream: "` in the context: the commas are looked at from
/// the end, passing `, host: "` on the way.
struct Split<'a> {
    head: &'a str,
    upstream: Option<&'a str>,
    /// The host, when the backward search saw the last `, host: "` or
    /// showed there is none; `None` when it stopped before. Its value is
    /// cut at its quote only when asked ([`Self::host`]): most lines'
    /// groups have all the hosts they keep.
    host_at: Option<Option<&'a str>>,
}

impl<'a> Split<'a> {
    #[inline]
    fn of(msg: &'a str) -> Self {
        let b = msg.as_bytes();
        let (mut split, mut server) = (None, None);
        let mut from = 0;
        while let Some(i) = find_byte(b',', &b[from..]) {
            let p = from + i;
            let rest = &b[p + 1..];
            if has_prefix(rest, b" client: ") {
                split = Some(p);
                break;
            }
            if server.is_none() && has_prefix(rest, b" server: ") {
                server = Some(p);
            }
            from = p + 1;
        }
        let Some(split) = split.or(server) else {
            return Split {
                head: msg,
                upstream: None,
                host_at: Some(None),
            };
        };
        // The comma at `split` opens `client` or `server`: neither field.
        let (mut end, mut host, mut upstream) = (b.len(), None, None);
        while let Some(i) = rfind_byte(b',', &b[split + 1..end]) {
            let p = split + 1 + i;
            let rest = &b[p + 1..];
            if has_prefix(rest, b" upstream: \"") {
                upstream = Some(p);
                break;
            }
            if host.is_none() && has_prefix(rest, b" host: \"") {
                host = Some(p);
            }
            end = p;
        }
        let host_known = host.is_some() || upstream.is_none();
        Split {
            head: &msg[..split],
            upstream: upstream.map(|i| to_quote(&msg[i + ", upstream: \"".len()..])),
            host_at: host_known.then(|| host.map(|i| &msg[i + ", host: \"".len()..])),
        }
    }

    /// See `host_at`.
    #[inline]
    fn host(&self) -> Option<Option<&'a str>> {
        self.host_at.map(|h| h.map(to_quote))
    }
}

/// `s` up to its first `"` (all of it when there is none).
fn to_quote(s: &str) -> &str {
    match find_byte(b'"', s.as_bytes()) {
        Some(i) => &s[..i],
        None => s,
    }
}

/// The part of an `upstream: "…"` value that [`Upstream::parse`] reads (the
/// URI dropped): two values with the same part parse to the same upstream.
///
/// Runs on every error.log line with an upstream, on a value of a few dozen
/// bytes whose parts are a few bytes apart: the bytes are looked at one by
/// one rather than with search calls, which cost more to set up here.
fn upstream_part(raw: &str) -> &str {
    let s = trim(raw).trim_end_matches(';');
    let (skip, rest) = match find_scheme_sep(s) {
        Some(i) => (i + 3, &s[i + 3..]),
        None => (0, s),
    };
    let end = match rest.strip_prefix("unix:") {
        Some(u) => 5 + u.bytes().position(|c| c == b':').unwrap_or(u.len()),
        None => rest
            .bytes()
            .position(|c| c == b'/' || c == b'?')
            .unwrap_or(rest.len()),
    };
    &s[..skip + end]
}

/// The first `://` of `s`: the first bytes one by one (a scheme is short),
/// then a search.
#[inline]
fn find_scheme_sep(s: &str) -> Option<usize> {
    const NEAR: usize = 16;
    let b = s.as_bytes();
    let near = &b[..b.len().min(NEAR + 2)];
    if let Some(i) = near.windows(3).position(|w| w == b"://") {
        return Some(i);
    }
    if b.len() <= NEAR + 2 {
        return None;
    }
    // Every match starting before NEAR was looked at.
    // (Bytes: NEAR need not be a character boundary.)
    SCHEME_SEP().find(&b[NEAR..]).map(|i| NEAR + i)
}

fn action_of(head: &str) -> Option<Action> {
    let i = rfind_with(head, WHILE_REV())?;
    let a = head[i + 7..].trim_end_matches(',').trim();
    Some(Action::parse(a))
}

fn after_errno(s: &str) -> Option<(u16, &str)> {
    let i = find_pair(s, b' ', b'(')?;
    let (n, text, _) = parse_errno(&s[i + 1..])?;
    Some((linux_errno(n, text), text))
}

/// The Linux number of an errno that FreeBSD or macOS numbers otherwise
/// (nginx logs the system's own: `(61: Connection refused)` on a Mac,
/// `(54: Connection reset by peer)` on FreeBSD), known by its text; and
/// of Windows' WSA codes (`(10061: No connection could be made …)`).
fn linux_errno(n: u16, text: &str) -> u16 {
    match (n, text) {
        (61, "Connection refused") => 111,
        (54, "Connection reset by peer") => 104,
        (60, "Operation timed out") => 110,
        (65, "No route to host") => 113,
        (64, "Host is down") => 112,
        (35, "Resource temporarily unavailable") => 11,
        (49, "Can't assign requested address") => 99,
        // Windows (WSA codes, whatever the language of the text)
        (10061, _) => 111,
        (10054, _) => 104,
        (10060, _) => 110,
        (10065, _) => 113,
        (10049, _) => 99,
        (10035, _) => 11,
        (10024, _) => 24,
        _ => n,
    }
}

/// `needle` and what follows up to the closing parenthesis, as found in `head`.
fn mark_to<'a>(head: &'a str, needle: &'a str) -> &'a str {
    match head.find(needle) {
        Some(i) => {
            let end = head[i..]
                .find(')')
                .map(|j| i + j + 1)
                .unwrap_or(i + needle.len());
            &head[i..end]
        }
        None => needle,
    }
}

/// Where the first `PHP Fatal error:` or `PHP Parse error:` starts in
/// `text`: the fatal part of FastCGI's stderr, after any warnings.
pub fn php_fatal_start(text: &str) -> Option<usize> {
    ["PHP Fatal error:", "PHP Parse error:"]
        .iter()
        .filter_map(|n| text.find(n))
        .min()
}

/// The first fatal PHP message in a `FastCGI sent in stderr: "…"` line
/// (several `PHP message:` parts may be joined with `; `), marked up to the
/// end of its first clause. Warnings, notices and deprecations are noise.
fn php_fatal<'a>(head: &'a str, rest: &'a str) -> Option<(Signal, Option<String>, &'a str)> {
    let at = php_fatal_start(rest)?;
    let msg = &rest[at..];
    let what = if msg.contains("Allowed memory size of") {
        "memory_limit"
    } else if msg.contains("Maximum execution time of") {
        "max_execution_time"
    } else {
        "fatal"
    };
    // Up to ` in /path` or the closing quote, whichever comes first.
    let end = [" in /", "\" while ", "\"", "; PHP message:"]
        .iter()
        .filter_map(|e| msg.find(e))
        .min()
        .unwrap_or(msg.len());
    let start = head.len() - rest.len() + at;
    Some((
        Signal::PhpFatal { what: what.into() },
        None,
        &head[start..start + end],
    ))
}

/// Recognise the signal in an error.log message head (context removed).
/// Returns the signal, the `connect() to X` target, and the marked part.
fn classify(head: &str, level: Level) -> Option<(Signal, Option<String>, &str)> {
    // macOS and the BSDs: `kevent() reported that connect() failed (61: …)`,
    // `kevent() reported about an closed connection (54: Connection reset by peer)`.
    if let Some(rest) = head.strip_prefix("kevent() reported ") {
        if let Some(connect) = rest.strip_prefix("that ") {
            return classify(connect, level);
        }
        if let Some((errno, _)) = after_errno(rest).filter(|(n, _)| *n == 104) {
            return Some((
                // a reset noticed while waiting to read: the rules' recv
                Signal::IoFailed {
                    call: "recv".into(),
                    errno,
                },
                None,
                mark_to(head, "kevent()"),
            ));
        }
        return None;
    }
    if let Some(rest) = head.strip_prefix("connect() ") {
        let target = rest
            .strip_prefix("to ")
            .and_then(|r| r.split(' ').next())
            .map(str::to_string);
        if let Some((errno, _)) = after_errno(rest) {
            if errno == 24 {
                return Some((Signal::TooManyOpenFiles, target, mark_to(head, "(24:")));
            }
            let mark = mark_to(head, "failed (");
            return Some((Signal::ConnectFailed { errno }, target, mark));
        }
        return None;
    }
    if head.starts_with("upstream timed out") {
        return Some((
            Signal::UpstreamTimedOut,
            None,
            mark_to(head, "upstream timed out"),
        ));
    }
    if head.starts_with("upstream prematurely closed") {
        if head.contains("closed stream") {
            return Some((
                Signal::Http2Upstream {
                    what: "prematurely closed stream".into(),
                },
                None,
                "upstream prematurely closed stream",
            ));
        }
        let m = if head.contains("FastCGI stdout") {
            "upstream prematurely closed FastCGI stdout"
        } else {
            "upstream prematurely closed connection"
        };
        return Some((Signal::PrematureClose, None, m));
    }
    // OpenSSL 3 reports a TLS upstream that closed its connection without
    // a close_notify (it stopped mid-answer) as an SSL error, not an errno:
    // `SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof
    // while reading)`. It is an early close like the plain one.
    // (A client's own close, `… while waiting for request`, is not it.)
    if head.starts_with("SSL_read() failed (SSL:")
        && head.contains("unexpected eof while reading")
        && head.ends_with("upstream")
    {
        return Some((Signal::PrematureClose, None, "unexpected eof while reading"));
    }
    for call in [
        "recv()",
        "readv()",
        "writev()",
        "sendfile()",
        "send()",
        "SSL_read()",
        "SSL_write()",
        "write()",
        "WSARecv()",
        "WSASend()",
    ] {
        if let Some(rest) = head.strip_prefix(call) {
            if let Some((errno, _)) = after_errno(rest) {
                if errno == 24 {
                    return Some((Signal::TooManyOpenFiles, None, mark_to(head, "(24:")));
                }
                // Windows' calls are the rules' recv/send.
                let name = match call {
                    "WSARecv()" => "recv",
                    "WSASend()" => "send",
                    c => c.trim_end_matches("()"),
                };
                return Some((
                    Signal::IoFailed {
                        call: name.to_string(),
                        errno,
                    },
                    None,
                    mark_to(head, call),
                ));
            }
        }
    }
    // `limiting requests, excess: 10.520 by zone "api"`; `delaying request`
    // lines (a request slowed down, then served) are no refusal.
    if let Some(rest) = head.strip_prefix("limiting ") {
        let connections = rest.starts_with("connections");
        if connections || rest.starts_with("requests") {
            let zone = rest
                .split_once(" by zone \"")
                .and_then(|(_, z)| z.split('"').next())
                .unwrap_or_default();
            return Some((
                Signal::RateLimited {
                    zone: zone.to_string(),
                    connections,
                },
                None,
                if connections {
                    "limiting connections"
                } else {
                    "limiting requests"
                },
            ));
        }
    }
    if let Some(rest) = head.strip_prefix("FastCGI sent in stderr: ") {
        if rest.starts_with("\"Primary script unknown") {
            return Some((Signal::ScriptUnknown, None, "Primary script unknown"));
        }
        return php_fatal(head, rest);
    }
    if head.starts_with("upstream sent too big header") {
        return Some((Signal::TooBigHeader, None, "upstream sent too big header"));
    }
    if let Some(rest) = head.strip_prefix("upstream sent ") {
        let what = if rest.starts_with("invalid header") {
            Some("invalid header")
        } else if rest.starts_with("no valid HTTP") {
            Some("no valid HTTP/1.0 header")
        } else if rest.starts_with("duplicate header line") {
            Some("duplicate header line")
        } else if rest.starts_with("invalid status") {
            Some("invalid status")
        } else if rest.starts_with("\"Content-Length\" and \"Transfer-Encoding\"") {
            Some("Content-Length and Transfer-Encoding")
        } else if rest.starts_with("invalid chunked response") {
            Some("invalid chunked response")
        } else if rest.starts_with("more data than specified") {
            Some("more data than specified in \"Content-Length\"")
        } else if rest.starts_with("unsupported FastCGI protocol version")
            || rest.starts_with("invalid FastCGI record type")
            || rest.starts_with("unexpected FastCGI record")
        {
            let upto = head.split(" while").next().unwrap_or(head);
            return Some((
                Signal::FastcgiProtocol {
                    what: upto["upstream sent ".len()..].to_string(),
                },
                None,
                upto,
            ));
        } else if rest.starts_with("goaway") || rest.starts_with("frame for closed stream") {
            return Some((
                Signal::Http2Upstream {
                    what: rest.split(" while").next().unwrap_or(rest).to_string(),
                },
                None,
                head.split(" while").next().unwrap_or(head),
            ));
        } else {
            None
        };
        if let Some(what) = what {
            let mark_end = head.find(what).map(|i| i + what.len()).unwrap_or(0);
            return Some((
                Signal::InvalidHeader { what: what.into() },
                None,
                &head[..mark_end.max("upstream sent ".len())],
            ));
        }
    }
    if head.starts_with("upstream rejected request with error") {
        return Some((
            Signal::Http2Upstream {
                what: "rejected request".into(),
            },
            None,
            "upstream rejected request with error",
        ));
    }
    if head.starts_with("no live upstreams") {
        return Some((Signal::NoLiveUpstreams, None, "no live upstreams"));
    }
    if head.starts_with("upstream server temporarily disabled") {
        return Some((
            Signal::ServerDisabled,
            None,
            "upstream server temporarily disabled",
        ));
    }
    if let Some(rest) = head.strip_prefix("no resolver defined to resolve ") {
        let host = rest.split([',', ' ']).next().unwrap_or("").to_string();
        return Some((
            Signal::NoResolver { host },
            None,
            "no resolver defined to resolve",
        ));
    }
    if let Some(i) = find_with(head, COULD_NOT_RESOLVE()) {
        let host = head[..i].rsplit(' ').next().unwrap_or("").to_string();
        let code = parse_errno(&head[i + " could not be resolved ".len()..])
            .map(|(n, _, _)| n)
            .unwrap_or(0);
        return Some((
            Signal::CouldNotResolve { host, code },
            None,
            mark_to(head, "could not be resolved"),
        ));
    }
    if let Some(h) = find_with(head, HOST_NOT_FOUND()).and_then(|i| {
        let rest = head[i + HOST_NOT_FOUND().needle().len()..].strip_prefix('"')?;
        Some(&rest[..memchr(b'"', rest.as_bytes())?])
    }) {
        return Some((
            Signal::HostNotFound {
                host: h.to_string(),
            },
            None,
            "host not found in upstream",
        ));
    }
    if let Some(rest) = head.strip_prefix("SSL_do_handshake() failed") {
        if head.contains("to upstream") {
            return Some((
                Signal::SslHandshake {
                    reason: ssl_reason(rest),
                },
                None,
                "SSL_do_handshake() failed",
            ));
        }
        return None;
    }
    if head.starts_with("peer closed connection in SSL handshake") {
        // The backend hung up mid-handshake: most often it wants a server
        // name (SNI) that nginx does not send by default.
        if head.contains("to upstream") {
            return Some((
                Signal::SslHandshake {
                    reason: "peer closed connection in SSL handshake".into(),
                },
                None,
                "peer closed connection in SSL handshake",
            ));
        }
        return None;
    }
    if let Some(rest) = head.strip_prefix("upstream SSL certificate verify error: ") {
        let reason = rest
            .strip_prefix('(')
            .and_then(|r| r.split(')').next())
            .unwrap_or(rest)
            .to_string();
        return Some((
            Signal::SslVerify { reason },
            None,
            "upstream SSL certificate verify error",
        ));
    }
    if head.starts_with("upstream SSL certificate does not match") {
        let name = crate::text::quoted_after(head, "does not match ")
            .unwrap_or("")
            .to_string();
        return Some((
            Signal::SslNameMismatch { name },
            None,
            "upstream SSL certificate does not match",
        ));
    }
    if find_with(head, EMFILE()).is_some() {
        return Some((Signal::TooManyOpenFiles, None, "(24: Too many open files)"));
    }
    if let Some(i) = find_with(head, WC_EXCEED()) {
        let count = head[..i].trim().parse().unwrap_or(0);
        let limit = head[i + 52..].trim().parse().unwrap_or(0);
        return Some((
            Signal::WorkerConnectionsExceedLimit { count, limit },
            None,
            "worker_connections exceed open file resource limit",
        ));
    }
    if let Some(i) = find_with(head, WC_NOT_ENOUGH()) {
        let count = head[..i].trim().parse().unwrap_or(0);
        return Some((
            Signal::WorkerConnections { count },
            None,
            "worker_connections are not enough",
        ));
    }
    if head.starts_with("client intended to send too large body") {
        return Some((
            Signal::ClientBodyTooLarge,
            None,
            "client intended to send too large body",
        ));
    }
    if level == Level::Emerg {
        let message = head.split(" in /").next().unwrap_or(head).to_string();
        return Some((Signal::ConfigEmerg { message }, None, head));
    }
    None
}

/// The OpenSSL reason text from `(SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40)`.
fn ssl_reason(rest: &str) -> String {
    let inner = rest
        .trim_start()
        .strip_prefix('(')
        .and_then(|r| r.rfind(')').map(|i| &r[..i]))
        .unwrap_or(rest);
    let inner = inner.strip_prefix("SSL: ").unwrap_or(inner);
    let after = match inner.find("routines:") {
        Some(i) => {
            let r = &inner[i + "routines:".len()..];
            // OpenSSL 1.1 puts the function name here: `ssl3_read_bytes:reason`
            match r.find(':') {
                Some(j) if !r[..j].contains(' ') => &r[j + 1..],
                _ => r,
            }
        }
        None => inner,
    };
    after.trim_start_matches(':').to_string()
}

/// Parse one unwrapped line. `None` when it is not an error.log line;
/// `Some(None)` for an error.log line that names no upstream problem.
pub fn parse_line(line_no: u64, text: &str) -> Option<Option<Event>> {
    let h = parse_header(text)?;
    Some(event_from(line_no, text, h.message, h.level, h.time, h.pid))
}

/// Message starts that name an upstream problem; used to find the message
/// in a line whose date/level header was cut off or rewritten.
const HEADLESS_NEEDLES: &[&str] = &[
    "connect() failed (",
    "connect() to ",
    "upstream timed out (",
    "upstream prematurely closed",
    "recv() failed (",
    "readv() failed (",
    "writev() failed (",
    "sendfile() failed (",
    "upstream sent ",
    "no live upstreams",
    "no resolver defined to resolve",
    "upstream SSL certificate",
    "SSL_do_handshake() failed",
    "peer closed connection in SSL handshake",
    "socket() failed (",
    "worker_connections are not enough",
    "kevent() reported ",
    "WSARecv() failed (",
    "FastCGI sent in stderr: ",
];

/// An error.log message without the usual `YYYY/MM/DD HH:MM:SS [level] pid#tid:`
/// header: trimmed when pasted (`connect() failed (111: …) while connecting to
/// upstream, client: …`), or behind another logger's own prefix. Only lines
/// that carry nginx's upstream context are taken.
pub fn parse_headless(line_no: u64, text: &str) -> Option<Event> {
    if find_with(text, UPSTREAM()).is_none() && find_with(text, CLIENT()).is_none() {
        return None;
    }
    // nginx's own `[level] pid#tid: ` header behind another prefix (a
    // kubectl pod name, `[pod/…/controller]`, a shipper's fields) or with
    // its date cut off: the message starts after it, whatever it says.
    if let Some((open, at, level, pid)) = embedded_header(text) {
        // The date, when it is right before the header.
        let time = open
            .checked_sub(20)
            .filter(|&s| text.get(s..).is_some_and(looks_like))
            .and_then(|s| time::parse_nginx(text.get(s..s + 19)?));
        return event_from(line_no, text, &text[at..], level, time, pid);
    }
    let Some((at, _)) = HEADLESS_NEEDLES
        .iter()
        .filter_map(|n| text.find(n).map(|i| (i, n)))
        .min_by_key(|(i, _)| *i)
    else {
        return left_cut(line_no, text);
    };
    let before = &text[..at];
    let level = before
        .rfind('[')
        .and_then(|i| before[i + 1..].split(']').next())
        .and_then(Level::parse)
        .unwrap_or(Level::Error);
    let time = before
        .find(|c: char| c.is_ascii_digit())
        .and_then(|i| time::parse_nginx(before.get(i..)?));
    event_from(line_no, text, &text[at..], level, time, None)
}

/// Whether `text` has nginx's `[level] pid#tid: ` header after a prefix
/// (see [`embedded_header`]).
pub(crate) fn has_embedded_header(text: &str) -> bool {
    embedded_header(text).is_some()
}

/// A message whose start was cut off with the header (a terminal too
/// narrow, a copy from the middle of a line): `ect() failed (111: …) while
/// connecting to upstream, client: …`. The line must begin with the end of
/// a known message (at least 8 of its bytes); when several messages end so
/// (`() failed (`), the action says which call it was.
fn left_cut(line_no: u64, text: &str) -> Option<Event> {
    let t = text
        .trim_start()
        .trim_start_matches("...")
        .trim_start_matches('…');
    let mut best: Option<(usize, &str)> = None;
    for n in HEADLESS_NEEDLES {
        // The longest end of `n` the line starts with (the whole of it was
        // looked for already).
        let Some(cut) = (1..n.len().saturating_sub(7)).find(|&i| t.starts_with(&n[i..])) else {
            continue;
        };
        let kept = n.len() - cut;
        let preferred = |n: &str| {
            (t.contains("while connecting to upstream") && n.starts_with("connect()"))
                || (t.contains("while reading") && n.starts_with("recv()"))
                || (t.contains("while sending") && n.starts_with("writev()"))
        };
        match best {
            Some((k, b)) if k > kept || (k == kept && (preferred(b) || !preferred(n))) => {}
            _ => best = Some((kept, n)),
        }
    }
    let (kept, n) = best?;
    let message = format!("{}{}", &n[..n.len() - kept], t);
    event_from(line_no, text, &message, Level::Error, None, None)
}

/// Where an embedded `[level] 1234#1234: *56 ` header opens and where the
/// message after it starts (the `*56 ` connection id optional), with the
/// level and pid.
/// Looks at the first 300 bytes only: a prefix is short.
fn embedded_header(text: &str) -> Option<(usize, usize, Level, Option<u32>)> {
    let limit = text.len().min(300);
    for open in memchr::memchr_iter(b'[', &text.as_bytes()[..limit]) {
        let rest = &text[open + 1..];
        let Some(close) = rest.bytes().take(7).position(|b| b == b']') else {
            continue;
        };
        let Some(level) = Level::parse(&rest[..close]) else {
            continue;
        };
        let after = &rest[close + 1..];
        let Some(after) = after.strip_prefix(' ') else {
            continue;
        };
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || after.as_bytes().get(digits) != Some(&b'#') {
            continue;
        }
        let tid = after[digits + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let Some(msg) = after[digits + 1 + tid..].strip_prefix(": ") else {
            continue;
        };
        let pid = after[..digits].parse().ok();
        let msg = match msg.strip_prefix('*') {
            Some(r) => {
                let n = r.bytes().take_while(u8::is_ascii_digit).count();
                match r.as_bytes().get(n) {
                    Some(b' ') if n > 0 => &r[n + 1..],
                    _ => msg,
                }
            }
            None => msg,
        };
        return Some((open, text.len() - msg.len(), level, pid));
    }
    None
}

fn event_from(
    line_no: u64,
    text: &str,
    message: &str,
    level: Level,
    time: Option<i64>,
    pid: Option<u32>,
) -> Option<Event> {
    let f = Context::of(message);
    let head = f.head;
    let (signal, target, mark_text) = classify(head, level)?;
    let key = key_of(signal, target, head, f.upstream);
    let mark = (!mark_text.is_empty())
        .then(|| text.find(mark_text))
        .flatten()
        .map(|i| (i, i + mark_text.len()));
    Some(Event {
        key,
        line: line_no,
        time,
        level: Some(level),
        request: f.request.map(str::to_string),
        client: f.client.map(str::to_string),
        host: f.host.map(str::to_string),
        pid,
        text: text.to_string(),
        mark,
    })
}

/// The group key of a classified line.
fn key_of(
    signal: Signal,
    target: Option<String>,
    head: &str,
    upstream_raw: Option<&str>,
) -> EventKey {
    let upstream = upstream_raw.and_then(Upstream::parse);
    let action = action_of(head);
    // `connect() to X` names the peer; keep it when there is no upstream field
    // or when it differs from it (unix path vs upstream).
    let server = match (target, &upstream) {
        (Some(t), Some(u)) if crate::facts::Address::parse(&t).as_ref() == Some(&u.addr) => None,
        (Some(t), _) => Some(t),
        _ => None,
    };
    EventKey {
        source: Source::Nginx,
        signal,
        action,
        upstream,
        server,
    }
}

/// Most remembered line shapes; past it the memo starts again.
const MEMO_MAX: usize = 4096;

/// What a line shape (level, message head, upstream address) gave last time.
enum Memo {
    /// An error.log line that names no upstream problem.
    Quiet,
    /// Counted in `Facts::overflow` (groups never go away, so it stays there).
    Overflow,
    /// The group of this shape and where its mark is.
    Group { index: usize, mark: Mark },
}

/// Where the mark of a remembered shape is, found as `text.find(mark)`
/// finds it.
enum Mark {
    /// An empty mark: none.
    Empty,
    /// The mark's first occurrence in the message head is at `at`: every line
    /// of the shape has the same head, so the line's own bytes are the
    /// needle, and only the few bytes before the head are searched, unless
    /// they are a plain header that cannot hold the mark's first byte
    /// (`before_plain` false).
    InHead {
        at: usize,
        len: usize,
        before_plain: bool,
    },
    /// Not in the head (rare): searched for.
    Search(Box<Finder<'static>>),
}

impl Mark {
    fn new(mark: &str, head: &str, level: Level) -> Self {
        if mark.is_empty() {
            return Mark::Empty;
        }
        match head.find(mark) {
            Some(at) => Mark::InHead {
                at,
                len: mark.len(),
                before_plain: could_start_in_plain_header(mark.as_bytes(), level),
            },
            None => Mark::Search(Box::new(Finder::new(mark).into_owned())),
        }
    }

    /// First occurrence of the mark in `text`, whose message head starts at
    /// `head_at`: one that starts before the head, else the head's own.
    /// `plain`: the header before the head is one [`plain_header`] read.
    #[inline]
    fn find(&self, text: &str, head_at: usize, plain: bool) -> Option<(usize, usize)> {
        let b = text.as_bytes();
        match *self {
            Mark::Empty => None,
            Mark::InHead { at, len, .. } if plain && !self.before_plain() => {
                let i = head_at + at;
                Some((i, i + len))
            }
            Mark::InHead { at, len, .. } => {
                let needle = &b[head_at + at..head_at + at + len];
                let before = memchr::memchr_iter(needle[0], &b[..head_at])
                    .find(|&i| b[i..].starts_with(needle));
                let i = before.unwrap_or(head_at + at);
                Some((i, i + len))
            }
            Mark::Search(ref f) => f.find(b).map(|i| (i, i + f.needle().len())),
        }
    }
}

impl Mark {
    fn before_plain(&self) -> bool {
        matches!(
            self,
            Mark::InHead {
                before_plain: true,
                ..
            }
        )
    }
}

/// Whether `needle` (not empty) could start in the part of a line before
/// the message when [`plain_header`] read it after a stamp that parsed:
/// `dddd/dd/dd dd:dd:dd [level] d…#d…: *d… ` (the tid's digits may be
/// none, the `*d… ` part missing), which ends with a space. A match that
/// starts there has its first byte there, and its second too unless the
/// first is that last space: so it is enough that the first two bytes (a
/// digit read as `0`) are next to each other in one of the two forms.
fn could_start_in_plain_header(needle: &[u8], level: Level) -> bool {
    let name = match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Notice => "notice",
        Level::Warn => "warn",
        Level::Error => "error",
        Level::Crit => "crit",
        Level::Alert => "alert",
        Level::Emerg => "emerg",
    };
    let digit_as_0 = |c: u8| if c.is_ascii_digit() { b'0' } else { c };
    let forms = [
        format!("0000/00/00 00:00:00 [{name}] 0#0: *0 "),
        format!("0000/00/00 00:00:00 [{name}] 0#: "),
    ];
    match needle {
        [] => false,
        [c] => forms.iter().any(|f| f.as_bytes().contains(&digit_as_0(*c))),
        [b' ', ..] => true,
        [a, b, ..] => {
            let pair = [digit_as_0(*a), digit_as_0(*b)];
            forms
                .iter()
                .any(|f| f.as_bytes().windows(2).any(|w| w == pair))
        }
    }
}

/// A line shape as the memo keys it: level, message head and upstream
/// address, as bytes. A match compares the whole key (a hundred bytes or
/// so) on every line: in WebAssembly sixteen bytes at a time, as its
/// `memcmp` goes one byte at a time ([`words_equal`]).
#[derive(Clone, Default)]
struct Shape(Vec<u8>);

impl std::hash::Hash for Shape {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // Equal shapes have equal bytes (see `eq`), so equal hashes. Only
        // the length and both ends are hashed: the start holds the level,
        // the head's length and its first words, the end the upstream
        // address; shapes alike there are told apart by `eq` (a few
        // hundred shapes at most, in a memo of at most MEMO_MAX).
        const END: usize = 24;
        let b = &self.0;
        state.write_usize(b.len());
        if b.len() <= 2 * END {
            state.write(b);
        } else {
            state.write(&b[..END]);
            state.write(&b[b.len() - END..]);
        }
    }
}

impl PartialEq for Shape {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        // Natively `memcmp` is vectorised and cheaper than the loop.
        if cfg!(target_arch = "wasm32") {
            words_equal(&self.0, &other.0)
        } else {
            self.0 == other.0
        }
    }
}

/// `a == b`, sixteen bytes at a time (for WebAssembly, whose `memcmp`
/// goes one byte at a time): the whole blocks, then the last sixteen bytes
/// (overlapping the last block) rather than a shorter remainder, which a
/// slice compare would hand to `memcmp`.
fn words_equal(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    if n < 16 {
        return a == b;
    }
    let word = |w: &[u8]| u128::from_le_bytes(w.try_into().unwrap_or([0; 16]));
    word(&a[n - 16..]) == word(&b[n - 16..])
        && a.chunks_exact(16)
            .zip(b.chunks_exact(16))
            .all(|(x, y)| word(x) == word(y))
}

impl Eq for Shape {}

/// What [`Stream::scan`] made of an error.log line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scanned {
    /// It names no upstream problem.
    Quiet,
    /// An event, counted.
    Event,
    /// An event whose context looks cut short: not counted.
    Cut,
}

/// The streaming error.log parser. Lines of one shape (same level, message
/// head and upstream address; the request, client and times vary) always
/// give the same group, so the shape is remembered: the next line of that
/// shape goes straight to its group, borrowing its text, without classifying
/// the message or building a key again.
#[derive(Default)]
pub struct Stream {
    memo: HashMap<Shape, Memo, BuildHasherDefault<SliceHasher>>,
    /// The current line's shape, built in a buffer that is reused.
    key: Shape,
    clock: time::NginxClock,
}

impl Stream {
    pub fn new() -> Self {
        Self::default()
    }

    /// Parse one unwrapped line into `facts`. `None` when it is not an
    /// error.log line; `Some(true)` when it was an event (counted in a group
    /// or in the overflow), `Some(false)` for a line that names no upstream
    /// problem. Same facts as [`parse_line`] then [`Facts::add_event`].
    #[inline]
    pub fn line(&mut self, line_no: u64, text: &str, facts: &mut Facts) -> Option<bool> {
        self.read(line_no, text, facts, false)
            .map(|l| matches!(l, Scanned::Event))
    }

    /// [`Self::line`], except that an event line that looks cut inside its
    /// context ([`crate::wrap::tail_cut`]) is not counted: `Scanned::Cut`
    /// says the caller should try to join the rest of it first.
    #[inline]
    pub fn scan(&mut self, line_no: u64, text: &str, facts: &mut Facts) -> Option<Scanned> {
        self.read(line_no, text, facts, true)
    }

    fn read(&mut self, line_no: u64, text: &str, facts: &mut Facts, hold: bool) -> Option<Scanned> {
        if !looks_like(text) {
            return None;
        }
        let (h, plain) = header_and_plain(text, self.clock.parse(&text[..19]))?;
        let split = Split::of(h.message);
        let head = split.head;
        let key = &mut self.key.0;
        key.clear();
        key.push(h.level as u8);
        key.extend_from_slice(&(head.len() as u64).to_le_bytes());
        key.extend_from_slice(head.as_bytes());
        if let Some(u) = split.upstream {
            key.push(1);
            key.extend_from_slice(upstream_part(u).as_bytes());
        }
        let head_at = head.as_ptr() as usize - text.as_ptr() as usize;
        let mut occ = Occurrence {
            line: line_no,
            time: h.time,
            level: Some(h.level),
            request: None,
            client: None,
            host: None,
            pid: h.pid,
            text,
            mark: None,
        };
        // An event line whose context may be cut: with no upstream, or
        // not ending with the quote of its last field.
        let cut = |text: &str| {
            hold && (split.upstream.is_none() || !text.ends_with('"'))
                && crate::wrap::tail_cut(text)
        };
        match self.memo.get(&self.key) {
            Some(Memo::Quiet) => return Some(Scanned::Quiet),
            Some(Memo::Overflow) => {
                facts.overflow += 1;
                return Some(Scanned::Event);
            }
            Some(Memo::Group { index, mark }) => {
                if cut(text) {
                    return Some(Scanned::Cut);
                }
                // The fields a group has enough of are not read: only
                // those it still collects are looked for.
                let wants = facts.wants(*index);
                if wants.request || wants.client || (wants.host && split.host_at.is_none()) {
                    let f = Context::of(h.message);
                    (occ.request, occ.client, occ.host) = (f.request, f.client, f.host);
                } else if wants.host {
                    occ.host = split.host().flatten();
                }
                occ.mark = mark.find(text, head_at, plain);
                facts.add_to_group(*index, &occ);
                return Some(Scanned::Event);
            }
            None => {}
        }
        let f = Context::of(h.message);
        debug_assert_eq!((f.head, f.upstream), (head, split.upstream));
        (occ.request, occ.client, occ.host) = (f.request, f.client, f.host);
        if self.memo.len() >= MEMO_MAX {
            self.memo.clear();
        }
        let memo_key = self.key.clone();
        let Some((signal, target, mark_text)) = classify(head, h.level) else {
            self.memo.insert(memo_key, Memo::Quiet);
            return Some(Scanned::Quiet);
        };
        if cut(text) {
            return Some(Scanned::Cut);
        }
        let mark = Mark::new(mark_text, head, h.level);
        occ.mark = mark.find(text, head_at, plain);
        let memo = match facts.add_keyed(key_of(signal, target, head, split.upstream), &occ) {
            Some(index) => Memo::Group { index, mark },
            None => Memo::Overflow,
        };
        self.memo.insert(memo_key, memo);
        Some(Scanned::Event)
    }
}

/// `server:` of an error line (first `server_name` of the block).
pub fn server_name_of(text: &str) -> Option<&str> {
    let h = parse_header(text)?;
    let ctx = Context::of(h.message).ctx;
    let i = find_with(ctx, SERVER())? + ", server: ".len();
    let rest = &ctx[i..];
    let end = find_pair(rest, b',', b' ').unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Address;

    fn ev(s: &str) -> Event {
        parse_line(1, s).expect("error line").expect("signal")
    }

    #[test]
    fn refused_async_and_sync() {
        let e = ev("2024/01/15 10:23:45 [error] 1234#1234: *5678 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: example.com, request: \"GET /api/users HTTP/1.1\", upstream: \"http://127.0.0.1:3000/api/users\", host: \"example.com\"");
        assert_eq!(e.key.signal, Signal::ConnectFailed { errno: 111 });
        assert_eq!(e.key.action, Some(Action::Connecting));
        assert_eq!(
            e.key.upstream.as_ref().unwrap().addr,
            Address::Tcp {
                host: "127.0.0.1".into(),
                port: Some(3000)
            }
        );
        assert_eq!(e.request.as_deref(), Some("GET /api/users HTTP/1.1"));
        assert_eq!(e.host.as_deref(), Some("example.com"));
        let (a, b) = e.mark.unwrap();
        assert_eq!(&e.text[a..b], "failed (111: Connection refused)");
        let e = ev("2024/01/15 10:23:45 [crit] 1234#1234: *5678 connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 203.0.113.7, server: example.com, request: \"GET /index.php HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.1-fpm.sock:\", host: \"example.com\"");
        assert_eq!(e.key.signal, Signal::ConnectFailed { errno: 2 });
        assert_eq!(e.key.upstream.unwrap().scheme, "fastcgi");
        assert_eq!(e.key.server, None);
        // macOS and FreeBSD number errnos their own way (the text decides),
        // Windows has its WSA codes and calls: all read as Linux's.
        let refused = Signal::ConnectFailed { errno: 111 };
        let reset = Signal::IoFailed {
            call: "recv".into(),
            errno: 104,
        };
        let ctx = r#"client: 127.0.0.1, server: x, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:3000/", host: "x""#;
        for (msg, want) in [
            ("kevent() reported that connect() failed (61: Connection refused) while connecting to upstream", &refused),
            ("recv() failed (54: Connection reset by peer) while reading response header from upstream", &reset),
            ("kevent() reported about an closed connection (54: Connection reset by peer) while reading response header from upstream", &reset),
            ("connect() failed (10061: No connection could be made because the target machine actively refused it) while connecting to upstream", &refused),
            ("WSARecv() failed (10054: An existing connection was forcibly closed by the remote host) while reading response header from upstream", &reset),
        ] {
            let e = ev(&format!("2024/01/15 10:23:45 [error] 81#0: *3 {msg}, {ctx}"));
            assert_eq!(&e.key.signal, want, "{msg}");
        }
    }

    #[test]
    fn truncated_line_without_context() {
        let e = ev("2024/01/15 10:24:45 [error] 1234#0: *5 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.7, server: example.com, request: \"POST /reports/exp");
        assert_eq!(e.key.signal, Signal::UpstreamTimedOut);
        assert_eq!(e.key.action, Some(Action::ReadingHeader));
        assert_eq!(e.key.upstream, None);
    }

    #[test]
    fn signals() {
        let cases: &[(&str, Signal)] = &[
            ("upstream prematurely closed connection while reading response header from upstream", Signal::PrematureClose),
            ("recv() failed (104: Connection reset by peer) while reading response header from upstream", Signal::IoFailed { call: "recv".into(), errno: 104 }),
            ("writev() failed (32: Broken pipe) while sending request to upstream", Signal::IoFailed { call: "writev".into(), errno: 32 }),
            ("upstream sent too big header while reading response header from upstream", Signal::TooBigHeader),
            ("SSL_read() failed (SSL: error:0A000126:SSL routines::unexpected eof while reading) while reading upstream", Signal::PrematureClose),
            ("no live upstreams while connecting to upstream", Signal::NoLiveUpstreams),
            ("no resolver defined to resolve api.internal", Signal::NoResolver { host: "api.internal".into() }),
            ("api.internal could not be resolved (3: Host not found)", Signal::CouldNotResolve { host: "api.internal".into(), code: 3 }),
            ("socket() failed (24: Too many open files) while connecting to upstream", Signal::TooManyOpenFiles),
            ("1024 worker_connections are not enough", Signal::WorkerConnections { count: 1024 }),
            ("upstream sent no valid HTTP/1.0 header while reading response header from upstream", Signal::InvalidHeader { what: "no valid HTTP/1.0 header".into() }),
            ("upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream", Signal::FastcgiProtocol { what: "unsupported FastCGI protocol version: 72".into() }),
            ("upstream sent invalid FastCGI record type: 2 while reading upstream", Signal::FastcgiProtocol { what: "invalid FastCGI record type: 2".into() }),
            ("SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream", Signal::SslHandshake { reason: "wrong version number".into() }),
            ("SSL_do_handshake() failed (SSL: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:SSL alert number 40) while SSL handshaking to upstream", Signal::SslHandshake { reason: "sslv3 alert handshake failure:SSL alert number 40".into() }),
            ("upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream", Signal::SslVerify { reason: "18:self-signed certificate".into() }),
            ("limiting requests, excess: 10.520 by zone \"api\"", Signal::RateLimited { zone: "api".into(), connections: false }),
            ("limiting connections by zone \"perip\"", Signal::RateLimited { zone: "perip".into(), connections: true }),
        ];
        for (msg, want) in cases {
            let line =
                format!("2024/01/15 10:23:45 [error] 1#1: *2 {msg}, client: 1.2.3.4, server: x");
            assert_eq!(&ev(&line).key.signal, want, "{msg}");
        }
    }

    #[test]
    fn a_delayed_request_is_no_refusal() {
        let line = "2024/01/15 10:23:45 [warn] 1#1: *2 delaying request, excess: 0.520, by zone \"api\", client: 1.2.3.4, server: x";
        assert_eq!(parse_line(1, line).map(|e| e.is_some()), Some(false));
    }

    #[test]
    fn emerg_host_not_found() {
        let e = ev("2024/01/15 10:23:45 [emerg] 1#1: host not found in upstream \"backend.internal\" in /etc/nginx/conf.d/app.conf:7");
        assert_eq!(
            e.key.signal,
            Signal::HostNotFound {
                host: "backend.internal".into()
            }
        );
    }

    #[test]
    fn non_upstream_lines() {
        assert!(matches!(
            parse_line(
                1,
                "2024/01/15 10:23:45 [notice] 1#1: signal process started"
            ),
            Some(None)
        ));
        assert!(
            parse_line(1, "2024/01/15 10:23:45 [error] 1#1: *1 open() \"/x\" failed (2: No such file or directory), client: 1.2.3.4")
                .unwrap()
                .is_none()
        );
        assert!(parse_line(1, "hello").is_none());
        assert!(parse_line(1, "2024/01/15 10:23:45 [bogus] 1#1: x").is_none());
    }

    #[test]
    fn headless_lines() {
        let e = parse_headless(3, "connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"").unwrap();
        assert_eq!(e.key.signal, Signal::ConnectFailed { errno: 111 });
        let e = parse_headless(3, "[crit] 1234#0: *5 connect() to unix:/run/php/php7.4-fpm.sock failed (2: No such file or directory) while connecting to upstream").unwrap();
        assert_eq!(e.level, Some(Level::Crit));
        assert_eq!(
            e.key.server.as_deref(),
            Some("unix:/run/php/php7.4-fpm.sock")
        );
        assert!(parse_headless(1, "I get connect() failed errors sometimes").is_none());
        assert!(parse_headless(1, "location / { proxy_pass http://upstream_app; }").is_none());
    }

    #[test]
    fn left_cut_lines() {
        let ctx = ", client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"";
        for (line, signal) in [
            (
                format!("ect() failed (111: Connection refused) while connecting to upstream{ctx}"),
                Signal::ConnectFailed { errno: 111 },
            ),
            // `() failed (` ends several calls: the action picks the call.
            (
                format!("() failed (111: Connection refused) while connecting to upstream{ctx}"),
                Signal::ConnectFailed { errno: 111 },
            ),
            (
                format!("() failed (104: Connection reset by peer) while reading response header from upstream{ctx}"),
                Signal::IoFailed { call: "recv".into(), errno: 104 },
            ),
            (
                format!("ream timed out (110: Connection timed out) while reading response header from upstream{ctx}"),
                Signal::UpstreamTimedOut,
            ),
            (
                format!("…rematurely closed connection while reading response header from upstream{ctx}"),
                Signal::PrematureClose,
            ),
        ] {
            let e = parse_headless(7, &line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(e.key.signal, signal, "{line}");
            assert_eq!(e.text, line);
            assert!(e.key.upstream.is_some(), "{line}");
        }
        // Too little left to tell the message.
        assert!(parse_headless(
            1,
            &format!("d (111: Connection refused) while connecting to upstream{ctx}")
        )
        .is_none());
    }

    /// The streaming parser (shapes remembered, text borrowed) must give
    /// exactly the groups of `parse_line` + `Facts::add_event`.
    #[test]
    fn stream_gives_the_groups_of_parse_line() {
        let long = "x".repeat(700);
        let shapes = [
            "[error] 1234#1234: *5678 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: example.com, request: \"GET /api/users HTTP/1.1\", upstream: \"http://127.0.0.1:3000/api/users\", host: \"example.com\"".to_string(),
            "[error] 12#12: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.2, server: example.com, request: \"POST /login HTTP/1.1\", upstream: \"http://127.0.0.1:3000/login?next=/\", host: \"example.com\"".to_string(),
            "[error] 12#12: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.2, server: example.com, request: \"GET / HTTP/1.1\", upstream: \"HTTP://127.0.0.1:3000\", host: \"a\"".to_string(),
            "[crit] 1#1: *2 connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET /index.php HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.1-fpm.sock:\", host: \"x\"".to_string(),
            "[crit] 1#1: *3 connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.5, server: x, request: \"GET /x.php HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"x\"".to_string(),
            "[error] 7#7: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: x, request: \"GET /slow HTTP/1.1\", upstream: \"http://backend/slow\", host: \"x\"".to_string(),
            "[error] 7#7: *1 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: x, request: \"GET /slow HTTP/1.1\", upstream: \"backend/u?next=http://other/\", host: \"x\"".to_string(),
            "[error] 7#7: *1 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://[::1]:3000/\", host: \"x\"".to_string(),
            "[error] 7#7: *1 upstream prematurely closed connection while reading response header from upstream, client: 1.2.3.4".to_string(),
            "[info] 7#7: *1 client closed connection while waiting for request, client: 1.2.3.4, server: 0.0.0.0:80".to_string(),
            "[notice] 1#1: signal process started".to_string(),
            "[emerg] 1#1: e".to_string(),
            "[emerg] 1#1: host not found in upstream \"backend.internal\" in /etc/nginx/conf.d/app.conf:7".to_string(),
            "[warn] 1#1: *4 upstream server temporarily disabled while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://10.0.0.1:80/\", host: \"x\"".to_string(),
            format!("[error] 7#7: *1 no live upstreams while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET /{long} HTTP/1.1\", upstream: \"http://app/\", host: \"x\""),
            format!("[error] 7#7: *1 upstream sent too big header {long} while reading response header from upstream, client: 1.2.3.4"),
            "[error] 7#7: *1 upstream sent too big header while reading response header from upstream, client: upstream sent too big header".to_string(),
        ];
        let mut lines = Vec::new();
        for round in 0..4 {
            for (i, shape) in shapes.iter().enumerate() {
                let (min, sec) = ((round * 7 + i) / 60, (round * 7 + i) % 60);
                lines.push(format!("2024/01/15 10:{min:02}:{sec:02} {shape}"));
            }
        }
        let (mut streamed, mut reference) = (Facts::default(), Facts::default());
        let mut stream = Stream::new();
        for (i, l) in lines.iter().enumerate() {
            let no = i as u64 + 1;
            let want = parse_line(no, l);
            assert_eq!(
                stream.line(no, l, &mut streamed),
                want.as_ref().map(Option::is_some),
                "{l}"
            );
            if let Some(Some(ev)) = want {
                reference.add_event(ev);
            }
        }
        assert!(reference.groups.len() > 8);
        assert_eq!(
            format!("{:#?}", streamed.groups),
            format!("{:#?}", reference.groups)
        );
    }

    /// The separate searches [`Context::of`] replaced, as they were.
    fn reference_context(msg: &str) -> (&str, &str, [Option<&str>; 4]) {
        use crate::text::rfind_lead;
        let (head, ctx) = match find_with(msg, CLIENT()) {
            Some(i) => (&msg[..i], &msg[i..]),
            None => match find_with(msg, SERVER()) {
                Some(i) => (&msg[..i], &msg[i..]),
                None => (msg, ""),
            },
        };
        if ctx.is_empty() {
            return (head, ctx, [None; 4]);
        }
        let request = find_with(ctx, REQUEST()).and_then(|i| {
            let rest = ctx[i + ", request: ".len()..].strip_prefix('"')?;
            let end = memchr(b'"', rest.as_bytes())?;
            Some(&rest[..end])
        });
        let client = find_with(ctx, CLIENT()).map(|i| {
            let rest = &ctx[i + ", client: ".len()..];
            &rest[..find_pair(rest, b',', b' ').unwrap_or(rest.len())]
        });
        (
            head,
            ctx,
            [
                rfind_lead(ctx, ", upstream: \"").map(|i| to_quote(&ctx[i + 13..])),
                request,
                rfind_lead(ctx, ", host: \"").map(|i| to_quote(&ctx[i + 9..])),
                client,
            ],
        )
    }

    #[test]
    fn context_scan_matches_the_separate_searches() {
        let pieces = [
            ", client: ",
            ", server: ",
            ", request: ",
            ", request: \"",
            ", upstream: \"",
            ", host: \"",
            "\"",
            ",",
            ", ",
            " ",
            "x",
            "GET / HTTP/1.1",
            "1.2.3.4",
            "é",
            "connect() failed (111: Connection refused)",
            ",client: ",
            ", upstream: ",
        ];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..100_000 {
            let mut msg = String::new();
            for _ in 0..(x % 12) {
                x = crate::text::xorshift(x);
                msg.push_str(pieces[(x >> 13) as usize % pieces.len()]);
            }
            x = crate::text::xorshift(x);
            let c = Context::of(&msg);
            let split = Split::of(&msg);
            assert_eq!(
                (split.head, split.upstream),
                (c.head, c.upstream),
                "{msg:?}"
            );
            if let Some(host) = split.host() {
                assert_eq!(host, c.host, "{msg:?}");
            }
            let (head, ctx, [upstream, request, host, client]) = reference_context(&msg);
            assert_eq!(
                (c.head, c.ctx, c.upstream, c.request, c.host, c.client),
                (head, ctx, upstream, request, host, client),
                "{msg:?}"
            );
        }
    }

    #[test]
    fn upstream_parts_are_cut_as_the_searches_cut_them() {
        fn reference(raw: &str) -> &str {
            let s = raw.trim().trim_end_matches(';');
            let (skip, rest) = match s.find("://") {
                Some(i) => (i + 3, &s[i + 3..]),
                None => (0, s),
            };
            let end = match rest.strip_prefix("unix:") {
                Some(u) => 5 + u.find(':').unwrap_or(u.len()),
                None => rest.find(['/', '?']).unwrap_or(rest.len()),
            };
            &s[..skip + end]
        }
        let values = [
            "",
            " ",
            ";",
            "http://10.0.2.15:8001/reports/export?year=2023",
            "http://10.0.2.15:8001?x",
            "http://backend",
            "fastcgi://unix:/run/php/php8.1-fpm.sock:",
            "http://unix:/run/gunicorn/app.sock:/x",
            "unix:/run/app.sock",
            "10.0.0.1:80",
            "  http://[::1]:3000/ ;;",
            "\u{a0}http://x/\u{a0}",
            "verylongschemename-x://host/a",
            "0123456789012345://h/",
            "01234567890123456://h/",
            "012345678901234567://h/",
            "0123456789012345678901234567890://h/",
            "a:/b://c",
            "é://ü/",
            "ééééééééé://ü/",
            "ééééééééééééééé://ü/",
            "aéééééééééééééééé",
        ];
        for v in values {
            assert_eq!(upstream_part(v), reference(v), "{v:?}");
            assert_eq!(trim(v), v.trim(), "{v:?}");
        }
    }

    #[test]
    fn header_helpers_match_the_std_functions() {
        let texts = [
            "",
            " ",
            "a",
            ": ",
            "1234#1234: *5 x",
            "1234#1234 no colon at all here, then far away: yes",
            "12345678901234567890123: x",
            "123456789012345678901234: x",
            "1234567890123456789012345: x",
            "12345678901234567890123:",
            "\u{a0}x",
            "\u{2003} error",
            "\t x",
            "\u{b}x",
            "\u{1c}x",
            "é: ",
        ];
        for t in texts {
            assert_eq!(trim_start(t), t.trim_start(), "{t:?}");
            assert_eq!(
                find_pair_near(t, b':', b' '),
                find_pair(t, b':', b' '),
                "{t:?}"
            );
        }
        for d in [
            "",
            "0",
            "7",
            "4294967295",
            "4294967296",
            "99999999999",
            "0001",
        ] {
            assert_eq!(parse_u32(d.as_bytes()), d.parse().ok(), "{d:?}");
        }
    }

    /// Headers built from pieces nginx writes and pieces it does not: the
    /// byte-by-byte reading answers as the general one whenever it answers.
    #[test]
    fn plain_headers_are_read_as_the_general_path_reads_them() {
        // Each slot of `[level] pid#tid: *id message`, as nginx writes it
        // or not.
        let slots: [&[&str]; 7] = [
            &[
                "[error]",
                "[crit]",
                "[warn]",
                "[e]",
                "[error ]",
                "[]",
                "[error]x",
                "[notice]",
                "[info]",
                "[alert]",
                "[emerg]",
                "[debug]",
                "[Error]",
                "[warn]]",
                "[noticе]",
            ],
            &[" ", " ", " ", "  ", "\t", "", "\u{a0}"],
            &[
                "1234",
                "0",
                "12345678901",
                "123456789012",
                "",
                "99999999999",
                "12a",
            ],
            &["#", "#", "#", "", "##", ":"],
            &["1234", "0", "", "x", "1: a"],
            &[": ", ": ", ": ", ":", ":x", " : ", ":  "],
            &[
                "*5678 ", "*5678 ", "*5678", "* ", "*", "", "x*5 ", "*5678  ", "*é ",
            ],
        ];
        let tails = ["connect() failed", "", "é", ": x", "*9 y"];
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x = crate::text::xorshift(x);
            x
        };
        let mut plain = 0;
        for _ in 0..100_000 {
            let mut line = "2024/01/15 10:23:45 ".to_string();
            for slot in slots {
                line.push_str(slot[(next() >> 13) as usize % slot.len()]);
            }
            line.push_str(tails[(next() >> 13) as usize % tails.len()]);
            if !looks_like(&line) {
                continue;
            }
            let general = header_after_stamp_general(&line, Some(1));
            if let Some(h) = plain_header(&line, Some(1)) {
                plain += 1;
                let g = general.expect("the general path reads it too");
                assert_eq!(
                    (h.level, h.pid, h.message),
                    (g.level, g.pid, g.message),
                    "{line:?}"
                );
            }
        }
        assert!(plain > 1000, "{plain}");
    }

    #[test]
    fn shapes_are_equal_when_their_bytes_are() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x = crate::text::xorshift(x);
            let len = (x % 70) as usize;
            let a: Vec<u8> = (0..len).map(|i| (i as u8) ^ (x >> 40) as u8 & 3).collect();
            let mut b = a.clone();
            match (x >> 8) % 4 {
                0 => {}
                1 if len > 0 => b[(x >> 16) as usize % len] ^= 1,
                2 => b.push(0),
                _ => {
                    b.pop();
                }
            }
            assert_eq!(Shape(a.clone()) == Shape(b.clone()), a == b, "{a:?} {b:?}");
            assert_eq!(words_equal(&a, &b), a == b, "{a:?} {b:?}");
        }
    }

    #[test]
    fn marks_are_found_as_text_find_finds_them() {
        let heads = [
            "failed (111: x)",
            "ab",
            "a",
            "upstream timed out (110: y) while x",
            "connect() to unix:/x failed",
            "1#1: *1 x",
            "[error] x",
        ];
        let mut befores = vec![
            "ab".to_string(),
            String::new(),
            "failed (111: x)a".to_string(),
            "2024/01/15 10:23:45 [error] 1#1: *1 ".to_string(),
            "2024/01/15 10:23:45 [error] 1#1: *x ".to_string(),
            "2x24/01/15 10:23:45 [error] 1#1: *1 ".to_string(),
        ];
        for level in [
            "debug", "info", "notice", "warn", "error", "crit", "alert", "emerg",
        ] {
            befores.push(format!("2024/01/15 10:23:45 [{level}] 1234#0: *56 "));
        }
        for head in heads {
            for (i, _) in head.char_indices() {
                for j in i + 1..=head.len() {
                    let mark = &head[i..j];
                    for before in &befores {
                        let text = format!("{before}{head}, client: ab");
                        let (level, plain) = match looks_like(&text)
                            .then(|| header_and_plain(&text, time::parse_nginx(&text[..19])))
                            .flatten()
                        {
                            // (A head where the header says the message starts.)
                            Some((h, plain)) => (
                                h.level,
                                plain && h.message.len() + before.len() == text.len(),
                            ),
                            None => (Level::Error, false),
                        };
                        let m = Mark::new(mark, head, level);
                        let want = text.find(mark).map(|k| (k, k + mark.len()));
                        assert_eq!(
                            m.find(&text, before.len(), plain),
                            want,
                            "{text:?} {mark:?}"
                        );
                    }
                }
            }
        }
        let m = Mark::new("zz", "ab", Level::Error);
        assert_eq!(m.find("x ab zz", 2, false), Some((5, 7)));
        assert_eq!(
            Mark::new("", "ab", Level::Error).find("x ab", 2, false),
            None
        );
    }

    #[test]
    fn client_side_ssl_is_not_a_signal() {
        assert!(parse_line(1, "2024/01/15 10:23:45 [crit] 1#1: *1 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 1.2.3.4, server: 0.0.0.0:443").unwrap().is_none());
    }
}
