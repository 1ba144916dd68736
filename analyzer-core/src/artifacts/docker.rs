//! Containers: `docker ps [-a]` / `podman ps`, `docker compose ps` (v2,
//! old v2 and v1 layouts), `--format` tab-separated rows; and compose
//! files (`services:` YAML).
//!
//! Why: a backend container that exited (137 = SIGKILL, often OOM) or is
//! restarting explains refused connections; nginx itself running in a
//! container makes `127.0.0.1` mean the nginx container (container
//! loopback).
//!
//! Table rows are sliced at the header's column offsets (cells can be
//! empty), counted in characters since `COMMAND` cells contain `…`. When
//! a row does not line up with its header (spaces collapsed by a chat),
//! cells are split on runs of two spaces and recognised by content.
//!
//! Compose files are read by indentation only (no YAML library): the
//! `services:` map, and per service `image`, `build`, `container_name`,
//! `ports`, `expose`, `command`, `network_mode`, `extra_hosts`, in block,
//! flow (`[a, b]`) and long-syntax forms.

use super::BlockLine;
use crate::facts::{ComposeService, Container, Facts};

/// (state, exit code, health) from a STATUS/State cell.
pub fn parse_status(s: &str) -> Option<(String, Option<i32>, Option<String>)> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let paren_code = |rest: &str| -> Option<i32> {
        let r = rest.trim_start().strip_prefix('(')?;
        r.split(')').next()?.trim().parse().ok()
    };
    let health = if lower.contains("(unhealthy)") {
        Some("unhealthy".to_string())
    } else if lower.contains("(healthy)") {
        Some("healthy".to_string())
    } else if lower.contains("health: starting") {
        Some("starting".to_string())
    } else {
        None
    };
    // `kubectl get pods` STATUS words, read as the container states they mean.
    match s {
        "CrashLoopBackOff" => return Some(("restarting".into(), None, None)),
        "Error" | "OOMKilled" => return Some(("exited".into(), None, None)),
        "Completed" => return Some(("exited".into(), Some(0), None)),
        "Pending"
        | "ContainerCreating"
        | "ImagePullBackOff"
        | "ErrImagePull"
        | "CreateContainerConfigError" => return Some(("created".into(), None, None)),
        "Terminating" => return Some(("removing".into(), None, None)),
        _ => {}
    }
    let word = lower.split_whitespace().next()?;
    let (state, code) = match word {
        "up" => (
            if lower.contains("(paused)") {
                "paused"
            } else {
                "running"
            },
            None,
        ),
        "running" => ("running", None),
        "exited" => ("exited", paren_code(lower.get(6..).unwrap_or(""))),
        "exit" => (
            "exited",
            lower
                .get(4..)
                .unwrap_or("")
                .split_whitespace()
                .next()
                .and_then(|c| c.parse().ok()),
        ),
        "restarting" => ("restarting", paren_code(lower.get(10..).unwrap_or(""))),
        "created" => ("created", None),
        "paused" => ("paused", None),
        "dead" => ("dead", None),
        "removal" if lower.starts_with("removal in progress") => ("removing", None),
        _ => return None,
    };
    // `Up` must be followed by a duration or nothing (compose v1 prints `Up`).
    if word == "up" && !(lower == "up" || lower.starts_with("up ") && lower.len() > 3) {
        return None;
    }
    if word == "exit" && code.is_none() {
        return None;
    }
    Some((state.to_string(), code, health))
}

/// Split on runs of two or more spaces (or tabs).
fn wide_cells(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut start: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        let gap = b[i] == b'\t'
            || (b[i] == b' ' && b.get(i + 1).is_some_and(|&c| c == b' ' || c == b'\t'));
        if gap {
            if let Some(st) = start.take() {
                out.push(s[st..i].trim());
            }
            while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                i += 1;
            }
            continue;
        }
        if start.is_none() && b[i] != b' ' {
            start = Some(i);
        }
        i += 1;
    }
    if let Some(st) = start {
        out.push(s[st..].trim());
    }
    out.retain(|c| !c.is_empty());
    out
}

fn is_hex_id(s: &str) -> bool {
    s.len() >= 12
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn is_ports_cell(s: &str) -> bool {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .all(|p| {
            let p = p.rsplit("->").next().unwrap_or(p);
            p.ends_with("/tcp") || p.ends_with("/udp") || p.ends_with("/sctp")
        })
        && !s.trim().is_empty()
}

fn is_header(t: &str) -> bool {
    let up = t.trim_start();
    is_kubectl_header(t)
        || (up.starts_with("CONTAINER ID") && up.contains("STATUS"))
        || ((up.starts_with("NAME ") || up.starts_with("NAMES "))
            && (up.contains("STATUS") || up.contains("STATE")))
        || (up.starts_with("Name ") && up.contains("Command") && up.contains("State"))
}

fn has_status_cell(t: &str) -> bool {
    wide_cells(t).iter().any(|c| parse_status(c).is_some())
}

/// `kubectl get pods` (`NAME READY STATUS RESTARTS AGE`, with `-A` a
/// NAMESPACE column first).
pub fn is_kubectl_header(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with("NAME ") || t.starts_with("NAMESPACE "))
        && t.contains(" READY ")
        && t.contains(" STATUS ")
        && t.contains("RESTARTS")
}

