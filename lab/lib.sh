#!/usr/bin/env bash
# Runs ONE lab scenario for real: usage  bash lab/lib.sh SCENARIO TMPDIR OUTDIR
#                    (bash lab/lib.sh --meta SCENARIO prints EXPECT, SKIP, DESC
#                     separated by \x1f, and runs nothing)
#
# Called by lab/run.sh (under `timeout`). Sources lab/scenarios/SCENARIO.sh,
# writes an nginx config (and a php-fpm pool when asked) under TMPDIR, starts
# the backend and nginx in their own process groups, sends the requests,
# captures what a person would paste into OUTDIR (one file per command, each
# starting with its `$ command` prompt line, plus paste.txt joining them) and
# stops every process it started (trap EXIT; run.sh kills leftovers listed in
# TMPDIR/pids as well).
#
# Placeholders in scenario strings:
#   @PORT@  nginx's listen port      @BPORT@  the port nginx is told to use
#   @APORT@ another free port        @XPORT@  one more free port (kept closed)
#   @T@     the scenario's temp dir  @LAB@    this lab directory
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NGINX=${NGINX:-/usr/sbin/nginx}
PHP_FPM=${PHP_FPM:-/usr/sbin/php-fpm8.2}
# the interpreter itself (run.sh exports it): version-manager shims such as
# pyenv's cost a second per start
PYTHON=${PYTHON:-python3}

META=0
if [[ ${1:-} == --meta ]]; then
    META=1
    shift
fi
NAME=${1:?scenario name}

# ---- scenario defaults (a scenario file overrides what it needs) ----------
DESC=""
EXPECT=""
SKIP=""
NGINX_USER="www-data"
MAIN_EXTRA=""                      # top-level nginx.conf lines
EVENTS="worker_connections 768;"   # body of events {}
HTTP_EXTRA=""                      # http {} lines before the site include
SERVER=""                          # body of the site's server {} after listen/server_name
SERVER_NAME="app.lab.test"
BACKEND=""                         # command line (placeholders allowed); empty: none
BACKEND_LOG="@T@/log/app.log"      # where the backend's stdout/stderr go
BACKEND_ENV=""                     # VAR=value words for the backend
BACKEND_READY=""                   # tcp:PORT or unix:PATH to wait for
BACKEND_MEMORY_LIMIT=""            # bytes: run the backend in a memory cgroup (v1) with this limit
FPM_POOL=""                        # pool file body; written to the Debian-like path
FPM_START=0                        # 1: run php-fpm with that pool
LOGS=""                            # backend log files to paste (tail)
REQUESTS=3                         # visible, sequential requests
PARALLEL=0                         # background requests started first
URL_PATH="/"
MAX_TIME=10                        # curl --max-time
SETTLE=0.5                         # seconds to wait before capturing
CAPTURE=""                         # extra captures: ls ps pool hosts
HOSTS_V6=0                         # 1: nginx/backend see a Debian-default /etc/hosts
hook_setup() { :; }
hook_after_requests() { :; }

# shellcheck source=/dev/null
source "$LAB/scenarios/$NAME.sh"

if ((META)); then
    printf '%s\x1f%s\x1f%s\n' "$EXPECT" "$SKIP" "$DESC"
    exit 0
fi
T=${2:?temp dir}
OUT=${3:?output dir}

