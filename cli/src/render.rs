//! The human report for a terminal: headline, cause table, then each cause
//! with its evidence, fixes, verification and what to paste next.
//!
//! Rendering only: every word of diagnosis comes from the [`Report`]. Input
//! text (evidence lines) is printed with control characters made visible, so
//! a pasted log cannot move the cursor or recolour the terminal.

use analyzer_core::report::{Cause, NextStep, Risk};
use analyzer_core::Report;
use std::fmt::Write;

/// Width prose (summaries, reasons) is wrapped to.
const WRAP: usize = 88;

/// ANSI styling, or none.
#[derive(Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(self, s: &str) -> String {
        self.paint("2", s)
    }
    fn mark(self, s: &str) -> String {
        self.paint("1;31", s)
    }
    fn risk(self, r: Risk) -> String {
        match r {
            Risk::Safe => self.paint("32", "[safe]"),
            Risk::Review => self.paint("33", "[review first]"),
            Risk::Disruptive => self.paint("31", "[disruptive]"),
        }
    }
}

/// Width of a risk tag as printed (without colour codes).
fn risk_width(r: Risk) -> usize {
    match r {
        Risk::Safe => "[safe]".len(),
        Risk::Review => "[review first]".len(),
        Risk::Disruptive => "[disruptive]".len(),
    }
}

/// Render the whole report.
pub fn render(r: &Report, st: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", st.bold(&r.headline));
    out.push('\n');
    let _ = writeln!(out, "{}", read_line(r));

    if !r.causes.is_empty() {
        out.push('\n');
        table(&mut out, &r.causes, st);
        for (i, c) in r.causes.iter().enumerate() {
            out.push('\n');
            cause(&mut out, i + 1, c, st);
        }
    }
    if !r.next.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "{}",
            st.bold("To find the cause, paste the output of:")
        );
        next_steps(&mut out, &r.next, "  ", st);
    }
    if !r.warnings.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.bold("Warnings"));
        for w in &r.warnings {
            let at = w.line.map(|l| format!("L{l}: ")).unwrap_or_default();
            let _ = writeln!(out, "  {at}{}", visible(&w.message));
        }
    }
    out
}

/// `Read 1,234 lines (56 KB): nginx error.log L1–40, nginx config L41–120`
fn read_line(r: &Report) -> String {
    let s = &r.stats;
    let mut line = format!(
        "Read {} line{} ({})",
        s.lines,
        if s.lines == 1 { "" } else { "s" },
        size(s.bytes)
    );
    let parts: Vec<String> = r
        .artifacts
        .iter()
        .filter(|a| a.kind != analyzer_core::artifacts::Kind::Unrecognised)
        .map(|a| {
            if a.first_line == a.last_line {
                format!("{} L{}", a.label, a.first_line)
            } else {
                format!("{} L{}–{}", a.label, a.first_line, a.last_line)
            }
        })
        .collect();
    if parts.is_empty() {
        line.push_str(": nothing recognised");
    } else {
        let _ = write!(line, ": {}", parts.join(", "));
    }
    line
}

fn size(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b < K {
        format!("{bytes} bytes")
    } else if b < K * K {
        format!("{:.0} KB", b / K)
    } else if b < K * K * K {
        format!("{:.1} MB", b / K / K)
    } else {
        format!("{:.1} GB", b / K / K / K)
    }
}

fn table(out: &mut String, causes: &[Cause], st: Style) {
    let id_w = causes
        .iter()
        .map(|c| c.id.len())
        .max()
        .unwrap_or(0)
        .max("cause".len());
    let ev_w = causes
        .iter()
        .map(|c| c.events.to_string().len())
        .max()
        .unwrap_or(0)
        .max("events".len());
    let rank_w = causes.len().to_string().len();
    let header = format!(
        "{:>rank_w$}  {:<id_w$}  {:>4}  {:>ev_w$}  title",
        "#", "cause", "conf", "events"
    );
    let _ = writeln!(out, "  {}", st.dim(&header));
    for (i, c) in causes.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {:>rank_w$}  {}  {:>3.0}%  {:>ev_w$}  {}",
            i + 1,
            st.bold(&format!("{:<id_w$}", c.id)),
            c.confidence * 100.0,
            c.events,
            visible(&c.title),
        );
    }
}

