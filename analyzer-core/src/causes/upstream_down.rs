//! `upstream_down`: nothing accepts connections at the upstream address.

use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_down",
    family: "upstream_down",
    title: "The backend is not running (connection refused)",
    docs: DOCS,
    signatures: &["(111: Connection refused) while connecting to upstream"],
    check,
};

const DOCS: &str = r#"
## What it means
nginx tried to open a connection to the backend and the operating system
answered *connection refused* (errno 111): nothing listens at that address
and port. On a unix socket, 111 means the socket file is still there but no
process accepts on it (a stale socket after a crash or `kill -9`).

## Why nginx answers 502 or 504
A refused connection fails at once, so nginx answers **502 Bad Gateway**
immediately, without waiting for any timeout.

## Evidence
- error.log: `connect() failed (111: Connection refused) while connecting to upstream`
  or `connect() to 127.0.0.1:3000 failed (111: Connection refused)`.
- `systemctl status <service>` shows `inactive (dead)`, `failed` or
  `activating (auto-restart)`; `pm2 list` shows `errored`/`stopped`.
- `ss -tlnp` has no LISTEN line for the port (if the app listens on another
  port, the cause is `wrong_port` instead).
- the backend's own log shows why it does not start: Bundler's `Could not
  find pg-1.5.4 in locally installed gems (Bundler::GemNotFound)` or
  `bundler: failed to load command: puma`, Puma's `! Unable to load
  application: …`, Rails' `A server is already running. Check
  …/tmp/pids/server.pid.`, Python's `ModuleNotFoundError: No module named
  'x'` with gunicorn's `Worker failed to boot` or uvicorn's `Error loading
  ASGI app`. The fix is then that reason's (rebuild the image, install the
  gems or packages, remove the stale pid file), not only a restart.
- behind Nginx Proxy Manager, the address is the proxy host's Forward
  Hostname / IP and Forward Port: change it in NPM, which rewrites its files.
- Kubernetes: ingress-nginx's `Service "ns/name" does not have any active
  Endpoint` or a `kubectl describe ingress` backend `svc:80 (<none>)`: no
  Ready pod matches the Service's selector. ingress-nginx then answers 503
  without connecting; the fix is the selector, the pod labels or the
  readiness probe (`kubectl get endpoints <svc>` shows the list).

## Fix
Start the backend and make it start at boot
(`sudo systemctl enable --now <service>`, or `pm2 restart <app> && pm2 save`).
If it does not stay up, read its own log (`journalctl -u <service>`). For a
stale unix socket, remove the file and restart the service.

## Verify
`systemctl is-active <service>` prints `active`; `ss -tlnp` shows the port
owned by the backend; a request through nginx returns 200.

## Known problems
If the backend was restarted after the log lines were written, the lines are
history: check `ss -tlnp` before acting. A refusal on `[::1]` while the app
listens on `127.0.0.1` is `wrong_port` (IPv6 localhost), not a dead backend.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 }));
    let boot = super::boot::find(ctx);
    if groups.is_empty() {
        if let Some(f) = no_endpoints(ctx) {
            return vec![f];
        }
        return boot.map(|b| boot_only(ctx, &b)).unwrap_or_default();
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = groups.iter().find_map(|g| g.key.upstream.clone());
    let target: Option<Address> = up
        .as_ref()
        .map(|u| u.addr.clone())
        .or_else(|| {
            groups
                .iter()
                .find_map(|g| g.key.server.as_deref().and_then(Address::parse))
        })
        .or_else(|| {
            // Lines cut before `upstream:`: the config's one target, when
            // it has only one (an NPM proxy host's `set $server`/`$port`).
            let passes = ctx.passes();
            match passes.as_slice() {
                [p] => p
                    .upstream
                    .as_ref()
                    .filter(|u| u.addr.port().is_some())
                    .map(|u| u.addr.clone()),
                _ => None,
            }
        });
    let target_s = target
        .as_ref()
        .map(|a| a.display())
        .unwrap_or_else(|| "the upstream".into());
    let svc = ctx.service_for(up.as_ref());
    f.confidence = 0.72 + if f.events >= 3 { 0.05 } else { 0.0 };
    f.reasoning.push(format!(
        "{} of `connect() … {}` towards {target_s}",
        plural(f.events, "line", "lines"),
        match ctx.host_os() {
            super::ctx::HostOs::Windows => "(10061: No connection could be made …)",
            super::ctx::HostOs::Mac => "(61: Connection refused)",
            super::ctx::HostOs::Linux => "(111: Connection refused)",
        }
    ));

    // Corroborate with the listeners and the service state.
    // A socket table says what listens now; an app's log line only what
    // listened when it was written.
    let have_listeners = ctx.facts.listeners.iter().any(|l| !l.from_log);
    if let Some(t) = &target {
        if have_listeners {
            let covering: Vec<_> = ctx
                .listeners_covering(t)
                .into_iter()
                .filter(|l| !l.from_log)
                .collect();
            if covering.is_empty() {
                f.confidence += 0.15;
                f.reasoning.push(format!(
                    "the pasted listeners show nothing on {}",
                    t.display()
                ));
            } else {
                f.confidence -= 0.35;
                f.reasoning.push(format!(
                    "but something listens on {} now: the backend may have been restarted since",
                    t.display()
                ));
                for l in covering {
                    f.add_evidence(EvidenceLine::new(
                        l.line,
                        &format!(
                            "listener {} {}",
                            l.addr.display(),
                            l.process.as_deref().unwrap_or("")
                        ),
                    ));
                }
            }
        }
    }
    if let Some(s) = ctx.facts.services.iter().rev().find(|s| s.name == svc.name) {
        if !s.is_running() {
            f.confidence += 0.12;
            f.reasoning.push(format!("`{}` is {}", s.name, s.state));
            f.add_evidence(EvidenceLine::new(
                s.active_line,
                &format!(
                    "{}: Active: {}{}",
                    s.name,
                    s.state,
                    s.sub
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                ),
            ));
        } else {
            f.confidence -= 0.2;
            f.reasoning.push(format!("`{}` is reported active", s.name));
        }
    }
    if let Some(app) = ctx
        .facts
        .pm2
        .iter()
        .find(|a| a.name == svc.name && a.status != "online")
    {
        f.confidence += 0.12;
        f.add_evidence(EvidenceLine::new(
            app.line,
            &format!("pm2 app {} is {}", app.name, app.status),
        ));
    }

    if super::common::supervisor_down(ctx, &mut f, &svc.name) {
        f.confidence += 0.12;
    }
    let stale_socket = target
        .as_ref()
        .and_then(|t| t.socket_path().map(str::to_string));
    f.title = match &stale_socket {
        Some(p) => format!("Nothing accepts connections on the socket {p} (stale socket)"),
        None => format!("The backend is not running on {target_s}"),
    };
    f.summary = format!(
        "nginx could not connect to {target_s}: the connection was refused, so nothing is listening there. \
         Every request proxied to it fails at once with 502."
    );
    if let Some(p) = &stale_socket {
        f.fixes.push(disruptive(
            format!("sudo rm -f {p} && {}", svc.restart()),
            "the socket file is left over from a process that is gone; remove it and let the service create a fresh one",
        ));
    }
    if let Some(b) = &boot {
        f.confidence += 0.1;
        f.title = format!(
            "The backend on {target_s} does not start: {}",
            b.reason.short()
        );
    }
    if ctx.facts.ingress_nginx || ctx.facts.kubernetes {
        pod_down(ctx, &mut f, &target_s, boot.as_ref());
        return vec![f];
    }
    if ctx.facts.npm && !svc.known {
        if let Some(Address::Tcp {
            host,
            port: Some(port),
        }) = &target
        {
            npm_down(ctx, &mut f, &groups, host, *port);
            return vec![f];
        }
    }
    // `kevent() reported that connect() failed`: nginx on macOS or a BSD;
    // `(10061: No connection could be made …)`: nginx on Windows. Neither
    // has systemctl, ss or journalctl.
    let os = ctx.host_os();
    let windows = os == super::ctx::HostOs::Windows;
    if os != super::ctx::HostOs::Linux && !svc.known {
        let port = match &target {
            Some(Address::Tcp { port: Some(p), .. }) => p.to_string(),
            _ => "{port}".to_string(),
        };
        let listening = if windows {
            format!("netstat -ano | findstr :{port}")
        } else {
            format!("lsof -nP -iTCP:{port} -sTCP:LISTEN")
        };
        f.fixes.push(safe(
            listening.clone(),
            "what listens on the port now (nothing: start the app; another port: fix the *_pass line)",
        ));
        let fastcgi = up.as_ref().is_some_and(|u| u.scheme == "fastcgi");
        f.fixes.push(review(
            if windows && fastcgi {
                super::common::php_cgi_start(&port.to_string())
            } else if windows {
                "# start the app in its own console, or as a Windows service (NSSM, WinSW) so it survives logoff and reboots".to_string()
            } else {
                "# start the app in its own terminal or under its process manager (npm run dev / npm start, pm2 start, brew services start <name>)".to_string()
            },
            if windows && fastcgi {
                "nginx only forwards: php-cgi must be running on that port (it exits after 500 requests unless PHP_FCGI_MAX_REQUESTS is 0)"
            } else {
                "nginx only forwards: the backend itself must be running and listening on that port"
            },
        ));
        f.verify
            .push(format!("{listening}   # expect the backend's process"));
        let through = super::fixes::curl_through_nginx(ctx, &f);
        f.verify.push(through);
        return vec![f];
    }
    let docker = svc.manager.is_docker();
    // A backend on another machine: the commands run there, not on nginx's host.
    let remote = match &target {
        Some(Address::Tcp {
            host,
            port: Some(port),
        }) if svc.manager == super::ctx::Manager::Systemd
            && !ctx.facts.nginx_in_container
            && !target.as_ref().is_some_and(Address::is_loopback)
            && !matches!(host.as_str(), "*" | "0.0.0.0" | "::" | "") =>
        {
            Some((host.clone(), *port))
        }
        _ => None,
    };
    let on = remote
        .as_ref()
        .map(|(h, _)| format!("# on {h}:\n"))
        .unwrap_or_default();
    if let Some(b) = &boot {
        super::boot::explain(ctx, &mut f, &svc, b, None);
    }
    if let Some((h, p)) = &remote {
        f.fixes.push(safe(
            format!("nc -vz -w 3 {h} {p}"),
            format!("from nginx's host: `refused` confirms that nothing listens on port {p} of {h} (or its firewall rejects); `succeeded` means it is back"),
        ));
    }
    // A boot fix that already starts the service says it once.
    let started = f
        .fixes
        .iter()
        .any(|x| x.command.contains(&svc.start_enable()));
    if !started {
        f.fixes.push(disruptive(
        format!("{on}{}", svc.start_enable()),
        if svc.manager == super::ctx::Manager::DockerRun {
            format!("start the container `{}` again, and give it a restart policy (the same as `--restart unless-stopped` on `docker run`) so it also comes back after a crash or a reboot", svc.name)
        } else if docker {
            format!("start `{}` again (with `restart: unless-stopped` in the compose file it also comes back after a crash or a reboot)", svc.name)
        } else {
            format!("start `{}` now and at every boot", svc.name)
        },
    ));
    }
    f.fixes.push(safe(
        format!("{on}{}", svc.logs()),
        "if it stops again, its own log says why (a crash, a port already in use, a bad config)",
    ));
    f.verify.push(match &remote {
        Some((h, _)) => format!("{}   # on {h}: expect active", svc.status()),
        None => svc.status_expect(),
    });
    if docker {
        // The port is inside the container's network: the host's `ss` does not show it.
    } else if let Some(Address::Tcp { port: Some(p), .. }) = &target {
        f.verify.push(match &remote {
            Some((h, _)) => format!("sudo ss -tlnp | grep ':{p} '   # on {h}: expect a LISTEN line owned by the backend"),
            None => format!("{}   # expect a LISTEN line owned by the backend", super::common::tcp_listener_cmd(ctx, p)),
        });
    } else if let Some(p) = &stale_socket {
        f.verify.push(format!(
            "{}   # expect the backend process",
            super::common::unix_listener_cmd(ctx, p)
        ));
    }
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if docker {
        if ctx.facts.containers.is_empty() {
            f.next.push(next(
                svc.status(),
                "shows whether the backend's container is up, restarting or exited",
            ));
        }
    } else if !have_listeners {
        f.next.push(next("sudo ss -tlnp", "shows whether the backend listens on another port or address (then the fix is the proxy_pass line)"));
    }
    if target.is_none() {
        f.next.push(next(
            "sudo tail -n 20 /var/log/nginx/error.log",
            "the pasted lines are cut before the `upstream:` field; whole lines name the address nginx tries",
        ));
    }
    if !svc.known {
        f.next.push(next(
            "systemctl list-units --type=service --state=failed",
            "names the backend's unit so the fix commands can use it",
        ));
    } else if ctx.facts.service(&svc.name).is_none() && svc.manager == super::ctx::Manager::Systemd
    {
        f.next.push(next(
            format!("systemctl status {}", svc.name),
            "confirms the backend is stopped and shows why",
        ));
    }
    vec![f]
}

/// A Kubernetes Service with no ready endpoint behind an Ingress:
/// ingress-nginx warns `Service "ns/name" does not have any active
/// Endpoint` and answers 503 without dialling anything, and `kubectl
/// describe ingress` lists the backend as `(<none>)`. No pod matches the
/// Service's selector, or none is Ready.
fn no_endpoints(ctx: &Ctx) -> Option<Finding> {
    let (first, line) = ctx.facts.no_endpoints.first()?;
    let (ns, svc) = match first.split_once('/') {
        Some((n, s)) => (Some(n.to_string()), s.to_string()),
        None => (None, first.clone()),
    };
    let ns_arg = ns
        .as_deref()
        .map_or_else(|| " -n {namespace}".to_string(), |n| format!(" -n {n}"));
    let mut f = Finding {
        confidence: 0.85,
        events: ctx.facts.no_endpoints.len() as u64,
        status: Some(503),
        ..Finding::default()
    };
    for (_, l) in &ctx.facts.no_endpoints {
        if let Some(t) = ctx.facts.source_lines.get(l) {
            f.add_evidence(EvidenceLine::new(*l, t));
        }
    }
    if f.evidence.is_empty() {
        f.add_evidence(EvidenceLine::new(*line, first));
    }
    f.title =
        format!("The Service {first} has no ready endpoint: ingress-nginx has no pod to send to");
    f.summary = format!(
        "The Ingress routes to the Service `{svc}`, whose endpoint list is empty: no pod matches its selector, or none is Ready. \
         ingress-nginx then answers 503 at once (a 502 follows when endpoints exist but nothing listens on the targetPort)."
    );
    let mut names: Vec<&str> = Vec::new();
    for (s, _) in &ctx.facts.no_endpoints {
        if !names.contains(&s.as_str()) {
            names.push(s);
        }
    }
    f.reasoning.push(format!(
        "{} with no endpoint: {}",
        plural(names.len() as u64, "Service", "Services"),
        names.join(", ")
    ));
    f.fixes.push(safe(
        format!("kubectl get svc {svc}{ns_arg} -o jsonpath='{{.spec.selector}}'; echo; kubectl get pods{ns_arg} --show-labels"),
        "the Service's selector must equal labels the pods carry (a chart that renamed `app` to `app.kubernetes.io/name` breaks it)",
    ));
    f.fixes.push(safe(
        format!("kubectl get pods{ns_arg} -o wide"),
        "pods that match but are not Ready (failing readiness probe, CrashLoopBackOff) are left out of the endpoints too",
    ));
    f.fixes.push(review(
        format!("kubectl edit svc {svc}{ns_arg}   # set spec.selector to the pods' labels (or fix the Deployment's template labels)"),
        "once selector and labels match and a pod is Ready, the endpoints fill in and ingress-nginx follows within seconds, without a reload",
    ));
    f.verify.push(format!(
        "kubectl get endpoints {svc}{ns_arg}   # expect ip:port pairs, not <none>"
    ));
    if let Some(h) = ctx
        .facts
        .ingresses
        .iter()
        .find(|i| {
            i.backends
                .iter()
                .any(|b| b.split(':').next() == Some(svc.as_str()))
        })
        .and_then(|i| i.hosts.iter().find(|h| *h != "*"))
    {
        f.verify.push(format!(
            "curl -sS -o /dev/null -w '%{{http_code}}\\n' https://{h}/   # expect 200, not 503"
        ));
    }
    if ns.is_none() {
        f.next.push(next(
            "kubectl get endpoints -A | grep '<none>'",
            "names the namespace of the Service with no endpoint",
        ));
    }
    Some(f)
}

