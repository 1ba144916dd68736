//! `fpm_pool_exhausted`: every PHP-FPM child is busy.

use super::common::{backend_groups, fpm_test, php_layout, pool_file, PhpLayout};
use super::ctx::Manager;
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "fpm_pool_exhausted",
    family: "fpm_pool_exhausted",
    title: "PHP-FPM has no free worker (pm.max_children reached)",
    docs: DOCS,
    signatures: &[
        "server reached pm.max_children setting",
        "seems busy (you may need to increase pm.start_servers",
        "(11: Resource temporarily unavailable) while connecting to upstream",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
PHP-FPM serves one request per child process and never starts more than
`pm.max_children` (5 in the Debian/Ubuntu and Docker pool files). When all
are busy, new requests wait in the socket's listen queue; when that queue is
full too, the kernel refuses the connection with `EAGAIN`.

## Why nginx answers 502 or 504
Requests that wait longer than `fastcgi_read_timeout` get **504**; when the
unix socket's queue is full, `connect()` fails at once with
`(11: Resource temporarily unavailable)` and nginx answers **502**.

## Evidence
- FPM log: `WARNING: [pool www] server reached pm.max_children setting (5), consider raising it`
  (once per saturation episode: one line can mean minutes of queueing).
- FPM log: `WARNING: [pool www] seems busy (you may need to increase pm.start_servers, or pm.min/max_spare_servers), spawning 8 children, there are 0 idle, and 4 total children`.
- nginx: `connect() to unix:/run/php/php8.1-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream`.
- `systemctl status php8.1-fpm`: `Status: "Processes active: 5, idle: 0, …"`.

## Fix
`pm.max_children ≈ RAM available to PHP / average child RSS` (measure the
RSS with `ps`), set it in the pool file, test with `php-fpm -t` and reload
PHP-FPM. If children are busy because requests are slow, find the slow code
(`request_slowlog_timeout = 5s` + `slowlog`).

## Verify
No new `max_children` warnings under the same load; no `(11: Resource temporarily unavailable)` lines.

## Known problems
Raising `pm.max_children` beyond the memory available turns this into
`backend_oom`. `seems busy` alone, with no nginx errors, is a spawning
warning, not an outage.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let max: Vec<&EventGroup> = backend_groups(ctx, |s| matches!(s, Signal::FpmMaxChildren { .. }));
    let busy: Vec<&EventGroup> = backend_groups(ctx, |s| matches!(s, Signal::FpmSeemsBusy { .. }));
    let eagain: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 11 }))
        .into_iter()
        .filter(|g| {
            // A full queue on a gunicorn or uWSGI socket is not PHP-FPM's
            // (upstream_timeout names it).
            g.key.upstream.as_ref().is_some_and(|u| {
                u.scheme == "fastcgi"
                    || (u.addr.socket_path().is_some()
                        && !matches!(u.scheme.as_str(), "http" | "https" | "uwsgi" | "grpc"))
            }) || g.key.upstream.is_none()
                && g.key
                    .server
                    .as_deref()
                    .is_some_and(|s| s.starts_with("unix:"))
        })
        .collect();
    let fcgi_timeouts: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::UpstreamTimedOut))
        .into_iter()
        .filter(|g| {
            g.key
                .upstream
                .as_ref()
                .is_some_and(|u| u.scheme == "fastcgi")
        })
        .collect();
    // `systemctl status php8.1-fpm`: `Status: "Processes active: 20, idle: 0, …"`
    // is a snapshot of a saturated pool; with FastCGI timeouts it is the cause.
    let saturated: Option<(&crate::facts::ServiceState, u32)> =
        ctx.facts.services.iter().rev().find_map(|s| {
            if !s.name.contains("php") {
                return None;
            }
            let t = s.status_text.as_deref()?;
            // The number after `key` in `Processes active: 20, idle: 0, …`.
            let count = |key: &str| -> Option<u32> {
                t.split(key).nth(1)?.split(',').next()?.trim().parse().ok()
            };
            let active = count("Processes active: ")?;
            let idle = count("idle: ")?;
            (idle == 0 && active > 0).then_some((s, active))
        });
    let saturated = saturated.filter(|_| !fcgi_timeouts.is_empty() || !eagain.is_empty());
    if max.is_empty()
        && eagain.is_empty()
        && saturated.is_none()
        && (busy.is_empty() || fcgi_timeouts.is_empty())
    {
        return vec![];
    }
    let mut all: Vec<&EventGroup> = max.clone();
    all.extend(busy.iter().copied());
    all.extend(eagain.iter().copied());
    let mut f = Finding::from_groups(&all);
    for g in &fcgi_timeouts {
        f.events += g.count;
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    let (pool, limit) = max
        .iter()
        .find_map(|g| match &g.key.signal {
            Signal::FpmMaxChildren { pool, limit } => Some((pool.clone(), Some(*limit))),
            _ => None,
        })
        .or_else(|| {
            busy.iter().find_map(|g| match &g.key.signal {
                Signal::FpmSeemsBusy { pool } => Some((pool.clone(), None)),
                _ => None,
            })
        })
        .unwrap_or_else(|| ("www".into(), None));
    let up = super::common::upstream_of(&eagain)
        .or_else(|| super::common::upstream_of(&fcgi_timeouts))
        .or_else(|| {
            super::common::nginx_upstream(ctx, |_| false).filter(|u| u.scheme == "fastcgi")
        });
    let svc = super::common::fpm_service(ctx, up.as_ref());
    let pool_entry = ctx.facts.pools.iter().find(|p| p.name == pool);
    let limit = limit.or_else(|| {
        pool_entry
            .and_then(|p| p.get("pm.max_children"))
            .and_then(|v| v.trim().parse().ok())
    });
    let limit = limit.or(saturated.map(|(_, n)| n));
    if let Some((st, active)) = saturated {
        let status_line = ctx
            .facts
            .source_lines
            .range(st.line..st.line + 20)
            .find(|(_, t)| t.contains("Processes active:"))
            .map(|(n, _)| *n);
        if let Some(n) = status_line {
            f.add_evidence(EvidenceLine::marked(n, "idle: 0", "idle: 0"));
        }
        f.reasoning.push(format!(
            "`systemctl status {}` shows {active} children active and none idle",
            st.name
        ));
    }
    let (file, from_paste) = pool_file(ctx, &pool, &svc.name);
    f.status = Some(if eagain.is_empty() && !fcgi_timeouts.is_empty() {
        504
    } else {
        502
    });
    f.confidence = if !max.is_empty() && (!eagain.is_empty() || !fcgi_timeouts.is_empty()) {
        0.92
    } else if !max.is_empty() || !eagain.is_empty() || saturated.is_some() {
        0.86
    } else {
        0.55
    };
    if !max.is_empty() {
        f.reasoning.push(format!(
            "PHP-FPM logged `server reached pm.max_children setting{}` for pool `{pool}`",
            limit.map(|l| format!(" ({l})")).unwrap_or_default()
        ));
    }
    if !eagain.is_empty() {
        f.reasoning.push(format!(
            "{} of `(11: Resource temporarily unavailable)`: the FPM socket's listen queue is full",
            plural(
                eagain.iter().map(|g| g.count).sum(),
                "nginx line",
                "nginx lines"
            )
        ));
    }
    if !fcgi_timeouts.is_empty() {
        f.explains = vec!["upstream_timeout"];
        f.reasoning
            .push("nginx's FastCGI timeouts are requests waiting for a free child".into());
    }
    if max.is_empty() && eagain.is_empty() && saturated.is_none() {
        f.reasoning.push("only `seems busy` warnings: FPM is spawning as fast as it can; the max_children line would confirm".into());
    }
    if let Some(p) = pool_entry {
        if let Some(pm) = p.get("pm") {
            f.reasoning.push(format!("the pool runs `pm = {pm}`"));
        }
    }
    f.title = format!(
        "PHP-FPM pool `{pool}` has no free worker{}",
        limit
            .map(|l| format!(": all {l} children busy"))
            .unwrap_or_default()
    );
    f.summary = format!(
        "PHP-FPM serves one request per child and never runs more than pm.max_children{}. All were busy, so requests queued \
         until nginx gave up{}.",
        limit.map(|l| format!(" ({l})")).unwrap_or_default(),
        if eagain.is_empty() { " (504)" } else { " or the socket's queue overflowed (502 at once)" }
    );
    // PHP in a container: its compose service when the paste names it,
    // else the placeholder (nginx in a container reaching FPM at another
    // container's address says PHP runs in one too).
    let container_php = !svc.known
        && ctx.facts.nginx_in_container
        && up
            .as_ref()
            .is_some_and(|u| u.addr.host().is_some() && !u.addr.is_loopback());
    if svc.manager == super::ctx::Manager::Docker || container_php {
        let name = if svc.known {
            svc.name.as_str()
        } else {
            "{php_service}"
        };
        compose_fixes(&mut f, name, &pool, limit);
        return vec![f];
    }
    // PHP-FPM in a pod (its log came from `kubectl logs`): a ConfigMap
    // override and a rollout, not a host's pool file and systemctl.
    if !svc.known && (ctx.facts.kubernetes || !ctx.facts.kubectl_deployments.is_empty()) {
        kubernetes_fixes(ctx, &mut f, &pool, limit);
        return vec![f];
    }
    let comm = super::common::fpm_comm(&svc.name);
    let avg = "{s+=$1;n++} END {printf \"%d children, avg %.0f MB\\n\", n, s/n/1024}";
    f.fixes.push(safe(
        // BSD and macOS `ps` know no -C, and have no `free`.
        match svc.manager {
            Manager::BsdRc => format!("ps -ax -o rss=,comm= | awk '/php-fpm/ {avg}'; sysctl hw.physmem"),
            Manager::Brew => format!("ps -ax -o rss=,comm= | awk '/php-fpm/ {avg}'; sysctl hw.memsize"),
            _ => format!("ps --no-headers -o rss -C {comm} | awk '{avg}'; free -m"),
        },
        "average memory per child and the memory free: max_children ≈ RAM you can give PHP ÷ average child size",
    ));
    let sizing = format!(
        "# max_children = RAM available to PHP (MB) / average child RSS (MB), e.g. 2048 / 60 ≈ 32{}",
        limit.map(|l| format!("; now {l}")).unwrap_or_default()
    );
    if matches!(php_layout(ctx), Some(PhpLayout::Plesk { .. })) {
        // Plesk writes the domain's pool file itself: a hand edit is lost
        // at its next reconfiguration.
        f.fixes.push(review(
            format!("{sizing}\n# Plesk: Domains → {pool} → PHP Settings → pm.max_children = {{max_children}} → OK"),
            format!("Plesk writes {file} from the domain's PHP settings and overwrites edits made there"),
        ));
    } else {
        f.fixes.push(review(
            format!("{sizing}\nsudo sed -i -E 's/^\\s*pm\\.max_children\\s*=.*/pm.max_children = {{max_children}}/' {file}"),
            if from_paste { format!("set the new limit in the pool file you pasted ({file})") } else { "set the new limit in the pool file (the distro's default path; adjust if yours differs)".to_string() },
        ));
    }
    f.fixes.push(safe(
        "# with pm = dynamic keep pm.min_spare_servers <= pm.start_servers <= pm.max_spare_servers < pm.max_children (e.g. 4 / 8 / 12)",
        "FPM refuses to start when these are inconsistent",
    ));
    // Bitnami stacks run PHP-FPM under their own control script.
    let bitnami = matches!(php_layout(ctx), Some(PhpLayout::Bitnami));
    f.fixes.push(disruptive(
        if bitnami {
            format!(
                "{} && sudo /opt/bitnami/ctlscript.sh restart php-fpm",
                fpm_test(ctx, &svc.name)
            )
        } else {
            format!("{} && {}", fpm_test(ctx, &svc.name), svc.reload())
        },
        "test the pool configuration, then reload PHP-FPM gracefully",
    ));
    f.fixes.push(review(
        format!("# to find slow scripts, in {file}:\nrequest_slowlog_timeout = 5s\nslowlog = /var/log/php-fpm-{pool}-slow.log"),
        "if children are busy because requests are slow, more children only delay the queue",
    ));
    if bitnami {
        f.verify.push(
            "sudo /opt/bitnami/ctlscript.sh status php-fpm   # expect: php-fpm already running"
                .into(),
        );
    } else {
        // rc.d, OpenRC and brew services show no idle count, nor does
        // aaPanel's init script (systemd only wraps it).
        let aapanel = matches!(
            super::common::php_layout(ctx),
            Some(super::common::PhpLayout::AaPanel { .. })
        );
        let status = match svc.manager {
            Manager::Systemd if aapanel => None,
            Manager::Systemd => Some(format!("systemctl status {} | grep Status:", svc.name)),
            Manager::OpenRc | Manager::BsdRc | Manager::Brew => None,
            _ => Some(svc.status()),
        };
        if let Some(status) = status {
            f.verify
                .push(format!("{status}   # expect: idle > 0 under load"));
        }
    }
    f.verify.push(format!(
        "sudo grep -c 'max_children' {}   # run again later: expect no growth",
        super::common::fpm_log(ctx, &svc.name)
    ));
    if ctx.facts.pools.is_empty() {
        f.next.push(next(
            format!("grep -E '^(pm|listen|request_)' {file}"),
            "shows the pool's pm settings so the new figures fit them",
        ));
    }
    if max.is_empty() {
        f.next.push(next(
            format!(
                "sudo grep -E 'max_children|seems busy' {}",
                super::common::fpm_log(ctx, &svc.name)
            ),
            "confirms the pool hit its limit",
        ));
    }
    vec![f]
}

