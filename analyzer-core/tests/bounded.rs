//! Memory is bounded by structure, not by input: however long the log,
//! what the engine keeps is capped per group (distinct requests, clients,
//! hosts, pids, samples, minute buckets), in the number of groups and in the
//! number of artifacts listed. Sizes are asserted, never times.

use analyzer_core::artifacts::access_log::ACCESS_KEYS_KEEP;
use analyzer_core::facts::{DISTINCT_KEEP, MAX_BUCKETS, MAX_GROUPS, SAMPLE_HEAD, SAMPLE_TAIL};
use analyzer_core::segment::{Segmenter, MAX_ARTIFACTS, MAX_PARSED_BLOCK_LINES};

fn error_line(i: u64, upstream_port: u64) -> String {
    // A new minute every few lines, a new request, client and host each line.
    let (d, h, m, s) = (1 + i / 86_400 % 28, i / 3600 % 24, i / 60 % 60, i % 60);
    format!(
        "2024/01/{d:02} {h:02}:{m:02}:{s:02} [error] {pid}#{pid}: *{i} connect() failed (111: Connection refused) while connecting to upstream, client: 10.{}.{}.{}, server: site{i}.example.com, request: \"GET /item/{i} HTTP/1.1\", upstream: \"http://127.0.0.1:{upstream_port}/item/{i}\", host: \"site{i}.example.com\"",
        i >> 16 & 255,
        i >> 8 & 255,
        i & 255,
        pid = 1000 + i % 97,
    )
}

#[test]
fn one_group_stays_small_over_200k_distinct_events() {
    let mut seg = Segmenter::new();
    let n = 200_000u64;
    for i in 0..n {
        // 7 seconds apart: ~23k minutes, far past MAX_BUCKETS.
        seg.line(i + 1, &error_line(i * 7, 3000));
    }
    seg.finish();
    let f = &seg.facts;
    assert_eq!(f.groups.len(), 1);
    let g = &f.groups[0];
    assert_eq!(g.count, n);
    assert!(g.requests.len() <= DISTINCT_KEEP);
    assert!(g.clients.len() <= DISTINCT_KEEP);
    assert!(g.hosts.len() <= DISTINCT_KEEP);
    assert!(g.pids.len() <= DISTINCT_KEEP);
    assert!(g.head.len() <= SAMPLE_HEAD && g.tail.len() <= SAMPLE_TAIL);
    assert!(g.per_minute.len() <= MAX_BUCKETS);
    assert_eq!(g.per_minute.iter().map(|(_, c)| c).sum::<u64>(), n);
    assert_eq!(g.tail.last().map(|e| e.line), Some(n));
}

#[test]
fn access_log_tallies_stay_small_when_every_line_names_another_upstream() {
    let mut seg = Segmenter::new();
    let n = 3 * ACCESS_KEYS_KEEP as u64;
    let first = "10.9.0.0:8000";
    for i in 0..n {
        // A new upstream address, $upstream_status and response time on
        // each 502; the first address comes back on every other line.
        let addr = if i % 2 == 0 {
            first.to_string()
        } else {
            format!("10.9.{}.{}:8000", i >> 8 & 255, i & 255)
        };
        seg.line(
            i + 1,
            &format!(
                "203.0.113.5 - - [02/Jun/2024:14:02:{:02} +0000] \"GET /x HTTP/1.1\" 502 157 \"-\" \"curl/8.5.0\" rt={i}.250 ua=\"{addr}\" us=\"{}\" urt=\"{i}.250\"",
                i % 60,
                600 + i,
            ),
        );
    }
    seg.finish();
    let a = &seg.facts.access;
    assert_eq!(a.count_5xx(502), n, "every line is still counted");
    assert!(a.upstream_addr_5xx.len() <= ACCESS_KEYS_KEEP);
    assert!(a.upstream_status.len() <= ACCESS_KEYS_KEEP);
    assert!(a.time_5xx_seconds.len() <= ACCESS_KEYS_KEEP);
    // A key kept before the cap goes on being tallied after it.
    assert_eq!(a.upstream_addr_5xx.get(first), Some(&(n / 2)));
}

