//! error.log lines that a terminal, a mail client or a forum cut into
//! several lines, and how the pieces are joined back.
//!
//! Why: nginx writes one line per event and puts the context at its end
//! (`, client: …, server: …, request: "…", upstream: "…", host: "…"`).
//! The upstream field names the address every fix is about. A pasted line
//! cut inside that context still names the problem, so it would be counted
//! as an event without its upstream, and its rest would be left as
//! unrecognised text. So the segmenter holds such a line back
//! ([`tail_cut`]) and offers it the next lines ([`join`]) before counting
//! it.
//!
//! The join has no marker to go by: a terminal cuts at its width, inside a
//! word (`upstr` + `eam: "…"`), and a mail client or a forum at a space,
//! which the paste then loses (`HTTP/1.1",` + `upstream: "…"`). Both joins
//! are tried and the one whose context fields read better is kept.

use crate::artifacts::error_log;
use crate::text::rfind_byte;

/// Context fields whose value nginx quotes.
const QUOTED: [&[u8]; 5] = [b"request", b"upstream", b"host", b"referrer", b"subrequest"];
/// Context fields whose value nginx writes bare.
const BARE: [&[u8]; 2] = [b"client", b"server"];

/// Words of nginx's upstream messages that a cut may fall in or between
/// (`refused) while` + `connecting`, `Connec` + `tion refused`).
const PHRASES: [&str; 14] = [
    " while ",
    "connecting to upstream",
    "from upstream",
    "to upstream",
    " failed (",
    "Connection refused",
    "Connection timed out",
    "Connection reset by peer",
    "No such file or directory",
    "Permission denied",
    "prematurely closed connection",
    "reading response header",
    "sending request",
    "SSL handshaking",
];

/// Longest continuation line tried.
const MAX_PIECE: usize = 1024;

/// Does this error.log line, which names an upstream problem, look cut
/// inside (or before) its context? Its last `, ` field is unfinished
/// (`, upstr`, `, upstream: "http://127.0.0`) or bare (`, server: shop.exa`:
/// on such a line nginx writes the request and the upstream after it), or
/// it has no context and stops inside its message.
///
/// Cheap for the lines of a real log, which end with a quoted value (a
/// `host: "…"`).
#[inline]
pub(crate) fn tail_cut(line: &str) -> bool {
    let b = line.as_bytes();
    match b.last() {
        None => false,
        // A closing quote, unless it opens the value (`upstream: "`).
        Some(b'"') => b.ends_with(b": \""),
        Some(b',') => true,
        Some(_) => cut_before_quote(b),
    }
}

/// [`tail_cut`] for a line that does not end with a quote.
fn cut_before_quote(b: &[u8]) -> bool {
    match last_field(b).and_then(name_and_value) {
        // nginx writes `request: "…"` (and the upstream) after these on the
        // lines of an upstream problem.
        Some((name, _)) if BARE.contains(&name) => true,
        // Its value would end with a quote.
        Some((name, _)) if QUOTED.contains(&name) => true,
        // A field name cut short (`, upstr`), or a `, ` inside the message.
        _ if has_context(b) => true,
        _ => !(b.ends_with(b"upstream") || b.ends_with(b")")),
    }
}

/// The text after the last `, `.
fn last_field(b: &[u8]) -> Option<&[u8]> {
    let mut end = b.len();
    while let Some(i) = rfind_byte(b',', &b[..end]) {
        if b.get(i + 1) == Some(&b' ') {
            return Some(&b[i + 2..]);
        }
        end = i;
    }
    None
}

/// `name: value` with a lowercase name.
fn name_and_value(field: &[u8]) -> Option<(&[u8], &[u8])> {
    let n = field
        .iter()
        .take_while(|c| c.is_ascii_lowercase() || **c == b'_')
        .count();
    let value = field[n..].strip_prefix(b": ")?;
    (n > 0).then_some((&field[..n], value))
}

fn has_context(b: &[u8]) -> bool {
    memchr::memmem::find(b, b", client: ").is_some()
        || memchr::memmem::find(b, b", server: ").is_some()
}

/// What joining a continuation line gave.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Join {
    /// The line is whole again.
    Whole(String),
    /// The piece belongs to the line, which still looks cut.
    Partial(String),
}

