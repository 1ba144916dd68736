//! `fd_exhaustion`: nginx runs out of file descriptors or connection slots.

use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "fd_exhaustion",
    family: "fd_exhaustion",
    title: "nginx runs out of file descriptors or connection slots",
    docs: DOCS,
    signatures: &[
        "(24: Too many open files)",
        "worker_connections are not enough",
        "worker_connections exceed open file resource limit",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
Each proxied request holds **two** connections in an nginx worker (client
and upstream), counted against both `worker_connections` and the worker's
open-file limit (`ulimit -n`, 1024 by default under many setups). Under load,
long keepalive or WebSockets, a worker runs out: `socket()` or `accept4()`
fails with `(24: Too many open files)`, or nginx logs `worker_connections
are not enough`.

## Why nginx answers 502 or 504
A new upstream connection cannot be opened, so nginx answers **502** (or
500); new clients may be refused outright.

## Evidence
- `[alert] socket() failed (24: Too many open files) while connecting to upstream`.
- `[crit] accept4() failed (24: Too many open files)`.
- `[alert] 1024 worker_connections are not enough` (`[warn] …, reusing connections` is the milder form).
- at start: `[warn] 4096 worker_connections exceed open file resource limit: 1024`.

## Fix
In the main context of nginx.conf: `worker_rlimit_nofile 65535;` and in
`events {}` a `worker_connections` below it; raise the systemd limit with a
drop-in (`LimitNOFILE=65535`), then `sudo systemctl daemon-reload` and
restart nginx (a reload does not change the master's limit).

## Verify
`grep 'Max open files' /proc/$(pgrep -f 'nginx: worker' | head -1)/limits`
shows the new limit; no new `(24: Too many open files)` or `worker_connections
are not enough` lines.

## Known problems
If the limits are already high, look for a leak (a backend that never
closes, oversized keepalive pools). The same errno from the **backend**
(Node `EMFILE`) needs `LimitNOFILE=` in the backend's unit instead.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let fd: Vec<&EventGroup> = ctx.nginx_groups(|s| matches!(s, Signal::TooManyOpenFiles));
    let wc: Vec<&EventGroup> = ctx.nginx_groups(|s| matches!(s, Signal::WorkerConnections { .. }));
    let exceed: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::WorkerConnectionsExceedLimit { .. }));
    if fd.is_empty() && wc.is_empty() && exceed.is_empty() {
        return vec![];
    }
    let mut all = fd.clone();
    all.extend(wc.iter().copied());
    all.extend(exceed.iter().copied());
    let mut f = Finding::from_groups(&all);
    f.status = Some(502);
    let count = all
        .iter()
        .find_map(|g| match g.key.signal {
            Signal::WorkerConnections { count }
            | Signal::WorkerConnectionsExceedLimit { count, .. } => Some(count),
            _ => None,
        })
        .filter(|c| *c > 0);
    // The pasted config fills what the log lines do not say.
    let cfg = ctx.facts.config.as_ref();
    let cfg_wc = cfg.and_then(|c| c.worker_connections());
    let cfg_rlimit = cfg.and_then(|c| c.worker_rlimit_nofile());
    if let Some((n, line)) = cfg_wc {
        f.add_evidence(crate::facts::EvidenceLine::new(
            line,
            &format!("worker_connections {n};"),
        ));
    }
    if let Some((n, line)) = cfg_rlimit {
        f.add_evidence(crate::facts::EvidenceLine::new(
            line,
            &format!("worker_rlimit_nofile {n};"),
        ));
    }
    let count = count.or_else(|| cfg_wc.and_then(|(n, _)| u32::try_from(n).ok()));
    let limit = exceed.iter().find_map(|g| match g.key.signal {
        Signal::WorkerConnectionsExceedLimit { limit, .. } => Some(limit),
        _ => None,
    });
    let only_reusing = !wc.is_empty()
        && wc
            .iter()
            .all(|g| g.evidence().all(|e| e.text.contains("reusing connections")));
    f.confidence = if !fd.is_empty() {
        0.9
    } else if !wc.is_empty() && !only_reusing {
        0.85
    } else if !wc.is_empty() {
        0.6
    } else {
        0.45
    };
    if !fd.is_empty() {
        f.reasoning.push(format!(
            "{} of `(24: Too many open files)` from nginx",
            plural(fd.iter().map(|g| g.count).sum(), "line", "lines")
        ));
    }
    if !wc.is_empty() {
        f.reasoning.push(format!(
            "nginx reports {} worker_connections are not enough{}",
            count.map(|c| c.to_string()).unwrap_or_else(|| "its".into()),
            if only_reusing {
                " (and copes by closing idle keepalive connections)"
            } else {
                ""
            }
        ));
    }
    if let Some(l) = limit {
        f.reasoning
            .push(format!("the worker's open-file limit is only {l}"));
        if fd.is_empty() && wc.is_empty() {
            f.reasoning.push(
                "a startup warning only: nothing in the paste shows the limit being hit yet".into(),
            );
        }
    }
    // New figures: 4x the current worker_connections (at least 4096, at most 16384),
    // and an fd limit with room for two fds per connection.
    let new_wc = count
        .map(|c| (c.saturating_mul(4)).clamp(4096, 16384))
        .unwrap_or(4096);
    let nofile = (new_wc * 2).max(65535);
    if let Some((r, _)) = cfg_rlimit {
        if r >= u64::from(nofile) {
            f.reasoning.push(format!(
                "worker_rlimit_nofile is already {r}: if the limit in force matches, something holds descriptors open (a leak, long keepalive or WebSockets)"
            ));
        }
    }
    f.title = if !fd.is_empty() {
        "nginx has run out of file descriptors (Too many open files)".to_string()
    } else if !wc.is_empty() {
        format!(
            "nginx has run out of connection slots ({} worker_connections)",
            count.map(|c| c.to_string()).unwrap_or_default()
        )
    } else {
        format!(
            "nginx's worker_connections exceed its open-file limit ({})",
            limit.map(|l| l.to_string()).unwrap_or_default()
        )
    };
    f.summary = format!(
        "Each proxied request holds two connections in a worker (client and upstream), counted against `worker_connections` and \
         the worker's open-file limit{}. When either runs out, nginx cannot open the upstream connection and answers 502.",
        limit.map(|l| format!(" (here {l})")).unwrap_or_default()
    );
    f.fixes.push(safe(
        "grep 'Max open files' /proc/$(pgrep -f 'nginx: worker' | head -1)/limits; sudo ls /proc/$(pgrep -f 'nginx: worker' | head -1)/fd | wc -l",
        "the worker's limit and how many descriptors it holds now",
    ));
    if ctx.facts.ingress_nginx {
        let c = ctx.ingress_controller();
        f.fixes.push(review(
            format!("{} patch configmap {} --type merge -p '{{\"data\":{{\"max-worker-connections\":\"{new_wc}\",\"max-worker-open-files\":\"{nofile}\"}}}}'", c.kubectl(), c.workload_name()),
            "ingress-nginx writes worker_connections and worker_rlimit_nofile from its ConfigMap (the name depends on how it was installed)",
        ));
        if c.target.starts_with("deploy/") {
            f.fixes.push(review(
                format!("{} scale {} --replicas {{n}}", c.kubectl(), c.target),
                "more controller pods share the connections",
            ));
        }
    } else {
        f.fixes.push(review(
        format!("# /etc/nginx/nginx.conf, main context:\nworker_rlimit_nofile {nofile};\nevents {{\n    worker_connections {new_wc};\n}}"),
        format!("room for {new_wc} connections per worker, with two descriptors each under the limit"),
    ));
    }
    if ctx.facts.ingress_nginx {
        // The controller reloads itself; its pod limits come from the chart.
    } else if ctx.facts.nginx_in_container {
        f.fixes.push(review(
            format!("# docker-compose.yml, service `{}`:\n#   ulimits:\n#     nofile: {{ soft: {nofile}, hard: {nofile} }}", ctx.nginx_service()),
            "a container gets its limit from the runtime, not from systemd",
        ));
        f.fixes.push(disruptive(
            format!(
                "docker compose up -d --force-recreate {}",
                ctx.nginx_service()
            ),
            "apply the new limit (a reload does not raise it)",
        ));
    } else {
        f.fixes.push(review(
            format!("sudo mkdir -p /etc/systemd/system/nginx.service.d && printf '[Service]\\nLimitNOFILE={nofile}\\n' | sudo tee /etc/systemd/system/nginx.service.d/limits.conf"),
            "raise the limit systemd gives nginx (a drop-in survives package upgrades)",
        ));
        f.fixes.push(disruptive(
            "sudo systemctl daemon-reload && sudo nginx -t && sudo systemctl restart nginx",
            "a restart, not a reload, applies the new limit to the master",
        ));
    }
    f.verify.push(format!("grep 'Max open files' /proc/$(pgrep -f 'nginx: worker' | head -1)/limits   # expect {nofile}"));
    f.verify.push(super::common::watch_log(
        ctx,
        "Too many open files\\|worker_connections",
    ));
    if ctx.facts.config.is_none() {
        f.next.push(next(
            "sudo nginx -T | grep -nE 'worker_(connections|rlimit_nofile|processes)|keepalive'",
            "the limits in force and the keepalive settings that hold connections open",
        ));
    }
    vec![f]
}