/// `docker logs nginx`, `docker compose logs -f nginx`: the nginx container
/// whose log follows (nginx then runs in a container).
pub fn nginx_logs_container(cmd: &str) -> Option<&str> {
    let mut words = cmd.split_whitespace().filter(|w| *w != "sudo");
    if !matches!(words.next()?, "docker" | "docker-compose" | "podman") {
        return None;
    }
    let after: Vec<&str> = words.skip_while(|w| *w != "logs").skip(1).collect();
    let end = after
        .iter()
        .position(|w| w.starts_with('|'))
        .unwrap_or(after.len());
    after[..end]
        .iter()
        .rfind(|w| !w.starts_with('-') && w.contains("nginx"))
        .copied()
}

/// `kubectl get ingress` (`NAME CLASS HOSTS ADDRESS PORTS AGE`, with `-A`
/// a NAMESPACE column first).
pub fn is_ingress_header(line: &str) -> bool {
    let t = line.trim();
    (t.starts_with("NAME ") || t.starts_with("NAMESPACE "))
        && t.contains(" HOSTS ")
        && t.contains(" ADDRESS ")
        && t.contains(" PORTS ")
}

/// A row of `kubectl get ingress`: five cells or more, the last an age
/// (`41m`, `2d3h`, `<invalid>`).
pub fn ingress_continues(line: &str, st: &mut super::BlockState) -> bool {
    let t = line.trim();
    if is_ingress_header(t) {
        return true;
    }
    // `kubectl describe ingress`: `Key:  value` lines from `Name:` on, and
    // the indented lines of its Rules, TLS and Annotations.
    if line.starts_with("Name:") {
        st.depth = 1;
        return true;
    }
    if st.depth == 1 {
        let key = t.split(':').next().unwrap_or("");
        return line.starts_with([' ', '\t'])
            || DESCRIBE_KEYS.contains(&key)
            || (t.bytes().all(|c| c == b'-' || c == b' ') && !t.is_empty());
    }
    let cells: Vec<&str> = t.split_whitespace().collect();
    let age = cells.last().is_some_and(|a| {
        *a == "<invalid>"
            || (a.as_bytes().first().is_some_and(u8::is_ascii_digit)
                && a.bytes()
                    .all(|b| b.is_ascii_digit() || b"smhdy".contains(&b)))
    });
    cells.len() >= 5 && age
}

/// The keys of `kubectl describe ingress` at the start of a line.
const DESCRIBE_KEYS: &[&str] = &[
    "Name",
    "Labels",
    "Namespace",
    "Address",
    "Ingress Class",
    "Default backend",
    "TLS",
    "Rules",
    "Annotations",
    "Events",
];

/// `kubectl describe ingress` into [`Facts::ingresses`]: its name,
/// namespace, the hosts of its Rules and their `service:port` backends.
fn parse_describe_ingress(lines: &[BlockLine], facts: &mut Facts) {
    let mut cur: Option<crate::facts::IngressRow> = None;
    let mut section = "";
    let cmd_ns = lines
        .iter()
        .find_map(|l| l.text.trim().strip_prefix("$ ").and_then(kubectl_namespace));
    for l in lines {
        let raw = l.text.trim_end();
        let t = raw.trim();
        if !raw.starts_with([' ', '\t']) {
            if let Some((k, v)) = t.split_once(':') {
                if DESCRIBE_KEYS.contains(&k) {
                    section = DESCRIBE_KEYS
                        .iter()
                        .find(|x| **x == k)
                        .copied()
                        .unwrap_or("");
                    let v = v.trim();
                    match k {
                        "Name" => {
                            if let Some(done) = cur.take() {
                                facts.ingresses.push(done);
                            }
                            if !v.is_empty() {
                                cur = Some(crate::facts::IngressRow {
                                    name: v.to_string(),
                                    namespace: cmd_ns.clone(),
                                    hosts: Vec::new(),
                                    backends: Vec::new(),
                                    line: l.no,
                                });
                                facts.remember_line(l.no, raw);
                            }
                        }
                        "Namespace" if !v.is_empty() => {
                            if let Some(c) = &mut cur {
                                c.namespace = Some(v.to_string());
                            }
                        }
                        // The community controller's class and annotations.
                        "Ingress Class" if v == "nginx" => facts.ingress_nginx = true,
                        "Annotations" if v.starts_with("nginx.ingress.kubernetes.io/") => {
                            facts.ingress_nginx = true;
                        }
                        "Default backend" => {
                            if let Some(c) = &mut cur {
                                push_backend(c, v);
                            }
                        }
                        _ => {}
                    }
                    continue;
                }
            }
        }
        if section == "Annotations" && t.starts_with("nginx.ingress.kubernetes.io/") {
            facts.ingress_nginx = true;
        }
        if section != "Rules" {
            continue;
        }
        let Some(c) = &mut cur else { continue };
        let words: Vec<&str> = t.split_whitespace().collect();
        match words.first() {
            None | Some(&"Host") => continue,
            Some(w) if w.starts_with('-') => continue,
            Some(w)
                if !w.starts_with('/')
                    && (w.contains('.') || *w == "*")
                    && !w.contains(':')
                    && !c.hosts.iter().any(|h| h == w) =>
            {
                c.hosts.push(w.to_string());
            }
            _ => {}
        }
        // `/path  service:port (endpoints)`.
        for (i, w) in words.iter().enumerate() {
            if words.get(i + 1).is_some_and(|n| n.starts_with('(')) && w.contains(':') {
                push_backend(c, w);
                facts.remember_line(l.no, raw);
                // `(<none>)`: the Service has no ready pod behind it.
                if words.get(i + 1) == Some(&"(<none>)") {
                    let svc = w.split(':').next().unwrap_or(w);
                    let name = match &c.namespace {
                        Some(ns) => format!("{ns}/{svc}"),
                        None => svc.to_string(),
                    };
                    facts.no_endpoints.push((name, l.no));
                }
            }
        }
    }
    if let Some(done) = cur {
        facts.ingresses.push(done);
    }
    // An Ingress sends to Services: the backends are pods.
    facts.kubernetes = true;
}

