//! One-sentence explanations of what appears in evidence lines: nginx's
//! messages, the errno in brackets, and the directives a fix talks about.
//! The web app shows them as tooltips on evidence; they are the short form
//! of the cause documentation in `causes/*` (each term names the cause whose
//! docs say the long version, and a test checks that those docs mention it).
//!
//! [`find_terms`] scans one line: plain substring matches over a short
//! table, linear in the line, no regex.

/// What a term is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TermKind {
    /// A message nginx or a backend writes (`upstream timed out`).
    Message,
    /// An errno as nginx prints it (`(111: Connection refused)`).
    Errno,
    /// A configuration directive or setting (`proxy_read_timeout`).
    Directive,
}

/// One explained term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Term {
    /// The text as it appears in a log or config line.
    pub text: &'static str,
    pub kind: TermKind,
    /// One sentence.
    pub sentence: &'static str,
    /// The cause whose documentation explains it at length.
    pub cause: &'static str,
}

const fn msg(text: &'static str, cause: &'static str, sentence: &'static str) -> Term {
    Term {
        text,
        kind: TermKind::Message,
        sentence,
        cause,
    }
}

const fn errno(text: &'static str, cause: &'static str, sentence: &'static str) -> Term {
    Term {
        text,
        kind: TermKind::Errno,
        sentence,
        cause,
    }
}

const fn dir(text: &'static str, cause: &'static str, sentence: &'static str) -> Term {
    Term {
        text,
        kind: TermKind::Directive,
        sentence,
        cause,
    }
}

