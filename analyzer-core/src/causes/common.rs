//! Queries and wording shared by several cause files: the directive prefix
//! of an upstream scheme, the upstream a set of groups talks about, the
//! PHP-FPM pool file and test command, the process-level partners that
//! explain socket-level symptoms.

use super::ctx::{php_version_in, Ctx, HostOs};
use crate::facts::{Action, Distro, EventGroup, Signal, Source, Upstream};

/// `proxy`, `fastcgi`, `uwsgi`, `scgi` or `grpc`: the prefix of the
/// `*_pass`, `*_read_timeout`, `*_buffer_size` … directives for a scheme.
pub fn directive_prefix(scheme: &str) -> &'static str {
    match scheme {
        "fastcgi" => "fastcgi",
        "uwsgi" | "suwsgi" => "uwsgi",
        "grpc" | "grpcs" => "grpc",
        "scgi" => "scgi",
        _ => "proxy",
    }
}

/// The first upstream named by these groups.
pub fn upstream_of(groups: &[&EventGroup]) -> Option<Upstream> {
    groups.iter().find_map(|g| g.key.upstream.clone())
}

/// The upstream nginx complained about anywhere in the paste, preferring
/// groups that match `pred` (used by backend-side rules for context).
pub fn nginx_upstream(ctx: &Ctx, pred: impl Fn(&Signal) -> bool) -> Option<Upstream> {
    let preferred = ctx.nginx_groups(&pred);
    upstream_of(&preferred).or_else(|| {
        ctx.nginx_groups(|s| !matches!(s, Signal::ConfigEmerg { .. }))
            .iter()
            .find_map(|g| g.key.upstream.clone())
    })
}

/// nginx groups that report a failed upstream request (the symptoms a
/// backend-side cause explains).
pub fn nginx_symptoms<'a>(ctx: &Ctx<'a>) -> Vec<&'a EventGroup> {
    ctx.nginx_groups(|s| {
        matches!(
            s,
            Signal::PrematureClose
                | Signal::UpstreamTimedOut
                | Signal::ConnectFailed { .. }
                | Signal::IoFailed { .. }
                | Signal::InvalidHeader { .. }
                | Signal::FastcgiProtocol { .. }
                | Signal::NoLiveUpstreams
        )
    })
    .into_iter()
    .filter(|g| !matches!(g.key.action, Some(Action::ClientSide | Action::Upgraded)))
    .collect()
}

/// The URI part of a `proxy_pass` target as written (`/` of
/// `http://127.0.0.1:3000/`, which replaces the location's prefix): a new
/// target must keep it or the paths the backend sees change.
pub fn uri_part(target: &str) -> &str {
    let Some((_, after)) = target.split_once("://") else {
        return "";
    };
    // `http://unix:/run/app.sock:/uri`: the URI follows the socket path.
    if let Some(path) = after.strip_prefix("unix:") {
        return path.split_once(':').map_or("", |(_, u)| u);
    }
    after.find('/').map_or("", |i| &after[i..])
}

/// The request path of the first request in these groups (`/api/users`).
pub fn first_path(groups: &[&EventGroup]) -> Option<String> {
    groups
        .iter()
        .flat_map(|g| g.requests.iter())
        .find_map(|r| r.split_whitespace().nth(1))
        .map(|u| u.split('?').next().unwrap_or(u).to_string())
}

/// The HTTP methods seen in these groups' requests (`POST`, `PUT`).
pub fn methods(groups: &[&EventGroup]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in groups.iter().flat_map(|g| g.requests.iter()) {
        if let Some(m) = r.split_whitespace().next() {
            if !out.iter().any(|x| x == m) {
                out.push(m.to_string());
            }
        }
    }
    out
}

/// The unit of a PHP-FPM process name: `php-fpm8.1` → `php8.1-fpm`, `php-fpm` → `php-fpm`.
pub fn fpm_unit_from_comm(comm: &str) -> Option<String> {
    if !comm.contains("php") {
        return None;
    }
    // `php-fpm8.1` (Debian's process name) carries the version after `fpm`.
    if let Some(v) = comm.strip_prefix("php-fpm") {
        let b = v.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_digit() && b[1] == b'.' && b[2].is_ascii_digit() {
            return Some(format!("php{v}-fpm"));
        }
    }
    match php_version_in(comm) {
        Some(v) => Some(format!("php{v}-fpm")),
        None if comm.starts_with("php-fpm") => Some("php-fpm".into()),
        None => None,
    }
}

/// The process name of a PHP-FPM unit: `php8.1-fpm` → `php-fpm8.1` (Debian), else `php-fpm`.
pub fn fpm_comm(unit: &str) -> String {
    match unit
        .strip_prefix("php")
        .and_then(|r| r.strip_suffix("-fpm"))
    {
        Some(v) if v.contains('.') && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            format!("php-fpm{v}")
        }
        _ => "php-fpm".into(),
    }
}

/// The PHP-FPM service: from the FastCGI upstream when nginx logged one,
/// else as `service_for` guesses it for any FastCGI upstream.
pub fn fpm_service(ctx: &Ctx, up: Option<&Upstream>) -> super::ctx::ServiceGuess {
    match up {
        Some(u)
            if u.scheme == "fastcgi" || u.addr.socket_path().is_some_and(|p| p.contains("php")) =>
        {
            ctx.service_for(Some(u))
        }
        _ => {
            // No FastCGI upstream in the paste: ask with a generic one.
            let any = Upstream {
                scheme: "fastcgi".into(),
                addr: crate::facts::Address::Tcp {
                    host: String::new(),
                    port: None,
                },
            };
            ctx.service_for(Some(&any))
        }
    }
}

/// PHP version for commands (`8.1`), from the service name, pools or upstream.
pub fn php_version(ctx: &Ctx, service: &str) -> Option<String> {
    php_version_in(service)
        .or_else(|| {
            ctx.facts
                .pools
                .iter()
                .filter_map(|p| p.file.as_deref())
                .find_map(php_version_in)
        })
        .or_else(|| {
            ctx.facts
                .groups
                .iter()
                .filter_map(|g| g.key.upstream.as_ref().and_then(|u| u.addr.socket_path()))
                .find_map(php_version_in)
        })
        .or_else(|| match ctx.facts.php_versions_named.as_slice() {
            // One version's files in the pasted commands (not two: an upgrade).
            [one] => Some(one.clone()),
            _ => None,
        })
}

/// PHP-FPM as a control panel or stack lays it out, known by the socket
/// nginx dials (or, for Plesk, its vhost tree): its own pool file, binary,
/// log and service instead of a distro's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PhpLayout {
    /// aaPanel: `/tmp/php-cgi-82.sock`, `/www/server/php/82/`, service
    /// `php-fpm-82`; `ver` as in its paths (`82`).
    AaPanel { ver: String },
    /// Bitnami stacks: everything under `/opt/bitnami/php/`.
    Bitnami,
    /// Plesk: one pool per domain (`/var/www/vhosts/system/<domain>/php-fpm.sock`)
    /// under the handler `plesk-php82-fpm`; `ver` (`8.2`) when the paste names it.
    Plesk { ver: Option<String> },
}

