#!/bin/sh
# Upstream Doctor collector: prints, in one block, everything the diagnosis
# of an nginx 502/504 can use. Paste its whole output into Upstream Doctor.
#
# Read-only: it runs status and listing commands only, writes nothing to
# disk, opens no network connection except a 5-second curl to each local
# (loopback) upstream. Every command is bounded in time and output. A
# missing command is reported, never fatal. Key material, passwords and
# auth tokens found in the config are replaced by "<redacted>".
#
# Run it as root (sudo sh collect.sh) so nginx -T and the logs are readable.
# Works with dash, bash and busybox sh (Debian/Ubuntu, RHEL family, Alpine,
# docker compose hosts).

LINES=${UD_LINES:-200}       # error.log lines per file
ACCESS_LINES=${UD_ACCESS_LINES:-100}
MAXBYTES=${UD_MAXBYTES:-400000}  # per section
ROOT=${UD_ROOT:-}            # file system prefix (tests run against a fake root)
SINCE=${UD_SINCE_SECONDS:-7200}  # kernel log window (OOM kills), seconds

have() { command -v "$1" >/dev/null 2>&1; }

# run CMD...: bounded in time when `timeout` exists, stderr kept, output capped.
run() {
    if have timeout; then
        timeout 10 "$@" 2>&1 | head -c "$MAXBYTES"
    else
        "$@" 2>&1 | head -c "$MAXBYTES"
    fi
}

# Output with the fake root taken off paths (tests); as is on a real system
# (sed "s###g" would be an error there: an empty regex).
unroot() {
    if [ -n "$ROOT" ]; then sed "s#$ROOT##g"; else cat; fi
}

section() {
    printf '\n### upstream-doctor: %s ###\n' "$1"
}

missing() {
    printf '(%s not available: %s)\n' "$1" "$2"
}

# Replace secrets in config text: private keys, passwords, tokens, basic auth.
scrub() {
    awk '
        /-----BEGIN [A-Z ]*PRIVATE KEY-----/ { inkey = 1; print "<redacted private key>"; next }
        inkey { if ($0 ~ /-----END [A-Z ]*PRIVATE KEY-----/) inkey = 0; next }
        {
            line = $0
            low = tolower(line)
            if (low ~ /(password|passwd|secret|token|api[_-]?key|authorization)/ && low !~ /^[ \t]*#/ && low !~ /auth_basic_user_file/) {
                # keep the directive and its first argument (the header or
                # parameter name), drop the value
                match(line, /^[ \t]*/)
                indent = substr(line, 1, RLENGTH)
                n = split(line, f, /[ \t]+/)
                i = (f[1] == "") ? 2 : 1
                if (line ~ /=/ && line !~ /;[ \t]*$/) {
                    sub(/[=:].*$/, "= <redacted>", line)
                } else if (n - i + 1 >= 3) {
                    line = indent f[i] " " f[i + 1] " <redacted>;"
                } else {
                    line = indent f[i] " <redacted>;"
                }
            }
            print line
        }'
}

# Running masters, from `ps` (nginx and php-fpm put their command line in
# their process title). Only root-owned ones are trusted: their command line
# decides which files are read as root, and any user can fake a title.
# masters TITLE-PREFIX: "pid title" per root-owned process whose title
# starts with TITLE-PREFIX.
PS_OUT=""
if have ps; then
    PS_OUT=$(ps -eo user,pid,args 2>/dev/null | head -n 2000)
fi
masters() {
    printf '%s\n' "$PS_OUT" | awk -v pat="$1" '
        $1 == "root" && $2 ~ /^[0-9]+$/ {
            a = $0
            sub(/^[ \t]*[^ \t]+[ \t]+[0-9]+[ \t]+/, "", a)
            if (index(a, pat) == 1) print $2, a
        }'
}

# nginx's -c (config file) and -p (prefix) of each running master, as
# "CONF|PREFIX" (empty: the built-in default); at most 3 distinct ones.
NGINX_RUNS=$(masters 'nginx: master process ' | awk '{
        c = ""; p = ""
        for (i = 6; i <= NF; i++) {
            if ($i == "-c" && i < NF) { c = $(i + 1); i++ }
            else if ($i == "-p" && i < NF) { p = $(i + 1); i++ }
            else if ($i ~ /^-c./) c = substr($i, 3)
            else if ($i ~ /^-p./) p = substr($i, 3)
        }
        print c "|" p
    }' | sort -u | head -n 3)
