//! `socket_missing`: the unix socket in `*_pass` does not exist.

use super::fixes::{disruptive, next, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, Signal};

pub static RULE: Rule = Rule {
    id: "socket_missing",
    family: "socket_missing",
    title: "The unix socket does not exist",
    docs: DOCS,
    signatures: &["failed (2: No such file or directory) while connecting to upstream"],
    check,
};

const DOCS: &str = r#"
## What it means
nginx was told to connect to a unix socket (`fastcgi_pass unix:/run/php/php8.1-fpm.sock;`,
`proxy_pass http://unix:/run/gunicorn/app.sock;`) and the file is not there
(errno 2). Either the backend that creates it is not running, or it creates
the socket under another path (a PHP upgrade from 8.1 to 8.3 renames the
socket; the pool's `listen =` differs from `fastcgi_pass`).

## Why nginx answers 502 or 504
The connect fails at once, so nginx answers **502 Bad Gateway**.

## Evidence
- error.log at level `[crit]`: `connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream`.
- `ls -la /run/php/` shows another socket (`php8.3-fpm.sock`) or none.
- `systemctl status php8.1-fpm` says `could not be found` or `inactive (dead)`.

## Fix
If the backend is stopped, start it (`sudo systemctl enable --now php8.1-fpm`).
If another socket exists, point nginx at it and reload
(`sudo nginx -t && sudo systemctl reload nginx`). Sockets in `/tmp` are
invisible to an nginx started with `PrivateTmp=true`: move them under `/run/<service>/`.

## Verify
`ls -la <socket>` shows an `s` file; `ss -xlp | grep <socket>` lists the
backend; a request through nginx returns 200.

## Known problems
When the listing shows a different socket that exists, the cause is
reported as `wrong_port` (nginx points at the wrong path) and this one ranks below it.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 2 }));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = groups.iter().find_map(|g| g.key.upstream.clone());
    let path = up
        .as_ref()
        .and_then(|u| u.addr.socket_path().map(str::to_string))
        .or_else(|| {
            groups
                .iter()
                .find_map(|g| g.key.server.as_deref().and_then(Address::parse))
                .and_then(|a| a.socket_path().map(str::to_string))
        })
        .unwrap_or_else(|| "{socket_path}".into());
    let svc = ctx.service_for(up.as_ref());
    f.confidence = 0.82;
    f.reasoning.push(format!(
        "{} of `connect() to unix:{path} failed (2: No such file or directory)`",
        plural(f.events, "line", "lines")
    ));
    if ctx
        .facts
        .missing_paths
        .iter()
        .any(|m| super::ctx::same_path(&m.path, &path))
    {
        f.confidence += 0.1;
        f.reasoning
            .push("`ls` confirms the socket is missing".into());
    }
    if let Some(s) = ctx.facts.services.iter().rev().find(|s| s.name == svc.name) {
        if !s.is_running() {
            f.confidence += 0.08;
            f.reasoning.push(format!("`{}` is {}", s.name, s.state));
        }
    }
    f.title = format!("The socket {path} does not exist");
    f.summary = format!(
        "nginx connects to the unix socket {path}, and there is no such file: the backend that should create it \
         ({}) is not running, or it listens on another path. nginx answers 502 at once.",
        svc.name
    );
    f.fixes.push(disruptive(
        svc.start_enable(),
        format!("start `{}`: it creates {path} when it starts", svc.name),
    ));
    f.fixes.push(safe(format!("ls -la {}", parent(&path)), "if the service runs, see which socket it created instead (after a PHP upgrade the name changes)"));
    f.fixes
        .push(safe(svc.logs(), "if it does not start, its log says why"));
    f.verify
        .push(format!("ls -la {path}   # expect a line starting with 's'"));
    f.verify.push(format!(
        "sudo ss -xlp | grep {path}   # expect the backend process"
    ));
    f.verify.push(super::fixes::curl_through_nginx(
        f.servers.first().map(String::as_str),
    ));
    if ctx.facts.paths.is_empty() && ctx.facts.missing_paths.is_empty() {
        f.next.push(next(format!("ls -la {}", parent(&path)), "shows which sockets exist (a different PHP version's socket means nginx points at the wrong path)"));
    }
    if ctx.facts.services.is_empty() {
        f.next.push(next(
            format!("systemctl status {}", svc.name),
            "shows whether the backend runs",
        ));
    }
    vec![f]
}

fn parent(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..=i],
        None => p,
    }
}
