//! File system entries: `ls -la` (also `-laZ`, `--time-style=long-iso`,
//! directory listings under a `/run/php:` header), `ls: cannot access`,
//! `stat`, `namei -l` and `getfacl`.
//!
//! Why: a unix socket nginx cannot open (13: Permission denied) or cannot
//! find (2: No such file or directory) is read from these: type, mode,
//! owner, group, ACL entries, and every directory on the way (namei).
//!
//! Paths: `ls` names are joined with the directory of a preceding
//! `/dir:` header when there is one, otherwise kept as printed (a
//! relative name; rules can match it by file name). `namei` components are
//! joined into full paths. A `getfacl` block updates the entry of the same
//! path when `ls` already gave it, or adds one of unknown type (`?`).

use super::BlockLine;
use crate::facts::{Facts, ListedName, MissingPath, PathEntry};

/// `srw-rw----+` → (type, mode bits, acl). The string must be 10 chars of
/// a type letter and `rwxsStT-`, optionally followed by `+`, `.` or `@`.
pub fn parse_perms(s: &str) -> Option<(char, u32, bool)> {
    let b = s.as_bytes();
    if b.len() < 10 || b.len() > 11 {
        return None;
    }
    let ty = b[0] as char;
    if !matches!(ty, '-' | 'd' | 'l' | 's' | 'p' | 'c' | 'b' | 'D') {
        return None;
    }
    let acl = match b.get(10) {
        None => false,
        Some(b'+') => true,
        Some(b'.') | Some(b'@') => false,
        Some(_) => return None,
    };
    let mut mode = 0u32;
    for (i, &c) in b[1..10].iter().enumerate() {
        let pos = i % 3;
        let shift = 6 - 3 * (i / 3) as u32;
        let bit = match (pos, c) {
            (_, b'-') => 0,
            (0, b'r') => 4,
            (1, b'w') => 2,
            (2, b'x') => 1,
            (2, b's') if i < 6 => 1,
            (2, b'S') if i < 6 => 0,
            (2, b't') if i == 8 => 1,
            (2, b'T') if i == 8 => 0,
            _ => return None,
        };
        mode |= bit << shift;
        if pos == 2 {
            match (i, c) {
                (2, b's' | b'S') => mode |= 0o4000,
                (5, b's' | b'S') => mode |= 0o2000,
                (8, b't' | b'T') => mode |= 0o1000,
                _ => {}
            }
        }
    }
    Some((ty, mode, acl))
}

/// Whitespace-separated tokens with their byte offsets.
fn tokens(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            if let Some(st) = start.take() {
                out.push((st, &s[st..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push((st, &s[st..]));
    }
    out
}

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

struct LsRow<'a> {
    ty: char,
    mode: u32,
    acl: bool,
    owner: &'a str,
    group: &'a str,
    name: &'a str,
    target: Option<&'a str>,
}

/// One `ls -l` row.
fn ls_row(line: &str) -> Option<LsRow<'_>> {
    let toks = tokens(line);
    let (ty, mode, acl) = parse_perms(toks.first()?.1)?;
    if !is_num(toks.get(1)?.1) {
        return None;
    }
    let owner = toks.get(2)?.1;
    let group = toks.get(3)?.1;
    // Size (or `major,` `minor` for devices), skipping an SELinux context.
    let mut i = 4;
    if toks.get(i).is_some_and(|t| t.1.matches(':').count() >= 2) {
        i += 1;
    }
    let size = toks.get(i)?.1;
    if size.ends_with(',') {
        i += 1;
    } else if !size.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        return None;
    }
    i += 1;
    // Date: `Jan 15 09:12` / `Jan 15  2023` / `2024-01-15 09:12[:ss.n +zone]`.
    let d = toks.get(i)?.1;
    if d.len() >= 10 && d.as_bytes()[4] == b'-' && is_num(d.get(..4)?) {
        i += 2;
        if toks
            .get(i)
            .is_some_and(|t| (t.1.starts_with('+') || t.1.starts_with('-')) && t.1.len() == 5)
        {
            i += 1;
        }
    } else {
        i += 3;
    }
    let (start, _) = *toks.get(i)?;
    let rest = line.get(start..)?.trim_end();
    let (name, target) = match rest.split_once(" -> ") {
        Some((n, t)) => (n, Some(t.trim())),
        None => (rest, None),
    };
    Some(LsRow {
        ty,
        mode,
        acl,
        owner,
        group,
        name: unq(name),
        target: target.map(unq),
    })
}

