#!/usr/bin/env bash
# Runs the collector against each fake system in collector/tests/<variant>/
# (root/: the files it reads, bin/: stub commands) under every POSIX shell
# available (dash, busybox sh, bash --posix), and checks:
#   - the output equals tests/<variant>/expected.txt (UPDATE=1 rewrites it),
#   - every shell prints the same thing,
#   - no secret planted in the stubs' output is printed,
#   - it needs nothing outside a minimal PATH and never exits non-zero.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Secrets planted in tests/debian/bin/nginx; none may reach the output.
secrets=(hunter2secret dXNlcjpzM2NyZXQ= MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKB)

shells=()
command -v dash >/dev/null && shells+=("dash")
command -v busybox >/dev/null && shells+=("busybox sh")
shells+=("bash --posix")

# The basic tools a server has; everything else comes from the variant's stubs.
tools=(awk sed grep head tail sort tr cat basename dirname timeout env)

pass=0
fail=0
check() { # name, condition-result
    if [[ $2 == ok ]]; then pass=$((pass + 1)); else fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; fi
}

for dir in tests/*/; do
    variant=$(basename "$dir")
    bin=$(mktemp -d)
    for t in "${tools[@]}"; do
        p=$(command -v "$t") && ln -s "$p" "$bin/$t"
    done
    cp "$dir"bin/* "$bin"/ 2>/dev/null || true
    first=""
    for sh in "${shells[@]}"; do
        read -r -a cmd <<<"$sh"
        cmd[0]=$(command -v "${cmd[0]}")
        out=$(env -i PATH="$bin" UD_ROOT="$PWD/${dir%/}/root" "${cmd[@]}" ./collect.sh 2>&1) && rc=0 || rc=$?
        check "$variant/$sh exit status ($rc)" "$([[ $rc -eq 0 ]] && echo ok)"
        leaked=""
        for s in "${secrets[@]}"; do
            [[ $out == *"$s"* ]] && leaked="$leaked $s"
        done
        check "$variant/$sh leaks:$leaked" "$([[ -z $leaked ]] && echo ok)"
        if [[ -z $first ]]; then
            first=$out
        else
            check "$variant/$sh differs from ${shells[0]}" "$([[ $out == "$first" ]] && echo ok)"
        fi
    done
    if [[ ${UPDATE:-} == 1 ]]; then
        printf '%s\n' "$first" >"${dir}expected.txt"
    fi
    if [[ -f ${dir}expected.txt ]] && [[ "$(cat "${dir}expected.txt")" == "$first" ]]; then
        check "$variant snapshot" ok
    else
        check "$variant snapshot (diff below; UPDATE=1 to accept)" no
        diff <(printf '%s\n' "$first") "${dir}expected.txt" | head -n 40 || true
    fi
    rm -rf "$bin"
done
# Without a fake root, as on a real system: paths are printed as they are
# (an empty UD_ROOT once made `sed "s###g"` fail and the sockets section
# print nothing).
bin=$(mktemp -d)
for t in "${tools[@]}"; do
    p=$(command -v "$t") && ln -s "$p" "$bin/$t"
done
cp tests/debian/bin/* "$bin"/
out=$(env -i PATH="$bin" "$(command -v sh)" ./collect.sh 2>&1) || true
check "no fake root: sockets listed" "$([[ $out == *'srw-rw---- 1 www-data www-data 0 Jan 15 09:12 /run/php/php8.2-fpm.sock'* ]] && echo ok)"
check "no fake root: no sed error" "$([[ $out != *'regular expression'* ]] && echo ok)"
rm -rf "$bin"

printf 'collector: %d passed, %d failed\n' "$pass" "$fail"
[[ $fail -eq 0 ]]