/// Every explained term. Longer texts win over shorter ones they contain.
pub static TERMS: &[Term] = &[
    // errno, as nginx prints them
    errno("(111: Connection refused)", "upstream_down",
        "Nothing accepts connections at that address and port (or the unix socket has no process behind it): the backend is stopped, crashed or listens elsewhere."),
    errno("(2: No such file or directory)", "socket_missing",
        "The unix socket file nginx connects to does not exist: the backend is not running or creates its socket at another path."),
    errno("(13: Permission denied)", "socket_permission",
        "The operating system refused nginx's worker the connection: socket file ownership or mode, or an SELinux policy."),
    errno("(110: Connection timed out)", "upstream_timeout",
        "The backend did not answer within nginx's timeout for this step (connect, send or read)."),
    errno("(104: Connection reset by peer)", "upstream_reset",
        "The backend (or something between) aborted the connection with a TCP reset, typically because its worker crashed or was killed."),
    errno("(11: Resource temporarily unavailable)", "fpm_pool_exhausted",
        "The backend's listen queue is full: every worker is busy and no more connections can wait."),
    errno("(24: Too many open files)", "fd_exhaustion",
        "The process reached its limit of open file descriptors (ulimit -n, LimitNOFILE)."),
    errno("(99: Cannot assign requested address)", "ephemeral_ports",
        "No free local port is left for a new outgoing connection: too many connections in TIME_WAIT towards the backend."),
    errno("(113: No route to host)", "no_route_to_host",
        "The backend's host cannot be reached on the network: down, wrong address, or a firewall rejecting the packets."),
    errno("(101: Network is unreachable)", "no_route_to_host",
        "This machine has no route to the backend's network (often an IPv6 address without IPv6 connectivity)."),
    errno("(32: Broken pipe)", "upstream_write_failed",
        "The backend closed the connection while nginx was still sending the request to it."),
    // nginx messages
    msg("connect() failed", "upstream_down",
        "nginx could not open the connection to the backend; the errno in brackets says why."),
    msg("upstream timed out", "upstream_timeout",
        "nginx gave up waiting for the backend after its timeout (proxy_read_timeout and friends) and answered 504."),
    msg("upstream prematurely closed connection", "upstream_closed_early",
        "The backend closed the connection before sending a complete response, usually because its worker died or was killed mid-request."),
    msg("upstream prematurely closed FastCGI stdout", "upstream_closed_early",
        "PHP-FPM's child ended the request without a complete response (a fatal error, a crash or a timeout kill)."),
    msg("no live upstreams", "no_live_upstreams",
        "Every server of the upstream group is marked failed after earlier errors, so nginx did not even try."),
    msg("upstream sent too big header", "header_too_big",
        "The backend's response headers do not fit nginx's buffer for them (proxy_buffer_size, fastcgi_buffer_size)."),
    msg("host not found in upstream", "dns_resolution",
        "nginx could not resolve the host name given in proxy_pass or the upstream block."),
    msg("no resolver defined to resolve", "dns_resolution",
        "proxy_pass uses a variable or a name resolved at run time, and no resolver directive tells nginx which DNS server to ask."),
    msg("could not be resolved", "dns_resolution",
        "The DNS server nginx asked has no answer for the backend's host name."),
    msg("SSL_do_handshake() failed", "upstream_ssl",
        "The TLS handshake between nginx and an https backend failed (protocol, certificate or SNI)."),
    msg("upstream SSL certificate verify error", "upstream_ssl",
        "proxy_ssl_verify is on and the backend's certificate is not trusted by nginx's proxy_ssl_trusted_certificate."),
    msg("upstream sent invalid header", "upstream_invalid_header",
        "The backend's response is not valid HTTP headers as nginx expects them."),
    msg("upstream sent no valid HTTP/1.0 header", "upstream_invalid_header",
        "The backend answered with something that is not HTTP at all, often another protocol on that port."),
    msg("unsupported FastCGI protocol version", "fastcgi_protocol_mismatch",
        "What answers at the fastcgi_pass address does not speak FastCGI; version 72 is the letter H of an HTTP answer."),
    msg("Primary script unknown", "php_fatal_error",
        "PHP-FPM could not find the script nginx named in SCRIPT_FILENAME (root or path wrong): PHP answers 404 File not found, not 502."),
    msg("worker_connections are not enough", "fd_exhaustion",
        "Each nginx worker already holds as many connections as worker_connections allows."),
    msg("server reached pm.max_children setting", "fpm_pool_exhausted",
        "PHP-FPM started every child it may; new requests wait in its queue until one is free."),
    msg("WORKER TIMEOUT", "gunicorn_worker_timeout",
        "gunicorn killed a worker that spent longer than its --timeout on one request."),
    msg("HARAKIRI", "uwsgi_harakiri",
        "uWSGI killed a worker that spent longer than its harakiri limit on one request."),
    msg("execution timed out", "fpm_exec_timeout",
        "PHP-FPM killed a child that ran longer than request_terminate_timeout."),
    msg("Out of memory: Killed process", "backend_oom",
        "The kernel's OOM killer ended a process to free memory."),
    msg("invalid request block size", "header_too_big",
        "uWSGI received a request bigger than its buffer-size, or something that is not the uwsgi protocol."),
    msg("avc:  denied", "selinux_denied",
        "SELinux denied the access named in braces; the AVC line names the process and the target."),
    msg("while connecting to upstream", "upstream_down",
        "The failure happened when nginx opened the connection to the backend, before any request was sent."),
    msg("while reading response header from upstream", "upstream_timeout",
        "The failure happened after the request was sent, while nginx waited for the backend's response headers."),
    msg("while sending request to upstream", "upstream_write_failed",
        "The failure happened while nginx was still sending the request (headers or body) to the backend."),
    // directives and settings
    dir("proxy_pass", "wrong_port",
        "The address (host:port, unix socket or upstream group) nginx forwards HTTP requests to."),
    dir("fastcgi_pass", "wrong_port",
        "The address (host:port or unix socket) nginx sends FastCGI requests to, usually PHP-FPM."),
    dir("uwsgi_pass", "uwsgi_protocol_mismatch",
        "The address nginx sends uwsgi-protocol requests to; the backend must speak uwsgi there, not HTTP."),
    dir("grpc_pass", "http2_upstream_mismatch",
        "The address nginx sends gRPC (HTTP/2) requests to."),
    dir("proxy_read_timeout", "upstream_timeout",
        "How long nginx waits between two reads from the backend (default 60s) before answering 504."),
    dir("fastcgi_read_timeout", "upstream_timeout",
        "How long nginx waits between two reads from PHP-FPM (default 60s) before answering 504."),
    dir("uwsgi_read_timeout", "uwsgi_harakiri",
        "How long nginx waits between two reads from uWSGI (default 60s) before answering 504."),
    dir("proxy_buffer_size", "header_too_big",
        "The buffer for the backend's response headers (one memory page by default, 4k or 8k)."),
    dir("fastcgi_buffer_size", "header_too_big",
        "The buffer for PHP-FPM's response headers (one memory page by default, 4k or 8k)."),
    dir("proxy_buffers", "header_too_big",
        "How many buffers, and how big, nginx uses for one response body from the backend."),
    dir("worker_connections", "fd_exhaustion",
        "The most connections one nginx worker holds at once, clients and backends together."),
    dir("worker_rlimit_nofile", "fd_exhaustion",
        "The open-file limit nginx sets for its workers; it must cover worker_connections."),
    dir("resolver", "dns_resolution",
        "The DNS server nginx asks for names it resolves at run time (proxy_pass with variables)."),
    dir("proxy_http_version", "keepalive_race",
        "The HTTP version nginx speaks to the backend; 1.1 is needed for keepalive connections."),
    dir("keepalive_timeout", "keepalive_race",
        "How long an idle keepalive connection stays open; the backend's must be longer than nginx's."),
    dir("listen.owner", "socket_permission",
        "PHP-FPM pool setting: the owner of the socket file it creates."),
    dir("listen.group", "socket_permission",
        "PHP-FPM pool setting: the group of the socket file it creates (nginx's user must be in it)."),
    dir("listen.mode", "socket_permission",
        "PHP-FPM pool setting: the permissions of the socket file it creates (0660 with the right group)."),
    dir("pm.max_children", "fpm_pool_exhausted",
        "PHP-FPM pool setting: the most PHP children running at once, so the most requests served at once."),
    dir("request_terminate_timeout", "fpm_exec_timeout",
        "PHP-FPM pool setting: a child running one request longer than this is killed."),
    dir("max_fails", "no_live_upstreams",
        "How many failed attempts within fail_timeout mark an upstream server as unavailable."),
    dir("fail_timeout", "no_live_upstreams",
        "The window for counting max_fails, and how long a failed server is then skipped."),
    dir("proxy_ssl_server_name", "upstream_ssl",
        "Whether nginx sends the backend's host name (SNI) in the TLS handshake; off by default."),
    dir("proxy_ssl_verify", "upstream_ssl",
        "Whether nginx checks the backend's certificate against proxy_ssl_trusted_certificate."),
    dir("httpd_can_network_connect", "selinux_denied",
        "SELinux boolean: whether web servers such as nginx may open network connections."),
    dir("LimitNOFILE", "fd_exhaustion",
        "systemd unit setting: the open-file limit of the service's processes."),
];