fn cause(out: &mut String, rank: usize, c: &Cause, st: Style) {
    let heading = format!("{rank}. {}: {}", c.id, visible(&c.title));
    let _ = writeln!(out, "{}", st.bold(&heading));
    let mut meta = vec![format!("{:.0}% confidence", c.confidence * 100.0)];
    if c.family != c.id {
        meta.push(format!("family {}", c.family));
    }
    if c.events > 0 {
        meta.push(format!(
            "{} event{}",
            c.events,
            if c.events == 1 { "" } else { "s" }
        ));
    }
    if let Some(s) = c.status {
        meta.push(format!("nginx answers {s}"));
    }
    match (&c.first_seen, &c.last_seen) {
        (Some(a), Some(b)) if a != b => meta.push(format!("{} → {}", visible(a), visible(b))),
        (Some(a), _) | (None, Some(a)) => meta.push(format!("at {}", visible(a))),
        _ => {}
    }
    let _ = writeln!(out, "   {}", st.dim(&meta.join(" · ")));
    if !c.upstreams.is_empty() {
        let _ = writeln!(out, "   upstream: {}", visible(&c.upstreams.join(", ")));
    }
    if !c.servers.is_empty() {
        let _ = writeln!(out, "   server: {}", visible(&c.servers.join(", ")));
    }
    if !c.summary.is_empty() {
        wrap_into(out, &visible(&c.summary), "   ", str::to_string);
    }
    for why in &c.reasoning {
        let _ = writeln!(out, "   {}", st.dim(&format!("· {}", visible(why))));
    }

    if !c.evidence.is_empty() {
        let _ = writeln!(out, "\n   {}", st.bold("Evidence"));
        let w = c
            .evidence
            .iter()
            .map(|e| e.line.to_string().len())
            .max()
            .unwrap_or(1);
        for e in &c.evidence {
            let text = match e
                .mark
                .and_then(|(a, b)| Some((e.text.get(..a)?, e.text.get(a..b)?, e.text.get(b..)?)))
            {
                Some((before, marked, after)) => {
                    format!(
                        "{}{}{}",
                        visible(before),
                        st.mark(&visible(marked)),
                        visible(after)
                    )
                }
                None => visible(&e.text),
            };
            let at = format!("{:>w$}", format!("L{}", e.line), w = w + 1);
            let _ = writeln!(out, "    {}  {text}", st.dim(&at));
        }
    }

    if !c.fixes.is_empty() {
        let _ = writeln!(out, "\n   {}", st.bold("Fix"));
        let w = c
            .fixes
            .iter()
            .map(|f| risk_width(f.risk))
            .max()
            .unwrap_or(0);
        for f in &c.fixes {
            let pad = " ".repeat(w - risk_width(f.risk));
            let tag = format!("{}{pad}  ", st.risk(f.risk));
            command_lines(out, &f.command, "     ", &tag, &" ".repeat(w + 2));
            if !f.why.is_empty() {
                wrap_into(out, &visible(&f.why), &" ".repeat(5 + w + 2), |l| {
                    st.dim(&format!("# {l}"))
                });
            }
        }
    }

    if !c.verify.is_empty() {
        let _ = writeln!(out, "\n   {}", st.bold("Verify"));
        for v in &c.verify {
            command_lines(out, v, "     ", "", "");
        }
    }

    if !c.next.is_empty() {
        let _ = writeln!(out, "\n   {}", st.bold("To be sure, paste the output of"));
        next_steps(out, &c.next, "     ", st);
    }
}

fn next_steps(out: &mut String, steps: &[NextStep], indent: &str, st: Style) {
    for n in steps {
        command_lines(out, &n.paste, indent, "", "");
        if !n.why.is_empty() {
            wrap_into(out, &visible(&n.why), &format!("{indent}  "), |l| {
                st.dim(&format!("# {l}"))
            });
        }
    }
}

/// A command (possibly several lines, like a config snippet): the first line
/// after `indent` + `first`, the others after `indent` + `more`.
fn command_lines(out: &mut String, cmd: &str, indent: &str, first: &str, more: &str) {
    for (i, line) in cmd.lines().enumerate() {
        let lead = if i == 0 { first } else { more };
        let _ = writeln!(out, "{indent}{lead}{}", visible(line));
    }
}

