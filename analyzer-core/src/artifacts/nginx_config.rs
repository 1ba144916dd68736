//! nginx configuration: tokenizer, block parser and the queries cause rules
//! ask ("which address does this location proxy to, and with which
//! `proxy_read_timeout`?").
//!
//! Why a real parser and not line regexes: what matters for a 502/504 is
//! rarely one line but the directive *in force* for one `location` —
//! `proxy_read_timeout` may sit in `http {}` of `nginx.conf` while the
//! `proxy_pass` lives in `sites-enabled/app`, and a `fastcgi_pass` may come
//! from a snippet pulled in with `include`. So the parser rebuilds the block
//! tree of every pasted file, and the queries walk it with nginx's own
//! inheritance rule (the innermost level that sets a directive wins).
//!
//! Input is what people paste: `nginx -T` dumps (files split on
//! `# configuration file <path>:` markers, with `nginx: … syntax is ok`
//! status lines mixed in), single files, a lone `server {}` or `location {}`,
//! or just a couple of directives. CRLF and tabs are whitespace.
//!
//! Architecture invariants:
//! - Parsing never fails and never panics. Problems (an unbalanced brace, a
//!   quote never closed, a directive without `;`) become [`ParseWarning`]s
//!   with their input line, and the partial tree is kept.
//! - Parsing is linear in the input and iterative: nesting deeper than
//!   [`MAX_DEPTH`] is counted, not stored, so neither parsing nor dropping,
//!   cloning or printing the tree can overflow the stack.
//!
//! Deliberate deviations from nginx's own reader, all towards tolerance:
//! an unquoted `}` ends a word (nginx would keep `foo}` as one word), and a
//! statement cut short by `}` or the end of input is kept as a directive.

use super::{BlockLine, BlockState, ParseWarning};
use crate::facts::{Address, NginxUser, Upstream};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Deepest block nesting kept in the tree. Real configurations stay below
/// ten levels; anything deeper is a paste accident or an attack, and keeping
/// it would make recursive `Drop`/`Clone`/`Debug` of the tree risky.
pub const MAX_DEPTH: usize = 64;
/// Most warnings one parse reports; one more line says how many were cut.
pub const MAX_WARNINGS: usize = 50;
/// Most include hops followed when resolving inheritance (guards cycles).
const MAX_INCLUDE_HOPS: usize = 8;
/// Most files one file may reach through top-level includes before the
/// cache stops summarising its names (a paste where every file includes
/// every other would otherwise cost files² work up front).
const MAX_CLOSURE_FILES: usize = 64;
/// Most logical placements of one directive (a snippet included from many
/// server blocks is reported once per including location, up to this).
const MAX_PLACEMENTS: usize = 64;

/// The directives that hand a request to a backend.
pub const PASS_DIRECTIVES: &[&str] = &[
    "proxy_pass",
    "fastcgi_pass",
    "uwsgi_pass",
    "scgi_pass",
    "grpc_pass",
    "memcached_pass",
];

/// One parsed directive: `name args…;` or `name args… { children }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Directive {
    pub name: String,
    /// Arguments with quotes removed and nginx escapes (`\"`, `\\`) undone.
    pub args: Vec<String>,
    /// 1-based input line of the directive's name.
    pub line: u64,
    /// The file it came from, when the paste was `nginx -T` output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Line within `file` (1 = the line after the `# configuration file` marker).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_line: Option<u32>,
    /// `Some` for block directives (`server { … }`), even when empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children: Option<Vec<Directive>>,
}

impl Directive {
    pub fn is_block(&self) -> bool {
        self.children.is_some()
    }

    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }

    /// The arguments as one would write them (`~ \.php$`, `443 ssl`).
    pub fn args_joined(&self) -> String {
        self.args.join(" ")
    }

    /// `file:line` when the file is known, else `line N` of the input; for
    /// messages that send the reader back to the right place.
    pub fn location_label(&self) -> String {
        match (&self.file, self.file_line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            _ => format!("line {}", self.line),
        }
    }
}

/// Where a request leaves nginx: one `*_pass` directive, placed in its
/// location and server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pass {
    /// `proxy_pass`, `fastcgi_pass`, `uwsgi_pass`, `scgi_pass`, `grpc_pass`
    /// or `memcached_pass`.
    pub directive: String,
    /// The argument as written (`http://127.0.0.1:3000/`, `$up`, `php-fpm`).
    pub target: String,
    /// The parsed target, `None` when it contains a variable (resolved per
    /// request). The scheme is `http`/`https` for `proxy_pass` as written,
    /// and `fastcgi`/`uwsgi`/`scgi`/`grpc`/`memcached` for the other
    /// directives when no scheme is written.
    pub upstream: Option<Upstream>,
    pub has_variable: bool,
    pub line: u64,
    pub file: Option<String>,
    pub file_line: Option<u32>,
    /// Nginx Proxy Manager's pass: its `include conf.d/include/proxy.conf;`
    /// (which holds `proxy_pass $forward_scheme://$server:$port$request_uri;`)
    /// read with the proxy host's `set $server` / `set $port`. Such a
    /// config is written by NPM from its UI: fixes are made there.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub npm: bool,
    /// Arguments of the innermost enclosing `location` (`/`, `~ \.php$`).
    pub location: Option<String>,
    /// All `server_name` arguments of the enclosing `server`.
    pub server_names: Vec<String>,
    /// The address argument of each `listen` of the enclosing `server`
    /// (`80`, `[::]:443`, `unix:/run/x.sock`); flags like `ssl` are left out.
    pub listen: Vec<String>,
    /// The addresses of [`Self::listen`] that serve TLS (`listen 443 ssl`,
    /// `listen 443 quic`).
    pub tls_listen: Vec<String>,
    /// Input lines of the `include` directives that brought the file holding
    /// this pass into the tree (`include sites-enabled/*;`, then
    /// `include snippets/x.conf;` …), innermost first; empty when its file is
    /// included nowhere (a single pasted file). A snippet included from three
    /// locations gives three passes, told apart by this list.
    pub via_includes: Vec<u64>,
}

impl Pass {
    /// `file:line` of the directive when the file is known, else `line N`
    /// of the input.
    pub fn place(&self) -> String {
        match (&self.file, self.file_line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            _ => format!("line {}", self.line),
        }
    }

    /// The directive family prefix (`proxy`, `fastcgi`, `uwsgi`, `scgi`,
    /// `grpc`, `memcached`), so rules can ask for `{prefix}_read_timeout`.
    pub fn prefix(&self) -> &str {
        self.directive
            .strip_suffix("_pass")
            .unwrap_or(&self.directive)
    }
}

/// One `server` line of an `upstream {}` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpstreamServer {
    pub addr: Address,
    /// Everything after the address: `max_fails=3`, `fail_timeout=30s`,
    /// `backup`, `down`, `weight=2`, `resolve`.
    pub params: Vec<String>,
    pub line: u64,
}

impl UpstreamServer {
    /// The value of `key=value` among the params (`param("max_fails")`).
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find_map(|p| p.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
    }

    /// True for a bare flag (`backup`, `down`, `resolve`).
    pub fn has_flag(&self, flag: &str) -> bool {
        self.params.iter().any(|p| p == flag)
    }
}

/// An `upstream name { … }` block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UpstreamBlock {
    pub name: String,
    pub servers: Vec<UpstreamServer>,
    /// `keepalive N`: idle connections cached per worker.
    pub keepalive: Option<u32>,
    pub keepalive_timeout: Option<String>,
    pub line: u64,
    pub file: Option<String>,
    pub file_line: Option<u32>,
}

/// A parsed configuration: one or more pasted files.
///
/// Queries build lookup tables on first use and keep them; [`merge`]
/// (Self::merge) drops them. After editing `directives` or `files` by hand,
/// call [`clear_cache`](Self::clear_cache).
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct NginxConfig {
    /// Paths of the files seen in `nginx -T` markers, in order; empty when
    /// the paste was not `nginx -T` output.
    pub files: Vec<String>,
    /// Top-level directives of every file, in input order; each carries its
    /// `file`, so the roots of one file are those with that `file`.
    pub directives: Vec<Directive>,
    pub warnings: Vec<ParseWarning>,
    #[serde(skip)]
    cache: QueryCache,
}

