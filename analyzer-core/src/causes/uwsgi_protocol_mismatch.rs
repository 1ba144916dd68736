//! `uwsgi_protocol_mismatch`: nginx speaks HTTP to a uwsgi-protocol socket.

use super::common::{http_method_of_block_size, nginx_symptoms, upstream_of};
use super::fixes::{next, review};
use super::{Ctx, Finding, Rule};
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "uwsgi_protocol_mismatch",
    family: "wrong_port",
    title: "nginx speaks HTTP to a uwsgi-protocol socket",
    docs: DOCS,
    signatures: &[
        "invalid request block size: 21573",
        "invalid request block size: 21327",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
uWSGI's `socket =` option speaks the binary **uwsgi** protocol, whose packet
header is one byte of modifier and two bytes of little-endian size. When
nginx sends plain HTTP there (`proxy_pass http://…` instead of
`uwsgi_pass`), uWSGI reads the size from the request line itself: `GET ` →
21573, `POST` → 21327, `PUT ` → 21589, `HEAD` → 16709. Those numbers prove
the protocol mismatch.

## Why nginx answers 502 or 504
uWSGI drops the "oversized" packet and closes the connection: nginx logs
`upstream prematurely closed connection` and answers **502**.

## Evidence
- uWSGI: `invalid request block size: 21573 (max 4096)...skip`.
- nginx: `upstream prematurely closed connection while reading response header from upstream, … upstream: "http://127.0.0.1:8000/"`.

## Fix
Either keep the uwsgi protocol and make nginx speak it
(`include uwsgi_params; uwsgi_pass 127.0.0.1:8000;`), then
`sudo nginx -t && sudo systemctl reload nginx`; or make uWSGI speak HTTP
(`http-socket = 127.0.0.1:8000` instead of `socket =`) and restart it.

## Verify
No new `invalid request block size` lines; the request succeeds through nginx.

## Known problems
Any other size with `uwsgi_pass` is a genuinely large request (cookies,
query string) over uWSGI's `buffer-size`: that is reported as `header_too_big`.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx.groups(|s| matches!(s, Signal::UwsgiBlockSize { size, .. } if http_method_of_block_size(*size).is_some()));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let mut methods: Vec<&str> = groups
        .iter()
        .filter_map(|g| match g.key.signal {
            Signal::UwsgiBlockSize { size, .. } => http_method_of_block_size(size),
            _ => None,
        })
        .collect();
    methods.dedup();
    let symptoms = nginx_symptoms(ctx);
    let up = upstream_of(&symptoms);
    f.upstreams.clear();
    if let Some(u) = &up {
        f.upstreams.push(u.addr.display());
    }
    for g in &symptoms {
        f.events += g.count;
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "{host}:{port}".into());
    let svc = ctx.service_for(up.as_ref());
    let name = if svc.name == "{service}" {
        "uwsgi".to_string()
    } else {
        svc.name.clone()
    };
    f.confidence = 0.93;
    f.explains = vec![
        "upstream_closed_early",
        "upstream_reset",
        "upstream_invalid_header",
    ];
    f.reasoning.push(format!(
        "uWSGI's `invalid request block size` values decode to the HTTP request line `{} …`: nginx sends HTTP to a uwsgi socket",
        methods.join("`/`")
    ));
    if let Some(u) = &up {
        if u.scheme == "http" {
            f.reasoning.push(format!(
                "nginx proxies to {target} with `proxy_pass http://`"
            ));
        }
    }
    f.title = format!("nginx sends HTTP to {target}, which speaks the uwsgi protocol");
    f.summary = format!(
        "uWSGI listens on {target} with `socket =` (the binary uwsgi protocol), and nginx sends plain HTTP with `proxy_pass`. \
         uWSGI reads the request line as a packet size, drops it and closes: nginx answers 502."
    );
    f.fixes.push(review(
        format!("# A. in the nginx location, replace proxy_pass with:\ninclude uwsgi_params;\nuwsgi_pass {target};"),
        "make nginx speak the uwsgi protocol the socket expects",
    ));
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(review(
        format!("# B. or make uWSGI speak HTTP: in its ini file, replace `socket = …` with\nhttp-socket = {}", target.trim_start_matches("unix:")),
        format!("then keep proxy_pass and restart uWSGI: {}", if svc.name == "{service}" { format!("sudo systemctl restart {name}") } else { svc.restart() }),
    ));
    f.verify.push(format!("sudo journalctl -u {name} --since '5 min ago' | grep -c 'invalid request block size'   # expect 0"));
    f.verify.push(super::fixes::curl_through_nginx(
        f.servers.first().map(String::as_str),
    ));
    if ctx.facts.config.is_none() {
        f.next.push(next(
            "sudo nginx -T | grep -nE 'proxy_pass|uwsgi_pass'",
            "shows which directive the location uses",
        ));
    }
    vec![f]
}
