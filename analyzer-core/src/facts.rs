//! Typed facts: what the parsers learned from the paste, each remembering
//! the input line it came from.
//!
//! Facts are the only thing the cause rules see. Parsers fill them, rules
//! read them; neither side knows the other's internals. Every fact carries a
//! 1-based input line (`line`) so evidence can always be shown as a span of
//! the input, never as a paraphrase.
//!
//! Large logs are aggregated as they stream in: identical signals (same
//! message kind, errno, upstream and server) collapse into one
//! [`EventGroup`] with a count, first/last sighting, per-minute buckets and a
//! bounded sample of evidence lines. Memory is O(distinct groups).

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};

/// How many evidence lines a group keeps at most (first ones and last ones).
pub const SAMPLE_HEAD: usize = 3;
pub const SAMPLE_TAIL: usize = 2;
/// Distinct request lines / clients kept per group.
pub const DISTINCT_KEEP: usize = 8;
/// Cap on per-minute buckets per group (older minutes are merged away).
pub const MAX_BUCKETS: usize = 4096;
/// Cap on distinct groups; past it events are still counted in `overflow`.
pub const MAX_GROUPS: usize = 20_000;

/// One input line kept as evidence: its 1-based number, its text as
/// normalised (wrappers such as ANSI colours or compose prefixes removed),
/// and the byte range of the part that matched, if known.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceLine {
    pub line: u64,
    pub text: String,
    /// Byte range `[start, end)` in `text` of the matched part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mark: Option<(usize, usize)>,
}

impl EvidenceLine {
    pub fn new(line: u64, text: &str) -> Self {
        EvidenceLine {
            line,
            text: clip(text, 600),
            mark: None,
        }
    }

    /// Evidence with the first occurrence of `needle` marked.
    pub fn marked(line: u64, text: &str, needle: &str) -> Self {
        let mut e = EvidenceLine::new(line, text);
        if !needle.is_empty() {
            if let Some(i) = e.text.find(needle) {
                e.mark = Some((i, i + needle.len()));
            }
        }
        e
    }
}

/// Clip `s` to at most `max` bytes on a char boundary, adding an ellipsis.
pub fn clip(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// nginx error.log severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Debug,
    Info,
    Notice,
    Warn,
    Error,
    Crit,
    Alert,
    Emerg,
}

impl Level {
    /// The level named by `s` exactly (`error`, not `Error` or `error `).
    ///
    /// Runs on every error.log line: the name (at most six bytes) is read
    /// into one word and compared with the eight names' words, instead of
    /// a string comparison per name.
    #[inline]
    pub fn parse(s: &str) -> Option<Level> {
        let b = s.as_bytes();
        if b.is_empty() || b.len() > 6 {
            return None;
        }
        // The length goes into the top byte, so `error\0` is not `error`.
        let mut w = (b.len() as u64) << 56;
        for (i, &c) in b.iter().enumerate() {
            w |= u64::from(c) << (8 * i);
        }
        Some(match w {
            LEVEL_DEBUG => Level::Debug,
            LEVEL_INFO => Level::Info,
            LEVEL_NOTICE => Level::Notice,
            LEVEL_WARN => Level::Warn,
            LEVEL_ERROR => Level::Error,
            LEVEL_CRIT => Level::Crit,
            LEVEL_ALERT => Level::Alert,
            LEVEL_EMERG => Level::Emerg,
            _ => return None,
        })
    }
}

/// A level name as the little-endian word [`Level::parse`] compares.
const fn level_word(name: &[u8]) -> u64 {
    let mut w = (name.len() as u64) << 56;
    let mut i = 0;
    while i < name.len() {
        w |= (name[i] as u64) << (8 * i);
        i += 1;
    }
    w
}

const LEVEL_DEBUG: u64 = level_word(b"debug");
const LEVEL_INFO: u64 = level_word(b"info");
const LEVEL_NOTICE: u64 = level_word(b"notice");
const LEVEL_WARN: u64 = level_word(b"warn");
const LEVEL_ERROR: u64 = level_word(b"error");
const LEVEL_CRIT: u64 = level_word(b"crit");
const LEVEL_ALERT: u64 = level_word(b"alert");
const LEVEL_EMERG: u64 = level_word(b"emerg");

impl Level {
    /// Every level, for tests.
    #[cfg(test)]
    pub(crate) const ALL: [Level; 8] = [
        Level::Debug,
        Level::Info,
        Level::Notice,
        Level::Warn,
        Level::Error,
        Level::Crit,
        Level::Alert,
        Level::Emerg,
    ];
}

/// What nginx was doing when an upstream error happened (`while …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Connecting,
    SslHandshaking,
    SendingRequest,
    ReadingHeader,
    ReadingUpstream,
    /// Client-side phases (`sending to client`, `SSL handshaking` without
    /// "to upstream"): not a backend fault.
    ClientSide,
    /// `proxying upgraded connection`: a websocket (or other upgraded
    /// connection) after nginx sent the client its 101, so no 502/504 page.
    Upgraded,
    Other,
}

impl Action {
    pub fn parse(s: &str) -> Action {
        match s {
            "connecting to upstream" => Action::Connecting,
            "SSL handshaking to upstream" => Action::SslHandshaking,
            "sending request to upstream" => Action::SendingRequest,
            "reading response header from upstream" => Action::ReadingHeader,
            "reading upstream" => Action::ReadingUpstream,
            s if s.contains("upgraded") => Action::Upgraded,
            s if s.contains("client") || s == "SSL handshaking" => Action::ClientSide,
            _ => Action::Other,
        }
    }
}

/// An address nginx connects to or a backend listens on.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Address {
    /// `host` is as written (`127.0.0.1`, `::1` without brackets, `app`,
    /// `*`); `port` is absent for a bare group name (`http://backend/`).
    Tcp {
        host: String,
        port: Option<u16>,
    },
    Unix {
        path: String,
    },
}

impl Address {
    /// Parse `127.0.0.1:3000`, `[::1]:3000`, `unix:/run/x.sock`, `localhost`,
    /// `*:9000`, `9000` (bare port = all addresses).
    pub fn parse(s: &str) -> Option<Address> {
        let s = s.trim().trim_end_matches(';');
        if s.is_empty() {
            return None;
        }
        if let Some(p) = s.strip_prefix("unix:") {
            let p = p.trim_end_matches(':');
            // `unix:///tmp/x.sock` keeps its slashes as configured; normalise.
            let p = if p.starts_with("//") {
                p.trim_start_matches('/')
            } else {
                p
            };
            let p = if p.starts_with('/') {
                p.to_string()
            } else {
                format!("/{p}")
            };
            return Some(Address::Unix { path: p });
        }
        if s.starts_with('/') {
            return Some(Address::Unix {
                path: s.to_string(),
            });
        }
        if let Some(rest) = s.strip_prefix('[') {
            let close = rest.find(']')?;
            let host = &rest[..close];
            let port = rest[close + 1..]
                .strip_prefix(':')
                .and_then(|p| p.parse().ok());
            return Some(Address::Tcp {
                host: host.to_string(),
                port,
            });
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Address::Tcp {
                host: "*".into(),
                port: s.parse().ok(),
            });
        }
        // IPv6 without brackets (netstat `:::80`, `::1:3001`): split on the last colon.
        let colons = s.bytes().filter(|&b| b == b':').count();
        if colons >= 2 {
            let i = s.rfind(':')?;
            let (h, p) = (&s[..i], &s[i + 1..]);
            let host = if h.is_empty() || h == "::" { "::" } else { h };
            return Some(Address::Tcp {
                host: host.to_string(),
                port: p.parse().ok(),
            });
        }
        match s.rsplit_once(':') {
            Some((h, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                Some(Address::Tcp {
                    host: h.to_string(),
                    port: p.parse().ok(),
                })
            }
            _ => Some(Address::Tcp {
                host: s.to_string(),
                port: None,
            }),
        }
    }

    pub fn port(&self) -> Option<u16> {
        match self {
            Address::Tcp { port, .. } => *port,
            Address::Unix { .. } => None,
        }
    }

