//! Share links: a report (and optionally the paste) packed into a URL
//! fragment, so nothing reaches a server: `https://…/#v2.<data>`.
//!
//! This module alone knows the link format. `<data>` is unpadded base64url
//! of zlib-wrapped deflate of a JSON [`PayloadV1`] followed by the CRC-32 of
//! those compressed bytes (4 bytes, big-endian). The payload is a compact
//! mirror of the report with one- or two-letter field names, owned here and
//! versioned by the prefix, so renaming a field of [`Report`] never breaks
//! old links.
//!
//! Why the CRC: a link travels through chats, e-mails and forum posts, and a
//! changed character must give "damaged", never a subtly different report.
//! zlib's Adler-32 alone (format v1) misses some changes: a flipped
//! back-reference can rewrite three bytes whose sum and weighted sum stay
//! the same. One base64url character covers 6 bits of the compressed bytes,
//! and CRC-32 detects every burst of up to 32 bits, so with strict base64url
//! decoding every single changed character is caught. v1 links (Adler-32
//! only) still open.
//!
//! Size: a report-only link aims at [`REPORT_LINK_BUDGET`] characters (chat
//! apps and issue trackers cut longer ones). When a report is bigger, the
//! least useful parts are left out step by step (see [`Trim`]): the timeline
//! and reasoning first, then evidence beyond a few lines per cause, then the
//! least likely causes; [`Decoded::trimmed`] says so.
//!
//! Decoding never trusts the link: it is bounded ([`MAX_FRAGMENT_BYTES`] of
//! text, [`MAX_INFLATED_BYTES`] once inflated, so no zip bomb), and every
//! failure is a [`ShareError`] with a sentence for the user. Never a panic.
//!
//! Links carry what they are given: redact first ([`crate::redact`]).

use crate::artifacts::Kind;
use crate::facts::EvidenceLine;
use crate::report::{
    ArtifactInfo, Cause, Fix, NextStep, Report, Risk, Series, Stats, Timeline, Warning,
    REPORT_VERSION,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The format version this build writes (it also reads v1).
pub const VERSION: u32 = 2;
/// What a fragment this build writes starts with.
pub const PREFIX: &str = "#v2.";
/// Longest fragment accepted (characters of the link after `#`).
pub const MAX_FRAGMENT_BYTES: usize = 64 * 1024;
/// Largest payload accepted once inflated.
pub const MAX_INFLATED_BYTES: usize = 2 * 1024 * 1024;
/// What a report-only fragment is trimmed to fit, when it can be.
pub const REPORT_LINK_BUDGET: usize = 2000;
/// Where the web app is deployed, when nothing else is configured.
pub const DEFAULT_BASE_URL: &str = "https://upstream-doctor.example/";

/// A decoded link.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub report: Report,
    /// The (redacted) paste, when the link carries it.
    pub input: Option<String>,
    /// Parts of the report were left out to keep the link short.
    pub trimmed: bool,
    /// The link's format version (the `N` of `#vN.`).
    pub version: u32,
}

/// Why a link cannot be opened. `Display` is the sentence for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShareError {
    Empty,
    NotALink,
    /// Made by a newer version (the number in `#vN.`).
    NewerVersion(u32),
    /// Characters that base64url never has, or a cut in the middle of one.
    Malformed,
    /// Not valid compressed data, cut short, or the checksum does not match.
    Corrupt,
    /// Longer than [`MAX_FRAGMENT_BYTES`] or inflating past [`MAX_INFLATED_BYTES`].
    TooBig,
    /// Unpacks, but is not a report this version understands.
    Invalid(String),
}

impl fmt::Display for ShareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShareError::Empty => write!(f, "the share link is empty: paste the whole link"),
            ShareError::NotALink => write!(
                f,
                "this is not an Upstream Doctor share link (it should contain `#v2.` followed by letters and digits)"
            ),
            ShareError::NewerVersion(v) => write!(
                f,
                "this link was made by a newer Upstream Doctor (link format v{v}); update Upstream Doctor to open it"
            ),
            ShareError::Malformed => write!(
                f,
                "the share link is damaged: it has characters a link never has; copy the whole link again"
            ),
            ShareError::Corrupt => write!(
                f,
                "the share link is damaged or cut short; copy the whole link again"
            ),
            ShareError::TooBig => write!(
                f,
                "the share link is too big to open (more than {} KB, or more than {} MB once unpacked)",
                MAX_FRAGMENT_BYTES / 1024,
                MAX_INFLATED_BYTES / 1024 / 1024
            ),
            ShareError::Invalid(why) => {
                write!(f, "the share link does not hold a valid report ({why})")
            }
        }
    }
}