/// ingress-nginx: the upstream is a pod's address. A pasted `kubectl get
/// pods` row that is not running names the pod; the commands are kubectl's.
fn pod_down(ctx: &Ctx, f: &mut Finding, target: &str, boot: Option<&super::boot::Boot>) {
    let mut pod = ctx.facts.containers.iter().find(|c| c.status != "running");
    let ip = target.rsplit_once(':').map_or(target, |(h, _)| h);
    let name = match pod {
        Some(p) => {
            f.confidence += 0.12;
            f.reasoning.push(format!(
                "the pod `{}` is not running ({})",
                p.name, p.status
            ));
            f.add_evidence(EvidenceLine::marked(p.line, &p.name, &p.name));
            p.name.clone()
        }
        // Running again, but it was terminated before (`kubectl describe
        // pod`'s Last State): the pod whose logs `--previous` shows.
        None => match ctx.facts.containers.iter().find(|c| c.exit_code.is_some()) {
            Some(p) => {
                pod = Some(p);
                p.name.clone()
            }
            None => "{pod}".to_string(),
        },
    };
    let ns = ctx.namespace_for(pod);
    let n = ns.map(|n| format!(" -n {n}")).unwrap_or_default();
    f.title = match boot {
        Some(b) => format!("No pod answers on {target}: {}", b.reason.short()),
        None => format!("No pod answers on {target}"),
    };
    f.summary = format!(
        "{} sends the requests to the pod address {target}, and the connection is refused: the pod's \
         container is not running (crashing, restarting) or does not listen on that port. Every such request fails with 502.",
        if ctx.facts.ingress_nginx {
            "ingress-nginx"
        } else {
            "nginx"
        }
    );
    if pod.is_none() {
        f.fixes.push(safe(
            format!("kubectl get pods -A -o wide | grep -F '{ip}'"),
            "the pod behind the address nginx tries, with its state and restarts",
        ));
    }
    if let Some(b) = boot {
        // The start-up error is in the paste: its fix, with the logs command.
        let svc = ctx.service_for(None);
        super::boot::explain(ctx, f, &svc, b, Some((&n, &name)));
    } else {
        f.fixes.push(safe(
            format!("kubectl logs{n} {name} --previous --tail 100"),
            if ns.is_some() {
                "the crashed container's own last words"
            } else {
                "the crashed container's own last words (add -n <namespace>)"
            },
        ));
    }
    f.fixes.push(safe(
        format!("kubectl describe pod{n} {name}"),
        "events: OOMKilled, failing probes, a bad image or a missing secret",
    ));
    f.fixes.push(safe(
        match (ns, ctx.ingress_service()) {
            (Some(ns), Some(svc)) => format!("kubectl get endpoints {svc} -n {ns}"),
            (Some(ns), None) => format!("kubectl get endpoints -n {ns}"),
            (None, Some(svc)) => format!("kubectl get endpoints -A | grep -F '{svc}'"),
            (None, None) => "kubectl get endpoints -A | grep -v '<none>'".into(),
        },
        "the Service's targetPort must be the port the container listens on",
    ));
    f.verify.push(format!(
        "kubectl get pod{n} {name}   # expect READY 1/1, STATUS Running, RESTARTS not increasing"
    ));
}

