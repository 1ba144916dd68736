//! web-ui components rendered in headless Chromium.
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome wasm-tests --features browser`
#![cfg(feature = "browser")]

use analyzer_core::artifacts::Kind;
use analyzer_core::report::{Cause, Fix, Risk};
use analyzer_core::segment::KindOverride;
use analyzer_core::{analyze, Report};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_ui::components::results::{Results, ResultsProps};
use web_ui::protocol::{FromWorker, ToWorker};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Let Yew's scheduler run.
async fn tick() {
    let p = js_sys::Promise::new(&mut |ok, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&ok, 10)
            .unwrap();
    });
    wasm_bindgen_futures::JsFuture::from(p).await.unwrap();
}

async fn render(report: Report) -> web_sys::Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<Results>::with_root_and_props(
        root.clone(),
        ResultsProps {
            report: Rc::new(report),
            source: Some("the test".into()),
            overrides: Default::default(),
            on_kind: None,
        },
    )
    .render();
    for _ in 0..5 {
        tick().await;
    }
    root
}

fn attr_list(root: &web_sys::Element, selector: &str, attr: &str) -> Vec<String> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .map(|i| {
            list.item(i)
                .unwrap()
                .dyn_into::<web_sys::Element>()
                .unwrap()
                .get_attribute(attr)
                .unwrap_or_default()
        })
        .collect()
}

#[wasm_bindgen_test]
async fn rows_carry_cause_ids_in_rank_order() {
    let report = analyze(web_ui::SAMPLE.as_bytes());
    assert!(report.causes.len() >= 2);
    let root = render(report.clone()).await;
    let ids = attr_list(&root, "[data-cause-id]", "data-cause-id");
    let want: Vec<String> = report.causes.iter().map(|c| c.id.clone()).collect();
    assert_eq!(ids, want);
    let fams = attr_list(&root, "[data-cause-id]", "data-cause-family");
    let want: Vec<String> = report.causes.iter().map(|c| c.family.clone()).collect();
    assert_eq!(fams, want);
    // The first cause is open, the others closed.
    let expanded = attr_list(&root, "[data-cause-id] button", "aria-expanded");
    assert_eq!(expanded[0], "true");
    assert!(expanded[1..].iter().all(|e| e == "false"));
    let text = root.text_content().unwrap();
    assert!(text.contains(&report.causes[0].title));
    assert!(text.contains(&report.causes[0].fixes[0].command));
}

fn hostile_report() -> Report {
    // Start from a real cause (so new fields keep their defaults) and make
    // every input-derived string hostile.
    let mut r = analyze(web_ui::SAMPLE.as_bytes());
    let mut c: Cause = r.causes[0].clone();
    let evil = r#"<img src=x onerror="window.__pwned=1"> connect() failed"#;
    c.title = "<b>not bold</b>".into();
    c.summary = "<script>window.__pwned=2</script>".into();
    c.evidence = vec![analyzer_core::facts::EvidenceLine {
        line: 1,
        text: evil.into(),
        mark: evil.find("connect()").map(|i| (i, i + "connect()".len())),
    }];
    let mut fix: Fix = c.fixes[0].clone();
    fix.command = "<svg onload=alert(1)>".into();
    fix.why = "<i>x</i>".into();
    fix.risk = Risk::Safe;
    c.fixes = vec![fix];
    c.upstreams = vec!["<u>127.0.0.1:1</u>".into()];
    c.servers = vec![];
    r.causes = vec![c];
    r.timeline = None;
    r
}

#[wasm_bindgen_test]
async fn input_text_is_rendered_as_text_never_markup() {
    let root = render(hostile_report()).await;
    for tag in ["img", "script", "svg", "b", "i", "u"] {
        assert!(
            root.query_selector(tag).unwrap().is_none(),
            "a <{tag}> element was created from input text"
        );
    }
    let text = root.text_content().unwrap();
    assert!(
        text.contains(r#"<img src=x onerror="window.__pwned=1">"#),
        "{text}"
    );
    assert!(text.contains("<b>not bold</b>"));
    assert!(text.contains("<svg onload=alert(1)>"));
    // The mark range is honoured, still as text.
    let mark = root.query_selector(".evidence mark").unwrap().unwrap();
    assert_eq!(mark.text_content().unwrap(), "connect()");
    let pwned = js_sys::Reflect::get(&js_sys::global(), &"__pwned".into()).unwrap();
    assert!(pwned.is_undefined());
}

#[wasm_bindgen_test]
async fn no_cause_shows_the_next_steps() {
    let report = analyze(b"hello\nworld\n");
    assert!(report.causes.is_empty());
    let root = render(report.clone()).await;
    assert!(root.query_selector("[data-cause-id]").unwrap().is_none());
    let text = root.text_content().unwrap();
    assert!(text.contains("No cause found"));
    for n in &report.next {
        assert!(text.contains(&n.paste), "missing next step {}", n.paste);
    }
}

#[wasm_bindgen_test]
fn protocol_round_trips_through_js() {
    let report = analyze(web_ui::SAMPLE.as_bytes());
    let msgs = vec![
        FromWorker::Ready,
        FromWorker::Warm,
        FromWorker::Progress {
            job: 3,
            bytes: 1024.0,
            total: 4096.0,
            elapsed_ms: 12.5,
            file: Some("error.log.gz".into()),
        },
        FromWorker::Report {
            job: 4,
            report: Box::new(report.clone()),
        },
        FromWorker::Error {
            job: None,
            message: "boom".into(),
        },
        FromWorker::Error {
            job: Some(2),
            message: "bad gzip".into(),
        },
    ];
    for m in msgs {
        let js = m.to_js().unwrap();
        assert_eq!(FromWorker::from_js(js.clone()).unwrap(), m);
        assert_eq!(FromWorker::decode(&js).unwrap(), m, "hand decoder agrees");
    }
    let chunk = ToWorker::Chunk {
        job: 1,
        data: b"line\n".to_vec(),
    };
    let js = chunk.to_js().unwrap();
    let data = js_sys::Reflect::get(&js, &"data".into()).unwrap();
    assert!(
        data.is_instance_of::<js_sys::Uint8Array>(),
        "chunks travel as Uint8Array"
    );
    assert_eq!(ToWorker::from_js(js).unwrap(), chunk);
    for m in [
        ToWorker::Start {
            job: 1,
            total: 5.0,
            overrides: vec![],
        },
        ToWorker::Start {
            job: 2,
            total: 5.0,
            overrides: vec![KindOverride {
                first_line: 3,
                last_line: 9,
                kind: Kind::NginxConfig,
            }],
        },
        ToWorker::Finish { job: 1 },
        ToWorker::Cancel { job: 1 },
    ] {
        assert_eq!(ToWorker::from_js(m.to_js().unwrap()).unwrap(), m);
    }
}

#[wasm_bindgen_test]
fn worker_analyzer_report_decodes_as_a_report_message() {
    let mut w = web_ui::WorkerAnalyzer::new();
    w.feed(web_ui::SAMPLE.as_bytes());
    let report = w.finish().unwrap();
    // What worker.js posts.
    let msg = js_sys::Object::new();
    js_sys::Reflect::set(&msg, &"type".into(), &"report".into()).unwrap();
    js_sys::Reflect::set(&msg, &"job".into(), &7.into()).unwrap();
    js_sys::Reflect::set(&msg, &"report".into(), &report.into()).unwrap();
    match FromWorker::decode(&msg.into()).unwrap() {
        FromWorker::Report { job, report } => {
            assert_eq!(job, 7);
            assert_eq!(*report, analyze(web_ui::SAMPLE.as_bytes()));
        }
        other => panic!("decoded as {other:?}"),
    }
}

/// The overrides of a `start` message, as worker.js hands them to
/// `setOverrides`, give the core's report for those overrides.
#[wasm_bindgen_test]
fn worker_analyzer_takes_overrides_from_the_start_message() {
    let plain = analyze(web_ui::SAMPLE.as_bytes());
    let log = plain
        .artifacts
        .iter()
        .find(|a| a.kind == Kind::NginxErrorLog)
        .expect("the sample has an error.log");
    let overrides = vec![KindOverride {
        first_line: log.first_line,
        last_line: log.last_line,
        kind: Kind::Unrecognised,
    }];
    let start = ToWorker::Start {
        job: 1,
        total: 0.0,
        overrides: overrides.clone(),
    }
    .to_js()
    .unwrap();
    let list = js_sys::Reflect::get(&start, &"overrides".into()).unwrap();
    let mut w = web_ui::WorkerAnalyzer::new();
    w.set_overrides(list).unwrap();
    w.feed(web_ui::SAMPLE.as_bytes());
    let got: Report = *web_ui::protocol::report_from_json(&w.finish().unwrap()).unwrap();
    let mut want = analyzer_core::Analyzer::with_overrides(&overrides);
    want.feed(web_ui::SAMPLE.as_bytes());
    let want = want.finish();
    assert_eq!(got, want);
    assert_ne!(got.causes, plain.causes);
    // Too late once bytes were fed.
    let mut late = web_ui::WorkerAnalyzer::new();
    late.feed(b"x\n");
    assert!(late.set_overrides(js_sys::Array::new().into()).is_err());
}
