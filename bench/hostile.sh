#!/usr/bin/env bash
# Hostile pastes through the release CLI: prints a Markdown table
#   input | size | exit | outcome | wall s | CPU s | peak RSS MB
# for the closing note of the reliability issue. Times are printed, never
# asserted (the tests bound the work structurally instead).
#
#   bench/hostile.sh            # builds with --release unless BIN is set
#   BIN=target/release/upstream-doctor bench/hostile.sh
#
# Inputs are generated into $HOSTILE_DIR (default bench/out/hostile,
# git-ignored) once and reused.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
dir=${HOSTILE_DIR:-$root/bench/out/hostile}
mkdir -p "$dir"

if [[ -z ${BIN:-} ]]; then
    cargo build --quiet --release -p upstream-doctor
    BIN="${CARGO_TARGET_DIR:-$root/target}/release/upstream-doctor"
fi
[[ $BIN == /* ]] || BIN="$root/$BIN"

# The inputs, one file each (the same cases as analyzer-core/tests/hostile.rs
# and cli/tests/hostile.rs).
python3 - "$dir" <<'PY'
import os, sys
d = sys.argv[1]
R = ('2024/01/15 10:23:45 [error] 1#1: *1 connect() failed (111: Connection refused) '
     'while connecting to upstream, client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", '
     'upstream: "http://127.0.0.1:3000/", host: "x"')
def w(name, data):
    p = os.path.join(d, name)
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
w("invalid-utf8", (R.replace("GET /", "GET /\xff\xfe") + "\n").encode("latin-1") * 1000)
w("nul-bytes", b"\0" * 65536 + R.encode() + b"\n" + b"\0\0\0\n" * 1000)
w("50mb-single-line", b"a" * (50 << 20) + b"\n" + R.encode() + b"\n")
w("million-tiny-lines", "x\n" * 1_000_000)
w("100k-nested-braces", "# configuration file /etc/nginx/nginx.conf:\n" + "location / {\n" * 100_000
  + "proxy_pass http://127.0.0.1:3000;\n" + R + "\n")
w("100k-braces-one-line", "{" * 100_000 + "\n" + R + "\n")
w("ansi-escapes", ("\x1b]0;pwned\x07\x1b[2J\x1b[31m" + R.replace("GET /", "GET /\x1b[8m") + "\x1b[0m\n") * 1000)
w("bidi-zero-width", (R.replace("GET /", "GET /admin\u202efdp.exe\u2066\u200b\ufeff") + "\n") * 1000)
w("html-js-request-ua-host", (R.replace("GET /", "GET /<img src=x onerror=alert(1)>")
   .replace('host: "x"', 'host: "javascript:alert(1)//<b>"') + "\n"
   + '1.2.3.4 - - [15/Jan/2024:10:23:45 +0000] "GET /<script>alert(1)</script> HTTP/1.1" 502 157 '
     '"javascript:alert(document.cookie)" "<svg onload=alert(1)>"\n') * 1000)
w("javascript-urls-in-config", "# configuration file /etc/nginx/nginx.conf:\nserver {\n  server_name <script>x</script>;\n"
  "  location / { proxy_pass javascript:alert(1); }\n  location /b { proxy_pass http://<img>:80; }\n}\n" * 200 + R + "\n")
x = 0x9E3779B97F4A7C15
buf = bytearray()
for _ in range(1 << 20):
    x ^= (x << 13) & 0xFFFFFFFFFFFFFFFF; x ^= x >> 7; x ^= (x << 17) & 0xFFFFFFFFFFFFFFFF
    buf.append((x >> 24) & 0xFF)
w("random-1mb", bytes(buf))
PY

have_time=0
[[ -x /usr/bin/time ]] && have_time=1

echo "| input | size | exit | outcome | wall s | CPU s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for f in invalid-utf8 nul-bytes 50mb-single-line million-tiny-lines 100k-nested-braces \
    100k-braces-one-line ansi-escapes bidi-zero-width html-js-request-ua-host \
    javascript-urls-in-config random-1mb; do
    p=$dir/$f
    size=$(stat -c %s "$p")
    human=$(awk -v b="$size" 'BEGIN { if (b >= 1048576) printf "%.1f MB", b / 1048576; else printf "%.0f KB", b / 1024 }')
    start=$EPOCHREALTIME
    rc=0
    if ((have_time)); then
        /usr/bin/time -f '%U %S %M' -o "$dir/$f.time" "$BIN" --json "$p" >"$dir/$f.json" 2>"$dir/$f.err" || rc=$?
    else
        "$BIN" --json "$p" >"$dir/$f.json" 2>"$dir/$f.err" || rc=$?
    fi
    end=$EPOCHREALTIME
    wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
    cpu="-"
    rss="-"
    if ((have_time)); then
        read -r u s m <"$dir/$f.time"
        cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
        rss=$(awk -v m="$m" 'BEGIN { printf "%.0f", m / 1024 }')
    fi
    if ((rc == 0)); then
        outcome=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
c = r.get("causes") or []
top = c[0]["id"] if c else "no cause"
w = len(r.get("warnings") or [])
print(f"report, rank 1: {top}, {w} warning(s)")' "$dir/$f.json")
    else
        outcome="error: $(head -c 120 "$dir/$f.err" | tr '\n' ' ')"
        grep -q panicked "$dir/$f.err" && outcome="PANIC: $outcome"
    fi
    echo "| \`$f\` | $human | $rc | $outcome | $wall | $cpu | $rss |"
done
