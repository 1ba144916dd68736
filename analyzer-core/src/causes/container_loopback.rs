//! `container_loopback`: `localhost` inside a container is the container itself.

use super::fixes::{disruptive, next, review};
use super::{Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "container_loopback",
    family: "container_loopback",
    title: "nginx in a container proxies to its own localhost",
    docs: DOCS,
    signatures: &["upstream: \"http://127.0.0.1:", "nginx-1  | "],
    check,
};

const DOCS: &str = r#"
## What it means
Every container has its own loopback. In the nginx container, `localhost`
and `127.0.0.1` are nginx itself, not the app container and not the host.
The reverse also happens: the app listens on `127.0.0.1` inside its own
container, so nothing from outside (the published port, another container)
can reach it.

## Why nginx answers 502 or 504
The connection to `127.0.0.1:<port>` inside the nginx container is refused
(nothing listens there), or docker-proxy accepts on the host and resets
because the app only listens on its own loopback: **502 Bad Gateway**.

## Evidence
- nginx on the host, the app in a container that publishes the port, and
  the app's log (`docker compose logs`) saying it listens on `127.0.0.1`:
  nginx logs `recv() failed (104: Connection reset by peer)` or
  `upstream prematurely closed connection`.
- error.log lines with a `docker compose` prefix (`nginx-1  | `), a client
  from a bridge network (`172.18.0.1`), and `upstream: "http://127.0.0.1:3000/"`.
- `docker ps` shows nginx and the app as separate containers.
- nginx in a container refused by the app's container, while the app binds
  its own loopback: its log (`Listening at: http://127.0.0.1:8000`, Kestrel's
  `Now listening on: http://localhost:5000`) or its compose `command:`
  (`--host 127.0.0.1`, `--bind 127.0.0.1:8000`) says so.
- Nginx Proxy Manager (always in a container) with a proxy host forwarding
  to `127.0.0.1` or `localhost`: set its Forward Hostname / IP to the app's
  container name or the Docker host's address instead.

## Fix
From the nginx container, use the app's compose **service name**:
`proxy_pass http://app:3000;` (both on one user-defined network). Make the
app listen on `0.0.0.0` inside its container. To reach the host from a
container on Linux use `host.docker.internal` with
`extra_hosts: ["host.docker.internal:host-gateway"]`.

## Verify
`docker compose exec nginx wget -qO- http://app:3000/ | head -c 200`
returns content; the site loads through nginx.

## Known problems
An nginx on the host that proxies to a published port is this cause only
when the app's own log says it listens on a loopback address inside its
container (`Uvicorn running on http://127.0.0.1:8000` under a `web-1  | `
prefix): Docker's proxy accepts the connection on the host and has nowhere
to forward it, so nginx sees a reset or an early close, not a refusal.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.facts.nginx_in_container || ctx.nginx_host_network() {
        return app_bound_to_its_loopback(ctx);
    }
    let own = nginx_own_loopback(ctx);
    if !own.is_empty() {
        return own;
    }
    let host_app = host_app_on_loopback(ctx);
    if !host_app.is_empty() {
        return host_app;
    }
    app_loopback_behind_nginx_container(ctx)
}

/// A Docker bridge's gateway, which is the host as seen from a container
/// (`172.17.0.1`, `172.18.0.1`, …; Docker Desktop's `192.168.65.254`).
fn docker_host_gateway(host: &str) -> bool {
    let o: Vec<u8> = host.split('.').filter_map(|x| x.parse().ok()).collect();
    o.len() == 4 && host.split('.').count() == 4 && {
        (o[0] == 172 && (16..32).contains(&o[1]) && o[3] == 1) || host == "192.168.65.254"
    }
}

/// An upstream that is the Docker host as a container sees it
/// (`host.docker.internal`, a bridge gateway).
pub(crate) fn dials_docker_host(u: &crate::facts::Upstream) -> bool {
    u.addr.host().is_some_and(|h| {
        h == "host.docker.internal" || h == "host-gateway" || docker_host_gateway(h)
    })
}

