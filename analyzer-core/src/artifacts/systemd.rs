//! `systemctl status` blocks (one or several units), `Unit x.service could
//! not be found.`, sysvinit-style `service x status` answers and, when a
//! prompt announced `systemctl is-active <units>`, its bare answers.
//!
//! Why: a backend unit that is `failed`, `inactive (dead)` or crash-looping
//! (`activating (auto-restart)`) explains a refused connection or a missing
//! socket, and `Main PID: … status=203/EXEC` says why it died.
//!
//! The `Active:` line is the source of truth (glyphs `●○×*` differ between
//! systemd versions and terminals). `Loaded: not-found` makes the state
//! `not-found`. Trailing journal lines are kept in the block but not read
//! here: the journal parser sees them as log lines.

use super::BlockLine;
use crate::facts::{Distro, Facts, ServiceState};

const UNIT_SUFFIXES: &[&str] = &[
    ".service", ".socket", ".timer", ".target", ".mount", ".path", ".scope", ".slice",
];
/// Keys of the `systemctl status` body.
const KEYS: &[&str] = &[
    "Loaded",
    "Active",
    "Docs",
    "Process",
    "Main PID",
    "Status",
    "Tasks",
    "Memory",
    "CPU",
    "CGroup",
    "TriggeredBy",
    "Triggers",
    "Drop-In",
    "Duration",
    "IP",
    "IO",
    "Invocation",
    "Mem peak",
    "Swap peak",
    "Notice",
    "Condition",
    "Listen",
    "Accepted",
    "Connected",
    "Trigger",
    "Follows",
];
const STATES: &[&str] = &[
    "active",
    "inactive",
    "failed",
    "activating",
    "deactivating",
    "reloading",
    "unknown",
    "maintenance",
];

/// `● nginx.service - desc` → (`nginx.service`, Some(`desc`)).
fn unit_header(line: &str) -> Option<(&str, Option<&str>)> {
    let t = line.trim();
    // Drop a leading glyph (any non-alphanumeric prefix of one char).
    let mut chars = t.chars();
    let first = chars.next()?;
    let rest = if first.is_alphanumeric() {
        t
    } else {
        chars.as_str().trim_start()
    };
    let (unit, desc) = match rest.split_once(" - ") {
        Some((u, d)) => (u.trim(), Some(d.trim())),
        None => (rest, None),
    };
    if unit.contains(char::is_whitespace) || unit.is_empty() {
        return None;
    }
    if !UNIT_SUFFIXES
        .iter()
        .any(|s| unit.ends_with(s) && unit.len() > s.len())
    {
        return None;
    }
    // Without a glyph, demand the ` - description` so a bare unit name
    // (a word in prose) does not open a block.
    if first.is_alphanumeric() && desc.is_none() {
        return None;
    }
    Some((unit, desc))
}

/// `Unit php8.1-fpm.service could not be found.`
fn not_found(line: &str) -> Option<&str> {
    let t = line.trim();
    let rest = t.strip_prefix("Unit ")?;
    let (unit, tail) = rest.split_once(' ')?;
    (tail.starts_with("could not be found") || tail.starts_with("not found")).then_some(unit)
}

/// sysvinit `service x status`: ` * nginx is running`, `php-fpm (pid  12) is running...`;
/// FreeBSD's rc.d (the third value): `php_fpm is running as pid 1377.`.
fn sysv(line: &str) -> Option<(&str, &'static str, bool)> {
    let t = line.trim();
    let starred = t.starts_with("* ");
    let t = t.strip_prefix("* ").unwrap_or(t);
    let (name, rest) = t.split_once(' ')?;
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@'))
    {
        return None;
    }
    let rest = rest.trim_start();
    let with_pid = rest.starts_with("(pid");
    let rest = match rest.strip_prefix("(pid") {
        Some(r) => r.split_once(')')?.1.trim_start(),
        None => rest,
    };
    // Prose says "it is running" too: demand the init script's shapes.
    let freebsd = !starred && !with_pid && freebsd_rc(name, rest);
    if !starred && !with_pid && !rest.starts_with("is stopped") && !freebsd {
        return None;
    }
    if rest.starts_with("is running") {
        Some((name, "active", freebsd))
    } else if rest.starts_with("is not running")
        || rest.starts_with("is stopped")
        || rest.starts_with("is dead")
    {
        Some((name, "inactive", freebsd))
    } else {
        None
    }
}