/// Join `next` (one pasted line) to the cut line `held`, when it reads as
/// its continuation: no error.log line of its own, and a join that makes
/// the line whole, or at least adds context fields to it. `None`: `next`
/// is something else, and `held` stays as it is.
pub(crate) fn join(held: &str, next: &str) -> Option<Join> {
    let next = next.trim();
    if next.is_empty() || next.len() > MAX_PIECE || is_log_line(next) {
        return None;
    }
    let candidates = [format!("{held}{next}"), format!("{held} {next}")];
    let rated = candidates.map(|line| {
        let whole = !tail_cut(&line);
        let score = fields_score(&line);
        (whole, score, line)
    });
    // The better join: whole first, then better fields; on a tie, the
    // terminal's cut inside a word when both sides of it are word bytes.
    let word_cut =
        held.bytes().last().is_some_and(is_word) && next.bytes().next().is_some_and(is_word);
    let [a, b] = rated;
    let (whole, score, line) = match (a.0, a.1).cmp(&(b.0, b.1)) {
        std::cmp::Ordering::Greater => a,
        std::cmp::Ordering::Less => b,
        std::cmp::Ordering::Equal if word_cut => a,
        std::cmp::Ordering::Equal => b,
    };
    // The piece must add to the context (a field, or a value closed): a
    // line of another kind after a cut one does not.
    let adds = score > fields_score(held);
    if whole {
        return adds.then_some(Join::Whole(line));
    }
    // Still cut: a middle piece, when it added fields or is one token
    // (`ream:` of `upst` + `ream:` + `"http://…"`).
    (adds || !next.contains(char::is_whitespace)).then_some(Join::Partial(line))
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'/')
}

/// A line of its own: an error.log header at its start or after a prefix.
fn is_log_line(s: &str) -> bool {
    error_log::looks_like(s) || error_log::has_embedded_header(s)
}

/// How well the line reads: each of nginx's phrases in it counts; each
/// known context field counts twice, one whose
/// value is still open (a quote not closed yet) counts half, and one whose
/// value cannot be right (a space inside an address, a request line
/// without exactly two spaces, a quoted field without its quotes) counts
/// against.
fn fields_score(line: &str) -> i32 {
    let b = line.as_bytes();
    // A cut inside the message joined the wrong way breaks its words.
    let mut score = PHRASES
        .iter()
        .filter(|p| memchr::memmem::find(b, p.as_bytes()).is_some())
        .count() as i32;
    let mut from = 0;
    while let Some(i) = crate::text::find_byte(b',', &b[from..]) {
        let at = from + i;
        from = at + 1;
        let Some(field) = b[at..].strip_prefix(b", ") else {
            continue;
        };
        let Some((name, value)) = name_and_value(field) else {
            continue;
        };
        if BARE.contains(&name) {
            let v = value.split(|&c| c == b',').next().unwrap_or(value);
            score += if v.is_empty() || v.contains(&b' ') {
                -1
            } else {
                2
            };
        } else if QUOTED.contains(&name) {
            let spaces = |v: &[u8]| v.iter().filter(|&&c| c == b' ').count();
            score += match value.strip_prefix(b"\"") {
                None => -1,
                // Opened, not closed yet: the line goes on.
                Some(v) if !v.contains(&b'"') => 1,
                Some(v) => {
                    let v = v.split(|&c| c == b'"').next().unwrap_or(v);
                    let want = if name == b"request" { 2 } else { 0 };
                    if spaces(v) == want {
                        2
                    } else {
                        -1
                    }
                }
            };
        }
    }
    score
}

#[cfg(test)]
mod tests {
    use super::*;

    const WHOLE: &str = "2024/03/02 10:15:01 [error] 812#812: *4431 connect() failed (111: Connection refused) while connecting to upstream, client: 198.51.100.23, server: shop.example.org, request: \"GET /cart HTTP/1.1\", upstream: \"http://127.0.0.1:3000/cart\", host: \"shop.example.org\"";

    #[test]
    fn whole_lines_are_not_cut() {
        for line in [
            WHOLE,
            "2024/03/02 10:15:01 [error] 812#812: *1 upstream timed out (110: Connection timed out) while reading response header from upstream",
            "2024/03/02 10:15:01 [error] 812#812: *1 recv() failed (104: Connection reset by peer)",
            "",
        ] {
            assert!(!tail_cut(line), "{line}");
        }
    }