[ -n "$NGINX_RUNS" ] || NGINX_RUNS="|"
# php-fpm's config file of each running master: "php-fpm: master process (FILE)".
FPM_CONFS=$(masters 'php-fpm' | sed -n 's/^[0-9]* php-fpm[0-9.]*: master process (\(\/[^)]*\)).*/\1/p' | sort -u | head -n 3)

printf '### upstream-doctor: collector v1 ###\n'
printf 'date: %s\n' "$(date -u '+%Y-%m-%dT%H:%M:%SZ' 2>/dev/null)"

section system
if [ -r "$ROOT/etc/os-release" ]; then
    grep -E '^(ID|ID_LIKE|VERSION_ID|PRETTY_NAME)=' "$ROOT/etc/os-release"
else
    missing os-release "no $ROOT/etc/os-release"
fi
have uname && uname -sr

section nginx-version
if have nginx; then
    run nginx -v
else
    missing nginx "not on PATH (is nginx in a container? see docker-ps below)"
fi

# nginx -T of one master: nginx_T CONF PREFIX (either may be empty). A
# master started with -c/-p gets them back, with a prompt line saying so.
nginx_T() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        printf '$ nginx -T -c %s -p %s\n' "$1" "$2"
        run nginx -T -c "$1" -p "$2"
    elif [ -n "$1" ]; then
        printf '$ nginx -T -c %s\n' "$1"
        run nginx -T -c "$1"
    elif [ -n "$2" ]; then
        printf '$ nginx -T -p %s\n' "$2"
        run nginx -T -p "$2"
    else
        run nginx -T
    fi
}
CONF=""
if have nginx; then
    CONF=$(for r in $NGINX_RUNS; do nginx_T "${r%%|*}" "${r#*|}"; done | scrub)
fi
# Relative log paths resolve against the prefix of a master started with -p.
PREFIX=$(printf '%s\n' "$NGINX_RUNS" | sed -n 's/^[^|]*|\(\/.*[^/]\)\/*$/\1/p' | head -n 1)
LOGDIR=${PREFIX:-/var/log/nginx}
section nginx-T
if [ -n "$CONF" ]; then
    printf '%s\n' "$CONF"
else
    missing "nginx -T" "no output"
fi

