//! Backend and system log lines: PHP-FPM, gunicorn, uWSGI, Node and pm2,
//! Python tracebacks, the kernel (dmesg, OOM killer), SELinux audit records,
//! the systemd journal and gRPC/Go.
//!
//! These logs are pasted next to nginx's error.log to say *why* the upstream
//! failed (reference/causes.md 2.13–2.22, 3.7–3.13). Each line is recognised
//! on its own, without state: the segmenter calls [`parse_line`] for every
//! line the nginx parsers did not take, so the common case is "not ours" and
//! must be cheap. Dispatch is on the first bytes of the line and on fixed
//! prefixes; nothing is allocated before a line is known to be ours, and
//! only one substring scan (`bogus greeting`) runs over unknown lines.
//!
//! Conventions:
//! - `Some((kind, None))`: a line of that log that carries no signal
//!   (`Booting worker`, stack frames, `Started …`).
//! - The event's `mark` is the byte range, in the unwrapped text, of the
//!   fragment that names the signal.
//! - `time` is the line's own timestamp (naive seconds, zone ignored; audit
//!   records carry a UTC epoch), else the journald `-o short-iso` stamp; the
//!   classic journald stamp has no year and gives `None`.
//! - One occurrence is counted once: where a program writes several lines
//!   for one incident (the kernel's OOM report, uWSGI's `bind()` + "probably
//!   another instance", Node's `Error:` + `code: 'EADDRINUSE'`), only one of
//!   them is an event. See the notes on [`Signal`] variants.
//! - journald / pm2 / docker wrappers were taken off by `text::unwrap_line`;
//!   the journald identifier and the pm2 prefix choose the kind when the text
//!   alone is ambiguous (a JavaScript `TypeError:` under pm2 is Node's, not
//!   Python's). Any journald line is claimed (as `Journal` at least); an
//!   unknown `docker compose` line is left to the other parsers.
//!
//! Not done here: `Listening at: …` lines cannot add a `facts::Listener`
//! (no access to facts from a line parser) and are plain lines.

use super::Kind;
use crate::facts::{Event, EventKey, Level, Signal, Source};
use crate::text::{month_index, quoted_after, Wrapper};
use crate::time;
use memchr::memmem;
use std::sync::OnceLock;

/// Which program the wrapper says wrote the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hint {
    None,
    Fpm,
    Gunicorn,
    Uwsgi,
    Node,
    Python,
    Kernel,
    Audit,
    Systemd,
}

impl Hint {
    fn of_ident(ident: &str) -> Hint {
        let i = ident.rsplit('/').next().unwrap_or(ident);
        if sw(i, "php") && i.contains("fpm") {
            Hint::Fpm
        } else if i == "gunicorn" || sw(i, "gunicorn") {
            Hint::Gunicorn
        } else if sw(i, "uwsgi") {
            Hint::Uwsgi
        } else if matches!(
            i,
            "node" | "nodejs" | "npm" | "pm2" | "yarn" | "pnpm" | "next-server"
        ) {
            Hint::Node
        } else if sw(i, "python") || i == "uvicorn" || i == "celery" {
            Hint::Python
        } else if i == "kernel" {
            Hint::Kernel
        } else if matches!(i, "audit" | "auditd" | "setroubleshoot") {
            Hint::Audit
        } else if i == "systemd" || sw(i, "systemd[") {
            Hint::Systemd
        } else {
            Hint::None
        }
    }

    /// The kind for a line of this program that matched nothing specific.
    fn kind(self) -> Kind {
        match self {
            Hint::Fpm => Kind::FpmLog,
            Hint::Gunicorn => Kind::GunicornLog,
            Hint::Uwsgi => Kind::UwsgiLog,
            Hint::Node => Kind::NodeLog,
            Hint::Python => Kind::PythonTraceback,
            Hint::Kernel => Kind::KernelLog,
            Hint::Audit => Kind::AuditLog,
            Hint::Systemd | Hint::None => Kind::Journal,
        }
    }

    fn source(self) -> Source {
        match self {
            Hint::Fpm => Source::PhpFpm,
            Hint::Gunicorn => Source::Gunicorn,
            Hint::Uwsgi => Source::Uwsgi,
            Hint::Node => Source::Node,
            Hint::Python => Source::Python,
            Hint::Kernel => Source::Kernel,
            Hint::Audit => Source::Audit,
            Hint::Systemd => Source::Systemd,
            Hint::None => Source::Other,
        }
    }
}

/// A recognised signal: what it is and the fragment of the line naming it.
struct Sig<'a> {
    signal: Signal,
    mark: &'a str,
    pid: Option<u32>,
    request: Option<&'a str>,
}

/// What a content parser found on one line.
struct Found<'a> {
    kind: Kind,
    source: Source,
    time: Option<i64>,
    level: Option<Level>,
    sig: Option<Sig<'a>>,
}

impl<'a> Found<'a> {
    fn quiet(kind: Kind, source: Source) -> Self {
        Found {
            kind,
            source,
            time: None,
            level: None,
            sig: None,
        }
    }

    fn sig(kind: Kind, source: Source, signal: Signal, mark: &'a str) -> Self {
        Found {
            kind,
            source,
            time: None,
            level: None,
            sig: Some(Sig {
                signal,
                mark,
                pid: None,
                request: None,
            }),
        }
    }

    fn at(mut self, time: Option<i64>) -> Self {
        if self.time.is_none() {
            self.time = time;
        }
        self
    }

    fn level(mut self, level: Option<Level>) -> Self {
        if self.level.is_none() {
            self.level = level;
        }
        self
    }

    fn pid(mut self, pid: Option<u32>) -> Self {
        if let Some(s) = &mut self.sig {
            if s.pid.is_none() {
                s.pid = pid;
            }
        }
        self
    }

    fn request(mut self, request: Option<&'a str>) -> Self {
        if let Some(s) = &mut self.sig {
            s.request = request;
        }
        self
    }
}

/// Recognise one unwrapped line. `None`: not a backend/system log line.
/// `Some((kind, None))`: a line of that log that carries no signal.
pub fn parse_line(line_no: u64, text: &str, wrapper: &Wrapper) -> Option<(Kind, Option<Event>)> {
    let found = if let Some(prefix) = wrapper.pm2.as_deref() {
        Some(pm2_wrapped(text, prefix == "PM2"))
    } else if let Some(ident) = wrapper.ident.as_deref() {
        Some(journal_wrapped(text, Hint::of_ident(ident)))
    } else {
        content(text, Hint::None)
    }?;
    let found = if found.time.is_none() {
        let t = wrapper.stamp.as_deref().and_then(time::parse_iso);
        found.at(t)
    } else {
        found
    };
    let Found {
        kind,
        source,
        time,
        level,
        sig,
    } = found;
    let sig = sig.map(|mut s| {
        if let Signal::AppBoundLoopback { in_container, .. }
        | Signal::AppListening { in_container, .. } = &mut s.signal
        {
            *in_container = wrapper.container.is_some();
        }
        s
    });
    let ev = sig.map(|s| Event {
        key: EventKey {
            source,
            signal: s.signal,
            action: None,
            upstream: None,
            server: None,
        },
        line: line_no,
        time,
        level,
        request: s.request.map(str::to_string),
        client: None,
        host: None,
        pid: s.pid,
        text: text.to_string(),
        mark: span(text, s.mark),
    });
    Some((kind, ev))
}

/// `s.starts_with(p)`, deciding on the first byte before comparing the rest:
/// most lines fail there, and a full comparison costs a `memcmp` call.
#[inline]
fn sw(s: &str, p: &str) -> bool {
    match (s.as_bytes().first(), p.as_bytes().first()) {
        (Some(a), Some(b)) if a == b => s.starts_with(p),
        (_, None) => true,
        _ => false,
    }
}

/// `s.strip_prefix(p)` with the same first-byte shortcut as [`sw`].
#[inline]
fn sp<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    if sw(s, p) {
        s.get(p.len()..)
    } else {
        None
    }
}

/// Byte range of `part` inside `whole` when `part` is a sub-slice of it
/// (it always is here; anything else gives `None`).
fn span(whole: &str, part: &str) -> Option<(usize, usize)> {
    let w = whole.as_ptr() as usize;
    let p = part.as_ptr() as usize;
    if p < w || p + part.len() > w + whole.len() || part.is_empty() {
        return None;
    }
    Some((p - w, p - w + part.len()))
}

/// `s` from `from` (a sub-slice of it) to the first `end` after it, inclusive;
/// to the end of `s` when `end` is absent.
fn through(s: &str, from: usize, end: char) -> &str {
    let rest = s.get(from..).unwrap_or("");
    match rest.find(end) {
        Some(i) => &rest[..i + end.len_utf8()],
        None => rest,
    }
}

/// Leading ASCII digits of `s` as a number.
fn leading_num<T: std::str::FromStr>(s: &str) -> Option<T> {
    let n = s.bytes().take_while(u8::is_ascii_digit).count();
    s.get(..n).filter(|d| !d.is_empty())?.parse().ok()
}

/// The number after the first `key` in `s`.
fn num_after<T: std::str::FromStr>(s: &str, key: &str) -> Option<T> {
    let i = s.find(key)? + key.len();
    leading_num(s.get(i..)?.trim_start())
}

/// The port at the end of an address (`:::3000`, `127.0.0.1:3000`,
/// `('0.0.0.0', 8000)`).
fn trailing_port(s: &str) -> Option<u16> {
    let t = s.trim_end_matches(|c: char| !c.is_ascii_digit());
    let n = t.bytes().rev().take_while(u8::is_ascii_digit).count();
    let digits = t.get(t.len() - n..)?;
    let before = t.get(..t.len() - n)?;
    if digits.is_empty()
        || !(before.ends_with(':') || before.ends_with(", ") || before.ends_with(','))
    {
        return None;
    }
    digits.parse().ok()
}

/// `Mon Jan 15 10:23:40 2024` (ctime, as dmesg -T and uWSGI write it):
/// seconds and the length consumed.
fn parse_ctime(s: &str) -> Option<(i64, usize)> {
    let b = s.as_bytes();
    if b.len() < 24 || b[3] != b' ' || b[7] != b' ' || !b[0].is_ascii_uppercase() {
        return None;
    }
    let m = month_index(s.get(4..7)?)?;
    // day may be space-padded: `Jan  5`
    let (day, at) = match (b[8], b[9]) {
        (b' ', d) if d.is_ascii_digit() => ((d - b'0') as u32, 10),
        (d, b' ') if d.is_ascii_digit() => ((d - b'0') as u32, 9),
        (d1, d2) if d1.is_ascii_digit() && d2.is_ascii_digit() => {
            ((d1 - b'0') as u32 * 10 + (d2 - b'0') as u32, 10)
        }
        _ => return None,
    };
    if b.get(at) != Some(&b' ') || b.get(at + 9) != Some(&b' ') {
        return None;
    }
    let c = b.get(at + 1..at + 9)?;
    let y = b.get(at + 10..at + 14)?;
    if c[2] != b':' || c[5] != b':' || !y.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let two = |x: &[u8]| -> Option<i64> {
        (x[0].is_ascii_digit() && x[1].is_ascii_digit())
            .then(|| ((x[0] - b'0') * 10 + (x[1] - b'0')) as i64)
    };
    let (h, mi, sec) = (two(&c[0..2])?, two(&c[3..5])?, two(&c[6..8])?);
    if h > 23 || mi > 59 || sec > 60 || !(1..=31).contains(&day) {
        return None;
    }
    let year = y.iter().fold(0i64, |a, d| a * 10 + (d - b'0') as i64);
    let days = time::days_from_civil(year, m, day);
    Some((days * 86_400 + h * 3600 + mi * 60 + sec, at + 14))
}

fn level_word(w: &str) -> Option<Level> {
    Some(match w {
        "DEBUG" => Level::Debug,
        "INFO" => Level::Info,
        "NOTICE" => Level::Notice,
        "WARNING" | "WARN" => Level::Warn,
        "ERROR" => Level::Error,
        "CRITICAL" | "CRIT" => Level::Crit,
        "ALERT" => Level::Alert,
        "EMERG" | "EMERGENCY" => Level::Emerg,
        _ => return None,
    })
}

// Prefix tables: sorted (byte order) and prefix-free, so one binary search
// finds the only candidate (tested in `prefix_tables_are_searchable`).

/// uWSGI lines that carry no signal.
const UWSGI_QUIET: &[&str] = &[
    "DAMN ! worker",
    "HARAKIRI",
    "IOError: write error",
    "OSError: write error",
    "PEP 405 virtualenv detected",
    "Python main interpreter initialized",
    "Python version: ",
    "Respawned uWSGI",
    "SIGPIPE: writing to a closed pipe",
    "Set PythonHome to ",
    "WSGI app ",
    "announcing my loyalty",
    "bind(): ",
    "chdir() to ",
    "compiled with version: ",
    "current working directory: ",
    "detected binary path",
    "detected max file descriptor number",
    "detected number of CPU cores",
    "goodbye to uWSGI",
    "gracefully (RE)spawned",
    "lock engine: ",
    "machine: ",
    "mapped ",
    "nodename: ",
    "os: Linux-",
    "setgid() to ",
    "setuid() to ",
    "spawned uWSGI",
    "thunder lock: ",
    "uWSGI ",
    "unable to load app",
    "uwsgi ",
    "writev(): Broken pipe",
    "your memory page size",
    "your processes number limit",
    "your server socket listen backlog",
];

/// Node lines that carry no signal.
const NODE_QUIET: &[&str] = &[
    "Emitted 'error' event",
    "Node.js v",
    "Security context: ",
    "node:_http_server",
    "node:events:",
    "node:internal",
    "node:net:",
];

/// pm2 daemon lines that carry no signal.
const PM2_QUIET: &[&str] = &[
    "--- New PM2 Daemon",
    "===============",
    "Application log path",
    "BUS socket file",
    "Concurrent actions",
    "Exited peacefully",
    "PM2 PID file",
    "PM2 home",
    "PM2 successfully",
    "Process ",
    "RPC socket file",
    "Resurrecting",
    "SIGTERM signal received",
    "Starting execution sequence",
    "Stopping PM2",
    "Stopping app:",
    "Worker Interval",
    "pid=",
];

/// Indented Node lines (error object fields, `throw`).
const NODE_INDENTED: &[&str] = &["[Symbol(", "code: '", "errno: -", "syscall: '", "throw er;"];

/// Does `text` start with one of the `sorted` prefixes?
fn has_prefix(sorted: &[&str], text: &str) -> bool {
    let Some(&first) = text.as_bytes().first() else {
        return false;
    };
    // Narrow to the entries with the same first byte by byte compares only;
    // usually none is left and no string comparison runs.
    let lo = sorted.partition_point(|p| p.as_bytes().first().is_some_and(|&b| b < first));
    let hi = lo + sorted[lo..].partition_point(|p| p.as_bytes().first() == Some(&first));
    let same = &sorted[lo..hi];
    let i = same.partition_point(|p| *p <= text);
    i > 0 && text.starts_with(same[i - 1])
}

// ---------------------------------------------------------------- dispatch

/// Lines with a journald/syslog wrapper: always claimed.
fn journal_wrapped(text: &str, hint: Hint) -> Found<'_> {
    let found = match hint {
        Hint::Systemd => systemd_line(text),
        Hint::Kernel => Some(kernel_message(text, None)),
        _ => None,
    };
    found
        .or_else(|| content(text, hint))
        .unwrap_or_else(|| Found::quiet(hint.kind(), hint.source()))
}

