//! Segmentation: one pass over the lines of a paste, deciding for each line
//! which artifact it belongs to.
//!
//! Strong signals first: code fences, collector markers
//! (`### upstream-doctor: <section> ###`), `nginx -T` file markers and shell
//! prompts with their command (`$ sudo ss -tlnp` says the next lines are an
//! `ss` table). Then lines that recognise themselves (log lines). Then block
//! kinds, which open on a typical first line and continue while their lines
//! fit. Whatever is left is an `unrecognised` artifact: nothing is dropped and
//! nothing fails.

use crate::artifacts::{
    self, access_log, backend_log, block_continues, block_start, error_log, misc, parse_block,
    BlockLine, BlockState, Kind, ParseWarning,
};
use crate::facts::Facts;
use crate::report::ArtifactInfo;
use crate::text::{strip_controls, unwrap_line, Wrapper};
use serde::{Deserialize, Serialize};

/// Most lines a single block buffers; a longer block is parsed in pieces.
pub const MAX_BLOCK_LINES: usize = 50_000;
/// Most bytes a single block buffers; past them it is parsed in pieces too
/// (50,000 lines of 64 KB would otherwise be 3 GB).
pub const MAX_BLOCK_BYTES: usize = 8 << 20;
/// Most lines of one kind of block (a configuration, a listing, a status)
/// that are parsed. What they hold is kept whole, not grouped like log
/// lines, so an endless one would grow memory with the input (a 44 MB
/// made-up `nginx -T` held 1.3 GB); the real ones are a few thousand lines.
/// Past this many, the rest is not read and a warning says so.
pub const MAX_PARSED_BLOCK_LINES: usize = 50_000;
/// Longest line kept (bytes); the rest of a longer line is dropped.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Most artifacts listed. Interleaved logs (error.log and access.log lines
/// of one `docker logs`) would otherwise list one artifact per line or two:
/// past this many, a line joins the latest artifact of its kind.
pub const MAX_ARTIFACTS: usize = 256;

struct OpenBlock {
    kind: Kind,
    lines: Vec<BlockLine>,
    /// Bytes of text in `lines`.
    bytes: usize,
    state: BlockState,
    /// Opened because a prompt or marker announced it.
    announced: bool,
    /// The shell command that printed it, when a prompt line showed it.
    command: Option<String>,
    /// The file it shows, when a command (`cat FILE`) or a caption line
    /// (`# FILE`) named it, and whether its lines are the file's from its
    /// first line on (see [`artifacts::shown_file`]).
    shows: Option<(String, bool)>,
    /// Where in `Facts::shown_configs` the first piece of this block went.
    shown_at: Option<usize>,
    /// Opened by a [`KindOverride`]: it holds every line of the range.
    forced: bool,
}

impl OpenBlock {
    /// An `nginx -T` dump: a config whose `# configuration file` markers
    /// name its files (the segmenter pushes them trimmed).
    fn is_dump(&self) -> bool {
        self.kind == Kind::NginxConfig
            && self
                .lines
                .iter()
                .any(|l| l.text.starts_with("# configuration file "))
    }

    /// Its first line of output, trimmed (not blank, not the `$ command`):
    /// what the output says it is.
    fn first_output(&self) -> Option<&str> {
        self.lines
            .iter()
            .map(|l| l.text.trim())
            .find(|t| !t.is_empty() && !t.starts_with("$ "))
    }
}

/// A correction from the user: input lines `first_line..=last_line` are
/// an artifact of `kind`, whatever they look like. It is the strongest
/// signal there is, stronger than a collector marker: a block kind takes
/// every line of the range (blank lines, markers and prompts included) and
/// is parsed as that kind; a line kind reads each line with that kind's
/// parser only (an access log re-labelled as a gunicorn log no longer
/// counts as nginx's 502s); `unrecognised` makes the lines count for
/// nothing. Lines outside every range are segmented as usual.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindOverride {
    pub first_line: u64,
    pub last_line: u64,
    pub kind: Kind,
}

/// The segmenter's state between lines.
pub struct Segmenter {
    pub facts: Facts,
    pub warnings: Vec<ParseWarning>,
    pub artifacts: Vec<ArtifactInfo>,
    block: Option<OpenBlock>,
    /// Kind announced by the last prompt, fence or collector marker.
    expect: Option<Kind>,
    pub error_log_lines: u64,
    pub events: u64,
    /// Lines that joined an earlier artifact because of [`MAX_ARTIFACTS`].
    pub merged_artifact_lines: u64,
    /// Block lines parsed so far, by kind (see [`MAX_PARSED_BLOCK_LINES`]).
    parsed_block_lines: Vec<(Kind, usize)>,
    /// The error.log parser's memory of line shapes.
    error_log: error_log::Stream,
    /// The user's kind corrections, by first line.
    overrides: Vec<KindOverride>,
    /// The override range the last line was in.
    in_override: Option<KindOverride>,
    /// Artifacts that start before this line are not extended: an override
    /// range is an artifact of its own, never merged with its neighbours.
    fence_line: u64,
    /// Take the plain-line shortcut (off only in tests comparing the paths).
    fast: bool,
    /// An error.log line that names no problem and looks cut short (a
    /// terminal or a mail client wrapped it): its line number, the text so
    /// far and how many lines were joined to it. The next unrecognised
    /// lines are tried as its continuation.
    wrapped: Option<(u64, String, u8)>,
    /// An error.log line that names a problem but looks cut inside its
    /// context ([`crate::wrap`]): held back, not yet counted, while the
    /// next lines are tried as its continuation. Its line number, the text
    /// so far and how many lines were joined to it.
    held: Option<(u64, String, u8)>,
    /// The app container of the last pasted `docker logs <name>` command:
    /// its lines come from inside that container (as if prefixed).
    logs_of: Option<String>,
    /// The previous line was a `docker run` command ending in `\\`: its
    /// options (`--name app`) go on.
    run_cont: bool,
    /// The `--name` of the `docker run` being read.
    run_name: Option<String>,
    /// Its image was seen (what follows are its arguments).
    run_image_seen: bool,
}

/// Most continuation lines joined to one wrapped error.log line.
const MAX_WRAP_LINES: u8 = 3;
/// Most continuation lines joined to a held line (see `held`), each of
/// which must add to its context: a line of 400 bytes wrapped at 72
/// columns by a mail client comes in six pieces.
const MAX_HELD_JOINS: u8 = 6;

/// Does this error.log line, which names no problem, look cut short? Its
/// message mentions a failure or the upstream but has no context fields.
fn looks_cut(text: &str) -> bool {
    text.len() < 1024
        && !has_client(text.as_bytes())
        && (text.contains("failed") || text.contains("upstream") || text.contains(" while"))
}

/// `text.contains(", client: ")`, looking only at its commas: in an
/// error.log line the first comma is usually that one, and one byte search
/// costs much less than a substring search on every quiet line of a log.
fn has_client(text: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = crate::text::find_byte(b',', &text[from..]) {
        from += i + 1;
        if crate::text::has_prefix(&text[from..], b" client: ") {
            return true;
        }
    }
    false
}

impl Default for Segmenter {
    fn default() -> Self {
        Self::new()
    }
}

/// The file a caption line names: a line that only says which file the
/// lines after it come from, as people write above a pasted file:
/// `# /etc/nginx/sites-enabled/shop.conf`, `==> /var/log/nginx/error.log
/// <==` (`tail` of several files), `**/etc/nginx/nginx.conf**`,
/// `` `/etc/nginx/conf.d/app.conf`: ``, `// /etc/nginx/nginx.conf`, and
/// `/etc/nginx/sites-available/default:` for a file of nginx's own (a path
/// that ends with a colon is otherwise a directory header of `ls -R`,
/// whose listing needs it).
pub fn caption(line: &str) -> Option<&str> {
    let t = line.trim();
    // nano's title bar, copied with the file (`  GNU nano 6.2    /etc/nginx/sites-available/default`),
    // and `File: PATH` at the start of a line (`stat` indents its own).
    let labelled = t
        .strip_prefix("GNU nano ")
        .and_then(|r| r.split_whitespace().nth(1))
        .or_else(|| {
            let (label, rest) = line.split_once(": ")?;
            matches!(
                label,
                "File" | "file" | "Filename" | "Path" | "Config" | "Config file"
            )
            .then(|| rest.trim())
        });
    if let Some(p) = labelled {
        let p = p.trim_matches('`');
        return (artifacts::is_file_path(p) && !p.contains(char::is_whitespace)).then_some(p);
    }
    let (inner, marked) = if let Some(r) = t.strip_prefix("==> ") {
        (r.strip_suffix(" <==")?, true)
    } else if let Some(r) = t.strip_prefix('#').or_else(|| t.strip_prefix("//")) {
        (r.trim_start_matches('#').trim_start(), true)
    } else {
        (t, false)
    };
    let inner = inner.strip_suffix(':').unwrap_or(inner).trim_end();
    let (path, quoted) = match inner
        .strip_prefix("**")
        .and_then(|r| r.strip_suffix("**"))
        .or_else(|| inner.strip_prefix('`').and_then(|r| r.strip_suffix('`')))
    {
        Some(p) => (p.strip_suffix(':').unwrap_or(p), true),
        None => (inner, false),
    };
    if !t.ends_with(':') && !marked && !quoted {
        return None;
    }
    if path.contains(char::is_whitespace) {
        // Prose that ends with the file: `Here is my /etc/nginx/sites-available/default:`.
        if marked || quoted || t.len() > 160 {
            return None;
        }
        let last = path.rsplit(char::is_whitespace).next().unwrap_or(path);
        let last = last.trim_matches(|c| matches!(c, '(' | ')' | '`' | '*' | '"' | '\''));
        return nginx_config_file(last).then_some(last);
    }
    if !artifacts::is_file_path(path) {
        return None;
    }
    // A bare `PATH:`: a file of nginx's configuration, or a file by its
    // extension (a config, a log), never a directory.
    let name = path.rsplit('/').next().unwrap_or(path);
    let file_ext = [".conf", ".ini", ".log", ".yml", ".yaml", ".service"]
        .iter()
        .any(|e| name.ends_with(e));
    (marked || quoted || nginx_config_file(path) || file_ext).then_some(path)
}

