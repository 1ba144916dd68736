//! `header_too_big`: a header block does not fit a buffer (nginx's or the backend's).

use super::common::{directive_prefix, is_http_block_size};
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "header_too_big",
    family: "header_too_big",
    title: "The response headers are bigger than nginx's buffer",
    docs: DOCS,
    signatures: &["upstream sent too big header", "invalid request block size"],
    check,
};

const DOCS: &str = r#"
## What it means
nginx reads the backend's status line and **all** response headers into one
buffer, `proxy_buffer_size` (or `fastcgi_`/`uwsgi_`/`scgi_`/`grpc_buffer_size`),
one memory page (4k) by default. Big `Set-Cookie` headers (OAuth/OIDC
sessions, JWTs), long `Content-Security-Policy` or `Link` headers, or PHP
notices printed before the headers do not fit. The backend's own limit can
be the one hit too: uWSGI logs `invalid request block size: 5812 (max 4096)`
when the request variables (cookies, query string) exceed its `buffer-size`.

## Why nginx answers 502 or 504
nginx cannot parse a response whose headers do not fit, so it answers
**502 Bad Gateway**; uWSGI drops a request it cannot buffer, which nginx sees
as a premature close (502).

## Evidence
- error.log: `upstream sent too big header while reading response header from upstream`.
- uWSGI log: `invalid request block size: 5812 (max 4096)...skip` with a size that is
  not 21573/21327/21589/16709 (those mean HTTP was sent to a uwsgi socket: `uwsgi_protocol_mismatch`).
- `curl -sS -o /dev/null -D - http://127.0.0.1:<port>/<uri> | wc -c` above 4096.

## Fix
Raise the first buffer **and** the buffers together, keeping the busy size
consistent (nginx checks it: busy ≥ the larger of `*_buffer_size` and one
buffer, and busy < all buffers minus one):
`proxy_buffer_size 16k; proxy_buffers 8 16k; proxy_busy_buffers_size 32k;`
(`fastcgi_buffer_size 32k; fastcgi_buffers 16 16k; fastcgi_busy_buffers_size 32k;`),
then `sudo nginx -t && sudo systemctl reload nginx`. For uWSGI raise
`buffer-size` in its ini file and restart it. Shrinking the headers
(server-side sessions) is the lasting fix.

## Verify
The same request returns the backend's status through nginx; no new
`too big header` (or `invalid request block size`) lines.

## Known problems
Raising only `proxy_buffer_size` to 16k with the default `proxy_buffers 8 4k`
fails the config test (`"proxy_busy_buffers_size" must be less than the size
of all "proxy_buffers" minus one buffer`); the fix here always sets all three.
`grpc_pass` has only `grpc_buffer_size`.
"#;

/// A consistent set whose header buffer is at least `min_kb` (the next
/// power of two): busy = 2 × size, which is ≥ one buffer and < 7 buffers.
pub fn buffer_set_at_least(prefix: &str, min_kb: u32) -> String {
    let default = if prefix == "fastcgi" { 32 } else { 16 };
    if min_kb <= default {
        return match prefix {
            "fastcgi" => {
                "fastcgi_buffer_size 32k;\nfastcgi_buffers 16 16k;\nfastcgi_busy_buffers_size 32k;"
                    .into()
            }
            "grpc" => "grpc_buffer_size 16k;".into(),
            p => format!("{p}_buffer_size 16k;\n{p}_buffers 8 16k;\n{p}_busy_buffers_size 32k;"),
        };
    }
    let s = min_kb.next_power_of_two();
    match prefix {
        "grpc" => format!("grpc_buffer_size {s}k;"),
        p => format!(
            "{p}_buffer_size {s}k;\n{p}_buffers 8 {s}k;\n{p}_busy_buffers_size {}k;",
            2 * s
        ),
    }
}

/// uWSGI `buffer-size` that fits a block: the next power of two, at most 65535.
fn uwsgi_buffer_for(size: u32) -> u32 {
    size.max(4097).next_power_of_two().min(65535)
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let mut out = Vec::new();
    let nginx = ctx.nginx_groups(|s| matches!(s, Signal::TooBigHeader));
    if !nginx.is_empty() {
        out.push(nginx_finding(ctx, &nginx));
    }
    let uwsgi: Vec<&EventGroup> = ctx
        .groups(|s| matches!(s, Signal::UwsgiBlockSize { size, .. } if !is_http_block_size(*size)));
    if !uwsgi.is_empty() {
        out.push(uwsgi_finding(ctx, &uwsgi));
    }
    out
}

