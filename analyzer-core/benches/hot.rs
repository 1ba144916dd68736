//! Hot paths of a big paste: one error.log line, one access.log line, the
//! segmenter's per-line dispatch for the usual kinds of line, and the whole
//! analyzer on a generated 10 MB mixed log.
//!
//! `cargo bench -p analyzer-core --bench hot` (not run in CI; `bench/bench.sh`
//! measures the CLI end to end against grep).

use analyzer_core::artifacts::{access_log, error_log};
use analyzer_core::facts::Facts;
use analyzer_core::segment::Segmenter;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;

const ERROR_LINE: &str = "2024/01/15 10:23:45 [error] 1234#1234: *5678 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: example.com, request: \"GET /api/users HTTP/1.1\", upstream: \"http://127.0.0.1:3000/api/users\", host: \"example.com\"";
const QUIET_ERROR_LINE: &str = "2024/01/15 10:23:45 [info] 1234#1234: *5679 client closed connection while waiting for request, client: 203.0.113.7, server: example.com";
const ACCESS_LINE: &str = "203.0.113.7 - - [15/Jan/2024:10:23:45 +0000] \"GET /api/users HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36\" rt=0.012 ua=\"127.0.0.1:3000\" us=\"200\" urt=\"0.012\"";
const ACCESS_504_LINE: &str = "203.0.113.7 - - [15/Jan/2024:10:24:45 +0000] \"POST /reports/export HTTP/1.1\" 504 160 \"-\" \"curl/8.5.0\" rt=60.001 ua=\"127.0.0.1:8000\" us=\"504\" urt=\"60.001\"";

/// A deterministic mixed log (error.log and access.log lines of several
/// kinds, several upstreams, advancing time) of about `bytes` bytes: the
/// shape of `bench/gen_logs.py`, without Python.
fn generated_log(bytes: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let messages = [
        "connect() failed (111: Connection refused) while connecting to upstream",
        "upstream timed out (110: Connection timed out) while reading response header from upstream",
        "upstream prematurely closed connection while reading response header from upstream",
        "recv() failed (104: Connection reset by peer) while reading response header from upstream",
        "no live upstreams while connecting to upstream",
        "client closed connection while waiting for request",
    ];
    let paths = ["/", "/api/users", "/login", "/graphql", "/index.php"];
    let mut out = Vec::with_capacity(bytes + 512);
    let mut t = 0u64;
    while out.len() < bytes {
        let r = next();
        t += r % 3;
        let (h, m, s) = ((t / 3600) % 24, (t / 60) % 60, t % 60);
        let day = 1 + (t / 86_400) % 28;
        let path = paths[(r >> 8) as usize % paths.len()];
        let upstream = format!(
            "10.0.{}.{}:{}",
            (r >> 16) % 4,
            10 + (r >> 20) % 8,
            8000 + (r >> 24) % 5
        );
        let client = format!(
            "{}.{}.{}.{}",
            1 + (r >> 28) % 223,
            (r >> 36) % 256,
            (r >> 44) % 256,
            1 + (r >> 52) % 254
        );
        if r % 100 < 55 {
            let msg = messages[(r >> 4) as usize % messages.len()];
            out.extend_from_slice(format!(
                "2024/01/{day:02} {h:02}:{m:02}:{s:02} [error] 1200#1200: *{} {msg}, client: {client}, server: site.example.com, request: \"GET {path} HTTP/1.1\", upstream: \"http://{upstream}{path}\", host: \"site.example.com\"\n",
                r % 9_999_999
            ).as_bytes());
        } else {
            let status = [200, 200, 200, 200, 404, 502, 504][(r >> 12) as usize % 7];
            out.extend_from_slice(format!(
                "{client} - - [{day:02}/Jan/2024:{h:02}:{m:02}:{s:02} +0000] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\" rt=0.{:03} ua=\"{upstream}\" us=\"{status}\" urt=\"0.{:03}\"\n",
                r % 90_000, r % 1000, r % 1000
            ).as_bytes());
        }
    }
    out
}

fn lines(c: &mut Criterion) {
    let mut g = c.benchmark_group("line");
    g.bench_function("error_log::parse_line", |b| {
        b.iter(|| error_log::parse_line(black_box(7), black_box(ERROR_LINE)))
    });
    g.bench_function("error_log::Stream (same shape again)", |b| {
        let mut stream = error_log::Stream::new();
        let mut facts = Facts::default();
        b.iter(|| stream.line(black_box(7), black_box(ERROR_LINE), &mut facts))
    });
    g.bench_function("error_log::Stream (no signal)", |b| {
        let mut stream = error_log::Stream::new();
        let mut facts = Facts::default();
        b.iter(|| stream.line(black_box(7), black_box(QUIET_ERROR_LINE), &mut facts))
    });
    g.bench_function("access_log::parse_line 200", |b| {
        let mut facts = Facts::default();
        b.iter(|| access_log::parse_line(black_box(7), black_box(ACCESS_LINE), &mut facts))
    });
    g.bench_function("access_log::parse_line 504", |b| {
        let mut facts = Facts::default();
        b.iter(|| access_log::parse_line(black_box(7), black_box(ACCESS_504_LINE), &mut facts))
    });
    g.finish();
}

fn dispatch(c: &mut Criterion) {
    let mut g = c.benchmark_group("segmenter");
    for (name, line) in [
        ("error line", ERROR_LINE),
        ("quiet error line", QUIET_ERROR_LINE),
        ("access line", ACCESS_LINE),
        ("unrecognised x", "x"),
        ("prose", "I keep getting 502 errors since yesterday, any idea what is wrong?"),
        ("compose-wrapped error line", "nginx-1  | 2024/01/15 10:23:45 [error] 29#29: *1 connect() failed (111: Connection refused) while connecting to upstream, client: 172.18.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://172.18.0.3:3000/\", host: \"localhost\""),
    ] {
        g.bench_function(name, |b| {
            let mut seg = Segmenter::new();
            let mut no = 0u64;
            b.iter(|| {
                no += 1;
                seg.line(no, black_box(line));
            })
        });
    }
    g.finish();
}

fn whole(c: &mut Criterion) {
    let log = generated_log(10 << 20);
    let mut g = c.benchmark_group("analyzer");
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.sample_size(10);
    g.bench_function("10 MB mixed log", |b| {
        b.iter_batched(
            analyzer_core::Analyzer::new,
            |mut a| {
                for chunk in log.chunks(256 * 1024) {
                    a.feed(chunk);
                }
                a.finish()
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, lines, dispatch, whole);
criterion_main!(benches);
