//! Artifact kinds: what a pasted block is, and the parser for each.
//!
//! Two families:
//! - *line kinds* recognise themselves one line at a time (nginx error.log,
//!   access.log, backend logs, kernel and audit lines). They stream: each
//!   line becomes an event at once and nothing is buffered.
//! - *block kinds* need their neighbours (a config, an `ss` table, a
//!   `systemctl status` block, a pool file). The segmenter buffers the lines
//!   of one block (bounded) and hands them to the kind's parser when the block
//!   ends.
//!
//! Parsers never fail: what they cannot read becomes a warning with its line
//! number, and unknown text becomes an `unrecognised` artifact.

pub mod access_log;
pub mod backend_log;
pub mod curl;
pub mod docker;
pub mod error_log;
pub mod fpm_pool;
pub mod kubectl_describe;
pub mod listeners;
pub mod ls;
pub mod misc;
pub mod nginx_config;
pub mod pm2;
pub mod systemd;
pub mod uwsgi_ini;

use crate::facts::Facts;
use serde::{Deserialize, Serialize};

/// The kind of a pasted artifact. The serialised names are part of the
/// JSON report (`artifacts[].kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    NginxErrorLog,
    NginxAccessLog,
    NginxConfig,
    NginxTest,
    FpmPool,
    FpmLog,
    /// A uWSGI ini file's `[uwsgi]` section.
    UwsgiIni,
    Listeners,
    SystemctlStatus,
    Journal,
    Ls,
    Pm2List,
    Pm2Logs,
    GunicornLog,
    UwsgiLog,
    NodeLog,
    PythonTraceback,
    /// Another backend's log line (gRPC/Go, uvicorn) that names a known problem.
    AppLog,
    KernelLog,
    AuditLog,
    Selinux,
    Ps,
    Curl,
    DockerPs,
    /// `kubectl get pods`: read by the `docker ps` parser (pods are containers).
    KubectlPods,
    /// `kubectl get ingress`: which Ingress serves which host.
    KubectlIngress,
    /// `kubectl describe pod`: containers' last termination, limits, events.
    KubectlDescribePod,
    ComposeFile,
    /// `/etc/os-release`, `uname`: which system this is.
    System,
    Unrecognised,
}

impl Kind {
    /// Every kind, in the order a kind picker lists them.
    pub const ALL: &'static [Kind] = &[
        Kind::NginxErrorLog,
        Kind::NginxAccessLog,
        Kind::NginxConfig,
        Kind::NginxTest,
        Kind::FpmPool,
        Kind::FpmLog,
        Kind::UwsgiIni,
        Kind::Listeners,
        Kind::SystemctlStatus,
        Kind::Journal,
        Kind::Ls,
        Kind::Pm2List,
        Kind::Pm2Logs,
        Kind::GunicornLog,
        Kind::UwsgiLog,
        Kind::NodeLog,
        Kind::PythonTraceback,
        Kind::AppLog,
        Kind::KernelLog,
        Kind::AuditLog,
        Kind::Selinux,
        Kind::Ps,
        Kind::Curl,
        Kind::DockerPs,
        Kind::KubectlPods,
        Kind::KubectlIngress,
        Kind::KubectlDescribePod,
        Kind::ComposeFile,
        Kind::System,
        Kind::Unrecognised,
    ];

    /// The snake_case name of the JSON report (`nginx_error_log`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::NginxErrorLog => "nginx_error_log",
            Kind::NginxAccessLog => "nginx_access_log",
            Kind::NginxConfig => "nginx_config",
            Kind::NginxTest => "nginx_test",
            Kind::FpmPool => "fpm_pool",
            Kind::FpmLog => "fpm_log",
            Kind::UwsgiIni => "uwsgi_ini",
            Kind::Listeners => "listeners",
            Kind::SystemctlStatus => "systemctl_status",
            Kind::Journal => "journal",
            Kind::Ls => "ls",
            Kind::Pm2List => "pm2_list",
            Kind::Pm2Logs => "pm2_logs",
            Kind::GunicornLog => "gunicorn_log",
            Kind::UwsgiLog => "uwsgi_log",
            Kind::NodeLog => "node_log",
            Kind::PythonTraceback => "python_traceback",
            Kind::AppLog => "app_log",
            Kind::KernelLog => "kernel_log",
            Kind::AuditLog => "audit_log",
            Kind::Selinux => "selinux",
            Kind::Ps => "ps",
            Kind::Curl => "curl",
            Kind::DockerPs => "docker_ps",
            Kind::KubectlPods => "kubectl_pods",
            Kind::KubectlIngress => "kubectl_ingress",
            Kind::KubectlDescribePod => "kubectl_describe_pod",
            Kind::ComposeFile => "compose_file",
            Kind::System => "system",
            Kind::Unrecognised => "unrecognised",
        }
    }

    /// The kind with this [`Kind::name`].
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// A short human label for chips and tables.
    pub fn label(self) -> &'static str {
        match self {
            Kind::NginxErrorLog => "nginx error.log",
            Kind::NginxAccessLog => "nginx access.log",
            Kind::NginxConfig => "nginx config",
            Kind::NginxTest => "nginx -t",
            Kind::FpmPool => "PHP-FPM pool",
            Kind::FpmLog => "PHP-FPM log",
            Kind::UwsgiIni => "uWSGI ini",
            Kind::Listeners => "ss / netstat",
            Kind::SystemctlStatus => "systemctl status",
            Kind::Journal => "journalctl",
            Kind::Ls => "ls -la",
            Kind::Pm2List => "pm2 list",
            Kind::Pm2Logs => "pm2 logs",
            Kind::GunicornLog => "gunicorn log",
            Kind::UwsgiLog => "uWSGI log",
            Kind::NodeLog => "Node.js log",
            Kind::PythonTraceback => "Python traceback",
            Kind::AppLog => "application log",
            Kind::KernelLog => "kernel log (dmesg)",
            Kind::AuditLog => "SELinux audit log",
            Kind::Selinux => "SELinux status",
            Kind::Ps => "ps",
            Kind::Curl => "curl",
            Kind::DockerPs => "docker ps",
            Kind::KubectlPods => "kubectl get pods",
            Kind::KubectlIngress => "kubectl get ingress",
            Kind::KubectlDescribePod => "kubectl describe pod",
            Kind::ComposeFile => "docker compose file",
            Kind::System => "system info",
            Kind::Unrecognised => "unrecognised",
        }
    }

    /// True for kinds recognised line by line (see module docs).
    pub fn is_line_kind(self) -> bool {
        matches!(
            self,
            Kind::NginxErrorLog
                | Kind::NginxAccessLog
                | Kind::NginxTest
                | Kind::FpmLog
                | Kind::Journal
                | Kind::Pm2Logs
                | Kind::GunicornLog
                | Kind::UwsgiLog
                | Kind::NodeLog
                | Kind::PythonTraceback
                | Kind::AppLog
                | Kind::KernelLog
                | Kind::AuditLog
                | Kind::Selinux
                | Kind::Ps
                | Kind::System
        )
    }
}

