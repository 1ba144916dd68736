//! `port_in_use`: the backend cannot bind its port (EADDRINUSE).

use super::fixes::{disruptive, next, review, safe};
use super::{push_unique, Ctx, Finding, Rule};
use crate::facts::{Address, EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "port_in_use",
    family: "upstream_down",
    title: "The backend cannot start: its port is already in use",
    docs: DOCS,
    signatures: &[
        "EADDRINUSE",
        "Address already in use",
        "Connection in use:",
        "unable to bind listening socket",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
The backend tried to listen on its port (or socket) and another process
already holds it: usually an old copy of the same app (started by hand in
tmux or with nohup, a second pm2 daemon under another user, a leftover
container), sometimes an unrelated service. The new copy exits or
crash-loops.

## Why nginx answers 502 or 504
If the holder is not the app, nginx reaches nothing useful (refused, or
answers from the wrong program): **502**. If it is a stale copy, nginx may
be serving **old code** instead of failing.

## Evidence
- Node: `Error: listen EADDRINUSE: address already in use :::3000`.
- Python: `OSError: [Errno 98] Address already in use`; gunicorn `Connection in use: ('0.0.0.0', 8000)`.
- PHP-FPM: `ERROR: unable to bind listening socket for address '127.0.0.1:9000': Address already in use (98)`.

## Fix
Find the holder (`sudo ss -tlnp 'sport = :<port>'`, `sudo lsof -nP -iTCP:<port> -sTCP:LISTEN`,
`docker ps --filter publish=<port>`), stop it once you are sure it is the
stray copy, then restart the service properly.

In a compose service (its own network namespace) nothing outside the
container can hold its port: look inside it (`docker compose exec <svc>
netstat -tlnp`); the usual holder is the app itself, bound twice.

## Verify
Exactly one LISTEN line for the port, owned by the intended process; the
service stays `active`.

## Known problems
nginx's own `bind() to 0.0.0.0:80 failed (98: Address already in use)` is
nginx failing to start and is reported as `config_error`.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .groups(|s| matches!(s, Signal::AddrInUse { .. } | Signal::FpmBindFailed { .. }))
        .into_iter()
        .filter(|g| g.key.source != crate::facts::Source::Nginx)
        .collect();
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.upstreams.clear();
    let mut addr: Option<Address> = None;
    let mut fpm = false;
    for g in &groups {
        match &g.key.signal {
            Signal::AddrInUse { port: Some(p) } if addr.is_none() => {
                addr = Some(Address::Tcp {
                    host: "*".into(),
                    port: Some(*p),
                })
            }
            Signal::FpmBindFailed { addr: a } => {
                fpm = true;
                if addr.is_none() {
                    addr = Address::parse(a);
                }
            }
            _ => {}
        }
    }
    let port = addr.as_ref().and_then(|a| a.port());
    let port_s = port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "{port}".into());
    // The upstream nginx uses for this port, for the service guess.
    let up = ctx
        .facts
        .groups
        .iter()
        .filter_map(|g| g.key.upstream.as_ref())
        .find(|u| port.is_some() && u.effective_port() == port)
        .cloned()
        .or_else(|| super::common::nginx_upstream(ctx, |_| true));
    if let Some(u) = &up {
        push_unique(&mut f.upstreams, u.addr.display());
    }
    let svc = if fpm {
        super::common::fpm_service(ctx, up.as_ref())
    } else {
        ctx.service_for(up.as_ref())
    };
    // Who holds the port now, when listeners were pasted.
    let holder = port.and_then(|p| ctx.listeners_on_port(p).into_iter().next());
    f.confidence = 0.86;
    // EADDRINUSE is why the unit failed or pm2 gave up: the more specific cause.
    f.explains = vec!["upstream_down", "systemd_unit_failed", "pm2_not_online"];
    if fpm {
        // nginx's FastCGI then reaches the holder (an HTTP server answers
        // `H`): that mismatch follows from PHP-FPM not getting its port.
        f.explains.push("fastcgi_protocol_mismatch");
    }
    f.reasoning.push(format!(
        "the backend failed to bind port {port_s}: another process holds it"
    ));
    if let Some(h) = holder {
        f.reasoning.push(format!(
            "`ss` shows {} on {}{}",
            h.process.as_deref().unwrap_or("a process"),
            h.addr.display(),
            h.pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
        ));
        f.add_evidence(EvidenceLine::new(
            h.line,
            &format!(
                "{} {}",
                h.addr.display(),
                h.process.as_deref().unwrap_or("")
            ),
        ));
    }
    let nginx_refused = !ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 }))
        .is_empty();
    if nginx_refused {
        f.reasoning
            .push("nginx's refused connections follow from the backend not running".into());
    }
    // The port it wanted is nginx's own, and nginx sends requests elsewhere:
    // the backend is configured on the wrong port (Apache left on `Listen
    // 80` behind nginx), and killing the holder would kill nginx.
    let target_port = up.as_ref().and_then(|u| u.effective_port());
    let nginx_holds = port.is_some_and(|p| {
        let by_ss = ctx
            .listeners_on_port(p)
            .iter()
            .any(|l| l.process.as_deref().is_some_and(|n| n.starts_with("nginx")));
        let by_config = ctx.facts.config.as_ref().is_some_and(|c| {
            c.find("listen").iter().any(|d| {
                d.arg(0).is_some_and(|a| {
                    a.rsplit(':').next().and_then(|x| x.parse::<u16>().ok()) == Some(p)
                })
            })
        });
        let unknown = ctx.facts.listeners.is_empty() && ctx.facts.config.is_none();
        by_ss || by_config || (unknown && (p == 80 || p == 443))
    });
    if nginx_holds && target_port.is_some() && target_port != port {
        let to = target_port.map(|p| p.to_string()).unwrap_or_default();
        let target = up.as_ref().map(|u| u.addr.display()).unwrap_or_default();
        f.reasoning.push(format!(
            "port {port_s} is nginx's own, and nginx proxies to {target}: the backend is set to the wrong port"
        ));
        f.title = format!(
            "The backend tries to listen on nginx's port {port_s} instead of {to}, where nginx sends requests"
        );
        f.summary = format!(
            "nginx already listens on port {port_s}, so the backend behind it cannot bind there and exits; nginx proxies to {target}, \
             where nothing listens, and answers 502. Make the backend listen on {to}."
        );
        let apache = svc.name.contains("httpd") || svc.name.contains("apache");
        if apache {
            f.fixes.push(safe(
                "sudo grep -rnE '^\\s*Listen|<VirtualHost' /etc/httpd/conf /etc/httpd/conf.d /etc/apache2/ports.conf /etc/apache2/sites-enabled 2>/dev/null",
                "where Apache's ports are set",
            ));
            f.fixes.push(review(
                format!("# /etc/httpd/conf/httpd.conf (Debian/Ubuntu: /etc/apache2/ports.conf):\nListen 127.0.0.1:{to}\n# and each <VirtualHost *:{port_s}> → <VirtualHost *:{to}>"),
                "Apache behind nginx listens on the port nginx proxies to, on loopback only",
            ));
        } else {
            f.fixes.push(review(
                format!("# in the backend's config or start command: listen on 127.0.0.1:{to}, not :{port_s}"),
                "the port nginx proxies to; nginx keeps the public port",
            ));
        }
        f.fixes.push(disruptive(
            svc.start_enable(),
            format!("start `{}` on its new port", svc.name),
        ));
        f.verify.push(format!(
            "sudo ss -tlnp | grep -E ':({port_s}|{to}) '   # expect nginx on :{port_s}, the backend on :{to}"
        ));
        f.verify.push(svc.status_expect());
        return vec![f];
    }
    // A compose service has its own network namespace: nothing outside it
    // holds its ports, so the holder is in the container, most often the
    // app itself binding twice.
    let own_netns = svc.manager == super::ctx::Manager::Docker
        && svc.known
        && !ctx
            .facts
            .compose_services
            .iter()
            .any(|c| c.name == svc.name && c.network_mode.as_deref() == Some("host"));
    if own_netns {
        let name = &svc.name;
        f.title = format!(
            "The backend cannot listen on port {port_s} inside its container: something there already holds it"
        );
        f.summary = format!(
            "The container `{name}` has its own network, so nothing outside it can hold port {port_s}: another process in it \
             already listens there, most often the app itself binding twice (a second server started by the entrypoint or \
             the command, a bind given twice, Node's app.listen() and server.listen() both). It exits and nginx answers 502."
        );
        f.fixes.push(safe(
            format!("docker compose logs --tail 200 {name}"),
            "whether it started its server twice before the error",
        ));
        f.fixes.push(safe(
            format!("docker compose exec {name} sh -c 'netstat -tlnp 2>/dev/null || ss -tlnp'"),
            "the process in the container that holds the port (while it runs)",
        ));
        f.fixes.push(review(
            format!("# in the service's command or entrypoint and in the app: one server process, binding port {port_s} once"),
            "one bind: not a server started by the entrypoint and another by the command (or by hand with docker compose exec), not app.listen() and server.listen() both (Node)",
        ));
        f.fixes.push(disruptive(
            format!("docker compose up -d --force-recreate {name}"),
            "start it again once it binds once",
        ));
        f.verify.push(format!(
            "docker compose logs --tail 50 {name} | grep -c EADDRINUSE   # expect 0"
        ));
        return vec![f];
    }
    f.title =
        format!("The backend cannot listen on port {port_s}: something else already holds it");
    f.summary = format!(
        "The backend could not bind port {port_s} because another process holds it, so it exited. nginx either reaches nothing \
         (502) or reaches that other process: often an old copy of the app serving stale code."
    );
    f.fixes.push(safe(
        format!("sudo ss -tlnp 'sport = :{port_s}'"),
        "the process that holds the port, with its pid",
    ));
    f.fixes.push(safe(
        format!("sudo lsof -nP -iTCP:{port_s} -sTCP:LISTEN; docker ps --filter publish={port_s}"),
        "the same with its command line, and any container publishing the port",
    ));
    let pid = holder
        .and_then(|h| h.pid)
        .map(|p| p.to_string())
        .unwrap_or_else(|| "{pid}".into());
    // Another PHP-FPM version's unit holding the port: stop that unit, not a pid.
    let other_fpm = holder
        .and_then(|h| h.process.as_deref())
        .and_then(super::common::fpm_unit_from_comm)
        .filter(|u| *u != svc.name);
    match other_fpm {
        Some(unit) => f.fixes.push(disruptive(
            format!("sudo systemctl disable --now {unit}"),
            format!("`{unit}` (another PHP version) holds the port; stop it if the new version should serve instead"),
        )),
        None => {
            f.fixes.push(safe(format!("systemctl status {pid}"), "the unit or session the holder belongs to"));
            f.fixes.push(disruptive(
                format!("sudo kill {pid}"),
                "only once you are sure it is the stray copy (a manual start, a second pm2 daemon, a leftover container)",
            ));
        }
    }
    // Another program's port (a Java app, Portainer, MinIO on 9000):
    // PHP-FPM can move instead.
    if let Some(name) = holder
        .and_then(|h| h.process.as_deref())
        .filter(|n| fpm && !n.contains("php"))
    {
        let free = port.map_or_else(|| "{free_port}".to_string(), |p| (p + 1).to_string());
        let (file, _) = super::common::pool_file(ctx, "www", &svc.name);
        f.fixes.push(review(
                format!("# or leave {name} on {port_s} and move PHP-FPM, in {file}:\nlisten = 127.0.0.1:{free}\n# and in nginx's PHP location:\nfastcgi_pass 127.0.0.1:{free};"),
                format!("{name} is another program, not a stray PHP-FPM: both keep running on ports of their own"),
            ));
    }
    f.fixes.push(disruptive(
        svc.start_enable(),
        format!("start `{}` properly now the port is free", svc.name),
    ));
    f.verify.push(format!("sudo ss -tlnp 'sport = :{port_s}'   # expect exactly one LISTEN line, owned by the backend"));
    f.verify.push(svc.status_expect());
    if ctx.facts.listeners.is_empty() {
        f.next.push(next(
            format!("sudo ss -tlnp 'sport = :{port_s}'"),
            "names the process holding the port",
        ));
    }
    vec![f]
}