/// nginx in a container proxies to the Docker host (`host.docker.internal`,
/// the bridge gateway `172.17.0.1`) and is refused, while the pasted `ss`
/// shows the app on the host listening on its loopback only: the
/// container reaches the host on the bridge address, where nothing
/// listens. The app must listen on an address the bridge reaches.
fn host_app_on_loopback(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 }))
        .into_iter()
        .filter(|g| g.key.upstream.as_ref().is_some_and(dials_docker_host))
        .collect();
    let Some(up) = super::common::upstream_of(&groups) else {
        return vec![];
    };
    let Some(port) = up.addr.port() else {
        return vec![];
    };
    let on_port = ctx.listeners_on_port(port);
    // Only loopback listeners on that port (a wildcard one would be reached).
    let Some(l) = on_port.first().copied() else {
        return vec![];
    };
    if !on_port.iter().all(|l| l.addr.is_loopback()) {
        return vec![];
    }
    let bound = l.addr.display();
    let program = l.process.as_deref().unwrap_or("the app");
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.confidence = 0.9;
    f.explains = vec!["upstream_down", "wrong_port"];
    f.add_evidence(EvidenceLine::marked(
        l.line,
        &format!("LISTEN {bound} {program}"),
        &bound,
    ));
    f.reasoning.push(format!(
        "nginx runs in a container and reaches the Docker host at {}, where it is refused",
        up.addr.display()
    ));
    f.reasoning.push(format!(
        "`{program}` on the host listens on {bound} only, which no container can reach"
    ));
    f.title = format!(
        "`{program}` listens on the host's {bound} only: nginx's container reaches the host at {}",
        up.addr.display()
    );
    f.summary = format!(
        "nginx runs in a container, so it reaches the app on the Docker host through the bridge ({}). The app listens \
         on the host's loopback ({bound}) only, so the bridge address refuses the connection: 502. Make the app listen \
         on the bridge address or on every interface, or run nginx on the host's network.",
        up.addr.display()
    );
    let svc = ctx.service_for(Some(&up));
    f.fixes.push(review(
        format!(
            "# on the host, in the start command of `{}`: listen on 0.0.0.0:{port} (or the bridge's {}:{port}), not {bound}\n\
             #   gunicorn --bind 0.0.0.0:{port}   |   uvicorn --host 0.0.0.0   |   Node: app.listen({port}, '0.0.0.0')",
            if svc.known { svc.name.as_str() } else { program },
            if docker_host_gateway(up.addr.host().unwrap_or("")) { up.addr.host().unwrap_or("172.17.0.1") } else { "172.17.0.1" },
        ),
        "the bridge address is the host as a container sees it; keep the port closed to the internet in the firewall (with ufw: sudo ufw allow from 172.16.0.0/12 to any port PORT)".replace("PORT", &port.to_string()),
    ));
    f.fixes.push(disruptive(
        svc.restart(),
        "restart the app on its new address",
    ));
    f.fixes.push(review(
        format!("# or, in nginx's compose service: share the host's network\nnetwork_mode: host\n# and proxy to the host's loopback: proxy_pass http://127.0.0.1:{port};"),
        "with the host's network, nginx's 127.0.0.1 is the host's (and its ports are published as they are, without `ports:`)",
    ));
    f.verify.push(app_from_nginx(
        ctx,
        up.addr.host().unwrap_or("host.docker.internal"),
        port,
    ));
    vec![f]
}

