//! PHP-FPM pool files (`[www]` + `key = value`, `;` comments) and
//! `grep`-style lines (`/etc/php/8.1/fpm/pool.d/www.conf:listen = …`).
//!
//! Why: the pool's `listen` must equal nginx's `fastcgi_pass`; its
//! `listen.owner/group/mode/acl_users` decide who may open the socket;
//! `pm.max_children` and `request_terminate_timeout` explain exhausted
//! pools and killed requests.
//!
//! A block yields pools only when it holds at least one FPM-only key
//! (`listen`, `pm*`, `request_*_timeout`, `php_admin_value[…]`, …), so
//! other INI files (php.ini, supervisord, uWSGI) give nothing. The global
//! `php-fpm.conf` section is kept as a pool named `global` (its
//! `error_log`, `include` and restart settings are useful evidence; it has
//! no `listen`). Keys before any `[section]` belong to a pool named after
//! the file (`www.conf` → `www`), or `unnamed` when no file is known.
//! Last value wins, as in FPM.

use super::BlockLine;
use crate::facts::{Distro, Facts, FpmPool};

/// Keys only PHP-FPM uses (a block without one is not a pool file).
fn is_fpm_key(k: &str) -> bool {
    k == "listen"
        || k.starts_with("listen.")
        || k == "pm"
        || k.starts_with("pm.")
        || matches!(
            k,
            "request_terminate_timeout"
                | "request_slowlog_timeout"
                | "slowlog"
                | "catch_workers_output"
                | "decorate_workers_output"
                | "security.limit_extensions"
                | "ping.path"
                | "ping.response"
                | "process_control_timeout"
                | "emergency_restart_threshold"
                | "emergency_restart_interval"
                | "rlimit_files"
                | "clear_env"
                | "access.log"
                | "access.format"
                | "process.max"
        )
        || k.starts_with("php_admin_value[")
        || k.starts_with("php_admin_flag[")
        || k.starts_with("php_value[")
        || k.starts_with("php_flag[")
}

fn is_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 80
        && k.as_bytes()[0].is_ascii_alphabetic()
        && k.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'[' | b']' | b'/')
        })
}

/// `key = value` (value may be empty) → (key, raw value).
pub(crate) fn key_value(t: &str) -> Option<(&str, &str)> {
    let (k, v) = t.split_once('=')?;
    let k = k.trim();
    if !is_key(k) {
        return None;
    }
    let v = v.trim();
    // nginx config lines end in `;` or braces (`location = /x {`).
    if v.ends_with(';') || v.ends_with('{') || v.ends_with('}') {
        return None;
    }
    Some((k, v))
}

/// `[www]` → `www`.
pub(crate) fn section(t: &str) -> Option<&str> {
    let inner = t.strip_prefix('[')?.strip_suffix(']')?.trim();
    (!inner.is_empty()
        && inner.len() <= 64
        && inner.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'$' | b'{' | b'}' | b':')
        }))
    .then_some(inner)
}

/// `/etc/php/8.1/fpm/pool.d/www.conf:36:listen = x` → (file, rest).
fn grep_prefix(t: &str) -> Option<(&str, &str)> {
    if !t.starts_with('/') {
        return None;
    }
    let i = t.find(".conf:")? + 5;
    let (file, rest) = (t.get(..i)?, t.get(i + 1..)?);
    if file.contains(char::is_whitespace) {
        return None;
    }
    // `grep -n` adds the line number.
    let rest = match rest.split_once(':') {
        Some((n, r)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => r,
        _ => rest,
    };
    Some((file, rest))
}

/// `41:listen = …` (`grep -n` on one file) → `listen = …`.
fn without_line_number(t: &str) -> &str {
    match t.split_once(':') {
        Some((n, rest))
            if !n.is_empty() && n.len() <= 6 && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            rest.trim()
        }
        _ => t,
    }
}

/// A first-line path comment: `; /etc/php-fpm.d/www.conf`, `# www.conf`,
/// `==> /etc/php/8.1/fpm/pool.d/www.conf <==` (tail/head of several files).
fn path_hint(t: &str) -> Option<&str> {
    let inner = if let Some(r) = t.strip_prefix("==>") {
        r.strip_suffix("<==")?.trim()
    } else {
        t.strip_prefix(';').or_else(|| t.strip_prefix('#'))?.trim()
    };
    let inner = inner.strip_prefix("File:").map(str::trim).unwrap_or(inner);
    (inner.ends_with(".conf") && !inner.contains(char::is_whitespace) && inner.contains('/'))
        .then_some(inner)
}

