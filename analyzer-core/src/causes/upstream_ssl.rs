//! `upstream_ssl`: TLS from nginx to the backend fails.

use super::common::directive_prefix;
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{is_ip_literal, Distro, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_ssl",
    family: "upstream_ssl",
    title: "TLS to the backend fails",
    docs: DOCS,
    signatures: &[
        "SSL_do_handshake() failed",
        "while SSL handshaking to upstream",
        "upstream SSL certificate verify error",
        "upstream SSL certificate does not match",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
`proxy_pass https://…` (or `grpc_pass grpcs://…`) makes nginx a TLS client,
and the handshake with the backend fails. The OpenSSL reason in the line
says why: no SNI sent (`proxy_ssl_server_name` is **off** by default, so a
CDN or a shared host answers `handshake failure` / `unrecognized name`),
`wrong version number` (the port speaks plain HTTP), a certificate nginx
cannot verify (`proxy_ssl_verify on` without the right CA), a certificate
for another name, or no TLS version in common.

## Why nginx answers 502 or 504
Without a TLS session no request can be sent, so nginx answers **502 Bad Gateway** at once.

## Evidence
- `SSL_do_handshake() failed (SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40) while SSL handshaking to upstream`
- `… (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking to upstream`
- `upstream SSL certificate verify error: (20:unable to get local issuer certificate) while SSL handshaking to upstream`
- `upstream SSL certificate does not match "backend" while SSL handshaking to upstream`
OpenSSL 1.1 wording differs (`ssl3_read_bytes:sslv3 alert handshake failure`):
the reason text is what counts, not the hex code.

## Fix
| Reason | Fix |
|---|---|
| alert 40 / 112 (handshake failure, unrecognized name) | `proxy_ssl_server_name on;` (+ `proxy_ssl_name <host>;` when `proxy_pass` uses an IP or an upstream name) |
| `wrong version number` | the port is plain HTTP: `proxy_pass http://…`, or the backend's TLS port |
| verify error 20/19/18/21 | `proxy_ssl_trusted_certificate` with the distro CA bundle (`/etc/ssl/certs/ca-certificates.crt`, RHEL `/etc/pki/tls/certs/ca-bundle.crt`) or the private CA |
| verify error 10 | the backend's certificate expired: renew it |
| `does not match "X"` | `proxy_ssl_name <name in the certificate>;` |
| alert 70 / `no protocols available` | `proxy_ssl_protocols TLSv1.2 TLSv1.3;` |
Then `sudo nginx -t && sudo systemctl reload nginx`. `proxy_ssl_verify off`
is never the fix.

## Verify
`openssl s_client -connect <host>:<port> -servername <name>` completes with
`Verify return code: 0 (ok)`; a request through nginx returns the backend's
status; no new `SSL_do_handshake` lines.

## Known problems
Client-side handshake errors (`while SSL handshaking` without `to upstream`)
are browsers or scanners failing against nginx itself and are not mapped.
The opposite mistake, `http://` to a TLS port, is not a handshake error: see
`upstream_invalid_header`.
"#;

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reason {
    Sni,
    WrongVersion,
    Verify,
    Expired,
    NameMismatch,
    Protocol,
    Other,
}

fn classify(sig: &Signal) -> Option<(Reason, String)> {
    Some(match sig {
        Signal::SslHandshake { reason } => {
            let r = reason.to_ascii_lowercase();
            let k = if r.contains("unrecognized name")
                || r.contains("peer closed connection in ssl handshake")
                || r.contains("alert number 112")
                || r.contains("alert handshake failure")
                || r.contains("alert number 40")
            {
                Reason::Sni
            } else if r.contains("wrong version number")
                || r.contains("unknown protocol")
                || r.contains("packet length too long")
                || r.contains("record layer failure")
                || r.contains("http request")
            {
                Reason::WrongVersion
            } else if r.contains("protocol version")
                || r.contains("alert number 70")
                || r.contains("no protocols available")
                || r.contains("unsupported protocol")
            {
                Reason::Protocol
            } else if r.contains("certificate verify failed") {
                Reason::Verify
            } else {
                Reason::Other
            };
            (k, reason.clone())
        }
        Signal::SslVerify { reason } => {
            let r = reason.to_ascii_lowercase();
            (
                if r.contains("expired") {
                    Reason::Expired
                } else {
                    Reason::Verify
                },
                reason.clone(),
            )
        }
        Signal::SslNameMismatch { name } => (Reason::NameMismatch, name.clone()),
        _ => return None,
    })
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| classify(s).is_some());
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = super::common::upstream_of(&groups);
    let scheme = up
        .as_ref()
        .map(|u| u.scheme.clone())
        .unwrap_or_else(|| "https".into());
    let p = directive_prefix(&scheme);
    let host = up
        .as_ref()
        .and_then(|u| u.addr.host().map(str::to_string))
        .unwrap_or_else(|| "{host}".into());
    let port = up
        .as_ref()
        .and_then(|u| u.effective_port())
        .or_else(|| (up.is_some() && (scheme == "https" || scheme == "grpcs")).then_some(443));
    let port_s = port
        .map(|p| p.to_string())
        .unwrap_or_else(|| "{port}".into());
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "the backend".into());
    // The name to present: a real host name from proxy_pass, else the placeholder.
    // nginx logs the peer's address, so this is usually an IP; redacted
    // pastes (`xx.xx.xx.xx`) are no name either.
    let redacted = host.bytes().all(|b| matches!(b, b'x' | b'X' | b'.' | b'*'));
    // The pasted `*_pass` for this backend: nginx logs the resolved address,
    // the config has the name. With one TLS pass only, that is the one.
    let cfg = ctx.facts.config.as_ref();
    let pass = up
        .as_ref()
        .and_then(|u| super::common::pass_for(ctx, u))
        .or_else(|| {
            let tls: Vec<_> = cfg?
                .passes()
                .into_iter()
                .filter(|ps| {
                    ps.upstream
                        .as_ref()
                        .is_some_and(|u| u.scheme == "https" || u.scheme == "grpcs")
                })
                .collect();
            (tls.len() == 1).then(|| tls.into_iter().next()).flatten()
        });
    let pass_host = pass
        .as_ref()
        .and_then(|ps| ps.upstream.as_ref())
        .and_then(|u| u.addr.host().map(str::to_string))
        .filter(|h| h.contains('.') && !is_ip_literal(h))
        .filter(|h| cfg.and_then(|c| c.upstream_named(h)).is_none());
    let effective = |name: &str| -> Option<String> {
        let ps = pass.as_ref()?;
        cfg?.effective(ps, name)
            .and_then(|d| d.arg(0).map(str::to_string))
    };
    let where_ = match &pass {
        Some(ps) => format!(
            "in location {} ({}), next to {p}_pass {}",
            ps.location.as_deref().unwrap_or("/"),
            ctx.pass_place(ps),
            ps.target
        ),
        None => {
            format!("in the location that proxies to this backend (logged as {scheme}://{target})")
        }
    };
    let shown = match &pass_host {
        Some(h) => format!("{h} ({target})"),
        None => target.clone(),
    };
    let sni_on = effective(&format!("{p}_ssl_server_name")).is_some_and(|v| v == "on");
    let ssl_name = effective(&format!("{p}_ssl_name"));
    let name_is_real =
        (host.contains('.') && !is_ip_literal(&host) && !redacted) || pass_host.is_some();
    // A pasted certificate's own name (`openssl x509 -noout -subject`).
    let cert_name = ctx.facts.cert_names.first().cloned();
    let sni_name = match (&ssl_name, &pass_host) {
        (Some(n), _) if !n.contains('$') => n.clone(),
        (_, Some(h)) => h.clone(),
        _ if name_is_real => host.clone(),
        _ => match &cert_name {
            Some((n, _)) if !n.starts_with('*') => n.clone(),
            _ => "{upstream_host}".to_string(),
        },
    };
    let connect = if host.contains(':') {
        format!("[{host}]:{port_s}")
    } else {
        format!("{host}:{port_s}")
    };

    // Counts per reason, most frequent first.
    let mut reasons: Vec<(Reason, String, u64)> = Vec::new();
    for g in &groups {
        if let Some((k, text)) = classify(&g.key.signal) {
            match reasons.iter_mut().find(|(r, _, _)| *r == k) {
                Some(e) => e.2 += g.count,
                None => reasons.push((k, text, g.count)),
            }
        }
    }
    reasons.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let main = reasons[0].0;
    f.confidence = if main == Reason::Other { 0.8 } else { 0.9 };
    for (k, text, n) in &reasons {
        f.reasoning.push(format!(
            "{} with reason `{}` ({})",
            plural(*n, "handshake failure", "handshake failures"),
            text,
            label(*k)
        ));
    }
    let ca = match ctx.distro() {
        Distro::Rhel => "/etc/pki/tls/certs/ca-bundle.crt",
        Distro::Debian | Distro::Docker => "/etc/ssl/certs/ca-certificates.crt",
        _ => "/etc/ssl/certs/ca-certificates.crt   # RHEL family: /etc/pki/tls/certs/ca-bundle.crt",
    };
    f.title = match main {
        Reason::Sni => format!("The backend {shown} rejects nginx's TLS handshake: no SNI sent"),
        Reason::WrongVersion => format!("nginx speaks TLS to {shown}, which answers plain HTTP"),
        Reason::Verify => format!("nginx cannot verify the certificate of {shown}"),
        Reason::Expired => format!("The certificate of {shown} has expired"),
        Reason::NameMismatch => {
            format!("The certificate of {shown} is not valid for the name nginx checks")
        }
        Reason::Protocol => format!("nginx and {shown} share no TLS version"),
        Reason::Other => format!("The TLS handshake with {shown} fails"),
    };
    f.summary = match main {
        Reason::Sni => format!(
            "{target} serves several sites (a CDN, a shared host, another nginx) and needs to know which one: nginx sends no \
             server name (SNI) unless `{p}_ssl_server_name on;` is set, so the backend aborts the handshake and nginx answers 502."
        ),
        Reason::WrongVersion => format!(
            "`{p}_pass {scheme}://` makes nginx start TLS, but port {port_s} answered with plain HTTP (`wrong version number`). \
             The handshake fails and nginx answers 502."
        ),
        Reason::Verify => format!(
            "`{p}_ssl_verify on;` makes nginx check the backend's certificate, and it cannot build a chain to a CA it trusts \
             (`{}`), so it drops the connection and answers 502.", reasons[0].1
        ),
        Reason::Expired => "The backend's certificate is past its expiry date and nginx verifies certificates, so every handshake fails with 502.".into(),
        Reason::NameMismatch => format!(
            "nginx verifies the certificate against the host in `{p}_pass` (`{}`, often an upstream group name or an IP), \
             which the certificate does not list. The handshake is aborted: 502.", reasons[0].1
        ),
        Reason::Protocol => "nginx and the backend have no TLS version in common (an old backend allowing only TLS 1.0/1.1, or one requiring 1.3), so the handshake fails: 502.".into(),
        Reason::Other => format!("The TLS handshake with the backend fails (`{}`), so nginx answers 502.", reasons[0].1),
    };
    let mut changed_config = false;
    for (k, text, _) in &reasons {
        match k {
            Reason::Sni if sni_on => {
                f.confidence -= 0.1;
                f.reasoning.push(format!(
                    "`{p}_ssl_server_name on` is already set: nginx sends `{sni_name}`, which the backend does not accept (a wrong name, or a cipher/version it refuses)"
                ));
                f.fixes.push(safe(
                    format!("openssl s_client -connect {connect} -servername {{cert_hostname}} </dev/null 2>&1 | head -5"),
                    "try the name the backend really serves; success means nginx sends the wrong one",
                ));
                f.fixes.push(review(
                    format!("{p}_ssl_name {{cert_hostname}};\n{p}_ssl_protocols TLSv1.2 TLSv1.3;"),
                    "present the backend's own host name, with the versions it accepts",
                ));
                changed_config = true;
            }
            Reason::Sni => {
                let extra = if name_is_real {
                    String::new()
                } else {
                    format!("\n{p}_ssl_name {{upstream_host}};   # only if {p}_pass names an IP or an upstream group: the backend's host name")
                };
                f.fixes.push(review(
                    format!("# {where_}:\n{p}_ssl_server_name on;{extra}"),
                    "send the backend's host name in the handshake so it picks the right certificate",
                ));
                changed_config = true;
            }
            Reason::WrongVersion => {
                let plain = if scheme == "grpcs" { "grpc" } else { "http" };
                f.fixes.push(safe(
                    format!("curl -sS -o /dev/null -w '%{{http_code}}\\n' http://{connect}/"),
                    format!("a status code here proves port {port_s} speaks plain HTTP"),
                ));
                if ctx.facts.ingress_nginx {
                    // ingress-nginx writes `https://` from the Ingress's
                    // backend-protocol annotation: that is what changes.
                    f.reasoning.push("ingress-nginx speaks TLS to a backend only when the Ingress says `nginx.ingress.kubernetes.io/backend-protocol: HTTPS`".into());
                    f.fixes.extend(super::common::ingress_annotate(
                        ctx,
                        f.servers.first().map(String::as_str),
                        &format!("nginx.ingress.kubernetes.io/backend-protocol={}", plain.to_ascii_uppercase()),
                        &format!("the pod serves plain {} on port {port_s}: the controller must not start TLS (or point the Service at the pod's TLS port)", plain.to_ascii_uppercase()),
                    ));
                } else {
                    f.fixes.push(review(format!("# replace {scheme}:// by {plain}:// (or use the backend's TLS port):\n{p}_pass {plain}://{};", up.as_ref().map_or_else(|| "{host}:{port}".to_string(), |u| u.addr.display())), "talk to the port in the protocol it speaks"));
                    changed_config = true;
                }
            }
            Reason::Verify => {
                let self_signed = text.contains("self-signed") || text.contains("self signed");
                let file = if self_signed {
                    "{private_ca_file};   # the CA (or the self-signed certificate) the backend uses".to_string()
                } else {
                    match ca.split_once("   #") {
                        Some((path, note)) => format!("{path};   #{note}"),
                        None => format!("{ca};"),
                    }
                };
                f.fixes.push(review(
                    format!("{p}_ssl_trusted_certificate {file}\n{p}_ssl_verify on;\n{p}_ssl_name {sni_name};   # a name the certificate lists"),
                    "trust the CA that signed the backend's certificate (never turn verification off)",
                ));
                if !self_signed {
                    f.fixes.push(safe(format!("openssl s_client -connect {connect} -servername {sni_name} -showcerts </dev/null 2>/dev/null | grep -E ' s:| i:'"), "an incomplete chain (only the leaf) is fixed on the backend: serve the full chain there"));
                }
                changed_config = true;
            }
            Reason::Expired => {
                f.fixes.push(safe(format!("echo | openssl s_client -connect {connect} -servername {sni_name} 2>/dev/null | openssl x509 -noout -dates"), "shows notAfter: renew the backend's certificate"));
                f.fixes.push(disruptive("# on the backend: renew the certificate (certbot renew, your CA) and restart the service that serves it", "an expired certificate is fixed where it is served"));
            }
            Reason::NameMismatch => {
                if cert_name.is_none() {
                    f.fixes.push(safe(format!("echo | openssl s_client -connect {connect} 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName"), "the names the certificate is valid for"));
                }
                match &cert_name {
                    Some((n, line)) => {
                        f.add_evidence(EvidenceLine::marked(*line, n, n));
                        f.reasoning.push(format!("the backend's certificate is for {n}"));
                        let n = n.strip_prefix("*.").map_or_else(|| n.clone(), |d| format!("{{host}}.{d}"));
                        f.fixes.push(review(format!("{p}_ssl_name {n};   # the certificate's name; nginx checks against \"{text}\" now\n{p}_ssl_server_name on;"), "verify against the name the certificate carries (and send it as SNI)"));
                    }
                    None => f.fixes.push(review(format!("{p}_ssl_name {{cert_hostname}};   # a name from the list above; nginx checks against \"{text}\" now\n{p}_ssl_server_name on;"), "verify against the name the certificate carries")),
                }
                changed_config = true;
            }
            Reason::Protocol => {
                f.fixes.push(review(format!("{p}_ssl_protocols TLSv1.2 TLSv1.3;"), "offer the versions the backend accepts (upgrade a TLS 1.0-only backend rather than enabling old versions)"));
                changed_config = true;
            }
            Reason::Other => {
                f.fixes.push(safe(format!("openssl s_client -connect {connect} -servername {sni_name} </dev/null 2>&1 | head -20"), "reproduce the handshake from the nginx host and read the error"));
            }
        }
    }
    if changed_config {
        f.fixes.push(super::fixes::reload(ctx));
    }
    if main != Reason::WrongVersion {
        f.verify.push(format!("openssl s_client -connect {connect} -servername {sni_name} </dev/null 2>&1 | grep -E 'Verify return code|Protocol'   # expect: Verify return code: 0 (ok)"));
    }
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    f.verify.push(super::common::watch_log(ctx, "SSL"));
    if ctx.facts.config.is_none() {
        f.next.push(next(
            format!("sudo nginx -T | grep -nE '{p}_pass|{p}_ssl'"),
            "shows the TLS settings in force for this upstream",
        ));
    }
    if !name_is_real
        && cert_name.is_none()
        && matches!(main, Reason::Sni | Reason::Verify | Reason::NameMismatch)
    {
        f.next.push(next(format!("openssl s_client -connect {connect} </dev/null 2>/dev/null | openssl x509 -noout -subject"), "names the host the backend's certificate is for (fills {upstream_host})"));
    }
    vec![f]
}

fn label(k: Reason) -> &'static str {
    match k {
        Reason::Sni => "no SNI",
        Reason::WrongVersion => "plain HTTP on the port",
        Reason::Verify => "certificate not trusted",
        Reason::Expired => "certificate expired",
        Reason::NameMismatch => "certificate name mismatch",
        Reason::Protocol => "no common TLS version",
        Reason::Other => "other TLS error",
    }
}
