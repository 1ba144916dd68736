//! Block and access-log parsers, tested through the public segmenter so
//! recognition and parsing are checked together.
//!
//! Each `tests/fixtures/<kind>/*.txt` is fed line by line to
//! [`Segmenter`]; the facts it yields are snapshotted per fixture, and
//! every artifact the segmenter reports must be of the directory's kind
//! (kind-detector accuracy).

use analyzer_core::artifacts::Kind;
use analyzer_core::segment::Segmenter;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Fixture directory → the artifact kind its files must be recognised as.
const KINDS: &[(&str, Kind)] = &[
    ("listeners", Kind::Listeners),
    ("systemd", Kind::SystemctlStatus),
    ("ls", Kind::Ls),
    ("fpm_pool", Kind::FpmPool),
    ("pm2", Kind::Pm2List),
    ("docker", Kind::DockerPs),
    ("compose", Kind::ComposeFile),
    ("curl", Kind::Curl),
    ("access_log", Kind::NginxAccessLog),
];

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&d)
        .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    v.sort();
    assert!(
        v.len() >= 3,
        "{dir}: want at least 3 fixtures, have {}",
        v.len()
    );
    v
}

fn segment(path: &Path) -> Segmenter {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let mut seg = Segmenter::new();
    for (i, line) in text.lines().enumerate() {
        seg.line(i as u64 + 1, line);
    }
    seg.finish();
    seg
}

fn to_json<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).expect("serialisable")
}

/// What the parsers of one kind learned, as plain JSON.
fn facts_json(dir: &str, seg: &Segmenter) -> Value {
    let f = &seg.facts;
    let kinds: Vec<Value> = seg
        .artifacts
        .iter()
        .map(|a| json!(format!("{:?} {}-{}", a.kind, a.first_line, a.last_line)))
        .collect();
    let mut out = json!({ "artifacts": kinds });
    let body = match dir {
        "listeners" => json!({ "listeners": to_json(&f.listeners) }),
        "systemd" => json!({ "services": to_json(&f.services) }),
        "ls" => json!({ "paths": to_json(&f.paths), "missing_paths": to_json(&f.missing_paths) }),
        "fpm_pool" => json!({ "pools": to_json(&f.pools) }),
        "pm2" => json!({ "pm2": to_json(&f.pm2) }),
        "docker" => json!({ "containers": to_json(&f.containers) }),
        "compose" => json!({ "compose_services": to_json(&f.compose_services) }),
        "curl" => json!({ "curl": to_json(&f.curl) }),
        "access_log" => json!({ "access": to_json(&f.access) }),
        _ => Value::Null,
    };
    if let (Some(o), Some(b)) = (out.as_object_mut(), body.as_object()) {
        o.extend(b.clone());
        o.insert("distro".into(), to_json(&f.distro));
        o.insert("nginx_in_container".into(), json!(f.nginx_in_container));
        if let Some(v) = &f.nginx_version {
            o.insert("nginx_version".into(), json!(v));
        }
    }
    out
}

fn snapshot_dir(dir: &str) {
    for path in fixtures(dir) {
        let seg = segment(&path);
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("fixture")
            .to_string();
        insta::assert_json_snapshot!(format!("{dir}__{name}"), facts_json(dir, &seg));
    }
}

#[test]
fn listeners() {
    snapshot_dir("listeners");
}

#[test]
fn systemd() {
    snapshot_dir("systemd");
}

#[test]
fn ls() {
    snapshot_dir("ls");
}

#[test]
fn fpm_pool() {
    snapshot_dir("fpm_pool");
}

#[test]
fn pm2() {
    snapshot_dir("pm2");
}

#[test]
fn docker() {
    snapshot_dir("docker");
}

#[test]
fn compose() {
    snapshot_dir("compose");
}

#[test]
fn curl() {
    snapshot_dir("curl");
}

#[test]
fn access_log() {
    snapshot_dir("access_log");
}

/// Line kinds that legitimately sit next to a block kind in the same
/// output: pm2 prints `[PM2] Spawning PM2 daemon…` (a pm2 log line) before
/// its table.
const NEIGHBOURS: &[(Kind, Kind)] = &[(Kind::Pm2List, Kind::Pm2Logs)];