/// Append `text` word-wrapped at [`WRAP`] columns, each line after `indent`
/// and styled by `paint` (so colour codes never span lines).
fn wrap_into(out: &mut String, text: &str, indent: &str, paint: impl Fn(&str) -> String) {
    let room = WRAP.saturating_sub(indent.chars().count() + 2).max(20);
    let mut line = String::new();
    let mut width = 0;
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let ww = word.chars().count();
        if width > 0 && width + 1 + ww > room {
            let _ = writeln!(out, "{indent}{}", paint(&line));
            line.clear();
            width = 0;
        }
        if width > 0 {
            line.push(' ');
            width += 1;
        }
        line.push_str(word);
        width += ww;
    }
    if !line.is_empty() {
        let _ = writeln!(out, "{indent}{}", paint(&line));
    }
}

/// Input text safe for a terminal: control characters (ESC and friends) are
/// shown as `\x1b`-style escapes instead of being obeyed, and so are
/// bidirectional overrides and zero-width characters (`\u{202e}`), which
/// would otherwise reorder or hide what the evidence line says. Tabs stay.
pub fn visible(s: &str) -> String {
    if !s.chars().any(is_control) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_control(c) {
            out.push(c);
        } else if (c as u32) <= 0xff {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:04x}}}", c as u32);
        }
    }
    out
}

fn is_control(c: char) -> bool {
    c != '\t'
        && (c.is_control()
            || matches!(
                c,
                '\u{2028}' | '\u{2029}' // line and paragraph separators
                | '\u{200b}'..='\u{200f}' // zero-width space/joiners, LRM, RLM
                | '\u{202a}'..='\u{202e}' // bidi embeddings and overrides
                | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidi isolates
                | '\u{061c}' | '\u{feff}' // Arabic letter mark, BOM / zero-width no-break space
            ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use analyzer_core::analyze_str;

    const REFUSED: &str = "2024/01/15 10:23:45 [error] 1234#1234: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"example.com\"\n";

    #[test]
    fn plain_text_has_no_escape_codes() {
        let r = analyze_str(REFUSED);
        let text = render(&r, Style { color: false });
        assert!(!text.contains('\x1b'), "{text}");
        assert!(text.starts_with(&r.headline), "{text}");
        assert!(text.contains("upstream_down"), "{text}");
        assert!(
            text.contains("    L1  2024/01/15 10:23:45 [error]"),
            "{text}"
        );
    }

    #[test]
    fn colour_marks_the_matched_part_of_evidence() {
        let r = analyze_str(REFUSED);
        let c = r.causes.first().expect("a cause");
        let e = c
            .evidence
            .iter()
            .find(|e| e.mark.is_some())
            .expect("marked evidence");
        let (a, b) = e.mark.expect("mark");
        let text = render(&r, Style { color: true });
        assert!(
            text.contains(&format!("\x1b[1;31m{}\x1b[0m", &e.text[a..b])),
            "{text}"
        );
    }

    #[test]
    fn control_characters_in_input_are_made_visible() {
        assert_eq!(visible("a\x1b[2Jb\tc\u{7}"), "a\\x1b[2Jb\tc\\x07");
        assert_eq!(visible("plain"), "plain");
        assert_eq!(
            visible("GET /\u{202e}gpj.exe\u{200b} é"),
            "GET /\\u{202e}gpj.exe\\u{200b} é"
        );
    }

    #[test]
    fn empty_input_gives_advice() {
        let r = analyze_str("");
        let text = render(&r, Style { color: false });
        assert!(
            text.contains("Read 0 lines (0 bytes): nothing recognised"),
            "{text}"
        );
        assert!(
            text.contains("To find the cause, paste the output of:"),
            "{text}"
        );
    }

    #[test]
    fn wrapping_keeps_words_whole() {
        let mut out = String::new();
        let long = "word ".repeat(40);
        wrap_into(&mut out, &long, "   ", str::to_string);
        assert!(out.lines().count() > 1);
        assert!(
            out.lines()
                .all(|l| l.len() <= WRAP && l.starts_with("   word")),
            "{out}"
        );
    }
}
