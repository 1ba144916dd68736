//! A synthetic log the worker diagnoses once, in small pieces, right after
//! it starts, before any file arrives (see `www/worker.js`).
//!
//! Why: browsers first run WebAssembly with a quick baseline compiler and
//! compile a function with their optimising one only once it has run
//! enough. A person's first dropped log would otherwise be scanned largely
//! by baseline code while the optimiser competes for the same cores: in
//! V8, 100 MB fed cold took 430–470 ms against 180–350 ms after a warm-up
//! of two 512 KB passes (node --cpu-prof, the bench log). The warm-up runs
//! while the person is still choosing a file, yields between pieces, and
//! stops as soon as a real job starts.
//!
//! The text only needs to run the hot paths: error.log lines of the common
//! upstream messages and quiet ones, access.log lines with timings. It is
//! made up here (no real hosts or paths), deterministic, and all ASCII.

use std::fmt::Write;

/// About `bytes` of made-up nginx error.log and access.log lines, whole
/// lines only, each ending with `\n`.
pub fn warm_up_log(bytes: usize) -> String {
    const PATHS: [&str; 6] = [
        "/",
        "/api/items",
        "/login",
        "/index.php",
        "/static/app.js",
        "/health",
    ];
    const STATUS: [u16; 8] = [200, 200, 200, 301, 404, 502, 504, 200];
    let mut out = String::with_capacity(bytes + 512);
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut second: u64 = 0;
    let mut conn: u64 = 1000;
    while out.len() < bytes {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        second += 1 + x % 3;
        conn += 1;
        let (h, m, s) = ((second / 3600) % 24, (second / 60) % 60, second % 60);
        let client = format!("192.0.2.{}", 1 + (x >> 8) % 250);
        let path = PATHS[((x >> 16) % PATHS.len() as u64) as usize];
        let site = format!("site{}.example", (x >> 24) % 4);
        let port = 3000 + (x >> 28) % 3;
        let head = format!("2024/01/01 {h:02}:{m:02}:{s:02}");
        let ctx = format!("client: {client}, server: {site}, request: \"GET {path} HTTP/1.1\"");
        let up = format!("upstream: \"http://127.0.0.1:{port}{path}\", host: \"{site}\"");
        let _ = match (x >> 32) % 10 {
            0 => writeln!(out, "{head} [error] 7#7: *{conn} connect() failed (111: Connection refused) while connecting to upstream, {ctx}, {up}"),
            1 => writeln!(out, "{head} [error] 7#7: *{conn} upstream timed out (110: Connection timed out) while reading response header from upstream, {ctx}, {up}"),
            2 => writeln!(out, "{head} [error] 8#8: *{conn} recv() failed (104: Connection reset by peer) while reading response header from upstream, {ctx}, upstream: \"fastcgi://unix:/run/php/php-fpm.sock:\", host: \"{site}\""),
            3 => writeln!(out, "{head} [error] 8#8: *{conn} upstream prematurely closed connection while reading response header from upstream, {ctx}, {up}"),
            4 => writeln!(out, "{head} [info] 7#7: *{conn} client closed connection while waiting for request, client: {client}, server: {site}"),
            _ => {
                let status = STATUS[((x >> 40) % STATUS.len() as u64) as usize];
                let secs = if status == 504 { 60.0 } else { ((x >> 44) % 900) as f64 / 1000.0 };
                writeln!(
                    out,
                    "{client} - - [01/Jan/2024:{h:02}:{m:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"Mozilla/5.0\" rt={secs:.3} ua=\"127.0.0.1:{port}\" us=\"{status}\" urt=\"{secs:.3}\"",
                    200 + (x >> 48) % 50_000
                )
            }
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_up_log_runs_the_hot_paths() {
        let text = warm_up_log(128 * 1024);
        assert!(
            (128 * 1024..129 * 1024).contains(&text.len()),
            "{}",
            text.len()
        );
        assert!(text.is_ascii() && text.ends_with('\n'));
        assert_eq!(warm_up_log(4096), warm_up_log(4096), "deterministic");
        let report = analyzer_core::analyze(text.as_bytes());
        let kinds: Vec<String> = report
            .artifacts
            .iter()
            .map(|a| format!("{:?}", a.kind))
            .collect();
        assert!(kinds.iter().any(|k| k.contains("ErrorLog")), "{kinds:?}");
        assert!(kinds.iter().any(|k| k.contains("AccessLog")), "{kinds:?}");
        let ids: Vec<&str> = report.causes.iter().map(|c| c.id.as_str()).collect();
        for id in ["upstream_down", "upstream_timeout"] {
            assert!(ids.contains(&id), "{id} in {ids:?}");
        }
    }
}