/// PHP-FPM in a compose service of the official `php:*-fpm` image: the
/// pool is read from `/usr/local/etc/php-fpm.d/*.conf` inside the
/// container, where an edit is lost when it is recreated; a mounted
/// override (`zz-` sorts last, so its values win) lasts.
fn compose_fixes(f: &mut Finding, service: &str, pool: &str, limit: Option<u32>) {
    let pool = if pool.is_empty() { "www" } else { pool };
    image_fixes(
        f,
        ImageRun {
            memory: format!("docker stats --no-stream $(docker compose ps -q {service})"),
            memory_why: "the container's memory use: max_children ≈ memory you can give PHP ÷ average child size",
            override_steps: super::common::compose_pool_override(
                service,
                pool,
                "pm.max_children = {max_children}\nrequest_slowlog_timeout = 5s\nslowlog = /proc/self/fd/2",
            ),
            lasts: "a mounted file survives recreating the container; the slow log goes to the container's log",
            apply: (
                super::common::compose_recreate_fpm(service),
                "recreate the PHP container with the override, then check that FPM accepts it",
            ),
            exec: format!("docker compose exec {service}"),
            logs: format!("docker compose logs --since 10m {service}"),
        },
        limit,
    );
}

/// The official php:*-fpm image in a Kubernetes pod: a pool override
/// from a ConfigMap, mounted last in /usr/local/etc/php-fpm.d/.
fn kubernetes_fixes(ctx: &Ctx, f: &mut Finding, pool: &str, limit: Option<u32>) {
    let pool = if pool.is_empty() { "www" } else { pool };
    let n = ctx
        .pod_namespace()
        .map(|ns| format!(" -n {ns}"))
        .unwrap_or_default();
    let deploy = match ctx.facts.kubectl_deployments.as_slice() {
        [one] => one.as_str(),
        _ => "{deployment}",
    };
    let c = ctx
        .facts
        .kubectl_containers
        .iter()
        .find(|c| c.contains("php") || c.contains("fpm"))
        .map_or_else(String::new, |c| format!(" -c {c}"));
    image_fixes(
        f,
        ImageRun {
            memory: format!("kubectl top pod{n} --containers | grep {deploy}"),
            memory_why: "the PHP container's memory use: max_children ≈ its memory limit ÷ average child size",
            override_steps: format!("kubectl create configmap{n} php-fpm-pool --from-literal=zz-pool.conf=$'[{pool}]\\npm.max_children = {{max_children}}\\n'\n# in deployment/{deploy}, the PHP container:\n#   volumeMounts:\n#   - {{name: php-fpm-pool, mountPath: /usr/local/etc/php-fpm.d/zz-pool.conf, subPath: zz-pool.conf}}\n# and the pod's volumes:\n#   - {{name: php-fpm-pool, configMap: {{name: php-fpm-pool}}}}"),
            lasts: "the ConfigMap survives new pods",
            apply: (
                format!("kubectl rollout restart{n} deployment/{deploy}"),
                "new pods start with the override",
            ),
            exec: format!("kubectl exec{n} deploy/{deploy}{c} --"),
            logs: format!("kubectl logs{n} deploy/{deploy}{c} --since 10m"),
        },
        limit,
    );
}

