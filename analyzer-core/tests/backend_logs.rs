//! Backend and system logs as people paste them (PHP-FPM, gunicorn, uWSGI,
//! pm2/Node, Python, kernel, SELinux audit, systemd, gRPC): every fixture in
//! `fixtures/backend_logs/` goes through the segmenter line by line; the
//! event groups it yields are snapshotted, and the artifact kinds checked.

use analyzer_core::artifacts::Kind;
use analyzer_core::facts::{EventGroup, Signal, Source};
use analyzer_core::segment::Segmenter;
use serde::Serialize;
use std::fs;
use std::path::{Path, PathBuf};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join("backend_logs")
}

fn fixtures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    v.sort();
    v
}

fn segment(name: &str) -> Segmenter {
    let text = fs::read_to_string(fixture_dir().join(name)).expect("readable fixture");
    let mut seg = Segmenter::new();
    for (i, line) in text.lines().enumerate() {
        seg.line(i as u64 + 1, line);
    }
    seg.finish();
    seg
}

#[derive(Serialize)]
struct GroupView<'a> {
    source: Source,
    signal: &'a Signal,
    count: u64,
    first_line: u64,
    last_line: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_time: Option<i64>,
    /// Evidence lines kept, with the marked fragment.
    evidence: Vec<(u64, String)>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pids: Vec<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    requests: Vec<String>,
}

fn view(g: &EventGroup) -> GroupView<'_> {
    GroupView {
        source: g.key.source,
        signal: &g.key.signal,
        count: g.count,
        first_line: g.first_line,
        last_line: g.last_line,
        first_time: g.first_time,
        evidence: g
            .evidence()
            .map(|e| {
                let m = e
                    .mark
                    .and_then(|(a, b)| e.text.get(a..b))
                    .unwrap_or("<no mark>");
                (e.line, m.to_string())
            })
            .collect(),
        pids: g.pids.clone(),
        requests: g.requests.clone(),
    }
}

#[test]
fn groups_snapshot() {
    let all = fixtures();
    assert!(all.len() >= 10, "expected at least 10 fixtures");
    for p in all {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        let seg = segment(&name);
        let groups: Vec<GroupView> = seg.facts.groups.iter().map(view).collect();
        let stem = name.trim_end_matches(".txt").to_string();
        insta::assert_json_snapshot!(stem, groups);
    }
}

/// Fixture → the artifact kinds it must contain, and kinds it must not.
const KINDS: &[(&str, &[Kind])] = &[
    ("ausearch_avc.txt", &[Kind::AuditLog]),
    ("debian_php81_fpm_log.txt", &[Kind::FpmLog]),
    ("dmesg_T_oom.txt", &[Kind::KernelLog]),
    ("dmesg_old_kernel_oom.txt", &[Kind::KernelLog]),
    ("grpc_bogus_greeting.txt", &[Kind::AppLog]),
    (
        "gunicorn_journal.txt",
        &[Kind::Journal, Kind::GunicornLog, Kind::PythonTraceback],
    ),
    (
        "journal_short_iso_fpm_bind.txt",
        &[Kind::FpmLog, Kind::Journal],
    ),
    ("journalctl_k_oom.txt", &[Kind::KernelLog, Kind::Journal]),
    ("node_heap_oom.txt", &[Kind::NodeLog, Kind::AppLog]),
    ("pm2_logs_eaddrinuse.txt", &[Kind::Pm2Logs]),
    ("python_traceback_addrinuse.txt", &[Kind::PythonTraceback]),
    ("rhel_php_fpm_error_log.txt", &[Kind::FpmLog]),
    (
        "systemd_fpm_config_failure.txt",
        &[Kind::Journal, Kind::FpmLog],
    ),
    ("uwsgi_block_size.txt", &[Kind::UwsgiLog]),
    ("uwsgi_harakiri_log_date.txt", &[Kind::UwsgiLog]),
];

#[test]
fn artifact_kinds() {
    let listed: Vec<&str> = KINDS.iter().map(|(n, _)| *n).collect();
    for p in fixtures() {
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            listed.contains(&name.as_str()),
            "{name} has no expected kinds"
        );
    }
    let mut failures = Vec::new();
    for (name, want) in KINDS {
        let seg = segment(name);
        let kinds: Vec<Kind> = seg.artifacts.iter().map(|a| a.kind).collect();
        for k in *want {
            if !kinds.contains(k) {
                failures.push(format!("{name}: no {k:?} in {kinds:?}"));
            }
        }
        // Everything a recognised log is made of is claimed: no line of these
        // fixtures may fall to another artifact kind, except where listed.
        let allowed_other = |k: Kind| {
            want.contains(&k) || k == Kind::Unrecognised && UNCLAIMED.iter().any(|(n, _)| n == name)
        };
        for a in &seg.artifacts {
            if !allowed_other(a.kind) {
                failures.push(format!(
                    "{name}: unexpected {:?} at lines {}-{}",
                    a.kind, a.first_line, a.last_line
                ));
            }
        }
        // and unrecognised lines are exactly the expected ones
        let unrec: Vec<u64> = seg
            .artifacts
            .iter()
            .filter(|a| a.kind == Kind::Unrecognised)
            .flat_map(|a| a.first_line..=a.last_line)
            .collect();
        let expected: Vec<u64> = UNCLAIMED
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, l)| l.to_vec())
            .unwrap_or_default();
        if unrec != expected {
            failures.push(format!(
                "{name}: unrecognised lines {unrec:?}, expected {expected:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Lines no log parser can claim on their own: code lines of a Python
/// traceback, the program's own prints, a shell's `Aborted` message, prompts
/// of commands the segmenter does not know.
const UNCLAIMED: &[(&str, &[u64])] = &[
    ("node_heap_oom.txt", &[1, 17]),
    ("python_traceback_addrinuse.txt", &[1, 2, 3, 6, 8, 10, 17]),
];

#[test]
fn one_oom_kill_is_one_event() {
    for name in [
        "dmesg_T_oom.txt",
        "dmesg_old_kernel_oom.txt",
        "journalctl_k_oom.txt",
    ] {
        let seg = segment(name);
        for g in &seg.facts.groups {
            if matches!(g.key.signal, Signal::OomKilled { .. }) {
                assert_eq!(g.count, 1, "{name}: {:?}", g.key.signal);
            }
        }
    }
}
