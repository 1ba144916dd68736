//! `ipv6_localhost`: `localhost` reaches `[::1]` while the app listens on
//! IPv4 only (or the app bound `::1` while nginx dials `127.0.0.1`).

use super::fixes::{disruptive, next, review, safe};
use super::wrong_port::{is_ipv6_localhost_case, pass_line};
use super::{Ctx, Finding, Rule};
use crate::facts::{Address, EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "ipv6_localhost",
    family: "wrong_port",
    title: "IPv6 and IPv4 loopback mismatch (localhost vs 127.0.0.1)",
    docs: DOCS,
    signatures: &["upstream: \"http://[::1]:", "connect() to [::1]:"],
    check,
};

const DOCS: &str = r#"
## What it means
`localhost` has two addresses, `127.0.0.1` and `::1`. With
`proxy_pass http://localhost:3000;` nginx tries both; an app that listens on
`127.0.0.1` only refuses the `[::1]` attempt. The reverse happens too:
Node.js 17+ resolves `localhost` to `::1` first, so an app started with
`listen(3000, 'localhost')` binds `[::1]:3000` only, and
`proxy_pass http://127.0.0.1:3000;` is refused.

## Why nginx answers 502 or 504
The refused attempt fails at once (**502**). With both addresses nginx
retries the other one, so the site may work while the log fills with
`upstream: "http://[::1]:3000/"` refusals, and fail whenever the retry is
not allowed (a POST) or both attempts fail.

## Evidence
- error.log: `connect() failed (111: Connection refused)` with
  `upstream: "http://[::1]:3000/"` (or `127.0.0.1` while the app is on `[::1]`).
- `ss -tlnp`: the app listens on the other loopback address only.
- `connect() to [::1]:3000 failed (99: Cannot assign requested address)`:
  IPv6 is turned off on the machine (`ipv6.disable=1`) or in the container,
  so the `[::1]` attempt cannot even start. nginx then tries `127.0.0.1`,
  so many requests work and those it may not retry (a POST) fail. When the
  `127.0.0.1` attempt is refused too, the app is not on the loopback at all
  and this is not the cause.

## Fix
Use one explicit address on both sides: `proxy_pass http://127.0.0.1:3000;`
and make the app listen on `127.0.0.1` (or on `0.0.0.0`/`::` for both).
Reload nginx.

## Verify
No new `[::1]` refusals in the error log; `curl -4` and the site work.

## Known problems
Without `ss -tlnp` the rule relies on the `[::1]` upstream in the log, which
only shows that `localhost` is used; paste the listeners to confirm.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 }));
    // `localhost` tried on both loopbacks and refused on both: nothing
    // listens on that port at all (the backend is down), whatever the
    // family.
    let v4_refused = |port: Option<u16>| {
        groups.iter().any(|g| {
            g.key
                .upstream
                .as_ref()
                .is_some_and(|u| u.addr.host() == Some("127.0.0.1") && u.addr.port() == port)
        })
    };
    let mut hits: Vec<&EventGroup> = Vec::new();
    let mut confirmed = false;
    for g in &groups {
        let Some(up) = &g.key.upstream else { continue };
        if is_ipv6_localhost_case(ctx, up) {
            confirmed = true;
            hits.push(g);
        } else if up.addr.host() == Some("::1")
            && ctx.facts.listeners.is_empty()
            && !v4_refused(up.addr.port())
        {
            hits.push(g);
        }
    }
    // `(99: Cannot assign requested address)` towards [::1]: this machine
    // or container has no IPv6 loopback at all (IPv6 disabled in the
    // kernel, or a container without it), so the attempt cannot even start.
    let v6_off: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 99 }))
        .into_iter()
        .filter(|g| {
            g.key
                .upstream
                .as_ref()
                .is_some_and(|u| u.addr.host() == Some("::1"))
        })
        .collect();
    if hits.is_empty() && v6_off.is_empty() {
        return vec![];
    }
    if hits.is_empty() {
        // The IPv4 attempt refused too: the app is not on the loopback at
        // all, and the [::1] errors are only noise beside that.
        let port = v6_off[0].key.upstream.as_ref().and_then(|u| u.addr.port());
        if v4_refused(port) {
            return vec![];
        }
        return vec![ipv6_off(ctx, &v6_off)];
    }
    let up = hits[0].key.upstream.clone().expect("filtered on upstream");
    let port = up.addr.port().unwrap_or(0);
    let mut f = Finding::from_groups(&hits);
    f.status = Some(502);
    f.explains = vec!["upstream_down", "wrong_port"];
    let nginx_v6 = up.addr.host() == Some("::1");
    let app = ctx
        .facts
        .listeners
        .iter()
        .find(|l| l.addr.port() == Some(port));
    if confirmed {
        f.confidence = 0.93;
        if let Some(l) = app {
            f.add_evidence(EvidenceLine::marked(
                l.line,
                &format!(
                    "LISTEN {} {}",
                    l.addr.display(),
                    l.process.as_deref().unwrap_or("")
                ),
                &l.addr.display(),
            ));
            f.reasoning
                .push(format!("the app listens on {} only", l.addr.display()));
        }
    } else {
        f.confidence = 0.74;
        f.reasoning
            .push("nginx tries [::1], which it only does when the upstream is `localhost`".into());
        f.next.push(next(
            "sudo ss -tlnp",
            "shows whether the app listens on 127.0.0.1 only",
        ));
    }
    if nginx_v6 {
        f.title = format!("nginx tries [::1]:{port} (localhost), the app listens on IPv4 only");
        f.summary = format!(
            "`localhost` resolves to both 127.0.0.1 and ::1; nginx's attempts on [::1]:{port} are refused because the app \
             listens on IPv4 only. Use 127.0.0.1 explicitly in the proxy_pass line."
        );
        use_ipv4(&mut f, &up);
    } else {
        f.title = format!("The app listens on [::1]:{port}, nginx dials 127.0.0.1:{port}");
        f.summary = format!(
            "The app bound the IPv6 loopback only (Node.js 17+ resolves `localhost` to ::1), while nginx connects to \
             127.0.0.1:{port}, where nothing listens. Make the app listen on 127.0.0.1 (HOST=127.0.0.1) or 0.0.0.0."
        );
        f.fixes.push(review(
            format!("# in the app: listen on 127.0.0.1 (Node: server.listen({port}, '127.0.0.1'); or HOST=127.0.0.1)"),
            "bind the address nginx dials",
        ));
        let svc = ctx.service_for(Some(&up));
        f.fixes.push(disruptive(
            svc.restart(),
            "restart the app on the new address",
        ));
    }
    f.fixes.push(disruptive(
        ctx.reload_nginx(),
        "check the config, then reload",
    ));
    f.verify.push(format!(
        "sudo ss -tlnp | grep ':{port} '   # expect 127.0.0.1:{port} (or 0.0.0.0 / *)"
    ));
    f.verify.push(super::fixes::watch_log("\\[::1\\]"));
    vec![f]
}