/// A path that names a file of nginx's configuration (not a directory of
/// it, as `ls -R` headers do: `/etc/nginx/conf.d:`).
fn nginx_config_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    artifacts::is_file_path(path)
        && (path.contains("/nginx/") || path.contains("/sites-"))
        && (name.ends_with(".conf") || path.contains("/sites-"))
        && !name.ends_with(".d")
        && !name.starts_with("sites-")
}

/// Shell prompt forms: `$ cmd`, `# cmd`, `user@host:~$ cmd`,
/// `root@web1:~# cmd`, `[root@web1 ~]# cmd`, `PS C:\> cmd`, `❯ cmd`.
pub fn parse_prompt(line: &str) -> Option<&str> {
    let t = line.trim_start();
    for p in ["$ ", "% ", "❯ ", "> $ "] {
        if let Some(c) = t.strip_prefix(p) {
            return looks_like_command(c).then_some(c);
        }
    }
    if let Some(c) = t.strip_prefix("# ") {
        // `# configuration file` and config comments are not prompts:
        // accept only known commands after `# `.
        return looks_like_command(c).then_some(c);
    }
    // BusyBox ash's default (Alpine): host:path# cmd
    if let Some((head, c)) = t.split_once(' ') {
        if let Some((host, path)) = head
            .strip_suffix(['#', '$'])
            .and_then(|h| h.split_once(':'))
        {
            if !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                && path.starts_with(['~', '/'])
            {
                return looks_like_command(c).then_some(c);
            }
        }
    }
    // user@host:path$ cmd / [user@host path]$ cmd
    if first_word_has_at_or_bracket(t)? {
        for sep in ["$ ", "# "] {
            if let Some(i) = t.find(sep) {
                let head = &t[..i];
                if head.contains('@') && !head.contains('"') && head.len() < 80 {
                    let c = &t[i + 2..];
                    return looks_like_command(c).then_some(c);
                }
            }
        }
    }
    None
}

/// A command on a line of its own without a prompt, as forum posts often
/// show one above its output (`sudo systemctl status gunicorn`,
/// `ls -la /run/php/`). Only commands whose output kind is known, and only
/// words that look like arguments: a sentence that starts with a command
/// name (`ls -la shows nothing there`) stays prose.
pub fn bare_command(line: &str) -> Option<&str> {
    const PROSE: &[&str] = &[
        "a", "an", "and", "the", "is", "are", "was", "but", "not", "did", "does", "do", "to", "it",
        "i", "my", "me", "shows", "says", "gives", "returns", "output", "works", "fails", "of",
        "with", "in", "from", "after", "before", "then", "when", "which", "this", "that", "only",
        "still", "also", "again", "here", "there", "nothing", "now",
    ];
    let t = line.trim();
    let t = t.strip_suffix(':').unwrap_or(t).trim_end();
    let first = t.as_bytes().first()?;
    if t.len() > 160 || !first.is_ascii_lowercase() || t.ends_with(['.', '?', '!', ',', ';']) {
        return None;
    }
    // A trailing `\` continues the command on the next line.
    let args_only = t.split_whitespace().skip(1).all(|w| {
        w == "\\"
            || w.starts_with(['-', '/', '~', '$', '\'', '"', '|', '>', '<'])
            || (w.len() <= 60
                && !PROSE.contains(&w.to_ascii_lowercase().as_str())
                && w.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(
                            b,
                            b'_' | b'.' | b'@' | b':' | b'=' | b'+' | b'-' | b'*' | b'/'
                        )
                }))
    });
    // Output such as `nginx version: nginx/1.30.0` is `key: value`, not a command.
    let key_value = t.split_whitespace().any(|w| w.ends_with(':'));
    // `nginx error log` is a caption: a bare command needs an option or a
    // path, unless its first word takes plain subcommands (`pm2 list`).
    const SUBCOMMANDS: &[&str] = &[
        "systemctl",
        "service",
        "pm2",
        "docker",
        "docker-compose",
        "podman",
        "journalctl",
        "kubectl",
        "dmesg",
        "getenforce",
        "sestatus",
    ];
    let command = t.split_whitespace().find(|w| *w != "sudo").unwrap_or("");
    let optioned = SUBCOMMANDS.contains(&command)
        || t.split_whitespace()
            .skip(1)
            .any(|w| w.starts_with(['-', '/', '~']));
    // `kubectl logs …` / `docker logs …` print log lines, which recognise
    // themselves: the command has no kind, but it is a command (and names
    // ingress-nginx when it is one).
    let logs = matches!(command, "kubectl" | "docker" | "docker-compose" | "podman")
        && t.split_whitespace().any(|w| w == "logs");
    // `docker run … --name app image` says how the containers are run.
    let run = matches!(command, "docker" | "podman")
        && t.split_whitespace().filter(|w| *w != "sudo").nth(1) == Some("run");
    (args_only
        && optioned
        && !key_value
        && (logs || run || crate::artifacts::kind_for_command(t).is_some()))
    .then_some(t)
}

/// For `t` without leading spaces: does its first word contain `@` or open
/// with `[`? `None` when there is no word. Decided on the bytes for ASCII
/// (a word ends at the first whitespace); other text takes the exact path.
fn first_word_has_at_or_bracket(t: &str) -> Option<bool> {
    for &b in t.as_bytes() {
        match b {
            b'@' => return Some(true),
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => break,
            0x80.. => {
                let first = t.split_whitespace().next()?;
                return Some(first.contains('@') || first.starts_with('['));
            }
            _ => {}
        }
    }
    let first = t.split_whitespace().next()?;
    Some(first.starts_with('['))
}

/// `s.trim().is_empty()`, deciding on the first byte when it can.
fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(&b) if b.is_ascii() && !matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') => {
            false
        }
        _ => s.trim().is_empty(),
    }
}

fn looks_like_command(c: &str) -> bool {
    const KNOWN: &[&str] = &[
        "sudo",
        "ss",
        "netstat",
        "lsof",
        "systemctl",
        "service",
        "journalctl",
        "ls",
        "stat",
        "namei",
        "getfacl",
        "nginx",
        "cat",
        "tail",
        "head",
        "less",
        "grep",
        "pm2",
        "docker",
        "docker-compose",
        "podman",
        "kubectl",
        "curl",
        "wget",
        "dmesg",
        "ausearch",
        "getenforce",
        "sestatus",
        "getsebool",
        "ps",
        "pgrep",
        "php-fpm",
        "free",
        "uptime",
        "whoami",
        "id",
        "ulimit",
        "cd",
        "echo",
        "sh",
        "bash",
        "nano",
        "vim",
        "vi",
        "export",
        "find",
        "readlink",
        "rc-service",
        "rc-status",
        "brew",
        "sysrc",
        "sockstat",
        "egrep",
    ];
    let first = c.split_whitespace().next().unwrap_or("");
    let first = first.rsplit('/').next().unwrap_or(first);
    KNOWN.contains(&first) || first.starts_with("php-fpm") || first.starts_with("php")
}

/// The section name of `### upstream-doctor: <section> ###`.
pub fn collector_section(line: &str) -> Option<&str> {
    let t = line.trim();
    let rest = t.strip_prefix("### upstream-doctor:")?;
    let rest = rest.trim().trim_end_matches('#').trim();
    Some(rest)
}

fn kind_for_section(section: &str) -> Option<Kind> {
    let s = section.split_whitespace().next().unwrap_or(section);
    Some(match s {
        "nginx-T" | "nginx-config" => Kind::NginxConfig,
        "nginx-version" | "nginx-test" => Kind::NginxTest,
        "error-log" | "nginx-error-log" => Kind::NginxErrorLog,
        "access-log" | "nginx-access-log" => Kind::NginxAccessLog,
        "listeners" | "ss" | "netstat" => Kind::Listeners,
        "systemctl" | "service" => Kind::SystemctlStatus,
        "journal" => Kind::Journal,
        "sockets" | "ls" => Kind::Ls,
        "fpm-pool" | "php-fpm-pool" => Kind::FpmPool,
        "pm2" => Kind::Pm2List,
        "pm2-logs" => Kind::Pm2Logs,
        "selinux" => Kind::Selinux,
        "oom" | "kernel" => Kind::KernelLog,
        "docker-ps" | "docker" => Kind::DockerPs,
        "curl" => Kind::Curl,
        "ps" | "ulimit" => Kind::Ps,
        _ => return None,
    })
}