/// A compose service's `command:` that binds the app to a loopback
/// address (`--host 127.0.0.1`, `--bind 127.0.0.1:8000`, `-b localhost:3000`,
/// `runserver 127.0.0.1:8000`, `-H 127.0.0.1`): host, port (when the
/// command or the service's single port says it).
pub(crate) fn command_loopback(s: &crate::facts::ComposeService) -> Option<(String, Option<u16>)> {
    let cmd = s.command.as_deref()?;
    let words: Vec<&str> = cmd
        .split(|c: char| c.is_whitespace() || c == ',' || c == '[' || c == ']')
        .map(|w| w.trim_matches(['"', '\'']))
        .filter(|w| !w.is_empty())
        .collect();
    let mut bind: Option<&str> = None;
    let mut port: Option<u16> = None;
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).copied();
        let (key, val) = match w.split_once('=') {
            Some((k, v)) if k.starts_with('-') => (k, Some(v)),
            _ => (*w, next),
        };
        match key {
            "--host" | "-H" | "--hostname" | "--bind" | "-b" | "--listen" | "runserver" => {
                if let Some(v) = val {
                    if bind.is_none() {
                        bind = Some(v);
                    }
                }
            }
            "--port" | "-p" => port = port.or(val.and_then(|v| v.parse().ok())),
            _ => {}
        }
    }
    let b = bind?;
    let (host, p) = match b.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|c| c.is_ascii_digit()) && !p.is_empty() => {
            (h, p.parse().ok())
        }
        _ => (b, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if !crate::facts::is_loopback_host(host) {
        return None;
    }
    let single = || match (s.ports.as_slice(), s.expose.as_slice()) {
        ([one], _) | ([], [one]) => one.split('/').next()?.rsplit(':').next()?.parse().ok(),
        _ => None,
    };
    Some((host.to_string(), p.or(port).or_else(single)))
}

/// nginx in a container proxies to another container (by name or
/// address) and is refused, while that app binds a loopback address inside
/// its own container: its log says so (`Uvicorn running on
/// http://127.0.0.1:8000` under a compose prefix) or its compose
/// `command:` does.
fn app_loopback_behind_nginx_container(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 }))
        .into_iter()
        .filter(|g| {
            g.key
                .upstream
                .as_ref()
                .is_some_and(|u| !u.addr.is_loopback() && u.addr.port().is_some())
        })
        .collect();
    let Some(up) = groups.first().and_then(|g| g.key.upstream.clone()) else {
        return vec![];
    };
    let port = up.addr.port().unwrap_or(0);
    if up.scheme == "fastcgi" {
        if let Some(f) = fpm_pool_on_loopback(ctx, &groups, &up, port) {
            return vec![f];
        }
    }
    // From the app's log.
    let logged = ctx
        .groups(|s| bound_loopback(s).is_some_and(|(_, p)| p == port))
        .into_iter()
        .next();
    // From its compose command.
    let commanded = ctx
        .facts
        .compose_services
        .iter()
        .find(|s| command_loopback(s).is_some_and(|(_, p)| p == Some(port)));
    let (host, evidence, service) = match (logged, commanded) {
        (Some(g), _) => {
            let Some((h, _)) = bound_loopback(&g.key.signal) else {
                return vec![];
            };
            let svc = super::ctx::logged_app_service(ctx.facts);
            (h.to_string(), g.head.first().cloned(), svc)
        }
        (None, Some(s)) => {
            let (h, _) = command_loopback(s).unwrap_or_default();
            let cmd = s.command.as_deref().unwrap_or("");
            (
                h,
                Some(EvidenceLine::marked(
                    s.line,
                    &format!("{}:", s.name),
                    &s.name,
                )),
                Some(s.name.clone()).filter(|_| !cmd.is_empty()),
            )
        }
        (None, None) => return vec![],
    };
    let service = service.unwrap_or_else(|| "{container_service}".to_string());
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.confidence = 0.88;
    f.explains = vec!["upstream_down", "wrong_port"];
    if let Some(e) = evidence {
        f.add_evidence(e);
    }
    if let Some(s) = commanded {
        if let Some(c) = &s.command {
            f.reasoning
                .push(format!("the compose service `{}` runs `{c}`", s.name));
        }
    }
    f.reasoning.push(format!(
        "nginx reaches {} from its own container and is refused, while the app listens on {host}:{port} inside its container",
        up.addr.display()
    ));
    f.title = format!(
        "The app listens on {host}:{port} inside its container: nginx's container cannot reach it"
    );
    f.summary = format!(
        "Inside the app's container, {host} is that container only. nginx connects from its own container to the app's \
         network address ({}), where nothing listens, and is refused: 502. The app must listen on 0.0.0.0.",
        up.addr.display()
    );
    f.fixes.push(review(
        format!("# in the compose service `{service}`'s command: listen on every interface of the container\n{}   |   ASPNETCORE_URLS=http://+:{port}", listen_everywhere(port)),
        "0.0.0.0 inside the container is still private to Docker's network (publish no port for it if only nginx needs it)",
    ));
    f.fixes.push(disruptive(
        format!("docker compose up -d --force-recreate {service}"),
        "restart the app container with the new command",
    ));
    f.verify.push(app_from_nginx(ctx, &service, port));
    vec![f]
}

