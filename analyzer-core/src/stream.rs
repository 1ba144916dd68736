//! The one entry point: feed bytes in chunks, finish to get the report.
//!
//! Used alike by the CLI (reading files and stdin) and the web worker
//! (reading a dropped `File` in slices). Lines split across chunks are
//! carried over; only the unfinished tail is copied, never the chunk.
//! Lines longer than [`MAX_LINE_BYTES`] keep their first part only, so a
//! 50 MB line costs 64 KB.

use crate::causes::{self, Ctx};
use crate::report::{NextStep, Report, Series, Stats, Timeline, Warning, REPORT_VERSION};
use crate::segment::{Segmenter, MAX_LINE_BYTES};
use memchr::memchr;

pub struct Analyzer {
    seg: Segmenter,
    /// Unfinished last line of the previous chunk.
    carry: Vec<u8>,
    /// The carried line overflowed and its rest is being skipped.
    skipping: bool,
    line_no: u64,
    bytes: u64,
    long_lines: u64,
    invalid_utf8_lines: u64,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer {
            seg: Segmenter::new(),
            carry: Vec::new(),
            skipping: false,
            line_no: 0,
            bytes: 0,
            long_lines: 0,
            invalid_utf8_lines: 0,
        }
    }

    /// A new analyzer that reads the given line ranges as the given kinds
    /// (the user's corrections of a misdetected block; see
    /// [`KindOverride`](crate::segment::KindOverride)).
    pub fn with_overrides(overrides: &[crate::segment::KindOverride]) -> Self {
        let mut a = Analyzer::new();
        a.seg.set_overrides(overrides);
        a
    }

    /// Every line through the segmenter's general path (no shortcuts): the
    /// reference the shortcut tests compare against.
    #[cfg(test)]
    pub(crate) fn without_shortcuts() -> Self {
        Analyzer {
            seg: Segmenter::without_shortcuts(),
            ..Self::new()
        }
    }

    /// Bytes fed so far.
    pub fn bytes_seen(&self) -> u64 {
        self.bytes
    }

    /// Lines completed so far.
    pub fn lines_seen(&self) -> u64 {
        self.line_no
    }

    /// Feed the next chunk of input. Chunks may split lines anywhere,
    /// including inside a UTF-8 sequence.
    pub fn feed(&mut self, chunk: &[u8]) {
        self.bytes += chunk.len() as u64;
        let mut rest = chunk;
        if !self.carry.is_empty() || self.skipping {
            // The first line ends a line carried over from the last chunk.
            let Some(i) = memchr(b'\n', rest) else {
                self.append_carry(rest);
                return;
            };
            self.append_carry(&rest[..i]);
            rest = &rest[i + 1..];
            let carried = std::mem::take(&mut self.carry);
            self.skipping = false;
            self.emit(&carried);
            self.carry = carried;
            self.carry.clear();
        }
        // The whole lines of the chunk, then the unfinished tail.
        let whole = crate::text::rfind_byte(b'\n', rest).map_or(0, |i| i + 1);
        let (lines, tail) = rest.split_at(whole);
        let mut start = 0;
        while let Some(i) = crate::text::find_byte(b'\n', &lines[start..]) {
            let line = &lines[start..start + i];
            start += i + 1;
            // Nearly every line of a big log is printable ASCII: one pass
            // shows it is UTF-8 without controls, and it skips both checks.
            match crate::text::printable_ascii(line) {
                Some(s) if s.len() <= MAX_LINE_BYTES => {
                    self.line_no += 1;
                    self.seg.line_without_controls(self.line_no, s);
                }
                _ => self.emit(line),
            }
        }
        if !tail.is_empty() {
            self.append_carry(tail);
        }
    }

    fn append_carry(&mut self, mut part: &[u8]) {
        if self.skipping {
            return;
        }
        if self.carry.is_empty() {
            part = skip_nuls(part);
        }
        let room = MAX_LINE_BYTES.saturating_sub(self.carry.len());
        if part.len() > room {
            self.carry.extend_from_slice(&part[..room]);
            self.skipping = true;
            self.long_lines += 1;
        } else {
            self.carry.extend_from_slice(part);
        }
    }

    fn emit(&mut self, line: &[u8]) {
        let line = skip_nuls(line);
        self.line_no += 1;
        let line = if line.len() > MAX_LINE_BYTES {
            self.long_lines += 1;
            &line[..MAX_LINE_BYTES]
        } else {
            line
        };
        match std::str::from_utf8(line) {
            Ok(s) => self.seg.line(self.line_no, s),
            Err(e) => {
                // A cut at the very end (from MAX_LINE_BYTES) is not invalid input.
                let valid = e.valid_up_to();
                if e.error_len().is_some() {
                    self.invalid_utf8_lines += 1;
                }
                if e.error_len().is_none() {
                    let s = std::str::from_utf8(&line[..valid]).unwrap_or_default();
                    self.seg.line(self.line_no, s);
                } else {
                    let s = String::from_utf8_lossy(line);
                    self.seg.line(self.line_no, &s);
                }
            }
        }
    }

    /// Finish the input and build the report.
    pub fn finish(mut self) -> Report {
        if !self.carry.is_empty() || self.skipping {
            let carried = std::mem::take(&mut self.carry);
            self.emit(&carried);
        }
        self.seg.finish();
        let mut warnings: Vec<Warning> = self.seg.warnings.drain(..).map(Warning::from).collect();
        if self.long_lines > 0 {
            warnings.push(Warning {
                line: None,
                message: format!(
                    "{} line(s) longer than {} KB were cut to their first {} KB",
                    self.long_lines,
                    MAX_LINE_BYTES / 1024,
                    MAX_LINE_BYTES / 1024
                ),
            });
        }
        if self.invalid_utf8_lines > 0 {
            warnings.push(Warning {
                line: None,
                message: format!(
                    "{} line(s) were not valid UTF-8; unreadable bytes are shown as \u{FFFD}",
                    self.invalid_utf8_lines
                ),
            });
        }
        if self.seg.merged_artifact_lines > 0 {
            warnings.push(Warning {
                line: None,
                message: format!(
                    "more than {} separate artifacts: {} later line(s) were counted with the latest artifact of their kind",
                    crate::segment::MAX_ARTIFACTS,
                    self.seg.merged_artifact_lines
                ),
            });
        }
        if self.seg.facts.overflow > 0 {
            warnings.push(Warning {
                line: None,
                message: format!(
                    "{} events were counted but not grouped: more than {} distinct kinds of line",
                    self.seg.facts.overflow,
                    crate::facts::MAX_GROUPS
                ),
            });
        }
        build_report(&self.seg, self.bytes, self.line_no, warnings)
    }
}