/// FreeBSD's rc.d `service x status` (rc.subr): `php_fpm is running as
/// pid 1377.`, `php_fpm is not running.`, the rc variable's name first.
fn freebsd_rc(name: &str, rest: &str) -> bool {
    let rc_name = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    let pid = rest
        .strip_prefix("is running as pid ")
        .and_then(|p| p.strip_suffix('.'))
        .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    rc_name && (pid || rest == "is not running.")
}

fn key_value(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    let (k, v) = t.split_once(':')?;
    if k.is_empty()
        || k.len() > 16
        || !k
            .bytes()
            .all(|b| b.is_ascii_alphabetic() || b == b' ' || b == b'-')
    {
        return None;
    }
    if !k.as_bytes()[0].is_ascii_uppercase() {
        return None;
    }
    Some((k, v.trim()))
}

fn syslog_stamp(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() > 16
        && crate::text::month_index(t.get(..3).unwrap_or("")).is_some()
        && b[3] == b' '
        && t.get(6..16).is_some_and(|s| s.contains(':'))
}

/// The service of `rc-service <name> status` (OpenRC).
fn openrc_status_query(cmd: &str) -> Option<&str> {
    let mut w = cmd.split_whitespace().filter(|w| *w != "sudo");
    (w.next()? == "rc-service").then_some(())?;
    let name = w.next()?;
    (w.next()? == "status").then_some(name)
}

/// True when `cmd` asks `systemctl is-active`/`is-failed` (bare answers follow).
pub fn is_state_query(cmd: &str) -> bool {
    cmd.contains("systemctl") && (cmd.contains("is-active") || cmd.contains("is-failed"))
}

pub fn starts(line: &str) -> bool {
    unit_header(line).is_some() || not_found(line).is_some() || sysv(line).is_some()
}

pub fn continues(line: &str) -> bool {
    if starts(line) {
        return true;
    }
    let t = line.trim();
    // Right-aligned keys: the longest (`TriggeredBy:`) has no indent.
    if let Some((k, _)) = key_value(line) {
        if line.starts_with(' ') || KEYS.contains(&k) {
            return true;
        }
    }
    if t.starts_with("├─")
        || t.starts_with("└─")
        || t.starts_with("│")
        || t.starts_with("|-")
        || t.starts_with("`-")
    {
        return true;
    }
    if STATES.contains(&t) || syslog_stamp(t) || t.starts_with("$ systemctl") {
        return true;
    }
    // Indented continuation of a key (`Docs:` second line, CGroup process).
    if line.starts_with("    ") && !t.is_empty() {
        return true;
    }
    t.starts_with("Warning: ") || t.starts_with("Hint: ") || t.starts_with("Notice: ")
}

fn distro_hint(text: &str, facts: &mut Facts) {
    if facts.distro != Distro::Unknown {
        return;
    }
    if text.contains("/etc/php/")
        || (text.contains("/lib/systemd/system/") && !text.contains("/usr/lib/systemd/"))
    {
        facts.distro = Distro::Debian;
    } else if text.contains("/etc/php-fpm") {
        facts.distro = Distro::Rhel;
    }
}

/// A journal line of the status output's tail that the unit's own process
/// logged and that reads like an error: its message, and whether it names
/// the error (true) or only says that something failed. The segmenter may
/// have taken the `Jul 01 08:59:40 web bundle[4410]: ` prefix off already;
/// systemd's own lines (`puma.service: Main process exited`, `Failed to
/// start …`) and the CGroup tree are not the service speaking.
fn own_error_line<'a>(t: &'a str, unit: &str) -> Option<(&'a str, bool)> {
    let mut msg = t;
    if syslog_stamp(t) {
        let mut words = t.splitn(6, ' ');
        let ident = words.nth(4)?;
        if ident.starts_with("systemd[") || ident == "systemd:" {
            return None;
        }
        msg = words.next()?;
    }
    const SYSTEMD: &[&str] = &[
        "Started ",
        "Starting ",
        "Stopped ",
        "Stopping ",
        "Failed to start ",
        "Scheduled restart",
        "Consumed ",
        "├",
        "└",
        "│",
    ];
    if SYSTEMD.iter().any(|p| msg.starts_with(p))
        || msg
            .strip_prefix(unit)
            .is_some_and(|r| r.starts_with(".service:") || r.starts_with(':'))
    {
        return None;
    }
    if STRONG.iter().any(|e| msg.contains(e)) {
        return Some((msg, true));
    }
    const WEAK: &[&str] = &[
        "error", "ERROR", "FATAL", "fatal", "failed", "Failed", "cannot", "Cannot",
    ];
    WEAK.iter().any(|e| msg.contains(e)).then_some((msg, false))
}

