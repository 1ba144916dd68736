//! Mixed pastes: the same artifacts pasted together, in different orders
//! and wrappers (with or without their prompt lines, in code fences, with
//! CRLF, with ANSI colours), must yield the same facts as each pasted alone.

use analyzer_core::segment::Segmenter;
use std::collections::BTreeSet;
use std::path::Path;

/// One artifact of each kind, as people paste them.
const PIECES: &[&str] = &[
    "listeners/ss_tlnp_ubuntu22.txt",
    "systemd/gunicorn_203_exec_debian12.txt",
    "fpm_pool/debian_www_conf.txt",
    "pm2/pm2_list_full_v5.txt",
    "ls/debian_run_php_listing.txt",
    "docker/docker_ps_a.txt",
    "curl/curl_I_http2_ubuntu.txt",
    "access_log/combined_debian.txt",
    "nginx_config/debian_nginx_T.txt",
    "backend_logs/gunicorn_journal.txt",
];

const ERROR_LOG: &str = "2024/01/15 10:23:45 [error] 1234#1234: *5678 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"example.com\"\n2024/01/15 10:23:47 [crit] 1234#1234: *5679 connect() to unix:/run/php/php8.1-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 203.0.113.7, server: example.com, request: \"GET /index.php HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.1-fpm.sock:\", host: \"example.com\"\n";

fn read(rel: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Facts without line numbers, as a set of readable strings.
fn facts_of(text: &str) -> BTreeSet<String> {
    let mut seg = Segmenter::new();
    for (i, l) in text.split('\n').enumerate() {
        seg.line(i as u64 + 1, l);
    }
    seg.finish();
    let f = &seg.facts;
    let mut out = BTreeSet::new();
    for l in &f.listeners {
        out.insert(format!(
            "listener {} {:?} {:?}",
            l.addr.display(),
            l.process,
            l.pid
        ));
    }
    for s in &f.services {
        out.insert(format!(
            "service {} {} {:?} {:?}",
            s.name, s.state, s.result, s.exit_status
        ));
    }
    for p in &f.paths {
        out.insert(format!(
            "path {} {} {:o} {} {}",
            p.path, p.file_type, p.mode, p.owner, p.group
        ));
    }
    for m in &f.missing_paths {
        out.insert(format!("missing {}", m.path));
    }
    for p in &f.pools {
        let keys: Vec<String> = p
            .keys
            .iter()
            .map(|(k, (v, _))| format!("{k}={v}"))
            .collect();
        out.insert(format!("pool {} {}", p.name, keys.join(",")));
    }
    for a in &f.pm2 {
        out.insert(format!("pm2 {} {} {:?}", a.name, a.status, a.restarts));
    }
    for c in &f.containers {
        out.insert(format!(
            "container {} {} {:?}",
            c.name, c.status, c.exit_code
        ));
    }
    for c in &f.curl {
        out.insert(format!(
            "curl {:?} {:?} {:?}",
            c.status, c.server, c.error_code
        ));
    }
    for g in &f.groups {
        out.insert(format!("events {:?} x{}", g.key, g.count));
    }
    if let Some(u) = &f.nginx_user {
        out.insert(format!("nginx user {}", u.user));
    }
    if let Some(c) = &f.config {
        for p in c.passes() {
            out.insert(format!("pass {} {}", p.directive, p.target));
        }
    }
    for (code, n) in &f.access.status {
        out.insert(format!("access {code} x{n}"));
    }
    out
}

fn without_prompt(s: &str) -> String {
    s.lines()
        .filter(|l| analyzer_core::segment::parse_prompt(l).is_none())
        .collect::<Vec<_>>()
        .join("\n")
}

fn pieces() -> Vec<String> {
    let mut v: Vec<String> = PIECES.iter().map(|p| read(p)).collect();
    v.push(ERROR_LOG.to_string());
    v
}

fn reference() -> BTreeSet<String> {
    pieces().iter().flat_map(|p| facts_of(p)).collect()
}

fn check(name: &str, combined: &str, want: &BTreeSet<String>) -> Vec<String> {
    let got = facts_of(combined);
    let mut errs = Vec::new();
    for m in want.difference(&got) {
        errs.push(format!("{name}: missing {m}"));
    }
    for x in got.difference(want) {
        errs.push(format!("{name}: extra {x}"));
    }
    errs
}

fn rotations<T: Clone>(v: &[T]) -> Vec<Vec<T>> {
    let mut out = vec![v.to_vec()];
    let mut r = v.to_vec();
    r.reverse();
    out.push(r);
    for k in [3, 7] {
        let mut x = v.to_vec();
        x.rotate_left(k % v.len());
        out.push(x);
    }
    out
}

#[test]
fn same_facts_in_any_order_and_wrapper() {
    let want = reference();
    assert!(
        want.len() > 30,
        "the reference should hold many facts: {want:#?}"
    );
    for must in [
        "listener 127.0.0.1:3000 Some(\"node\")",
        "service gunicorn failed",
        "pool www ",
        "pm2 api errored",
        "container proj-app-1 ",
        "curl Some(502)",
        "access 502 ",
        "pass fastcgi_pass unix:/run/php/php8.2-fpm.sock",
        "pass proxy_pass http://127.0.0.1:3000/",
        "events EventKey { source: Nginx, signal: ConnectFailed { errno: 111 }",
        "events EventKey { source: Gunicorn",
        "nginx user www-data",
    ] {
        assert!(
            want.iter().any(|f| f.starts_with(must)),
            "reference lacks {must:?}: {want:#?}"
        );
    }
    let mut errs = Vec::new();
    for (i, order) in rotations(&pieces()).into_iter().enumerate() {
        errs.extend(check(
            &format!("order {i} as pasted"),
            &order.join("\n\n"),
            &want,
        ));
        errs.extend(check(
            &format!("order {i} fenced"),
            &order
                .iter()
                .map(|p| format!("```\n{}\n```", p.trim_end()))
                .collect::<Vec<_>>()
                .join("\n"),
            &want,
        ));
        errs.extend(check(
            &format!("order {i} crlf"),
            &order.join("\n\n").replace('\n', "\r\n"),
            &want,
        ));
        errs.extend(check(
            &format!("order {i} ansi"),
            &order
                .iter()
                .map(|p| {
                    p.lines()
                        .map(|l| {
                            if l.is_empty() {
                                String::new()
                            } else {
                                format!("\x1b[0;32m{l}\x1b[0m")
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect::<Vec<_>>()
                .join("\n\n"),
            &want,
        ));
    }
    assert!(
        errs.is_empty(),
        "{} differences:\n{}",
        errs.len(),
        errs.join("\n")
    );
}

#[test]
fn same_facts_without_prompt_lines() {
    // Without the `$ command` lines, artifacts must recognise themselves.
    let alone: Vec<String> = pieces().iter().map(|p| without_prompt(p)).collect();
    let want: BTreeSet<String> = alone.iter().flat_map(|p| facts_of(p)).collect();
    let mut errs = Vec::new();
    for (i, order) in rotations(&alone).into_iter().enumerate() {
        errs.extend(check(
            &format!("order {i} no prompts"),
            &order.join("\n\n"),
            &want,
        ));
        errs.extend(check(
            &format!("order {i} no prompts, no blank lines"),
            &order.join("\n"),
            &want,
        ));
    }
    assert!(
        errs.is_empty(),
        "{} differences:\n{}",
        errs.len(),
        errs.join("\n")
    );
}