/// A `service:port` backend (not `<default>` or an endpoint list).
fn push_backend(c: &mut crate::facts::IngressRow, v: &str) {
    let b = v.split_whitespace().next().unwrap_or("");
    let ok = b.split_once(':').is_some_and(|(s, p)| {
        !s.is_empty()
            && !p.is_empty()
            && s.bytes()
                .all(|x| x.is_ascii_alphanumeric() || x == b'-' || x == b'.')
            && p.bytes().all(|x| x.is_ascii_alphanumeric() || x == b'-')
    });
    if ok && !c.backends.iter().any(|x| x == b) {
        c.backends.push(b.to_string());
    }
}

/// `kubectl get ingress [-A | -n ns]` rows into [`Facts::ingresses`].
pub fn parse_ingress(lines: &[BlockLine], facts: &mut Facts) {
    if lines
        .iter()
        .find(|l| !l.text.trim().is_empty() && !l.text.trim_start().starts_with("$ "))
        .is_some_and(|l| l.text.starts_with("Name:"))
    {
        return parse_describe_ingress(lines, facts);
    }
    let mut cols: Option<Vec<(String, usize)>> = None;
    let mut namespace: Option<String> = None;
    for l in lines {
        let raw = l.text.trim_end();
        let t = raw.trim();
        if let Some(cmd) = t.strip_prefix("$ ") {
            namespace = kubectl_namespace(cmd);
            continue;
        }
        if is_ingress_header(raw) {
            cols = Some(header_columns(raw));
            continue;
        }
        let Some(cols) = cols.as_ref() else { continue };
        // Cells hold no spaces but PORTS (`80, 443`): read by position,
        // else by word.
        let row = slice_row(raw, cols)
            .unwrap_or_else(|| t.split_whitespace().map(str::to_string).collect());
        let get = |name: &str| -> Option<String> {
            let i = cols.iter().position(|(n, _)| n == name)?;
            row.get(i).cloned().filter(|c| !c.is_empty())
        };
        let Some(name) = get("NAME") else { continue };
        let hosts = get("HOSTS")
            .map(|h| {
                h.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        facts.ingresses.push(crate::facts::IngressRow {
            name,
            namespace: get("NAMESPACE").or_else(|| namespace.clone()),
            hosts,
            backends: Vec::new(),
            line: l.no,
        });
        facts.remember_line(l.no, raw);
    }
}

/// `docker logs webapp`, `docker compose logs --tail 50 api`: the one
/// container (or compose service) whose log follows, when it is not nginx.
/// Its lines carry no compose prefix, but they come from inside it.
pub fn app_logs_container(cmd: &str) -> Option<&str> {
    let mut words = cmd.split_whitespace().filter(|w| *w != "sudo");
    if !matches!(words.next()?, "docker" | "docker-compose" | "podman") {
        return None;
    }
    let mut after = words.skip_while(|w| *w != "logs").skip(1);
    let mut names = Vec::new();
    while let Some(w) = after.next() {
        if w.starts_with('|') || w.starts_with('>') || w == "2>&1" {
            break;
        }
        if w.starts_with('-') {
            if matches!(w, "--tail" | "-n" | "--since" | "--until") {
                after.next();
            }
            continue;
        }
        names.push(w);
    }
    match names.as_slice() {
        [one] if !one.contains("nginx") => Some(one),
        _ => None,
    }
}

/// The `--name` of a `docker run` command (`--name app`, `--name=app`).
pub fn docker_run_name(cmd: &str) -> Option<&str> {
    let mut words = cmd.split_whitespace();
    while let Some(w) = words.next() {
        let name = match w.strip_prefix("--name") {
            Some("") => words.next(),
            Some(v) => v.strip_prefix('='),
            None => None,
        };
        if let Some(n) = name.map(|n| n.trim_matches(['\'', '"'])) {
            let ok = !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
            return ok.then_some(n);
        }
    }
    None
}

/// The image of a `docker run` command (or of one of its continuation
/// lines, `words` then being that line's words): the first word that is
/// neither an option nor the value of an option that takes one.
pub fn docker_run_image<'a>(words: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    const VALUED: &[&str] = &[
        "-p",
        "--publish",
        "-v",
        "--volume",
        "-e",
        "--env",
        "--env-file",
        "--name",
        "--network",
        "--net",
        "-w",
        "--workdir",
        "-u",
        "--user",
        "--restart",
        "--mount",
        "-l",
        "--label",
        "--add-host",
        "--entrypoint",
        "-h",
        "--hostname",
        "-m",
        "--memory",
        "--cpus",
        "--log-driver",
        "--log-opt",
        "--dns",
        "--expose",
        "--link",
        "--platform",
        "--pull",
        "--health-cmd",
        "--ulimit",
        "--cap-add",
        "--cap-drop",
        "--device",
        "--tmpfs",
        "--security-opt",
        "--network-alias",
        "--shm-size",
        "--stop-signal",
        "--gpus",
    ];
    let mut words = words.filter(|w| *w != "\\");
    while let Some(w) = words.next() {
        if w.starts_with('-') {
            if !w.contains('=') && VALUED.contains(&w) {
                words.next();
            }
            continue;
        }
        return Some(w);
    }
    None
}

