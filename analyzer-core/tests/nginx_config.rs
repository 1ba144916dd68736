//! nginx configuration parser: realistic fixtures snapshotted as a compact
//! summary (what the cause rules see: passes with their location and the
//! directives in force there, upstream groups, user, warnings), plus
//! hostile inputs that must finish quickly without panicking.

use analyzer_core::artifacts::nginx_config::{Directive, NginxConfig, Pass};
use analyzer_core::artifacts::BlockLine;
use analyzer_core::segment::Segmenter;
use serde_json::{json, Map, Value};
use std::path::Path;

/// Split like the segmenter numbers lines, but keep any `\r`: the parser
/// must cope with CRLF on its own when handed raw text.
fn block_lines(text: &str) -> Vec<BlockLine> {
    let mut v: Vec<&str> = text.split('\n').collect();
    if v.last() == Some(&"") {
        v.pop();
    }
    v.into_iter()
        .enumerate()
        .map(|(i, t)| BlockLine {
            no: i as u64 + 1,
            text: t.to_string(),
        })
        .collect()
}

fn fixture(name: &str) -> NginxConfig {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nginx_config")
        .join(name);
    let text = std::fs::read_to_string(&p).expect("fixture readable");
    NginxConfig::parse(&block_lines(&text))
}

/// The directives a 502/504 diagnosis looks at, per pass family.
const SUFFIXES: &[&str] = &[
    "connect_timeout",
    "read_timeout",
    "send_timeout",
    "buffer_size",
    "buffers",
    "busy_buffers_size",
    "http_version",
    "buffering",
];