impl std::fmt::Debug for NginxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NginxConfig")
            .field("files", &self.files)
            .field("directives", &self.directives)
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl NginxConfig {
    /// Parse a buffered config block. Never fails: see the module docs.
    pub fn parse(lines: &[BlockLine]) -> NginxConfig {
        let mut cfg = NginxConfig::default();
        let mut warn = Warnings::default();
        let mut parser = FileParser::new(None, None);
        for l in lines {
            let text = l.text.as_str();
            if let Some(path) = file_marker(text) {
                parser.finish(&mut cfg.directives, &mut warn);
                if !cfg.files.iter().any(|f| f == path) {
                    cfg.files.push(path.to_string());
                }
                parser = FileParser::new(Some(path.to_string()), Some(l.no));
                continue;
            }
            if is_status_line(text) {
                continue;
            }
            parser.feed_line(l.no, text, &mut warn);
        }
        parser.finish(&mut cfg.directives, &mut warn);
        cfg.warnings = warn.into_vec();
        cfg
    }

    /// Forget the lookup tables queries keep (needed only after editing the
    /// public fields directly).
    pub fn clear_cache(&mut self) {
        self.cache = QueryCache::default();
    }

    /// Append another pasted block (a second file pasted separately).
    pub fn merge(&mut self, other: NginxConfig) {
        self.clear_cache();
        for f in other.files {
            if !self.files.contains(&f) {
                self.files.push(f);
            }
        }
        self.directives.extend(other.directives);
        self.warnings.extend(other.warnings);
    }

    pub fn is_empty(&self) -> bool {
        self.directives.is_empty()
    }

    /// The worker user: `user www-data;` or `user nginx nginx;` at main level.
    pub fn user(&self) -> Option<NginxUser> {
        let d = self
            .directives
            .iter()
            .find(|d| d.name == "user" && !d.is_block())?;
        Some(NginxUser {
            user: d.arg(0)?.to_string(),
            group: d.arg(1).map(str::to_string),
            line: d.line,
        })
    }

    /// Every occurrence of `name`, anywhere, in input order.
    pub fn find(&self, name: &str) -> Vec<&Directive> {
        let mut out = Vec::new();
        walk(&self.directives, |d, _| {
            if d.name == name {
                out.push(d);
            }
        });
        out
    }

    /// Every `*_pass`, once per logical placement (see [`Pass::via_includes`]),
    /// at most [`MAX_PLACEMENTS`] per directive. Computed once per config
    /// (the rules ask for it many times) and handed out as a copy.
    pub fn passes(&self) -> Vec<Pass> {
        self.cache
            .passes
            .get_or_init(|| {
                let ix = Index::new(self);
                let mut out = Vec::new();
                walk(&self.directives, |d, parents| {
                    let npm = is_npm_proxy_include(d);
                    if d.is_block() || !(npm || PASS_DIRECTIVES.contains(&d.name.as_str())) {
                        return;
                    }
                    let target = if npm { Some(NPM_PROXY_PASS) } else { d.arg(0) };
                    let Some(target) = target else { return };
                    for pl in ix.placements(d.file.as_deref(), parents) {
                        out.push(ix.make_pass(d, target, &pl));
                    }
                });
                ix.finish();
                out
            })
            .clone()
    }

    /// The directive `name` in force for `pass`: looked up in its location,
    /// the enclosing locations, the server, `http` and main, innermost first,
    /// with `include`d files expanded where they are included. `None` means
    /// nginx's default applies (or the defining file was not pasted).
    pub fn effective(&self, pass: &Pass, name: &str) -> Option<&Directive> {
        self.effective_all(pass, name).into_iter().next()
    }

    /// Like [`effective`](Self::effective) for directives that may repeat
    /// (`proxy_set_header`, `add_header`): every occurrence at the innermost
    /// level that has any. nginx inherits such lists only when the inner
    /// level sets none, which this mirrors.
    ///
    /// Cost: the pass's own chain of includes is followed (at most
    /// `MAX_INCLUDE_HOPS` steps, never the other placements), and every
    /// directive list of the config is scanned at most once per call, so
    /// one query is linear in the config whatever its include cycles.
    pub fn effective_all(&self, pass: &Pass, name: &str) -> Vec<&Directive> {
        let ix = Index::new(self);
        let Some((d, parents)) = self.locate(pass) else {
            return Vec::new();
        };
        let pl = ix.placement_along(d.file.as_deref(), &parents, &pass.via_includes);
        let mut seen = Seen::default();
        let mut found = Vec::new();
        for scope in &pl.scopes {
            ix.lookup_in(*scope, name, &mut found, &mut seen, 0);
            if !found.is_empty() {
                break;
            }
        }
        ix.finish();
        found
    }

    /// The `resolver` in force for `pass` (needed when its target has a
    /// variable or a `server … resolve`).
    pub fn resolver_for(&self, pass: &Pass) -> Option<&Directive> {
        self.effective(pass, "resolver")
    }

    /// Every `upstream name { … }` block, in input order.
    pub fn upstream_blocks(&self) -> Vec<UpstreamBlock> {
        let mut out = Vec::new();
        walk(&self.directives, |d, _| {
            if d.name != "upstream" {
                return;
            }
            let (Some(children), Some(name)) = (&d.children, d.arg(0)) else {
                return;
            };
            let mut b = UpstreamBlock {
                name: name.to_string(),
                servers: Vec::new(),
                keepalive: None,
                keepalive_timeout: None,
                line: d.line,
                file: d.file.clone(),
                file_line: d.file_line,
            };
            for c in children {
                match c.name.as_str() {
                    "server" if !c.is_block() => {
                        if let Some(addr) = c.arg(0).and_then(Address::parse) {
                            b.servers.push(UpstreamServer {
                                addr,
                                params: c.args[1..].to_vec(),
                                line: c.line,
                            });
                        }
                    }
                    "keepalive" => b.keepalive = c.arg(0).and_then(|v| v.parse().ok()),
                    "keepalive_timeout" => b.keepalive_timeout = c.arg(0).map(str::to_string),
                    _ => {}
                }
            }
            out.push(b);
        });
        out
    }

    /// The `upstream` block called `name` (case-insensitive, as nginx).
    pub fn upstream_named(&self, name: &str) -> Option<UpstreamBlock> {
        self.upstream_blocks()
            .into_iter()
            .find(|b| b.name.eq_ignore_ascii_case(name))
    }

    /// The `upstream` block a pass targets (`proxy_pass http://backend;`).
    /// nginx refuses a port on a group name, so a target with a port is a
    /// plain host, never a group.
    pub fn upstream_for(&self, pass: &Pass) -> Option<UpstreamBlock> {
        match &pass.upstream.as_ref()?.addr {
            Address::Tcp { host, port: None } => self.upstream_named(host),
            _ => None,
        }
    }

    /// Every `error_log`: (path, level if written, input line).
    pub fn error_log_levels(&self) -> Vec<(String, Option<String>, u64)> {
        self.find("error_log")
            .into_iter()
            .filter_map(|d| Some((d.arg(0)?.to_string(), d.arg(1).map(str::to_string), d.line)))
            .collect()
    }

    /// `worker_connections N` as (N, input line).
    pub fn worker_connections(&self) -> Option<(u64, u64)> {
        self.number("worker_connections")
    }

    /// `worker_rlimit_nofile N` as (N, input line).
    pub fn worker_rlimit_nofile(&self) -> Option<(u64, u64)> {
        self.number("worker_rlimit_nofile")
    }

    fn number(&self, name: &str) -> Option<(u64, u64)> {
        self.find(name)
            .into_iter()
            .find_map(|d| Some((d.arg(0)?.parse().ok()?, d.line)))
    }

    /// `include` targets whose files are not in the `nginx -T` dump, such as
    /// `snippets/fastcgi-php.conf` when the dump stopped at an unreadable
    /// file. Empty when the paste was not `nginx -T` (then every include is
    /// unseen by definition, which says nothing). Glob patterns are left
    /// out: a glob matching nothing is an empty directory, not a gap.
    pub fn includes_not_pasted(&self) -> Vec<String> {
        if self.files.is_empty() {
            return Vec::new();
        }
        let ix = Index::new(self);
        let mut out: Vec<String> = Vec::new();
        walk(&self.directives, |d, _| {
            if d.name != "include" || d.is_block() {
                return;
            }
            let Some(pat) = d.arg(0) else { return };
            if pat.contains(['*', '?', '[']) || out.iter().any(|o| o == pat) {
                return;
            }
            if ix.files_matching(pat, d.file.as_deref()).is_empty() {
                out.push(pat.to_string());
            }
        });
        out
    }

    /// Find the physical directive behind `pass`, with its ancestors.
    fn locate(&self, pass: &Pass) -> Option<(&Directive, Vec<&Directive>)> {
        let key = (pass.file.clone(), pass.line, pass.directive.clone());
        if let Some(paths) = self.cache().passes.get(&key) {
            return paths.iter().find_map(|path| {
                let (d, parents) = resolve(&self.directives, path)?;
                (d.arg(0) == Some(pass.target.as_str())).then_some((d, parents))
            });
        }
        let mut hit = None;
        walk(&self.directives, |d, parents| {
            if hit.is_none()
                && d.line == pass.line
                && d.name == pass.directive
                && d.file == pass.file
                && d.arg(0) == Some(pass.target.as_str())
            {
                hit = Some((d, parents.to_vec()));
            }
        });
        hit
    }

    fn cache(&self) -> &CacheData {
        self.cache.data.get_or_init(|| CacheData::build(self))
    }

    /// Units of query work done on this config so far (directives scanned
    /// by lookups, placements built, include sites followed): what tests
    /// bound instead of timing queries.
    #[doc(hidden)]
    pub fn query_work(&self) -> u64 {
        self.cache.work.load(Ordering::Relaxed)
    }
}

// ---------------------------------------------------------------------------
// Tree walking and inheritance
// ---------------------------------------------------------------------------

/// Lookup tables for queries, kept as index paths into the tree (not
/// references, which the config cannot hold into itself). Without them a
/// rule asking `effective()` for every pass of a large `nginx -T` dump would
/// re-walk the whole tree each time.
#[derive(Default)]
struct QueryCache {
    data: OnceLock<CacheData>,
    /// [`NginxConfig::passes`], computed once.
    passes: OnceLock<Vec<Pass>>,
    /// See [`NginxConfig::query_work`].
    work: AtomicU64,
}

impl Clone for QueryCache {
    fn clone(&self) -> Self {
        QueryCache::default()
    }
}

impl PartialEq for QueryCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for QueryCache {}

struct CacheData {
    /// Root indices per file path; `anon_roots` for roots without a file.
    roots: HashMap<String, Vec<usize>>,
    anon_roots: Vec<usize>,
    /// Paths of the `include` directives, and their input lines.
    sites: Vec<Vec<usize>>,
    site_lines: Vec<u64>,
    /// Pasted file → indices into `sites` of the includes that pull it in.
    includers: HashMap<String, Vec<usize>>,
    /// (pattern, including file) → what it pulls in.
    matches: HashMap<(String, Option<String>), Included>,
    /// (file, line, directive name) → paths of the `*_pass` directives there.
    passes: HashMap<(Option<String>, u64, String), Vec<Vec<usize>>>,
    prefix: String,
}

/// What one `include` pulls in: the files, and every directive name at
/// their top level (through nested includes), so a lookup can skip an
/// `include sites-enabled/*;` of 2,000 files that cannot hold the name.
struct Included {
    files: Vec<String>,
    /// `None` when the include graph is too tangled to summarise (then
    /// lookups expand it, bounded by their own visited set).
    names: Option<HashSet<String>>,
}

