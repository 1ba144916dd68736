//! `config_error`: nginx cannot load its configuration (`[emerg]`).

use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::Signal;

pub static RULE: Rule = Rule {
    id: "config_error",
    family: "other",
    title: "nginx cannot load its configuration",
    docs: DOCS,
    signatures: &[
        "nginx: [emerg]",
        "configuration file /etc/nginx/nginx.conf test failed",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
nginx refused its configuration: `nginx -t` (or the start/reload) printed an
`[emerg]` line naming the problem and the file and line it is in. A rejected
**reload** keeps the old configuration running; a rejected **start** (boot,
`systemctl restart`, a container start) leaves no nginx at all.

## Why nginx answers 502 or 504
It does not answer at all when it could not start. When a reload was
rejected, the old configuration keeps serving, so a fix you just made is
simply not live yet: the 502s continue and the change looks useless. Every
other diagnosis waits for this one (reference §5.2 rule 1).

## Evidence
- `nginx: [emerg] unknown directive "proxy_pas" in /etc/nginx/sites-enabled/example.com:12`
  then `nginx: configuration file /etc/nginx/nginx.conf test failed`.
- error.log at level `[emerg]` with the same text, written at start/reload.
- `systemctl status nginx`: `failed (Result: exit-code)`.

## Fix
Correct the named file at the named line, then
`sudo nginx -t && sudo systemctl reload nginx` (or `restart` if nginx is
down). Edit the file `nginx -T` shows (the `sites-available/` target of a
`sites-enabled/` link). Common messages: `unknown directive` (typo, or a
module not loaded), `"proxy_busy_buffers_size" must be less than …` (raise
`*_buffers` together with `*_buffer_size`), `bind() … (98: Address already in use)`
(another program holds the port), `cannot load certificate` (path or
permissions of the certificate).

## Verify
`sudo nginx -t` prints `syntax is ok` and `test is successful`;
`systemctl is-active nginx` prints `active`.

## Known problems
An `[emerg]` line in an old error.log may be history: a later successful
reload leaves it behind. When upstream errors are logged after it, nginx was
evidently running again and this cause is ranked lower. `host not found in
upstream` is reported as `dns_resolution`.
"#;

/// A hint for well-known messages: (fragment, advice, command).
const HINTS: &[(&str, &str, &str)] = &[
    ("unknown directive", "a typo, or a directive from a module this nginx does not load (check `nginx -V` for the module)", "nginx -V 2>&1 | tr ' ' '\\n' | grep -i module"),
    ("must be less than the size of all", "raising `*_buffer_size` needs `*_buffers` raised too: e.g. `proxy_buffer_size 16k; proxy_buffers 8 16k; proxy_busy_buffers_size 32k;`", ""),
    ("must be equal to or greater than the maximum", "`*_busy_buffers_size` must be at least the larger of `*_buffer_size` and one `*_buffers` buffer: e.g. `proxy_buffer_size 16k; proxy_buffers 8 16k; proxy_busy_buffers_size 32k;`", ""),
    ("Address already in use", "another program (often apache2/httpd or a second nginx) holds the port nginx wants", "sudo ss -tlnp 'sport = :80 or sport = :443'"),
    ("cannot load certificate", "the certificate path is wrong or unreadable (a renewed Let's Encrypt path, a typo)", "sudo ls -la /etc/letsencrypt/live/"),
    ("no \"ssl_certificate\" is defined", "a `listen … ssl` server has no `ssl_certificate`/`ssl_certificate_key`", ""),
    ("no proxy_ssl_trusted_certificate for proxy_ssl_verify", "`proxy_ssl_verify on;` needs `proxy_ssl_trusted_certificate` (the distro CA bundle or your private CA)", ""),
    ("duplicate upstream", "the same `upstream` name is defined twice (a file included twice, a leftover copy in conf.d/)", "sudo nginx -T 2>/dev/null | grep -n '^\\s*upstream '"),
    ("cannot have URI part", "`proxy_pass` in a regex location or `if` block cannot carry a URI: drop the path after host:port", ""),
    ("unexpected \"}\"", "a brace or semicolon is missing just before the named line", ""),
    ("unexpected end of file", "a `{` is never closed in the named file", ""),
    ("\"server\" directive is not allowed here", "a `server` block is nested, or a file with `server {}` is included outside `http {}`", ""),
    ("invalid number of arguments", "the directive has too many or too few values (often a missing `;` on the line before)", ""),
    ("open() ", "a file named in the config (an include, a certificate, a log path) is missing or unreadable", ""),
];

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::ConfigEmerg { .. }));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.upstreams.clear();
    f.status = Some(502);
    let message = groups
        .iter()
        .find_map(|g| match &g.key.signal {
            Signal::ConfigEmerg { message } => Some(message.clone()),
            _ => None,
        })
        .unwrap_or_default();
    // `in /etc/nginx/sites-enabled/example.com:12`
    let location = groups
        .iter()
        .flat_map(|g| g.evidence())
        .find_map(|e| file_and_line(&e.text));
    f.confidence = 0.95;
    f.reasoning.push(format!(
        "{} of `[emerg]`: nginx rejects its configuration, which comes before any upstream diagnosis",
        plural(f.events, "line", "lines")
    ));
    // Upstream errors logged after the last [emerg]: nginx ran again since.
    let last_emerg = groups.iter().filter_map(|g| g.last_time).max();
    let later = ctx
        .nginx_groups(|s| !matches!(s, Signal::ConfigEmerg { .. } | Signal::HostNotFound { .. }))
        .iter()
        .filter_map(|g| g.last_time)
        .max();
    if let (Some(e), Some(l)) = (last_emerg, later) {
        if l > e {
            f.confidence = 0.5;
            f.reasoning.push("upstream errors were logged after it, so nginx ran again with some configuration since".into());
        }
    }
    let (file, line) = match &location {
        Some((file, line)) => (file.clone(), line.clone()),
        None => ("{conf_file}".to_string(), "{line}".to_string()),
    };
    let container = ctx.facts.nginx_in_container;
    let test = if container {
        ctx.in_nginx_container("nginx -t")
    } else {
        "sudo nginx -t".to_string()
    };
    // `bind() to 0.0.0.0:80 failed (98: Address already in use)`: the config
    // is fine, another program holds nginx's port.
    let bind_port = (message.starts_with("bind() to ") && message.contains("(98:"))
        .then(|| {
            message
                .trim_start_matches("bind() to ")
                .split(' ')
                .next()
                .and_then(crate::facts::Address::parse)
        })
        .flatten()
        .and_then(|a| a.port());
    if let Some(port) = bind_port {
        f.title = format!("nginx cannot start: port {port} is already in use");
        f.summary = format!(
            "nginx could not listen on port {port} because another program holds it (often apache2/httpd, a second nginx started \
             by hand, or a container publishing the port). nginx is not running, or still running as that stray copy."
        );
        f.fixes.push(safe(
            format!("sudo ss -tlnp 'sport = :{port}'"),
            "the program holding the port, with its pid",
        ));
        f.fixes.push(safe(
            "systemctl status {pid}   # the pid ss shows",
            "the unit it belongs to (apache2, httpd, another nginx)",
        ));
        f.fixes.push(disruptive(
            "sudo systemctl disable --now apache2   # or httpd / the unit named above",
            "free the port for good once you know which program holds it",
        ));
        f.fixes.push(disruptive(
            "sudo systemctl restart nginx",
            "start nginx on the freed port",
        ));
        f.verify.push(format!(
            "sudo ss -tlnp 'sport = :{port}'   # expect only nginx"
        ));
        f.verify
            .push("systemctl is-active nginx   # expect: active".into());
        return vec![f];
    }
    f.title = if message.is_empty() {
        "nginx cannot load its configuration".into()
    } else {
        format!(
            "nginx rejects its configuration: {}",
            crate::facts::clip(&message, 120)
        )
    };
    f.summary = format!(
        "`nginx -t` fails{}: a start fails and a reload is refused, so nginx is either down or still running an older \
         configuration. Fix this first; other findings may be stale until it loads.",
        if location.is_some() { format!(" at {file}:{line}") } else { String::new() }
    );
    f.fixes.push(safe(
        if location.is_some() {
            format!("sudo sed -n '{}p' {file}", window(&line))
        } else {
            test.to_string()
        },
        if location.is_some() {
            "show the lines around the one nginx names".to_string()
        } else {
            "print the failing file and line".to_string()
        },
    ));
    let mut edited = false;
    for (frag, advice, cmd) in HINTS {
        if message.contains(frag) {
            if !cmd.is_empty() {
                f.fixes.push(safe(*cmd, *advice));
            } else {
                f.fixes
                    .push(review(format!("# edit {file} line {line}"), *advice));
                edited = true;
            }
            break;
        }
    }
    if !edited {
        f.fixes.push(review(
            format!("sudoedit {file}   # line {line}"),
            format!("correct: {message}"),
        ));
    }
    let reload = if container {
        format!(
            "{} && {}",
            ctx.in_nginx_container("nginx -t"),
            ctx.restart_nginx_container()
        )
    } else {
        "sudo nginx -t && (sudo systemctl reload nginx || sudo systemctl restart nginx)".to_string()
    };
    f.fixes.push(disruptive(
        reload,
        "test the corrected config, then load it (restart if nginx is not running)",
    ));
    f.verify.push(format!(
        "{test}   # expect: syntax is ok / test is successful"
    ));
    f.verify.push(if container {
        format!("{}   # expect: Up", ctx.nginx_container_status())
    } else {
        "systemctl is-active nginx   # expect: active".into()
    });
    if location.is_none() {
        f.next
            .push(next(test, "names the file and line nginx rejects"));
    }
    f.next.push(next(
        if container {
            ctx.in_nginx_container("nginx -T")
        } else {
            "sudo nginx -T".to_string()
        },
        "shows the whole loaded configuration, so the fix can name the right file",
    ));
    vec![f]
}

/// `(file, line)` from `… in /etc/nginx/conf.d/app.conf:12`.
fn file_and_line(text: &str) -> Option<(String, String)> {
    let i = text.rfind(" in /")?;
    let rest = text[i + 4..].trim_end();
    let (file, line) = rest.rsplit_once(':')?;
    if line.is_empty() || !line.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((file.to_string(), line.to_string()))
}

/// `10,14` around line 12.
fn window(line: &str) -> String {
    match line.parse::<u64>() {
        Ok(n) => format!("{},{}", n.saturating_sub(2).max(1), n + 2),
        Err(_) => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_line_from_emerg() {
        assert_eq!(
            file_and_line("nginx: [emerg] unknown directive \"proxy_pas\" in /etc/nginx/sites-enabled/example.com:12"),
            Some(("/etc/nginx/sites-enabled/example.com".into(), "12".into()))
        );
        assert_eq!(
            file_and_line(
                "nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)"
            ),
            None
        );
        assert_eq!(window("1"), "1,3");
    }
}