/// Arguments as written, with empty ones shown as `""` so
/// `proxy_set_header Connection "";` stays visible in snapshots.
fn args(d: &Directive) -> String {
    d.args
        .iter()
        .map(|a| {
            if a.is_empty() {
                "\"\"".to_string()
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn effective_summary(cfg: &NginxConfig, p: &Pass) -> Value {
    let mut m = Map::new();
    let mut names: Vec<String> = SUFFIXES
        .iter()
        .map(|s| format!("{}_{s}", p.prefix()))
        .collect();
    names.push("resolver".into());
    for n in names {
        if let Some(d) = cfg.effective(p, &n) {
            m.insert(n, json!(format!("{} @ {}", args(d), d.location_label())));
        }
    }
    let headers: Vec<String> = cfg
        .effective_all(p, "proxy_set_header")
        .iter()
        .map(|d| args(d))
        .collect();
    if !headers.is_empty() {
        m.insert("proxy_set_header".into(), json!(headers));
    }
    Value::Object(m)
}

fn summary(cfg: &NginxConfig) -> Value {
    let passes: Vec<Value> = cfg
        .passes()
        .iter()
        .map(|p| {
            json!({
                "at": match (&p.file, p.file_line) {
                    (Some(f), Some(l)) => format!("{f}:{l} (input line {})", p.line),
                    _ => format!("input line {}", p.line),
                },
                "pass": format!("{} {}", p.directive, p.target),
                "upstream": p.upstream.as_ref().map(|u| u.display()),
                "has_variable": p.has_variable,
                "location": p.location,
                "server_names": p.server_names,
                "listen": p.listen,
                "via_includes": p.via_includes,
                "upstream_block": cfg.upstream_for(p).map(|b| b.name),
                "effective": effective_summary(cfg, p),
            })
        })
        .collect();
    let upstreams: Vec<Value> = cfg
        .upstream_blocks()
        .iter()
        .map(|b| {
            json!({
                "name": b.name,
                "line": b.line,
                "servers": b.servers.iter().map(|s| format!("{} {}", s.addr.display(), s.params.join(" ")).trim_end().to_string()).collect::<Vec<_>>(),
                "keepalive": b.keepalive,
                "keepalive_timeout": b.keepalive_timeout,
            })
        })
        .collect();
    json!({
        "files": cfg.files,
        "user": cfg.user().map(|u| match u.group {
            Some(g) => format!("{} {g} @ line {}", u.user, u.line),
            None => format!("{} @ line {}", u.user, u.line),
        }),
        "worker_connections": cfg.worker_connections(),
        "worker_rlimit_nofile": cfg.worker_rlimit_nofile(),
        "error_logs": cfg.error_log_levels(),
        "passes": passes,
        "upstream_blocks": upstreams,
        "includes_not_pasted": cfg.includes_not_pasted(),
        "warnings": cfg.warnings.iter().map(|w| format!("{}: {}", w.line, w.message)).collect::<Vec<_>>(),
    })
}

macro_rules! snap {
    ($test:ident, $file:expr) => {
        #[test]
        fn $test() {
            let cfg = fixture($file);
            insta::assert_json_snapshot!(stringify!($test), summary(&cfg));
        }
    };
}

snap!(debian_nginx_t, "debian_nginx_T.txt");
snap!(rhel_conf_d_php_fpm, "rhel_conf_d_php_fpm.txt");
snap!(node_reverse_proxy, "node_reverse_proxy.conf");
snap!(docker_compose_resolver, "docker_compose_resolver.conf");
snap!(upstream_keepalive, "upstream_keepalive.conf");
snap!(lone_location, "lone_location.conf");
snap!(crlf_tabs, "crlf_tabs.conf");
snap!(broken_unbalanced, "broken_unbalanced.conf");
snap!(few_directives, "few_directives.txt");
snap!(lua_and_quotes, "lua_and_quotes.conf");

// ---- targeted assertions (independent of snapshot review) ----

#[test]
fn debian_inheritance_through_includes() {
    let cfg = fixture("debian_nginx_T.txt");
    let passes = cfg.passes();
    let php = passes
        .iter()
        .find(|p| p.directive == "fastcgi_pass")
        .unwrap();
    assert_eq!(php.location.as_deref(), Some("~ \\.php$"));
    assert_eq!(
        php.file.as_deref(),
        Some("/etc/nginx/sites-enabled/default")
    );
    assert_eq!(php.server_names, vec!["example.com", "www.example.com"]);
    let up = php.upstream.as_ref().unwrap();
    assert_eq!(up.scheme, "fastcgi");
    assert_eq!(up.addr.socket_path(), Some("/run/php/php8.2-fpm.sock"));
    // http-level value from conf.d/timeouts.conf, pulled in by `include` inside `http {}`.
    let t = cfg.effective(php, "fastcgi_read_timeout").unwrap();
    assert_eq!(t.file.as_deref(), Some("/etc/nginx/conf.d/timeouts.conf"));
    // Location-level value from snippets/fastcgi-php.conf → fastcgi.conf.
    let b = cfg.effective(php, "fastcgi_buffer_size").unwrap();
    assert_eq!(b.file.as_deref(), Some("/etc/nginx/fastcgi.conf"));

    let app = passes.iter().find(|p| p.directive == "proxy_pass").unwrap();
    assert_eq!(
        cfg.effective(app, "proxy_read_timeout").unwrap().args,
        vec!["30s"]
    );
    assert_eq!(cfg.includes_not_pasted(), vec!["proxy_params"]);
    assert_eq!(cfg.user().unwrap().user, "www-data");
    assert_eq!(cfg.worker_connections(), Some((768, 11)));
}

#[test]
fn rhel_pass_in_included_file_gets_its_server() {
    let cfg = fixture("rhel_conf_d_php_fpm.txt");
    let passes = cfg.passes();
    assert_eq!(passes.len(), 1);
    let p = &passes[0];
    assert_eq!(p.server_names, vec!["shop.example.org"]);
    assert_eq!(p.listen, vec!["80", "[::]:80"]);
    assert_eq!(p.via_includes.len(), 1);
    let up = cfg.upstream_for(p).unwrap();
    assert_eq!(up.name, "php-fpm");
    assert_eq!(
        up.servers[0].addr.socket_path(),
        Some("/run/php-fpm/www.sock")
    );
    assert_eq!(p.file_line, Some(15));
}

#[test]
fn node_location_overrides_server() {
    let cfg = fixture("node_reverse_proxy.conf");
    let passes = cfg.passes();
    let read = |i: usize| {
        cfg.effective(&passes[i], "proxy_read_timeout")
            .unwrap()
            .args[0]
            .clone()
    };
    assert_eq!(read(0), "60s");
    assert_eq!(read(1), "300s");
    assert_eq!(
        read(2),
        "300s",
        "nested location inherits from its enclosing location"
    );
    assert_eq!(read(3), "1h");
    // proxy_set_header at location level replaces the server-level list.
    let h = cfg.effective_all(&passes[3], "proxy_set_header");
    assert_eq!(h.len(), 2);
    assert_eq!(cfg.effective_all(&passes[0], "proxy_set_header").len(), 4);
}

#[test]
fn docker_variable_pass_and_resolver() {
    let cfg = fixture("docker_compose_resolver.conf");
    let passes = cfg.passes();
    let api = passes.iter().find(|p| p.target == "$up").unwrap();
    // `set $up http://api:8080;`: the variable is a constant, the address known.
    assert!(api.has_variable);
    assert_eq!(
        api.upstream.as_ref().map(|u| u.display()),
        Some("http://api:8080".to_string())
    );
    assert_eq!(cfg.resolver_for(api).unwrap().args[0], "127.0.0.11");
    let grpc = passes.iter().find(|p| p.directive == "grpc_pass").unwrap();
    assert_eq!(cfg.resolver_for(grpc).unwrap().args[1], "valid=30s");
    assert_eq!(grpc.upstream.as_ref().unwrap().scheme, "grpc");
    let uwsgi = passes.iter().find(|p| p.directive == "uwsgi_pass").unwrap();
    assert_eq!(uwsgi.upstream.as_ref().unwrap().scheme, "uwsgi");
}

#[test]
fn upstream_params() {
    let cfg = fixture("upstream_keepalive.conf");
    let b = cfg.upstream_named("backend").unwrap();
    assert_eq!(b.keepalive, Some(32));
    assert_eq!(b.servers.len(), 3);
    assert_eq!(b.servers[0].param("max_fails"), Some("3"));
    assert_eq!(b.servers[1].param("fail_timeout"), Some("30s"));
    assert!(b.servers[2].has_flag("backup"));
    assert_eq!(cfg.worker_rlimit_nofile(), Some((4096, 3)));
    let u = cfg.user().unwrap();
    assert_eq!(
        (u.user.as_str(), u.group.as_deref()),
        ("nginx", Some("nginx"))
    );
    let levels = cfg.error_log_levels();
    assert_eq!(levels[0].1.as_deref(), Some("warn"));
    assert_eq!(levels[1].1.as_deref(), Some("error"));
}

#[test]
fn lone_pieces_parse() {
    let cfg = fixture("lone_location.conf");
    let p = &cfg.passes()[0];
    assert_eq!(p.location.as_deref(), Some("/"));
    assert_eq!(p.upstream.as_ref().unwrap().addr.port(), Some(3000));
    assert!(cfg.warnings.is_empty());

    let cfg = fixture("few_directives.txt");
    let p = &cfg.passes()[0];
    assert_eq!(
        cfg.effective(p, "proxy_read_timeout").unwrap().args,
        vec!["5s"]
    );
    assert!(p.location.is_none());
}

#[test]
fn merged_pastes_inherit_from_pasted_http() {
    // nginx.conf pasted first, then a lone server block: the server lives in http.
    let mut cfg = NginxConfig::parse(&block_lines("http {\n  proxy_read_timeout 77s;\n}\n"));
    let site = NginxConfig::parse(&block_lines(
        "server {\n  location / {\n    proxy_pass http://127.0.0.1:9000;\n  }\n}\n",
    ));
    cfg.merge(site);
    let p = &cfg.passes()[0];
    assert_eq!(
        cfg.effective(p, "proxy_read_timeout").unwrap().args,
        vec!["77s"]
    );
}

#[test]
fn broken_config_keeps_partial_tree() {
    let cfg = fixture("broken_unbalanced.conf");
    assert_eq!(cfg.passes().len(), 2);
    assert!(!cfg.warnings.is_empty());
    assert!(cfg
        .warnings
        .iter()
        .any(|w| w.message.contains("unexpected `}`")));
}

#[test]
fn segmenter_keeps_nginx_t_whole() {
    // Through the real segmenter: status lines, markers and blank lines
    // between files must still give one config with every file.
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/nginx_config/debian_nginx_T.txt");
    let text = std::fs::read_to_string(p).unwrap();
    let mut seg = Segmenter::new();
    for (i, l) in text.lines().enumerate() {
        seg.line(i as u64 + 1, l);
    }
    seg.finish();
    let cfg = seg.facts.config.as_ref().expect("config parsed");
    assert_eq!(cfg.files.len(), 6, "{:?}", cfg.files);
    let passes = cfg.passes();
    assert_eq!(passes.len(), 2);
    assert_eq!(passes[0].file_line, Some(17));
    assert_eq!(
        seg.facts.nginx_user.as_ref().map(|u| u.user.as_str()),
        Some("www-data")
    );
}

// ---- hostile input ----

/// Runs one hostile case. Speed is measured by benchmarks, not asserted
/// here: a quadratic blow-up still shows as a test that never finishes.
fn quick(_what: &str, f: impl FnOnce()) {
    f();
}

#[test]
fn hundred_thousand_nested_braces() {
    quick("nested braces", || {
        let text = "server {\n".repeat(100_000);
        let cfg = NginxConfig::parse(&block_lines(&text));
        assert!(!cfg.warnings.is_empty());
        assert!(cfg.warnings.len() <= 60);
        let _ = cfg.passes();
        let _ = format!("{cfg:?}");
        let _ = cfg.clone();
    });
}

#[test]
fn one_megabyte_of_open_braces() {
    quick("1 MB of {", || {
        let line = "{".repeat(1 << 20);
        let cfg = NginxConfig::parse(&[BlockLine { no: 1, text: line }]);
        assert!(!cfg.warnings.is_empty());
        let _ = cfg.find("x");
    });
}

#[test]
fn one_megabyte_of_close_braces_and_semicolons() {
    quick("1 MB of };", || {
        let cfg = NginxConfig::parse(&[BlockLine {
            no: 1,
            text: "};".repeat(1 << 19),
        }]);
        assert!(cfg.directives.is_empty());
        assert!(cfg.warnings.len() <= 60);
    });
}

#[test]
fn quote_never_closed() {
    quick("open quote", || {
        let mut text = String::from("server {\n  add_header X \"oops;\n");
        for _ in 0..10_000 {
            text.push_str("  proxy_pass http://a;\n");
        }
        let cfg = NginxConfig::parse(&block_lines(&text));
        assert!(cfg
            .warnings
            .iter()
            .any(|w| w.line == 2 && w.message.contains("never closed")));
        assert!(
            cfg.passes().is_empty(),
            "everything after the quote is one string"
        );
    });
}

#[test]
fn random_bytes() {
    quick("random bytes", || {
        // A fixed xorshift stream: deterministic, no dependency.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..50 {
            let mut bytes = Vec::with_capacity(20_000);
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Bias towards the grammar's special characters.
                let b = match x % 8 {
                    0 => b"{};#\"'\\$"[(x >> 8) as usize % 8],
                    1 => b'\n',
                    _ => (x >> 16) as u8,
                };
                bytes.push(b);
            }
            let text = String::from_utf8_lossy(&bytes);
            let cfg = NginxConfig::parse(&block_lines(&text));
            let _ = (
                cfg.passes(),
                cfg.upstream_blocks(),
                cfg.includes_not_pasted(),
                cfg.user(),
            );
            assert!(cfg.warnings.len() <= 60, "round {round}");
        }
    });
}

#[test]
fn large_dump_queries_stay_fast() {
    // 2,000 sites of an `nginx -T` dump, and a rule asking for several
    // directives of every pass: must not be quadratic in the dump size.
    let mut text = String::from(
        "# configuration file /etc/nginx/nginx.conf:\nuser www-data;\nhttp {\n  proxy_read_timeout 61s;\n  include /etc/nginx/sites-enabled/*;\n}\n",
    );
    for i in 0..2000 {
        text.push_str(&format!(
            "# configuration file /etc/nginx/sites-enabled/site{i}:\nserver {{\n  listen 80;\n  server_name s{i}.example;\n  include snippets/ssl.conf;\n  location / {{ proxy_pass http://127.0.0.1:{}; }}\n  location /api {{ proxy_connect_timeout 2s; proxy_pass http://127.0.0.1:9000; }}\n}}\n",
            3000 + i
        ));
    }
    text.push_str("# configuration file /etc/nginx/snippets/ssl.conf:\nproxy_send_timeout 20s;\n");
    quick("large dump", || {
        let cfg = NginxConfig::parse(&block_lines(&text));
        let passes = cfg.passes();
        assert_eq!(passes.len(), 4000);
        for p in &passes {
            for n in [
                "proxy_read_timeout",
                "proxy_connect_timeout",
                "proxy_send_timeout",
                "resolver",
            ] {
                let _ = cfg.effective(p, n);
            }
        }
        let last = passes.last().unwrap();
        assert_eq!(
            cfg.effective(last, "proxy_read_timeout").unwrap().args,
            vec!["61s"]
        );
        assert_eq!(
            cfg.effective(last, "proxy_send_timeout").unwrap().args,
            vec!["20s"]
        );
        assert_eq!(last.server_names, vec!["s1999.example"]);
    });
}

#[test]
fn many_includes_do_not_explode() {
    quick("include fan-out", || {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&format!(
                "# configuration file /etc/nginx/conf.d/{i}.conf:\n"
            ));
            text.push_str(
                "include /etc/nginx/conf.d/*.conf;\nlocation / { proxy_pass http://a; }\n",
            );
        }
        let cfg = NginxConfig::parse(&block_lines(&text));
        let passes = cfg.passes();
        assert!(!passes.is_empty());
        let _ = cfg.effective(&passes[0], "proxy_read_timeout");
    });
}

