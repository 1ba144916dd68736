//! pm2 process lists: `pm2 list`/`ls`/`status` box tables (full and
//! condensed layouts, old tables with an `App name` column), `pm2
//! describe`/`show` key tables, and one-line `pm2 jlist` JSON.
//!
//! Why: an app that is `errored`/`stopped`, or `online` with a climbing
//! `↺` restart count, explains a refused connection on its port.
//!
//! Table columns are mapped by their header names, never by position:
//! layouts differ by pm2 version and terminal width. Rows of tables
//! without a `name` column (the `Module` table) are ignored.

use super::BlockLine;
use crate::facts::{Facts, Pm2App};

const BOX_STARTS: &[char] = &[
    '┌', '├', '└', '│', '╞', '╘', '╒', '┍', '┝', '┕', '╭', '╰', '║', '╔', '╚', '╟',
];

fn is_border(t: &str) -> bool {
    !t.is_empty()
        && t.chars().all(|c| {
            matches!(
                c,
                '─' | '┬'
                    | '┼'
                    | '┴'
                    | '┌'
                    | '┐'
                    | '├'
                    | '┤'
                    | '└'
                    | '┘'
                    | '═'
                    | '╤'
                    | '╪'
                    | '╧'
                    | '-'
                    | '+'
                    | ' '
            )
        })
}

/// Cells of a `│ a │ b │` (or `| a | b |`) row, trimmed, borders dropped.
fn cells(t: &str) -> Option<Vec<&str>> {
    let sep = if t.contains('│') {
        '│'
    } else if t.starts_with('|') {
        '|'
    } else {
        return None;
    };
    let mut v: Vec<&str> = t.split(sep).map(str::trim).collect();
    if v.first() == Some(&"") {
        v.remove(0);
    }
    if v.last() == Some(&"") {
        v.pop();
    }
    (!v.is_empty()).then_some(v)
}

fn is_header(cells: &[&str]) -> bool {
    let has = |n: &str| cells.iter().any(|c| c.eq_ignore_ascii_case(n));
    has("status") && (has("name") || has("app name") || has("module") || has("id"))
}

fn is_jlist(t: &str) -> bool {
    t.starts_with("[{") && (t.contains("\"pm2_env\"") || t.contains("\"pm_id\""))
}

pub fn starts(line: &str) -> bool {
    let t = line.trim();
    if t.starts_with('┌') && is_border(t) {
        return true;
    }
    if let Some(c) = cells(t) {
        if is_header(&c) && c.len() >= 3 {
            return true;
        }
    }
    t.starts_with("Describing process with id")
        || t.starts_with("[PM2] ")
        || t.starts_with("[PM2][")
        || is_jlist(t)
}

pub fn continues(line: &str) -> bool {
    let t = line.trim();
    if t.starts_with(BOX_STARTS) || (t.starts_with('|') && t.ends_with('|')) || starts(line) {
        return true;
    }
    const TEXT: &[&str] = &[
        "Use `pm2 ",
        "Add your own code metrics",
        "Revision control metadata",
        "Actions available",
        "Code metrics value",
        "Divergent env variables",
        "Trigger via: pm2 trigger",
        "Module",
    ];
    TEXT.iter().any(|p| t.starts_with(p))
}

fn num(s: &str) -> Option<u32> {
    s.trim().parse().ok()
}

fn pid(s: &str) -> Option<u32> {
    num(s).filter(|&p| p != 0)
}

#[derive(Default)]
struct Describe {
    id: Option<u32>,
    name: Option<String>,
    status: Option<(String, u64)>,
    restarts: Option<u32>,
    pid: Option<u32>,
}

fn flush(d: &mut Option<Describe>, facts: &mut Facts) {
    if let Some(d) = d.take() {
        if let (Some(name), Some((status, line))) = (d.name, d.status) {
            facts.pm2.push(Pm2App {
                name,
                id: d.id,
                status,
                restarts: d.restarts,
                pid: d.pid,
                user: None,
                line,
            });
        }
    }
}