fn nginx_finding(ctx: &Ctx, groups: &[&EventGroup]) -> Finding {
    let mut f = Finding::from_groups(groups);
    f.status = Some(502);
    let up = super::common::upstream_of(groups);
    let scheme = up
        .as_ref()
        .map(|u| u.scheme.clone())
        .unwrap_or_else(|| "http".into());
    let p = directive_prefix(&scheme);
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "the backend".into());
    let path = super::common::first_path(groups);
    f.confidence = 0.92;
    f.reasoning.push(format!(
        "{} of `upstream sent too big header` from {target}",
        plural(f.events, "line", "lines")
    ));
    let login_like = path.as_deref().is_some_and(|p| {
        [
            "login", "callback", "oauth", "auth", "signin", "sso", "saml", "oidc",
        ]
        .iter()
        .any(|k| p.to_ascii_lowercase().contains(k))
    });
    if login_like {
        f.reasoning.push("the failing path is a login/callback URL: large session or token cookies are the usual culprit".into());
    }
    f.title = format!("{target} sends response headers bigger than `{p}_buffer_size`");
    f.summary = format!(
        "The status line and headers of the backend's reply must fit in one `{p}_buffer_size` buffer (4k by default){}. \
         They do not, so nginx cannot read the reply and answers 502.",
        if p == "fastcgi" { "; PHP notices printed before the headers count too" } else if login_like { "; big Set-Cookie headers from a login flow are typical" } else { "" }
    );
    // What the pasted config already sets: the new size must be above it.
    let pass = up.as_ref().and_then(|u| super::common::pass_for(ctx, u));
    if let (Some(u), "proxy") = (&up, p) {
        if let Some(cmd) =
            measure_headers(ctx, u, pass.as_ref(), f.servers.first(), path.as_deref())
        {
            f.fixes.push(safe(
                cmd,
                "measure the headers straight from the backend and find the biggest one",
            ));
        }
    }
    let current = pass.as_ref().and_then(|ps| {
        let cfg = ctx.facts.config.as_ref()?;
        let d = cfg.effective(ps, &format!("{p}_buffer_size"))?;
        Some((
            super::common::size_kb(d.arg(0)?)?,
            d.line,
            d.location_label(),
        ))
    });
    if let Some((kb, line, label)) = &current {
        f.reasoning.push(format!(
            "`{p}_buffer_size` is already {kb}k ({label}): the headers are bigger still"
        ));
        f.add_evidence(crate::facts::EvidenceLine::new(
            *line,
            &format!("{p}_buffer_size {kb}k;"),
        ));
    }
    if let Some((kb, _, _)) = &current {
        f.summary = f
            .summary
            .replace("(4k by default)", &format!("(here {kb}k, already raised)"));
    }
    let set = buffer_set_at_least(p, current.as_ref().map(|c| c.0 * 2).unwrap_or(0));
    let loc = match &pass {
        Some(ps) => format!(
            "the location {} ({})",
            ps.location.as_deref().unwrap_or("/"),
            ctx.pass_place(ps)
        ),
        None => format!(
            "the server or location that serves {}",
            path.clone().unwrap_or_else(|| "{location}".into())
        ),
    };
    if ctx.facts.ingress_nginx && p == "proxy" {
        let steps = super::common::ingress_annotate(
            ctx,
            f.servers.first().map(String::as_str),
            "nginx.ingress.kubernetes.io/proxy-buffer-size=16k",
            "ingress-nginx sets proxy_buffer_size from this annotation (or `proxy-buffer-size` in its ConfigMap for every Ingress)",
        );
        f.fixes.extend(steps);
    } else {
        f.fixes.push(review(
        format!("# in {loc}, next to {p}_pass:\n{set}"),
        if p == "grpc" {
            "grpc_pass has one header buffer: make it bigger".to_string()
        } else {
            format!("raise the header buffer and keep `{p}_buffers`/`{p}_busy_buffers_size` consistent, or `nginx -t` refuses the change")
        },
    ));
    }
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(safe(
        "# lasting fix: keep sessions server-side and cookies small; drop debug headers; for PHP set display_errors = Off so notices do not precede the headers",
        "bigger buffers cost memory per connection; smaller headers do not",
    ));
    let through = super::fixes::curl_status(
        ctx,
        &f,
        path.as_deref().unwrap_or("/"),
        "expect the backend's status, not 502",
    );
    f.verify.push(through);
    f.verify
        .push(super::common::watch_log(ctx, "too big header"));
    if ctx.facts.config.is_none() {
        f.next.push(next(
            format!("sudo nginx -T | grep -nE '{p}_(buffer_size|buffers|busy_buffers_size)'"),
            "shows buffer sizes already set, so the new ones are not lower",
        ));
    }
    f
}

