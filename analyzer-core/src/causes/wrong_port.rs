//! `wrong_port`: nginx targets an address, port or socket other than the
//! one the backend listens on.

use super::ctx::{covers, php_version_in, same_path};
use super::fixes::{next, review, safe};
use super::{Ctx, Finding, Rule};
use crate::facts::{Address, EventGroup, EvidenceLine, Listener, Signal, Upstream};

pub static RULE: Rule = Rule {
    id: "wrong_port",
    family: "wrong_port",
    title: "nginx points at the wrong port or socket",
    docs: DOCS,
    signatures: &[
        "(111: Connection refused) while connecting to upstream",
        "(2: No such file or directory) while connecting to upstream",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
The backend runs, but not where nginx looks for it: `proxy_pass` says
`127.0.0.1:8000` while the app listens on `127.0.0.1:3000`; `fastcgi_pass`
names `127.0.0.1:9000` while PHP-FPM listens on `/run/php/php8.1-fpm.sock`
(Debian's default) or the reverse (Docker's `php:*-fpm` listens on 9000);
nginx names `php7.4-fpm.sock` after an upgrade created `php8.3-fpm.sock`.

## Why nginx answers 502 or 504
The connection to the configured address is refused (111) or the socket
file does not exist (2), so nginx answers **502 Bad Gateway** at once.

## Evidence
- error.log: `connect() failed (111: Connection refused)` or
  `connect() to unix:… failed (2: No such file or directory)` for the target.
- `ss -tlnp` / `ss -xlp` / `ls -la` show the backend listening elsewhere.
- The PHP-FPM pool's `listen =` differs from `fastcgi_pass`.
- `systemctl status` shows another PHP version's FPM running
  (`php8.1-fpm` active) while nginx names `php7.4-fpm.sock` and no
  `php7.4-fpm` unit is in the paste: that unit's stock socket is the same
  path with its own version.
- A container published as `8080->80` while its own log says the app
  listens on another port (`Server listening on http://0.0.0.0:3000`):
  Docker's proxy finds nothing on 80 and drops the connection, which nginx
  logs as `upstream prematurely closed connection` or a reset.
- Tomcat's `AjpMessage.processHeader Invalid message received with
  signature [18245]`: `proxy_pass` points at the AJP connector (8009, what
  mod_jk used), which speaks no HTTP; Tomcat's HTTP connector (8080) is the
  target.

## Fix
Point nginx at the address the backend really uses (edit the line shown by
`nginx -T`, usually in `sites-available/` or `conf.d/`), then
`sudo nginx -t && sudo systemctl reload nginx`. Or change the backend's
listen address to match and restart it.

## Verify
`curl` the backend directly on its real address, then through nginx; no new
`connect()` lines in the error log.

## Known problems
A listener found on another port may be a different app: the rule prefers
listeners whose process looks like the backend (same kind of server as the
upstream scheme) and says which one it picked. A socket inferred from a
running PHP version assumes the stock pool (`listen = /run/php/php8.1-fpm.sock`);
`ls -la /run/php/` confirms it.
"#;

/// Processes that are never the app behind nginx.
const SYSTEM: &[&str] = &[
    "nginx",
    "sshd",
    "systemd-resolve",
    "systemd-resolved",
    "chronyd",
    "cupsd",
    "master",
    "exim4",
    "dnsmasq",
    "rpcbind",
    "containerd",
    "dockerd",
    "avahi-daemon",
    "named",
    "postgres",
    "mysqld",
    "mariadbd",
    "redis-server",
    "memcached",
    "sshd:",
    "smtpd",
    "dhclient",
    "systemd",
];

fn is_app(l: &Listener) -> bool {
    match l.process.as_deref() {
        Some(p) => !SYSTEM.contains(&p),
        None => !matches!(
            l.addr.port(),
            Some(22 | 25 | 53 | 80 | 443 | 3306 | 5432 | 6379 | 11211 | 111 | 631)
        ),
    }
}

fn is_fpm(l: &Listener) -> bool {
    l.process.as_deref().is_some_and(|p| p.starts_with("php"))
}

/// The best listener nginx probably meant instead of `target`.
fn candidate<'a>(ctx: &Ctx<'a>, up: &Upstream) -> Option<(Address, Option<&'a Listener>, String)> {
    let target = &up.addr;
    let fastcgi = up.scheme == "fastcgi";
    let listeners = &ctx.facts.listeners;
    // A pool file that says where FPM listens.
    if fastcgi {
        // A pool whose own socket the paste shows missing is not running
        // either (the stock pool of a stopped php-fpm): no better target.
        let missing = |l: &Address| {
            l.socket_path().is_some_and(|p| {
                ctx.facts
                    .missing_paths
                    .iter()
                    .any(|m| same_path(&m.path, p))
            })
        };
        if let Some(pool) = ctx.facts.pools.iter().find(|p| {
            p.listen()
                .is_some_and(|l| !same(&l, target) && !missing(&l))
        }) {
            let l = pool.listen().expect("checked");
            return Some((
                l,
                None,
                format!(
                    "the PHP-FPM pool `{}` listens on {}",
                    pool.name,
                    pool.get("listen").unwrap_or("")
                ),
            ));
        }
    }
    // A uWSGI ini that opens its uwsgi socket elsewhere.
    if up.scheme == "uwsgi" {
        let other = ctx.facts.uwsgi.iter().find_map(|u| {
            u.sockets()
                .into_iter()
                .find(|(_, proto, a, _)| *proto == "uwsgi" && !same(a, target))
                .map(|(k, _, a, _)| (a, k, u))
        });
        if let Some((a, key, u)) = other {
            let written = u.get(key).unwrap_or_default().to_string();
            return Some((a, None, format!("the uWSGI ini's `{key} =` is {written}")));
        }
    }
    let wants_fpm = fastcgi || target.socket_path().is_some_and(|p| p.contains("php"));
    let pick = |l: &&Listener| -> bool {
        if covers(&l.addr, target) || !is_app(l) {
            return false;
        }
        if wants_fpm {
            // 9000 is FastCGI's conventional port; a container's FPM shows as docker-proxy.
            return is_fpm(l)
                || (l.addr.port() == Some(9000)
                    && l.process
                        .as_deref()
                        .is_none_or(|p| p.starts_with("docker") || p == "podman"));
        }
        if is_fpm(l) {
            return false;
        }
        match target {
            // Same port on another address (IPv6 vs IPv4 loopback), or another port on loopback/any.
            Address::Tcp { .. } => true,
            Address::Unix { path } => match &l.addr {
                Address::Unix { path: p } => dir_of(p) == dir_of(path) || l.process.is_some(),
                Address::Tcp { .. } => true,
            },
        }
    };
    // Prefer the same port on another address, then same kind (unix/tcp), then anything.
    let same_port = target.port().and_then(|p| {
        listeners
            .iter()
            .filter(pick)
            .find(|l| l.addr.port() == Some(p))
    });
    // On another port, a listener whose process is not shown while others'
    // are (`ss -p` run as root: a socket of another pid namespace, the
    // host's agent) says nothing about the app: only a named process, or
    // any listener when the paste names none, is a candidate.
    let named = listeners.iter().any(|l| l.process.is_some());
    let other = |l: &&Listener| pick(l) && (l.process.is_some() || !named);
    let same_kind = listeners.iter().filter(other).find(|l| {
        matches!(
            (&l.addr, target),
            (Address::Unix { .. }, Address::Unix { .. })
                | (Address::Tcp { .. }, Address::Tcp { .. })
        )
    });
    if let Some(l) = same_port
        .or(same_kind)
        .or_else(|| listeners.iter().find(other))
    {
        let who = match (l.process.as_deref(), l.pid) {
            (Some(p), Some(pid)) => format!("`{p}` (pid {pid})"),
            (Some(p), None) => format!("`{p}`"),
            _ => "a process".to_string(),
        };
        return Some((
            l.addr.clone(),
            Some(l),
            format!("{who} is listening on {}", l.addr.display()),
        ));
    }
    // A socket file next to the missing one (php8.3-fpm.sock beside php8.1-fpm.sock).
    if let Some(path) = target.socket_path() {
        let dir = dir_of(path);
        // Debian's `php-fpm.sock` is an alternatives link to one version's
        // socket: name the version's own socket when both are listed (ss
        // shows that path, not the link's).
        let versioned_first = |a: &str| u8::from(php_version_in(a).is_none());
        if let Some(e) = ctx
            .facts
            .paths
            .iter()
            .filter(|e| e.file_type == 's' && !same_path(&e.path, path) && dir_of(&e.path) == dir)
            .min_by_key(|e| versioned_first(&e.path))
        {
            return Some((
                Address::Unix {
                    path: e.path.clone(),
                },
                None,
                format!("the socket {} exists instead", e.path),
            ));
        }
        // A short `ls /run/php/` names the sockets without their type.
        if let Some(e) = ctx
            .facts
            .listed_names
            .iter()
            .filter(|e| {
                e.path.ends_with(".sock") && !same_path(&e.path, path) && dir_of(&e.path) == dir
            })
            .min_by_key(|e| versioned_first(&e.path))
        {
            return Some((
                Address::Unix {
                    path: e.path.clone(),
                },
                None,
                format!("the socket {} exists instead", e.path),
            ));
        }
        // PHP upgraded, site config not: nginx names PHP 7.4's socket while
        // the pasted `systemctl status` shows php8.1-fpm running. That
        // unit's stock socket is the same path with its own version.
        if let Some((unit, sock)) = super::common::other_php_running(ctx, path) {
            return Some((
                Address::Unix { path: sock.clone() },
                None,
                format!(
                    "`{unit}` is running and its stock socket is {sock}: nginx still names the socket of PHP {}",
                    php_version_in(path).unwrap_or_default()
                ),
            ));
        }
    }
    None
}

/// aaPanel's sockets on both sides (`/tmp/php-cgi-74.sock` →
/// `/tmp/php-cgi-82.sock`): their versions as aaPanel writes them.
fn aapanel_versions(old: &Address, new: &Address) -> Option<(String, String)> {
    let ver = |a: &Address| {
        a.socket_path()?
            .strip_prefix("/tmp/php-cgi-")?
            .strip_suffix(".sock")
            .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
    };
    Some((ver(old)?, ver(new)?)).filter(|(o, n)| o != n)
}

/// Is `addr` a `server` of a pasted `upstream {}` block with two or more?
fn in_group_of_several(ctx: &Ctx, addr: &Address) -> bool {
    ctx.facts.config.as_ref().is_some_and(|c| {
        c.upstream_blocks()
            .iter()
            .any(|b| b.servers.len() >= 2 && b.servers.iter().any(|s| same(&s.addr, addr)))
    })
}

fn same(a: &Address, b: &Address) -> bool {
    super::ctx::same_target(a, b)
}

fn dir_of(p: &str) -> &str {
    let p = p
        .strip_prefix("/var")
        .filter(|r| r.starts_with("/run/"))
        .unwrap_or(p);
    p.rfind('/').map(|i| &p[..i]).unwrap_or("")
}

/// How nginx writes the target in a `*_pass` line.
pub fn pass_line(up: &Upstream, addr: &Address) -> String {
    match up.scheme.as_str() {
        "fastcgi" => format!("fastcgi_pass {};", addr.display()),
        "uwsgi" => format!("uwsgi_pass {};", addr.display()),
        "grpc" | "grpcs" => format!("grpc_pass {}://{};", up.scheme, addr.display()),
        "scgi" => format!("scgi_pass {};", addr.display()),
        s => {
            let scheme = if s.is_empty() { "http" } else { s };
            match addr {
                Address::Unix { path } => format!("proxy_pass {scheme}://unix:{path}:;"),
                _ => format!("proxy_pass {scheme}://{};", addr.display()),
            }
        }
    }
}

/// Failing groups, the target nginx uses, the address meant, the listener
/// that shows it, and why.
type Candidate<'a> = (
    Vec<&'a EventGroup>,
    Upstream,
    Address,
    Option<&'a Listener>,
    String,
);

fn check(ctx: &Ctx) -> Vec<Finding> {
    let mut out: Vec<Finding> = plain_http_to_tls_port(ctx).into_iter().collect();
    out.extend(published_to_idle_port(ctx));
    out.extend(http_to_ajp(ctx));
    out.extend(check_target(ctx));
    out
}

/// `proxy_pass http://…:8009` to Tomcat's AJP connector (what Apache's
/// mod_jk or mod_proxy_ajp used): Tomcat logs `Invalid message received with
/// signature [18245]` (`GE` of `GET`) and drops the connection, nginx logs a
/// premature close. Stock nginx speaks no AJP: proxy to Tomcat's HTTP
/// connector instead.
fn http_to_ajp(ctx: &Ctx) -> Option<Finding> {
    let ajp: Vec<&EventGroup> = ctx.groups(|s| matches!(s, Signal::AjpBadSignature { .. }));
    if ajp.is_empty() {
        return None;
    }
    let symptoms = super::common::nginx_symptoms(ctx);
    let up = super::common::upstream_of(&symptoms);
    let mut all = ajp.clone();
    all.extend(symptoms.iter().copied());
    let mut f = Finding::from_groups(&all);
    f.status = Some(502);
    f.confidence = 0.9;
    f.explains = vec!["upstream_closed_early", "upstream_reset", "keepalive_race"];
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "127.0.0.1:8009".into());
    f.reasoning.push(
        "Tomcat's AJP connector logged `Invalid message received with signature`: it was sent HTTP, not AJP".into(),
    );
    // Tomcat's HTTP connector, when the listeners show java on another port.
    let ajp_port = up.as_ref().and_then(|u| u.addr.port());
    let http = ctx.facts.listeners.iter().find(|l| {
        l.process.as_deref().is_some_and(|p| p == "java")
            && l.addr.port().is_some_and(|p| Some(p) != ajp_port)
    });
    let http_port = http.and_then(|l| l.addr.port());
    if let Some(l) = http {
        f.add_evidence(EvidenceLine::marked(
            l.line,
            &format!("LISTEN {} java", l.addr.display()),
            &l.addr.display(),
        ));
        f.reasoning.push(format!(
            "java also listens on {}: Tomcat's HTTP connector",
            l.addr.display()
        ));
    }
    f.title = format!("nginx sends HTTP to Tomcat's AJP connector on {target}");
    f.summary = format!(
        "{target} is Tomcat's AJP connector (the protocol of Apache's mod_jk), which nginx does not speak: Tomcat rejects \
         the HTTP request and closes the connection, so nginx answers 502. Proxy to Tomcat's HTTP connector instead."
    );
    let new_port = http_port.map_or_else(|| "8080".to_string(), |p| p.to_string());
    let host = up
        .as_ref()
        .and_then(|u| u.addr.host())
        .filter(|h| !h.is_empty())
        .unwrap_or("127.0.0.1")
        .to_string();
    let new_addr = format!("{host}:{new_port}");
    // The pasted pass, its address replaced (the URI part kept).
    let edit = up.as_ref().and_then(|u| {
        let cr = ctx.config_line_for(&u.addr)?;
        let old = u.addr.display();
        if !cr.written.contains(&old) {
            return None;
        }
        f.add_evidence(EvidenceLine::marked(
            cr.line,
            &format!("{} {};", cr.pass.directive, cr.written),
            &cr.written,
        ));
        cr.sed(&old, &new_addr).or_else(|| {
            Some(format!(
                "# at {}, replace\n#   {d} {};\n# with\n{d} {};",
                cr.place(),
                cr.written,
                cr.written.replacen(&old, &new_addr, 1),
                d = cr.pass.directive
            ))
        })
    });
    f.fixes.push(review(
        edit.unwrap_or_else(|| format!("# in the location that proxies to Tomcat:\nproxy_pass http://{new_addr};")),
        format!("Tomcat's HTTP connector{}", if http_port.is_some() { " (the other port java listens on)" } else { ": server.xml <Connector port=\"8080\" protocol=\"HTTP/1.1\" address=\"127.0.0.1\"/>; enable it if it is commented out" }),
    ));
    f.fixes.push(super::fixes::reload(ctx));
    f.fixes.push(safe(
        "# once nothing uses AJP: comment out the AJP <Connector protocol=\"AJP/1.3\" …/> in server.xml",
        "an unused AJP port is an attack surface (Ghostcat, CVE-2020-1938)",
    ));
    f.verify.push(format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n' http://{new_addr}/   # Tomcat answers HTTP here"
    ));
    f.verify.push(super::fixes::watch_log("prematurely closed"));
    Some(f)
}

