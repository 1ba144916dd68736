//! Small single-line artifacts: `nginx -t`/`nginx -v` output,
//! `getenforce`/`sestatus`, `ps` lines naming the nginx worker user.

use super::Kind;
use crate::facts::{Event, EventKey, Facts, Level, Signal, Source};
use crate::text::{find_with, quoted_after};

/// `nginx: [emerg] <message> in <file>:<line>` from `nginx -t`.
pub fn nginx_test_event(line_no: u64, text: &str) -> Option<Event> {
    let rest = text.strip_prefix("nginx: [")?;
    let close = rest.find(']')?;
    let level = Level::parse(&rest[..close])?;
    if level < Level::Emerg {
        return None;
    }
    let msg = rest[close + 1..].trim_start();
    let signal = match quoted_after(msg, "host not found in upstream ") {
        Some(h) => Signal::HostNotFound {
            host: h.to_string(),
        },
        None => Signal::ConfigEmerg {
            message: msg.split(" in /").next().unwrap_or(msg).to_string(),
        },
    };
    let mark = text.find(msg).map(|i| (i, text.len()));
    Some(Event {
        key: EventKey {
            source: Source::Nginx,
            signal,
            action: None,
            upstream: None,
            server: None,
        },
        line: line_no,
        time: None,
        level: Some(level),
        request: None,
        client: None,
        host: None,
        pid: None,
        text: text.to_string(),
        mark,
    })
}

/// Recognise one unwrapped line; returns its kind when it is one of these.
pub fn parse_line(line_no: u64, text: &str, facts: &mut Facts) -> Option<Kind> {
    let t = text.trim();
    if let Some(svc) = no_active_endpoint(t) {
        facts.no_endpoints.push((svc.to_string(), line_no));
        return Some(Kind::AppLog);
    }
    if inspect_state(line_no, t, facts) {
        return Some(Kind::DockerPs);
    }
    if let Some(p) = supervisor_row(line_no, t) {
        facts.supervisor.push(p);
        return Some(Kind::SystemctlStatus);
    }
    if let Some(svc) = brew_services_row(line_no, t) {
        if facts.distro == crate::facts::Distro::Unknown {
            facts.distro = crate::facts::Distro::Homebrew;
        }
        facts.services.push(svc);
        return Some(Kind::SystemctlStatus);
    }
    if let Some(d) = os_release(t) {
        if facts.distro == crate::facts::Distro::Unknown || d != crate::facts::Distro::Unknown {
            facts.distro = d;
        }
        return Some(Kind::System);
    }
    if let Some(v) = t.strip_prefix("nginx version: ") {
        facts.nginx_version = Some(v.trim().to_string());
        return Some(Kind::NginxTest);
    }
    if matches!(t, "Enforcing" | "Permissive" | "Disabled") {
        facts.selinux_mode = Some((t.to_string(), line_no));
        return Some(Kind::Selinux);
    }
    if let Some(m) = t.strip_prefix("Current mode:") {
        facts.selinux_mode = Some((capitalise(m.trim()), line_no));
        return Some(Kind::Selinux);
    }
    if t.starts_with("SELinux status:") || t.starts_with("httpd_can_network_connect") {
        return Some(Kind::Selinux);
    }
    // Cloudflare's error page as text: `Error code 524` (older pages:
    // `Error 524 Ray ID: …`).
    if t == "Error code 524" || t.starts_with("Error 524 ") || t == "Error 524" {
        facts.cloudflare_524.get_or_insert(line_no);
        return Some(Kind::Curl);
    }
    if let Some(names) = cert_names(t) {
        for n in names {
            if !facts.cert_names.iter().any(|(x, _)| *x == n) {
                facts.cert_names.push((n, line_no));
            }
        }
        return Some(Kind::System);
    }
    // `ps` output: `nginx    1235 ... nginx: worker process` or `www-data nginx: worker process`
    crate::text::finder!(NGINX_COLON, "nginx: ");
    find_with(t, NGINX_COLON())?;
    if let Some(i) = t.find("nginx: worker process") {
        let user = t[..i].split_whitespace().next();
        if let Some(u) = user {
            if u.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && !u.chars().all(|c| c.is_ascii_digit())
            {
                facts.nginx_user.get_or_insert(crate::facts::NginxUser {
                    user: u.to_string(),
                    group: None,
                    line: line_no,
                });
            }
        }
        return Some(Kind::Ps);
    }
    if t.contains("nginx: master process") {
        return Some(Kind::Ps);
    }
    if super::uwsgi_ini::from_command(line_no, t, facts) {
        return Some(Kind::Ps);
    }
    None
}

