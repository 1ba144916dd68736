//! `http2_upstream_mismatch`: an HTTP/2-only (gRPC, h2c) backend behind `proxy_pass`.

use super::fixes::{next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "http2_upstream_mismatch",
    family: "wrong_port",
    title: "An HTTP/2-only backend receives HTTP/1",
    docs: DOCS,
    signatures: &[
        "received bogus greeting from client",
        "upstream rejected request with error",
        "upstream sent goaway",
        "upstream prematurely closed stream",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
`proxy_pass` speaks HTTP/1.x to backends (HTTP/1.0 before nginx 1.29.7). A
backend that only accepts HTTP/2 with prior knowledge (gRPC servers, some
Go/h2c services) reads an HTTP/1 request line as a broken HTTP/2 preface and
closes or resets. With `grpc_pass` in place the HTTP/2 conversation works,
and errors read as rejected or reset streams instead.

## Why nginx answers 502 or 504
The backend closes or resets without an HTTP/1 response (or sends HTTP/2
frames nginx cannot read as HTTP/1): **502 Bad Gateway**.

## Evidence
- grpc-go: `grpc: Server.Serve failed to create ServerTransport: … received bogus greeting from client: "GET / HTTP/1.1\r\nHost: "`.
- nginx: `upstream prematurely closed connection`, `recv() failed (104: …)` or
  `upstream sent no valid HTTP/1.0 header` towards the same port.
- with `grpc_pass`: `upstream rejected request with error 2`, `upstream sent goaway with error 1`,
  `upstream prematurely closed stream`, `upstream sent frame for closed stream 1`.

## Fix
gRPC services: `location /pkg.Service/ { grpc_pass grpc://127.0.0.1:50051; }`
(`grpcs://` for TLS). Plain h2c services: `proxy_http_version 2;` (nginx ≥
1.29.4 built with HTTP/2), or enable HTTP/1.1 on the backend. Then
`sudo nginx -t && sudo systemctl reload nginx`.

## Verify
`grpcurl -plaintext -authority <server_name> 127.0.0.1:80 list` (gRPC) or a
normal request through nginx succeeds.

## Known problems
`request: "GET / HTTP/2.0"` in nginx's lines is the **client** side, which
nginx terminates; it says nothing about the upstream protocol. Stream errors
with `grpc_pass` can also be plain application errors of the gRPC service.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let bogus: Vec<&EventGroup> = ctx.groups(|s| matches!(s, Signal::GrpcBogusGreeting));
    let streams: Vec<&EventGroup> = ctx.nginx_groups(|s| matches!(s, Signal::Http2Upstream { .. }));
    if bogus.is_empty() && streams.is_empty() {
        return vec![];
    }
    let mut all = bogus.clone();
    all.extend(streams.iter().copied());
    let mut f = Finding::from_groups(&all);
    f.status = Some(502);
    let symptoms = super::common::nginx_symptoms(ctx);
    let up = super::common::upstream_of(&streams).or_else(|| super::common::upstream_of(&symptoms));
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "127.0.0.1:{port}".into());
    let svc = ctx.service_for(up.as_ref());
    // gRPC paths are `/package.Service/Method`: the location is the service part.
    let service_path = super::common::first_path(&symptoms)
        .or_else(|| super::common::first_path(&streams))
        .and_then(|p| p.rsplit_once('/').map(|(svc, _)| format!("{svc}/")))
        .filter(|p| p.len() > 2 && p.contains('.'))
        .unwrap_or_else(|| "/{package}.{Service}/".to_string());
    if !bogus.is_empty() {
        for g in &symptoms {
            f.events += g.count;
            for e in g.evidence().take(2) {
                f.add_evidence(e.clone());
            }
        }
        f.confidence = 0.92;
        f.explains = vec![
            "upstream_closed_early",
            "upstream_reset",
            "upstream_invalid_header",
        ];
        f.reasoning.push("the gRPC server logged `received bogus greeting from client`: an HTTP/1 request line where it expects the HTTP/2 preface".into());
        if !symptoms.is_empty() {
            f.reasoning
                .push("nginx's closes/resets towards it are the consequence".into());
        }
        f.title = format!("{target} speaks only HTTP/2 (gRPC) and nginx sends it HTTP/1");
        f.summary = format!(
            "nginx proxies to {target} with `proxy_pass`, which speaks HTTP/1. The backend is a gRPC/HTTP2-only server: it sees a \
             bogus HTTP/2 greeting and closes, so nginx answers 502."
        );
        f.fixes.push(review(
            format!("# replace the proxy_pass location for the gRPC service:\nlocation {service_path} {{\n    grpc_pass grpc://{target};   # grpcs:// if the service uses TLS\n}}"),
            "grpc_pass speaks HTTP/2 to the backend (the listening server needs `http2` for gRPC clients)",
        ));
        f.fixes.push(safe(
            "# not gRPC but plain h2c: proxy_http_version 2;  (nginx >= 1.29.4 with HTTP/2), or enable HTTP/1.1 in the backend",
            "any HTTP/2-only service needs HTTP/2 from nginx",
        ));
    } else {
        let what = streams
            .iter()
            .max_by_key(|g| g.count)
            .and_then(|g| match &g.key.signal {
                Signal::Http2Upstream { what } => Some(what.clone()),
                _ => None,
            })
            .unwrap_or_default();
        f.confidence = 0.62;
        f.reasoning.push(format!(
            "{} of HTTP/2 stream errors from {target} (`{what}`)",
            plural(f.events, "line", "lines")
        ));
        f.reasoning.push("the HTTP/2 conversation itself works: the backend rejects or resets streams, often a TLS/plaintext or service mismatch".into());
        f.title = format!("The HTTP/2 backend {target} rejects or closes nginx's streams");
        f.summary = format!(
            "nginx speaks HTTP/2 to {target} and the backend ends the streams (`{what}`): a plaintext/TLS mismatch (`grpc://` to a TLS \
             port or the reverse), a service or method the backend does not have, or a crash in the handler. nginx answers 502."
        );
        f.fixes.push(safe(
            svc.logs(),
            "the gRPC server's log names the rejected method or the crash",
        ));
        f.fixes.push(safe(
            format!("grpcurl -plaintext {target} list   # add -insecure instead of -plaintext for a TLS backend"),
            "does the backend answer gRPC directly, and does it list the service?",
        ));
        f.fixes.push(review(
            format!("# plaintext vs TLS must match the backend:\ngrpc_pass grpc://{target};    # plaintext\n# grpc_pass grpcs://{target};  # TLS"),
            "a goaway or reset right after connecting is the classic TLS/plaintext mismatch",
        ));
    }
    f.fixes.push(super::fixes::reload(ctx));
    f.verify.push(format!(
        "grpcurl -plaintext -authority {} 127.0.0.1:80 list   # expect the service names",
        f.servers
            .first()
            .cloned()
            .unwrap_or_else(|| "{server_name}".into())
    ));
    f.verify.push(super::common::watch_log(ctx, "upstream"));
    if ctx.facts.config.is_none() {
        f.next.push(next(
            "sudo nginx -T | grep -nE 'grpc_pass|proxy_pass|proxy_http_version|http2'",
            "shows how nginx talks to this backend",
        ));
    }
    vec![f]
}