/// PHP-FPM in its own container with a pool from a host install
/// (`listen = 127.0.0.1:9000`): nginx's container dials the PHP
/// container's address on that port and is refused. No pasted pool may
/// open the port to all interfaces (the official image's zz-docker.conf
/// `listen = 9000`, read last, would).
fn fpm_pool_on_loopback(
    ctx: &Ctx,
    groups: &[&EventGroup],
    up: &crate::facts::Upstream,
    port: u16,
) -> Option<Finding> {
    let listen_port = |v: &str| -> Option<(String, u16)> {
        match v.rsplit_once(':') {
            Some((h, p)) => Some((h.trim_matches(['[', ']']).to_string(), p.parse().ok()?)),
            None => Some((String::new(), v.parse().ok()?)),
        }
    };
    let mut loopback = None;
    for p in &ctx.facts.pools {
        let Some((v, line)) = p.keys.get("listen") else {
            continue;
        };
        match listen_port(v) {
            Some((h, pt)) if pt == port && crate::facts::is_loopback_host(&h) => {
                loopback = loopback.or(Some((p, v.clone(), *line)));
            }
            Some((_, pt)) if pt == port => return None,
            _ => {}
        }
    }
    let (pool, value, line) = loopback?;
    let svc = ctx.service_for(Some(up));
    let service = if svc.manager.is_docker() && svc.known {
        svc.name
    } else {
        "{php_service}".to_string()
    };
    let file = pool
        .file
        .clone()
        .unwrap_or_else(|| "/usr/local/etc/php-fpm.d/www.conf".into());
    let mut f = Finding::from_groups(groups);
    f.status = Some(502);
    f.confidence = 0.88;
    f.explains = vec!["upstream_down", "wrong_port"];
    f.add_evidence(EvidenceLine::marked(
        line,
        &format!("listen = {value}"),
        &value,
    ));
    f.reasoning.push(format!(
        "the PHP-FPM pool `{}` listens on {value}: inside its container that is the container itself",
        pool.name
    ));
    f.reasoning.push(format!(
        "nginx reaches {} from its own container and is refused",
        up.addr.display()
    ));
    f.title = format!(
        "PHP-FPM listens on {value} inside its container: nginx's container cannot reach it"
    );
    f.summary = format!(
        "The pool says `listen = {value}`, a host install's setting. In a container that address is the PHP \
         container only; nginx connects from its own container to {}, where nothing listens, and is refused: 502. \
         FPM must listen on the port on every interface of its container.",
        up.addr.display()
    );
    f.fixes.push(review(
        format!("# in {file} (in the image, or the file you mount over it):\nlisten = {port}\n# and drop listen.allowed_clients, or list nginx's container in it"),
        "`listen = 9000` is every interface of the container, which only Docker's network reaches (as the official image's zz-docker.conf does)",
    ));
    f.fixes.push(disruptive(
        format!("docker compose up -d --build --force-recreate {service}"),
        "rebuild and restart the PHP container with the new pool",
    ));
    // Debian's package names its binary after the version (php-fpm8.2).
    let bin = match super::ctx::php_version_in(&file) {
        Some(v) if file.starts_with("/etc/php/") => format!("php-fpm{v}"),
        _ => "php-fpm".to_string(),
    };
    f.verify.push(format!(
        "docker compose exec {service} {bin} -tt 2>&1 | grep -E 'listen ='   # expect {port}, not {value}"
    ));
    Some(f)
}