/// Is `image` (`nginx:1.27`, `docker.io/library/nginx`, `openresty/openresty`) nginx's?
pub fn nginx_image(image: &str) -> bool {
    is_nginx_image(image.split(':').next().unwrap_or(image))
        || image.contains("nginx-proxy-manager")
}

/// `kubectl … -n shop`, `--namespace shop`, `--namespace=shop`.
pub fn kubectl_namespace(cmd: &str) -> Option<String> {
    let mut words = cmd.split_whitespace();
    while let Some(w) = words.next() {
        if let Some(ns) = w.strip_prefix("--namespace=") {
            return Some(ns.to_string()).filter(|n| !n.is_empty());
        }
        if w == "-n" || w == "--namespace" {
            return words.next().map(str::to_string);
        }
    }
    None
}

pub fn starts(line: &str) -> bool {
    let t = line.trim_end();
    is_header(t)
        || (t.contains('\t')
            && t.split('\t').any(|c| parse_status(c).is_some())
            && t.split('\t').count() >= 2)
}

pub fn continues(line: &str) -> bool {
    let t = line.trim();
    if is_header(t) || (!t.is_empty() && t.bytes().all(|b| b == b'-')) {
        return true;
    }
    if t.split_whitespace().next().is_some_and(is_hex_id) {
        return true;
    }
    has_status_cell(line) || is_ports_cell(t)
}

/// A header: column names and their start, in characters.
fn header_columns(h: &str) -> Vec<(String, usize)> {
    let chars: Vec<char> = h.chars().collect();
    let mut cols = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == ' ' {
            i += 1;
            continue;
        }
        let start = i;
        // A column name ends at two spaces or the end.
        while i < chars.len() && !(chars[i] == ' ' && chars.get(i + 1).is_none_or(|&c| c == ' ')) {
            i += 1;
        }
        let name: String = chars[start..i].iter().collect();
        cols.push((name.trim().to_ascii_uppercase(), start));
    }
    cols
}

/// Slice `row` at the header columns; `None` when it does not line up.
fn slice_row(row: &str, cols: &[(String, usize)]) -> Option<Vec<String>> {
    let chars: Vec<char> = row.chars().collect();
    for &(_, start) in cols.iter().skip(1) {
        if start < chars.len() && start > 0 && !chars[start - 1].is_whitespace() {
            return None;
        }
        if start < chars.len()
            && chars[start].is_whitespace()
            && chars.get(start + 1).is_some_and(|c| !c.is_whitespace())
        {
            // A cell starting one column late: misaligned.
            return None;
        }
    }
    let mut out = Vec::with_capacity(cols.len());
    for (i, &(_, start)) in cols.iter().enumerate() {
        let end = cols
            .get(i + 1)
            .map(|c| c.1)
            .unwrap_or(chars.len())
            .min(chars.len());
        let cell: String = if start < end {
            chars[start..end].iter().collect()
        } else {
            String::new()
        };
        out.push(cell.trim().to_string());
    }
    Some(out)
}

/// An nginx image, or an nginx-based proxy's under its own name
/// (OpenResty, linuxserver's SWAG).
pub fn is_nginx_image(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.starts_with("nginx") || last.starts_with("openresty") || last.starts_with("swag")
}

