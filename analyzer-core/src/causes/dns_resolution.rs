//! `dns_resolution`: the upstream host name cannot be resolved.

use super::fixes::{disruptive, next, review, safe};
use super::{plural, push_unique, Ctx, Finding, Rule};
use crate::facts::{Distro, EventGroup, Level, Signal};

pub static RULE: Rule = Rule {
    id: "dns_resolution",
    family: "dns_resolution",
    title: "nginx cannot resolve the upstream host name",
    docs: DOCS,
    signatures: &[
        "host not found in upstream",
        "no resolver defined to resolve",
        "could not be resolved",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
The upstream is written as a host name (`proxy_pass http://app:3000;`,
`server backend.internal:8080;`) and nginx cannot turn it into an address.
A literal name is resolved **once**, when nginx starts or reloads: if the
name does not exist then (a container not started yet, a typo, a name only
another network knows), nginx refuses the configuration. A name in a
variable (`proxy_pass http://$backend;`) or a `server … resolve` is looked
up per request, through the `resolver` directive, which must then exist and
be reachable.

## Why nginx answers 502 or 504
At start or reload: `[emerg] host not found in upstream`, so nginx does not
start (an nginx container exits at once) or keeps its old configuration.
Per request: no address means no connection, so **502**.

## Evidence
- `nginx: [emerg] host not found in upstream "app:3000" in /etc/nginx/conf.d/default.conf:12`.
- `no resolver defined to resolve api.internal` (a variable `proxy_pass` without `resolver`).
- `api.internal could not be resolved (3: Host not found)` (the resolver has no such name)
  or `(110: Operation timed out)` (the resolver does not answer).
- `send() failed (111: Connection refused) while resolving, resolver: 127.0.0.11:53` (the resolver address is wrong here).

## Fix
Make the name resolvable where nginx runs (`getent hosts <name>` on the
nginx host or inside the nginx container). In Docker Compose: both
containers on one user-defined network, the backend started before nginx
(`depends_on` with a health check), and for names that change address,
Docker's embedded DNS `resolver 127.0.0.11 valid=10s ipv6=off;` with the
upstream in a variable. On a host with systemd-resolved: `resolver 127.0.0.53;`.
Then `sudo nginx -t && sudo systemctl reload nginx`.

## Verify
`getent hosts <name>` prints an address (from the nginx host or container);
`nginx -t` succeeds; requests keep working after the backend is recreated.

## Known problems
A variable `proxy_pass` no longer rewrites the URI the way a literal
`proxy_pass http://host:port/prefix/;` does. OCSP-stapling resolver errors
(`while requesting certificate status`) concern the TLS certificate, not the
upstream, and are ignored here. A stale address (the name resolved at start,
the backend moved since) logs no DNS error at all: see `no_route_to_host`.
"#;

enum Kind {
    /// `host not found in upstream` at start/reload.
    NotFound,
    NoResolver,
    NoSuchName,
    ResolverTimeout,
    ResolverUnreachable,
}

fn is_ocsp(g: &EventGroup) -> bool {
    g.evidence().any(|e| {
        e.text.contains("certificate status")
            || e.text.contains("OCSP")
            || e.text.contains("ssl_stapling")
    })
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let mut groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| {
            matches!(
                s,
                Signal::NoResolver { .. }
                    | Signal::CouldNotResolve { .. }
                    | Signal::HostNotFound { .. }
            )
        })
        .into_iter()
        .filter(|g| !is_ocsp(g))
        .collect();
    // `send() failed (111: …) while resolving, resolver: 127.0.0.11:53`
    let unreachable: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::IoFailed { .. }))
        .into_iter()
        .filter(|g| g.evidence().any(|e| e.text.contains("while resolving")) && !is_ocsp(g))
        .collect();
    groups.extend(unreachable.iter().copied());
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.upstreams.clear();
    let mut hosts: Vec<String> = Vec::new();
    let mut kind = Kind::NoSuchName;
    let mut rank = 0;
    for g in &groups {
        let (h, k, r) = match &g.key.signal {
            Signal::HostNotFound { host } => (host.clone(), Kind::NotFound, 5),
            Signal::NoResolver { host } => (host.clone(), Kind::NoResolver, 4),
            Signal::CouldNotResolve { host, code: 110 } => (host.clone(), Kind::ResolverTimeout, 2),
            Signal::CouldNotResolve { host, .. } => (host.clone(), Kind::NoSuchName, 3),
            _ => (String::new(), Kind::ResolverUnreachable, 1),
        };
        if !h.is_empty() {
            push_unique(&mut hosts, h);
        }
        if r > rank {
            rank = r;
            kind = k;
        }
    }
    // `app:3000` → host `app`, port 3000.
    let first = hosts.first().cloned().unwrap_or_else(|| "{host}".into());
    let (host, port) = match first.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => {
            (h.to_string(), p.to_string())
        }
        // nginx names the upstream as written: no port in `host not found
        // in upstream "api"` is proxy_pass's default, 80 (a PHP-FPM name
        // gets FastCGI's 9000 below). A runtime `could not be resolved`
        // names the host only.
        _ if matches!(kind, Kind::NotFound) && !first.contains("php") && !first.contains("fpm") => {
            (first.clone(), "80".to_string())
        }
        _ => (first.clone(), "{port}".to_string()),
    };
    for h in &hosts {
        push_unique(&mut f.upstreams, h.clone());
    }
    let resolver = groups.iter().flat_map(|g| g.evidence()).find_map(|e| {
        e.text
            .split("resolver: ")
            .nth(1)
            .map(|r| r.split([',', ' ']).next().unwrap_or(r).to_string())
    });
    let single_label = !host.contains('.') && host != "{host}" && host != "localhost";
    let container = ctx.facts.nginx_in_container
        || ctx.distro() == Distro::Docker
        || !ctx.facts.containers.is_empty()
        || resolver
            .as_deref()
            .is_some_and(|r| r.starts_with("127.0.0.11"));
    let compose_like = container || single_label;
    let plain = ctx.plain_docker();
    // The `resolver` line of the pasted config, when the log does not name it.
    let cfg_resolver = ctx
        .facts
        .config
        .as_ref()
        .and_then(|c| c.find("resolver").into_iter().next().cloned());
    if let Some(d) = &cfg_resolver {
        f.add_evidence(crate::facts::EvidenceLine::new(
            d.line,
            &format!("resolver {};", d.args_joined()),
        ));
    }
    let resolver = resolver.or_else(|| {
        cfg_resolver
            .as_ref()
            .and_then(|d| d.arg(0).map(str::to_string))
    });
    let docker_dns_on_host = !container
        && resolver
            .as_deref()
            .is_some_and(|r| r.starts_with("127.0.0.11"));
    let emerg = groups.iter().any(|g| g.level == Some(Level::Emerg));

    f.confidence = match kind {
        Kind::NotFound => 0.95,
        _ => 0.88,
    };
    f.reasoning.push(format!(
        "{} naming {}",
        plural(f.events, "resolver error", "resolver errors"),
        hosts.join(", ")
    ));
    if matches!(kind, Kind::NotFound) {
        f.reasoning.push("`host not found in upstream` stops nginx from loading its configuration (reference §5.2 rule 1)".into());
    }
    if docker_dns_on_host {
        f.confidence += 0.04;
        f.reasoning.push("`resolver 127.0.0.11` is Docker's embedded DNS, which exists only inside containers, and nothing shows nginx runs in one".into());
    }
    if container {
        f.reasoning.push(
            "nginx runs in a container: Docker's embedded DNS (127.0.0.11) is the resolver to use"
                .into(),
        );
    } else if single_label {
        f.reasoning.push(format!("`{host}` has no domain part: it looks like a Docker Compose service or /etc/hosts name"));
    }
    let reload = ctx.reload_nginx();
    let exec = |cmd: &str| {
        if container {
            ctx.in_nginx_container(cmd)
        } else {
            cmd.to_string()
        }
    };
    match kind {
        Kind::NotFound => {
            f.title = format!("nginx cannot start: host \"{first}\" not found in upstream");
            f.summary = format!(
                "nginx resolves `{host}` once, when it loads its configuration, and the name does not exist{}. \
                 The configuration is rejected, so nginx does not start (or keeps its old configuration).",
                if container { " on the nginx container's network" } else { "" }
            );
            // A PHP-FPM name is reached with fastcgi_pass, on FPM's port.
            let fpm = host.contains("php") || host.contains("fpm");
            let port = if fpm && port.starts_with('{') {
                "9000".to_string()
            } else {
                port.clone()
            };
            let pass_to = |name: &str| {
                if fpm {
                    format!("fastcgi_pass {name}:{port};")
                } else {
                    format!("proxy_pass http://{name}:{port};")
                }
            };
            if let Some((services, guess)) = other_services(ctx, &host) {
                f.confidence += 0.02;
                f.reasoning.push(format!(
                    "the pasted services are {}: none is named `{host}`",
                    services.join(", ")
                ));
                if let Some(g) = guess {
                    f.fixes.push(review(
                        format!("# in nginx's config, name the service as compose does:\n{}", pass_to(&g)),
                        format!("`{host}` is no service of this project; `{g}` is the one nginx means, and compose services resolve by their own name"),
                    ));
                }
            }
            if compose_like && plain {
                f.fixes.push(safe("docker ps -a --format '{{.Names}} {{.Status}} {{.Networks}}'", format!("is a container named `{host}` running, and on which network? nginx can only resolve it once it exists on a network nginx shares")));
                f.fixes.push(review(
                    plain_network(ctx, &host),
                    "containers started with plain `docker run` resolve each other by name only on a user-defined network, never on the default bridge; --alias gives the app the name nginx uses",
                ));
                f.fixes.push(disruptive(
                    ctx.restart_nginx_container(),
                    "start nginx again once the name resolves",
                ));
            } else if compose_like {
                f.fixes.push(safe("docker compose ps", format!("is the `{host}` service running? nginx can only resolve it once the container exists")));
                f.fixes.push(safe(ctx.in_nginx_container(&format!("getent hosts {host}")), "empty output: the two containers share no network, or the service name differs"));
                f.fixes.push(review(
                    format!("# docker-compose.yml, nginx service:\n#   depends_on:\n#     {host}:\n#       condition: service_healthy\n#   networks: [ the same network as {host} ]"),
                    "start nginx after the backend, on a network where its name resolves",
                ));
                f.fixes.push(review(
                    if fpm {
                        format!("# nginx config, to resolve per request instead of at start:\nresolver 127.0.0.11 valid=10s ipv6=off;\nset $php_upstream {host}:{port};\nfastcgi_pass $php_upstream;")
                    } else {
                        format!("# nginx config, to resolve per request instead of at start:\nresolver 127.0.0.11 valid=10s ipv6=off;\nset $app_upstream http://{host}:{port};\nproxy_pass $app_upstream;")
                    },
                    "nginx then starts even while the backend is down and follows its address when it is recreated (a variable proxy_pass no longer rewrites the URI)",
                ));
                f.fixes.push(disruptive(
                    format!(
                        "docker compose up -d && docker compose restart {}",
                        ctx.nginx_service()
                    ),
                    "start the backend, then nginx",
                ));
            } else {
                f.fixes.push(safe(format!("getent hosts {host}"), "does this machine resolve the name at all? empty output: a typo, or a name only another DNS knows"));
                f.fixes.push(review(
                    format!("# fix the name in the upstream line, or pin it:\necho '{{backend_ip}} {host}' | sudo tee -a /etc/hosts"),
                    "make the name resolvable where nginx runs (or write the IP address in the config)",
                ));
                f.fixes.push(disruptive(
                    reload.clone(),
                    "load the corrected configuration",
                ));
            }
        }
        Kind::NoResolver => {
            f.title = format!("No resolver defined to resolve {host}");
            f.summary = format!(
                "The upstream is a variable (or `server … resolve`), so nginx looks `{host}` up per request, and no `resolver` \
                 directive tells it where. Every such request fails with 502."
            );
            let r = if container {
                "resolver 127.0.0.11 valid=10s ipv6=off;   # Docker's embedded DNS"
            } else {
                "resolver 127.0.0.53 valid=30s;   # systemd-resolved; else the nameserver from /etc/resolv.conf"
            };
            if !container {
                f.fixes.push(safe(
                    "grep ^nameserver /etc/resolv.conf",
                    "the DNS server this machine uses (127.0.0.53 = systemd-resolved)",
                ));
            }
            f.fixes.push(review(
                format!("# in the http {{}} or server {{}} block:\n{r}"),
                "tell nginx which DNS server answers per-request lookups",
            ));
            f.fixes.push(disruptive(
                reload.clone(),
                "load the corrected configuration",
            ));
        }
        Kind::NoSuchName => {
            f.title = format!("The resolver does not know {host}");
            f.summary = format!(
                "nginx asks its resolver for `{host}` per request and gets `Host not found`: the name does not exist for that DNS \
                 server{}. Every such request fails with 502.",
                if compose_like { " (a stopped container, another network, or a typo in the service name)" } else { "" }
            );
            if ctx.facts.npm {
                // Nginx Proxy Manager and the app are usually separate
                // compose projects, each on its own default network: the
                // name resolves only once they share one.
                let site = ctx.site_of(&groups);
                f.fixes.push(safe(
                    "docker ps -a --format '{{.Names}}  {{.Status}}  {{.Networks}}'",
                    format!("is the `{host}` container running, and on a network NPM's container is on too? NPM resolves it through Docker's DNS (127.0.0.11)"),
                ));
                f.fixes.push(review(
                    format!("# in {host}'s compose file: join NPM's network (its name is in `docker network ls`, e.g. npm_default)\nservices:\n  {host}:\n    networks: [npm]\nnetworks:\n  npm:\n    external: true\n    name: npm_default"),
                    format!("on a shared user-defined network the service name `{host}` resolves from NPM's container"),
                ));
                f.fixes.push(review(
                    ctx.npm_forward(site.as_deref(), "{docker_host_lan_ip}", "{published_port}"),
                    format!("or, without a shared network: forward to the Docker host's address and the port {host} publishes"),
                ));
            } else if compose_like && plain {
                f.fixes.push(safe(
                    ctx.in_nginx_container(&format!("getent hosts {host}")),
                    "empty output: the containers share no user-defined network",
                ));
                f.fixes.push(review(
                    plain_network(ctx, &host),
                    "containers started with plain `docker run` resolve each other by name only on a user-defined network; --alias gives the app the name nginx uses",
                ));
            } else if compose_like {
                f.fixes.push(safe(
                    "docker compose ps",
                    format!("is the `{host}` service running?"),
                ));
                f.fixes.push(safe(
                    ctx.in_nginx_container(&format!("getent hosts {host}")),
                    "empty output: the containers share no user-defined network",
                ));
                f.fixes.push(disruptive(
                    format!("docker compose up -d {host}"),
                    "start the backend so its name exists",
                ));
            } else {
                f.fixes.push(safe(
                    format!("dig +short {host}"),
                    "does any DNS know the name? compare with the resolver in nginx's config",
                ));
                f.fixes.push(review(format!("# point the upstream at a name that exists, or the resolver at the DNS server that knows {host}"), "a typo or an internal name the public resolver cannot know"));
                f.fixes.push(disruptive(
                    reload.clone(),
                    "load the corrected configuration",
                ));
            }
        }
        Kind::ResolverTimeout | Kind::ResolverUnreachable => {
            f.title = match &resolver {
                Some(r) => format!("nginx's resolver {r} does not answer"),
                None => format!("nginx's resolver does not answer for {host}"),
            };
            f.summary = format!(
                "The `resolver` nginx uses for per-request lookups{} does not answer (a Docker-only address outside Docker, a \
                 firewall, a public DNS blocked from this host), so `{host}` cannot be resolved and the request fails with 502.",
                resolver.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
            );
            f.fixes.push(safe(
                "grep ^nameserver /etc/resolv.conf",
                "the DNS server this machine really uses",
            ));
            let r = if container {
                "resolver 127.0.0.11 valid=10s ipv6=off;   # inside a Docker container"
            } else {
                "resolver 127.0.0.53 valid=30s;   # or the nameserver from /etc/resolv.conf"
            };
            let why = if resolver
                .as_deref()
                .is_some_and(|r| r.starts_with("127.0.0.11"))
                && !ctx.facts.nginx_in_container
            {
                "127.0.0.11 only exists inside Docker containers; nginx on the host needs the host's resolver"
            } else {
                "point nginx at a DNS server that answers from this machine (test it with `dig @<ip> <name>`)"
            };
            f.fixes
                .push(review(format!("# replace the resolver line:\n{r}"), why));
            f.fixes.push(disruptive(
                reload.clone(),
                "load the corrected configuration",
            ));
        }
    }
    f.verify.push(format!(
        "{}   # expect an address",
        exec(&format!("getent hosts {host}"))
    ));
    f.verify.push(if container {
        format!(
            "{}   # expect: test is successful",
            ctx.in_nginx_container("nginx -t")
        )
    } else {
        "sudo nginx -t   # expect: test is successful".into()
    });
    if !emerg {
        f.verify.push(super::common::watch_log(ctx, "resolve"));
    }
    if ctx.facts.config.is_none() {
        f.next.push(next("sudo nginx -T | grep -nE 'resolver|_pass|server .*:'", "shows how the upstream is written (literal name or variable) and which resolver is set"));
    }
    if compose_like && ctx.facts.containers.is_empty() {
        f.next.push(next(
            if plain {
                "docker ps -a"
            } else {
                "docker compose ps -a"
            },
            "shows whether the backend container exists and runs",
        ));
    }
    vec![f]
}

