//! uWSGI ini files: a `[uwsgi]` section of `key = value` lines (`#` or `;`
//! comments), as `cat /etc/uwsgi/apps-enabled/app.ini` prints it.
//!
//! Why: which option opens the socket says which protocol it speaks
//! (`socket =` the binary uwsgi protocol for `uwsgi_pass`, `http-socket =`
//! and `http =` plain HTTP for `proxy_pass`), its value must equal nginx's
//! `*_pass`, and `chmod-socket`, `chown-socket`, `uid` and `gid` decide
//! whether nginx's user may open a unix socket.
//!
//! Only the `[uwsgi]` section is read (another section ends it). `%(name)`
//! references to keys set earlier are filled in (`socket = %(base)/app.sock`);
//! uWSGI's magic variables (`%n`, `%d`) are left as written. Repeated keys:
//! the last one wins (uWSGI can open several sockets, but a pasted ini with
//! two `socket =` lines is rare and the last is the one people edit).

use super::fpm_pool::{clean_value, key_value, section};
use super::BlockLine;
use crate::facts::{Facts, UwsgiIni};

pub fn starts(line: &str) -> bool {
    line.trim() == "[uwsgi]"
}

pub fn continues(line: &str) -> bool {
    let t = line.trim();
    t.is_empty()
        || t.starts_with(';')
        || t.starts_with('#')
        || section(t).is_some()
        || key_value(t).is_some()
}

/// A path comment naming the file (`# /etc/uwsgi/apps-enabled/app.ini`),
/// or a shell command that printed it (`$ cat app.ini`).
fn ini_path(t: &str) -> Option<&str> {
    let inner = t
        .strip_prefix('#')
        .or_else(|| t.strip_prefix(';'))
        .or_else(|| t.strip_prefix('$'))?
        .trim();
    let inner = inner.strip_prefix("File:").map(str::trim).unwrap_or(inner);
    inner
        .split_whitespace()
        .rfind(|w| w.ends_with(".ini"))
        .filter(|w| w.len() > 4)
}