/// A line without its leading NUL bytes: logrotate's `copytruncate` leaves
/// a run of NULs (as long as the old file, often far more than
/// `MAX_LINE_BYTES`) before the first new line, which must not push that
/// line out of the kept part.
fn skip_nuls(line: &[u8]) -> &[u8] {
    match line.iter().position(|&b| b != 0) {
        Some(0) => line,
        Some(i) => &line[i..],
        None => &[],
    }
}

fn build_report(seg: &Segmenter, bytes: u64, lines: u64, warnings: Vec<Warning>) -> Report {
    let facts = &seg.facts;
    let ctx = Ctx::new(facts);
    let ranked = causes::run(&ctx);
    let mut timeline_src = Vec::new();
    let mut causes_out = Vec::new();
    for (rule, f) in ranked {
        if !f.per_minute.is_empty() {
            timeline_src.push((rule.id.to_string(), f.per_minute.clone()));
        }
        causes_out.push(causes::to_cause(rule, f));
    }
    let access_5xx = facts.access.count_5xx(502) + facts.access.count_5xx(504);
    let mut next = Vec::new();
    if causes_out.is_empty() {
        next = no_cause_next(seg, access_5xx);
    }
    let headline = match causes_out.first() {
        Some(c) => format!(
            "Most likely: {} ({}% confidence).",
            c.title,
            crate::num::fixed(c.confidence * 100.0, 0)
        ),
        None if lines == 0 => {
            "Nothing to diagnose yet: paste nginx's error.log lines, config or command output."
                .to_string()
        }
        None => match crate::causes::hints::headline(facts) {
            Some(h) => format!("No cause of a 502/504 found in this paste. {h}"),
            None => "No cause of a 502/504 found in this paste.".to_string(),
        },
    };
    Report {
        version: REPORT_VERSION,
        artifacts: seg.artifacts.clone(),
        causes: causes_out,
        next,
        headline,
        stats: Stats {
            bytes,
            lines,
            error_log_lines: seg.error_log_lines,
            events: seg.events,
            access_5xx,
        },
        warnings,
        sections: facts.sections.clone(),
        timeline: timeline(timeline_src),
    }
}

