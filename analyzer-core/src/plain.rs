//! Plain log lines: the shapes that make up nearly all of a big log, for
//! which the segmenter's clean-up and strong-signal checks are no-ops.
//!
//! Why: a multi-gigabyte error.log or access.log is millions of lines of
//! two shapes. Before a line reaches its parser, [`Segmenter::line`]
//! strips controls and `\r`, trims, and looks for code fences, collector
//! and `nginx -T` markers, shell prompts and wrappers (syslog, compose,
//! `cat -n` …). For a line that starts like nginx wrote it and has nothing
//! to strip, all of that returns the line unchanged, so the segmenter can
//! skip straight to recognising it. [`is_plain`] decides that on a few
//! bytes; it may say `false` for a plain line (that line takes the general
//! path), never `true` for a line the general path would change.
//!
//! The argument for each check is next to it; the unit tests compare the
//! two paths line by line, and `segment`'s tests whole reports.
//!
//! [`Segmenter::line`]: crate::segment::Segmenter::line

use crate::text::has_controls;

/// True when the segmenter's clean-up and strong-signal checks would all
/// leave `line` as it is: no control byte and no `\r`, nothing to trim, no
/// fence, marker or prompt, no wrapper. Only two shapes qualify: an
/// error.log header (`2024/01/15 10:23:45 [`) and a line whose first word is
/// an IPv4-like address followed by a field (an access.log line).
#[inline]
pub fn is_plain(line: &str) -> bool {
    is_plain_shape(line) && !has_controls(line.as_bytes())
}

/// [`is_plain`] for a line the caller knows has no control byte (see
/// [`crate::text::printable_ascii`]): the same answer
/// without looking at every byte.
#[inline]
pub fn is_plain_shape(line: &str) -> bool {
    shape(line).is_some()
}

/// The shape a plain line of a big log has, for the segmenter's fast lane
/// that then goes straight to the parser of that shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    ErrorLog,
    AccessLog,
}

/// [`is_plain_shape`], saying which shape.
#[inline]
pub(crate) fn shape(line: &str) -> Option<Shape> {
    let b = line.as_bytes();
    if !ends_plain(b) {
        None
    } else if error_log_header(b) {
        Some(Shape::ErrorLog)
    } else if address_first(b) {
        Some(Shape::AccessLog)
    } else {
        None
    }
}

/// Nothing to trim at the end: the last byte is ASCII and not blank
/// (`trim_end` only removes whitespace, which is ASCII here or starts with
/// a byte >= 0x80).
#[inline(always)]
fn ends_plain(b: &[u8]) -> bool {
    b.last()
        .is_some_and(|&last| last < 0x80 && last != b' ' && last != b'\t')
}

/// `dddd/dd/dd dd:dd:dd [`, every `d` a digit.
///
/// - No prompt: the first word `dddd/dd/dd` has no `@` and does not open
///   with `[`, and the line opens with none of `$ `, `% `, `# `, `> `, `❯ `.
/// - No fence or marker: it opens with a digit.
/// - No syslog stamp (opens with a month), no ISO stamp (byte 10 would be
///   `T`), no RFC 3339 stamp (byte 4 would be `-`).
/// - No `name | ` prefix: a `|` before byte 20 is impossible, and any later
///   one has a name containing the space at byte 10, which is refused.
/// - No `cat -n` number: the leading digits are followed by `/`.
#[inline]
fn error_log_header(b: &[u8]) -> bool {
    const SHAPE: &[u8; 21] = b"dddd/dd/dd dd:dd:dd [";
    /// For the eight bytes of `SHAPE` at `from`: the bits to compare and
    /// their values (a digit's high nibble is 3, a literal's byte itself),
    /// and what to add so a digit above 9 carries into its high nibble.
    const fn masks(from: usize) -> [u64; 4] {
        let (mut care, mut want, mut add, mut high) = (0, 0, 0, 0);
        let mut i = 0;
        while i < 8 {
            let (s, at) = (SHAPE[from + i], 8 * i);
            if s == b'd' {
                care |= 0xf0 << at;
                want |= 0x30 << at;
                add |= 0x06 << at;
                high |= 0xf0 << at;
            } else {
                care |= 0xff << at;
                want |= (s as u64) << at;
            }
            i += 1;
        }
        [care, want, add, high]
    }
    /// `0x30..=0x39`: the high nibble is 3, and stays 3 after adding 6
    /// (no carry can come from a lower byte: each one passed the first test).
    #[inline(always)]
    fn fits(w: &[u8], [care, want, add, high]: [u64; 4]) -> bool {
        let w = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
        (w & care == want) & (w.wrapping_add(add) & high == want & high)
    }
    if b.len() <= SHAPE.len() {
        return false;
    }
    // Three overlapping words, bytes 0..8, 8..16 and 13..21; no early exit.
    fits(&b[..8], const { masks(0) })
        & fits(&b[8..16], const { masks(8) })
        & fits(&b[13..21], const { masks(13) })
}

