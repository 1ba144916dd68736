//! `php_fatal_error`: PHP itself stops the script (memory limit, execution
//! time, an uncaught error), as nginx's log shows in `FastCGI sent in stderr`.

use super::common::{fpm_service, php_version};
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::artifacts::error_log::php_fatal_start;
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "php_fatal_error",
    family: "other",
    title: "PHP stops the script with a fatal error",
    docs: DOCS,
    signatures: &[
        "FastCGI sent in stderr: \"PHP message: PHP Fatal error:",
        "Allowed memory size of",
        "Maximum execution time of",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
PHP-FPM took the request and ran the script, and PHP stopped it: the
script needed more than `memory_limit` (`Allowed memory size of 134217728
bytes exhausted`), ran longer than `max_execution_time` (`Maximum execution
time of 30 seconds exceeded`), or hit an uncaught error or a parse error.
PHP's message reaches nginx's error.log through FastCGI's stderr.

## Why nginx answers 502 or 504
Usually it does not: PHP answers **500**, or an empty page, and nginx passes
that on. A **502** follows when the child dies before it answered (see
`fpm_child_crash`) or when the error output breaks the response headers.
Pasted next to 502s, this is the clue to what the script was doing.

## Evidence
- error.log: `FastCGI sent in stderr: "PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/html/wp-includes/class-wpdb.php on line 2056" while reading response header from upstream`.
- `PHP Fatal error:  Maximum execution time of 30 seconds exceeded in …`.
- `PHP Fatal error:  Uncaught Error: Call to undefined function mysql_connect() in …`, `PHP Parse error: …`.

## Fix
Memory: raise `memory_limit` in the **FPM** `php.ini`
(`/etc/php/8.1/fpm/php.ini`, not the CLI one) or per pool with
`php_admin_value[memory_limit] = 256M`, then restart PHP-FPM; a script that
keeps growing needs fixing instead (a query loading a whole table).
Time: raise `max_execution_time` (and the pool's `request_terminate_timeout`,
and nginx's `fastcgi_read_timeout` to match), or move the work to a queue.
Other fatal errors: the message names the file, the line and what is
missing (an extension: `sudo apt install php8.1-mysql`; a parse error after
an upgrade: `php -l <file>`).

## Verify
The same request returns 200; no new `PHP Fatal error` lines in nginx's
error.log or in PHP-FPM's log.

## Known problems
Only fatal and parse errors count; warnings, notices and deprecations in
FastCGI's stderr are not causes. The limit nginx's log shows is the one in
force for that request, which a pool or `.user.ini` may set differently from
php.ini. `Primary script unknown` is not a fatal error either: PHP-FPM
found no file at `SCRIPT_FILENAME` (a wrong `root`, or a pool `chroot`),
and the answer is a 404 `File not found.`, not a 502. When nothing else is
found, the report's "paste this next" list checks it: SCRIPT_FILENAME and
`root` for the PHP location (from the pasted config), the file as the
pool's user sees it, the path inside a PHP-FPM container, a pool `chroot`
or `open_basedir`.
"#;

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups = ctx.nginx_groups(|s| matches!(s, Signal::PhpFatal { .. }));
    if groups.is_empty() {
        return vec![];
    }
    // The most frequent kind leads; the others are evidence too.
    let count = |w: &str| -> u64 {
        groups
            .iter()
            .filter(|g| matches!(&g.key.signal, Signal::PhpFatal { what } if what == w))
            .map(|g| g.count)
            .sum()
    };
    let what = ["memory_limit", "max_execution_time", "fatal"]
        .into_iter()
        .max_by_key(|w| (count(w), std::cmp::Reverse(*w)))
        .unwrap_or("fatal");
    let mut f = Finding::from_groups(&groups);
    f.confidence = 0.55;
    let up = groups.iter().find_map(|g| g.key.upstream.clone());
    // nginx's close or reset in the same minutes is the request PHP stopped:
    // the child gave up before it answered.
    let closes: Vec<&EventGroup> = ctx
        .nginx_groups(|s| {
            matches!(
                s,
                Signal::PrematureClose | Signal::IoFailed { errno: 104, .. }
            )
        })
        .into_iter()
        .filter(|c| c.key.upstream.is_none() || c.key.upstream == up)
        .filter(|c| groups.iter().any(|g| same_minutes(g, c)))
        .collect();
    let cut_off = !closes.is_empty();
    for c in &closes {
        if let Some(e) = c.evidence().next() {
            f.add_evidence(e.clone());
        }
    }
    if cut_off {
        f.confidence = 0.8;
        f.explains = vec!["upstream_closed_early", "upstream_reset"];
        f.status = Some(502);
    }
    let svc = fpm_service(ctx, up.as_ref());
    let version = php_version(ctx, &svc.name);
    let ini = match &version {
        Some(v) => format!("/etc/php/{v}/fpm/php.ini"),
        None => "{fpm_php_ini}".to_string(),
    };
    // The official image under compose: a mounted ini, not a host's php.ini.
    let compose =
        (svc.manager == super::ctx::Manager::Docker && svc.known).then_some(svc.name.as_str());
    let set = |key: &str, value: &str| match compose {
        Some(service) => super::common::compose_ini_override(service, &format!("{key} = {value}")),
        None => format!("sudo sed -i -E 's/^;?\\s*{key}\\s*=.*/{key} = {value}/' {ini}"),
    };
    let sample = sample_line(&groups);
    let script = sample.as_deref().and_then(script_of);
    f.reasoning.push(format!(
        "{} of `PHP Fatal error` in nginx's error.log (FastCGI stderr)",
        plural(f.events, "line", "lines")
    ));
    if cut_off {
        f.reasoning.push(
            "nginx's premature close or reset at the same time is the request PHP stopped".into(),
        );
    }
    match what {
        "memory_limit" => {
            let limit = sample.as_deref().and_then(memory_limit_mb);
            let shown = limit.map_or("memory_limit".to_string(), |m| format!("{m}M"));
            let raised = limit.map_or(256, |m| (m * 2).max(256));
            f.title = format!("PHP runs out of memory ({shown} memory_limit)");
            f.summary = format!(
                "PHP-FPM ran the script and PHP stopped it when it needed more than its {shown} memory_limit{}. \
                 The request fails (500, or 502 when the child dies before answering): the fix is in PHP's settings or \
                 the script, not nginx.",
                script.as_deref().map(|s| format!(" (in {s})")).unwrap_or_default()
            );
            f.fixes.push(review(
                set("memory_limit", &format!("{raised}M")),
                "raise the limit for PHP-FPM (its own php.ini, not the CLI's); a pool can set php_admin_value[memory_limit] instead",
            ));
        }
        "max_execution_time" => {
            f.title = "PHP stops the script at max_execution_time".to_string();
            f.summary = format!(
                "PHP-FPM ran the script and PHP stopped it at max_execution_time{}. The request fails (500, or an empty \
                 reply); a longer limit only helps if nginx's fastcgi_read_timeout and the pool's request_terminate_timeout \
                 are at least as long.",
                script.as_deref().map(|s| format!(" (in {s})")).unwrap_or_default()
            );
            f.fixes.push(review(
                set("max_execution_time", "120"),
                "give slow scripts more time (then keep request_terminate_timeout and fastcgi_read_timeout at least as long)",
            ));
            f.fixes.push(safe(
                "# long jobs (imports, reports, backups) belong in a queue or a CLI run, not a web request",
                "a longer limit only buys time",
            ));
        }
        _ => {
            f.title = match sample.as_deref().and_then(fatal_message) {
                Some(m) => format!("PHP stops the script: {m}"),
                None => "PHP stops the script with a fatal error".to_string(),
            };
            f.summary = format!(
                "PHP-FPM ran the script and PHP stopped it with a fatal error{}. The request fails (500, or 502 when the \
                 child dies before answering). The message names what is missing: an extension, a function removed in \
                 a newer PHP, a syntax error.",
                script.as_deref().map(|s| format!(" in {s}")).unwrap_or_default()
            );
            if let Some(s) = &script {
                f.fixes.push(safe(
                    format!("php -l {s}"),
                    "a parse error shows here; after a PHP upgrade old code may no longer parse",
                ));
            }
            f.fixes.push(safe(
                format!(
                    "php{} -m",
                    version.as_deref().unwrap_or("")
                ),
                "the extensions PHP has: `Call to undefined function mysqli_connect()` means php-mysql is missing",
            ));
        }
    }
    if what != "fatal" {
        f.fixes.push(disruptive(
            match compose {
                Some(service) => format!("docker compose up -d --force-recreate {service}"),
                None => format!(
                    "{} && {}",
                    super::socket_permission::fpm_test_cmd(&svc.name),
                    svc.restart()
                ),
            },
            match compose {
                Some(_) => {
                    "recreate the PHP container with the mounted ini so the new limit applies"
                }
                None => "check the configuration, then restart PHP-FPM so the new limit applies",
            },
        ));
    }
    f.fixes.push(safe(
        match compose {
            Some(_) => svc.logs(),
            None => format!("sudo tail -n 50 {}", super::common::fpm_log(ctx, &svc.name)),
        },
        "PHP-FPM's own log around the same time",
    ));
    // A fatal error answers 500 unless FPM's child died mid-answer (502).
    let expect = if cut_off {
        "expect 200, not 502"
    } else {
        "expect 200, not 500"
    };
    f.verify
        .push(super::fixes::curl_status(ctx, &f, "/", expect));
    f.verify
        .push(super::common::watch_log(ctx, "PHP Fatal error"));
    if version.is_none() && compose.is_none() {
        f.next.push(next(
            "php-fpm -v 2>/dev/null || ls /etc/php/",
            "names the PHP version, so the commands can use its php.ini and service",
        ));
    }
    vec![f]
}

/// Both groups were logged in the same minutes (or neither has a time).
fn same_minutes(a: &EventGroup, b: &EventGroup) -> bool {
    if a.per_minute.is_empty() && b.per_minute.is_empty() {
        return true;
    }
    a.per_minute.keys().any(|m| b.per_minute.get(m).is_some())
}

/// The text of one fatal line, for the details in it.
fn sample_line(groups: &[&EventGroup]) -> Option<String> {
    groups
        .iter()
        .find_map(|g| g.head.first().map(|s| s.text.clone()))
}

/// `PHP Fatal error: … in /var/www/x.php on line 12` → `/var/www/x.php`
/// (the file of the fatal message, not of a warning before it).
fn script_of(line: &str) -> Option<String> {
    let line = &line[php_fatal_start(line)?..];
    let i = line.find(" in /")?;
    let rest = &line[i + 4..];
    let end = rest.find([' ', '"', ':', '(']).unwrap_or(rest.len());
    let path = &rest[..end];
    path.ends_with(".php").then(|| path.to_string())
}

/// What the fatal error says, without its file: `Uncaught Error: Call to
/// undefined function mysql_connect()`; at most 100 characters.
fn fatal_message(line: &str) -> Option<String> {
    // After the marker's colon: `PHP Fatal error:  Uncaught Error: …`.
    let (_, msg) = line[php_fatal_start(line)?..].split_once(':')?;
    let msg = msg.trim_start();
    let end = [" in /", "\"", " while "]
        .iter()
        .filter_map(|e| msg.find(e))
        .min()
        .unwrap_or(msg.len());
    let msg = msg[..end].trim_end();
    if msg.is_empty() {
        return None;
    }
    Some(match msg.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &msg[..i]),
        None => msg.to_string(),
    })
}