pub fn starts(line: &str) -> bool {
    let t = line.trim();
    if let Some(s) = section(t) {
        // `[Unit]`-style sections are systemd units and `[uwsgi]` is not FPM;
        // the pool name must look like a name, not a log tag (`[PM2]`).
        return s != "uwsgi" && !s.chars().next().is_some_and(|c| c.is_ascii_uppercase());
    }
    if let Some((_, rest)) = grep_prefix(t) {
        return key_value(rest).is_some_and(|(k, _)| is_fpm_key(k) || k == "user" || k == "group")
            || rest.trim_start().starts_with(';')
            || section(rest.trim()).is_some();
    }
    if path_hint(t).is_some_and(|p| p.contains("php")) {
        return true;
    }
    key_value(t).is_some_and(|(k, _)| is_fpm_key(k))
}

pub fn continues(line: &str) -> bool {
    let t = line.trim();
    if t.is_empty() || t.starts_with(';') || section(t).is_some() || path_hint(t).is_some() {
        return true;
    }
    if let Some((_, rest)) = grep_prefix(t) {
        return key_value(rest).is_some()
            || rest.trim_start().starts_with(';')
            || section(rest.trim()).is_some();
    }
    key_value(t).is_some()
}

/// Value without surrounding quotes or a trailing `; comment`.
pub(crate) fn clean_value(v: &str) -> &str {
    let v = v.trim();
    if let Some(inner) = v.strip_prefix('"') {
        return inner.split('"').next().unwrap_or(inner);
    }
    if let Some(inner) = v.strip_prefix('\'') {
        return inner.split('\'').next().unwrap_or(inner);
    }
    match v.find(" ;").or_else(|| v.find("\t;")) {
        Some(i) => v[..i].trim_end(),
        None => v,
    }
}

fn file_stem(file: &str) -> String {
    let base = file.rsplit('/').next().unwrap_or(file);
    base.strip_suffix(".conf").unwrap_or(base).to_string()
}