/// A command that prints the backend's response headers by size, run
/// where nginx's own view of the network is: on the host, in nginx's
/// compose service (a service name like `web:8000` resolves only there),
/// or from a one-off pod in Kubernetes (pod addresses are the cluster's).
fn measure_headers(
    ctx: &Ctx,
    u: &crate::facts::Upstream,
    pass: Option<&crate::artifacts::nginx_config::Pass>,
    server: Option<&String>,
    path: Option<&str>,
) -> Option<String> {
    // The name nginx was given, when it names a host (`web:8000`): it
    // resolves inside the compose network, where the logged IP may change.
    let written = pass
        .and_then(|p| p.upstream.as_ref())
        .filter(|pu| {
            pu.addr
                .host()
                .is_some_and(|h| h.parse::<std::net::IpAddr>().is_err() && h != "localhost")
                && pu.addr.port().is_some()
        })
        .filter(|_| ctx.facts.nginx_in_container);
    let addr = written.map_or(&u.addr, |w| &w.addr);
    let hp = addr.host()?;
    let port = if written.is_some() {
        addr.port()?
    } else {
        u.effective_port()?
    };
    let host = if hp.contains(':') {
        format!("[{hp}]")
    } else {
        hp.to_string()
    };
    let host_hdr = server
        .filter(|s| s.as_str() != "_")
        .map(|s| format!(" -H 'Host: {s}'"))
        .unwrap_or_default();
    let curl_args = format!(
        "-sS -o /dev/null -D -{host_hdr} http://{host}:{port}{}",
        path.unwrap_or("/")
    );
    let by_size = "| awk '{print length, $1}' | sort -rn | head";
    Some(if ctx.facts.ingress_nginx || ctx.facts.kubernetes {
        let ns = ctx
            .pod_namespace()
            .filter(|n| *n != "ingress-nginx")
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        format!("kubectl run header-size{ns} --rm -i --restart=Never --image=curlimages/curl -- {curl_args} {by_size}   # a one-off pod: pod addresses are reachable inside the cluster only")
    } else if ctx.facts.nginx_in_container {
        format!(
            "{} {by_size}",
            ctx.in_nginx_container(&format!("curl {curl_args}"))
        )
    } else {
        format!("curl {curl_args} {by_size}")
    })
}

fn uwsgi_finding(ctx: &Ctx, groups: &[&EventGroup]) -> Finding {
    let mut f = Finding::from_groups(groups);
    f.status = Some(502);
    let (size, max) = groups
        .iter()
        .filter_map(|g| match g.key.signal {
            Signal::UwsgiBlockSize { size, max } => Some((size, max)),
            _ => None,
        })
        .max()
        .unwrap_or((0, 4096));
    let want = uwsgi_buffer_for(size);
    let up = super::common::nginx_upstream(ctx, |s| matches!(s, Signal::PrematureClose));
    let svc = ctx.service_for(up.as_ref());
    f.confidence = 0.85;
    f.explains = vec!["upstream_closed_early", "upstream_reset"];
    f.reasoning.push(format!(
        "uWSGI logged `invalid request block size: {size} (max {max})`: {size} is not what an HTTP request line reads as, so the request variables really are that big"
    ));
    for g in super::common::nginx_symptoms(ctx) {
        f.events += g.count;
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    f.title = format!("uWSGI rejects requests of {size} bytes: its buffer-size is {max}");
    f.summary = format!(
        "uWSGI reads each request's variables (headers, cookies, query string) into `buffer-size` bytes ({max}). A {size}-byte \
         request does not fit, so uWSGI drops it and nginx answers 502."
    );
    f.fixes.push(review(
        format!("# in the uWSGI ini file ([uwsgi] section):\nbuffer-size = {want}"),
        format!("the next power of two above {size} (uWSGI allows up to 65535)"),
    ));
    f.fixes.push(disruptive(
        svc.restart(),
        format!("restart `{}` to apply it", svc.name),
    ));
    f.fixes.push(safe("# then find what makes requests that big: cookies piling up on the domain, huge query strings", "a bigger buffer hides a growing cookie only for a while"));
    f.verify.push(format!(
        "{} | grep -c 'invalid request block size'   # expect 0 after the restart",
        svc.logs()
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    f.next.push(next(
        "grep -rn 'buffer-size' /etc/uwsgi/ /srv 2>/dev/null",
        "shows the buffer-size in force and the ini file to edit",
    ));
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb(s: &str) -> u32 {
        s.trim_end_matches('k').parse::<u32>().unwrap()
    }

    /// nginx's rule (§2.9): max(buffer_size, one buffer) <= busy < all buffers - one buffer.
    #[test]
    fn buffer_sets_pass_nginx_config_test() {
        for (p, min) in ["proxy", "fastcgi", "uwsgi", "scgi"]
            .iter()
            .flat_map(|p| [(*p, 0), (*p, 32), (*p, 64), (*p, 100)])
        {
            let set = buffer_set_at_least(p, min);
            let mut size = 0;
            let (mut n, mut one) = (0, 0);
            let mut busy = 0;
            for line in set.lines() {
                let w: Vec<&str> = line.trim_end_matches(';').split_whitespace().collect();
                match w[0] {
                    d if d.ends_with("_busy_buffers_size") => busy = kb(w[1]),
                    d if d.ends_with("_buffer_size") => size = kb(w[1]),
                    d if d.ends_with("_buffers") => {
                        n = w[1].parse().unwrap();
                        one = kb(w[2]);
                    }
                    _ => unreachable!(),
                }
            }
            assert!(size >= min, "{p} {min}");
            assert!(busy >= size.max(one), "{p} {min}");
            assert!(busy < n * one - one, "{p} {min}");
        }
    }

    #[test]
    fn uwsgi_sizes() {
        assert_eq!(uwsgi_buffer_for(5812), 8192);
        assert_eq!(uwsgi_buffer_for(40000), 65535);
        assert_eq!(uwsgi_buffer_for(4096), 8192);
    }
}