/// The panel or stack the paste's FastCGI sockets (failing upstreams,
/// `fastcgi_pass` lines, pool files) belong to.
pub fn php_layout(ctx: &Ctx) -> Option<PhpLayout> {
    let f = ctx.facts;
    let from_groups = f
        .groups
        .iter()
        .filter_map(|g| g.key.upstream.as_ref()?.addr.socket_path());
    let passes = ctx.passes();
    let from_config = passes
        .iter()
        .filter_map(|p| p.upstream.as_ref()?.addr.socket_path());
    let from_pools = f.pools.iter().filter_map(|p| p.file.as_deref());
    for p in from_groups.chain(from_config).chain(from_pools) {
        if let Some(layout) = layout_of_path(p, f.plesk_php.as_deref()) {
            return Some(layout);
        }
    }
    None
}

fn layout_of_path(p: &str, plesk_php: Option<&str>) -> Option<PhpLayout> {
    let aapanel = p
        .strip_prefix("/tmp/php-cgi-")
        .and_then(|r| r.strip_suffix(".sock"))
        .or_else(|| {
            p.strip_prefix("/www/server/php/")
                .and_then(|r| r.split('/').next())
        })
        .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    if let Some(v) = aapanel {
        return Some(PhpLayout::AaPanel { ver: v.to_string() });
    }
    if p.starts_with("/opt/bitnami/php/") {
        return Some(PhpLayout::Bitnami);
    }
    if p.starts_with("/var/www/vhosts/system/") || p.starts_with("/opt/plesk/php/") {
        let ver = php_version_in(p).or_else(|| plesk_php.map(str::to_string));
        return Some(PhpLayout::Plesk { ver });
    }
    None
}

/// The pool file for `pool` and whether it came from the paste.
pub fn pool_file(ctx: &Ctx, pool: &str, service: &str) -> (String, bool) {
    if let Some(f) = ctx
        .facts
        .pools
        .iter()
        .find(|p| p.name == pool && p.file.is_some())
        .or_else(|| ctx.facts.pools.iter().find(|p| p.file.is_some()))
        .and_then(|p| p.file.clone())
    {
        return (f, true);
    }
    let file = if pool.is_empty() { "www" } else { pool };
    match php_layout(ctx) {
        Some(PhpLayout::AaPanel { ver }) => {
            return (format!("/www/server/php/{ver}/etc/php-fpm.conf"), false)
        }
        Some(PhpLayout::Bitnami) => {
            return (format!("/opt/bitnami/php/etc/php-fpm.d/{file}.conf"), false)
        }
        Some(PhpLayout::Plesk { ver }) => {
            let v = ver.unwrap_or_else(|| "{php_version}".into());
            return (
                format!("/opt/plesk/php/{v}/etc/php-fpm.d/{file}.conf"),
                false,
            );
        }
        None => {}
    }
    let path = match (ctx.distro(), php_version(ctx, service)) {
        (Distro::Docker | Distro::FreeBsd, _) => format!("/usr/local/etc/php-fpm.d/{file}.conf"),
        (Distro::Homebrew, Some(v)) => {
            format!("\"$(brew --prefix)/etc/php/{v}/php-fpm.d/{file}.conf\"")
        }
        (Distro::Homebrew, None) => {
            format!("\"$(brew --prefix)/etc/php/{{php_version}}/php-fpm.d/{file}.conf\"")
        }
        (Distro::Alpine, Some(v)) if !ctx.facts.nginx_in_container => {
            format!("/etc/php{}/php-fpm.d/{file}.conf", v.replace('.', ""))
        }
        (Distro::Rhel, _) => format!("/etc/php-fpm.d/{file}.conf"),
        (_, Some(v)) => format!("/etc/php/{v}/fpm/pool.d/{file}.conf"),
        (Distro::Debian, None) => format!("/etc/php/{{php_version}}/fpm/pool.d/{file}.conf"),
        _ if service == "php-fpm" => format!("/etc/php-fpm.d/{file}.conf"),
        _ => format!("{{pool_file}} (Debian/Ubuntu: /etc/php/{{php_version}}/fpm/pool.d/{file}.conf, RHEL: /etc/php-fpm.d/{file}.conf)"),
    };
    (path, false)
}

/// `sudo php-fpm8.1 -t` (Debian/Ubuntu) or `sudo php-fpm -t` (RHEL).
pub fn fpm_test(ctx: &Ctx, service: &str) -> String {
    if ctx.facts.nginx_in_container || ctx.distro() == Distro::Docker {
        return "docker compose exec {php_service} php-fpm -t".into();
    }
    match php_layout(ctx) {
        Some(PhpLayout::AaPanel { ver }) => {
            return format!("sudo /www/server/php/{ver}/sbin/php-fpm -t")
        }
        Some(PhpLayout::Bitnami) => return "sudo /opt/bitnami/php/sbin/php-fpm -t".into(),
        Some(PhpLayout::Plesk { ver }) => {
            let v = ver.unwrap_or_else(|| "{php_version}".into());
            return format!("sudo /opt/plesk/php/{v}/sbin/php-fpm -t");
        }
        None => {}
    }
    if let Some(t) = cpanel_fpm_test(service) {
        return t;
    }
    if let Some((test, _)) = super::ctx::native_fpm_commands(ctx.native_manager(), service) {
        return test;
    }
    match php_version(ctx, service) {
        Some(v)
            if !service.contains("remi")
                && !service.starts_with("php-fpm")
                && !service.contains("-php-") =>
        {
            format!("sudo php-fpm{v} -t")
        }
        _ if service == "php-fpm" || ctx.distro() == Distro::Rhel => "sudo php-fpm -t".into(),
        _ => "sudo php-fpm{php_version} -t".into(),
    }
}

/// A pool override for the official php:*-fpm image under compose: the
/// image reads /usr/local/etc/php-fpm.d/ in name order, so a mounted
/// zz-pool.conf comes last and wins, and outlives the container.
pub fn compose_pool_override(service: &str, pool: &str, settings: &str) -> String {
    format!("# php-fpm-pool.conf, next to the compose file:\n[{pool}]\n{settings}\n# and in the compose service `{service}`:\n#   volumes:\n#     - ./php-fpm-pool.conf:/usr/local/etc/php-fpm.d/zz-pool.conf:ro")
}

/// A php.ini override for the official image under compose: every file
/// of /usr/local/etc/php/conf.d/ is read, in name order.
pub fn compose_ini_override(service: &str, settings: &str) -> String {
    format!("# php-overrides.ini, next to the compose file:\n{settings}\n# and in the compose service `{service}`:\n#   volumes:\n#     - ./php-overrides.ini:/usr/local/etc/php/conf.d/zz-overrides.ini:ro")
}

/// Recreate the compose service with its override, then let FPM check it.
pub fn compose_recreate_fpm(service: &str) -> String {
    format!("docker compose up -d --force-recreate {service} && docker compose exec {service} php-fpm -t")
}

/// cPanel EasyApache's `ea-php81-php-fpm` runs
/// /opt/cpanel/ea-php81/root/usr/sbin/php-fpm, which no `PATH` has.
pub fn cpanel_fpm_test(service: &str) -> Option<String> {
    let ea = service
        .strip_suffix("-php-fpm")
        .filter(|e| e.starts_with("ea-php"))?;
    Some(format!("sudo /opt/cpanel/{ea}/root/usr/sbin/php-fpm -t"))
}