impl std::error::Error for ShareError {}

/// The fragment (`#v2.…`) for `report`, with the paste when `input` is
/// given. Report-only links are trimmed to fit [`REPORT_LINK_BUDGET`]
/// when they can be; a link with its input is never trimmed, and may be
/// longer than [`MAX_FRAGMENT_BYTES`] (check `len()`: such a link would not
/// open).
pub fn encode(report: &Report, input: Option<&str>) -> String {
    encode_trim(report, input).0
}

/// `base_url` (or [`DEFAULT_BASE_URL`] when empty) followed by the fragment;
/// an existing fragment of `base_url` is replaced.
pub fn link(base_url: &str, report: &Report, input: Option<&str>) -> String {
    let base = base_url.trim();
    let base = if base.is_empty() {
        DEFAULT_BASE_URL
    } else {
        base
    };
    let base = base.split('#').next().unwrap_or(base);
    format!("{base}{}", encode(report, input))
}

/// What a link made from `report` will show: `decode(&encode(r, i))`
/// returns this report (the trimming, rounding of confidence to 0.1%, and
/// dropping of marks that do not fit their text that encoding applies).
pub fn shareable(report: &Report, input: Option<&str>) -> Report {
    let (_, trim) = encode_trim(report, input);
    from_payload(to_payload(report, input, trim).report).0
}

/// Open a link: a full URL (`https://…/#v2.…`, or a v1 link) or just its
/// fragment, with or without the `#`.
pub fn decode(link_or_fragment: &str) -> Result<Decoded, ShareError> {
    let s = link_or_fragment.trim();
    if s.is_empty() {
        return Err(ShareError::Empty);
    }
    let frag = match s.rfind('#') {
        Some(h) => &s[h + 1..],
        None => s,
    };
    if frag.is_empty() {
        return Err(if s.contains('#') {
            ShareError::NotALink
        } else {
            ShareError::Empty
        });
    }
    if frag.len() > MAX_FRAGMENT_BYTES {
        return Err(ShareError::TooBig);
    }
    let Some(rest) = frag.strip_prefix('v') else {
        return Err(ShareError::NotALink);
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || rest.as_bytes().get(digits) != Some(&b'.') {
        return Err(ShareError::NotALink);
    }
    let version: u32 = rest[..digits].parse().unwrap_or(u32::MAX);
    if version > VERSION {
        return Err(ShareError::NewerVersion(version));
    }
    if version == 0 {
        return Err(ShareError::NotALink);
    }
    // Chat apps add closing punctuation; base64url has none of these.
    let data = rest[digits + 1..].trim_end_matches(['.', ',', ';', ')', '>', '"', '\'', ']', '}']);
    if data.is_empty() {
        return Err(ShareError::Corrupt);
    }
    if !data
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        return Err(ShareError::Malformed);
    }
    if data.len() % 4 == 1 {
        // No encoding has this length: the link was cut.
        return Err(ShareError::Corrupt);
    }
    // Only the alphabet is left: what still fails was cut mid-character.
    let mut packed = base64url_decode(data).ok_or(ShareError::Corrupt)?;
    if version >= 2 {
        // Too short for the checksum: cut.
        let body = packed.len().checked_sub(4).ok_or(ShareError::Corrupt)?;
        let (zlib, sum) = packed.split_at(body);
        if crc32(zlib).to_be_bytes() != sum {
            return Err(ShareError::Corrupt);
        }
        packed.truncate(body);
    }
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&packed, MAX_INFLATED_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => ShareError::TooBig,
            _ => ShareError::Corrupt,
        })?;
    let payload: PayloadV1 = serde_json::from_slice(&json).map_err(|e| {
        let why = e.to_string();
        // serde's messages end with "at line 1 column 345": noise for a user.
        let why = why.split(" at line ").next().unwrap_or(&why).to_string();
        ShareError::Invalid(why)
    })?;
    let (report, trimmed) = from_payload(payload.report);
    Ok(Decoded {
        report,
        input: payload.input,
        trimmed,
        version,
    })
}

// ---------------------------------------------------------------- payload