/// No nginx line in the paste, but the backend's own log shows it gave up
/// starting (a definitive line, not only an exception): whatever nginx
/// logged, nothing listens where it sends requests.
fn boot_only(ctx: &Ctx, b: &super::boot::Boot) -> Vec<Finding> {
    // nginx's own error lines, or a unit the paste shows down, are the
    // other rules' to explain (they say why it does not start too).
    // nginx's own lines name what fails (a timeout is not a dead backend).
    let others = !ctx
        .nginx_groups(|s| !matches!(s, Signal::ConfigEmerg { .. }))
        .is_empty()
        || ctx
            .facts
            .services
            .iter()
            .any(|s| s.name != "nginx" && !s.is_running())
        || !ctx
            .groups(|s| matches!(s, Signal::UnitFailed { .. }))
            .is_empty();
    if !b.definitive || others {
        return vec![];
    }
    let mut f = Finding::from_groups(&[b.group]);
    f.status = Some(502);
    f.confidence = 0.6;
    let svc = super::boot::service_of_log(ctx);
    f.title = format!("The backend does not start: {}", b.reason.short());
    f.summary = "The backend's own log shows it stopped while starting, before it listened: \
         every request nginx sends it is refused (502) until the reason is fixed and it is started again."
        .to_string();
    if ctx.facts.ingress_nginx || ctx.facts.kubernetes {
        let pod = ctx.facts.containers.iter().find(|c| c.status != "running");
        let n = ctx
            .namespace_for(pod)
            .map(|n| format!(" -n {n}"))
            .unwrap_or_default();
        let name = pod.map_or("{pod}", |p| p.name.as_str());
        super::boot::explain(ctx, &mut f, &svc, b, Some((&n, name)));
        return vec![f];
    }
    super::boot::explain(ctx, &mut f, &svc, b, None);
    if !f
        .fixes
        .iter()
        .any(|x| x.command.contains(&svc.start_enable()))
    {
        f.fixes.push(disruptive(
            svc.start_enable(),
            "start it again once the reason is fixed",
        ));
    }
    f.verify.push(svc.status_expect());
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    f.next.push(next(
        "sudo tail -n 20 /var/log/nginx/error.log",
        "nginx's lines name the address it sends requests to, to check it is this backend",
    ));
    vec![f]
}

