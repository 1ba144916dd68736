//! `fastcgi_protocol_mismatch`: `fastcgi_pass` points at something that
//! does not speak FastCGI (usually an HTTP server).

use super::common::{nginx_symptoms, upstream_of};
use super::fixes::{next, review};
use super::{Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "fastcgi_protocol_mismatch",
    family: "wrong_port",
    title: "fastcgi_pass points at a server that does not speak FastCGI",
    docs: DOCS,
    signatures: &[
        "upstream sent unsupported FastCGI protocol version: 72",
        "upstream sent invalid FastCGI record type",
        "upstream sent unexpected FastCGI record",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
Every FastCGI record starts with the protocol version, the byte `1`. nginx
reads the first byte of the answer from the `fastcgi_pass` address as that
version; when it is anything else, what listens there is not PHP-FPM (or
any FastCGI server). The number is that first byte: **72** is `H`, the
start of `HTTP/1.1 400 Bad Request` from an HTTP server (Apache in a
`php:apache` image, a Node or Python app, `php -S`, `php artisan serve`);
**60** is `<`, an HTML page.

## Why nginx answers 502 or 504
The answer cannot be parsed as FastCGI, so nginx gives up on it and answers
**502**.

## Evidence
- nginx: `upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream, … upstream: "fastcgi://127.0.0.1:9000"`.
- `ss -tlnp`: the program listening on that port is not `php-fpm`.

## Fix
Either point `fastcgi_pass` at PHP-FPM (its pool's `listen` address; in
Docker, a `php:*-fpm` image rather than `php:*-apache`), or, when the
backend is meant to be an HTTP server, proxy to it:
`proxy_pass http://127.0.0.1:9000;` instead of `fastcgi_pass`. Then
`sudo nginx -t && sudo systemctl reload nginx`.

## Verify
`curl -sI http://127.0.0.1:9000/` answers with an HTTP status line when an
HTTP server listens there (PHP-FPM gives no HTTP answer); after the fix,
no new `FastCGI protocol version` lines and the page loads through nginx.

## Known problems
`invalid FastCGI record type` and `unexpected FastCGI record` in the middle
of a response can also come from a FastCGI server that crashed or wrote
garbage; the version message at the first byte is the unambiguous one.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::FastcgiProtocol { .. }));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = upstream_of(&groups).or_else(|| upstream_of(&nginx_symptoms(ctx)));
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "127.0.0.1:9000".into());
    let first_byte = groups.iter().find_map(|g| match &g.key.signal {
        Signal::FastcgiProtocol { what } => what
            .strip_prefix("unsupported FastCGI protocol version: ")
            .and_then(|n| n.trim().parse::<u8>().ok()),
        _ => None,
    });
    // What listens there, when `ss`/`netstat` is pasted.
    let listener = up.as_ref().and_then(|u| {
        ctx.listeners_covering(&u.addr)
            .into_iter()
            .find_map(|l| l.process.clone().map(|p| (p, l.line)))
    });
    let http_answer = first_byte == Some(b'H') || first_byte == Some(b'<');
    let listener_is_fpm = listener
        .as_ref()
        .is_some_and(|(p, _)| p.contains("php-fpm"));
    // A PHP-FPM pool that listens somewhere else: where fastcgi_pass should point.
    let fpm_elsewhere = ctx
        .facts
        .pools
        .iter()
        .filter_map(|p| p.listen())
        .find(|a| {
            up.as_ref()
                .is_none_or(|u| !super::ctx::same_target(a, &u.addr))
        })
        .map(|a| a.display())
        .or_else(|| {
            ctx.facts
                .listeners
                .iter()
                .find(|l| {
                    l.process.as_deref().is_some_and(|p| p.contains("php-fpm"))
                        && up.as_ref().is_none_or(|u| l.addr.port() != u.addr.port())
                })
                .map(|l| l.addr.display())
        });

    f.confidence = if listener_is_fpm { 0.7 } else { 0.93 };
    f.explains = vec!["upstream_invalid_header", "upstream_closed_early"];
    match first_byte {
        Some(b) if b.is_ascii_graphic() => f.reasoning.push(format!(
            "the first byte of the answer is {b} (`{}`), where a FastCGI record starts with version 1{}",
            char::from(b),
            if b == b'H' {
                ": `H` is how an HTTP answer (`HTTP/1.1 …`) begins"
            } else if b == b'<' {
                ": `<` is how an HTML page begins"
            } else {
                ""
            }
        )),
        _ => f
            .reasoning
            .push("nginx could not read the answer as FastCGI records".into()),
    }
    if let Some((proc_name, line)) = &listener {
        f.reasoning
            .push(format!("`{proc_name}` listens on {target} (line {line})"));
    }
    let what = if http_answer {
        "an HTTP server"
    } else {
        "a server that does not speak FastCGI"
    };
    f.title = format!("nginx speaks FastCGI to {target}, but {what} answers there");
    f.summary = match &listener {
        Some((p, _)) if !listener_is_fpm => format!(
            "`fastcgi_pass` sends FastCGI to {target}, where `{p}` listens: {what}, not PHP-FPM. nginx cannot read its answer \
             and answers 502. Point fastcgi_pass at PHP-FPM, or proxy_pass to the HTTP server."
        ),
        _ => format!(
            "`fastcgi_pass` sends FastCGI to {target}, and {what} answers there, not PHP-FPM. nginx cannot read the answer \
             and answers 502. Point fastcgi_pass at PHP-FPM, or proxy_pass to the HTTP server."
        ),
    };

    // The pass as written (directly, through an `upstream {}` block, or the
    // name nginx logged resolved: `fastcgi_pass php:9000` → 172.19.0.3:9000).
    let cr = up.as_ref().and_then(|u| ctx.config_line_for(&u.addr));
    // A compose service that runs an HTTP server image where PHP-FPM is meant.
    let pass_host = cr
        .as_ref()
        .and_then(|c| crate::facts::Upstream::parse(&c.written))
        .and_then(|u| u.addr.host().map(str::to_string));
    let service = ctx
        .facts
        .compose_services
        .iter()
        .find(|s| pass_host.as_deref() == Some(s.name.as_str()))
        .or_else(|| ctx.compose_app(up.as_ref().and_then(|u| u.addr.port())));
    let http_image = service.and_then(|s| {
        let image = s.image.as_deref()?;
        (!image.contains("fpm")).then_some((s, image))
    });
    if let Some((s, image)) = http_image {
        f.reasoning.push(format!(
            "the compose service `{}` runs `{image}`{}",
            s.name,
            if image.contains("apache") {
                ", which serves HTTP with Apache and has no PHP-FPM"
            } else {
                ", not a PHP-FPM image"
            }
        ));
    }
    if let Some(cr) = &cr {
        let written_line = format!("{} {};", cr.pass.directive, cr.written);
        f.add_evidence(EvidenceLine::marked(cr.line, &written_line, &cr.written));
    }
    let place = cr
        .as_ref()
        .map(|c| format!("at {}", c.place()))
        .unwrap_or_else(|| "in the PHP location".into());
    let written = cr
        .as_ref()
        .map(|c| c.written.clone())
        .unwrap_or_else(|| target.clone());
    if let Some((s, image)) = http_image.filter(|(_, i)| i.starts_with("php:")) {
        let fpm_image = if image.contains("apache") {
            image.replace("apache", "fpm")
        } else {
            format!("{}-fpm", image.trim_end_matches(":latest"))
        };
        f.fixes.push(review(
            format!(
                "# docker-compose.yml, service {name}:\n    image: {fpm_image}\n# and in the nginx config {place}:\nfastcgi_pass {name}:9000;\n# then:\ndocker compose up -d {name}",
                name = s.name
            ),
            "run PHP-FPM (it listens on 9000 in the official php:*-fpm images) and send FastCGI there",
        ));
    }
    if let Some(fpm) = &fpm_elsewhere {
        let edit = cr
            .as_ref()
            .and_then(|c| c.sed(&c.written, fpm))
            .unwrap_or_else(|| {
                format!(
                    "# {place}, replace\n#   fastcgi_pass {written};\n# with\nfastcgi_pass {fpm};"
                )
            });
        f.fixes.push(review(
            edit,
            format!("PHP-FPM listens on {fpm}: send the FastCGI requests there"),
        ));
    }
    f.fixes.push(review(
        format!(
            "# {place}, replace\n#   fastcgi_pass {written};\n# with\nproxy_pass http://{};",
            written.trim_start_matches("unix:")
        ),
        if http_answer && fpm_elsewhere.is_none() && http_image.is_none() {
            "the backend answers HTTP: when it is the app you meant to reach, talk HTTP to it"
        } else if http_answer {
            "or, when that HTTP server is the app you meant to reach, talk HTTP to it"
        } else {
            "when the backend is an HTTP server, talk HTTP to it; otherwise point fastcgi_pass at PHP-FPM's listen address"
        },
    ));
    f.fixes.push(super::fixes::reload(ctx));
    if let Some(u) = &up {
        if u.addr.socket_path().is_none() && !ctx.facts.nginx_in_container {
            f.verify.push(format!(
                "curl -sI http://{target}/ | head -n 1   # an HTTP status line: an HTTP server listens there, not PHP-FPM"
            ));
        }
    }
    f.verify.push(super::common::watch_log(ctx, "FastCGI"));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if ctx.facts.listeners.is_empty() && service.is_none() {
        let port = up.as_ref().and_then(|u| u.addr.port());
        f.next.push(next(
            match port {
                Some(p) => format!("sudo ss -tlnp | grep ':{p} '"),
                None => "sudo ss -xlnp | grep -i php".into(),
            },
            "shows which program listens at the fastcgi_pass address",
        ));
    }
    if ctx.facts.config.is_none() {
        f.next.push(next(
            "sudo nginx -T | grep -nE 'fastcgi_pass|proxy_pass'",
            "shows the file and line of fastcgi_pass, so the fix can name them",
        ));
    }
    vec![f]
}