    pub fn socket_path(&self) -> Option<&str> {
        match self {
            Address::Unix { path } => Some(path),
            Address::Tcp { .. } => None,
        }
    }

    pub fn host(&self) -> Option<&str> {
        match self {
            Address::Tcp { host, .. } => Some(host),
            Address::Unix { .. } => None,
        }
    }

    /// True for loopback hosts (`127.x`, `::1`, `localhost`).
    pub fn is_loopback(&self) -> bool {
        match self {
            Address::Tcp { host, .. } => is_loopback_host(host),
            Address::Unix { .. } => false,
        }
    }

    /// Display as a person writes it in a config (`127.0.0.1:3000`,
    /// `[::1]:3000`, `unix:/run/x.sock`).
    pub fn display(&self) -> String {
        match self {
            Address::Unix { path } => format!("unix:{path}"),
            Address::Tcp { host, port } => {
                let h = if host.contains(':') {
                    format!("[{host}]")
                } else {
                    host.clone()
                };
                match port {
                    Some(p) => format!("{h}:{p}"),
                    None => h,
                }
            }
        }
    }
}

pub fn is_loopback_host(h: &str) -> bool {
    h.starts_with("127.") || h == "::1" || h == "localhost" || h == "ip6-localhost"
}

/// True when `h` is an IP literal (v4 or v6), not a name.
pub fn is_ip_literal(h: &str) -> bool {
    let v4 = h.split('.').count() == 4 && h.split('.').all(|p| p.parse::<u8>().is_ok());
    v4 || (h.contains(':')
        && h.bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'))
}

/// An upstream as nginx names it: `http://127.0.0.1:3000/api` →
/// scheme `http`, address `127.0.0.1:3000`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Upstream {
    pub scheme: String,
    pub addr: Address,
}

impl Upstream {
    /// Parse the `upstream: "…"` field or a `*_pass` argument.
    pub fn parse(s: &str) -> Option<Upstream> {
        let s = s.trim().trim_end_matches(';');
        let (scheme, rest) = match s.find("://") {
            Some(i) => (&s[..i], &s[i + 3..]),
            None => ("", s),
        };
        if scheme.contains('$') || rest.starts_with('$') {
            return None;
        }
        let addr = if let Some(u) = rest.strip_prefix("unix:") {
            // `unix:/run/x.sock:/uri` — the path ends at the first `:` after it.
            let end = u.find(':').unwrap_or(u.len());
            Address::parse(&format!("unix:{}", &u[..end]))?
        } else {
            let end = rest.find(['/', '?']).unwrap_or(rest.len());
            Address::parse(&rest[..end])?
        };
        Some(Upstream {
            scheme: scheme.to_ascii_lowercase(),
            addr,
        })
    }

    /// The port nginx dials, filling the scheme's default when none is written.
    pub fn effective_port(&self) -> Option<u16> {
        match &self.addr {
            Address::Unix { .. } => None,
            Address::Tcp { port: Some(p), .. } => Some(*p),
            Address::Tcp { port: None, .. } => match self.scheme.as_str() {
                "http" => Some(80),
                "https" => Some(443),
                _ => None,
            },
        }
    }

    pub fn display(&self) -> String {
        if self.scheme.is_empty() {
            self.addr.display()
        } else {
            format!("{}://{}", self.scheme, self.addr.display())
        }
    }
}