impl CacheData {
    fn build(cfg: &NginxConfig) -> CacheData {
        let prefix = cfg
            .files
            .iter()
            .find(|f| f.ends_with("/nginx.conf"))
            .or(cfg.files.first())
            .and_then(|f| f.rfind('/').map(|i| f[..=i].to_string()))
            .unwrap_or_else(|| "/etc/nginx/".to_string());
        let mut c = CacheData {
            roots: HashMap::new(),
            anon_roots: Vec::new(),
            sites: Vec::new(),
            site_lines: Vec::new(),
            includers: HashMap::new(),
            matches: HashMap::new(),
            passes: HashMap::new(),
            prefix,
        };
        for (i, d) in cfg.directives.iter().enumerate() {
            match &d.file {
                Some(f) => c.roots.entry(f.clone()).or_default().push(i),
                None => c.anon_roots.push(i),
            }
        }
        let mut sites = Vec::new();
        walk_paths(&cfg.directives, |d, path| {
            if d.is_block() {
                return;
            }
            if d.name == "include" && !d.args.is_empty() {
                sites.push((path.to_vec(), d.args[0].clone(), d.file.clone(), d.line));
            } else if PASS_DIRECTIVES.contains(&d.name.as_str()) {
                c.passes
                    .entry((d.file.clone(), d.line, d.name.clone()))
                    .or_default()
                    .push(path.to_vec());
            }
        });
        // Files each distinct pattern matches, computed once per pattern.
        let mut pat_files: HashMap<&str, Vec<&str>> = HashMap::new();
        for (_, pat, _, _) in &sites {
            pat_files.entry(pat.as_str()).or_insert_with(|| {
                cfg.files
                    .iter()
                    .map(String::as_str)
                    .filter(|f| include_matches(&c.prefix, pat, f))
                    .collect()
            });
        }
        // Top-level names and include patterns of each file.
        let mut direct: HashMap<&str, (HashSet<&str>, Vec<&str>)> = HashMap::new();
        for d in &cfg.directives {
            let Some(f) = d.file.as_deref() else { continue };
            let e = direct.entry(f).or_default();
            e.0.insert(d.name.as_str());
            if d.name == "include" && !d.is_block() {
                if let Some(p) = d.arg(0) {
                    e.1.push(p);
                }
            }
        }
        let targets = |pat: &str, includer: Option<&str>| -> Vec<&str> {
            let all: &[&str] = pat_files.get(pat).map(Vec::as_slice).unwrap_or(&[]);
            all.iter()
                .copied()
                .filter(|f| Some(*f) != includer)
                .collect()
        };
        // Names reachable from a file's top level through its includes.
        let mut closure: HashMap<&str, Option<HashSet<&str>>> = HashMap::new();
        let mut names_of = |f: &'_ str| -> Option<HashSet<String>> {
            if let Some(n) = closure.get(f) {
                return n
                    .as_ref()
                    .map(|n| n.iter().map(|s| s.to_string()).collect());
            }
            let mut names: HashSet<&str> = HashSet::new();
            let mut seen: HashSet<&str> = HashSet::new();
            let mut queue: Vec<&str> = Vec::new();
            if let Some((k, _)) = direct.get_key_value(f) {
                queue.push(k);
            }
            let mut tangled = false;
            while let Some(g) = queue.pop() {
                if !seen.insert(g) {
                    continue;
                }
                if seen.len() > MAX_CLOSURE_FILES {
                    tangled = true;
                    break;
                }
                if let Some((n, pats)) = direct.get(g) {
                    names.extend(n.iter().copied());
                    for p in pats {
                        queue.extend(targets(p, Some(g)));
                    }
                }
            }
            let names = (!tangled).then_some(names);
            let out = names
                .as_ref()
                .map(|n| n.iter().map(|s| s.to_string()).collect());
            if let Some((k, _)) = direct.get_key_value(f) {
                closure.insert(k, names);
            }
            out
        };
        for (i, (path, pat, includer, line)) in sites.iter().enumerate() {
            let files = targets(pat, includer.as_deref());
            for f in &files {
                c.includers.entry(f.to_string()).or_default().push(i);
            }
            let key = (pat.clone(), includer.clone());
            if let std::collections::hash_map::Entry::Vacant(slot) = c.matches.entry(key) {
                let mut names = Some(HashSet::new());
                for f in &files {
                    match (names_of(f), &mut names) {
                        (Some(n), Some(all)) => all.extend(n),
                        _ => {
                            names = None;
                            break;
                        }
                    }
                }
                let files = files.iter().map(|f| f.to_string()).collect();
                slot.insert(Included { files, names });
            }
            c.sites.push(path.clone());
            c.site_lines.push(*line);
        }
        c
    }
}

/// Follow an index path from the roots: the directive and its ancestors.
fn resolve<'a>(
    roots: &'a [Directive],
    path: &[usize],
) -> Option<(&'a Directive, Vec<&'a Directive>)> {
    let (&last, init) = path.split_last()?;
    let mut list = roots;
    let mut parents = Vec::with_capacity(init.len());
    for &i in init {
        let d = list.get(i)?;
        parents.push(d);
        list = d.children.as_deref()?;
    }
    Some((list.get(last)?, parents))
}

/// Like [`walk`], with the index path of each directive (its own index last).
fn walk_paths<'a>(roots: &'a [Directive], mut f: impl FnMut(&'a Directive, &[usize])) {
    let mut path: Vec<usize> = Vec::new();
    let mut stack: Vec<(&'a [Directive], usize)> = vec![(roots, 0)];
    while let Some((list, i)) = stack.last_mut() {
        let Some(d) = list.get(*i) else {
            stack.pop();
            path.pop();
            continue;
        };
        path.push(*i);
        *i += 1;
        f(d, &path);
        match &d.children {
            Some(ch) => stack.push((ch, 0)),
            None => {
                path.pop();
            }
        }
    }
}

/// Does include pattern `pat` name `path`? Relative patterns resolve
/// against `prefix` and, since the prefix is a guess, also match any path
/// that ends with them.
fn include_matches(prefix: &str, pat: &str, path: &str) -> bool {
    if pat.starts_with('/') {
        return glob_match(pat.as_bytes(), path.as_bytes());
    }
    let abs = format!("{prefix}{pat}");
    if glob_match(abs.as_bytes(), path.as_bytes()) {
        return true;
    }
    path.match_indices('/')
        .any(|(i, _)| glob_match(pat.as_bytes(), &path.as_bytes()[i + 1..]))
}

/// Visit every directive depth-first in input order with its ancestors
/// (outermost first). Iterative, so depth never costs stack.
fn walk<'a>(roots: &'a [Directive], mut f: impl FnMut(&'a Directive, &[&'a Directive])) {
    let mut parents: Vec<&'a Directive> = Vec::new();
    let mut stack: Vec<std::slice::Iter<'a, Directive>> = vec![roots.iter()];
    while let Some(it) = stack.last_mut() {
        match it.next() {
            Some(d) => {
                f(d, &parents);
                if let Some(ch) = &d.children {
                    parents.push(d);
                    stack.push(ch.iter());
                }
            }
            None => {
                stack.pop();
                parents.pop();
            }
        }
    }
}

/// One level of the inheritance chain.
#[derive(Clone, Copy, Debug)]
enum Scope<'a> {
    /// The children of a block directive.
    Block(&'a Directive),
    /// The top level of one file (`None`: the input without file markers).
    Roots(Option<&'a str>),
}

/// A logical position: the scopes from innermost to main, and the include
/// lines that led there.
#[derive(Debug)]
struct Placement<'a> {
    scopes: Vec<Scope<'a>>,
    via: Vec<u64>,
}

/// An `include` directive, where it sits and what it pulls in.
struct Site<'a> {
    dir: &'a Directive,
    parents: Vec<&'a Directive>,
    file: Option<&'a str>,
}

/// What one query has already scanned: each directive list is looked at
/// once per query, so include cycles and repeated scopes cost nothing more.
#[derive(Default)]
struct Seen<'a> {
    files: HashSet<&'a str>,
    blocks: HashSet<*const Directive>,
    anon: bool,
}

impl<'a> Seen<'a> {
    /// First visit of `scope` in this query?
    fn first(&mut self, scope: Scope<'a>) -> bool {
        match scope {
            Scope::Block(b) => self.blocks.insert(b as *const Directive),
            Scope::Roots(Some(f)) => self.files.insert(f),
            Scope::Roots(None) => !std::mem::replace(&mut self.anon, true),
        }
    }
}

/// Include chains above the top level of one file, memoised per
/// (file, hops already taken).
type Outer<'a> = Rc<Vec<Placement<'a>>>;

/// References into the config for one query, resolved from the cache.
struct Index<'a> {
    cfg: &'a NginxConfig,
    cache: &'a CacheData,
    /// The first top-level `http {}`: the implied parent of a `server` or
    /// `location` pasted on its own.
    http: Option<&'a Directive>,
    outer: RefCell<HashMap<(&'a str, usize), Outer<'a>>>,
    /// Work done by this index, added to the config's count by `finish`.
    work: Cell<u64>,
}

impl<'a> Index<'a> {
    fn new(cfg: &'a NginxConfig) -> Self {
        let cache = cfg.cache();
        let http = cfg
            .directives
            .iter()
            .find(|d| d.name == "http" && d.is_block());
        Index {
            cfg,
            cache,
            http,
            outer: RefCell::new(HashMap::new()),
            work: Cell::new(0),
        }
    }

    fn tick(&self, n: usize) {
        self.work.set(self.work.get() + n as u64);
    }

    /// Add this query's work to the config's count.
    fn finish(&self) {
        self.cfg
            .cache
            .work
            .fetch_add(self.work.get(), Ordering::Relaxed);
    }

