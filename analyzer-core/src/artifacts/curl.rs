//! `curl` output: `-I` / `-D -` / `-i` headers, `-v` traces (`< HTTP/1.1
//! 502`, `* Connected to`), nginx's HTML error page body (or its text as a
//! browser shows it: `502 Bad Gateway`, then `nginx/1.18.0 (Ubuntu)`), exit-code errors
//! (`curl: (7) Failed to connect …`), a bare `-w '%{http_code}'` answer,
//! and `wget` equivalents.
//!
//! Why: the status and `Server:` header say who produced the error (this
//! nginx, a CDN, a load balancer, or the backend itself), and a curl
//! straight at the backend (`curl: (7) … Connection refused`) tests it
//! without nginx.
//!
//! One [`CurlResult`] per response (a `-L` run gives several) or per
//! failed attempt. Request lines (`> GET / HTTP/1.1`) are read past. The
//! URL is not known from the output alone and stays unset, except for
//! wget, which prints it.

use super::BlockLine;
use crate::facts::{CurlResult, Distro, Facts};

/// `HTTP/1.1 502 Bad Gateway` / `HTTP/2 502` → 502.
fn status_line(t: &str) -> Option<u16> {
    let t = t.strip_prefix("< ").unwrap_or(t);
    let rest = t.strip_prefix("HTTP/")?;
    let (ver, rest) = rest.split_once(' ')?;
    if ver.is_empty() || !ver.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let code = rest.get(..3)?;
    if rest.len() > 3 && !rest[3..].starts_with(' ') {
        return None;
    }
    code.parse().ok().filter(|c| (100..600).contains(c))
}

/// `curl: (7) Failed to connect …` → (7, text).
fn curl_error(t: &str) -> Option<(u16, &str)> {
    let rest = t.strip_prefix("curl: (")?;
    let (code, text) = rest.split_once(')')?;
    Some((code.parse().ok()?, text.trim()))
}

/// `Name: value` header (also `< Name: value`).
fn header(t: &str) -> Option<(&str, &str)> {
    let t = t.strip_prefix("< ").unwrap_or(t);
    let (k, v) = t.split_once(':')?;
    if k.is_empty() || k.len() > 40 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    if !(v.is_empty() || v.starts_with(' ')) {
        return None;
    }
    Some((k, v.trim()))
}

/// The title of nginx's own error page as a browser shows it, copied as
/// text (`502 Bad Gateway`, `504 Gateway Time-out`): its status.
pub fn page_title(t: &str) -> Option<u16> {
    let (code, reason) = t.split_once(' ')?;
    let code: u16 = code.parse().ok()?;
    let known = match code {
        500 => reason == "Internal Server Error",
        502 => reason == "Bad Gateway",
        503 => matches!(
            reason,
            "Service Temporarily Unavailable" | "Service Unavailable"
        ),
        504 => matches!(reason, "Gateway Time-out" | "Gateway Timeout"),
        _ => false,
    };
    known.then_some(code)
}

/// The signature line under nginx's error page title, as text: `nginx`,
/// `nginx/1.18.0 (Ubuntu)`, `openresty/1.21.4.1`.
fn page_signature(t: &str) -> bool {
    let name = t.split(['/', ' ']).next().unwrap_or("");
    matches!(name, "nginx" | "openresty" | "tengine")
        && t.len() <= 48
        && !t.contains(": ")
        && t.split_whitespace().count() <= 2
}

fn request_line(t: &str) -> bool {
    let t = t.strip_prefix("> ").unwrap_or(t);
    let mut w = t.split(' ');
    matches!(
        w.next(),
        Some("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "OPTIONS" | "PATCH")
    ) && w
        .next()
        .is_some_and(|p| p.starts_with('/') || p.starts_with("http") || p == "*")
        && w.next().is_some_and(|v| v.starts_with("HTTP/"))
        && w.next().is_none()
}

fn is_progress(t: &str) -> bool {
    t.starts_with("% Total")
        || t.starts_with("Dload")
        || (t.contains("--:--:--") && t.bytes().next().is_some_and(|b| b.is_ascii_digit()))
}

/// `--2024-01-15 10:23:45--  http://example.com/`: wget's first line.
fn wget_start(t: &str) -> Option<&str> {
    let rest = t.strip_prefix("--")?;
    let (stamp, url) = rest.split_once("--")?;
    (stamp.len() == 19 && stamp.as_bytes()[4] == b'-').then_some(url.trim())
}

pub fn starts(line: &str) -> bool {
    let t = line.trim();
    status_line(t).is_some()
        || curl_error(t).is_some()
        || t.starts_with("* Connected to")
        || t.starts_with("*   Trying ")
        || t.starts_with("* Trying ")
        || t.starts_with("* Host ")
        || request_line(t)
        || wget_start(t).is_some()
        || page_title(t).is_some()
        || t == "<html>"
        || t.strip_prefix("<head><title>").is_some_and(|r| {
            r.get(..3)
                .is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit()))
        })
}