/// The compose services (or containers) the paste shows, when none is
/// `host`: their names, and the one nginx most likely means (an FPM image
/// for a PHP-FPM name, else a service whose name is part of `host` or the
/// other way round), not nginx's own.
fn other_services(ctx: &Ctx, host: &str) -> Option<(Vec<String>, Option<String>)> {
    let f = ctx.facts;
    let mut services: Vec<(String, String)> = f
        .compose_services
        .iter()
        .map(|s| (s.name.clone(), s.image.clone().unwrap_or_default()))
        .collect();
    for c in &f.containers {
        let name = super::ctx::compose_service(&c.name).to_string();
        if !services.iter().any(|(n, _)| *n == name) {
            services.push((name, c.image.clone().unwrap_or_default()));
        }
    }
    if services.is_empty()
        || services.iter().any(|(n, _)| n == host)
        || f.containers
            .iter()
            .any(|c| super::ctx::is_container_of(&c.name, host))
    {
        return None;
    }
    let nginx = ctx.nginx_service();
    let candidates = || {
        services
            .iter()
            .filter(|(n, i)| n != nginx && !i.contains("nginx") && !n.contains("nginx"))
    };
    let fpm_name = host.contains("php") || host.contains("fpm");
    let guess = candidates()
        .find(|(_, image)| fpm_name && image.contains("fpm"))
        .or_else(|| {
            candidates()
                .find(|(n, _)| n.len() >= 2 && (host.contains(n.as_str()) || n.contains(host)))
        })
        .map(|(n, _)| n.clone());
    Some((services.into_iter().map(|(n, _)| n).collect(), guess))
}