/// The block's lines, with what its command tells the parser put first:
/// `ls -la /run/php/` lists names relative to `/run/php`, which `ls -R`
/// would print as a `/run/php:` header line, so one is added.
fn with_command(b: &OpenBlock) -> Vec<BlockLine> {
    let mut out = Vec::with_capacity(b.lines.len() + 1);
    if b.kind == Kind::Ls {
        if let (Some(cmd), Some(first)) = (&b.command, b.lines.first()) {
            let dir = cmd
                .split_whitespace()
                .skip(1)
                .filter(|a| !a.starts_with('-') && a.starts_with('/'))
                .last();
            if let Some(d) = dir {
                let d = d.trim_end_matches('/');
                let listing_is_relative = b.lines.iter().any(|l| {
                    let t = l.text.trim();
                    t.len() > 10 && !t.ends_with(d) && !t.contains(" /")
                });
                if listing_is_relative && !d.is_empty() {
                    out.push(BlockLine {
                        no: first.no,
                        text: format!("{d}:"),
                    });
                }
            }
        }
    }
    // `systemctl is-active a b` answers with bare words: the parser needs
    // the unit names, so the command goes first.
    if b.kind == Kind::SystemctlStatus {
        if let (Some(cmd), Some(first)) = (&b.command, b.lines.first()) {
            if artifacts::systemd::is_state_query(cmd) {
                out.push(BlockLine {
                    no: first.no,
                    text: format!("$ {cmd}"),
                });
            }
        }
    }
    // `kubectl get pods -n shop`: the pods' namespace; `cat app.ini`: the
    // uWSGI ini's path. Their parsers read a `$ command` first line.
    if matches!(
        b.kind,
        Kind::KubectlPods | Kind::KubectlIngress | Kind::UwsgiIni
    ) {
        if let (Some(cmd), Some(first)) = (&b.command, b.lines.first()) {
            out.push(BlockLine {
                no: first.no,
                text: format!("$ {cmd}"),
            });
        }
    }
    // `cat /etc/php/8.1/fpm/pool.d/www.conf`: the pool file's path.
    if b.kind == Kind::FpmPool {
        if let (Some(cmd), Some(first)) = (&b.command, b.lines.first()) {
            let file = cmd
                .split_whitespace()
                .rfind(|a| a.starts_with('/') && a.ends_with(".conf"));
            if let Some(f) = file {
                out.push(BlockLine {
                    no: first.no,
                    text: format!("; {f}"),
                });
            }
        } else if let (Some((f, _)), Some(first)) = (&b.shows, b.lines.first()) {
            // Captioned (`# /etc/php/8.1/fpm/pool.d/www.conf`).
            out.push(BlockLine {
                no: first.no,
                text: format!("; {f}"),
            });
        }
    }
    // A captioned uWSGI ini: its parser reads the path from a command.
    if b.kind == Kind::UwsgiIni && b.command.is_none() {
        if let (Some((f, _)), Some(first)) = (&b.shows, b.lines.first()) {
            out.push(BlockLine {
                no: first.no,
                text: format!("$ cat {f}"),
            });
        }
    }
    // `docker inspect -f '{{.State.OOMKilled}}' app-1` answers `true`, and
    // `docker inspect app-1 | grep OOMKilled` `"OOMKilled": true,`: the
    // container is named by the command only, so the answer is written
    // in the collector's `app-1 OOMKilled=true` form.
    if b.kind == Kind::DockerPs {
        if let Some(cmd) = b.command.as_deref().filter(|c| c.contains("inspect")) {
            let name = cmd
                .split('|')
                .next()
                .unwrap_or(cmd)
                .split_whitespace()
                .skip_while(|w| *w != "inspect")
                .skip(1)
                .filter(|w| !w.starts_with('-') && !w.contains("{{") && !w.contains('\''))
                .last();
            if let Some(name) = name {
                for l in &b.lines {
                    let t = l.text.trim().trim_end_matches(',');
                    let v = t
                        .strip_prefix("\"OOMKilled\":")
                        .map(str::trim)
                        .unwrap_or_else(|| t.split_whitespace().next().unwrap_or(""));
                    if v == "true" || v == "false" {
                        out.push(BlockLine {
                            no: l.no,
                            text: format!("{name} OOMKilled={v}"),
                        });
                    } else {
                        out.push(l.clone());
                    }
                }
                return out;
            }
        }
    }
    out.extend(b.lines.iter().cloned());
    out
}

impl Segmenter {
    pub fn new() -> Self {
        Segmenter {
            facts: Facts::default(),
            warnings: Vec::new(),
            artifacts: Vec::new(),
            block: None,
            expect: None,
            error_log_lines: 0,
            events: 0,
            merged_artifact_lines: 0,
            parsed_block_lines: Vec::new(),
            error_log: error_log::Stream::new(),
            overrides: Vec::new(),
            in_override: None,
            fence_line: 0,
            fast: true,
            wrapped: None,
            held: None,
            logs_of: None,
            run_cont: false,
            run_name: None,
            run_image_seen: false,
        }
    }

    /// Force the kind of line ranges (see [`KindOverride`]). Call before
    /// the first line; where ranges overlap, the later one wins.
    pub fn set_overrides(&mut self, overrides: &[KindOverride]) {
        self.overrides = overrides
            .iter()
            .copied()
            .filter(|o| o.first_line >= 1 && o.first_line <= o.last_line)
            .collect();
    }

    fn override_for(&self, no: u64) -> Option<KindOverride> {
        self.overrides
            .iter()
            .rev()
            .find(|o| o.first_line <= no && no <= o.last_line)
            .copied()
    }

    /// One line of an overridden range.
    fn forced_line(&mut self, no: u64, raw: &str, o: KindOverride) {
        let cleaned = strip_controls(raw.strip_suffix('\r').unwrap_or(raw));
        let text: &str = cleaned.trim_end();
        let kind = o.kind;
        let block_kind = !kind.is_line_kind() && kind != Kind::Unrecognised;
        if block_kind {
            let open = matches!(&self.block, Some(b) if b.forced && b.kind == kind);
            if !open {
                self.open_block(kind, true);
                if let Some(b) = &mut self.block {
                    b.forced = true;
                }
            }
        } else {
            self.close_block();
        }
        if text.is_empty() {
            if let Some(b) = self.block.as_mut().filter(|_| block_kind) {
                b.lines.push(BlockLine {
                    no,
                    text: String::new(),
                });
            }
        } else {
            let (inner, wrapper) = unwrap_line(text);
            if block_kind {
                if let Some(b) = &mut self.block {
                    block_continues(kind, inner, &mut b.state);
                }
                self.push_block_line(no, inner);
            } else {
                if kind != Kind::Unrecognised {
                    self.forced_line_kind(kind, no, inner, &wrapper);
                }
                self.note(kind, no);
            }
        }
        if block_kind && no >= o.last_line {
            self.close_block();
        }
    }

    /// Read a line with the parser of line kind `kind` only.
    fn forced_line_kind(&mut self, kind: Kind, no: u64, text: &str, wrapper: &Wrapper) {
        match kind {
            Kind::NginxErrorLog => {
                let streamed = if error_log::looks_like(text) {
                    self.error_log.line(no, text, &mut self.facts)
                } else {
                    None
                };
                match streamed {
                    Some(event) => {
                        self.error_log_lines += 1;
                        self.events += u64::from(event);
                    }
                    None => {
                        if let Some(ev) = error_log::parse_headless(no, text) {
                            self.error_log_lines += 1;
                            self.events += 1;
                            self.facts.add_event(ev);
                        }
                    }
                }
            }
            Kind::NginxAccessLog => {
                access_log::parse_line(no, text, &mut self.facts);
            }
            Kind::NginxTest => {
                if let Some(ev) = misc::nginx_test_event(no, text) {
                    self.events += 1;
                    self.facts.add_event(ev);
                }
            }
            _ => {
                // A backend's or the system's line: their parsers, not nginx's.
                if let Some((_, ev)) = backend_log::parse_line(no, text, wrapper) {
                    if let Some(ev) = ev {
                        self.events += 1;
                        self.facts.add_event(ev);
                    }
                } else if misc::parse_line(no, text, &mut self.facts).is_some() {
                    self.facts.remember_line(no, text);
                }
            }
        }
    }

    /// Without the plain-line shortcut: every line takes the general path.
    /// For tests that prove the shortcut changes nothing.
    #[cfg(test)]
    pub(crate) fn without_shortcuts() -> Self {
        Segmenter {
            fast: false,
            ..Self::new()
        }
    }

    /// Record that line `no` belongs to an artifact of `kind`: extends the
    /// current artifact when it is of the same kind, else opens a new one.
    fn note(&mut self, kind: Kind, no: u64) {
        if let Some(last) = self.artifacts.last_mut() {
            if last.kind == kind && last.first_line >= self.fence_line {
                last.last_line = no;
                last.lines += 1;
                return;
            }
        }
        if self.artifacts.len() >= MAX_ARTIFACTS {
            if let Some(a) = self.artifacts.iter_mut().rev().find(|a| a.kind == kind) {
                a.last_line = no;
                a.lines += 1;
                self.merged_artifact_lines += 1;
                return;
            }
        }
        self.artifacts.push(ArtifactInfo {
            kind,
            first_line: no,
            last_line: no,
            lines: 1,
            label: kind.label().to_string(),
        });
    }

    fn close_block(&mut self) {
        if let Some(mut b) = self.block.take() {
            if b.is_dump() {
                if let Some(a) = self.artifacts.last_mut() {
                    if a.kind == Kind::NginxConfig {
                        a.label = "nginx -T".into();
                    }
                }
            }
            // `kubectl describe ingress` shares the kind of `kubectl get
            // ingress` (both give the Ingress's hosts and backends): say
            // which one was pasted.
            if b.kind == Kind::KubectlIngress
                && b.first_output().is_some_and(|t| t.starts_with("Name:"))
            {
                if let Some(a) = self.artifacts.last_mut() {
                    if a.kind == Kind::KubectlIngress {
                        a.label = "kubectl describe ingress".into();
                    }
                }
            }
            // nginx's error page copied from a browser shares curl's
            // parser: say what was pasted.
            if b.kind == Kind::Curl
                && b.first_output()
                    .is_some_and(|t| artifacts::curl::page_title(t).is_some())
            {
                if let Some(a) = self.artifacts.last_mut() {
                    if a.kind == Kind::Curl {
                        a.label = "error page".into();
                    }
                }
            }
            // A ```yaml fence around `kubectl describe pod` output (which
            // is not YAML): the output says what it is.
            if b.kind == Kind::ComposeFile
                && b.first_output()
                    .is_some_and(artifacts::kubectl_describe::starts)
            {
                b.kind = Kind::KubectlDescribePod;
                if let Some(a) = self.artifacts.last_mut() {
                    if a.kind == Kind::ComposeFile {
                        a.kind = Kind::KubectlDescribePod;
                        a.label = Kind::KubectlDescribePod.label().into();
                    }
                }
            }
            self.note_shown_config(&mut b);
            let lines = self.grep_lines(b.kind, with_command(&b));
            self.parse_piece(b.kind, &b.lines, &lines);
        }
    }

    /// Config lines as `grep -rn` prints them (`/etc/nginx/sites-enabled/blog.conf:23:    fastcgi_pass …;`):
    /// the parser gets the directive, and `Facts::shown_configs` the file
    /// and line it is on, so a fix can edit that line of that file.
    fn grep_lines(&mut self, kind: Kind, mut lines: Vec<BlockLine>) -> Vec<BlockLine> {
        if kind != Kind::NginxConfig {
            return lines;
        }
        for l in &mut lines {
            let Some((path, n, rest)) = artifacts::grep_line(&l.text) else {
                continue;
            };
            self.facts.shown_configs.push(crate::facts::ShownFile {
                path: path.to_string(),
                first_line: l.no,
                last_line: l.no,
                first_in_file: n.filter(|&n| n > 0),
            });
            l.text = rest.to_string();
        }
        lines
    }

