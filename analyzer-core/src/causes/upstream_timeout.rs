//! `upstream_timeout`: the upstream did not answer in time (errno 110).

use super::fixes::{disruptive, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Action, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_timeout",
    family: "upstream_timeout",
    title: "The backend is too slow: nginx timed out waiting for it",
    docs: DOCS,
    signatures: &["upstream timed out (110: Connection timed out)"],
    check,
};

const DOCS: &str = r#"
## What it means
nginx sent the request and the backend did not answer within nginx's
timeout (`proxy_read_timeout`, `fastcgi_read_timeout`, … default 60s), or
the connection itself could not be set up in time (`while connecting to upstream`).

## Why nginx answers 502 or 504
Any timeout towards the upstream makes nginx answer **504 Gateway Time-out**.

## Evidence
- error.log: `upstream timed out (110: Connection timed out) while reading response header from upstream`
  (slow backend), `… while connecting to upstream` (host unreachable, firewall
  dropping packets, a full accept queue), `… while sending request to upstream`.
- access log: `$upstream_response_time` close to the timeout (60.0 by default).
- PHP-FPM's slow log (`request_slowlog_timeout`): a backtrace under
  `script_filename = …` whose first frame is where the request waited
  (`[0x…] curl_exec() …/Curl.php:205` is an outgoing HTTP call,
  `PDOStatement->execute()` a query), and below it the site's own code
  that made the call.
- Cloudflare's `Error code 524` page (`A timeout occurred`) with no nginx
  timeout line: Cloudflare waited its fixed 100 s for the origin; nginx logs
  those requests as 499. The request must answer sooner (a background job),
  or bypass Cloudflare's proxy; nginx's timeouts do not matter.

## Fix
For a slow response: raise the read timeout **for the slow location only**
(`proxy_read_timeout 300s;` or the `fastcgi_`/`uwsgi_`/`grpc_` twin), keep the
backend's own limits (gunicorn `--timeout`, PHP `max_execution_time`,
`request_terminate_timeout`) in line, reload nginx, and find the slow work
(query, external API, export that belongs in a background job).
For `while connecting`: do not raise the timeout; find why the connection is
not accepted (wrong host, firewall, saturated backend).

## Verify
`curl` the slow URL through nginx and time it: it answers 200 under the limit;
no new `upstream timed out` lines.

