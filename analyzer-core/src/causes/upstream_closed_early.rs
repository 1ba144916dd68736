//! `upstream_closed_early`: the backend closed the connection before replying.

use super::common::{partner_names, upstream_of};
use super::fixes::{next, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Action, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_closed_early",
    family: "upstream_closed_early",
    title: "The backend closed the connection without answering",
    docs: DOCS,
    signatures: &[
        "upstream prematurely closed connection",
        "upstream prematurely closed FastCGI stdout",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
The backend accepted the connection, then closed it before sending a
complete response header. It is a symptom: the backend's own log says why at
the same second. Usual partners: a worker killed by its watchdog (gunicorn
`WORKER TIMEOUT`, uWSGI `HARAKIRI`, PHP-FPM `execution timed out`), a crash
(`SIGSEGV`), the kernel OOM killer, uWSGI `invalid request block size`
(HTTP spoken to a uwsgi socket), an HTTP/2-only server receiving HTTP/1, or a
reused keepalive connection the backend had just closed.

## Why nginx answers 502 or 504
A connection closed with no response header leaves nothing to relay:
**502 Bad Gateway**. When it happens `while reading upstream`, the headers
were already sent and the client gets a truncated response instead.

## Evidence
- `upstream prematurely closed connection while reading response header from upstream`.
- `upstream prematurely closed FastCGI stdout while reading upstream` (PHP died mid-response).
- a TLS upstream under OpenSSL 3: `SSL_read() failed (SSL: error:0A000126:SSL
  routines::unexpected eof while reading)`, the same close without a TLS
  close_notify. Some servers never send one after a whole response; then the
  line is noise, and only cut responses make it a problem.
- access log: 502 with a small `$upstream_response_time` (crash, race) or one equal to
  the backend's own timeout (killed by its watchdog).
- the backend's own crash at the same time, when it is Apache (`AH00052: child pid
  2345 exit signal Segmentation fault (11)`) or another program the kernel logs a
  `segfault` for: a module or extension of the backend crashed its worker.

## Fix
Follow the partner line: this report ranks the partner cause above this one
when it is in the paste. Without one, read the backend's log for the same
second, and reproduce with `curl -v` directly against the backend.

## Verify
`grep -c 'prematurely closed' /var/log/nginx/error.log` stops growing under the same traffic.

## Known problems
`client prematurely closed connection` is the browser leaving, not the
backend, and is not mapped. Sporadic closes on POST only, after idle gaps,
with no backend error, are a keepalive race (`keepalive_race`).
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<_> = ctx
        .nginx_groups(|s| matches!(s, Signal::PrematureClose))
        .into_iter()
        .filter(|g| !matches!(g.key.action, Some(Action::ClientSide | Action::Upgraded)))
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
    let mid_body: u64 = groups
        .iter()
        .filter(|g| g.key.action == Some(Action::ReadingUpstream))
        .map(|g| g.count)
        .sum();
    let fastcgi = up.as_ref().is_some_and(|u| u.scheme == "fastcgi");
    f.confidence = if mid_body * 2 > f.events { 0.55 } else { 0.7 };
    f.reasoning.push(format!(
        "{} of `upstream prematurely closed` from {target}",
        plural(f.events, "line", "lines")
    ));
    // OpenSSL 3's form of the same close on a TLS upstream.
    let tls_eof = groups.iter().any(|g| {
        g.evidence()
            .any(|e| e.text.contains("unexpected eof while reading"))
    });
    if tls_eof {
        f.reasoning.push(format!(
            "`SSL_read() … unexpected eof while reading`: {target} closed the TLS connection without a close_notify. If its responses arrive whole, it only skips close_notify (noisy with OpenSSL 3, harmless); if they are cut, it stops mid-answer"
        ));
    }
    let partners = partner_names(ctx);
    if !partners.is_empty() {
        f.reasoning.push(format!(
            "the paste also has the backend-side reason: {}",
            partners.join(", ")
        ));
    } else {
        f.reasoning.push(
            "no backend-side partner line (crash, watchdog kill, OOM) is in the paste".into(),
        );
    }
    if mid_body * 2 > f.events {
        f.reasoning.push("mostly `while reading upstream`: the headers were sent, so clients see truncated responses".into());
    }
    let truncated = mid_body * 2 > f.events;
    let in_log = if svc.known {
        format!(" ({})", svc.name)
    } else {
        String::new()
    };
    if truncated {
        // The status line was relayed already: clients got that status
        // (most often 200) with a cut body, not a 502.
        f.status = None;
    }
    f.title = if truncated {
        format!("{target} closed the connection in the middle of its response")
    } else {
        format!("{target} closed the connection before answering")
    };
    f.summary = if truncated {
        format!(
            "The backend sent its response headers, then closed the connection before the body was complete, so clients \
             got a truncated response (a broken download, a page cut short) under the status already sent, not a 502. \
             The reason is in the backend's own log at the same second{in_log}: a worker killed by a timeout, a crash, an \
             out-of-memory kill, or a streaming response the backend gave up on."
        )
    } else if partners.is_empty() {
        format!(
            "The backend accepted the request, then closed the connection without a complete response, so nginx answered 502. \
             The reason is in the backend's own log at the same second{in_log}: a worker killed by a timeout, a crash, or an out-of-memory kill."
        )
    } else {
        format!(
            "The backend accepted the request, then closed the connection without a complete response, so nginx answered 502. \
             The backend's side of the story is in the paste: see {}.",
            partners.join(", ")
        )
    };
    websocket_upgrade(ctx, &groups, up.as_ref(), &mut f);
    let since = f
        .first_time
        .map(|t| format!(" --since '{}'", crate::time::format_time(t - 60)))
        .unwrap_or_default();
    let linux = super::common::on_linux(ctx);
    // In a container, or off Linux, the generic backend log command.
    let container_backend = (ctx.facts.nginx_in_container || !linux) && !svc.known;
    match svc.manager {
        _ if container_backend => f.fixes.push(safe(
            super::common::backend_log_cmd(ctx, &svc),
            "the backend container's reason for closing, at the same time as nginx's lines",
        )),
        super::ctx::Manager::Systemd => f.fixes.push(safe(
            format!("sudo journalctl -u {}{since} --no-pager | grep -iE 'timeout|harakiri|signal|killed|error|memory' | head -n 40", svc.name),
            "the backend's reason for closing, at the same time as nginx's lines",
        )),
        _ => f.fixes.push(safe(svc.logs(), "the backend's reason for closing, at the same time as nginx's lines")),
    }
    if linux {
        f.fixes.push(safe(
            "sudo dmesg -T | grep -iE 'killed process|out of memory|segfault' | tail -n 20",
            "a kernel OOM kill or a segfault of the backend explains a silent close",
        ));
    }
    if fastcgi {
        f.fixes.push(safe(
            format!(
                "sudo grep -E 'exited on signal|execution timed out' {} | tail -n 20",
                super::common::fpm_log(ctx, &svc.name)
            ),
            "PHP-FPM logs the child that died or was killed by request_terminate_timeout",
        ));
    } else if let Some(u) = &up {
        if let (Some(h), Some(p)) = (u.addr.host(), u.effective_port()) {
            let h = if h.contains(':') {
                format!("[{h}]")
            } else {
                h.to_string()
            };
            f.fixes.push(safe(
                format!("curl -sv -o /dev/null http://{h}:{p}{} 2>&1 | tail -n 5", super::common::first_path(&groups).as_deref().unwrap_or("/")),
                "reproduce against the backend directly: `Empty reply from server` confirms the backend closes",
            ));
        }
    }
    f.verify.push(if ctx.facts.nginx_in_container {
        format!("docker compose logs --since 10m {} 2>&1 | grep -c 'prematurely closed'   # run again later under the same traffic: expect 0", ctx.nginx_service())
    } else if !linux {
        super::common::watch_log(ctx, "prematurely closed")
    } else {
        "sudo grep -c 'prematurely closed' /var/log/nginx/error.log   # run twice under the same traffic: expect no growth".into()
    });
    if let Some(crash) = super::common::worker_crash(ctx) {
        super::common::crash_explain(ctx, &mut f, crash);
    }
    super::common::body_limit_hint(ctx, &groups, &mut f);
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if partners.is_empty() {
        f.next.push(next(
            match svc.manager {
                _ if container_backend => super::common::backend_log_cmd(ctx, &svc),
                super::ctx::Manager::Systemd if svc.known => format!("sudo journalctl -u {}{since} --no-pager -n 200", svc.name),
                super::ctx::Manager::Systemd => "sudo journalctl -u {service} --no-pager -n 200   # the backend's unit".to_string(),
                _ => svc.logs(),
            },
            "the backend's log at the time of the 502 names the reason (worker timeout, crash, OOM)",
        ));
        if linux {
            f.next.push(next(
                "sudo dmesg -T | tail -n 50",
                "shows OOM kills and segfaults",
            ));
        }
        if ctx.facts.config.is_none() {
            f.next.push(next(
                "sudo nginx -T | grep -nE 'keepalive|proxy_http_version|upstream '",
                "upstream keepalive makes sporadic closes on POST a keepalive race",
            ));
        }
    }
    vec![f]
}

/// WebSocket handshakes that end in a premature close: nginx forwards the
/// `Upgrade` request only when told to (`proxy_http_version 1.1` and the
/// `Upgrade`/`Connection` headers); otherwise the backend gets a plain GET
/// on its WebSocket endpoint and drops it. Checked against the pasted
/// location when there is one.
fn websocket_upgrade(
    ctx: &Ctx,
    groups: &[&crate::facts::EventGroup],
    up: Option<&crate::facts::Upstream>,
    f: &mut Finding,
) {
    if !super::common::websocket_requests(groups) {
        return;
    }
    let pass = up.and_then(|u| super::common::pass_for(ctx, u));
    let forwards = pass.as_ref().and_then(|p| {
        let cfg = ctx.facts.config.as_ref()?;
        Some(
            cfg.effective_all(p, "proxy_set_header")
                .iter()
                .any(|d| d.arg(0).is_some_and(|h| h.eq_ignore_ascii_case("upgrade"))),
        )
    });
    if forwards == Some(true) {
        f.reasoning.push(
            "the failing requests are WebSocket handshakes, and the location forwards `Upgrade`: the backend itself closes them".into(),
        );
        return;
    }
    let place = match &pass {
        Some(p) => format!(
            "in the location {} ({}), next to proxy_pass",
            p.location.as_deref().unwrap_or("/"),
            ctx.pass_place(p)
        ),
        None => "in the location that serves the WebSocket path, next to proxy_pass".into(),
    };
    if forwards == Some(false) {
        f.confidence += 0.12;
        f.reasoning.push(format!(
            "the failing requests are WebSocket handshakes, and the location that serves them ({}) sets no `proxy_set_header Upgrade`: nginx sends them on as plain HTTP/1.0 GETs",
            pass.as_ref().map(|p| ctx.pass_place(p)).unwrap_or_default()
        ));
        let target = up
            .map(|u| u.addr.display())
            .unwrap_or_else(|| "the backend".into());
        f.title =
            format!("{target} closes WebSocket handshakes that nginx does not forward as upgrades");
        f.summary = format!(
            "The failing requests are WebSocket handshakes. Without `proxy_http_version 1.1` and the `Upgrade`/`Connection` \
             headers nginx sends them to {target} as plain requests, and the backend closes the connection without an answer, \
             so nginx answers 502."
        );
    } else {
        f.reasoning.push(
            "the failing requests are WebSocket handshakes: nginx forwards them only with `Upgrade`/`Connection` set (the config is not in the paste)".into(),
        );
    }
    f.fixes.push(super::fixes::review(
        format!(
            "# {place}:\nproxy_http_version 1.1;\nproxy_set_header Upgrade $http_upgrade;\nproxy_set_header Connection $connection_upgrade;\nproxy_read_timeout 1h;\n# and once in the http {{}} block:\nmap $http_upgrade $connection_upgrade {{\n    default upgrade;\n    ''      close;\n}}"
        ),
        "forward the WebSocket upgrade (a location that sets any proxy_set_header inherits none from above, so keep Host and the others there too); the longer read timeout keeps idle sockets open",
    ));
    f.fixes.push(super::fixes::reload(ctx));
}