/// The host's nginx proxies to a port a container publishes (`8080->80`),
/// and the app inside listens on another port (`listening on
/// http://0.0.0.0:3000`): Docker's proxy takes the connection, finds
/// nothing on the container's port 80 and hangs up, which nginx logs as a
/// premature close or a reset (curl: `Empty reply from server`).
fn published_to_idle_port(ctx: &Ctx) -> Option<Finding> {
    if ctx.facts.nginx_in_container && !ctx.nginx_host_network() {
        return None;
    }
    let groups = ctx.loopback_port_drops();
    let up = super::common::upstream_of(&groups)?;
    let host_port = up.addr.port()?;
    // The container publishing that port, and where it leads.
    let (container, mapping, inner) = ctx
        .published(host_port)
        .filter(|(c, ..)| c.status == "running")?;
    // The app's own log: every port it says it listens on, all elsewhere.
    let said: Vec<(&EventGroup, u16)> = ctx
        .groups(|s| {
            matches!(
                s,
                Signal::AppListening { .. } | Signal::AppBoundLoopback { .. }
            )
        })
        .into_iter()
        .filter_map(|g| match &g.key.signal {
            Signal::AppListening { port, .. } | Signal::AppBoundLoopback { port, .. } => {
                Some((g, *port))
            }
            _ => None,
        })
        .collect();
    let (app_line, app_port) = *said.first()?;
    if said.iter().any(|(_, p)| *p != app_port || *p == inner) || app_port == host_port {
        return None;
    }
    // An app bound to its container's loopback is container_loopback's.
    if matches!(app_line.key.signal, Signal::AppBoundLoopback { .. }) {
        return None;
    }
    let mut gs = groups.clone();
    gs.push(app_line);
    let mut f = Finding::from_groups(&gs);
    f.status = Some(502);
    f.confidence = 0.88;
    f.explains = vec![
        "upstream_closed_early",
        "upstream_reset",
        "upstream_down",
        "keepalive_race",
    ];
    f.add_evidence(EvidenceLine::marked(container.line, mapping, mapping));
    let name = &container.name;
    f.reasoning.push(format!(
        "container `{name}` publishes {mapping}: Docker forwards {} to its port {inner}",
        up.addr.display()
    ));
    f.reasoning.push(format!(
        "the app in it says it listens on port {app_port}, so nothing answers on port {inner}"
    ));
    f.title = format!(
        "Container `{name}` publishes {host_port} → {inner}, but the app inside listens on {app_port}"
    );
    f.summary = format!(
        "nginx proxies to {}, which Docker forwards to port {inner} of `{name}`. The app in the container listens on \
         {app_port}, so Docker's proxy finds nothing on {inner} and drops the connection: nginx answers 502. Publish \
         the port the app really uses.",
        up.addr.display()
    );
    let plain = ctx.plain_docker();
    let compose = ctx.facts.compose_cmd
        || !ctx.facts.compose_services.is_empty()
        || !ctx.facts.app_log_containers.is_empty();
    let service = super::ctx::service_of_container(ctx.facts, name);
    let run = format!(
        "docker run … -p 127.0.0.1:{host_port}:{app_port} …   # instead of -p {host_port}:{inner}"
    );
    let yaml = format!(
        "ports:\n  - \"127.0.0.1:{host_port}:{app_port}\"   # instead of \"{host_port}:{inner}\""
    );
    f.fixes.push(review(
        if plain {
            format!("# recreate `{name}` with the app's port as the container side:\n{run}")
        } else if compose {
            format!("# in the compose service `{service}`:\n{yaml}")
        } else {
            format!("# compose service `{service}`:\n{yaml}\n# or, started with docker run:\n# {run}")
        },
        "the right side is the port inside the container: it must be the one the app listens on (or set the app's PORT to {inner})".replace("{inner}", &inner.to_string()),
    ));
    f.fixes.push(super::fixes::disruptive(
        if plain {
            format!("docker rm -f {name}   # then the docker run above")
        } else {
            format!("docker compose up -d {service}")
        },
        "Docker applies a port mapping only when the container is created",
    ));
    f.verify.push(format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n' http://127.0.0.1:{host_port}/   # expect the app's status, not an empty reply"
    ));
    f.verify.push(format!(
        "docker port {name}   # expect {app_port}/tcp -> …:{host_port}"
    ));
    Some(f)
}