/// What a recognised log line means. One enum for every source (nginx,
/// PHP-FPM, gunicorn, uWSGI, kernel, audit, pm2, Node, systemd) so events
/// from all logs group, count and time-line the same way.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Signal {
    // ---- nginx error.log ----
    /// `connect() failed (N: …)` / `connect() to X failed (N: …)`.
    ConnectFailed {
        errno: u16,
    },
    /// `upstream timed out (110: …) while <action>`.
    UpstreamTimedOut,
    /// `upstream prematurely closed connection` (or FastCGI stdout).
    PrematureClose,
    /// `recv()/readv()/writev()/sendfile()/send() failed (N: …)`.
    IoFailed {
        call: String,
        errno: u16,
    },
    /// `upstream sent too big header`.
    TooBigHeader,
    /// `upstream sent invalid header / no valid HTTP/1.0 header / duplicate header / invalid status / ... at the same time`.
    InvalidHeader {
        what: String,
    },
    /// `upstream sent unsupported FastCGI protocol version: 72` (or an
    /// invalid/unexpected FastCGI record): what answered `fastcgi_pass`
    /// does not speak FastCGI. `what` is the message up to ` while`.
    FastcgiProtocol {
        what: String,
    },
    /// `no live upstreams`.
    NoLiveUpstreams,
    /// `[warn] upstream server temporarily disabled`.
    ServerDisabled,
    /// `no resolver defined to resolve X`.
    NoResolver {
        host: String,
    },
    /// `X could not be resolved (N: …)`.
    CouldNotResolve {
        host: String,
        code: u16,
    },
    /// `host not found in upstream "X" in file:line`.
    HostNotFound {
        host: String,
    },
    /// `SSL_do_handshake() failed (…) while SSL handshaking to upstream`.
    SslHandshake {
        reason: String,
    },
    /// `upstream SSL certificate verify error: (N:reason)`.
    SslVerify {
        reason: String,
    },
    /// `upstream SSL certificate does not match "X"`.
    SslNameMismatch {
        name: String,
    },
    /// `(24: Too many open files)` on socket()/accept4()/open().
    TooManyOpenFiles,
    /// `N worker_connections are not enough`.
    WorkerConnections {
        count: u32,
    },
    /// `N worker_connections exceed open file resource limit: M`.
    WorkerConnectionsExceedLimit {
        count: u32,
        limit: u32,
    },
    /// gRPC/HTTP2 upstream errors (`upstream rejected request with error`, `goaway`, `prematurely closed stream`).
    Http2Upstream {
        what: String,
    },
    /// `[emerg]` config errors other than DNS (`unknown directive`, ...).
    ConfigEmerg {
        message: String,
    },
    /// `client intended to send too large body`: a 413, not a 502.
    ClientBodyTooLarge,
    // ---- PHP-FPM ----
    FpmMaxChildren {
        pool: String,
        limit: u32,
    },
    FpmSeemsBusy {
        pool: String,
    },
    FpmExecTimedOut {
        pool: String,
    },
    /// `Connection disallowed: IP address '172.20.0.4' has been dropped.`:
    /// the client is not in `listen.allowed_clients`.
    FpmClientDropped {
        ip: String,
    },
    /// `child N exited on signal S (NAME)`.
    FpmChildSignal {
        signal: u16,
    },
    /// `child N exited with code C` with C ≠ 0 (code 0 is a normal recycle
    /// and is not an event).
    FpmChildExited {
        code: u16,
    },
    /// `unable to bind listening socket for address 'X': …` (any reason;
    /// `Address already in use (98)` is the usual one: a port_in_use partner).
    FpmBindFailed {
        addr: String,
    },
    /// `ERROR: [pool.conf:23] …`, `FPM initialization failed`, `ALERT: …`
    /// (each line of one failed start counts).
    FpmConfigError,
    /// Slowlog warning `child N, script 'X' (request: "…") executing too slow (S sec), logging`.
    FpmSlowRequest {
        pool: String,
    },
    /// A frame of a PHP-FPM slowlog backtrace (`[0x00007f…] curl_exec()
    /// /var/www/x.php:42`): the function and where it was called. The
    /// first frame after `script_filename` is what the request was doing.
    FpmSlowFrame {
        function: String,
        at: String,
    },
    /// `failed processes threshold (N in S sec) is reached, initiating reload`
    /// (`emergency_restart_threshold`: many children crashed).
    FpmEmergencyRestart,
    /// `FastCGI sent in stderr: "PHP message: PHP Fatal error: …"` in
    /// nginx's log: PHP itself failed the request. `what` is
    /// `memory_limit` (Allowed memory size … exhausted),
    /// `max_execution_time` (Maximum execution time … exceeded) or `fatal`
    /// (any other fatal or parse error). Warnings and notices are not events.
    PhpFatal {
        what: String,
    },
    /// `FastCGI sent in stderr: "Primary script unknown"`: PHP-FPM found no
    /// file at `SCRIPT_FILENAME`. A 404 (`File not found.`), not a 502: no
    /// rule reports it, the "what to paste next" advice uses it.
    ScriptUnknown,
    /// `limiting requests, excess: 1.2 by zone "api"` (`limit_req`) or
    /// `limiting connections by zone "addr"` (`limit_conn`): nginx itself
    /// turned the request away, with 503 unless `limit_req_status` says
    /// otherwise. No 502 cause: the "what to paste next" advice uses it.
    RateLimited {
        zone: String,
        connections: bool,
    },
    // ---- gunicorn / uWSGI / Python ----
    GunicornWorkerTimeout,
    GunicornSigkill,
    /// `Reason: Worker failed to boot.` / `Reason: App failed to load.`: the
    /// gunicorn master exits, nothing listens any more.
    GunicornBootFailed,
    UwsgiBlockSize {
        size: u32,
        max: u32,
    },
    UwsgiHarakiri,
    UwsgiListenQueueFull,
    /// `uwsgi_response_write…(): Broken pipe … during GET /x`: nginx (or the
    /// client) hung up before uWSGI answered — nginx's timeout is shorter.
    UwsgiBrokenPipe,
    PythonException {
        name: String,
    },
    /// An app server or its loader gave up while starting, before it could
    /// listen: Bundler (`bundler: failed to load command: puma`, `Could not
    /// find pg-1.5.4 in locally installed gems (Bundler::GemNotFound)`,
    /// `(Gem::LoadError)`), Puma (`! Unable to load application: …`), Rails
    /// (`A server is already running. Check …/server.pid.`), uvicorn (`Error
    /// loading ASGI app.`). `app`: `bundler`, `ruby`, `puma`, `rails`,
    /// `uvicorn`; `what`: `missing_gem`, `load_error`, `stale_pid`, `import`.
    BootFailed {
        app: String,
        what: String,
    },
    /// An app server says it listens on a loopback address (`Listening at:
    /// http://127.0.0.1:8000`, `Uvicorn running on http://127.0.0.1:8000`,
    /// ` * Running on http://127.0.0.1:5000`). `in_container`: the line came
    /// through a `docker compose logs` prefix, so that loopback is the
    /// container's own.
    AppBoundLoopback {
        host: String,
        port: u16,
        in_container: bool,
    },
    /// ASP.NET Core's Kestrel announcing an address it listens on (`Now
    /// listening on: http://[::]:8080`, any address, loopback or not). The
    /// segmenter also makes it a [`Listener`] (process `dotnet`): Kestrel
    /// writes it once the socket is bound. `host` as written (`localhost`,
    /// `::`, `*` for `+`/`*`); `in_container` as for [`Signal::AppBoundLoopback`].
    AppListening {
        host: String,
        port: u16,
        in_container: bool,
    },
    // ---- Node / pm2 ----
    /// EADDRINUSE from Node, Python (`[Errno 98]`), gunicorn (`Connection in
    /// use`) or uWSGI; PHP-FPM's bind failure is [`Signal::FpmBindFailed`].
    AddrInUse {
        port: Option<u16>,
    },
    /// Node system error code (`EMFILE`, `ECONNREFUSED`, `MODULE_NOT_FOUND`).
    NodeError {
        code: String,
    },
    /// `FATAL ERROR: … JavaScript heap out of memory` (V8 heap limit, not the kernel).
    NodeHeapOom,
    Pm2UnstableRestarts {
        app: String,
    },
    Pm2Exited {
        app: String,
        signal: String,
    },
    // ---- kernel / containers / MAC ----
    /// Kernel `[Memory cgroup ]Out of memory: Killed process N (comm)`, or the
    /// old kernels' follow-up `Killed process N (comm)`. One per kill: the
    /// `invoked oom-killer`, `oom-kill:constraint=` and old `Kill process …
    /// or sacrifice child` lines of the same kill are not events.
    OomKilled {
        pid: u32,
        comm: String,
    },
    /// The backend refused a request body over its own size limit (and
    /// closed the connection with the body unread): Kestrel's `Request body
    /// too large. The max request body size is 30000000 bytes.`, Spring's
    /// `MaxUploadSizeExceededException`, Tomcat's
    /// `FileSizeLimitExceededException` / `SizeLimitExceededException`.
    /// `server`: `kestrel`, `spring`, `tomcat`.
    BodyTooLarge {
        server: String,
    },
    /// A web server's parent saying one of its worker processes died on a
    /// signal: Apache's `AH00052: child pid 2345 exit signal Segmentation
    /// fault (11)` (and `AH00051` with a core dump). `server`: `apache`.
    /// Whatever the child was serving was cut off with it.
    WorkerCrashed {
        server: String,
        signal: u16,
    },
    /// Kernel `comm[pid]: segfault at …` / `traps: comm[pid] general protection fault`.
    Segfault {
        comm: String,
    },
    /// SELinux `avc:  denied  { perm } for … comm="nginx" … tclass=X permissive=0`
    /// (also setroubleshoot's `SELinux is preventing …`, where permissive is unknown: false).
    AvcDenied {
        perm: String,
        tclass: String,
        permissive: bool,
        comm: String,
    },
    GrpcBogusGreeting,
    /// Tomcat's AJP connector reading something that is no AJP packet
    /// (`AjpMessage.processHeader Invalid message received with signature
    /// [18245]`): 18245 is `GE`, the start of an HTTP `GET`.
    AjpBadSignature {
        signature: u32,
    },
    // ---- systemd journal ----
    /// `X.service: Failed with result 'R'.` (`Unit X entered failed state.` on
    /// old systemd: result `failed`). `unit` has no `.service` suffix.
    /// `Failed with result 'oom-kill'` is a UnitFailed with result `oom-kill`.
    UnitFailed {
        unit: String,
        result: String,
    },
    /// `X.service: A process of this unit has been killed by the OOM killer.`
    UnitOomKill {
        unit: String,
    },
}

/// Which program wrote a grouped line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Nginx,
    PhpFpm,
    Gunicorn,
    Uwsgi,
    Node,
    Pm2,
    Python,
    Kernel,
    Audit,
    Systemd,
    Docker,
    Other,
}

/// The identity of an event group: same signal, action, upstream and server.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct EventKey {
    pub source: Source,
    pub signal: Signal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
    /// Upstream as logged (`http://127.0.0.1:3000`), URI dropped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<Upstream>,
    /// `connect() to X` target, when it differs from `upstream`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

/// One parsed occurrence, before aggregation.
#[derive(Clone, Debug)]
pub struct Event {
    pub key: EventKey,
    pub line: u64,
    /// Seconds since 1970 in the log's own (unknown) zone, when the line has a full date.
    pub time: Option<i64>,
    pub level: Option<Level>,
    pub request: Option<String>,
    pub client: Option<String>,
    pub host: Option<String>,
    pub pid: Option<u32>,
    /// The text as normalised, for evidence.
    pub text: String,
    /// The part of `text` that identifies the signal.
    pub mark: Option<(usize, usize)>,
}

/// Many identical events collapsed into one.
#[derive(Clone, Debug, Serialize)]
pub struct EventGroup {
    pub key: EventKey,
    pub count: u64,
    pub first_line: u64,
    pub last_line: u64,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    pub level: Option<Level>,
    /// Events per minute (`minute since 1970` → count).
    #[serde(skip)]
    pub per_minute: MinuteCounts,
    pub requests: Vec<String>,
    pub clients: Vec<String>,
    pub hosts: Vec<String>,
    pub pids: Vec<u32>,
    pub head: Vec<EvidenceLine>,
    pub tail: Vec<EvidenceLine>,
}

