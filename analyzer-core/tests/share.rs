//! Share links and redaction, end to end: links round-trip any report and
//! every corpus case; redacting a paste changes no diagnosis and leaks none
//! of its addresses, names, e-mails or tokens; a bad link is a clear
//! `ShareError`, never a panic.

use analyzer_core::artifacts::Kind;
use analyzer_core::facts::EvidenceLine;
use analyzer_core::redact::{redact_input, Redactor};
use analyzer_core::report::{
    ArtifactInfo, Cause, Fix, NextStep, Report, Risk, Series, Stats, Timeline, Warning,
};
use analyzer_core::share::{self, ShareError};
use analyzer_core::{analyze, analyze_str};
use proptest::prelude::*;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ corpus

fn corpus() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    for g in fs::read_dir(&root).expect("corpus dir").flatten() {
        if !g.path().is_dir() {
            continue;
        }
        for f in fs::read_dir(g.path()).expect("case dir").flatten() {
            let p = f.path();
            if p.extension().is_some_and(|e| e == "txt") {
                let bytes = fs::read(&p).expect("readable case");
                out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
            }
        }
    }
    out.sort();
    assert!(!out.is_empty(), "the corpus is empty");
    out
}

fn ids(r: &Report) -> Vec<&str> {
    r.causes.iter().map(|c| c.id.as_str()).collect()
}

#[test]
fn every_corpus_report_round_trips() {
    for (path, text) in corpus() {
        let report = analyze(text.as_bytes());
        let frag = share::encode(&report, None);
        assert!(frag.starts_with(share::PREFIX), "{}", path.display());
        let d = share::decode(&frag).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            d.report,
            share::shareable(&report, None),
            "{}",
            path.display()
        );
        assert_eq!(d.input, None);
        // The most likely cause always survives trimming.
        assert_eq!(
            ids(&d.report).first(),
            ids(&report).first(),
            "{}",
            path.display()
        );

        let with_input = share::link("https://doctor.example/", &report, Some(&text));
        let d = share::decode(&with_input).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(d.input.as_deref(), Some(text.as_str()));
        assert_eq!(d.report, share::shareable(&report, Some(&text)));
        assert!(!d.trimmed, "links with their input are never trimmed");
        // A link with its input opens to the same diagnosis as the input.
        assert_eq!(ids(&analyze_str(&text)), ids(&d.report));
    }
}

