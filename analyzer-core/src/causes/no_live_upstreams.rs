//! `no_live_upstreams`: every server of an `upstream {}` group is marked failed.

use super::fixes::{next, review, safe};
use super::{plural, push_unique, Ctx, Finding, Rule};
use crate::facts::{Action, Address, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "no_live_upstreams",
    family: "no_live_upstreams",
    title: "Every server of the upstream group is marked down",
    docs: DOCS,
    signatures: &["no live upstreams", "upstream server temporarily disabled"],
    check,
};

const DOCS: &str = r#"
## What it means
The request goes to an `upstream {}` group, and nginx has marked every
server of the group as failed, so it does not even try to connect. Each
server is taken out for `fail_timeout` (10s) after `max_fails` (1) failures
within `fail_timeout`; the failures themselves (refused, timed out, reset…)
are logged **before** this line, per server. `proxy_pass http://localhost:3000`
is an implicit two-server group (`127.0.0.1` and `[::1]`) and can log it too.

## Why nginx answers 502 or 504
With no live server nginx answers **502 Bad Gateway** at once, without a
connection attempt. `$upstream_addr` in the access log shows the group name
instead of an address.

## Evidence
- `no live upstreams while connecting to upstream, … upstream: "http://backend/"` (the group name, not an address).
- `[warn] upstream server temporarily disabled while connecting to upstream` for each member.
- the per-server errors just before: `connect() failed (111: …)`, `upstream timed out`, …

## Fix
Fix the per-server failure first (it is the cause; this line is the
consequence). Then, if short blips take the whole group out, tolerate them:
`server 10.0.3.15:8080 max_fails=3 fail_timeout=30s;` for each member, and
`sudo nginx -t && sudo systemctl reload nginx`.

## Verify
Each member answers directly (`curl -sS -o /dev/null -w '%{http_code}\n' http://<member>/`);
no new `no live upstreams` lines once `fail_timeout` has passed.