subst() {
    local s=$1
    s=${s//@PORT@/$PORT}
    s=${s//@BPORT@/$BPORT}
    s=${s//@APORT@/$APORT}
    s=${s//@XPORT@/$XPORT}
    s=${s//@T@/$T}
    s=${s//@LAB@/$LAB}
    printf '%s\n' "$s"
}

# Four distinct free loopback ports, chosen by the kernel.
read -r PORT BPORT APORT XPORT < <("$PYTHON" -c '
import socket
socks = []
for _ in range(4):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(*(s.getsockname()[1] for s in socks))
')

: >"$T/pids"
PIDS=()

stop_all() {
    local pid i
    for pid in "${PIDS[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    # wait (up to 3 s) until no live (non-zombie) process is left in the groups
    for ((i = 0; i < 30; i++)); do
        ps -e -o pgid=,stat= | awk -v groups=" ${PIDS[*]} " '
            index(groups, " " $1 " ") && $2 !~ /^Z/ { found = 1 }
            END { exit !found }' || break
        sleep 0.1
    done
    for pid in "${PIDS[@]}"; do
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    if [[ -n ${MEMCG:-} && -d $MEMCG ]]; then
        for ((i = 0; i < 20; i++)); do
            rmdir "$MEMCG" 2>/dev/null && break
            sleep 0.1
        done
    fi
}
trap stop_all EXIT
trap 'exit 143' TERM INT

# start_bg LOGFILE CMD...: run CMD in its own session/process group.
start_bg() {
    local logfile=$1
    shift
    setsid "$@" >"$logfile" 2>&1 </dev/null &
    PIDS+=("$!")
    echo "$!" >>"$T/pids"
}

wait_ready() { # tcp:PORT | unix:PATH, up to 10 s, while the last started process lives
    local what=$1 i
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "${PIDS[-1]}" 2>/dev/null; then
            echo "lab: $NAME: process ${PIDS[-1]} exited before $what came up" >&2
            return 1
        fi
        case $what in
            tcp:*) ss -Htln "sport = :${what#tcp:}" | grep -q . && return 0 ;;
            unix:*) [[ -S ${what#unix:} ]] && return 0 ;;
        esac
        sleep 0.1
    done
    echo "lab: $NAME: $what never came up" >&2
    return 1
}

# In HOSTS_V6 scenarios the processes run in a private mount namespace whose
# /etc/hosts is Debian's default (127.0.0.1 and ::1 both named localhost);
# the real /etc/hosts is never touched.
HOSTS_FILE="$T/etc/hosts"
ns=()
if ((HOSTS_V6)); then
    # shellcheck disable=SC2016 # $0/$@ belong to the inner sh
    ns=(unshare --mount --propagation private
        sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$HOSTS_FILE")
fi

# ---- layout -----------------------------------------------------------------
chmod 755 "$T"
mkdir -p "$T/etc/nginx/sites-enabled" "$T/nginx/tmp" "$T/log/nginx" \
    "$T/run/php" "$T/etc/php/8.2/fpm/pool.d" "$T/www" "$T/etc" "$OUT"
# nginx's stock files next to our nginx.conf, so relative includes work as on Debian
cp -r /etc/nginx/mime.types /etc/nginx/fastcgi.conf /etc/nginx/fastcgi_params \
    /etc/nginx/proxy_params /etc/nginx/snippets "$T/etc/nginx/"
chmod -R a+rX "$T"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$HOSTS_FILE"
cat >"$T/www/index.php" <<'EOF'
<?php
echo "hello from php-fpm\n";
EOF
cat >"$T/www/slow.php" <<'EOF'
<?php
// a slow page: report generation, a remote API...
sleep(2);
echo "done\n";
EOF
chmod a+r "$T/www"/*.php

DMESG_START=$(dmesg 2>/dev/null | wc -l || echo 0)
hook_setup

NGINX_CONF="$T/etc/nginx/nginx.conf"
{
    echo "user $NGINX_USER;"
    echo "worker_processes 1;"
    echo "pid $T/run/nginx.pid;"
    echo "error_log $T/log/nginx/error.log info;"
    [[ -n $MAIN_EXTRA ]] && subst "$MAIN_EXTRA"
    echo ""
    echo "events {"
    echo "    $EVENTS"
    echo "}"
    echo ""
    echo "http {"
    echo "    include mime.types;"
    echo "    default_type application/octet-stream;"
    echo "    sendfile on;"
    echo "    keepalive_timeout 65;"
    echo ""
    echo "    log_format timing '\$remote_addr - \$remote_user [\$time_local] \"\$request\" '"
    echo "                      '\$status \$body_bytes_sent \"\$http_referer\" \"\$http_user_agent\" '"
    echo "                      'rt=\$request_time uct=\$upstream_connect_time '"
    echo "                      'urt=\$upstream_response_time ua=\$upstream_addr us=\$upstream_status';"
    echo "    access_log $T/log/nginx/access.log timing;"
    echo ""
    echo "    client_body_temp_path $T/nginx/tmp/body;"
    echo "    proxy_temp_path $T/nginx/tmp/proxy;"
    echo "    fastcgi_temp_path $T/nginx/tmp/fastcgi;"
    echo "    uwsgi_temp_path $T/nginx/tmp/uwsgi;"
    echo "    scgi_temp_path $T/nginx/tmp/scgi;"
    [[ -n $HTTP_EXTRA ]] && subst "$HTTP_EXTRA"
    echo ""
    echo "    include $T/etc/nginx/sites-enabled/*;"
    echo "}"
} >"$NGINX_CONF"
{
    echo "server {"
    echo "    listen 127.0.0.1:$PORT;"
    echo "    server_name $SERVER_NAME;"
    echo "    root $T/www;"
    echo "    index index.php index.html;"
    subst "$SERVER"
    echo "}"
} >"$T/etc/nginx/sites-enabled/$NAME"

POOL_FILE="$T/etc/php/8.2/fpm/pool.d/www.conf"
FPM_CONF="$T/etc/php/8.2/fpm/php-fpm.conf"
FPM_LOG="$T/log/php8.2-fpm.log"
if [[ -n $FPM_POOL ]]; then
    subst "$FPM_POOL" >"$POOL_FILE"
    cat >"$FPM_CONF" <<EOF
[global]
pid = $T/run/php/php8.2-fpm.pid
error_log = $FPM_LOG
include = $T/etc/php/8.2/fpm/pool.d/*.conf
EOF
fi

# ---- start ------------------------------------------------------------------
if ((FPM_START)); then
    start_bg "$T/log/php-fpm.stdout" "$PHP_FPM" --nodaemonize --fpm-config "$FPM_CONF"
fi

memcg=()
if [[ -n $BACKEND_MEMORY_LIMIT ]]; then
    # A memory cgroup of its own: the kernel OOM-kills the backend inside it,
    # the rest of the box is not affected. Removed again by stop_all.
    MEMCG=/sys/fs/cgroup/memory/upstream-lab-${T##*.}
    mkdir "$MEMCG"
    echo "$MEMCG" >"$T/memcg"
    echo "$BACKEND_MEMORY_LIMIT" >"$MEMCG/memory.limit_in_bytes"
    # shellcheck disable=SC2016 # $0/$@ belong to the inner sh
    memcg=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$MEMCG")
fi

if [[ -n $BACKEND ]]; then
    read -ra backend_cmd <<<"$(subst "$BACKEND")"
    if [[ ${backend_cmd[0]} == python3 ]]; then backend_cmd[0]=$PYTHON; fi
    read -ra backend_env <<<"$(subst "$BACKEND_ENV")"
    start_bg "$(subst "$BACKEND_LOG")" "${ns[@]}" "${memcg[@]}" \
        env -C "$LAB/backends" "${backend_env[@]}" "${backend_cmd[@]}"
fi
[[ -n $BACKEND_READY ]] && wait_ready "$(subst "$BACKEND_READY")"

start_bg "$T/log/nginx.stderr" "${ns[@]}" "$NGINX" -c "$NGINX_CONF" -p "$T" \
    -e "$T/log/nginx/error.log" -g 'daemon off;'
wait_ready "tcp:$PORT"
NGINX_MASTER=${PIDS[-1]}

# ---- requests ---------------------------------------------------------------
URL="http://127.0.0.1:$PORT$URL_PATH"
bg=()
for ((i = 0; i < PARALLEL; i++)); do
    curl -sS -o /dev/null --max-time "$MAX_TIME" -H "Host: $SERVER_NAME" "$URL" >/dev/null 2>&1 &
    bg+=("$!")
done
((PARALLEL > 0)) && sleep 0.5
for ((i = 1; i <= REQUESTS; i++)); do
    {
        printf '$ curl -sS -o /dev/null -D - --max-time %s -H "Host: %s" %s\n' "$MAX_TIME" "$SERVER_NAME" "$URL"
        curl -sS -o /dev/null -D - --max-time "$MAX_TIME" -H "Host: $SERVER_NAME" "$URL" 2>&1 | tr -d '\r' || true
    } >"$OUT/curl.txt"
    sleep 0.2
done
for pid in "${bg[@]}"; do wait "$pid" || true; done
hook_after_requests
sleep "$SETTLE"

# ---- capture ------------------------------------------------------------------
# cap FILE PROMPT CMD...: FILE gets "$ PROMPT" and CMD's output (as pasted).
cap() {
    local file=$1 prompt=$2
    shift 2
    {
        printf '$ %s\n' "$prompt"
        "$@" 2>&1 | tr -d '\r' || true
    } >"$OUT/$file"
}

ss_pattern="Netid|:($PORT|$BPORT|$APORT|$XPORT)[[:space:]]|$T"
files=(curl.txt)
cap error.log "sudo tail -n 40 $T/log/nginx/error.log" tail -n 40 "$T/log/nginx/error.log"
cap access.log "sudo tail -n 10 $T/log/nginx/access.log" tail -n 10 "$T/log/nginx/access.log"
cap nginx-v.txt "nginx -v" "$NGINX" -v
cap nginx-T.txt "sudo nginx -T -c $NGINX_CONF -p $T" "${ns[@]}" "$NGINX" -T -c "$NGINX_CONF" -p "$T" -e "$T/log/nginx/error.log"
ss_filtered() { ss -tlnpx | grep -E "$ss_pattern"; }
cap ss.txt "sudo ss -tlnpx | grep -E '$ss_pattern'" ss_filtered
files+=(error.log access.log nginx-v.txt nginx-T.txt ss.txt)
for c in $CAPTURE; do
    case $c in
        ls)
            cap ls.txt "ls -la $T/run/php/" ls -la "$T/run/php/"
            files+=(ls.txt) ;;
        ps)
            cap ps.txt "ps -o user,pid,cmd -C nginx" ps -o user,pid,cmd --pid "$NGINX_MASTER" --ppid "$NGINX_MASTER"
            files+=(ps.txt) ;;
        pool)
            cap pool.txt "cat $POOL_FILE" cat "$POOL_FILE"
            files+=(pool.txt) ;;
        hosts)
            cap hosts.txt "cat /etc/hosts" "${ns[@]}" cat /etc/hosts
            files+=(hosts.txt) ;;
        dmesg)
            # only the kernel lines logged since this scenario started
            dmesg_ours() { dmesg -T | tail -n "+$((DMESG_START + 1))" | grep -iE 'oom|killed process'; }
            cap dmesg.txt "sudo dmesg -T | grep -iE 'oom|killed process'" dmesg_ours
            files+=(dmesg.txt) ;;
        *) echo "lab: $NAME: unknown capture $c" >&2; exit 1 ;;
    esac
done
n=0
for f in $(subst "$LOGS"); do
    n=$((n + 1))
    cap "backend-$n.log" "sudo tail -n 20 $f" tail -n 20 "$f"
    files+=("backend-$n.log")
done

{
    first=1
    for f in "${files[@]}"; do
        ((first)) || echo
        first=0
        cat "$OUT/$f"
    done
} >"$OUT/paste.txt"

# ---- the collector --------------------------------------------------------------
# What `sudo sh collector/collect.sh` prints on this box while the scenario
# still runs, as a person would paste it: it must find this nginx (started
# with -c/-p) and php-fpm (--fpm-config) by itself. Bounded in time; run.sh
# diagnoses collector.txt on its own.
if [[ -z ${LAB_NO_COLLECTOR:-} ]]; then
    rc=0
    # The kernel log window starts with this scenario: OOM kills of earlier
    # scenarios (or of anything on this box before) are not this one's.
    UD_SINCE_SECONDS=$((SECONDS + 2)) \
        timeout -k 2 "${COLLECTOR_TIMEOUT:-45}" sh "$LAB/../collector/collect.sh" \
        >"$OUT/collector.txt" 2>"$OUT/collector.err" </dev/null || rc=$?
    if ((rc != 0)); then
        echo "lab: $NAME: collector exited with $rc" >&2
    fi
fi
