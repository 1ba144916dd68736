#!/usr/bin/env bash
# Build the web app and serve it on this machine (README command 1).
#
#   scripts/run.sh            serve on http://127.0.0.1:8080/ (or the next free port)
#   PORT=9000 scripts/run.sh  start looking at port 9000 instead
#
# Installs missing tools first (scripts/bootstrap.sh), builds the release
# wasm into www/pkg (scripts/build-web.sh), then serves www/ with Python's
# static file server, bound to 127.0.0.1 only. Ctrl-C stops it.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/bootstrap.sh

if [[ ! -f scripts/build-web.sh ]]; then
    printf 'run: scripts/build-web.sh is missing: this checkout has no web build yet.\n' >&2
    exit 1
fi
if ! bash scripts/build-web.sh; then
    # build-web.sh starts from an empty www/pkg, so a wasm there now is this
    # build's: a failed check after the build (such as the size budget)
    # should not keep the app from running locally.
    if [[ -f www/pkg/web_ui_bg.wasm && -f www/pkg/web_ui.js ]]; then
        printf 'run: scripts/build-web.sh reported a problem (above), but www/pkg was built: serving it anyway.\n' >&2
    else
        printf 'run: the web build failed (above); fix it, then run scripts/run.sh again.\n' >&2
        exit 1
    fi
fi

port_is_free() {
    python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.close()
PY
}

first=${PORT:-8080}
if ! [[ "$first" =~ ^[0-9]+$ ]] || ((first < 1 || first > 65535)); then
    printf 'run: PORT=%s is not a port number (1-65535).\n' "$first" >&2
    exit 2
fi
port=$first
while ! port_is_free "$port"; do
    port=$((port + 1))
    if ((port > 65535 || port >= first + 100)); then
        printf 'run: no free port between %s and %s; set PORT= to another start.\n' "$first" "$((port - 1))" >&2
        exit 1
    fi
done
if ((port != first)); then
    printf 'run: port %s is busy, using %s\n' "$first" "$port"
fi

url="http://127.0.0.1:${port}/"
printf '\n  Upstream Doctor is running at:  %s\n' "$url"
printf '  (serving www/ on 127.0.0.1 only; press Ctrl-C to stop)\n\n'
exec python3 -m http.server --bind 127.0.0.1 "$port" --directory www
