//! Advice for messages that explain a failing request but are not a cause
//! of a 502/504, so no rule reports them: when nothing else is found, the
//! report's "paste this next" list starts with what they call for, with the
//! paste's own paths, locations and pools filled in.
//!
//! `Primary script unknown`: PHP-FPM got a `SCRIPT_FILENAME` that names no
//! file it can open, and answers `File not found.` (a 404). The usual
//! reasons: the PHP location sets no `SCRIPT_FILENAME` (it includes
//! `fastcgi_params`, not `fastcgi.conf`); no `root` is in force there (set
//! only in `location /`), so `$document_root` is nginx's compiled-in
//! default; PHP-FPM runs in another container or a `chroot` where the path
//! does not exist; `open_basedir`, or modes that keep the pool's user out.

use super::common::{first_path, upstream_of};
use super::fixes::next;
use super::Ctx;
use crate::facts::{Address, Signal};
use crate::report::NextStep;

/// A sentence for the headline of a report without causes, when the paste
/// holds one of these messages.
pub fn headline(facts: &crate::facts::Facts) -> Option<String> {
    if facts
        .groups
        .iter()
        .any(|g| matches!(g.key.signal, Signal::ScriptUnknown))
    {
        return Some("PHP-FPM answers `Primary script unknown`: it finds no file at the SCRIPT_FILENAME nginx sends (its answer is a 404 `File not found.`), see the checks below.".to_string());
    }
    let (zones, connections, lines) = rate_limits(facts);
    if zones.is_empty() {
        return backend_answered(facts).or_else(|| answered_by(facts));
    }
    let which = if connections {
        "limit_conn"
    } else {
        "limit_req"
    };
    let zones: Vec<String> = zones.iter().map(|z| format!("`{z}`")).collect();
    Some(format!(
        "nginx itself turned requests away ({lines}): `{which}` zone {} refused them, which answers 503 (or its `{which}_status`), not a backend failure; see the checks below.",
        zones.join(", "),
    ))
}

/// The access log says the backend itself answered the 5xx (nginx only
/// passed it on: `$upstream_status` 5xx with a `$upstream_header_time`):
/// then nginx's error.log has nothing to say, and the backend's own log
/// (or the proxy behind it) has.
fn backend_answered(facts: &crate::facts::Facts) -> Option<String> {
    let a = &facts.access;
    let gateway = a.count_5xx(502) + a.count_5xx(504);
    if gateway == 0 {
        return None;
    }
    // `$upstream_status` alone cannot tell: nginx logs 502/504 there for
    // its own failures too. A response header timed for it can.
    if a.backend_5xx * 2 < gateway {
        return None;
    }
    let (code, _) = a
        .upstream_status
        .iter()
        .filter(|(k, _)| matches!(k.as_str(), "500" | "502" | "503" | "504"))
        .max_by_key(|(_, n)| **n)?;
    let from = match a.upstream_addr_5xx.iter().max_by_key(|(_, n)| **n) {
        Some((addr, _)) => format!(" from {addr}"),
        None => String::new(),
    };
    Some(format!(
        "The backend answered {code} itself (`$upstream_status` {code}{from}): nginx passed its answer on, so nginx's error.log has no line for it; the backend's own log (or the proxy behind it) says why."
    ))
}

/// Who answered the 502/504 a pasted `curl` run or a copied error page
/// shows, and what that says: nginx's own page means nginx runs and the
/// app behind it failed; a CDN's means the error may be the CDN's.
fn answered_by(facts: &crate::facts::Facts) -> Option<String> {
    let r = facts
        .curl
        .iter()
        .rfind(|c| matches!(c.status, Some(502 | 504)))?;
    let status = r.status?;
    let server = r.server.as_deref().unwrap_or("");
    let lower = server.to_ascii_lowercase();
    if lower.starts_with("cloudflare") {
        return Some(format!(
            "Cloudflare answered {status}: either your origin answered it (then its nginx error.log says why) or Cloudflare could not get an answer from the origin at all; see the checks below."
        ));
    }
    let who = match server.split_whitespace().next() {
        Some(s) if lower.starts_with("nginx") || lower.starts_with("openresty") => s,
        _ => return None,
    };
    Some(if status == 504 {
        format!("{who} answered 504 itself: it runs, and it waited for the app behind it until its timeout (`proxy_read_timeout`, 60 s by default); its error.log names the upstream, see the checks below.")
    } else {
        format!("{who} answered 502 itself: it runs, and the app behind it gave no usable answer; nginx writes why in its error.log, see the checks below.")
    })
}

