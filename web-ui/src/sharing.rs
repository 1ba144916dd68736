//! Share links in the page, as pure functions over the core: what the share
//! dialog offers and what a `#v2.…` fragment opens to. No DOM here (the
//! components `share` and `shared_view` do that) and no diagnosis or link
//! logic either: redaction is `analyzer_core::redact`, the link format
//! `analyzer_core::share`. The preview lists every text the link carries.

use analyzer_core::redact::{Class, Redactor};
use analyzer_core::share::{self, Decoded, ShareError};
use analyzer_core::Report;

/// A paste bigger than this is not offered as part of a link: it could not
/// fit in one that opens ([`share::MAX_FRAGMENT_BYTES`]), and redacting and
/// packing it would hold up the page.
pub const INPUT_MAX: usize = 512 * 1024;

/// What a link carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    ReportOnly,
    WithInput,
}

/// A link ready to be copied, and exactly what it carries.
#[derive(Clone, Debug, PartialEq)]
pub struct Prepared {
    pub link: String,
    /// The link decoded again: what whoever opens it will see.
    pub shared: Decoded,
    /// Every text of the shared report, as plain text: the preview.
    pub preview: String,
    /// What redaction replaced, per kind: (kind, count).
    pub replaced: Vec<(Class, usize)>,
}

impl Prepared {
    /// Characters in the link (it is ASCII).
    pub fn len(&self) -> usize {
        self.link.len()
    }

    pub fn is_empty(&self) -> bool {
        self.link.is_empty()
    }

    /// Longer than some chat apps and forms keep.
    pub fn is_long(&self) -> bool {
        self.len() > share::REPORT_LINK_BUDGET
    }

    /// The fragment is too long for Upstream Doctor to open.
    pub fn too_long_to_open(&self) -> bool {
        self.link
            .split_once('#')
            .is_some_and(|(_, f)| f.len() > share::MAX_FRAGMENT_BYTES)
    }