/// One line of a buffered block: its 1-based input number and its text
/// after wrappers were removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockLine {
    pub no: u64,
    pub text: String,
}

/// A problem a parser met, with the line it met it on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParseWarning {
    pub line: u64,
    pub message: String,
}

/// The resource of `kubectl [opts] get [opts] <resource>`: the first word
/// after `get` that is neither an option nor an option's value.
fn kubectl_resource<'a>(rest: &[&'a str]) -> &'a str {
    let mut words = rest.iter().skip_while(|w| **w != "get").skip(1);
    while let Some(w) = words.next() {
        if matches!(
            *w,
            "-n" | "--namespace" | "-l" | "--selector" | "-o" | "--output"
        ) {
            words.next();
        } else if !w.starts_with('-') {
            return w;
        }
    }
    ""
}

fn is_ingress_resource(r: &str) -> bool {
    let kind = r.split('/').next().unwrap_or(r);
    kind.split(',')
        .any(|k| matches!(k, "ingress" | "ingresses" | "ing") || k.starts_with("ingress."))
}

/// `pod`, `pods`, `po`, or `pod/NAME`.
fn is_pod_resource(r: &str) -> bool {
    matches!(r.split('/').next(), Some("pod" | "pods" | "po"))
}

/// Does `line` open a block of some kind? In priority order.
pub fn block_start(line: &str) -> Option<Kind> {
    if systemd::starts(line) {
        Some(Kind::SystemctlStatus)
    } else if listeners::starts(line) {
        Some(Kind::Listeners)
    } else if pm2::starts(line) {
        Some(Kind::Pm2List)
    } else if docker::is_kubectl_header(line) {
        Some(Kind::KubectlPods)
    } else if docker::is_ingress_header(line) {
        Some(Kind::KubectlIngress)
    } else if docker::starts(line) {
        Some(Kind::DockerPs)
    } else if kubectl_describe::starts(line) {
        Some(Kind::KubectlDescribePod)
    } else if curl::starts(line) {
        Some(Kind::Curl)
    } else if ls::starts(line) {
        Some(Kind::Ls)
    } else if uwsgi_ini::starts(line) {
        Some(Kind::UwsgiIni)
    } else if fpm_pool::starts(line) {
        Some(Kind::FpmPool)
    } else if docker::compose_starts(line) {
        Some(Kind::ComposeFile)
    } else if nginx_config::starts(line) {
        Some(Kind::NginxConfig)
    } else {
        None
    }
}