fn push_container(
    facts: &mut Facts,
    name: &str,
    image: Option<&str>,
    status: &str,
    ports: &str,
    line: u64,
) {
    let Some((state, exit_code, health)) = parse_status(status) else {
        return;
    };
    if name.is_empty() {
        return;
    }
    let image = image.filter(|i| !i.is_empty()).map(str::to_string);
    let nginxish = image.as_deref().is_some_and(is_nginx_image) || name.contains("nginx");
    if nginxish && matches!(state.as_str(), "running" | "restarting") {
        facts.nginx_runs_in(|| crate::causes::ctx::compose_service(name).to_string());
    }
    facts.containers.push(Container {
        name: name.to_string(),
        image,
        status: state,
        exit_code,
        health,
        ports: ports
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        // `kubectl get pods` shows the last termination's reason as STATUS.
        oom_killed: (status.trim() == "OOMKilled").then_some(true),
        namespace: None,
        memory_limit: None,
        line,
    });
}

/// A row whose cells are known by content only.
fn by_content(cells: &[&str], name_last: bool, line: u64, facts: &mut Facts) {
    let Some(si) = cells.iter().position(|c| parse_status(c).is_some()) else {
        by_tokens(&cells.join(" "), name_last, line, facts);
        return;
    };
    let ports = cells
        .iter()
        .skip(si + 1)
        .find(|c| is_ports_cell(c))
        .copied()
        .unwrap_or("");
    let candidates: Vec<&str> = cells
        .iter()
        .enumerate()
        .filter(|&(i, c)| i != si && !is_ports_cell(c) && !is_hex_id(c) && !c.starts_with('"'))
        .map(|(_, c)| *c)
        .collect();
    let name = if name_last {
        candidates.last()
    } else {
        candidates.first()
    };
    let image = if cells.first().is_some_and(|c| is_hex_id(c)) {
        cells.get(1).copied()
    } else {
        None
    };
    if let Some(n) = name {
        push_container(facts, n, image, cells[si], ports, line);
    }
}

/// Last resort for rows whose spacing was collapsed to single spaces:
/// find the status words, take ports by shape and the name by position.
fn by_tokens(row: &str, name_last: bool, line: u64, facts: &mut Facts) {
    let Some(at) = [
        "Up ",
        "Exited (",
        "Restarting (",
        "Exit ",
        "running",
        "exited (",
    ]
    .iter()
    .filter_map(|k| {
        row.find(k)
            .filter(|&i| i == 0 || row.as_bytes()[i - 1] == b' ')
    })
    .min() else {
        return;
    };
    let toks: Vec<&str> = row.split_whitespace().collect();
    let ports: Vec<&str> = toks
        .iter()
        .map(|t| t.trim_end_matches(','))
        .filter(|t| is_ports_cell(t))
        .collect();
    let name = if name_last { toks.last() } else { toks.first() };
    let Some(name) = name.filter(|n| !is_ports_cell(n) && !is_hex_id(n)) else {
        return;
    };
    let image = if toks.first().is_some_and(|c| is_hex_id(c)) {
        toks.get(1).copied()
    } else {
        None
    };
    push_container(
        facts,
        name,
        image,
        row.get(at..).unwrap_or(""),
        &ports.join(", "),
        line,
    );
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut cols: Option<Vec<(String, usize)>> = None;
    let mut v1 = false;
    // `docker ps` puts NAMES last; compose and `--format` tables first.
    let mut name_last = false;
    // The `-n` of a `kubectl get pods` command the segmenter put first.
    let mut namespace: Option<String> = None;
    let start = facts.containers.len();
    for l in lines {
        let raw = l.text.trim_end();
        let t = raw.trim();
        if t.is_empty() || t.bytes().all(|b| b == b'-') {
            continue;
        }
        if let Some(cmd) = t.strip_prefix("$ ") {
            namespace = kubectl_namespace(cmd);
            continue;
        }
        if super::misc::inspect_state(l.no, t, facts) {
            continue;
        }
        if is_header(raw) {
            facts.kubernetes |= is_kubectl_header(raw);
            v1 = t.starts_with("Name ") && !t.starts_with("NAME");
            name_last = t.ends_with("NAMES")
                || t.ends_with("NAMES SIZE")
                || t.contains("NAMES  ") && t.ends_with("SIZE");
            cols = Some(header_columns(raw));
            continue;
        }
        if t.contains('\t') {
            let cells: Vec<&str> = t.split('\t').map(str::trim).collect();
            by_content(&cells, false, l.no, facts);
            continue;
        }
        // A PORTS cell wrapped onto its own line (compose v1).
        if is_ports_cell(t) && !has_status_cell(raw) {
            if let Some(c) = facts.containers.last_mut().filter(|c| c.line < l.no) {
                c.ports.extend(
                    t.split(',')
                        .map(|p| p.trim().to_string())
                        .filter(|p| !p.is_empty()),
                );
            }
            continue;
        }
        let Some(cols) = cols.as_ref().filter(|_| !v1) else {
            by_content(&wide_cells(raw), name_last, l.no, facts);
            continue;
        };
        let get = |row: &[String], names: &[&str]| -> Option<String> {
            let i = cols.iter().position(|(n, _)| names.contains(&n.as_str()))?;
            row.get(i).cloned()
        };
        match slice_row(raw, cols) {
            Some(row) => {
                let before = facts.containers.len();
                let name = get(&row, &["NAMES", "NAME"]).unwrap_or_default();
                let status = get(&row, &["STATUS", "STATE"]).unwrap_or_default();
                let image = get(&row, &["IMAGE"]);
                let ports = get(&row, &["PORTS"]).unwrap_or_default();
                if parse_status(&status).is_some() {
                    push_container(facts, &name, image.as_deref(), &status, &ports, l.no);
                    if let Some(c) = facts.containers.get_mut(before) {
                        c.namespace = get(&row, &["NAMESPACE"]);
                    }
                    // `docker compose ps` names the service: nginx's, for
                    // `docker compose exec <service>`, whatever the project
                    // prefix of its container or log lines.
                    let service = get(&row, &["SERVICE"]).filter(|s| !s.is_empty());
                    let nginxish =
                        image.as_deref().is_some_and(is_nginx_image) || name.contains("nginx");
                    if let Some(svc) = service.filter(|_| nginxish) {
                        facts.nginx_service = Some(svc);
                    }
                } else {
                    by_content(&wide_cells(raw), name_last, l.no, facts);
                }
            }
            None => by_content(&wide_cells(raw), name_last, l.no, facts),
        }
    }
    for c in facts.containers.iter_mut().skip(start) {
        if c.namespace.is_none() {
            c.namespace.clone_from(&namespace);
        }
    }
}

