//! Kind overrides: the user re-labels a misdetected block (the web app's
//! artifact chips), and the diagnosis reads those lines as that kind.

use analyzer_core::artifacts::Kind;
use analyzer_core::segment::KindOverride;
use analyzer_core::{analyze, Analyzer, Report};

fn with(input: &str, overrides: &[KindOverride]) -> Report {
    let mut a = Analyzer::with_overrides(overrides);
    // Chunked oddly: overrides hold whatever the chunking.
    for c in input.as_bytes().chunks(7) {
        a.feed(c);
    }
    a.finish()
}

fn kinds(r: &Report) -> Vec<(Kind, u64, u64)> {
    r.artifacts
        .iter()
        .map(|a| (a.kind, a.first_line, a.last_line))
        .collect()
}

fn ids(r: &Report) -> Vec<&str> {
    r.causes.iter().map(|c| c.id.as_str()).collect()
}

fn ov(first_line: u64, last_line: u64, kind: Kind) -> KindOverride {
    KindOverride {
        first_line,
        last_line,
        kind,
    }
}

const REFUSED: &str = "2024/05/14 09:12:01 [error] 7#7: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.9, server: shop, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"shop\"";

#[test]
fn no_override_is_the_plain_analysis() {
    let input = format!("{REFUSED}\n{REFUSED}\n");
    assert_eq!(with(&input, &[]), analyze(input.as_bytes()));
}

#[test]
fn marking_lines_unrecognised_takes_them_out_of_the_diagnosis() {
    let input = format!("{REFUSED}\n{REFUSED}\n");
    let plain = analyze(input.as_bytes());
    assert_eq!(ids(&plain).first(), Some(&"upstream_down"));
    let r = with(&input, &[ov(1, 2, Kind::Unrecognised)]);
    assert!(r.causes.is_empty(), "{:?}", ids(&r));
    assert_eq!(kinds(&r), [(Kind::Unrecognised, 1, 2)]);
    assert_eq!(r.stats.error_log_lines, 0);
}

#[test]
fn a_block_kind_takes_every_line_of_its_range() {
    // The `ss` line says something listens on the refused port now, which
    // makes "the backend is down" doubtful. Told that lines 2-5 are a
    // config instead, they are one config block (blank lines included) and
    // the listener is gone from the facts.
    let ss =
        "tcp        0      0 127.0.0.1:3000          0.0.0.0:*               LISTEN      2201/node";
    let input = format!("{REFUSED}\n{ss}\n\n\n    proxy_read_timeout 5s;\n");
    let plain = analyze(input.as_bytes());
    assert_eq!(
        kinds(&plain),
        [
            (Kind::NginxErrorLog, 1, 1),
            (Kind::Listeners, 2, 2),
            (Kind::NginxConfig, 5, 5)
        ]
    );
    let r = with(&input, &[ov(2, 5, Kind::NginxConfig)]);
    assert_eq!(
        kinds(&r),
        [(Kind::NginxErrorLog, 1, 1), (Kind::NginxConfig, 2, 5)]
    );
    assert_eq!(r.artifacts[1].label, "nginx config");
    assert_eq!(ids(&plain).first(), Some(&"upstream_down"));
    assert_eq!(ids(&r).first(), Some(&"upstream_down"));
    assert!(
        r.causes[0].confidence > plain.causes[0].confidence,
        "{} vs {}",
        r.causes[0].confidence,
        plain.causes[0].confidence
    );
    assert!(!r.causes[0].evidence.iter().any(|e| e.line == 2));
}

#[test]
fn a_line_kind_reads_lines_with_that_parser_only() {
    // gunicorn logs access lines in nginx's format: re-labelled, its 502s
    // no longer count as nginx's.
    let access =
        "10.0.0.9 - - [14/May/2024:09:12:01 +0000] \"GET / HTTP/1.1\" 502 166 \"-\" \"curl/8.0\"";
    let input = format!("{access}\n{access}\n");
    let plain = analyze(input.as_bytes());
    assert_eq!(plain.stats.access_5xx, 2);
    assert_eq!(kinds(&plain), [(Kind::NginxAccessLog, 1, 2)]);
    let r = with(&input, &[ov(1, 2, Kind::GunicornLog)]);
    assert_eq!(r.stats.access_5xx, 0);
    assert_eq!(kinds(&r), [(Kind::GunicornLog, 1, 2)]);
    // And the other way round: lines told to be an error.log are read as one.
    let r = with(&format!("x\n{REFUSED}\n"), &[ov(1, 2, Kind::NginxErrorLog)]);
    assert_eq!(kinds(&r), [(Kind::NginxErrorLog, 1, 2)]);
    assert_eq!(ids(&r).first(), Some(&"upstream_down"));
}

#[test]
fn lines_after_a_range_are_segmented_as_usual_and_bad_ranges_are_ignored() {
    let input = format!("{REFUSED}\n{REFUSED}\n{REFUSED}\n");
    let r = with(
        &input,
        &[
            ov(1, 1, Kind::Unrecognised),
            ov(0, 0, Kind::Ls),
            ov(3, 2, Kind::Ls),
        ],
    );
    assert_eq!(
        kinds(&r),
        [(Kind::Unrecognised, 1, 1), (Kind::NginxErrorLog, 2, 3)]
    );
    assert_eq!(r.causes[0].events, 2);
}

#[test]
fn an_override_is_an_artifact_of_its_own() {
    // Lines 2-3 re-labelled as what line 1 and line 4 already are: three
    // artifacts, so the corrected one can be found by its lines.
    let input = "hello\nsome\nthing\nbye\n";
    assert_eq!(
        kinds(&analyze(input.as_bytes())),
        [(Kind::Unrecognised, 1, 4)]
    );
    let r = with(input, &[ov(2, 3, Kind::Unrecognised)]);
    assert_eq!(
        kinds(&r),
        [
            (Kind::Unrecognised, 1, 1),
            (Kind::Unrecognised, 2, 3),
            (Kind::Unrecognised, 4, 4)
        ]
    );
    // Two adjacent ranges of one kind stay two artifacts.
    let r = with(
        input,
        &[ov(1, 2, Kind::NginxConfig), ov(3, 4, Kind::NginxConfig)],
    );
    assert_eq!(
        kinds(&r),
        [(Kind::NginxConfig, 1, 2), (Kind::NginxConfig, 3, 4)]
    );
}

#[test]
fn overrides_travel_as_json() {
    let o = ov(3, 9, Kind::NginxConfig);
    let json = serde_json::to_string(&o).unwrap();
    assert_eq!(
        json,
        r#"{"first_line":3,"last_line":9,"kind":"nginx_config"}"#
    );
    assert_eq!(serde_json::from_str::<KindOverride>(&json).unwrap(), o);
}