/// Put nginx's container and the app's on one user-defined network (plain
/// Docker), the app under the name nginx asks for.
fn plain_network(ctx: &Ctx, host: &str) -> String {
    let nginx = ctx.nginx_container_name();
    let app = plain_app(ctx, host);
    format!(
        "docker network create appnet\ndocker network connect appnet {nginx}\ndocker network connect --alias {host} appnet {app}   # or start both with --network appnet"
    )
}

/// The app container of a plain Docker paste: the one named like the
/// host nginx asks for (`Nextcloud` for `nextcloud`), else the only one
/// (`{app_container}` when neither).
fn plain_app(ctx: &Ctx, host: &str) -> String {
    let f = ctx.facts;
    let nginx = ctx.nginx_container_name();
    let apps: Vec<&str> = f
        .containers
        .iter()
        .map(|c| c.name.as_str())
        .chain(f.docker_run_names.iter().map(String::as_str))
        .filter(|n| *n != nginx && !n.contains("nginx"))
        .collect();
    if let Some(named) = apps.iter().find(|n| n.eq_ignore_ascii_case(host)) {
        return named.to_string();
    }
    match apps.as_slice() {
        [one, rest @ ..] if rest.iter().all(|r| r == one) => one.to_string(),
        _ => "{app_container}".to_string(),
    }
}