/// The host names of a certificate as `openssl x509` prints them: the
/// subject's CN (`subject=CN = app.example.com, O = …`, OpenSSL 1.0's
/// `subject= /O=…/CN=app.example.com`) or a `DNS:` list of the
/// subjectAltName extension.
fn cert_names(t: &str) -> Option<Vec<String>> {
    let host = |s: &str| {
        let s = s.trim();
        (s.contains('.')
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'*' | b'_')))
        .then(|| s.to_string())
    };
    if let Some(rest) = t
        .strip_prefix("subject=")
        .or_else(|| t.strip_prefix("subject:"))
    {
        let cn = rest
            .split([',', '/'])
            .find_map(|part| {
                let (k, v) = part.split_once('=')?;
                (k.trim() == "CN").then_some(v)
            })
            .and_then(host)?;
        return Some(vec![cn]);
    }
    if t.starts_with("DNS:") {
        let names: Vec<String> = t
            .split(',')
            .filter_map(|x| x.trim().strip_prefix("DNS:").and_then(host))
            .collect();
        return (!names.is_empty()).then_some(names);
    }
    None
}

/// A row of `brew services list`: `php  started  me  ~/Library/LaunchAgents/homebrew.mxcl.php.plist`
/// (`error  256 …` when it exits, `none` when never started).
fn brew_services_row(line_no: u64, t: &str) -> Option<crate::facts::ServiceState> {
    if !t.contains("homebrew.mxcl.") {
        return None;
    }
    let mut w = t.split_whitespace();
    let name = w.next()?;
    let state = match w.next()? {
        "started" | "scheduled" => "active",
        "error" => "failed",
        "none" | "stopped" => "inactive",
        _ => return None,
    };
    Some(crate::facts::ServiceState::bare(
        name.to_string(),
        state,
        line_no,
    ))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `/etc/os-release` lines: `ID=ubuntu`, `ID_LIKE="rhel centos fedora"`,
/// `PRETTY_NAME=…`, `VERSION_ID=…`. Returns the distro family (Unknown for
/// the lines that do not tell it).
fn os_release(t: &str) -> Option<crate::facts::Distro> {
    use crate::facts::Distro;
    let (k, v) = t.split_once('=')?;
    if !matches!(
        k,
        "ID" | "ID_LIKE" | "PRETTY_NAME" | "VERSION_ID" | "NAME" | "VERSION" | "VERSION_CODENAME"
    ) {
        return None;
    }
    let v = v.trim_matches('"').to_ascii_lowercase();
    if v.contains(' ') && !matches!(k, "ID_LIKE" | "PRETTY_NAME" | "NAME" | "VERSION") {
        return None;
    }
    if !matches!(k, "ID" | "ID_LIKE") {
        return Some(Distro::Unknown);
    }
    let has = |w: &str| v.split_whitespace().any(|x| x == w);
    Some(
        if has("debian") || has("ubuntu") || has("raspbian") || has("linuxmint") {
            Distro::Debian
        } else if [
            "rhel",
            "centos",
            "fedora",
            "rocky",
            "almalinux",
            "ol",
            "amzn",
        ]
        .iter()
        .any(|w| has(w))
        {
            Distro::Rhel
        } else if has("alpine") {
            Distro::Alpine
        } else {
            Distro::Unknown
        },
    )
}

/// `docker inspect -f '{{.Name}} OOMKilled={{.State.OOMKilled}} ExitCode={{.State.ExitCode}} …'`
/// as the collector prints it: `/proj-app-1 OOMKilled=true ExitCode=137 Status=exited`.
/// Marks the container (adding it when `docker ps` was not pasted).
pub(crate) fn inspect_state(line_no: u64, t: &str, facts: &mut Facts) -> bool {
    let Some(i) = t.find(" OOMKilled=") else {
        return false;
    };
    let name = t[..i].trim().trim_start_matches('/');
    if name.is_empty() || name.contains(char::is_whitespace) {
        return false;
    }
    let field = |k: &str| {
        t.split_whitespace()
            .find_map(|w| w.strip_prefix(k))
            .map(str::to_string)
    };
    let oom = field("OOMKilled=").map(|v| v == "true");
    let code = field("ExitCode=").and_then(|v| v.parse::<i32>().ok());
    let status = field("Status=").unwrap_or_default();
    match facts.containers.iter_mut().find(|c| c.name == name) {
        Some(c) => {
            c.oom_killed = oom;
            if c.exit_code.is_none() {
                c.exit_code = code;
            }
        }
        None => facts.containers.push(crate::facts::Container {
            name: name.to_string(),
            image: None,
            status,
            exit_code: code,
            health: None,
            ports: Vec::new(),
            oom_killed: oom,
            namespace: None,
            memory_limit: None,
            line: line_no,
        }),
    }
    true
}

/// A `supervisorctl status` row: `myapp   FATAL   Exited too quickly (…)`,
/// `web:web_00   RUNNING   pid 812, uptime 3:01:22`. The name column is
/// padded, so two spaces at least separate it from the state.
fn supervisor_row(line_no: u64, t: &str) -> Option<crate::facts::SupervisorProgram> {
    const STATES: &[&str] = &[
        "RUNNING", "STOPPED", "STARTING", "BACKOFF", "FATAL", "EXITED", "STOPPING",
    ];
    let (name, rest) = t.split_once("  ")?;
    if name.is_empty() || name.contains(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let state = rest.split_whitespace().next()?;
    if !STATES.contains(&state) {
        return None;
    }
    let detail = rest[state.len()..].trim();
    // What supervisord writes after the state, not prose.
    let known = detail.is_empty()
        || detail.starts_with("pid ")
        || detail.starts_with("Exited too quickly")
        || detail.starts_with("Not started")
        || detail.starts_with("Exited")
        || detail.starts_with("Stopped")
        || detail.contains(" AM")
        || detail.contains(" PM")
        || detail.starts_with("exit status")
        || detail.starts_with("spawn error")
        || detail.starts_with("can't find command");
    known.then(|| crate::facts::SupervisorProgram {
        name: name.to_string(),
        state: state.to_string(),
        line: line_no,
    })
}

#[cfg(test)]
mod supervisor_tests {
    use super::supervisor_row;

    #[test]
    fn rows() {
        let r = supervisor_row(3, "myapp                            FATAL     Exited too quickly (process log may have details)").unwrap();
        assert_eq!(
            (r.name.as_str(), r.state.as_str(), r.line),
            ("myapp", "FATAL", 3)
        );
        let r = supervisor_row(
            1,
            "web:web_00                       RUNNING   pid 812, uptime 3:01:22",
        )
        .unwrap();
        assert_eq!(r.name, "web:web_00");
        assert!(supervisor_row(1, "the app is  RUNNING fine").is_none());
        assert!(supervisor_row(1, "x  RUNNING  because I said so").is_none());
        assert!(supervisor_row(1, "RUNNING").is_none());
    }
}

/// ingress-nginx's warning (klog: `W0611 09:14:22.118902  7
/// controller.go:1214] Service "web/shop" does not have any active
/// Endpoint.`): the Service's `namespace/name`.
fn no_active_endpoint(t: &str) -> Option<&str> {
    let at = t.find("\" does not have any active Endpoint")?;
    let open = t[..at].rfind("Service \"")? + "Service \"".len();
    let svc = &t[open..at];
    let ok = !svc.is_empty()
        && svc
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'/'));
    ok.then_some(svc)
}