    /// The `include` directives that pull in `file`, in input order, with
    /// their input lines; resolved lazily (a snippet may be included from
    /// thousands of places, and callers stop early).
    fn sites_of(&self, file: &str) -> impl Iterator<Item = (u64, usize)> + 'a {
        let ix: &'a [usize] = self
            .cache
            .includers
            .get(file)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let lines = &self.cache.site_lines;
        ix.iter().filter_map(move |&i| Some((*lines.get(i)?, i)))
    }

    fn site(&self, i: usize) -> Option<Site<'a>> {
        self.tick(1);
        let (dir, parents) = resolve(&self.cfg.directives, self.cache.sites.get(i)?)?;
        Some(Site {
            dir,
            parents,
            file: dir.file.as_deref(),
        })
    }

    fn roots(&self, file: Option<&str>) -> impl Iterator<Item = &'a Directive> + 'a {
        let idx: &'a [usize] = match file {
            Some(f) => self.cache.roots.get(f).map(Vec::as_slice).unwrap_or(&[]),
            None => &self.cache.anon_roots,
        };
        let dirs = &self.cfg.directives;
        idx.iter().filter_map(move |&i| dirs.get(i))
    }

    /// Pasted files an include pattern pulls in (never the including file).
    fn files_matching(&self, pat: &str, includer: Option<&str>) -> Vec<&'a str> {
        let key = (pat.to_string(), includer.map(str::to_string));
        if let Some(v) = self.cache.matches.get(&key) {
            return v.files.iter().map(String::as_str).collect();
        }
        self.cfg
            .files
            .iter()
            .map(String::as_str)
            .filter(|f| Some(*f) != includer && include_matches(&self.cache.prefix, pat, f))
            .collect()
    }

    /// Where a directive with ancestors `parents` in `file` sits logically:
    /// once per chain of includes leading to its file (at most
    /// `MAX_INCLUDE_HOPS` long, at most `MAX_PLACEMENTS` chains).
    fn placements(&self, file: Option<&'a str>, parents: &[&'a Directive]) -> Vec<Placement<'a>> {
        self.placements_at(file, parents, 0)
    }

    fn placements_at(
        &self,
        file: Option<&'a str>,
        parents: &[&'a Directive],
        hops: usize,
    ) -> Vec<Placement<'a>> {
        let inner = parents.iter().rev().map(|b| Scope::Block(b));
        if let (Some(f), true) = (file, hops < MAX_INCLUDE_HOPS) {
            let outer = self.outer_of(f, hops);
            if !outer.is_empty() {
                self.tick(outer.len());
                return outer
                    .iter()
                    .map(|o| Placement {
                        scopes: inner.clone().chain(o.scopes.iter().copied()).collect(),
                        via: o.via.clone(),
                    })
                    .collect();
            }
        }
        let mut scopes: Vec<Scope<'a>> = inner.collect();
        self.push_tail(&mut scopes, file, parents);
        vec![Placement {
            scopes,
            via: Vec::new(),
        }]
    }

    /// The placements of the top level of `file` reached after `hops`
    /// include hops: one per include site (and each of its own
    /// placements), empty when nothing includes it. Memoised, so an include
    /// cycle or a snippet included everywhere is expanded once per
    /// (file, hops), not once per path through the graph.
    fn outer_of(&self, file: &'a str, hops: usize) -> Outer<'a> {
        if let Some(o) = self.outer.borrow().get(&(file, hops)) {
            return o.clone();
        }
        let mut out = Vec::new();
        for (_, i) in self.sites_of(file) {
            if out.len() >= MAX_PLACEMENTS {
                break;
            }
            let Some(s) = self.site(i) else { continue };
            for pl in self.placements_at(s.file, &s.parents, hops + 1) {
                if out.len() >= MAX_PLACEMENTS {
                    break;
                }
                let mut via = Vec::with_capacity(pl.via.len() + 1);
                via.push(s.dir.line);
                via.extend(pl.via);
                out.push(Placement {
                    scopes: pl.scopes,
                    via,
                });
            }
        }
        let out = Rc::new(out);
        self.outer.borrow_mut().insert((file, hops), out.clone());
        out
    }

    /// The one placement whose include chain is `via` (innermost first), as
    /// [`placements`](Self::placements) would list it, found by following
    /// those include lines only. When `via` leads nowhere (a `Pass` made by
    /// hand), the first placement: the first include site at each step.
    fn placement_along(
        &self,
        file: Option<&'a str>,
        parents: &[&'a Directive],
        via: &[u64],
    ) -> Placement<'a> {
        self.follow(file, parents, Some(via))
            .or_else(|| self.follow(file, parents, None))
            .unwrap_or_else(|| Placement {
                scopes: Vec::new(),
                via: Vec::new(),
            })
    }

    fn follow(
        &self,
        mut file: Option<&'a str>,
        parents: &[&'a Directive],
        via: Option<&[u64]>,
    ) -> Option<Placement<'a>> {
        let mut scopes: Vec<Scope<'a>> = parents.iter().rev().map(|b| Scope::Block(b)).collect();
        let mut taken: Vec<u64> = Vec::new();
        let mut top: Vec<&'a Directive> = parents.to_vec();
        loop {
            let hops = taken.len();
            let next = match file {
                Some(f) if hops < MAX_INCLUDE_HOPS => {
                    let mut sites = self.sites_of(f).peekable();
                    if sites.peek().is_none() {
                        None
                    } else {
                        let pick = match via {
                            None => sites.next(),
                            // Still included from somewhere but the chain
                            // ended: not one of the placements.
                            Some(v) => {
                                let want = *v.get(hops)?;
                                sites.find(|(line, _)| *line == want)
                            }
                        };
                        Some(self.site(pick?.1)?)
                    }
                }
                _ => None,
            };
            match next {
                Some(s) => {
                    scopes.extend(s.parents.iter().rev().map(|b| Scope::Block(b)));
                    taken.push(s.dir.line);
                    file = s.file;
                    top = s.parents;
                }
                None => {
                    if via.is_some_and(|v| v.len() != taken.len()) {
                        return None;
                    }
                    self.push_tail(&mut scopes, file, &top);
                    return Some(Placement { scopes, via: taken });
                }
            }
        }
    }

    /// The levels above the top of a file nothing includes.
    fn push_tail(
        &self,
        scopes: &mut Vec<Scope<'a>>,
        file: Option<&'a str>,
        parents: &[&'a Directive],
    ) {
        // Nowhere included: a `server`/`location` (or loose directives)
        // pasted on their own still live inside `http {}`, so fall back to
        // the pasted `http` block if there is one.
        let http_child = match parents.first() {
            Some(p) => matches!(
                p.name.as_str(),
                "server" | "location" | "if" | "limit_except"
            ),
            None => true,
        };
        match self.http {
            Some(h) if http_child && !parents.iter().any(|p| std::ptr::eq(*p, h)) => {
                let hfile = h.file.as_deref();
                if hfile == file && !parents.is_empty() {
                    scopes.push(Scope::Block(h));
                    scopes.push(Scope::Roots(file));
                } else {
                    scopes.push(Scope::Roots(file));
                    scopes.push(Scope::Block(h));
                    if hfile != file {
                        scopes.push(Scope::Roots(hfile));
                    }
                }
            }
            _ => scopes.push(Scope::Roots(file)),
        }
    }

    /// Collect directives called `name` directly in `scope`, expanding
    /// `include`s in place as nginx does.
    fn lookup(&self, scope: Scope<'a>, name: &str, out: &mut Vec<&'a Directive>) {
        self.lookup_in(scope, name, out, &mut Seen::default(), 0);
    }

    /// [`lookup`](Self::lookup) sharing `seen` with earlier lookups of the
    /// same query: a list already scanned is skipped (it held no `name`,
    /// or the query would have stopped), so include cycles and fan-outs
    /// stay linear.
    fn lookup_in(
        &self,
        scope: Scope<'a>,
        name: &str,
        out: &mut Vec<&'a Directive>,
        seen: &mut Seen<'a>,
        depth: usize,
    ) {
        if !seen.first(scope) {
            return;
        }
        let (list, file): (Vec<&'a Directive>, Option<&'a str>) = match scope {
            Scope::Block(b) => (
                b.children.as_deref().unwrap_or(&[]).iter().collect(),
                b.file.as_deref(),
            ),
            Scope::Roots(f) => (self.roots(f).collect(), f),
        };
        self.tick(list.len());
        for d in list {
            if d.name == name {
                out.push(d);
            } else if d.name == "include" && !d.is_block() && depth < MAX_INCLUDE_HOPS {
                if let Some(pat) = d.arg(0) {
                    let key = (pat.to_string(), file.map(str::to_string));
                    let names = self.cache.matches.get(&key).and_then(|i| i.names.as_ref());
                    if names.is_some_and(|n| !n.contains(name)) {
                        continue;
                    }
                    for f in self.files_matching(pat, file) {
                        self.lookup_in(Scope::Roots(Some(f)), name, out, seen, depth + 1);
                    }
                }
            }
        }
    }
    /// `target` with each `$name` replaced by the constant a `set $name
    /// value;` of the enclosing blocks gives it (innermost first); the
    /// request's own URI variables are dropped (they are the path, not
    /// the address). `None` when a variable is left.
    fn resolve_set(&self, target: &str, pl: &Placement<'a>) -> Option<String> {
        const URI_VARS: &[&str] = &["request_uri", "uri", "is_args", "args", "query_string"];
        let mut out = String::new();
        let mut rest = target;
        let mut hops = 0;
        while let Some(i) = rest.find('$') {
            hops += 1;
            if hops > 16 {
                return None;
            }
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, tail) = match after.strip_prefix('{') {
                Some(b) => {
                    let e = b.find('}')?;
                    (&b[..e], &b[e + 1..])
                }
                None => {
                    let n = after
                        .bytes()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                        .count();
                    (&after[..n], &after[n..])
                }
            };
            if name.is_empty() {
                return None;
            }
            if !URI_VARS.contains(&name) {
                let value = pl.scopes.iter().find_map(|s| {
                    let mut found = Vec::new();
                    self.lookup(*s, "set", &mut found);
                    found
                        .iter()
                        .rev()
                        .find(|d| d.arg(0).is_some_and(|v| v.strip_prefix('$') == Some(name)))
                        .and_then(|d| d.arg(1))
                })?;
                if value.contains('$') {
                    return None;
                }
                out.push_str(value);
            }
            rest = tail;
        }
        out.push_str(rest);
        Some(out)
    }

    fn make_pass(&self, d: &'a Directive, target: &str, pl: &Placement<'a>) -> Pass {
        let block = |name: &str| {
            pl.scopes.iter().find_map(|s| match s {
                Scope::Block(b) if b.name == name => Some(*b),
                _ => None,
            })
        };
        let location = block("location").map(Directive::args_joined);
        let (mut server_names, mut listen, mut tls_listen) = (Vec::new(), Vec::new(), Vec::new());
        if let Some(srv) = block("server") {
            let mut found = Vec::new();
            self.lookup(Scope::Block(srv), "server_name", &mut found);
            server_names = found.iter().flat_map(|d| d.args.iter().cloned()).collect();
            found.clear();
            self.lookup(Scope::Block(srv), "listen", &mut found);
            listen = found
                .iter()
                .filter_map(|d| d.arg(0).map(str::to_string))
                .collect();
            tls_listen = found
                .iter()
                .filter(|d| d.args.iter().skip(1).any(|a| a == "ssl" || a == "quic"))
                .filter_map(|d| d.arg(0).map(str::to_string))
                .collect();
        }
        let has_variable = target.contains('$');
        // Variables `set` to constants in the enclosing blocks (Nginx Proxy
        // Manager's `set $server "app"; set $port 8080;`, a hand-written
        // `set $backend http://app:3000;`) give the address nginx dials.
        let resolved = if has_variable {
            self.resolve_set(target, pl)
        } else {
            Some(target.to_string())
        };
        let upstream = match resolved {
            None => None,
            Some(target) => Upstream::parse(&target).map(|mut u| {
                if u.scheme.is_empty() {
                    u.scheme = d.name.strip_suffix("_pass").unwrap_or("").to_string();
                    if u.scheme == "proxy" {
                        u.scheme = "http".into();
                    }
                }
                u
            }),
        };
        let npm = is_npm_proxy_include(d);
        Pass {
            directive: if npm {
                "proxy_pass".to_string()
            } else {
                d.name.clone()
            },
            npm,
            target: target.to_string(),
            upstream,
            has_variable,
            line: d.line,
            file: d.file.clone(),
            file_line: d.file_line,
            location,
            server_names,
            listen,
            tls_listen,
            via_includes: pl.via.clone(),
        }
    }
}