fn unq(s: &str) -> &str {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .unwrap_or(s)
}

/// `ls: cannot access '/x': No such file or directory` and friends.
fn missing(line: &str) -> Option<&str> {
    let t = line.trim();
    if !t.ends_with("No such file or directory") {
        return None;
    }
    let rest = t
        .strip_prefix("ls: ")
        .or_else(|| t.strip_prefix("stat: "))
        .or_else(|| t.strip_prefix("getfacl: "))
        .or_else(|| t.strip_prefix("namei: "))?;
    let rest = rest
        .strip_prefix("cannot access ")
        .or_else(|| rest.strip_prefix("cannot statx "))
        .or_else(|| rest.strip_prefix("cannot stat "))
        .or_else(|| rest.strip_prefix("failed to stat: "))
        .unwrap_or(rest);
    let path = rest.rsplit_once(": No such file").map(|(p, _)| p)?;
    let path = path.trim_matches(|c| c == '\'' || c == '‘' || c == '’' || c == '"');
    (path.starts_with('/') || !path.contains(' ')).then_some(path)
}

fn dir_header(t: &str) -> Option<&str> {
    let d = t.strip_suffix(':')?;
    (d.starts_with('/') && !d.contains(char::is_whitespace)).then_some(d)
}

fn stat_file(t: &str) -> Option<&str> {
    t.strip_prefix("File: ")
}

fn is_total(t: &str) -> bool {
    t.strip_prefix("total ").is_some_and(|n| {
        let n = n.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        !n.is_empty()
            && n.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    })
}

fn is_acl_entry(t: &str) -> bool {
    let t = t.strip_prefix("default:").unwrap_or(t);
    ["user:", "group:", "mask:", "other:"]
        .iter()
        .any(|p| t.starts_with(p))
        && t.matches(':').count() >= 2
}

/// Mode, owner and group of a `namei -l` row.
type NameiMeta<'a> = Option<(u32, &'a str, &'a str)>;

/// `drwxr-x--- deploy deploy deploy` (namei -l) / `d /` (namei):
/// (type, meta, name, byte column of the name).
fn namei_row(line: &str) -> Option<(char, NameiMeta<'_>, &str, usize)> {
    let toks = tokens(line);
    let first = toks.first()?.1;
    if let Some((ty, mode, _)) = parse_perms(first) {
        let (start, _) = *toks.get(3)?;
        return Some((
            ty,
            Some((mode, toks.get(1)?.1, toks.get(2)?.1)),
            line.get(start..)?.trim_end(),
            start,
        ));
    }
    if first.len() == 1 && matches!(first, "d" | "l" | "s" | "-" | "c" | "b" | "p") {
        let (start, _) = *toks.get(1)?;
        return Some((
            first.chars().next()?,
            None,
            line.get(start..)?.trim_end(),
            start,
        ));
    }
    None
}

pub fn starts(line: &str) -> bool {
    let t = line.trim();
    ls_row(t).is_some()
        || missing(t).is_some()
        || is_total(t)
        || dir_header(t).is_some()
        || stat_file(t)
            .is_some_and(|p| p.starts_with('/') || p.starts_with('\'') || p.starts_with('‘'))
        || t.strip_prefix("f: ")
            .is_some_and(|p| p.starts_with('/') || !p.contains(' '))
        || t.strip_prefix("# file: ").is_some()
}