#[cfg(test)]
mod endpoint_tests {
    #[test]
    fn ingress_warning_names_the_service() {
        let f = super::no_active_endpoint;
        assert_eq!(
            f("W0611 09:14:22.118902       7 controller.go:1214] Service \"web/shop-frontend\" does not have any active Endpoint."),
            Some("web/shop-frontend")
        );
        assert_eq!(f("Service \"\" does not have any active Endpoint"), None);
        assert_eq!(f("Service \"a b\" does not have any active Endpoint"), None);
        assert_eq!(f("the Service has endpoints"), None);
    }
}

#[cfg(test)]
mod cert_tests {
    #[test]
    fn openssl_subject_and_san() {
        let f = super::cert_names;
        let v = |xs: &[&str]| Some(xs.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(
            f("subject=CN = admin-app.corp.example"),
            v(&["admin-app.corp.example"])
        );
        assert_eq!(
            f("subject=C = US, O = Corp, CN = api.example.com"),
            v(&["api.example.com"])
        );
        assert_eq!(
            f("subject= /O=Corp/CN=old.example.net"),
            v(&["old.example.net"])
        );
        assert_eq!(
            f("DNS:app.example.com, DNS:*.example.com, IP Address:10.0.0.5"),
            v(&["app.example.com", "*.example.com"])
        );
        assert_eq!(f("subject=CN = localhost"), None);
        assert_eq!(f("subject=O = Corp"), None);
        assert_eq!(f("DNS: resolution failed"), None);
    }
}
