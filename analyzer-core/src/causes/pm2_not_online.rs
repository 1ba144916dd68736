//! `pm2_not_online`: the pm2 app behind nginx is `errored` or `stopped`.

use super::fixes::{disruptive, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, Signal};

pub static RULE: Rule = Rule {
    id: "pm2_not_online",
    family: "upstream_down",
    title: "The Node.js app is not online in pm2",
    docs: DOCS,
    signatures: &["errored", "had too many unstable restarts"],
    check,
};

const DOCS: &str = r#"
## What it means
pm2 runs the Node.js app and shows it `errored` (it gave up after too many
unstable restarts), `stopped`, or `online` with a restart count that keeps
climbing (a crash loop). The real error is in the app's own log.

## Why nginx answers 502 or 504
Nothing listens on the app's port while it is down, so nginx's connect is
refused (111) and it answers **502 Bad Gateway**.

## Evidence
- `pm2 list`: the app row shows `errored` or `stopped`, or a large `↺`.
- `pm2 logs`: `Script … had too many unstable restarts (16). Stopped. "errored"`,
  and the crash itself (`EADDRINUSE`, a missing module, a syntax error).
- error.log: `connect() failed (111: Connection refused)` for the app's port.

## Fix
Read `pm2 logs <app> --lines 100 --err`, fix what it says, then
`pm2 restart <app>`, `pm2 save`, and `pm2 startup systemd` so it comes back
after a reboot. An empty `pm2 list` may mean the app runs under another
user's pm2 (`sudo -u deploy pm2 list`).

## Verify
`pm2 list` shows `online` with `↺` not increasing over a minute; the app's
port answers `curl`.

## Known problems
A stopped app that nginx does not use (a worker, a cron process) is shown
with lower confidence when no nginx error points at the app's port.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let down: Vec<_> = ctx
        .facts
        .pm2
        .iter()
        .filter(|a| a.status != "online")
        .collect();
    let unstable: Vec<&EventGroup> =
        ctx.groups(|s| matches!(s, Signal::Pm2UnstableRestarts { .. }));
    let looping: Vec<_> = ctx
        .facts
        .pm2
        .iter()
        .filter(|a| a.status == "online" && a.restarts.unwrap_or(0) >= 10)
        .collect();
    if down.is_empty() && unstable.is_empty() && looping.is_empty() {
        return vec![];
    }
    let refused: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 }));
    // pm2's own `App [api:0] exited with code [1]` lines: the crashes.
    let troubled = |name: &str| {
        down.iter().chain(looping.iter()).any(|a| a.name == name)
            || unstable.iter().any(
                |g| matches!(&g.key.signal, Signal::Pm2UnstableRestarts { app } if app == name),
            )
    };
    let exits: Vec<&EventGroup> =
        ctx.groups(|s| matches!(s, Signal::Pm2Exited { app, .. } if troubled(app)));
    let mut groups = unstable.clone();
    groups.extend(refused.iter().copied());
    groups.extend(exits.iter().copied());
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.explains = vec!["upstream_down"];
    let app_name = down
        .first()
        .map(|a| a.name.clone())
        .or_else(|| {
            unstable.iter().find_map(|g| match &g.key.signal {
                Signal::Pm2UnstableRestarts { app } => Some(app.clone()),
                _ => None,
            })
        })
        .or_else(|| looping.first().map(|a| a.name.clone()))
        .unwrap_or_else(|| "{app}".into());
    // `pm2 list` cuts long names (`shop-api-producti…`); pm2 takes the
    // app's id in their place.
    let app_ref = if app_name.ends_with('…') {
        down.iter()
            .chain(looping.iter())
            .find(|a| a.name == app_name)
            .and_then(|a| a.id)
            .map_or_else(|| "{app}".to_string(), |id| id.to_string())
    } else {
        app_name.clone()
    };
    for a in down.iter().chain(looping.iter()) {
        f.add_evidence(EvidenceLine::marked(
            a.line,
            &format!("{} {} ↺ {}", a.name, a.status, a.restarts.unwrap_or(0)),
            &a.status,
        ));
    }
    f.confidence = if !down.is_empty() || !unstable.is_empty() {
        0.8
    } else {
        0.6
    };
    if !refused.is_empty() {
        f.confidence += 0.12;
        f.reasoning
            .push("nginx's connections to the app are refused".into());
    }
    let crashes = exits.iter().map(|g| g.count).sum::<u64>();
    if down.is_empty() && unstable.is_empty() {
        // Online now, but restarted again and again: a crash loop. Each
        // crash leaves its port closed until pm2 has started it again.
        let restarts = looping
            .iter()
            .find(|a| a.name == app_name)
            .and_then(|a| a.restarts);
        let count = restarts.map_or(String::new(), |n| format!(" ({n} restarts)"));
        f.reasoning.push(format!(
            "pm2 shows `{app_name}` online but restarted again and again{count}"
        ));
        if crashes > 0 {
            f.confidence += 0.08;
            f.reasoning.push(format!(
                "pm2's log shows it exiting ({})",
                plural(crashes, "time", "times")
            ));
        }
        f.title = format!("The pm2 app `{app_name}` keeps crashing and restarting{count}");
        f.summary = format!(
            "pm2 restarts `{app_name}` each time it exits; until it is up again nothing answers on its port, so nginx \
             answers 502 for a few seconds at a time. The error just before each exit in its own log is the cause."
        );
    } else {
        f.reasoning.push(if down.is_empty() {
            format!("pm2 stopped `{app_name}` after too many unstable restarts")
        } else {
            format!("pm2 shows `{app_name}` not online")
        });
        f.title = format!("The pm2 app `{app_name}` is not online");
        f.summary = format!(
            "pm2 reports `{app_name}` as not running (or restarting in a loop), so nothing answers on its port and nginx answers 502. \
             Its own log says why it stopped."
        );
    }
    // `Error: listen EACCES: permission denied 0.0.0.0:80` in its log.
    let low = ctx
        .groups(|s| matches!(s, Signal::NodeError { code } if code == "EACCES"))
        .iter()
        .flat_map(|g| g.evidence())
        .find_map(|e| super::common::privileged_port(&e.text).map(|p| (p, e.clone())));
    if let Some((port, e)) = low {
        f.add_evidence(EvidenceLine::marked(e.line, &e.text, "EACCES"));
        f.reasoning.push(format!(
            "its log says it may not listen on port {port}: ports below 1024 need root, and behind nginx the app belongs on a high port"
        ));
        let target =
            super::common::app_port(ctx).map_or_else(|| "{port}".to_string(), |p| p.to_string());
        f.fixes.push(review(
            format!("PORT={target} pm2 restart {app_ref} --update-env"),
            format!("listen on the port nginx's proxy_pass points at, not {port} (when the app reads its port from elsewhere, an ecosystem file's env or a .env, set it there)"),
        ));
    }
    f.fixes.push(safe(
        format!("pm2 logs {app_ref} --lines 100 --err"),
        "the app's own error (EADDRINUSE, a missing env var or module, a syntax error)",
    ));
    f.fixes.push(disruptive(
        format!("pm2 restart {app_ref}"),
        "after fixing what the log says",
    ));
    f.fixes.push(safe(
        "pm2 save && pm2 startup systemd",
        "keep the process list and start pm2 at boot (run the sudo command it prints)",
    ));
    f.verify.push(format!(
        "pm2 list   # expect {app_name} online, ↺ not increasing"
    ));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    vec![f]
}
