//! Markdown for people: a diagnosis as it goes into a ticket, a forum post
//! or a chat, and each cause's help page rendered from its rule's docs.
//!
//! GitHub, Discourse and most forums render CommonMark: headings, tables,
//! fenced code blocks. Evidence and commands go into fenced blocks whose
//! fence is longer than any backtick run inside, so pasted log text can
//! never close the block early or inject markup.

use crate::causes::{rule, RULES};
use crate::redact::Redactor;
use crate::report::{Report, Risk};
use crate::share;

/// A code fence longer than any run of backticks in `body`.
fn fence(body: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in body.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat((longest + 1).max(3))
}

fn code_block(lang: &str, body: &str) -> String {
    let f = fence(body);
    format!("{f}{lang}\n{}\n{f}\n", body.trim_end_matches('\n'))
}

/// Text safe inside a table cell or a line of prose: pipes escaped, line
/// breaks and markup characters neutralised.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '\n' | '\r' => out.push(' '),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '`' => out.push('\''),
            '*' | '_' | '[' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn risk(r: Risk) -> &'static str {
    match r {
        Risk::Safe => "safe",
        Risk::Review => "review first",
        Risk::Disruptive => "restarts or reloads",
    }
}

/// The whole diagnosis as Markdown. `link` is the share link, if made.
pub fn report_markdown(r: &Report, link: Option<&str>) -> String {
    let mut md = String::new();
    md.push_str("## nginx 502/504 diagnosis (Upstream Doctor)\n\n");
    md.push_str(&format!("**{}**\n\n", cell(&r.headline)));
    if !r.artifacts.is_empty() {
        let kinds: Vec<String> = r
            .artifacts
            .iter()
            .filter(|a| a.kind != crate::artifacts::Kind::Unrecognised)
            .map(|a| format!("{} (lines {}–{})", a.label, a.first_line, a.last_line))
            .collect();
        if !kinds.is_empty() {
            md.push_str(&format!("Read: {}.\n\n", cell(&kinds.join(", "))));
        }
    }
    if r.causes.is_empty() {
        md.push_str("No cause of a 502/504 was found in this paste.\n\n");
    } else {
        md.push_str("| # | Cause | Confidence | Events | Title |\n|---|---|---|---|---|\n");
        for (i, c) in r.causes.iter().enumerate() {
            md.push_str(&format!(
                "| {} | `{}` | {}% | {} | {} |\n",
                i + 1,
                cell(&c.id),
                crate::num::fixed(c.confidence * 100.0, 0),
                c.events,
                cell(&c.title)
            ));
        }
        md.push('\n');
    }
    for (i, c) in r.causes.iter().enumerate() {
        md.push_str(&format!("### {}. {}\n\n", i + 1, cell(&c.title)));
        md.push_str(&format!("{}\n\n", cell(&c.summary)));
        if !c.evidence.is_empty() {
            md.push_str("Evidence:\n\n");
            let body: Vec<String> = c
                .evidence
                .iter()
                .map(|e| format!("L{}: {}", e.line, e.text))
                .collect();
            md.push_str(&code_block("text", &body.join("\n")));
            md.push('\n');
        }
        if !c.fixes.is_empty() {
            md.push_str("Fix:\n\n");
            for f in &c.fixes {
                md.push_str(&format!("- {} ({})\n\n", cell(&f.why), risk(f.risk)));
                md.push_str(&indent(&code_block("sh", &f.command)));
                md.push('\n');
            }
        }
        if !c.verify.is_empty() {
            md.push_str("Verify:\n\n");
            md.push_str(&code_block("sh", &c.verify.join("\n")));
            md.push('\n');
        }
        for n in &c.next {
            md.push_str(&format!(
                "- Paste next: `{}` — {}\n",
                cell(&n.paste),
                cell(&n.why)
            ));
        }
        if !c.next.is_empty() {
            md.push('\n');
        }
    }
    if !r.next.is_empty() {
        md.push_str("What to paste next:\n\n");
        for n in &r.next {
            md.push_str(&format!("- `{}` — {}\n", cell(&n.paste), cell(&n.why)));
        }
        md.push('\n');
    }
    if let Some(l) = link {
        md.push_str(&format!(
            "Shared diagnosis (redacted): <{}>\n",
            l.replace(['<', '>', ' '], "")
        ));
    }
    md
}