## Known problems
This cause is never alone: it ranks below the per-server cause when that one
is in the paste, and asks for it when it is not. A group with a single
server (and no `backup`) is never marked down, so this message implies at
least two servers, a `down` flag or `max_conns`.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::NoLiveUpstreams));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let name = groups
        .iter()
        .find_map(|g| g.key.upstream.as_ref())
        .map(|u| match &u.addr {
            Address::Tcp { host, port: None } => host.clone(),
            a => a.display(),
        })
        .unwrap_or_else(|| "{upstream_name}".into());
    let disabled = ctx.nginx_groups(|s| matches!(s, Signal::ServerDisabled));
    let mut members: Vec<String> = Vec::new();
    for g in &disabled {
        if let Some(u) = &g.key.upstream {
            push_unique(&mut members, u.addr.display());
        }
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    // The per-server failures: every other upstream error.
    let per_server: Vec<&EventGroup> = ctx
        .nginx_groups(|s| {
            matches!(
                s,
                Signal::ConnectFailed { .. }
                    | Signal::UpstreamTimedOut
                    | Signal::PrematureClose
                    | Signal::IoFailed { .. }
                    | Signal::TooBigHeader
                    | Signal::InvalidHeader { .. }
                    | Signal::FastcgiProtocol { .. }
                    | Signal::SslHandshake { .. }
                    | Signal::SslVerify { .. }
                    | Signal::SslNameMismatch { .. }
                    | Signal::TooManyOpenFiles
            )
        })
        .into_iter()
        .filter(|g| !matches!(g.key.action, Some(Action::ClientSide | Action::Upgraded)))
        .collect();
    for g in &per_server {
        if let Some(u) = &g.key.upstream {
            push_unique(&mut members, u.addr.display());
        }
    }
    let mut kinds: Vec<String> = Vec::new();
    for g in &per_server {
        push_unique(&mut kinds, describe(&g.key.signal));
    }
    f.reasoning.push(format!(
        "{} of `no live upstreams` for the group `{name}`",
        plural(f.events, "line", "lines")
    ));
    // `localhost` resolves to 127.0.0.1 and [::1]: two addresses of one
    // backend, not a group of servers, so both failing is one outage.
    let one_host = name == "localhost" && loopback_only(&per_server);
    if per_server.is_empty() {
        f.confidence = 0.72;
        f.reasoning.push("no per-server error is in the paste: the failure that took the servers out was logged earlier".into());
    } else if failing_members(&per_server) >= 2 && !one_host {
        // Several servers of the group fail: the outage is the whole group,
        // which one per-server finding (naming one address) would understate.
        f.confidence = 0.9;
        f.explains = vec!["upstream_down", "upstream_timeout", "no_route_to_host"];
        f.reasoning.push(format!(
            "{} servers of the group fail ({}): every member is down, not one",
            failing_members(&per_server),
            kinds.join(", ")
        ));
    } else {
        f.confidence = 0.45;
        f.reasoning.push(format!(
            "the per-server failures are in the paste ({}): they are the cause, this line is their consequence",
            kinds.join(", ")
        ));
    }
    let localhost = name == "localhost";
    // The pasted `upstream {}` block: its servers and their failure settings.
    let block = ctx
        .facts
        .config
        .as_ref()
        .and_then(|c| c.upstream_named(&name));
    if let Some(b) = &block {
        // A `down` server takes no requests: nothing to check on it.
        for srv in b.servers.iter().filter(|s| !s.has_flag("down")) {
            push_unique(&mut members, srv.addr.display());
        }
        f.add_evidence(crate::facts::EvidenceLine::new(
            b.line,
            &format!("upstream {} {{ {} servers }}", b.name, b.servers.len()),
        ));
        let usable = b
            .servers
            .iter()
            .filter(|s| !s.has_flag("down") && !s.has_flag("backup"))
            .count();
        if b.servers.iter().any(|s| s.has_flag("down")) {
            f.reasoning
                .push("some servers of the block are flagged `down`".into());
        }
        if usable == 1 {
            f.reasoning
                .push("only one usable server: any failure of it empties the group".into());
            if b.servers.len() > 1 {
                f.reasoning.push(
                    "nginx never marks a group's only server failed, but the `down`/`backup` entries make this one of several"
                        .into(),
                );
            }
        }
        if let Some(s) = b
            .servers
            .iter()
            .find(|s| s.param("max_fails").is_some() || s.param("fail_timeout").is_some())
        {
            f.reasoning.push(format!(
                "failure settings in force: max_fails={} fail_timeout={}",
                s.param("max_fails").unwrap_or("1"),
                s.param("fail_timeout").unwrap_or("10s")
            ));
        }
    }
    let whole_group = f.confidence >= 0.9;
    f.title = if whole_group {
        format!(
            "Every server of the upstream group `{name}` is failing ({})",
            kinds.join(", ")
        )
    } else {
        format!("No live server left in the upstream group `{name}`")
    };
    f.summary = if per_server.is_empty() {
        format!(
            "nginx marked every server of `{name}` as failed after earlier errors and now answers 502 without trying them. \
             The errors that took them out are not in the paste."
        )
    } else {
        format!(
            "nginx marked every server of `{name}` as failed after {} and now answers 502 without trying them: fix that \
             failure first.",
            kinds.join(", ")
        )
    };
    if whole_group {
        let svc = ctx.service_for(per_server.iter().find_map(|g| g.key.upstream.as_ref()));
        f.fixes.push(safe(
            format!(
                "# every server of `{name}` fails ({}): bring the backends up on {}\n{}",
                kinds.join(", "),
                members.join(", "),
                svc.logs()
            ),
            "the group is empty because each member fails on its own; their logs say why",
        ));
    } else if !per_server.is_empty() {
        f.fixes.push(safe(
            format!(
                "# first fix the per-server cause ranked above ({})",
                kinds.join(", ")
            ),
            "the servers are marked down because of it; this line only repeats its effect",
        ));
    }
    if localhost {
        let port = per_server
            .iter()
            .find_map(|g| g.key.upstream.as_ref()?.addr.port())
            .map(|p| p.to_string())
            .unwrap_or_else(|| "{port}".into());
        f.fixes.push(review(
            format!("# `localhost` is two servers to nginx (127.0.0.1 and [::1]); name the one the app listens on:\nproxy_pass http://127.0.0.1:{port};"),
            "an app bound to IPv4 only fails on [::1], and both failing empties the implicit group",
        ));
    } else {
        let file_hint = block
            .as_ref()
            .and_then(|b| {
                b.file.as_deref().map(|fl| {
                    format!(
                        "# {fl}{}\n",
                        b.file_line.map(|l| format!(":{l}")).unwrap_or_default()
                    )
                })
            })
            .unwrap_or_default();
        let servers = if let Some(b) = block.as_ref().filter(|b| !b.servers.is_empty()) {
            // Keep each server's other parameters (weight, backup…).
            b.servers
                .iter()
                .map(|srv| {
                    if srv.has_flag("down") {
                        // It counts as a server all the same: without it the
                        // live one is the group's only server, never marked failed.
                        return format!(
                            "    # server {} down;   (removed: a `down` entry still makes the group one of several)",
                            srv.addr.display()
                        );
                    }
                    let keep: Vec<&str> = srv
                        .params
                        .iter()
                        .map(String::as_str)
                        .filter(|p| !p.starts_with("max_fails=") && !p.starts_with("fail_timeout="))
                        .collect();
                    let extra = if keep.is_empty() {
                        String::new()
                    } else {
                        format!(" {}", keep.join(" "))
                    };
                    format!(
                        "    server {}{extra} max_fails=3 fail_timeout=30s;",
                        srv.addr.display()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n")
        } else if members.is_empty() {
            "    server {host}:{port} max_fails=3 fail_timeout=30s;".to_string()
        } else {
            members
                .iter()
                .map(|m| format!("    server {m} max_fails=3 fail_timeout=30s;"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        f.fixes.push(review(
            format!("{file_hint}upstream {name} {{\n{servers}\n}}"),
            "tolerate short blips: a server is taken out only after 3 failures within 30s",
        ));
    }
    f.fixes.push(super::fixes::reload(ctx));
    for m in members.iter().take(4) {
        if m.starts_with("unix:") {
            f.verify.push(format!("curl -sS -o /dev/null -w '%{{http_code}}\\n' --unix-socket {} http://localhost/   # expect 200", m.trim_start_matches("unix:")));
        } else {
            f.verify.push(format!("curl -sS -o /dev/null -w '%{{http_code}}\\n' http://{m}/   # expect 200 from each member"));
        }
    }
    f.verify
        .push(super::common::watch_log(ctx, "no live upstreams"));
    if per_server.is_empty() {
        f.next.push(next(
            "sudo grep -E 'connect\\(\\) failed|timed out|temporarily disabled|prematurely closed|reset by peer' /var/log/nginx/error.log | tail -n 30",
            "the per-server errors logged before `no live upstreams` name the real cause",
        ));
    }
    if ctx.facts.config.is_none() {
        f.next.push(next(
            format!("sudo nginx -T | grep -n -A8 'upstream {name}'"),
            "shows the group's servers and their max_fails/fail_timeout",
        ));
    }
    vec![f]
}

fn describe(s: &Signal) -> String {
    match s {
        Signal::ConnectFailed { errno: 111 } => "connection refused".into(),
        Signal::ConnectFailed { errno } => format!("connect() errno {errno}"),
        Signal::UpstreamTimedOut => "timeouts".into(),
        Signal::PrematureClose => "premature closes".into(),
        Signal::IoFailed { errno: 104, .. } => "connection resets".into(),
        Signal::IoFailed { call, errno } => format!("{call}() errno {errno}"),
        Signal::TooBigHeader => "too big headers".into(),
        Signal::InvalidHeader { .. } => "invalid headers".into(),
        Signal::FastcgiProtocol { .. } => "FastCGI protocol errors".into(),
        Signal::TooManyOpenFiles => "too many open files".into(),
        _ => "TLS failures".into(),
    }
}

/// Distinct server addresses with a per-server failure.
/// Every failing server is a loopback address.
fn loopback_only(per_server: &[&EventGroup]) -> bool {
    per_server
        .iter()
        .all(|g| g.key.upstream.as_ref().is_none_or(|u| u.addr.is_loopback()))
}

fn failing_members(per_server: &[&EventGroup]) -> usize {
    let mut seen: Vec<&Address> = Vec::new();
    for g in per_server {
        if let Some(u) = &g.key.upstream {
            if !seen.contains(&&u.addr) && u.addr.port().is_some() {
                seen.push(&u.addr);
            }
        }
    }
    seen.len()
}