/// Nginx Proxy Manager: the forward address of a proxy host refuses. The
/// app is another container or another machine; NPM's container is where
/// to test from, and the proxy host's settings are where to change it.
fn npm_down(
    ctx: &Ctx,
    f: &mut Finding,
    groups: &[&crate::facts::EventGroup],
    host: &str,
    port: u16,
) {
    let site = ctx.site_of(groups);
    let npm = match ctx.facts.nginx_service.as_deref() {
        Some(s) => s.to_string(),
        None => "{npm_container}".to_string(),
    };
    f.reasoning.push(
        "this is Nginx Proxy Manager: the address is the proxy host's Forward Hostname / IP and Forward Port".into(),
    );
    f.summary = format!(
        "Nginx Proxy Manager forwards {} to {host}:{port} and the connection is refused: the app there is stopped, \
         listens on another port, or listens on 127.0.0.1 only. Every request fails at once with 502.",
        site.as_deref().unwrap_or("the proxy host")
    );
    f.fixes.push(safe(
        format!("docker exec {npm} curl -sS -m 5 -o /dev/null -w '%{{http_code}}\\n' http://{host}:{port}/"),
        "from inside NPM's container, as nginx connects: `Connection refused` means nothing answers there; a status code means it is back",
    ));
    f.fixes.push(safe(
        format!("# on {host}: sudo ss -tlnp | grep ':{port} '   (a container: docker ps --filter publish={port})"),
        "is the app running, on that port, and on an address other than 127.0.0.1?",
    ));
    f.fixes.push(review(
        ctx.npm_forward(site.as_deref(), host, &format!("{port}   (the port the app really listens on)")),
        "if the app moved (another IP after a DHCP renewal, another port after an update), change the forward address in NPM rather than in its files, which it overwrites",
    ));
    let through = super::fixes::curl_through_nginx(ctx, f);
    f.verify.push(through);
}