## Known problems
Raising timeouts treats the symptom. A 60 s or 100 s timeout with no nginx
error line at all comes from a load balancer or CDN in front of nginx.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| {
        matches!(
            s,
            Signal::UpstreamTimedOut | Signal::ConnectFailed { errno: 110 }
        )
    });
    let mut out: Vec<Finding> = saturated(ctx).into_iter().collect();
    // Websockets nginx already answered with 101 time out as idle sockets,
    // not as 504s; they are a finding of their own when nothing else is.
    let (upgraded, groups): (Vec<_>, Vec<_>) = groups
        .into_iter()
        .partition(|g| g.key.action == Some(Action::Upgraded));
    if groups.is_empty() && !upgraded.is_empty() {
        out.extend(websocket_idle(ctx, &upgraded));
        return out;
    }
    if groups.is_empty() {
        let from_log = from_access_log(ctx);
        if from_log.is_none() {
            out.extend(cloudflare_524(ctx));
        }
        out.extend(from_log);
        return out;
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(504);
    let connecting = groups
        .iter()
        .filter(|g| g.key.action == Some(Action::Connecting))
        .map(|g| g.count)
        .sum::<u64>();
    let up = groups.iter().find_map(|g| g.key.upstream.clone());
    let scheme = up.as_ref().map(|u| u.scheme.as_str()).unwrap_or("http");
    let prefix = match scheme {
        "fastcgi" => "fastcgi",
        "uwsgi" => "uwsgi",
        "grpc" | "grpcs" => "grpc",
        "scgi" => "scgi",
        _ => "proxy",
    };
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "the upstream".into());
    let svc = ctx.service_for(up.as_ref());
    f.confidence = 0.8;
    f.reasoning.push(format!(
        "{} of `upstream timed out (110…)` towards {target}",
        plural(f.events, "line", "lines")
    ));
    let path = f
        .evidence
        .first()
        .and_then(|_| groups.iter().flat_map(|g| g.requests.iter()).next())
        .and_then(|r| r.split_whitespace().nth(1))
        .map(|u| u.split('?').next().unwrap_or(u).to_string());
    if connecting * 2 > f.events {
        f.title = format!("nginx could not even connect to {target} in time");
        f.summary = format!(
            "The connection to {target} was not accepted before `{prefix}_connect_timeout` ran out: the host is unreachable, \
             a firewall drops the packets, or the backend's accept queue is full. nginx answers 504."
        );
        f.fixes.push(safe(
            format!(
                "nc -vz -w 5 {}",
                target.replace(':', " ").replace("[", "").replace("]", "")
            ),
            "does the port answer at all from this host? hanging means network or firewall",
        ));
        if super::common::on_linux(ctx) {
            f.fixes.push(safe("sudo ss -tlnp", "on the backend host: Recv-Q close to Send-Q on the LISTEN line means the backend is saturated"));
        }
        f.fixes.push(disruptive(
            svc.restart(),
            "if the backend is hung, a restart clears its queue while you look for the cause",
        ));
    } else {
        f.title = format!("{target} is too slow: nginx gave up waiting for the response");
        f.summary = format!(
            "The backend accepted the request but sent no response before `{prefix}_read_timeout` (60s unless set) ran out. \
             nginx answers 504 Gateway Time-out."
        );
        // Where the pasted config sends these requests, and the timeout
        // already in force there.
        let pass = up.as_ref().and_then(|u| super::common::pass_for(ctx, u));
        let current = pass.as_ref().and_then(|ps| {
            let d = ctx
                .facts
                .config
                .as_ref()?
                .effective(ps, &format!("{prefix}_read_timeout"))?;
            Some((
                super::common::duration_secs(d.arg(0)?)?,
                d.arg(0)?.to_string(),
                d.line,
                d.location_label(),
            ))
        });
        let mut secs = 300;
        // The pasted uWSGI ini's own limit: when it is longer than nginx's
        // wait, nginx gives up first and its timeout is the one to raise.
        let harakiri = up
            .as_ref()
            .and_then(|u| ctx.uwsgi_listening_on(&u.addr))
            .and_then(|(ini, ..)| {
                let v = ini.get("harakiri")?;
                Some((v.trim().parse::<u64>().ok()?, ini.line_of("harakiri")?))
            });
        if let Some((h, line)) = harakiri {
            let waits = current.as_ref().map_or(60, |c| c.0);
            if h > waits {
                f.reasoning.push(format!(
                    "uWSGI's `harakiri = {h}` (line {line}) lets a request run {h}s, longer than nginx waits ({waits}s): nginx gives up first"
                ));
                f.add_evidence(crate::facts::EvidenceLine::new(
                    line,
                    &format!("harakiri = {h}"),
                ));
                secs = secs.max(h);
            }
        }
        if let Some((s, written, line, label)) = &current {
            f.reasoning.push(format!(
                "`{prefix}_read_timeout` is {written} here ({label}): the backend took longer still"
            ));
            f.add_evidence(crate::facts::EvidenceLine::new(
                *line,
                &format!("{prefix}_read_timeout {written};"),
            ));
            secs = (s * 2).max(300);
        }
        // nginx should wait at least as long as uWSGI lets a request run.
        if let Some((h, _)) = harakiri {
            secs = secs.max(h);
        }
        // A gRPC stream cut mid-way: nginx's read timeout is the longest
        // silence between two messages, which a quiet stream can exceed.
        let grpc_stream = prefix == "grpc"
            && groups
                .iter()
                .any(|g| g.key.action == Some(crate::facts::Action::ReadingUpstream));
        if grpc_stream {
            f.reasoning.push(
                "gRPC streams were cut `while reading upstream`: grpc_read_timeout is the longest silence allowed between two messages of a stream, so a quiet server-streaming call ends with it".into(),
            );
            secs = secs.max(3600);
        }
        let place = next_to_pass(
            ctx,
            pass.as_ref(),
            format!(
                "# in the location that serves {}:",
                path.as_deref().unwrap_or("{location}")
            ),
        );
        if ctx.facts.ingress_nginx {
            let steps = super::common::ingress_annotate(
                ctx,
                f.servers.first().map(String::as_str),
                &format!("nginx.ingress.kubernetes.io/proxy-read-timeout={secs} nginx.ingress.kubernetes.io/proxy-send-timeout={secs}"),
                "ingress-nginx sets the timeouts of this Ingress's locations from these annotations (seconds)",
            );
            f.fixes.extend(steps);
        } else if ctx.facts.plesk {
            f.fixes.push(review(
                format!(
                    "# Plesk: Websites & Domains → {} → Apache & nginx Settings → Additional nginx directives:\n{prefix}_read_timeout {secs}s;\n{prefix}_send_timeout {secs}s;\n# then OK: Plesk writes the domain's nginx config and reloads nginx",
                    f.servers.first().map(String::as_str).unwrap_or("{domain}")
                ),
                "Plesk generates the vhost files under /etc/nginx/plesk.conf.d/ and overwrites edits there; its panel's directives are kept",
            ));
        } else {
            f.fixes.push(review(
                format!("{place}\n{prefix}_read_timeout {secs}s;\n{prefix}_send_timeout {secs}s;"),
                "give this slow endpoint more time, not the whole site",
            ));
        }
        if !ctx.facts.plesk || ctx.facts.ingress_nginx {
            f.fixes.push(super::fixes::reload(ctx));
        }
        f.fixes.push(safe(
            match prefix {
                // php-cgi (Windows) has no pool, only php.ini.
                "fastcgi" if ctx.host_os() == super::ctx::HostOs::Windows => format!("# keep PHP's own limit at least as long: max_execution_time = {secs} (php.ini of php-cgi)"),
                "fastcgi" => format!("# keep PHP's own limits at least as long: max_execution_time = {secs} (php.ini of FPM), request_terminate_timeout = {secs}s (the pool)"),
                "uwsgi" if harakiri.is_some_and(|(h, _)| h >= secs) => format!("# uWSGI's harakiri ({}) already allows {secs}s: keep it at least as long as uwsgi_read_timeout", harakiri.map_or(0, |(h, _)| h)),
                "uwsgi" => format!("# keep uWSGI's own limit at least as long: harakiri = {secs}"),
                _ => own_limit(ctx, up.as_ref(), &svc.name, secs),
            },
            "otherwise the backend kills the request first and nginx logs a 502 instead",
        ));
        if prefix == "fastcgi" {
            super::common::explain_slow_trace(ctx, &mut f);
        }
        f.fixes.push(safe(super::common::backend_log_cmd(ctx, &svc), "find what is slow (database, external API, a job that belongs in a queue): a longer timeout only buys time"));
    }
    let through = super::fixes::curl_timed(
        ctx,
        &f,
        path.as_deref().unwrap_or("/"),
        "expect 200 under the limit",
    );
    f.verify.push(through);
    f.verify
        .push(super::common::watch_log(ctx, "upstream timed out"));
    if ctx.facts.config.is_none() {
        f.next.push(super::fixes::next(
            "sudo nginx -T",
            "shows the timeouts in force for this location",
        ));
    }
    out.push(f);
    out
}