/// The PHP-FPM log file for commands.
pub fn fpm_log(ctx: &Ctx, service: &str) -> String {
    match php_layout(ctx) {
        Some(PhpLayout::AaPanel { ver }) => {
            return format!("/www/server/php/{ver}/var/log/php-fpm.log")
        }
        Some(PhpLayout::Bitnami) => return "/opt/bitnami/php/logs/php-fpm.log".into(),
        Some(PhpLayout::Plesk { ver }) => {
            let v = ver.map_or_else(|| "{php_version_no_dot}".into(), |v| v.replace('.', ""));
            return format!("/var/log/plesk-php{v}-fpm/error.log");
        }
        None => {}
    }
    if let Some((_, log)) = super::ctx::native_fpm_commands(ctx.native_manager(), service) {
        return log;
    }
    match (ctx.distro(), php_version(ctx, service)) {
        (Distro::Rhel, _) => "/var/log/php-fpm/error.log".into(),
        (_, Some(v)) if service != "php-fpm" => format!("/var/log/php{v}-fpm.log"),
        _ if service == "php-fpm" => "/var/log/php-fpm/error.log".into(),
        _ => "/var/log/php{php_version}-fpm.log".into(),
    }
}

/// When the pasted `supervisorctl status` shows program `name` not
/// RUNNING: says so in `f` (reasoning and the status row as evidence) and
/// returns true, for the caller to weigh.
pub fn supervisor_down(ctx: &Ctx, f: &mut super::Finding, name: &str) -> bool {
    let Some(p) = ctx
        .facts
        .supervisor
        .iter()
        .find(|p| p.name == name && p.state != "RUNNING")
    else {
        return false;
    };
    f.reasoning
        .push(format!("supervisord reports `{}` {}", p.name, p.state));
    f.add_evidence(crate::facts::EvidenceLine::new(
        p.line,
        &format!("{} {}", p.name, p.state),
    ));
    true
}

/// Backend groups (any non-nginx source) with this signal.
pub fn backend_groups<'a>(ctx: &Ctx<'a>, pred: impl Fn(&Signal) -> bool) -> Vec<&'a EventGroup> {
    ctx.groups(|s| pred(s))
        .into_iter()
        .filter(|g| g.key.source != Source::Nginx)
        .collect()
}

/// True when a process-level cause is in the paste (a crash, an OOM kill,
/// a watchdog kill, a protocol mismatch proof): it explains socket-level
/// symptoms such as a premature close or a reset.
pub fn partner_names(ctx: &Ctx) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut add = |b: bool, n: &'static str| {
        if b && !out.contains(&n) {
            out.push(n);
        }
    };
    for g in &ctx.facts.groups {
        match &g.key.signal {
            Signal::GunicornWorkerTimeout => add(true, "gunicorn_worker_timeout"),
            Signal::FpmExecTimedOut { .. } => add(true, "fpm_exec_timeout"),
            Signal::UwsgiHarakiri => add(true, "uwsgi_harakiri"),
            Signal::FpmChildSignal { signal: 11 | 7 } => add(true, "fpm_child_crash"),
            Signal::Segfault { comm } => add(comm.contains("php"), "fpm_child_crash"),
            Signal::OomKilled { .. } | Signal::UnitOomKill { .. } => add(true, "backend_oom"),
            Signal::UwsgiBlockSize { size, .. } if is_http_block_size(*size) => {
                add(true, "uwsgi_protocol_mismatch")
            }
            Signal::UwsgiBlockSize { .. } => add(true, "header_too_big"),
            Signal::GrpcBogusGreeting => add(true, "http2_upstream_mismatch"),
            Signal::AjpBadSignature { .. } => add(true, "wrong_port"),
            Signal::PhpFatal { .. } => add(true, "php_fatal_error"),
            _ => {}
        }
    }
    out
}

/// The uwsgi "block size" read from an HTTP request line: `GET ` → 21573,
/// `POST` → 21327, `PUT ` → 21589, `HEAD` → 16709 (and the rarer methods).
pub fn http_method_of_block_size(size: u32) -> Option<&'static str> {
    // modifier1 is the first byte, the size the next two, little-endian.
    Some(match size {
        21573 => "GET",
        21327 => "POST",
        21589 => "PUT",
        16709 => "HEAD",
        21569 => "PATCH",
        19525 => "DELETE",
        21584 => "OPTIONS",
        _ => return None,
    })
}

pub fn is_http_block_size(size: u32) -> bool {
    http_method_of_block_size(size).is_some()
}

/// What listens on TCP `port`: `ss` on Linux, `sockstat` on FreeBSD,
/// `lsof` on macOS.
pub fn tcp_listener_cmd(ctx: &Ctx, port: impl std::fmt::Display) -> String {
    match (ctx.host_os(), ctx.distro()) {
        (HostOs::Mac, Distro::FreeBsd) => format!("sockstat -46l -p {port}"),
        (HostOs::Mac, _) => format!("sudo lsof -nP -iTCP:{port} -sTCP:LISTEN"),
        _ => format!("sudo ss -tlnp | grep ':{port} '"),
    }
}

/// Which process listens on the unix socket `path`, the same way.
pub fn unix_listener_cmd(ctx: &Ctx, path: &str) -> String {
    match (ctx.host_os(), ctx.distro()) {
        (HostOs::Mac, Distro::FreeBsd) => format!("sockstat -u | grep {path}"),
        (HostOs::Mac, _) => format!("sudo lsof {path}"),
        _ => format!("sudo ss -xlp | grep {path}"),
    }
}

/// nginx's configuration directory: the distros', FreeBSD's ports', Homebrew's.
pub fn nginx_conf_dir(ctx: &Ctx) -> &'static str {
    match ctx.distro() {
        Distro::FreeBsd => "/usr/local/etc/nginx/",
        Distro::Homebrew => "\"$(brew --prefix)/etc/nginx/\"",
        _ => "/etc/nginx/",
    }
}

/// Watch nginx's error log for `fragment`: the log file on a host, `docker
/// compose logs` when nginx runs in a container (its log goes to stderr).
pub fn watch_log(ctx: &Ctx, fragment: &str) -> String {
    if ctx.facts.nginx_in_container {
        return format!(
            "{} 2>&1 | grep --line-buffered '{fragment}'   # expect no new lines",
            ctx.nginx_container_logs("-f --since 1m")
        );
    }
    // A panel's or stack's nginx logs where it was set up to.
    let panel_log = match php_layout(ctx) {
        Some(PhpLayout::AaPanel { .. }) => Some("/www/wwwlogs/*.error.log".to_string()),
        Some(PhpLayout::Bitnami) => Some("/opt/bitnami/nginx/logs/error.log".to_string()),
        Some(PhpLayout::Plesk { .. }) => Some(
            nginx_upstream(ctx, |_| true)
                .and_then(|u| {
                    let p = u
                        .addr
                        .socket_path()?
                        .strip_prefix("/var/www/vhosts/system/")?;
                    Some(format!(
                        "/var/www/vhosts/system/{}/logs/proxy_error_log",
                        p.split('/').next()?
                    ))
                })
                .unwrap_or_else(|| "/var/www/vhosts/system/*/logs/proxy_error_log".into()),
        ),
        None => None,
    };
    if let Some(log) = panel_log {
        return format!(
            "sudo tail -n 50 -f {log} | grep --line-buffered '{fragment}'   # expect no new lines"
        );
    }
    match ctx.host_os() {
        HostOs::Linux => super::fixes::watch_log(fragment),
        HostOs::Mac => format!("tail -n 50 -f /var/log/nginx/error.log | grep --line-buffered '{fragment}'   # Homebrew: \"$(brew --prefix)/var/log/nginx/error.log\"; expect no new lines"),
        HostOs::Windows => format!("Get-Content logs\\error.log -Tail 50 -Wait | Select-String '{fragment}'   # PowerShell, in nginx's folder; expect no new lines"),
    }
}