#[test]
fn redacted_input_gives_the_same_diagnosis() {
    let mut wrong = Vec::new();
    for (path, text) in corpus() {
        let (redacted, _) = redact_input(&text);
        let before = analyze_str(&text);
        let after = analyze_str(&redacted);
        if ids(&before) != ids(&after) {
            wrong.push(format!(
                "{}: {:?} became {:?}",
                path.display(),
                ids(&before),
                ids(&after)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn redacting_again_changes_nothing() {
    for (path, text) in corpus() {
        let (once, _) = redact_input(&text);
        let (twice, _) = redact_input(&once);
        assert_eq!(once, twice, "{}", path.display());
    }
}

/// Identifying values in a paste, found by a scanner independent of the
/// redactor's.
#[derive(Debug, Default)]
struct Secrets {
    /// Must not appear anywhere as a whole word: addresses, e-mails, dotted
    /// names with a common top-level domain, tokens, home directories.
    anywhere: Vec<String>,
    /// Single-label names seen in host positions (`server: intranet`, a
    /// journald host): must not appear in a host position. Elsewhere the
    /// same word may be a unit, an app or a path (`api`, `/srv/shop/`).
    site_names: Vec<String>,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn word(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

/// The journald host of a line: `Jan 15 10:20:11 web1 unit[1]: …`
fn journald_host(line: &str) -> Option<&str> {
    let f: Vec<&str> = line.split_whitespace().collect();
    (f.len() > 4 && MONTHS.contains(&f[0]) && f[2].len() == 8 && f[2].as_bytes()[2] == b':')
        .then(|| f[3])
}

/// Values after `key` on a line (`, server: X`, `host: "X"`, `server_name X`).
fn after_keys(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in [", server: ", "host: \"", "Host: ", " server_name ", "://"] {
        for (i, _) in line.match_indices(key) {
            let v: String = line[i + key.len()..]
                .chars()
                .take_while(|&c| word(c))
                .collect();
            out.push(v);
        }
    }
    if line.trim_start().starts_with("server_name ") {
        let v = line.trim_start()["server_name ".len()..].trim_start();
        out.push(v.chars().take_while(|&c| word(c)).collect());
    }
    out.extend(journald_host(line).map(str::to_string));
    out
}

fn secrets_in(text: &str) -> Secrets {
    let mut s = Secrets::default();
    let out = &mut s.anywhere;
    for raw in text.split(|c: char| !(c.is_ascii_hexdigit() || matches!(c, '.' | ':'))) {
        let t = raw.trim_matches(|c| c == '.' || c == ':');
        if let Ok(v4) = t.parse::<Ipv4Addr>() {
            // A Docker bridge gateway is the same on every Docker host.
            let [a, b, c, d] = v4.octets();
            let gateway = a == 172 && (17..=31).contains(&b) && c == 0 && d == 1;
            if !(v4.is_loopback() || v4.is_unspecified() || gateway) {
                out.push(t.to_string());
            }
        }
        // `2001:db8::5`, not netstat's `::1:5173` (address `::1`, port 5173).
        if t.matches(':').count() >= 2 {
            let addr_port = t
                .rsplit_once(':')
                .and_then(|(a, _)| a.parse::<Ipv6Addr>().ok());
            if let Ok(v6) = t.parse::<Ipv6Addr>() {
                let keep = |a: Ipv6Addr| a.is_loopback() || a.is_unspecified();
                if !keep(v6) && !addr_port.is_some_and(keep) {
                    out.push(t.to_string());
                }
            }
        }
    }
    for w in text.split(|c: char| !(word(c) || c == '@')) {
        let w = w.trim_matches(|c| c == '.' || c == '-');
        if let Some((local, domain)) = w.split_once('@') {
            // An address's domain ends with a name (`example.org`), not a
            // version (`shop@1.4.0`, npm's `> shop@1.4.0 start` banner).
            let tld = domain.rsplit('.').next().unwrap_or("");
            if !local.is_empty()
                && domain.contains('.')
                && tld.bytes().all(|c| c.is_ascii_alphabetic())
            {
                out.push(w.to_string());
            }
        }
        let last = w.rsplit('.').next().unwrap_or("");
        if w.contains('.')
            && !w.contains('@')
            && [
                "com", "org", "net", "io", "local", "lan", "internal", "example", "test",
            ]
            .contains(&last)
            && !w.ends_with("docker.internal")
        {
            out.push(w.to_string());
        }
        if w.len() >= 32 && w.bytes().all(|c| c.is_ascii_hexdigit()) {
            out.push(w.to_string());
        }
    }
    for line in text.lines() {
        for v in after_keys(line) {
            let v = v.trim_end_matches('.');
            if v.is_empty()
                || matches!(v, "_" | "localhost" | "unix")
                || v.ends_with("docker.internal")
                || v.parse::<Ipv4Addr>().is_ok()
                || v.bytes().all(|c| c.is_ascii_digit())
            {
                continue;
            }
            if v.contains('.') {
                out.push(v.to_string());
            } else if !line.contains("://") || !line.contains(&format!("://{v}")) {
                // A bare URL host is an upstream group (`http://backend`): kept.
                s.site_names.push(v.to_string());
            }
        }
        for key in ["Bearer ", "password=", "token=", "secret="] {
            for (i, _) in line.match_indices(key) {
                let v: String = line[i + key.len()..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '&' | ','))
                    .collect();
                if v.len() >= 4 {
                    out.push(v);
                }
            }
        }
        // The user of a home directory.
        for (i, _) in line.match_indices("/home/") {
            let u: String = line[i + 6..].chars().take_while(|&c| word(c)).collect();
            if !u.is_empty() {
                out.push(format!("/home/{u}"));
            }
        }
    }
    for v in [&mut s.anywhere, &mut s.site_names] {
        v.sort();
        v.dedup();
    }
    s
}

/// `needle` occurs in `hay` as a whole word (not inside a longer name).
fn has_word(hay: &str, needle: &str) -> bool {
    let w = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    hay.match_indices(needle).any(|(i, _)| {
        let rest = &hay[i + needle.len()..];
        let before = hay[..i].chars().next_back();
        let mut after = rest.chars();
        let (a1, a2) = (after.next(), after.next());
        let continues =
            a1.is_some_and(w) || (a1 == Some('.') && a2.is_some_and(|n| n.is_ascii_alphanumeric()));
        !before.is_some_and(|c| w(c) || c == '.') && !continues
    })
}

#[test]
fn redacted_links_leak_nothing_from_the_paste() {
    let mut leaks = Vec::new();
    for (path, text) in corpus() {
        let report = analyze(text.as_bytes());
        let (red_input, mut redactor) = redact_input(&text);
        let red_report = redactor.redact_report(&report);
        let secrets = secrets_in(&text);
        for frag in [
            share::encode(&red_report, None),
            share::encode(&red_report, Some(&red_input)),
        ] {
            let d = share::decode(&frag).expect("own link");
            let hay = format!(
                "{}\n{}",
                serde_json::to_string_pretty(&d.report).expect("json"),
                d.input.unwrap_or_default()
            );
            for s in &secrets.anywhere {
                if has_word(&hay, s) {
                    leaks.push(format!("{}: {s}", path.display()));
                }
            }
            let positions: Vec<String> = hay.lines().flat_map(after_keys).collect();
            for s in &secrets.site_names {
                if positions.iter().any(|p| p == s) {
                    leaks.push(format!("{}: {s} (in a host position)", path.display()));
                }
            }
        }
    }
    leaks.dedup();
    assert!(leaks.is_empty(), "leaked:\n{}", leaks.join("\n"));
}

#[test]
fn the_scanner_finds_what_it_should() {
    let s = secrets_in(
        "x, server: intranet, host: \"shop.example.com\"\nclient: 203.0.113.7 [2001:db8::5]:80 ::1:5173 127.0.0.1 ops@example.org /home/deploy/x Bearer abcdef123\nJan 15 10:20:11 web1 systemd[1]: x\nproxy_pass http://backend;\n    proxy_ssl_server_name on;",
    );
    for want in [
        "shop.example.com",
        "203.0.113.7",
        "2001:db8::5",
        "ops@example.org",
        "/home/deploy",
        "abcdef123",
    ] {
        assert!(s.anywhere.iter().any(|x| x == want), "{want} not in {s:?}");
    }
    assert_eq!(s.site_names, ["intranet", "web1"]);
    assert!(
        !s.anywhere
            .iter()
            .any(|x| x == "127.0.0.1" || x == "::1:5173"),
        "{s:?}"
    );
    let npm = secrets_in("> shop@1.4.0 start\n> node server.js");
    assert!(npm.anywhere.is_empty(), "{npm:?}");
    assert!(has_word("a host-1 b", "host-1"));
    assert!(!has_word("a xhost-1 b", "host-1"));
    assert!(has_word("at example.com.", "example.com"));
    assert!(!has_word("example.com.conf", "example.com"));
}

#[test]
fn redacted_marks_point_at_the_same_part() {
    for (path, text) in corpus() {
        let report = analyze(text.as_bytes());
        let red = Redactor::new().redact_report(&report);
        for (c, rc) in report.causes.iter().zip(&red.causes) {
            for (e, re) in c.evidence.iter().zip(&rc.evidence) {
                let Some((a, b)) = re.mark else { continue };
                let marked = re.text.get(a..b);
                assert!(marked.is_some_and(|m| !m.is_empty()), "{}", path.display());
                let (oa, ob) = e.mark.expect("a mark only comes from a mark");
                let orig = &e.text[oa..ob];
                let (red_orig, _) = redact_input(orig);
                // Same part, unless redaction made it shorter or longer.
                if red_orig == orig {
                    assert_eq!(marked, Some(orig), "{}: {}", path.display(), re.text);
                }
            }
        }
    }
}

// ------------------------------------------------------------- properties

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "(?s).{0,60}",
        1 => "[a-z0-9 .:/\\[\\]-]{0,40}",
        1 => Just(String::new()),
    ]
}

fn kind() -> impl Strategy<Value = Kind> {
    prop::sample::select(vec![
        Kind::NginxErrorLog,
        Kind::NginxAccessLog,
        Kind::NginxConfig,
        Kind::Listeners,
        Kind::SystemctlStatus,
        Kind::DockerPs,
        Kind::Unrecognised,
    ])
}

fn risk() -> impl Strategy<Value = Risk> {
    prop::sample::select(vec![Risk::Safe, Risk::Review, Risk::Disruptive])
}

fn evidence() -> impl Strategy<Value = EvidenceLine> {
    (
        any::<u64>(),
        text(),
        proptest::option::of((0usize..80, 0usize..80)),
    )
        .prop_map(|(line, text, mark)| EvidenceLine { line, text, mark })
}

fn cause() -> impl Strategy<Value = Cause> {
    (
        (text(), text(), text(), any::<f64>(), any::<u64>(), text()),
        prop::collection::vec(evidence(), 0..6),
        prop::collection::vec((text(), text(), risk()), 0..3),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec((text(), text()), 0..2),
        (
            prop::collection::vec(text(), 0..2),
            prop::collection::vec(text(), 0..2),
            proptest::option::of(text()),
            proptest::option::of(text()),
            proptest::option::of(any::<u16>()),
            prop::collection::vec(text(), 0..3),
        ),
    )
        .prop_map(
            |(
                (id, family, title, confidence, events, summary),
                evidence,
                fixes,
                verify,
                next,
                (upstreams, servers, first_seen, last_seen, status, reasoning),
            )| Cause {
                id,
                family,
                title,
                confidence,
                events,
                summary,
                evidence,
                fixes: fixes
                    .into_iter()
                    .map(|(command, why, risk)| Fix { command, why, risk })
                    .collect(),
                verify,
                next: next
                    .into_iter()
                    .map(|(paste, why)| NextStep { paste, why })
                    .collect(),
                upstreams,
                servers,
                first_seen,
                last_seen,
                status,
                reasoning,
            },
        )
}

fn report() -> impl Strategy<Value = Report> {
    (
        prop::collection::vec((kind(), any::<u64>(), any::<u64>(), any::<u64>()), 0..4),
        prop::collection::vec(cause(), 0..5),
        prop::collection::vec((text(), text()), 0..3),
        text(),
        any::<[u64; 5]>(),
        prop::collection::vec((proptest::option::of(any::<u64>()), text()), 0..3),
        prop::collection::vec(text(), 0..3),
        proptest::option::of((
            prop::collection::vec(text(), 0..4),
            prop::collection::vec((text(), prop::collection::vec(any::<u64>(), 0..4)), 0..3),
        )),
    )
        .prop_map(
            |(artifacts, causes, next, headline, s, warnings, sections, timeline)| Report {
                version: 1,
                artifacts: artifacts
                    .into_iter()
                    .map(|(kind, first_line, last_line, lines)| ArtifactInfo {
                        kind,
                        first_line,
                        last_line,
                        lines,
                        label: kind.label().to_string(),
                    })
                    .collect(),
                causes,
                next: next
                    .into_iter()
                    .map(|(paste, why)| NextStep { paste, why })
                    .collect(),
                headline,
                stats: Stats {
                    bytes: s[0],
                    lines: s[1],
                    error_log_lines: s[2],
                    events: s[3],
                    access_5xx: s[4],
                },
                warnings: warnings
                    .into_iter()
                    .map(|(line, message)| Warning { line, message })
                    .collect(),
                sections,
                timeline: timeline.map(|(minutes, series)| Timeline {
                    minutes,
                    series: series
                        .into_iter()
                        .map(|(cause, counts)| Series { cause, counts })
                        .collect(),
                }),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_report_round_trips(r in report(), input in proptest::option::of(text())) {
        let frag = share::encode(&r, input.as_deref());
        let d = share::decode(&frag).expect("own link opens");
        prop_assert_eq!(&d.report, &share::shareable(&r, input.as_deref()));
        prop_assert_eq!(d.input.as_deref(), input.as_deref());
        // What an untrimmed link shows, shared again, is the same link.
        if !d.trimmed {
            prop_assert_eq!(share::encode(&d.report, input.as_deref()), frag);
        }
        // Ids, families and order of what is kept never change.
        for (a, b) in d.report.causes.iter().zip(&r.causes) {
            prop_assert_eq!(&a.id, &b.id);
            prop_assert_eq!(&a.family, &b.family);
        }
        if !d.trimmed {
            prop_assert_eq!(d.report.causes.len(), r.causes.len());
        }
    }

    #[test]
    fn random_strings_are_errors(s in "(?s).{0,300}") {
        prop_assert!(share::decode(&s).is_err());
        for v in ["#v1.", "#v2."] {
            let frag = format!("{v}{s}");
            prop_assert!(share::decode(&frag).is_err());
        }
    }

    #[test]
    fn random_base64_is_an_error(s in "[A-Za-z0-9_-]{0,400}") {
        for v in ["#v1.", "#v2."] {
            let frag = format!("{v}{s}");
            prop_assert!(share::decode(&frag).is_err());
        }
    }

    #[test]
    fn redaction_never_panics_and_is_stable(s in "(?s).{0,300}") {
        let (once, _) = redact_input(&s);
        let (twice, _) = redact_input(&once);
        prop_assert_eq!(&once, &twice);
        prop_assert_eq!(once.matches('\n').count(), s.matches('\n').count());
    }
}

// --------------------------------------------------------------- bad links

fn sample_link() -> String {
    let (_, text) = corpus().into_iter().next().expect("a case");
    share::link("https://doctor.example/", &analyze_str(&text), None)
}

/// Flip every bit of the fragment, one at a time: each flip is an error, or
/// opens exactly the same report (a flip that base64url decoding ignores
/// cannot exist: it is strict). The CRC-32 over the compressed bytes sees
/// every changed character, so this holds for every link; a spread of the
/// corpus is checked (each flip is a full decode, and debug builds are slow)
/// plus two cases whose v1 links (Adler-32 only) a flip could change.
#[test]
fn single_bit_flips_never_open_a_different_report() {
    let mut checked = 0;
    let cases = corpus();
    let pick = |name: &str| {
        cases
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap_or_else(|| panic!("corpus case {name}"))
    };
    let step = (cases.len() / 6).max(1);
    let spread = cases.iter().step_by(step).take(6);
    let named = [
        pick("backend_oom/dmesg_node_killed.txt"),
        pick("pm2_not_online/pm2_logs_unstable.txt"),
    ];
    for (_, text) in spread.chain(named) {
        let link = share::link("https://doctor.example/", &analyze_str(text), None);
        let good = share::decode(&link).expect("good link");
        let hash = link.find('#').expect("fragment");
        let bytes = link.as_bytes();
        for pos in hash..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.to_vec();
                b[pos] ^= 1 << bit;
                let s = String::from_utf8_lossy(&b);
                match share::decode(&s) {
                    Err(e) => assert!(!e.to_string().is_empty()),
                    Ok(d) => assert_eq!(d, good, "flip at {pos} bit {bit} opened another report"),
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 10_000, "{checked}");
}

#[test]
fn bad_links_say_what_is_wrong() {
    let link = sample_link();
    assert_eq!(share::decode(""), Err(ShareError::Empty));
    assert_eq!(share::decode("see you tomorrow"), Err(ShareError::NotALink));
    let v3 = link.replace(share::PREFIX, "#v3.");
    let err = share::decode(&v3).expect_err("newer");
    assert_eq!(err, ShareError::NewerVersion(3));
    assert!(err.to_string().contains("newer Upstream Doctor"), "{err}");
    // Cut short: the checksum or the stream end is missing.
    let cut = &link[..link.len() - 40];
    assert_eq!(share::decode(cut), Err(ShareError::Corrupt));
    // Pasted with a closing bracket or full stop, it still opens.
    assert!(share::decode(&format!("({link}).")).is_ok());
    assert!(share::decode(&format!("  {}  ", &link[link.find('#').unwrap()..])).is_ok());
    // Without the `#` too.
    assert!(share::decode(&link[link.find('#').unwrap() + 1..]).is_ok());
}

#[test]
fn ten_megabyte_fragment_is_too_big() {
    for v in ["#v1.", "#v2."] {
        let huge = format!("{v}{}", "A".repeat(10 * 1024 * 1024));
        assert_eq!(share::decode(&huge), Err(ShareError::TooBig));
    }
}

/// A v2 fragment holding `bytes` deflated at `level`, with a valid checksum
/// (a hostile link is built with care, not damaged by accident).
fn pack(bytes: &[u8], level: u8) -> String {
    let mut z = miniz_oxide::deflate::compress_to_vec_zlib(bytes, level);
    let sum = share::crc32(&z);
    z.extend_from_slice(&sum.to_be_bytes());
    let mut s = String::from("#v2.");
    share::base64url_encode(&z, &mut s);
    s
}

#[test]
fn zip_bombs_are_too_big() {
    // 50 MB of zeros packs into more text than a link may have…
    let bomb = pack(&vec![0u8; 50 * 1024 * 1024], 1);
    assert_eq!(share::decode(&bomb), Err(ShareError::TooBig));
    // …and 3 MB packs small but inflates past the bound.
    let small_bomb = pack(&vec![b' '; 3 * 1024 * 1024], 10);
    assert!(small_bomb.len() < share::MAX_FRAGMENT_BYTES);
    assert_eq!(share::decode(&small_bomb), Err(ShareError::TooBig));
}

#[test]
fn valid_packing_of_the_wrong_json_is_invalid() {
    for json in [
        "{\"r\":5}",
        "[]",
        "null",
        "{\"r\":{\"c\":[{\"i\":1}]}}",
        "not json",
    ] {
        match share::decode(&pack(json.as_bytes(), 6)) {
            Err(ShareError::Invalid(why)) => assert!(!why.contains("line 1"), "{why}"),
            other => panic!("{json}: {other:?}"),
        }
    }
    // Unknown fields from a newer minor writer are ignored; a minimal payload opens.
    let d = share::decode(&pack(b"{\"r\":{\"h\":\"hi\",\"zz\":1}}", 6)).expect("minimal");
    assert_eq!(d.report.headline, "hi");
}