/// Block state kept while lines accumulate (brace depth for configs).
#[derive(Clone, Debug, Default)]
pub struct BlockState {
    pub depth: i64,
    pub lines: usize,
    pub blank_run: usize,
}

/// Does `line` continue an open block of `kind`?
pub fn block_continues(kind: Kind, line: &str, st: &mut BlockState) -> bool {
    match kind {
        Kind::NginxConfig => nginx_config::continues(line, st),
        Kind::FpmPool => fpm_pool::continues(line),
        Kind::UwsgiIni => uwsgi_ini::continues(line),
        Kind::Listeners => listeners::continues(line),
        Kind::SystemctlStatus => systemd::continues(line),
        Kind::Ls => ls::continues(line),
        Kind::Pm2List => pm2::continues(line),
        Kind::DockerPs | Kind::KubectlPods => docker::continues(line),
        Kind::KubectlIngress => docker::ingress_continues(line, st),
        Kind::KubectlDescribePod => kubectl_describe::continues(line),
        Kind::ComposeFile => docker::compose_continues(line),
        Kind::Curl => curl::continues(line),
        _ => false,
    }
}

/// Parse a finished block into facts.
pub fn parse_block(
    kind: Kind,
    lines: &[BlockLine],
    facts: &mut Facts,
    warnings: &mut Vec<ParseWarning>,
) {
    match kind {
        Kind::NginxConfig => {
            let cfg = nginx_config::NginxConfig::parse(lines);
            warnings.extend(cfg.warnings.iter().cloned());
            if let Some(u) = cfg.user() {
                facts.nginx_user = Some(u);
            }
            match &mut facts.config {
                Some(c) => c.merge(cfg),
                None => facts.config = Some(cfg),
            }
        }
        Kind::FpmPool => {
            // An `ini` code fence is given to the pool parser: it may be a
            // uWSGI ini instead.
            fpm_pool::parse(lines, facts);
            uwsgi_ini::parse(lines, facts);
        }
        Kind::UwsgiIni => uwsgi_ini::parse(lines, facts),
        Kind::Listeners => listeners::parse(lines, facts),
        Kind::SystemctlStatus => systemd::parse(lines, facts),
        Kind::Ls => ls::parse(lines, facts),
        Kind::Pm2List => pm2::parse(lines, facts),
        Kind::DockerPs | Kind::KubectlPods => docker::parse(lines, facts),
        Kind::KubectlIngress => docker::parse_ingress(lines, facts),
        Kind::KubectlDescribePod => kubectl_describe::parse(lines, facts),
        Kind::ComposeFile => docker::parse_compose(lines, facts),
        Kind::Curl => curl::parse(lines, facts),
        _ => {}
    }
}

/// Tests: run a block parser over `text`, one block line per text line
/// (numbered from 1).
#[cfg(test)]
pub(crate) fn parse_text(text: &str, parse: fn(&[BlockLine], &mut Facts)) -> Facts {
    let lines: Vec<BlockLine> = text
        .lines()
        .enumerate()
        .map(|(i, t)| BlockLine {
            no: i as u64 + 1,
            text: t.to_string(),
        })
        .collect();
    let mut f = Facts::default();
    parse(&lines, &mut f);
    f
}

