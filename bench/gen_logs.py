#!/usr/bin/env python3
"""Generate a realistic large nginx log for benchmarks: error.log lines of
many kinds (refused, timeouts, resets, premature close, socket errors,
notices, client-side noise) across many upstreams and servers with real
timestamps, mixed with access-log lines (combined + timing format).

Deterministic (seeded), streaming (constant memory).
usage: gen_logs.py SIZE_MB [--seed N] > out.log
"""
import random
import sys

def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(0 if args else 2)
    try:
        target = int(float(args[0]) * 1024 * 1024)
        seed = int(args[args.index("--seed") + 1]) if "--seed" in args else 42
    except (ValueError, IndexError):
        print(f"gen_logs.py: expected a size in MiB and optionally --seed N, got {' '.join(args)!r}\n", file=sys.stderr)
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    if target <= 0:
        print("gen_logs.py: the size must be more than 0 MiB", file=sys.stderr)
        sys.exit(2)
    rnd = random.Random(seed)
    upstreams = [f"http://10.0.{i // 8}.{i % 8 + 10}:{8000 + i % 5}" for i in range(40)] + [
        "http://127.0.0.1:3000", "http://[::1]:3000", "fastcgi://unix:/run/php/php8.1-fpm.sock:",
        "fastcgi://127.0.0.1:9000", "http://unix:/run/gunicorn/app.sock:", "http://backend"]
    servers = [f"site{i}.example.com" for i in range(25)]
    paths = ["/", "/api/users", "/api/orders/1234", "/login", "/wp-admin/admin-ajax.php", "/static/app.js",
             "/reports/export?year=2023", "/graphql", "/health", "/index.php"]
    errors = [
        ("error", "connect() failed (111: Connection refused) while connecting to upstream", 30),
        ("error", "upstream timed out (110: Connection timed out) while reading response header from upstream", 20),
        ("error", "upstream prematurely closed connection while reading response header from upstream", 10),
        ("error", "recv() failed (104: Connection reset by peer) while reading response header from upstream", 8),
        ("crit", "connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream", 5),
        ("error", "upstream sent too big header while reading response header from upstream", 3),
        ("error", "no live upstreams while connecting to upstream", 3),
        ("warn", "upstream server temporarily disabled while connecting to upstream", 4),
        ("info", "client closed connection while waiting for request", 10),
        ("notice", "signal process started", 1),
        ("error", 'open() "/var/www/html/favicon.ico" failed (2: No such file or directory)', 6),
    ]
    weights = [e[2] for e in errors]
    out = sys.stdout
    written = 0
    t = 1_700_000_000
    buf = []
    while written < target:
        t += rnd.randint(0, 2)
        tm = __import__("time").gmtime(t)
        ip = f"{rnd.randint(1, 223)}.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}"
        srv = rnd.choice(servers)
        path = rnd.choice(paths)
        if rnd.random() < 0.55:
            lvl, msg, _ = rnd.choices(errors, weights)[0]
            up = rnd.choice(upstreams)
            stamp = f"{tm.tm_year:04}/{tm.tm_mon:02}/{tm.tm_mday:02} {tm.tm_hour:02}:{tm.tm_min:02}:{tm.tm_sec:02}"
            pid = 1200 + rnd.randint(0, 3)
            if "while" in msg and "client closed" not in msg:
                uri = "" if up.startswith("fastcgi") else path
                line = (f'{stamp} [{lvl}] {pid}#{pid}: *{rnd.randint(1, 9_999_999)} {msg}, client: {ip}, server: {srv}, '
                        f'request: "GET {path} HTTP/1.1", upstream: "{up}{uri}", host: "{srv}"\n')
            else:
                line = f"{stamp} [{lvl}] {pid}#{pid}: *{rnd.randint(1, 9_999_999)} {msg}, client: {ip}, server: {srv}\n"
        else:
            months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
            stamp = f"{tm.tm_mday:02}/{months[tm.tm_mon - 1]}/{tm.tm_year}:{tm.tm_hour:02}:{tm.tm_min:02}:{tm.tm_sec:02} +0000"
            status = rnd.choices([200, 301, 404, 499, 502, 504], [70, 5, 8, 2, 10, 5])[0]
            rt = f"{rnd.random() * (60 if status == 504 else 1):.3f}"
            line = (f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} {rnd.randint(100, 90000)} "-" '
                    f'"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36" rt={rt} ua="{rnd.choice(upstreams)[7:]}" '
                    f'us="{status}" urt="{rt}"\n')
        buf.append(line)
        written += len(line)
        if len(buf) >= 4096:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))

if __name__ == "__main__":
    main()