/// Events per minute of one group (`minute since 1970` → count), oldest
/// first, at most [`MAX_BUCKETS`] minutes: past that the two oldest are
/// merged, which keeps the recent shape exact. Read it like a sorted map
/// (`for (minute, count) in &group.per_minute`).
///
/// Logs come mostly in time order, so a minute is nearly always the last
/// one or a new last one: the newest minute is kept in the struct itself,
/// so counting it touches no other memory (with hundreds of groups, their
/// buffers are rarely in the cache), older ones in a ring buffer, where an
/// older minute is found by binary search.
///
/// A bucket is 8 bytes, not 16: its minute as an `i32` (years 1970 ± 4085;
/// a timestamp outside them, which no real log has, counts in the first or
/// last minute there is) and its count as a saturating `u32`. A full ring
/// is 32 KiB a group, which is most of the engine's memory on a long log.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MinuteCounts {
    /// Every minute but the newest, oldest first.
    older: VecDeque<Bucket>,
    /// The newest minute; `None` only when there are none.
    newest: Option<Bucket>,
}

/// `(minute since 1970, events)`: see [`MinuteCounts`].
type Bucket = (i32, u32);

/// `minute` as a bucket's minute, the far past and future clamped.
#[inline]
fn bucket_minute(minute: i64) -> i32 {
    minute.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

impl MinuteCounts {
    pub fn len(&self) -> usize {
        self.older.len() + usize::from(self.newest.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.newest.is_none()
    }

    /// `(minute, count)` pairs, oldest first.
    pub fn iter(&self) -> MinuteIter<'_> {
        self.into_iter()
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = i64> + '_ {
        self.iter().map(|(m, _)| m)
    }

    pub fn get(&self, minute: i64) -> Option<u64> {
        let minute = i32::try_from(minute).ok()?;
        if let Some((m, c)) = self.newest {
            if m == minute {
                return Some(u64::from(c));
            }
        }
        let i = self.older.binary_search_by_key(&minute, |&(m, _)| m).ok()?;
        self.older.get(i).map(|&(_, c)| u64::from(c))
    }

    pub fn first_key_value(&self) -> Option<(i64, u64)> {
        self.older.front().or(self.newest.as_ref()).map(pair)
    }

    pub fn last_key_value(&self) -> Option<(i64, u64)> {
        self.newest.as_ref().map(pair)
    }

    /// One more event in `minute`. Same result as adding to a sorted map and
    /// then, past [`MAX_BUCKETS`] keys, folding the oldest into the next; the
    /// fold is done first so the buffer never grows past the cap.
    #[inline]
    pub fn add(&mut self, minute: i64) {
        let minute = bucket_minute(minute);
        match &mut self.newest {
            Some((m, c)) if *m == minute => *c = c.saturating_add(1),
            Some((m, _)) if *m < minute => self.append(minute),
            None => self.newest = Some((minute, 1)),
            Some(_) => self.add_other(minute),
        }
    }

    /// A minute after every kept one (a log in time order): the newest
    /// moves into the ring. When full, first the oldest minute is folded
    /// into the next, as [`add_to_ring`] does for a minute appended.
    fn append(&mut self, minute: i32) {
        const _: () = assert!(MAX_BUCKETS >= 2, "the fold below needs two minutes");
        if self.len() >= MAX_BUCKETS {
            if let Some((_, oldest)) = self.older.pop_front() {
                match (self.older.front_mut(), &mut self.newest) {
                    (Some((_, c)), _) | (None, Some((_, c))) => *c = c.saturating_add(oldest),
                    (None, None) => {}
                }
            }
        }
        if let Some(n) = self.newest.take() {
            self.older.push_back(n);
        }
        self.newest = Some((minute, 1));
    }

    /// [`Self::add`] for a minute other than the newest: the sorted-ring
    /// step on all the minutes, then the newest taken out again.
    #[cold]
    fn add_other(&mut self, minute: i32) {
        self.older.extend(self.newest.take());
        add_to_ring(&mut self.older, minute);
        self.newest = self.older.pop_back();
    }
}

/// One more event in `minute` of a sorted ring of at most [`MAX_BUCKETS`]
/// minutes (see [`MinuteCounts::add`]).
fn add_to_ring(v: &mut VecDeque<Bucket>, minute: i32) {
    let at = match v.back_mut() {
        Some((m, c)) if *m == minute => {
            *c = c.saturating_add(1);
            return;
        }
        Some((m, _)) if *m < minute => v.len(),
        None => 0,
        Some(_) => match v.binary_search_by_key(&minute, |&(m, _)| m) {
            Ok(i) => {
                v[i].1 = v[i].1.saturating_add(1);
                return;
            }
            Err(i) => i,
        },
    };
    if v.len() < MAX_BUCKETS {
        v.insert(at, (minute, 1));
        return;
    }
    // Full: the new minute and the two oldest are folded as if it had been
    // inserted and the oldest then merged into the next.
    match at {
        0 => v[0].1 = v[0].1.saturating_add(1),
        1 => {
            let oldest = v[0].1;
            v[0] = (minute, oldest.saturating_add(1));
        }
        _ => {
            if let Some((_, oldest)) = v.pop_front() {
                v[0].1 = v[0].1.saturating_add(oldest);
            }
            v.insert(at - 1, (minute, 1));
        }
    }
}

fn pair(e: &Bucket) -> (i64, u64) {
    (i64::from(e.0), u64::from(e.1))
}

/// Iterator over a [`MinuteCounts`]: `(minute, count)` pairs, oldest first.
pub type MinuteIter<'a> = std::iter::Map<
    std::iter::Chain<std::collections::vec_deque::Iter<'a, Bucket>, std::option::Iter<'a, Bucket>>,
    fn(&'a Bucket) -> (i64, u64),
>;

impl<'a> IntoIterator for &'a MinuteCounts {
    type Item = (i64, u64);
    type IntoIter = MinuteIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.older
            .iter()
            .chain(self.newest.iter())
            .map(pair as fn(&'a Bucket) -> (i64, u64))
    }
}

/// Which fields of an occurrence a group still keeps ([`Facts::wants`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wants {
    pub request: bool,
    pub client: bool,
    pub host: bool,
}

/// One occurrence as a group needs it, borrowed from the input line: the
/// streaming parsers hand this over without allocating, and only a new
/// group, a sample slot or a distinct request/client/host copies text.
#[derive(Clone, Copy, Debug)]
pub struct Occurrence<'a> {
    pub line: u64,
    pub time: Option<i64>,
    pub level: Option<Level>,
    pub request: Option<&'a str>,
    pub client: Option<&'a str>,
    pub host: Option<&'a str>,
    pub pid: Option<u32>,
    pub text: &'a str,
    pub mark: Option<(usize, usize)>,
}

impl Event {
    /// The event's occurrence, borrowing its text.
    pub fn occurrence(&self) -> Occurrence<'_> {
        Occurrence {
            line: self.line,
            time: self.time,
            level: self.level,
            request: self.request.as_deref(),
            client: self.client.as_deref(),
            host: self.host.as_deref(),
            pid: self.pid,
            text: &self.text,
            mark: self.mark,
        }
    }
}

impl EventGroup {
    fn new(key: EventKey, ev: &Occurrence<'_>) -> Self {
        EventGroup {
            key,
            count: 0,
            first_line: ev.line,
            last_line: ev.line,
            first_time: ev.time,
            last_time: ev.time,
            level: ev.level,
            per_minute: MinuteCounts::default(),
            requests: Vec::new(),
            clients: Vec::new(),
            hosts: Vec::new(),
            pids: Vec::new(),
            head: Vec::new(),
            tail: Vec::new(),
        }
    }

