//! `uwsgi_protocol_mismatch`: nginx speaks HTTP to a uwsgi-protocol socket
//! (or the uwsgi protocol to uWSGI's HTTP socket).

use super::common::{http_method_of_block_size, nginx_symptoms, upstream_of};
use super::fixes::{next, review};
use super::{Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, Signal, Upstream, UwsgiIni};

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

The reverse happens too: `uwsgi_pass` to an address uWSGI opens with
`http-socket =` or `http =`, which expect plain HTTP. A pasted uWSGI ini
shows which option opens the address nginx uses.

## Why nginx answers 502 or 504
uWSGI drops the "oversized" packet and closes the connection: nginx logs
`upstream prematurely closed connection` and answers **502**.

## Evidence
- uWSGI: `invalid request block size: 21573 (max 4096)...skip`.
- The uWSGI ini (`[uwsgi]` section): `socket = 127.0.0.1:8000` where nginx
  has `proxy_pass http://127.0.0.1:8000;`, or `http-socket = :8000` where
  nginx has `uwsgi_pass 127.0.0.1:8000;`.
- nginx: `upstream prematurely closed connection while reading response header from upstream, … upstream: "http://127.0.0.1:8000/"`.

## Fix
Either keep the uwsgi protocol and make nginx speak it
(`include uwsgi_params; uwsgi_pass 127.0.0.1:8000;`), then
`sudo nginx -t && sudo systemctl reload nginx`; or make uWSGI speak HTTP
(`http-socket = 127.0.0.1:8000` instead of `socket =`) and restart it.
The reverse: `socket =` instead of `http-socket =` in the ini, or
`proxy_pass http://…` instead of `uwsgi_pass` in nginx.

## Verify
No new `invalid request block size` lines; the request succeeds through nginx.

## Known problems
Any other size with `uwsgi_pass` is a genuinely large request (cookies,
query string) over uWSGI's `buffer-size`: that is reported as `header_too_big`.
From the ini alone (no uWSGI log line), the mismatch is reported with less
confidence: uWSGI may open several sockets, and only the ones pasted count.
"#;

/// Which way the protocols cross.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// `proxy_pass http://` to uWSGI's `socket =`.
    HttpToUwsgi,
    /// `uwsgi_pass` to uWSGI's `http-socket =` / `http =`.
    UwsgiToHttp,
}