/// What differs where the official image runs (compose, a pod).
struct ImageRun {
    memory: String,
    memory_why: &'static str,
    /// The override after the sizing line.
    override_steps: String,
    /// Why the override outlives the container.
    lasts: &'static str,
    apply: (String, &'static str),
    /// Runs a command in the PHP container.
    exec: String,
    /// The PHP container's recent log.
    logs: String,
}

fn image_fixes(f: &mut Finding, run: ImageRun, limit: Option<u32>) {
    f.fixes.push(safe(run.memory, run.memory_why));
    f.fixes.push(review(
        format!(
            "# max_children = memory for PHP (MB) / average child (MB), e.g. 2048 / 60 ≈ 32{}\n{}",
            limit.map(|l| format!("; now {l}")).unwrap_or_default(),
            run.override_steps
        ),
        format!("the image reads every file of /usr/local/etc/php-fpm.d/ in name order: zz-pool.conf comes last and wins, and {}", run.lasts),
    ));
    f.fixes.push(disruptive(run.apply.0, run.apply.1));
    f.verify.push(format!(
        "{} php-fpm -tt 2>&1 | grep -E 'pm.max_children'   # expect the new value",
        run.exec
    ));
    f.verify.push(format!(
        "{} | grep -c 'max_children'   # under the same load: expect 0",
        run.logs
    ));
}

#[cfg(test)]
mod tests {
    /// The fix and verify commands of the report's first cause, which
    /// must be this rule's.
    fn top_commands(r: &crate::Report) -> Vec<&str> {
        let c = &r.causes[0];
        assert_eq!(c.id, "fpm_pool_exhausted");
        c.fixes
            .iter()
            .map(|f| f.command.as_str())
            .chain(c.verify.iter().map(String::as_str))
            .collect()
    }