/// What Nginx Proxy Manager's `conf.d/include/proxy.conf` passes to.
const NPM_PROXY_PASS: &str = "$forward_scheme://$server:$port$request_uri";

/// `include conf.d/include/proxy.conf;` in a location of an NPM proxy host.
fn is_npm_proxy_include(d: &Directive) -> bool {
    d.name == "include"
        && !d.is_block()
        && d.arg(0)
            .is_some_and(|a| a.ends_with("conf.d/include/proxy.conf"))
}

/// Shell-style glob as `include` uses it: `*` and `?` never match `/`,
/// `[abc]`/`[a-z]`/`[!x]` classes. Linear backtracking on the last `*`;
/// inputs are capped so a hostile pattern cannot cost quadratic time.
fn glob_match(pat: &[u8], s: &[u8]) -> bool {
    if pat.len() > 1024 || s.len() > 1024 {
        return pat == s;
    }
    let (mut p, mut i) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while i < s.len() {
        if p < pat.len() {
            match pat[p] {
                b'*' => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                b'?' if s[i] != b'/' => {
                    p += 1;
                    i += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, next)) = class_match(pat, p, s[i]) {
                        if ok {
                            p = next;
                            i += 1;
                            continue;
                        }
                    } else if s[i] == b'[' {
                        p += 1;
                        i += 1;
                        continue;
                    }
                }
                c if c != b'?' && c == s[i] => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, si)) if s[si] != b'/' => {
                star = Some((sp, si + 1));
                p = sp + 1;
                i = si + 1;
            }
            _ => return false,
        }
    }
    pat[p..].iter().all(|&c| c == b'*')
}

/// Match `c` against the class starting at `pat[p] == '['`: (matched, index
/// after `]`), or `None` when the class is not closed.
fn class_match(pat: &[u8], p: usize, c: u8) -> Option<(bool, usize)> {
    let mut j = p + 1;
    let negate = matches!(pat.get(j), Some(b'!' | b'^'));
    if negate {
        j += 1;
    }
    let mut hit = false;
    let mut first = true;
    while j < pat.len() {
        if pat[j] == b']' && !first {
            return Some((hit != negate && c != b'/', j + 1));
        }
        first = false;
        if j + 2 < pat.len() && pat[j + 1] == b'-' && pat[j + 2] != b']' {
            hit |= pat[j] <= c && c <= pat[j + 2];
            j += 3;
        } else {
            hit |= pat[j] == c;
            j += 1;
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/// `# configuration file /etc/nginx/nginx.conf:` → the path.
fn file_marker(text: &str) -> Option<&str> {
    let t = text.trim();
    let p = t.strip_prefix("# configuration file ")?.strip_suffix(':')?;
    (!p.is_empty()).then_some(p)
}

/// `nginx -t`/`-T` status lines on stderr, interleaved with the dump.
fn is_status_line(text: &str) -> bool {
    text.trim_start().starts_with("nginx: ")
}

/// Warnings with a cap, so a paste of a million `}` yields a short list.
#[derive(Default)]
struct Warnings {
    list: Vec<ParseWarning>,
    suppressed: usize,
}

impl Warnings {
    fn push(&mut self, line: u64, message: String) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(ParseWarning { line, message });
        } else {
            self.suppressed += 1;
        }
    }

    fn into_vec(mut self) -> Vec<ParseWarning> {
        if self.suppressed > 0 {
            let line = self.list.last().map(|w| w.line).unwrap_or(0);
            self.list.push(ParseWarning {
                line,
                message: format!("{} more config problems not shown", self.suppressed),
            });
        }
        self.list
    }
}

/// A token of the nginx grammar.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Semi,
    Open,
    Close,
}

/// State of a `*_by_lua_block { … }` being skipped: Lua has its own
/// strings and comments, so nginx's tokenizer rules do not apply inside.
#[derive(Debug, Default)]
struct LuaSkip {
    depth: usize,
    quote: Option<char>,
    escape: bool,
}

/// An open block on the parse stack.
struct Frame {
    dir: Directive,
    children: Vec<Directive>,
}

/// Tokenizer and tree builder for one file, fed line by line.
struct FileParser {
    file: Option<String>,
    marker_no: Option<u64>,
    // -- tokenizer --
    word: String,
    in_word: bool,
    word_line: u64,
    /// Open quote char and the line it opened on.
    quote: Option<(char, u64)>,
    escape: bool,
    /// Inside `${…}` of a word: `{`/`}` are part of the word.
    var_brace: bool,
    prev_dollar: bool,
    lua: Option<LuaSkip>,
    // -- tree --
    stack: Vec<Frame>,
    roots: Vec<Directive>,
    stmt: Vec<String>,
    stmt_line: u64,
    /// Blocks opened beyond `MAX_DEPTH`, counted but not stored.
    skipped: usize,
    skipped_line: u64,
    warned_nameless: bool,
    warned_stray_close: bool,
}

impl FileParser {
    fn new(file: Option<String>, marker_no: Option<u64>) -> Self {
        FileParser {
            file,
            marker_no,
            word: String::new(),
            in_word: false,
            word_line: 0,
            quote: None,
            escape: false,
            var_brace: false,
            prev_dollar: false,
            lua: None,
            stack: Vec::new(),
            roots: Vec::new(),
            stmt: Vec::new(),
            stmt_line: 0,
            skipped: 0,
            skipped_line: 0,
            warned_nameless: false,
            warned_stray_close: false,
        }
    }

    fn where_(&self, line: u64) -> String {
        match (&self.file, self.file_line(line)) {
            (Some(f), Some(l)) => format!(" ({f}:{l})"),
            _ => String::new(),
        }
    }

    fn file_line(&self, line: u64) -> Option<u32> {
        let m = self.marker_no?;
        u32::try_from(line.checked_sub(m)?).ok()
    }

