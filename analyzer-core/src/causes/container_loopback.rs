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
- error.log lines with a `docker compose` prefix (`nginx-1  | `), a client
  from a bridge network (`172.18.0.1`), and `upstream: "http://127.0.0.1:3000/"`.
- `docker ps` shows nginx and the app as separate containers.

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
An nginx that runs on the host and proxies to a published port is not this
cause: then the app must listen on 0.0.0.0 inside its container.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    if !ctx.facts.nginx_in_container {
        return vec![];
    }
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| {
            matches!(
                s,
                Signal::ConnectFailed { errno: 111 }
                    | Signal::IoFailed { errno: 104, .. }
                    | Signal::PrematureClose
            )
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
    f.confidence = 0.9;
    f.reasoning.push(
        "nginx runs in a container (compose prefix or docker ps) and targets a loopback address"
            .into(),
    );
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
            super::ctx::compose_service(&c.name).to_string()
        }
        (None, None) => "{container_service}".to_string(),
    };
    if from_compose.is_none() && app.is_none() {
        f.next.push(next(
            "docker compose ps",
            "names the app's service, so the fix can use it",
        ));
    }
    f.title = format!(
        "nginx's container connects to its own {} — the app is another container",
        up.addr.display()
    );
    f.summary = format!(
        "Inside the nginx container, {} is nginx itself; the app runs in another container. Proxy to the app's compose service \
         name ({service}:{port}) on a shared network, and make the app listen on 0.0.0.0.",
        up.addr.display()
    );
    f.fixes.push(review(
        format!("# in the nginx config inside the container:\nproxy_pass http://{service}:{port};"),
        "containers reach each other by service name on a shared compose network",
    ));
    f.fixes.push(review(
        "# in the app: listen on 0.0.0.0 (Node: app.listen(PORT, '0.0.0.0'); gunicorn --bind 0.0.0.0:8000; Vite --host 0.0.0.0)",
        "an app bound to 127.0.0.1 inside its container cannot be reached from outside it",
    ));
    f.fixes.push(disruptive(
        ctx.reload_nginx(),
        "check and reload nginx inside its container",
    ));
    f.verify.push(format!(
        "{}   # expect the app's content",
        ctx.in_nginx_container(&format!("wget -qO- http://{service}:{port}/ | head -c 200"))
    ));
    f.verify.push(
        "curl -sS -o /dev/null -w '%{http_code}\\n' http://127.0.0.1/   # expect 200, not 502"
            .into(),
    );
    vec![f]
}