# Values of a directive across the whole config: directive_values NAME
directive_values() {
    printf '%s\n' "$CONF" | awk -v d="$1" '
        { sub(/#.*/, "") }
        $1 == d { v = $2; sub(/;$/, "", v); if (v != "") print v }'
}

# Error logs: from the config, else the usual places.
section error-log
logs=$(directive_values error_log | grep -v -E '^(stderr|syslog:|memory:|/dev/)' | sort -u)
[ -n "$logs" ] || logs="/var/log/nginx/error.log"
for f in $logs; do
    case "$f" in /*) ;; *) f="$LOGDIR/$f" ;; esac
    if [ -r "$ROOT$f" ]; then
        printf '$ tail -n %s %s\n' "$LINES" "$f"
        tail -n "$LINES" "$ROOT$f" | head -c "$MAXBYTES"
    else
        missing "$f" "not readable"
    fi
done

section access-log
alogs=$(directive_values access_log | grep -v -E '^(off|syslog:|/dev/)' | sort -u)
[ -n "$alogs" ] || alogs="/var/log/nginx/access.log"
for f in $alogs; do
    case "$f" in /*) ;; *) f="$LOGDIR/$f" ;; esac
    if [ -r "$ROOT$f" ]; then
        printf '$ grep -E %s %s | tail -n %s\n' "'\" 50[0234] '" "$f" "$ACCESS_LINES"
        grep -E '" 50[0234] ' "$ROOT$f" | tail -n "$ACCESS_LINES" | head -c "$MAXBYTES"
    else
        missing "$f" "not readable"
    fi
done

LISTEN=""
section listeners
if have ss; then
    printf '$ ss -tlnpx\n'
    LISTEN=$(run ss -tlnpx)
    printf '%s\n' "$LISTEN"
elif have netstat; then
    printf '$ netstat -tlnpx\n'
    run netstat -tlnp
    run netstat -lnpx 2>/dev/null | grep -i listen
else
    missing "ss/netstat" "neither is installed"
fi

# Backends nginx talks to: unix sockets and local TCP targets in *_pass lines.
targets=$(printf '%s\n' "$CONF" | awk '
    { sub(/#.*/, "") }
    $1 ~ /^(proxy|fastcgi|uwsgi|scgi|grpc)_pass$/ { v = $2; sub(/;$/, "", v); print v }
    $1 == "server" && NF >= 2 && $2 !~ /[{]/ { v = $2; sub(/;$/, "", v); print v }' | sort -u)
sockets=$(printf '%s\n' "$targets" | sed -n 's#^[a-z]*://##; s#^unix:\(/[^:]*\).*#\1#p' | sort -u)

# PHP-FPM pool files: the usual places, then those of running masters.
pools=""
for p in "$ROOT"/etc/php/*/fpm/pool.d/*.conf "$ROOT"/etc/php-fpm.d/*.conf \
    "$ROOT"/usr/local/etc/php-fpm.d/*.conf "$ROOT"/etc/php*/php-fpm.d/*.conf \
    "$ROOT"/etc/opt/remi/php*/php-fpm.d/*.conf; do
    [ -f "$p" ] && pools="$pools $p"
done
# Pools of running php-fpm masters started with their own config (-y):
# the config itself and what its `include =` globs name.
for c in $FPM_CONFS; do
    [ -f "$ROOT$c" ] || continue
    for p in "$ROOT$c" $(sed -n 's/^[ \t]*include[ \t]*=[ \t]*\(\/[^ \t]*\).*/\1/p' "$ROOT$c" | head -n 5 | sed "s#^#$ROOT#"); do
        [ -f "$p" ] || continue
        case " $pools " in *" $p "*) ;; *) pools="$pools $p" ;; esac
    done
done
# The unix sockets those pools listen on.
pool_socks=""
for p in $pools; do
    # shellcheck disable=SC2013 # one path per line, no spaces
    for l in $(sed -n 's/^[ \t]*listen[ \t]*=[ \t]*\(\/[^ \t;]*\).*/\1/p' "$p"); do
        case " $sockets $pool_socks " in *" $l "*) ;; *) pool_socks="$pool_socks $l" ;; esac
    done
done

section systemctl
if have systemctl; then
    units="nginx"
    for u in $(run systemctl list-units --type=service --all --no-legend --plain 2>/dev/null |
        awk '{print $1}' | grep -E '^(php[0-9.]*-fpm|php-fpm|php[0-9]+-php-fpm|gunicorn|uwsgi|puma|unicorn|pm2-|node|app|api|web)' | sed 's/\.service$//'); do
        units="$units $u"
    done
    for s in $sockets; do
        b=$(basename "$s" .sock)
        d=$(basename "$(dirname "$s")")
        for n in "$b" "$d"; do
            if systemctl cat "$n.service" >/dev/null 2>&1; then units="$units $n"; fi
        done
    done
    # shellcheck disable=SC2086 # word splitting of the unit list is intended
    for u in $(printf '%s\n' $units | sort -u); do
        printf '$ systemctl status %s\n' "$u"
        run systemctl status "$u" --no-pager -n 15 -l
    done
elif have rc-status; then
    printf '$ rc-status\n'
    run rc-status
else
    missing systemctl "no systemd (container or busybox system)"
fi

section sockets
if [ -z "$sockets" ]; then
    printf '(no unix sockets in *_pass)\n'
fi
# a pool's socket nginx does not name: does it exist?
have ls || pool_socks=""
for s in $pool_socks; do
    printf '$ ls -la %s\n' "$s"
    # shellcheck disable=SC2012
    ls -la "$ROOT$s" 2>&1 | unroot
done
for s in $sockets; do
    printf '$ ls -la %s\n' "$s"
    # shellcheck disable=SC2012 # the listing is for the reader (owner, group, mode)
    ls -la "$ROOT$s" 2>&1 | unroot
    d=$(dirname "$s")
    printf '$ ls -la %s/\n' "$d"
    # shellcheck disable=SC2012
    ls -la "$ROOT$d/" 2>&1 | unroot | head -n 40
