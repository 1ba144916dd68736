//! `socket_missing`: the unix socket in `*_pass` does not exist.

use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, Signal};

pub static RULE: Rule = Rule {
    id: "socket_missing",
    family: "socket_missing",
    title: "The unix socket does not exist",
    docs: DOCS,
    signatures: &["failed (2: No such file or directory) while connecting to upstream"],
    check,
};

const DOCS: &str = r#"
## What it means
nginx was told to connect to a unix socket (`fastcgi_pass unix:/run/php/php8.1-fpm.sock;`,
`proxy_pass http://unix:/run/gunicorn/app.sock;`) and the file is not there
(errno 2). Either the backend that creates it is not running, or it creates
the socket under another path (a PHP upgrade from 8.1 to 8.3 renames the
socket; the pool's `listen =` differs from `fastcgi_pass`).

## Why nginx answers 502 or 504
The connect fails at once, so nginx answers **502 Bad Gateway**.

## Evidence
- error.log at level `[crit]`: `connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream`.
- `ls -la /run/php/` shows another socket (`php8.3-fpm.sock`) or none.
- `systemctl status php8.1-fpm` says `could not be found` or `inactive (dead)`.

## Fix
If the backend is stopped, start it (`sudo systemctl enable --now php8.1-fpm`).
If another socket exists, point nginx at it and reload
(`sudo nginx -t && sudo systemctl reload nginx`). Sockets in `/tmp` are
invisible to an nginx started with `PrivateTmp=true`: move them under `/run/<service>/`.

## Verify
`ls -la <socket>` shows an `s` file; `ss -xlp | grep <socket>` lists the
backend; a request through nginx returns 200.

## Known problems
When the listing shows a different socket that exists, or `systemctl status`
shows another PHP version's FPM running, the cause is reported as
`wrong_port` (nginx points at the wrong path) and this one ranks below it.
When the backend that should own the socket is running, this cause says so
and asks where it listens instead of telling to start it.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 2 }));
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = groups.iter().find_map(|g| g.key.upstream.clone());
    let path = up
        .as_ref()
        .and_then(|u| u.addr.socket_path().map(str::to_string))
        .or_else(|| {
            groups
                .iter()
                .find_map(|g| g.key.server.as_deref().and_then(Address::parse))
                .and_then(|a| a.socket_path().map(str::to_string))
        })
        .unwrap_or_else(|| "{socket_path}".into());
    let svc = ctx.service_for(up.as_ref());
    f.confidence = 0.82;
    f.reasoning.push(format!(
        "{} of `connect() to unix:{path} failed (2: No such file or directory)`",
        plural(f.events, "line", "lines")
    ));
    if ctx
        .facts
        .missing_paths
        .iter()
        .any(|m| super::ctx::same_path(&m.path, &path))
    {
        f.confidence += 0.1;
        f.reasoning
            .push("`ls` confirms the socket is missing".into());
    }
    // The pasted unit state: a stopped backend is the usual reason; a
    // running one means the socket is elsewhere.
    let running = match ctx.facts.services.iter().rev().find(|s| s.name == svc.name) {
        Some(s) if !s.is_running() => {
            f.confidence += 0.08;
            f.reasoning.push(format!("`{}` is {}", s.name, s.state));
            false
        }
        Some(s) => {
            f.reasoning.push(format!(
                "`{}` is running, so its socket is not {path}",
                s.name
            ));
            true
        }
        None => {
            if super::common::supervisor_down(ctx, &mut f, &svc.name) {
                f.confidence += 0.08;
            }
            false
        }
    };
    let other_php = super::common::other_php_running(ctx, &path);
    f.title = format!("The socket {path} does not exist");
    if let Some((unit, sock)) = &other_php {
        let want = super::ctx::php_version_in(&path).unwrap_or_default();
        f.summary = format!(
            "nginx connects to {path}, PHP {want}'s socket, and there is no such file; the PHP-FPM that runs is \
             `{unit}`, whose stock socket is {sock}. After a PHP upgrade the site config still names the old \
             version: point it at the new socket, or start PHP {want}'s FPM if the site needs that version. \
             nginx answers 502 at once."
        );
        f.fixes.push(safe(
            format!("ls -la {}", parent(&path)),
            format!("confirm which socket exists ({sock} expected)"),
        ));
        f.fixes.push(review(
            format!(
                "sudo grep -rln '{path}' /etc/nginx/ | xargs -r sudo sed -i --follow-symlinks 's#{path}#{sock}#'"
            ),
            format!("point every site that names PHP {want}'s socket at `{unit}`'s"),
        ));
        f.fixes.push(super::fixes::reload(ctx));
        f.fixes.push(disruptive(
            format!("sudo systemctl enable --now php{want}-fpm"),
            format!(
                "instead, if the site needs PHP {want} and it is still installed: start its FPM"
            ),
        ));
    } else if running {
        let setting = if svc.name.contains("php") || svc.name.contains("fpm") {
            "its pool's `listen =`"
        } else {
            "its bind setting, like gunicorn's `--bind unix:…`"
        };
        f.summary = format!(
            "nginx connects to the unix socket {path}, and there is no such file, while `{}` runs: it listens \
             on another path ({setting}). nginx answers 502 at once.",
            svc.name
        );
        f.fixes.push(safe(
            format!("ls -la {}", parent(&path)),
            "see which socket exists instead",
        ));
        f.fixes.push(safe(
            where_it_listens(ctx, &svc.name),
            "the path the running service listens on: name it in nginx's `*_pass` (or make the service listen where nginx looks)",
        ));
        f.fixes.push(disruptive(
            ctx.reload_nginx(),
            "after changing the config: check it, then reload",
        ));
    } else if let Some(domain) = plesk_domain(&path) {
        // Plesk writes each domain's pool and nginx config itself: have it
        // write them again rather than guess the PHP version's unit.
        f.summary = format!(
            "nginx connects to {path}, the PHP-FPM socket Plesk creates for {domain}, and there is no such file: \
             the domain's PHP handler (plesk-php<version>-fpm) is stopped, or its pool was not written when the \
             handler changed. nginx answers 502 at once."
        );
        f.fixes.push(safe(
            "systemctl list-units 'plesk-php*' --all --no-pager",
            "which Plesk PHP-FPM services exist and whether they run",
        ));
        f.fixes.push(review(
            format!("sudo plesk repair web {domain} -y"),
            format!(
                "Plesk writes {domain}'s PHP-FPM pool and web server config again, socket included"
            ),
        ));
        f.fixes.push(disruptive(
            "sudo systemctl restart 'plesk-php*-fpm'",
            "start the handlers again so the socket is created",
        ));
    } else {
        f.summary = format!(
            "nginx connects to the unix socket {path}, and there is no such file: the backend that should create it \
             ({}) is not running, or it listens on another path. nginx answers 502 at once.",
            svc.name
        );
        // Its own log says why it does not start: that fix first.
        if let Some(b) = super::boot::find(ctx) {
            f.confidence += 0.05;
            super::boot::explain(ctx, &mut f, &svc, &b, None);
        }
        f.fixes.push(disruptive(
            svc.start_enable(),
            format!("start `{}`: it creates {path} when it starts", svc.name),
        ));
        f.fixes.push(safe(format!("ls -la {}", parent(&path)), "if the service runs, see which socket it created instead (after a PHP upgrade the name changes)"));
        f.fixes
            .push(safe(svc.logs(), "if it does not start, its log says why"));
    }
    // After the fix, the socket nginx uses is the running unit's.
    let used = other_php
        .as_ref()
        .map_or(path.as_str(), |(_, sock)| sock.as_str());
    f.verify
        .push(format!("ls -la {used}   # expect a line starting with 's'"));
    f.verify.push(format!(
        "{}   # expect the backend process",
        super::common::unix_listener_cmd(ctx, used)
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if ctx.facts.paths.is_empty() && ctx.facts.missing_paths.is_empty() {
        let why = if path.contains("php") {
            "shows which sockets exist (a different PHP version's socket means nginx points at the wrong path)"
        } else {
            "shows which sockets exist, to compare with the path nginx uses"
        };
        f.next.push(next(format!("ls -la {}", parent(&path)), why));
    }
    if ctx.facts.services.is_empty()
        && svc.manager == super::ctx::Manager::Systemd
        && plesk_domain(&path).is_none()
    {
        f.next.push(next(
            format!("systemctl status {}", svc.name),
            "shows whether the backend runs",
        ));
    }
    vec![f]
}

/// The command that shows where a running service puts its socket: the
/// PHP-FPM pools' `listen =` lines, else the unit (`--bind unix:...`).
fn where_it_listens(ctx: &Ctx, unit: &str) -> String {
    if ctx.native_manager() != super::ctx::Manager::Systemd
        && (unit.contains("php") || unit.contains("fpm"))
    {
        // FreeBSD, Alpine, Homebrew: the pool directory of that system.
        let (file, _) = super::common::pool_file(ctx, "www", unit);
        let file = file.trim_matches('"');
        let dir = parent(file);
        return if dir.contains("$(") {
            format!("grep -rn '^listen' \"{dir}\"")
        } else {
            format!("sudo grep -rn '^listen' {dir}")
        };
    }
    let rhel = ctx.distro() == crate::facts::Distro::Rhel;
    match super::common::php_version(ctx, unit) {
        Some(v) if !rhel => format!("sudo grep -rn '^listen' /etc/php/{v}/fpm/pool.d/"),
        _ if unit.contains("php") || unit.contains("fpm") => {
            "sudo grep -rn '^listen' /etc/php-fpm.d/ /etc/php/*/fpm/pool.d/ 2>/dev/null".into()
        }
        _ => format!("systemctl cat {unit} | grep -n sock"),
    }
}

fn parent(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) => "/",
        Some(i) => &p[..=i],
        None => p,
    }
}

/// The domain of a Plesk per-domain socket: `/var/www/vhosts/system/<domain>/php-fpm.sock`.
fn plesk_domain(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/var/www/vhosts/system/")?;
    let (domain, _) = rest.split_once('/')?;
    (!domain.is_empty()).then_some(domain)
}
