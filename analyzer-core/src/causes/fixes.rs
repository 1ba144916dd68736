//! Small builders for fix steps, so every rule words them the same way.

use crate::report::{Fix, NextStep, Risk};

pub fn safe(command: impl Into<String>, why: impl Into<String>) -> Fix {
    Fix {
        command: command.into(),
        why: why.into(),
        risk: Risk::Safe,
    }
}

pub fn review(command: impl Into<String>, why: impl Into<String>) -> Fix {
    Fix {
        command: command.into(),
        why: why.into(),
        risk: Risk::Review,
    }
}

pub fn disruptive(command: impl Into<String>, why: impl Into<String>) -> Fix {
    Fix {
        command: command.into(),
        why: why.into(),
        risk: Risk::Disruptive,
    }
}

pub fn next(paste: impl Into<String>, why: impl Into<String>) -> NextStep {
    NextStep {
        paste: paste.into(),
        why: why.into(),
    }
}

/// ` -H 'Host: x'` for a real server name; empty for none, `_`,
/// `localhost` or an address (the default server answers those).
fn host_header(server: Option<&str>) -> String {
    match server {
        Some(s) if !s.is_empty() && s != "_" && s != "localhost" && !s.contains(':') => {
            format!(" -H 'Host: {s}'")
        }
        _ => String::new(),
    }
}

/// `curl` through nginx for a server name, or against the local default server.
pub fn curl_through_nginx(server: Option<&str>) -> String {
    format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n'{} http://127.0.0.1/   # expect 200, not 502",
        host_header(server)
    )
}

/// Time one request to `path` through nginx (with the site's `Host` when
/// known): the status and how long it took.
pub fn curl_timed(server: Option<&str>, path: &str, expect: &str) -> String {
    format!(
        "curl -sS -o /dev/null -w '%{{http_code}} %{{time_total}}s\\n'{} http://127.0.0.1{path}   # {expect}",
        host_header(server)
    )
}

/// Watch the error log for the same message.
pub fn watch_log(fragment: &str) -> String {
    format!("sudo tail -n 50 -f /var/log/nginx/error.log | grep --line-buffered '{fragment}'   # expect no new lines")
}

/// Check nginx's configuration and reload it, the way this paste's nginx
/// is run (host, container, ingress-nginx): the last step of every config fix.
pub fn reload(ctx: &super::Ctx) -> Fix {
    disruptive(
        ctx.reload_nginx(),
        "check the config, then reload without dropping connections",
    )
}
