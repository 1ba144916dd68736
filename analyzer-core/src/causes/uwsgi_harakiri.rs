//! `uwsgi_harakiri`: uWSGI's `harakiri` timeout killed a worker.

use super::common::{nginx_symptoms, upstream_of};
use super::fixes::{disruptive, next, review};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::Signal;

pub static RULE: Rule = Rule {
    id: "uwsgi_harakiri",
    family: "upstream_timeout",
    title: "uWSGI killed a worker that took too long (harakiri)",
    docs: DOCS,
    signatures: &["*** HARAKIRI ON WORKER"],
    check,
};

const DOCS: &str = r#"
## What it means
uWSGI's `harakiri = N` kills any worker that spends more than N seconds on
one request. The request it was serving dies with it.

## Why nginx answers 502 or 504
The connection closes without a response: nginx logs `upstream prematurely
closed connection` and answers **502**, before its own `uwsgi_read_timeout`.

## Evidence
- uWSGI: `*** HARAKIRI ON WORKER 2 (pid: 12345, try: 1) ***`, then
  `DAMN ! worker 2 (pid: 12345) died, killed by signal 9 :( trying respawn ...`.
- nginx: `upstream prematurely closed connection while reading response header from upstream`.

## Fix
Raise `harakiri` in the uWSGI ini file for legitimately slow requests, keep
nginx's `uwsgi_read_timeout` (or `proxy_read_timeout`) above it, restart
uWSGI; move long work to a background queue.

## Verify
No new `HARAKIRI` lines in the uWSGI log under the same requests.

## Known problems
`harakiri` may be set on the command line or in an emperor vassal file
rather than the app's ini: `ps -ef | grep uwsgi` shows which.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.groups(|s| matches!(s, Signal::UwsgiHarakiri));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
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
    let name = if svc.name == "{service}" {
        "uwsgi".to_string()
    } else {
        svc.name.clone()
    };
    let p =
        super::common::directive_prefix(up.as_ref().map(|u| u.scheme.as_str()).unwrap_or("uwsgi"));
    f.confidence = 0.9;
    f.explains = vec!["upstream_closed_early", "upstream_reset"];
    f.reasoning.push(format!(
        "uWSGI logged {}",
        plural(f.events, "HARAKIRI kill", "HARAKIRI kills")
    ));
    if !symptoms.is_empty() {
        f.reasoning
            .push("nginx's premature closes are the killed workers' connections".into());
    }
    f.title = "uWSGI's harakiri timeout killed workers in the middle of requests".into();
    f.summary = "A request kept a uWSGI worker busy longer than `harakiri` seconds, so uWSGI killed the worker and the connection \
                 closed without a response. nginx answered 502."
        .into();
    f.fixes.push(review(
        "grep -rn 'harakiri' /etc/uwsgi/ 2>/dev/null; ps -ef | grep -v grep | grep uwsgi",
        "where harakiri is set (ini file, vassal, or the command line)",
    ));
    f.fixes.push(review(
        "# in the uWSGI ini file ([uwsgi] section):\nharakiri = 120",
        "more time for legitimately slow requests",
    ));
    f.fixes
        .push(disruptive(svc_restart(&svc, &name), "apply it"));
    f.fixes.push(review(format!("# nginx, in the location proxying to uWSGI: keep nginx's limit above harakiri\n{p}_read_timeout 130s;"), "otherwise nginx answers 504 first"));
    f.fixes.push(super::fixes::reload(ctx));
    f.verify.push(format!(
        "sudo journalctl -u {name} --since '10 min ago' | grep -c HARAKIRI   # expect 0"
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if !svc.known {
        f.next.push(next(
            "systemctl list-units --type=service | grep -i uwsgi",
            "names the uWSGI unit so the commands can use it",
        ));
    }
    vec![f]
}

fn svc_restart(svc: &super::ctx::ServiceGuess, name: &str) -> String {
    if svc.name == "{service}" {
        format!("sudo systemctl restart {name}")
    } else {
        svc.restart()
    }
}