/// A pasted uWSGI ini that listens on `up` in the other protocol.
fn ini_mismatch<'a>(
    ctx: &Ctx<'a>,
    up: &Upstream,
) -> Option<(Direction, &'a UwsgiIni, &'static str, u64)> {
    let (ini, key, proto, line) = ctx.uwsgi_listening_on(&up.addr)?;
    let dir = match (up.scheme.as_str(), proto) {
        ("http" | "https", "uwsgi") => Direction::HttpToUwsgi,
        ("uwsgi", "http" | "https") => Direction::UwsgiToHttp,
        _ => return None,
    };
    Some((dir, ini, key, line))
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let sizes: Vec<&EventGroup> = ctx.groups(|s| matches!(s, Signal::UwsgiBlockSize { size, .. } if http_method_of_block_size(*size).is_some()));
    let symptoms = nginx_symptoms(ctx);
    // Without uWSGI's own complaint, a pasted ini whose socket speaks the
    // other protocol than nginx's directive for it (from the error.log's
    // upstream, else from the config's passes).
    let from_log = symptoms
        .iter()
        .filter_map(|g| g.key.upstream.as_ref())
        .find_map(|u| ini_mismatch(ctx, u).map(|m| (u.clone(), m)));
    let from_config = || {
        ctx.passes().into_iter().find_map(|p| {
            let u = p.upstream?;
            ini_mismatch(ctx, &u).map(|m| (u, m))
        })
    };
    let mismatch = if sizes.is_empty() {
        from_log.clone().or_else(from_config)
    } else {
        from_log.clone()
    };
    if sizes.is_empty() && mismatch.is_none() {
        return vec![];
    }
    let dir = mismatch
        .as_ref()
        .map_or(Direction::HttpToUwsgi, |(_, m)| m.0);
    let up = match &mismatch {
        Some((u, _)) => Some(u.clone()),
        None => upstream_of(&symptoms),
    };
    let matching: Vec<&EventGroup> = symptoms
        .iter()
        .copied()
        .filter(|g| up.is_none() || g.key.upstream.is_none() || g.key.upstream == up)
        .collect();
    let mut f = if sizes.is_empty() {
        Finding::from_groups(&matching)
    } else {
        let mut f = Finding::from_groups(&sizes);
        for g in &matching {
            f.events += g.count;
            for e in g.evidence().take(2) {
                f.add_evidence(e.clone());
            }
        }
        f
    };
    f.status = Some(502);
    f.upstreams.clear();
    if let Some(u) = &up {
        f.upstreams.push(u.addr.display());
    }
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "{host}:{port}".into());
    let svc = ctx.service_for(up.as_ref());
    let ini = mismatch.as_ref().map(|(_, m)| m.1).or_else(|| {
        up.as_ref()
            .and_then(|u| ctx.uwsgi_listening_on(&u.addr))
            .map(|m| m.0)
    });
    // Debian's and the emperor's unit are both `uwsgi` when nothing else is known.
    let name = if svc.name.starts_with('{') {
        "uwsgi".to_string()
    } else {
        svc.name.clone()
    };
    let restart = super::common::uwsgi_restart(&svc);
    f.explains = vec![
        "upstream_closed_early",
        "upstream_reset",
        "upstream_invalid_header",
    ];
    if !sizes.is_empty() {
        f.confidence = 0.93;
        let mut methods: Vec<&str> = sizes
            .iter()
            .filter_map(|g| match g.key.signal {
                Signal::UwsgiBlockSize { size, .. } => http_method_of_block_size(size),
                _ => None,
            })
            .collect();
        methods.dedup();
        f.reasoning.push(format!(
            "uWSGI's `invalid request block size` values decode to the HTTP request line `{} …`: nginx sends HTTP to a uwsgi socket",
            methods.join("`/`")
        ));
    } else {
        // The ini and a failing request to that address, or the ini and
        // the config alone (a set-up that cannot work, before any log).
        f.confidence = if from_log.is_some() { 0.88 } else { 0.72 };
    }
    let opt = mismatch.as_ref().map(|(_, m)| (m.2, m.3));
    if let (Some(ini), Some((key, line))) = (ini, opt) {
        let value = ini.get(key).unwrap_or_default();
        f.add_evidence(EvidenceLine::marked(line, &format!("{key} = {value}"), key));
        let (what, opt) = if ini.command {
            ("uWSGI's command line", format!("--{key}"))
        } else {
            ("the uWSGI ini", format!("{key} ="))
        };
        f.reasoning.push(match dir {
            Direction::HttpToUwsgi => format!(
                "{what} opens {target} with `{opt}` (line {line}), which speaks the binary uwsgi protocol"
            ),
            Direction::UwsgiToHttp => format!(
                "{what} opens {target} with `{opt}` (line {line}), which speaks HTTP"
            ),
        });
    }
    let cr = up.as_ref().and_then(|u| ctx.config_line_for(&u.addr));
    if let Some(cr) = &cr {
        f.add_evidence(EvidenceLine::marked(
            cr.line,
            &format!("{} {};", cr.pass.directive, cr.written),
            &cr.pass.directive,
        ));
        f.reasoning.push(format!(
            "nginx sends to {target} with `{}` ({})",
            cr.pass.directive,
            cr.place()
        ));
    } else if let Some(u) = up.as_ref().filter(|u| u.scheme == "http") {
        f.reasoning.push(format!(
            "nginx proxies to {} with `proxy_pass http://`",
            u.addr.display()
        ));
    }
    let from_command = ini.is_some_and(|i| i.command);
    let ini_file = match ini.and_then(|i| i.file.clone()) {
        Some(f) if !from_command => f,
        _ if from_command => format!("uWSGI's command line (sudo systemctl edit --full {name})"),
        _ => "the uWSGI ini file".into(),
    };
    // `socket = x` in an ini, `--socket x` on a command line.
    let set = |key: &str, value: &str| {
        if from_command {
            format!("--{key} {value}")
        } else {
            format!("{key} = {value}")
        }
    };
    let place = cr
        .as_ref()
        .map(|c| format!("at {}", c.place()))
        .unwrap_or_else(|| "in the nginx location".into());
    let bare = target.trim_start_matches("unix:").to_string();
    // uWSGI's own spelling of the address (`:8080`), when the ini was pasted.
    let ini_value = opt
        .and_then(|(k, _)| ini?.get(k))
        .unwrap_or(&bare)
        .to_string();
    match dir {
        Direction::HttpToUwsgi => {
            f.title = format!("nginx sends HTTP to {target}, which speaks the uwsgi protocol");
            f.summary = format!(
                "uWSGI listens on {target} with `socket =` (the binary uwsgi protocol), and nginx sends plain HTTP with `proxy_pass`. \
                 uWSGI reads the request line as a packet size, drops it and closes: nginx answers 502."
            );
            f.fixes.push(review(
                format!("# A. {place}, replace proxy_pass with:\ninclude uwsgi_params;\nuwsgi_pass {target};"),
                "make nginx speak the uwsgi protocol the socket expects",
            ));
            f.fixes.push(super::fixes::reload(ctx));
            let key = opt.map_or("socket", |(k, _)| k);
            f.fixes.push(review(
                format!(
                    "# B. or make uWSGI speak HTTP: in {ini_file}, replace `{}` with\n{}",
                    set(key, "…"),
                    set("http-socket", &ini_value)
                ),
                format!("then keep proxy_pass and restart uWSGI: {restart}"),
            ));
        }
        Direction::UwsgiToHttp => {
            let key = opt.map_or("http-socket", |(k, _)| k);
            f.title = format!("nginx speaks the uwsgi protocol to {target}, which speaks HTTP");
            f.summary = format!(
                "uWSGI listens on {target} with `{}` (plain HTTP), and nginx sends the binary uwsgi protocol with `uwsgi_pass`. \
                 uWSGI cannot read the request and closes the connection: nginx answers 502.",
                if from_command { format!("--{key}") } else { format!("{key} =") },
            );
            f.fixes.push(review(
                format!("# A. in {ini_file}, replace `{}` with\n{}", set(key, "…"), set("socket", &ini_value)),
                format!("make uWSGI speak the uwsgi protocol `uwsgi_pass` expects, then restart it: {restart}"),
            ));
            let http = if bare.starts_with('/') {
                format!("http://unix:{bare}:")
            } else {
                format!(
                    "http://{}",
                    bare.trim_start_matches("*:").trim_start_matches(':')
                )
            };
            f.fixes.push(review(
                format!("# B. or {place}, replace uwsgi_pass (and include uwsgi_params) with:\nproxy_pass {http};"),
                "keep uWSGI's HTTP socket and talk HTTP to it",
            ));
            f.fixes.push(super::fixes::reload(ctx));
        }
    }
    if !sizes.is_empty() || dir == Direction::HttpToUwsgi {
        f.verify.push(format!("sudo journalctl -u {name} --since '5 min ago' | grep -c 'invalid request block size'   # expect 0"));
    }
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if ctx.facts.config.is_none() {
        f.next.push(next(
            "sudo nginx -T | grep -nE 'proxy_pass|uwsgi_pass'",
            "shows which directive the location uses",
        ));
    }
    if ctx.facts.uwsgi.is_empty() {
        f.next.push(next(
            "grep -rnE '^\\s*(uwsgi-)?socket\\s*=' /etc/uwsgi/",
            "names the uWSGI ini file and line that opens the socket, for fix B",
        ));
    }
    vec![f]
}