    /// Remember which input lines of a config show which file, when the
    /// paste named it and the config does not name its files itself
    /// (`nginx -T`). A long block comes in pieces: the later ones extend
    /// what the first one noted.
    fn note_shown_config(&mut self, b: &mut OpenBlock) {
        let Some((path, whole)) = b.shows.as_ref().filter(|_| b.kind == Kind::NginxConfig) else {
            return;
        };
        let mut text = b.lines.iter().filter(|l| !l.text.trim().is_empty());
        let Some(first) = text.next() else {
            return;
        };
        let last_line = text.next_back().map_or(first.no, |l| l.no);
        let shown = &mut self.facts.shown_configs;
        if let Some(s) = b.shown_at.and_then(|i| shown.get_mut(i)) {
            s.last_line = last_line;
            return;
        }
        if b.is_dump() {
            return;
        }
        b.shown_at = Some(shown.len());
        shown.push(crate::facts::ShownFile {
            path: path.clone(),
            first_line: first.no,
            last_line,
            // After `cat`, the block's first line (blank or not) is line 1.
            first_in_file: whole.then(|| first.no + 1 - b.lines.first().map_or(first.no, |l| l.no)),
        });
    }

    /// Parse a block (or a piece of a long one) into facts, within the
    /// kind's [`MAX_PARSED_BLOCK_LINES`]: the first piece that would go
    /// past it is dropped with a warning, the next ones silently. `own` are the
    /// block's own lines, `lines` the same with what the command adds.
    fn parse_piece(&mut self, kind: Kind, own: &[BlockLine], lines: &[BlockLine]) {
        let at = match self.parsed_block_lines.iter().position(|(k, _)| *k == kind) {
            Some(i) => i,
            None => {
                self.parsed_block_lines.push((kind, 0));
                self.parsed_block_lines.len() - 1
            }
        };
        let before = self.parsed_block_lines[at].1;
        let after = before.saturating_add(own.len());
        self.parsed_block_lines[at].1 = after;
        if after > MAX_PARSED_BLOCK_LINES {
            if before > MAX_PARSED_BLOCK_LINES {
                return;
            }
            self.warnings.push(ParseWarning {
                line: own.first().map_or(0, |l| l.no),
                message: format!(
                    "{} goes on for more than {MAX_PARSED_BLOCK_LINES} lines: \
                     it was read up to line {}, the rest was not. If the part \
                     that matters comes later, paste that part alone",
                    kind.label(),
                    own.first().map_or(0, |l| l.no.saturating_sub(1)),
                ),
            });
            return;
        }
        for l in own {
            self.facts.remember_line(l.no, &l.text);
        }
        parse_block(kind, lines, &mut self.facts, &mut self.warnings);
    }

    fn open_block(&mut self, kind: Kind, announced: bool) {
        self.open_block_for(kind, announced, None);
    }

    fn open_block_for(&mut self, kind: Kind, announced: bool, command: Option<&str>) {
        self.close_block();
        self.block = Some(OpenBlock {
            kind,
            lines: Vec::new(),
            bytes: 0,
            state: BlockState::default(),
            announced,
            command: command.map(str::to_string),
            shows: command
                .and_then(artifacts::shown_file)
                .map(|(f, whole)| (f.to_string(), whole)),
            shown_at: None,
            forced: false,
        });
    }

    fn push_block_line(&mut self, no: u64, text: &str) {
        let full = match &mut self.block {
            Some(b) => {
                b.lines.push(BlockLine {
                    no,
                    text: text.to_string(),
                });
                b.bytes += text.len();
                b.state.lines += 1;
                b.lines.len() >= MAX_BLOCK_LINES || b.bytes >= MAX_BLOCK_BYTES
            }
            None => return,
        };
        let kind = self
            .block
            .as_ref()
            .map(|b| b.kind)
            .unwrap_or(Kind::Unrecognised);
        self.note(kind, no);
        if full {
            // Parse what we have and go on with a fresh buffer of the same kind.
            if let Some(mut b) = self.block.take() {
                self.note_shown_config(&mut b);
                let lines = self.grep_lines(b.kind, with_command(&b));
                self.parse_piece(b.kind, &b.lines, &lines);
                b.lines.clear();
                b.bytes = 0;
                self.block = Some(b);
            }
        }
    }

    /// `text` through the streaming error.log parser, with the counts and
    /// the wrapped-line state it sets; false when it is no error.log line
    /// (then nothing changed). Inlined: it runs on every error.log line
    /// of a big log, from the fast lane.
    #[inline(always)]
    fn error_log_line(&mut self, no: u64, text: &str) -> bool {
        let event = match self.error_log.scan(no, text, &mut self.facts) {
            None => return false,
            Some(error_log::Scanned::Cut) => {
                self.hold(no, text);
                return true;
            }
            Some(s) => s == error_log::Scanned::Event,
        };
        self.error_log_lines += 1;
        if event {
            self.events += 1;
        }
        self.wrapped = (!event && looks_cut(text)).then(|| (no, text.to_string(), 0));
        true
    }

    /// Hold back `text`, an error.log event line that looks cut inside its
    /// context: see `held`.
    #[cold]
    fn hold(&mut self, no: u64, text: &str) {
        self.flush_held();
        self.held = Some((no, text.to_string(), 0));
        self.error_log_lines += 1;
        self.wrapped = None;
    }

    /// Line `no` as the continuation of the held line, if it is one (then
    /// it is taken: true). Otherwise the held line is counted as it is,
    /// and `raw` is left for the usual path.
    #[cold]
    fn continue_held(&mut self, no: u64, raw: &str) -> bool {
        let Some((first, text, joined)) = self.held.take() else {
            return false;
        };
        let forced = !self.overrides.is_empty() && self.override_for(no).is_some();
        if !forced && joined < MAX_HELD_JOINS {
            let cleaned = strip_controls(raw.strip_suffix('\r').unwrap_or(raw));
            match crate::wrap::join(&text, &cleaned) {
                Some(crate::wrap::Join::Whole(whole)) => {
                    if let Some(event) = self.error_log.line(first, &whole, &mut self.facts) {
                        self.events += u64::from(event);
                        self.facts.total_lines = no;
                        self.note(Kind::NginxErrorLog, no);
                        return true;
                    }
                }
                Some(crate::wrap::Join::Partial(more)) => {
                    self.held = Some((first, more, joined + 1));
                    self.facts.total_lines = no;
                    self.note(Kind::NginxErrorLog, no);
                    return true;
                }
                None => {}
            }
        }
        self.count_held(first, &text);
        false
    }

    fn count_held(&mut self, first: u64, text: &str) {
        if let Some(event) = self.error_log.line(first, text, &mut self.facts) {
            self.events += u64::from(event);
        }
    }

    /// Count the held line as it is.
    fn flush_held(&mut self) {
        if let Some((first, text, _)) = self.held.take() {
            self.count_held(first, &text);
        }
    }

    /// An app's own log said it listens on `host:port` (Kestrel's `Now
    /// listening on:`, Express's `listening on port 3001`): a listener of
    /// `process` (`localhost` is both loopbacks, as Kestrel binds them).
    fn log_listener(&mut self, no: u64, text: &str, host: &str, port: u16, process: Option<&str>) {
        let hosts: &[&str] = match host {
            "localhost" => &["127.0.0.1", "::1"],
            h => &[h],
        };
        for h in hosts {
            let l = crate::facts::Listener {
                addr: crate::facts::Address::Tcp {
                    host: (*h).to_string(),
                    port: Some(port),
                },
                process: process.map(str::to_string),
                pid: None,
                recv_q: None,
                send_q: None,
                from_log: true,
                line: no,
            };
            if !self.facts.listeners.contains(&l) {
                self.facts.listeners.push(l);
            }
        }
        self.facts.remember_line(no, text);
    }

    /// What a pasted command names for the fix commands: the unit of
    /// `journalctl -u <unit>`, the namespace of `kubectl … -n <ns>` (not
    /// the ingress controller's).
    /// A caption, a command or a file marker naming Nginx Proxy Manager's
    /// files or the product (`/data/logs/proxy-host-3_error.log:`, `I use
    /// Nginx Proxy Manager`). Only unrecognised lines, commands and
    /// config markers come here, never log lines.
    fn note_npm(&mut self, text: &str) {
        if !self.facts.plesk && text.len() <= 2048 {
            let b = text.as_bytes();
            let has = |n: &str| memchr::memmem::find(b, n.as_bytes()).is_some();
            self.facts.plesk = has("/var/www/vhosts/") || has("Plesk") || has("plesk.conf.d");
        }
        if text.len() <= 2048 {
            if let Some(d) = named_distro(text) {
                if !self.facts.distro_named.contains(&d) {
                    self.facts.distro_named.push(d);
                }
            }
        }
        if self.facts.plesk_php.is_none() && text.len() <= 2048 {
            let b = text.as_bytes();
            let has = |n: &str| memchr::memmem::find(b, n.as_bytes()).is_some();
            if has("plesk-php") || has("/opt/plesk/php/") {
                self.facts.plesk_php = crate::causes::ctx::php_version_in(text);
            }
        }
        if self.facts.npm || text.len() > 2048 {
            return;
        }
        let b = text.as_bytes();
        let has = |n: &str| memchr::memmem::find(b, n.as_bytes()).is_some();
        self.facts.npm = has("/data/logs/proxy-host-")
            || (has("proxy-host-") && (has("_error.log") || has("_access.log")))
            || has("/data/nginx/proxy_host/")
            || has("nginx-proxy-manager")
            || (has("roxy") && text.to_ascii_lowercase().contains("nginx proxy manager"));
    }