/// Ports that by convention speak TLS.
const TLS_PORTS: &[u16] = &[443, 8443, 9443];

/// `proxy_pass http://…:8443` to a backend that only speaks TLS there: it
/// takes the connection, reads a request that is not a TLS hello and hangs
/// up, which nginx logs as a premature close (curl: `Empty reply from
/// server`).
fn plain_http_to_tls_port(ctx: &Ctx) -> Option<Finding> {
    // A crash, a watchdog kill or an OOM kill in the paste explains the close.
    if !super::common::partner_names(ctx).is_empty() {
        return None;
    }
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| {
            matches!(
                s,
                Signal::PrematureClose | Signal::IoFailed { errno: 104, .. }
            )
        })
        .into_iter()
        .filter(|g| g.key.action == Some(crate::facts::Action::ReadingHeader))
        .filter(|g| {
            g.key.upstream.as_ref().is_some_and(|u| {
                u.scheme == "http" && u.effective_port().is_some_and(|p| TLS_PORTS.contains(&p))
            })
        })
        .collect();
    let up = super::common::upstream_of(&groups)?;
    let port = up.effective_port()?;
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.confidence = 0.74;
    f.explains = vec!["upstream_closed_early", "upstream_reset", "keepalive_race"];
    let target = up.addr.display();
    f.reasoning.push(format!(
        "nginx speaks plain HTTP (`proxy_pass http://`) to port {port}, the usual port of HTTPS, and the backend hangs up before answering"
    ));
    let empty = ctx.facts.curl.iter().find(|c| {
        c.error_code == Some(52)
            && c.url
                .as_deref()
                .is_none_or(|u| u.starts_with("http://") && u.contains(&format!(":{port}")))
    });
    if let Some(c) = empty {
        f.confidence = 0.85;
        f.add_evidence(EvidenceLine::new(c.line, "Empty reply from server"));
        f.reasoning
            .push("plain HTTP from curl gets an empty reply too: the port expects TLS".into());
    }
    f.title = format!("nginx sends plain HTTP to {target}, which expects TLS");
    f.summary = format!(
        "Port {port} is where backends usually serve HTTPS. nginx connects with plain HTTP, the backend waits for a TLS \
         handshake, gets an HTTP request instead and closes the connection: nginx answers 502."
    );
    // The pasted proxy_pass: nginx logs the resolved address, the config
    // may name the host (`http://app:8443`).
    let pass = super::common::pass_for(ctx, &up).or_else(|| {
        let same_port: Vec<_> = ctx
            .passes()
            .into_iter()
            .filter(|p| {
                p.upstream
                    .as_ref()
                    .is_some_and(|u| u.scheme == "http" && u.effective_port() == Some(port))
            })
            .collect();
        (same_port.len() == 1).then(|| same_port[0].clone())
    });
    let written = match &pass {
        Some(p) => {
            f.add_evidence(EvidenceLine::marked(
                p.line,
                &format!("{} {};", p.directive, p.target),
                &p.target,
            ));
            p.target.trim_start_matches("http://").to_string()
        }
        None => target.clone(),
    };
    f.fixes.push(safe(
        format!("curl -skI https://{target}/"),
        "an answer over TLS proves the port speaks HTTPS",
    ));
    f.fixes.push(review(
        format!(
            "# in the location, replace http:// by https://:\nproxy_pass https://{written};\nproxy_ssl_server_name on;   # send the name in the handshake (SNI)"
        ),
        "talk to the port in the protocol it speaks (or point nginx at the backend's plain HTTP port)",
    ));
    f.fixes.push(super::fixes::reload(ctx));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    Some(f)
}