/// Cloudflare's `Error code 524` (or `curl` getting 524 from `server:
/// cloudflare`) with no timeout of nginx's own: Cloudflare waited its
/// 100 s for the origin and gave up. nginx logs the request, if at all, as
/// a 499 (the client, Cloudflare, closed). Raising nginx's timeouts does
/// nothing; the request must answer within 100 s.
fn cloudflare_524(ctx: &Ctx) -> Option<Finding> {
    let curl = ctx
        .facts
        .curl
        .iter()
        .find(|c| c.status == Some(524) && c.server.as_deref() == Some("cloudflare"));
    let line = ctx.facts.cloudflare_524.or(curl.map(|c| c.line))?;
    let mut f = Finding {
        events: 1,
        status: None,
        confidence: 0.72,
        ..Finding::default()
    };
    f.add_evidence(crate::facts::EvidenceLine::new(line, "Error code 524"));
    f.reasoning.push(
        "Cloudflare's 524 page: Cloudflare reached the origin but got no response within its 100 s limit".into(),
    );
    // nginx's own record of those requests: 499s, Cloudflare hanging up.
    let a = &ctx.facts.access;
    let n499 = a.status.get(&499).copied().unwrap_or(0);
    if n499 > 0 {
        f.reasoning.push(format!(
            "nginx logged {} as 499: Cloudflare closed the connection before the origin answered",
            plural(n499, "request", "requests")
        ));
    }
    f.title = "Cloudflare gave up after 100 s: the origin answers too slowly (524)".into();
    f.summary = "Cloudflare waits 100 seconds for the origin's response (Free, Pro and Business plans), then shows its 524 page. \
                 nginx and the backend may still be working on the request: raising nginx's timeouts does not help. Answer \
                 sooner, or serve this endpoint without Cloudflare's proxy."
        .into();
    f.fixes.push(review(
        "# make the slow endpoint return at once and finish in the background: 202 Accepted + a job id, the page polls for the result (Celery/RQ, BullMQ, a Laravel queue, Spring @Async)",
        "the only fix that keeps the request under Cloudflare's fixed 100-second limit",
    ));
    f.fixes.push(review(
        "# or serve long requests from a DNS-only (grey cloud) hostname, e.g. export.{domain} → the origin, not proxied",
        "Cloudflare's 100 s limit applies only to proxied (orange cloud) records (Enterprise plans can raise it)",
    ));
    f.verify.push(
        "sudo tail -n 0 -f /var/log/nginx/access.log | grep --line-buffered ' 499 '   # expect no new lines: Cloudflare no longer hangs up".into(),
    );
    Some(f)
}

