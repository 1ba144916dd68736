//! `systemd_unit_failed`: the backend's systemd unit is failed or inactive.

use super::fixes::{disruptive, next, review, safe};
use super::{Ctx, Finding, Rule};
use crate::facts::{EventGroup, EvidenceLine, ServiceState, Signal};

pub static RULE: Rule = Rule {
    id: "systemd_unit_failed",
    family: "upstream_down",
    title: "The backend's systemd unit has failed or is stopped",
    docs: DOCS,
    signatures: &[
        "Active: failed",
        "Active: inactive (dead)",
        "Failed with result",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
`systemctl status` shows the backend unit `failed` (its process exited with
an error, was killed, or restarted too often), `inactive (dead)` (stopped or
never started) or `activating (auto-restart)` (a crash loop). The reason is
in the unit's journal and in the `status=` code.

## Why nginx answers 502 or 504
With the backend down nothing listens on its port or socket: nginx's
connect is refused (111) or the socket is missing (2), and it answers **502**.

## Evidence
- `systemctl status <unit>`: `Active: failed (Result: exit-code)`,
  `Main PID: 812 (code=exited, status=203/EXEC)`.
- journal: `<unit>.service: Failed with result 'exit-code'.`
- Useful codes: `203/EXEC` (binary in `ExecStart=` missing: wrong venv path),
  `217/USER` (`User=` does not exist), `200/CHDIR` (bad `WorkingDirectory=`),
  `78/CONFIG` (php-fpm config error), `start-limit-hit` (restarted too often).

## Fix
Read the journal (`journalctl -u <unit> -b -n 200`), fix what it names,
then `systemctl reset-failed` (after start-limit-hit), `daemon-reload` (after
editing the unit) and `systemctl enable --now <unit>`.

## Verify
`systemctl is-active <unit>` prints `active`; `systemctl is-enabled <unit>`
prints `enabled`; the site answers through nginx.

## Known problems
A failed unit that nginx does not use ranks low when no nginx error points
at it. nginx's own unit failing is a config problem, not this cause.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    // rc.d, OpenRC and `brew services` states are no systemd units: a
    // stopped service there is `upstream_down`'s, with that system's tools.
    if ctx.native_manager() != super::ctx::Manager::Systemd {
        return vec![];
    }
    let down: Vec<&ServiceState> = ctx
        .facts
        .services
        .iter()
        .filter(|s| s.name != "nginx" && !s.is_running() && s.state != "not-found")
        .collect();
    let journal: Vec<&EventGroup> =
        ctx.groups(|s| matches!(s, Signal::UnitFailed { unit, .. } if !unit.starts_with("nginx")));
    if down.is_empty() && journal.is_empty() {
        return vec![];
    }
    // Latest state per unit: a unit reported active later is not down.
    let down: Vec<&ServiceState> = down
        .into_iter()
        .filter(|s| ctx.facts.service(&s.name).is_some_and(|l| !l.is_running()))
        .collect();
    let unit = down.first().map(|s| s.name.clone()).or_else(|| {
        journal.iter().find_map(|g| match &g.key.signal {
            Signal::UnitFailed { unit, .. } => Some(unit.trim_end_matches(".service").to_string()),
            _ => None,
        })
    });
    let Some(unit) = unit else { return vec![] };
    if ctx.facts.service(&unit).is_some_and(|s| s.is_running()) {
        return vec![];
    }
    let nginx_fail: Vec<&EventGroup> =
        ctx.nginx_groups(|s| matches!(s, Signal::ConnectFailed { errno: 111 | 2 }));
    let mut groups = journal.clone();
    groups.extend(nginx_fail.iter().copied());
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    f.explains = vec!["upstream_down", "socket_missing"];
    let state = ctx.facts.service(&unit);
    f.confidence = 0.74;
    // A unit that is merely stopped (`inactive (dead)`, no failure) says
    // nothing beyond "not running": with a missing socket, the socket
    // finding (which also says to start the unit) is the diagnosis.
    let only_stopped =
        state.is_some_and(|s| s.state == "inactive" && s.result.is_none()) && journal.is_empty();
    let socket_gone = !nginx_fail.is_empty()
        && nginx_fail
            .iter()
            .all(|g| matches!(g.key.signal, Signal::ConnectFailed { errno: 2 }));
    if only_stopped && socket_gone {
        f.explains = vec!["upstream_down"];
        f.reasoning.push(
            "nginx cannot reach its backend's socket, which the stopped unit would create".into(),
        );
    } else if !nginx_fail.is_empty() {
        f.confidence += 0.16;
        f.reasoning.push("nginx cannot reach its backend".into());
    } else {
        f.next.push(next(
            "sudo tail -n 50 /var/log/nginx/error.log",
            "shows whether nginx's 502s point at this unit",
        ));
    }
    let mut detail = String::new();
    if let Some(s) = state {
        let what = format!(
            "Active: {}{}{}",
            s.state,
            s.sub
                .as_deref()
                .map(|x| format!(" ({x})"))
                .unwrap_or_default(),
            s.result
                .as_deref()
                .map(|r| format!(" (Result: {r})"))
                .unwrap_or_default()
        );
        f.add_evidence(EvidenceLine::marked(s.active_line, &what, &s.state));
        f.reasoning.push(format!("`{unit}` is {}", s.state));
        if let Some(code) = &s.exit_status {
            detail = explain_status(code);
        }
        // What the service said last before it stopped, when the status
        // output's journal tail shows it.
        if let Some((line, msg)) = &s.last_error {
            f.add_evidence(EvidenceLine::marked(*line, msg, msg));
            f.reasoning.push(format!(
                "its own last error before it stopped is on line {line} (the journal tail of `systemctl status`)"
            ));
        }
        if s.result.as_deref() == Some("oom-kill") {
            f.explains.clear();
            f.confidence -= 0.2; // backend_oom names it better
        }
    }
    f.title = format!(
        "The backend unit `{unit}` is {}",
        state.map(|s| s.state.as_str()).unwrap_or("failed")
    );
    f.summary = format!(
        "systemd reports `{unit}` as not running, so nothing answers where nginx sends requests and it answers 502.{}",
        if detail.is_empty() { String::new() } else { format!(" {detail}") }
    );
    f.fixes.push(safe(
        format!("sudo journalctl -u {unit} -b -n 200 --no-pager"),
        "the reason it stopped is in its journal",
    ));
    // Its last error names a file and line (`[/etc/php/8.2/fpm/pool.d/www.conf:23]`):
    // show that line with its neighbours, which is what to correct.
    let at = state
        .and_then(|s| s.last_error.as_ref())
        .and_then(|(_, msg)| super::common::file_line_in(msg));
    if let Some((file, n)) = at {
        f.fixes.push(safe(
            format!(
                "sudo sed -n '{},{}p' {file}",
                n.saturating_sub(2).max(1),
                n + 2
            ),
            format!("shows line {n} of {file}, which `{unit}` refused at start: correct it there"),
        ));
    }
    // `listen EACCES: permission denied 0.0.0.0:80`: an unprivileged app
    // asked for a port below 1024, which nginx in front of it holds anyway.
    let low = state
        .and_then(|s| s.last_error.as_ref())
        .and_then(|(_, msg)| super::common::privileged_port(msg));
    if let Some(port) = low {
        f.reasoning.push(format!(
            "it may not listen on port {port}: ports below 1024 need root, and behind nginx the app belongs on a high port"
        ));
        let target =
            super::common::app_port(ctx).map_or_else(|| "{port}".to_string(), |p| p.to_string());
        f.fixes.push(review(
            format!("sudo systemctl edit {unit}\n# in the editor:\n[Service]\nEnvironment=PORT={target}"),
            format!("make the app listen on the port nginx's proxy_pass points at (if it reads its port elsewhere, set it there), not on {port}"),
        ));
    }
    if let Some(b) = super::boot::find(ctx) {
        let svc = super::ctx::ServiceGuess {
            name: unit.clone(),
            manager: super::ctx::Manager::Systemd,
            known: true,
        };
        super::boot::explain(ctx, &mut f, &svc, &b, None);
    }
    if unit.contains("php") && unit.contains("fpm") {
        f.fixes.push(safe(
            super::socket_permission::fpm_test_cmd(&unit),
            "PHP-FPM checks its config and names the bad line",
        ));
    }
    if state.is_some_and(|s| s.result.as_deref() == Some("start-limit-hit")) {
        f.fixes.push(safe(
            format!("sudo systemctl reset-failed {unit}"),
            "clear the start limit after fixing the cause",
        ));
    }
    if state
        .and_then(|s| s.exit_status.as_deref())
        .is_some_and(|c| c.starts_with("203") || c.starts_with("200") || c.starts_with("217"))
    {
        f.fixes.push(review(
            format!("sudo systemctl edit --full {unit} && sudo systemctl daemon-reload"),
            "fix ExecStart=/WorkingDirectory=/User= in the unit",
        ));
    }
    f.fixes.push(disruptive(
        format!("sudo systemctl enable --now {unit}"),
        "start it now and at every boot",
    ));
    f.verify
        .push(format!("systemctl is-active {unit}   # expect: active"));
    f.verify
        .push(format!("systemctl is-enabled {unit}   # expect: enabled"));
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    vec![f]
}

fn explain_status(code: &str) -> String {
    let n = code.split('/').next().unwrap_or(code);
    match n {
        "203" => "Exit status 203/EXEC: the program in ExecStart= is missing or not executable (a wrong virtualenv path is typical).".into(),
        "217" => "Exit status 217/USER: the User= in the unit does not exist.".into(),
        "200" => "Exit status 200/CHDIR: the WorkingDirectory= does not exist.".into(),
        "78" => "Exit status 78/CONFIG: the service rejected its configuration.".into(),
        "1" => "Exit status 1: the application itself failed at start; its journal says why.".into(),
        _ => format!("Exit status {code}."),
    }
}