/// True when nginx runs on Linux (or nothing says otherwise): `dmesg`,
/// `ss`, `journalctl` and `systemctl` apply.
pub fn on_linux(ctx: &Ctx) -> bool {
    ctx.host_os() == HostOs::Linux
}

/// The command that shows the backend's log: `docker compose logs` when
/// nginx runs in a container and the backend's unit is unknown (then the
/// backend is most likely a container too), else the service's own log.
pub fn backend_log_cmd(ctx: &Ctx, svc: &super::ctx::ServiceGuess) -> String {
    // Under Kubernetes the backend is a pod: its log is kubectl's, found
    // by the pod address nginx logged.
    if (ctx.facts.ingress_nginx || ctx.facts.kubernetes) && !svc.known {
        let ip = nginx_upstream(ctx, |_| true)
            .and_then(|u| u.addr.host().map(str::to_string))
            .filter(|h| h.parse::<std::net::IpAddr>().is_ok());
        let ns = ctx
            .pod_namespace()
            .filter(|n| *n != ctx.ingress_controller().namespace)
            .unwrap_or("{namespace}");
        // A pasted `kubectl describe ingress` names the Service: its pods' log.
        if let Some(svc) = ctx.ingress_service() {
            return format!("kubectl logs -n {ns} svc/{svc} --tail 200   # one pod of the Service; all: kubectl get pods -n {ns} -o wide");
        }
        return match ip {
            Some(ip) => format!(
                "kubectl logs -n {ns} {{pod}} --tail 200   # the pod at {ip}: kubectl get pods -A -o wide | grep -F '{ip}'"
            ),
            None => format!("kubectl logs -n {ns} {{pod}} --tail 200"),
        };
    }
    if !on_linux(ctx) && !svc.known {
        return "# the backend's own output at that time: the terminal or service it runs in, or its log file".into();
    }
    // A panel's PHP-FPM logs to its own file (its init script writes
    // nothing useful to the journal): that file and its slow log.
    if let Some(layout) = php_layout(ctx) {
        let log = fpm_log(ctx, &svc.name);
        return match layout {
            PhpLayout::AaPanel { ver } => {
                format!("sudo tail -n 100 {log} /www/server/php/{ver}/var/log/slow.log")
            }
            _ => format!("sudo tail -n 100 {log}"),
        };
    }
    if ctx.facts.nginx_in_container && !svc.known && svc.manager == super::ctx::Manager::Systemd {
        if ctx.plain_docker() {
            return "docker logs --tail 200 {app_container}".to_string();
        }
        "docker compose logs --tail 200 {app_service}".to_string()
    } else {
        svc.logs()
    }
}

/// A running `php<v>-fpm` unit in the paste whose version differs from the
/// one in `path`, and `path` with that version: (`php8.1-fpm`,
/// `/run/php/php8.1-fpm.sock`) for `/run/php/php7.4-fpm.sock`. Only when no
/// unit of the path's own version is in the paste (a stopped php7.4-fpm
/// means: start it).
pub fn other_php_running(ctx: &Ctx, path: &str) -> Option<(String, String)> {
    let want = php_version_in(path)?;
    let services = &ctx.facts.services;
    let fpm_version = |name: &str| name.contains("fpm").then(|| php_version_in(name)).flatten();
    if services
        .iter()
        .any(|s| fpm_version(&s.name).as_deref() == Some(want.as_str()))
    {
        return None;
    }
    let s = services
        .iter()
        .rev()
        .find(|s| s.is_running() && fpm_version(&s.name).is_some_and(|v| v != want))?;
    let have = fpm_version(&s.name)?;
    // `php7.4` in the path, or `php74` (remi's layout).
    let (old, new) = if path.contains(&format!("php{want}")) {
        (format!("php{want}"), format!("php{have}"))
    } else {
        (
            format!("php{}", want.replace('.', "")),
            format!("php{}", have.replace('.', "")),
        )
    };
    path.contains(&old)
        .then(|| (s.name.clone(), path.replacen(&old, &new, 1)))
}

/// An absolute path of a file on a server: under a system or app
/// directory, or with an extension (not a URL path such as `/api/v1`).
fn looks_like_a_file(path: &str) -> bool {
    const ROOTS: &[&str] = &[
        "/etc/", "/srv/", "/var/", "/opt/", "/home/", "/usr/", "/lib/", "/run/", "/app/", "/www/",
        "/data/", "/root/", "/code/", "/tmp/",
    ];
    let name = path.rsplit('/').next().unwrap_or(path);
    crate::artifacts::is_file_path(path)
        && (ROOTS.iter().any(|r| path.starts_with(r)) || name.contains('.'))
}

/// The file and line an error message points at, in the forms services
/// write them: `[/etc/php/8.2/fpm/pool.d/www.conf:23]` (PHP-FPM),
/// `in /etc/nginx/sites-enabled/a:12` (nginx), `/etc/systemd/system/app.service:7:`
/// (systemd), `in /var/www/index.php on line 23` (PHP), `File "/srv/app.py",
/// line 23` (Python). Only absolute paths.
pub fn file_line_in(msg: &str) -> Option<(&str, u32)> {
    let number = |s: &str| -> Option<u32> {
        let d: &str = &s[..s.bytes().take_while(u8::is_ascii_digit).count()];
        d.parse().ok().filter(|&n| n > 0)
    };
    // `File "/srv/app.py", line 23` and `in /x.php on line 23`.
    for (open, close, then) in [("File \"", "\"", ", line "), (" in ", " ", "on line ")] {
        for (i, _) in msg.match_indices(open) {
            let rest = &msg[i + open.len()..];
            let Some(end) = rest.find(close) else {
                continue;
            };
            let path = &rest[..end];
            let line = rest[end + close.len()..]
                .strip_prefix(then)
                .and_then(number);
            if let (true, Some(n)) = (looks_like_a_file(path), line) {
                return Some((path, n));
            }
        }
    }
    // `/path:23` right after `[`, a space or the start, before `]`, `:`,
    // a space or the end.
    for (i, _) in msg.match_indices('/') {
        if i > 0 && !matches!(msg.as_bytes()[i - 1], b'[' | b' ' | b'(' | b'"' | b'\'') {
            continue;
        }
        let rest = &msg[i..];
        let end =
            rest.find(|c: char| c.is_whitespace() || matches!(c, ']' | ')' | '"' | '\'' | ','));
        let token = &rest[..end.unwrap_or(rest.len())];
        let token = token.strip_suffix(':').unwrap_or(token);
        let Some((path, line)) = token.rsplit_once(':') else {
            continue;
        };
        if looks_like_a_file(path) && line.bytes().all(|c| c.is_ascii_digit()) {
            if let Some(n) = number(line) {
                return Some((path, n));
            }
        }
    }
    None
}

/// An nginx time (`60`, `60s`, `5m`, `1h`, `1m30s`) in seconds.
pub fn duration_secs(v: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut num = String::new();
    for c in v.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => return None,
        };
    }
    if !num.is_empty() {
        total += num.parse::<u64>().ok()?;
    }
    Some(total)
}