#[test]
fn an_endless_listing_or_config_is_read_up_to_a_bound_and_says_so() {
    let n = MAX_PARSED_BLOCK_LINES as u64 + 20_000;
    // `ss -tlnp` of every port there is, and more.
    let mut seg = Segmenter::new();
    seg.line(1, "$ ss -tlnp");
    seg.line(
        2,
        "State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process",
    );
    for i in 0..n {
        seg.line(
            i + 3,
            &format!("LISTEN 0      511    127.0.{}.{}:{}      0.0.0.0:*    users:((\"node\",pid={i},fd=18))", i >> 8 & 255, i & 255, 1 + i % 60_000),
        );
    }
    seg.finish();
    assert!(!seg.facts.listeners.is_empty());
    assert!(seg.facts.listeners.len() <= MAX_PARSED_BLOCK_LINES);
    let warned: Vec<_> = seg
        .warnings
        .iter()
        .filter(|w| w.message.contains("goes on for more than"))
        .collect();
    assert_eq!(
        warned.len(),
        1,
        "one warning, not one per piece: {warned:?}"
    );

    // An nginx -T of endless server blocks: the first ones are read.
    let mut seg = Segmenter::new();
    seg.line(1, "# configuration file /etc/nginx/nginx.conf:");
    seg.line(2, "http {");
    for i in 0..n {
        seg.line(i + 3, &format!("server {{ listen {}; server_name s{i}.example.com; location / {{ proxy_pass http://127.0.0.1:{}; }} }}", 1 + i % 60_000, 1 + i % 60_000));
    }
    seg.line(n + 3, "}");
    seg.finish();
    let cfg = seg.facts.config.as_ref().expect("the first lines are read");
    assert!(!cfg.is_empty());
    assert!(seg
        .warnings
        .iter()
        .any(|w| w.message.starts_with("nginx config goes on for more than")));
}

#[test]
fn groups_are_capped_and_the_rest_is_counted() {
    let mut seg = Segmenter::new();
    let n = MAX_GROUPS as u64 + 5_000;
    for i in 0..n {
        // Every upstream address is a group of its own.
        seg.line(i + 1, &error_line(i, 1 + i));
    }
    seg.finish();
    assert_eq!(seg.facts.groups.len(), MAX_GROUPS);
    assert_eq!(seg.facts.overflow, 5_000);
    assert_eq!(seg.events, n);
}

#[test]
fn interleaved_logs_list_a_bounded_number_of_artifacts() {
    let mut seg = Segmenter::new();
    let mut no = 0;
    for i in 0..20_000u64 {
        no += 1;
        seg.line(no, &error_line(i, 3000));
        no += 1;
        seg.line(
            no,
            "203.0.113.7 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 166 \"-\" \"curl/8.5.0\"",
        );
    }
    seg.finish();
    assert!(seg.artifacts.len() <= MAX_ARTIFACTS + 2);
    assert_eq!(seg.artifacts.iter().map(|a| a.lines).sum::<u64>(), no);
    let r = analyzer_core::analyze(
        (0..2_000)
            .flat_map(|i| {
                [
                    error_line(i, 3000),
                    "203.0.113.7 - - [15/Jan/2024:10:23:45 +0000] \"GET / HTTP/1.1\" 502 166 \"-\" \"curl/8.5.0\"".to_string(),
                ]
            })
            .collect::<Vec<_>>()
            .join("\n")
            .as_bytes(),
    );
    assert!(r.artifacts.len() <= MAX_ARTIFACTS + 2);
    assert!(r
        .warnings
        .iter()
        .any(|w| w.message.contains("separate artifacts")));
}
