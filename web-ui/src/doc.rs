//! The small Markdown of the cause documentation (`analyzer_core::markdown::cause_page`)
//! read into a tree the knowledge base renders as elements. Pure: no DOM.
//!
//! Only what the docs use: `#`/`##` headings, paragraphs, `-` lists (with
//! indented continuation lines), pipe tables, fenced code blocks, and
//! inline `code`, `**strong**` and `*emphasis*`. Anything else stays text:
//! the result is shown as text nodes inside elements, never as markup.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(String),
    Em(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Heading(u8, Vec<Inline>),
    Para(Vec<Inline>),
    List(Vec<Vec<Inline>>),
    Code {
        lang: String,
        text: String,
    },
    Table {
        head: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
}

/// Inline markup of one paragraph or item.
pub fn inlines(s: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    let flush = |text: &mut String, out: &mut Vec<Inline>| {
        if !text.is_empty() {
            out.push(Inline::Text(std::mem::take(text)));
        }
    };
    while let Some(c) = rest.chars().next() {
        let delim = if rest.starts_with("**") {
            Some("**")
        } else if c == '`' {
            Some("`")
        } else if c == '*' && rest[1..].starts_with(|n: char| !n.is_whitespace()) {
            Some("*")
        } else {
            None
        };
        if let Some(d) = delim {
            let body = &rest[d.len()..];
            if let Some(end) = body.find(d).filter(|&e| e > 0) {
                flush(&mut text, &mut out);
                let inner = body[..end].to_string();
                out.push(match d {
                    "`" => Inline::Code(inner),
                    "**" => Inline::Strong(inner),
                    _ => Inline::Em(inner),
                });
                rest = &body[end + d.len()..];
                continue;
            }
        }
        text.push(c);
        rest = &rest[c.len_utf8()..];
    }
    flush(&mut text, &mut out);
    out
}

/// Split a table row on `|`, not inside backticks.
fn cells(row: &str) -> Vec<Vec<Inline>> {
    let t = row.trim();
    let t = t.strip_prefix('|').unwrap_or(t);
    let t = t.strip_suffix('|').unwrap_or(t);
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_code = false;
    for c in t.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                cur.push(c);
            }
            '|' if !in_code => out.push(inlines(std::mem::take(&mut cur).trim())),
            _ => cur.push(c),
        }
    }
    out.push(inlines(cur.trim()));
    out
}

fn is_table_rule(line: &str) -> bool {
    let t = line.trim();
    t.starts_with('|') && t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '))
}