    /// "3 host names (host-1 … host-3), 1 IP address (ip-1)": what the
    /// redaction replaced, with the placeholders it used.
    pub fn replaced_text(&self) -> String {
        if self.replaced.is_empty() {
            return "nothing needed replacing".to_string();
        }
        self.replaced
            .iter()
            .map(|&(class, n)| {
                let (one, many) = class_words(class);
                let p = class.prefix();
                let range = if n == 1 {
                    format!("{p}-1")
                } else {
                    format!("{p}-1 … {p}-{n}")
                };
                format!("{n} {} ({range})", if n == 1 { one } else { many })
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn class_words(c: Class) -> (&'static str, &'static str) {
    match c {
        Class::Host => ("host name", "host names"),
        Class::Ip => ("IP address", "IP addresses"),
        Class::User => ("user name", "user names"),
        Class::Email => ("e-mail address", "e-mail addresses"),
        Class::Token => ("secret", "secrets"),
    }
}

/// Why the input cannot go into a link, if it cannot.
pub fn input_unavailable(input: Option<&str>) -> Option<&'static str> {
    match input {
        None => Some("only for a pasted text (this diagnosis was read from files)"),
        Some(t) if t.trim().is_empty() => Some("there is no pasted text"),
        Some(t) if t.len() > INPUT_MAX => Some("the paste is too big for a link (over 512 KB)"),
        Some(_) => None,
    }
}

/// Redact `report` (and the paste, with the same placeholders, when `mode`
/// includes it), pack it into a link to `base_url`, and decode that link
/// again for the preview, so the preview is exactly what the link holds.
pub fn prepare(base_url: &str, report: &Report, input: Option<&str>, mode: Mode) -> Prepared {
    let input = match mode {
        Mode::WithInput if input_unavailable(input).is_none() => input,
        _ => None,
    };
    // The paste first, so placeholders are numbered in paste order (what
    // `redact::redact_case` does), keeping the redactor for its counts.
    let mut redactor = Redactor::new();
    let input = input.map(|i| redactor.redact_text(i));
    let report = redactor.redact_report(report);
    let link = share::link(base_url, &report, input.as_deref());
    let shared = match share::decode(&link) {
        Ok(d) => d,
        // Only a link too long to open fails here: show what was packed.
        Err(_) => Decoded {
            report: share::shareable(&report, input.as_deref()),
            input,
            trimmed: false,
            version: share::VERSION,
        },
    };
    let preview = preview_text(&shared.report);
    let mut replaced: Vec<(Class, usize)> = Vec::new();
    for (class, _, _) in redactor.mappings() {
        match replaced.iter_mut().find(|(c, _)| *c == class) {
            Some((_, n)) => *n += 1,
            None => replaced.push((class, 1)),
        }
    }
    replaced.sort_by_key(|(c, _)| *c);
    Prepared {
        link,
        shared,
        preview,
        replaced,
    }
}

/// Every text a shared report carries, field by field, as plain text:
/// what the sender reads before sending (upstreams, site names, warnings
/// and reasoning included, since they may name things too).
pub fn preview_text(r: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("Headline: {}", r.headline));
    if !r.artifacts.is_empty() {
        let read: Vec<String> = r
            .artifacts
            .iter()
            .map(|a| format!("{} (lines {}–{})", a.label, a.first_line, a.last_line))
            .collect();
        line(format!("Read: {}", read.join(", ")));
    }
    let s = &r.stats;
    line(format!(
        "Input: {} lines, {} bytes, {} nginx error.log lines, {} signals",
        s.lines, s.bytes, s.error_log_lines, s.events
    ));
    if !r.sections.is_empty() {
        line(format!("Collector sections: {}", r.sections.join(", ")));
    }
    for w in &r.warnings {
        match w.line {
            Some(l) => line(format!("Warning (line {l}): {}", w.message)),
            None => line(format!("Warning: {}", w.message)),
        }
    }
    for (i, c) in r.causes.iter().enumerate() {
        let mut head = format!(
            "\n{}. {} [{}] — {} confidence, {} events",
            i + 1,
            c.title,
            c.id,
            crate::format::percent(c.confidence),
            c.events
        );
        if c.family != c.id {
            let _ = write!(head, ", family {}", c.family);
        }
        if let Some(st) = c.status {
            let _ = write!(head, ", nginx answers {st}");
        }
        line(head);
        line(format!("   {}", c.summary));
        if !c.upstreams.is_empty() {
            line(format!("   Upstreams: {}", c.upstreams.join(", ")));
        }
        if !c.servers.is_empty() {
            line(format!("   Sites: {}", c.servers.join(", ")));
        }
        if c.first_seen.is_some() || c.last_seen.is_some() {
            let dash = || "—".to_string();
            line(format!(
                "   Seen: {} to {}",
                c.first_seen.clone().unwrap_or_else(dash),
                c.last_seen.clone().unwrap_or_else(dash)
            ));
        }
        for e in &c.evidence {
            line(format!("   Evidence, line {}: {}", e.line, e.text));
        }
        for f in &c.fixes {
            line(format!("   Fix: {}", f.command));
            line(format!("        {}", f.why));
        }
        for v in &c.verify {
            line(format!("   Verify: {v}"));
        }
        for n in &c.next {
            line(format!("   Paste next: {} — {}", n.paste, n.why));
        }
        for why in &c.reasoning {
            line(format!("   Why this rank: {why}"));
        }
    }
    if !r.next.is_empty() {
        line(String::new());
    }
    for n in &r.next {
        line(format!("Paste next: {} — {}", n.paste, n.why));
    }
    if let Some(t) = &r.timeline {
        if let (Some(a), Some(b)) = (t.minutes.first(), t.minutes.last()) {
            let names: Vec<&str> = t.series.iter().map(|s| s.cause.as_str()).collect();
            line(format!(
                "\nTimeline: events per minute, {a} to {b}: {}",
                names.join(", ")
            ));
        }
    }
    out
}

/// Whether a page fragment (`location.hash`) is meant as a share link:
/// `#v` and a digit. Other fragments (`#paste`, `#/causes`) belong to
/// others and are left alone.
pub fn is_share_fragment(hash: &str) -> bool {
    let f = hash.strip_prefix('#').unwrap_or(hash);
    f.strip_prefix('v')
        .and_then(|r| r.bytes().next())
        .is_some_and(|b| b.is_ascii_digit())
}

/// Open the page's fragment: `None` when it is not a share link.
pub fn open(hash: &str) -> Option<Result<Decoded, ShareError>> {
    is_share_fragment(hash).then(|| share::decode(hash))
}

/// A sentence for the page: the core's reason with a capital letter and a
/// full stop.
pub fn error_sentence(e: &ShareError) -> String {
    let s = e.to_string();
    let mut c = s.chars();
    match c.next() {
        Some(first) => {
            let mut out: String = first.to_uppercase().collect();
            out.push_str(c.as_str());
            if !out.ends_with('.') {
                out.push('.');
            }
            out
        }
        None => s,
    }
}

/// `12345` → `12,345`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://doctor.example/tools/";

    fn mixed() -> &'static str {
        "2024/06/02 14:01:10 [error] 811#811: *31 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.7, server: shop.example.com, request: \"GET /cart?session=abc123 HTTP/1.1\", upstream: \"http://10.1.2.3:3000/cart\", host: \"shop.example.com\"\n\
         2024/06/02 14:01:11 [error] 811#811: *32 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.8, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://10.1.2.3:3000/\", host: \"shop.example.com\"\n"
    }