/// nginx tries `[::1]` (the upstream is `localhost`) where there is no IPv6
/// loopback: errno 99 at once, every time, whatever the app listens on.
fn ipv6_off(ctx: &Ctx, groups: &[&EventGroup]) -> Finding {
    let up = groups[0]
        .key
        .upstream
        .clone()
        .expect("filtered on upstream");
    let port = up.addr.port().unwrap_or(0);
    let mut f = Finding::from_groups(groups);
    f.status = Some(502);
    f.confidence = 0.7;
    f.explains = vec!["upstream_down", "wrong_port", "ephemeral_ports"];
    f.title = format!("nginx tries [::1]:{port} (localhost), but there is no IPv6 here");
    f.summary = format!(
        "`localhost` resolves to ::1 as well as 127.0.0.1, and this machine or container has IPv6 turned off, so \
         nginx cannot even open a connection to [::1]:{port} (`Cannot assign requested address`). It then tries \
         127.0.0.1, so many requests still work, but those it may not retry (a POST) fail with 502. Use 127.0.0.1 \
         explicitly in the proxy_pass line."
    );
    f.reasoning.push(format!(
        "`(99: Cannot assign requested address)` towards [::1]:{port}: no IPv6 loopback to connect from, not a shortage of ports"
    ));
    let v4_app = ctx.facts.listeners.iter().find(|l| {
        l.addr.port() == Some(port) && matches!(l.addr.host(), Some("127.0.0.1" | "0.0.0.0"))
    });
    if let Some(l) = v4_app {
        f.confidence = 0.9;
        let shown = l.addr.display();
        f.add_evidence(EvidenceLine::marked(
            l.line,
            &format!("LISTEN {shown} {}", l.process.as_deref().unwrap_or("")),
            &shown,
        ));
        f.reasoning.push(format!(
            "the app listens on {shown}: the IPv4 address works"
        ));
    }
    use_ipv4(&mut f, &up);
    f.fixes.push(disruptive(
        ctx.reload_nginx(),
        "check the config, then reload",
    ));
    f.verify.push(super::fixes::watch_log("\\[::1\\]"));
    f
}

/// Find the `localhost:PORT` line and write 127.0.0.1 instead.
fn use_ipv4(f: &mut Finding, up: &crate::facts::Upstream) {
    let port = up.addr.port().unwrap_or(0);
    let v4 = Address::Tcp {
        host: "127.0.0.1".into(),
        port: Some(port),
    };
    f.fixes.push(safe(
        format!("sudo grep -rn 'localhost:{port}' /etc/nginx/   # find the line"),
        "shows the proxy_pass line that uses localhost",
    ));
    f.fixes.push(review(
        format!(
            "# replace localhost with the IPv4 address:\n{}",
            pass_line(up, &v4)
        ),
        "one explicit address: nginx stops trying ::1",
    ));
}