done

section fpm-pool
if [ -n "$pools" ]; then
    for p in $pools; do
        printf '$ grep -E listen|user|group|pm %s\n' "${p#"$ROOT"}"
        grep -E '^[[:space:]]*(\[|listen|user|group|pm[ .=]|pm\.(max_children|start_servers|min_spare_servers|max_spare_servers|max_requests)|request_terminate_timeout)' "$p" |
            sed "s#^#${p#"$ROOT"}:#"
    done
else
    missing "PHP-FPM pools" "none found"
fi

# Logs of the backends: php-fpm's error_log, gunicorn's --error-logfile, and
# the files the processes listening on nginx's local targets write their
# stdout/stderr to (a service started by hand or by a script, not systemd).
section backend-logs
BACKEND_LINES=${UD_BACKEND_LINES:-50}
blogs=""
add_log() { # LABEL-PATH READ-PATH
    [ -f "$2" ] || return 0
    case " $blogs " in *" $1 "*) return 0 ;; esac
    blogs="$blogs $1"
    printf '$ tail -n %s %s\n' "$BACKEND_LINES" "$1"
    tail -n "$BACKEND_LINES" "$2" | head -c "$MAXBYTES"
}
for c in $FPM_CONFS; do
    [ -f "$ROOT$c" ] || continue
    for f in $(sed -n 's/^[ \t]*error_log[ \t]*=[ \t]*\(\/[^ \t]*\).*/\1/p' "$ROOT$c" | head -n 2); do
        add_log "$f" "$ROOT$f"
    done
done
for f in $(printf '%s\n' "$PS_OUT" | awk '{
        for (i = 3; i < NF; i++) if ($i == "--error-logfile" || $i == "--log-file") print $(i + 1)
        for (i = 3; i <= NF; i++) if ($i ~ /^--(error-logfile|log-file)=/) { v = $i; sub(/^[^=]*=/, "", v); print v }
    }' | grep '^/' | sort -u | head -n 4); do
    add_log "$f" "$ROOT$f"