/// Every artifact found in a fixture is of its directory's kind (or an
/// allowed neighbour), and every fixture yields at least one fact of that
/// kind.
#[test]
fn kind_detector_accuracy() {
    let mut wrong = Vec::new();
    let mut total = 0;
    for &(dir, kind) in KINDS {
        for path in fixtures(dir) {
            total += 1;
            let seg = segment(&path);
            let name = path
                .file_name()
                .and_then(|s| s.to_str())
                .unwrap_or("?")
                .to_string();
            let kinds: Vec<Kind> = seg.artifacts.iter().map(|a| a.kind).collect();
            let ok = |k: &Kind| *k == kind || NEIGHBOURS.contains(&(kind, *k));
            if !kinds.contains(&kind) || !kinds.iter().all(ok) {
                let spans: Vec<String> = seg
                    .artifacts
                    .iter()
                    .filter(|a| !ok(&a.kind))
                    .map(|a| format!("{:?} lines {}-{}", a.kind, a.first_line, a.last_line))
                    .collect();
                wrong.push(format!("{dir}/{name}: {spans:?}"));
                continue;
            }
            let f = &seg.facts;
            let found = match kind {
                Kind::Listeners => !f.listeners.is_empty(),
                Kind::SystemctlStatus => !f.services.is_empty(),
                Kind::Ls => !f.paths.is_empty() || !f.missing_paths.is_empty(),
                Kind::FpmPool => !f.pools.is_empty(),
                Kind::Pm2List => !f.pm2.is_empty(),
                Kind::DockerPs => !f.containers.is_empty(),
                Kind::ComposeFile => !f.compose_services.is_empty(),
                Kind::Curl => !f.curl.is_empty(),
                Kind::NginxAccessLog => f.access.lines > 0,
                _ => true,
            };
            if !found {
                wrong.push(format!("{dir}/{name}: recognised but no facts"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {total} fixtures misdetected:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Pieces of every fixture glued together in one paste (no prompts, no
/// blank lines between some of them) still give the same kinds of facts.
#[test]
fn mixed_paste_keeps_every_kind() {
    let mut text = String::new();
    for &(dir, _) in KINDS {
        if let Some(p) = fixtures(dir).first() {
            text.push_str(&std::fs::read_to_string(p).expect("readable"));
            text.push_str("\n\n\n");
        }
    }
    let mut seg = Segmenter::new();
    for (i, line) in text.lines().enumerate() {
        seg.line(i as u64 + 1, line);
    }
    seg.finish();
    let f = &seg.facts;
    assert!(!f.listeners.is_empty());
    assert!(!f.services.is_empty());
    assert!(!f.paths.is_empty());
    assert!(!f.pools.is_empty());
    assert!(!f.pm2.is_empty());
    assert!(!f.containers.is_empty());
    assert!(!f.compose_services.is_empty());
    assert!(!f.curl.is_empty());
    assert!(f.access.lines > 0);
}

/// Arbitrary junk through every block parser: no panic, linear time.
#[test]
fn parsers_survive_junk() {
    use analyzer_core::artifacts::{parse_block, BlockLine};
    use analyzer_core::facts::Facts;
    let junk = [
        "",
        "│",
        "┌",
        "[",
        "]",
        "=",
        ":",
        "%",
        "->",
        "LISTEN",
        "LISTEN 0 0",
        "u_str LISTEN 0 0 *",
        "tcp 0 0 :",
        "srw-rw----",
        "srw-rw---- 1",
        "f: /",
        "# file: ",
        "user:",
        "Active:",
        "  Active: (",
        "● .service - ",
        "HTTP/1.1 ",
        "curl: (",
        "services:",
        "  x:",
        "    ports:",
        "      - target:",
        "é",
        "ü:ü",
        "[é]",
        "listen = é",
        "│ status │ é │",
        "CONTAINER ID  NAMES",
        "x\tUp 1\t",
        "Exited (",
        "Up (",
        "{\"status\":",
        "1 - - [15/Jan/2024:10:23:45 +0000] \"",
        "\u{feff}",
    ];
    let kinds = [
        Kind::Listeners,
        Kind::SystemctlStatus,
        Kind::Ls,
        Kind::FpmPool,
        Kind::Pm2List,
        Kind::DockerPs,
        Kind::ComposeFile,
        Kind::Curl,
    ];
    for kind in kinds {
        for a in junk {
            for b in junk {
                let lines = vec![
                    BlockLine {
                        no: 1,
                        text: a.to_string(),
                    },
                    BlockLine {
                        no: 2,
                        text: b.to_string(),
                    },
                    BlockLine {
                        no: 3,
                        text: format!("{a}{b}"),
                    },
                    BlockLine {
                        no: 4,
                        text: format!("    {b} {a}"),
                    },
                ];
                let mut f = Facts::default();
                parse_block(kind, &lines, &mut f, &mut Vec::new());
            }
        }
    }
    let mut seg = Segmenter::new();
    for (i, a) in junk.iter().enumerate() {
        for (j, b) in junk.iter().enumerate() {
            seg.line((i * junk.len() + j) as u64 + 1, &format!("{a} {b}"));
        }
    }
    seg.finish();
}
