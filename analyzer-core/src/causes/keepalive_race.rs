//! `keepalive_race`: a reused upstream connection was closed by the backend
//! at the moment nginx sent a request on it.

use super::common::{methods, partner_names};
use super::fixes::{next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::artifacts::nginx_config::UpstreamBlock;
use crate::facts::{Action, EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "keepalive_race",
    family: "upstream_closed_early",
    title: "Reused upstream connections are closed by the backend (keepalive race)",
    docs: DOCS,
    signatures: &[
        "upstream prematurely closed connection",
        "recv() failed (104: Connection reset by peer)",
        "keepalive",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
nginx keeps idle connections to the backend open (`keepalive N;` in an
`upstream {}` block, or by default for explicit upstream blocks from nginx
1.29.7) and reuses them for later requests. When the backend's own idle
timeout is **shorter** than nginx's `keepalive_timeout` (60s by default),
the backend closes an idle connection at the instant nginx sends a request
on it. Node.js closes idle connections after 5s, uvicorn after 5s, gunicorn's
async workers after 2s.

## Why nginx answers 502 or 504
The request meets a closed or reset connection: nginx logs a premature close
or a reset and answers **502**. nginx retries idempotent requests once on
another connection, so mostly POST/PATCH fail, sporadically, after idle gaps.

## Evidence
- a few `upstream prematurely closed connection`, `recv() failed (104: …)` or
  `writev() failed (32: Broken pipe) while sending request to upstream` lines an hour or a day,
  mostly on POST; no crash or kill in the backend's log.
- `nginx -T`: `keepalive 32;` in the `upstream {}` block the location uses.
- access log: `$upstream_response_time` of `0.000`–`0.001` on these 502s.

## Fix
Make nginx drop idle connections first: `keepalive_timeout 4s;` in the
`upstream {}` block (below the backend's idle timeout), with
`proxy_http_version 1.1;` and `proxy_set_header Connection "";` in the
location (needed before nginx 1.29.7); or raise the backend's idle timeout
above nginx's (Node: `server.keepAliveTimeout = 65000; server.headersTimeout = 66000;`).
Then `sudo nginx -t && sudo systemctl reload nginx`.

## Verify
Over a day, `grep -cE 'prematurely closed|104: Connection reset' /var/log/nginx/error.log`
drops to zero for that upstream.

## Known problems
Needs the configuration in the paste (`nginx -T`) to see the keepalive; a
steady stream of closes, a backend-side crash or kill, or 502s that took
seconds in the access log (a timeout, not a race) are another cause.
"#;

/// The symptoms a keepalive race produces.
fn is_symptom(g: &EventGroup) -> bool {
    if matches!(
        g.key.action,
        Some(Action::ClientSide | Action::Upgraded) | Some(Action::ReadingUpstream)
    ) {
        return false;
    }
    match &g.key.signal {
        Signal::PrematureClose => true,
        Signal::IoFailed { call, errno: 104 } => matches!(
            call.as_str(),
            "recv" | "readv" | "writev" | "send" | "sendfile"
        ),
        Signal::IoFailed { errno: 32, .. } => g.key.action == Some(Action::SendingRequest),
        _ => false,
    }
}

/// `nginx/1.29.7 (Ubuntu)` → (1, 29, 7).
fn version(v: &str) -> Option<(u32, u32, u32)> {
    let v = v.trim().trim_start_matches("nginx/");
    let mut it = v
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().ok());
    Some((it.next()??, it.next()??, it.next().flatten().unwrap_or(0)))
}

/// The idle timeout a backend closes keepalive connections after, by process name.
fn backend_idle(process: &str) -> Option<(u32, &'static str)> {
    let p = process.to_ascii_lowercase();
    Some(
        if p.contains("node") || p.contains("next-server") || p == "pm2" {
            (5, "Node.js server.keepAliveTimeout")
        } else if p.contains("uvicorn") {
            (5, "uvicorn --timeout-keep-alive")
        } else if p.contains("gunicorn") {
            (2, "gunicorn --keep-alive")
        } else if p.contains("puma") || p.contains("ruby") {
            (20, "Puma persistent_timeout")
        } else if p.contains("java") || p.contains("tomcat") {
            (20, "Tomcat keepAliveTimeout")
        } else {
            return None;
        },
    )
}

/// The setting that keeps a backend's idle connections open past nginx's
/// 60s, for the `what` of [`backend_idle`].
fn raise_idle(what: &str) -> &'static str {
    match what {
        "Node.js server.keepAliveTimeout" => {
            "Node: server.keepAliveTimeout = 65000; server.headersTimeout = 66000;"
        }
        "uvicorn --timeout-keep-alive" => "uvicorn --timeout-keep-alive 65",
        "gunicorn --keep-alive" => "gunicorn --keep-alive 65 (with gthread/async workers)",
        "Puma persistent_timeout" => "Puma: persistent_timeout 65",
        _ => "Tomcat: <Connector … keepAliveTimeout=\"65000\"/>",
    }
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let Some(cfg) = ctx.facts.config.as_ref() else {
        return vec![];
    };
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|_| true)
        .into_iter()
        .filter(|g| is_symptom(g))
        .collect();
    if groups.is_empty() || !partner_names(ctx).is_empty() {
        return vec![];
    }
    let default_keepalive = ctx
        .facts
        .nginx_version
        .as_deref()
        .and_then(version)
        .is_some_and(|v| v >= (1, 29, 7));
    // The upstream block that holds the failing peer and keeps connections alive.
    let blocks = cfg.upstream_blocks();
    let mut found: Option<(UpstreamBlock, crate::facts::Upstream)> = None;
    for g in &groups {
        let Some(u) = &g.key.upstream else { continue };
        if let Some(b) = blocks.iter().find(|b| {
            (b.keepalive.is_some_and(|n| n > 0) || (default_keepalive && b.keepalive != Some(0)))
                && (b
                    .servers
                    .iter()
                    .any(|s| super::ctx::same_target(&s.addr, &u.addr))
                    || u.addr.host() == Some(b.name.as_str()))
        }) {
            found = Some((b.clone(), u.clone()));
            break;
        }
    }
    let Some((block, up)) = found else {
        return vec![];
    };
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    // Sporadic? A steady stream of failures is something else (a crash loop, an overload).
    let minutes = match (f.first_time, f.last_time) {
        (Some(a), Some(b)) => Some(((b - a) / 60).max(1) as u64),
        _ => None,
    };
    let sporadic = match minutes {
        Some(m) => f.events <= 3 || f.events <= m * 2,
        None => f.events <= 10,
    };
    if !sporadic {
        return vec![];
    }
    // A race fails at once; 502s that took seconds are a backend timeout or crash.
    if ctx.facts.access.max_5xx_time_ms.is_some_and(|ms| ms > 1000) {
        return vec![];
    }
    let m = methods(&groups);
    let unsafe_methods = m
        .iter()
        .any(|x| matches!(x.as_str(), "POST" | "PATCH" | "LOCK" | "PUT" | "DELETE"));
    f.confidence = if unsafe_methods { 0.85 } else { 0.78 };
    f.explains = vec![
        "upstream_closed_early",
        "upstream_reset",
        "upstream_write_failed",
    ];
    f.reasoning.push(format!(
        "{} of closes/resets on {}, sporadic{}",
        plural(f.events, "line", "lines"),
        up.addr.display(),
        minutes
            .map(|m| format!(" (over {m} min)"))
            .unwrap_or_default()
    ));
    f.reasoning.push(match block.keepalive {
        Some(n) => format!(
            "`upstream {}` keeps {n} idle connections per worker (`keepalive {n};`)",
            block.name
        ),
        None => format!(
            "nginx ≥ 1.29.7 keeps idle connections to `upstream {}` by default",
            block.name
        ),
    });
    if unsafe_methods {
        f.reasoning.push(format!(
            "the failing requests include {}: nginx does not retry those on another connection",
            m.join("/")
        ));
    }
    f.reasoning
        .push("no crash, kill or timeout on the backend side is in the paste".into());
    f.add_evidence(EvidenceLine::new(
        block.line,
        &format!(
            "upstream {} {{ … keepalive {}; … }}",
            block.name,
            block
                .keepalive
                .map(|n| n.to_string())
                .unwrap_or_else(|| "(default)".into())
        ),
    ));
    // The backend's idle timeout, from the process listening on its port.
    let idle = ctx
        .listeners_covering(&up.addr)
        .into_iter()
        .find_map(|l| l.process.as_deref().and_then(backend_idle));
    let nginx_idle = idle.map(|(s, _)| s.saturating_sub(1).max(1)).unwrap_or(4);
    if let Some((s, what)) = idle {
        f.reasoning.push(format!(
            "the backend closes idle connections after about {s}s ({what}), nginx keeps them {}",
            block.keepalive_timeout.as_deref().unwrap_or("60s")
        ));
    }
    // Location settings needed before 1.29.7.
    let pass = cfg
        .passes()
        .into_iter()
        .find(|p| cfg.upstream_for(p).is_some_and(|b| b.name == block.name));
    let prefix = pass
        .as_ref()
        .map(|p| p.prefix().to_string())
        .unwrap_or_else(|| "proxy".into());
    let http11 = pass
        .as_ref()
        .and_then(|p| cfg.effective(p, "proxy_http_version"))
        .and_then(|d| d.arg(0).map(str::to_string))
        .is_some_and(|v| v == "1.1");
    let file_hint = block
        .file
        .as_deref()
        .map(|fl| {
            format!(
                " ({fl}{})",
                block.file_line.map(|l| format!(":{l}")).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    f.title = format!(
        "The backend closes idle keepalive connections just as nginx reuses them (upstream {})",
        block.name
    );
    f.summary = format!(
        "nginx keeps idle connections to `{}` open and reuses them; the backend closes them sooner{}. Now and then a request is sent on a \
         connection the backend is closing, and nginx answers 502, mostly for POSTs, which it does not retry.",
        block.name,
        idle.map(|(s, _)| format!(" (after about {s}s)")).unwrap_or_default()
    );
    let mut upstream_fix = format!(
        "# upstream {}{file_hint}: give up idle connections before the backend does\nupstream {} {{\n    # … servers as they are …\n    keepalive {};\n    keepalive_timeout {nginx_idle}s;\n}}",
        block.name,
        block.name,
        block.keepalive.unwrap_or(32)
    );
    if prefix == "proxy" && !http11 && !default_keepalive {
        upstream_fix.push_str("\n# in the location with proxy_pass (needed before nginx 1.29.7):\nproxy_http_version 1.1;\nproxy_set_header Connection \"\";");
    }
    f.fixes.push(review(upstream_fix, format!("{nginx_idle}s is below the backend's idle timeout, so nginx never reuses a connection the backend is closing")));
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(safe(
        format!(
            "# or raise the backend's idle timeout above nginx's ({}): {}",
            block.keepalive_timeout.as_deref().unwrap_or("60s"),
            match idle.map(|(_, what)| what) {
                Some(what) => raise_idle(what).to_string(),
                None => [
                    "Node.js server.keepAliveTimeout",
                    "uvicorn --timeout-keep-alive",
                    "gunicorn --keep-alive",
                    "Puma persistent_timeout",
                ]
                .map(raise_idle)
                .join(" | "),
            }
        ),
        "the other way round: the backend keeps connections longer than nginx",
    ));
    f.verify.push(format!(
        "sudo grep -cE 'prematurely closed|104: Connection reset' /var/log/nginx/error.log   # compare over a day: expect no growth for {}",
        up.addr.display()
    ));
    if idle.is_none() && ctx.facts.listeners.is_empty() {
        f.next.push(next(
            "sudo ss -tlnp",
            "names the backend program, and so its idle keepalive timeout",
        ));
    }
    if ctx.facts.access.lines == 0 {
        f.next.push(next(
            "sudo grep ' 502 ' /var/log/nginx/access.log | tail -n 20",
            "502s with an upstream time of 0.000–0.001 confirm a race on a reused connection",
        ));
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(version("nginx/1.29.7"), Some((1, 29, 7)));
        assert_eq!(version("nginx/1.24.0 (Ubuntu)"), Some((1, 24, 0)));
        assert!(version("nginx/1.30.0").unwrap() >= (1, 29, 7));
        assert_eq!(version("garbage"), None);
    }
}