/// Which artifact a shell command prints (`sudo ss -tlnp` → listeners).
pub fn kind_for_command(cmd: &str) -> Option<Kind> {
    let mut words = cmd
        .split_whitespace()
        .filter(|w| !matches!(*w, "sudo" | "-u" | "env" | "command" | "doas" | "time"));
    let first = words.next()?;
    let first = first.rsplit('/').next().unwrap_or(first);
    let rest: Vec<&str> = words.collect();
    let has = |s: &str| rest.iter().any(|w| w.contains(s));
    let all = cmd;
    Some(match first {
        "ss" | "netstat" | "lsof" => Kind::Listeners,
        "systemctl" if has("status") || has("is-active") || has("is-failed") => {
            Kind::SystemctlStatus
        }
        "service" | "rc-service" if has("status") => Kind::SystemctlStatus,
        "brew" if has("services") => Kind::SystemctlStatus,
        "journalctl" => Kind::Journal,
        "ls" | "stat" | "namei" | "getfacl" => Kind::Ls,
        "nginx" if has("-T") => Kind::NginxConfig,
        "nginx" => Kind::NginxTest,
        "pm2" if has("log") => Kind::Pm2Logs,
        "pm2" => Kind::Pm2List,
        "docker" | "docker-compose" | "podman" if has("ps") => Kind::DockerPs,
        "docker" | "podman" if has("inspect") && all.contains("OOMKilled") => Kind::DockerPs,
        "docker" | "docker-compose" | "kubectl" if has("logs") => return None,
        "kubectl" if has("describe") && rest.iter().any(|w| is_ingress_resource(w)) => {
            Kind::KubectlIngress
        }
        "kubectl" if has("get") && is_ingress_resource(kubectl_resource(&rest)) => {
            Kind::KubectlIngress
        }
        "kubectl" if has("describe") && rest.iter().any(|w| is_pod_resource(w)) => {
            Kind::KubectlDescribePod
        }
        "kubectl" if has("get") && has("pod") => Kind::KubectlPods,
        "curl" | "wget" | "http" => Kind::Curl,
        "dmesg" => Kind::KernelLog,
        "ausearch" => Kind::AuditLog,
        "getenforce" | "sestatus" | "getsebool" => Kind::Selinux,
        "ps" | "pgrep" => Kind::Ps,
        "cat" | "less" | "more" | "tail" | "head" | "grep" | "nano" | "vim" | "vi" | "bat" => {
            if all.contains("pool.d") || all.contains("php-fpm.d") || all.contains("www.conf") {
                Kind::FpmPool
            } else if all.contains(".ini") && all.contains("uwsgi") {
                Kind::UwsgiIni
            } else if all.contains("access") {
                Kind::NginxAccessLog
            } else if all.contains("error") && all.contains(".log") {
                Kind::NginxErrorLog
            } else if all.contains("nginx") || all.contains("sites-") || all.contains("conf.d") {
                Kind::NginxConfig
            } else if all.contains("compose") && (all.contains(".yml") || all.contains(".yaml")) {
                Kind::ComposeFile
            } else {
                return None;
            }
        }
        _ => return None,
    })
}

/// The one file a command shows (`cat /etc/nginx/sites-enabled/shop.conf`,
/// `sudo nano /etc/nginx/conf.d/app.conf`), and whether its output is that
/// file from its first line on (`cat`, `head`), so that a line of the
/// output is that line of the file. `None` for another command, or one
/// that names no file or several.
///
/// Why: a config that names its file lets a fix name it too (`sed -i` on
/// the right line of the right file, not "line 14 of the paste").
pub fn shown_file(cmd: &str) -> Option<(&str, bool)> {
    let mut words = cmd
        .split_whitespace()
        .filter(|w| !matches!(*w, "sudo" | "doas" | "command"));
    let first = words.next()?;
    let first = first.rsplit('/').next().unwrap_or(first);
    let whole = match first {
        "cat" | "head" => true,
        "less" | "more" | "bat" | "tail" | "nano" | "vim" | "vi" | "micro" | "emacs"
        | "sudoedit" | "view" => false,
        _ => return None,
    };
    let mut flags = false;
    let mut files = words.filter(|w| {
        let flag = w.starts_with('-') || w.bytes().all(|c| c.is_ascii_digit());
        flags |= flag;
        !flag
    });
    let file = files.next().filter(|f| is_file_path(f))?;
    if files.next().is_some() {
        return None;
    }
    // `cat -n` numbers the lines and `head -n 5` is still the start, but
    // `cat -A` and friends change them: only a bare `cat` or any `head`.
    Some((file, whole && (first == "head" || !flags)))
}

/// `FILE:N:text` (`grep -n` over files) or `FILE:text` (`grep -r`), for an
/// absolute FILE: (FILE, N, text).
pub fn grep_line(line: &str) -> Option<(&str, Option<u64>, &str)> {
    if !line.starts_with('/') {
        return None;
    }
    let (path, rest) = line.split_once(':')?;
    if !is_file_path(path) || path.contains(char::is_whitespace) {
        return None;
    }
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    match rest[digits..].strip_prefix(':') {
        Some(text) if digits > 0 => Some((path, rest[..digits].parse().ok(), text)),
        _ => Some((path, None, rest)),
    }
}

/// An absolute path to a file: `/etc/nginx/nginx.conf`, not `/` or a
/// directory written with its final slash.
pub fn is_file_path(p: &str) -> bool {
    p.len() > 2
        && p.starts_with('/')
        && !p.ends_with('/')
        && p[1..].contains('/')
        && !p.contains(['*', '?', '$', '`', '"', '\'', '|', '>', '<', ';'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_json_names_and_all_lists_every_kind() {
        for k in Kind::ALL {
            let json = serde_json::to_string(k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
            assert_eq!(Kind::from_name(k.name()), Some(*k));
        }
        // A new variant must be added to ALL: `name` is exhaustive, and
        // every name is listed once.
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        assert_eq!(Kind::from_name("nope"), None);
    }
}