/// The zones of `limit_req`/`limit_conn` refusals, whether any was a
/// `limit_conn` one, and how many lines there were ("3 lines").
fn rate_limits(facts: &crate::facts::Facts) -> (Vec<&str>, bool, String) {
    let mut zones: Vec<&str> = Vec::new();
    let (mut connections, mut n) = (false, 0);
    for g in &facts.groups {
        if let Signal::RateLimited {
            zone,
            connections: c,
        } = &g.key.signal
        {
            if !zones.contains(&zone.as_str()) {
                zones.push(zone);
            }
            connections |= *c;
            n += g.count;
        }
    }
    (zones, connections, super::plural(n, "line", "lines"))
}

/// What to check for `limit_req`/`limit_conn` refusals (empty when the
/// paste has none): the zones' rates and each location's burst.
pub fn rate_limited(ctx: &Ctx) -> Vec<NextStep> {
    let (zones, _, _) = rate_limits(ctx.facts);
    if zones.is_empty() {
        return Vec::new();
    }
    vec![
        next(
            "sudo nginx -T | grep -nE 'limit_(req|conn)(_zone|_status)?\\b'",
            format!(
                "shows the rate of zone {} and the burst of each location that uses it: raise the rate or the burst (with nodelay), or exempt trusted clients with a geo/map key",
                zones.join(", ")
            ),
        ),
        next(
            "sudo awk '$9 == 503' /var/log/nginx/access.log | awk '{print $1}' | sort | uniq -c | sort -rn | head",
            "which clients were refused: one address sending a flood, or every user at a peak",
        ),
    ]
}

/// What to check when the backend answered the 5xx itself (see
/// [`backend_answered`]; empty otherwise): its answer without nginx.
pub fn backend_answered_next(ctx: &Ctx) -> Vec<NextStep> {
    let a = &ctx.facts.access;
    if backend_answered(ctx.facts).is_none() {
        return Vec::new();
    }
    let addr = a
        .upstream_addr_5xx
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(addr, _)| addr.as_str())
        .filter(|addr| !addr.starts_with("unix:"));
    let Some(addr) = addr else {
        return Vec::new();
    };
    vec![next(
        format!("curl -sS -D - -o /dev/null http://{addr}/"),
        "the backend's own answer, without nginx: a 502 here is its own (or comes from a proxy behind it), and its log says why",
    )]
}