/// Lines of `pm2 logs` (`0|api | …`) or of the pm2 daemon (`PM2 | …`).
fn pm2_wrapped(text: &str, daemon: bool) -> Found<'_> {
    // `--time`: `2024-01-15T10:23:45: text`
    let (t, text) = iso_colon_prefix(text);
    let source = if daemon { Source::Pm2 } else { Source::Node };
    let found = if daemon {
        pm2_message(text)
    } else {
        content(text, Hint::Node).map(|mut f| {
            f.kind = Kind::Pm2Logs;
            f
        })
    };
    found
        .unwrap_or_else(|| Found::quiet(Kind::Pm2Logs, source))
        .at(t)
}

/// `2024-01-15T10:23:45: rest` (pm2 `--time`, `~/.pm2/pm2.log`).
fn iso_colon_prefix(text: &str) -> (Option<i64>, &str) {
    let b = text.as_bytes();
    if b.len() > 21 && b[4] == b'-' && b[10] == b'T' && b[19] == b':' && b[20] == b' ' {
        if let Some(t) = time::parse_iso(&text[..19]) {
            return (Some(t), &text[21..]);
        }
    }
    (None, text)
}

/// Recognise a line by its content.
fn content(text: &str, hint: Hint) -> Option<Found<'_>> {
    let b = text.as_bytes();
    let first = *b.first()?;
    let found = match first {
        b'[' => bracketed(text, hint),
        b'*' => uwsgi_stars(text),
        b' ' | b'\t' => indented(text),
        b'-' => dashes(text),
        b'<' => angle(text),
        b'/' => pm2_banner(text).or_else(|| ruby_error(text)),
        b'!' => uwsgi_bang(text).or_else(|| puma_bang(text)),
        b'=' => rails_banner(text),
        b'(' => node_warning(text),
        b'0'..=b'9' => numeric(text, hint),
        b'a'..=b'z' | b'A'..=b'Z' => word(text, hint),
        _ => None,
    };
    found
        .or_else(|| grpc_anywhere(text))
        .or_else(|| ajp_signature(text))
        .or_else(|| other_addr_in_use(text))
        .or_else(|| kestrel_listen(text))
        .or_else(|| body_too_large(text))
        .or_else(|| loopback_listen(text, Kind::AppLog, Source::Other))
        .or_else(|| port_listen(text))
}

/// An app announcing only the port it listens on, on every interface:
/// Express's `Server listening on port 3001`, `App running on port 5000`,
/// Spring Boot's `Tomcat started on port 8080 (http)` or `started on
/// port(s): 8080`. A listener like Kestrel's line (host `*`).
fn port_listen(text: &str) -> Option<Found<'_>> {
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    let at = FINDER
        .get_or_init(|| memmem::Finder::new(" on port"))
        .find(text.as_bytes())?;
    let before = &text[..at];
    let word_at = before
        .rfind(|c: char| !c.is_ascii_alphabetic())
        .map_or(0, |i| i + 1);
    let word = &before[word_at..];
    let verb = ["listening", "running", "started"]
        .iter()
        .any(|v| word.eq_ignore_ascii_case(v));
    // Not a listener: advice or a failure about whoever holds the port
    // (Spring's `stop the process that's listening on port 8080`,
    // `port 3000 is already in use`).
    let lead = before[..word_at].trim_end();
    let about_other = ["that's", "that is", "which is", "who is"]
        .iter()
        .any(|w| lead.ends_with(w));
    if !verb || about_other || text.contains("already") || text.contains(" in use") {
        return None;
    }
    let rest = &text[at + " on port".len()..];
    let rest = rest
        .strip_prefix("(s)")
        .or_else(|| rest.strip_prefix('s'))
        .unwrap_or(rest);
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let rest = rest.trim_start();
    let n = rest.bytes().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || rest[n..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == ':') {
        return None;
    }
    let port: u16 = rest[..n].parse().ok().filter(|&p| p > 0)?;
    let end = text.len() - rest.len() + n;
    let signal = Signal::AppListening {
        host: "*".into(),
        port,
        in_container: false,
    };
    Some(Found::sig(
        Kind::AppLog,
        Source::Other,
        signal,
        &text[word_at..end],
    ))
}

/// A backend refusing a body over its own limit, anywhere in a line (Java
/// and .NET loggers wrap it in their own prefixes).
fn body_too_large(text: &str) -> Option<Found<'_>> {
    static TOO_LARGE: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    static EXCEEDED: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    let b = text.as_bytes();
    let (server, at) = if let Some(i) = TOO_LARGE
        .get_or_init(|| memmem::Finder::new("Request body too large"))
        .find(b)
    {
        ("kestrel", i)
    } else {
        let i = EXCEEDED
            .get_or_init(|| memmem::Finder::new("ExceededException"))
            .find(b)?;
        // Back to the start of the class name.
        let start = text[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
            .map_or(0, |s| s + 1);
        let class = &text[start..i];
        let server = if class.ends_with("MaxUploadSize") {
            "spring"
        } else if class.ends_with("SizeLimit") {
            "tomcat"
        } else {
            return None;
        };
        (server, start)
    };
    let rest = &text[at..];
    let end = rest.find(']').unwrap_or(rest.len());
    let mark = rest[..end].trim_end();
    Some(Found::sig(
        Kind::AppLog,
        Source::Other,
        Signal::BodyTooLarge {
            server: server.into(),
        },
        mark,
    ))
}

/// Kestrel's `Now listening on: http://localhost:5000` (ASP.NET Core's
/// `Microsoft.Hosting.Lifetime` message: on the line after `info:
/// Microsoft.Hosting.Lifetime[14]`, on the same line, or in a JSON
/// message). Every address, not only loopback: it is a listener.
fn kestrel_listen(text: &str) -> Option<Found<'_>> {
    const PHRASE: &str = "Now listening on: ";
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    let at = FINDER
        .get_or_init(|| memmem::Finder::new(PHRASE))
        .find(text.as_bytes())?;
    let rest = &text[at + PHRASE.len()..];
    let url = rest
        .split(|c: char| c.is_whitespace() || c == '"' || c == ',')
        .next()
        .unwrap_or("");
    let (scheme, hostport) = url.split_once("://")?;
    if !scheme.starts_with("http") {
        return None;
    }
    let hostport = hostport.trim_end_matches('/');
    let hostport = hostport.split('/').next().unwrap_or(hostport);
    let (host, port) = hostport.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = match host {
        "+" | "*" | "" => "*",
        h => h,
    };
    let plain = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b':' | b'*');
    if !host.bytes().all(plain) {
        return None;
    }
    let signal = Signal::AppListening {
        host: host.to_string(),
        port,
        in_container: false,
    };
    let mark = &text[at..at + PHRASE.len() + url.len()];
    Some(Found::sig(Kind::AppLog, Source::Other, signal, mark))
}

/// .NET's console logger header: `info: Microsoft.Hosting.Lifetime[14]`,
/// `fail: Microsoft.AspNetCore.Server.Kestrel[13]` (the message is on the
/// next line, indented, or after it on the same line).
fn dotnet_header(text: &str) -> Option<Found<'_>> {
    let b = text.as_bytes();
    if b.len() < 8 || b[4] != b':' || b[5] != b' ' {
        return None;
    }
    if !matches!(
        &b[..4],
        b"trce" | b"dbug" | b"info" | b"warn" | b"fail" | b"crit"
    ) {
        return None;
    }
    let cat = &text[6..];
    let open = cat.find('[')?;
    let name = &cat[..open];
    let ok = !name.is_empty()
        && name.contains('.')
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_');
    if !ok {
        return None;
    }
    Some(kestrel_listen(text).unwrap_or_else(|| Found::quiet(Kind::AppLog, Source::Other)))
}

/// Phrases app servers print with the address they listen on.
const LISTEN_PHRASES: &[&str] = &[
    "Listening at: ",
    "Uvicorn running on ",
    "Running on ",
    "Starting development server at ",
    "Listening on ",
    "Local:",
    "Server running at ",
    "Server listening on ",
];

/// A line saying the app listens on a loopback address: the signal, else
/// `None` (other addresses are not worth an event).
fn loopback_listen(text: &str, k: Kind, s: Source) -> Option<Found<'_>> {
    let (at, phrase) = LISTEN_PHRASES
        .iter()
        .find_map(|p| text.find(p).map(|i| (i, *p)))?;
    let rest = text[at + phrase.len()..].trim_start();
    let url = rest.split([' ', '\t', ',']).next().unwrap_or("");
    let hostport = url
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(url)
        .trim_end_matches('/');
    let hostport = hostport.split('/').next().unwrap_or(hostport);
    let (host, port) = hostport.rsplit_once(':')?;
    let port: u16 = port.parse().ok()?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost" || host.starts_with("127.") || host == "::1";
    let end = at + phrase.len() + (text.len() - at - phrase.len() - rest.len()) + url.len();
    let signal = if loopback {
        Signal::AppBoundLoopback {
            host: host.to_string(),
            port,
            in_container: false,
        }
    } else if host == "0.0.0.0" || host == "::" {
        // Every interface: a listener like `Server listening on port 3000`.
        Signal::AppListening {
            host: "*".into(),
            port,
            in_container: false,
        }
    } else {
        return None;
    };
    Some(Found::sig(k, s, signal, text.get(at..end).unwrap_or(text)))
}

// ---------------------------------------------------------------- [ … ] lines

fn bracketed(text: &str, hint: Hint) -> Option<Found<'_>> {
    let b = text.as_bytes();
    let second = *b.get(1)?;
    match second {
        b' ' | b'0'..=b'9' => {
            if let Some(f) = dmesg_mono(text) {
                return Some(f);
            }
            if let Some(f) = fpm_stamped(text) {
                return Some(f);
            }
            if let Some(f) = gunicorn(text) {
                return Some(f);
            }
            if sw(text, "[0x") {
                // FPM slowlog backtrace frame: `[0x00007f…] curl_exec() /var/www/x.php:42`
                return Some(slow_frame(text));
            }
            // Node GC trace: `[2345:0x5d3c2a0]    12345 ms: Mark-Compact …`
            let n = b.iter().skip(1).take_while(|c| c.is_ascii_digit()).count();
            if n > 0 && text.get(1 + n..).is_some_and(|r| sw(r, ":0x")) {
                return Some(Found::quiet(Kind::NodeLog, Source::Node));
            }
            None
        }
        b'A'..=b'Z' => {
            if let Some(f) = apache_error(text) {
                return Some(f);
            }
            if let Some(f) = dmesg_ctime(text) {
                return Some(f);
            }
            if sw(text, "[TAILING]") || sw(text, "[PM2]") {
                return Some(Found::quiet(Kind::Pm2Logs, Source::Pm2));
            }
            fpm_syslog(text, hint)
        }
        b'p' if sw(text, "[pid: ") => {
            // uWSGI request log: `[pid: 12345|app: 0|req: 1/1] 127.0.0.1 () {…} [Mon Jan …] GET / => …`
            Some(Found::quiet(Kind::UwsgiLog, Source::Uwsgi))
        }
        _ => None,
    }
}

/// `[ 8123.456789] message` (dmesg without -T; seconds since boot: no time).
fn dmesg_mono(text: &str) -> Option<Found<'_>> {
    let close = text
        .get(..24)?
        .find(']')
        .or_else(|| text.find(']').filter(|&i| i < 24))?;
    let inner = &text[1..close];
    let ok = inner.contains('.')
        && inner.bytes().any(|c| c.is_ascii_digit())
        && inner
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b' ' || c == b'.' || c == b'+');
    if !ok {
        return None;
    }
    let msg = text.get(close + 1..)?.trim_start();
    Some(kernel_message(msg, None))
}

/// `[Mon Jan 15 10:23:40 2024] message` (dmesg -T).
fn dmesg_ctime(text: &str) -> Option<Found<'_>> {
    let (t, len) = parse_ctime(text.get(1..)?)?;
    let rest = text.get(1 + len..)?.strip_prefix(']')?;
    Some(kernel_message(rest.trim_start(), Some(t)))
}

// ---------------------------------------------------------------- Apache

/// Apache's error log: `[Mon Nov 25 10:00:01.123456 2024] [core:notice]
/// [pid 1234:tid 140] AH00052: child pid 2345 exit signal Segmentation
/// fault (11)` (2.4), `[Mon Nov 25 10:00:01 2024] [notice] child pid 2345
/// exit signal Segmentation fault (11)` (2.2). A child that died on a
/// signal is an event; any other line of that log is a quiet app line.
fn apache_error(text: &str) -> Option<Found<'_>> {
    let close = text.get(..text.len().min(40))?.find("] [")?;
    let stamp = &text[1..close];
    // Apache 2.4 adds microseconds to the ctime stamp.
    let t = match stamp.find('.') {
        Some(dot) => {
            let frac = stamp[dot + 1..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let plain = format!("{}{}", &stamp[..dot], &stamp[dot + 1 + frac..]);
            parse_ctime(&plain).map(|(t, _)| t)
        }
        None => parse_ctime(stamp).map(|(t, _)| t),
    }?;
    let rest = &text[close + 2..];
    let level_end = rest.find(']')?;
    let level_word_s = rest[1..level_end].rsplit(':').next().unwrap_or("");
    let level = Level::parse(level_word_s);
    // `[core:notice]`, `[notice]`, `[proxy:trace5]`: not a dmesg -T task table's `[  pid  ]`.
    if level.is_none() && !level_word_s.starts_with("trace") {
        return None;
    }
    // `[pid 1234:tid 140]`, `[client 1.2.3.4:5678]`: skip to the message.
    let mut msg = rest[level_end + 1..].trim_start();
    while msg.starts_with('[') {
        match msg.find(']') {
            Some(e) => msg = msg[e + 1..].trim_start(),
            None => break,
        }
    }
    let found = match msg.find("child pid ") {
        Some(i) if msg.contains(" exit signal ") => {
            let m = &msg[i..];
            let m = m
                .split(", possible coredump")
                .next()
                .unwrap_or(m)
                .trim_end();
            let signal = m
                .rfind('(')
                .and_then(|o| m[o + 1..].strip_suffix(')'))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let pid = num_after(m, "child pid ");
            Found::sig(
                Kind::AppLog,
                Source::Other,
                Signal::WorkerCrashed {
                    server: "apache".into(),
                    signal,
                },
                m,
            )
            .pid(pid)
        }
        _ => Found::quiet(Kind::AppLog, Source::Other),
    };
    Some(found.at(Some(t)).level(level))
}

// ---------------------------------------------------------------- PHP-FPM

/// `[15-Jan-2024 10:23:41] WARNING: message` (optionally `.123456` after
/// the seconds); slowlog headers `[15-Jan-2024 10:23:41]  [pool www] pid 2345`.
fn fpm_stamped(text: &str) -> Option<Found<'_>> {
    let b = text.as_bytes();
    if b.len() < 22 || b[3] != b'-' || b[7] != b'-' {
        return None;
    }
    let t = time::parse_fpm(text.get(1..21)?)?;
    let close = 21 + text.get(21..)?.find(']')?;
    if close > 30 {
        return None;
    }
    let rest = text.get(close + 1..)?.trim_start();
    let colon = rest.find(": ").filter(|&i| i <= 8);
    let (level, msg) = match colon.and_then(|i| level_word(&rest[..i]).map(|l| (l, i))) {
        Some((l, i)) => (Some(l), &rest[i + 2..]),
        None => (None, rest),
    };
    Some(fpm_message(msg, level).at(Some(t)).level(level))
}

