//! `socket_permission`: nginx's worker user may not connect to the unix socket.

use super::ctx::{same_path, Manager};
use super::fixes::{disruptive, next, review};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{Address, Distro, EventGroup, EvidenceLine, PathEntry, Signal};

pub static RULE: Rule = Rule {
    id: "socket_permission",
    family: "socket_permission",
    title: "nginx may not open the backend's unix socket (permission denied)",
    docs: DOCS,
    signatures: &["failed (13: Permission denied) while connecting to upstream"],
    check,
};

const DOCS: &str = r#"
## What it means
Connecting to a unix socket needs write permission on the socket file for
nginx's worker user, and search (x) permission on every directory above it.
The socket belongs to another user or group (PHP-FPM's `listen.owner`,
`listen.group`, `listen.mode`; gunicorn's or uWSGI's umask), or it sits in
a home directory nginx cannot traverse.

## Why nginx answers 502 or 504
The connect fails with errno 13 at once, so nginx answers **502 Bad Gateway**.

## Evidence
- error.log at `[crit]`: `connect() to unix:/run/php/php8.1-fpm.sock failed (13: Permission denied) while connecting to upstream`.
- `ls -la <socket>` shows an owner/group/mode that excludes nginx's `user`.
- The pool file lacks `listen.owner`/`listen.group` for nginx's user
  (classic mix: nginx.org's package runs as `nginx`, Debian's PHP-FPM makes
  the socket `www-data:www-data 0660`).

## Fix
Make the pool create the socket for nginx's user (`listen.owner`,
`listen.group` = nginx's user, `listen.mode = 0660`; on RHEL add it to
`listen.acl_users`), test with `php-fpm -t` and **restart** PHP-FPM so the
socket is re-created. For gunicorn/uWSGI set the socket's group to nginx's
group. `chmod 777` or `listen.mode = 0666` are not fixes.

## Verify
`ls -la <socket>` shows the new owner/group; `sudo -u <nginx user> test -w <socket> && echo writable`;
a request through nginx returns 200.