pub fn continues(line: &str) -> bool {
    if starts(line) {
        return true;
    }
    let t = line.trim();
    if namei_row(line).is_some() || is_acl_entry(t) {
        return true;
    }
    const STAT_KEYS: &[&str] = &[
        "Size:", "Device:", "Access:", "Modify:", "Change:", "Birth:", "Context:",
    ];
    if STAT_KEYS.iter().any(|k| t.starts_with(k)) {
        return true;
    }
    t.starts_with("# owner:")
        || t.starts_with("# group:")
        || t.starts_with("# flags:")
        || t.starts_with("getfacl: ")
        || t.starts_with("ls: ")
        || t.starts_with("stat: ")
        || t.ends_with(" - No such file or directory")
        || t.ends_with(" - Permission denied")
}

fn join(dir: &str, name: &str) -> String {
    if name.starts_with('/') || dir.is_empty() {
        return name.to_string();
    }
    if name == "." {
        return dir.to_string();
    }
    if name == ".." {
        let d = dir.trim_end_matches('/');
        return match d.rfind('/') {
            Some(0) | None => "/".to_string(),
            Some(i) => d[..i].to_string(),
        };
    }
    format!("{}/{}", dir.trim_end_matches('/'), name)
}

fn upsert(facts: &mut Facts, e: PathEntry) {
    // The same listing pasted twice: keep one entry.
    if facts
        .paths
        .iter()
        .any(|x| x.line == e.line && x.path == e.path)
    {
        return;
    }
    facts.paths.push(e);
}

/// State of a `getfacl` record being read.
#[derive(Default)]
struct Acl {
    path: String,
    owner: String,
    group: String,
    mode: u32,
    users: Vec<String>,
    extended: bool,
    line: u64,
}

fn finish_acl(acl: Option<Acl>, facts: &mut Facts) {
    let Some(a) = acl else { return };
    if let Some(e) = facts.paths.iter_mut().rev().find(|e| e.path == a.path) {
        e.acl = e.acl || a.extended;
        for u in a.users {
            if !e.acl_users.contains(&u) {
                e.acl_users.push(u);
            }
        }
        return;
    }
    facts.paths.push(PathEntry {
        path: a.path,
        file_type: '?',
        mode: a.mode,
        owner: a.owner,
        group: a.group,
        acl: a.extended,
        acl_users: a.users,
        link_target: None,
        line: a.line,
    });
}

fn rwx(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut m = 0;
    if b.first() == Some(&b'r') {
        m |= 4;
    }
    if b.get(1) == Some(&b'w') {
        m |= 2;
    }
    if b.get(2) == Some(&b'x') {
        m |= 1;
    }
    m
}

/// `(   33/www-data)` → `www-data`.
fn id_name(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix('(')?;
    let inner = inner.split(')').next()?;
    Some(inner.split('/').nth(1).unwrap_or(inner).trim())
}