fn parse_jlist(no: u64, t: &str, facts: &mut Facts) {
    let Ok(serde_json::Value::Array(apps)) = serde_json::from_str::<serde_json::Value>(t) else {
        return;
    };
    for a in apps {
        let env = &a["pm2_env"];
        let Some(name) = a["name"].as_str().or_else(|| env["name"].as_str()) else {
            continue;
        };
        let Some(status) = env["status"].as_str() else {
            continue;
        };
        let as_u32 = |v: &serde_json::Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
        facts.pm2.push(Pm2App {
            name: name.to_string(),
            id: as_u32(&a["pm_id"]),
            status: status.to_string(),
            restarts: as_u32(&env["restart_time"]),
            pid: as_u32(&a["pid"]).filter(|&p| p != 0),
            user: env["username"].as_str().map(str::to_string),
            line: no,
        });
    }
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    // Column name (lower-case) → index, from the last header row.
    let mut header: Option<Vec<String>> = None;
    let mut describe: Option<Describe> = None;
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || is_border(t) {
            continue;
        }
        if is_jlist(t) {
            flush(&mut describe, facts);
            parse_jlist(l.no, t, facts);
            continue;
        }
        if let Some(rest) = t.strip_prefix("Describing process with id") {
            flush(&mut describe, facts);
            let (id, name) = match rest.split_once(" - name ") {
                Some((i, n)) => (num(i), Some(n.trim().to_string())),
                None => (num(rest), None),
            };
            describe = Some(Describe {
                id,
                name,
                ..Describe::default()
            });
            header = None;
            continue;
        }
        let Some(c) = cells(t) else { continue };
        if is_header(&c) {
            flush(&mut describe, facts);
            header = Some(c.iter().map(|s| s.to_ascii_lowercase()).collect());
            continue;
        }
        if let Some(h) = &header {
            let col = |names: &[&str]| -> Option<&str> {
                let i = h.iter().position(|x| names.contains(&x.as_str()))?;
                c.get(i).copied()
            };
            let (Some(name), Some(status)) = (col(&["name", "app name"]), col(&["status"])) else {
                continue;
            };
            if name.is_empty() || status.is_empty() {
                continue;
            }
            facts.pm2.push(Pm2App {
                name: name.to_string(),
                id: col(&["id"]).and_then(num),
                status: status.to_ascii_lowercase(),
                restarts: col(&["↺", "restart", "restarts"]).and_then(num),
                pid: col(&["pid"]).and_then(pid),
                user: col(&["user"]).filter(|u| !u.is_empty()).map(str::to_string),
                line: l.no,
            });
            continue;
        }
        // `pm2 describe`: two-cell key/value rows.
        if c.len() == 2 {
            let (k, v) = (c[0].to_ascii_lowercase(), c[1]);
            if k == "status" && describe.as_ref().is_some_and(|d| d.status.is_some()) {
                flush(&mut describe, facts);
            }
            let d = describe.get_or_insert_with(Describe::default);
            match k.as_str() {
                "status" => d.status = Some((v.to_ascii_lowercase(), l.no)),
                "name" if d.name.is_none() => d.name = Some(v.to_string()),
                "restarts" if d.restarts.is_none() => d.restarts = num(v),
                "pid" if d.pid.is_none() => d.pid = pid(v),
                _ => {}
            }
        }
    }
    flush(&mut describe, facts);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn full_and_condensed() {
        let f = run("┌────┬────────┬──────┬───────────┬──────────┐\n\
│ id │ name   │ ↺    │ status    │ pid      │\n\
├────┼────────┼──────┼───────────┼──────────┤\n\
│ 0  │ api    │ 15   │ errored   │ 0        │\n\
│ 2  │ web    │ 2    │ online    │ 4567     │\n\
└────┴────────┴──────┴───────────┴──────────┘\n\
┌──────────┬────┬─────────┬──────┐\n\
│ App name │ id │ status  │ restart │\n\
│ worker   │ 1  │ stopped │ 0   │");
        let got: Vec<(&str, &str, Option<u32>, Option<u32>)> = f
            .pm2
            .iter()
            .map(|a| (a.name.as_str(), a.status.as_str(), a.restarts, a.pid))
            .collect();
        assert_eq!(
            got,
            [
                ("api", "errored", Some(15), None),
                ("web", "online", Some(2), Some(4567)),
                ("worker", "stopped", Some(0), None)
            ]
        );
        assert_eq!(f.pm2[0].line, 4);
    }

    #[test]
    fn describe_and_jlist() {
        let f = run(" Describing process with id 0 - name api \n\
┌───────────────────┬──────────────────────────────────┐\n\
│ status            │ errored                          │\n\
│ name              │ api                              │\n\
│ restarts          │ 15                               │\n\
└───────────────────┴──────────────────────────────────┘\n\
[{\"pid\":0,\"name\":\"web\",\"pm_id\":1,\"pm2_env\":{\"status\":\"stopped\",\"restart_time\":3,\"username\":\"deploy\"}}]");
        assert_eq!(f.pm2.len(), 2);
        assert_eq!(
            (
                f.pm2[0].name.as_str(),
                f.pm2[0].status.as_str(),
                f.pm2[0].restarts,
                f.pm2[0].id
            ),
            ("api", "errored", Some(15), Some(0))
        );
        assert_eq!(f.pm2[0].line, 3);
        assert_eq!(
            (
                f.pm2[1].name.as_str(),
                f.pm2[1].status.as_str(),
                f.pm2[1].user.as_deref()
            ),
            ("web", "stopped", Some("deploy"))
        );
    }

    #[test]
    fn detection() {
        assert!(starts("┌────┬────────┬─────────────┐"));
        assert!(starts("│ id │ name   │ mode │ ↺ │ status │ cpu │ memory │"));
        assert!(!starts("│ 0  │ api    │ default     │"));
        assert!(continues("│ 0  │ api    │ default     │"));
        assert!(!continues("server {"));
        let _ = run("│\n││\n│ status │\n[{broken");
    }
}