    fn add(&mut self, ev: &Occurrence<'_>) {
        self.count += 1;
        self.last_line = ev.line;
        if let Some(t) = ev.time {
            if self.first_time.is_none() {
                self.first_time = Some(t);
            }
            self.last_time = Some(t);
            self.per_minute.add(t.div_euclid(60));
        }
        push_distinct(&mut self.requests, ev.request);
        push_distinct(&mut self.clients, ev.client);
        push_distinct(&mut self.hosts, ev.host);
        if let Some(p) = ev.pid {
            if self.pids.len() < DISTINCT_KEEP && !self.pids.contains(&p) {
                self.pids.push(p);
            }
        }
        // An empty mark (a message whose signal names no words of its own)
        // marks nothing.
        let mark = ev.mark.filter(|&(a, e)| a < e && e <= 600);
        if self.head.len() < SAMPLE_HEAD {
            self.head.push(EvidenceLine {
                line: ev.line,
                text: clip(ev.text, 600),
                mark,
            });
        } else if self.tail.len() < SAMPLE_TAIL {
            self.tail.push(EvidenceLine {
                line: ev.line,
                text: clip(ev.text, 600),
                mark,
            });
        } else if let Some(oldest) = self.tail.first_mut() {
            // The oldest tail line gives its buffer to the newest: no allocation
            // once the samples are full.
            oldest.line = ev.line;
            oldest.mark = mark;
            clip_into(&mut oldest.text, ev.text, 600);
            if let [a, b] = &mut self.tail[..] {
                // Two samples (SAMPLE_TAIL): a swap, not a general rotation.
                std::mem::swap(a, b);
            } else {
                self.tail.rotate_left(1);
            }
        }
    }

    /// Evidence lines in input order: the first few and the last few.
    pub fn evidence(&self) -> impl Iterator<Item = &EvidenceLine> {
        self.head.iter().chain(self.tail.iter())
    }
}

#[inline]
fn push_distinct(v: &mut Vec<String>, s: Option<&str>) {
    if let Some(s) = s {
        if v.len() < DISTINCT_KEEP {
            push_if_new(v, s);
        }
    }
}

fn push_if_new(v: &mut Vec<String>, s: &str) {
    if !v.iter().any(|x| x == s) {
        v.push(clip(s, 200));
    }
}

/// [`clip`] into a reused buffer.
fn clip_into(out: &mut String, s: &str, max: usize) {
    out.clear();
    if s.len() <= max {
        out.push_str(s);
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out.push_str(&s[..end]);
    out.push('…');
}

/// A listening socket from `ss`, `netstat`, `lsof` or a backend log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Listener {
    pub addr: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Connections waiting for accept() (ss Recv-Q of a LISTEN socket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recv_q: Option<u32>,
    /// Backlog size (ss Send-Q of a LISTEN socket).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_q: Option<u32>,
    /// Read from the app's own log (Kestrel's `Now listening on:`), not a
    /// socket table: it listened then, which says nothing about now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub from_log: bool,
    pub line: u64,
}

/// A file system entry from `ls -la`, `stat`, `namei` or `getfacl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PathEntry {
    pub path: String,
    /// `s` socket, `d` directory, `l` symlink, `-` file.
    pub file_type: char,
    /// Permission bits (e.g. 0o660).
    pub mode: u32,
    pub owner: String,
    pub group: String,
    /// A trailing `+` (POSIX ACL present).
    pub acl: bool,
    /// ACL users granted rw (from getfacl), when known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub acl_users: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    pub line: u64,
}

/// A name in a short `ls DIR` listing (`php-fpm.sock  php8.1-fpm.pid`),
/// joined to its directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ListedName {
    pub path: String,
    pub line: u64,
}

/// `ls: cannot access 'X': No such file or directory` and the like.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MissingPath {
    pub path: String,
    pub line: u64,
}

/// Unit state from `systemctl status`, `journalctl` or `systemctl is-active`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceState {
    /// Unit name without `.service` (`php8.1-fpm`, `gunicorn`).
    pub name: String,
    /// `active`, `inactive`, `failed`, `activating`, `deactivating`, `reloading`, `not-found`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// `exit-code`, `signal`, `oom-kill`, `timeout`, `start-limit-hit`, `core-dump`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    /// `status=203/EXEC` and the like from `Main PID:`/`Process:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_file: Option<String>,
    /// `Status: "Processes active: 5, idle: 0, …"` of php-fpm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_text: Option<String>,
    pub line: u64,
    /// Line of the `Active:` (or equivalent) line.
    pub active_line: u64,
    /// The error the unit's own process logged in the journal tail of
    /// `systemctl status`, with its input line: the first line that names
    /// one (`ModuleNotFoundError: No module named 'x'`, `Could not find
    /// nokogiri …`), else the first that says something failed. Usually why
    /// it stopped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<(u64, String)>,
}

impl ServiceState {
    /// A state from a one-line answer (`is-active`, rc.d, OpenRC, `brew
    /// services list`): a name and a state, nothing else known.
    pub fn bare(name: String, state: &str, line: u64) -> ServiceState {
        ServiceState {
            name,
            state: state.into(),
            sub: None,
            result: None,
            exit_status: None,
            description: None,
            unit_file: None,
            status_text: None,
            line,
            active_line: line,
            last_error: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.state == "active" || self.state == "reloading"
    }
}

/// A PHP-FPM pool (`[www]` section of a pool file).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FpmPool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Pool keys in order (`listen`, `listen.owner`, `pm.max_children`...):
    /// last value wins; value and input line.
    pub keys: BTreeMap<String, (String, u64)>,
    pub line: u64,
}

impl FpmPool {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|(v, _)| v.as_str())
    }
    pub fn line_of(&self, key: &str) -> Option<u64> {
        self.keys.get(key).map(|(_, l)| *l)
    }
    pub fn listen(&self) -> Option<Address> {
        self.get("listen").and_then(Address::parse)
    }
}

/// A uWSGI app's `[uwsgi]` section (an ini file): where it listens and in
/// which protocol, and who owns its socket.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct UwsgiIni {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Keys in order, last value wins (as in uWSGI for single-valued
    /// options); value (with `%(name)` references filled in) and input line.
    pub keys: BTreeMap<String, (String, u64)>,
    pub line: u64,
    /// Read from uWSGI's command line (`--http-socket :8000`), not an ini.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub command: bool,
}

/// The uWSGI options that open a listening socket, and the protocol each speaks.
pub const UWSGI_SOCKET_KEYS: &[(&str, &str)] = &[
    ("socket", "uwsgi"),
    ("uwsgi-socket", "uwsgi"),
    ("http-socket", "http"),
    ("http", "http"),
    ("https", "https"),
    ("https-socket", "https"),
    ("fastcgi-socket", "fastcgi"),
];

impl UwsgiIni {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|(v, _)| v.as_str())
    }
    pub fn line_of(&self, key: &str) -> Option<u64> {
        self.keys.get(key).map(|(_, l)| *l)
    }
    /// Every listening option: (key, protocol, address, line). `:8000` is
    /// every address; an `https` value's certificate part is dropped.
    pub fn sockets(&self) -> Vec<(&'static str, &'static str, Address, u64)> {
        UWSGI_SOCKET_KEYS
            .iter()
            .filter_map(|(k, proto)| {
                let (v, line) = self.keys.get(*k)?;
                let v = v.split(',').next().unwrap_or(v).trim();
                let addr = match Address::parse(v)? {
                    Address::Tcp {
                        host,
                        port: Some(p),
                    } if host.is_empty() => Address::Tcp {
                        host: "*".into(),
                        port: Some(p),
                    },
                    Address::Tcp { port: None, .. } => return None,
                    a => a,
                };
                Some((*k, *proto, addr, *line))
            })
            .collect()
    }
    /// The ini's name without directory and `.ini` (`/etc/uwsgi/apps-enabled/app.ini` → `app`).
    pub fn app_name(&self) -> Option<&str> {
        let f = self.file.as_deref()?;
        let base = f.rsplit('/').next().unwrap_or(f);
        let stem = base.strip_suffix(".ini").unwrap_or(base);
        (!stem.is_empty()).then_some(stem)
    }
}

/// One program row of `supervisorctl status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupervisorProgram {
    /// `myapp`, or `group:myapp`.
    pub name: String,
    /// `RUNNING`, `STOPPED`, `STARTING`, `BACKOFF`, `FATAL`, `EXITED`, `STOPPING`.
    pub state: String,
    pub line: u64,
}

/// One app row of `pm2 list`/`pm2 describe`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pm2App {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u32>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    pub line: u64,
}