#[cfg(test)]
mod tests {
    fn commands(paste: &str) -> (String, Vec<String>, Vec<String>) {
        let r = crate::analyze_str(paste);
        let c = &r.causes[0];
        (
            c.id.clone(),
            c.fixes.iter().map(|f| f.command.clone()).collect(),
            c.verify.clone(),
        )
    }

    /// `host not found in upstream "api"`: nginx was given no port, so it
    /// dials 80; the resolver fix names it instead of a placeholder.
    #[test]
    fn portless_upstream_is_port_80() {
        let (id, fixes, _) = commands(
            "nginx-1  | 2024/10/12 07:41:09 [emerg] 1#1: host not found in upstream \"api\" in /etc/nginx/conf.d/app.conf:7\n",
        );
        assert_eq!(id, "dns_resolution");
        assert!(fixes
            .iter()
            .any(|f| f.contains("set $app_upstream http://api:80;")));
        assert!(fixes.iter().all(|f| !f.contains("{port}")));
    }

    /// nginx's container restarting (it cannot start): `exec` into it
    /// fails, a one-off container of its compose service (named by the
    /// SERVICE column, not the project-prefixed container) does not.
    #[test]
    fn exited_nginx_container_is_checked_with_run() {
        let paste = "\
NAME                IMAGE            COMMAND                  SERVICE   CREATED          STATUS                          PORTS
myapp-backend-1     myapp-backend    \"docker-entrypoint.s…\"   backend   12 minutes ago   Exited (1) 11 minutes ago
myapp-proxy-1       nginx:1.25       \"/docker-entrypoint.…\"   proxy     12 minutes ago   Restarting (1) 20 seconds ago

myapp-proxy-1  | 2024/06/08 14:03:51 [emerg] 1#1: host not found in upstream \"backend:4000\" in /etc/nginx/conf.d/default.conf:12
";
        let (id, fixes, verify) = commands(paste);
        assert_eq!(id, "dns_resolution");
        let all: Vec<&String> = fixes.iter().chain(verify.iter()).collect();
        assert!(all.iter().all(|c| !c.contains("compose exec")), "{all:?}");
        assert!(verify
            .iter()
            .any(|v| v.starts_with("docker compose run --rm --no-deps proxy nginx -t")));
        assert!(
            fixes.iter().all(|c| !c.contains("myapp-proxy")),
            "{fixes:?}"
        );
    }

    /// Nginx Proxy Manager cannot resolve a container of another compose
    /// project: join the networks or forward to the host, not `docker
    /// compose up` in NPM's project; checks run in NPM's `app` service.
    #[test]
    fn npm_name_on_another_network() {
        let (id, fixes, verify) = commands("root@nas:/opt/npm# docker exec npm-app-1 tail -n 2 /data/logs/proxy-host-7_error.log\n2024/05/19 20:11:45 [error] 312#312: *1180 jellyfin could not be resolved (3: Host not found), client: 192.168.1.34, server: media.example.com, request: \"GET / HTTP/2.0\", host: \"media.example.com\"\n");
        assert_eq!(id, "dns_resolution");
        assert!(
            fixes.iter().any(|f| f.contains("networks: [npm]")),
            "{fixes:?}"
        );
        assert!(
            fixes
                .iter()
                .any(|f| f.contains("Proxy Hosts → media.example.com")),
            "{fixes:?}"
        );
        assert!(
            fixes.iter().all(|f| !f.contains("up -d jellyfin")),
            "{fixes:?}"
        );
        assert!(
            verify
                .iter()
                .any(|v| v.starts_with("docker compose exec app getent hosts jellyfin")),
            "{verify:?}"
        );
    }
}
