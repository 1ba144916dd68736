//! nginx error.log lines.
//!
//! Layout: `2024/01/15 10:23:45 [error] 1234#1234: *5678 <message>[ (errno: text)][ while <action>][, client: …, server: …, request: "…", upstream: "…", host: "…"]`.
//! Every part after the message may be missing (lines are cut at 2048
//! bytes), so nothing past the message is required. Messages that do not
//! name an upstream problem still count as error-log lines, just not as
//! signals.

use crate::facts::{Action, Event, EventKey, Level, Signal, Source, Upstream};
use crate::text::{parse_errno, quoted_after};
use crate::time;

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
    let t = time::parse_nginx(&s[..19]);
    let rest = &s[21..];
    let close = rest.find(']')?;
    let level = Level::parse(&rest[..close])?;
    let mut rest = rest[close + 1..].trim_start();
    let mut pid = None;
    // `1234#1234: ` (older builds `1234#0: `)
    if let Some(hash) = rest.find('#') {
        if hash < 12 && rest[..hash].bytes().all(|b| b.is_ascii_digit()) {
            pid = rest[..hash].parse().ok();
            if let Some(colon) = rest.find(": ") {
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

/// Split the message from its `, client: …` context.
fn split_context(msg: &str) -> (&str, &str) {
    match msg.find(", client: ") {
        Some(i) => (&msg[..i], &msg[i..]),
        None => match msg.find(", server: ") {
            Some(i) => (&msg[..i], &msg[i..]),
            None => (msg, ""),
        },
    }
}

fn field<'a>(ctx: &'a str, name: &str) -> Option<&'a str> {
    let i = ctx.find(name)? + name.len();
    let rest = &ctx[i..];
    let end = rest.find(", ").unwrap_or(rest.len());
    Some(&rest[..end])
}

fn action_of(head: &str) -> Option<Action> {
    let i = head.rfind(" while ")?;
    let a = head[i + 7..].trim_end_matches(',').trim();
    Some(Action::parse(a))
}

fn after_errno(s: &str) -> Option<(u16, &str)> {
    let i = s.find(" (")?;
    let (n, text, _) = parse_errno(&s[i + 1..])?;
    Some((n, text))
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

/// Recognise the signal in an error.log message head (context removed).
/// Returns the signal, the `connect() to X` target, and the marked part.
fn classify(head: &str, level: Level) -> Option<(Signal, Option<String>, &str)> {
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
        return Some((Signal::UpstreamTimedOut, None, mark_to(head, "upstream timed out")));
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
    for call in ["recv()", "readv()", "writev()", "sendfile()", "send()", "SSL_read()", "SSL_write()", "write()"] {
        if let Some(rest) = head.strip_prefix(call) {
            if let Some((errno, _)) = after_errno(rest) {
                if errno == 24 {
                    return Some((Signal::TooManyOpenFiles, None, mark_to(head, "(24:")));
                }
                return Some((
                    Signal::IoFailed {
                        call: call.trim_end_matches("()").to_string(),
                        errno,
                    },
                    None,
                    mark_to(head, call),
                ));
            }
        }
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
    if let Some(i) = head.find(" could not be resolved (") {
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
    if let Some(h) = quoted_after(head, "host not found in upstream ") {
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
        let name = quoted_after(head, "does not match ").unwrap_or("").to_string();
        return Some((
            Signal::SslNameMismatch { name },
            None,
            "upstream SSL certificate does not match",
        ));
    }
    if head.contains("(24: Too many open files)") {
        return Some((Signal::TooManyOpenFiles, None, "(24: Too many open files)"));
    }
    if let Some(i) = head.find(" worker_connections exceed open file resource limit: ") {
        let count = head[..i].trim().parse().unwrap_or(0);
        let limit = head[i + 52..].trim().parse().unwrap_or(0);
        return Some((
            Signal::WorkerConnectionsExceedLimit { count, limit },
            None,
            "worker_connections exceed open file resource limit",
        ));
    }
    if let Some(i) = head.find(" worker_connections are not enough") {
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
    "worker_connections are not enough",
];

/// An error.log message without the usual `YYYY/MM/DD HH:MM:SS [level] pid#tid:`
/// header: trimmed when pasted (`connect() failed (111: …) while connecting to
/// upstream, client: …`), or behind another logger's own prefix. Only lines
/// that carry nginx's upstream context are taken.
pub fn parse_headless(line_no: u64, text: &str) -> Option<Event> {
    if !(text.contains("upstream") || text.contains(", client: ")) {
        return None;
    }
    let (at, _) = HEADLESS_NEEDLES
        .iter()
        .filter_map(|n| text.find(n).map(|i| (i, n)))
        .min_by_key(|(i, _)| *i)?;
    let before = &text[..at];
    let level = before
        .rfind('[')
        .and_then(|i| before[i + 1..].split(']').next())
        .and_then(Level::parse)
        .unwrap_or(Level::Error);
    let time = before.find(|c: char| c.is_ascii_digit()).and_then(|i| time::parse_nginx(before.get(i..)?));
    event_from(line_no, text, &text[at..], level, time, None)
}

fn event_from(
    line_no: u64,
    text: &str,
    message: &str,
    level: Level,
    time: Option<i64>,
    pid: Option<u32>,
) -> Option<Event> {
    let (head, ctx) = split_context(message);
    let (signal, target, mark_text) = classify(head, level)?;
    let upstream_raw = ctx
        .rfind(", upstream: \"")
        .and_then(|i| ctx[i + 13..].split('"').next());
    let upstream = upstream_raw.and_then(Upstream::parse);
    let request = quoted_after(ctx, ", request: ").map(str::to_string);
    let host = ctx
        .rfind(", host: \"")
        .and_then(|i| ctx[i + 9..].split('"').next())
        .map(str::to_string);
    let client = field(ctx, ", client: ").map(str::to_string);
    let action = action_of(head);
    // `connect() to X` names the peer; keep it when there is no upstream field
    // or when it differs from it (unix path vs upstream).
    let server = match (&target, &upstream) {
        (Some(t), Some(u)) if crate::facts::Address::parse(t).as_ref() == Some(&u.addr) => None,
        (Some(t), _) => Some(t.clone()),
        _ => None,
    };
    let mark = text.find(mark_text).map(|i| (i, i + mark_text.len()));
    Some(Event {
        key: EventKey {
            source: Source::Nginx,
            signal,
            action,
            upstream,
            server,
        },
        line: line_no,
        time,
        level: Some(level),
        request,
        client,
        host,
        pid,
        text: text.to_string(),
        mark,
    })
}

/// `server:` of an error line (first `server_name` of the block).
pub fn server_name_of(text: &str) -> Option<&str> {
    let h = parse_header(text)?;
    let (_, ctx) = split_context(h.message);
    field(ctx, ", server: ")
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
            ("no live upstreams while connecting to upstream", Signal::NoLiveUpstreams),
            ("no resolver defined to resolve api.internal", Signal::NoResolver { host: "api.internal".into() }),
            ("api.internal could not be resolved (3: Host not found)", Signal::CouldNotResolve { host: "api.internal".into(), code: 3 }),
            ("socket() failed (24: Too many open files) while connecting to upstream", Signal::TooManyOpenFiles),
            ("1024 worker_connections are not enough", Signal::WorkerConnections { count: 1024 }),
            ("upstream sent no valid HTTP/1.0 header while reading response header from upstream", Signal::InvalidHeader { what: "no valid HTTP/1.0 header".into() }),
            ("SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream", Signal::SslHandshake { reason: "wrong version number".into() }),
            ("SSL_do_handshake() failed (SSL: error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:SSL alert number 40) while SSL handshaking to upstream", Signal::SslHandshake { reason: "sslv3 alert handshake failure:SSL alert number 40".into() }),
            ("upstream SSL certificate verify error: (18:self-signed certificate) while SSL handshaking to upstream", Signal::SslVerify { reason: "18:self-signed certificate".into() }),
        ];
        for (msg, want) in cases {
            let line = format!("2024/01/15 10:23:45 [error] 1#1: *2 {msg}, client: 1.2.3.4, server: x");
            assert_eq!(&ev(&line).key.signal, want, "{msg}");
        }
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
            parse_line(1, "2024/01/15 10:23:45 [notice] 1#1: signal process started"),
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
        assert_eq!(e.key.server.as_deref(), Some("unix:/run/php/php7.4-fpm.sock"));
        assert!(parse_headless(1, "I get connect() failed errors sometimes").is_none());
        assert!(parse_headless(1, "location / { proxy_pass http://upstream_app; }").is_none());
    }

    #[test]
    fn client_side_ssl_is_not_a_signal() {
        assert!(parse_line(1, "2024/01/15 10:23:45 [crit] 1#1: *1 SSL_do_handshake() failed (SSL: error:0A00006C:SSL routines::bad key share) while SSL handshaking, client: 1.2.3.4, server: 0.0.0.0:443").unwrap().is_none());
    }
}