/// A container row of `docker ps` / `docker compose ps`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Container {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Docker's state word: `running`, `exited`, `restarting`, `created`,
    /// `paused`, `dead`, `removing` (from `Up 2 hours`, `Exited (137) …`).
    pub status: String,
    /// `Exited (137)` → 137.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// `0.0.0.0:80->80/tcp`, `9000/tcp`.
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oom_killed: Option<bool>,
    /// A pod's namespace (`kubectl get pods -A`'s NAMESPACE column, or the
    /// `-n` of the pasted `kubectl get pods` command).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// A pod's memory limit (`kubectl describe pod`: `Limits: memory: 512Mi`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_limit: Option<String>,
    pub line: u64,
}

/// An Ingress row of `kubectl get ingress`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IngressRow {
    pub name: String,
    /// The NAMESPACE column (`-A`), else the `-n` of the pasted command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The HOSTS column split on commas (`*` for any host).
    pub hosts: Vec<String>,
    /// `service:port` of its backends (`kubectl describe ingress`'s Rules
    /// and Default backend).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub backends: Vec<String>,
    pub line: u64,
}

/// A service of a pasted `docker-compose.yml` / `compose.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ComposeService {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Built from a Dockerfile (`build:`) rather than pulled.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub build: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_name: Option<String>,
    /// `ports:` as written, long syntax as `published:target` (`8080:80`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expose: Vec<String>,
    /// `command:` joined into one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// `host`, `bridge`, `service:x`, `container:x`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_mode: Option<String>,
    /// `extra_hosts:` (`host.docker.internal:host-gateway`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_hosts: Vec<String>,
    /// Line of the service's name.
    pub line: u64,
}

/// The outcome of a `curl` run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CurlResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The `Server:` header (`nginx/1.24.0`, `cloudflare`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `curl: (7) …` exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub line: u64,
}

/// Access-log figures aggregated over all lines.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccessStats {
    pub lines: u64,
    /// Status code → count (all lines).
    pub status: BTreeMap<u16, u64>,
    /// `$upstream_status` values seen with a 5xx.
    pub upstream_status: BTreeMap<String, u64>,
    /// 5xx lines whose upstream sent that 5xx itself: `$upstream_status`
    /// 5xx with a `$upstream_header_time` (nginx's own 502/504 after a
    /// refused or timed-out attempt logs `-` there).
    pub backend_5xx: u64,
    /// Highest `$upstream_response_time` / `$request_time` seen on a 502/504 (ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_5xx_time_ms: Option<u64>,
    /// Upstream-time histogram for 5xx lines, ms rounded to the second → count.
    pub time_5xx_seconds: BTreeMap<u64, u64>,
    /// 5xx per upstream address as logged.
    pub upstream_addr_5xx: BTreeMap<String, u64>,
    pub first_5xx_line: Option<u64>,
    pub last_5xx_line: Option<u64>,
    /// Up to a few 5xx lines as evidence.
    pub samples: Vec<EvidenceLine>,
}

impl AccessStats {
    pub fn count_5xx(&self, code: u16) -> u64 {
        self.status.get(&code).copied().unwrap_or(0)
    }
}

/// A line that tells which distribution / package family this is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Distro {
    #[default]
    Unknown,
    Debian,
    Rhel,
    Alpine,
    Docker,
    /// FreeBSD (ports/pkg: `/usr/local/etc/`, rc.d `service x status`).
    #[serde(rename = "freebsd")]
    FreeBsd,
    /// macOS with Homebrew (`/opt/homebrew/`, `brew services`).
    Homebrew,
}

/// The nginx worker user (`user www-data;`, or `ps` output).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NginxUser {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub line: u64,
}

/// Input lines `first_line..=last_line` show (part of) the file `path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownFile {
    pub path: String,
    pub first_line: u64,
    pub last_line: u64,
    /// The line of the file that input line `first_line` is, when known:
    /// after `cat FILE` (the file from its start) or from `grep -n`'s own
    /// number; `None` for a part of the file at an unknown place.
    pub first_in_file: Option<u64>,
}

impl ShownFile {
    /// The file and, when known, the line in it of input line `line`.
    pub fn place_of(&self, line: u64) -> Option<(&str, Option<u32>)> {
        if !(self.first_line..=self.last_line).contains(&line) {
            return None;
        }
        let in_file = self
            .first_in_file
            .and_then(|f| u32::try_from(f + (line - self.first_line)).ok());
        Some((&self.path, in_file))
    }
}

/// Everything learned from one paste.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub groups: Vec<EventGroup>,
    group_index: std::collections::HashMap<EventKey, usize>,
    /// Events not grouped because `MAX_GROUPS` was reached.
    pub overflow: u64,
    pub access: AccessStats,
    pub config: Option<crate::artifacts::nginx_config::NginxConfig>,
    pub listeners: Vec<Listener>,
    pub paths: Vec<PathEntry>,
    pub missing_paths: Vec<MissingPath>,
    /// Names of a short `ls DIR` listing: neither type nor mode is known.
    pub listed_names: Vec<ListedName>,
    pub services: Vec<ServiceState>,
    pub pools: Vec<FpmPool>,
    /// Pasted uWSGI ini files (`[uwsgi]` sections).
    pub uwsgi: Vec<UwsgiIni>,
    pub pm2: Vec<Pm2App>,
    /// Programs of `supervisorctl status`.
    pub supervisor: Vec<SupervisorProgram>,
    pub containers: Vec<Container>,
    /// Rows of a pasted `kubectl get ingress`.
    pub ingresses: Vec<IngressRow>,
    /// Services of pasted compose files.
    pub compose_services: Vec<ComposeService>,
    pub curl: Vec<CurlResult>,
    pub nginx_user: Option<NginxUser>,
    /// `getenforce` / `sestatus` mode, when pasted.
    pub selinux_mode: Option<(String, u64)>,
    /// Host names a pasted certificate is for (`openssl x509 -noout -subject`'s
    /// `subject=CN = app.example.com`, `-ext subjectAltName`'s `DNS:` list),
    /// with their line.
    pub cert_names: Vec<(String, u64)>,
    /// Cloudflare's own timeout page (`Error code 524`, `A timeout
    /// occurred`): the line. Cloudflare waits 100 s for the origin.
    pub cloudflare_524: Option<u64>,
    /// nginx version (`nginx/1.24.0`), when seen.
    pub nginx_version: Option<String>,
    /// True when something shows nginx runs in a container (compose prefix, docker ps).
    pub nginx_in_container: bool,
    /// The client address that alone showed nginx runs in a container: a
    /// Docker bridge gateway (see [`Facts::settle`]).
    pub docker_gateway_client: Option<String>,
    /// True when the paste shows nginx is the Kubernetes ingress-nginx
    /// controller (its pod name on log lines, `kubectl logs -n ingress-nginx`):
    /// its config is set with Ingress annotations and its ConfigMap.
    pub ingress_nginx: bool,
    /// A `kubectl get pods` table was pasted: the backends are pods.
    pub kubernetes: bool,
    /// nginx is Nginx Proxy Manager's (its log paths `/data/logs/proxy-host-N_error.log`,
    /// its generated `/data/nginx/proxy_host/N.conf`, its image, or the
    /// paste says so): proxy hosts are edited in its web UI, and it runs
    /// in a container.
    pub npm: bool,
    /// The paste shows a Plesk server (its `/var/www/vhosts/` tree, or
    /// says Plesk): nginx's vhost configs are written by Plesk, and
    /// directives are added in its panel.
    pub plesk: bool,
    /// Pasted nginx configs whose file the paste named (`cat FILE`, an
    /// editor command, a caption line such as `# FILE`), in input order.
    /// Not `nginx -T`, which names its files itself.
    pub shown_configs: Vec<ShownFile>,
    /// The PHP version of Plesk's FPM handler a caption or command names
    /// (`/var/log/plesk-php82-fpm/error.log`, `/opt/plesk/php/8.2/`): `8.2`.
    pub plesk_php: Option<String>,
    /// Distribution families the user's own words name (`Debian 12`,
    /// `CentOS Stream 9`, `AlmaLinux 8`): a last resort when nothing pasted
    /// shows the family. Both families named: neither is trusted.
    pub distro_named: Vec<Distro>,
    /// Kubernetes Services the paste shows without a ready endpoint:
    /// `namespace/name` (or `name` alone) and the line, from ingress-nginx's
    /// `Service "web/shop" does not have any active Endpoint` and from
    /// `kubectl describe ingress` backends listed as `(<none>)`.
    pub no_endpoints: Vec<(String, u64)>,
    /// Containers whose `docker compose logs` prefix (`web-1  | `) carried
    /// a backend's log line, as written in the prefix, in order of appearance.
    pub app_log_containers: Vec<String>,
    /// A `docker compose` / `docker-compose` command was pasted: containers
    /// are run by compose, whatever their names look like.
    pub compose_cmd: bool,
    /// Names given by pasted `docker run … --name <name>` commands (plain
    /// Docker, no compose), in order of appearance; a `docker run` without
    /// `--name` still counts as plain Docker ([`Facts::docker_run`]).
    pub docker_run_names: Vec<String>,
    /// A `docker run` command was pasted.
    pub docker_run: bool,
    /// The compose service nginx runs as, when the paste names it: an
    /// nginx-image service of a compose file, else the `web-1  | ` prefix
    /// of its log lines, else a `docker ps` row. Fix commands say
    /// `docker compose exec <it>`.
    pub nginx_service: Option<String>,
    /// Units of pasted `journalctl -u <unit>` commands (without `.service`),
    /// in order of appearance.
    pub journal_units: Vec<String>,
    /// PHP versions that pasted commands name in PHP-FPM paths (`tail
    /// /var/log/php8.2-fpm.log`, `grep … /etc/php/8.2/fpm/`), in order.
    pub php_versions_named: Vec<String>,
    /// Services of pasted OpenRC commands (`rc-service php-fpm81 status`:
    /// Alpine, Gentoo), in order of appearance.
    pub openrc_services: Vec<String>,
    /// Namespaces of pasted `kubectl … -n <ns>` commands other than
    /// ingress-nginx's own, in order of appearance.
    pub kubectl_namespaces: Vec<String>,
    /// Deployments named by pasted `kubectl logs deploy/<name>` commands
    /// (not the ingress controller's).
    pub kubectl_deployments: Vec<String>,
    /// Containers named by pasted `kubectl logs … -c <name>` commands.
    pub kubectl_containers: Vec<String>,
    /// Distro hints.
    pub distro: Distro,
    /// Collector sections present (`### upstream-doctor: <section> ###`).
    pub sections: Vec<String>,
    /// Line numbers of lines that were kept as facts in any artifact (for
    /// tests of determinism), not serialised.
    pub total_lines: u64,
    /// The text of lines that facts other than events came from (tables,
    /// configs, status blocks), by input line: evidence quotes these lines
    /// as they were pasted, never a paraphrase. Bounded by
    /// [`MAX_SOURCE_LINES`].
    pub source_lines: BTreeMap<u64, String>,
}

