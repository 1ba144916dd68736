//! `upstream_reset`: the backend answered with a TCP reset (104).

use super::common::{nc_target, partner_names, upstream_of};
use super::fixes::{next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Action, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "upstream_reset",
    family: "upstream_reset",
    title: "The backend reset the connection",
    docs: DOCS,
    signatures: &[
        "recv() failed (104: Connection reset by peer)",
        "readv() failed (104: Connection reset by peer)",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
The backend (or something between nginx and it) answered with a TCP reset
(errno 104) instead of a response. A reset rather than a clean close comes
from a process that dies with the connection open (crash, OOM kill), one
that closes a socket with unread request bytes, a peer that does not speak
the protocol nginx sent (HTTP to a TLS or HTTP/2-only port), a firewall or
container proxy killing the flow, or PHP-FPM refusing a client not in
`listen.allowed_clients`.

## Why nginx answers 502 or 504
No response can be read from a reset connection: **502 Bad Gateway**.

## Evidence
- `recv() failed (104: Connection reset by peer) while reading response header from upstream`.
- `readv() failed (104: …) while reading upstream` (mid-body: a truncated response).
- `connect() to 10.0.3.15:8080 failed (104: …) while connecting to upstream`
  (a full accept queue with `tcp_abort_on_overflow`, or a firewall sending resets).
- the backend's own crash at the same time, when it is Apache (`AH00052: child pid
  2345 exit signal Segmentation fault (11)`) or another program the kernel logs a
  `segfault` for: a module or extension of the backend crashed its worker.

## Fix
Follow the partner cause when the paste has one (a segfault, an OOM kill, a
watchdog kill: they rank above this one). Without a partner, find which side
sends the reset: `sudo tcpdump -ni any 'tcp port <port> and (tcp[tcpflags] & tcp-rst != 0)'`
while reproducing, and read the backend's log for the same second.

## Verify
No new `(104: Connection reset by peer)` lines for this upstream under the same traffic.

## Known problems
Resets while reading the **client** request or sending to the client are
the browser's side and are not mapped. `writev()`/`sendfile()` resets while
*sending the request* are reported as `upstream_write_failed`. A reset on a
published Docker port when the app listens on 127.0.0.1 inside its container
is `container_loopback`.
"#;

fn is_reset(g: &EventGroup) -> bool {
    let sig_ok = match &g.key.signal {
        Signal::IoFailed { call, errno: 104 } => {
            matches!(call.as_str(), "recv" | "readv" | "SSL_read" | "read")
        }
        Signal::ConnectFailed { errno: 104 } => true,
        _ => false,
    };
    sig_ok
        && !matches!(
            g.key.action,
            Some(Action::ClientSide | Action::Upgraded) | Some(Action::SendingRequest)
        )
        && (g.key.upstream.is_some()
            || g.key.server.is_some()
            || g.key.action.is_some_and(|a| a != Action::Other))
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|_| true)
        .into_iter()
        .filter(|g| is_reset(g))
        .collect();
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let up = upstream_of(&groups);
    let target = up
        .as_ref()
        .map(|u| u.addr.display())
        .unwrap_or_else(|| "the backend".into());
    let svc = ctx.service_for(up.as_ref());
    let connecting: u64 = groups
        .iter()
        .filter(|g| matches!(g.key.signal, Signal::ConnectFailed { .. }))
        .map(|g| g.count)
        .sum();
    // FPM's listen.allowed_clients only matters when nginx connects from another address.
    let fastcgi_tcp = up.as_ref().is_some_and(|u| {
        u.scheme == "fastcgi" && u.addr.socket_path().is_none() && !u.addr.is_loopback()
    });
    let https = up.as_ref().is_some_and(|u| u.scheme == "https");
    let windows = ctx.host_os() == super::ctx::HostOs::Windows;
    f.confidence = 0.68;
    f.reasoning.push(format!(
        "{} of `{}` from {target}",
        plural(f.events, "line", "lines"),
        if windows {
            "(10054: An existing connection was forcibly closed by the remote host)"
        } else {
            "(104: Connection reset by peer)"
        }
    ));
    let partners = partner_names(ctx);
    let refused_client = !ctx
        .groups(|s| matches!(s, Signal::FpmClientDropped { .. }))
        .is_empty();
    if refused_client {
        // Said below, with the address.
    } else if partners.is_empty() {
        f.reasoning.push("no backend-side partner (crash, OOM kill, watchdog kill, protocol mismatch) is in the paste".into());
    } else {
        f.reasoning.push(format!(
            "the paste also has the backend-side reason: {}",
            partners.join(", ")
        ));
    }
    f.title = if connecting * 2 > f.events {
        format!("{target} resets new connections")
    } else {
        format!("{target} reset the connection instead of answering")
    };
    f.summary = if connecting * 2 > f.events {
        format!(
            "Connections to {target} are reset while being set up: the backend's accept queue overflows \
             (`net.ipv4.tcp_abort_on_overflow=1`) or a firewall answers with resets. nginx answers 502."
        )
    } else {
        format!(
            "{target} answered with a TCP reset instead of a response, so nginx answered 502. A reset means the backend process \
             died with the connection open (crash, OOM kill), rejected the client, or does not speak the protocol nginx sent."
        )
    };
    let port = up.as_ref().and_then(|u| u.effective_port());
    if windows {
        windows_fixes(&mut f, up.as_ref(), port);
    } else {
        f.fixes.push(safe(
            super::common::backend_log_cmd(ctx, &svc),
            "the backend's log at the time of the reset (a crash, a kill, a rejected client)",
        ));
    }
    if let Some(crash) = super::common::worker_crash(ctx) {
        super::common::crash_explain(ctx, &mut f, crash);
    }
    super::common::body_limit_hint(ctx, &groups, &mut f);
    let linux = super::common::on_linux(ctx);
    if linux {
        f.fixes.push(safe(
            "sudo dmesg -T | grep -iE 'killed process|out of memory|segfault' | tail -n 20",
            "a kernel OOM kill or a segfault explains a reset",
        ));
    }
    if fastcgi_tcp {
        let host = up.as_ref().and_then(|u| u.addr.host()).unwrap_or("");
        let allowed = ctx
            .facts
            .pools
            .iter()
            .find_map(|p| p.get("listen.allowed_clients").map(str::to_string));
        // FPM's `Connection disallowed: IP address '…' has been dropped` names nginx's address.
        let dropped = ctx.groups(|s| matches!(s, Signal::FpmClientDropped { .. }));
        let nginx_ip = dropped.iter().find_map(|g| match &g.key.signal {
            Signal::FpmClientDropped { ip } => Some(ip.clone()),
            _ => None,
        });
        if let Some(ip) = &nginx_ip {
            f.confidence = f.confidence.max(0.9);
            f.reasoning.push(format!(
                "PHP-FPM dropped nginx's connections from {ip}: that address is not in the pool's `listen.allowed_clients`"
            ));
            for g in &dropped {
                if let Some(e) = g.evidence().next() {
                    f.add_evidence(e.clone());
                }
            }
            f.title = format!("PHP-FPM refuses nginx's address {ip} (listen.allowed_clients)");
        }
        f.fixes.push(review(
            format!(
                "# PHP-FPM pool file: allow nginx's address{}\nlisten.allowed_clients = 127.0.0.1,{}",
                allowed.map(|a| format!(" (now: {a})")).unwrap_or_default(),
                nginx_ip.as_deref().unwrap_or("{nginx_ip}")
            ),
            match &nginx_ip {
                // A container's address changes when it is recreated.
                Some(_) if ctx.facts.nginx_in_container => "or remove the line: only Docker's network reaches the container's port, and nginx's container gets a new address when it is recreated".to_string(),
                _ => format!("FPM resets connections from clients not listed; nginx reaches it over TCP at {host}"),
            },
        ));
    }
    if https {
        f.fixes.push(safe(
            format!(
                "openssl s_client -connect {} </dev/null 2>&1 | head -5",
                up.as_ref()
                    .and_then(|u| nc_target(&u.addr))
                    .map(|t| t.replace(' ', ":"))
                    .unwrap_or_else(|| "{host}:{port}".into())
            ),
            "a reset during or right after the handshake points at TLS settings on the backend",
        ));
    }
    if linux {
        f.fixes.push(safe(
            format!("sudo tcpdump -ni any 'tcp port {} and (tcp[tcpflags] & tcp-rst != 0)' -c 20", port.map(|p| p.to_string()).unwrap_or_else(|| "{port}".into())),
            "while reproducing: shows which side sends the reset (the backend, or a firewall in between)",
        ));
    }
    if connecting * 2 > f.events && linux {
        f.fixes.push(safe(
            "sysctl net.ipv4.tcp_abort_on_overflow net.core.somaxconn",
            "1 means a full accept queue answers with resets: the backend is saturated",
        ));
    }
    f.verify.push(super::common::watch_log(
        ctx,
        // Windows words it `(10054: An existing connection was forcibly closed …)`.
        if ctx.host_os() == super::ctx::HostOs::Windows {
            "10054"
        } else {
            "reset by peer"
        },
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if partners.is_empty() && linux {
        if !svc.known {
            f.next.push(next(
                "systemctl list-units --type=service --state=running | grep -viE 'systemd|ssh|cron|dbus'",
                "names the backend's unit so the log command can use it",
            ));
        }
        f.next.push(next(
            "sudo dmesg -T | tail -n 50",
            "shows OOM kills and segfaults",
        ));
    }
    vec![f]
}

/// nginx on Windows: who listens on the port and since when, the crash
/// reports Windows keeps (Event Viewer's Application log), and php-cgi's
/// habit of exiting after 500 requests. No systemctl, dmesg or tcpdump there.
fn windows_fixes(f: &mut Finding, up: Option<&crate::facts::Upstream>, port: Option<u16>) {
    let port = port.map_or("{port}".to_string(), |p| p.to_string());
    f.fixes.push(safe(
        format!("Get-Process -Id (Get-NetTCPConnection -LocalPort {port} -State Listen).OwningProcess | Format-List Id,ProcessName,Path,StartTime   # PowerShell; or: netstat -ano | findstr :{port}"),
        "the process that listens on the backend's port, and since when: a StartTime after the resets means it died and was started again",
    ));
    f.fixes.push(safe(
        "Get-WinEvent -FilterHashtable @{LogName='Application'; Level=2; StartTime=(Get-Date).AddHours(-6)} -MaxEvents 20 | Format-List TimeCreated,ProviderName,Message   # PowerShell (Event Viewer > Windows Logs > Application)",
        "a backend crash at the time of the resets is recorded here (Application Error, .NET Runtime, IIS AspNetCore Module)",
    ));
    if up.is_some_and(|u| u.scheme == "fastcgi") {
        f.fixes.push(review(
            super::common::php_cgi_start(&port),
            "php-cgi.exe exits after 500 requests by default (PHP_FCGI_MAX_REQUESTS), resetting what it was serving, and nothing on Windows starts it again",
        ));
    } else {
        f.fixes.push(safe(
            "# the backend's own log at that time: the console it runs in, its log file, or for IIS/ASP.NET Core the stdout log (stdoutLogEnabled in web.config)",
            "what the backend says about the request it dropped",
        ));
    }
}
