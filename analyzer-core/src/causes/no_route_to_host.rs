//! `no_route_to_host`: the backend's host cannot be reached (113 / 101).

use super::common::upstream_of;
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "no_route_to_host",
    family: "upstream_down",
    title: "The backend's host cannot be reached",
    docs: DOCS,
    signatures: &[
        "(113: No route to host) while connecting to upstream",
        "(101: Network is unreachable) while connecting to upstream",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
nginx cannot reach the backend's machine at all. `113: No route to host`:
the host is down, the address is stale (a Docker container recreated with a
new IP while nginx still uses the one it resolved at start), or a firewall
rejects with `icmp-host-prohibited` (the firewalld default). `101: Network is
unreachable`: there is no route for that address family, typically an IPv6
upstream on a host without IPv6.

## Why nginx answers 502 or 504
The connection fails at once: **502 Bad Gateway** (a firewall that drops
instead of rejecting gives a 504 timeout instead).

## Evidence
- `connect() failed (113: No route to host) while connecting to upstream, … upstream: "http://172.18.0.5:3000/"`.
- `connect() to [2001:db8::10]:443 failed (101: Network is unreachable) while connecting to upstream`.

## Fix
Check the host is up and routable from the nginx machine (`ip route get
<ip>`, `ping`). Containers: use the service name and `docker compose restart
nginx` (or a `resolver 127.0.0.11` with a variable upstream) so nginx picks
up the new address. Firewall: allow the port on the backend host
(`firewall-cmd --add-port=<port>/tcp --permanent && firewall-cmd --reload`).
IPv6: use the IPv4 address, or `resolver … ipv6=off`.

## Verify
`nc -vz <ip> <port>` from the nginx host succeeds; requests through nginx
return 200.

## Known problems
Resolver errors (`send() failed (113: …) while resolving`) concern the DNS
server, not the backend: see `dns_resolution`.
"#;

fn target_of(g: &EventGroup) -> Option<Address> {
    g.key
        .server
        .as_deref()
        .and_then(Address::parse)
        .or_else(|| g.key.upstream.as_ref().map(|u| u.addr.clone()))
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 113 | 101 }));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = upstream_of(&groups);
    let target = groups.iter().find_map(|g| target_of(g));
    let target_s = target
        .as_ref()
        .map(|a| a.display())
        .unwrap_or_else(|| "the backend".into());
    let host = target
        .as_ref()
        .and_then(|a| a.host().map(str::to_string))
        .unwrap_or_else(|| "{host}".into());
    let port = target
        .as_ref()
        .and_then(|a| a.port())
        .or_else(|| up.as_ref().and_then(|u| u.effective_port()));
    let port_s = port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "{port}".into());
    let unreachable: u64 = groups
        .iter()
        .filter(|g| matches!(g.key.signal, Signal::ConnectFailed { errno: 101 }))
        .map(|g| g.count)
        .sum();
    let ipv6 = host.contains(':');
    // Docker's default address pools: 172.17.0.0/16 … 172.31.0.0/16.
    let docker_ip = host
        .strip_prefix("172.")
        .and_then(|r| r.split('.').next())
        .and_then(|o| o.parse::<u8>().ok())
        .is_some_and(|o| (17..=31).contains(&o));
    // Only an address of Docker's pools can be a recreated container's: a
    // LAN address (typed into Nginx Proxy Manager's UI, or a VM's in a
    // containerised nginx's config) is a machine.
    let container = (ctx.facts.nginx_in_container || !ctx.facts.containers.is_empty()) && docker_ip;
    f.confidence = 0.82;
    f.reasoning.push(format!(
        "{} of `connect() … ({})` towards {target_s}",
        plural(f.events, "line", "lines"),
        if unreachable * 2 > f.events {
            "101: Network is unreachable"
        } else {
            "113: No route to host"
        }
    ));
    if unreachable * 2 > f.events && ipv6 {
        f.reasoning
            .push("the target is an IPv6 address and this host has no IPv6 route".into());
        f.title = format!("nginx has no IPv6 route to {target_s}");
        f.summary = format!(
            "The upstream resolves to the IPv6 address {host}, and this machine has no IPv6 connectivity, so `connect()` fails with \
             `Network is unreachable` and nginx answers 502."
        );
        f.fixes.push(safe(
            format!("ip -6 route get {host}"),
            "no route confirms the host has no usable IPv6",
        ));
        f.fixes.push(review(
            "# use the backend's IPv4 address in the *_pass line, or when a name is resolved per request:\nresolver {resolver_ip} ipv6=off;",
            "make nginx connect over IPv4",
        ));
        f.fixes.push(super::fixes::reload(ctx));
    } else if ctx.facts.ingress_nginx || ctx.facts.kubernetes {
        // Kubernetes: the address is a pod's, taken from the Service's
        // endpoints; a pod that is gone (rolled out, evicted) leaves an
        // address nothing answers for until the endpoints catch up.
        f.reasoning.push(format!(
            "{host} is a pod address from the Service's endpoints: a pod that was replaced or is terminating no longer answers there"
        ));
        f.title = format!(
            "ingress-nginx still sends requests to {target_s}, a pod address nothing answers for"
        );
        f.summary = format!(
            "The controller connects to the pod address {host} from the Service's endpoints, and `No route to host` says no pod \
             has it any more (a rollout or an eviction replaced it), or a NetworkPolicy rejects the traffic. Until the endpoints \
             drop it, every request balanced there gets 502."
        );
        f.fixes.push(safe(
            format!("kubectl get pods -A -o wide | grep -w '{host}'; kubectl get endpointslices -A | grep -w '{host}'"),
            "no pod with that address but still in an EndpointSlice: stale endpoints; no EndpointSlice either: the controller's list is stale",
        ));
        f.fixes.push(review(
            "# in the backend Deployment: leave the endpoints before the pod stops
readinessProbe: { httpGet: { path: /, port: http }, periodSeconds: 5 }
lifecycle: { preStop: { exec: { command: [sleep, \"10\"] } } }",
            "a terminating pod is removed from the endpoints while it still serves, so rollouts stop producing 502s",
        ));
        f.fixes.push(disruptive(
            "kubectl -n ingress-nginx rollout restart deployment ingress-nginx-controller",
            "if the address stays in the controller's list long after the pod is gone: the controller rebuilds it",
        ));
        f.fixes.push(safe(
            "kubectl get networkpolicy -A",
            "a policy that rejects the controller's namespace answers the same way",
        ));
        f.verify.push(format!(
            "kubectl -n ingress-nginx logs deploy/ingress-nginx-controller --since=5m | grep -c '{host}'   # expect 0"
        ));
        return vec![f];
    } else if container {
        f.reasoning.push("containers are involved: a recreated backend gets a new IP while nginx keeps the old one".into());
        f.title = format!("{target_s} is unreachable: a stale container address");
        f.summary = format!(
            "nginx resolved the backend's name once, at start, and still connects to {host}. After the backend container was \
             recreated that address belongs to nothing (`No route to host`), so nginx answers 502."
        );
        f.fixes.push(safe("docker compose ps && docker network inspect $(docker network ls -q --filter driver=bridge) --format '{{range .Containers}}{{.Name}} {{.IPv4Address}}{{\"\\n\"}}{{end}}'", "the backend's current address (compare with the one nginx uses)"));
        f.fixes.push(disruptive(
            if ctx.facts.nginx_in_container {
                format!("docker compose restart {}", ctx.nginx_service())
            } else {
                "sudo systemctl reload nginx".to_string()
            },
            "make nginx resolve the name again",
        ));
        let service = ctx
            .compose_app(port)
            .map(|s| s.name.as_str())
            .unwrap_or("{container_service}");
        let scheme = up.as_ref().map(|u| u.scheme.as_str()).unwrap_or("http");
        let (directive, prefix, why) = match scheme {
            "fastcgi" | "uwsgi" | "scgi" => (
                format!("{scheme}_pass"),
                "",
                "per-request resolution through Docker's DNS",
            ),
            "grpc" | "grpcs" => (
                "grpc_pass".to_string(),
                if scheme == "grpcs" { "grpcs://" } else { "grpc://" },
                "per-request resolution through Docker's DNS",
            ),
            _ => (
                "proxy_pass".to_string(),
                if scheme == "https" { "https://" } else { "http://" },
                "per-request resolution through Docker's DNS (a variable proxy_pass no longer rewrites the URI)",
            ),
        };
        f.fixes.push(review(
            format!(
                "# keep following the address when containers are recreated:\nresolver 127.0.0.11 valid=10s ipv6=off;\n\
                 set $app_upstream {prefix}{service}:{port_s};\n{directive} $app_upstream;"
            ),
            why,
        ));
    } else {
        f.title = format!("nginx cannot reach the host of {target_s} (No route to host)");
        f.summary = format!(
            "`connect()` to {target_s} fails with `No route to host`: the machine is down, the address is wrong, or a firewall on the \
             way rejects the port (firewalld's default reject answers exactly this). nginx answers 502."
        );
        f.fixes.push(safe(
            format!("ip route get {host} && ping -c 2 {host}"),
            "is the host up and routed from the nginx machine?",
        ));
        f.fixes.push(safe(
            format!("nc -vz -w 5 {host} {port_s}"),
            "is the port open from here?",
        ));
        if docker_ip {
            f.reasoning.push(format!(
                "{host} is in Docker's default address range: it may be a container's old address"
            ));
            f.fixes.push(disruptive(format!("docker compose restart {}", ctx.nginx_service()), "if the backend is a container that was recreated: make nginx resolve its name again"));
        }
        f.fixes.push(review(
            format!("# on the backend host, if firewalld rejects the port:\nsudo firewall-cmd --permanent --add-port={port_s}/tcp && sudo firewall-cmd --reload"),
            "open the backend's port to nginx (restrict the source with a rich rule if the network is shared)",
        ));
        if ctx.facts.npm {
            let site = ctx.site_of(&groups);
            f.fixes.push(review(
                ctx.npm_forward(site.as_deref(), &format!("{host}   (or the machine's new address)"), &port_s),
                "if the machine got another address (DHCP), give NPM the new one (a DHCP reservation keeps it)",
            ));
        }
    }
    f.verify.push(format!(
        "nc -vz -w 5 {host} {port_s}   # expect: succeeded / open"
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if container && ctx.facts.containers.is_empty() {
        f.next.push(next(
            "docker compose ps",
            "shows whether the backend container was recreated recently",
        ));
    }
    if !container && !ipv6 {
        f.next.push(next(
            format!("ping -c 2 {host}; nc -vz -w 5 {host} {port_s}"),
            "tells a dead host from a firewall",
        ));
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    fn title(paste: &str) -> String {
        crate::analyze_str(paste).causes[0].title.clone()
    }

    /// nginx in a container (`docker logs -t` of it) dialling a LAN
    /// machine: a host to reach, not a recreated container; a Docker
    /// pool address keeps the stale-container reading.
    #[test]
    fn lan_address_from_a_container_is_a_machine() {
        let line = |ip: &str| {
            format!("$ docker logs -t --tail 3 edge-nginx\n2024-05-01T10:00:00.123456789Z 2024/05/01 10:00:00 [error] 22#22: *5120 connect() failed (113: No route to host) while connecting to upstream, client: 172.17.0.1, server: g.example, request: \"GET / HTTP/1.1\", upstream: \"http://{ip}:3000/\", host: \"g.example\"\n")
        };
        let lan = title(&line("192.168.1.60"));
        assert!(
            lan.starts_with("nginx cannot reach the host of 192.168.1.60:3000"),
            "{lan}"
        );
        let docker = title(&line("172.18.0.5"));
        assert!(docker.ends_with("a stale container address"), "{docker}");
    }
}