/// Where a timeout goes: next to the pasted pass, else `fallback`.
fn next_to_pass(
    ctx: &Ctx,
    pass: Option<&crate::artifacts::nginx_config::Pass>,
    fallback: String,
) -> String {
    match pass {
        Some(ps) => format!(
            "# in `location {}` ({}), next to `{} {};`:",
            ps.location.as_deref().unwrap_or("/"),
            ctx.pass_place(ps),
            ps.directive,
            ps.target
        ),
        None => fallback,
    }
}

/// `upstream timed out (110: …) while proxying upgraded connection`: a
/// websocket nginx had switched over (101 sent) carried nothing from the
/// backend for `proxy_read_timeout`, and nginx closed it. The browser sees
/// the socket drop and reconnect (every minute with the default 60s); no
/// error page. The fix is a long read timeout where the websocket is
/// proxied, or pings from the app more often than the timeout.
fn websocket_idle(ctx: &Ctx, groups: &[&EventGroup]) -> Option<Finding> {
    let up = super::common::upstream_of(groups)?;
    let mut f = Finding::from_groups(groups);
    f.status = None;
    f.confidence = 0.8;
    let target = up.addr.display();
    let pass = super::common::pass_for(ctx, &up);
    let current = pass.as_ref().and_then(|ps| {
        let d = ctx
            .facts
            .config
            .as_ref()?
            .effective(ps, "proxy_read_timeout")?;
        f.add_evidence(crate::facts::EvidenceLine::new(
            d.line,
            &format!("proxy_read_timeout {};", d.arg(0)?),
        ));
        Some(d.arg(0)?.to_string())
    });
    let limit = current.as_deref().unwrap_or("60s");
    f.title = format!(
        "Websockets to {target} are closed after {limit} without data (`proxy_read_timeout`)"
    );
    f.summary = format!(
        "nginx had switched these requests to websockets (101 sent), then closed them because {target} sent nothing for \
         `proxy_read_timeout` ({limit}). The browser sees the socket drop and reconnects; no error page is shown."
    );
    f.reasoning.push(format!(
        "{} of `upstream timed out (110…) while proxying upgraded connection` towards {target}",
        plural(f.events, "line", "lines")
    ));
    let path = super::common::first_path(groups);
    if ctx.facts.ingress_nginx {
        f.fixes.extend(super::common::ingress_annotate(
            ctx,
            f.servers.first().map(String::as_str),
            "nginx.ingress.kubernetes.io/proxy-read-timeout=3600 nginx.ingress.kubernetes.io/proxy-send-timeout=3600",
            "ingress-nginx sets the timeouts of this Ingress's locations from these annotations (seconds)",
        ));
    } else {
        let place = next_to_pass(
            ctx,
            pass.as_ref(),
            format!(
                "# in the location that proxies the websocket ({}):",
                path.as_deref().unwrap_or("{location}")
            ),
        );
        f.fixes.push(review(
            format!("{place}\nproxy_read_timeout 3600s;\nproxy_send_timeout 3600s;"),
            "an idle websocket may stay open for an hour; best in a location of its own for the websocket path",
        ));
        f.fixes.push(super::fixes::reload(ctx));
    }
    f.fixes.push(safe(
        "# or have the app (or its websocket library) send a ping more often than the timeout, e.g. every 30s",
        "any frame from the backend restarts nginx's read timer, so a pinged socket never times out",
    ));
    f.verify.push(super::common::watch_log(
        ctx,
        "proxying upgraded connection",
    ));
    Some(f)
}