    /// An unrecognised line under a `docker compose logs` prefix that is not
    /// nginx's (`node-app-1  | Server listening on port 3000`) is still the
    /// app's output: its container names the app's compose service.
    fn note_prefixed_app(&mut self, wrapper: &crate::text::Wrapper) {
        let Some(c) = wrapper.container.as_deref() else {
            return;
        };
        let nginx = c.contains("nginx")
            || self.facts.nginx_service.as_deref()
                == Some(crate::text::service_of_prefix(c).as_str());
        if !nginx && !self.facts.app_log_containers.iter().any(|x| x == c) {
            self.facts.app_log_containers.push(c.to_string());
        }
    }

    /// A `docker run` (or its continuation line) gave a container name
    /// and/or its image: keep the name, and note nginx's container.
    fn note_run(&mut self, name: Option<&str>, image: Option<&str>) {
        if let Some(n) = name {
            if !self.facts.docker_run_names.iter().any(|x| x == n) {
                self.facts.docker_run_names.push(n.to_string());
            }
            self.run_name = Some(n.to_string());
        }
        if let Some(i) = image {
            if artifacts::docker::nginx_image(i) {
                let n = self.run_name.clone().unwrap_or_else(|| "nginx".into());
                self.facts.nginx_runs_in(|| n);
            }
            self.run_image_seen = true;
        }
    }