/// Fill in `%(name)` with the value of a key set earlier.
fn expand(v: &str, ini: &UwsgiIni) -> String {
    if !v.contains("%(") {
        return v.to_string();
    }
    let mut out = String::new();
    let mut rest = v;
    while let Some(i) = rest.find("%(") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find(')') {
            Some(j) => {
                let name = &after[..j];
                match ini.get(name) {
                    Some(val) => out.push_str(val),
                    None => out.push_str(&rest[i..i + 3 + j]),
                }
                rest = &after[j + 1..];
            }
            None => {
                out.push_str(&rest[i..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Read every `[uwsgi]` section of the block. Called for uWSGI blocks and
/// for `ini`-fenced blocks, which the segmenter gives to the pool parser.
pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut file: Option<String> = None;
    let mut cur: Option<UwsgiIni> = None;
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() {
            continue;
        }
        if let Some(p) = ini_path(t) {
            file = Some(p.to_string());
            continue;
        }
        if t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = section(t) {
            if let Some(done) = cur.take().filter(|u| !u.keys.is_empty()) {
                facts.uwsgi.push(done);
            }
            if name == "uwsgi" {
                cur = Some(UwsgiIni {
                    file: file.clone(),
                    line: l.no,
                    ..UwsgiIni::default()
                });
            }
            continue;
        }
        let (Some(ini), Some((k, v))) = (cur.as_mut(), key_value(t)) else {
            continue;
        };
        let value = expand(clean_value(v), ini);
        ini.keys.insert(k.to_string(), (value, l.no));
    }
    if let Some(done) = cur.filter(|u| !u.keys.is_empty()) {
        facts.uwsgi.push(done);
    }
}

/// uWSGI started with options on its command line (`ps`, a unit's
/// `ExecStart=`/`Process:`/CGroup line): `uwsgi --socket :3031 --module app`,
/// `--http-socket=:8000`, `-s /run/app.sock`, `--ini /etc/uwsgi/app.ini`.
/// Read as an ini of those options; true when one was found.
pub fn from_command(line_no: u64, text: &str, facts: &mut Facts) -> bool {
    if !text.contains("uwsgi") || !text.contains(" -") {
        return false;
    }
    let mut words = text.split_whitespace();
    if !words.any(|w| {
        let w = w.trim_start_matches("ExecStart=");
        w == "uwsgi" || w.ends_with("/uwsgi")
    }) {
        return false;
    }
    let mut ini = UwsgiIni {
        line: line_no,
        command: true,
        ..UwsgiIni::default()
    };
    let rest: Vec<&str> = words.collect();
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        i += 1;
        let Some(opt) = w
            .strip_prefix("--")
            .or_else(|| (w == "-s").then_some("socket"))
        else {
            continue;
        };
        let (key, value) = match opt.split_once('=') {
            Some((k, v)) => (k, v.to_string()),
            None => {
                let v = rest.get(i).filter(|v| !v.starts_with('-'));
                if v.is_some() {
                    i += 1;
                }
                (opt, v.map(|v| v.to_string()).unwrap_or_default())
            }
        };
        let value = value
            .trim_matches(|c| c == '\'' || c == '"' || c == ';')
            .to_string();
        match key {
            "ini" => ini.file = Some(value),
            "socket" | "uwsgi-socket" | "http-socket" | "http" | "https" | "fastcgi-socket"
            | "chmod-socket" | "uid" | "gid" | "harakiri" | "buffer-size" => {
                ini.keys.insert(key.to_string(), (value, line_no));
            }
            _ => {}
        }
    }
    if ini.sockets().is_empty() {
        return false;
    }
    let seen = facts.uwsgi.iter().any(|u| {
        u.sockets()
            .iter()
            .zip(ini.sockets())
            .any(|(a, b)| a.0 == b.0 && a.2 == b.2)
    });
    if !seen {
        facts.uwsgi.push(ini);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::Address;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn sockets_and_owners() {
        let f = run("# /etc/uwsgi/apps-enabled/shop.ini\n[uwsgi]\nbase = /srv/shop\nsocket = %(base)/shop.sock   ; for nginx\nchmod-socket    = 664\nuid = deploy\nhttp-socket = :8000\n");
        let u = &f.uwsgi[0];
        assert_eq!(u.file.as_deref(), Some("/etc/uwsgi/apps-enabled/shop.ini"));
        assert_eq!(u.app_name(), Some("shop"));
        assert_eq!(u.get("socket"), Some("/srv/shop/shop.sock"));
        assert_eq!(u.get("chmod-socket"), Some("664"));
        let s = u.sockets();
        assert_eq!(s[0].0, "socket");
        assert_eq!(s[0].1, "uwsgi");
        assert_eq!(
            s[0].2,
            Address::Unix {
                path: "/srv/shop/shop.sock".into()
            }
        );
        assert_eq!(s[0].3, 4);
        assert_eq!(s[1].1, "http");
        assert_eq!(
            s[1].2,
            Address::Tcp {
                host: "*".into(),
                port: Some(8000)
            }
        );
    }

    #[test]
    fn other_sections_and_odd_input() {
        let f = run("[program:x]\nsocket = /a.sock\n[uwsgi]\nsocket = 127.0.0.1:3031\n%(\nmodule = %(missing)x %(\n[other]\nhttp = :1");
        assert_eq!(f.uwsgi.len(), 1);
        assert_eq!(f.uwsgi[0].get("socket"), Some("127.0.0.1:3031"));
        assert_eq!(f.uwsgi[0].get("module"), Some("%(missing)x %("));
        assert_eq!(f.uwsgi[0].get("http"), None);
        assert!(run("socket = /a.sock").uwsgi.is_empty());
        assert!(run("[uwsgi]\n").uwsgi.is_empty());
    }

    #[test]
    fn command_lines() {
        let mut f = Facts::default();
        assert!(from_command(3, "www-data  1201  0.3  2.1 /usr/bin/uwsgi --http-socket :8000 --module app:app --chmod-socket=660", &mut f));
        let u = &f.uwsgi[0];
        assert_eq!(u.get("http-socket"), Some(":8000"));
        assert_eq!(u.get("chmod-socket"), Some("660"));
        assert_eq!(u.sockets()[0].1, "http");
        // The same socket from a second line is not added again.
        assert!(from_command(
            4,
            "ExecStart=/usr/bin/uwsgi --http-socket :8000 --ini /x.ini",
            &mut f
        ));
        assert_eq!(f.uwsgi.len(), 1);
        assert!(from_command(
            5,
            "└─990 uwsgi -s /run/a.sock --uid app",
            &mut f
        ));
        assert_eq!(f.uwsgi[1].get("socket"), Some("/run/a.sock"));
        assert!(!from_command(6, "grep uwsgi --color", &mut f));
        assert!(!from_command(7, "uwsgi --socket", &mut f));
        assert!(!from_command(
            8,
            "/usr/bin/uwsgi --ini /etc/uwsgi/a.ini",
            &mut f
        ));
    }

    #[test]
    fn detection() {
        assert!(starts("  [uwsgi]"));
        assert!(!starts("[www]"));
        assert!(continues("chmod-socket = 666"));
        assert!(continues("# comment"));
        assert!(!continues("2024/01/01 00:00:00 [error] 1#1: x"));
        assert!(!continues("    uwsgi_pass unix:/x.sock;"));
    }
}