/// Messages that name what went wrong (`ModuleNotFoundError: No module named
/// 'x'`), as opposed to ones that only say something failed (`Reason: Worker
/// failed to boot.`).
const STRONG: &[&str] = &[
    "Error:",
    "Error ",
    "Exception",
    "Could not",
    "could not",
    "No such file",
    "denied",
    "EADDRINUSE",
    "not found",
    "panicked",
    "Fatal error",
];

fn debian_php_unit(name: &str) -> bool {
    name.strip_prefix("php")
        .and_then(|r| r.strip_suffix("-fpm"))
        .is_some_and(|v| v.contains('.') && v.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
}

fn strip_unit_suffix(unit: &str) -> String {
    unit.strip_suffix(".service").unwrap_or(unit).to_string()
}

/// `failed (Result: exit-code) since …` → (state, sub, result).
fn parse_active(v: &str) -> (String, Option<String>, Option<String>) {
    let head = v.split(" since ").next().unwrap_or(v);
    let state = head.split_whitespace().next().unwrap_or("").to_string();
    let mut sub = None;
    let mut result = None;
    let mut rest = head.get(state.len()..).unwrap_or("");
    while let Some(open) = rest.find('(') {
        let Some(close) = rest[open..].find(')').map(|c| c + open) else {
            break;
        };
        let inner = rest.get(open + 1..close).unwrap_or("").trim();
        if let Some(r) = inner.strip_prefix("Result:") {
            result = Some(r.trim().to_string());
        } else if sub.is_none() && !inner.is_empty() {
            sub = Some(inner.to_string());
        }
        rest = rest.get(close + 1..).unwrap_or("");
    }
    (state, sub, result)
}

/// `(code=exited, status=203/EXEC)` → `203/EXEC`; `(code=killed, signal=KILL)` → `KILL`.
fn exit_status(v: &str) -> Option<String> {
    let inner = v.get(v.find("(code=")? + 1..)?;
    let inner = inner.split(')').next()?;
    inner
        .split(',')
        .map(str::trim)
        .find_map(|p| {
            p.strip_prefix("status=")
                .or_else(|| p.strip_prefix("signal="))
        })
        .map(str::to_string)
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut cur: Option<ServiceState> = None;
    let mut queried: Vec<String> = Vec::new();
    let mut in_journal = false;
    // Whether the unit's error line so far names the error.
    let mut named_error = false;
    fn flush(cur: &mut Option<ServiceState>, facts: &mut Facts) {
        if let Some(s) = cur.take() {
            if !s.state.is_empty() {
                facts.services.push(s);
            }
        }
    }
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() {
            // After the key/value part, a blank line leads to journal lines.
            in_journal = cur.is_some();
            continue;
        }
        distro_hint(t, facts);
        // `Process: … ExecStart=/usr/bin/uwsgi --socket …`, a CGroup line.
        super::uwsgi_ini::from_command(l.no, t, facts);
        if let Some(cmd) = t.strip_prefix("$ ") {
            if is_state_query(cmd) {
                queried = cmd
                    .split_whitespace()
                    .skip_while(|w| !w.starts_with("is-"))
                    .skip(1)
                    .filter(|w| !w.starts_with('-'))
                    .map(strip_unit_suffix)
                    .collect();
                queried.reverse();
            } else if let Some(name) = openrc_status_query(cmd) {
                queried = vec![name.to_string()];
            }
            continue;
        }
        // OpenRC's answer to `rc-service <name> status`: ` * status: stopped`.
        if let Some(state) = t.strip_prefix("* status: ").and_then(|s| match s.trim() {
            "started" => Some("active"),
            "stopped" => Some("inactive"),
            "crashed" => Some("failed"),
            _ => None,
        }) {
            if let Some(name) = queried.pop() {
                flush(&mut cur, facts);
                facts.services.push(ServiceState::bare(name, state, l.no));
            }
            continue;
        }
        if let Some((unit, desc)) = unit_header(t) {
            flush(&mut cur, facts);
            in_journal = false;
            named_error = false;
            let name = strip_unit_suffix(unit);
            if facts.distro == Distro::Unknown && debian_php_unit(&name) {
                facts.distro = Distro::Debian;
            }
            cur = Some(ServiceState {
                name,
                state: String::new(),
                sub: None,
                result: None,
                exit_status: None,
                description: desc.map(str::to_string),
                unit_file: None,
                status_text: None,
                line: l.no,
                active_line: l.no,
                last_error: None,
            });
            continue;
        }
        if let Some(unit) = not_found(t) {
            flush(&mut cur, facts);
            facts.services.push(ServiceState::bare(
                strip_unit_suffix(unit),
                "not-found",
                l.no,
            ));
            continue;
        }
        if let Some((name, state, freebsd)) = sysv(t) {
            flush(&mut cur, facts);
            if freebsd && matches!(facts.distro, Distro::Unknown | Distro::Docker) {
                facts.distro = Distro::FreeBsd;
            }
            facts.services.push(ServiceState::bare(
                // The rc.d script of rc variable `php_fpm` is `php-fpm`.
                if freebsd {
                    name.replace('_', "-")
                } else {
                    strip_unit_suffix(name)
                },
                state,
                l.no,
            ));
            continue;
        }
        if STATES.contains(&t) && cur.is_none() {
            if let Some(name) = queried.pop() {
                facts.services.push(ServiceState::bare(name, t, l.no));
            }
            continue;
        }
        let Some(s) = cur.as_mut() else { continue };
        // The journal tail: after a blank line, or lines that are not
        // `Key: value` (the segmenter passes them on without their prefix).
        if in_journal || key_value(&l.text).is_none() {
            if let Some(s) = cur.as_mut() {
                // The first line that names the error wins; a vaguer one
                // only when there is nothing better.
                if let Some((msg, strong)) = own_error_line(t, &s.name) {
                    if s.last_error.is_none() || (strong && !named_error) {
                        s.last_error = Some((l.no, msg.to_string()));
                        named_error = strong;
                    }
                }
            }
            continue;
        }
        let Some((key, v)) = key_value(&l.text) else {
            continue;
        };
        match key {
            "Loaded" => {
                let word = v.split_whitespace().next().unwrap_or("");
                if let Some(inner) = v.split_once('(').map(|(_, r)| r) {
                    let file = inner.split([';', ')']).next().unwrap_or("").trim();
                    if file.starts_with('/') {
                        s.unit_file = Some(file.to_string());
                    }
                }
                if facts.distro == Distro::Unknown
                    && s.name == "php-fpm"
                    && s.unit_file
                        .as_deref()
                        .is_some_and(|f| f.starts_with("/usr/lib/systemd/system/"))
                {
                    // RHEL family names the unit `php-fpm` (Debian: `php8.1-fpm`).
                    facts.distro = Distro::Rhel;
                }
                if word == "not-found" {
                    s.state = "not-found".into();
                    s.active_line = l.no;
                }
            }
            "Active" => {
                let (state, sub, result) = parse_active(v);
                if s.state != "not-found" && !state.is_empty() {
                    s.state = state;
                    s.sub = sub;
                    if result.is_some() {
                        s.result = result;
                    }
                    s.active_line = l.no;
                }
            }
            "Main PID" => {
                if let Some(st) = exit_status(v) {
                    s.exit_status = Some(st);
                }
            }
            "Process" => {
                if let Some(st) = exit_status(v) {
                    if s.exit_status.is_none() && !st.starts_with("0/") {
                        s.exit_status = Some(st);
                    }
                }
            }
            "Status" => {
                let v = v.trim_matches('"');
                if !v.is_empty() {
                    s.status_text = Some(v.to_string());
                }
            }
            _ => {}
        }
    }
    flush(&mut cur, facts);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn failed_unit() {
        let f = run("× gunicorn.service - gunicorn daemon\n\
     Loaded: loaded (/etc/systemd/system/gunicorn.service; enabled; preset: enabled)\n\
     Active: failed (Result: exit-code) since Mon 2024-01-15 10:00:00 UTC; 5min ago\n\
    Process: 811 ExecStart=/srv/app/venv/bin/gunicorn app.wsgi (code=exited, status=203/EXEC)\n\
   Main PID: 811 (code=exited, status=203/EXEC)");
        let s = &f.services[0];
        assert_eq!((s.name.as_str(), s.state.as_str()), ("gunicorn", "failed"));
        assert_eq!(s.result.as_deref(), Some("exit-code"));
        assert_eq!(s.exit_status.as_deref(), Some("203/EXEC"));
        assert_eq!(s.active_line, 3);
        assert_eq!(
            s.unit_file.as_deref(),
            Some("/etc/systemd/system/gunicorn.service")
        );
    }

    /// FreeBSD's rc.d and Alpine's OpenRC answer `status` in their own
    /// words; prose that merely says "is running" is no status line.
    #[test]
    fn freebsd_rc_and_openrc_status() {
        let f = run("php_fpm is running as pid 1377.\nnginx is not running.");
        assert_eq!(f.services[0].name, "php-fpm");
        assert_eq!(f.services[0].state, "active");
        assert_eq!(f.services[1].state, "inactive");
        assert_eq!(f.distro, Distro::FreeBsd);
        let f = run("$ rc-service php-fpm81 status\n * status: stopped");
        assert_eq!(f.services[0].name, "php-fpm81");
        assert_eq!(f.services[0].state, "inactive");
        assert!(sysv("the app is running as pid 12 now").is_none());
        assert!(sysv("nginx is running fine.").is_none());
    }

    #[test]
    fn auto_restart_and_not_found() {
        let f = run("● api.service - API\n   Loaded: loaded (/etc/systemd/system/api.service; enabled)\n   Active: activating (auto-restart) (Result: exit-code) since Mon; 2s ago\nUnit php8.1-fpm.service could not be found.\n○ foo.service\n     Loaded: not-found (Reason: Unit foo.service not found.)\n     Active: inactive (dead)");
        assert_eq!(f.services.len(), 3);
        assert_eq!(f.services[0].state, "activating");
        assert_eq!(f.services[0].sub.as_deref(), Some("auto-restart"));
        assert_eq!(f.services[0].result.as_deref(), Some("exit-code"));
        assert_eq!(f.services[1].name, "php8.1-fpm");
        assert_eq!(f.services[1].state, "not-found");
        assert_eq!(f.services[2].state, "not-found");
    }

    #[test]
    fn is_active_answers() {
        let f = run("$ systemctl is-active nginx php8.1-fpm.service\nactive\nfailed");
        let got: Vec<(&str, &str)> = f
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.state.as_str()))
            .collect();
        assert_eq!(got, [("nginx", "active"), ("php8.1-fpm", "failed")]);
    }

    #[test]
    fn sysv_and_detection() {
        let f =
            run(" * php7.4-fpm is running\nphp-fpm (pid  1234) is running...\nnginx is stopped");
        let got: Vec<(&str, &str)> = f
            .services
            .iter()
            .map(|s| (s.name.as_str(), s.state.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("php7.4-fpm", "active"),
                ("php-fpm", "active"),
                ("nginx", "inactive")
            ]
        );
        assert!(starts("● nginx.service - A high performance web server"));
        assert!(!starts("nginx.service"));
        assert!(!starts("this is running"));
        assert!(continues("     Active: active (running) since x"));
        assert!(continues("             ├─790 \"php-fpm: master process\""));
    }

    #[test]
    fn killed() {
        assert_eq!(
            exit_status("1234 (code=killed, signal=KILL)").as_deref(),
            Some("KILL")
        );
        assert_eq!(exit_status("790 (php-fpm8.1)"), None);
        let _ = parse_active("(((");
        let _ = parse_active("failed (Result: x");
    }

    #[test]
    fn the_units_own_error_line() {
        let e = |t| own_error_line(t, "gunicorn");
        assert_eq!(
            e("Mar 11 09:10:43 box gunicorn[2213]: ModuleNotFoundError: No module named 'x'"),
            Some(("ModuleNotFoundError: No module named 'x'", true))
        );
        assert_eq!(
            e("Reason: Worker failed to boot."),
            Some(("Reason: Worker failed to boot.", false))
        );
        assert_eq!(
            e("Mar 11 09:10:44 box systemd[1]: gunicorn.service: Failed with result 'exit-code'."),
            None
        );
        assert_eq!(
            e("gunicorn.service: Main process exited, code=exited, status=3/NOTIMPLEMENTED"),
            None
        );
        assert_eq!(e("Failed to start gunicorn daemon."), None);
        assert_eq!(
            e("└─2201 /srv/env/bin/gunicorn --bind unix:/run/x.sock failed"),
            None
        );
        assert_eq!(e("Booting worker with pid: 2213"), None);
    }
}