    fn note_command(&mut self, cmd: &str) {
        self.note_npm(cmd);
        // `tail /var/log/php8.2-fpm.log`, `ls /etc/php/8.2/fpm/pool.d/`.
        for w in cmd.split_whitespace() {
            if w.contains("fpm") && (w.starts_with("/var/log/php") || w.starts_with("/etc/php/")) {
                if let Some(v) = crate::causes::ctx::php_version_in(w) {
                    if !self.facts.php_versions_named.contains(&v) {
                        self.facts.php_versions_named.push(v);
                    }
                }
            }
        }
        let mut words = cmd.split_whitespace().filter(|w| *w != "sudo");
        match words.next() {
            Some("journalctl") => {
                let mut prev = "";
                for w in words {
                    let unit = if prev == "-u" || prev == "--unit" {
                        Some(w)
                    } else {
                        w.strip_prefix("--unit=")
                            .or_else(|| w.strip_prefix("-u").filter(|u| !u.is_empty()))
                    };
                    if let Some(u) = unit {
                        let u = u.trim_matches(['\'', '"']).trim_end_matches(".service");
                        let ok = !u.is_empty()
                            && u.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b"-_.@".contains(&b));
                        if ok && !self.facts.journal_units.iter().any(|x| x == u) {
                            self.facts.journal_units.push(u.to_string());
                        }
                    }
                    prev = w;
                }
            }
            Some("kubectl") => {
                if let Some(ns) = artifacts::docker::kubectl_namespace(cmd) {
                    if !ns.contains("ingress") && !self.facts.kubectl_namespaces.contains(&ns) {
                        self.facts.kubectl_namespaces.push(ns);
                    }
                }
                let deployment = cmd.split_whitespace().find_map(|w| {
                    w.strip_prefix("deploy/")
                        .or_else(|| w.strip_prefix("deployment/"))
                        .or_else(|| w.strip_prefix("deployments/"))
                });
                if let Some(d) = deployment.filter(|d| !d.is_empty() && !d.contains("ingress")) {
                    if !self.facts.kubectl_deployments.iter().any(|x| x == d) {
                        self.facts.kubectl_deployments.push(d.to_string());
                    }
                }
                // `-c php-fpm`, `--container php-fpm`, `--container=php-fpm`.
                let mut prev = "";
                for w in cmd.split_whitespace() {
                    let c = match prev {
                        "-c" | "--container" => Some(w),
                        _ => w.strip_prefix("--container="),
                    };
                    if let Some(c) = c.filter(|c| {
                        !c.is_empty()
                            && c.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
                    }) {
                        if !self.facts.kubectl_containers.iter().any(|x| x == c) {
                            self.facts.kubectl_containers.push(c.to_string());
                        }
                    }
                    prev = w;
                }
            }
            Some("rc-service") => {
                let name = words.find(|w| !w.starts_with('-')).filter(|n| {
                    n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
                });
                if let Some(n) = name {
                    if !self.facts.openrc_services.iter().any(|x| x == n) {
                        self.facts.openrc_services.push(n.to_string());
                    }
                }
            }
            Some("docker-compose") => self.facts.compose_cmd = true,
            Some("docker" | "podman") => {
                let sub = words.find(|w| !w.starts_with('-'));
                match sub {
                    Some("compose") => self.facts.compose_cmd = true,
                    Some("run") => {
                        self.facts.docker_run = true;
                        let name = artifacts::docker::docker_run_name(cmd);
                        self.note_run(name, artifacts::docker::docker_run_image(words));
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// Try the self-recognising line kinds. Returns the kind when matched.
    fn line_kind(&mut self, no: u64, text: &str, wrapper: &crate::text::Wrapper) -> Option<Kind> {
        if error_log::looks_like(text) && self.error_log_line(no, text) {
            if let Some(c) = &wrapper.container {
                self.facts
                    .nginx_runs_in(|| crate::text::service_of_prefix(c));
            }
            return Some(Kind::NginxErrorLog);
        }
        if let Some(rest) = text.strip_prefix("nginx: ") {
            // `nginx -t` output: `nginx: [emerg] …`, `nginx: configuration file … test failed`
            if rest.starts_with('[')
                || rest.starts_with("configuration file")
                || rest.starts_with("the configuration file")
            {
                if let Some(ev) = misc::nginx_test_event(no, text) {
                    self.events += 1;
                    self.facts.add_event(ev);
                }
                return Some(Kind::NginxTest);
            }
        }
        if access_log::parse_line(no, text, &mut self.facts) {
            // gunicorn logs the same format: only an nginx-named container counts.
            if let Some(c) = wrapper.container.as_deref().filter(|c| c.contains("nginx")) {
                self.facts
                    .nginx_runs_in(|| crate::text::service_of_prefix(c));
            }
            return Some(Kind::NginxAccessLog);
        }
        if let Some(ev) = error_log::parse_headless(no, text) {
            // `ingress-nginx-controller-7d9f…-xk2lp 2024/…` (kubectl --prefix, log shippers)
            if text.contains("ingress-nginx") {
                self.facts.ingress_nginx = true;
            }
            self.error_log_lines += 1;
            self.events += 1;
            self.facts.add_event(ev);
            return Some(Kind::NginxErrorLog);
        }
        if let Some((kind, ev)) = backend_log::parse_line(no, text, wrapper) {
            if let Some(c) = wrapper.container.as_deref() {
                if !c.contains("nginx") && !self.facts.app_log_containers.iter().any(|x| x == c) {
                    self.facts.app_log_containers.push(c.to_string());
                }
            }
            // Kestrel stopping: what it listened on is gone.
            if kind == Kind::AppLog
                && text
                    .trim_start()
                    .starts_with("Application is shutting down")
            {
                self.facts.listeners.retain(|l| !l.from_log);
            }
            if let Some(ev) = ev {
                if let crate::facts::Signal::AppListening { host, port, .. } = &ev.key.signal {
                    let process = listening_process(kind, ev.key.source, text);
                    self.log_listener(no, text, host, *port, process);
                }
                self.events += 1;
                self.facts.add_event(ev);
            }
            return Some(kind);
        }
        let kind = misc::parse_line(no, text, &mut self.facts);
        if kind.is_some() {
            self.facts.remember_line(no, text);
        }
        kind
    }

    /// Feed one raw line (without its newline).
    pub fn line(&mut self, no: u64, raw: &str) {
        if self.held.is_some() && self.continue_held(no, raw) {
            return;
        }
        self.line_of(no, raw, false);
    }

    /// [`Self::line`] for a line known to have no control byte (the
    /// analyzer checks each line's bytes as it splits them).
    ///
    /// The fast lane of a big log: when nothing is open (no block, no user
    /// correction) and the line has one of the two plain shapes, it goes
    /// straight to that shape's parser, with the bookkeeping
    /// [`Self::classify`] and [`Self::line_kind`] would do for it, and
    /// nothing else: they would find no fence, marker, prompt or wrapper
    /// (see [`crate::plain`]), and the first parser to take the line is
    /// this one. A line the parser refuses takes the general path, which
    /// asks it again (parsers change nothing when they refuse).
    #[inline]
    pub(crate) fn line_without_controls(&mut self, no: u64, raw: &str) {
        if self.fast
            && self.block.is_none()
            && self.overrides.is_empty()
            && self.held.is_none()
            && !self.run_cont
        {
            match crate::plain::shape(raw) {
                Some(crate::plain::Shape::ErrorLog) if self.error_log_line(no, raw) => {
                    self.facts.total_lines = no;
                    self.note(Kind::NginxErrorLog, no);
                    return;
                }
                Some(crate::plain::Shape::AccessLog)
                    if access_log::parse_line(no, raw, &mut self.facts) =>
                {
                    self.facts.total_lines = no;
                    self.wrapped = None;
                    self.note(Kind::NginxAccessLog, no);
                    return;
                }
                _ => {}
            }
        } else if self.held.is_some() && self.continue_held(no, raw) {
            return;
        }
        self.line_of(no, raw, true);
    }

    #[inline]
    fn line_of(&mut self, no: u64, raw: &str, no_controls: bool) {
        self.facts.total_lines = no;
        if !self.overrides.is_empty() {
            let o = self.override_for(no);
            if o != self.in_override {
                self.in_override = o;
                self.fence_line = no;
                if self.block.as_ref().is_some_and(|b| b.forced) {
                    self.close_block();
                }
            }
            if let Some(o) = o {
                self.forced_line(no, raw, o);
                return;
            }
        }
        // Nearly every line of a big log: nothing to clean or unwrap, no
        // block open whose state a blank-run or config check would touch.
        if self.fast
            && self.block.is_none()
            && !self.run_cont
            && if no_controls {
                crate::plain::is_plain_shape(raw)
            } else {
                crate::plain::is_plain(raw)
            }
        {
            self.classify(no, raw, &crate::text::Wrapper::default());
            return;
        }
        let cleaned = strip_controls(raw.strip_suffix('\r').unwrap_or(raw));
        let text: &str = cleaned.trim_end();
        // (`text` ends with a non-space when not empty: blank means empty.)
        if text.is_empty() {
            if let Some(b) = &mut self.block {
                b.state.blank_run += 1;
                // Two blank lines end any block but a config inside braces.
                if b.state.blank_run >= 2 && !(b.kind == Kind::NginxConfig && b.state.depth > 0) {
                    self.close_block();
                } else {
                    b.lines.push(BlockLine {
                        no,
                        text: String::new(),
                    });
                }
            }
            return;
        }
        if let Some(b) = &mut self.block {
            b.state.blank_run = 0;
        }
        let trimmed = text.trim_start();
        // Markdown code fences: end the block; a language tag is a hint.
        if let Some(lang) = trimmed
            .strip_prefix("```")
            .or_else(|| trimmed.strip_prefix("~~~"))
        {
            // A caption just before the fence (`### /etc/nginx/conf.d/app.conf`)
            // names the file of the fenced block: its empty block passes on.
            let captioned = self
                .block
                .as_ref()
                .filter(|b| b.lines.is_empty())
                .and_then(|b| Some((b.kind, b.shows.clone()?)));
            self.close_block();
            self.expect = match lang.trim() {
                "nginx" | "conf" | "nginxconf" => Some(Kind::NginxConfig),
                "ini" => Some(Kind::FpmPool),
                "yaml" | "yml" => Some(Kind::ComposeFile),
                "" => captioned.as_ref().map(|(k, _)| *k),
                _ => None,
            };
            if let Some(k) = self.expect.filter(|k| !k.is_line_kind()) {
                self.open_block(k, true);
                if let (Some(b), Some((ck, shows))) = (&mut self.block, captioned) {
                    if ck == k {
                        b.shows = Some(shows);
                    }
                }
            }
            return;
        }
        // Collector markers and `nginx -T` file markers open with `#`.
        let hash = trimmed.starts_with('#');
        if let Some(section) = collector_section(trimmed).filter(|_| hash) {
            self.close_block();
            let name = section.split_whitespace().next().unwrap_or("").to_string();
            let is_data = !matches!(name.as_str(), "collector" | "end");
            if is_data && !self.facts.sections.contains(&name) {
                self.facts.sections.push(name);
            }
            self.expect = kind_for_section(section);
            return;
        }
        if hash && trimmed.starts_with("# configuration file ") && trimmed.ends_with(':') {
            self.note_npm(trimmed);
            if !matches!(&self.block, Some(b) if b.kind == Kind::NginxConfig) {
                self.open_block(Kind::NginxConfig, true);
            }
            if let Some(b) = &mut self.block {
                b.state.depth = 0;
            }
            self.push_block_line(no, trimmed);
            return;
        }
        // A chat quote (`> root@web:~# systemctl status …`) hides a prompt too.
        let unquoted = text.strip_prefix("> ").unwrap_or(text);
        if self.run_cont {
            let t = unquoted.trim();
            self.run_cont = t.ends_with('\\');
            if !self.run_image_seen {
                let name = artifacts::docker::docker_run_name(t);
                let image = artifacts::docker::docker_run_image(t.split_whitespace());
                self.note_run(name, image);
            }
            if t.starts_with('-') {
                return;
            }
        }
        if let Some(path) = caption(unquoted).filter(|_| !self.in_config_braces()) {
            self.captioned(path);
            return;
        }
        if let Some(cmd) = parse_prompt(unquoted).or_else(|| bare_command(unquoted)) {
            self.run_name = None;
            self.run_image_seen = false;
            self.note_command(cmd);
            self.run_cont = cmd.contains(" run ") && cmd.trim_end().ends_with('\\');
            self.logs_of = artifacts::docker::app_logs_container(cmd).map(str::to_string);
            if cmd.contains("ingress-nginx") {
                self.facts.ingress_nginx = true;
            } else if let Some(c) = artifacts::docker::nginx_logs_container(cmd) {
                self.facts
                    .nginx_runs_in(|| crate::causes::ctx::compose_service(c).to_string());
            }
            self.close_block();
            self.expect = artifacts::kind_for_command(cmd);
            if let Some(k) = self.expect {
                if !k.is_line_kind() {
                    self.open_block_for(k, true, Some(cmd));
                }
            }
            return;
        }
        let (inner, mut wrapper) = unwrap_line(text);
        if is_blank(inner) {
            return;
        }
        if wrapper.container.is_none() && wrapper.ident.is_none() {
            wrapper.container.clone_from(&self.logs_of);
        }
        if inner.starts_with('{') {
            if let Some((message, outer)) = crate::text::json_log(inner) {
                self.json_record(no, &message, outer, &wrapper);
                return;
            }
        }
        // An error.log line whose quotes a chat app made typographic.
        if artifacts::error_log::looks_like(inner) {
            if let Some(straight) = crate::text::straight_quotes(inner) {
                self.classify(no, &straight, &wrapper);
                return;
            }
        }
        self.classify(no, inner, &wrapper);
    }

    /// A log line a shipper wrapped in JSON ([`crate::text::json_log`]):
    /// each line of its message, unwrapped in turn, is read as if pasted
    /// (a record holds one line, or a stack trace), with what the record
    /// says of its source filling in what the line's own wrapper does not.
    fn json_record(
        &mut self,
        no: u64,
        message: &str,
        record: crate::text::Wrapper,
        wrapper: &crate::text::Wrapper,
    ) {
        for line in message.lines() {
            let line = line.trim_end();
            let (inner, mut w) = unwrap_line(line);
            if is_blank(inner) {
                continue;
            }
            for (mine, theirs) in [
                (
                    &mut w.container,
                    record.container.as_ref().or(wrapper.container.as_ref()),
                ),
                (
                    &mut w.ident,
                    record.ident.as_ref().or(wrapper.ident.as_ref()),
                ),
                (&mut w.host, record.host.as_ref().or(wrapper.host.as_ref())),
            ] {
                if mine.is_none() {
                    mine.clone_from(&theirs.cloned());
                }
            }
            self.classify(no, inner, &w);
        }
    }

    /// Inside the braces of a pasted nginx config, or anywhere in an
    /// `nginx -T` dump (which names its files itself), where `# /path` is a
    /// comment of the config, not a caption.
    fn in_config_braces(&self) -> bool {
        matches!(&self.block, Some(b) if b.kind == Kind::NginxConfig
            && (b.state.depth > 0 || b.is_dump()))
    }

    /// A caption line names the file the lines after it show: it ends the
    /// open block and, for a file of a block kind (an nginx config, a pool
    /// file), opens one that knows its file. It is no artifact itself.
    fn captioned(&mut self, path: &str) {
        self.close_block();
        self.note_npm(path);
        self.expect = artifacts::kind_for_command(&format!("cat {path}"));
        if let Some(k) = self.expect.filter(|k| !k.is_line_kind()) {
            self.open_block(k, true);
            if let Some(b) = &mut self.block {
                b.shows = Some((path.to_string(), false));
            }
        }
    }

    /// Assign a cleaned, unwrapped, non-blank line: the open nginx config,
    /// a self-recognising line kind, the open block, a new block, or
    /// unrecognised.
    fn classify(&mut self, no: u64, inner: &str, wrapper: &crate::text::Wrapper) {
        let wrapped = self.wrapped.take();
        // Inside an nginx config, everything up to the closing brace is config.
        if let Some(b) = &mut self.block {
            if b.kind == Kind::NginxConfig
                && b.state.depth > 0
                && block_continues(b.kind, inner, &mut b.state)
            {
                self.push_block_line(no, inner);
                return;
            }
        }
        if let Some(kind) = self.line_kind(no, inner, wrapper) {
            let absorbs = matches!(&self.block, Some(b) if matches!(b.kind, Kind::SystemctlStatus));
            if absorbs {
                self.push_block_line(no, inner);
            } else {
                self.close_block();
                self.note(kind, no);
            }
            return;
        }
        if let Some(b) = &mut self.block {
            if block_continues(b.kind, inner, &mut b.state) {
                self.push_block_line(no, inner);
                return;
            }
        }
        // A new block?
        let announced = self
            .block
            .as_ref()
            .map(|b| b.announced && b.lines.is_empty())
            .unwrap_or(false);
        let start = block_start(inner);
        match (start, announced) {
            (Some(k), _) => {
                let keep_open = matches!(&self.block, Some(b) if b.kind == k && b.lines.is_empty());
                if !keep_open {
                    self.open_block(k, false);
                }
                if let Some(b) = &mut self.block {
                    block_continues(k, inner, &mut b.state);
                }
                self.push_block_line(no, inner);
            }
            (None, true) => {
                // The prompt said what this is; trust it.
                if let Some(b) = &mut self.block {
                    block_continues(b.kind, inner, &mut b.state);
                }
                self.push_block_line(no, inner);
            }
            (None, false) => {
                self.close_block();
                if let Some(w) = wrapped {
                    if self.continue_wrapped(no, inner, w) {
                        return;
                    }
                }
                self.note_npm(inner);
                self.note_prefixed_app(wrapper);
                self.note(Kind::Unrecognised, no);
            }
        }
    }

    /// Try `inner` as the continuation of a wrapped error.log line: the
    /// joined text is parsed again as the first line's. True when it is
    /// taken (the joined line names a problem, or may still go on).
    fn continue_wrapped(
        &mut self,
        no: u64,
        inner: &str,
        (first, text, joined): (u64, String, u8),
    ) -> bool {
        if joined >= MAX_WRAP_LINES || inner.len() > 1024 {
            return false;
        }
        let sep = if text.ends_with(['/', ':', '(']) {
            ""
        } else {
            " "
        };
        let whole = format!("{text}{sep}{}", inner.trim());
        match error_log::parse_line(first, &whole) {
            // It names a problem now, but its context is still cut.
            Some(Some(_)) if crate::wrap::tail_cut(&whole) => {
                self.held = Some((first, whole, 0));
            }
            Some(Some(ev)) => {
                self.events += 1;
                self.facts.add_event(ev);
            }
            Some(None) if looks_cut(&whole) => {
                self.wrapped = Some((first, whole, joined + 1));
            }
            _ => return false,
        }
        self.note(Kind::NginxErrorLog, no);
        true
    }

    /// Close what is open and return the facts.
    pub fn finish(&mut self) {
        self.flush_held();
        self.close_block();
        self.facts.settle();
    }
}

/// The process behind an app's own "listening" line, for its listener:
/// Kestrel's line is .NET's, a pm2 or Node log line is `node`'s, a Java
/// web server's (`Tomcat started on port 8080`) is `java`'s; else unknown.
fn listening_process(kind: Kind, source: crate::facts::Source, text: &str) -> Option<&'static str> {
    use crate::facts::Source;
    if text.contains("Now listening on: ") {
        return Some("dotnet");
    }
    if matches!(source, Source::Node | Source::Pm2) || matches!(kind, Kind::Pm2Logs | Kind::NodeLog)
    {
        return Some("node");
    }
    let java = ["Tomcat", "Jetty", "Netty", "Undertow"];
    java.iter().any(|w| text.contains(w)).then_some("java")
}

/// The distribution family a caption names by its product name (`Debian
/// 12`, `Ubuntu 22.04`, `CentOS Stream 9`, `Rocky Linux`, `AlmaLinux`,
/// `Alpine 3.18`), case as the vendors write it.
fn named_distro(text: &str) -> Option<crate::facts::Distro> {
    use crate::facts::Distro;
    let b = text.as_bytes();
    let has = |n: &str| memchr::memmem::find(b, n.as_bytes()).is_some();
    // People write them lowercase too (`on ubuntu 22.04`), and AWS's
    // images log in as `ubuntu@…` / `debian@…`; Debian's uWSGI package
    // keeps its apps in /etc/uwsgi/apps-enabled/.
    let debian = ["Debian", "Ubuntu", "debian", "ubuntu", "/etc/uwsgi/apps-"]
        .iter()
        .any(|n| has(n));
    let rhel = [
        "CentOS",
        "Rocky Linux",
        "AlmaLinux",
        "RHEL",
        "Red Hat",
        "Fedora",
        "Oracle Linux",
        "centos",
        "rocky linux",
        "almalinux",
        "rhel",
        "fedora",
    ]
    .iter()
    .any(|n| has(n));
    let alpine = has("Alpine") || has("alpine 3.");
    let freebsd = has("FreeBSD");
    let homebrew = has("Homebrew") || has("brew services");
    let named = [
        (debian, Distro::Debian),
        (rhel, Distro::Rhel),
        (alpine, Distro::Alpine),
        (freebsd, Distro::FreeBsd),
        (homebrew, Distro::Homebrew),
    ];
    match named.iter().filter(|(said, _)| *said).collect::<Vec<_>>()[..] {
        [(_, d)] => Some(*d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn describe_ingress_is_labelled_as_such() {
        let r = crate::analyze_str("$ kubectl describe ingress shop -n web\nName:             shop\nNamespace:        web\nRules:\n  Host              Path  Backends\n  ----              ----  --------\n  shop.example.com\n                    /   shop-frontend:80 (<none>)\n");
        let labels: Vec<&str> = r.artifacts.iter().map(|a| a.label.as_str()).collect();
        assert!(labels.contains(&"kubectl describe ingress"), "{labels:?}");
        let r = crate::analyze_str("NAME   CLASS   HOSTS              ADDRESS       PORTS   AGE\nshop   nginx   shop.example.com   203.0.113.4   80      3h\n");
        let labels: Vec<&str> = r.artifacts.iter().map(|a| a.label.as_str()).collect();
        assert!(labels.contains(&"kubectl get ingress"), "{labels:?}");
    }

    #[test]
    fn npm_log_caption_marks_nginx_proxy_manager() {
        let log = "2024/09/08 07:41:02 [error] 311#311: *50211 connect() failed (111: Connection refused) while connecting to upstream, client: 172.20.0.1, server: ha.example.net, request: \"GET / HTTP/1.1\", upstream: \"http://192.168.178.31:8123/\", host: \"ha.example.net\"\n";
        for caption in [
            "/data/logs/proxy-host-7_error.log:",
            "==> /data/logs/proxy-host-7_error.log <==",
        ] {
            let r = crate::analyze_str(&format!("{caption}\n{log}"));
            assert!(
                r.causes[0].summary.contains("Nginx Proxy Manager"),
                "{caption}: {}",
                r.causes[0].summary
            );
        }
        // Without the caption nothing says it is NPM.
        let r = crate::analyze_str(log);
        assert!(!r.causes[0].summary.contains("Nginx Proxy Manager"));
    }

    #[test]
    fn distro_named_by_the_user() {
        use crate::facts::Distro;
        assert_eq!(
            named_distro("Debian 12, nginx -> uwsgi"),
            Some(Distro::Debian)
        );
        assert_eq!(
            named_distro("CentOS Stream 9, nginx from appstream"),
            Some(Distro::Rhel)
        );
        assert_eq!(named_distro("AlmaLinux 8, WooCommerce"), Some(Distro::Rhel));
        assert_eq!(
            named_distro("alpine 3.18 container with nginx"),
            Some(Distro::Alpine)
        );
        assert_eq!(
            named_distro("FreeBSD 14.0, nginx + php82 from pkg"),
            Some(Distro::FreeBsd)
        );
        assert_eq!(
            named_distro("nginx and php 8.3 both from Homebrew"),
            Some(Distro::Homebrew)
        );
        assert_eq!(named_distro("moved from Ubuntu to Rocky Linux"), None);
        assert_eq!(
            named_distro("django + uwsgi + nginx on ubuntu 22.04"),
            Some(Distro::Debian)
        );
        assert_eq!(
            named_distro("/etc/uwsgi/apps-enabled/mysite.ini:"),
            Some(Distro::Debian)
        );
        assert_eq!(named_distro("fresh centos 7 box"), Some(Distro::Rhel));
        assert_eq!(
            named_distro("Homebrew on my Mac, Debian on the server"),
            None
        );
        assert_eq!(named_distro("site gives 502"), None);
        // The family named in a caption settles the nginx user when
        // nothing pasted shows it.
        let r = crate::analyze_str("Debian 12, nginx -> uwsgi\n2024/01/28 17:45:03 [crit] 5104#5104: *1 connect() to unix:/run/uwsgi/app.sock failed (13: Permission denied) while connecting to upstream, client: 10.1.1.50, server: app.lan, request: \"GET / HTTP/1.1\", upstream: \"uwsgi://unix:/run/uwsgi/app.sock:\", host: \"app.lan\"\n");
        assert!(
            r.causes[0].title.contains("user www-data, assumed"),
            "{}",
            r.causes[0].title
        );
    }

    #[test]
    fn has_client_is_contains() {
        for t in [
            "",
            ",",
            ", client: ",
            "a, client: b",
            "a,, client: b",
            "a, client:",
            "a,client: b",
            "x, server: y, client: z",
            "x, server: y",
            ", clien",
            "a, b, c, client: d",
        ] {
            assert_eq!(has_client(t.as_bytes()), t.contains(", client: "), "{t:?}");
        }
    }

    use super::*;

    fn signals_of(text: &str) -> Vec<String> {
        let mut s = Segmenter::new();
        for (i, l) in text.lines().enumerate() {
            s.line(i as u64 + 1, l);
        }
        s.finish();
        s.facts
            .groups
            .iter()
            .map(|g| format!("{:?}@{}", g.key.signal, g.first_line))
            .collect()
    }

    #[test]
    fn wrapped_error_log_lines_are_joined() {
        let wrapped = "2017/10/05 21:39:23 [error] 10#10: *12 SSL_do_handshake() failed\n\
                       (SSL: error:1408F10B:SSL routines:ssl3_get_record:wrong version number)\n\
                       while SSL handshaking to upstream, client: 204.9.220.42";
        let got = signals_of(wrapped);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(
            got[0].starts_with("SslHandshake") && got[0].ends_with("@1"),
            "{got:?}"
        );
        // Prose after a line that names its problem is not joined to it; a
        // cut line whose continuation names nothing stays nothing.
        let got = signals_of(
            "2024/01/15 10:23:45 [error] 1#1: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4\n\
             and after that the page stays blank\n\
             2024/01/15 10:23:46 [warn] 1#1: *7 an upstream response is buffered\n\
             to a temporary file, which is fine\n\
             and so is this",
        );
        assert_eq!(got.len(), 1, "{got:?}");
    }
    /// Each group as `signal@first line upstream`, the events counted and
    /// each artifact as `kind first-last`.
    fn groups_and_artifacts(text: &str) -> (Vec<String>, u64, Vec<String>) {
        let mut s = Segmenter::new();
        for (i, l) in text.lines().enumerate() {
            s.line(i as u64 + 1, l);
        }
        s.finish();
        let groups = s
            .facts
            .groups
            .iter()
            .map(|g| {
                let up = g.key.upstream.as_ref().map(|u| u.display());
                format!(
                    "{:?}@{} {}",
                    g.key.signal,
                    g.first_line,
                    up.unwrap_or_default()
                )
            })
            .collect();
        let arts = s
            .artifacts
            .iter()
            .map(|a| format!("{:?} {}-{}", a.kind, a.first_line, a.last_line))
            .collect();
        (groups, s.events, arts)
    }

    /// `line` broken at its last space before `width`, the space dropped.
    fn mail_wrap(line: &str, width: usize) -> String {
        let mut out = Vec::new();
        let mut rest = line;
        while rest.len() > width {
            let at = rest[..width].rfind(' ').unwrap_or(width);
            out.push(&rest[..at]);
            rest = rest[at..].trim_start();
        }
        out.push(rest);
        out.join("\n")
    }

    /// `line` cut every `width` bytes.
    fn terminal_wrap(line: &str, width: usize) -> String {
        let b = line.as_bytes();
        let pieces: Vec<&str> = b
            .chunks(width)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        pieces.join("\n")
    }

    #[test]
    fn an_event_line_cut_inside_its_context_is_joined_before_it_is_counted() {
        let whole = "2024/03/02 10:15:01 [error] 812#812: *4431 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.23, server: shop.example.org, request: \"GET /cart HTTP/1.1\", upstream: \"http://127.0.0.1:3000/cart\", host: \"shop.example.org\"";
        let next = "2024/03/02 10:15:02 [error] 812#812: *4432 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.23, server: shop.example.org, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"shop.example.org\"";
        let (a, b) = whole.split_at(whole.find("eam: \"http").unwrap_or(0));
        let (b1, b2) = b.split_at(12);
        let mail = whole.find(" upstream: ").unwrap_or(0);
        for paste in [
            format!("{a}\n{b}\n{next}"),
            format!("{a}\n{b1}\n{b2}\n{next}"),
            format!("{}\n{}\n{next}", &whole[..mail], &whole[mail + 1..]),
            format!("nginx_1  | {a}\n{b}\n{next}"),
            format!("{}\n{next}", mail_wrap(whole, 72)),
            format!("{}\n{next}", mail_wrap(whole, 100)),
            format!("{}\n{next}", terminal_wrap(whole, 80)),
        ] {
            let (groups, events, arts) = groups_and_artifacts(&paste);
            assert_eq!(groups.len(), 1, "{paste}\n{groups:?}");
            assert!(
                groups[0].ends_with("@1 http://127.0.0.1:3000"),
                "{groups:?}"
            );
            assert_eq!(events, 2, "{paste}");
            let last = paste.lines().count();
            assert_eq!(arts, [format!("NginxErrorLog 1-{last}")], "{paste}");
        }
        // Whatever comes next that is no continuation, the cut line is
        // counted as it was, once, and that line is read as usual.
        for after in ["", "\nand the site shows 502 for everyone", "\n$ ss -tlnp"] {
            let paste = format!("{a}{after}");
            let (groups, events, _) = groups_and_artifacts(&paste);
            assert_eq!(groups, ["ConnectFailed { errno: 111 }@1 "], "{paste:?}");
            assert_eq!(events, 1, "{paste:?}");
        }
        let (groups, events, _) = groups_and_artifacts(&format!("{a}\n{next}"));
        assert_eq!(groups.len(), 2, "{groups:?}");
        assert!(
            groups[0].ends_with("@1 ") && groups[1].ends_with("@2 http://127.0.0.1:3000"),
            "{groups:?}"
        );
        assert_eq!(events, 2);
    }

    #[test]
    fn bare_commands_and_prose() {
        for cmd in [
            "sudo systemctl status gunicorn",
            "ls -la /home/sammy/myprojectdir/",
            "ss -tlnp",
            "pm2 list",
            "sudo nginx -T:",
            "tail -n 20 /var/log/nginx/error.log",
        ] {
            assert!(bare_command(cmd).is_some(), "{cmd}");
        }
        for prose in [
            "nginx error log:",
            "nginx version: nginx/1.30.0",
            "ls -la shows nothing there",
            "systemctl status nginx says it is running.",
            "Sudo systemctl status gunicorn",
            "cat is not a command here",
        ] {
            assert!(bare_command(prose).is_none(), "{prose}");
        }
    }

    #[test]
    fn captions_name_the_file_and_are_no_artifact() {
        for (line, want) in [
            (
                "# /etc/nginx/sites-enabled/shop.conf",
                Some("/etc/nginx/sites-enabled/shop.conf"),
            ),
            ("## /etc/nginx/nginx.conf:", Some("/etc/nginx/nginx.conf")),
            (
                "// /etc/nginx/conf.d/app.conf",
                Some("/etc/nginx/conf.d/app.conf"),
            ),
            (
                "==> /var/log/nginx/error.log <==",
                Some("/var/log/nginx/error.log"),
            ),
            (
                "**/etc/nginx/sites-available/default**",
                Some("/etc/nginx/sites-available/default"),
            ),
            (
                "`/etc/php/8.1/fpm/pool.d/www.conf`:",
                Some("/etc/php/8.1/fpm/pool.d/www.conf"),
            ),
            (
                "/etc/nginx/sites-available/default:",
                Some("/etc/nginx/sites-available/default"),
            ),
            (
                "> /etc/nginx/conf.d/app.conf:",
                Some("/etc/nginx/conf.d/app.conf"),
            ),
            (
                "Here is my /etc/nginx/sites-available/default:",
                Some("/etc/nginx/sites-available/default"),
            ),
            (
                "My config (/etc/nginx/conf.d/api.conf):",
                Some("/etc/nginx/conf.d/api.conf"),
            ),
            // `ls -R` directory headers, prompts, comments and prose.
            ("/etc/nginx/conf.d:", None),
            ("/etc/nginx/sites-enabled:", None),
            ("/run/php:", None),
            (
                "/etc/php/8.1/fpm/pool.d/www.conf:",
                Some("/etc/php/8.1/fpm/pool.d/www.conf"),
            ),
            ("/etc/php/8.1/fpm/pool.d:", None),
            ("# sudo ss -tlnp", None),
            ("# /usr/sbin/nginx -T", None),
            ("# proxy settings", None),
            ("Here is my config:", None),
            ("/etc/nginx/sites-available/default", None),
            ("# /", None),
            (
                "  GNU nano 6.2          /etc/nginx/sites-available/default",
                Some("/etc/nginx/sites-available/default"),
            ),
            (
                "  GNU nano 7.2     /etc/nginx/conf.d/app.conf *",
                Some("/etc/nginx/conf.d/app.conf"),
            ),
            ("  GNU nano 6.2          New Buffer", None),
            ("File: /etc/nginx/nginx.conf", Some("/etc/nginx/nginx.conf")),
            (
                "Config file: `/etc/php/8.1/fpm/pool.d/www.conf`",
                Some("/etc/php/8.1/fpm/pool.d/www.conf"),
            ),
            ("File: see below", None),
            ("Host: shop.example.com", None),
            ("  File: /var/run/php/php8.2-fpm.sock", None),
        ] {
            assert_eq!(caption(line), want, "{line}");
        }
        let (_, _, arts) = groups_and_artifacts(
            "# /var/log/nginx/error.log\n\
             2024/01/15 10:23:45 [error] 1#1: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: a, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"a\"\n\
             \n\
             # /etc/nginx/sites-enabled/a.conf\n\
             server {\n\
             \x20   # /etc/nginx/snippets/proxy.conf\n\
             \x20   location / { proxy_pass http://127.0.0.1:3000; }\n\
             }\n",
        );
        assert_eq!(arts, ["NginxErrorLog 2-2", "NginxConfig 5-8"]);
        // In an `nginx -T` dump, a comment that is a path stays config:
        // what follows it is still in the dump's file.
        let mut s = Segmenter::new();
        let dump = "# configuration file /etc/nginx/nginx.conf:\n\
             user www-data;\n\
             # /etc/nginx/conf.d/extra.conf\n\
             events { worker_connections 768; }\n";
        for (i, l) in dump.lines().enumerate() {
            s.line(i as u64 + 1, l);
        }
        s.finish();
        let cfg = s.facts.config.as_ref().expect("a config");
        let events = cfg.find("events");
        assert_eq!(
            events.first().and_then(|d| d.file.as_deref()),
            Some("/etc/nginx/nginx.conf")
        );
    }

    /// The configs whose file the paste named, with the input line that is
    /// the file's first when the paste is the whole file.
    fn shown(text: &str) -> Vec<crate::facts::ShownFile> {
        let mut s = Segmenter::new();
        for (i, l) in text.lines().enumerate() {
            s.line(i as u64 + 1, l);
        }
        s.finish();
        s.facts.shown_configs
    }

    #[test]
    fn a_config_knows_the_file_a_command_or_caption_named() {
        let body =
            "server {\n    listen 80;\n    location / { proxy_pass http://127.0.0.1:3000; }\n}\n";
        let file = "/etc/nginx/sites-enabled/shop.conf";
        let at = |first, last, first_in_file| crate::facts::ShownFile {
            path: file.to_string(),
            first_line: first,
            last_line: last,
            first_in_file,
        };
        // `cat`: the output is the file from its line 1.
        let got = shown(&format!("$ cat {file}\n{body}"));
        assert_eq!(got, [at(2, 5, Some(1))]);
        assert_eq!(got[0].place_of(4), Some((file, Some(3))));
        assert_eq!(got[0].place_of(6), None);
        let got = shown(&format!("root@web:~# sudo cat {file}\n\n{body}"));
        assert_eq!(got, [at(3, 6, Some(2))]);
        // A caption or an editor: maybe a part of it, so no line in it.
        for head in [
            format!("# {file}"),
            format!("{file}:"),
            format!("$ sudo nano {file}"),
        ] {
            let got = shown(&format!("{head}\n{body}"));
            assert_eq!(got, [at(2, 5, None)], "{head}");
            assert_eq!(got[0].place_of(4), Some((file, None)));
        }
        // A caption above a Markdown fence names the fenced config.
        for fence in ["```nginx", "```", "~~~conf"] {
            let got = shown(&format!("### {file}\n{fence}\n{body}```\n"));
            assert_eq!(got, [at(3, 6, None)], "{fence}");
        }
        // `nginx -T` names its files itself; several files, no file.
        assert!(shown(&format!(
            "$ sudo nginx -T\n# configuration file {file}:\n{body}"
        ))
        .is_empty());
        assert!(shown(&format!("$ cat {file} /etc/nginx/nginx.conf\n{body}")).is_empty());
        assert!(shown(&format!("$ cat -A {file}\n{body}"))[0]
            .first_in_file
            .is_none());
        // `grep -rn` output: each line names its file and line.
        let got = shown(&format!(
            "$ sudo grep -rn fastcgi_pass /etc/nginx/\n\
             {file}:23:        fastcgi_pass unix:/run/php/php7.4-fpm.sock;\n\
             /etc/nginx/snippets/fastcgi-php.conf:5:#fastcgi_pass 127.0.0.1:9000;\n"
        ));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].place_of(2), Some((file, Some(23))));
        assert_eq!(
            got[1].place_of(3),
            Some(("/etc/nginx/snippets/fastcgi-php.conf", Some(5)))
        );
        assert_eq!(
            artifacts::grep_line("/etc/nginx/a.conf:proxy_pass x;"),
            Some(("/etc/nginx/a.conf", None, "proxy_pass x;"))
        );
        assert_eq!(artifacts::grep_line("server {"), None);
        assert_eq!(artifacts::grep_line("/ :1:x"), None);
    }
}