    #[test]
    fn lines_cut_anywhere_in_their_context_are_cut() {
        // Every cut of the whole line from the end of its message on,
        // except those that end a field (a closing quote, a bare value).
        let start = WHOLE.find(", client").unwrap_or(0);
        for end in start + 1..WHOLE.len() {
            let piece = WHOLE[..end].trim_end();
            // A closing quote: the cuts that cannot be told from a whole line.
            if piece.ends_with('"') && !piece.ends_with(": \"") {
                continue;
            }
            assert!(tail_cut(piece), "{piece:?}");
        }
        // Inside the message, with no context yet.
        assert!(tail_cut(&WHOLE[..WHOLE.find(" while").unwrap_or(0) + 10]));
    }

    /// The whole line cut after `at` bytes, as a terminal (no space lost)
    /// or a mail client (the space at the cut lost) would leave it.
    fn pieces(at: usize, mail: bool) -> (String, String) {
        let (a, b) = WHOLE.split_at(at);
        if mail {
            (a.trim_end().to_string(), b.trim_start().to_string())
        } else {
            (a.to_string(), b.to_string())
        }
    }

    #[test]
    fn a_terminal_cut_is_joined_back_exactly() {
        let start = WHOLE.find(", client").unwrap_or(0);
        let mut whole = 0;
        for at in start + 1..WHOLE.len() - 1 {
            let (a, b) = pieces(at, false);
            if !tail_cut(a.trim_end()) || a.ends_with(' ') || b.starts_with(' ') {
                continue;
            }
            match join(&a, &b) {
                Some(Join::Whole(line)) => {
                    assert_eq!(line, WHOLE, "cut at {at}: {a:?} + {b:?}");
                    whole += 1;
                }
                other => panic!("cut at {at}: {a:?} + {b:?} gave {other:?}"),
            }
        }
        assert!(whole > 50, "{whole}");
    }

    #[test]
    fn a_cut_at_a_space_is_joined_with_it() {
        let mut whole = 0;
        for (at, _) in WHOLE.match_indices(' ').filter(|(i, _)| *i > 150) {
            let (a, b) = pieces(at, true);
            if !tail_cut(&a) {
                continue;
            }
            assert_eq!(
                join(&a, &b),
                Some(Join::Whole(WHOLE.to_string())),
                "{a:?} + {b:?}"
            );
            whole += 1;
        }
        assert!(whole >= 4, "{whole}");
    }

    #[test]
    fn a_line_cut_twice_takes_its_middle_piece() {
        let (a, rest) = WHOLE.split_at(WHOLE.find("quest:").unwrap_or(0));
        let (b, c) = rest.split_at(rest.find("tp://").unwrap_or(0));
        let Some(Join::Partial(ab)) = join(a, b) else {
            panic!("{a:?} + {b:?}");
        };
        assert_eq!(join(&ab, c), Some(Join::Whole(WHOLE.to_string())));
    }

    #[test]
    fn other_lines_are_not_continuations() {
        let (a, _) = WHOLE.split_at(WHOLE.find("stream: ").unwrap_or(0));
        for next in [
            "",
            "   ",
            WHOLE,
            "nginx_1  | 2024/03/02 10:15:02 [error] 812#812: *4432 no live upstreams while connecting to upstream, client: 1.2.3.4, host: \"x\"",
            "web-1 | [error] 812#812: *4432 no live upstreams while connecting to upstream, host: \"x\"",
            "and then the site shows 502 for everyone",
            "LISTEN 0 511 127.0.0.1:3000 0.0.0.0:* users:((\"node\",pid=1234,fd=18))",
            "203.0.113.7 - - [02/Mar/2024:10:15:02 +0000] \"GET / HTTP/1.1\" 502 166 \"-\" \"curl/8.5.0\"",
        ] {
            assert_eq!(join(a, next), None, "{next:?}");
        }
    }

    #[test]
    fn field_scores_prefer_well_formed_values() {
        assert!(fields_score(WHOLE) > fields_score(&WHOLE.replace("GET /cart", "GET/cart")));
        assert!(fields_score(WHOLE) > fields_score(&WHOLE.replace(":3000", ":30 00")));
        assert_eq!(fields_score("no context here"), 0);
    }
}