// ---------------------------------------------------------------- compose

pub fn compose_starts(line: &str) -> bool {
    let t = line.trim_end();
    t == "services:"
        || t.strip_prefix("version:").is_some_and(|v| {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        })
}

pub fn compose_continues(line: &str) -> bool {
    let t = line.trim_end();
    if t.is_empty() || t.starts_with(' ') || t.starts_with('\t') || t.starts_with('#') || t == "---"
    {
        return true;
    }
    // A top-level key (`networks:`, `volumes:`, `x-common: &common`, `name: proj`).
    match t.split_once(':') {
        Some((k, rest)) => {
            !k.is_empty()
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
                && (rest.is_empty() || rest.starts_with(' '))
                && !rest.trim_end().ends_with(';')
                && !rest.trim_end().ends_with('{')
        }
        None => false,
    }
}

fn indent(s: &str) -> usize {
    s.len() - s.trim_start_matches([' ', '\t']).len()
}

/// Drop a ` # comment` outside quotes.
fn strip_comment(s: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev_space = true;
    for (i, c) in s.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && prev_space => return s[..i].trim_end(),
            None => {}
        }
        prev_space = c == ' ' || c == '\t';
    }
    s.trim_end()
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .or_else(|| s.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
        .unwrap_or(s)
}

