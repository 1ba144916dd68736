//! Listening sockets: `ss -tlnp` / `ss -xlp` / `ss -ltn`, `netstat -tlnp`
//! (TCP and unix rows) and `lsof -i -P -n`.
//!
//! Why: "is anything listening where nginx connects?" decides between a
//! dead backend, a wrong port and a saturated one. Only sockets in the
//! LISTEN state become [`Listener`]s; established rows are read past.
//!
//! Rows are split on whitespace; the layout (ss with or without the
//! `Netid` column, netstat, lsof) is recognised per row, so a paste that
//! mixes them still reads. Addresses keep their written host except two
//! normalisations: an interface suffix (`127.0.0.53%lo:53`) is dropped and
//! a v4-mapped IPv6 host (`[::ffff:127.0.0.1]:3000`) becomes the IPv4
//! address it accepts.

use super::BlockLine;
use crate::facts::{Address, Facts, Listener};

const SS_STATES: &[&str] = &[
    "LISTEN",
    "ESTAB",
    "UNCONN",
    "TIME-WAIT",
    "CLOSE-WAIT",
    "SYN-SENT",
    "SYN-RECV",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "LAST-ACK",
    "CLOSING",
    "CLOSED",
];

const NETSTAT_PROTOS: &[&str] = &["tcp", "tcp6", "udp", "udp6", "tcp4", "udp4", "raw", "raw6"];