/// Honest advice when nothing was found: what to paste next and why.
fn no_cause_next(seg: &Segmenter, access_5xx: u64) -> Vec<NextStep> {
    use crate::causes::fixes::next;
    let f = &seg.facts;
    // Messages that are no 502 cause but call for checks of their own.
    let ctx = crate::causes::Ctx::new(f);
    let mut out = crate::causes::hints::script_unknown(&ctx);
    out.extend(crate::causes::hints::rate_limited(&ctx));
    out.extend(crate::causes::hints::backend_answered_next(&ctx));
    // PHP-FPM answered those: what listens and what runs is not the question.
    let backend_answered = !out.is_empty();
    let config_asked = out.iter().any(|n| n.paste.starts_with("sudo nginx -T"));
    if f.npm && !backend_answered {
        return npm_next(f, seg.error_log_lines, access_5xx);
    }
    if seg.error_log_lines == 0 {
        out.push(next(
            "sudo tail -n 100 /var/log/nginx/error.log",
            "nginx writes the reason for every 502/504 here; it is the first thing to read",
        ));
    } else {
        out.push(next(
            "sudo grep -E 'upstream|connect\\(\\)' /var/log/nginx/error.log | tail -n 50",
            "the pasted error.log lines name no upstream failure: paste the lines from the time of the 502s",
        ));
    }
    if access_5xx > 0 {
        out.push(next(
            "sudo nginx -T | grep -nE 'error_log|log_format'",
            "the access log shows 502/504 but no matching error line: error_log may be set to a level above `error`, or the backend returned the 502 itself ($upstream_status)",
        ));
    }
    if f.config.is_none() && !config_asked {
        out.push(next(
            "sudo nginx -T",
            "shows every proxy_pass/fastcgi_pass target and timeout nginx uses",
        ));
    }
    if f.listeners.is_empty() && !backend_answered {
        out.push(next(
            "sudo ss -tlnpx",
            "shows what actually listens, to compare with the targets in the config",
        ));
    }
    if f.services.is_empty() && f.pm2.is_empty() && !backend_answered {
        out.push(next(
            "systemctl --failed",
            "shows backend services that have stopped",
        ));
    }
    if f.sections.is_empty() && out.len() >= 3 {
        out.push(next(
            "upstream-doctor --collector   # or the app's \"Collect everything\" snippet",
            "one read-only script that prints all of the above in a single paste",
        ));
    }
    out
}

/// [`no_cause_next`] for Nginx Proxy Manager: its logs are per proxy host
/// under `/data/logs/` inside its container, its forward address is the
/// `[Sent-to …]` of its access log, and the host's units are not its.
fn npm_next(f: &crate::facts::Facts, error_log_lines: u64, access_5xx: u64) -> Vec<NextStep> {
    use crate::causes::fixes::next;
    let mut out = Vec::new();
    out.push(next(
        if error_log_lines == 0 {
            "docker exec {npm_container} sh -c 'tail -n 50 /data/logs/proxy-host-*_error.log'"
        } else {
            "docker exec {npm_container} sh -c 'grep -h upstream /data/logs/proxy-host-*_error.log | tail -n 50'"
        },
        "NPM writes why it answered 502/504 in the proxy host's own error log (proxy-host-<id>_error.log), next to the access log",
    ));
    // The address NPM forwarded the failing requests to.
    let sent_to = f
        .access
        .upstream_addr_5xx
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(a, _)| a.as_str());
    if access_5xx > 0 {
        out.push(next(
            match sent_to {
                Some(a) if !a.contains(':') => format!("docker exec {{npm_container}} curl -sS -m 5 -o /dev/null -w '%{{http_code}}\\n' http://{a}:{{forward_port}}/"),
                Some(a) => format!("docker exec {{npm_container}} curl -sS -m 5 -o /dev/null -w '%{{http_code}}\\n' http://{a}/"),
                None => "docker exec {npm_container} curl -sS -m 5 -o /dev/null -w '%{http_code}\\n' http://{forward_host}:{forward_port}/".to_string(),
            },
            "asks the app from inside NPM's container, as nginx does (the proxy host's Forward Port): `Connection refused`, a timeout or a status code tells which cause it is",
        ));
    }
    if f.config.is_none() {
        out.push(next(
            r"docker exec {npm_container} sh -c 'cat /data/nginx/proxy_host/*.conf' | grep -nE 'server_name|set \$server|set \$port|proxy_pass'",
            "the forward address and port of every proxy host, as NPM wrote them",
        ));
    }
    out
}

fn timeline(src: Vec<(String, std::collections::BTreeMap<i64, u64>)>) -> Option<Timeline> {
    let first = src
        .iter()
        .filter_map(|(_, m)| m.keys().next().copied())
        .min()?;
    let last = src
        .iter()
        .filter_map(|(_, m)| m.keys().next_back().copied())
        .max()?;
    // Bound the number of columns: merge minutes into wider buckets if needed.
    let span = (last - first + 1).max(1);
    let step = ((span + 239) / 240).max(1);
    let n = ((span + step - 1) / step) as usize;
    let minutes = (0..n)
        .map(|i| crate::time::format_minute(first + i as i64 * step))
        .collect();
    let series = src
        .into_iter()
        .map(|(cause, m)| {
            let mut counts = vec![0u64; n];
            for (k, v) in m {
                let i = ((k - first) / step) as usize;
                if i < n {
                    counts[i] += v;
                }
            }
            Series { cause, counts }
        })
        .collect();
    Some(Timeline { minutes, series })
}

/// Diagnose a whole input at once (same result as feeding it in chunks).
pub fn analyze(input: &[u8]) -> Report {
    let mut a = Analyzer::new();
    a.feed(input);
    a.finish()
}