/// nginx in a container that dials a loopback address: its own.
fn nginx_own_loopback(ctx: &Ctx) -> Vec<Finding> {
    // Only a Docker gateway as the client says nginx is in a container:
    // something that answered on its loopback (a reset, a close) may be an
    // app in the same container (one image running both), so only refused
    // connections count then.
    let inferred = ctx.facts.docker_gateway_client.is_some();
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| match s {
            Signal::ConnectFailed { errno: 111 } => true,
            Signal::IoFailed { errno: 104, .. } | Signal::PrematureClose => !inferred,
            _ => false,
        })
        .into_iter()
        .filter(|g| {
            g.key
                .upstream
                .as_ref()
                .is_some_and(|u| u.addr.is_loopback())
        })
        .collect();
    if groups.is_empty() {
        return vec![];
    }
    let up = groups[0].key.upstream.clone().expect("filtered");
    let port = up.addr.port().unwrap_or(80);
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.explains = vec![
        "upstream_down",
        "upstream_reset",
        "wrong_port",
        "upstream_closed_early",
    ];
    f.confidence = if inferred { 0.75 } else { 0.9 };
    f.reasoning.push(match &ctx.facts.docker_gateway_client {
        Some(gw) => format!(
            "nginx logged the client {gw}, a Docker bridge gateway: it runs in a container, \
             where a loopback address is that container itself"
        ),
        None => {
            "nginx runs in a container (compose prefix or docker ps) and targets a loopback address"
                .into()
        }
    });
    let app = ctx.facts.containers.iter().find(|c| {
        !c.name.contains("nginx") && !c.image.as_deref().is_some_and(|i| i.starts_with("nginx"))
    });
    let from_compose = ctx.compose_app(Some(port));
    let service = match (from_compose, app) {
        (Some(s), _) => {
            f.reasoning.push(format!(
                "the compose file's service `{}` is the app (not nginx, not a database)",
                s.name
            ));
            f.add_evidence(EvidenceLine::marked(
                s.line,
                &format!("{}:", s.name),
                &s.name,
            ));
            s.name.clone()
        }
        (None, Some(c)) => {
            f.add_evidence(EvidenceLine::marked(
                c.line,
                &format!("{} {}", c.name, c.status),
                &c.name,
            ));
            super::ctx::service_of_container(ctx.facts, &c.name)
        }
        (None, None) => super::ctx::logged_app_service(ctx.facts)
            .unwrap_or_else(|| "{container_service}".to_string()),
    };
    if from_compose.is_none() && app.is_none() && ctx.facts.app_log_containers.is_empty() {
        f.next.push(next(
            "docker compose ps",
            "names the app's service, so the fix can use it",
        ));
    }
    // Neither a compose file nor `docker ps` names the app: it may as well
    // run on the host itself.
    let unknown_app = from_compose.is_none() && app.is_none();
    if unknown_app {
        f.title = format!(
            "nginx's container connects to its own {}, not to the app",
            up.addr.display()
        );
        f.summary = format!(
            "Inside the nginx container, {} is nginx itself, not the host and not another container. Proxy to the app's \
             compose service name ({service}:{port}) when the app is a container, or to host.docker.internal:{port} when \
             it runs on the host; either way the app must listen on 0.0.0.0.",
            up.addr.display()
        );
    } else {
        f.title = format!(
            "nginx's container connects to its own {} — the app is another container",
            up.addr.display()
        );
        f.summary = format!(
            "Inside the nginx container, {} is nginx itself; the app runs in another container. Proxy to the app's compose service \
             name ({service}:{port}) on a shared network, and make the app listen on 0.0.0.0.",
            up.addr.display()
        );
    }
    // The directive as nginx uses it for this scheme (`fastcgi_pass php:9000;`).
    // The URI part of the pasted proxy_pass (`http://127.0.0.1:3000/` strips
    // the location's prefix): kept, or the new target changes the paths.
    let uri = super::common::pass_for(ctx, &up)
        .map(|p| super::common::uri_part(&p.target).to_string())
        .unwrap_or_default();
    let pass_to = |host: &str| match up.scheme.as_str() {
        "http" | "https" => format!("proxy_pass {}://{host}:{port}{uri};", up.scheme),
        other => format!(
            "{}_pass {host}:{port};",
            super::common::directive_prefix(other)
        ),
    };
    if ctx.facts.npm {
        // NPM writes the config from its proxy host settings: the forward
        // address is changed there, not in the files.
        let site = ctx.site_of(&groups);
        f.reasoning.push(
            "this is Nginx Proxy Manager: the forward address comes from the proxy host's settings"
                .into(),
        );
        f.fixes.push(review(
            ctx.npm_forward(site.as_deref(), &service, "{port inside the app's container}"),
            "an app in another container: its container or service name, with NPM and the app on one Docker network (`docker network connect <network> <npm container>`), and the port the app listens on inside its container (the right-hand side of a `ports:` mapping such as 8081:80), not the published one",
        ));
        f.fixes.push(review(
            ctx.npm_forward(site.as_deref(), "{docker host's LAN IP}", &port.to_string()),
            "an app on the Docker host itself (or published from it): the host's own address, never 127.0.0.1 or localhost, which are NPM's container; host.docker.internal also works with `extra_hosts: [\"host.docker.internal:host-gateway\"]` in NPM's compose service",
        ));
    } else {
        f.fixes.push(review(
            format!(
                "# in the nginx config inside the container:\n{}",
                pass_to(&service)
            ),
            "containers reach each other by service name on a shared compose network",
        ));
    }
    if unknown_app && !ctx.facts.npm {
        f.fixes.push(review(
            format!("# or, when the app runs on the host itself (not in a container):\n{}\n# and, on Linux, in nginx's compose service:\nextra_hosts:\n  - \"host.docker.internal:host-gateway\"", pass_to("host.docker.internal")),
            "the host is not localhost from inside a container; Docker Desktop knows the name, Linux needs the mapping",
        ));
    }
    f.fixes.push(review(
        "# in the app: listen on 0.0.0.0 (Node: app.listen(PORT, '0.0.0.0'); gunicorn --bind 0.0.0.0:8000; Vite --host 0.0.0.0)",
        "an app bound to 127.0.0.1 inside its container cannot be reached from outside it",
    ));
    if !ctx.facts.npm {
        f.fixes.push(disruptive(
            ctx.reload_nginx(),
            "check and reload nginx inside its container",
        ));
    }
    f.verify.push(app_from_nginx(ctx, &service, port));
    f.verify.push(
        "curl -sS -o /dev/null -w '%{http_code}\\n' http://127.0.0.1/   # expect 200, not 502"
            .into(),
    );
    vec![f]
}