fn unquote(s: &str) -> &str {
    s.trim()
        .trim_matches(|c| c == '\'' || c == '‘' || c == '’' || c == '"')
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut dir = String::new();
    let mut acl: Option<Acl> = None;
    // stat: (path, link target, line) waiting for its `Access: (0660/…)` line.
    let mut stat: Option<(String, Option<String>, u64)> = None;
    // namei: (name column, directory at that depth).
    let mut namei: Vec<(usize, String)> = Vec::new();
    let mut in_namei = false;
    for l in lines {
        let raw = l.text.as_str();
        let t = raw.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(p) = missing(t) {
            facts.missing_paths.push(MissingPath {
                path: join(&dir, p),
                line: l.no,
            });
            continue;
        }
        if let Some(p) = t.strip_prefix("# file: ") {
            finish_acl(acl.take(), facts);
            let p = p.trim();
            let path = if p.starts_with('/') || !p.contains('/') {
                p.to_string()
            } else {
                format!("/{p}")
            };
            acl = Some(Acl {
                path,
                line: l.no,
                ..Acl::default()
            });
            continue;
        }
        if let Some(a) = acl.as_mut() {
            if let Some(o) = t.strip_prefix("# owner:") {
                a.owner = o.trim().to_string();
                continue;
            }
            if let Some(g) = t.strip_prefix("# group:") {
                a.group = g.trim().to_string();
                continue;
            }
            if is_acl_entry(t) {
                let entry = t.split_whitespace().next().unwrap_or(t);
                let effective = t.split("#effective:").nth(1).map(str::trim);
                let mut parts = entry.splitn(3, ':');
                let (class, who, perms) = (
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                    parts.next().unwrap_or(""),
                );
                if class == "default" {
                    continue;
                }
                let bits = rwx(effective.unwrap_or(perms));
                match (class, who) {
                    ("user", "") => a.mode |= bits << 6,
                    ("group", "") => a.mode |= bits << 3,
                    ("other", "") => a.mode |= bits,
                    ("user", u) => {
                        a.extended = true;
                        if bits & 2 != 0 && !a.users.iter().any(|x| x == u) {
                            a.users.push(u.to_string());
                        }
                    }
                    ("group", _) | ("mask", _) => a.extended = true,
                    _ => {}
                }
                continue;
            }
        }
        if let Some(d) = dir_header(t) {
            dir = d.to_string();
            continue;
        }
        if let Some(f) = stat_file(t) {
            let (p, target) = match f.split_once(" -> ") {
                Some((p, tg)) => (unquote(p), Some(unquote(tg).to_string())),
                None => (unquote(f), None),
            };
            stat = Some((p.to_string(), target, l.no));
            continue;
        }
        if let (Some(v), Some((path, target, line))) = (t.strip_prefix("Access: ("), stat.as_ref())
        {
            let perms = v.split(')').next().unwrap_or("");
            let perms = perms.split('/').nth(1).unwrap_or("");
            if let Some((ty, mode, acl_flag)) = parse_perms(perms) {
                let owner = t
                    .split("Uid:")
                    .nth(1)
                    .and_then(id_name)
                    .unwrap_or("")
                    .to_string();
                let group = t
                    .split("Gid:")
                    .nth(1)
                    .and_then(id_name)
                    .unwrap_or("")
                    .to_string();
                upsert(
                    facts,
                    PathEntry {
                        path: path.clone(),
                        file_type: ty,
                        mode,
                        owner,
                        group,
                        acl: acl_flag,
                        acl_users: Vec::new(),
                        link_target: target.clone(),
                        line: *line,
                    },
                );
                stat = None;
            }
            continue;
        }
        if t.starts_with("f: ") {
            in_namei = true;
            namei.clear();
            continue;
        }
        if in_namei && ls_row(t).is_some() {
            in_namei = false;
        }
        if in_namei {
            if let Some(name) = t.strip_suffix(" - No such file or directory") {
                let col = raw.len() - raw.trim_start().len();
                let base = namei_dir(&mut namei, col);
                facts.missing_paths.push(MissingPath {
                    path: join(&base, name.trim()),
                    line: l.no,
                });
                continue;
            }
            if let Some((ty, meta, name, col)) = namei_row(raw) {
                let base = namei_dir(&mut namei, col);
                let (name, target) = match name.split_once(" -> ") {
                    Some((n, tg)) => (n, Some(tg.trim())),
                    None => (name, None),
                };
                let path = if name == "/" {
                    "/".to_string()
                } else {
                    join(&base, name)
                };
                if let Some((mode, owner, group)) = meta {
                    upsert(
                        facts,
                        PathEntry {
                            path: path.clone(),
                            file_type: ty,
                            mode,
                            owner: owner.to_string(),
                            group: group.to_string(),
                            acl: false,
                            acl_users: Vec::new(),
                            link_target: target.map(str::to_string),
                            line: l.no,
                        },
                    );
                }
                // Next component at this depth lives under `path`; a
                // symlink's own components (deeper) start from its directory.
                if let Some(top) = namei.last_mut() {
                    top.1 = if ty == 'd' || name == "/" {
                        path.clone()
                    } else {
                        top.1.clone()
                    };
                }
                if ty == 'l' {
                    namei.push((usize::MAX, base.clone()));
                }
                continue;
            }
        }
        if ls_row(t).is_none() && !dir.is_empty() && !is_total(t) && !t.starts_with("ls: ") {
            // `ls /run/php/`: names only, several to a line.
            for name in t.split_whitespace() {
                if name.len() < 200 && !name.contains(['/', ':', '\'', '"']) {
                    facts.listed_names.push(ListedName {
                        path: join(&dir, name),
                        line: l.no,
                    });
                }
            }
            continue;
        }
        if let Some(r) = ls_row(t) {
            upsert(
                facts,
                PathEntry {
                    path: join(&dir, r.name),
                    file_type: r.ty,
                    mode: r.mode,
                    owner: r.owner.to_string(),
                    group: r.group.to_string(),
                    acl: r.acl,
                    acl_users: Vec::new(),
                    link_target: r.target.map(str::to_string),
                    line: l.no,
                },
            );
        }
    }
    finish_acl(acl.take(), facts);
}