/// journald/syslog form `[WARNING] [pool www] message` (`error_log = syslog`).
fn fpm_syslog(text: &str, hint: Hint) -> Option<Found<'_>> {
    let close = text
        .get(..12)?
        .find(']')
        .or_else(|| text.find(']').filter(|&i| i < 12))?;
    let level = level_word(&text[1..close])?;
    let msg = text.get(close + 1..)?.trim_start();
    let f = fpm_message(msg, Some(level)).level(Some(level));
    if hint == Hint::Fpm || f.sig.is_some() || sw(msg, "[pool ") {
        Some(f)
    } else {
        None
    }
}

/// An FPM message after its level: `[pool www] server reached …`.
fn fpm_message(msg: &str, level: Option<Level>) -> Found<'_> {
    let k = Kind::FpmLog;
    let s = Source::PhpFpm;
    // `log_level = debug` puts the process and the C function first:
    // `pid 23055, fpm_children_bury(), line 252: [pool www] child …`.
    let msg = match sp(msg, "pid ") {
        Some(r) => match (r.find("(), line "), r.find(": ")) {
            (Some(f), Some(c)) if f < c => &r[c + 2..],
            _ => msg,
        },
        None => msg,
    };
    let (pool, m) = match msg
        .strip_prefix("[pool ")
        .and_then(|r| r.find(']').map(|i| (r, i)))
    {
        Some((r, i)) => (&r[..i], r[i + 1..].trim_start()),
        None => ("", msg),
    };
    if let Some(r) = sp(m, "server reached ") {
        let r = sp(r, "pm.").unwrap_or(r);
        if let Some(r) = sp(r, "max_children setting (") {
            let limit = leading_num(r).unwrap_or(0);
            let signal = Signal::FpmMaxChildren {
                pool: pool.to_string(),
                limit,
            };
            return Found::sig(k, s, signal, through(m, 0, ')'));
        }
    }
    if let Some(r) = sp(m, "Connection disallowed: IP address '") {
        let ip = r.split('\'').next().unwrap_or("");
        if !ip.is_empty() && ip.len() <= 45 {
            let signal = Signal::FpmClientDropped { ip: ip.to_string() };
            return Found::sig(k, s, signal, &m[.."Connection disallowed".len()]);
        }
    }
    if sw(m, "seems busy") {
        let signal = Signal::FpmSeemsBusy {
            pool: pool.to_string(),
        };
        return Found::sig(k, s, signal, &m[..10]);
    }
    if let Some(r) = sp(m, "child ") {
        let pid: Option<u32> = leading_num(r);
        let digits = r.bytes().take_while(u8::is_ascii_digit).count();
        let after = &r[digits..];
        if sw(after, ", script ") {
            let request = quoted_after(after, "(request: ");
            for (needle, timed_out) in
                [("execution timed out", true), ("executing too slow", false)]
            {
                if let Some(i) = after.find(needle) {
                    let signal = if timed_out {
                        Signal::FpmExecTimedOut {
                            pool: pool.to_string(),
                        }
                    } else {
                        Signal::FpmSlowRequest {
                            pool: pool.to_string(),
                        }
                    };
                    return Found::sig(k, s, signal, through(after, i, ')'))
                        .pid(pid)
                        .request(request);
                }
            }
            return Found::quiet(k, s);
        }
        if let Some(r2) = sp(after, " exited on signal ") {
            if let Some(signal) = leading_num::<u16>(r2) {
                let i = 1; // skip the space before "exited"
                return Found::sig(
                    k,
                    s,
                    Signal::FpmChildSignal { signal },
                    through(after, i, ')'),
                )
                .pid(pid);
            }
        }
        if let Some(r2) = sp(after, " exited with code ") {
            if let Some(code) = leading_num::<u16>(r2) {
                if code != 0 {
                    let n = r2.bytes().take_while(u8::is_ascii_digit).count();
                    let mark = &after[1.." exited with code ".len() + n];
                    return Found::sig(k, s, Signal::FpmChildExited { code }, mark).pid(pid);
                }
            }
        }
        return Found::quiet(k, s);
    }
    if let Some(r) = sp(m, "unable to bind listening socket for address '") {
        let addr = r.split('\'').next().unwrap_or("");
        let signal = Signal::FpmBindFailed {
            addr: addr.to_string(),
        };
        return Found::sig(k, s, signal, m);
    }
    if sw(m, "failed processes threshold") {
        return Found::sig(k, s, Signal::FpmEmergencyRestart, through(m, 0, ')'));
    }
    let config = match level {
        Some(Level::Error) => {
            sw(m, "[/")
                || sw(m, "FPM initialization failed")
                || sw(m, "failed to load configuration file")
                || sw(m, "failed to post process the configuration")
                || sw(m, "Unable to include")
                || sw(m, "Unable to globalize")
        }
        Some(Level::Alert) => !sw(m, "oops"),
        _ => false,
    };
    if config {
        return Found::sig(k, s, Signal::FpmConfigError, m.trim_end());
    }
    Found::quiet(k, s)
}

// ---------------------------------------------------------------- gunicorn

/// `[2024-01-15 10:23:45 +0000] [1201] [CRITICAL] WORKER TIMEOUT (pid:1288)`.
fn gunicorn(text: &str) -> Option<Found<'_>> {
    let b = text.as_bytes();
    if b.len() < 22 || b[5] != b'-' || b[8] != b'-' {
        return None;
    }
    let t = time::parse_iso(text.get(1..20)?)?;
    let close = text.find("] [")?;
    let rest = &text[close + 2..];
    // `[1201] `
    let pid_end = rest.find("] ")?;
    let master: Option<u32> = rest.get(1..pid_end).and_then(|p| p.parse().ok());
    let rest = rest.get(pid_end + 2..)?;
    let (level, msg) = match rest
        .strip_prefix('[')
        .and_then(|r| r.find("] ").map(|i| (r, i)))
    {
        Some((r, i)) => (level_word(&r[..i]), &r[i + 2..]),
        None => (None, rest),
    };
    let k = Kind::GunicornLog;
    let s = Source::Gunicorn;
    let f = if sw(msg, "WORKER TIMEOUT") {
        let pid = num_after(msg, "(pid:");
        Found::sig(k, s, Signal::GunicornWorkerTimeout, through(msg, 0, ')')).pid(pid.or(master))
    } else if sw(msg, "Worker (pid:") && msg.contains("SIGKILL") {
        let pid = num_after(msg, "(pid:");
        Found::sig(k, s, Signal::GunicornSigkill, msg.trim_end()).pid(pid.or(master))
    } else if let Some(r) = sp(msg, "Connection in use: ") {
        let port = trailing_port(r);
        Found::sig(k, s, Signal::AddrInUse { port }, msg.trim_end()).pid(master)
    } else if sw(msg, "Reason: Worker failed to boot") || sw(msg, "Reason: App failed to load") {
        Found::sig(k, s, Signal::GunicornBootFailed, msg.trim_end()).pid(master)
    } else if sw(msg, "Listening at: ") {
        loopback_listen(msg, k, s).unwrap_or_else(|| Found::quiet(k, s))
    } else {
        Found::quiet(k, s)
    };
    Some(f.at(Some(t)).level(level))
}

// ---------------------------------------------------------------- uWSGI

fn uwsgi_stars(text: &str) -> Option<Found<'_>> {
    let body = sp(text, "*** ")?;
    let k = Kind::UwsgiLog;
    let s = Source::Uwsgi;
    if sw(body, "HARAKIRI ON WORKER") {
        let pid = num_after(body, "(pid:");
        return Some(Found::sig(k, s, Signal::UwsgiHarakiri, through(body, 0, ')')).pid(pid));
    }
    if sw(body, "uWSGI listen queue of socket") {
        if let Some(i) = body.find(" full") {
            let mark = &body[..i + 5];
            return Some(Found::sig(k, s, Signal::UwsgiListenQueueFull, mark));
        }
    }
    if text.trim_end().ends_with("***") {
        return Some(Found::quiet(k, s));
    }
    None
}

/// `!!! uWSGI process 123 got Segmentation Fault !!!`
fn uwsgi_bang(text: &str) -> Option<Found<'_>> {
    let body = sp(text, "!!! ")?;
    if !sw(body, "uWSGI") && !sw(body, "no internal routing") {
        return None;
    }
    let k = Kind::UwsgiLog;
    let s = Source::Uwsgi;
    if body.contains("Segmentation Fault") {
        let pid = num_after(body, "process ");
        let signal = Signal::Segfault {
            comm: "uwsgi".into(),
        };
        return Some(Found::sig(k, s, signal, body.trim_end_matches([' ', '!'])).pid(pid));
    }
    Some(Found::quiet(k, s))
}

/// uWSGI lines that start with a word. `None` when not uWSGI.
fn uwsgi_word(text: &str) -> Option<Found<'_>> {
    let k = Kind::UwsgiLog;
    let s = Source::Uwsgi;
    if let Some(r) = sp(text, "invalid request block size: ") {
        let size = leading_num(r).unwrap_or(0);
        let max = num_after(r, "(max ").unwrap_or(0);
        let mark = through(text, 0, ')');
        return Some(Found::sig(k, s, Signal::UwsgiBlockSize { size, max }, mark));
    }
    if sw(text, "uwsgi_response_") {
        if let Some(i) = text.find("Broken pipe") {
            let request = text.find(" during ").and_then(|j| {
                let r = &text[j + 8..];
                let end = r.rfind(" (").unwrap_or(r.len());
                r.get(..end)
            });
            let mark = &text[..i + "Broken pipe".len()];
            return Some(Found::sig(k, s, Signal::UwsgiBrokenPipe, mark).request(request));
        }
        return Some(Found::quiet(k, s));
    }
    if let Some(r) = sp(
        text,
        "probably another instance of uWSGI is running on the same address",
    ) {
        let port = r
            .trim_end()
            .strip_suffix(").")
            .and_then(|a| trailing_port(&format!("{a})")));
        return Some(Found::sig(
            k,
            s,
            Signal::AddrInUse { port },
            text.trim_end(),
        ));
    }

    if has_prefix(UWSGI_QUIET, text) || (sw(text, "worker ") && text.contains(" buried")) {
        return Some(Found::quiet(k, s));
    }
    None
}

// ---------------------------------------------------------------- Node / pm2

/// A PHP-FPM slowlog frame: `[0x00007f3b2d414f20] curl_exec() /var/www/x.php:205`.
fn slow_frame(text: &str) -> Found<'_> {
    let rest = text.split_once("] ").map_or("", |(_, r)| r.trim());
    match rest.split_once("() ") {
        Some((function, at)) if !function.is_empty() && !at.trim().is_empty() => {
            let signal = Signal::FpmSlowFrame {
                function: function.to_string(),
                at: at.trim().to_string(),
            };
            let mark = &rest[..function.len() + 2];
            Found::sig(Kind::FpmLog, Source::PhpFpm, signal, mark)
        }
        _ => Found::quiet(Kind::FpmLog, Source::PhpFpm),
    }
}

/// Node lines starting with a word. `None` when not Node.
fn node_word(text: &str, hint: Hint) -> Option<Found<'_>> {
    let k = Kind::NodeLog;
    let s = Source::Node;
    if let Some(r) = text
        .strip_prefix("Error: ")
        .or_else(|| sp(text, "Uncaught Error: "))
        .or_else(|| sp(text, "[Error: "))
    {
        let offset = text.len() - r.len();
        if let Some(i) = r.find("EADDRINUSE") {
            let port = trailing_port(r.trim_end().trim_end_matches(']'));
            let mark = text[offset..].trim_end();
            let _ = i;
            return Some(Found::sig(k, s, Signal::AddrInUse { port }, mark));
        }
        // `EMFILE: too many open files`, `connect ECONNREFUSED 1.2.3.4:5432`, `spawn x ENOENT`
        for word in r.split_whitespace().take(3) {
            let w = word.trim_end_matches([':', ',']);
            if w.len() >= 4
                && w.starts_with('E')
                && w.bytes().all(|c| c.is_ascii_uppercase() || c == b'_')
            {
                let signal = Signal::NodeError {
                    code: w.to_string(),
                };
                return Some(Found::sig(k, s, signal, w));
            }
        }
        if sw(r, "Cannot find module") {
            let signal = Signal::NodeError {
                code: "MODULE_NOT_FOUND".into(),
            };
            return Some(Found::sig(k, s, signal, through(r, 0, '\'')));
        }
        return (hint == Hint::Node).then(|| Found::quiet(k, s));
    }
    if let Some(r) = sp(text, "FATAL ERROR: ") {
        if r.contains("heap out of memory") {
            return Some(Found::sig(k, s, Signal::NodeHeapOom, text.trim_end()));
        }
        return Some(Found::quiet(k, s));
    }

    if has_prefix(NODE_QUIET, text) {
        return Some(Found::quiet(k, s));
    }
    None
}

/// `(node:1234) UnhandledPromiseRejectionWarning: …`
fn node_warning(text: &str) -> Option<Found<'_>> {
    let r = sp(text, "(node:")?;
    leading_num::<u32>(r)?;
    Some(Found::quiet(Kind::NodeLog, Source::Node))
}

/// pm2 daemon messages (`PM2 | …` or `~/.pm2/pm2.log`).
fn pm2_message(text: &str) -> Option<Found<'_>> {
    let k = Kind::Pm2Logs;
    let s = Source::Pm2;
    let text = text
        .strip_prefix("PM2 log: ")
        .or_else(|| sp(text, "PM2 error: "))
        .unwrap_or(text);
    if let Some(r) = sp(text, "App [") {
        // `App [api:0] exited with code [1] via signal [SIGINT]`
        let close = r.find(']')?;
        let name = &r[..close];
        let app = name.rsplit_once(':').map(|(a, _)| a).unwrap_or(name);
        let after = &r[close + 1..];
        if sw(after, " exited with code") {
            let signal = after
                .find("via signal [")
                .and_then(|i| after[i + 12..].split(']').next())
                .unwrap_or("");
            let signal = Signal::Pm2Exited {
                app: app.to_string(),
                signal: signal.to_string(),
            };
            return Some(Found::sig(k, s, signal, text.trim_end()));
        }
        return Some(Found::quiet(k, s));
    }
    if let Some(r) = sp(text, "Script ") {
        if let Some(i) = r.find(" had too many unstable restarts") {
            let signal = Signal::Pm2UnstableRestarts {
                app: r[..i].to_string(),
            };
            return Some(Found::sig(k, s, signal, through(text, 0, ')')));
        }
        return None;
    }

    if has_prefix(PM2_QUIET, text) {
        return Some(Found::quiet(k, s));
    }
    None
}

/// `/home/deploy/.pm2/logs/api-error.log last 15 lines:`
fn pm2_banner(text: &str) -> Option<Found<'_>> {
    let t = text.trim_end();
    if t.ends_with(" lines:") && (t.contains("/.pm2/") || t.contains("/pm2/logs/")) {
        return Some(Found::quiet(Kind::Pm2Logs, Source::Pm2));
    }
    None
}

// ---------------------------------------------------------------- Ruby

/// What a Ruby exception class says about a failed start: a gem that is
/// not installed (or not the version the Gemfile.lock wants).
fn ruby_missing_gem(message: &str) -> bool {
    message.contains("GemNotFound")
        || message.contains("Gem::LoadError")
        || message.contains("Gem::MissingSpec")
        || message.contains("cannot load such file")
        || message.contains("in locally installed gems")
}