/// A first word of digits and dots with at least one dot, then a space and
/// a byte that is ASCII, not blank and not `|` (`203.0.113.7 - - [`).
///
/// - No prompt: the first word has no `@` and does not open with `[`.
/// - No fence or marker, no syslog stamp: it opens with a digit.
/// - No ISO or RFC 3339 stamp: those need a first word of 19 bytes or more
///   with `T` at byte 10 and `-` at byte 4; a word of digits and dots has
///   neither, and a shorter word is refused by their length checks.
/// - No `name | ` prefix: a bar right after the first word is refused here;
///   any later one has a name containing the space after the first word
///   followed by a non-blank byte, which is refused.
/// - No `cat -n` number: the leading digits are followed by `.`.
#[inline]
fn address_first(b: &[u8]) -> bool {
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    // An IPv4 address and its space fit in 16 bytes: where the first byte
    // that is neither a digit nor a dot is among them, it is found without
    // a branch per byte (a random address of 7 to 15 bytes mispredicts a
    // byte loop's exit and its digit/dot arms on nearly every line).
    if let Some(w) = b.get(..16) {
        let (good, dots) = digits_and_dots(w);
        let other = !good & u128::from_le_bytes([0x80; 16]);
        if other != 0 {
            let at = (other.trailing_zeros() / 8) as usize;
            let dot_before = dots & ((1u128 << (8 * at)) - 1) != 0;
            return b[at] == b' ' && dot_before && field_follows(b, at);
        }
    }
    address_first_bytewise(b)
}

/// For the 16 bytes of `w`, the high bit of each byte of the two results
/// (all other bits clear): the byte is a digit or a dot; the byte is a dot.
/// Bytes of 0x80 and above are neither. Each byte is computed apart: no
/// sum below carries across a byte (every operand is below 0x80).
#[inline(always)]
fn digits_and_dots(w: &[u8]) -> (u128, u128) {
    const H: u64 = 0x8080_8080_8080_8080;
    const L: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const fn each(b: u8) -> u64 {
        u64::from_le_bytes([b; 8])
    }
    #[inline(always)]
    fn word(x: u64) -> (u64, u64) {
        let ascii = !x & H;
        let y = x & L;
        // y >= 0x2e, y >= 0x3a, y != '/' (0x2f), y == '.' (0x2e).
        let from_dot = (y + each(0x80 - 0x2e)) & H;
        let past_nine = (y + each(0x80 - 0x3a)) & H;
        let not_slash = ((y ^ each(b'/')) + L) & H;
        let dot = !((y ^ each(b'.')) + L) & H;
        (ascii & from_dot & !past_nine & not_slash, ascii & dot)
    }
    let lo = u64::from_le_bytes(w[..8].try_into().unwrap_or([0; 8]));
    let hi = u64::from_le_bytes(w[8..16].try_into().unwrap_or([0; 8]));
    let ((glo, dlo), (ghi, dhi)) = (word(lo), word(hi));
    (
        u128::from(glo) | u128::from(ghi) << 64,
        u128::from(dlo) | u128::from(dhi) << 64,
    )
}

/// After the first word's space at `at`: a byte that is ASCII, not blank
/// and not `|`.
#[inline(always)]
fn field_follows(b: &[u8], at: usize) -> bool {
    b.get(at + 1)
        .is_some_and(|&n| n.is_ascii() && !matches!(n, b' ' | b'\t' | b'|'))
}