/// The directory components at name column `col` are relative to. The
/// stack holds (column, directory); an entry pushed with `usize::MAX` is
/// claimed by the first deeper line after a symlink.
fn namei_dir(stack: &mut Vec<(usize, String)>, col: usize) -> String {
    if let Some(top) = stack.last_mut() {
        if top.0 == usize::MAX {
            top.0 = col;
        }
    }
    while stack.len() > 1 && stack.last().is_some_and(|t| t.0 > col) {
        // Back from a symlink's target: continue from where it resolved.
        let resolved = stack.pop().map(|t| t.1).unwrap_or_default();
        if let Some(top) = stack.last_mut() {
            top.1 = resolved;
        }
    }
    match stack.last() {
        Some(t) if t.0 == col || stack.len() == 1 => t.1.clone(),
        _ => {
            stack.push((col, String::new()));
            String::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn short_listing_names() {
        let f = run("/run/php:\nphp-fpm.sock  php8.1-fpm.pid  php8.1-fpm.sock\ntotal 0");
        let names: Vec<&str> = f.listed_names.iter().map(|n| n.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "/run/php/php-fpm.sock",
                "/run/php/php8.1-fpm.pid",
                "/run/php/php8.1-fpm.sock"
            ]
        );
        assert!(
            f.paths.is_empty(),
            "a short listing says nothing of types or modes"
        );
        // a long listing is not read as names
        let f = run("/run/php:\nsrw-rw---- 1 www-data www-data 0 Sep  1 07:50 php8.1-fpm.sock");
        assert!(f.listed_names.is_empty());
    }

    #[test]
    fn perms() {
        assert_eq!(parse_perms("srw-rw----"), Some(('s', 0o660, false)));
        assert_eq!(parse_perms("srw-rw----+"), Some(('s', 0o660, true)));
        assert_eq!(parse_perms("srwxr-xr-x."), Some(('s', 0o755, false)));
        assert_eq!(parse_perms("drwxrwxrwt"), Some(('d', 0o1777, false)));
        assert_eq!(parse_perms("-rwsr-xr-x"), Some(('-', 0o4755, false)));
        assert_eq!(parse_perms("drwxr-S---"), Some(('d', 0o2740, false)));
        assert_eq!(parse_perms("hello-worl"), None);
        assert_eq!(parse_perms("srw-rw-"), None);
        assert_eq!(parse_perms("srw-rw-ééé"), None);
    }

    #[test]
    fn ls_lines() {
        let f = run(
            "srw-rw---- 1 www-data www-data 0 Jan 15 09:12 /run/php/php8.1-fpm.sock\n\
/run/php:\n\
total 4\n\
drwxr-xr-x  2 www-data www-data  80 Jan 15 09:12 .\n\
drwxr-xr-x 32 root     root     900 Jan 15 09:12 ..\n\
lrwxrwxrwx  1 root     root      30 Jan 15 09:12 php-fpm.sock -> /etc/alternatives/php-fpm.sock\n\
srw-rw----. 1 nginx nginx system_u:object_r:httpd_var_run_t:s0 0 2024-01-15 09:12 my app.sock\n\
ls: cannot access '/run/php/php7.4-fpm.sock': No such file or directory",
        );
        let p: Vec<(&str, char, u32)> = f
            .paths
            .iter()
            .map(|e| (e.path.as_str(), e.file_type, e.mode))
            .collect();
        assert_eq!(
            p,
            [
                ("/run/php/php8.1-fpm.sock", 's', 0o660),
                ("/run/php", 'd', 0o755),
                ("/run", 'd', 0o755),
                ("/run/php/php-fpm.sock", 'l', 0o777),
                ("/run/php/my app.sock", 's', 0o660),
            ]
        );
        assert_eq!(
            f.paths[3].link_target.as_deref(),
            Some("/etc/alternatives/php-fpm.sock")
        );
        assert_eq!(f.paths[4].owner, "nginx");
        assert_eq!(f.missing_paths[0].path, "/run/php/php7.4-fpm.sock");
    }

    #[test]
    fn stat_namei_getfacl() {
        let f = run("  File: /run/php/x.sock\n  Size: 0  Blocks: 0  IO Block: 4096   socket\n\
Access: (0660/srw-rw----)  Uid: (   33/www-data)   Gid: (   33/www-data)\n\
f: /home/deploy/app/app.sock\n\
drwxr-xr-x root   root   /\n\
drwxr-xr-x root   root   home\n\
drwxr-x--- deploy deploy deploy\n\
drwxr-xr-x deploy deploy app\n\
srwxrwxrwx deploy deploy app.sock\n\
# file: run/php-fpm/www.sock\n# owner: root\n# group: root\nuser::rw-\nuser:apache:rw-\nuser:nginx:rw-\nuser:bob:r--\ngroup::rw-\nmask::rw-\nother::---");
        let p: Vec<(&str, &str, u32)> = f
            .paths
            .iter()
            .map(|e| (e.path.as_str(), e.owner.as_str(), e.mode))
            .collect();
        assert_eq!(
            p,
            [
                ("/run/php/x.sock", "www-data", 0o660),
                ("/", "root", 0o755),
                ("/home", "root", 0o755),
                ("/home/deploy", "deploy", 0o750),
                ("/home/deploy/app", "deploy", 0o755),
                ("/home/deploy/app/app.sock", "deploy", 0o777),
                ("/run/php-fpm/www.sock", "root", 0o660),
            ]
        );
        assert_eq!(f.paths[6].acl_users, ["apache", "nginx"]);
        assert!(f.paths[6].acl);
    }

    #[test]
    fn namei_symlink_and_missing() {
        let f = run("f: /run/php/php-fpm.sock\n\
 drwxr-xr-x root     root     /\n\
 drwxr-xr-x root     root     run\n\
 drwxr-xr-x www-data www-data php\n\
 lrwxrwxrwx root     root     php-fpm.sock -> /etc/alternatives/php-fpm.sock\n\
   drwxr-xr-x root     root     /\n\
   drwxr-xr-x root     root     etc\n\
   drwxr-xr-x root     root     alternatives\n\
   lrwxrwxrwx root     root     php-fpm.sock -> /run/php/php8.1-fpm.sock\n\
     drwxr-xr-x root     root     /\n\
     drwxr-xr-x root     root     run\n\
     drwxr-xr-x www-data www-data php\n\
                                  php8.1-fpm.sock - No such file or directory");
        let p: Vec<&str> = f.paths.iter().map(|e| e.path.as_str()).collect();
        assert!(p.contains(&"/etc/alternatives/php-fpm.sock"), "{p:?}");
        assert!(p.contains(&"/run/php/php-fpm.sock"), "{p:?}");
        assert_eq!(f.missing_paths[0].path, "/run/php/php8.1-fpm.sock");
    }

    #[test]
    fn detection() {
        assert!(starts(
            "srw-rw---- 1 www-data www-data 0 Jan 15 09:12 /run/php/php8.1-fpm.sock"
        ));
        assert!(starts("ls: cannot access '/x': No such file or directory"));
        assert!(starts("total 0"));
        assert!(!starts("server {"));
        assert!(!starts("State    Recv-Q"));
        assert!(continues("user:nginx:rw-"));
        assert!(continues(
            "Access: (0660/srw-rw----)  Uid: (   33/www-data)   Gid: (   33/www-data)"
        ));
    }
}
