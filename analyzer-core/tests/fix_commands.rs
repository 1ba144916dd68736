//! The commands a cause offers are filled in from the paste: the site's
//! `listen` port and scheme, nginx's user, the container or pod to run a
//! command in, the operating system's own tools. Each test states what a
//! paste shows and what the commands must (or must not) say.

use analyzer_core::{analyze_str, report::Cause, Report};

fn cause<'a>(r: &'a Report, id: &str) -> &'a Cause {
    r.causes.iter().find(|c| c.id == id).unwrap_or_else(|| {
        let ids: Vec<&str> = r.causes.iter().map(|c| c.id.as_str()).collect();
        panic!("no {id} in {ids:?}")
    })
}

/// Every command of a cause (fixes, verify steps, next pastes), one a line.
fn commands(c: &Cause) -> String {
    c.fixes
        .iter()
        .map(|f| f.command.as_str())
        .chain(c.verify.iter().map(String::as_str))
        .chain(c.next.iter().map(|n| n.paste.as_str()))
        .collect::<Vec<_>>()
        .join("\n")
}

fn check(paste: &str, id: &str, has: &[&str], lacks: &[&str]) {
    let r = analyze_str(paste);
    let c = cause(&r, id);
    let all = format!(
        "{}\n{}\n{}\n{}",
        c.title,
        c.reasoning.join("\n"),
        commands(c),
        c.evidence
            .iter()
            .map(|e| e.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for h in has {
        assert!(all.contains(h), "{id}: missing {h:?} in\n{all}");
    }
    for l in lacks {
        assert!(!all.contains(l), "{id}: unexpected {l:?} in\n{all}");
    }
}

const FCGI_72: &str = "2024/05/02 10:00:01 [error] 811#811: *3 upstream sent unsupported FastCGI protocol version: 72 while reading response header from upstream, client: 10.0.0.7, server: shop.example.com, request: \"GET /index.php HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"shop.example.com\"\n";

#[test]
fn fastcgi_mismatch_finds_a_localhost_pass() {
    let paste = format!(
        "{FCGI_72}\n# nginx -T\n# configuration file /etc/nginx/sites-enabled/shop:\nserver {{\n    listen 80;\n    server_name shop.example.com;\n    location ~ \\.php$ {{\n        include fastcgi_params;\n        fastcgi_pass localhost:9000;\n    }}\n}}\n"
    );
    check(
        &paste,
        "fastcgi_protocol_mismatch",
        &[
            "fastcgi_pass localhost:9000",
            "/etc/nginx/sites-enabled/shop:",
        ],
        &[],
    );
}

#[test]
fn fastcgi_mismatch_finds_the_server_of_an_upstream_block() {
    let paste = format!(
        "{FCGI_72}\nupstream php_backend {{\n    server 127.0.0.1:9000;\n}}\nserver {{\n    listen 80;\n    location ~ \\.php$ {{\n        fastcgi_pass php_backend;\n    }}\n}}\n"
    );
    check(
        &paste,
        "fastcgi_protocol_mismatch",
        &["server 127.0.0.1:9000;"],
        &[],
    );
}

const REFUSED_3000: &str = "2024/05/02 10:00:01 [error] 811#811: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.7, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"shop.example.com\"\n";

#[test]
fn curl_through_nginx_uses_the_listen_port() {
    let paste = format!(
        "{REFUSED_3000}\nserver {{\n    listen 8080;\n    server_name shop.example.com;\n    location / {{ proxy_pass http://127.0.0.1:3000; }}\n}}\n"
    );
    check(
        &paste,
        "upstream_down",
        &["-H 'Host: shop.example.com' http://127.0.0.1:8080/"],
        &["http://127.0.0.1/ "],
    );
}

#[test]
fn curl_through_nginx_speaks_https_to_a_tls_listen() {
    let paste = format!(
        "{REFUSED_3000}\nserver {{\n    listen 443 ssl http2;\n    server_name shop.example.com;\n    location / {{ proxy_pass http://127.0.0.1:3000; }}\n}}\n"
    );
    check(
        &paste,
        "upstream_down",
        &["--resolve shop.example.com:443:127.0.0.1 https://shop.example.com/"],
        &["http://127.0.0.1/"],
    );
}

#[test]
fn curl_through_nginx_prefers_plain_http_and_defaults_to_80() {
    let paste = format!(
        "{REFUSED_3000}\nserver {{\n    listen 443 ssl;\n    listen 80;\n    server_name shop.example.com;\n    location / {{ proxy_pass http://127.0.0.1:3000; }}\n}}\n"
    );
    check(
        &paste,
        "upstream_down",
        &["-H 'Host: shop.example.com' http://127.0.0.1/"],
        &["https://"],
    );
    check(
        REFUSED_3000,
        "upstream_down",
        &["-H 'Host: shop.example.com' http://127.0.0.1/"],
        &[],
    );
}

#[test]
fn curl_through_nginx_in_a_container_uses_the_published_port() {
    let paste = "nginx-1  | 2024/05/02 10:00:01 [error] 29#29: *3 connect() failed (111: Connection refused) while connecting to upstream, client: 172.18.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"http://172.18.0.3:3000/\", host: \"localhost:8088\"\n\n\
services:\n  nginx:\n    image: nginx:1.27-alpine\n    ports:\n      - \"8088:80\"\n  app:\n    build: .\n\n\
server {\n    listen 80;\n    location / { proxy_pass http://app:3000; }\n}\n";
    let r = analyze_str(paste);
    let c = &r.causes[0];
    assert!(
        c.verify
            .iter()
            .any(|v| v.contains("http://127.0.0.1:8088/")),
        "{:?}",
        c.verify
    );
}

const WIN_RESET: &str = "2024/01/15 10:01:44 [error] 5120#4412: *211 WSARecv() failed (10054: An existing connection was forcibly closed by the remote host) while reading response header from upstream, client: 10.1.1.20, server: intranet.local, request: \"GET /reports HTTP/1.1\", upstream: \"http://127.0.0.1:5000/reports\", host: \"intranet.local\"\n";

#[test]
fn windows_resets_get_windows_commands() {
    check(
        WIN_RESET,
        "upstream_reset",
        &[
            "Get-NetTCPConnection -LocalPort 5000",
            "Get-WinEvent",
            "curl.exe",
            "10054",
        ],
        &[
            "systemctl",
            "dmesg",
            "journalctl",
            "tcpdump",
            "sudo",
            "(104:",
        ],
    );
    let php = WIN_RESET.replace("http://127.0.0.1:5000/reports", "fastcgi://127.0.0.1:9123");
    check(
        &php,
        "upstream_reset",
        &["PHP_FCGI_MAX_REQUESTS=0", "php-cgi.exe -b 127.0.0.1:9123"],
        &["systemctl"],
    );
}

#[test]
fn linux_resets_keep_linux_commands() {
    let linux = WIN_RESET.replace(
        "WSARecv() failed (10054: An existing connection was forcibly closed by the remote host)",
        "recv() failed (104: Connection reset by peer)",
    );
    check(
        &linux,
        "upstream_reset",
        &["dmesg", "tcpdump"],
        &["Get-WinEvent", "curl.exe"],
    );
}

fn fpm_denied(socket: &str) -> String {
    format!("2024/05/02 10:00:01 [crit] 811#811: *3 connect() to unix:{socket} failed (13: Permission denied) while connecting to upstream, client: 10.0.0.7, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:{socket}:\", host: \"shop.example.com\"\n")
}

#[test]
fn nginx_user_is_assumed_from_the_distro_and_said_so() {
    check(
        &fpm_denied("/run/php/php8.2-fpm.sock"),
        "socket_permission",
        &["(user www-data, assumed)", "sudo -u www-data"],
        &["{nginx_user}"],
    );
    check(
        &fpm_denied("/run/php-fpm/www.sock"),
        "socket_permission",
        &["(user nginx, assumed)", "sudo -u nginx"],
        &["{nginx_user}"],
    );
    // A pool run as `apache` is RHEL's stock pool, whatever its socket.
    let pool = format!(
        "{}\n[www]\nuser = apache\ngroup = apache\nlisten = /var/run/php5-fpm.sock\n",
        fpm_denied("/var/run/php5-fpm.sock")
    );
    check(
        &pool,
        "socket_permission",
        &["(user nginx, assumed)"],
        &["{nginx_user}"],
    );
    // The config says: nothing is assumed.
    let said = format!(
        "{}\nuser nginx;\nhttp {{ server {{ listen 80; location / {{ fastcgi_pass unix:/run/php/php8.2-fpm.sock; }} }} }}\n",
        fpm_denied("/run/php/php8.2-fpm.sock")
    );
    check(&said, "socket_permission", &["(user nginx)"], &["assumed"]);
    // Nothing tells: the placeholder stays, with the command that fills it.
    check(
        &fpm_denied("/srv/app/app.sock"),
        "socket_permission",
        &["{nginx_user}", "ps -o user=,cmd= -C nginx"],
        &["assumed"],
    );
}

const TOO_BIG: &str = "2024/02/02 12:00:01 [error] 30#30: *12 upstream sent too big header while reading response header from upstream, client: 172.18.0.1, server: app.example.com, request: \"GET /login/callback?code=x HTTP/1.1\", upstream: \"http://172.18.0.3:8000/login/callback?code=x\", host: \"app.example.com\"\n";

#[test]
fn header_sizes_are_measured_where_nginx_runs() {
    let compose = format!(
        "nginx-1  | {TOO_BIG}\nserver {{\n    listen 80;\n    location / {{ proxy_pass http://web:8000; }}\n}}\n"
    );
    check(
        &compose,
        "header_too_big",
        &["docker compose exec nginx curl -sS -o /dev/null -D - -H 'Host: app.example.com' http://web:8000/login/callback"],
        &[],
    );
    // The Docker gateway as the client is enough to show nginx is in a
    // container; any other client, and nothing shows it.
    check(
        TOO_BIG,
        "header_too_big",
        &["docker compose exec nginx curl -sS -o /dev/null -D - -H 'Host: app.example.com' http://172.18.0.3:8000/login/callback"],
        &["kubectl"],
    );
    check(
        &TOO_BIG.replace("client: 172.18.0.1", "client: 198.51.100.4"),
        "header_too_big",
        &["curl -sS -o /dev/null -D - -H 'Host: app.example.com' http://172.18.0.3:8000/login/callback"],
        &["docker compose exec", "kubectl"],
    );
    let ingress = format!("ingress-nginx-controller-5c8d66c76d-7xv2m controller {TOO_BIG}");
    check(
        &ingress,
        "header_too_big",
        &[
            "kubectl run header-size --rm -i --restart=Never --image=curlimages/curl",
            "kubectl get ingress -A | grep -F 'app.example.com'",
        ],
        &["docker compose"],
    );
}

#[test]
fn ingress_commands_name_the_pasted_controller() {
    let paste = format!(
        "$ kubectl get pods -n ingress\nNAME                                                     READY   STATUS    RESTARTS   AGE\nnginx-ingress-ingress-nginx-controller-6b9f7d4c8d-q2w9z   1/1     Running   0          3d\n\nnginx-ingress-ingress-nginx-controller-6b9f7d4c8d-q2w9z controller {TOO_BIG}"
    );
    check(
        &paste,
        "header_too_big",
        &["kubectl -n ingress logs deploy/nginx-ingress-ingress-nginx-controller"],
        &["-n ingress-nginx", "app.kubernetes.io/name=ingress-nginx"],
    );
    // Only the log line's prefix names it.
    let prefixed =
        format!("nginx-ingress-ingress-nginx-controller-6b9f7d4c8d-q2w9z controller {TOO_BIG}");
    check(
        &prefixed,
        "header_too_big",
        &["kubectl -n ingress-nginx logs deploy/nginx-ingress-ingress-nginx-controller"],
        &["app.kubernetes.io/name=ingress-nginx"],
    );
    // Nothing names it: the standard names, and how to find the real ones.
    let bare = format!(
        "$ kubectl logs -n ingress-nginx -l app.kubernetes.io/component=controller\n{TOO_BIG}"
    );
    check(
        &bare,
        "header_too_big",
        &[
            "kubectl -n ingress-nginx logs deploy/ingress-nginx-controller",
            "kubectl get pods -A -l app.kubernetes.io/name=ingress-nginx",
        ],
        &[],
    );
}

const WS_CLOSED: &str = "2024/08/21 19:22:05 [error] 918#918: *40211 upstream prematurely closed connection while reading response header from upstream, client: 203.0.113.77, server: chat.example.io, request: \"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\", upstream: \"http://127.0.0.1:4000/socket.io/?EIO=4&transport=websocket\", host: \"chat.example.io\"\n";

#[test]
fn websocket_handshakes_without_upgrade_get_the_upgrade_headers() {
    let bare = format!(
        "{WS_CLOSED}\nserver {{\n    listen 80;\n    server_name chat.example.io;\n    location / {{\n        proxy_pass http://127.0.0.1:4000;\n        proxy_set_header Host $host;\n    }}\n}}\n"
    );
    check(
        &bare,
        "upstream_closed_early",
        &[
            "proxy_set_header Upgrade $http_upgrade;",
            "WebSocket handshakes that nginx does not forward",
        ],
        &[],
    );
    let upgraded = bare.replace(
        "proxy_set_header Host $host;",
        "proxy_http_version 1.1;\n        proxy_set_header Upgrade $http_upgrade;\n        proxy_set_header Connection \"upgrade\";",
    );
    check(
        &upgraded,
        "upstream_closed_early",
        &["the location forwards `Upgrade`"],
        &["proxy_set_header Upgrade $http_upgrade;"],
    );
    // Not a WebSocket path: no such advice.
    check(
        &WS_CLOSED.replace("/socket.io/?EIO=4&transport=websocket", "/api/orders"),
        "upstream_closed_early",
        &[],
        &["Upgrade"],
    );
}

#[test]
fn upload_failures_point_at_the_backend_body_limit_and_plain_posts_do_not() {
    let upload = WS_CLOSED
        .replace(
            "GET /socket.io/?EIO=4&transport=websocket",
            "POST /api/media/upload",
        )
        .replace(
            "/socket.io/?EIO=4&transport=websocket\"",
            "/api/media/upload\"",
        );
    check(
        &upload,
        "upstream_closed_early",
        &["request body limit", "every failing request is a POST"],
        &[],
    );
    let post = upload.replace("/api/media/upload", "/api/orders");
    check(&post, "upstream_closed_early", &[], &["request body limit"]);
}

#[test]
fn windows_netstat_shows_the_port_the_backend_uses() {
    let paste = "2024/10/07 08:31:55 [error] 4412#5120: *9 connect() failed (10061: No connection could be made because the target machine actively refused it) while connecting to upstream, client: 192.168.0.14, server: localhost, request: \"GET /api HTTP/1.1\", upstream: \"http://127.0.0.1:8081/api\", host: \"192.168.0.10\"\r\n\r\n  TCP    0.0.0.0:8080           0.0.0.0:0              LISTENING       7720\r\n";
    check(
        paste,
        "wrong_port",
        &[
            "proxy_pass http://127.0.0.1:8080;",
            "tasklist /FI \"PID eq 7720\"",
            "findstr",
        ],
        &["sudo", "/dev/null", "/etc/nginx"],
    );
}

#[test]
fn a_missing_compose_name_points_at_the_service_that_exists() {
    let paste = "nginx-1  | 2024/11/25 22:06:58 [emerg] 1#1: host not found in upstream \"php-fpm\" in /etc/nginx/conf.d/default.conf:14\n\n\
NAME              IMAGE           COMMAND                  SERVICE   CREATED        STATUS                      PORTS\n\
site-nginx-1      nginx:1.27      \"/docker-entrypoint.…\"   nginx     2 hours ago    Exited (1) 3 minutes ago\n\
site-php-1        php:8.3-fpm     \"docker-php-entrypoi…\"   php       2 hours ago    Up 2 hours                  9000/tcp\n";
    check(
        paste,
        "dns_resolution",
        &["none is named `php-fpm`", "fastcgi_pass php:9000;"],
        &["proxy_pass $app_upstream"],
    );
}

#[test]
fn grpc_sites_are_checked_with_grpcurl() {
    let paste = "2024/09/12 16:40:02 [error] 2231#2231: *884 connect() failed (111: Connection refused) while connecting to upstream, client: 10.20.0.4, server: grpc.example.net, request: \"POST /inv.v1.Inv/Get HTTP/2.0\", upstream: \"grpc://127.0.0.1:50051\", host: \"grpc.example.net:443\"\n";
    check(
        paste,
        "upstream_down",
        &["grpcurl -insecure -authority grpc.example.net 127.0.0.1:443 list"],
        &["curl -sS"],
    );
}

#[test]
fn ingress_sites_are_checked_by_name_and_pods_by_kubectl() {
    let paste = "$ kubectl -n ingress-nginx logs ingress-nginx-controller-6c7b9d5f8-tq2zk --tail 1\n2024/11/26 11:40:10 [error] 40#40: *77120 upstream timed out (110: Operation timed out) while reading response header from upstream, client: 10.244.0.1, server: shop.example.com, request: \"POST /pay HTTP/1.1\", upstream: \"http://10.244.2.31:8000/pay\", host: \"shop.example.com\"\n";
    check(
        paste,
        "upstream_timeout",
        &[
            "https://shop.example.com/pay",
            "kubectl get pods -A -o wide | grep -F '10.244.2.31'",
        ],
        &["journalctl", "http://127.0.0.1/pay"],
    );
}

const INGRESS_TIMEOUT: &str = "2024/10/30 14:02:51 [error] 412#412: *18 upstream timed out (110: Operation timed out) while reading response header from upstream, client: 10.12.4.19, server: api.shop.example, request: \"GET /export HTTP/2.0\", upstream: \"http://10.12.7.88:8080/export\", host: \"api.shop.example\"\n";

#[test]
fn ingress_annotations_name_the_pasted_ingress_and_namespace() {
    // `kubectl get ingress -A`: the row whose HOSTS has the host, with its namespace.
    let all = format!(
        "$ kubectl get ingress -A\nNAMESPACE   NAME       CLASS   HOSTS              ADDRESS       PORTS     AGE\nshop        shop-web   nginx   www.shop.example   192.0.2.10    80, 443   5d\nshop-api    api        nginx   api.shop.example   192.0.2.10    80, 443   5d\n\n$ kubectl logs -n ingress-nginx deploy/ingress-nginx-controller\n{INGRESS_TIMEOUT}"
    );
    check(
        &all,
        "upstream_timeout",
        &["kubectl annotate ingress api -n shop-api --overwrite"],
        &[
            "{ingress}",
            "-n {namespace} --overwrite",
            "kubectl get ingress -A |",
        ],
    );
    // No ingress table: the `-n` of the app's pasted kubectl command.
    let ns = format!(
        "$ kubectl logs -n checkout deploy/api --tail 5\nINFO:     10.12.4.19:5012 - \"GET /export HTTP/1.1\" 200 OK\n$ kubectl logs -n ingress-nginx deploy/ingress-nginx-controller\n{INGRESS_TIMEOUT}"
    );
    check(
        &ns,
        "upstream_timeout",
        &[
            "kubectl annotate ingress {ingress} -n checkout",
            "kubectl logs -n checkout",
        ],
        &["-n {namespace}"],
    );
}

#[test]
fn nginx_proxy_manager_fixes_are_made_in_its_proxy_host_settings() {
    // Its error log path names it; the forward address is 127.0.0.1.
    let loopback = "cat /data/logs/proxy-host-2_error.log\n2024/05/11 21:03:44 [error] 281#281: *19 connect() failed (111: Connection refused) while connecting to upstream, client: 192.168.1.15, server: media.example.org, request: \"GET / HTTP/2.0\", upstream: \"http://127.0.0.1:8096/\", host: \"media.example.org\"\n";
    check(
        loopback,
        "container_loopback",
        &[
            "Nginx Proxy Manager: Hosts → Proxy Hosts → media.example.org",
            "Forward Hostname / IP",
        ],
        &["/etc/nginx", "sed -i", "nginx -s reload", "proxy_pass"],
    );
    // Only its generated config (lines cut before `upstream:`): the
    // address comes from `set $server` / `set $port`.
    let config = "[error] 302#302: *1182 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.23, server: wiki.example.org, request: \"GET / HTTP/2.0\"\n\nserver {\n  set $forward_scheme http;\n  set $server \"10.0.0.5\";\n  set $port 3002;\n  listen 80;\n  server_name wiki.example.org;\n  location / {\n    include conf.d/include/proxy.conf;\n  }\n}\n";
    check(
        config,
        "upstream_down",
        &["10.0.0.5:3002", "Forward Port: 3002", "docker exec"],
        &["systemctl enable", "/etc/nginx"],
    );
}

const REFUSED_8080: &str = "2024/11/26 21:14:03 [error] 1187#1187: *41 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.9, server: app.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"app.example.com\"\n";

#[test]
fn plain_docker_run_gets_docker_commands_not_compose() {
    let paste = format!(
        "docker run -d -p 8080:3000 --name webapp example/webapp:1\n\n{REFUSED_8080}\n$ docker ps -a\nCONTAINER ID   IMAGE              COMMAND                  CREATED       STATUS                     PORTS     NAMES\n3f9c0e1d2a7b   example/webapp:1   \"docker-entrypoint.s…\"   3 days ago    Exited (1) 2 hours ago               webapp\n"
    );
    check(
        &paste,
        "upstream_down",
        &["docker start webapp", "docker logs --tail 100 webapp"],
        &["docker compose"],
    );
}

#[test]
fn compose_named_containers_keep_compose_commands() {
    // Same paste, but the container is named as compose names them.
    let paste = format!(
        "{REFUSED_8080}\n$ docker ps -a\nCONTAINER ID   IMAGE              COMMAND                  CREATED       STATUS                     PORTS     NAMES\n3f9c0e1d2a7b   example/webapp:1   \"docker-entrypoint.s…\"   3 days ago    Exited (1) 2 hours ago               shop-webapp-1\n"
    );
    check(
        &paste,
        "upstream_down",
        &["docker compose up -d webapp"],
        &["docker start"],
    );
}

#[test]
fn a_compose_command_outweighs_a_docker_run() {
    // `docker run` for a one-off next to `docker compose logs`: compose runs the app.
    let paste = format!(
        "$ docker run --rm curlimages/curl -sI http://host.docker.internal:8080\n$ docker compose logs --tail 5 webapp\nwebapp-1  | Error: Cannot find module '/app/server.js'\n\n{REFUSED_8080}\n$ docker ps -a\nCONTAINER ID   IMAGE              COMMAND                  CREATED       STATUS                     PORTS     NAMES\n3f9c0e1d2a7b   example/webapp:1   \"docker-entrypoint.s…\"   3 days ago    Exited (1) 2 hours ago               webapp\n"
    );
    check(
        &paste,
        "upstream_down",
        &["docker compose"],
        &["docker start webapp"],
    );
}

#[test]
fn kubectl_describe_ingress_fills_ingress_namespace_and_service() {
    let paste = "$ kubectl describe ingress billing\nName:             billing\nNamespace:        payments\nIngress Class:    nginx\nRules:\n  Host               Path  Backends\n  ----               ----  --------\n  pay.example.com\n                     /api  billing-svc:8080 (10.1.2.3:8080)\nAnnotations:        <none>\nEvents:             <none>\n\n2024/11/26 14:02:31 [error] 812#812: *40211 upstream timed out (110: Operation timed out) while reading response header from upstream, client: 10.0.0.3, server: pay.example.com, request: \"GET /api/x HTTP/1.1\", upstream: \"http://10.1.2.3:8080/api/x\", host: \"pay.example.com\"\n";
    check(
        paste,
        "upstream_timeout",
        &[
            "kubectl annotate ingress billing -n payments",
            "svc/billing-svc",
        ],
        &["{ingress}", "{namespace}"],
    );
}

#[test]
fn plesk_timeouts_go_to_its_panel_directives() {
    let line = "2024/11/27 03:12:40 [error] 911#0: *30121 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.4, server: shop.example.com, request: \"POST /export HTTP/2.0\", upstream: \"https://127.0.0.1:7081/export\", host: \"shop.example.com\"\n";
    check(
        &format!("tail /var/www/vhosts/system/shop.example.com/logs/proxy_error_log\n{line}"),
        "upstream_timeout",
        &["Additional nginx directives", "proxy_read_timeout 300s;"],
        &["systemctl reload nginx"],
    );
    // Without Plesk: the location itself, then a reload.
    check(
        line,
        "upstream_timeout",
        &["systemctl reload nginx"],
        &["Plesk"],
    );
}

/// A config whose file the paste names: `cat FILE` is the file from its
/// first line, so the fix edits that line of that file; a caption (`# FILE`,
/// `FILE:`, "Here is my FILE:") may be a part of it, so the fix names the
/// file and the paste's line.
#[test]
fn a_config_named_by_its_file_gets_a_fix_in_that_file() {
    let rest = "\n\
        server {\n\
            listen 80;\n\
            server_name shop.example.com;\n\
            location / {\n\
                proxy_pass http://127.0.0.1:3000;\n\
            }\n\
        }\n\
        2024/05/14 09:12:01 [error] 1234#1234: *101 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:3000/\", host: \"shop.example.com\"\n\
        $ sudo ss -tlnp\n\
        LISTEN 0      511        127.0.0.1:8080       0.0.0.0:*     users:((\"node\",pid=2201,fd=19))\n";
    let file = "/etc/nginx/sites-available/shop";
    check(
        &format!("$ cat {file}{rest}"),
        "wrong_port",
        &[&format!(
            "sudo sed -i --follow-symlinks '5s#127\\.0\\.0\\.1:3000#127.0.0.1:8080#' {file}"
        )],
        &["of the paste"],
    );
    for head in [
        format!("# {file}"),
        format!("{file}:"),
        format!("Here is my {file}:"),
    ] {
        check(
            &format!("{head}{rest}"),
            "wrong_port",
            &[&format!("# at {file} (line 6 of the paste), replace")],
            &["sed -i"],
        );
    }
    // Without a name: the paste's line only.
    check(
        &format!("My config:{rest}"),
        "wrong_port",
        &["# at line 6 of the paste, replace"],
        &[file],
    );
}

/// SELinux: a denied TCP connect (`tcp_socket`) is the boolean's; only a
/// unix socket's denial gets its directory labelled, the directory named.
#[test]
fn selinux_labels_a_socket_directory_only_for_a_socket() {
    let tcp = "type=AVC msg=audit(1700000000.123:456): avc:  denied  { name_connect } for  pid=1234 comm=\"nginx\" dest=8080 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:http_cache_port_t:s0 tclass=tcp_socket permissive=0\n\
        2023/11/14 22:13:20 [crit] 1234#0: *1 connect() to 127.0.0.1:8080 failed (13: Permission denied) while connecting to upstream, client: 10.0.0.1, server: app.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"app.example.com\"\n";
    check(
        tcp,
        "selinux_denied",
        &["setsebool -P httpd_can_network_connect 1"],
        &["semanage fcontext", "{service}"],
    );
    let sock = "type=AVC msg=audit(1700000000.123:457): avc:  denied  { write } for  pid=1234 comm=\"nginx\" name=\"app.sock\" dev=\"tmpfs\" ino=4242 scontext=system_u:system_r:httpd_t:s0 tcontext=system_u:object_r:var_run_t:s0 tclass=sock_file permissive=0\n\
        2023/11/14 22:13:20 [crit] 1234#0: *1 connect() to unix:/run/gunicorn/app.sock failed (13: Permission denied) while connecting to upstream, client: 10.0.0.1, server: app.example.com, request: \"GET / HTTP/1.1\", upstream: \"http://unix:/run/gunicorn/app.sock:/\", host: \"app.example.com\"\n";
    check(
        sock,
        "selinux_denied",
        &["semanage fcontext -a -t httpd_var_run_t '/run/gunicorn(/.*)?' && sudo restorecon -Rv /run/gunicorn"],
        &["{service}"],
    );
}

/// A unit that failed on its own config: the line its last error names is
/// shown, from the file it names.
#[test]
fn a_unit_that_refused_its_config_gets_the_line_shown() {
    let status = "$ sudo systemctl status php8.2-fpm\n\
        × php8.2-fpm.service - The PHP 8.2 FastCGI Process Manager\n\
        \x20    Loaded: loaded (/lib/systemd/system/php8.2-fpm.service; enabled; preset: enabled)\n\
        \x20    Active: failed (Result: exit-code) since Wed 2024-11-27 09:58:12 UTC; 2min ago\n\
        \x20  Main PID: 4411 (code=exited, status=78)\n\
        Nov 27 09:58:12 web php-fpm8.2[4411]: [27-Nov-2024 09:58:12] ERROR: [/etc/php/8.2/fpm/pool.d/www.conf:23] value is NULL for a ZEND_INI_PARSER_ENTRY\n\
        Nov 27 09:58:12 web php-fpm8.2[4411]: [27-Nov-2024 09:58:12] ERROR: FPM initialization failed\n\
        Nov 27 09:58:12 web systemd[1]: php8.2-fpm.service: Failed with result 'exit-code'.\n";
    check(
        status,
        "systemd_unit_failed",
        &[
            "sudo sed -n '21,25p' /etc/php/8.2/fpm/pool.d/www.conf",
            "sudo php-fpm8.2 -t",
        ],
        &[],
    );
}

/// A close in the middle of the body (`while reading upstream`) is a cut
/// response under the status already sent, not a 502.
#[test]
fn a_close_mid_body_is_a_truncated_response_not_a_502() {
    let line = |phase: &str| {
        format!("2024/03/08 14:02:11 [error] 2210#2210: *881 upstream prematurely closed connection while {phase}, client: 198.51.100.77, server: reports.example.com, request: \"GET /export.csv HTTP/1.1\", upstream: \"http://127.0.0.1:8000/export.csv\", host: \"reports.example.com\"\n")
    };
    let r = analyze_str(&line("reading upstream"));
    let c = cause(&r, "upstream_closed_early");
    assert!(
        c.title.contains("in the middle of its response"),
        "{}",
        c.title
    );
    assert_eq!(c.status, None);
    assert!(c.summary.contains("truncated"), "{}", c.summary);
    let r = analyze_str(&line("reading response header from upstream"));
    let c = cause(&r, "upstream_closed_early");
    assert!(c.title.contains("before answering"), "{}", c.title);
    assert_eq!(c.status, Some(502));
}

/// The timeout fix says where the pass is: in the captioned file.
#[test]
fn a_timeout_fix_names_the_captioned_file_of_the_location() {
    let paste = "### /etc/nginx/conf.d/reports.conf\n\
        ```nginx\n\
        server {\n\
            listen 80;\n\
            location /api/ {\n\
                proxy_pass http://127.0.0.1:8081;\n\
            }\n\
        }\n\
        ```\n\
        2024/05/21 16:42:10 [error] 3312#3312: *90210 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 192.0.2.80, server: reports.example.org, request: \"POST /api/export/all HTTP/1.1\", upstream: \"http://127.0.0.1:8081/api/export/all\", host: \"reports.example.org\"\n";
    check(
        paste,
        "upstream_timeout",
        &["# in `location /api/` (/etc/nginx/conf.d/reports.conf, line 6 of the paste), next to `proxy_pass http://127.0.0.1:8081;`:"],
        &[],
    );
}

/// `grep -rn` output names the file and line of each directive: the fix
/// edits that line of that file.
#[test]
fn a_grep_n_line_gives_the_fix_its_file_and_line() {
    let paste = "$ sudo grep -rn fastcgi_pass /etc/nginx/\n\
        /etc/nginx/sites-enabled/blog.conf:23:        fastcgi_pass unix:/run/php/php7.4-fpm.sock;\n\
        /etc/nginx/snippets/fastcgi-php.conf:5:#fastcgi_pass 127.0.0.1:9000;\n\
        \n\
        2024/11/27 09:05:12 [crit] 812#812: *31 connect() to unix:/run/php/php7.4-fpm.sock failed (2: No such file or directory) while connecting to upstream, client: 203.0.113.5, server: blog.example.com, request: \"GET / HTTP/2.0\", upstream: \"fastcgi://unix:/run/php/php7.4-fpm.sock:\", host: \"blog.example.com\"\n\
        $ ls /run/php/\n\
        php8.2-fpm.pid  php8.2-fpm.sock\n";
    check(
        paste,
        "wrong_port",
        &["sudo sed -i --follow-symlinks '23s#unix:/run/php/php7\\.4-fpm\\.sock#unix:/run/php/php8.2-fpm.sock#' /etc/nginx/sites-enabled/blog.conf"],
        &["in that file"],
    );
}