/// `connect() to unix:/run/gunicorn.sock failed (11: Resource temporarily
/// unavailable)` on an HTTP or uwsgi socket: the backend's listen queue is
/// full because every worker is busy (PHP-FPM's own socket is
/// `fpm_pool_exhausted`). nginx answers 502 at once.
fn saturated(ctx: &Ctx) -> Option<Finding> {
    let groups: Vec<_> =
        ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 11 }))
            .into_iter()
            .filter(|g| {
                g.key.upstream.as_ref().is_some_and(|u| {
                    matches!(u.scheme.as_str(), "http" | "https" | "uwsgi" | "grpc")
                })
            })
            .collect();
    let up = super::common::upstream_of(&groups)?;
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.confidence = 0.82;
    let target = up.addr.display();
    let svc = ctx.service_for(Some(&up));
    let who = if svc.known {
        format!("`{}`", svc.name)
    } else {
        "the backend".to_string()
    };
    f.title = format!("{target} is saturated: its listen queue is full, every worker is busy");
    f.summary = format!(
        "The connect to {target} failed with `(11: Resource temporarily unavailable)`: the socket's queue of connections \
         waiting for a worker is full, so {who} is busy with slow requests (or has too few workers). nginx answers 502 at once."
    );
    f.reasoning.push(format!(
        "{} of `(11: Resource temporarily unavailable)` connecting to {target}",
        plural(f.events, "line", "lines")
    ));
    let sock = up.addr.socket_path().map(str::to_string);
    f.fixes.push(safe(
        match &sock {
            Some(p) => format!("sudo ss -xlp | grep -F '{p}'"),
            None => match up.effective_port() {
                Some(port) => format!("sudo ss -tlnp 'sport = :{port}'"),
                None => "sudo ss -tlnp".to_string(),
            },
        },
        "Recv-Q (waiting connections) close to Send-Q (the queue size) on the LISTEN line confirms a full queue",
    ));
    f.fixes.push(review(
        "# more workers where the CPU and memory allow: gunicorn --workers (2 x cores + 1) or --threads; uWSGI processes/threads; a bigger queue only delays the 502 (gunicorn --backlog, uWSGI listen)",
        "the queue fills when requests arrive faster than the workers finish them",
    ));
    f.fixes
        .push(disruptive(svc.restart(), "apply the new worker count"));
    f.fixes.push(safe(
        svc.logs(),
        "find the slow requests (database, external API, CPU-heavy work that belongs in a background job)",
    ));
    let through = super::fixes::curl_timed(
        ctx,
        &f,
        super::common::first_path(&groups).as_deref().unwrap_or("/"),
        "expect 200, not 502",
    );
    f.verify.push(through);
    f.verify
        .push(super::fixes::watch_log("Resource temporarily unavailable"));
    Some(f)
}

