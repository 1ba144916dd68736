//! Small builders for fix steps, so every rule words them the same way.

use crate::report::{Fix, NextStep, Risk};

pub fn safe(command: impl Into<String>, why: impl Into<String>) -> Fix {
    Fix {
        command: command.into(),
        why: why.into(),
        risk: Risk::Safe,
    }
}

pub fn review(command: impl Into<String>, why: impl Into<String>) -> Fix {
    Fix {
        command: command.into(),
        why: why.into(),
        risk: Risk::Review,
    }
}

pub fn disruptive(command: impl Into<String>, why: impl Into<String>) -> Fix {
    Fix {
        command: command.into(),
        why: why.into(),
        risk: Risk::Disruptive,
    }
}

pub fn next(paste: impl Into<String>, why: impl Into<String>) -> NextStep {
    NextStep {
        paste: paste.into(),
        why: why.into(),
    }
}

/// ` -H 'Host: x'` for a real server name; empty for none, `_`,
/// `localhost` or an address (the default server answers those).
fn host_header(server: Option<&str>) -> String {
    match server {
        Some(s) if is_site_name(s) => format!(" -H 'Host: {s}'"),
        _ => String::new(),
    }
}

/// A name nginx could pick a server block by (an IPv4 address too, for
/// `server_name 203.0.113.10;`): not empty, `_`, `localhost`, loopback, an address
/// with a port, or a redacted stand-in (`***.com`, `<redacted>`, `x.x.x.x`).
fn is_site_name(s: &str) -> bool {
    !s.is_empty()
        && s != "_"
        && s != "localhost"
        && !s.starts_with("127.")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        && !s
            .split('.')
            .all(|label| label.bytes().all(|b| b == b'x' || b == b'X'))
}

/// How to reach a finding's site through nginx with curl: the program,
/// where its body goes, the options (`-H 'Host: …'`, `-k --resolve …`) and
/// the URL up to the path. The port and scheme are those of the `listen`
/// of the server block that passes to the finding's upstream (`listen
/// 8080`, `listen 443 ssl` → https), the port published for it when nginx
/// runs in a container; without a pasted config, the default server on 80.
struct Through {
    curl: &'static str,
    null: &'static str,
    opts: String,
    base: String,
    /// gRPC through nginx: `grpcurl` with its options and `host:port`
    /// instead of curl (an HTTP/1 request tells nothing about gRPC).
    grpc: Option<String>,
}

/// curl and the file that discards its output here: `curl.exe` and `NUL`
/// on Windows (PowerShell's `curl` is another command), else `curl` and
/// `/dev/null`.
pub fn curl_and_null(ctx: &super::Ctx) -> (&'static str, &'static str) {
    if ctx.host_os() == super::ctx::HostOs::Windows {
        ("curl.exe", "NUL")
    } else {
        ("curl", "/dev/null")
    }
}

fn through_nginx(ctx: &super::Ctx, f: &super::Finding) -> Through {
    let (curl, null) = curl_and_null(ctx);
    // A Host header's port (`example.com:8443`) is not part of the name.
    let server = f.servers.first().map(|s| match s.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => s.as_str(),
    });
    let pass = site_pass(ctx, f);
    let grpc = pass.as_ref().is_some_and(|p| p.directive == "grpc_pass")
        || ctx.facts.groups.iter().any(|g| {
            g.key.upstream.as_ref().is_some_and(|u| {
                u.scheme.starts_with("grpc") && f.upstreams.contains(&u.addr.display())
            })
        });
    let listen = pass.as_ref().and_then(pick_listen);
    let config_listen = listen.is_some();
    // The port the clients used, from the Host header nginx logged
    // (`host: "localhost:8080"`): where nginx answers on this machine when
    // the config is not pasted (in a container: its published port).
    let host_port = f
        .servers
        .first()
        .and_then(|s| s.rsplit_once(':'))
        .filter(|(name, _)| !name.contains(':'))
        .and_then(|(_, p)| p.parse::<u16>().ok())
        .filter(|_| !config_listen);
    // gRPC clients reach nginx over TLS on 443 unless the config says otherwise.
    let (ip, port, tls) = listen.unwrap_or_else(|| {
        let port = host_port.unwrap_or(if grpc { 443 } else { 80 });
        ("127.0.0.1".into(), port, grpc || port == 443)
    });
    let port = if ctx.facts.nginx_in_container && host_port.is_none() {
        published_port(ctx, port).unwrap_or(port)
    } else {
        port
    };
    let default_port = if tls { 443 } else { 80 };
    let port_part = if port == default_port {
        String::new()
    } else {
        format!(":{port}")
    };
    let named = !host_header(server).is_empty();
    // ingress-nginx runs in the cluster: the site is reached by its name,
    // through the load balancer, not on this machine's loopback.
    let ingress = ctx.facts.ingress_nginx && named && !config_listen;
    let (opts, base) = match (tls, server) {
        (_, Some(name)) if ingress => (String::new(), format!("https://{name}")),
        // The name in the URL, so SNI picks the site's certificate too.
        (true, Some(name)) if named => (
            format!(" -k --resolve {name}:{port}:{ip}"),
            format!("https://{name}{port_part}"),
        ),
        (true, _) => (" -k".to_string(), format!("https://{ip}{port_part}")),
        (false, _) => (host_header(server), format!("http://{ip}{port_part}")),
    };
    let grpc = grpc.then(|| {
        let authority = if named {
            format!(" -authority {}", server.unwrap_or_default())
        } else {
            String::new()
        };
        let tls = if tls { " -insecure" } else { " -plaintext" };
        format!("grpcurl{tls}{authority} {ip}:{port}")
    });
    Through {
        curl,
        null,
        opts,
        base,
        grpc,
    }
}

