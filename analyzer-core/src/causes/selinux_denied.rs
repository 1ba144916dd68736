//! `selinux_denied`: SELinux denies nginx the connection to its upstream.

use super::fixes::{next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "selinux_denied",
    family: "selinux_denied",
    title: "SELinux blocks nginx from connecting to the backend",
    docs: DOCS,
    signatures: &[
        "avc:  denied  { name_connect }",
        "failed (13: Permission denied) while connecting to upstream",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
On RHEL, Rocky, Alma, CentOS Stream, Fedora and Amazon Linux, SELinux runs
nginx in the `httpd_t` domain, which may not open network connections to
arbitrary ports (`httpd_can_network_connect` is off by default) or write to
sockets with a generic label.

## Why nginx answers 502 or 504
The kernel refuses the connect with errno 13 (Permission denied), so nginx
answers **502 Bad Gateway** at once.

## Evidence
- error.log: `connect() to 127.0.0.1:3000 failed (13: Permission denied) while connecting to upstream`
  (errno 13 on a TCP connect is practically always SELinux).
- `ausearch -m avc`: `avc:  denied  { name_connect } … comm="nginx" … tclass=tcp_socket permissive=0`,
  or `{ write }` on a `sock_file` / `{ connectto }` on a `unix_stream_socket`.
- `getenforce` prints `Enforcing`.

## Fix
TCP upstreams: `sudo setsebool -P httpd_can_network_connect 1`.
Unix sockets: label the socket directory `httpd_var_run_t`
(`semanage fcontext` + `restorecon`). Anything left: build a local policy
module from the denials with `audit2allow`. `setenforce 0` is only a test.

## Verify
`getsebool httpd_can_network_connect` prints `on`;
`sudo ausearch -m avc -ts recent -c nginx` prints `<no matches>`; a request
through nginx returns 200.

## Known problems
`permissive=1` denials are only logged and did not cause the 502. AppArmor
can rarely produce the same errno on Debian/Ubuntu.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let avcs: Vec<&EventGroup> = ctx.groups(|s| {
        matches!(
            s,
            Signal::AvcDenied {
                permissive: false,
                ..
            }
        )
    });
    let tcp13: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 13 }))
        .into_iter()
        .filter(|g| target(g).is_some_and(|a| a.socket_path().is_none()))
        .collect();
    let sock13: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 13 }))
        .into_iter()
        .filter(|g| target(g).is_some_and(|a| a.socket_path().is_some()))
        .collect();
    let enforcing = ctx
        .facts
        .selinux_mode
        .as_ref()
        .is_some_and(|(m, _)| m == "Enforcing");
    if avcs.is_empty() && tcp13.is_empty() {
        return vec![];
    }
    let mut all: Vec<&EventGroup> = avcs.clone();
    all.extend(tcp13.iter().copied());
    if !avcs.is_empty() {
        all.extend(sock13.iter().copied());
    }
    let mut f = Finding::from_groups(&all);
    f.status = Some(502);
    f.explains = vec!["socket_permission"];
    let name_connect = avcs.iter().any(
        |g| matches!(&g.key.signal, Signal::AvcDenied { tclass, .. } if tclass == "tcp_socket"),
    );
    // A unix socket's classes (`sock_file`, `unix_stream_socket`), not
    // `tcp_socket`, whose name also contains "sock".
    let socket_avc = avcs.iter().any(|g| {
        matches!(&g.key.signal, Signal::AvcDenied { tclass, .. }
            if tclass == "sock_file" || tclass.starts_with("unix_"))
    });
    f.confidence = match (avcs.is_empty(), tcp13.is_empty()) {
        (false, false) => 0.97,
        (false, true) => 0.88,
        (true, false) => 0.84,
        (true, true) => 0.0,
    };
    if enforcing {
        f.confidence += 0.04;
        if let Some((_, line)) = &ctx.facts.selinux_mode {
            f.add_evidence(crate::facts::EvidenceLine::new(*line, "Enforcing"));
        }
    }
    if !tcp13.is_empty() {
        let n: u64 = tcp13.iter().map(|g| g.count).sum();
        f.reasoning.push(format!(
            "{} of errno 13 on a TCP connect, which file permissions cannot cause",
            plural(n, "line", "lines")
        ));
    }
    if !avcs.is_empty() {
        f.reasoning
            .push("the audit log shows SELinux denials (permissive=0)".into());
    } else {
        f.next.push(next(
            "sudo ausearch -m avc -ts recent -c nginx",
            "the AVC denial names the exact permission and label to fix",
        ));
        if !enforcing {
            f.next
                .push(next("getenforce", "Enforcing confirms SELinux is active"));
        }
    }
    let port = tcp13.iter().find_map(|g| target(g)).and_then(|a| a.port());
    f.title = match port {
        Some(p) => format!("SELinux does not let nginx connect to port {p}"),
        None => "SELinux denies nginx access to the backend".into(),
    };
    f.summary = "SELinux runs nginx as `httpd_t`, which may not connect to this upstream; the kernel refuses the connect with \
                 errno 13 and nginx answers 502. Allow it with the SELinux boolean or a label, not by disabling SELinux."
        .into();
    if !tcp13.is_empty() || name_connect {
        f.fixes.push(review(
            "sudo setsebool -P httpd_can_network_connect 1",
            "let nginx (httpd_t) open TCP connections to its upstreams, persistently",
        ));
    }
    if socket_avc || (!avcs.is_empty() && !sock13.is_empty()) {
        // The socket nginx failed on, else the one the config passes to;
        // without either, the policy module below covers it.
        let socket = sock13
            .iter()
            .find_map(|g| target(g))
            .and_then(|a| a.socket_path().map(str::to_string))
            .or_else(|| {
                ctx.passes().iter().find_map(|p| {
                    let u = p.upstream.as_ref()?;
                    u.addr.socket_path().map(str::to_string)
                })
            });
        let dir = socket.and_then(|p| p.rsplit_once('/').map(|(d, _)| d.to_string()));
        if let Some(dir) = dir.filter(|d| !d.is_empty()) {
            f.fixes.push(review(format!("sudo semanage fcontext -a -t httpd_var_run_t '{dir}(/.*)?' && sudo restorecon -Rv {dir}"), "label the socket directory so httpd_t may use it"));
        }
    }
    f.fixes.push(review(
        "sudo ausearch -m avc -c nginx --raw | audit2allow -M nginx_local && sudo semodule -i nginx_local.pp",
        "for any denial left: a local policy module built from the exact denials (read nginx_local.te first)",
    ));
    f.fixes.push(safe("sudo setenforce 0; curl -sS -o /dev/null -w '%{http_code}\\n' http://127.0.0.1/; sudo setenforce 1", "test only: a 502 that vanishes in permissive mode confirms SELinux; never leave it off"));
    f.verify.push(
        "getsebool httpd_can_network_connect   # expect: httpd_can_network_connect --> on".into(),
    );
    f.verify
        .push("sudo ausearch -m avc -ts recent -c nginx   # expect: <no matches>".into());
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    vec![f]
}

fn target(g: &EventGroup) -> Option<Address> {
    g.key
        .upstream
        .as_ref()
        .map(|u| u.addr.clone())
        .or_else(|| g.key.server.as_deref().and_then(Address::parse))
}