/// Version 1 of the link payload. Field names are short on purpose (every
/// byte counts in a URL); empty fields are left out.
#[derive(Serialize, Deserialize)]
struct PayloadV1 {
    #[serde(rename = "r")]
    report: ReportV1,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    input: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct ReportV1 {
    #[serde(rename = "h", default)]
    headline: String,
    /// `[kind, first_line, last_line, lines]`
    #[serde(rename = "a", default, skip_serializing_if = "Vec::is_empty")]
    artifacts: Vec<(String, u64, u64, u64)>,
    #[serde(rename = "c", default, skip_serializing_if = "Vec::is_empty")]
    causes: Vec<CauseV1>,
    #[serde(rename = "n", default, skip_serializing_if = "Vec::is_empty")]
    next: Vec<(String, String)>,
    /// `[bytes, lines, error_log_lines, events, access_5xx]`
    #[serde(rename = "s", default)]
    stats: [u64; 5],
    /// `[line or null, message]`
    #[serde(rename = "w", default, skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<(Option<u64>, String)>,
    /// Collector sections found in the paste.
    #[serde(rename = "o", default, skip_serializing_if = "Vec::is_empty")]
    sections: Vec<String>,
    /// `[minutes, [[cause, counts]…]]`
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    timeline: Option<TimelineV1>,
    /// Set when parts were left out to keep the link short.
    #[serde(rename = "x", default, skip_serializing_if = "is_false")]
    trimmed: bool,
}

/// `[minutes, [[cause, counts]…]]`
type TimelineV1 = (Vec<String>, Vec<(String, Vec<u64>)>);

#[derive(Serialize, Deserialize)]
struct CauseV1 {
    #[serde(rename = "i")]
    id: String,
    /// Absent when equal to the id.
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    family: Option<String>,
    #[serde(rename = "t", default)]
    title: String,
    /// Per mille.
    #[serde(rename = "p", default)]
    confidence: u16,
    #[serde(rename = "n", default, skip_serializing_if = "is_zero")]
    events: u64,
    #[serde(rename = "s", default, skip_serializing_if = "String::is_empty")]
    summary: String,
    /// `[line, text]` or `[line, text, mark_start, mark_end]`
    #[serde(rename = "e", default, skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<EvidenceV1>,
    /// `[command, why, risk]` (risk 0 safe, 1 review, 2 disruptive)
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    fixes: Vec<(String, String, u8)>,
    #[serde(rename = "v", default, skip_serializing_if = "Vec::is_empty")]
    verify: Vec<String>,
    #[serde(rename = "q", default, skip_serializing_if = "Vec::is_empty")]
    next: Vec<(String, String)>,
    #[serde(rename = "u", default, skip_serializing_if = "Vec::is_empty")]
    upstreams: Vec<String>,
    #[serde(rename = "h", default, skip_serializing_if = "Vec::is_empty")]
    servers: Vec<String>,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    first_seen: Option<String>,
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    last_seen: Option<String>,
    #[serde(rename = "k", default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(rename = "r", default, skip_serializing_if = "Vec::is_empty")]
    reasoning: Vec<String>,
}

/// An evidence line: `[line, text]` or `[line, text, start, end]`.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum EvidenceV1 {
    Marked(u64, String, usize, usize),
    Plain(u64, String),
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// How much of a report a link keeps. Level 0 keeps everything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trim {
    pub level: u8,
}

impl Trim {
    const NONE: Trim = Trim { level: 0 };
    const LAST: u8 = 6;

    /// (causes kept, evidence lines per cause, evidence text bytes,
    /// keep timeline and reasoning, keep the lower causes' advice)
    fn limits(self) -> (usize, usize, usize, bool, bool) {
        match self.level {
            0 => (usize::MAX, usize::MAX, usize::MAX, true, true),
            1 => (usize::MAX, usize::MAX, usize::MAX, false, true),
            2 => (6, 4, 400, false, true),
            3 => (4, 3, 300, false, true),
            4 => (3, 2, 240, false, false),
            5 => (2, 2, 200, false, false),
            _ => (1, 2, 160, false, false),
        }
    }
}