/// The pasted `*_pass` behind a finding: the one to its upstream, else the
/// one in the server block its requests named, else the only site's.
fn site_pass(ctx: &super::Ctx, f: &super::Finding) -> Option<crate::artifacts::nginx_config::Pass> {
    let passes = ctx.passes();
    let by_upstream = f.upstreams.iter().find_map(|u| {
        let up = crate::facts::Upstream {
            scheme: String::new(),
            addr: crate::facts::Address::parse(u)?,
        };
        super::common::pass_for(ctx, &up)
    });
    if by_upstream.is_some() {
        return by_upstream;
    }
    if let Some(p) = f.servers.first().and_then(|s| {
        passes
            .iter()
            .find(|p| p.server_names.iter().any(|n| n == s))
    }) {
        return Some(p.clone());
    }
    let first = passes.first()?;
    passes
        .iter()
        .all(|p| p.listen == first.listen && p.tls_listen == first.tls_listen)
        .then(|| first.clone())
}

/// The address curl should use for a server block's `listen`s: (host for
/// the URL, port, TLS). Plain HTTP first (no certificate in the way), unix
/// sockets never.
fn pick_listen(p: &crate::artifacts::nginx_config::Pass) -> Option<(String, u16, bool)> {
    let parsed = |l: &String| {
        let tls = p.tls_listen.contains(l);
        match crate::facts::Address::parse(l)? {
            crate::facts::Address::Tcp { host, port } => {
                let port = port.unwrap_or(if tls { 443 } else { 80 });
                let ip = match host.parse::<std::net::IpAddr>() {
                    Ok(ip) if ip.is_unspecified() => "127.0.0.1".to_string(),
                    Ok(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
                    Ok(ip) => ip.to_string(),
                    Err(_) => "127.0.0.1".to_string(),
                };
                // `listen 443;` with `ssl on;` (before nginx 1.25) is TLS too.
                Some((ip, port, tls || port == 443))
            }
            crate::facts::Address::Unix { .. } => None,
        }
    };
    let all: Vec<(String, u16, bool)> = p.listen.iter().filter_map(parsed).collect();
    all.iter()
        .find(|(_, _, tls)| !tls)
        .or_else(|| all.first())
        .cloned()
}

/// The host port published for nginx's container port `port`
/// (`8080:80` in the compose file, `0.0.0.0:8080->80/tcp` in `docker ps`).
fn published_port(ctx: &super::Ctx, port: u16) -> Option<u16> {
    let service = ctx.nginx_service();
    let compose = ctx
        .facts
        .compose_services
        .iter()
        .filter(|s| s.name == service)
        .flat_map(|s| s.ports.iter())
        .find_map(|spec| {
            let spec = spec.split('/').next()?;
            let (outside, inside) = spec.rsplit_once(':')?;
            (inside.parse::<u16>().ok()? == port)
                .then(|| outside.rsplit(':').next()?.parse().ok())
                .flatten()
        });
    compose.or_else(|| {
        ctx.facts
            .containers
            .iter()
            .filter(|c| {
                super::ctx::is_container_of(&c.name, service)
                    || c.image.as_deref().is_some_and(|i| i.contains("nginx"))
            })
            .flat_map(|c| c.ports.iter())
            .find_map(|spec| {
                let (outside, inside) = spec.split_once("->")?;
                let inside = inside.split('/').next()?.parse::<u16>().ok()?;
                (inside == port)
                    .then(|| outside.rsplit(':').next()?.parse().ok())
                    .flatten()
            })
    })
}

/// `curl` through nginx to the finding's site (see [`through_nginx`]).
pub fn curl_through_nginx(ctx: &super::Ctx, f: &super::Finding) -> String {
    curl_status(ctx, f, "/", "expect 200, not 502")
}

/// Time one request to `path` through nginx (to the finding's site, as
/// [`curl_through_nginx`]): the status and how long it took.
pub fn curl_timed(ctx: &super::Ctx, f: &super::Finding, path: &str, expect: &str) -> String {
    let t = through_nginx(ctx, f);
    if let Some(g) = &t.grpc {
        return grpc_check(g);
    }
    format!(
        "{} -sS -o {} -w '%{{http_code}} %{{time_total}}s\\n'{} {}{path}   # {expect}",
        t.curl, t.null, t.opts, t.base
    )
}

/// The status of one request to `path` through nginx.
pub fn curl_status(ctx: &super::Ctx, f: &super::Finding, path: &str, expect: &str) -> String {
    let t = through_nginx(ctx, f);
    if let Some(g) = &t.grpc {
        return grpc_check(g);
    }
    format!(
        "{} -sS -o {} -w '%{{http_code}}\\n'{} {}{path}   # {expect}",
        t.curl, t.null, t.opts, t.base
    )
}

/// A gRPC call through nginx: listing the services needs server
/// reflection; without it, any call of the app's (`grpcurl … <service>/<method>`).
fn grpc_check(grpcurl: &str) -> String {
    format!("{grpcurl} list   # expect the service names (or `server does not support the reflection API`), not `Unavailable` or 502")
}

/// Watch the error log for the same message.
pub fn watch_log(fragment: &str) -> String {
    format!("sudo tail -n 50 -f /var/log/nginx/error.log | grep --line-buffered '{fragment}'   # expect no new lines")
}

/// Check nginx's configuration and reload it, the way this paste's nginx
/// is run (host, container, ingress-nginx): the last step of every config fix.
pub fn reload(ctx: &super::Ctx) -> Fix {
    disruptive(
        ctx.reload_nginx(),
        "check the config, then reload without dropping connections",
    )
}