/// The pasted `*_pass` that sends requests to `up` (directly, or through an
/// `upstream {}` block listing it), when a config was pasted.
pub fn pass_for(ctx: &Ctx, up: &Upstream) -> Option<crate::artifacts::nginx_config::Pass> {
    let cfg = ctx.facts.config.as_ref()?;
    let passes = cfg.passes();
    let direct = passes.iter().find(|p| {
        p.upstream
            .as_ref()
            .is_some_and(|u| super::ctx::same_target(&u.addr, &up.addr))
    });
    let via_block = || {
        passes.iter().find(|p| {
            cfg.upstream_for(p).is_some_and(|b| {
                b.servers
                    .iter()
                    .any(|s| super::ctx::same_target(&s.addr, &up.addr))
            })
        })
    };
    direct
        .or_else(via_block)
        .cloned()
        // A name nginx logged resolved (`proxy_pass http://web:8000` → 172.18.0.3:8000).
        .or_else(|| ctx.config_line_for(&up.addr).map(|c| c.pass))
}

/// ingress-nginx takes per-Ingress settings from annotations: a command
/// that finds the Ingress serving `host` (its name is in no log line), then
/// the annotation on it, in the backend pods' namespace when the paste
/// shows one.
pub fn ingress_annotate(
    ctx: &Ctx,
    host: Option<&str>,
    annotations: &str,
    why: &str,
) -> Vec<crate::report::Fix> {
    let host = host.filter(|h| !h.is_empty() && *h != "_" && !h.contains(':'));
    // The pasted `kubectl get ingress` names it.
    if let Some(ing) = ctx.ingress_for(host) {
        let ns = ing
            .namespace
            .as_deref()
            .or_else(|| ctx.pod_namespace())
            .unwrap_or("{namespace}");
        return vec![super::fixes::review(
            format!(
                "kubectl annotate ingress {} -n {ns} --overwrite {annotations}",
                ing.name
            ),
            format!(
                "{why} (the Ingress `{}` serves {})",
                ing.name,
                ing.hosts.join(", ")
            ),
        )];
    }
    let find = match host {
        Some(h) => format!("kubectl get ingress -A | grep -F '{h}'"),
        None => "kubectl get ingress -A".to_string(),
    };
    let ns = ctx
        .pod_namespace()
        .filter(|n| *n != ctx.ingress_controller().namespace);
    vec![
        super::fixes::safe(
            format!("{find}   # NAMESPACE and NAME: the {{namespace}} and {{ingress}} below"),
            format!(
                "log lines name no Ingress: this finds the one that serves {}",
                host.unwrap_or("the failing host")
            ),
        ),
        super::fixes::review(
            format!(
                "kubectl annotate ingress {{ingress}} -n {} --overwrite {annotations}",
                ns.unwrap_or("{namespace}")
            ),
            why,
        ),
    ]
}

/// When every failing request sends a body (POST/PUT/PATCH), an upload by
/// its path or to a location with its own `client_max_body_size`, and no
/// backend-side cause is in the paste: a backend that refuses a body over
/// its own limit closes the connection with bytes unread (a reset, or a
/// close before any answer). Says so in `f` and offers raising the
/// backend's limit to nginx's `client_max_body_size`; returns whether it did.
pub fn body_limit_hint(ctx: &Ctx, groups: &[&EventGroup], f: &mut super::Finding) -> bool {
    let methods = methods(groups);
    if let Some(g) = ctx
        .facts
        .groups
        .iter()
        .find(|g| matches!(g.key.signal, Signal::BodyTooLarge { .. }))
    {
        return body_refused(ctx, groups, f, g);
    }
    let with_body = partner_names(ctx).is_empty()
        && worker_crash(ctx).is_none()
        && !methods.is_empty()
        && methods
            .iter()
            .all(|m| matches!(m.as_str(), "POST" | "PUT" | "PATCH"));
    if !with_body {
        return false;
    }
    // What nginx lets through for that location, when the config says.
    let nginx_limit = nginx_body_limit(ctx, groups);
    // Bodies big enough to meet a limit: uploads by their path, or a
    // location whose client_max_body_size was raised for them. (POSTs alone
    // are also what a keepalive race fails on: nginx retries no POST.)
    let uploads = groups.iter().flat_map(|g| g.requests.iter()).any(|r| {
        r.split_whitespace().nth(1).is_some_and(|uri| {
            let uri = uri.to_ascii_lowercase();
            [
                "upload", "import", "attach", "media", "file", "avatar", "image", "video",
            ]
            .iter()
            .any(|k| uri.contains(k))
        })
    });
    if !uploads && nginx_limit.is_none() {
        return false;
    }
    f.reasoning.push(format!(
        "every failing request is a {} with a body: a backend that rejects a body over its own size limit closes the connection with bytes unread",
        methods.join("/")
    ));
    let lets_through = match &nginx_limit {
        Some((size, line)) => {
            f.reasoning.push(format!(
                "nginx accepts bodies up to {size} here (line {line}), so the backend is the one refusing"
            ));
            format!("{size}, nginx's client_max_body_size here")
        }
        None => "nginx's client_max_body_size".to_string(),
    };
    f.fixes.push(super::fixes::review(
        format!("# raise the backend's own request body limit to {lets_through}: Kestrel MaxRequestBodySize (30 MB by default) or IIS maxAllowedContentLength, PHP post_max_size/upload_max_filesize, Express/body-parser limit (100kb by default), Django DATA_UPLOAD_MAX_MEMORY_SIZE, Spring spring.servlet.multipart.max-request-size, Rails/Rack and gunicorn have none"),
        "the upload is accepted by nginx and refused by the backend, which closes the connection mid-body",
    ));
    true
}

/// nginx's `client_max_body_size` where the failing requests were passed
/// on, when the config says: its value and line.
fn nginx_body_limit(ctx: &Ctx, groups: &[&EventGroup]) -> Option<(String, u64)> {
    let p = pass_for(ctx, &upstream_of(groups)?)?;
    let d = ctx
        .facts
        .config
        .as_ref()?
        .effective(&p, "client_max_body_size")?;
    Some((d.arg(0)?.to_string(), d.line))
}

