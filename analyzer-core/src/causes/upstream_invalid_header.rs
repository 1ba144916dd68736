//! `upstream_invalid_header`: the backend's reply is not valid HTTP.

use super::common::{directive_prefix, upstream_of};
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, Level, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_invalid_header",
    family: "other",
    title: "The backend's reply is not valid HTTP",
    docs: DOCS,
    signatures: &[
        "upstream sent invalid header",
        "upstream sent no valid HTTP/1.0 header",
        "upstream sent duplicate header line",
        "upstream sent invalid status",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
nginx read the backend's reply and it is not an HTTP response it accepts:
a header with a bad byte (`\x0D` bare CR, `\x00`, a space in a name), two
`Content-Length` headers that disagree, `Content-Length` together with
`Transfer-Encoding`, an invalid status, or (`no valid HTTP/1.0 header`) no
status line at all because `proxy_pass` points at something that does not
speak HTTP: Redis, Postgres, a uwsgi or FastCGI socket, an HTTP/2-only (gRPC,
h2c) port, or a TLS port reached with `http://`.

## Why nginx answers 502 or 504
A malformed header makes nginx answer **502 Bad Gateway**. For `no valid
HTTP/1.0 header` nginx relays the raw bytes as an HTTP/0.9 body and logs
200, so users see garbage or an outer proxy reports 502.

## Evidence
- `upstream sent invalid header: "X-Trace Id: ab\x0D..." while reading response header from upstream`.
- `upstream sent duplicate header line: "Content-Length: 512", previous value: "Content-Length: 498"`.
- `upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time`.
- `upstream sent no valid HTTP/1.0 header while reading response header from upstream`.

## Fix
For `no valid HTTP/1.0 header`: find what listens on the port
(`sudo ss -tlnp 'sport = :<port>'`) and use the matching directive
(`fastcgi_pass`, `uwsgi_pass`, `grpc_pass`, `https://`) or the app's HTTP
port, then `sudo nginx -t && sudo systemctl reload nginx`. For malformed
headers: fix the backend code that sets them (a header value with a
newline, a hand-written `Content-Length`).

## Verify
`curl -sv http://127.0.0.1:<port>/ -o /dev/null 2>&1 | sed -n '/^< /p'` shows a
clean status line and headers; no new `upstream sent` lines.

## Known problems
`[warn] … upstream sent duplicate header line …, ignored` does not fail the
request and is not mapped. `ignore_invalid_headers` concerns client request
headers and does not help here.
"#;

fn fatal(g: &EventGroup) -> bool {
    g.level != Some(Level::Warn) && !g.evidence().any(|e| e.text.contains(", ignored"))
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::InvalidHeader { .. }))
        .into_iter()
        .filter(|g| fatal(g))
        .collect();
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = upstream_of(&groups);
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "the backend".into());
    let scheme = up
        .as_ref()
        .map(|u| u.scheme.clone())
        .unwrap_or_else(|| "http".into());
    let p = directive_prefix(&scheme);
    let port = up.as_ref().and_then(|u| u.effective_port());
    let svc = ctx.service_for(up.as_ref());
    let what = groups
        .iter()
        .max_by_key(|g| g.count)
        .and_then(|g| match &g.key.signal {
            Signal::InvalidHeader { what } => Some(what.clone()),
            _ => None,
        })
        .unwrap_or_default();
    f.confidence = 0.85;
    f.reasoning.push(format!(
        "{} of `upstream sent {what}` from {target}",
        plural(f.events, "line", "lines")
    ));
    if what.starts_with("no valid HTTP") {
        // Who listens on that port?
        let owner = up.as_ref().and_then(|u| {
            ctx.listeners_covering(&u.addr)
                .into_iter()
                .find_map(|l| l.process.clone().map(|pr| (pr, l.line, l.addr.display())))
        });
        let suggestion = owner
            .as_ref()
            .map(|(proc_, _, _)| protocol_for(proc_, &target));
        if let Some((proc_, line, addr)) = &owner {
            f.confidence = 0.9;
            f.reasoning.push(format!("`{proc_}` listens on {addr}"));
            f.add_evidence(crate::facts::EvidenceLine::new(
                *line,
                &format!("{addr} {proc_}"),
            ));
        }
        f.title =
            format!("{target} does not speak HTTP: `{p}_pass` points at another kind of service");
        f.summary = format!(
            "The first bytes from {target} were not an HTTP status line, so `{p}_pass` points at a service that speaks \
             another protocol{}. nginx relays the raw bytes (logged as 200, seen as garbage or as a 502 further out).",
            match &owner {
                Some((proc_, _, _)) => format!(" (`{proc_}` owns that port)"),
                None => " (a database, a uwsgi/FastCGI socket, a gRPC/HTTP2-only or TLS port)".to_string(),
            }
        );
        f.fixes.push(safe(
            format!(
                "sudo ss -tlnp 'sport = :{}'",
                port.map(|p| p.to_string())
                    .unwrap_or_else(|| "{port}".into())
            ),
            "which program owns the port nginx talks to",
        ));
        if let Some(u) = &up {
            if let (Some(h), Some(pt)) = (u.addr.host(), u.effective_port()) {
                let h = if h.contains(':') {
                    format!("[{h}]")
                } else {
                    h.to_string()
                };
                f.fixes.push(safe(
                    format!("curl -sv --max-time 5 http://{h}:{pt}/ 2>&1 | head -n 20"),
                    "what the port answers to an HTTP request",
                ));
            }
        }
        let fix = match suggestion {
            Some(Some((dir, why))) => review(format!("# in the location that proxies to {target}:\n{dir}"), why),
            _ => review(
                format!(
                    "# point nginx at the app's HTTP port, or use the directive the service speaks:\n#   PHP-FPM → fastcgi_pass {target};   uWSGI socket → uwsgi_pass {target};\n#   gRPC/h2c → grpc_pass grpc://{target};   TLS port → proxy_pass https://{target};"
                ),
                "talk to the service in its own protocol",
            ),
        };
        f.fixes.push(fix);
        f.fixes.push(super::fixes::reload(ctx));
        f.verify.push(format!(
            "curl -sv http://127.0.0.1/ -o /dev/null{} 2>&1 | sed -n '/^< /p'   # expect an HTTP status line and headers",
            f.servers.first().map(|s| format!(" -H 'Host: {s}'")).unwrap_or_default()
        ));
        if ctx.facts.listeners.is_empty() {
            f.next.push(next(
                "sudo ss -tlnp",
                "names the program on the port nginx proxies to",
            ));
        }
    } else {
        let header = groups.iter().flat_map(|g| g.evidence()).find_map(|e| {
            crate::text::quoted_after(&e.text, &format!("upstream sent {what}: "))
                .map(str::to_string)
        });
        f.title = format!("{target} sends a malformed response header ({what})");
        f.summary = format!(
            "{target} answers with a response nginx rejects (`{what}`{}), so nginx answers 502. The backend code (or a proxy inside \
             it) writes that header: fix it there.",
            header.as_deref().map(|h| format!(": `{h}`")).unwrap_or_default()
        );
        if let Some(u) = &up {
            if let (Some(h), Some(pt), "proxy") = (u.addr.host(), u.effective_port(), p) {
                let h = if h.contains(':') {
                    format!("[{h}]")
                } else {
                    h.to_string()
                };
                let path = super::common::first_path(&groups).unwrap_or_else(|| "/".into());
                f.fixes.push(safe(
                    format!("curl -sS -o /dev/null -D - http://{h}:{pt}{path} | cat -A | head -n 30"),
                    "show the raw headers straight from the backend (`^M` without `$` is a bare CR; two Content-Length lines show the duplicate)",
                ));
            }
        }
        let advice = match what.as_str() {
            "duplicate header line" | "Content-Length and Transfer-Encoding" => {
                "# in the backend: do not set Content-Length by hand when the framework streams (chunked) or compresses the body; remove the duplicate header"
            }
            "invalid status" => "# in the backend: the Status header / status line must be `NNN Reason` (PHP: header('Status: 404 Not Found') or http_response_code(404))",
            _ => "# in the backend: strip CR/LF and NUL from header values; header names may not contain spaces",
        };
        f.fixes.push(review(
            advice,
            "the malformed header is produced by the backend; nginx has no switch to accept it",
        ));
        f.fixes.push(disruptive(
            svc.restart(),
            format!("deploy the fix and restart `{}`", svc.name),
        ));
        f.verify
            .push(super::common::watch_log(ctx, "upstream sent"));
        f.next.push(next(
            svc.logs(),
            "the backend's log for the failing request",
        ));
    }
    vec![f]
}

/// The directive for a listener's process name.
fn protocol_for(process: &str, target: &str) -> Option<(String, String)> {
    let p = process.to_ascii_lowercase();
    Some(if p.contains("php-fpm") {
        (format!("include fastcgi_params;\nfastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\nfastcgi_pass {target};"), "PHP-FPM speaks FastCGI, not HTTP".into())
    } else if p.contains("uwsgi") {
        (format!("include uwsgi_params;\nuwsgi_pass {target};"), "a uWSGI `socket =` speaks the uwsgi protocol (or set `http-socket =` in uWSGI instead)".into())
    } else if p.contains("redis")
        || p.contains("postgres")
        || p.contains("mysql")
        || p.contains("mongo")
    {
        (
            "# a database does not serve HTTP: proxy_pass http://127.0.0.1:{app_port};".into(),
            format!("`{process}` is a database; point nginx at the application's HTTP port"),
        )
    } else {
        return None;
    })
}