#[cfg(test)]
mod no_endpoint_tests {
    /// ingress-nginx's warning alone (its 503, no 502 line): the Service
    /// with no endpoint, and commands in its namespace.
    #[test]
    fn service_without_endpoints() {
        let r = crate::analyze_str("W0611 09:14:22.118902       7 controller.go:1214] Service \"web/shop-frontend\" does not have any active Endpoint.\n");
        let c = &r.causes[0];
        assert_eq!(c.id, "upstream_down");
        assert!(c
            .title
            .starts_with("The Service web/shop-frontend has no ready endpoint"));
        assert_eq!(c.evidence[0].line, 1);
        assert!(c.fixes.iter().any(|f| f
            .command
            .starts_with("kubectl get svc shop-frontend -n web -o jsonpath='{.spec.selector}'")));
        assert_eq!(
            c.verify[0],
            "kubectl get endpoints shop-frontend -n web   # expect ip:port pairs, not <none>"
        );
    }

    /// A refused connection is the ordinary reading, even with an empty
    /// endpoint list elsewhere in the paste.
    #[test]
    fn refused_lines_keep_their_reading() {
        let r = crate::analyze_str("W0611 09:14:22.118902       7 controller.go:1214] Service \"web/other\" does not have any active Endpoint.\n2024/06/11 09:14:25 [error] 31#31: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.244.0.1, server: shop.example.com, request: \"GET / HTTP/2.0\", upstream: \"http://10.244.2.37:8080/\", host: \"shop.example.com\"\n");
        let c = &r.causes[0];
        assert_eq!(c.id, "upstream_down");
        assert!(!c.title.contains("no ready endpoint"), "{}", c.title);
    }
}