/// The term whose text is `fragment` (surrounding spaces ignored, case-insensitive).
pub fn explain(fragment: &str) -> Option<&'static Term> {
    let f = fragment.trim();
    TERMS.iter().find(|t| t.text.eq_ignore_ascii_case(f))
}

/// A term found in a line: byte range `start..end` of the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub term: &'static Term,
}

/// Bytes that continue a directive name: a directive only counts when it
/// is not part of a longer word (`proxy_pass` is not in `my_proxy_pass2`).
fn word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-'
}

/// The known terms in `line`, left to right, never overlapping: where two
/// overlap, the one starting first wins, then the longer one. Messages
/// and errno match anywhere; directives only as whole words.
pub fn find_terms(line: &str) -> Vec<Found> {
    let bytes = line.as_bytes();
    let mut all: Vec<Found> = Vec::new();
    for t in TERMS {
        let mut from = 0;
        while let Some(i) = line.get(from..).and_then(|s| s.find(t.text)) {
            let start = from + i;
            let end = start + t.text.len();
            let whole = t.kind != TermKind::Directive
                || ((start == 0 || !word_byte(bytes[start - 1]))
                    && (end == bytes.len() || !word_byte(bytes[end])));
            if whole {
                all.push(Found {
                    start,
                    end,
                    term: t,
                });
            }
            from = end;
        }
    }
    all.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Found> = Vec::new();
    for f in all {
        if out.last().is_none_or(|last| f.start >= last.end) {
            out.push(f);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causes::rule;

    fn texts(line: &str) -> Vec<&'static str> {
        find_terms(line).iter().map(|f| f.term.text).collect()
    }

    #[test]
    fn terms_are_one_sentence_and_their_cause_documents_them() {
        for t in TERMS {
            let r = rule(t.cause).unwrap_or_else(|| panic!("{}: no cause {}", t.text, t.cause));
            let docs = format!("{}\n{}", r.docs, r.signatures.join("\n")).to_lowercase();
            assert!(
                docs.contains(&t.text.to_lowercase()),
                "{}: the docs of {} do not mention it",
                t.text,
                t.cause
            );
            let s = t.sentence;
            assert!(s.ends_with('.') && s.len() < 200, "{}: {s}", t.text);
            assert_eq!(s.matches(". ").count(), 0, "one sentence: {s}");
        }
    }

    #[test]
    fn texts_are_unique() {
        for (i, a) in TERMS.iter().enumerate() {
            for b in &TERMS[i + 1..] {
                assert_ne!(a.text, b.text);
            }
        }
    }

    #[test]
    fn finds_messages_errno_and_directives() {
        let l = "2024/05/14 09:12:01 [error] 1234#1234: *101 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4";
        assert_eq!(
            texts(l),
            [
                "connect() failed",
                "(111: Connection refused)",
                "while connecting to upstream"
            ]
        );
        let f = find_terms(l);
        assert_eq!(&l[f[1].start..f[1].end], "(111: Connection refused)");
        assert_eq!(
            texts("        proxy_read_timeout 5s; proxy_pass http://app;"),
            ["proxy_read_timeout", "proxy_pass"]
        );
        assert_eq!(
            texts("upstream timed out (110: Connection timed out) while reading response header from upstream"),
            [
                "upstream timed out",
                "(110: Connection timed out)",
                "while reading response header from upstream"
            ]
        );
    }

    #[test]
    fn directives_are_whole_words_and_longer_terms_win() {
        assert!(texts("my_proxy_pass2 x").is_empty());
        assert!(texts("set $resolver_x 1;").is_empty());
        assert_eq!(texts("resolver 127.0.0.11;"), ["resolver"]);
        assert_eq!(
            texts("upstream prematurely closed FastCGI stdout while reading"),
            ["upstream prematurely closed FastCGI stdout"]
        );
        assert!(texts("").is_empty());
        assert!(texts("nothing to see ☃ here").is_empty());
    }

    #[test]
    fn explain_looks_up_one_fragment() {
        assert_eq!(
            explain(" proxy_read_timeout ").map(|t| t.cause),
            Some("upstream_timeout")
        );
        assert_eq!(
            explain("(13: permission denied)").map(|t| t.kind),
            Some(TermKind::Errno)
        );
        assert!(explain("nope").is_none());
    }
}
