//! `fpm_exec_timeout`: PHP-FPM's `request_terminate_timeout` killed a child.

use super::common::{backend_groups, fpm_log, fpm_test, nginx_symptoms, pool_file, upstream_of};
use super::fixes::{disruptive, next, review};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::Signal;

pub static RULE: Rule = Rule {
    id: "fpm_exec_timeout",
    family: "upstream_timeout",
    title: "PHP-FPM killed a script that ran too long",
    docs: DOCS,
    signatures: &["execution timed out", "terminating"],
    check,
};

const DOCS: &str = r#"
## What it means
The pool's `request_terminate_timeout` is a wall-clock limit per request:
when a script runs longer, the FPM master kills the child (SIGTERM) and
logs `execution timed out (N sec), terminating`. PHP's own
`max_execution_time` counts CPU time only on Linux, so a script waiting on a
database or an API is stopped by this limit, not by PHP's.

## Why nginx answers 502 or 504
The child dies mid-request and the FastCGI connection closes without a
response: nginx logs `upstream prematurely closed connection` (or a reset)
and answers **502**. If nginx's `fastcgi_read_timeout` is shorter, nginx
gives up first with a 504 instead.

## Evidence
- FPM log: `WARNING: [pool www] child 2345, script '/var/www/html/index.php' (request: "GET /index.php") execution timed out (300.000521 sec), terminating`
  then `child 2345 exited on signal 15 (SIGTERM) after …`.
- nginx: `upstream prematurely closed connection while reading response header from upstream, … upstream: "fastcgi://…"`.

## Fix
Raise `request_terminate_timeout` in the pool file for legitimately long
scripts (and keep nginx's `fastcgi_read_timeout` at least as long), test
with `php-fpm -t`, reload FPM. Better: make the script fast or move it to a
background job (cron, queue worker).

## Verify
No new `execution timed out` lines in the FPM log under the same requests.

## Known problems
`executing too slow (N sec), logging` is the slowlog, not a kill, and is not
mapped. A timeout set in php.ini's `max_execution_time` ends the script with
a PHP fatal error (a 500), not this.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = backend_groups(ctx, |s| matches!(s, Signal::FpmExecTimedOut { .. }));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let pool = groups
        .iter()
        .find_map(|g| match &g.key.signal {
            Signal::FpmExecTimedOut { pool } => Some(pool.clone()),
            _ => None,
        })
        .unwrap_or_else(|| "www".into());
    // `… execution timed out (300.000521 sec), terminating`
    let secs = groups.iter().flat_map(|g| g.evidence()).find_map(|e| {
        let i = e.text.find("execution timed out (")? + "execution timed out (".len();
        let rest = &e.text[i..];
        crate::num::parse_decimal(rest.split([' ', ')']).next()?)
    });
    let script = groups.iter().flat_map(|g| g.evidence()).find_map(|e| {
        crate::text::quoted_after(&e.text.replace('\'', "\""), "script ").map(str::to_string)
    });
    let symptoms = nginx_symptoms(ctx);
    let up = upstream_of(&symptoms)
        .filter(|u| u.scheme == "fastcgi")
        .or_else(|| upstream_of(&symptoms));
    f.upstreams.clear();
    if let Some(u) = &up {
        f.upstreams.push(u.addr.display());
    }
    for g in &symptoms {
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    let svc = super::common::fpm_service(ctx, up.as_ref());
    let (file, _) = pool_file(ctx, &pool, &svc.name);
    let limit = secs.map(|s| s.round() as u64).or_else(|| {
        ctx.facts
            .pools
            .iter()
            .find(|p| p.name == pool)
            .and_then(|p| p.get("request_terminate_timeout"))
            .and_then(|v| v.trim_end_matches('s').parse().ok())
    });
    f.confidence = 0.9;
    f.explains = vec!["upstream_closed_early", "upstream_reset"];
    f.reasoning.push(format!(
        "PHP-FPM logged {} for pool `{pool}`",
        plural(
            f.events,
            "`execution timed out … terminating`",
            "`execution timed out … terminating` lines"
        )
    ));
    if !symptoms.is_empty() {
        f.reasoning
            .push("nginx's closes/resets are the killed children's connections".into());
    }
    let limit_s = limit
        .map(|l| format!("{l}s"))
        .unwrap_or_else(|| "its limit".into());
    let new = limit.map(|l| (l * 2).clamp(120, 600)).unwrap_or(300);
    f.title = format!(
        "PHP-FPM killed {} after {limit_s} (request_terminate_timeout)",
        script.as_deref().unwrap_or("a script")
    );
    f.summary = format!(
        "The pool `{pool}` stops any request after `request_terminate_timeout` ({limit_s}). {} ran longer, the child was killed, \
         and nginx got a closed connection instead of a response: 502.",
        script.as_deref().map(|s| format!("`{s}`")).unwrap_or_else(|| "A script".into())
    );
    super::common::explain_slow_trace(ctx, &mut f);
    // The official image under compose: a mounted override, not a host's pool file.
    let compose = svc.manager == super::ctx::Manager::Docker && svc.known;
    if compose {
        f.fixes.push(review(
            super::common::compose_pool_override(
                &svc.name,
                &pool,
                &format!("request_terminate_timeout = {new}s\nrequest_slowlog_timeout = 10s\nslowlog = /proc/self/fd/2"),
            ),
            "give legitimately long requests more time; the image reads /usr/local/etc/php-fpm.d/ in name order, so zz-pool.conf wins, and the slow log goes to the container's log",
        ));
        f.fixes.push(disruptive(
            super::common::compose_recreate_fpm(&svc.name),
            "recreate the PHP container with the override, then check that FPM accepts it",
        ));
    } else {
        f.fixes.push(review(
            format!("sudo sed -i -E 's/^;?\\s*request_terminate_timeout\\s*=.*/request_terminate_timeout = {new}s/' {file}"),
            "give legitimately long requests more time (a targeted pool for the slow script is better than raising it for all)",
        ));
        f.fixes.push(disruptive(
            format!("{} && {}", fpm_test(ctx, &svc.name), svc.reload()),
            "test the pool configuration, then reload PHP-FPM gracefully",
        ));
    }
    f.fixes.push(review(
        format!("# nginx, in the PHP location: keep nginx's limit at least as long\nfastcgi_read_timeout {new}s;"),
        "otherwise nginx answers 504 before FPM finishes",
    ));
    f.fixes.push(super::fixes::reload(ctx));
    if compose {
        f.verify.push(format!(
            "docker compose logs --since 10m {} | grep -c 'execution timed out'   # run again later: expect 0",
            svc.name
        ));
        let through = super::fixes::curl_through_nginx(ctx, &f);
        f.verify.push(through);
        return vec![f];
    }
    f.fixes.push(review(
        format!("# see where the time goes, in {file}:\nrequest_slowlog_timeout = 10s\nslowlog = /var/log/php-fpm-{pool}-slow.log"),
        "a backtrace of slow scripts: the lasting fix is a faster script or a background job",
    ));
    f.verify.push(format!(
        "sudo grep -c 'execution timed out' {}   # run again later: expect no growth",
        fpm_log(ctx, &svc.name)
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if ctx.facts.pools.is_empty() {
        f.next.push(next(
            format!("grep -E 'request_terminate_timeout|request_slowlog_timeout' {file}"),
            "the limit in force and whether the slowlog is on",
        ));
    }
    vec![f]
}