fn distro_from(s: &str, facts: &mut Facts) {
    if facts.distro != Distro::Unknown {
        return;
    }
    facts.distro = if s.starts_with("/etc/php/") || s.starts_with("/run/php/") {
        Distro::Debian
    } else if s.starts_with("/etc/php-fpm")
        || s.starts_with("/run/php-fpm/")
        || s.starts_with("/etc/opt/remi/")
    {
        Distro::Rhel
    } else if s.starts_with("/opt/homebrew/etc/php/")
        || s.strip_prefix("/usr/local/etc/php/")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    {
        // Homebrew keeps one tree per version: /opt/homebrew/etc/php/8.3/
        // (Apple silicon), /usr/local/etc/php/8.3/ (Intel).
        Distro::Homebrew
    } else if s.starts_with("/usr/local/etc/php") {
        Distro::Docker
    } else if s.starts_with("/etc/php") && s.contains("/php-fpm.d/") {
        // Alpine: /etc/php81/php-fpm.d/www.conf
        Distro::Alpine
    } else {
        return;
    };
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut pools: Vec<FpmPool> = Vec::new();
    let mut cur: Option<usize> = None;
    let mut file: Option<String> = None;
    let mut fpm_evidence = false;
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(p) = path_hint(t) {
            file = Some(p.to_string());
            cur = None;
            continue;
        }
        let (line_file, body) = match grep_prefix(t) {
            Some((f, rest)) => (Some(f), rest.trim()),
            // `grep -n` on one file: `41:listen = 127.0.0.1:9000`.
            None => (None, without_line_number(t)),
        };
        if let Some(f) = line_file {
            if file.as_deref() != Some(f) {
                file = Some(f.to_string());
                cur = None;
            }
        }
        if body.starts_with(';') || body.starts_with('#') {
            continue;
        }
        if let Some(name) = section(body) {
            pools.push(FpmPool {
                name: name.to_string(),
                file: file.clone(),
                line: l.no,
                ..FpmPool::default()
            });
            cur = Some(pools.len() - 1);
            continue;
        }
        let Some((k, v)) = key_value(body) else {
            continue;
        };
        if is_fpm_key(k) {
            fpm_evidence = true;
        }
        let idx = match cur {
            Some(i) => i,
            None => {
                let name = file
                    .as_deref()
                    .map(file_stem)
                    .unwrap_or_else(|| "unnamed".to_string());
                pools.push(FpmPool {
                    name,
                    file: file.clone(),
                    line: l.no,
                    ..FpmPool::default()
                });
                pools.len() - 1
            }
        };
        cur = Some(idx);
        if let Some(p) = pools.get_mut(idx) {
            p.keys
                .insert(k.to_string(), (clean_value(v).to_string(), l.no));
        }
    }
    if !fpm_evidence {
        return;
    }
    for p in pools {
        if p.keys.is_empty() || p.name == "uwsgi" {
            continue;
        }
        if let Some(f) = &p.file {
            distro_from(f, facts);
        }
        if let Some(v) = p.get("listen") {
            distro_from(v, facts);
        }
        facts.pools.push(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn pool_file() {
        let f = run("; /etc/php-fpm.d/www.conf\n[www]\nuser = apache\nlisten = /run/php-fpm/www.sock\n;listen.owner = nobody\nlisten.acl_users = apache,nginx\npm.max_children = 50 ; raised\nphp_admin_value[error_log] = /var/log/php-fpm/www-error.log\nlisten = \"/run/php-fpm/other.sock\"");
        let p = &f.pools[0];
        assert_eq!(p.name, "www");
        assert_eq!(p.file.as_deref(), Some("/etc/php-fpm.d/www.conf"));
        assert_eq!(p.get("listen"), Some("/run/php-fpm/other.sock"));
        assert_eq!(p.line_of("listen"), Some(9));
        assert_eq!(p.get("pm.max_children"), Some("50"));
        assert_eq!(p.get("listen.owner"), None);
        assert_eq!(
            p.get("php_admin_value[error_log]"),
            Some("/var/log/php-fpm/www-error.log")
        );
        assert_eq!(f.distro, Distro::Rhel);
    }

    #[test]
    fn grep_lines_and_sections() {
        let f = run("/etc/php/8.1/fpm/pool.d/www.conf:listen = /run/php/php8.1-fpm.sock\n/etc/php/8.1/fpm/pool.d/www.conf:36:listen.owner = www-data\n/etc/php/8.1/fpm/pool.d/api.conf:[api]\n/etc/php/8.1/fpm/pool.d/api.conf:listen = 127.0.0.1:9001");
        assert_eq!(f.pools.len(), 2);
        assert_eq!(f.pools[0].name, "www");
        assert_eq!(f.pools[0].get("listen.owner"), Some("www-data"));
        assert_eq!(f.pools[1].name, "api");
        assert_eq!(
            f.pools[1].file.as_deref(),
            Some("/etc/php/8.1/fpm/pool.d/api.conf")
        );
        assert_eq!(f.distro, Distro::Debian);
    }

    #[test]
    fn not_fpm() {
        assert!(
            run("[PHP]\nmemory_limit = 128M\nerror_log = /var/log/php.log")
                .pools
                .is_empty()
        );
        assert!(run("[program:app]\ncommand=/srv/app/run\nuser=deploy")
            .pools
            .is_empty());
        assert!(run("[uwsgi]\nsocket = /run/uwsgi/app.sock\nlisten = 1024")
            .pools
            .is_empty());
        let g = run("[global]\npid = /run/php/php8.1-fpm.pid\nerror_log = /var/log/php8.1-fpm.log\nemergency_restart_threshold = 10");
        assert_eq!(g.pools[0].name, "global");
    }

    #[test]
    fn detection() {
        assert!(starts("[www]"));
        assert!(starts("listen = /run/php/php8.1-fpm.sock"));
        assert!(!starts("[PM2] Spawning PM2 daemon"));
        assert!(!starts("[Unit]"));
        assert!(!starts("location = /x {"));
        assert!(!continues("    proxy_pass http://x;"));
        assert!(continues("pm.max_children = 5"));
        assert!(continues("; comment"));
    }
}