fn check_target(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 | 2 }));
    let mut best: Option<Candidate> = None;
    for g in &groups {
        let Some(up) = target_of(g) else { continue };
        if up.addr.is_loopback() && is_ipv6_localhost_case(ctx, &up) {
            continue; // ipv6_localhost explains it
        }
        if ctx.facts.nginx_in_container && up.addr.is_loopback() && !ctx.nginx_host_network() {
            continue; // container_loopback explains it
        }
        if let Some((addr, l, why)) = candidate(ctx, &up) {
            // nginx in a container dials the Docker host, whose loopback
            // listener it cannot reach: container_loopback explains that.
            if ctx.facts.nginx_in_container
                && !ctx.nginx_host_network()
                && addr.is_loopback()
                && super::container_loopback::dials_docker_host(&up)
            {
                continue;
            }
            let same_up: Vec<&EventGroup> = groups
                .iter()
                .copied()
                .filter(|h| target_of(h).is_some_and(|u| u.addr == up.addr))
                .collect();
            best = Some((same_up, up, addr, l, why));
            break;
        }
    }
    // No failing lines pasted: a config target that nothing listens on, while
    // the listeners (or the pool file) show where the backend is.
    let from_config = best.is_none() && groups.is_empty();
    // An `ls` of a socket directory counts too (after a PHP upgrade: only
    // the new version's socket is there).
    let shown_sockets = ctx.facts.paths.iter().any(|e| e.file_type == 's');
    if from_config
        && (!ctx.facts.listeners.is_empty() || !ctx.facts.pools.is_empty() || shown_sockets)
    {
        for p in ctx.passes() {
            let Some(up) = p.upstream.clone() else {
                continue;
            };
            if matches!(up.addr, Address::Tcp { port: None, .. }) {
                continue; // an upstream group name
            }
            let covered = ctx
                .facts
                .listeners
                .iter()
                .any(|l| covers(&l.addr, &up.addr));
            let local = up.addr.is_loopback() || up.addr.socket_path().is_some();
            // A socket is missing only where its directory was listed (not
            // one other file of it) and it is not in the listing.
            let not_shown_missing = up.addr.socket_path().is_some_and(|p| {
                let in_dir = ctx
                    .facts
                    .paths
                    .iter()
                    .filter(|e| dir_of(&e.path) == dir_of(p))
                    .count();
                in_dir < 2 || ctx.facts.paths.iter().any(|e| same_path(&e.path, p))
            });
            let listed_only = ctx.facts.listeners.is_empty() && ctx.facts.pools.is_empty();
            if covered
                || (not_shown_missing && listed_only)
                || !local
                || ctx.facts.nginx_in_container
            {
                continue;
            }
            if let Some((addr, l, why)) = candidate(ctx, &up) {
                best = Some((Vec::new(), up, addr, l, why));
                break;
            }
        }
    }
    let Some((gs, up, addr, listener, why)) = best else {
        return vec![];
    };
    let mut f = Finding::from_groups(&gs);
    f.status = Some(502);
    f.explains = vec!["upstream_down", "socket_missing"];
    f.confidence = if from_config { 0.62 } else { 0.86 };
    // One member of an `upstream {}` group of several, and a listener on
    // another port: every member failing is the stronger reading
    // (`no_live_upstreams`); this listener is only a guess.
    let elsewhere = addr.port().is_some() && addr.port() != up.addr.port();
    if elsewhere && in_group_of_several(ctx, &up.addr) {
        f.confidence = 0.6;
    }
    if listener.is_some_and(|l| l.process.is_some()) {
        f.confidence += 0.06;
    }
    if from_config {
        f.reasoning.push(format!(
            "the config sends requests to {}, where nothing listens (no 502 lines were pasted)",
            up.addr.display()
        ));
        f.next.push(next(
            "sudo tail -n 50 /var/log/nginx/error.log",
            "confirms the 502s come from this target",
        ));
    } else {
        f.reasoning
            .push(format!("nginx connects to {} and fails", up.addr.display()));
    }
    f.reasoning.push(why.clone());
    if let Some((l, pid)) = listener
        .filter(|l| l.process.is_none() && ctx.host_os() == super::ctx::HostOs::Windows)
        .and_then(|l| Some((l, l.pid?)))
    {
        f.next.push(next(
            format!("tasklist /FI \"PID eq {pid}\""),
            format!(
                "names the process listening on {}: make sure it is the backend",
                l.addr.display()
            ),
        ));
    }
    if let Some(l) = listener {
        f.add_evidence(EvidenceLine::marked(
            l.line,
            &listener_text(l),
            &l.addr.display(),
        ));
    }
    if let Some(pool) = ctx
        .facts
        .pools
        .iter()
        .find(|p| p.listen().is_some_and(|x| x == addr))
    {
        if let Some(line) = pool.line_of("listen") {
            f.add_evidence(EvidenceLine::marked(
                line,
                &format!("listen = {}", pool.get("listen").unwrap_or("")),
                pool.get("listen").unwrap_or(""),
            ));
        }
    }
    // A listener on every address (`*:3001`, `0.0.0.0:3001`, `[::]:3001`)
    // is reached on loopback: that is what nginx should name.
    // From nginx's container, another container's every-address listener
    // is reached at the name or address nginx already uses: only the port
    // changes.
    let listening = addr.display();
    let wildcard = matches!(&addr, Address::Tcp { host, port: Some(_) } if matches!(host.as_str(), "*" | "0.0.0.0" | "::"));
    let keep_host = wildcard && ctx.facts.nginx_in_container && !up.addr.is_loopback();
    let new_port = addr.port();
    let addr = match addr {
        Address::Tcp { port: Some(p), .. } if keep_host => Address::Tcp {
            host: up.addr.host().unwrap_or("127.0.0.1").to_string(),
            port: Some(p),
        },
        Address::Tcp {
            host,
            port: Some(p),
        } if matches!(host.as_str(), "*" | "0.0.0.0" | "::") => Address::Tcp {
            host: "127.0.0.1".into(),
            port: Some(p),
        },
        a => a,
    };
    let to = pass_line(&up, &addr);
    f.title = format!(
        "nginx targets {} but the backend listens on {listening}",
        up.addr.display(),
    );
    f.summary = format!(
        "nginx sends requests to {}, where nothing accepts them, while {why}. Point nginx at {} (or move the backend) and reload.",
        up.addr.display(),
        addr.display()
    );
    let old_s = up.addr.display();
    let new_s = addr.display();
    match ctx.config_line_for(&up.addr) {
        Some(cr) => {
            let written_line = format!("{} {};", cr.pass.directive, cr.written);
            f.add_evidence(EvidenceLine::marked(cr.line, &written_line, &cr.written));
            // Replace the address as written (`unix:/x.sock`, `127.0.0.1:8000`).
            let old_port = up.addr.port().map(|p| format!(":{p}"));
            let port_only = old_port
                .as_ref()
                .zip(new_port)
                .filter(|(o, _)| keep_host && cr.written.contains(o.as_str()));
            let (old_w, new_w) = if let Some((o, n)) = port_only {
                (
                    cr.written.clone(),
                    cr.written.replacen(o.as_str(), &format!(":{n}"), 1),
                )
            } else if cr.written.contains(&old_s) {
                (old_s.clone(), new_s.clone())
            } else {
                let uri = super::common::uri_part(&cr.written);
                let new_target = to
                    .trim_end_matches(';')
                    .split_once(' ')
                    .map(|(_, t)| t.to_string())
                    .unwrap_or_default();
                // The address changes, the URI part as written stays.
                let kept = if uri.is_empty() || new_target.ends_with(uri) {
                    new_target
                } else if let Some(t) = new_target.strip_suffix(':') {
                    format!("{t}:{uri}")
                } else {
                    format!("{new_target}{uri}")
                };
                (cr.written.clone(), kept)
            };
            match cr.sed(&old_w, &new_w) {
                Some(sed) => f.fixes.push(review(
                    sed,
                    format!("change the target at {} to {new_s}", cr.place()),
                )),
                None => f.fixes.push(review(
                    format!(
                        "# at {}, replace\n#   {written_line}\n# with\n{}",
                        cr.place(),
                        if port_only.is_some() {
                            format!("{} {new_w};", cr.pass.directive)
                        } else {
                            to.clone()
                        }
                    ),
                    "make nginx use the address the backend really listens on",
                )),
            }
        }
        None if aapanel_versions(&up.addr, &addr).is_some() => {
            // aaPanel: sites include `enable-php-<version>.conf`, which
            // holds the fastcgi_pass; switching the include is what its
            // PHP version switch does.
            let (old_v, new_v) = aapanel_versions(&up.addr, &addr).expect("checked");
            let site = f
                .servers
                .iter()
                .find(|s| !s.is_empty() && *s != "_")
                .cloned();
            let vhost = match &site {
                Some(s) => format!("/www/server/panel/vhost/nginx/{s}.conf"),
                None => "/www/server/panel/vhost/nginx/*.conf".into(),
            };
            f.fixes.push(safe(
                format!("sudo grep -n 'enable-php-' {vhost}"),
                format!("shows the PHP-{old_v} include the site still uses"),
            ));
            f.fixes.push(review(
                format!("sudo sed -i 's/enable-php-{old_v}\\.conf/enable-php-{new_v}.conf/' {vhost}"),
                format!("aaPanel: the same as Website → {} → PHP version → PHP-{new_v}; enable-php-{new_v}.conf passes to {new_s}", site.as_deref().unwrap_or("the site")),
            ));
        }
        None => {
            let windows = ctx.host_os() == super::ctx::HostOs::Windows;
            f.fixes.push(safe(
                if windows {
                    format!(
                        "findstr /s /n /c:\"{old_s}\" conf\\*.conf   # cmd.exe, in nginx's folder: find the line to change"
                    )
                } else {
                    format!(
                        "sudo grep -rn '{}' {}   # find the line to change",
                        old_s.trim_start_matches("unix:"),
                        super::common::nginx_conf_dir(ctx)
                    )
                },
                "shows the file and line that names the old address",
            ));
            f.fixes.push(review(
                format!(
                    "# in that file, replace\n#   {}\n# with\n{to}",
                    pass_line(&up, &up.addr)
                ),
                "make nginx use the address the backend really listens on",
            ));
            if ctx.facts.config.is_none() {
                f.next.push(next(
                    if windows {
                        "nginx.exe -T   # cmd.exe, in nginx's folder"
                    } else {
                        "sudo nginx -T"
                    },
                    "shows the file and line of the *_pass directive, so the fix can name them",
                ));
            }
        }
    }
    f.fixes.push(super::fixes::reload(ctx));
    // Kestrel's port comes from its environment: the other way round is to
    // make the app listen where nginx looks (.NET 8 images moved to 8080).
    if let (Some(l), Some(p)) = (
        listener.filter(|l| l.process.as_deref() == Some("dotnet")),
        up.addr.port(),
    ) {
        // Kestrel announced `https://…`: nginx's plain HTTP cannot talk to it.
        let tls = ctx
            .facts
            .source_lines
            .get(&l.line)
            .is_some_and(|t| t.contains("Now listening on: https://"));
        // Every address in a container; on nginx's own host, loopback is enough.
        let bind = if ctx.facts.nginx_in_container || !up.addr.is_loopback() {
            "+"
        } else {
            "127.0.0.1"
        };
        let env = review(
            format!(
                "# {}in the app's environment (compose `environment:`, the unit's Environment=):\nASPNETCORE_URLS=http://{bind}:{p}\n# then: {}",
                if tls { "" } else { "or, instead, " },
                {
                    let svc = ctx.service_for(Some(&up));
                    match svc.manager {
                        super::ctx::Manager::Systemd => format!("sudo systemctl daemon-reload && {}", svc.restart()),
                        super::ctx::Manager::Docker => format!("docker compose up -d {}", svc.name),
                        super::ctx::Manager::DockerRun => format!("docker rm -f {0} && docker run -d --name {0} -e ASPNETCORE_URLS=… {{your other options}} {{image}}   # env changes need a new container", svc.name),
                        _ => svc.restart(),
                    }
                }
            ),
            format!(
                "Kestrel listens on {}{} because of ASPNETCORE_URLS / ASPNETCORE_HTTP_PORTS (or launchSettings.json, or the image's default: 8080 since .NET 8); setting it moves the app to the port nginx uses",
                if tls { "https://" } else { "" },
                l.addr.display()
            ),
        );
        if tls {
            f.reasoning.push(format!(
                "Kestrel serves HTTPS on {}: nginx would need `proxy_pass https://…` there; plain HTTP on nginx's port is simpler",
                l.addr.display()
            ));
            let plain = format!("http://{new_s}");
            for x in f.fixes.iter_mut() {
                if x.command.contains(&plain) {
                    x.command = x.command.replace(&plain, &format!("https://{new_s}"));
                }
            }
            f.fixes.insert(0, env);
        } else {
            f.fixes.push(env);
        }
    }
    let verify_target = match &addr {
        Address::Tcp {
            host,
            port: Some(p),
        } => {
            let h = if host == "*" || host == "0.0.0.0" || host == "::" {
                "127.0.0.1".to_string()
            } else if host.contains(':') {
                format!("[{host}]")
            } else {
                host.clone()
            };
            if up.scheme == "fastcgi" {
                format!(
                    "{}   # expect php-fpm listening",
                    super::common::tcp_listener_cmd(ctx, p)
                )
            } else {
                let (curl, null) = super::fixes::curl_and_null(ctx);
                format!("{curl} -sS -o {null} -w '%{{http_code}}\\n' http://{h}:{p}/   # the backend answers directly")
            }
        }
        Address::Unix { path } => {
            format!(
                "{}   # expect the backend process",
                super::common::unix_listener_cmd(ctx, path)
            )
        }
        _ => "sudo ss -tlnpx".into(),
    };
    f.verify.push(verify_target);
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    vec![f]
}