/// Only an access log: 504s that all took about the same long time (60s
/// is nginx's default read timeout) are nginx's own timeout, logged in an
/// error.log at a level that hides it (`error_log … crit;`) or not pasted.
fn from_access_log(ctx: &Ctx) -> Option<Finding> {
    let a = &ctx.facts.access;
    let n504 = a.count_5xx(504);
    if n504 == 0 {
        return None;
    }
    // The most common duration of the 5xx lines, in seconds.
    let (&secs, &count) = a.time_5xx_seconds.iter().max_by_key(|(s, c)| (**c, **s))?;
    if secs < 5 || count * 2 < n504 {
        return None;
    }
    let mut f = Finding {
        events: n504,
        status: Some(504),
        confidence: 0.62,
        ..Finding::default()
    };
    for e in a
        .samples
        .iter()
        .filter(|e| e.text.contains(" 504 "))
        .take(4)
    {
        f.add_evidence(e.clone());
    }
    let path = a
        .samples
        .iter()
        .find(|e| e.text.contains(" 504 "))
        .and_then(|e| e.text.split('"').nth(1))
        .and_then(|r| r.split_whitespace().nth(1))
        .map(|u| u.split('?').next().unwrap_or(u).to_string());
    f.reasoning.push(format!(
        "{} in the access log, {count} of them after about {secs}s",
        plural(n504, "504", "504s")
    ));
    if (59..=61).contains(&secs) {
        f.reasoning.push(
            "60s is nginx's default proxy_read_timeout (and fastcgi_/uwsgi_read_timeout)".into(),
        );
    }
    f.title = format!(
        "Requests end with 504 after {secs}s: nginx's timeout runs out before the backend answers"
    );
    f.summary = format!(
        "The access log shows 504 Gateway Time-out after about {secs}s, the mark of nginx's own upstream timeout: the \
         backend took longer. The error.log line that names the upstream is not in the paste (or its level hides it)."
    );
    let secs_new = (secs * 2).max(300);
    f.fixes.push(review(
        format!(
            "# in the location that serves {}:\nproxy_read_timeout {secs_new}s;   # or fastcgi_read_timeout / uwsgi_read_timeout",
            path.as_deref().unwrap_or("{location}")
        ),
        "give this slow endpoint more time, not the whole site",
    ));
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(safe(
        "# find what is slow in the backend for this request (database, external API, a job that belongs in a queue)",
        "a longer timeout only buys time",
    ));
    let through = super::fixes::curl_timed(
        ctx,
        &f,
        path.as_deref().unwrap_or("/"),
        "expect 200 under the limit",
    );
    f.verify.push(through);
    f.next.push(super::fixes::next(
        "sudo grep -E 'upstream timed out|error_log' /var/log/nginx/error.log /etc/nginx/nginx.conf | tail -n 20",
        "the error.log line names the upstream and whether nginx timed out reading or connecting",
    ));
    Some(f)
}

/// The step that keeps the app server's own request limit at least as
/// long as nginx's new timeout, for the server the paste shows (its
/// listener's process, its log lines, its service name), or the usual ones
/// side by side when it does not say.
fn own_limit(ctx: &Ctx, up: Option<&crate::facts::Upstream>, service: &str, secs: u64) -> String {
    use crate::facts::Source;
    let port = up.and_then(|u| u.addr.port());
    let process = port
        .and_then(|p| {
            ctx.listeners_on_port(p)
                .into_iter()
                .find_map(|l| l.process.clone())
        })
        .unwrap_or_default();
    let logged = |s: Source| ctx.facts.groups.iter().any(|g| g.key.source == s);
    let named = |w: &str| process.contains(w) || service.contains(w);
    if named("gunicorn") || logged(Source::Gunicorn) {
        format!("# keep gunicorn's own limit at least as long: --timeout {secs} (or timeout = {secs} in gunicorn.conf.py)")
    } else if named("uvicorn") {
        format!("# uvicorn sets no time limit on a request; under gunicorn (-k uvicorn.workers.UvicornWorker) keep --timeout {secs} or more")
    } else if named("node") || named("pm2") || logged(Source::Node) || logged(Source::Pm2) {
        format!("# keep Node's own limits at least as long: server.requestTimeout and server.headersTimeout >= {secs}000 ms (the app's http server)")
    } else if named("puma") {
        format!("# keep the app's own limit at least as long: Rack::Timeout service_timeout >= {secs} if the app uses it")
    } else {
        format!("# keep the backend's own limit at least as long: gunicorn --timeout {secs}, uWSGI harakiri = {secs}, Node server.requestTimeout / server.headersTimeout")
    }
}