/// The host's nginx proxies to a port a container publishes, and the app in
/// that container listens on its own loopback: Docker forwards to the
/// container's network address, where nothing listens.
fn app_bound_to_its_loopback(ctx: &Ctx) -> Vec<Finding> {
    let binds: Vec<&EventGroup> = ctx.groups(|s| bound_loopback(s).is_some());
    // A compose service whose command binds loopback says the same.
    let commands: Vec<(&crate::facts::ComposeService, String, u16)> = ctx
        .facts
        .compose_services
        .iter()
        .filter_map(|s| {
            let (h, p) = command_loopback(s)?;
            Some((s, h, p?))
        })
        .collect();
    if binds.is_empty() && commands.is_empty() {
        return vec![];
    }
    let published = |host_port: u16| ctx.published(host_port).map(|(c, _, cp)| (cp, c));
    let groups = ctx.loopback_port_drops();
    let mut found = None;
    for g in &groups {
        let Some(port) = g.key.upstream.as_ref().and_then(|u| u.addr.port()) else {
            continue;
        };
        let inner = published(port);
        let target = inner.map(|(cp, _)| cp).unwrap_or(port);
        if let Some(b) = binds
            .iter()
            .find(|b| bound_loopback(&b.key.signal).is_some_and(|(_, p)| p == target))
        {
            let Some((host, _)) = bound_loopback(&b.key.signal) else {
                continue;
            };
            found = Some((
                *g,
                Bind::Log(b, host.to_string()),
                port,
                target,
                inner.map(|(_, c)| c),
            ));
            break;
        }
        // Published as host:container in the compose file (`8000:8000`).
        if let Some((s, h, _)) = commands.iter().find(|(s, _, p)| {
            *p == target
                && s.ports.iter().any(|x| {
                    x.split('/').next().and_then(|x| x.rsplit(':').nth(1))
                        == Some(port.to_string().as_str())
                })
        }) {
            found = Some((
                *g,
                Bind::Command(s, h.clone()),
                port,
                target,
                inner.map(|(_, c)| c),
            ));
            break;
        }
    }
    let Some((g, bind, port, target, container)) = found else {
        return vec![];
    };
    let (host, kestrel, mut f) = match &bind {
        Bind::Log(b, h) => (
            h.clone(),
            matches!(b.key.signal, Signal::AppListening { .. }),
            Finding::from_groups(&[g, b]),
        ),
        Bind::Command(s, h) => {
            let mut f = Finding::from_groups(&[g]);
            f.add_evidence(EvidenceLine::marked(
                s.line,
                &format!("{}:", s.name),
                &s.name,
            ));
            if let Some(c) = &s.command {
                f.reasoning
                    .push(format!("the compose service `{}` runs `{c}`", s.name));
            }
            (h.clone(), false, f)
        }
    };
    f.status = Some(502);
    f.confidence = 0.9;
    f.explains = vec![
        "upstream_reset",
        "upstream_closed_early",
        "upstream_down",
        "keepalive_race",
    ];
    let service = container
        .map(|c| super::ctx::service_of_container(ctx.facts, &c.name))
        .or_else(|| match &bind {
            Bind::Command(s, _) => Some(s.name.clone()),
            Bind::Log(..) => None,
        })
        .or_else(|| ctx.compose_app(Some(target)).map(|a| a.name.clone()))
        .unwrap_or_else(|| "{container_service}".to_string());
    if let Some(c) = container {
        f.add_evidence(EvidenceLine::marked(
            c.line,
            &format!("{} {}", c.name, c.ports.join(", ")),
            &c.name,
        ));
    }
    f.reasoning.push(format!(
        "the app says it listens on {host}:{target} inside its container"
    ));
    f.reasoning.push(format!(
        "nginx on the host reaches port {port}, which Docker forwards to the container's own address, where nothing listens"
    ));
    f.title = format!(
        "The app listens on {host}:{target} inside its container: Docker's published port {port} cannot reach it"
    );
    f.summary = format!(
        "Inside a container, {host} is the container itself. Docker forwards the published port {port} to the container's \
         network address, not to its loopback, so the connection is accepted on the host and then dropped: nginx answers 502. \
         The app must listen on 0.0.0.0 inside the container."
    );
    if kestrel {
        f.fixes.push(review(
            format!("# in the app's compose service (or Dockerfile ENV): Kestrel listens on every interface of the container\nenvironment:\n  - ASPNETCORE_URLS=http://+:{target}"),
            "`localhost` in ASPNETCORE_URLS or launchSettings.json binds the container's loopback only; `+` is every address (an explicit UseUrls/ListenLocalhost in Program.cs wins over it: change it there)",
        ));
    } else {
        f.fixes.push(review(
        format!("# the app's command in the compose file or Dockerfile: listen on all interfaces of the container\n{}", listen_everywhere(target)),
        "0.0.0.0 inside the container is still private to Docker's network",
    ));
    }
    f.fixes.push(review(
        format!("# keep the published port private to the host (compose):\nports:\n  - \"127.0.0.1:{port}:{target}\""),
        "nginx reaches it on the host's loopback; the world does not",
    ));
    f.fixes.push(disruptive(
        format!("docker compose up -d --force-recreate {service}"),
        "restart the app container with the new command",
    ));
    f.verify.push(format!(
        "docker compose logs --tail 20 {service} | grep -iE 'running on|listening'   # expect 0.0.0.0:{target}"
    ));
    f.verify.push(format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1:{port}/   # expect 200 from the host"
    ));
    if container.is_none() {
        f.next.push(next(
            "docker ps",
            "shows which container publishes the port, so the fix can name it",
        ));
    }
    vec![f]
}