/// Most block lines whose text is kept for evidence (at most ~12 MB of text:
/// 20,000 lines of up to 600 bytes).
pub const MAX_SOURCE_LINES: usize = 20_000;

impl Facts {
    /// The file the paste named for input line `line` of a config, and
    /// the line in that file when known (see [`ShownFile`]).
    pub fn shown_place(&self, line: u64) -> Option<(&str, Option<u32>)> {
        self.shown_configs.iter().find_map(|s| s.place_of(line))
    }

    /// Something shows nginx runs in a container: note it, and take the
    /// service name `name` gives (called only when none is known yet: the
    /// first one seen is kept).
    pub fn nginx_runs_in(&mut self, name: impl FnOnce() -> String) {
        self.nginx_in_container = true;
        if self.nginx_service.is_none() {
            self.nginx_service = Some(name());
        }
    }

    /// What the whole paste shows once it is read, beyond its lines.
    ///
    /// nginx logged a Docker bridge gateway (`172.17.0.1` … `172.31.0.1`)
    /// as the client of an upstream problem: a request to a port published
    /// from the host reaches a containerised nginx from that address, so
    /// nginx runs in a container even when no prefix or `docker ps` says
    /// so, and its `127.0.0.1` is its own container.
    pub fn settle(&mut self) {
        let npm_image = |i: &Option<String>| {
            i.as_deref()
                .is_some_and(|i| i.contains("nginx-proxy-manager"))
        };
        self.npm = self.npm
            || self.containers.iter().any(|c| npm_image(&c.image))
            || self.compose_services.iter().any(|c| npm_image(&c.image))
            || self
                .config
                .as_ref()
                .is_some_and(|c| c.passes().iter().any(|p| p.npm));
        if self.npm {
            self.nginx_in_container = true;
        }
        // Kubernetes has its own commands; the gateway says nothing there.
        if self.nginx_in_container || self.ingress_nginx || self.kubernetes {
            return;
        }
        let gateway = self
            .groups
            .iter()
            .filter(|g| g.key.source == Source::Nginx)
            .flat_map(|g| g.clients.iter())
            .find(|c| is_docker_gateway(c));
        if let Some(c) = gateway {
            self.docker_gateway_client = Some(c.clone());
            self.nginx_in_container = true;
        }
    }

    /// Keep the text of a line that facts were read from (see `source_lines`).
    pub fn remember_line(&mut self, line: u64, text: &str) {
        if self.source_lines.len() < MAX_SOURCE_LINES && !text.is_empty() {
            self.source_lines.insert(line, clip(text, 600));
        }
    }

    /// Add one event, grouping it with its twins.
    pub fn add_event(&mut self, ev: Event) {
        let occ = ev.occurrence();
        if let Some(&i) = self.group_index.get(&ev.key) {
            self.groups[i].add(&occ);
            return;
        }
        if self.groups.len() >= MAX_GROUPS {
            self.overflow += 1;
            return;
        }
        let key = ev.key.clone();
        self.new_group(key, &occ);
    }

    /// Add one occurrence under `key`; returns the index of its group, or
    /// `None` when it was counted in `overflow`. The index stays valid (groups
    /// are never removed), so a parser may remember it and call
    /// [`Facts::add_to_group`] for the next occurrence of the same key.
    pub fn add_keyed(&mut self, key: EventKey, occ: &Occurrence<'_>) -> Option<usize> {
        if let Some(&i) = self.group_index.get(&key) {
            self.groups[i].add(occ);
            return Some(i);
        }
        if self.groups.len() >= MAX_GROUPS {
            self.overflow += 1;
            return None;
        }
        Some(self.new_group(key, occ))
    }

    /// Which of an occurrence's request, client and host the group at
    /// `index` would still keep: a list that holds [`DISTINCT_KEEP`]
    /// values takes no more, so a parser need not look for that field.
    #[inline]
    pub fn wants(&self, index: usize) -> Wants {
        match self.groups.get(index) {
            Some(g) => Wants {
                request: g.requests.len() < DISTINCT_KEEP,
                client: g.clients.len() < DISTINCT_KEEP,
                host: g.hosts.len() < DISTINCT_KEEP,
            },
            None => Wants::default(),
        }
    }

    /// Add one occurrence to the group at `index` (from [`Facts::add_keyed`]).
    pub fn add_to_group(&mut self, index: usize, occ: &Occurrence<'_>) {
        if let Some(g) = self.groups.get_mut(index) {
            g.add(occ);
        }
    }

    fn new_group(&mut self, key: EventKey, occ: &Occurrence<'_>) -> usize {
        let i = self.groups.len();
        let mut g = EventGroup::new(key.clone(), occ);
        self.group_index.insert(key, i);
        g.add(occ);
        self.groups.push(g);
        i
    }

    /// Groups whose signal satisfies `pred`.
    pub fn groups_where<'a>(
        &'a self,
        pred: impl Fn(&EventGroup) -> bool + 'a,
    ) -> impl Iterator<Item = &'a EventGroup> + 'a {
        self.groups.iter().filter(move |g| pred(g))
    }

    /// Latest state reported for a unit name.
    pub fn service(&self, name: &str) -> Option<&ServiceState> {
        self.services.iter().rev().find(|s| s.name == name)
    }

    /// The last time seen in any group (used to weigh recency).
    pub fn last_time(&self) -> Option<i64> {
        self.groups.iter().filter_map(|g| g.last_time).max()
    }
}