/// The backend's own log says it refused a body over its limit: that
/// limit, raised to what nginx lets through, in the backend's own words.
fn body_refused(ctx: &Ctx, groups: &[&EventGroup], f: &mut super::Finding, g: &EventGroup) -> bool {
    let Signal::BodyTooLarge { server } = &g.key.signal else {
        return false;
    };
    f.confidence += 0.12;
    for e in g.head.iter().take(1) {
        f.add_evidence(e.clone());
    }
    f.reasoning.push(format!(
        "the backend's own log refuses a request body over its limit (line {}): it closes the connection with the body unread",
        g.first_line
    ));
    f.summary = "nginx accepted the upload and passed it on; the backend refused a body that large and closed the \
         connection before reading it all, so nginx answered 502. Raise the backend's limit to what nginx allows (or \
         lower nginx's client_max_body_size so clients get a clear 413)."
        .to_string();
    let size = nginx_body_limit(ctx, groups).map(|(size, _)| size);
    let bytes = size.as_deref().and_then(size_bytes);
    let (cmd, why) = match server.as_str() {
        "kestrel" => (
            format!(
                "// Program.cs (ASP.NET Core): Kestrel's limit is 30 MB by default\nbuilder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = {});\n// or per action: [RequestSizeLimit(...)] / [DisableRequestSizeLimit]; multipart forms also: FormOptions.MultipartBodyLengthLimit",
                bytes.map_or("{bytes}".to_string(), |b| b.to_string())
            ),
            "Kestrel refuses the body; behind IIS, web.config's maxAllowedContentLength too",
        ),
        "spring" => (
            format!(
                "# application.properties (Spring Boot: 1MB per file, 10MB per request by default)\nspring.servlet.multipart.max-file-size={s}\nspring.servlet.multipart.max-request-size={s}\nserver.tomcat.max-swallow-size=-1",
                s = spring_size(size.as_deref())
            ),
            "Spring's multipart limit refuses the upload; max-swallow-size=-1 lets Tomcat read the rest so the client gets an answer instead of a reset",
        ),
        _ => (
            format!(
                "<!-- conf/server.xml, the HTTP Connector nginx reaches -->\n<Connector port=\"8080\" protocol=\"HTTP/1.1\" maxPostSize=\"{}\" maxSwallowSize=\"-1\" ... />",
                bytes.map_or("{bytes}".to_string(), |b| b.to_string())
            ),
            "Tomcat refuses the body over maxPostSize (2 MB by default) and resets the connection after maxSwallowSize",
        ),
    };
    f.fixes.insert(0, super::fixes::review(cmd, why));
    true
}

/// `50m`, `1G`, `800k`, `1048576` (nginx sizes) in bytes.
fn size_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.as_bytes().last()? {
        b'k' | b'K' => (&s[..s.len() - 1], 1024),
        b'm' | b'M' => (&s[..s.len() - 1], 1024 * 1024),
        b'g' | b'G' => (&s[..s.len() - 1], 1024 * 1024 * 1024),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n.saturating_mul(mult))
}

/// An nginx size as Spring writes it (`50m` → `50MB`).
fn spring_size(s: Option<&str>) -> String {
    match s.map(str::trim) {
        Some(s) if s.ends_with(['m', 'M']) => format!("{}MB", &s[..s.len() - 1]),
        Some(s) if s.ends_with(['k', 'K']) => format!("{}KB", &s[..s.len() - 1]),
        Some(s) if s.ends_with(['g', 'G']) => format!("{}GB", &s[..s.len() - 1]),
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => format!("{s}B"),
        _ => "{size}".to_string(),
    }
}

/// The failing requests are WebSocket handshakes: socket.io's
/// `transport=websocket`, a `/ws` or `/websocket` path, Rails' `/cable`,
/// SignalR hubs, SockJS.
pub fn websocket_requests(groups: &[&EventGroup]) -> bool {
    groups.iter().flat_map(|g| g.requests.iter()).any(|r| {
        let Some(uri) = r.split_whitespace().nth(1) else {
            return false;
        };
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let path = path.to_ascii_lowercase();
        query.contains("transport=websocket")
            || path.split('/').any(|seg| {
                matches!(
                    seg,
                    "ws" | "wss" | "websocket" | "websockets" | "cable" | "sockjs"
                )
            })
            || path.contains("/hubs/")
            || path.ends_with("/hub")
    })
}

/// Start php-cgi.exe, nginx's FastCGI backend on Windows, so it stays up:
/// it exits after 500 requests unless PHP_FCGI_MAX_REQUESTS is 0, and
/// nothing on Windows starts it again.
pub fn php_cgi_start(port: &str) -> String {
    format!("set \"PHP_FCGI_MAX_REQUESTS=0\" && php-cgi.exe -b 127.0.0.1:{port}   # cmd.exe, in the PHP folder; run it as a service (NSSM, WinSW) so it is started again")
}

/// A size as nginx writes it (`4k`, `16K`, `1m`, `8192`) in KiB.
pub fn size_kb(v: &str) -> Option<u32> {
    let v = v.trim();
    let (num, mult) = match v.as_bytes().last()? {
        b'k' | b'K' => (&v[..v.len() - 1], 1),
        b'm' | b'M' => (&v[..v.len() - 1], 1024),
        _ => return v.parse::<u32>().ok().map(|b| b.div_ceil(1024)),
    };
    num.parse::<u32>().ok().map(|n| n * mult)
}

/// `127.0.0.1 3000` for `nc`, from an address display.
pub fn nc_target(addr: &crate::facts::Address) -> Option<String> {
    match addr {
        crate::facts::Address::Tcp {
            host,
            port: Some(p),
        } => Some(format!("{host} {p}")),
        _ => None,
    }
}

/// Restart uWSGI: the unit behind the upstream when one is named (known or
/// guessed from the socket), else Debian's and the emperor's `uwsgi`.
pub fn uwsgi_restart(svc: &super::ctx::ServiceGuess) -> String {
    if svc.name.starts_with('{') {
        "sudo systemctl restart uwsgi".into()
    } else {
        svc.restart()
    }
}

/// A backend worker that died on a signal while serving, other than a
/// PHP-FPM child (`fpm_child_crash` names those): Apache's `AH00052: child
/// pid N exit signal Segmentation fault (11)`, or the kernel's `segfault`
/// line for another program (not nginx). The requests it served were cut
/// off: nginx logs a premature close or a reset for them.
pub fn worker_crash<'a>(ctx: &Ctx<'a>) -> Option<&'a EventGroup> {
    ctx.facts.groups.iter().find(|g| match &g.key.signal {
        // SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV (0: not said).
        Signal::WorkerCrashed { signal, .. } => matches!(signal, 0 | 4 | 6 | 7 | 8 | 11),
        Signal::Segfault { comm } => !comm.contains("php") && !comm.starts_with("nginx"),
        _ => false,
    })
}

/// Say in `f` that the backend's worker crashed (the group from
/// [`worker_crash`]), and put the steps that find the crashing code first.
pub fn crash_explain(ctx: &Ctx, f: &mut super::Finding, g: &EventGroup) {
    use super::fixes::{review, safe};
    f.confidence += 0.12;
    for e in g.head.iter().take(2) {
        f.add_evidence(e.clone());
    }
    let (what, apache) = match &g.key.signal {
        Signal::WorkerCrashed { server, signal } => (
            format!("a {server} worker process died on signal {signal}"),
            server == "apache",
        ),
        Signal::Segfault { comm } => (format!("`{comm}` crashed (segfault)"), false),
        _ => return,
    };
    f.reasoning.push(format!(
        "the backend's own log shows {what} ({}, line {}): the request it was serving died with it",
        crate::causes::plural(g.count, "time", "times"),
        g.first_line
    ));
    f.summary = format!(
        "The backend's worker crashed while serving the request ({what}), so the connection closed without a response \
         and nginx answered 502. The crash is in the backend (a module or extension it loads), not in nginx."
    );
    if !apache {
        return;
    }
    // httpd (RHEL family) or apache2 (Debian family).
    let httpd = ctx.distro() == Distro::Rhel
        || g.evidence().any(|e| e.text.contains("/etc/httpd"))
        || ctx
            .facts
            .source_lines
            .values()
            .any(|l| l.contains("/var/log/httpd/") || l.contains("httpd.service"));
    let (log, modules, conf, bin, unit, user) = if httpd {
        (
            "/var/log/httpd/error_log",
            "sudo httpd -M | sort",
            "/etc/httpd/conf/httpd.conf",
            "/usr/sbin/httpd",
            "httpd",
            "apache",
        )
    } else {
        (
            "/var/log/apache2/error.log",
            "sudo apachectl -M | sort",
            "/etc/apache2/apache2.conf",
            "/usr/sbin/apache2",
            "apache2",
            "www-data",
        )
    };
    let steps = vec![
        safe(
            format!("sudo grep -E 'exit signal|AH0005[0-2]' {log} | tail -n 20"),
            "how often children crash, and when: the times match nginx's 502s",
        ),
        safe(
            modules,
            "the modules every child loads: a crashing child points at one of them (mod_php with a PHP extension such as opcache, imagick or a PECL module, mod_perl, a third-party module); after an update, the one that changed",
        ),
        review(
            format!("# in {conf}:\nCoreDumpDirectory /var/tmp/apache-cores\n# then:\nsudo mkdir -p /var/tmp/apache-cores && sudo chown {user} /var/tmp/apache-cores && sudo systemctl restart {unit}"),
            format!("the next crash leaves a core: `sudo gdb {bin} /var/tmp/apache-cores/core.*` and `bt` name the module and function that crashed"),
        ),
    ];
    // The crashing server is Apache: a guessed unit's journal says less than its log.
    f.fixes.retain(|x| !x.command.contains("{service}"));
    for (i, s) in steps.into_iter().enumerate() {
        f.fixes.insert(i, s);
    }
}