/// A Ruby exception as the interpreter prints it when it dies:
/// `/usr/local/lib/ruby/3.2.0/bundler/definition.rb:540:in `materialize':
/// Could not find pg-1.5.4 in locally installed gems (Bundler::GemNotFound)`.
/// Only the classes that mean a missing gem are taken; any other (such as
/// Puma's `(Errno::EADDRINUSE)`) is left to the later checks.
fn ruby_error(text: &str) -> Option<Found<'_>> {
    let t = text.trim_end();
    if !t.ends_with(')') {
        return None;
    }
    let open = t.rfind(" (")?;
    let at = t.find(".rb:").filter(|&a| a < open)?;
    let class = &t[open + 2..t.len() - 1];
    let missing = matches!(
        class,
        "Bundler::GemNotFound"
            | "Gem::LoadError"
            | "Gem::MissingSpecError"
            | "Gem::MissingSpecVersionError"
            | "Gem::ConflictError"
    ) || (class == "LoadError" && t.contains("cannot load such file"));
    if !missing {
        return None;
    }
    let from = t[at..open].find("': ").map_or(at, |i| at + i + 3);
    let signal = Signal::BootFailed {
        app: "ruby".into(),
        what: "missing_gem".into(),
    };
    Some(Found::sig(Kind::AppLog, Source::Other, signal, &t[from..]))
}

/// Puma's `! Unable to load application: NameError: uninitialized constant X`.
fn puma_bang(text: &str) -> Option<Found<'_>> {
    let msg = sp(text, "! Unable to load application")?;
    let what = if ruby_missing_gem(msg) {
        "missing_gem"
    } else {
        "load_error"
    };
    let signal = Signal::BootFailed {
        app: "puma".into(),
        what: what.into(),
    };
    Some(Found::sig(
        Kind::AppLog,
        Source::Other,
        signal,
        text[2..].trim_end(),
    ))
}

/// Rails' boot banner (`=> Booting Puma`, `=> Rails 7.1.3 application starting in production`).
fn rails_banner(text: &str) -> Option<Found<'_>> {
    (sw(text, "=> Booting ") || (sw(text, "=> Rails ") && text.contains(" application starting")))
        .then(|| Found::quiet(Kind::AppLog, Source::Other))
}

/// Ruby lines that start with a word: Bundler giving up on the server's
/// command, Rails refusing to start over a stale pid file, the exception
/// line of a `Gem::LoadError`, Puma's start banner.
fn ruby_word(text: &str) -> Option<Found<'_>> {
    let k = Kind::AppLog;
    let s = Source::Other;
    let boot = |app: &str, what: &str, mark| {
        let signal = Signal::BootFailed {
            app: app.into(),
            what: what.into(),
        };
        Some(Found::sig(k, s, signal, mark))
    };
    match text.as_bytes()[0] {
        b'b' if sw(text, "bundler: failed to load command: ") => {
            // `bundler: failed to load command: puma (/usr/local/bundle/bin/puma)`
            let cmd = &text["bundler: failed to load command: ".len()..];
            let end = cmd.find(" (").unwrap_or(cmd.len());
            // Bundler says this whatever made the command exit: the reason is
            // on the lines around it.
            boot(
                "bundler",
                "command",
                text[..text.len() - cmd.len() + end].trim_end(),
            )
        }
        b'A' if sw(text, "A server is already running") => {
            // Rails: `A server is already running. Check /app/tmp/pids/server.pid.`
            // (6.x) or `… running (pid: 1, file: /app/tmp/pids/server.pid).` (7.x)
            boot("rails", "stale_pid", text.trim_end())
        }
        b'G' | b'B' if sw(text, "Gem::LoadError: ") || sw(text, "Bundler::GemNotFound: ") => {
            boot("ruby", "missing_gem", text.trim_end())
        }
        b'P' if sw(text, "Puma starting in ") => Some(Found::quiet(k, s)),
        _ => None,
    }
}

// ---------------------------------------------------------------- Python

/// A Python exception line: `ValueError: x`, `django.db.utils.OperationalError: …`,
/// `MemoryError`. Returns the exception name.
fn python_exception_name(text: &str) -> Option<&str> {
    let n = text
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
        .count();
    let name = &text[..n];
    let after = &text[n..];
    if !(after.is_empty() || sw(after, ": ") || after == ":") {
        return None;
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    let ok_end = last.ends_with("Error") || last.ends_with("Exception");
    let first_upper = last.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
    (ok_end && first_upper && last.len() > "Error".len() && !name.ends_with('.')).then_some(name)
}

fn python_word(text: &str, hint: Hint) -> Option<Found<'_>> {
    let k = Kind::PythonTraceback;
    let s = Source::Python;
    if sw(text, "Traceback (most recent call last)")
        || sw(text, "During handling of the above exception")
        || sw(text, "The above exception was the direct cause")
    {
        return Some(Found::quiet(k, s));
    }
    let name = python_exception_name(text)?;
    if let Some(i) = text.find("[Errno 98]") {
        let port = text.find("address (").and_then(|j| {
            let r = &text[j + 8..];
            r.find(')').and_then(|e| trailing_port(&r[..=e]))
        });
        let mark = text[i..].trim_end();
        return Some(Found::sig(k, s, Signal::AddrInUse { port }, mark));
    }
    if hint == Hint::Node {
        // `TypeError: …` under pm2/node is JavaScript.
        return Some(Found::quiet(Kind::NodeLog, Source::Node));
    }
    let signal = Signal::PythonException {
        name: name.to_string(),
    };
    Some(Found::sig(k, s, signal, name))
}

// ---------------------------------------------------------------- indented lines

fn indented(text: &str) -> Option<Found<'_>> {
    let t = text.trim_start();
    if sw(t, "File \"") && t.contains("\", line ") {
        return Some(Found::quiet(Kind::PythonTraceback, Source::Python));
    }
    // ASP.NET Core's lifetime messages, indented under `info: Microsoft.Hosting.Lifetime[0]`.
    if sw(t, "Application started.")
        || sw(t, "Application is shutting down")
        || sw(t, "Hosting environment: ")
        || sw(t, "Content root path: ")
    {
        return Some(Found::quiet(Kind::AppLog, Source::Other));
    }
    if sw(t, "from ") && t.contains(".rb:") {
        // A Ruby backtrace frame: `\tfrom /usr/local/lib/ruby/3.2.0/bundler/runtime.rb:18:in `setup'`
        return Some(Found::quiet(Kind::AppLog, Source::Other));
    }
    if let Some(r) = sp(t, "at ") {
        // `at Server.setupListenHandle [as _listen2] (node:net:1817:16)`, `at /srv/x.js:1:2`
        let ok = (r.contains('(') && r.ends_with(')')) || r.contains(".js:") || r.contains("node:");
        if ok {
            return Some(Found::quiet(Kind::NodeLog, Source::Node));
        }
        return None;
    }

    // V8's native stack after a fatal error: ` 1: 0xb7f1a0 node::Abort() [node]`
    let n = t.bytes().take_while(u8::is_ascii_digit).count();
    let native = n > 0 && t.get(n..).is_some_and(|r| sw(r, ": 0x"));
    if native || has_prefix(NODE_INDENTED, t) {
        return Some(Found::quiet(Kind::NodeLog, Source::Node));
    }
    None
}

// ---------------------------------------------------------------- separators

fn dashes(text: &str) -> Option<Found<'_>> {
    let t = text.trim_end();
    if t == "----" {
        return Some(Found::quiet(Kind::AuditLog, Source::Audit));
    }
    // journalctl: `-- Boot 3c5e… --`, `-- No entries --`, `-- Logs begin at … --`
    if sw(t, "-- ") && t.ends_with(" --") {
        return Some(Found::quiet(Kind::Journal, Source::Systemd));
    }
    None
}

fn angle(text: &str) -> Option<Found<'_>> {
    let t = text.trim_end();
    if t == "<no matches>" {
        return Some(Found::quiet(Kind::AuditLog, Source::Audit));
    }
    if sw(t, "<--- ") && t.ends_with(" --->") {
        // Node `<--- Last few GCs --->`, `<--- JS stacktrace --->`
        return Some(Found::quiet(Kind::NodeLog, Source::Node));
    }
    None
}

// ---------------------------------------------------------------- lines starting with a digit

fn numeric(text: &str, hint: Hint) -> Option<Found<'_>> {
    // pm2.log `2024-01-15T10:23:45: PM2 log: App [api:0] …`
    let (t, rest) = iso_colon_prefix(text);
    if t.is_some() {
        if sw(rest, "PM2 ") {
            return Some(
                pm2_message(rest)
                    .unwrap_or_else(|| Found::quiet(Kind::Pm2Logs, Source::Pm2))
                    .at(t),
            );
        }
        return content(rest, hint).map(|f| f.at(t));
    }
    go_log(text, hint)
}

/// Go `log` lines `2024/01/15 10:23:45 grpc: …` (optionally `.123456`);
/// nginx's own lines (`… [error] …`) were taken before this runs.
fn go_log(text: &str, hint: Hint) -> Option<Found<'_>> {
    let b = text.as_bytes();
    if b.len() < 21 || b[4] != b'/' || b[7] != b'/' || b[10] != b' ' || b[13] != b':' {
        return None;
    }
    let t = time::parse_nginx(text.get(..19)?)?;
    let rest = text.get(19..)?;
    let rest = rest
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit())
        .trim_start();
    // The message itself may be one we know (`listen tcp :8080: bind:
    // address already in use`); any other Go `log` line is an application's
    // line without a signal.
    let f = grpc_message(rest)
        .or_else(|| content(rest, hint))
        .unwrap_or_else(|| Found::quiet(Kind::AppLog, Source::Other));
    Some(f.at(Some(t)))
}

fn grpc_message(msg: &str) -> Option<Found<'_>> {
    let i = msg.find("bogus greeting")?;
    let start = msg[..i]
        .rfind("received ")
        .filter(|&j| i - j <= 9)
        .unwrap_or(i);
    let end = msg[i..]
        .find(" from client")
        .map(|e| i + e + 12)
        .unwrap_or(i + 14);
    let mark = msg.get(start..end).unwrap_or(&msg[i..i + 14]);
    Some(Found::sig(
        Kind::AppLog,
        Source::Other,
        Signal::GrpcBogusGreeting,
        mark,
    ))
}

/// Last resort for lines nobody took: grpc-go's greeting error inside any
/// wrapper (`WARNING: 2024/… [core] grpc: …`, JSON logs).
fn grpc_anywhere(text: &str) -> Option<Found<'_>> {
    static GREETING: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    GREETING
        .get_or_init(|| memmem::Finder::new("bogus greeting"))
        .find(text.as_bytes())?;
    let b = text.as_bytes();
    let t = b
        .windows(20)
        .position(|w| {
            w[4] == b'/' && w[7] == b'/' && w[10] == b' ' && w[13] == b':' && w[0].is_ascii_digit()
        })
        .and_then(|i| time::parse_nginx(text.get(i..i + 19)?));
    grpc_message(text).map(|f| f.at(t))
}

// ---------------------------------------------------------------- lines starting with a letter

fn word(text: &str, hint: Hint) -> Option<Found<'_>> {
    let first = text.as_bytes()[0];
    match first {
        b't' => {
            if sw(text, "type=") {
                return audit_record(text, None);
            }
            if sw(text, "time->") {
                return Some(Found::quiet(Kind::AuditLog, Source::Audit));
            }
            if sw(text, "traps: ") {
                return Some(kernel_message(text, None));
            }
        }
        b'a' if sw(text, "audit: type=") || sw(text, "audit(") => {
            return audit_record(text, None);
        }
        b'S' => {
            if sw(text, "SELinux is preventing ") {
                return Some(setroubleshoot(text));
            }
            if sw(text, "Script ") {
                return pm2_message(text);
            }
        }
        b'A' if sw(text, "App [") => return pm2_message(text),
        b'P' if sw(text, "PM2 log: ") || sw(text, "PM2 error: ") => {
            return pm2_message(text).or_else(|| Some(Found::quiet(Kind::Pm2Logs, Source::Pm2)));
        }
        b'O' | b'M' | b'K' | b'o' if is_oom_line(text) => return Some(kernel_message(text, None)),
        _ => {}
    }
    if hint == Hint::Kernel {
        return Some(kernel_message(text, None));
    }
    // FPM writing to stderr without its date (some images' log_prefix or
    // a copied excerpt): `WARNING: [pool www] child 41 exited on signal 11 …`.
    if let Some(colon) = text.get(..9).and_then(|h| h.find(": ")) {
        if let Some(level) = level_word(&text[..colon]) {
            let msg = &text[colon + 2..];
            if sw(msg, "[pool ") || sw(msg, "pid ") {
                return Some(fpm_message(msg, Some(level)).level(Some(level)));
            }
        }
    }
    if sw(text, "script_filename = ") {
        // FPM slowlog entry, after its `[date]  [pool www] pid N` header
        return Some(Found::quiet(Kind::FpmLog, Source::PhpFpm));
    }
    if let Some(f) = uwsgi_word(text) {
        return Some(f);
    }
    if let Some(f) = ruby_word(text) {
        return Some(f);
    }
    if let Some(f) = dotnet_header(text) {
        return Some(f);
    }
    if let Some(f) = node_word(text, hint) {
        return Some(f);
    }
    if let Some(f) = uvicorn(text) {
        return Some(f);
    }
    if let Some(f) = python_word(text, hint) {
        return Some(f);
    }
    if let Some(f) = ctime_prefixed(text, hint) {
        return Some(f);
    }
    if sw(text, "grpc: ") {
        return grpc_message(text);
    }
    // `node invoked oom-killer: gfp_mask=…` (first word is the comm)
    if let Some(space) = memchr::memchr(b' ', text.as_bytes()) {
        if sw(&text[space + 1..], "invoked oom-killer:") {
            return Some(kernel_message(text, None));
        }
    }
    None
}

/// Tomcat's AJP connector given HTTP (`… SEVERE [ajp-nio-127.0.0.1-8009-exec-4]
/// org.apache.coyote.ajp.AjpMessage.processHeader Invalid message received
/// with signature [18245]`), anywhere in a line.
fn ajp_signature(text: &str) -> Option<Found<'_>> {
    static FINDER: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    const PHRASE: &str = "Invalid message received with signature [";
    let at = FINDER
        .get_or_init(|| memmem::Finder::new(PHRASE))
        .find(text.as_bytes())?;
    let rest = &text[at + PHRASE.len()..];
    let n = rest.bytes().take_while(u8::is_ascii_digit).count();
    let signature = rest[..n].parse().ok()?;
    let end = at + PHRASE.len() + n + usize::from(rest[n..].starts_with(']'));
    Some(Found::sig(
        Kind::AppLog,
        Source::Other,
        Signal::AjpBadSignature { signature },
        &text[at..end],
    ))
}