/// `["a", "b"]` → [a, b].
fn flow_list(s: &str) -> Option<Vec<String>> {
    let inner = s.trim().strip_prefix('[')?.strip_suffix(']')?;
    Some(
        inner
            .split(',')
            .map(unquote)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

fn key_val(s: &str) -> Option<(&str, &str)> {
    let (k, v) = s.split_once(':')?;
    if !(v.is_empty() || v.starts_with(' ') || v.starts_with('\t')) {
        return None;
    }
    let k = unquote(k);
    (!k.is_empty() && !k.contains(' ')).then_some((k, v.trim()))
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    None,
    Ports,
    Expose,
    Command,
    ExtraHosts,
    Build,
}

pub fn parse_compose(lines: &[BlockLine], facts: &mut Facts) {
    let mut in_services = false;
    let mut svc_indent: Option<usize> = None;
    let mut key_indent: Option<usize> = None;
    let mut cur: Option<ComposeService> = None;
    let mut field = Field::None;
    let mut command_parts: Vec<String> = Vec::new();
    // Long-syntax port being read: (published, target).
    let mut long_port: Option<(String, String)> = None;
    let mut services: Vec<ComposeService> = Vec::new();
    // (service, build context or Dockerfile path): `./nginx` says what it builds.
    let mut build_ctx: Vec<(String, String)> = Vec::new();

    fn end_port(lp: &mut Option<(String, String)>, cur: &mut Option<ComposeService>) {
        if let (Some((p, t)), Some(s)) = (lp.take(), cur.as_mut()) {
            s.ports
                .push(if p.is_empty() { t } else { format!("{p}:{t}") });
        }
    }
    fn end_field(
        field: &mut Field,
        parts: &mut Vec<String>,
        lp: &mut Option<(String, String)>,
        cur: &mut Option<ComposeService>,
    ) {
        end_port(lp, cur);
        if *field == Field::Command && !parts.is_empty() {
            if let Some(s) = cur.as_mut() {
                s.command = Some(parts.join(" "));
            }
        }
        parts.clear();
        *field = Field::None;
    }

    for l in lines {
        let text = strip_comment(&l.text);
        if text.trim().is_empty() || text.trim_start().starts_with('#') {
            continue;
        }
        let ind = indent(text);
        let t = text.trim();
        if ind == 0 {
            end_field(&mut field, &mut command_parts, &mut long_port, &mut cur);
            services.extend(cur.take());
            in_services = t == "services:";
            svc_indent = None;
            key_indent = None;
            continue;
        }
        if !in_services {
            continue;
        }
        let si = *svc_indent.get_or_insert(ind);
        if ind <= si {
            end_field(&mut field, &mut command_parts, &mut long_port, &mut cur);
            services.extend(cur.take());
            key_indent = None;
            if let Some((name, _)) = key_val(t) {
                cur = Some(ComposeService {
                    name: name.to_string(),
                    line: l.no,
                    ..ComposeService::default()
                });
            }
            continue;
        }
        if cur.is_none() {
            continue;
        }
        let ki = *key_indent.get_or_insert(ind);
        if ind <= ki {
            end_field(&mut field, &mut command_parts, &mut long_port, &mut cur);
            let Some(svc) = cur.as_mut() else { continue };
            let Some((k, v)) = key_val(t) else { continue };
            match k {
                "image" => svc.image = Some(unquote(v).to_string()),
                "build" => {
                    svc.build = true;
                    if v.is_empty() {
                        field = Field::Build;
                    } else {
                        build_ctx.push((svc.name.clone(), unquote(v).to_string()));
                    }
                }
                "container_name" => svc.container_name = Some(unquote(v).to_string()),
                "network_mode" => svc.network_mode = Some(unquote(v).to_string()),
                "ports" | "expose" | "extra_hosts" => {
                    let list = match k {
                        "ports" => &mut svc.ports,
                        "expose" => &mut svc.expose,
                        _ => &mut svc.extra_hosts,
                    };
                    if let Some(items) = flow_list(v) {
                        list.extend(items);
                    } else {
                        field = match k {
                            "ports" => Field::Ports,
                            "expose" => Field::Expose,
                            _ => Field::ExtraHosts,
                        };
                    }
                }
                "command" => {
                    if let Some(items) = flow_list(v) {
                        svc.command = Some(items.join(" "));
                    } else if v.is_empty()
                        || v == ">"
                        || v == "|"
                        || v.starts_with(">-")
                        || v.starts_with("|-")
                    {
                        field = Field::Command;
                    } else {
                        svc.command = Some(unquote(v).to_string());
                    }
                }
                _ => {}
            }
            continue;
        }
        // Deeper: the value of the current field.
        match field {
            Field::None => {}
            Field::Build => {
                if let (Some((k, v)), Some(svc)) = (key_val(t), cur.as_ref()) {
                    if k == "context" || k == "dockerfile" {
                        build_ctx.push((svc.name.clone(), unquote(v).to_string()));
                    }
                }
            }
            Field::Command => {
                let item = t.strip_prefix("- ").unwrap_or(t);
                command_parts.push(unquote(item).to_string());
            }
            Field::Ports => {
                if let Some(item) = t.strip_prefix("- ").or_else(|| (t == "-").then_some("")) {
                    end_port(&mut long_port, &mut cur);
                    match key_val(item) {
                        Some((k, v))
                            if !item.starts_with('"')
                                && !item.starts_with('\'')
                                && matches!(
                                    k,
                                    "target"
                                        | "published"
                                        | "host_ip"
                                        | "protocol"
                                        | "mode"
                                        | "name"
                                        | "app_protocol"
                                ) =>
                        {
                            let mut lp = (String::new(), String::new());
                            match k {
                                "target" => lp.1 = unquote(v).to_string(),
                                "published" => lp.0 = unquote(v).to_string(),
                                _ => {}
                            }
                            long_port = Some(lp);
                        }
                        _ if !item.is_empty() => {
                            if let Some(svc) = cur.as_mut() {
                                svc.ports.push(unquote(item).to_string());
                            }
                        }
                        _ => long_port = Some((String::new(), String::new())),
                    }
                } else if let (Some((k, v)), Some(lp)) = (key_val(t), long_port.as_mut()) {
                    match k {
                        "target" => lp.1 = unquote(v).to_string(),
                        "published" => lp.0 = unquote(v).to_string(),
                        _ => {}
                    }
                }
            }
            Field::Expose | Field::ExtraHosts => {
                let Some(svc) = cur.as_mut() else { continue };
                if let Some(item) = t.strip_prefix("- ") {
                    let list = if field == Field::Expose {
                        &mut svc.expose
                    } else {
                        &mut svc.extra_hosts
                    };
                    list.push(unquote(item).to_string());
                } else if field == Field::ExtraHosts {
                    // Map form: `host.docker.internal: host-gateway`.
                    if let Some((k, v)) = t.split_once(": ") {
                        svc.extra_hosts
                            .push(format!("{}:{}", unquote(k), unquote(v)));
                    }
                }
            }
        }
    }
    end_field(&mut field, &mut command_parts, &mut long_port, &mut cur);
    services.extend(cur.take());
    for s in services {
        let nginxish = match &s.image {
            Some(i) => is_nginx_image(i),
            None => {
                s.name.contains("nginx")
                    || build_ctx
                        .iter()
                        .any(|(n, c)| *n == s.name && c.contains("nginx"))
            }
        };
        if nginxish {
            facts.nginx_in_container = true;
            // The compose file is the surest name: it wins over log prefixes.
            facts.nginx_service = Some(s.name.clone());
        }
        facts.compose_services.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<BlockLine> {
        text.lines()
            .enumerate()
            .map(|(i, t)| BlockLine {
                no: i as u64 + 1,
                text: t.to_string(),
            })
            .collect()
    }

    #[test]
    fn statuses() {
        let s = parse_status;
        assert_eq!(
            s("Up 2 hours (unhealthy)"),
            Some(("running".into(), None, Some("unhealthy".into())))
        );
        assert_eq!(
            s("Exited (137) 3 minutes ago"),
            Some(("exited".into(), Some(137), None))
        );
        assert_eq!(
            s("Restarting (1) 8 seconds ago"),
            Some(("restarting".into(), Some(1), None))
        );
        assert_eq!(s("Exit 137"), Some(("exited".into(), Some(137), None)));
        assert_eq!(s("exited (0)"), Some(("exited".into(), Some(0), None)));
        assert_eq!(s("Up"), Some(("running".into(), None, None)));
        assert_eq!(s("Upstream"), None);
        assert_eq!(s("Exit"), None);
        assert_eq!(s("ex"), None);
    }

    #[test]
    fn compose_ps_service_column_names_nginx_service() {
        let mut f = Facts::default();
        parse(
            &lines("NAME                IMAGE            COMMAND                  SERVICE   CREATED          STATUS                          PORTS\n\
myapp-backend-1     myapp-backend    \"docker-entrypoint.s…\"   backend   12 minutes ago   Exited (1) 11 minutes ago\n\
myapp-proxy-1       nginx:1.25       \"/docker-entrypoint.…\"   proxy     12 minutes ago   Restarting (1) 20 seconds ago"),
            &mut f,
        );
        assert_eq!(f.containers.len(), 2);
        assert_eq!(f.containers[1].status, "restarting");
        // The SERVICE column, not the container name's project prefix.
        assert_eq!(f.nginx_service.as_deref(), Some("proxy"));
    }

    #[test]
    fn docker_ps() {
        let mut f = Facts::default();
        parse(
            &lines("CONTAINER ID   IMAGE            COMMAND                  CREATED        STATUS                        PORTS                                   NAMES\n\
3f2c1d9e8a7b   nginx:1.25       \"/docker-entrypoint.…\"   2 hours ago    Up 2 hours                    0.0.0.0:80->80/tcp, :::80->80/tcp       proj-nginx-1\n\
9b8a7c6d5e4f   proj-app         \"docker-entrypoint.s…\"   2 hours ago    Exited (137) 3 minutes ago                                            proj-app-1\n\
1a2b3c4d5e6f php:8.2-fpm \"docker-php-entrypoi…\" 2 hours ago Up 2 hours (unhealthy)  9000/tcp  proj-php-1"),
            &mut f,
        );
        let got: Vec<(&str, &str, Option<i32>, usize)> = f
            .containers
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.status.as_str(),
                    c.exit_code,
                    c.ports.len(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("proj-nginx-1", "running", None, 2),
                ("proj-app-1", "exited", Some(137), 0),
                ("proj-php-1", "running", None, 1)
            ]
        );
        assert!(f.nginx_in_container);
        assert_eq!(f.containers[0].image.as_deref(), Some("nginx:1.25"));
    }

    #[test]
    fn compose_file() {
        let mut f = Facts::default();
        parse_compose(
            &lines("services:\n  web:\n    image: nginx:alpine # front\n    ports:\n      - \"8080:80\"\n      - target: 443\n        published: 8443\n  app:\n    build: .\n    command: [\"gunicorn\", \"-b\", \"127.0.0.1:8000\", \"app:app\"]\n    expose:\n      - \"8000\"\n    extra_hosts:\n      - \"host.docker.internal:host-gateway\"\n  worker:\n    image: proj/worker\n    network_mode: host\n    command: >\n      python -m worker\n      --port 9000\nvolumes:\n  data: {}"),
            &mut f,
        );
        let s = &f.compose_services;
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].ports, ["8080:80", "8443:443"]);
        assert_eq!(
            s[1].command.as_deref(),
            Some("gunicorn -b 127.0.0.1:8000 app:app")
        );
        assert!(s[1].build);
        assert_eq!(s[1].expose, ["8000"]);
        assert_eq!(s[2].network_mode.as_deref(), Some("host"));
        assert_eq!(
            s[2].command.as_deref(),
            Some("python -m worker --port 9000")
        );
        assert!(f.nginx_in_container);
    }

    #[test]
    fn detection() {
        assert!(starts(
            "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES"
        ));
        assert!(starts("NAME                IMAGE               COMMAND                  SERVICE             CREATED             STATUS              PORTS"));
        assert!(continues("9b8a7c6d5e4f   proj-app   \"x\"   2 hours ago   Exited (137) 3 minutes ago      proj-app-1"));
        assert!(!continues("server {"));
        assert!(compose_starts("services:"));
        assert!(compose_starts("version: '3.8'"));
        assert!(!compose_starts("version: nginx/1.24"));
        assert!(compose_continues("  web:"));
        assert!(!compose_continues("server {"));
    }
}