/// Read a document.
pub fn parse(md: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut para: Vec<&str> = Vec::new();
    let mut items: Vec<String> = Vec::new();
    let lines: Vec<&str> = md.lines().collect();
    let mut i = 0;

    fn end_para(para: &mut Vec<&str>, blocks: &mut Vec<Block>) {
        if !para.is_empty() {
            blocks.push(Block::Para(inlines(&para.join(" "))));
            para.clear();
        }
    }
    fn end_list(items: &mut Vec<String>, blocks: &mut Vec<Block>) {
        if !items.is_empty() {
            blocks.push(Block::List(items.drain(..).map(|s| inlines(&s)).collect()));
        }
    }

    while i < lines.len() {
        let line = lines[i];
        let t = line.trim();
        if let Some(lang) = t.strip_prefix("```") {
            end_para(&mut para, &mut blocks);
            end_list(&mut items, &mut blocks);
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with("```") {
                body.push(lines[i]);
                i += 1;
            }
            blocks.push(Block::Code {
                lang: lang.trim().to_string(),
                text: body.join("\n"),
            });
            i += 1;
            continue;
        }
        if t.is_empty() {
            end_para(&mut para, &mut blocks);
            end_list(&mut items, &mut blocks);
        } else if let Some((level, h)) = t
            .strip_prefix("## ")
            .map(|h| (2, h))
            .or_else(|| t.strip_prefix("# ").map(|h| (1, h)))
            .or_else(|| t.strip_prefix("### ").map(|h| (3, h)))
        {
            end_para(&mut para, &mut blocks);
            end_list(&mut items, &mut blocks);
            blocks.push(Block::Heading(level, inlines(h.trim())));
        } else if t.starts_with('|') && lines.get(i + 1).is_some_and(|n| is_table_rule(n)) {
            end_para(&mut para, &mut blocks);
            end_list(&mut items, &mut blocks);
            let head = cells(t);
            let mut rows = Vec::new();
            i += 2;
            while i < lines.len() && lines[i].trim().starts_with('|') {
                rows.push(cells(lines[i]));
                i += 1;
            }
            blocks.push(Block::Table { head, rows });
            continue;
        } else if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            end_para(&mut para, &mut blocks);
            items.push(item.to_string());
        } else if !items.is_empty() && line.starts_with(' ') {
            // A continuation of the last item.
            if let Some(last) = items.last_mut() {
                last.push(' ');
                last.push_str(t);
            }
        } else {
            end_list(&mut items, &mut blocks);
            para.push(t);
        }
        i += 1;
    }
    end_para(&mut para, &mut blocks);
    end_list(&mut items, &mut blocks);
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use Inline::*;

    fn text(s: &str) -> Inline {
        Text(s.into())
    }

    #[test]
    fn inline_markup() {
        assert_eq!(
            inlines("a `b*c` **d** *e* f"),
            [
                text("a "),
                Code("b*c".into()),
                text(" "),
                Strong("d".into()),
                text(" "),
                Em("e".into()),
                text(" f")
            ]
        );
        // Unclosed or spaced markers stay text.
        assert_eq!(inlines("2 * 3 and `x"), [text("2 * 3 and `x")]);
        assert_eq!(inlines("<b>&amp;</b>"), [text("<b>&amp;</b>")]);
        assert_eq!(inlines("é `ü`"), [text("é "), Code("ü".into())]);
    }

    #[test]
    fn blocks() {
        let md = "# Title (`id`)\n\nFamily: `f`\n\n## What it means\nOne\ntwo.\n- item one\n  continued\n- item `two`\n\n| A | B |\n|---|---|\n| `a|b` | c |\n\n```sh\nsudo x\n  y\n```\nafter\n";
        let b = parse(md);
        assert_eq!(
            b,
            [
                Block::Heading(1, vec![text("Title ("), Code("id".into()), text(")")]),
                Block::Para(vec![text("Family: "), Code("f".into())]),
                Block::Heading(2, vec![text("What it means")]),
                Block::Para(vec![text("One two.")]),
                Block::List(vec![
                    vec![text("item one continued")],
                    vec![text("item "), Code("two".into())]
                ]),
                Block::Table {
                    head: vec![vec![text("A")], vec![text("B")]],
                    rows: vec![vec![vec![Code("a|b".into())], vec![text("c")]]],
                },
                Block::Code {
                    lang: "sh".into(),
                    text: "sudo x\n  y".into()
                },
                Block::Para(vec![text("after")]),
            ]
        );
    }

    #[test]
    fn every_cause_page_parses_with_its_sections() {
        for r in analyzer_core::causes::RULES {
            let page = analyzer_core::markdown::cause_page(r.id).unwrap();
            let b = parse(&page);
            let headings: Vec<String> = b
                .iter()
                .filter_map(|x| match x {
                    Block::Heading(2, h) => Some(
                        h.iter()
                            .map(|i| match i {
                                Text(s) | Code(s) | Strong(s) | Em(s) => s.as_str(),
                            })
                            .collect(),
                    ),
                    _ => None,
                })
                .collect();
            for s in analyzer_core::causes::DOC_SECTIONS {
                let want = s.trim_start_matches("## ");
                assert!(headings.iter().any(|h| h == want), "{}: {want}", r.id);
            }
        }
    }
}