/// App servers without a parser of their own that say their port is taken:
/// Spring Boot `Web server failed to start. Port 8080 was already in use.`,
/// Puma/Ruby `Address already in use - bind(2) for "0.0.0.0" port 3000 (Errno::EADDRINUSE)`,
/// Go `listen tcp :8080: bind: address already in use`.
fn other_addr_in_use(text: &str) -> Option<Found<'_>> {
    let k = Kind::AppLog;
    let s = Source::Other;
    if let Some(r) = text.strip_prefix("Web server failed to start. Port ") {
        let port = r.split(' ').next().and_then(|p| p.parse().ok());
        if r.contains("already in use") {
            return Some(Found::sig(
                k,
                s,
                Signal::AddrInUse { port },
                text.trim_end(),
            ));
        }
    }
    if let Some(i) = text.find("Address already in use - bind(2) for ") {
        let r = &text[i..];
        let port = r
            .find(" port ")
            .and_then(|j| r[j + 6..].split([' ', '(']).next())
            .and_then(|p| p.parse().ok());
        let mark = r.split(" (Errno").next().unwrap_or(r);
        return Some(Found::sig(k, s, Signal::AddrInUse { port }, mark));
    }
    // Apache: `(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80`
    if let Some(i) = text.find("AH00072: make_sock: could not bind to address ") {
        let addr = text[i + "AH00072: make_sock: could not bind to address ".len()..].trim_end();
        let port = addr.rsplit_once(':').and_then(|(_, p)| p.parse().ok());
        return Some(Found::sig(
            k,
            s,
            Signal::AddrInUse { port },
            text.trim_end(),
        ));
    }
    if let Some(r) = text.strip_prefix("listen tcp ") {
        if let Some(addr) = r.strip_suffix(": bind: address already in use") {
            let port = trailing_port(addr);
            return Some(Found::sig(
                k,
                s,
                Signal::AddrInUse { port },
                text.trim_end(),
            ));
        }
    }
    None
}

/// uWSGI `log-date`: `Mon Jan 15 10:23:40 2024 - message`.
fn ctime_prefixed(text: &str, hint: Hint) -> Option<Found<'_>> {
    let (t, len) = parse_ctime(text)?;
    let rest = text.get(len..)?.strip_prefix(" - ")?;
    content(rest, hint).map(|f| f.at(Some(t)))
}

/// uvicorn `ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use`.
fn uvicorn(text: &str) -> Option<Found<'_>> {
    let n = text
        .bytes()
        .take(9)
        .take_while(u8::is_ascii_uppercase)
        .count();
    if text.as_bytes().get(n) != Some(&b':') {
        return None;
    }
    let (lvl, rest) = (&text[..n], &text[n + 1..]);
    let level = level_word(lvl)?;
    let msg = rest.trim_start();
    if msg.len() == rest.len() {
        return None;
    }
    if sw(msg, "Uvicorn running on ") {
        return loopback_listen(msg, Kind::AppLog, Source::Python).map(|f| f.level(Some(level)));
    }
    if sw(msg, "Error loading ASGI app") {
        // `Error loading ASGI app. Could not import module "main".`: uvicorn exits.
        let signal = Signal::BootFailed {
            app: "uvicorn".into(),
            what: "import".into(),
        };
        let f = Found::sig(Kind::AppLog, Source::Python, signal, msg.trim_end());
        return Some(f.level(Some(level)));
    }
    let i = msg.find("[Errno 98]")?;
    let port = msg.find("address (").and_then(|j| {
        let r = &msg[j + 8..];
        r.find(')').and_then(|e| trailing_port(&r[..=e]))
    });
    let f = Found::sig(
        Kind::AppLog,
        Source::Python,
        Signal::AddrInUse { port },
        msg[i..].trim_end(),
    );
    Some(f.level(Some(level)))
}

// ---------------------------------------------------------------- kernel

fn is_oom_line(t: &str) -> bool {
    sw(t, "Out of memory")
        || sw(t, "Memory cgroup out of memory")
        || sw(t, "Killed process ")
        || sw(t, "oom-kill:")
        || sw(t, "oom_reaper:")
}

/// A kernel message (prefix removed). Always a kernel line.
fn kernel_message(msg: &str, t: Option<i64>) -> Found<'_> {
    let k = Kind::KernelLog;
    let s = Source::Kernel;
    let f = kernel_signal(msg).unwrap_or_else(|| Found::quiet(k, s));
    f.at(t)
}

fn kernel_signal(msg: &str) -> Option<Found<'_>> {
    let k = Kind::KernelLog;
    let s = Source::Kernel;
    // `[ 8123.4] ` inside a journald/syslog kernel line
    if msg.starts_with('[') {
        if let Some(f) = dmesg_mono(msg) {
            return f.sig.is_some().then_some(f).or(Some(Found::quiet(k, s)));
        }
    }
    let first = *msg.as_bytes().first()?;
    match first {
        b'O' | b'M' | b'K'
            if sw(msg, "Out of memory")
                || sw(msg, "Memory cgroup out of memory")
                || sw(msg, "Killed process ") =>
        {
            // `Out of memory: Killed process 2345 (node) …`,
            // `Memory cgroup out of memory: Killed process …`, old follow-up `Killed process …`.
            let i = msg.find("Killed process ")?;
            let head = &msg[..i];
            if !(head.is_empty()
                || head.ends_with("out of memory: ")
                || head.ends_with("Out of memory: "))
            {
                return None;
            }
            let r = &msg[i + 15..];
            let pid: u32 = leading_num(r)?;
            let comm = r
                .find(" (")
                .and_then(|j| r[j + 2..].split(')').next())
                .unwrap_or("");
            let mark = through(msg, i, ')');
            let signal = Signal::OomKilled {
                pid,
                comm: comm.to_string(),
            };
            return Some(Found::sig(k, s, signal, mark).pid(Some(pid)));
        }
        b'a' if sw(msg, "audit: ") || sw(msg, "audit(") => {
            return audit_record(msg, Some(Kind::KernelLog));
        }
        _ => {}
    }
    // `php-fpm8.1[26045]: segfault at 18 ip … error 4 in php-fpm8.1[…]`
    static SEGV: OnceLock<memmem::Finder<'static>> = OnceLock::new();
    let segv = SEGV.get_or_init(|| memmem::Finder::new("]: segfault at "));
    if let Some(i) = segv.find(msg.as_bytes()) {
        return Some(segfault(msg, &msg[..i], i + 1));
    }
    // `traps: node[1234] general protection fault ip:…`
    if let Some(r) = sp(msg, "traps: ") {
        if let Some(i) = r.find("] general protection") {
            let off = msg.len() - r.len();
            return Some(segfault(msg, &r[..i], off + i + 1));
        }
    }
    None
}

/// `head` is `comm[pid`; the mark runs from the comm to `mark_end`'s word.
fn segfault<'a>(msg: &'a str, head: &'a str, after_bracket: usize) -> Found<'a> {
    let (comm, pid) = match head.rfind('[') {
        Some(j) => (&head[..j], head[j + 1..].parse().ok()),
        None => (head, None),
    };
    let comm_start = span(msg, head).map(|(a, _)| a).unwrap_or(0);
    let rest = &msg[after_bracket..];
    let word_end = rest
        .trim_start_matches(": ")
        .find(" at ")
        .or_else(|| rest.find(" fault").map(|e| e + 6))
        .map(|e| after_bracket + (rest.len() - rest.trim_start_matches(": ").len()) + e)
        .unwrap_or(after_bracket);
    let mark = msg
        .get(comm_start..word_end.max(after_bracket))
        .unwrap_or(head);
    let signal = Signal::Segfault {
        comm: comm.trim().to_string(),
    };
    Found::sig(Kind::KernelLog, Source::Kernel, signal, mark).pid(pid)
}

// ---------------------------------------------------------------- audit

/// `type=AVC msg=audit(1705314225.412:1893): avc:  denied  { name_connect } for …`
/// or the kernel's `audit: type=1400 audit(…): avc:  denied …`.
fn audit_record(text: &str, kind: Option<Kind>) -> Option<Found<'_>> {
    let k = kind.unwrap_or(Kind::AuditLog);
    let s = Source::Audit;
    let i = text.find("audit(")?;
    let epoch: Option<i64> = leading_num(&text[i + 6..]);
    let is_avc = sw(text, "type=AVC ") || sw(text, "audit: type=1400 ") || sw(text, "audit(");
    if !is_avc {
        if sw(text, "type=") || sw(text, "audit: ") {
            return Some(Found::quiet(k, s).at(epoch));
        }
        return None;
    }
    let Some(a) = text.find("avc:") else {
        return Some(Found::quiet(k, s).at(epoch));
    };
    let body = &text[a + 4..];
    if !body.trim_start().starts_with("denied") {
        return Some(Found::quiet(k, s).at(epoch));
    }
    let perm = body
        .find('{')
        .and_then(|o| body[o + 1..].split('}').next())
        .map(str::trim)
        .unwrap_or("");
    let tclass = kv(body, " tclass=").unwrap_or("");
    let permissive = kv(body, " permissive=") == Some("1");
    let comm = kv(body, " comm=")
        .map(|c| c.trim_matches('"'))
        .unwrap_or("");
    let pid = kv(body, " pid=").and_then(|p| p.parse().ok());
    let mark = through(text, a, '}');
    let signal = Signal::AvcDenied {
        perm: perm.to_string(),
        tclass: tclass.to_string(),
        permissive,
        comm: comm.to_string(),
    };
    Some(Found::sig(k, s, signal, mark).pid(pid).at(epoch))
}

/// Value of ` key=value` (up to the next space).
fn kv<'a>(s: &'a str, key: &str) -> Option<&'a str> {
    let i = s.find(key)? + key.len();
    let r = &s[i..];
    if let Some(q) = r.strip_prefix('"') {
        let e = q.find('"')?;
        return Some(&r[..e + 2]);
    }
    Some(r.split([' ', '\'']).next().unwrap_or(r))
}

/// setroubleshoot: `SELinux is preventing /usr/sbin/nginx from name_connect access on the tcp_socket port 3000.`
fn setroubleshoot(text: &str) -> Found<'_> {
    let k = Kind::AuditLog;
    let s = Source::Audit;
    let r = &text["SELinux is preventing ".len()..];
    let parsed = (|| {
        let from = r.find(" from ")?;
        let exe = &r[..from];
        let r2 = &r[from + 6..];
        let acc = r2.find(" access on the ")?;
        let perm = &r2[..acc];
        let tclass = r2[acc + 15..].split([' ', '.']).next()?;
        let comm = exe.rsplit('/').next().unwrap_or(exe);
        let end = text.len() - r2.len() + acc + 15 + tclass.len();
        Some((perm, tclass, comm, end))
    })();
    match parsed {
        Some((perm, tclass, comm, end)) => {
            let signal = Signal::AvcDenied {
                perm: perm.replace(", ", " "),
                tclass: tclass.to_string(),
                permissive: false,
                comm: comm.to_string(),
            };
            Found::sig(k, s, signal, &text[..end])
        }
        None => Found::quiet(k, s),
    }
}

// ---------------------------------------------------------------- systemd

/// systemd's own lines (ident `systemd`): `X.service: Failed with result 'exit-code'.`
fn systemd_line(text: &str) -> Option<Found<'_>> {
    let k = Kind::Journal;
    let s = Source::Systemd;
    if let Some(r) = sp(text, "Unit ") {
        if let Some(i) = r.find(" entered failed state") {
            let unit = unit_name(&r[..i]);
            let signal = Signal::UnitFailed {
                unit: unit.to_string(),
                result: "failed".into(),
            };
            return Some(Found::sig(
                k,
                s,
                signal,
                text.trim_end().trim_end_matches('.'),
            ));
        }
        return Some(Found::quiet(k, s));
    }
    let colon = text.find(": ")?;
    let unit = &text[..colon];
    if unit.contains(' ') || !unit.contains('.') {
        return Some(Found::quiet(k, s));
    }
    let msg = &text[colon + 2..];
    if let Some(r) = sp(msg, "Failed with result '") {
        let result = r.split('\'').next().unwrap_or("");
        let signal = Signal::UnitFailed {
            unit: unit_name(unit).to_string(),
            result: result.to_string(),
        };
        let mark = through(msg, 0, '.');
        return Some(Found::sig(k, s, signal, mark));
    }
    if sw(
        msg,
        "A process of this unit has been killed by the OOM killer",
    ) {
        let signal = Signal::UnitOomKill {
            unit: unit_name(unit).to_string(),
        };
        return Some(Found::sig(k, s, signal, msg.trim_end()));
    }
    Some(Found::quiet(k, s))
}