/// Pick the smallest trimming that fits the budget; encode with it.
fn encode_trim(report: &Report, input: Option<&str>) -> (String, Trim) {
    let first = pack(&to_payload(report, input, Trim::NONE));
    if input.is_some() || first.len() <= REPORT_LINK_BUDGET {
        return (first, Trim::NONE);
    }
    let mut last = (first, Trim::NONE);
    for level in 1..=Trim::LAST {
        let trim = Trim { level };
        let frag = pack(&to_payload(report, None, trim));
        let fits = frag.len() <= REPORT_LINK_BUDGET;
        last = (frag, trim);
        if fits {
            break;
        }
    }
    last
}

fn pack(payload: &PayloadV1) -> String {
    let json = serde_json::to_vec(payload).unwrap_or_default();
    let mut packed = miniz_oxide::deflate::compress_to_vec_zlib(&json, 10);
    let sum = crc32(&packed);
    packed.extend_from_slice(&sum.to_be_bytes());
    let mut out = String::with_capacity(PREFIX.len() + packed.len() * 4 / 3 + 4);
    out.push_str(PREFIX);
    base64url_encode(&packed, &mut out);
    out
}

fn clip_text(s: &str, max: usize) -> String {
    if s.len() <= max {
        s.to_string()
    } else {
        crate::facts::clip(s, max)
    }
}