#[test]
fn set_variables_and_npm_proxy_hosts_give_the_address() {
    let cfg = NginxConfig::parse(&block_lines(
        "server {\n  set $forward_scheme http;\n  set $server \"10.0.0.5\";\n  set $port 3002;\n  server_name status.example.com;\n  location / {\n    include conf.d/include/proxy.conf;\n  }\n  location /a {\n    proxy_pass http://$host:8080;\n  }\n  location /b {\n    set $b ${forward_scheme}://backend:81;\n    proxy_pass $b$request_uri;\n  }\n}\n",
    ));
    let passes = cfg.passes();
    let npm = passes
        .iter()
        .find(|p| p.npm)
        .expect("NPM's include is a pass");
    assert_eq!(npm.directive, "proxy_pass");
    assert_eq!(
        npm.upstream.as_ref().map(|u| u.display()),
        Some("http://10.0.0.5:3002".to_string())
    );
    assert_eq!(npm.server_names, ["status.example.com"]);
    // `$host` is the request's: no address.
    let a = passes
        .iter()
        .find(|p| p.location.as_deref() == Some("/a"))
        .unwrap();
    assert!(a.upstream.is_none() && !a.npm);
    // A `set` whose value holds a variable is not followed.
    let b = passes
        .iter()
        .find(|p| p.location.as_deref() == Some("/b"))
        .unwrap();
    assert!(b.upstream.is_none());
}
