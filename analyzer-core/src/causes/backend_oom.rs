//! `backend_oom`: the kernel (or a cgroup limit) killed the backend for memory.

use super::common::{fpm_unit_from_comm, nginx_symptoms, pool_file, upstream_of};
use super::ctx::{compose_service, Manager, ServiceGuess};
use super::fixes::{disruptive, next, review, safe};
use super::{push_unique, Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "backend_oom",
    family: "backend_oom",
    title: "The backend was killed for lack of memory",
    docs: DOCS,
    signatures: &[
        "Out of memory: Killed process",
        "Memory cgroup out of memory",
        "has been killed by the OOM killer",
        "Failed with result 'oom-kill'",
        "OOMKilled",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
The machine (or the backend's cgroup: a systemd `MemoryMax=`, a container
memory limit) ran out of memory and the kernel's OOM killer killed a
process, often the backend (it is usually the biggest). Requests in flight
die with it; new ones are refused until it is restarted.

## Why nginx answers 502 or 504
In-flight requests see a reset or a premature close, later ones a refused
connection: **502 Bad Gateway**, in bursts around each kill.

## Evidence
- kernel (`dmesg -T`, `journalctl -k`): `Out of memory: Killed process 2345 (node) total-vm:…, anon-rss:1601236kB …`
  or `Memory cgroup out of memory: Killed process …` (a unit or container limit).
- systemd: `myapp.service: A process of this unit has been killed by the OOM killer.` / `Failed with result 'oom-kill'.`
- Node: `FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory` (its own heap limit).
- Docker: `Exited (137)` with `docker inspect -f '{{.State.OOMKilled}}'` → `true`.
- gunicorn `Worker (pid:…) was sent SIGKILL! Perhaps out of memory?` is only a hint:
  gunicorn prints it after its own timeout kills too.

## Fix
Use less memory or give more: fewer PHP-FPM children / gunicorn workers, a
heap limit for Node (`--max-old-space-size`), a container or unit memory
limit that fits the machine, swap as a cushion; then restart the backend.
Find leaks with `pm.max_requests` (FPM), `--max-requests` (gunicorn) or
`pm2 --max-memory-restart`.

## Verify
No new OOM lines in `dmesg -T` under the same load; `OOMKilled` false;
`systemctl show <service> -p NRestarts` stops growing.

## Known problems
The victim named by the kernel may not be the backend (a database, a build
job): check the process name. Exit code 137 alone is any SIGKILL, not
necessarily memory.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let kills: Vec<&EventGroup> =
        ctx.groups(|s| matches!(s, Signal::OomKilled { .. } | Signal::UnitOomKill { .. }));
    let containers: Vec<_> = ctx
        .facts
        .containers
        .iter()
        .filter(|c| c.oom_killed == Some(true))
        .collect();
    let units: Vec<_> = ctx
        .facts
        .services
        .iter()
        .filter(|s| s.result.as_deref() == Some("oom-kill"))
        .collect();
    let worker_timeouts = !ctx
        .groups(|s| matches!(s, Signal::GunicornWorkerTimeout))
        .is_empty();
    let sigkill: Vec<&EventGroup> = if worker_timeouts {
        vec![]
    } else {
        ctx.groups(|s| matches!(s, Signal::GunicornSigkill))
    };
    let fpm_kill9: Vec<&EventGroup> =
        ctx.groups(|s| matches!(s, Signal::FpmChildSignal { signal: 9 }));
    let heap: Vec<&EventGroup> = ctx.groups(|s| matches!(s, Signal::NodeHeapOom));
    let strong =
        !kills.is_empty() || !containers.is_empty() || !units.is_empty() || !heap.is_empty();
    if !strong && sigkill.is_empty() && fpm_kill9.is_empty() {
        return vec![];
    }
    let mut all = kills.clone();
    all.extend(heap.iter().copied());
    all.extend(sigkill.iter().copied());
    all.extend(fpm_kill9.iter().copied());
    let symptoms = nginx_symptoms(ctx);
    // Only a container's or unit's state says it (no kill line to count):
    // nginx's failures while it was down are the events and their times.
    let mut f = if all.is_empty() {
        let mut f = Finding::from_groups(&symptoms);
        f.evidence.clear();
        f
    } else {
        Finding::from_groups(&all)
    };
    f.status = Some(502);
    let up = upstream_of(&symptoms);
    f.upstreams.clear();
    if let Some(u) = &up {
        push_unique(&mut f.upstreams, u.addr.display());
    }
    for g in &symptoms {
        for e in g.evidence().take(1) {
            f.add_evidence(e.clone());
        }
    }
    for c in &containers {
        f.add_evidence(EvidenceLine::new(
            c.line,
            &format!("container {} {} (OOMKilled)", c.name, c.status),
        ));
    }
    for s in &units {
        f.add_evidence(EvidenceLine::new(
            s.active_line,
            &format!("{}: Active: {} (Result: oom-kill)", s.name, s.state),
        ));
    }
    // The victim: process name and the service it belongs to. With several
    // kills, the one that looks like the backend.
    let victims: Vec<String> = kills
        .iter()
        .filter_map(|g| match &g.key.signal {
            Signal::OomKilled { comm, .. } => Some(comm.clone()),
            _ => None,
        })
        .collect();
    let hints = backend_hints(ctx, up.as_ref());
    let fits: Vec<Fit> = victims.iter().map(|v| victim_fit(v, &hints)).collect();
    let victim = victims
        .iter()
        .zip(&fits)
        .find(|(_, f)| **f == Fit::Backend)
        .or_else(|| victims.iter().zip(&fits).find(|(_, f)| **f == Fit::Unknown))
        .or_else(|| victims.iter().zip(&fits).next())
        .map(|(v, _)| v.clone());
    // Only a kernel kill can name a process that is not the backend: a
    // unit, a container or Node's own heap report is the backend's own.
    let unrelated = !victims.is_empty()
        && fits.iter().all(|f| *f == Fit::Unrelated)
        && containers.is_empty()
        && units.is_empty()
        && heap.is_empty()
        && !kills
            .iter()
            .any(|g| matches!(g.key.signal, Signal::UnitOomKill { .. }));
    let unit = kills
        .iter()
        .find_map(|g| match &g.key.signal {
            Signal::UnitOomKill { unit } => Some(unit.trim_end_matches(".service").to_string()),
            _ => None,
        })
        .or_else(|| units.first().map(|s| s.name.clone()));
    let svc: ServiceGuess = if let Some(c) = containers.first() {
        let plain = ctx.plain_docker();
        ServiceGuess {
            name: if plain {
                c.name.clone()
            } else {
                compose_service(&c.name).to_string()
            },
            manager: if plain {
                Manager::DockerRun
            } else {
                Manager::Docker
            },
            known: true,
        }
    } else if let Some(u) = &unit {
        ServiceGuess {
            name: u.clone(),
            manager: Manager::Systemd,
            known: true,
        }
    } else if let Some(v) = victim.as_deref().and_then(fpm_unit_from_comm) {
        ServiceGuess {
            name: v,
            manager: Manager::Systemd,
            known: true,
        }
    } else {
        ctx.service_for(up.as_ref())
    };
    let kind = if !heap.is_empty() && kills.is_empty() {
        Kind::Node
    } else {
        backend_kind(
            victim.as_deref(),
            &svc.name,
            up.as_ref().map(|u| u.scheme.as_str()),
            !sigkill.is_empty(),
        )
    };
    if unrelated {
        let v = victim.clone().unwrap_or_default();
        f.confidence = 0.3;
        f.status = None;
        // Only the kill itself: nginx's lines are another cause's evidence.
        f.evidence
            .retain(|e| kills.iter().any(|g| g.evidence().any(|k| k.line == e.line)));
        f.reasoning.push(format!(
            "the kernel's OOM killer killed `{v}`, which does not look like the backend ({})",
            if hints.is_empty() {
                "it is a database, a browser or a system daemon, not an app server".to_string()
            } else {
                format!(
                    "the paste points to {}",
                    hints
                        .iter()
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ));
        f.reasoning.push(
            "memory is short on this machine, but this kill alone does not explain nginx's errors"
                .into(),
        );
    } else if strong {
        f.confidence = 0.9;
        f.explains = vec![
            "upstream_closed_early",
            "upstream_reset",
            "upstream_down",
            "systemd_unit_failed",
            "pm2_not_online",
        ];
        // A stopped container leaves Docker's DNS: nginx cannot resolve it.
        if containers.iter().any(|c| {
            ctx.nginx_groups(|s| {
                matches!(
                    s,
                    Signal::CouldNotResolve { .. } | Signal::HostNotFound { .. }
                )
            })
            .iter()
            .any(|g| match &g.key.signal {
                Signal::CouldNotResolve { host, .. } | Signal::HostNotFound { host } => {
                    let h = host.split(':').next().unwrap_or(host);
                    !h.is_empty() && compose_service(&c.name) == h
                }
                _ => false,
            })
        }) {
            f.explains.push("dns_resolution");
            f.reasoning.push(
                "a stopped container drops out of Docker's DNS, so nginx can no longer resolve its name".into(),
            );
        }
        if let Some(v) = &victim {
            f.reasoning
                .push(format!("the kernel's OOM killer killed `{v}`"));
        }
        if let Some(u) = &unit {
            f.reasoning
                .push(format!("systemd reports `{u}` killed by the OOM killer"));
        }
        for c in &containers {
            f.reasoning
                .push(format!("container `{}` has OOMKilled=true", c.name));
        }
        if !heap.is_empty() {
            f.reasoning.push(
                "Node aborted with `JavaScript heap out of memory`: its heap limit was reached"
                    .into(),
            );
        }
        if !symptoms.is_empty() {
            f.reasoning.push(
                "nginx's resets, closes and refusals are the backend dying and restarting".into(),
            );
        }
    } else {
        f.confidence = 0.5;
        f.explains = vec!["upstream_closed_early", "upstream_reset"];
        if !sigkill.is_empty() {
            f.reasoning.push("gunicorn says a worker `was sent SIGKILL! Perhaps out of memory?` and logged no WORKER TIMEOUT before it".into());
        }
        if !fpm_kill9.is_empty() {
            f.reasoning.push(
                "a PHP-FPM child exited on SIGKILL, which is what the OOM killer sends".into(),
            );
        }
        f.reasoning
            .push("no kernel OOM line confirms it: `dmesg` would".into());
    }
    // A pod that `kubectl get pods` shows OOMKilled: the commands are kubectl's.
    let pod = containers
        .iter()
        .find(|c| ctx.facts.kubernetes || c.namespace.is_some());
    let who = victim.clone().unwrap_or_else(|| {
        if let Some(p) = pod {
            workload_of(&p.name).to_string()
        } else if !heap.is_empty() && svc.name == "{service}" {
            "node".into()
        } else {
            svc.name.clone()
        }
    });
    let cgroup = kills
        .iter()
        .flat_map(|g| g.evidence())
        .any(|e| e.text.contains("Memory cgroup out of memory"));
    if cgroup {
        f.reasoning.push(
            "a cgroup limit was hit (`Memory cgroup out of memory`), not the whole machine".into(),
        );
    }
    f.title = if unrelated {
        format!("`{who}` was killed for lack of memory (not the backend, it seems)")
    } else if strong {
        format!("The backend `{who}` was killed for lack of memory")
    } else {
        format!("The backend `{who}` was killed with SIGKILL, probably for lack of memory")
    };
    f.summary = format!(
        "{}{}",
        if unrelated {
            format!("The kernel's OOM killer killed `{who}`; the machine is short of memory, which can slow or starve the backend too.")
        } else if strong {
            if pod.is_some() && kills.is_empty() {
                format!("Kubernetes reports the pod of `{who}` OOMKilled: its container reached its memory limit and the kernel killed it.")
            } else if !containers.is_empty() && kills.is_empty() {
                format!("Docker reports the container of `{who}` OOMKilled: it reached its memory limit (or the host ran out) and the kernel killed it.")
            } else if cgroup {
                format!("`{who}` reached the memory limit of its cgroup (a systemd MemoryMax= or a container limit) and the kernel killed it.")
            } else {
                format!(
                    "The kernel's OOM killer killed `{who}` when the machine ran out of memory."
                )
            }
        } else {
            format!("`{who}` lost a worker to SIGKILL, the signal the kernel's OOM killer sends; nothing else in the paste explains it.")
        },
        if unrelated {
            ""
        } else {
            " Requests it was serving were cut off and new ones refused until it came back, so nginx answered 502."
        }
    );
    if let Some(p) = pod {
        let n = ctx
            .namespace_for(Some(p))
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        let name = &p.name;
        f.fixes.push(safe(
            format!("kubectl describe pod{n} {name} | grep -A6 -E 'Last State|Limits'"),
            "the last termination (OOMKilled, exit code 137) and the memory limit it hit",
        ));
        f.fixes.push(safe(
            format!("kubectl top pod{n} {name}"),
            "what it uses now (needs metrics-server): compare with the limit",
        ));
        match p.memory_limit.as_deref().and_then(|l| Some((l, doubled(l)?))) {
            Some((now, more)) => {
                f.reasoning.push(format!("its memory limit is {now}"));
                f.fixes.push(review(
                    format!("kubectl set resources deployment/{who}{n} --limits=memory={more}"),
                    format!("twice the {now} it hit, to get it serving again while you measure what it needs (or lower its use: fewer workers, smaller caches); this rolls the pods out again"),
                ));
            }
            None => f.fixes.push(review(
                format!("kubectl set resources deployment/{who}{n} --limits=memory={{limit}} --requests=memory={{request}}"),
                "a limit that fits the app's real need (or lower its use: fewer workers, smaller caches); this rolls the pods out again",
            )),
        }
        f.verify.push(format!(
            "kubectl get pods{n} | grep {who}   # expect Running, RESTARTS not increasing"
        ));
        return vec![f];
    }
    if !strong {
        f.fixes.push(safe(
            "sudo dmesg -T | grep -iE 'out of memory|oom-kill|killed process' | tail -n 20",
            "an `Out of memory: Killed process` line at the same time confirms it",
        ));
    }
    f.fixes.push(safe(
        "free -m; ps -eo pid,rss,comm --sort=-rss | head -n 15",
        "how much memory there is and who uses it",
    ));
    if unrelated {
        // Not the backend's memory: the machine's. No backend to resize or restart.
        f.fixes.push(review(
            "sudo fallocate -l 2G /swapfile && sudo chmod 600 /swapfile && sudo mkswap /swapfile && sudo swapon /swapfile",
            "a swap cushion on small VPSes (add it to /etc/fstab to keep it)",
        ));
        f.verify.push(
            "sudo dmesg -T | grep -ciE 'killed process'   # run again under load: expect no growth"
                .into(),
        );
        f.next.push(next(
            "free -m",
            "the memory the machine has, and how much the victim and the backend use",
        ));
        return vec![f];
    }
    match kind {
        Kind::Fpm => {
            let (file, _) = pool_file(ctx, "www", &svc.name);
            f.fixes.push(review(
                format!("# fewer children: max_children ≈ RAM you can give PHP / average child RSS\nsudo sed -i -E 's/^\\s*pm\\.max_children\\s*=.*/pm.max_children = {{max_children}}/' {file}\n# and recycle leaky children:\nsudo sed -i -E 's/^;?\\s*pm\\.max_requests\\s*=.*/pm.max_requests = 500/' {file}"),
                "cap PHP's total memory below what the machine has",
            ));
        }
        Kind::Gunicorn => f.fixes.push(review(
            "# gunicorn: fewer workers, recycle them before they grow\n#   --workers {n} --max-requests 1000 --max-requests-jitter 100",
            "each worker holds a full copy of the app",
        )),
        Kind::Node => f.fixes.push(review(
            "# cap the heap below the memory available, and restart before it is reached:\n#   node --max-old-space-size={mb} server.js\n#   pm2 start server.js --max-memory-restart {mb}M",
            "Node grows its heap until told otherwise",
        )),
        Kind::Other => {}
    }
    match svc.manager {
        Manager::Docker => f.fixes.push(review(
            format!("docker update --memory {{limit}} --memory-swap {{limit}} $(docker compose ps -q {})   # or mem_limit in compose", svc.name),
            "a container limit that fits the app's real need (too low kills it, none lets it take the host down)",
        )),
        // pm2 and supervisord run under their own unit: the Node heap limit
        // and `--max-memory-restart` (above) are their knobs.
        Manager::DockerRun => f.fixes.push(review(
            format!("docker update --memory {{limit}} --memory-swap {{limit}} {}   # and --memory on its docker run", svc.name),
            "a container limit that fits the app's real need (too low kills it, none lets it take the host down)",
        )),
        Manager::Pm2
        | Manager::Supervisor
        | Manager::OpenRc
        | Manager::BsdRc
        | Manager::Brew => {}
        Manager::Systemd => f.fixes.push(review(
            format!("sudo systemctl set-property {} MemoryMax={{limit}}", svc.name),
            if cgroup {
                "the limit it hit: raise it if the machine has room, or lower the backend's use (above)"
            } else {
                "confine the backend so it cannot take the whole machine down (its own cgroup OOMs instead)"
            },
        )),
    }
    f.fixes.push(review(
        "sudo fallocate -l 2G /swapfile && sudo chmod 600 /swapfile && sudo mkswap /swapfile && sudo swapon /swapfile",
        "a swap cushion on small VPSes (add it to /etc/fstab to keep it)",
    ));
    f.fixes.push(disruptive(
        svc.restart(),
        format!("bring `{}` back with the new limits", svc.name),
    ));
    f.verify.push(
        "sudo dmesg -T | grep -ciE 'killed process'   # run again under load: expect no growth"
            .into(),
    );
    match svc.manager {
        Manager::Docker => f.verify.push(format!("docker inspect -f '{{{{.State.OOMKilled}}}} {{{{.RestartCount}}}}' $(docker compose ps -q {})   # expect false", svc.name)),
        Manager::DockerRun => f.verify.push(format!("docker inspect -f '{{{{.State.OOMKilled}}}} {{{{.RestartCount}}}}' {}   # expect false", svc.name)),
        Manager::Systemd => f.verify.push(format!("systemctl show {} -p NRestarts   # expect no growth", svc.name)),
        _ => f.verify.push(svc.status_expect()),
    }
    if kills.is_empty() {
        f.next.push(next(
            "sudo dmesg -T | grep -iE 'out of memory|oom|killed process'",
            "the kernel's OOM lines name the victim and its memory use",
        ));
    }
    f.next.push(next(
        "free -m",
        "the memory the machine has, to size workers and limits",
    ));
    vec![f]
}

/// A pod's workload: `payments-api-5f6d7c8b9-x2x7w` → `payments-api` (a
/// Deployment's pods end in the ReplicaSet's hash and their own).
/// Twice a Kubernetes memory quantity, in the unit a person would write:
/// `512Mi` → `1Gi`, `768Mi` → `1536Mi`, `2Gi` → `4Gi`, `500M` → `1000M`.
/// `None` for a form it does not read (plain bytes, `1.5Gi`).
fn doubled(q: &str) -> Option<String> {
    let at = q.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = q.split_at(at);
    let n: u64 = n.parse().ok().filter(|n| *n > 0)?;
    if !matches!(unit, "Ki" | "Mi" | "Gi" | "K" | "M" | "G") {
        return None;
    }
    let twice = n * 2;
    Some(match unit {
        "Mi" if twice % 1024 == 0 => format!("{}Gi", twice / 1024),
        "Ki" if twice % 1024 == 0 => format!("{}Mi", twice / 1024),
        _ => format!("{twice}{unit}"),
    })
}

fn workload_of(pod: &str) -> &str {
    let hashy = |w: &str| {
        w.len() >= 5
            && w.len() <= 10
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let mut parts: Vec<&str> = pod.split('-').collect();
    if parts.len() >= 3 && hashy(parts[parts.len() - 1]) && hashy(parts[parts.len() - 2]) {
        parts.truncate(parts.len() - 2);
        let n: usize = parts.iter().map(|p| p.len() + 1).sum::<usize>() - 1;
        return &pod[..n];
    }
    pod
}

enum Kind {
    Fpm,
    Gunicorn,
    Node,
    Other,
}

fn backend_kind(victim: Option<&str>, service: &str, scheme: Option<&str>, gunicorn: bool) -> Kind {
    let v = victim.unwrap_or("").to_ascii_lowercase();
    if v.contains("php") || service.contains("php") || scheme == Some("fastcgi") {
        Kind::Fpm
    } else if gunicorn
        || v.contains("gunicorn")
        || v.contains("python")
        || service.contains("gunicorn")
    {
        Kind::Gunicorn
    } else if v.contains("node") || v == "npm" || v.contains("next-server") {
        Kind::Node
    } else {
        Kind::Other
    }
}

/// Does the OOM victim look like the backend?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fit {
    /// Its name matches what the paste says the backend is.
    Backend,
    /// The paste does not tell what the backend is.
    Unknown,
    /// The paste names another backend, or the victim is a database, a
    /// browser or a system daemon.
    Unrelated,
}

/// Processes that are never what nginx proxies to.
const NOT_BACKENDS: &[&str] = &[
    "mysqld",
    "mariadbd",
    "postgres",
    "postmaster",
    "redis-server",
    "mongod",
    "memcached",
    "clickhouse-serv",
    "chrome",
    "chromium",
    "firefox",
    "snapd",
    "dockerd",
    "containerd",
    "apt",
    "apt-get",
    "dpkg",
    "unattended-upgr",
    "packagekitd",
    "fwupd",
    "clamd",
    "freshclam",
    "systemd-journal",
    "rsyslogd",
    "sshd",
    "nginx",
];

/// The runtime family of a process, unit or app name: `php-fpm8.1` → `php`,
/// `gunicorn`/`python3` → `python`, `next-server` → `node`.
fn family(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    let has = |w: &str| n.contains(w);
    if has("php") {
        "php"
    } else if has("python")
        || has("gunicorn")
        || has("uwsgi")
        || has("uvicorn")
        || has("hypercorn")
        || has("daphne")
        || has("celery")
    {
        "python"
    } else if has("node") || has("next-") || has("npm") || has("pm2") || has("bun") {
        "node"
    } else if has("java") || has("spring") || has("tomcat") {
        "java"
    } else if has("ruby") || has("puma") || has("unicorn") || has("passenger") {
        "ruby"
    } else if has("dotnet") {
        "dotnet"
    } else {
        ""
    }
}

/// What the paste says the backend is: runtime families and names, from
/// the upstream (scheme, socket path), the process listening on it, pm2
/// apps, the non-nginx units and containers, and backend log sources.
fn backend_hints(ctx: &Ctx, up: Option<&crate::facts::Upstream>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        let s = s.trim().to_ascii_lowercase();
        if s.len() >= 2 && !s.contains("nginx") && !out.contains(&s) {
            out.push(s);
        }
    };
    if let Some(u) = up {
        match u.scheme.as_str() {
            "fastcgi" => add("php"),
            "uwsgi" => add("uwsgi"),
            _ => {}
        }
        if let Some(p) = u.addr.socket_path() {
            for part in p.split(['/', '.', '-', '_']) {
                if !family(part).is_empty() {
                    add(part);
                }
            }
        }
        for l in ctx.listeners_covering(&u.addr) {
            if let Some(p) = &l.process {
                add(p);
            }
        }
    }
    for a in &ctx.facts.pm2 {
        add("node");
        add(&a.name);
    }
    for s in &ctx.facts.services {
        if !NOT_BACKENDS.iter().any(|n| s.name.contains(n)) {
            add(&s.name);
        }
    }
    for c in &ctx.facts.containers {
        if !c.image.as_deref().unwrap_or("").contains("nginx") {
            add(compose_service(&c.name));
        }
    }
    for g in &ctx.facts.groups {
        match g.key.source {
            crate::facts::Source::PhpFpm => add("php"),
            crate::facts::Source::Gunicorn => add("gunicorn"),
            crate::facts::Source::Uwsgi => add("uwsgi"),
            crate::facts::Source::Node | crate::facts::Source::Pm2 => add("node"),
            _ => {}
        }
    }
    out
}

fn victim_fit(victim: &str, hints: &[String]) -> Fit {
    let v = victim.to_ascii_lowercase();
    let fam = family(&v);
    let matches = hints.iter().any(|h| {
        (!fam.is_empty() && family(h) == fam)
            || (v.len() >= 3 && (h.contains(v.as_str()) || v.contains(h.as_str())))
    });
    if matches {
        Fit::Backend
    } else if NOT_BACKENDS.iter().any(|n| v == *n || v.starts_with(n)) {
        Fit::Unrelated
    } else if !fam.is_empty() && hints.iter().any(|h| !family(h).is_empty()) {
        // The paste says which runtime the backend is, and this is another.
        Fit::Unrelated
    } else {
        Fit::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_names_give_their_workload() {
        assert_eq!(workload_of("payments-api-5f6d7c8b9-x2x7w"), "payments-api");
        assert_eq!(workload_of("web-7c9f8d6b5d-4kq2x"), "web");
        assert_eq!(workload_of("redis-0"), "redis-0");
        assert_eq!(workload_of("-"), "-");
        assert_eq!(workload_of(""), "");
    }

    #[test]
    fn memory_limits_double_in_a_natural_unit() {
        assert_eq!(doubled("512Mi").as_deref(), Some("1Gi"));
        assert_eq!(doubled("768Mi").as_deref(), Some("1536Mi"));
        assert_eq!(doubled("2Gi").as_deref(), Some("4Gi"));
        assert_eq!(doubled("500M").as_deref(), Some("1000M"));
        assert_eq!(doubled("512Ki").as_deref(), Some("1Mi"));
        for odd in ["1.5Gi", "536870912", "0Mi", "Mi", "", "12Ti"] {
            assert_eq!(doubled(odd), None, "{odd}");
        }
    }

    #[test]
    fn victims_are_matched_to_the_backend() {
        let h = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(victim_fit("php-fpm8.1", &h(&["php"])), Fit::Backend);
        assert_eq!(victim_fit("gunicorn", &h(&["gunicorn"])), Fit::Backend);
        assert_eq!(victim_fit("python3", &h(&["gunicorn"])), Fit::Backend);
        assert_eq!(victim_fit("node", &h(&["node", "api"])), Fit::Backend);
        assert_eq!(victim_fit("java", &h(&["orders"])), Fit::Unknown);
        assert_eq!(victim_fit("node", &h(&[])), Fit::Unknown);
        assert_eq!(victim_fit("mysqld", &h(&[])), Fit::Unrelated);
        assert_eq!(victim_fit("mysqld", &h(&["php"])), Fit::Unrelated);
        assert_eq!(victim_fit("chrome", &h(&["node", "api"])), Fit::Unrelated);
        assert_eq!(victim_fit("java", &h(&["php"])), Fit::Unrelated);
        assert_eq!(compose_service("stack-api-1"), "api");
        assert_eq!(compose_service("stack_api_1"), "api");
    }
}