pub fn continues(line: &str) -> bool {
    let t = line.trim();
    if starts(line)
        || t.starts_with("* ")
        || t == "*"
        || t == "<"
        || t == ">"
        || t.starts_with("{ [")
        || t.starts_with("} [")
    {
        return true;
    }
    if header(t).is_some() || is_progress(t) || page_signature(t) {
        return true;
    }
    // nginx's error page body, and `-w '%{http_code}'`.
    if t.starts_with('<')
        && (t.contains("html")
            || t.contains("<center>")
            || t.contains("<hr>")
            || t.contains("body")
            || t.contains("<!--"))
    {
        return true;
    }
    if t.len() == 3 && t.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    t.starts_with("Resolving ")
        || t.starts_with("Connecting to ")
        || t.starts_with("HTTP request sent")
        || t.starts_with("Length: ")
        || t.contains("ERROR 50")
        || t.starts_with("Retrying.")
}

fn blank() -> CurlResult {
    CurlResult {
        status: None,
        server: None,
        error_code: None,
        error_text: None,
        url: None,
        line: 0,
    }
}

fn note_server(server: &str, facts: &mut Facts) {
    if let Some(v) = server.strip_prefix("nginx/") {
        let ver = v.split_whitespace().next().unwrap_or(v);
        if !ver.is_empty() && facts.nginx_version.is_none() {
            facts.nginx_version = Some(format!("nginx/{ver}"));
        }
        if facts.distro == Distro::Unknown
            && (server.contains("(Ubuntu)") || server.contains("(Debian)"))
        {
            facts.distro = Distro::Debian;
        }
    }
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut cur = blank();
    let mut out: Vec<CurlResult> = Vec::new();
    let take = |cur: &mut CurlResult, out: &mut Vec<CurlResult>| {
        let r = std::mem::replace(cur, blank());
        if r.status.is_some() || r.error_code.is_some() || r.error_text.is_some() {
            out.push(r);
        }
    };
    for l in lines {
        let t = l.text.trim();
        if t.is_empty() || request_line(t) || is_progress(t) {
            continue;
        }
        if let Some(code) = status_line(t) {
            if cur.status.is_some() || cur.error_code.is_some() {
                take(&mut cur, &mut out);
            }
            if code < 200 && cur.url.is_none() {
                // `100 Continue` precedes the real status.
                continue;
            }
            cur.status = Some(code);
            cur.line = l.no;
            continue;
        }
        if let Some((code, text)) = curl_error(t) {
            if cur.error_code.is_some() || cur.status.is_some() {
                take(&mut cur, &mut out);
            }
            cur.error_code = Some(code);
            cur.error_text = Some(text.to_string());
            cur.line = l.no;
            continue;
        }
        if let Some(url) = wget_start(t) {
            take(&mut cur, &mut out);
            cur.url = Some(url.to_string());
            cur.line = l.no;
            continue;
        }
        if let Some(rest) = t.strip_prefix("HTTP request sent, awaiting response...") {
            let code = rest.trim().get(..3).and_then(|c| c.parse().ok());
            if let Some(c) = code {
                cur.status = Some(c);
                cur.line = l.no;
            } else if !rest.trim().is_empty() {
                cur.error_text = Some(rest.trim().to_string());
                cur.line = l.no;
            }
            continue;
        }
        if let Some(rest) = t.strip_prefix("Connecting to ") {
            if let Some((_, err)) = rest.split_once("... failed: ") {
                cur.error_text = Some(err.trim_end_matches('.').to_string());
                cur.line = l.no;
            }
            continue;
        }
        if let Some((k, v)) = header(t) {
            if k.eq_ignore_ascii_case("server") && cur.status.is_some() && !v.is_empty() {
                cur.server = Some(v.to_string());
                note_server(v, facts);
            }
            continue;
        }
        // nginx's own error page: `<center>nginx/1.24.0</center>`, `<title>502 Bad Gateway</title>`.
        if let Some(inner) = t
            .strip_prefix("<hr><center>")
            .and_then(|r| r.strip_suffix("</center>"))
        {
            if cur.server.is_none() && (cur.status.is_some() || cur.line == 0) {
                cur.server = Some(inner.to_string());
            }
            note_server(inner, facts);
            continue;
        }
        // The page as text: its title, then its signature line.
        if let Some(code) = page_title(t) {
            if cur.status.is_some() || cur.error_code.is_some() {
                take(&mut cur, &mut out);
            }
            cur.status = Some(code);
            cur.line = l.no;
            continue;
        }
        if page_signature(t) && cur.status.is_some() {
            if cur.server.is_none() {
                cur.server = Some(t.to_string());
            }
            note_server(t, facts);
            continue;
        }
        if let Some(title) = t
            .strip_prefix("<head><title>")
            .or_else(|| t.strip_prefix("<title>"))
        {
            if cur.status.is_none() {
                if let Some(code) = title
                    .get(..3)
                    .and_then(|c| c.parse::<u16>().ok())
                    .filter(|c| (400..600).contains(c))
                {
                    cur.status = Some(code);
                    cur.line = l.no;
                }
            }
            continue;
        }
        if t.len() == 3 && cur.status.is_none() && cur.error_code.is_none() {
            if let Ok(code) = t.parse::<u16>() {
                if (100..600).contains(&code) {
                    cur.status = Some(code);
                    cur.line = l.no;
                }
            }
        }
    }
    take(&mut cur, &mut out);
    facts.curl.extend(out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Facts {
        super::super::parse_text(text, parse)
    }

    #[test]
    fn headers() {
        let f = run("HTTP/2 502\nserver: nginx/1.24.0 (Ubuntu)\ndate: Mon, 15 Jan 2024 10:23:45 GMT\n\nHTTP/1.1 504 Gateway Time-out\nServer: cloudflare\ncf-ray: 84-LHR");
        assert_eq!(f.curl.len(), 2);
        assert_eq!(f.curl[0].status, Some(502));
        assert_eq!(f.curl[0].server.as_deref(), Some("nginx/1.24.0 (Ubuntu)"));
        assert_eq!(f.curl[1].server.as_deref(), Some("cloudflare"));
        assert_eq!(f.nginx_version.as_deref(), Some("nginx/1.24.0"));
        assert_eq!(f.distro, Distro::Debian);
    }

    #[test]
    fn error_page_copied_as_text() {
        let f = run("502 Bad Gateway\n\nnginx/1.18.0 (Ubuntu)");
        assert_eq!(f.curl.len(), 1);
        assert_eq!(f.curl[0].status, Some(502));
        assert_eq!(f.curl[0].server.as_deref(), Some("nginx/1.18.0 (Ubuntu)"));
        assert_eq!(f.nginx_version.as_deref(), Some("nginx/1.18.0"));
        assert_eq!(f.distro, Distro::Debian);
        let f = run("504 Gateway Time-out\nnginx");
        assert_eq!(
            (f.curl[0].status, f.curl[0].server.as_deref()),
            (Some(504), Some("nginx"))
        );
        assert!(starts("502 Bad Gateway"));
        assert!(!starts("502 Bad Gateway errors since the update"));
        assert!(!starts("404 Not Found"));
        assert!(!page_signature("nginx: [emerg] bind() failed"));
        assert!(!page_signature("nginx is running but the site is down"));
    }

    #[test]
    fn verbose_and_errors() {
        let f = run("*   Trying 127.0.0.1:3000...\n* connect to 127.0.0.1 port 3000 failed: Connection refused\ncurl: (7) Failed to connect to 127.0.0.1 port 3000 after 0 ms: Connection refused\n* Connected to example.com (93.184.216.34) port 443\nGET / HTTP/1.1\nHost: example.com\n< HTTP/1.1 502 Bad Gateway\n< Server: nginx\n<\n<html>\n<hr><center>nginx</center>\ncurl: (52) Empty reply from server");
        let got: Vec<(Option<u16>, Option<u16>)> =
            f.curl.iter().map(|c| (c.status, c.error_code)).collect();
        assert_eq!(got, [(None, Some(7)), (Some(502), None), (None, Some(52))]);
        assert_eq!(
            f.curl[0].error_text.as_deref(),
            Some("Failed to connect to 127.0.0.1 port 3000 after 0 ms: Connection refused")
        );
        assert_eq!(f.curl[1].server.as_deref(), Some("nginx"));
        assert_eq!(f.nginx_version, None);
    }

    #[test]
    fn body_only_and_detection() {
        let f = run("<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n<center><h1>504 Gateway Time-out</h1></center>\n<hr><center>nginx/1.18.0 (Ubuntu)</center>\n</body>");
        assert_eq!(f.curl[0].status, Some(504));
        assert_eq!(f.curl[0].server.as_deref(), Some("nginx/1.18.0 (Ubuntu)"));
        assert!(starts("HTTP/1.1 502 Bad Gateway"));
        assert!(starts(
            "curl: (28) Operation timed out after 5001 milliseconds with 0 bytes received"
        ));
        assert!(!starts("HTTP/1.1"));
        assert!(!starts("HTTP/x 502"));
        assert!(continues("content-type: text/html"));
        assert!(!continues("server {"));
    }
}