fn is_num(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `127.0.0.1:3000`, `[::]:80`, `*:5173`, `:::80`, `/run/x.sock`: an
/// address column (with a port, or a unix path).
fn is_addr_col(s: &str) -> bool {
    if s.starts_with('/') || s.starts_with('@') {
        return true;
    }
    match s.rfind(':') {
        Some(i) if i > 0 || s.len() > 1 => {
            let port = &s[i + 1..];
            is_num(port)
                || port == "*"
                || (port.len() > 1 && port.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        }
        _ => false,
    }
}

/// Header lines of the supported commands.
fn is_header(t: &str) -> bool {
    (t.starts_with("State") && t.contains("Recv-Q"))
        || (t.starts_with("Netid") && t.contains("State"))
        || (t.starts_with("Proto") && (t.contains("Recv-Q") || t.contains("RefCnt")))
        || t.starts_with("Active Internet connections")
        || t.starts_with("Active UNIX domain sockets")
        || (t.starts_with("COMMAND")
            && t.contains(" PID")
            && t.contains("USER")
            && t.contains("FD"))
}

fn is_ss_row(toks: &[&str]) -> bool {
    let (state_at, first) = match toks.first() {
        Some(f) if SS_STATES.contains(f) => (0, *f),
        Some(f) if toks.get(1).is_some_and(|s| SS_STATES.contains(s)) => (1, *f),
        _ => return false,
    };
    if state_at == 1
        && (first.len() > 8
            || !first
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()))
    {
        return false;
    }
    toks.len() >= state_at + 4
        && is_num(toks[state_at + 1])
        && is_num(toks[state_at + 2])
        && toks
            .get(state_at + 3)
            .is_some_and(|a| is_addr_col(a) || *a == "*")
}

fn is_netstat_row(toks: &[&str]) -> bool {
    match toks.first() {
        Some(p) if NETSTAT_PROTOS.contains(p) => {
            toks.len() >= 5 && is_num(toks[1]) && is_num(toks[2]) && is_addr_col(toks[3])
        }
        Some(&"unix") => {
            toks.len() >= 5
                && is_num(toks[1])
                && toks
                    .iter()
                    .any(|t| *t == "STREAM" || *t == "DGRAM" || *t == "SEQPACKET")
        }
        _ => false,
    }
}

/// Windows' `netstat -ano`: `TCP    0.0.0.0:8080    0.0.0.0:0    LISTENING    7720`
/// (`[::]:8080` for IPv6; the last column is the pid).
fn is_windows_netstat_row(toks: &[&str]) -> bool {
    toks.len() == 5
        && toks[0] == "TCP"
        && toks[1].contains(':')
        && toks[2].contains(':')
        && toks[3] == "LISTENING"
        && is_num(toks[4])
}

/// `node 4567 deploy 19u IPv4 123 0t0 TCP 127.0.0.1:3000 (LISTEN)`.
fn is_lsof_row(toks: &[&str]) -> bool {
    toks.len() >= 8
        && is_num(toks[1])
        && toks
            .iter()
            .any(|t| matches!(*t, "IPv4" | "IPv6" | "unix" | "TCP" | "UDP"))
        && toks.iter().any(|t| t.starts_with('('))
}

pub fn starts(line: &str) -> bool {
    let t = line.trim();
    if is_header(t) {
        return true;
    }
    let toks: Vec<&str> = t.split_whitespace().take(12).collect();
    let first = toks.first().copied().unwrap_or("");
    if first == "LISTEN"
        || first == "u_str"
        || first == "u_seq"
        || first == "tcp"
        || first == "tcp6"
    {
        return is_ss_row(&toks) || is_netstat_row(&toks);
    }
    if first == "TCP" {
        return is_windows_netstat_row(&toks);
    }
    t.ends_with("(LISTEN)") && is_lsof_row(&toks)
}

pub fn continues(line: &str) -> bool {
    let t = line.trim();
    if is_header(t) || t.starts_with("users:((") {
        return true;
    }
    let toks: Vec<&str> = t.split_whitespace().take(12).collect();
    is_ss_row(&toks) || is_netstat_row(&toks) || is_lsof_row(&toks) || is_windows_netstat_row(&toks)
}

/// Well-known service names printed when `-n` was left out.
fn service_port(name: &str) -> Option<u16> {
    Some(match name {
        "http" => 80,
        "https" => 443,
        "ssh" => 22,
        "domain" => 53,
        "http-alt" | "webcache" => 8080,
        "hbci" => 3000,
        "irdmi" => 8000,
        "cslistener" => 9000,
        "mysql" => 3306,
        "postgresql" | "postgres" => 5432,
        "redis" => 6379,
        "smtp" => 25,
        _ => return None,
    })
}

/// Parse a local-address column into an [`Address`].
pub fn parse_local(col: &str) -> Option<Address> {
    let mut s = col.to_string();
    if s.starts_with('/') || s.starts_with('@') {
        return Some(Address::Unix { path: s });
    }
    // Interface suffix: `127.0.0.53%lo:53`, `[fe80::1]%eth0:546`, `*%eth0:68`.
    if let (Some(pct), Some(colon)) = (s.find('%'), s.rfind(':')) {
        if pct < colon {
            s = format!("{}{}", s.get(..pct)?, s.get(colon..)?);
        }
    }
    // Service names instead of numbers.
    if let Some(colon) = s.rfind(':') {
        let port = s.get(colon + 1..).unwrap_or("");
        if !port.is_empty() && !is_num(port) {
            let p = service_port(port)?;
            s = format!("{}:{p}", s.get(..colon)?);
        }
    }
    let addr = Address::parse(&s)?;
    Some(match addr {
        Address::Tcp { host, port } => {
            let host = match host.strip_prefix("::ffff:") {
                Some(v4) if v4.contains('.') => v4.to_string(),
                _ => host,
            };
            Address::Tcp { host, port }
        }
        other => other,
    })
}

/// `users:(("node",pid=4567,fd=19),…)` → (`node`, 4567) of the first entry.
fn ss_process(line: &str) -> (Option<String>, Option<u32>) {
    let Some(i) = line.find("users:((") else {
        return (None, None);
    };
    let rest = line.get(i + 8..).unwrap_or("");
    let name = rest
        .strip_prefix('"')
        .and_then(|r| r.find('"').and_then(|e| r.get(..e)))
        .map(str::to_string);
    let pid = rest.find("pid=").and_then(|p| {
        let digits: String = rest
            .get(p + 4..)
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        digits.parse().ok()
    });
    (name, pid)
}

/// netstat's `1234/nginx: master` → (`nginx`, 1234); `-` → nothing.
fn netstat_process(col: &str) -> (Option<String>, Option<u32>) {
    let Some((pid, prog)) = col.split_once('/') else {
        return (None, None);
    };
    let pid = pid.parse().ok();
    let prog = prog.split(':').next().unwrap_or(prog).trim();
    let prog = (!prog.is_empty()).then(|| prog.to_string());
    (prog, pid)
}

fn parse_row(no: u64, text: &str, facts: &mut Facts) -> bool {
    let toks: Vec<&str> = text.split_whitespace().collect();
    if is_ss_row(&toks) {
        let at = usize::from(!SS_STATES.contains(&toks[0]));
        if toks[at] != "LISTEN" {
            return false;
        }
        let netid = if at == 1 { toks[0] } else { "" };
        let Some(addr) = parse_local(toks[at + 3]) else {
            return false;
        };
        // A unix row of `ss -x` whose local column is `*` has no path.
        if netid.starts_with("u_") && addr.socket_path().is_none() {
            return false;
        }
        let (process, pid) = ss_process(text);
        facts.listeners.push(Listener {
            from_log: false,
            addr,
            process,
            pid,
            recv_q: toks[at + 1].parse().ok(),
            send_q: toks[at + 2].parse().ok(),
            line: no,
        });
        return true;
    }
    if is_windows_netstat_row(&toks) {
        let Some(addr) = parse_local(toks[1]) else {
            return false;
        };
        facts.listeners.push(Listener {
            from_log: false,
            addr,
            process: None,
            pid: toks[4].parse().ok(),
            recv_q: None,
            send_q: None,
            line: no,
        });
        return true;
    }
    if is_netstat_row(&toks) {
        if toks[0] == "unix" {
            if !toks.contains(&"LISTENING") {
                return false;
            }
            let Some(path) = toks
                .iter()
                .rev()
                .find(|t| t.starts_with('/') || t.starts_with('@'))
            else {
                return false;
            };
            let proc_col = toks
                .iter()
                .find(|t| t.split_once('/').is_some_and(|(p, _)| is_num(p)));
            let (process, pid) = proc_col.map(|c| netstat_process(c)).unwrap_or((None, None));
            facts.listeners.push(Listener {
                from_log: false,
                addr: Address::Unix {
                    path: path.to_string(),
                },
                process,
                pid,
                recv_q: None,
                send_q: None,
                line: no,
            });
            return true;
        }
        if toks.get(5) != Some(&"LISTEN") {
            return false;
        }
        let Some(addr) = parse_local(toks[3]) else {
            return false;
        };
        let (process, pid) = toks
            .get(6)
            .map(|c| netstat_process(c))
            .unwrap_or((None, None));
        facts.listeners.push(Listener {
            from_log: false,
            addr,
            process,
            pid,
            recv_q: toks[1].parse().ok(),
            // netstat prints 0 here for listening sockets: no backlog figure.
            send_q: None,
            line: no,
        });
        return true;
    }
    if is_lsof_row(&toks) {
        let Some(state_at) = toks.iter().position(|t| *t == "(LISTEN)") else {
            return false;
        };
        let name = if toks.get(4) == Some(&"unix") {
            toks.iter().find(|t| t.starts_with('/')).copied()
        } else if state_at > 0 {
            toks.get(state_at - 1).copied()
        } else {
            None
        };
        let Some(addr) = name.and_then(parse_local) else {
            return false;
        };
        facts.listeners.push(Listener {
            from_log: false,
            addr,
            process: Some(toks[0].to_string()),
            pid: toks[1].parse().ok(),
            recv_q: None,
            send_q: None,
            line: no,
        });
        return true;
    }
    false
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    for (i, l) in lines.iter().enumerate() {
        let t = l.text.trim();
        if t.is_empty() || is_header(t) || t.starts_with("users:((") {
            continue;
        }
        // A narrow terminal may wrap the process column onto the next line.
        let joined;
        let text = match lines.get(i + 1) {
            Some(next)
                if next.text.trim_start().starts_with("users:((") && !t.contains("users:((") =>
            {
                joined = format!("{t} {}", next.text.trim());
                joined.as_str()
            }
            _ => t,
        };
        parse_row(l.no, text, facts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn ss_rows() {
        let f = run("State    Recv-Q   Send-Q     Local Address:Port      Peer Address:Port   Process\n\
LISTEN   0        511              0.0.0.0:80             0.0.0.0:*       users:((\"nginx\",pid=1235,fd=6),(\"nginx\",pid=1234,fd=6))\n\
LISTEN   3        4096       127.0.0.53%lo:53             0.0.0.0:*       users:((\"systemd-resolve\",pid=612,fd=14))\n\
LISTEN   0        511                    *:5173                 *:*\n\
LISTEN   0        511      [::ffff:127.0.0.1]:3000               *:*\n\
ESTAB    0        0              127.0.0.1:3000         127.0.0.1:51234");
        assert_eq!(f.listeners.len(), 4);
        assert_eq!(f.listeners[0].process.as_deref(), Some("nginx"));
        assert_eq!(f.listeners[0].pid, Some(1235));
        assert_eq!(f.listeners[1].addr.display(), "127.0.0.53:53");
        assert_eq!(f.listeners[1].recv_q, Some(3));
        assert_eq!(f.listeners[1].send_q, Some(4096));
        assert_eq!(f.listeners[2].addr.display(), "*:5173");
        assert_eq!(f.listeners[3].addr.display(), "127.0.0.1:3000");
    }

    #[test]
    fn netid_unix_netstat_lsof() {
        let f = run("Netid State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n\
u_str LISTEN 0 511 /run/php/php8.1-fpm.sock 31337 * 0 users:((\"php-fpm8.1\",pid=790,fd=8))\n\
tcp   LISTEN 0 511 [::]:80 [::]:*\n\
tcp6       0      0 :::80                   :::*                    LISTEN      1234/nginx: master\n\
tcp        0      0 127.0.0.1:9000          0.0.0.0:*               LISTEN      -\n\
node    4567 deploy   19u  IPv4 123456      0t0  TCP 127.0.0.1:3000 (LISTEN)\n\
node    4567 deploy   20u  IPv4 123457      0t0  TCP 127.0.0.1:3000->127.0.0.1:5000 (ESTABLISHED)");
        let d: Vec<String> = f.listeners.iter().map(|l| l.addr.display()).collect();
        assert_eq!(
            d,
            [
                "unix:/run/php/php8.1-fpm.sock",
                "[::]:80",
                "[::]:80",
                "127.0.0.1:9000",
                "127.0.0.1:3000"
            ]
        );
        assert_eq!(f.listeners[0].process.as_deref(), Some("php-fpm8.1"));
        assert_eq!(f.listeners[2].process.as_deref(), Some("nginx"));
        assert_eq!(f.listeners[2].pid, Some(1234));
        assert_eq!(f.listeners[3].process, None);
        assert_eq!(f.listeners[4].process.as_deref(), Some("node"));
    }

    #[test]
    fn windows_netstat_ano() {
        let f = run(
            "  TCP    0.0.0.0:8080           0.0.0.0:0              LISTENING       7720\n\
  TCP    [::]:8080              [::]:0                 LISTENING       7720\n\
  TCP    127.0.0.1:8080         127.0.0.1:51234        ESTABLISHED     7720\n\
  UDP    0.0.0.0:5353           *:*                                    2044",
        );
        let d: Vec<String> = f.listeners.iter().map(|l| l.addr.display()).collect();
        assert_eq!(d, ["0.0.0.0:8080", "[::]:8080"]);
        assert_eq!(f.listeners[0].pid, Some(7720));
        assert!(starts("  TCP    0.0.0.0:80    0.0.0.0:0    LISTENING    4"));
        assert!(!starts(
            "  TCP    10.0.0.5:80    10.0.0.9:5000    ESTABLISHED    4"
        ));
    }

    #[test]
    fn detection() {
        assert!(starts(
            "State    Recv-Q   Send-Q     Local Address:Port      Peer Address:Port"
        ));
        assert!(starts("LISTEN 0 511 127.0.0.1:3000 0.0.0.0:*"));
        assert!(starts("tcp        0      0 127.0.0.1:3000          0.0.0.0:*               LISTEN      4567/node"));
        assert!(!starts("LISTEN on port 3000"));
        assert!(!starts("tcp is a protocol"));
        assert!(continues("users:((\"node\",pid=1,fd=2))"));
        assert!(!continues("server {"));
    }

    #[test]
    fn never_panics_on_odd_rows() {
        for s in [
            "LISTEN 0 0 :",
            "LISTEN 0 0 [",
            "LISTEN 0 0 %:",
            "tcp 0 0 ::: x LISTEN 1/",
            "a 1 b c d e f (LISTEN)",
            "LISTEN 0 0 é%:ü",
        ] {
            let _ = run(s);
            let _ = starts(s);
        }
    }
}