fn unit_name(u: &str) -> &str {
    u.strip_suffix(".service").unwrap_or(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(ident: Option<&str>, pm2: Option<&str>) -> Wrapper {
        Wrapper {
            ident: ident.map(str::to_string),
            pm2: pm2.map(str::to_string),
            ..Wrapper::default()
        }
    }

    fn parse(text: &str) -> Option<(Kind, Option<Event>)> {
        parse_line(7, text, &Wrapper::default())
    }

    fn marked(ev: &Event) -> &str {
        let (a, b) = ev.mark.expect("mark");
        &ev.text[a..b]
    }

    /// line → (kind, signal, marked fragment)
    fn check(
        text: &str,
        wrapper: &Wrapper,
        kind: Kind,
        signal: Option<Signal>,
        mark: Option<&str>,
    ) {
        let (k, ev) =
            parse_line(7, text, wrapper).unwrap_or_else(|| panic!("not recognised: {text}"));
        assert_eq!(k, kind, "{text}");
        assert_eq!(ev.as_ref().map(|e| e.key.signal.clone()), signal, "{text}");
        if let (Some(ev), Some(m)) = (&ev, mark) {
            assert_eq!(marked(ev), m, "{text}");
            assert_eq!(ev.line, 7);
        }
    }

    #[test]
    fn fpm_lines() {
        let none = Wrapper::default();
        let pool = || "www".to_string();
        let cases: Vec<(&str, Kind, Option<Signal>, Option<&str>)> = vec![
            (
                "[15-Jan-2024 10:23:41] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it",
                Kind::FpmLog,
                Some(Signal::FpmMaxChildren { pool: pool(), limit: 5 }),
                Some("server reached pm.max_children setting (5)"),
            ),
            (
                "[15-Jan-2024 10:23:41] WARNING: [pool api] server reached max_children setting (12), consider raising it",
                Kind::FpmLog,
                Some(Signal::FpmMaxChildren { pool: "api".into(), limit: 12 }),
                Some("server reached max_children setting (12)"),
            ),
            (
                "[15-Jan-2024 10:23:40] WARNING: [pool www] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning 8 children, there are 0 idle, and 4 total children",
                Kind::FpmLog,
                Some(Signal::FpmSeemsBusy { pool: pool() }),
                Some("seems busy"),
            ),
            (
                "[15-Jan-2024 10:23:41] WARNING: [pool www] child 2345, script '/var/www/html/index.php' (request: \"GET /index.php\") execution timed out (300.000521 sec), terminating",
                Kind::FpmLog,
                Some(Signal::FpmExecTimedOut { pool: pool() }),
                Some("execution timed out (300.000521 sec)"),
            ),
            (
                "[14-Feb-2024 09:30:11] WARNING: [pool www] Connection disallowed: IP address '172.20.0.4' has been dropped.",
                Kind::FpmLog,
                Some(Signal::FpmClientDropped { ip: "172.20.0.4".into() }),
                Some("Connection disallowed"),
            ),
            (
                "[15-Jan-2024 10:23:41] WARNING: [pool www] child 2345, script '/var/www/html/report.php' (request: \"POST /report.php\") executing too slow (5.104321 sec), logging",
                Kind::FpmLog,
                Some(Signal::FpmSlowRequest { pool: pool() }),
                Some("executing too slow (5.104321 sec)"),
            ),
            (
                // log_level = debug: the process and C function come first
                "[04-Jan-2016 20:49:43.599789] WARNING: pid 23055, fpm_children_bury(), line 252: [pool www] child 23173 exited on signal 11 (SIGSEGV) after 363.538588 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 11 }),
                Some("exited on signal 11 (SIGSEGV)"),
            ),
            (
                // stderr without the date
                "WARNING: [pool www] child 2663814 exited on signal 11 (SIGSEGV - core dumped) after 1109.895754 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 11 }),
                Some("exited on signal 11 (SIGSEGV - core dumped)"),
            ),
            ("NOTICE: [pool www] child 2690905 started", Kind::FpmLog, None, None),
            (
                "[15-Jan-2024 10:23:45] WARNING: [pool www] child 26045 exited on signal 11 (SIGSEGV) after 82.764425 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 11 }),
                Some("exited on signal 11 (SIGSEGV)"),
            ),
            (
                "[15-Jan-2024 10:23:45] WARNING: [pool www] child 26046 exited on signal 11 (SIGSEGV - core dumped) after 3.120311 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 11 }),
                Some("exited on signal 11 (SIGSEGV - core dumped)"),
            ),
            (
                "[15-Jan-2024 10:23:45] WARNING: [pool www] child 26047 exited on signal 7 (SIGBUS) after 1.5 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 7 }),
                None,
            ),
            (
                "[15-Jan-2024 10:23:45] WARNING: [pool www] child 3456 exited on signal 9 (SIGKILL) after 12.345678 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 9 }),
                None,
            ),
            (
                "[15-Jan-2024 10:23:45] WARNING: [pool www] child 3457 exited on signal 15 (SIGTERM) after 300.1 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildSignal { signal: 15 }),
                None,
            ),
            (
                "[15-Jan-2024 10:23:45] WARNING: [pool www] child 3458 exited with code 255 after 0.5 seconds from start",
                Kind::FpmLog,
                Some(Signal::FpmChildExited { code: 255 }),
                Some("exited with code 255"),
            ),
            (
                "[15-Jan-2024 10:23:45] NOTICE: [pool www] child 3459 exited with code 0 after 120.1 seconds from start",
                Kind::FpmLog,
                None,
                None,
            ),
            (
                "[15-Jan-2024 10:23:45] NOTICE: [pool www] child 26079 started",
                Kind::FpmLog,
                None,
                None,
            ),
            (
                "[15-Jan-2024 10:20:11] ERROR: unable to bind listening socket for address '127.0.0.1:9000': Address already in use (98)",
                Kind::FpmLog,
                Some(Signal::FpmBindFailed { addr: "127.0.0.1:9000".into() }),
                Some("unable to bind listening socket for address '127.0.0.1:9000': Address already in use (98)"),
            ),
            (
                "[15-Jan-2024 10:20:11] ERROR: [/etc/php/8.1/fpm/pool.d/www.conf:23] value is NULL for a ZEND_INI_PARSER_ENTRY",
                Kind::FpmLog,
                Some(Signal::FpmConfigError),
                Some("[/etc/php/8.1/fpm/pool.d/www.conf:23] value is NULL for a ZEND_INI_PARSER_ENTRY"),
            ),
            (
                "[15-Jan-2024 10:20:11] ERROR: FPM initialization failed",
                Kind::FpmLog,
                Some(Signal::FpmConfigError),
                Some("FPM initialization failed"),
            ),
            ("[15-Jan-2024 10:20:11] NOTICE: fpm is running, pid 790", Kind::FpmLog, None, None),
            ("[15-Jan-2024 10:20:11] NOTICE: ready to handle connections", Kind::FpmLog, None, None),
            (
                "[15-Jan-2024 10:23:41.123456] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it",
                Kind::FpmLog,
                Some(Signal::FpmMaxChildren { pool: pool(), limit: 5 }),
                None,
            ),
            (
                "[15-Jan-2024 10:24:00] WARNING: failed processes threshold (10 in 60 sec) is reached, initiating reload",
                Kind::FpmLog,
                Some(Signal::FpmEmergencyRestart),
                Some("failed processes threshold (10 in 60 sec)"),
            ),
            ("[15-Jan-2024 10:23:41]  [pool www] pid 2345", Kind::FpmLog, None, None),
            (
                "[0x00007f8b2c813e40] curl_exec() /var/www/html/api.php:42",
                Kind::FpmLog,
                Some(Signal::FpmSlowFrame { function: "curl_exec".into(), at: "/var/www/html/api.php:42".into() }),
                Some("curl_exec()"),
            ),
            ("[0x00007f8b2c813e40] ???", Kind::FpmLog, None, None),
        ];
        for (line, kind, sig, mark) in cases {
            check(line, &none, kind, sig, mark);
        }
    }

    #[test]
    fn fpm_event_fields() {
        let (_, ev) = parse("[15-Jan-2024 10:23:41] WARNING: [pool www] child 2345, script '/var/www/html/index.php' (request: \"GET /index.php\") execution timed out (300.000521 sec), terminating").unwrap();
        let ev = ev.unwrap();
        assert_eq!(ev.pid, Some(2345));
        assert_eq!(ev.request.as_deref(), Some("GET /index.php"));
        assert_eq!(ev.time, Some(1_705_314_221));
        assert_eq!(ev.level, Some(Level::Warn));
        assert_eq!(ev.key.source, Source::PhpFpm);
        let (_, ev) = parse("[15-Jan-2024 10:23:45] WARNING: [pool www] child 26045 exited on signal 11 (SIGSEGV) after 82.76 seconds from start").unwrap();
        assert_eq!(ev.unwrap().pid, Some(26045));
    }

    #[test]
    fn fpm_through_journald() {
        let j = w(Some("php-fpm8.1"), None);
        check(
            "[15-Jan-2024 10:23:41] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it",
            &j,
            Kind::FpmLog,
            Some(Signal::FpmMaxChildren { pool: "www".into(), limit: 5 }),
            None,
        );
        check(
            "[WARNING] [pool www] server reached pm.max_children setting (5), consider raising it",
            &j,
            Kind::FpmLog,
            Some(Signal::FpmMaxChildren {
                pool: "www".into(),
                limit: 5,
            }),
            Some("server reached pm.max_children setting (5)"),
        );
        check(
            "[NOTICE] fpm is running, pid 790",
            &j,
            Kind::FpmLog,
            None,
            None,
        );
        check("something the pool printed", &j, Kind::FpmLog, None, None);
        // without the ident, `[NOTICE] text` is nobody's
        assert!(parse("[NOTICE] fpm is running, pid 790").is_none());
        // but a pool line is recognisable on its own
        check(
            "[WARNING] [pool www] seems busy (you may need…)",
            &Wrapper::default(),
            Kind::FpmLog,
            Some(Signal::FpmSeemsBusy { pool: "www".into() }),
            None,
        );
    }

    #[test]
    fn loopback_binds() {
        let none = Wrapper::default();
        let compose = Wrapper {
            container: Some("web-1".into()),
            ..Wrapper::default()
        };
        let lb = |host: &str, port: u16, in_container: bool| {
            Some(Signal::AppBoundLoopback {
                host: host.into(),
                port,
                in_container,
            })
        };
        check(
            "INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)",
            &compose,
            Kind::AppLog,
            lb("127.0.0.1", 8000, true),
            Some("Uvicorn running on http://127.0.0.1:8000"),
        );
        check(
            " * Running on http://127.0.0.1:5000",
            &none,
            Kind::AppLog,
            lb("127.0.0.1", 5000, false),
            Some("Running on http://127.0.0.1:5000"),
        );
        check(
            "Starting development server at http://127.0.0.1:8000/",
            &none,
            Kind::AppLog,
            lb("127.0.0.1", 8000, false),
            None,
        );
        check(
            "* Listening on http://[::1]:3000",
            &none,
            Kind::AppLog,
            lb("::1", 3000, false),
            None,
        );
        check(
            " * Running on http://0.0.0.0:5000",
            &none,
            Kind::AppLog,
            Some(Signal::AppListening {
                host: "*".into(),
                port: 5000,
                in_container: false,
            }),
            Some("Running on http://0.0.0.0:5000"),
        );
        // Another host's address is not this app's listener.
        assert!(parse_line(1, " * Running on http://10.0.0.5:5000", &none)
            .is_none_or(|(_, ev)| ev.is_none()));
        assert!(parse_line(1, "Running on the cheap", &none).is_none());
    }

    #[test]
    fn tomcat_ajp_given_http() {
        check(
            "21-Feb-2024 13:05:51.208 SEVERE [ajp-nio-127.0.0.1-8009-exec-4] org.apache.coyote.ajp.AjpMessage.processHeader Invalid message received with signature [18245]",
            &Wrapper::default(),
            Kind::AppLog,
            Some(Signal::AjpBadSignature { signature: 18245 }),
            Some("Invalid message received with signature [18245]"),
        );
    }

    #[test]
    fn other_servers_port_in_use() {
        let none = Wrapper::default();
        check(
            "Web server failed to start. Port 8080 was already in use.",
            &none,
            Kind::AppLog,
            Some(Signal::AddrInUse { port: Some(8080) }),
            None,
        );
        check(
            "/usr/local/bundle/gems/puma-6.4.0/lib/puma/binder.rb:334:in `initialize': Address already in use - bind(2) for \"0.0.0.0\" port 3000 (Errno::EADDRINUSE)",
            &none,
            Kind::AppLog,
            Some(Signal::AddrInUse { port: Some(3000) }),
            Some("Address already in use - bind(2) for \"0.0.0.0\" port 3000"),
        );
        check(
            "(98)Address already in use: AH00072: make_sock: could not bind to address [::]:80",
            &none,
            Kind::AppLog,
            Some(Signal::AddrInUse { port: Some(80) }),
            None,
        );
        check(
            "listen tcp :8080: bind: address already in use",
            &none,
            Kind::AppLog,
            Some(Signal::AddrInUse { port: Some(8080) }),
            None,
        );
    }

    #[test]
    fn gunicorn_lines() {
        let none = Wrapper::default();
        let cases: Vec<(&str, Option<Signal>, Option<&str>)> = vec![
            (
                "[2024-01-15 10:23:45 +0000] [1201] [CRITICAL] WORKER TIMEOUT (pid:1288)",
                Some(Signal::GunicornWorkerTimeout),
                Some("WORKER TIMEOUT (pid:1288)"),
            ),
            (
                "[2024-01-15 10:23:46 +0000] [1201] [ERROR] Worker (pid:1288) was sent SIGKILL! Perhaps out of memory?",
                Some(Signal::GunicornSigkill),
                Some("Worker (pid:1288) was sent SIGKILL! Perhaps out of memory?"),
            ),
            (
                "[2024-01-15 10:23:46 +0000] [1201] [ERROR] Connection in use: ('0.0.0.0', 8000)",
                Some(Signal::AddrInUse { port: Some(8000) }),
                Some("Connection in use: ('0.0.0.0', 8000)"),
            ),
            (
                "[2024-01-15 10:23:46 +0000] [1201] [INFO] Reason: Worker failed to boot.",
                Some(Signal::GunicornBootFailed),
                None,
            ),
            ("[2024-01-15 10:23:46 +0000] [1302] [INFO] Booting worker with pid: 1302", None, None),
            ("[2024-01-15 10:23:45 +0000] [1288] [INFO] Worker exiting (pid: 1288)", None, None),
            (
                "[2024-01-15 10:20:00 +0000] [1201] [INFO] Listening at: http://127.0.0.1:8000 (1201)",
                Some(Signal::AppBoundLoopback { host: "127.0.0.1".into(), port: 8000, in_container: false }),
                Some("Listening at: http://127.0.0.1:8000"),
            ),
            // Every interface: a listener on any address.
            (
                "[2024-01-15 10:20:00 +0000] [1201] [INFO] Listening at: http://0.0.0.0:8000 (1201)",
                Some(Signal::AppListening { host: "*".into(), port: 8000, in_container: false }),
                Some("Listening at: http://0.0.0.0:8000"),
            ),
            ("[2024-01-15 10:20:00 +0000] [1201] [ERROR] Can't connect to ('0.0.0.0', 8000)", None, None),
        ];
        for (line, sig, mark) in cases {
            check(line, &none, Kind::GunicornLog, sig, mark);
        }
        let (_, ev) =
            parse("[2024-01-15 10:23:45 +0000] [1201] [CRITICAL] WORKER TIMEOUT (pid:1288)")
                .unwrap();
        let ev = ev.unwrap();
        assert_eq!(ev.pid, Some(1288));
        assert_eq!(ev.time, Some(1_705_314_225));
        assert_eq!(ev.level, Some(Level::Crit));
    }

    #[test]
    fn uwsgi_lines() {
        let none = Wrapper::default();
        let cases: Vec<(&str, Option<Signal>, Option<&str>)> = vec![
            (
                "invalid request block size: 21573 (max 4096)...skip",
                Some(Signal::UwsgiBlockSize { size: 21573, max: 4096 }),
                Some("invalid request block size: 21573 (max 4096)"),
            ),
            (
                "*** HARAKIRI ON WORKER 2 (pid: 12345, try: 1) ***",
                Some(Signal::UwsgiHarakiri),
                Some("HARAKIRI ON WORKER 2 (pid: 12345, try: 1)"),
            ),
            (
                "*** uWSGI listen queue of socket \"127.0.0.1:8000\" (fd: 3) full !!! (101/100) ***",
                Some(Signal::UwsgiListenQueueFull),
                Some("uWSGI listen queue of socket \"127.0.0.1:8000\" (fd: 3) full"),
            ),
            (
                "uwsgi_response_writev_headers_and_body_do(): Broken pipe [core/writer.c line 306] during GET /slow (127.0.0.1)",
                Some(Signal::UwsgiBrokenPipe),
                Some("uwsgi_response_writev_headers_and_body_do(): Broken pipe"),
            ),
            ("*** Starting uWSGI 2.0.21 (64bit) on [Mon Jan 15 10:20:00 2024] ***", None, None),
            (
                "probably another instance of uWSGI is running on the same address (127.0.0.1:8000).",
                Some(Signal::AddrInUse { port: Some(8000) }),
                None,
            ),
            ("bind(): Address already in use [core/socket.c line 769]", None, None),
            ("spawned uWSGI worker 1 (pid: 12346, cores: 1)", None, None),
            ("[pid: 12346|app: 0|req: 1/1] 127.0.0.1 () {34 vars in 456 bytes} [Mon Jan 15 10:23:40 2024] GET / => generated 12 bytes in 3 msecs (HTTP/1.1 200) 2 headers in 79 bytes (1 switches on core 0)", None, None),
            ("!!! uWSGI process 12346 got Segmentation Fault !!!", Some(Signal::Segfault { comm: "uwsgi".into() }), None),
        ];
        for (line, sig, mark) in cases {
            check(line, &none, Kind::UwsgiLog, sig, mark);
        }
        let (_, ev) = parse("*** HARAKIRI ON WORKER 2 (pid: 12345, try: 1) ***").unwrap();
        assert_eq!(ev.unwrap().pid, Some(12345));
        let (_, ev) = parse("uwsgi_response_writev_headers_and_body_do(): Broken pipe [core/writer.c line 306] during GET /slow (127.0.0.1)").unwrap();
        assert_eq!(ev.unwrap().request.as_deref(), Some("GET /slow"));
        // log-date prefix
        let (k, ev) =
            parse("Mon Jan 15 10:23:45 2024 - *** HARAKIRI ON WORKER 1 (pid: 777, try: 1) ***")
                .unwrap();
        assert_eq!(k, Kind::UwsgiLog);
        assert_eq!(ev.unwrap().time, Some(1_705_314_225));
    }

    #[test]
    fn node_and_pm2_lines() {
        let none = Wrapper::default();
        let cases: Vec<(&str, Kind, Option<Signal>, Option<&str>)> = vec![
            (
                "Error: listen EADDRINUSE: address already in use :::3000",
                Kind::NodeLog,
                Some(Signal::AddrInUse { port: Some(3000) }),
                Some("listen EADDRINUSE: address already in use :::3000"),
            ),
            ("Error: listen EADDRINUSE :::3000", Kind::NodeLog, Some(Signal::AddrInUse { port: Some(3000) }), None),
            (
                "Error: listen EADDRINUSE: address already in use 127.0.0.1:3000",
                Kind::NodeLog,
                Some(Signal::AddrInUse { port: Some(3000) }),
                None,
            ),
            (
                "Error: EMFILE: too many open files, open '/srv/api/data.json'",
                Kind::NodeLog,
                Some(Signal::NodeError { code: "EMFILE".into() }),
                Some("EMFILE"),
            ),
            (
                "Error: connect ECONNREFUSED 127.0.0.1:5432",
                Kind::NodeLog,
                Some(Signal::NodeError { code: "ECONNREFUSED".into() }),
                Some("ECONNREFUSED"),
            ),
            (
                "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
                Kind::NodeLog,
                Some(Signal::NodeHeapOom),
                Some("FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"),
            ),
            ("    at Server.setupListenHandle [as _listen2] (node:net:1817:16)", Kind::NodeLog, None, None),
            ("  code: 'EADDRINUSE',", Kind::NodeLog, None, None),
            ("Emitted 'error' event on Server instance at:", Kind::NodeLog, None, None),
            ("<--- Last few GCs --->", Kind::NodeLog, None, None),
            ("[2345:0x5d3c2a0]    12345 ms: Mark-Compact 2045.1 (2082.3) -> 2044.6 (2083.3) MB", Kind::NodeLog, None, None),
            ("Node.js v20.11.0", Kind::NodeLog, None, None),
            (
                "App [api:0] exited with code [1] via signal [SIGINT]",
                Kind::Pm2Logs,
                Some(Signal::Pm2Exited { app: "api".into(), signal: "SIGINT".into() }),
                Some("App [api:0] exited with code [1] via signal [SIGINT]"),
            ),
            (
                "Script /srv/api/server.js had too many unstable restarts (16). Stopped. \"errored\"",
                Kind::Pm2Logs,
                Some(Signal::Pm2UnstableRestarts { app: "/srv/api/server.js".into() }),
                Some("Script /srv/api/server.js had too many unstable restarts (16)"),
            ),
            ("[TAILING] Tailing last 15 lines for [api] process (change the value with --lines option)", Kind::Pm2Logs, None, None),
            ("/home/deploy/.pm2/logs/api-error.log last 15 lines:", Kind::Pm2Logs, None, None),
        ];
        for (line, kind, sig, mark) in cases {
            check(line, &none, kind, sig, mark);
        }
        // a plain `Error:` line is only Node's when something says so
        assert!(parse("Error: something went wrong").is_none());
        let app = w(None, Some("0|api"));
        let daemon = w(None, Some("PM2"));
        check(
            "Error: listen EADDRINUSE: address already in use :::3000",
            &app,
            Kind::Pm2Logs,
            Some(Signal::AddrInUse { port: Some(3000) }),
            None,
        );
        check(
            "Error: something went wrong",
            &app,
            Kind::Pm2Logs,
            None,
            None,
        );
        check(
            "TypeError: Cannot read properties of undefined (reading 'id')",
            &app,
            Kind::Pm2Logs,
            None,
            None,
        );
        check(
            "Server listening on http://127.0.0.1:3000",
            &app,
            Kind::Pm2Logs,
            Some(Signal::AppBoundLoopback {
                host: "127.0.0.1".into(),
                port: 3000,
                in_container: false,
            }),
            Some("Server listening on http://127.0.0.1:3000"),
        );
        check(
            "App [api:0] exited with code [0] via signal [SIGKILL]",
            &daemon,
            Kind::Pm2Logs,
            Some(Signal::Pm2Exited {
                app: "api".into(),
                signal: "SIGKILL".into(),
            }),
            None,
        );
        check(
            "App [api:0] starting in -fork mode-",
            &daemon,
            Kind::Pm2Logs,
            None,
            None,
        );
        let (_, ev) = parse_line(
            1,
            "2024-01-15T10:23:45: App [api:0] exited with code [1] via signal [SIGINT]",
            &daemon,
        )
        .unwrap();
        let ev = ev.unwrap();
        assert_eq!(ev.time, Some(1_705_314_225));
        assert_eq!(ev.key.source, Source::Pm2);
        check(
            "2024-01-15T10:23:45: PM2 log: App [api:0] online",
            &none,
            Kind::Pm2Logs,
            None,
            None,
        );
    }

    #[test]
    fn ruby_and_uvicorn_start_failures() {
        let none = Wrapper::default();
        let boot = |app: &str, what: &str| {
            Some(Signal::BootFailed {
                app: app.into(),
                what: what.into(),
            })
        };
        check(
            "bundler: failed to load command: puma (/usr/local/bundle/bin/puma)",
            &none,
            Kind::AppLog,
            boot("bundler", "command"),
            Some("bundler: failed to load command: puma"),
        );
        check(
            "/usr/local/lib/ruby/3.2.0/bundler/definition.rb:540:in `materialize': Could not find pg-1.5.4 in locally installed gems (Bundler::GemNotFound)",
            &none,
            Kind::AppLog,
            boot("ruby", "missing_gem"),
            Some("Could not find pg-1.5.4 in locally installed gems (Bundler::GemNotFound)"),
        );
        check(
            "/app/vendor/bundle/ruby/3.4.0/gems/bootsnap-1.18.3/lib/bootsnap.rb:12:in 'Kernel#require': cannot load such file -- bootsnap/setup (LoadError)",
            &none,
            Kind::AppLog,
            boot("ruby", "missing_gem"),
            Some("cannot load such file -- bootsnap/setup (LoadError)"),
        );
        check(
            "! Unable to load application: NameError: uninitialized constant Api::V2::OrdersController",
            &none,
            Kind::AppLog,
            boot("puma", "load_error"),
            Some("Unable to load application: NameError: uninitialized constant Api::V2::OrdersController"),
        );
        check(
            "! Unable to load application: Bundler::GemNotFound: Could not find rake-13.1.0 in locally installed gems",
            &none,
            Kind::AppLog,
            boot("puma", "missing_gem"),
            None,
        );
        check(
            "A server is already running (pid: 1, file: /rails/tmp/pids/server.pid).",
            &none,
            Kind::AppLog,
            boot("rails", "stale_pid"),
            None,
        );
        check(
            "ERROR:    Error loading ASGI app. Could not import module \"main\".",
            &none,
            Kind::AppLog,
            boot("uvicorn", "import"),
            Some("Error loading ASGI app. Could not import module \"main\"."),
        );
        check("=> Booting Puma", &none, Kind::AppLog, None, None);
        check(
            "\tfrom /usr/local/lib/ruby/3.2.0/bundler/runtime.rb:18:in `setup'",
            &none,
            Kind::AppLog,
            None,
            None,
        );
        // Puma's port taken stays a port_in_use signal.
        check(
            "/srv/app/vendor/bundle/ruby/3.1.0/gems/puma-6.4.0/lib/puma/binder.rb:334:in `initialize': Address already in use - bind(2) for \"0.0.0.0\" port 3000 (Errno::EADDRINUSE)",
            &none,
            Kind::AppLog,
            Some(Signal::AddrInUse { port: Some(3000) }),
            None,
        );
        // Other Ruby exceptions, and look-alikes, are not start failures.
        for t in [
            "/srv/app/app/models/user.rb:3:in `name': undefined method `x' (NoMethodError)",
            "! Unable to connect",
            "=> Booting",
            "A server is running fine",
        ] {
            let got = parse_line(1, t, &none).and_then(|(_, e)| e);
            assert!(
                !matches!(got.map(|e| e.key.signal), Some(Signal::BootFailed { .. })),
                "{t}"
            );
        }
    }

    #[test]
    fn kestrel_listening_lines() {
        let none = Wrapper::default();
        let listening = |host: &str, port| {
            Some(Signal::AppListening {
                host: host.into(),
                port,
                in_container: false,
            })
        };
        check(
            "      Now listening on: http://[::]:8080",
            &none,
            Kind::AppLog,
            listening("::", 8080),
            Some("Now listening on: http://[::]:8080"),
        );
        check(
            "info: Microsoft.Hosting.Lifetime[14] Now listening on: http://localhost:5000",
            &none,
            Kind::AppLog,
            listening("localhost", 5000),
            None,
        );
        check(
            "{\"EventId\":14,\"LogLevel\":\"Information\",\"Category\":\"Microsoft.Hosting.Lifetime\",\"Message\":\"Now listening on: http://[::]:80\"}",
            &none,
            Kind::AppLog,
            listening("::", 80),
            None,
        );
        check(
            "      Now listening on: https://+:7001",
            &none,
            Kind::AppLog,
            listening("*", 7001),
            None,
        );
        check(
            "info: Microsoft.Hosting.Lifetime[0]",
            &none,
            Kind::AppLog,
            None,
            None,
        );
        check(
            "fail: Microsoft.AspNetCore.Server.Kestrel[13]",
            &none,
            Kind::AppLog,
            None,
            None,
        );
        check(
            "Server listening on port 3001",
            &none,
            Kind::AppLog,
            listening("*", 3001),
            Some("listening on port 3001"),
        );
        check(
            "2024-03-01 10:00:02.118  INFO 1 --- [main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port(s): 8081 (http) with context path ''",
            &none,
            Kind::AppLog,
            listening("*", 8081),
            Some("started on port(s): 8081"),
        );
        check(
            "App is running on port 5000.",
            &none,
            Kind::AppLog,
            listening("*", 5000),
            None,
        );
        for t in [
            "info: x[1]",
            "Connecting to redis on port 6379",
            "Identify and stop the process that's listening on port 8080 or configure this application to listen on another port.",
            "Error: something is already running on port 3000",
            "still listening on port number 80",
            "listening on port 3000abc",
            "restarting on port 0",
            "Now listening on: nothing",
            "Now listening on: http://host:notaport",
            "Now listening on: ",
            "Now listening on: http://\\u002B:80",
        ] {
            let got = parse_line(1, t, &none).and_then(|(_, e)| e);
            assert!(
                !matches!(got.map(|e| e.key.signal), Some(Signal::AppListening { .. })),
                "{t}"
            );
        }
    }

    #[test]
    fn apache_child_crashes() {
        let none = Wrapper::default();
        let crashed = |signal| {
            Some(Signal::WorkerCrashed {
                server: "apache".into(),
                signal,
            })
        };
        check(
            "[Mon Nov 18 16:42:07.912344 2024] [core:notice] [pid 1187:tid 140321886746496] AH00052: child pid 30412 exit signal Segmentation fault (11)",
            &none,
            Kind::AppLog,
            crashed(11),
            Some("child pid 30412 exit signal Segmentation fault (11)"),
        );
        check(
            "[Tue Feb 27 09:15:33.120558 2024] [core:notice] [pid 1022] AH00051: child pid 8841 exit signal Aborted (6), possible coredump in /etc/httpd",
            &none,
            Kind::AppLog,
            crashed(6),
            Some("child pid 8841 exit signal Aborted (6)"),
        );
        // Apache 2.2: no microseconds, no module.
        check(
            "[Sun Mar 03 10:00:01 2013] [notice] child pid 4242 exit signal Segmentation fault (11)",
            &none,
            Kind::AppLog,
            crashed(11),
            None,
        );
        check(
            "[Mon Nov 18 16:45:02.337190 2024] [mpm_prefork:notice] [pid 1187] AH00169: caught SIGTERM, shutting down",
            &none,
            Kind::AppLog,
            None,
            None,
        );
        let (_, ev) = parse_line(3, "[Mon Nov 18 16:42:07.912344 2024] [core:notice] [pid 1] AH00052: child pid 2 exit signal Segmentation fault (11)", &none).unwrap();
        let ev = ev.unwrap();
        assert_eq!(ev.pid, Some(2));
        assert!(ev.time.is_some());
        // dmesg -T lines stay kernel lines.
        let (k, _) = parse_line(
            1,
            "[Mon Jan 15 10:23:45 2024] Out of memory: Killed process 123 (node)",
            &none,
        )
        .unwrap();
        assert_eq!(k, Kind::KernelLog);
        for t in [
            "[Mon Nov 18 16:42:07.9",
            "[Mé] [x",
            "[Mon Nov 18 16:42:07.912344 2024] [",
            "[Mon Nov 18 16:42:07.912344 2024] [core:notice",
        ] {
            let _ = parse_line(1, t, &none);
        }
    }

    #[test]
    fn body_limit_refusals() {
        let none = Wrapper::default();
        let too_large = |server: &str| {
            Some(Signal::BodyTooLarge {
                server: server.into(),
            })
        };
        check(
            "      Microsoft.AspNetCore.Server.Kestrel.Core.BadHttpRequestException: Request body too large. The max request body size is 30000000 bytes.",
            &none,
            Kind::AppLog,
            too_large("kestrel"),
            Some("Request body too large. The max request body size is 30000000 bytes."),
        );
        check(
            "2024-03-19T15:04:27.311Z  WARN 2210 --- [nio-8080-exec-7] .m.m.a.ExceptionHandlerExceptionResolver : Resolved [org.springframework.web.multipart.MaxUploadSizeExceededException: Maximum upload size exceeded]",
            &none,
            Kind::AppLog,
            too_large("spring"),
            Some("org.springframework.web.multipart.MaxUploadSizeExceededException: Maximum upload size exceeded"),
        );
        check(
            "Caused by: org.apache.tomcat.util.http.fileupload.impl.FileSizeLimitExceededException: The field file exceeds its maximum permitted size of 1048576 bytes.",
            &none,
            Kind::AppLog,
            too_large("tomcat"),
            None,
        );
        for t in [
            "java.util.concurrent.TimeoutExceededException: x",
            "ExceededException",
            "Request body too",
        ] {
            let got = parse_line(1, t, &none).and_then(|(_, e)| e);
            assert!(
                !matches!(got.map(|e| e.key.signal), Some(Signal::BodyTooLarge { .. })),
                "{t}"
            );
        }
    }

    #[test]
    fn python_lines() {
        let none = Wrapper::default();
        let cases: Vec<(&str, Option<Signal>, Option<&str>)> = vec![
            ("Traceback (most recent call last):", None, None),
            (
                "  File \"/srv/app/app.py\", line 12, in <module>",
                None,
                None,
            ),
            (
                "ModuleNotFoundError: No module named 'flask'",
                Some(Signal::PythonException {
                    name: "ModuleNotFoundError".into(),
                }),
                Some("ModuleNotFoundError"),
            ),
            (
                "django.db.utils.OperationalError: could not connect to server",
                Some(Signal::PythonException {
                    name: "django.db.utils.OperationalError".into(),
                }),
                None,
            ),
            (
                "OSError: [Errno 98] Address already in use",
                Some(Signal::AddrInUse { port: None }),
                Some("[Errno 98] Address already in use"),
            ),
            (
                "MemoryError",
                Some(Signal::PythonException {
                    name: "MemoryError".into(),
                }),
                None,
            ),
        ];
        for (line, sig, mark) in cases {
            check(line, &none, Kind::PythonTraceback, sig, mark);
        }
        check(
            "ERROR:    [Errno 98] error while attempting to bind on address ('127.0.0.1', 8000): address already in use",
            &none,
            Kind::AppLog,
            Some(Signal::AddrInUse { port: Some(8000) }),
            None,
        );
        for s in [
            "Note: this is not an exception",
            "Error: x",
            "Errors: 3",
            "ValueErrorish: x",
        ] {
            assert!(parse(s).map(|(_, e)| e.is_none()).unwrap_or(true), "{s}");
        }
    }

    #[test]
    fn kernel_lines() {
        let none = Wrapper::default();
        let oom = |pid: u32, comm: &str| {
            Some(Signal::OomKilled {
                pid,
                comm: comm.into(),
            })
        };
        let cases: Vec<(&str, Option<Signal>, Option<&str>)> = vec![
            (
                "[Mon Jan 15 10:23:40 2024] Out of memory: Killed process 2345 (node) total-vm:2716044kB, anon-rss:1601236kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:4060kB oom_score_adj:0",
                oom(2345, "node"),
                Some("Killed process 2345 (node)"),
            ),
            (
                "[ 8123.456789] Memory cgroup out of memory: Killed process 3456 (php-fpm8.1) total-vm:512340kB, anon-rss:251228kB, file-rss:10412kB",
                oom(3456, "php-fpm8.1"),
                None,
            ),
            ("[ 8123.456789] Out of memory: Kill process 2345 (node) score 912 or sacrifice child", None, None),
            ("[ 8123.456800] Killed process 2345 (node) total-vm:2716044kB, anon-rss:1601236kB", oom(2345, "node"), None),
            ("[Mon Jan 15 10:23:40 2024] node invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0", None, None),
            ("[Mon Jan 15 10:23:40 2024] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/myapp.service,task=node,pid=2345,uid=1000", None, None),
            (
                "[ 9001.000001] php-fpm8.1[26045]: segfault at 18 ip 000055d0c1a8d839 sp 00007ffd9460e130 error 4 in php-fpm8.1[55d0c1800000+323000]",
                Some(Signal::Segfault { comm: "php-fpm8.1".into() }),
                Some("php-fpm8.1[26045]: segfault"),
            ),
            ("[    0.000000] Linux version 6.1.0-17-amd64", None, None),
            ("Out of memory: Killed process 2345 (node) total-vm:2716044kB", oom(2345, "node"), None),
            ("node invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP)", None, None),
        ];
        for (line, sig, mark) in cases {
            check(line, &none, Kind::KernelLog, sig, mark);
        }
        let (_, ev) = parse(
            "[Mon Jan 15 10:23:40 2024] Out of memory: Killed process 2345 (node) total-vm:1kB",
        )
        .unwrap();
        let ev = ev.unwrap();
        assert_eq!(ev.time, Some(1_705_314_220));
        assert_eq!(ev.pid, Some(2345));
        assert_eq!(
            parse("[ 8123.456800] Killed process 2345 (node)")
                .unwrap()
                .1
                .unwrap()
                .time,
            None
        );
        let k = w(Some("kernel"), None);
        check(
            "Out of memory: Killed process 2345 (node) total-vm:1kB",
            &k,
            Kind::KernelLog,
            oom(2345, "node"),
            None,
        );
        check("php-fpm8.1[26045]: segfault at 18 ip 000055d0c1a8d839 sp 00007ffd9460e130 error 4 in php-fpm8.1[55d0c1800000+323000]", &k, Kind::KernelLog, Some(Signal::Segfault { comm: "php-fpm8.1".into() }), None);
        check(
            "[ 8123.456789] Out of memory: Killed process 2345 (node)",
            &k,
            Kind::KernelLog,
            oom(2345, "node"),
            None,
        );
        check(
            "traps: node[1234] general protection fault ip:55d0 sp:7ffd error:0 in node[55d0+1000]",
            &k,
            Kind::KernelLog,
            Some(Signal::Segfault {
                comm: "node".into(),
            }),
            Some("node[1234] general protection fault"),
        );
        check("eth0: link up", &k, Kind::KernelLog, None, None);
    }

    #[test]
    fn audit_lines() {
        let none = Wrapper::default();
        let avc = |perm: &str, tclass: &str, permissive: bool, comm: &str| {
            Some(Signal::AvcDenied {
                perm: perm.into(),
                tclass: tclass.into(),
                permissive,
                comm: comm.into(),
            })
        };
        let cases: Vec<(&str, Option<Signal>, Option<&str>)> = vec![
            (
                "type=AVC msg=audit(1705314225.412:1893): avc:  denied  { name_connect } for  pid=1234 comm=\"nginx\" dest=3000 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:ntop_port_t:s0 tclass=tcp_socket permissive=0",
                avc("name_connect", "tcp_socket", false, "nginx"),
                Some("avc:  denied  { name_connect }"),
            ),
            (
                "type=AVC msg=audit(1705314225.512:1894): avc:  denied  { write } for  pid=1234 comm=\"nginx\" name=\"app.sock\" dev=\"tmpfs\" ino=48213 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:var_run_t:s0 tclass=sock_file permissive=1",
                avc("write", "sock_file", true, "nginx"),
                None,
            ),
            (
                "type=AVC msg=audit(1705314225.513:1895): avc:  denied  { connectto } for  pid=1234 comm=\"nginx\" path=\"/run/app/app.sock\" scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:system_r:unconfined_service_t:s0 tclass=unix_stream_socket permissive=0",
                avc("connectto", "unix_stream_socket", false, "nginx"),
                None,
            ),
            ("type=SYSCALL msg=audit(1705314225.412:1893): arch=c000003e syscall=42 success=no exit=-13 comm=\"nginx\"", None, None),
            ("type=PROCTITLE msg=audit(1705314225.412:1893): proctitle=6E67696E78", None, None),
            ("----", None, None),
            ("time->Mon Jan 15 10:23:45 2024", None, None),
            ("<no matches>", None, None),
            (
                "SELinux is preventing /usr/sbin/nginx from name_connect access on the tcp_socket port 3000.",
                avc("name_connect", "tcp_socket", false, "nginx"),
                Some("SELinux is preventing /usr/sbin/nginx from name_connect access on the tcp_socket"),
            ),
        ];
        for (line, sig, mark) in cases {
            check(line, &none, Kind::AuditLog, sig, mark);
        }
        let (_, ev) = parse("type=AVC msg=audit(1705314225.412:1893): avc:  denied  { name_connect } for  pid=1234 comm=\"nginx\" dest=3000 tclass=tcp_socket permissive=0").unwrap();
        let ev = ev.unwrap();
        assert_eq!(ev.time, Some(1_705_314_225));
        assert_eq!(ev.pid, Some(1234));
        assert_eq!(ev.key.source, Source::Audit);
        // kernel ring-buffer form through journald
        check(
            "audit: type=1400 audit(1705314225.412:1893): avc:  denied  { name_connect } for  pid=1234 comm=\"nginx\" dest=3000 tclass=tcp_socket permissive=0",
            &w(Some("kernel"), None),
            Kind::KernelLog,
            avc("name_connect", "tcp_socket", false, "nginx"),
            None,
        );
    }

    #[test]
    fn systemd_lines() {
        let sd = w(Some("systemd"), None);
        let cases: Vec<(&str, Option<Signal>, Option<&str>)> = vec![
            (
                "php8.1-fpm.service: Main process exited, code=exited, status=78/CONFIG",
                None,
                None,
            ),
            (
                "php8.1-fpm.service: Failed with result 'exit-code'.",
                Some(Signal::UnitFailed {
                    unit: "php8.1-fpm".into(),
                    result: "exit-code".into(),
                }),
                Some("Failed with result 'exit-code'."),
            ),
            (
                "myapp.service: A process of this unit has been killed by the OOM killer.",
                Some(Signal::UnitOomKill {
                    unit: "myapp".into(),
                }),
                Some("A process of this unit has been killed by the OOM killer."),
            ),
            (
                "myapp.service: Failed with result 'oom-kill'.",
                Some(Signal::UnitFailed {
                    unit: "myapp".into(),
                    result: "oom-kill".into(),
                }),
                None,
            ),
            (
                "gunicorn.service: Start request repeated too quickly.",
                None,
                None,
            ),
            ("Started The PHP 8.1 FastCGI Process Manager.", None, None),
            ("Stopped gunicorn daemon.", None, None),
            (
                "Unit php-fpm.service entered failed state.",
                Some(Signal::UnitFailed {
                    unit: "php-fpm".into(),
                    result: "failed".into(),
                }),
                None,
            ),
        ];
        for (line, sig, mark) in cases {
            check(line, &sd, Kind::Journal, sig, mark);
        }
        // other idents: routed by content, else a plain journal line
        check(
            "[2024-01-15 10:23:45 +0000] [1201] [CRITICAL] WORKER TIMEOUT (pid:1288)",
            &w(Some("gunicorn"), None),
            Kind::GunicornLog,
            Some(Signal::GunicornWorkerTimeout),
            None,
        );
        check(
            "Accepted publickey for deploy",
            &w(Some("sshd"), None),
            Kind::Journal,
            None,
            None,
        );
        check(
            "invalid request block size: 21573 (max 4096)...skip",
            &w(Some("uwsgi"), None),
            Kind::UwsgiLog,
            Some(Signal::UwsgiBlockSize {
                size: 21573,
                max: 4096,
            }),
            None,
        );
        check(
            "hello from the app",
            &w(Some("gunicorn"), None),
            Kind::GunicornLog,
            None,
            None,
        );
        check(
            "-- Boot 3c5e1f2a9b8d4e0f --",
            &Wrapper::default(),
            Kind::Journal,
            None,
            None,
        );
    }

    #[test]
    fn journald_iso_stamp_gives_time() {
        let wr = Wrapper {
            ident: Some("systemd".into()),
            stamp: Some("2024-01-15T10:25:02+0000".into()),
            ..Wrapper::default()
        };
        let (_, ev) = parse_line(
            1,
            "php8.1-fpm.service: Failed with result 'exit-code'.",
            &wr,
        )
        .unwrap();
        assert_eq!(ev.unwrap().time, Some(1_705_314_302));
        let wr = Wrapper {
            ident: Some("systemd".into()),
            stamp: Some("Jan 15 10:25:02".into()),
            ..Wrapper::default()
        };
        let (_, ev) = parse_line(
            1,
            "php8.1-fpm.service: Failed with result 'exit-code'.",
            &wr,
        )
        .unwrap();
        assert_eq!(ev.unwrap().time, None);
    }

    #[test]
    fn grpc_lines() {
        let line = "2024/01/15 10:23:45 grpc: Server.Serve failed to create ServerTransport:  connection error: desc = \"transport: http2Server.HandleStreams received bogus greeting from client: \\\"GET / HTTP/1.1\\\\r\\\\nHost: \\\"\"";
        check(
            line,
            &Wrapper::default(),
            Kind::AppLog,
            Some(Signal::GrpcBogusGreeting),
            Some("received bogus greeting from client"),
        );
        assert_eq!(parse(line).unwrap().1.unwrap().time, Some(1_705_314_225));
        let line = "WARNING: 2024/01/15 10:23:45 [core] grpc: Server.Serve failed to create ServerTransport: connection error: desc = \"transport: http2Server.HandleStreams received bogus greeting from client: \\\"GET / HTTP/1.1\\\"\"";
        check(
            line,
            &Wrapper::default(),
            Kind::AppLog,
            Some(Signal::GrpcBogusGreeting),
            None,
        );
        assert_eq!(parse(line).unwrap().1.unwrap().time, Some(1_705_314_225));
    }

    #[test]
    fn not_ours() {
        for s in [
            "server {",
            "    listen 80;",
            "location / {",
            "pm.max_children = 5",
            "[www]",
            "listen = /run/php/php8.1-fpm.sock",
            "LISTEN 0 511 127.0.0.1:3000 0.0.0.0:* users:((\"node\",pid=1,fd=2))",
            "srw-rw---- 1 www-data www-data 0 Jan 15 10:00 php8.1-fpm.sock",
            "● php8.1-fpm.service - The PHP 8.1 FastCGI Process Manager",
            "     Active: failed (Result: exit-code) since Mon 2024-01-15 10:20:11 UTC; 3min ago",
            "HTTP/1.1 502 Bad Gateway",
            "Hello",
            "---",
            "",
            "[",
            "[1",
            "[ ",
            "*",
            "[15-Jan-2024",
            "[2024-01-15 10:2",
        ] {
            assert!(parse(s).is_none(), "{s:?}");
        }
    }

    #[test]
    fn never_panics_on_odd_input() {
        let samples = [
            "[15-Jan-2024 10:23:41] WARNING: [pool www] child ",
            "[15-Jan-2024 10:23:41] WARNING: [pool www",
            "[15-Jan-2024 10:23:41] WARNING: [pool www] server reached pm.max_children setting (",
            "[2024-01-15 10:23:45 +0000] [",
            "[2024-01-15 10:23:45 +0000] [1] [",
            "*** HARAKIRI ON WORKER",
            "invalid request block size: ",
            "Error: listen EADDRINUSE",
            "App [",
            "App [api",
            "Script  had too many unstable restarts",
            "type=AVC msg=audit(",
            "type=AVC msg=audit(1.1:1): avc:  denied  {",
            "audit: type=1400 audit(",
            "[Mon Jan 15 10:23:40 2024]",
            "[Mon Jan  5 10:23:40 2024] x",
            "[ 1.0]",
            "Killed process ",
            "Out of memory: Killed process x (",
            "x[1]: segfault at ",
            "]: segfault at ",
            "traps: ] general protection",
            "SELinux is preventing ",
            "SELinux is preventing x from  access on the ",
            "OSError: [Errno 98] address (",
            "ERROR: [Errno 98] address ('x', 1",
            "bogus greeting",
            "probably another instance of uWSGI is running on the same address",
            "uwsgi_response_ Broken pipe during ",
            "2024-01-15T10:23:45: ",
            "Mon Jan 15 10:23:40 2024 - ",
            "é[ü] ∂ bogus greeting ü",
            "[é",
            "[1é",
            "[Mé",
        ];
        for wr in [
            Wrapper::default(),
            w(Some("kernel"), None),
            w(Some("systemd"), None),
            w(None, Some("PM2")),
            w(None, Some("0|api")),
        ] {
            for s in samples {
                for cut in 0..=s.len() {
                    if let Some(p) = s.get(..cut) {
                        let _ = parse_line(1, p, &wr);
                    }
                }
            }
        }
        // marks are char-boundary ranges inside the text
        let (_, ev) = parse("é[ü] ∂ bogus greeting ü").unwrap();
        let ev = ev.unwrap();
        let (a, b) = ev.mark.unwrap();
        assert!(ev.text.get(a..b).is_some());
    }

    #[test]
    fn prefix_tables_are_searchable() {
        for table in [UWSGI_QUIET, NODE_QUIET, PM2_QUIET, NODE_INDENTED] {
            for pair in table.windows(2) {
                assert!(pair[0] < pair[1], "not sorted: {pair:?}");
            }
            for a in table {
                for b in table {
                    assert!(a == b || !b.starts_with(a), "{a:?} is a prefix of {b:?}");
                }
                assert!(has_prefix(table, &format!("{a}xyz")), "{a}");
            }
        }
        assert!(!has_prefix(UWSGI_QUIET, "zzz"));
        assert!(!has_prefix(UWSGI_QUIET, ""));
    }

    #[test]
    fn ctime() {
        assert_eq!(
            parse_ctime("Mon Jan 15 10:23:40 2024").map(|x| x.0),
            Some(1_705_314_220)
        );
        assert_eq!(
            parse_ctime("Fri Jan  5 10:23:40 2024").map(|x| x.1),
            Some(24)
        );
        assert_eq!(parse_ctime("Mon Foo 15 10:23:40 2024"), None);
    }
}
