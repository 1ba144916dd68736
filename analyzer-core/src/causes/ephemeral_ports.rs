//! `ephemeral_ports`: nginx has no local port left towards a backend (99).

use super::common::upstream_of;
use super::fixes::{next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "ephemeral_ports",
    family: "other",
    title: "nginx has run out of local ports towards the backend",
    docs: DOCS,
    signatures: &["(99: Cannot assign requested address) while connecting to upstream"],
    check,
};

const DOCS: &str = r#"
## What it means
Every TCP connection from nginx to one backend address needs its own local
port from `net.ipv4.ip_local_port_range` (about 28 000 by default). Without
upstream keepalive, each request opens a new connection, and each closed one
sits in `TIME_WAIT` for 60 seconds. At a few hundred requests per second the
range is used up and `connect()` fails with `(99: Cannot assign requested address)`.

## Why nginx answers 502 or 504
No local port, no connection: nginx answers **502 Bad Gateway** at once.

## Evidence
- `[crit] connect() to 127.0.0.1:8080 failed (99: Cannot assign requested address) while connecting to upstream`.
- `ss -s` shows tens of thousands of connections in `timewait`.

## Fix
Reuse connections: an `upstream {}` block with `keepalive 32;`, and in the
location `proxy_http_version 1.1;` and `proxy_set_header Connection "";`
(needed before nginx 1.29.7), then `sudo nginx -t && sudo systemctl reload nginx`.
Widening `net.ipv4.ip_local_port_range` buys headroom.

## Verify
`ss -s` shows far fewer `timewait`; no new `(99: …)` lines under the same load.

## Known problems
`connect() to [::1]:… failed (99: …)` is something else: IPv6 is disabled
on the loopback while `localhost` resolves to `::1`, so nginx cannot use an
IPv6 source address at all. That case is not this rule (use `127.0.0.1` in
`proxy_pass`).
"#;

fn is_ipv6_target(g: &EventGroup) -> bool {
    let addr = g
        .key
        .server
        .as_deref()
        .and_then(Address::parse)
        .or_else(|| g.key.upstream.as_ref().map(|u| u.addr.clone()));
    addr.as_ref()
        .and_then(|a| a.host())
        .is_some_and(|h| h.contains(':'))
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 99 }))
        .into_iter()
        .filter(|g| !is_ipv6_target(g))
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
        .unwrap_or_else(|| "{host}:{port}".into());
    let scheme = up
        .as_ref()
        .map(|u| u.scheme.clone())
        .unwrap_or_else(|| "http".into());
    let p = super::common::directive_prefix(&scheme);
    f.confidence = 0.85;
    f.reasoning.push(format!(
        "{} of `(99: Cannot assign requested address)` towards {target}",
        plural(f.events, "line", "lines")
    ));
    f.title = format!("nginx has no local port left to connect to {target}");
    f.summary = format!(
        "Each new connection to {target} takes a local port, and closed ones wait 60s in TIME_WAIT. Without upstream keepalive, \
         heavy traffic uses up the whole port range; `connect()` fails and nginx answers 502."
    );
    f.fixes.push(safe(
        "ss -s | grep -i timewait; sysctl net.ipv4.ip_local_port_range",
        "tens of thousands of timewait sockets confirm it",
    ));
    let keep = match p {
        "fastcgi" => format!(
            "upstream app_backend {{\n    server {target};\n    keepalive 32;\n}}\n# in the location:\nfastcgi_pass app_backend;\nfastcgi_keep_conn on;"
        ),
        "proxy" => format!(
            "upstream app_backend {{\n    server {target};\n    keepalive 32;\n}}\n# in the location:\nproxy_pass {scheme}://app_backend;\nproxy_http_version 1.1;          # needed before nginx 1.29.7\nproxy_set_header Connection \"\";  # needed before nginx 1.29.7"
        ),
        other => format!("upstream app_backend {{\n    server {target};\n    keepalive 32;\n}}\n# in the location: {other}_pass app_backend;"),
    };
    f.fixes.push(review(
        keep,
        "reuse connections to the backend instead of opening one per request",
    ));
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(review(
        "echo 'net.ipv4.ip_local_port_range = 10240 65535' | sudo tee /etc/sysctl.d/60-port-range.conf && sudo sysctl --system",
        "more ports as headroom (keepalive is the real fix)",
    ));
    f.verify
        .push("ss -s | grep -i timewait   # expect a much smaller number".into());
    f.verify.push(super::common::watch_log(
        ctx,
        "Cannot assign requested address",
    ));
    if ctx.facts.config.is_none() {
        f.next.push(next(
            "sudo nginx -T | grep -nE 'upstream |keepalive|_pass'",
            "shows whether an upstream block with keepalive exists already",
        ));
    }
    vec![f]
}