fn to_payload(r: &Report, input: Option<&str>, trim: Trim) -> PayloadV1 {
    let (max_causes, max_ev, max_text, keep_extras, keep_lower_advice) = trim.limits();
    let causes: Vec<CauseV1> = r
        .causes
        .iter()
        .take(max_causes)
        .enumerate()
        .map(|(rank, c)| {
            let advice = rank == 0 || keep_lower_advice;
            CauseV1 {
                id: c.id.clone(),
                family: (c.family != c.id).then(|| c.family.clone()),
                title: c.title.clone(),
                confidence: permille(c.confidence),
                events: c.events,
                summary: c.summary.clone(),
                evidence: c
                    .evidence
                    .iter()
                    .take(max_ev)
                    .map(|e| {
                        let text = clip_text(&e.text, max_text);
                        match valid_mark(&text, e.mark) {
                            Some((a, b)) => EvidenceV1::Marked(e.line, text, a, b),
                            None => EvidenceV1::Plain(e.line, text),
                        }
                    })
                    .collect(),
                fixes: if advice {
                    c.fixes
                        .iter()
                        .map(|f| (f.command.clone(), f.why.clone(), risk_code(f.risk)))
                        .collect()
                } else {
                    Vec::new()
                },
                verify: if advice { c.verify.clone() } else { Vec::new() },
                next: if advice {
                    c.next
                        .iter()
                        .map(|n| (n.paste.clone(), n.why.clone()))
                        .collect()
                } else {
                    Vec::new()
                },
                upstreams: c.upstreams.clone(),
                servers: c.servers.clone(),
                first_seen: c.first_seen.clone(),
                last_seen: c.last_seen.clone(),
                status: c.status,
                reasoning: if keep_extras {
                    c.reasoning.clone()
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let trimmed = trim.level > 0;
    PayloadV1 {
        report: ReportV1 {
            headline: r.headline.clone(),
            artifacts: r
                .artifacts
                .iter()
                .map(|a| (kind_name(a.kind), a.first_line, a.last_line, a.lines))
                .collect(),
            causes,
            next: r
                .next
                .iter()
                .map(|n| (n.paste.clone(), n.why.clone()))
                .collect(),
            stats: [
                r.stats.bytes,
                r.stats.lines,
                r.stats.error_log_lines,
                r.stats.events,
                r.stats.access_5xx,
            ],
            warnings: r
                .warnings
                .iter()
                .map(|w| (w.line, w.message.clone()))
                .collect(),
            sections: r.sections.clone(),
            timeline: r.timeline.as_ref().filter(|_| keep_extras).map(|t| {
                (
                    t.minutes.clone(),
                    t.series
                        .iter()
                        .map(|s| (s.cause.clone(), s.counts.clone()))
                        .collect(),
                )
            }),
            trimmed,
        },
        input: input.map(str::to_string),
    }
}

fn from_payload(p: ReportV1) -> (Report, bool) {
    let causes = p
        .causes
        .into_iter()
        .map(|c| Cause {
            family: c.family.unwrap_or_else(|| c.id.clone()),
            id: c.id,
            title: c.title,
            confidence: f64::from(c.confidence.min(1000)) / 1000.0,
            events: c.events,
            summary: c.summary,
            evidence: c
                .evidence
                .into_iter()
                .map(|e| match e {
                    EvidenceV1::Marked(line, text, a, b) => EvidenceLine {
                        mark: valid_mark(&text, Some((a, b))),
                        line,
                        text,
                    },
                    EvidenceV1::Plain(line, text) => EvidenceLine {
                        line,
                        text,
                        mark: None,
                    },
                })
                .collect(),
            fixes: c
                .fixes
                .into_iter()
                .map(|(command, why, risk)| Fix {
                    command,
                    why,
                    risk: risk_from(risk),
                })
                .collect(),
            verify: c.verify,
            next: c
                .next
                .into_iter()
                .map(|(paste, why)| NextStep { paste, why })
                .collect(),
            upstreams: c.upstreams,
            servers: c.servers,
            first_seen: c.first_seen,
            last_seen: c.last_seen,
            status: c.status,
            reasoning: c.reasoning,
        })
        .collect();
    let [bytes, lines, error_log_lines, events, access_5xx] = p.stats;
    let report = Report {
        version: REPORT_VERSION,
        artifacts: p
            .artifacts
            .into_iter()
            .map(|(kind, first_line, last_line, lines)| {
                let kind = kind_from(&kind);
                ArtifactInfo {
                    kind,
                    first_line,
                    last_line,
                    lines,
                    label: kind.label().to_string(),
                }
            })
            .collect(),
        causes,
        next: p
            .next
            .into_iter()
            .map(|(paste, why)| NextStep { paste, why })
            .collect(),
        headline: p.headline,
        stats: Stats {
            bytes,
            lines,
            error_log_lines,
            events,
            access_5xx,
        },
        warnings: p
            .warnings
            .into_iter()
            .map(|(line, message)| Warning { line, message })
            .collect(),
        sections: p.sections,
        timeline: p.timeline.map(|(minutes, series)| Timeline {
            minutes,
            series: series
                .into_iter()
                .map(|(cause, counts)| Series { cause, counts })
                .collect(),
        }),
    };
    (report, p.trimmed)
}

/// A mark that still fits its text, on character boundaries.
fn valid_mark(text: &str, mark: Option<(usize, usize)>) -> Option<(usize, usize)> {
    let (a, b) = mark?;
    (a < b && text.get(a..b).is_some()).then_some((a, b))
}

fn permille(c: f64) -> u16 {
    if c.is_nan() {
        0
    } else {
        (c.clamp(0.0, 1.0) * 1000.0).round() as u16
    }
}

fn risk_code(r: Risk) -> u8 {
    match r {
        Risk::Safe => 0,
        Risk::Review => 1,
        Risk::Disruptive => 2,
    }
}

fn risk_from(n: u8) -> Risk {
    match n {
        0 => Risk::Safe,
        1 => Risk::Review,
        _ => Risk::Disruptive,
    }
}

/// The artifact kind's contract name (`nginx_error_log`).
fn kind_name(k: Kind) -> String {
    match serde_json::to_value(k) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "unrecognised".to_string(),
    }
}

/// A kind this version does not know (from a newer writer) is shown as
/// unrecognised rather than failing the whole link.
fn kind_from(s: &str) -> Kind {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap_or(Kind::Unrecognised)
}

// ---------------------------------------------------------------- CRC-32

/// CRC-32 (IEEE 802.3, reflected, as in gzip and PNG), table-driven: the
/// checksum a v2 link carries after its compressed bytes. Public for tests
/// and tools that build links by hand.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut t = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
                k += 1;
            }
            t[i] = c;
            i += 1;
        }
        t
    };
    !data
        .iter()
        .fold(!0u32, |c, &b| TABLE[usize::from((c as u8) ^ b)] ^ (c >> 8))
}

// ------------------------------------------------------------- base64url

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// RFC 4648 §5 base64url without padding, appended to `out`.
pub fn base64url_encode(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let n = match *chunk {
            [a, b, c] => (u32::from(a) << 16) | (u32::from(b) << 8) | u32::from(c),
            [a, b] => (u32::from(a) << 16) | (u32::from(b) << 8),
            [a] => u32::from(a) << 16,
            _ => 0,
        };
        let chars = chunk.len() + 1;
        for k in 0..chars {
            let six = (n >> (18 - 6 * k)) & 63;
            out.push(char::from(ALPHABET[six as usize]));
        }
    }
}