/// What to check for `Primary script unknown` (empty when the paste has none).
pub fn script_unknown(ctx: &Ctx) -> Vec<NextStep> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::ScriptUnknown));
    if groups.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let uri = first_path(&groups).unwrap_or_else(|| "/index.php".into());
    let up = upstream_of(&groups);
    let cfg = ctx.facts.config.as_ref();
    // The fastcgi_pass to that address, else the only one (nginx logs the
    // resolved address of `fastcgi_pass php:9000`).
    let fcgi: Vec<_> = ctx
        .passes()
        .into_iter()
        .filter(|p| p.directive == "fastcgi_pass")
        .collect();
    let pass = fcgi
        .iter()
        .find(|p| {
            up.as_ref().is_none_or(|u| {
                p.upstream
                    .as_ref()
                    .is_none_or(|pu| super::ctx::same_target(&pu.addr, &u.addr))
            })
        })
        .or(match fcgi.as_slice() {
            [only] => Some(only),
            _ => None,
        })
        .cloned();
    let mut root: Option<String> = None;
    match (cfg, &pass) {
        (Some(cfg), Some(pass)) => {
            let place = pass
                .file
                .as_ref()
                .zip(pass.file_line)
                .map(|(f, l)| format!("{f}:{l}"))
                .unwrap_or_else(|| format!("line {}", pass.line));
            let location = pass.location.as_deref().unwrap_or("the PHP location");
            let script = cfg
                .effective_all(pass, "fastcgi_param")
                .into_iter()
                .find(|d| d.arg(0) == Some("SCRIPT_FILENAME"))
                .and_then(|d| d.arg(1).map(str::to_string));
            let includes: Vec<String> = cfg
                .effective_all(pass, "include")
                .into_iter()
                .filter_map(|d| d.arg(0).map(str::to_string))
                .collect();
            let sets_it = |i: &String| i.ends_with("fastcgi.conf") || i.contains("fastcgi-php");
            root = cfg
                .effective(pass, "root")
                .and_then(|d| d.arg(0).map(|r| r.trim_end_matches('/').to_string()));
            match &script {
                Some(s) if !s.contains("$fastcgi_script_name") && !s.contains("$request_filename") => {
                    out.push(next(
                        "sudo nginx -T | grep -n SCRIPT_FILENAME",
                        format!(
                            "`location {location}` ({place}) sets SCRIPT_FILENAME to `{s}`, a fixed path: PHP-FPM runs that file for every request, and it does not exist. The usual value is `$document_root$fastcgi_script_name`"
                        ),
                    ));
                }
                None if !includes.iter().any(sets_it) => {
                    out.push(next(
                        "sudo nginx -T | grep -nE 'SCRIPT_FILENAME|include .*fastcgi'",
                        format!(
                            "no SCRIPT_FILENAME is set for `location {location}` ({place}){}: add `fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;` after the include (or `include fastcgi.conf;`, which sets it), then `sudo nginx -t` and reload",
                            if includes.iter().any(|i| i.ends_with("fastcgi_params")) {
                                ": it includes fastcgi_params, which (unlike fastcgi.conf) does not set it"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
                _ => {}
            }
            if root.is_none() {
                let elsewhere = cfg.find("root").into_iter().next().map(|d| {
                    format!(
                        " (the pasted `root {}` at {} is not in force there: move it up to the `server` block)",
                        d.arg(0).unwrap_or_default(),
                        d.location_label()
                    )
                });
                out.push(next(
                    "sudo nginx -T | grep -nE '^\\s*(root|server_name|location)'",
                    format!(
                        "no `root` is in force for `location {location}` ({place}){}: `$document_root` is then nginx's compiled-in default (html under its prefix), where the script is not",
                        elsewhere.unwrap_or_default()
                    ),
                ));
            }
        }
        _ => out.push(next(
            "sudo nginx -T | grep -nE '^\\s*(root|location|fastcgi_pass|include)|SCRIPT_FILENAME'",
            "shows the `root` and SCRIPT_FILENAME the PHP location passes to PHP-FPM: the file they name must exist for PHP-FPM",
        )),
    }
    let file = match &root {
        Some(r) if !r.contains('$') => format!("{r}{uri}"),
        _ => format!("{{document_root}}{uri}"),
    };
    // PHP-FPM in another container looks the path up in its own filesystem.
    let remote = pass
        .as_ref()
        .and_then(|p| p.upstream.as_ref())
        .or(up.as_ref())
        .and_then(|u| match &u.addr {
            Address::Tcp { host, .. }
                if !u.addr.is_loopback()
                    && !host.bytes().all(|b| b.is_ascii_digit() || b == b'.') =>
            {
                Some(host.clone())
            }
            _ => None,
        });
    if let Some(host) = &remote {
        out.push(next(
            format!("docker compose exec {host} ls -la {file}"),
            format!(
                "PHP-FPM runs in `{host}`, another container: it looks SCRIPT_FILENAME up in its own filesystem, so the code must be mounted at the same path in both containers (the same volume at {})",
                root.as_deref().filter(|r| !r.contains('$')).unwrap_or("the nginx root")
            ),
        ));
    } else {
        let user = ctx
            .facts
            .pools
            .iter()
            .find_map(|p| p.get("user"))
            .map(str::to_string)
            .unwrap_or_else(|| ctx.nginx_user().0);
        out.push(next(
            format!("sudo -u {user} namei -l {file}"),
            "PHP-FPM opens SCRIPT_FILENAME as the pool's user: the file must exist there, and every directory above it must let that user through (x)",
        ));
    }
    // A pool chroot or open_basedir changes where, or whether, PHP may look.
    let pool_limits: Vec<String> = ctx
        .facts
        .pools
        .iter()
        .flat_map(|p| {
            ["chroot", "php_admin_value[open_basedir]"]
                .into_iter()
                .filter_map(move |k| p.get(k).map(|v| format!("`{k} = {v}` (pool {})", p.name)))
        })
        .collect();
    if pool_limits.is_empty() {
        out.push(next(
            match &remote {
                // The official php images keep their pools under /usr/local/etc.
                Some(host) => format!("docker compose exec {host} grep -rnE '^\\s*(chroot|chdir|php_admin_value\\[open_basedir\\])' /usr/local/etc/"),
                None => "sudo grep -rnE '^\\s*(chroot|chdir|php_admin_value\\[open_basedir\\])' /etc/php*/ /etc/php-fpm.d/ 2>/dev/null".into(),
            },
            "a pool `chroot` makes PHP-FPM look for SCRIPT_FILENAME inside the chroot, and an `open_basedir` that leaves out the document root keeps the script out",
        ));
    } else {
        out.push(next(
            "sudo grep -rnE '^\\s*(chroot|php_admin_value\\[open_basedir\\])' /etc/php*/ /etc/php-fpm.d/ 2>/dev/null",
            format!(
                "the pasted pool sets {}: SCRIPT_FILENAME must be a path inside it, as PHP-FPM sees it",
                pool_limits.join(", ")
            ),
        ));
    }
    out
}
