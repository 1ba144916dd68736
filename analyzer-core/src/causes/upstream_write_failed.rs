//! `upstream_write_failed`: nginx could not send the request (32: Broken pipe).

use super::common::{methods, upstream_of};
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Action, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_write_failed",
    family: "upstream_closed_early",
    title: "The backend closed the connection while nginx was sending the request",
    docs: DOCS,
    signatures: &[
        "writev() failed (32: Broken pipe) while sending request to upstream",
        "sendfile() failed (32: Broken pipe)",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
nginx was still writing the request (usually a large body: an upload, a
big JSON POST) when the backend closed the connection. Typical reasons: the
backend's own body limit (Express `body-parser` `limit`, Django
`DATA_UPLOAD_MAX_MEMORY_SIZE`, PHP `post_max_size`/`upload_max_filesize`,
uWSGI `limit-post`) rejected it without reading it; the backend crashed
mid-upload; or a reused keepalive connection had just been closed.

## Why nginx answers 502 or 504
The request never arrived whole, so there is no response: **502** (or the
backend's early error response, such as 413, if it managed to send one).

## Evidence
- `writev() failed (32: Broken pipe) while sending request to upstream`.
- `sendfile() failed (32: Broken pipe) while sending request to upstream` (a buffered body).
- `writev() failed (104: Connection reset by peer) while sending request to upstream`.
- the requests are `POST`/`PUT` with bodies.

## Fix
Raise the backend's body limit to match nginx's `client_max_body_size`,
restart the backend, and retry the upload. For keepalive races see
`keepalive_race`.

## Verify
The same upload through nginx returns the backend's status, not 502.

## Known problems
`client intended to send too large body` is nginx's own limit (a 413 from
nginx, not this). `writev() failed (32: Broken pipe) while sending to client`
is the browser leaving and is not mapped.
"#;

fn is_write_failure(g: &EventGroup) -> bool {
    let sending = g.key.action == Some(Action::SendingRequest);
    match &g.key.signal {
        Signal::IoFailed { errno: 32, .. } => {
            sending || (g.key.action.is_none() && g.key.upstream.is_some())
        }
        Signal::IoFailed { call, errno: 104 } => {
            sending
                && matches!(
                    call.as_str(),
                    "writev" | "sendfile" | "send" | "write" | "SSL_write"
                )
        }
        _ => false,
    }
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|_| true)
        .into_iter()
        .filter(|g| is_write_failure(g))
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
    let svc = ctx.service_for(up.as_ref());
    let m = methods(&groups);
    let with_body = m
        .iter()
        .any(|x| matches!(x.as_str(), "POST" | "PUT" | "PATCH"));
    let path = super::common::first_path(&groups);
    f.confidence = if with_body { 0.8 } else { 0.7 };
    f.reasoning.push(format!(
        "{} of a failed write `while sending request to upstream` to {target}",
        plural(f.events, "line", "lines")
    ));
    if with_body {
        f.reasoning.push(format!(
            "the requests are {} with a body: a backend body limit is the usual reason",
            m.join("/")
        ));
    }
    f.title = format!("{target} closed the connection while nginx was still sending the request");
    f.summary = format!(
        "nginx was writing the request{} when {target} closed the connection (broken pipe), so there was no response and nginx \
         answered 502. The backend usually refuses a body bigger than its own limit, or crashed while receiving it.",
        if with_body { " body" } else { "" }
    );
    let kind = up.as_ref().map(|u| u.scheme.as_str()).unwrap_or("http");
    let limit = match kind {
        "fastcgi" => {
            let ini = match (ctx.distro(), super::common::php_version(ctx, &svc.name)) {
                (crate::facts::Distro::Rhel, _) => "/etc/php.ini".to_string(),
                (_, Some(v)) => format!("/etc/php/{v}/fpm/php.ini"),
                _ => "/etc/php/{php_version}/fpm/php.ini".to_string(),
            };
            format!("# {ini} (the FPM SAPI's php.ini):\npost_max_size = 64M\nupload_max_filesize = 64M")
        }
        "uwsgi" => "# uWSGI ini:\nlimit-post = 67108864".to_string(),
        _ => "# the app's body limit, as large as nginx's client_max_body_size, e.g.\n#   Express: app.use(express.json({ limit: '64mb' }))\n#   Django:  DATA_UPLOAD_MAX_MEMORY_SIZE = 67108864\n#   Spring:  spring.servlet.multipart.max-request-size=64MB".to_string(),
    };
    f.fixes.push(safe(svc.logs(), "the backend's log names the refused request (`request entity too large`, `PayloadTooLargeError`) or a crash"));
    f.fixes.push(review(
        limit,
        "let the backend accept the bodies nginx lets through",
    ));
    f.fixes.push(disruptive(
        svc.restart(),
        format!("restart `{}` to apply its new limit", svc.name),
    ));
    f.verify.push(format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n' -F 'file=@{{sample_file}}'{} http://127.0.0.1{}   # expect the backend's status, not 502",
        f.servers.first().map(|s| format!(" -H 'Host: {s}'")).unwrap_or_default(),
        path.as_deref().unwrap_or("{uri}")
    ));
    f.verify.push(super::common::watch_log(
        ctx,
        "while sending request to upstream",
    ));
    if ctx.facts.config.is_none() {
        f.next.push(next("sudo nginx -T | grep -nE 'client_max_body_size|keepalive'", "nginx's own body limit (the backend's should match) and whether upstream keepalive is on"));
    }
    f.next.push(next(
        svc.logs(),
        "the backend's reason for closing mid-request",
    ));
    vec![f]
}