/// Where a slow PHP request waited, from PHP-FPM's slowlog backtrace in the
/// paste: the first frame printed (what it was doing: `curl_exec()`,
/// `PDOStatement->execute()`), and the first frame in the site's own code
/// when that is another (a plugin's file, not WordPress's or a vendor
/// library's). Adds them to `f` as evidence and reasoning, with a look at
/// that line of code. Nothing when the paste has no slowlog.
pub fn explain_slow_trace(ctx: &Ctx, f: &mut super::Finding) {
    let mut frames = ctx.groups(|s| matches!(s, Signal::FpmSlowFrame { .. }));
    frames.sort_by_key(|g| g.first_line);
    let frame = |g: &EventGroup| match &g.key.signal {
        Signal::FpmSlowFrame { function, at } => Some((function.clone(), at.clone())),
        _ => None,
    };
    let Some((inner, inner_at)) = frames.first().and_then(|g| frame(g)) else {
        return;
    };
    const LIBRARY: [&str; 6] = [
        "/wp-includes/",
        "/wp-admin/",
        "/vendor/",
        "/pear/",
        "/usr/share/php/",
        "/Requests/",
    ];
    let own = frames
        .iter()
        .skip(1)
        .filter_map(|g| Some((g, frame(g)?)))
        .find(|(_, (_, at))| !LIBRARY.iter().any(|l| at.contains(l)));
    for g in frames.iter().take(1) {
        if let Some(e) = g.evidence().next() {
            f.add_evidence(e.clone());
        }
    }
    match &own {
        Some((g, (function, at))) => {
            if let Some(e) = g.evidence().next() {
                f.add_evidence(e.clone());
            }
            f.reasoning.push(format!(
                "PHP-FPM's slow log shows the request waiting in `{inner}()` (called at {inner_at}), reached from the site's own code at {at} (`{function}()`): that call is what takes the time"
            ));
        }
        None => f.reasoning.push(format!(
            "PHP-FPM's slow log shows the request waiting in `{inner}()` (called at {inner_at})"
        )),
    }
    let at = own
        .as_ref()
        .map_or(inner_at.as_str(), |(_, (_, at))| at.as_str());
    if let Some((file, line)) = at.rsplit_once(':') {
        if let Ok(n) = line.parse::<u32>() {
            let what = match inner.as_str() {
                "curl_exec" | "curl_multi_exec" | "file_get_contents" | "fsockopen" | "stream_socket_client" => {
                    "an outgoing HTTP call: give it a short timeout (CURLOPT_TIMEOUT, the `timeout` of wp_remote_get) or move it to a background job"
                }
                f if f.contains("execute") || f.contains("query") || f.starts_with("mysqli") => {
                    "a database query: run it with EXPLAIN, add the index it lacks, or page the result"
                }
                "sleep" | "usleep" => "a deliberate wait in the code",
                _ => "the code the request spends its time in",
            };
            f.fixes.push(super::fixes::safe(
                format!("sed -n '{},{}p' {file}", n.saturating_sub(5).max(1), n + 5),
                format!("line {n} of {file}: {what}"),
            ));
        }
    }
}

/// The port of a bind refused for lack of privilege, when below 1024:
/// Node's `listen EACCES: permission denied 0.0.0.0:80`, Python's
/// `[Errno 13] error while attempting to bind on address ('0.0.0.0', 80)`.
pub fn privileged_port(msg: &str) -> Option<u16> {
    let lower = msg.to_ascii_lowercase();
    let denied = lower.contains("eacces")
        || lower.contains("errno 13")
        || lower.contains("permission denied");
    if !denied || !(lower.contains("listen") || lower.contains("bind")) {
        return None;
    }
    // The last number written as a port: after `:` or `, `.
    let b = msg.as_bytes();
    let mut port = None;
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let after_colon = start >= 1 && b[start - 1] == b':';
        let after_comma = start >= 2 && &b[start - 2..start] == b", ";
        if after_colon || after_comma {
            port = msg[start..i].parse::<u16>().ok();
        }
    }
    let port = port?;
    (port > 0 && port < 1024).then_some(port)
}

/// The loopback port nginx proxies to (the pasted config, else the
/// upstream of its refused connections), where the app should listen.
pub fn app_port(ctx: &Ctx) -> Option<u16> {
    ctx.passes()
        .iter()
        .filter_map(|p| p.upstream.as_ref())
        .chain(
            ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { .. }))
                .iter()
                .filter_map(|g| g.key.upstream.as_ref()),
        )
        .find(|u| u.addr.is_loopback())
        .and_then(|u| u.addr.port())
}