fn target_of(g: &EventGroup) -> Option<Upstream> {
    if let Some(u) = &g.key.upstream {
        // `connect() to unix:/x failed` with upstream "http://unix:/x:/" — same.
        return Some(u.clone());
    }
    let addr = g.key.server.as_deref().and_then(Address::parse)?;
    Some(Upstream {
        scheme: String::new(),
        addr,
    })
}

fn listener_text(l: &Listener) -> String {
    match (&l.process, l.pid) {
        (Some(p), Some(pid)) => format!("LISTEN {} users:((\"{p}\",pid={pid}))", l.addr.display()),
        (Some(p), None) => format!("LISTEN {} {p}", l.addr.display()),
        _ => format!("LISTEN {}", l.addr.display()),
    }
}

/// True when the refusal is the IPv6/IPv4 loopback split that
/// `ipv6_localhost` names (same port, the other loopback family).
pub fn is_ipv6_localhost_case(ctx: &Ctx, up: &Upstream) -> bool {
    let Address::Tcp {
        host,
        port: Some(port),
    } = &up.addr
    else {
        return false;
    };
    let v6 = host == "::1";
    let v4 = host.starts_with("127.");
    if !(v6 || v4) {
        return false;
    }
    ctx.facts.listeners.iter().any(|l| match &l.addr {
        Address::Tcp {
            host: lh,
            port: Some(lp),
        } if lp == port => {
            (v6 && (lh.starts_with("127.") || lh == "0.0.0.0")) || (v4 && lh == "::1")
        }
        _ => false,
    })
}