/// Strict decoding of unpadded base64url: any other character, a length
/// that no encoding has, or non-zero leftover bits give `None`.
pub fn base64url_decode(s: &str) -> Option<Vec<u8>> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    }
    let b = s.as_bytes();
    if b.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    for chunk in b.chunks(4) {
        let mut n = 0u32;
        for (k, &c) in chunk.iter().enumerate() {
            n |= val(c)? << (18 - 6 * k);
        }
        let bytes = chunk.len() - 1;
        // Leftover bits of a short final chunk must be zero (canonical form).
        let used = 8 * bytes;
        let total = 6 * chunk.len();
        if total > used && (n >> (24 - total)) & ((1 << (total - used)) - 1) != 0 {
            return None;
        }
        for k in 0..bytes {
            out.push((n >> (16 - 8 * k)) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(data: &[u8]) -> String {
        let mut s = String::new();
        base64url_encode(data, &mut s);
        s
    }

    #[test]
    fn base64url_matches_rfc4648_vectors() {
        // RFC 4648 §10, padding removed.
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(b64(plain.as_bytes()), enc);
            assert_eq!(base64url_decode(enc).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(b64(&[0xfb, 0xff, 0xfe]), "-__-");
        assert_eq!(base64url_decode("-__-"), Some(vec![0xfb, 0xff, 0xfe]));
    }

    #[test]
    fn base64url_rejects_what_it_never_writes() {
        for bad in ["Z", "Zh", "Zm9=", "Zm+v", "Zm/v", "Zm9v Yg", "Zm9vYgé"] {
            assert_eq!(base64url_decode(bad), None, "{bad}");
        }
        for n in 0..64usize {
            let data: Vec<u8> = (0..n as u8).map(|x| x.wrapping_mul(37)).collect();
            assert_eq!(base64url_decode(&b64(&data)), Some(data));
        }
    }

    #[test]
    fn crc32_matches_the_standard_check_values() {
        // The catalogue's check value for CRC-32/ISO-HDLC, and zlib's crc32().
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xE8B7_BE43);
    }

    #[test]
    fn errors_for_what_is_not_a_link() {
        assert_eq!(decode("  "), Err(ShareError::Empty));
        assert_eq!(decode("hello"), Err(ShareError::NotALink));
        assert_eq!(decode("https://x.example/"), Err(ShareError::NotALink));
        assert_eq!(decode("https://x.example/#"), Err(ShareError::NotALink));
        assert_eq!(decode("#v3.abcd"), Err(ShareError::NewerVersion(3)));
        assert_eq!(decode("v0.abcd"), Err(ShareError::NotALink));
        for v in ["v1", "v2"] {
            assert_eq!(decode(&format!("#{v}.")), Err(ShareError::Corrupt));
            assert_eq!(decode(&format!("#{v}.a*b")), Err(ShareError::Malformed));
            assert_eq!(decode(&format!("#{v}.AAAA")), Err(ShareError::Corrupt));
        }
        // Three bytes: shorter than the v2 checksum.
        assert_eq!(decode("#v2.AAAA"), Err(ShareError::Corrupt));
    }

    #[test]
    fn v2_checks_the_compressed_bytes_and_v1_links_still_open() {
        let json = br#"{"r":{"h":"hello","s":[0,0,0,0,0]}}"#;
        let zlib = miniz_oxide::deflate::compress_to_vec_zlib(json, 10);
        let v1 = format!("#v1.{}", b64(&zlib));
        let opened = decode(&v1).expect("a v1 link opens");
        assert_eq!(opened.report.headline, "hello");
        // The same bytes as v2 without the checksum: damaged.
        assert_eq!(
            decode(&v1.replace("#v1.", "#v2.")),
            Err(ShareError::Corrupt)
        );
        let mut with_sum = zlib.clone();
        with_sum.extend_from_slice(&crc32(&zlib).to_be_bytes());
        let v2 = format!("#v2.{}", b64(&with_sum));
        assert_eq!(opened.version, 1);
        assert_eq!(
            decode(&v2),
            Ok(Decoded {
                version: 2,
                ..opened
            })
        );
        let last = with_sum.len() - 1;
        with_sum[last] ^= 1;
        assert_eq!(
            decode(&format!("#v2.{}", b64(&with_sum))),
            Err(ShareError::Corrupt)
        );
    }

    #[test]
    fn newer_version_message_says_update() {
        let msg = ShareError::NewerVersion(3).to_string();
        assert!(
            msg.contains("newer Upstream Doctor") && msg.contains("update"),
            "{msg}"
        );
    }
}