#[cfg(test)]
mod uri_tests {
    #[test]
    fn uri_part_of_a_pass() {
        assert_eq!(super::uri_part("http://127.0.0.1:3000/"), "/");
        assert_eq!(super::uri_part("http://api:3000/v1/"), "/v1/");
        assert_eq!(super::uri_part("http://127.0.0.1:3000"), "");
        assert_eq!(super::uri_part("http://unix:/run/app.sock:/"), "/");
        assert_eq!(super::uri_part("127.0.0.1:9000"), "");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn privileged_binds() {
        let p = privileged_port;
        assert_eq!(
            p("Error: listen EACCES: permission denied 0.0.0.0:80"),
            Some(80)
        );
        assert_eq!(p("ERROR:    [Errno 13] error while attempting to bind on address ('0.0.0.0', 443): permission denied"), Some(443));
        assert_eq!(
            p("Error: listen EACCES: permission denied /run/app.sock"),
            None
        );
        assert_eq!(
            p("Error: listen EADDRINUSE: address already in use :::80"),
            None
        );
        assert_eq!(
            p("Error: listen EACCES: permission denied 0.0.0.0:8080"),
            None
        );
    }

    #[test]
    fn file_and_line_of_an_error_message() {
        for (msg, want) in [
            ("ERROR: [/etc/php/8.2/fpm/pool.d/www.conf:23] value is NULL for a ZEND_INI_PARSER_ENTRY", Some(("/etc/php/8.2/fpm/pool.d/www.conf", 23))),
            ("nginx: [emerg] unknown directive \"proxy_pas\" in /etc/nginx/sites-enabled/shop:12", Some(("/etc/nginx/sites-enabled/shop", 12))),
            ("/etc/systemd/system/app.service:7: Unknown key name 'ExecStartt' in section 'Service', ignoring.", Some(("/etc/systemd/system/app.service", 7))),
            ("PHP Parse error:  syntax error, unexpected '}' in /var/www/html/index.php on line 23", Some(("/var/www/html/index.php", 23))),
            ("  File \"/srv/app/wsgi.py\", line 14, in <module>", Some(("/srv/app/wsgi.py", 14))),
            ("listening on 127.0.0.1:8000", None),
            ("GET /api/v1:2 HTTP/1.1", None),
            ("see http://example.com/a:80", None),
            ("[/etc/php/8.2/fpm/pool.d/www.conf:0]", None),
            ("in /etc/nginx/nginx.conf", None),
        ] {
            assert_eq!(file_line_in(msg), want, "{msg}");
        }
    }

    #[test]
    fn panel_layouts_from_socket_paths() {
        let aa = |v: &str| Some(PhpLayout::AaPanel { ver: v.into() });
        assert_eq!(layout_of_path("/tmp/php-cgi-82.sock", None), aa("82"));
        assert_eq!(
            layout_of_path("/www/server/php/74/etc/php-fpm.conf", None),
            aa("74")
        );
        assert_eq!(layout_of_path("/tmp/php-cgi-.sock", None), None);
        assert_eq!(layout_of_path("/tmp/php-cgi-x.sock", None), None);
        assert_eq!(
            layout_of_path("/opt/bitnami/php/var/run/www.sock", None),
            Some(PhpLayout::Bitnami)
        );
        assert_eq!(
            layout_of_path(
                "/var/www/vhosts/system/example.com/php-fpm.sock",
                Some("8.2")
            ),
            Some(PhpLayout::Plesk {
                ver: Some("8.2".into())
            })
        );
        assert_eq!(
            layout_of_path("/var/www/vhosts/system/example.com/php-fpm.sock", None),
            Some(PhpLayout::Plesk { ver: None })
        );
        assert_eq!(layout_of_path("/run/php/php8.2-fpm.sock", None), None);
    }

    fn top_commands(paste: &str) -> Vec<String> {
        let r = crate::analyze_str(paste);
        let c = &r.causes[0];
        c.fixes
            .iter()
            .map(|f| f.command.clone())
            .chain(c.verify.iter().cloned())
            .collect()
    }

    /// A panel's socket gives its pool file, FPM binary, log and service:
    /// no distro path and no placeholder.
    #[test]
    fn panel_fixes_name_the_panels_files() {
        let aapanel = top_commands("2024/11/26 23:10:44 [crit] 28817#0: *1554 connect() to unix:/tmp/php-cgi-82.sock failed (13: Permission denied) while connecting to upstream, client: 1.2.3.4, server: a.example.com, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-cgi-82.sock:\", host: \"a.example.com\"\n");
        let all = aapanel.join("\n");
        assert!(all.contains("/www/server/php/82/etc/php-fpm.conf"), "{all}");
        assert!(
            all.contains(
                "sudo /www/server/php/82/sbin/php-fpm -t && sudo systemctl restart php-fpm-82"
            ),
            "{all}"
        );
        assert!(all.contains("listen.owner = www/"), "{all}");
        for placeholder in ["{pool_file}", "{nginx_user}", "{php_version"] {
            assert!(!all.contains(placeholder), "{all}");
        }

        let bitnami = top_commands("2024/04/30 14:02:11 [error] 1122#0: *90133 connect() to unix:/opt/bitnami/php/var/run/www.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 66.249.1.1, server: www.example.com, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/opt/bitnami/php/var/run/www.sock:\", host: \"www.example.com\"\n[30-Apr-2024 14:01:58] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it\n").join("\n");
        assert!(
            bitnami.contains("/opt/bitnami/php/etc/php-fpm.d/www.conf"),
            "{bitnami}"
        );
        assert!(
            bitnami.contains("sudo /opt/bitnami/php/sbin/php-fpm -t"),
            "{bitnami}"
        );
        assert!(
            bitnami.contains("/opt/bitnami/php/logs/php-fpm.log"),
            "{bitnami}"
        );
        assert!(bitnami.contains("sudo /opt/bitnami/php/sbin/php-fpm -t && sudo /opt/bitnami/ctlscript.sh restart php-fpm"), "{bitnami}");
        assert!(!bitnami.contains("{php_version}"), "{bitnami}");

        let plesk = top_commands("# tail /var/log/plesk-php82-fpm/error.log\n[07-Feb-2024 11:02:13] WARNING: [pool example.com] server reached max_children setting (10), consider raising it\n2024/02/07 11:03:14 [error] 2212#0: *660112 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 94.1.1.20, server: example.com, request: \"GET / HTTP/2.0\", upstream: \"fastcgi://unix:/var/www/vhosts/system/example.com/php-fpm.sock:\", host: \"example.com\"\n").join("\n");
        assert!(plesk.contains("PHP Settings → pm.max_children"), "{plesk}");
        assert!(!plesk.contains("sed -i"), "{plesk}");
        assert!(
            plesk.contains(
                "sudo /opt/plesk/php/8.2/sbin/php-fpm -t && sudo systemctl reload plesk-php82-fpm"
            ),
            "{plesk}"
        );
        assert!(
            plesk.contains("/var/log/plesk-php82-fpm/error.log"),
            "{plesk}"
        );
    }

    #[test]
    fn nginx_durations() {
        assert_eq!(duration_secs("60"), Some(60));
        assert_eq!(duration_secs("60s"), Some(60));
        assert_eq!(duration_secs("5m"), Some(300));
        assert_eq!(duration_secs("1m30s"), Some(90));
        assert_eq!(duration_secs("1h"), Some(3600));
        assert_eq!(duration_secs("3x"), None);
    }

    #[test]
    fn block_sizes_decode_methods() {
        for (m, n) in [
            ("GET ", 21573u32),
            ("POST", 21327),
            ("PUT ", 21589),
            ("HEAD", 16709),
            ("PATCH", 21569),
            ("DELETE", 19525),
            ("OPTIONS", 21584),
        ] {
            let b = m.as_bytes();
            assert_eq!(u32::from(b[1]) | (u32::from(b[2]) << 8), n, "{m}");
            assert_eq!(http_method_of_block_size(n), Some(m.trim()));
        }
        assert_eq!(http_method_of_block_size(4097), None);
    }

    #[test]
    fn fpm_units() {
        assert_eq!(
            fpm_unit_from_comm("php-fpm8.1").as_deref(),
            Some("php8.1-fpm")
        );
        assert_eq!(fpm_unit_from_comm("php-fpm").as_deref(), Some("php-fpm"));
        assert_eq!(fpm_unit_from_comm("node"), None);
        assert_eq!(fpm_comm("php8.1-fpm"), "php-fpm8.1");
        assert_eq!(size_kb("16k"), Some(16));
        assert_eq!(size_kb("1m"), Some(1024));
        assert_eq!(size_kb("8192"), Some(8));
        assert_eq!(fpm_comm("php-fpm"), "php-fpm");
        assert_eq!(fpm_comm("php{php_version}-fpm"), "php-fpm");
    }
}