#[cfg(test)]
mod aapanel_tests {
    use super::*;

    fn sock(p: &str) -> Address {
        Address::Unix { path: p.into() }
    }

    #[test]
    fn aapanel_socket_versions() {
        assert_eq!(
            aapanel_versions(&sock("/tmp/php-cgi-74.sock"), &sock("/tmp/php-cgi-82.sock")),
            Some(("74".into(), "82".into()))
        );
        assert_eq!(
            aapanel_versions(
                &sock("/tmp/php-cgi-74.sock"),
                &sock("/run/php/php8.2-fpm.sock")
            ),
            None
        );
        assert_eq!(
            aapanel_versions(&sock("/tmp/php-cgi-82.sock"), &sock("/tmp/php-cgi-82.sock")),
            None
        );
    }

    /// aaPanel's site includes `enable-php-74.conf`: the fix switches the
    /// include in the site's vhost file, not a grep of /etc/nginx/.
    #[test]
    fn aapanel_fix_switches_the_include() {
        let r = crate::analyze_str("2024/03/11 21:14:02 [crit] 2231#0: *5187 connect() to unix:/tmp/php-cgi-74.sock failed (2: No such file or directory) while connecting to upstream, client: 103.1.1.12, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-cgi-74.sock:\", host: \"shop.example.com\"\nsrw-rw-rw- 1 www www 0 Mar 11 21:02 /tmp/php-cgi-82.sock\n");
        let c = &r.causes[0];
        assert_eq!(c.id, "wrong_port");
        let cmds: Vec<&str> = c.fixes.iter().map(|f| f.command.as_str()).collect();
        assert!(cmds.contains(&"sudo sed -i 's/enable-php-74\\.conf/enable-php-82.conf/' /www/server/panel/vhost/nginx/shop.example.com.conf"), "{cmds:?}");
        assert!(cmds.iter().all(|c| !c.contains("/etc/nginx/")), "{cmds:?}");
    }

    /// `ls /run/php/` lists Debian's alternatives link `php-fpm.sock`
    /// first: the fix names the version's own socket.
    #[test]
    fn versioned_socket_before_the_alternatives_link() {
        let r = crate::analyze_str("$ ls /run/php/\nphp-fpm.sock  php8.3-fpm.pid  php8.3-fpm.sock\n2024/05/06 08:49:33 [crit] 1044#1044: *77 connect() to unix:/var/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: a.example.com, request: \"GET / HTTP/2.0\", upstream: \"fastcgi://unix:/var/run/php/php8.1-fpm.sock:\", host: \"a.example.com\"\n");
        let c = &r.causes[0];
        assert_eq!(c.id, "wrong_port");
        assert!(
            c.title
                .ends_with("listens on unix:/run/php/php8.3-fpm.sock"),
            "{}",
            c.title
        );
    }
}