    fn feed_line(&mut self, no: u64, text: &str, warn: &mut Warnings) {
        let mut chars = text.chars().peekable();
        while let Some(ch) = chars.next() {
            if let Some(lua) = &mut self.lua {
                if let Some(q) = lua.quote {
                    if lua.escape {
                        lua.escape = false;
                    } else if ch == '\\' {
                        lua.escape = true;
                    } else if ch == q {
                        lua.quote = None;
                    }
                    continue;
                }
                match ch {
                    '"' | '\'' => lua.quote = Some(ch),
                    '-' if chars.peek() == Some(&'-') => break, // Lua comment
                    '{' => lua.depth += 1,
                    '}' => {
                        lua.depth -= 1;
                        if lua.depth == 0 {
                            self.lua = None;
                            self.token(Tok::Close, no, warn);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            if let Some((q, _)) = self.quote {
                if self.escape {
                    self.escape = false;
                    push_escaped(&mut self.word, ch);
                } else if ch == '\\' {
                    self.escape = true;
                } else if ch == q {
                    self.quote = None;
                    self.end_word(no, warn);
                } else {
                    self.word.push(ch);
                }
                continue;
            }
            if self.in_word {
                if self.escape {
                    self.escape = false;
                    push_escaped(&mut self.word, ch);
                    self.prev_dollar = false;
                    continue;
                }
                if self.var_brace {
                    self.word.push(ch);
                    if ch == '}' {
                        self.var_brace = false;
                    }
                    continue;
                }
                match ch {
                    '{' if self.prev_dollar => {
                        self.word.push(ch);
                        self.var_brace = true;
                    }
                    c if c.is_whitespace() => self.end_word(no, warn),
                    ';' => {
                        self.end_word(no, warn);
                        self.token(Tok::Semi, no, warn);
                    }
                    '{' => {
                        self.end_word(no, warn);
                        self.token(Tok::Open, no, warn);
                    }
                    '}' => {
                        self.end_word(no, warn);
                        self.token(Tok::Close, no, warn);
                    }
                    '\\' => self.escape = true,
                    c => self.word.push(c),
                }
                self.prev_dollar = ch == '$';
                continue;
            }
            match ch {
                c if c.is_whitespace() => {}
                '#' => break,
                ';' => self.token(Tok::Semi, no, warn),
                '{' => self.token(Tok::Open, no, warn),
                '}' => self.token(Tok::Close, no, warn),
                '"' | '\'' => {
                    self.quote = Some((ch, no));
                    self.in_word = true;
                    self.word_line = no;
                }
                c => {
                    self.in_word = true;
                    self.word_line = no;
                    self.prev_dollar = c == '$';
                    if c == '\\' {
                        self.escape = true;
                    } else {
                        self.word.push(c);
                    }
                }
            }
        }
        // End of line.
        if let Some(lua) = &mut self.lua {
            lua.quote = None;
            lua.escape = false;
        } else if self.quote.is_some() {
            if self.escape {
                self.escape = false;
            } else {
                self.word.push('\n');
            }
        } else if self.in_word {
            if self.escape {
                self.escape = false;
                self.word.push('\\');
            }
            self.end_word(no, warn);
        }
    }

    fn end_word(&mut self, no: u64, warn: &mut Warnings) {
        if !self.in_word {
            return;
        }
        self.in_word = false;
        self.var_brace = false;
        self.prev_dollar = false;
        let w = std::mem::take(&mut self.word);
        let line = if self.word_line > 0 {
            self.word_line
        } else {
            no
        };
        self.token_at(Tok::Word(w), line, warn);
    }

    fn token(&mut self, t: Tok, no: u64, warn: &mut Warnings) {
        self.token_at(t, no, warn)
    }

    fn directive(&self, words: Vec<String>, line: u64) -> Directive {
        let mut it = words.into_iter();
        let name = it.next().unwrap_or_default();
        Directive {
            name,
            args: it.collect(),
            line,
            file: self.file.clone(),
            file_line: self.file_line(line),
            children: None,
        }
    }

    /// Close the current statement as a simple directive.
    fn flush_stmt(&mut self) {
        if self.stmt.is_empty() {
            return;
        }
        let words = std::mem::take(&mut self.stmt);
        let d = self.directive(words, self.stmt_line);
        match self.stack.last_mut() {
            Some(f) => f.children.push(d),
            None => self.roots.push(d),
        }
    }

    fn token_at(&mut self, t: Tok, line: u64, warn: &mut Warnings) {
        if self.skipped > 0 {
            // Beyond MAX_DEPTH: only keep count of the nesting.
            match t {
                Tok::Open => self.skipped += 1,
                Tok::Close => self.skipped -= 1,
                _ => {}
            }
            self.stmt.clear();
            return;
        }
        match t {
            Tok::Word(w) => {
                if self.stmt.is_empty() {
                    self.stmt_line = line;
                }
                self.stmt.push(w);
            }
            Tok::Semi => self.flush_stmt(),
            Tok::Open => {
                if self.stack.len() >= MAX_DEPTH {
                    self.skipped = 1;
                    self.skipped_line = line;
                    self.stmt.clear();
                    warn.push(
                        line,
                        format!(
                            "blocks nested deeper than {MAX_DEPTH} levels{}; their contents were skipped",
                            self.where_(line)
                        ),
                    );
                    return;
                }
                if self.stmt.is_empty() {
                    if !self.warned_nameless {
                        self.warned_nameless = true;
                        warn.push(
                            line,
                            format!("`{{` without a directive name before it{}; kept as an unnamed block", self.where_(line)),
                        );
                    }
                    self.stmt_line = line;
                }
                let words = std::mem::take(&mut self.stmt);
                let dir = self.directive(words, self.stmt_line);
                if dir.name.ends_with("_by_lua_block") {
                    self.lua = Some(LuaSkip {
                        depth: 1,
                        ..LuaSkip::default()
                    });
                }
                self.stack.push(Frame {
                    dir,
                    children: Vec::new(),
                });
            }
            Tok::Close => {
                if !self.stmt.is_empty() {
                    let name = self.stmt[0].clone();
                    warn.push(
                        self.stmt_line,
                        format!(
                            "`{name}` is not terminated by `;` before `}}`{}; kept anyway",
                            self.where_(self.stmt_line)
                        ),
                    );
                    self.flush_stmt();
                }
                match self.stack.pop() {
                    Some(f) => {
                        let mut d = f.dir;
                        d.children = Some(f.children);
                        match self.stack.last_mut() {
                            Some(p) => p.children.push(d),
                            None => self.roots.push(d),
                        }
                    }
                    None => {
                        if !self.warned_stray_close {
                            self.warned_stray_close = true;
                            warn.push(
                                line,
                                format!(
                                    "unexpected `}}` with no open block{}: more closing braces than opening ones (the opening part may not be pasted); ignored",
                                    self.where_(line)
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    /// End of file: report what is still open and keep the partial tree.
    fn finish(&mut self, out: &mut Vec<Directive>, warn: &mut Warnings) {
        if let Some((_, qline)) = self.quote.take() {
            warn.push(
                qline,
                format!(
                    "quoted string opened here{} is never closed",
                    self.where_(qline)
                ),
            );
            self.in_word = true;
            self.end_word(qline, warn);
        } else if self.in_word {
            let l = self.word_line;
            self.end_word(l, warn);
        }
        if self.lua.take().is_some() {
            // The Lua block's own `}` never came; close it as nginx would try to.
            if let Some(f) = self.stack.last() {
                let l = f.dir.line;
                warn.push(
                    l,
                    format!("`{}` block is never closed{}", f.dir.name, self.where_(l)),
                );
            }
        }
        if !self.stmt.is_empty() {
            let name = self.stmt[0].clone();
            let l = self.stmt_line;
            warn.push(
                l,
                format!(
                    "`{name}` is not terminated by `;`{}; kept anyway",
                    self.where_(l)
                ),
            );
            self.flush_stmt();
        }
        if self.skipped > 0 {
            let l = self.skipped_line;
            warn.push(
                l,
                format!(
                    "{} deeply nested blocks are never closed{}: missing `}}`",
                    self.skipped,
                    self.where_(l)
                ),
            );
            self.skipped = 0;
        }
        let mut reported = 0usize;
        while let Some(f) = self.stack.pop() {
            if reported < 5 {
                let l = f.dir.line;
                let what = if f.dir.args.is_empty() {
                    format!("`{} {{`", f.dir.name)
                } else {
                    format!("`{} {} {{`", f.dir.name, f.dir.args_joined())
                };
                warn.push(
                    l,
                    format!(
                        "{what} opened on line {l}{} is never closed: missing `}}`",
                        self.where_(l)
                    ),
                );
            }
            reported += 1;
            let mut d = f.dir;
            d.children = Some(f.children);
            match self.stack.last_mut() {
                Some(p) => p.children.push(d),
                None => self.roots.push(d),
            }
        }
        if reported > 5 {
            warn.push(
                self.stmt_line,
                format!("{} more enclosing blocks are never closed", reported - 5),
            );
        }
        out.append(&mut self.roots);
    }
}

/// nginx undoes `\"`, `\'` and `\\` and turns `\t`, `\r`, `\n` into control
/// characters; any other escaped character keeps its backslash (regexes
/// such as `\.php$` stay intact).
fn push_escaped(word: &mut String, ch: char) {
    match ch {
        '"' | '\'' | '\\' => word.push(ch),
        't' => word.push('\t'),
        'r' => word.push('\r'),
        'n' => word.push('\n'),
        c => {
            word.push('\\');
            word.push(c);
        }
    }
}

// ---------------------------------------------------------------------------
// Segmenter hooks
// ---------------------------------------------------------------------------

/// Block directives that open a config paste on their own line.
const BLOCK_OPENERS: &[&str] = &[
    "http",
    "server",
    "events",
    "upstream",
    "location",
    "stream",
    "mail",
    "map",
    "types",
    "geo",
    "split_clients",
    "limit_except",
];

/// Common directive names. Only these start a config block, so prose that
/// happens to end with `;` and `key = value` files are not taken for nginx.
const KNOWN_DIRECTIVES: &[&str] = &[
    "user",
    "worker_processes",
    "worker_connections",
    "worker_rlimit_nofile",
    "pid",
    "error_log",
    "include",
    "load_module",
    "multi_accept",
    "daemon",
    "pcre_jit",
    "worker_cpu_affinity",
    "worker_shutdown_timeout",
    "env",
    "listen",
    "server_name",
    "root",
    "alias",
    "index",
    "try_files",
    "return",
    "rewrite",
    "set",
    "access_log",
    "log_format",
    "sendfile",
    "tcp_nopush",
    "tcp_nodelay",
    "keepalive_timeout",
    "keepalive_requests",
    "keepalive",
    "types_hash_max_size",
    "server_tokens",
    "default_type",
    "send_timeout",
    "add_header",
    "error_page",
    "resolver",
    "resolver_timeout",
    "allow",
    "deny",
    "auth_basic",
    "auth_basic_user_file",
    "charset",
    "expires",
    "autoindex",
    "real_ip_header",
    "set_real_ip_from",
    "http2",
    "server_names_hash_bucket_size",
    "large_client_header_buffers",
    "open_file_cache",
    "underscores_in_headers",
    "merge_slashes",
    "absolute_redirect",
    "port_in_redirect",
    "chunked_transfer_encoding",
    "etag",
    "if_modified_since",
    "least_conn",
    "ip_hash",
    "hash",
    "zone",
    "sub_filter",
    "aio",
    "directio",
    "output_buffers",
    "postpone_output",
    "reset_timedout_connection",
    "lingering_close",
    "lingering_timeout",
];

/// Directive families known by prefix (`proxy_read_timeout`, …).
const KNOWN_PREFIXES: &[&str] = &[
    "proxy_",
    "fastcgi_",
    "uwsgi_",
    "scgi_",
    "grpc_",
    "memcached_",
    "ssl_",
    "gzip_",
    "client_",
    "limit_",
    "keepalive_",
    "worker_",
    "open_file_cache_",
    "map_hash_",
    "variables_hash_",
    "server_names_hash_",
    "types_hash_",
    "real_ip_",
    "auth_",
    "brotli",
];

/// Names that are also everyday English words: with these a line must be
/// short to count, so "root cause is the proxy;" is not a config.
const WORDY: &[&str] = &[
    "user",
    "root",
    "index",
    "return",
    "set",
    "include",
    "allow",
    "deny",
    "charset",
    "expires",
    "hash",
    "zone",
    "env",
    "daemon",
    "listen",
    "keepalive",
    "etag",
];

fn is_known_name(w: &str) -> bool {
    !w.is_empty()
        && w.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && (KNOWN_DIRECTIVES.contains(&w)
            || KNOWN_PREFIXES.iter().any(|p| w.starts_with(p))
            || w.ends_with("_by_lua_block")
            || w.ends_with("_by_lua_file"))
}

/// A line's shape outside quotes and comments.
struct LineShape {
    /// `{` minus `}` (not counting `${…}`).
    delta: i64,
    /// Last non-space character before any comment.
    last: Option<char>,
    /// The line is only a comment.
    comment_only: bool,
}

fn line_shape(line: &str) -> LineShape {
    let mut delta = 0i64;
    let mut last = None;
    let mut quote: Option<char> = None;
    let mut escape = false;
    let mut prev = ' ';
    let mut var_brace = false;
    let mut comment_only = false;
    for (i, ch) in line.char_indices() {
        if let Some(q) = quote {
            if escape {
                escape = false;
            } else if ch == '\\' {
                escape = true;
            } else if ch == q {
                quote = None;
            }
            last = Some(ch);
            prev = ch;
            continue;
        }
        if escape {
            escape = false;
            prev = ch;
            last = Some(ch);
            continue;
        }
        match ch {
            '\\' => escape = true,
            '"' | '\'' if prev.is_whitespace() || matches!(prev, ';' | '{' | '}') => {
                quote = Some(ch)
            }
            '#' if prev.is_whitespace() || matches!(prev, ';' | '{' | '}') => {
                comment_only = line[..i].trim().is_empty();
                break;
            }
            '{' if prev == '$' => var_brace = true,
            '}' if var_brace => var_brace = false,
            '{' => delta += 1,
            '}' => delta -= 1,
            _ => {}
        }
        if !ch.is_whitespace() {
            last = Some(ch);
        }
        prev = ch;
    }
    LineShape {
        delta,
        last,
        comment_only,
    }
}

/// Does `line` clearly open (or look like) nginx configuration?
pub fn starts(line: &str) -> bool {
    // A block opener needs a `{` and a directive ends with `;`: most lines of
    // a log have neither and are refused without looking further.
    if memchr::memchr2(b'{', b';', line.as_bytes()).is_none() {
        return false;
    }
    // `grep -rn` over nginx's files, pasted without its command:
    // `/etc/nginx/sites-enabled/blog.conf:23:    fastcgi_pass …;`.
    if let Some(rest) = grep_rest(line) {
        return starts(rest);
    }
    let t = line.trim();
    let shape = line_shape(t);
    if shape.comment_only {
        return false;
    }
    // Split `server{` and `location /{` at the brace.
    let head_end = t
        .find(|c: char| c.is_whitespace() || c == '{' || c == ';')
        .unwrap_or(t.len());
    let first = &t[..head_end];
    if BLOCK_OPENERS.contains(&first) || first.ends_with("_by_lua_block") {
        // `server {`, `upstream app {`, `location ~ \.php$ {`, or a one-line block.
        let opens =
            shape.delta > 0 || (t.contains('{') && matches!(shape.last, Some('}' | ';' | '{')));
        return opens && block_head_ok(first, &t[head_end..]);
    }
    if !is_known_name(first) || shape.last != Some(';') {
        return false;
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if words.len() < 2 || words[1] == "=" || words[1].starts_with('=') {
        return false;
    }
    if WORDY.contains(&first) && words.len() > 4 {
        return false;
    }
    // `root` takes a path; "root cause: …;" does not start a config.
    if first == "root" {
        let a = words[1].trim_start_matches(['"', '\'']);
        return a.starts_with('/') || a.starts_with('$');
    }
    true
}

/// The part between a block opener's name and its `{` must look like
/// arguments, not prose ("server {" yes, "server is down {" no).
fn block_head_ok(name: &str, rest: &str) -> bool {
    let args = rest.split('{').next().unwrap_or("");
    let n = args.split_whitespace().count();
    match name {
        "http" | "server" | "events" | "stream" | "mail" | "types" => n == 0,
        "upstream" => n == 1,
        "location" => (1..=2).contains(&n),
        "limit_except" => n >= 1,
        _ => n <= 3,
    }
}

/// Does `line` continue an open config block? Updates `st.depth` with the
/// braces outside quotes and comments.
pub fn continues(line: &str, st: &mut BlockState) -> bool {
    let t = line.trim();
    // A log line or `nginx -t` output after a truncated config is not config,
    // even inside braces; leave the depth alone so the block can end.
    if looks_like_log(t) {
        return false;
    }
    let was_inside = st.depth > 0;
    let shape = line_shape(t);
    st.depth = (st.depth + shape.delta).max(0);
    was_inside || st.depth > 0 || shape.comment_only || matches!(shape.last, Some(';' | '{' | '}'))
}

/// The text after `FILE:N:` (or `FILE:`) when FILE is one of nginx's.
fn grep_rest(line: &str) -> Option<&str> {
    super::grep_line(line)
        .filter(|(path, _, _)| path.contains("/nginx/") || path.contains("/sites-"))
        .map(|(_, _, text)| text)
}

/// `2024/01/15 10:23:45 [error] …`, `2024-01-15T…` or `nginx: [emerg] …`.
fn looks_like_log(t: &str) -> bool {
    if t.starts_with("nginx: ") {
        return true;
    }
    let b = t.as_bytes();
    b.len() >= 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'/' | b'-')
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b[4]
        && b[8..10].iter().all(u8::is_ascii_digit)
        && matches!(b[10], b' ' | b'T')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<BlockLine> {
        s.lines()
            .enumerate()
            .map(|(i, t)| BlockLine {
                no: i as u64 + 1,
                text: t.to_string(),
            })
            .collect()
    }

    fn parse(s: &str) -> NginxConfig {
        NginxConfig::parse(&lines(s))
    }

    /// Flatten to `name args` strings with nesting shown by indentation.
    fn shape(cfg: &NginxConfig) -> Vec<String> {
        let mut out = Vec::new();
        walk(&cfg.directives, |d, parents| {
            let mut s = "  ".repeat(parents.len());
            s.push_str(&d.name);
            for a in &d.args {
                s.push_str(&format!(" [{a}]"));
            }
            if d.is_block() {
                s.push_str(" {}");
            }
            out.push(s);
        });
        out
    }

    fn check(input: &str, expected: &[&str]) {
        let cfg = parse(input);
        assert_eq!(shape(&cfg), expected, "input: {input:?}");
    }

    #[test]
    fn words_semicolons_blocks() {
        check(
            "server {\n  listen 80;\n  location / { proxy_pass http://127.0.0.1:3000; }\n}",
            &[
                "server {}",
                "  listen [80]",
                "  location [/] {}",
                "    proxy_pass [http://127.0.0.1:3000]",
            ],
        );
    }

    #[test]
    fn quotes_and_escapes() {
        check(
            r#"add_header X-A "a b;c{d}" always;"#,
            &["add_header [X-A] [a b;c{d}] [always]"],
        );
        check(r#"return 200 'it\'s';"#, &["return [200] [it's]"]);
        check(r#"set $x "q\"q\\";"#, &[r#"set [$x] [q"q\]"#]);
        check(
            r#"log_format m "a # not a comment";"#,
            &["log_format [m] [a # not a comment]"],
        );
        check(r#"set $e "";"#, &["set [$e] []"]);
    }

    #[test]
    fn comments() {
        check(
            "# whole line\nlisten 80; # trailing { }\n",
            &["listen [80]"],
        );
        // `#` inside a word is not a comment (nginx agrees).
        check(
            "return 301 https://x/#top;",
            &["return [301] [https://x/#top]"],
        );
    }

    #[test]
    fn variables_with_braces() {
        check(
            "proxy_pass http://${backend}:8080;\nset $a ${b}c;",
            &["proxy_pass [http://${backend}:8080]", "set [$a] [${b}c]"],
        );
    }

    #[test]
    fn regex_locations() {
        check(
            "location ~ \\.php$ {\n fastcgi_pass 127.0.0.1:9000;\n}",
            &[
                "location [~] [\\.php$] {}",
                "  fastcgi_pass [127.0.0.1:9000]",
            ],
        );
        check(
            "location ~* \"^/(a|b){2}\" { return 204; }",
            &["location [~*] [^/(a|b){2}] {}", "  return [204]"],
        );
        check(
            "location ~ ^/api/(.*)$ { }",
            &["location [~] [^/api/(.*)$] {}"],
        );
    }

    #[test]
    fn lua_block_is_opaque() {
        check(
            "location /t {\n content_by_lua_block {\n  local t = { a = \"}\" } -- }\n  ngx.say('{')\n }\n proxy_pass http://a;\n}",
            &["location [/t] {}", "  content_by_lua_block {}", "  proxy_pass [http://a]"],
        );
    }

    #[test]
    fn crlf_and_tabs() {
        check(
            "server {\r\n\tlisten\t80;\r\n}\r\n",
            &["server {}", "  listen [80]"],
        );
    }

    #[test]
    fn multi_line_quote() {
        let cfg = parse("log_format main '$a '\n   '$b';\n");
        assert_eq!(cfg.directives[0].args, vec!["main", "$a ", "$b"]);
        assert!(cfg.warnings.is_empty());
    }

    #[test]
    fn unbalanced_braces_warn_and_keep_tree() {
        let cfg = parse("server {\n listen 80;\n location / {\n proxy_pass http://a;\n}");
        assert_eq!(shape(&cfg).len(), 4);
        assert_eq!(cfg.warnings.len(), 1);
        assert_eq!(cfg.warnings[0].line, 1);
        assert!(
            cfg.warnings[0].message.contains("never closed"),
            "{:?}",
            cfg.warnings
        );

        let cfg = parse("}\nlisten 80;\n}");
        assert_eq!(shape(&cfg), vec!["listen [80]"]);
        assert_eq!(cfg.warnings.len(), 1);
        assert!(cfg.warnings[0].message.contains("unexpected `}`"));
    }

    #[test]
    fn unterminated_statement_kept() {
        let cfg = parse("proxy_pass http://127.0.0.1:8000");
        assert_eq!(shape(&cfg), vec!["proxy_pass [http://127.0.0.1:8000]"]);
        assert_eq!(cfg.warnings.len(), 1);
        let cfg = parse("location / { proxy_pass http://a }");
        assert_eq!(
            shape(&cfg),
            vec!["location [/] {}", "  proxy_pass [http://a]"]
        );
        assert_eq!(cfg.warnings.len(), 1);
    }

    #[test]
    fn quote_never_closed() {
        let cfg = parse("add_header X \"abc;\nlisten 80;\n");
        assert_eq!(cfg.warnings.len(), 2, "{:?}", cfg.warnings);
        assert_eq!(cfg.warnings[0].line, 1);
    }

    #[test]
    fn file_markers_and_status_lines() {
        let cfg = parse(
            "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
             # configuration file /etc/nginx/nginx.conf:\n\
             user www-data;\n\
             http {\n\
             # configuration file /etc/nginx/sites-enabled/a:\n\
             server { listen 80; }\n",
        );
        assert_eq!(
            cfg.files,
            vec!["/etc/nginx/nginx.conf", "/etc/nginx/sites-enabled/a"]
        );
        // `http {` is cut by the next marker: one warning, depth reset.
        assert_eq!(cfg.warnings.len(), 1);
        let srv = cfg.directives.iter().find(|d| d.name == "server").unwrap();
        assert_eq!(srv.file.as_deref(), Some("/etc/nginx/sites-enabled/a"));
        assert_eq!((srv.line, srv.file_line), (6, Some(1)));
        assert_eq!(cfg.user().unwrap().user, "www-data");
    }

    #[test]
    fn depth_cap() {
        let deep = "a {\n".repeat(1000) + &"}\n".repeat(1000) + "listen 80;";
        let cfg = parse(&deep);
        assert!(cfg
            .warnings
            .iter()
            .any(|w| w.message.contains("deeper than")));
        // Balanced: after the deep part, parsing carries on at the top.
        assert_eq!(cfg.directives.last().unwrap().name, "listen");
    }

    #[test]
    fn glob() {
        assert!(glob_match(
            b"/etc/nginx/conf.d/*.conf",
            b"/etc/nginx/conf.d/a.conf"
        ));
        assert!(!glob_match(
            b"/etc/nginx/conf.d/*.conf",
            b"/etc/nginx/conf.d/x/a.conf"
        ));
        assert!(glob_match(
            b"/etc/nginx/sites-enabled/*",
            b"/etc/nginx/sites-enabled/default"
        ));
        assert!(glob_match(b"a?[0-9].c[!x]nf", b"ab7.conf"));
        assert!(!glob_match(b"*.conf", b"a.conf.bak"));
    }

    #[test]
    fn starts_recognises_config_not_prose() {
        for yes in [
            "server {",
            "server{",
            "http {",
            "events {",
            "upstream backend {",
            "location ~ \\.php$ {",
            "location / { proxy_pass http://127.0.0.1:3000; }",
            "user www-data;",
            "worker_processes auto;",
            "proxy_pass http://127.0.0.1:8000;",
            "fastcgi_pass unix:/run/php/php8.1-fpm.sock;",
            "proxy_read_timeout 300s; # slow reports",
            "include snippets/fastcgi-php.conf;",
            "root /var/www/html;",
            "/etc/nginx/sites-enabled/blog.conf:23:        fastcgi_pass unix:/run/php/php7.4-fpm.sock;",
            "/etc/nginx/conf.d/api.conf:    proxy_read_timeout 300s;",
        ] {
            assert!(starts(yes), "{yes}");
        }
        for no in [
            "listen = /run/php/php8.1-fpm.sock",
            "user = www-data",
            "pm.max_children = 5",
            "The server is down;",
            "root cause is the proxy;",
            "if (err) {",
            "server is down {",
            "# server {",
            "proxy_pass http://127.0.0.1:8000",
            "2024/01/15 10:23:45 [error] 1#1: *1 connect() failed",
            "/etc/php/8.1/fpm/pool.d/www.conf:36:listen = /run/php/php8.1-fpm.sock;",
            "/etc/nginx/sites-enabled/blog.conf:23: the server is down;",
        ] {
            assert!(!starts(no), "{no}");
        }
    }

    #[test]
    fn continues_tracks_depth() {
        let mut st = BlockState::default();
        assert!(continues("server {", &mut st));
        assert_eq!(st.depth, 1);
        assert!(continues("set $a \"}\"; # }", &mut st));
        assert_eq!(st.depth, 1);
        assert!(continues("random words inside a block", &mut st));
        assert!(continues("proxy_pass http://${h};", &mut st));
        assert_eq!(st.depth, 1);
        assert!(!continues("2024/01/15 10:23:45 [error] 1#1: x", &mut st));
        assert!(continues("}", &mut st));
        assert_eq!(st.depth, 0);
        assert!(continues("# a comment", &mut st));
        assert!(!continues("some prose after the config", &mut st));
        assert!(continues("}", &mut st));
        assert_eq!(st.depth, 0);
    }

    // ---- bounded work through include cycles ----

    /// Every directive in the tree (what one query may scan at most).
    fn size(cfg: &NginxConfig) -> u64 {
        let mut n = 0;
        walk(&cfg.directives, |_, _| n += 1);
        n
    }

    /// Run what the rules (and the fuzz target) ask of a config: every
    /// pass, then `effective` and `effective_all` of several names for each
    /// pass. Checks the work of each query is linear in the config, and
    /// returns (passes, total work).
    fn query_everything(cfg: &NginxConfig) -> (usize, u64) {
        let n = size(cfg);
        let passes = cfg.passes();
        let after_passes = cfg.query_work();
        // Cached: asking again costs nothing.
        assert_eq!(cfg.passes(), passes);
        assert_eq!(cfg.query_work(), after_passes);
        for p in &passes {
            for name in ["proxy_read_timeout", "resolver", "include", "nowhere"] {
                let before = cfg.query_work();
                let _ = cfg.effective_all(p, name);
                let used = cfg.query_work() - before;
                // Each directive list scanned once, plus the include chain
                // followed (twice when it falls back to the first chain).
                let bound = n + 2 * MAX_INCLUDE_HOPS as u64;
                assert!(used <= bound, "{name}: {used} units > {bound}");
            }
        }
        (passes.len(), cfg.query_work())
    }

    fn nginx_t(files: &[(String, String)]) -> String {
        let mut s =
            String::from("nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n");
        for (path, body) in files {
            s.push_str(&format!("# configuration file {path}:\n{body}\n\n"));
        }
        s
    }

    #[test]
    fn include_cycles_cost_bounded_work() {
        // Eight snippets that each include all the others twice (at the top
        // and inside a location), each with a proxy_pass: without memoised
        // placements and per-query scanning this took seconds.
        let k = 8;
        let mut files = vec![(
            "/etc/nginx/nginx.conf".to_string(),
            "http {\n  proxy_read_timeout 5s;\n  include conf.d/*.conf;\n}".to_string(),
        )];
        for i in 0..k {
            files.push((
                format!("/etc/nginx/conf.d/s{i}.conf"),
                format!(
                    "include conf.d/*.conf;\nserver {{\n  listen {};\n  location /{i} {{\n    include conf.d/*.conf;\n    proxy_pass http://127.0.0.1:{};\n  }}\n}}",
                    8000 + i,
                    9000 + i
                ),
            ));
        }
        let cfg = parse(&nginx_t(&files));
        let (passes, work) = query_everything(&cfg);
        // At most MAX_PLACEMENTS placements per pass directive.
        assert!(passes <= k * MAX_PLACEMENTS, "{passes} passes");
        assert!(passes >= k);
        // Total: the memoised placements (files × hops × MAX_PLACEMENTS
        // include chains), two lookups per pass to name its server, and the
        // per-query bound checked above.
        let n = size(&cfg);
        let queries = passes as u64 * 4;
        let bound = (files.len() * (MAX_INCLUDE_HOPS + 1) * MAX_PLACEMENTS * 2) as u64
            + passes as u64 * (2 * n + MAX_PLACEMENTS as u64)
            + queries * (n + 2 * MAX_INCLUDE_HOPS as u64);
        assert!(work <= bound, "{work} > {bound}");
        // Inheritance still works through the cycle.
        let p = cfg.passes().into_iter().next().unwrap();
        assert_eq!(
            cfg.effective(&p, "proxy_read_timeout")
                .map(|d| d.args.clone()),
            Some(vec!["5s".to_string()])
        );
    }

    #[test]
    fn deep_include_chain_costs_bounded_work() {
        // A chain of 40 files, each including the next inside 20 nested
        // locations: placements stop after MAX_INCLUDE_HOPS hops.
        let depth = 20;
        let mut files = Vec::new();
        for i in 0..40 {
            let mut body = String::new();
            for _ in 0..depth {
                body.push_str("location / {\n");
            }
            body.push_str(&format!(
                "include f{};\nproxy_pass http://127.0.0.1:{};\n",
                i + 1,
                9000 + i
            ));
            body.push_str(&"}\n".repeat(depth));
            files.push((format!("/etc/nginx/f{i}"), body));
        }
        let cfg = parse(&nginx_t(&files));
        let (passes, _) = query_everything(&cfg);
        assert_eq!(passes, 40, "one include chain per pass");
        for p in cfg.passes() {
            assert!(p.via_includes.len() <= MAX_INCLUDE_HOPS);
        }
    }

    #[test]
    fn fuzz_regression_include_cycle_is_cheap() {
        // The input that took 29 s under ASan in the nginx_config target.
        let data = include_bytes!("../../tests/regressions/nginx_config-include-cycle-slow-unit");
        let cfg = parse(&String::from_utf8_lossy(data));
        let (passes, work) = query_everything(&cfg);
        assert!(
            passes > 24,
            "{passes} passes: the target now queries them all"
        );
        let n = size(&cfg);
        assert!(
            work <= passes as u64 * 8 * n,
            "{work} units for {passes} passes, {n} directives"
        );
    }
}