/// What says the app binds its container's loopback: its log line (and
/// the host written there), or its compose service's command.
enum Bind<'a> {
    Log(&'a EventGroup, String),
    Command(&'a crate::facts::ComposeService, String),
}

/// The usual app servers' commands for listening on every interface of a
/// container at `port`, one `#` comment line each.
fn listen_everywhere(port: u16) -> String {
    format!("#   uvicorn main:app --host 0.0.0.0 --port {port}\n#   gunicorn --bind 0.0.0.0:{port} app.wsgi\n#   flask run --host 0.0.0.0 --port {port}   |   python manage.py runserver 0.0.0.0:{port}\n#   Node: app.listen({port}, '0.0.0.0')   |   next start -H 0.0.0.0 -p {port}")
}

/// An app's own line saying it listens on a loopback address inside its
/// container: `(host, port)`.
fn bound_loopback(s: &Signal) -> Option<(&str, u16)> {
    match s {
        Signal::AppBoundLoopback {
            host,
            port,
            in_container: true,
        } => Some((host, *port)),
        Signal::AppListening {
            host,
            port,
            in_container: true,
        } if crate::facts::is_loopback_host(host) => Some((host, *port)),
        _ => None,
    }
}

/// Fetch the app the way nginx does, from nginx's own container.
fn app_from_nginx(ctx: &Ctx, host: &str, port: u16) -> String {
    format!(
        "{}   # expect the app's content",
        ctx.in_nginx_container(&format!("wget -qO- http://{host}:{port}/ | head -c 200"))
    )
}

#[cfg(test)]
mod tests {
    use super::command_loopback;
    use crate::facts::ComposeService;

    fn svc(cmd: &str, expose: &[&str]) -> ComposeService {
        ComposeService {
            name: "api".into(),
            command: Some(cmd.into()),
            expose: expose.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    type Case<'a> = (&'a str, &'a [&'a str], Option<(&'a str, Option<u16>)>);

    #[test]
    fn loopback_binds_in_compose_commands() {
        let cases: &[Case] = &[
            (
                "uvicorn app.main:app --host 127.0.0.1 --port 8000",
                &[],
                Some(("127.0.0.1", Some(8000))),
            ),
            (
                "gunicorn --bind=127.0.0.1:8001 app.wsgi",
                &[],
                Some(("127.0.0.1", Some(8001))),
            ),
            (
                "[\"gunicorn\", \"-b\", \"localhost:5000\", \"app:app\"]",
                &[],
                Some(("localhost", Some(5000))),
            ),
            (
                "python manage.py runserver 127.0.0.1:8000",
                &[],
                Some(("127.0.0.1", Some(8000))),
            ),
            (
                "flask run --host 127.0.0.1",
                &["5000"],
                Some(("127.0.0.1", Some(5000))),
            ),
            ("uvicorn main:app --host 0.0.0.0 --port 8000", &[], None),
            ("gunicorn --bind 0.0.0.0:8000 app.wsgi", &[], None),
            ("npm start", &[], None),
            ("--host", &[], None),
            ("", &[], None),
        ];
        for (cmd, expose, want) in cases {
            let got = command_loopback(&svc(cmd, expose));
            let want = want.map(|(h, p)| (h.to_string(), p));
            assert_eq!(got, want, "{cmd}");
        }
    }
}