    /// php:*-fpm as a container of a pod, its log from `kubectl logs`:
    /// a ConfigMap override and a rollout, none of a host's commands.
    #[test]
    fn pod_php_container_gets_a_configmap_and_rollout() {
        let r = crate::analyze_str("$ kubectl logs -n shop deploy/store -c fpm\n[14-Jun-2024 11:31:47] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it\n2024/06/14 11:32:49 [error] 29#29: *5012 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 10.42.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"shop.example.com\"\n");
        let all = top_commands(&r);
        assert!(
            all.contains(&"kubectl rollout restart -n shop deployment/store"),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|c| c.starts_with("kubectl exec -n shop deploy/store -c fpm -- php-fpm -tt")),
            "{all:?}"
        );
        assert!(
            !all.iter()
                .any(|c| c.contains("systemctl") || c.contains("{pool_file}")),
            "{all:?}"
        );
    }

    /// The official php:*-fpm image under compose: a mounted pool override
    /// and compose commands for the named service, no host paths.
    #[test]
    fn compose_php_service_gets_a_mounted_override() {
        let r = crate::analyze_str("php-1    | [27-Nov-2024 09:12:01] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it\nnginx-1  | 2024/11/27 09:13:01 [error] 29#29: *4411 upstream timed out (110: Operation timed out) while reading response header from upstream, client: 172.19.0.1, server: _, request: \"GET /api/orders HTTP/1.1\", upstream: \"fastcgi://172.19.0.2:9000\", host: \"localhost:8080\"\n");
        let all = top_commands(&r);
        assert!(all.iter().any(|c| c.contains("./php-fpm-pool.conf:/usr/local/etc/php-fpm.d/zz-pool.conf:ro")), "{all:?}");
        assert!(
            all.iter().any(|c| c.starts_with(
                "docker compose up -d --force-recreate php && docker compose exec php php-fpm -t"
            )),
            "{all:?}"
        );
        assert!(
            all.iter().all(|c| !c.contains("systemctl")
                && !c.contains("{pool_file}")
                && !c.contains("{php_service}")),
            "{all:?}"
        );
    }
}