/// `Allowed memory size of 134217728 bytes` → 128 (MiB).
fn memory_limit_mb(line: &str) -> Option<u64> {
    let rest = &line[line.find("Allowed memory size of ")? + 23..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let bytes: u64 = digits.parse().ok()?;
    (bytes >= 1 << 20).then_some(bytes >> 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_from_the_message() {
        let l = "FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/html/wp-includes/class-wpdb.php on line 2056\" while reading";
        assert_eq!(memory_limit_mb(l), Some(128));
        assert_eq!(
            script_of(l).as_deref(),
            Some("/var/www/html/wp-includes/class-wpdb.php")
        );
        assert_eq!(script_of("PHP Fatal error: in /tmp"), None);
        let after_warning = "PHP Warning:  x in /a/warn.php on line 1; PHP message: PHP Fatal error:  y in /b/fatal.php on line 2";
        assert_eq!(script_of(after_warning).as_deref(), Some("/b/fatal.php"));
        assert_eq!(fatal_message(after_warning).as_deref(), Some("y"));
        assert_eq!(
            fatal_message("\"PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function mysql_connect() in /srv/db.php:14").as_deref(),
            Some("Uncaught Error: Call to undefined function mysql_connect()")
        );
        assert_eq!(memory_limit_mb("Allowed memory size of 12 bytes"), None);
    }
}