/// A fast deterministic hasher for keys that parsers build from slices of a
/// line (see `error_log::Stream`): one 64-bit multiply per 8 bytes (not a
/// 128-bit one, which WebAssembly has no instruction for), then a rotation
/// that brings the well-mixed high bits down to the low bits the table
/// indexes with. Not keyed, so only for maps whose size is capped; only
/// looked up, never iterated, so the hash never shows in a report.
#[derive(Clone, Copy, Debug, Default)]
pub struct SliceHasher(u64);

impl SliceHasher {
    #[inline]
    fn mix(&mut self, word: u64) {
        const K: u64 = 0x9e37_79b9_7f4a_7c15;
        self.0 = (self.0 ^ word).wrapping_mul(K).rotate_left(29);
    }
}

impl std::hash::Hasher for SliceHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Sixteen bytes at a time into two states that do not wait for each
        // other (a multiply takes a few cycles; a key of a hundred bytes or
        // so is hashed on every error.log line), then folded into one.
        let mut pairs = bytes.chunks_exact(16);
        if pairs.len() > 0 {
            let mut other = SliceHasher(self.0 ^ 0x6a09_e667_f3bc_c908);
            for p in &mut pairs {
                let (a, b) = p.split_at(8);
                self.mix(u64::from_le_bytes(a.try_into().unwrap_or([0; 8])));
                other.mix(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
            }
            self.mix(other.0);
        }
        let mut words = pairs.remainder().chunks_exact(8);
        for w in &mut words {
            self.mix(u64::from_le_bytes([
                w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
            ]));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            // Byte by byte (at most seven): a copy of a varying length is a
            // call.
            let w = rest
                .iter()
                .rev()
                .fold(0u64, |w, &c| (w << 8) | u64::from(c));
            self.mix(w ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// `172.N.0.1` with `N` in 17..=31: the gateway of a Docker bridge network
/// (the default `docker0` and compose's networks).
pub(crate) fn is_docker_gateway(addr: &str) -> bool {
    let mut parts = addr.split('.');
    let (Some("172"), Some(n), Some("0"), Some("1"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    n.parse::<u8>().is_ok_and(|n| (17..=31).contains(&n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_gateways_are_the_first_address_of_a_bridge_network() {
        for a in ["172.17.0.1", "172.18.0.1", "172.31.0.1"] {
            assert!(is_docker_gateway(a), "{a}");
        }
        for a in [
            "172.16.0.1",
            "172.32.0.1",
            "172.18.0.2",
            "172.18.1.1",
            "10.0.0.1",
            "172.18.0.1.5",
            "172.18.0",
            "",
            "172.x.0.1",
            "127.0.0.1",
        ] {
            assert!(!is_docker_gateway(a), "{a}");
        }
    }

    #[test]
    fn level_names_parse_as_the_string_match_did() {
        let reference = |s: &str| match s {
            "debug" => Some(Level::Debug),
            "info" => Some(Level::Info),
            "notice" => Some(Level::Notice),
            "warn" => Some(Level::Warn),
            "error" => Some(Level::Error),
            "crit" => Some(Level::Crit),
            "alert" => Some(Level::Alert),
            "emerg" => Some(Level::Emerg),
            _ => None,
        };
        let mut inputs = vec![
            String::new(),
            "error\0".into(),
            "\0error".into(),
            "errorx".into(),
            "Error".into(),
            "err".into(),
            "erro".into(),
            "emergency".into(),
            "noticed".into(),
            "é".into(),
            "\0\0\0\0".into(),
        ];
        for l in Level::ALL {
            let name = serde_json::to_value(l).unwrap();
            let name = name.as_str().unwrap();
            inputs.push(name.into());
            inputs.push(format!("{name}\0"));
            inputs.push(format!("{name} "));
            inputs.push(name[..name.len() - 1].into());
            inputs.push(name.to_uppercase());
        }
        for s in &inputs {
            assert_eq!(Level::parse(s), reference(s), "{s:?}");
        }
    }

    /// The sorted-map definition the ring buffer must match: insert, then
    /// past the cap fold the oldest minute into the next.
    fn reference(minutes: &[i64]) -> BTreeMap<i64, u64> {
        let mut m = BTreeMap::new();
        for &k in minutes {
            *m.entry(k).or_insert(0) += 1;
            if m.len() > MAX_BUCKETS {
                let mut it = m.iter();
                let (&k0, &v0) = it.next().expect("non-empty");
                let (&k1, _) = it.next().expect("two entries");
                m.remove(&k0);
                *m.get_mut(&k1).expect("present") += v0;
            }
        }
        m
    }

    fn check(minutes: &[i64]) {
        let mut counts = MinuteCounts::default();
        for &k in minutes {
            counts.add(k);
        }
        let got: Vec<(i64, u64)> = counts.iter().collect();
        let want: Vec<(i64, u64)> = reference(minutes).into_iter().collect();
        assert_eq!(got, want);
        assert_eq!(counts.len(), want.len());
        assert_eq!(counts.is_empty(), want.is_empty());
        assert_eq!(counts.first_key_value(), want.first().copied());
        assert_eq!(counts.last_key_value(), want.last().copied());
        assert!(counts.keys().eq(want.iter().map(|(k, _)| *k)));
        for &(k, v) in &want {
            assert_eq!(counts.get(k), Some(v));
        }
        assert_eq!(counts.get(i64::MIN), None);
    }

    #[test]
    fn minute_counts_match_a_sorted_map() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x = crate::text::xorshift(x);
            x
        };
        // In order, with repeats and gaps, past the cap.
        let mut t = 0i64;
        let in_order: Vec<i64> = (0..12_000)
            .map(|_| {
                t += (next() % 3) as i64;
                t
            })
            .collect();
        check(&in_order);
        // Out of order, in a range wider than the cap (merges at the front,
        // inserts before the two oldest, in the middle and at the end).
        let shuffled: Vec<i64> = (0..20_000).map(|_| (next() % 9_000) as i64 - 100).collect();
        check(&shuffled);
        // Going back in time once (two files pasted one after the other).
        let mut twice = in_order.clone();
        twice.extend(in_order.iter().map(|m| m - 50));
        check(&twice);
        // Always older than anything kept.
        let falling: Vec<i64> = (0..10_000).rev().collect();
        check(&falling);
        check(&[]);
        check(&[5]);
        check(&[5, 3, 5, 4]);
    }

    #[test]
    fn minutes_out_of_range_count_at_the_ends() {
        let mut counts = MinuteCounts::default();
        let (lo, hi) = (i64::from(i32::MIN), i64::from(i32::MAX));
        for m in [hi + 1, i64::MAX, 7, lo - 1, i64::MIN, hi, lo] {
            counts.add(m);
        }
        assert_eq!(
            counts.iter().collect::<Vec<_>>(),
            vec![(lo, 3), (7, 1), (hi, 3)]
        );
        assert_eq!(counts.get(hi + 1), None);
    }

    #[test]
    fn tail_samples_reuse_their_buffers_and_keep_order() {
        let mut f = Facts::default();
        let key = EventKey {
            source: Source::Nginx,
            signal: Signal::NoLiveUpstreams,
            action: None,
            upstream: None,
            server: None,
        };
        for line in 1..=10u64 {
            let text = format!("line {line} {}", "x".repeat(line as usize * 70));
            let occ = Occurrence {
                line,
                time: None,
                level: None,
                request: None,
                client: None,
                host: None,
                pid: None,
                text: &text,
                mark: Some((0, 4)),
            };
            f.add_keyed(key.clone(), &occ);
        }
        let g = &f.groups[0];
        let lines: Vec<u64> = g.evidence().map(|e| e.line).collect();
        assert_eq!(lines, [1, 2, 3, 9, 10]);
        assert_eq!(
            g.tail[0].text,
            clip(&format!("line 9 {}", "x".repeat(630)), 600)
        );
        assert!(g.tail[1].text.ends_with('…'));
        assert_eq!(g.count, 10);
    }
}