## Known problems
On RHEL-family systems errno 13 may be SELinux instead: check `ausearch -m avc`
before changing modes (the `selinux_denied` cause wins when an AVC denial is pasted).
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx
        .nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 13 }))
        .into_iter()
        .filter(|g| socket_of(g).is_some())
        .collect();
    if groups.is_empty() {
        return vec![];
    }
    let path = socket_of(groups[0]).expect("filtered");
    let up = groups[0].key.upstream.clone();
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.confidence = 0.8;
    f.reasoning.push(format!(
        "{} of `connect() to unix:{path} failed (13: Permission denied)`",
        plural(f.events, "line", "lines")
    ));
    let (nginx_user, user_known) = ctx.nginx_user();
    let assumed = (!user_known).then(|| ctx.assumed_nginx_user()).flatten();
    if let Some((user, why)) = assumed {
        f.reasoning.push(format!(
            "no `user` directive or `ps` line says who nginx runs as: assumed `{user}`, as {why}"
        ));
    }
    if let Some(u) = &ctx.facts.nginx_user {
        f.add_evidence(EvidenceLine::marked(
            u.line,
            &format!("user {};", u.user),
            &u.user,
        ));
    }
    let entry: Option<&PathEntry> = ctx
        .facts
        .paths
        .iter()
        .rev()
        .find(|e| same_path(&e.path, &path));
    // The user to judge modes by: the pasted one, else the distro's default.
    let judged = (!nginx_user.starts_with('{')).then_some(nginx_user.as_str());
    let socket_ok = entry.is_some_and(|e| judged.is_some_and(|u| allows(e, u)));
    // A directory above the socket that the user may not pass through
    // (`drwxr-x--- sammy sammy` for /home/sammy): the socket's own mode
    // does not matter then.
    let blocking = ctx
        .facts
        .paths
        .iter()
        .filter(|d| d.file_type == 'd' && is_ancestor(&d.path, &path))
        .find(|d| !traverses(d, judged));
    if let Some(d) = blocking {
        f.confidence += 0.12;
        let who = judged.map_or("nginx's user".to_string(), |u| format!("`{u}`"));
        f.reasoning.push(format!(
            "the directory {} is {} {}:{}: {who} may not pass through it to reach the socket",
            d.path,
            perms(d),
            d.owner,
            d.group
        ));
        f.add_evidence(EvidenceLine::marked(
            d.line,
            &format!("{} {} {} {}", perms(d), d.owner, d.group, d.path),
            &perms(d),
        ));
    }
    if let Some(e) = entry {
        let mode = format!("{:04o}", e.mode);
        let denies = user_known && !allows(e, &nginx_user);
        if denies {
            f.confidence += 0.12;
            f.reasoning.push(format!(
                "the socket is {}:{} mode {mode}, which does not let `{nginx_user}` write",
                e.owner, e.group
            ));
        }
        f.add_evidence(EvidenceLine::marked(
            e.line,
            &format!("{} {} {} {}", perms(e), e.owner, e.group, e.path),
            &e.owner,
        ));
    } else {
        f.next.push(next(
            format!("ls -la {path}"),
            "shows the socket's owner, group and mode to compare with nginx's user",
        ));
    }
    if !user_known {
        f.next.push(next(
            // BSD and macOS `ps` know no -C.
            if super::common::on_linux(ctx) {
                "ps -o user=,cmd= -C nginx"
            } else {
                "ps -ax -o user=,command= | grep '[n]ginx: worker'"
            },
            "shows which user nginx's workers run as",
        ));
    }
    if ctx.distro() == Distro::Rhel && ctx.facts.selinux_mode.is_none() {
        f.next.push(next(
            "sudo ausearch -m avc -ts recent -c nginx",
            "on RHEL-family systems errno 13 can be SELinux; an AVC denial would change the fix",
        ));
    }
    let svc = ctx.service_for(up.as_ref());
    let is_fpm = svc.name.contains("php") || path.contains("php");
    let as_user = match judged {
        Some(u) if assumed.is_some() => format!(" (user {u}, assumed)"),
        Some(u) => format!(" (user {u})"),
        None => String::new(),
    };
    if let Some(d) = blocking {
        f.title = format!(
            "nginx{as_user} may not pass through {} to reach {path}",
            d.path
        );
        f.summary = format!(
            "Reaching the socket {path} needs search (x) permission on every directory above it, and {} ({} {}:{}) \
             does not give it to nginx's workers{as_user}. The connect fails with errno 13 and nginx answers 502.",
            d.path,
            perms(d),
            d.owner,
            d.group
        );
        f.fixes.push(review(
            format!("sudo chmod o+x {}", d.path),
            "let others pass through the directory (x only: they still cannot list it)",
        ));
    } else if let Some(e) = entry.filter(|_| user_known && !socket_ok) {
        f.title = format!("nginx{as_user} may not connect to {path}");
        f.summary = format!(
            "nginx's workers{as_user} need write access to the socket {path}, and it is {} {}:{}, which does not allow it. \
             The connect fails with errno 13 and nginx answers 502.",
            perms(e),
            e.owner,
            e.group
        );
    } else {
        f.title = format!("nginx{as_user} may not connect to {path}");
        f.summary = format!(
            "nginx's workers{as_user} need write access to the socket {path} and search access to every directory above it; \
             one of them does not allow it. The connect fails with errno 13 and nginx answers 502."
        );
    }
    // A pasted uWSGI ini that creates this socket: its mode and group.
    let uwsgi = ctx
        .uwsgi_listening_on(&Address::Unix { path: path.clone() })
        .map(|m| m.0);
    if let Some(ini) = uwsgi {
        let mode = ini.get("chmod-socket");
        let group_writes = mode.is_some_and(|m| {
            // `chmod-socket` alone means 666.
            m.is_empty()
                || m.len() >= 2 && matches!(m.as_bytes()[m.len() - 2], b'2' | b'3' | b'6' | b'7')
        });
        if let Some(line) = ini.line_of("chmod-socket").filter(|_| !group_writes) {
            f.confidence += 0.08;
            f.reasoning.push(format!(
                "the uWSGI ini sets `chmod-socket = {}` (line {line}): the socket's group may not write",
                mode.unwrap_or_default()
            ));
            f.add_evidence(EvidenceLine::marked(
                line,
                &format!("chmod-socket = {}", mode.unwrap_or_default()),
                "chmod-socket",
            ));
        }
        if let Some((gid, line)) = ini.keys.get("gid") {
            if user_known && gid != &nginx_user {
                f.reasoning.push(format!(
                    "uWSGI runs with `gid = {gid}` (line {line}), so the socket's group is `{gid}`, not nginx's `{nginx_user}`"
                ));
                f.add_evidence(EvidenceLine::marked(*line, &format!("gid = {gid}"), "gid"));
            }
        }
    }
    let acl_route = is_fpm && (ctx.distro() == Distro::Rhel || entry.is_some_and(|e| e.acl));
    let mut joined_group: Option<String> = None;
    if under_home(&path) {
        f.fixes.push(review(
            "# move the socket out of the home directory, e.g. /run/<service>/<service>.sock (systemd: RuntimeDirectory=<service>)",
            "nginx cannot traverse /home/<user> (mode 0700/0750); /run/<service>/ is the usual place",
        ));
        let home = path.split('/').take(3).collect::<Vec<_>>().join("/");
        if blocking.is_none() {
            f.fixes.push(review(
                format!("sudo chmod o+x {home}"),
                "or allow traversal only (x, not read) of the home directory",
            ));
        }
    }
    if path.starts_with("/opt/cpanel/") {
        // cPanel writes these pools itself: an edit is lost at its next rebuild.
        f.fixes.push(review(
            "sudo /scripts/php_fpm_config --rebuild",
            "cPanel generates the PHP-FPM pools (and their socket owner and mode): have it write them again instead of editing them",
        ));
        f.fixes.push(disruptive(
            "sudo /scripts/restartsrv_apache_php_fpm",
            "restart PHP-FPM so the sockets are re-created with the owner and mode cPanel sets",
        ));
    } else if is_fpm {
        let pool_file = pool_file(ctx, &path);
        let fpm_test = if super::common::php_layout(ctx).is_some() {
            super::common::fpm_test(ctx, &svc.name)
        } else {
            fpm_test_cmd(&svc.name)
        };
        if acl_route {
            // The pasted list (or RHEL's stock one) with nginx's user added once.
            let mut users: Vec<&str> = ctx
                .pool_listening_on(&Address::Unix { path: path.clone() })
                .and_then(|p| p.get("listen.acl_users"))
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|u| !u.is_empty())
                        .collect()
                })
                .unwrap_or_else(|| vec!["apache", "nginx"]);
            if !users.contains(&nginx_user.as_str()) {
                users.push(&nginx_user);
            }
            f.fixes.push(review(
                format!("sudo sed -i -E 's/^;?\\s*listen\\.acl_users\\s*=.*/listen.acl_users = {}/' {pool_file}", users.join(",")),
                "RHEL-family pools grant socket access by ACL; add nginx's user to the list",
            ));
        } else {
            f.fixes.push(review(
                format!(
                    "sudo sed -i -E -e 's/^;?\\s*listen\\.owner\\s*=.*/listen.owner = {nginx_user}/' -e 's/^;?\\s*listen\\.group\\s*=.*/listen.group = {nginx_user}/' -e 's/^;?\\s*listen\\.mode\\s*=.*/listen.mode = 0660/' {pool_file}"
                ),
                "make PHP-FPM create the socket owned by nginx's user",
            ));
        }
        f.fixes.push(disruptive(
            format!("{fpm_test} && {}", svc.restart()),
            "check the pool, then restart (not reload) so the socket is re-created with the new owner",
        ));
    } else if let Some(ini) = uwsgi.filter(|_| !socket_ok) {
        // uWSGI creates the socket as its uid:gid with chmod-socket's mode:
        // give it nginx's group and group write.
        let file = ini.file.as_deref().unwrap_or("the uWSGI ini file");
        let group = nginx_user.as_str();
        f.fixes.push(review(
            format!("# in {file} ([uwsgi] section):
chmod-socket = 660
gid = {group}"),
            format!(
                "uWSGI makes the socket group-writable and owned by group `{group}`, nginx's user{}",
                if ini.get("uid").is_some() {
                    "; `uid` stays the app's user"
                } else {
                    ""
                }
            ),
        ));
        f.fixes.push(disruptive(
            super::common::uwsgi_restart(&svc),
            "restart uWSGI so the socket is re-created with the new group and mode",
        ));
    } else if !socket_ok {
        let group = entry
            .map(|e| e.group.clone())
            .unwrap_or_else(|| "{socket_group}".into());
        joined_group = entry.map(|e| e.group.clone());
        f.fixes.push(review(
            format!("sudo usermod -aG {group} {nginx_user} && sudo systemctl restart nginx"),
            "let nginx's user into the socket's group (the socket must be group-writable: gunicorn --umask 007, uWSGI chmod-socket = 660)",
        ));
        if svc.manager == Manager::Systemd {
            f.fixes.push(disruptive(
                svc.restart(),
                "re-create the socket with the new mode",
            ));
        }
    }
    f.verify.push(if blocking.is_some() {
        format!("namei -l {path}   # expect x for others (or nginx's group) on every directory")
    } else if let Some(group) = joined_group {
        // The socket keeps its owner: nginx's user joins its group.
        format!("id -nG {nginx_user}   # expect {group} among the groups")
    } else if acl_route {
        format!("getfacl {path}   # expect a line user:{nginx_user}:rw-")
    } else {
        format!("ls -la {path}   # expect owner or group {nginx_user}, mode srw-rw----")
    });
    f.verify.push(format!(
        "sudo -u {nginx_user} test -w {path} && echo writable   # expect: writable"
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    vec![f]
}

fn socket_of(g: &EventGroup) -> Option<String> {
    if let Some(p) = g.key.upstream.as_ref().and_then(|u| u.addr.socket_path()) {
        return Some(p.to_string());
    }
    g.key
        .server
        .as_deref()
        .and_then(Address::parse)
        .and_then(|a| a.socket_path().map(str::to_string))
}

/// Would `user` be allowed to write the socket? Group membership is unknown,
/// so a user whose name equals the group counts as a member.
pub fn allows(e: &PathEntry, user: &str) -> bool {
    let m = e.mode;
    if e.owner == user && m & 0o200 != 0 {
        return true;
    }
    if e.group == user && m & 0o020 != 0 {
        return true;
    }
    if e.acl_users.iter().any(|u| u == user) {
        return true;
    }
    m & 0o002 != 0 || user == "root"
}

fn perms(e: &PathEntry) -> String {
    let mut s = String::new();
    s.push(e.file_type);
    for shift in [6, 3, 0] {
        let b = (e.mode >> shift) & 7;
        s.push(if b & 4 != 0 { 'r' } else { '-' });
        s.push(if b & 2 != 0 { 'w' } else { '-' });
        s.push(if b & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// Is directory `dir` above `path`?
fn is_ancestor(dir: &str, path: &str) -> bool {
    let d = dir.trim_end_matches('/');
    d.is_empty()
        || path
            .strip_prefix(d)
            .is_some_and(|r| r.starts_with('/') && r.len() > 1)
}

/// May `user` search (x) directory `d`? Group membership is unknown: a user
/// whose name is the group counts as a member. With no user known, only
/// the bits for others count, and a directory of a web server's user or
/// group is taken as passable.
fn traverses(d: &PathEntry, user: Option<&str>) -> bool {
    let m = d.mode;
    if m & 0o001 != 0 {
        return true;
    }
    match user {
        Some("root") => true,
        Some(u) => (d.owner == u && m & 0o100 != 0) || (d.group == u && m & 0o010 != 0),
        None => [&d.owner, &d.group]
            .iter()
            .any(|x| WEB_USERS.contains(&x.as_str())),
    }
}

/// Users nginx's workers commonly run as.
const WEB_USERS: &[&str] = &["www-data", "nginx", "http", "apache", "nobody"];

fn under_home(p: &str) -> bool {
    p.starts_with("/home/") || p.starts_with("/root/")
}

pub fn pool_file(ctx: &Ctx, socket: &str) -> String {
    if let Some(p) = ctx
        .pool_listening_on(&Address::Unix {
            path: socket.to_string(),
        })
        .and_then(|p| p.file.clone())
    {
        return p;
    }
    if let Some(f) = ctx.facts.pools.iter().find_map(|p| p.file.clone()) {
        return f;
    }
    // A panel's or stack's own layout (aaPanel, Bitnami, Plesk): Plesk's
    // pool is named after the domain of its socket's directory.
    if super::common::php_layout(ctx).is_some() {
        let pool = socket
            .strip_prefix("/var/www/vhosts/system/")
            .and_then(|r| r.split('/').next())
            .unwrap_or("www");
        return super::common::pool_file(ctx, pool, "").0;
    }
    if let Some(v) = super::ctx::php_version_in(socket) {
        return format!("/etc/php/{v}/fpm/pool.d/www.conf");
    }
    match ctx.distro() {
        Distro::Rhel => "/etc/php-fpm.d/www.conf".into(),
        _ => "{pool_file}".into(),
    }
}

pub fn fpm_test_cmd(service: &str) -> String {
    if let Some(t) = super::common::cpanel_fpm_test(service) {
        return t;
    }
    match super::ctx::php_version_in(service) {
        Some(v) if !service.contains("-php-") => format!("sudo php-fpm{v} -t"),
        _ => "sudo php-fpm -t".into(),
    }
}

#[cfg(test)]
mod tests {
    /// The fix adds nginx's user to the socket's group: the socket keeps
    /// its owner, so the check is the user's groups, not the socket's.
    #[test]
    fn group_route_verifies_membership() {
        let r = crate::analyze_str("2024/07/09 22:10:31 [crit] 1190#1190: *5 connect() to unix:/run/flaskapp/flaskapp.sock failed (13: Permission denied) while connecting to upstream, client: 24.1.1.160, server: flask.example.net, request: \"GET / HTTP/1.1\", upstream: \"http://unix:/run/flaskapp/flaskapp.sock:/\", host: \"flask.example.net\"\nuser nginx;\n$ ls -la /run/flaskapp/\nsrwxrwx---  1 deploy deploy   0 Jul  9 22:09 flaskapp.sock\n");
        let c = &r.causes[0];
        assert_eq!(c.id, "socket_permission");
        assert!(c
            .fixes
            .iter()
            .any(|f| f.command.starts_with("sudo usermod -aG deploy nginx")));
        assert_eq!(
            c.verify[0],
            "id -nG nginx   # expect deploy among the groups"
        );
    }
}