    #[test]
    fn a_report_only_link_opens_to_the_redacted_report() {
        let report = analyzer_core::analyze_str(mixed());
        assert!(!report.causes.is_empty());
        let p = prepare(BASE, &report, Some(mixed()), Mode::ReportOnly);
        assert!(
            p.link.starts_with("https://doctor.example/tools/#v2."),
            "{}",
            p.link
        );
        assert_eq!(p.shared.input, None);
        let ids: Vec<_> = p.shared.report.causes.iter().map(|c| &c.id).collect();
        let want: Vec<_> = report.causes.iter().map(|c| &c.id).collect();
        assert_eq!(ids, want);
        // Exactly what the link decodes to, and nothing identifying.
        assert_eq!(share::decode(&p.link).unwrap(), p.shared);
        for secret in ["shop.example.com", "10.1.2.3", "198.51.100.7", "abc123"] {
            assert!(!p.link.contains(secret));
            assert!(!p.preview.contains(secret), "{secret} in the preview");
        }
        assert!(
            p.preview.contains("host-1") || p.preview.contains("ip-1"),
            "{}",
            p.preview
        );
        assert!(!p.is_long() || p.shared.trimmed);
        assert!(!p.too_long_to_open());
    }

    #[test]
    fn a_link_with_input_carries_the_redacted_paste_with_the_same_placeholders() {
        let report = analyzer_core::analyze_str(mixed());
        let p = prepare(BASE, &report, Some(mixed()), Mode::WithInput);
        let input = p.shared.input.as_deref().expect("input in the link");
        assert!(!input.contains("shop.example.com") && !input.contains("10.1.2.3"));
        assert!(input.contains("host-1"), "{input}");
        assert!(input.contains("ip-1"), "{input}");
        // The paste and the report share one mapping.
        let up = &p.shared.report.causes[0].upstreams;
        assert!(up.iter().all(|u| input.contains(u.as_str())), "{up:?}");
        assert_eq!(
            share::decode(&p.link).unwrap().input.as_deref(),
            Some(input)
        );
        let text = p.replaced_text();
        assert!(text.contains("host name"), "{text}");
        assert!(text.contains("IP address"), "{text}");
        // Diagnosing the redacted paste names the same causes.
        let again = analyzer_core::analyze_str(input);
        let a: Vec<_> = again.causes.iter().map(|c| &c.id).collect();
        let b: Vec<_> = report.causes.iter().map(|c| &c.id).collect();
        assert_eq!(a, b);
    }

    #[test]
    fn the_preview_names_every_text_of_the_shared_report() {
        let report = analyzer_core::analyze_str(mixed());
        let p = prepare(BASE, &report, None, Mode::ReportOnly);
        let r = &p.shared.report;
        assert!(p.preview.contains(&r.headline));
        for c in &r.causes {
            assert!(p.preview.contains(&c.title), "{}", c.title);
            assert!(p.preview.contains(&format!("[{}]", c.id)));
            for e in &c.evidence {
                assert!(p.preview.contains(&e.text), "{}", e.text);
            }
            for u in c.upstreams.iter().chain(&c.servers).chain(&c.reasoning) {
                assert!(p.preview.contains(u.as_str()), "{u}");
            }
            for f in &c.fixes {
                assert!(p.preview.contains(&f.command), "{}", f.command);
            }
        }
    }

    #[test]
    fn input_is_offered_only_for_a_reasonable_paste() {
        assert!(input_unavailable(None).is_some());
        assert!(input_unavailable(Some("  \n")).is_some());
        assert!(input_unavailable(Some(&"x".repeat(INPUT_MAX + 1))).is_some());
        assert_eq!(input_unavailable(Some("a line")), None);
        // Asking for the input when it is not available gives a report-only link.
        let report = analyzer_core::analyze_str(mixed());
        let p = prepare(BASE, &report, None, Mode::WithInput);
        assert_eq!(p.shared.input, None);
    }

    #[test]
    fn long_and_unopenable_links_are_recognised() {
        let report = analyzer_core::analyze_str(mixed());
        // Incompressible text: the link grows with it.
        let mut noise = String::new();
        let mut x: u32 = 12345;
        for i in 0..120_000 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            noise.push(char::from(b'a' + (x >> 16) as u8 % 26));
            if i % 80 == 79 {
                noise.push('\n');
            }
        }
        let p = prepare(BASE, &report, Some(&noise), Mode::WithInput);
        assert!(p.is_long());
        assert!(p.too_long_to_open(), "{} characters", p.len());
        assert_eq!(p.shared.input.as_deref().map(str::len), Some(noise.len()));
    }

    #[test]
    fn only_v_digit_fragments_are_share_links() {
        for yes in ["#v1.abc", "#v2.x", "v1.", "#v9"] {
            assert!(is_share_fragment(yes), "{yes}");
        }
        for no in [
            "",
            "#",
            "#paste",
            "#/causes",
            "#/causes/upstream_down",
            "#value",
            "#v",
            "#V1.x",
        ] {
            assert!(!is_share_fragment(no), "{no}");
            assert!(open(no).is_none());
        }
        assert_eq!(open("#v3.abcd"), Some(Err(ShareError::NewerVersion(3))));
        assert_eq!(open("#v2.%%%"), Some(Err(ShareError::Malformed)));
        assert_eq!(open("#v1.%%%"), Some(Err(ShareError::Malformed)));
    }

    #[test]
    fn sentences_and_numbers() {
        let s = error_sentence(&ShareError::Corrupt);
        assert!(s.starts_with("The share link is damaged"), "{s}");
        assert!(s.ends_with('.'));
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