done
# pids listening on the local ports and unix sockets nginx passes to
ports=$(printf '%s\n' "$targets" | awk '{
        sub(/^[a-z]+:\/\//, "")
        if (match($0, /^(127\.[0-9.]+|localhost|\[::1\]):[0-9]+/)) {
            s = substr($0, 1, RLENGTH); sub(/.*:/, "", s); print s
        }
    }' | sort -u)
bpids=$(printf '%s\n' "$LISTEN" | awk -v ports=" $(printf '%s\n' "$ports" | tr '\n' ' ')" \
    -v socks=" $(printf '%s\n' "$sockets" | tr '\n' ' ')" '
    {
        hit = 0
        for (i = 1; i <= NF; i++) {
            a = $i; n = split(a, parts, ":"); port = parts[n]
            if (n > 1 && port ~ /^[0-9]+$/ && index(ports, " " port " ")) hit = 1
            if (a ~ /^\// && index(socks, " " a " ")) hit = 1
        }
        if (!hit) next
        s = $0
        while (match(s, /pid=[0-9]+/)) { print substr(s, RSTART + 4, RLENGTH - 4); s = substr(s, RSTART + RLENGTH) }
    }' | sort -u | head -n 8)
for pid in $bpids; do
    for fd in 1 2; do
        l="$ROOT/proc/$pid/fd/$fd"
        [ -f "$l" ] || continue
        # shellcheck disable=SC2012 # the link target is all that is read
        f=$(ls -l "$l" 2>/dev/null | sed -n 's/.* -> //p' | sed 's#^\(\.\./\)*#/#')
        case "$f" in /*) add_log "$f" "$l" ;; esac
    done
done
[ -n "$blogs" ] || printf '(no backend log files found)\n'

section selinux
if have getenforce; then
    printf '$ getenforce\n'
    run getenforce
    if have ausearch; then
        printf '$ ausearch -m avc -ts recent -c nginx\n'
        run ausearch -m avc -ts recent -c nginx | tail -n 40
    fi
else
    missing getenforce "no SELinux tools"
fi

section oom
kern=""
if have journalctl; then
    kern=$(run journalctl -k --since "-${SINCE}s" --no-pager | grep -iE 'out of memory|killed process|oom-kill|segfault' | tail -n 20)
fi
if [ -n "$kern" ]; then
    printf '$ journalctl -k --since -%ss | grep -iE oom|killed process|segfault\n' "$SINCE"
    printf '%s\n' "$kern"
elif have dmesg; then
    # No journal (no systemd, or no kernel messages kept in it): the ring
    # buffer, its [seconds since boot] stamps cut to the same window.
    from=0
    if [ -r /proc/uptime ] && [ -z "$ROOT" ]; then
        from=$(awk -v s="$SINCE" '{ print int($1 - s) }' /proc/uptime)
    fi
    printf '$ dmesg | grep -iE oom|killed process|segfault   # last %ss\n' "$SINCE"
    run dmesg | awk -v from="$from" '
        match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) + 0; if (t < from) next }
        { print }' | grep -iE 'out of memory|killed process|oom-kill|segfault' | tail -n 20
elif have journalctl; then
    printf '$ journalctl -k --since -%ss | grep -iE oom|killed process|segfault\n' "$SINCE"
else
    missing "kernel log" "no journalctl or dmesg"
fi

section ps
if have ps; then
    printf '$ ps -eo user,pid,args | grep -E nginx|php-fpm|gunicorn|uwsgi|node|pm2\n'
    # shellcheck disable=SC2009 # the user column is the point (nginx's worker user)
    ps -eo user,pid,args 2>/dev/null | grep -E 'nginx|php-fpm|gunicorn|uwsgi|node|pm2|puma|unicorn' | grep -v -E 'grep|collect' | head -n 60
fi
if have pgrep; then
    w=$(pgrep -f 'nginx: worker' 2>/dev/null | head -n 1)
    if [ -n "$w" ] && [ -r "/proc/$w/limits" ]; then
        printf '$ grep "Max open files" /proc/%s/limits\n' "$w"
        grep 'Max open files' "/proc/$w/limits"
    fi
fi

section pm2
if have pm2; then
    printf '$ pm2 list\n'
    run pm2 list
    if [ -n "${SUDO_USER:-}" ] && have sudo; then
        printf '$ sudo -u %s pm2 list\n' "$SUDO_USER"
        run sudo -u "$SUDO_USER" pm2 list
    fi
else
    missing pm2 "not installed for this user"
fi

section docker-ps
if have docker; then
    printf '$ docker ps -a\n'
    run docker ps -a
    ids=$(docker ps -aq 2>/dev/null | grep -E '^[0-9a-f]+$' | head -n 50)
    if [ -n "$ids" ]; then
        printf '$ docker inspect (state)\n'
        # shellcheck disable=SC2086
        run docker inspect -f '{{.Name}} OOMKilled={{.State.OOMKilled}} ExitCode={{.State.ExitCode}} Status={{.State.Status}}' $ids
    fi
    for h in $(printf '%s\n' "$targets" | sed -n 's#^[a-z]*://##; s#[:/].*##p' | sort -u); do
        case "$h" in unix | localhost | 127.* | \[*) continue ;; esac
        if run docker ps -a --format '{{.Names}}' | grep -q -E "(^|[-_])$h([-_][0-9]+)?$"; then
            printf '$ docker logs --tail 50 %s\n' "$h"
            run docker logs --tail 50 "$(docker ps -a --format '{{.Names}}' | grep -E "(^|[-_])$h([-_][0-9]+)?$" | head -n 1)"
        fi
    done
else
    missing docker "not installed"
fi

section curl
if have curl; then
    for t in $targets; do
        case "$t" in
            http://127.* | http://localhost* | http://\[::1\]*)
                u=$(printf '%s' "$t" | sed 's#^\(http://[^/]*\).*#\1/#')
                printf '$ curl -sS -m 5 -o /dev/null -w %%{http_code} %s\n' "$u"
                run curl -sS -m 5 -o /dev/null -w '%{http_code}\n' "$u"
                ;;
        esac
    done
else
    missing curl "not installed"
fi

printf '\n### upstream-doctor: end ###\n'
