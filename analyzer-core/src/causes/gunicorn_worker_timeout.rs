//! `gunicorn_worker_timeout`: gunicorn's watchdog kills a busy worker.

use super::common::{nginx_symptoms, upstream_of};
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "gunicorn_worker_timeout",
    family: "upstream_timeout",
    title: "gunicorn killed a worker that took too long",
    docs: DOCS,
    signatures: &[
        "[CRITICAL] WORKER TIMEOUT (pid:",
        "was sent SIGKILL! Perhaps out of memory?",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
gunicorn's master kills any worker that has not reported back within
`--timeout` seconds (default **30**): a slow view, a hung database or API
call, or a sync worker blocked on I/O. The request that worker was serving
dies with it.

## Why nginx answers 502 or 504
The backend closes (or resets) the connection after about 30 seconds,
before nginx's own 60 s timeout, so nginx answers **502**, not 504.

## Evidence
- gunicorn: `[CRITICAL] WORKER TIMEOUT (pid:1288)`, then `Worker (pid:1288) was sent SIGKILL! Perhaps out of memory?`
  (printed after timeout kills too) and `Booting worker with pid: …`.
- nginx: `upstream prematurely closed connection while reading response header from upstream`
  (sometimes `recv() failed (104: …)`); access log `$upstream_response_time` ≈ 30.

## Fix
Raise `--timeout` (in the unit's `ExecStart` or `gunicorn.conf.py`:
`timeout = 120`) for views that are legitimately slow, keep nginx's
`proxy_read_timeout` above it, and prefer `--worker-class gthread --threads 4`
for I/O-bound views. Restart the service. Move long work to a queue.

## Verify
`journalctl -u <service> --since '10 min ago' | grep -c 'WORKER TIMEOUT'` is 0 under the same requests.

## Known problems
The SIGKILL line says "Perhaps out of memory?" even when memory was fine:
only a kernel OOM line makes it `backend_oom`.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let timeouts: Vec<&EventGroup> = ctx.groups(|s| matches!(s, Signal::GunicornWorkerTimeout));
    if timeouts.is_empty() {
        return vec![];
    }
    let mut all = timeouts.clone();
    all.extend(ctx.groups(|s| matches!(s, Signal::GunicornSigkill)));
    let mut f = Finding::from_groups(&all);
    f.status = Some(502);
    let symptoms = nginx_symptoms(ctx);
    let up = upstream_of(&symptoms);
    f.upstreams.clear();
    if let Some(u) = &up {
        f.upstreams.push(u.addr.display());
    }
    for g in &symptoms {
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    let svc = ctx.service_for(up.as_ref());
    let name = if svc.known {
        svc.name.clone()
    } else if svc.name == "{service}" {
        "gunicorn".into()
    } else {
        svc.name.clone()
    };
    let n: u64 = timeouts.iter().map(|g| g.count).sum();
    f.confidence = 0.9;
    f.explains = vec!["upstream_closed_early", "upstream_reset"];
    f.reasoning.push(format!(
        "gunicorn logged {}",
        plural(n, "WORKER TIMEOUT", "WORKER TIMEOUTs")
    ));
    if !symptoms.is_empty() {
        f.reasoning
            .push("nginx's premature closes/resets are the killed workers' connections".into());
    }
    // Upstream time in the access log ≈ the gunicorn timeout.
    let seen = ctx
        .facts
        .access
        .max_5xx_time_ms
        .map(|ms| (ms as f64 / 1000.0).round() as u64);
    if let Some(s) = seen.filter(|s| (20..=200).contains(s)) {
        f.reasoning.push(format!(
            "502s take about {s}s in the access log: the worker timeout in force"
        ));
    }
    let current = seen.filter(|s| (20..=200).contains(s)).unwrap_or(30);
    let new = (current * 4).clamp(120, 300);
    let path = super::common::first_path(&symptoms);
    f.title = format!(
        "gunicorn killed workers after {}s{}",
        current,
        path.as_deref()
            .map(|p| format!(" while serving {p}"))
            .unwrap_or_default()
    );
    f.summary = format!(
        "A request kept a gunicorn worker busy longer than `--timeout` ({current}s{}), so gunicorn killed the worker and the \
         connection closed without a response. nginx answered 502 before its own 60s timeout.",
        if seen.is_some() { "" } else { ", the default" }
    );
    let docker = svc.manager.is_docker();
    let container = docker || (ctx.facts.nginx_in_container && !svc.known);
    let app_service = if docker {
        svc.name.clone()
    } else {
        "{app_service}".to_string()
    };
    if container {
        f.fixes.push(review(
            format!(
                "# docker-compose.yml, the app service (or gunicorn.conf.py: timeout = {new}):\n#   command: gunicorn --timeout {new} --workers 3 --worker-class gthread --threads 4 --bind 0.0.0.0:8000 {{wsgi_module}}"
            ),
            "give slow requests time, and threads so one slow call does not block a whole worker",
        ));
        f.fixes.push(disruptive(
            if svc.manager == super::ctx::Manager::DockerRun {
                format!("docker rm -f {app_service} && docker run -d --name {app_service} {{your -p/-e/-v options}} {{image}} gunicorn --timeout {new} …")
            } else {
                format!("docker compose up -d {app_service}")
            },
            "recreate the app container with the new command",
        ));
    } else {
        f.fixes.push(safe(
            format!("systemctl cat {name} | grep -n ExecStart; ls gunicorn.conf.py 2>/dev/null"),
            "where gunicorn's options are set (the unit's ExecStart, or gunicorn.conf.py)",
        ));
        f.fixes.push(review(
            format!(
                "sudo systemctl edit --full {name}\n#   ExecStart=… gunicorn --timeout {new} --workers 3 --worker-class gthread --threads 4 …\n#   (or in gunicorn.conf.py: timeout = {new})"
            ),
            "give slow requests time, and threads so one slow call does not block a whole worker",
        ));
        f.fixes.push(disruptive(
            format!("sudo systemctl daemon-reload && sudo systemctl restart {name}"),
            "apply the new timeout",
        ));
    }
    f.fixes.push(review(
        format!("# nginx, in the location proxying to gunicorn: keep nginx's limit above gunicorn's\nproxy_read_timeout {}s;", new + 10),
        "otherwise nginx gives up first with a 504",
    ));
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(safe(
        "# find the slow work: the view, query or external call; long jobs belong in a task queue (Celery, RQ)",
        "a longer timeout only buys time",
    ));
    f.verify.push(if container {
        format!("docker compose logs --since 10m {app_service} | grep -c 'WORKER TIMEOUT'   # expect 0")
    } else {
        format!("sudo journalctl -u {name} --since '10 min ago' | grep -c 'WORKER TIMEOUT'   # expect 0")
    });
    let through = super::fixes::curl_timed(ctx, &f, path.as_deref().unwrap_or("/"), "expect 200");
    f.verify.push(through);
    if !svc.known && !container {
        f.next.push(next(
            "systemctl list-units --type=service | grep -iE 'gunicorn|django|flask|app'",
            "names the gunicorn unit so the commands can use it",
        ));
    }
    vec![f]
}