/// [`address_first`] byte by byte: a first word longer than 15 bytes, or a
/// line shorter than 16.
fn address_first_bytewise(b: &[u8]) -> bool {
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut dot = false;
    for (i, &c) in b.iter().enumerate().take(46) {
        match c {
            b'0'..=b'9' => {}
            b'.' => dot = true,
            b' ' => return dot && field_follows(b, i),
            _ => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::parse_prompt;
    use crate::text::{strip_controls, unwrap_line};

    /// What the general path does before recognising a line, reduced to
    /// "does it change or divert the line".
    fn general_path_keeps(line: &str) -> bool {
        let cleaned = strip_controls(line.strip_suffix('\r').unwrap_or(line));
        let text = cleaned.trim_end();
        if text != line || text.trim_start() != text {
            return false;
        }
        if text.starts_with("```") || text.starts_with("~~~") || text.starts_with('#') {
            return false;
        }
        if parse_prompt(text).is_some() {
            return false;
        }
        let (inner, w) = unwrap_line(text);
        inner == text && w == Default::default()
    }

    #[test]
    fn plain_lines_are_left_alone_by_the_general_path() {
        let lines = [
            "2024/01/15 10:23:45 [error] 1234#1234: *5678 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: example.com",
            "2024/01/15 10:23:45 [error] 1#1: x | y",
            "2024/01/15 10:23:45 [error] a| b|",
            "2024/01/15 10:23:45 [e] x",
            "203.0.113.7 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 200 5",
            "1.2 T 4567890T12345678901234",
            "1.2 -a| b",
            "10.0.0.1 x|",
            "1. @host$ ls",
        ];
        for l in lines {
            assert!(is_plain(l), "{l}");
            assert!(general_path_keeps(l), "{l}");
        }
    }

    #[test]
    fn other_lines_are_not_plain() {
        for l in [
            "",
            "2024/01/15 10:23:45 [error] x ",
            "2024/01/15 10:23:45 [error] x\r",
            "2024/01/15 10:23:45 [error] \x1b[31mx",
            "2024/01/15 10:23:45 [error] x\u{a0}",
            "2024/01/1x 10:23:45 [error] x",
            "2 | /01/15 10:23:45 [error] x",
            "203.0.113.7 | x",
            "203 - - [15/Jan/2024:10:23:45 +0000]",
            "12 │ x",
            "1.2.3.4  x",
            "1.2.3.4\tx",
            "::1 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 200 5",
            "Jan 15 10:23:45 web1 nginx[1]: 2024/01/15 10:23:45 [error] x",
            "nginx-1  | 2024/01/15 10:23:45 [error] x",
            "$ ls",
        ] {
            assert!(!is_plain(l), "{l:?}");
        }
    }

    /// The word-at-a-time header check against the shape read byte by
    /// byte: every byte value at every place of the shape, on a header
    /// that fits otherwise.
    #[test]
    fn error_log_header_is_the_shape_byte_by_byte() {
        const SHAPE: &[u8; 21] = b"dddd/dd/dd dd:dd:dd [";
        let reference = |b: &[u8]| {
            b.len() > SHAPE.len()
                && SHAPE.iter().zip(b).all(|(&s, &c)| {
                    if s == b'd' {
                        c.is_ascii_digit()
                    } else {
                        c == s
                    }
                })
        };
        let good = b"2024/01/15 10:23:45 [error] x".to_vec();
        assert!(error_log_header(&good));
        for at in 0..good.len() {
            for c in 0..=255u8 {
                let mut v = good.clone();
                v[at] = c;
                assert_eq!(error_log_header(&v), reference(&v), "{at} {c:#x}");
            }
        }
        for len in 0..good.len() {
            assert_eq!(
                error_log_header(&good[..len]),
                reference(&good[..len]),
                "{len}"
            );
        }
        assert!(error_log_header(b"0000/99/09 90:09:99 [x"));
    }

    /// The word-at-a-time address check against the byte loop: every byte
    /// value at every place of a line, and random lines of the bytes that
    /// matter.
    #[test]
    fn address_first_is_the_byte_loop() {
        let good = b"203.0.113.7 - - [15/Jan/2024:10:23:45 +0000]".to_vec();
        assert!(address_first(&good));
        for at in 0..20 {
            for c in 0..=255u8 {
                let mut v = good.clone();
                v[at] = c;
                assert_eq!(address_first(&v), address_first_bytewise(&v), "{at} {c:#x}");
            }
        }
        let bytes = b"0123456789.. ./|\t-x:\x80\xff";
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..300_000 {
            x = crate::text::xorshift(x);
            let len = (x % 40) as usize;
            let v: Vec<u8> = (0..len)
                .map(|i| bytes[((x >> (i % 50)) as usize ^ (i * 7)) % bytes.len()])
                .collect();
            let mut w = v.clone();
            w.insert(0, b'1');
            for v in [v, w] {
                assert_eq!(address_first(&v), address_first_bytewise(&v), "{v:?}");
            }
        }
    }

    /// Random lines built from the pieces that matter: whenever `is_plain`
    /// says yes, the general path must agree.
    #[test]
    fn never_plain_when_the_general_path_would_act() {
        let pieces = [
            "2024/01/15 10:23:45 [",
            "1.2.3.4",
            " ",
            "  ",
            "|",
            "| ",
            " | ",
            "\t",
            "\r",
            "x",
            "@",
            "$ ",
            "# ",
            "[",
            "T",
            "-",
            "/",
            ":",
            "9",
            ".",
            "\u{a0}",
            "│",
            "ls",
            "\x1b[0m",
            "Jan 15 10:23:45 h a: ",
            "2024-01-15T10:23:45.1Z ",
        ];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut plain = 0;
        for _ in 0..200_000 {
            let mut line = String::new();
            for _ in 0..1 + (x % 7) {
                x = crate::text::xorshift(x);
                line.push_str(pieces[(x >> 11) as usize % pieces.len()]);
            }
            if is_plain(&line) {
                plain += 1;
                assert!(general_path_keeps(&line), "{line:?}");
            }
        }
        assert!(plain > 1000, "{plain}");
    }

    /// Every text the tests know (corpus, near misses, fixtures, samples),
    /// then all of them interleaved line by line with log lines, so blocks
    /// open and close around plain lines: the shortcut must give the same
    /// report as the general path, in any chunking.
    #[test]
    fn whole_reports_are_the_same_with_and_without_the_shortcut() {
        use crate::stream::Analyzer;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let mut dirs = vec![
            root.join("tests"),
            root.join("../samples"),
            root.join("../cli/tests/fixtures"),
        ];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "txt" || x == "log") {
                    texts.push(std::fs::read(&p).expect("readable"));
                }
            }
        }
        texts.sort();
        assert!(texts.len() > 100, "{}", texts.len());
        let logs = [
            "2024/01/15 10:23:45 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"x\"",
            "203.0.113.7 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 166 \"-\" \"curl\" rt=0.001 ua=\"127.0.0.1:3000\" us=\"502\"",
            "2024/01/15 10:23:46 [bogus] 7#7: x",
            "10.0.0.1 {",
        ];
        let mut mixed = Vec::new();
        let all: Vec<&[u8]> = texts
            .iter()
            .flat_map(|t| t.split(|&b| b == b'\n'))
            .collect();
        for (i, l) in all.iter().enumerate() {
            mixed.extend_from_slice(l);
            mixed.push(b'\n');
            if i % 3 == 0 {
                mixed.extend_from_slice(logs[i % logs.len()].as_bytes());
                mixed.push(b'\n');
            }
        }
        texts.push(mixed);
        for (n, t) in texts.iter().enumerate() {
            let cut = 1 + (n * 7919) % 4096;
            let run = |mut a: Analyzer| {
                for c in t.chunks(cut) {
                    a.feed(c);
                }
                a.finish()
            };
            let fast = run(Analyzer::new());
            let reference = run(Analyzer::without_shortcuts());
            assert_eq!(
                fast,
                reference,
                "{}",
                String::from_utf8_lossy(&t[..t.len().min(300)])
            );
        }
    }
}