/// The Markdown a person posts, as both front ends make it (the CLI's
/// `--markdown`, the web app's "Copy as Markdown"), so one input gives the
/// same bytes in both: the report with addresses, host and user names and
/// secrets replaced when `redact` (the default in both: Markdown goes to
/// tickets and forums), and, with `link_base`, a share link to the
/// redacted report on that address. The link is always redacted.
pub fn export_markdown(report: &Report, redact: bool, link_base: Option<&str>) -> String {
    let redacted = Redactor::new().redact_report(report);
    let link = link_base.map(|base| share::link(base, &redacted, None));
    report_markdown(if redact { &redacted } else { report }, link.as_deref())
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// A cause's help page: its docs with a title, id, family and signatures.
/// `None` for an unknown id.
pub fn cause_page(id: &str) -> Option<String> {
    let r = rule(id)?;
    let mut md = format!("# {} (`{}`)\n\n", r.title, r.id);
    if r.family != r.id {
        md.push_str(&format!("Family: `{}`\n\n", r.family));
    }
    md.push_str(r.docs.trim());
    md.push('\n');
    if !r.signatures.is_empty() {
        md.push_str("\n## Messages that point here\n\n");
        for s in r.signatures {
            md.push_str(&format!("- `{s}`\n"));
        }
    }
    Some(md)
}

/// Causes whose id, title, docs or signatures contain `query` (case-insensitive),
/// best first: id and signature matches before title, then docs.
pub fn search_causes(query: &str) -> Vec<&'static str> {
    let q = query.trim().to_lowercase();
    if q.is_empty() {
        return RULES.iter().map(|r| r.id).collect();
    }
    let mut scored: Vec<(u8, &'static str)> = RULES
        .iter()
        .filter_map(|r| {
            let sig_hit = |sig: &&str| {
                let s = sig.to_lowercase();
                s.contains(&q) || q.contains(&s)
            };
            // The first signature is the cause's own message; a contract
            // family is the canonical home of its messages.
            let canonical = r.family == r.id;
            let score = if r.id.contains(&q) {
                6
            } else if r.signatures.first().is_some_and(sig_hit) {
                if canonical {
                    5
                } else {
                    4
                }
            } else if r.signatures.iter().any(sig_hit) {
                3
            } else if r.title.to_lowercase().contains(&q) {
                2
            } else if r.docs.to_lowercase().contains(&q) {
                1
            } else {
                0
            };
            (score > 0).then_some((score, r.id))
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_body() {
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("a ``` b"), "````");
        let b = code_block("text", "x ```` y");
        assert!(b.starts_with("`````text\n"));
    }

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(cell("a|b\nc <img src=x>"), "a\\|b c &lt;img src=x&gt;");
    }

    #[test]
    fn every_rule_has_a_page() {
        for r in RULES {
            let page = cause_page(r.id).expect("page");
            assert!(page.contains("## Fix"), "{}", r.id);
        }
        assert!(cause_page("no_such_cause").is_none());
    }

    #[test]
    fn exports_are_redacted_by_default_and_link_the_redacted_report() {
        let r = crate::analyze_str(
            "2024/05/14 09:12:01 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.9, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://10.1.2.3:3000/\", host: \"shop.example.com\"\n",
        );
        let md = export_markdown(&r, true, Some("https://ud.example/tools/"));
        assert!(
            !md.contains("10.1.2.3") && !md.contains("shop.example.com"),
            "{md}"
        );
        assert!(md.contains("ip-"), "{md}");
        let link = md
            .lines()
            .last()
            .and_then(|l| l.strip_prefix("Shared diagnosis (redacted): <"))
            .and_then(|l| l.strip_suffix('>'))
            .expect("a link line");
        assert!(link.starts_with("https://ud.example/tools/#v2."));
        let opened = share::decode(link).unwrap().report;
        assert_eq!(opened.causes[0].id, r.causes[0].id);
        assert!(!format!("{opened:?}").contains("10.1.2.3"));

        let plain = export_markdown(&r, false, None);
        assert!(plain.contains("10.1.2.3"));
        assert_eq!(plain, report_markdown(&r, None));
        assert!(!plain.contains("Shared diagnosis"));
    }

    #[test]
    fn search_finds_causes_by_message_fragment() {
        assert!(search_causes("(13: Permission denied)").contains(&"socket_permission"));
        assert!(search_causes("Connection refused").contains(&"upstream_down"));
        assert_eq!(
            search_causes("(13: Permission denied)").first(),
            Some(&"socket_permission")
        );
        assert_eq!(
            search_causes("prematurely closed").first(),
            Some(&"upstream_closed_early")
        );
    }
}
