#!/usr/bin/env bash
# Reproduction lab: cause every reproducible 502/504 for real with Debian's
# nginx and php-fpm on loopback, capture it as a person would paste it, feed
# it to `upstream-doctor --json` and check the top-ranked cause.
#
#   lab/run.sh [--save-fixtures[=all]] [--save-collector-fixtures] [--no-build] [SCENARIO...]
#
# Each scenario is diagnosed twice: from the individual captures (paste.txt)
# and from the collector's output alone (collector.txt, collector/collect.sh
# run while the scenario runs). Prints: scenario | expected cause | rank-1
# from the artifacts | rank-1 from the collector | result, then
# `N passed, M failed`; a scenario passes when both rank the expected cause
# first, and exits 1 when one failed.
#   --save-fixtures      copy each PASSING capture to
#                        analyzer-core/tests/corpus/<expected>/lab_<scenario>.txt
#                        (failing ones go to lab/findings/<expected>/ instead)
#   --save-fixtures=all  copy failing ones to the corpus too (they fail its test)
#   --save-collector-fixtures  copy each passing collector capture to
#                        analyzer-core/tests/corpus/<expected>/lab_collector_<scenario>.txt
#   --no-build           use the already built CLI
# Captures land in lab/out/<scenario>/ (paste.txt, one file per command,
# report.json, collector.txt, report-collector.json). Needs root (nginx
# workers run as www-data/nobody).
set -euo pipefail

LAB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$LAB")
SCENARIO_TIMEOUT=${SCENARIO_TIMEOUT:-90}

save=""
save_collector=0
build=1
wanted=()
for arg in "$@"; do
    case $arg in
        --save-fixtures) save=pass ;;
        --save-fixtures=all) save=all ;;
        --save-collector-fixtures) save_collector=1 ;;
        --no-build) build=0 ;;
        -h | --help)
            sed -n '2,24s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
            exit 0
            ;;
        -*)
            echo "run.sh: unknown option $arg" >&2
            exit 2
            ;;
        *) wanted+=("$(basename "${arg%.sh}")") ;;
    esac
done

if ((${#wanted[@]} == 0)); then
    # Scenarios that leave a trace in the kernel log (an OOM kill) run last:
    # the collector reads the last two hours of it, so every later scenario's
    # collector output would show that kill too.
    last=()
    for f in "$LAB"/scenarios/*.sh; do
        if grep -q '^BACKEND_MEMORY_LIMIT=' "$f"; then
            last+=("$(basename "$f" .sh)")
        else
            wanted+=("$(basename "$f" .sh)")
        fi
    done
    wanted+=("${last[@]}")
fi
for name in "${wanted[@]}"; do
    if [[ ! -f $LAB/scenarios/$name.sh ]]; then
        echo "run.sh: no scenario $name (see lab/scenarios/)" >&2
        exit 2
    fi
done

if [[ $(id -u) != 0 ]]; then
    echo "run.sh: run as root (nginx must switch its workers to www-data/nobody)" >&2
    exit 2
fi

# ---- setup (idempotent) -------------------------------------------------------
for tool in nginx php-fpm8.2 node python3 curl ss ip openssl unshare setsid timeout; do
    if ! command -v "$tool" >/dev/null && [[ ! -x /usr/sbin/$tool ]]; then
        echo "run.sh: $tool is missing" >&2
        exit 2
    fi
done
if ! python3 -c 'import gunicorn' 2>/dev/null; then
    echo "lab: installing gunicorn (pip)" >&2
    python3 -m pip install --quiet gunicorn
fi
PYTHON=$(python3 -c 'import sys; print(sys.executable)')
export PYTHON

if ((build)); then
    echo "lab: building the CLI (cargo build -p upstream-doctor --release)" >&2
    (cd "$ROOT" && cargo build --quiet -p upstream-doctor --release)
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/upstream-doctor"
if [[ $BIN != /* ]]; then BIN="$ROOT/$BIN"; fi
if [[ ! -x $BIN ]]; then
    echo "run.sh: $BIN not built" >&2
    exit 2
fi

# ---- run --------------------------------------------------------------------
started=$SECONDS
passed=0
failed=0
skipped=0
failures=()
fmt='%-26s %-24s %-24s %-24s %s\n'
# shellcheck disable=SC2059 # fmt is a constant format
printf "$fmt" scenario "expected cause" "artifacts: rank 1" "collector: rank 1" result
# shellcheck disable=SC2059
printf "$fmt" "--------" "--------------" "-----------------" "-----------------" "------"
rows=()

# rank1 PASTE REPORT: the rank-1 cause id of the analyzer's answer for PASTE.
rank1() {
    if [[ ! -s $1 ]]; then
        echo "(no capture)"
    elif "$BIN" --json "$1" >"$2" 2>>"$out/runner.log"; then
        "$PYTHON" -c '
import json, sys
causes = json.load(open(sys.argv[1])).get("causes") or []
print(causes[0]["id"] if causes else "none")' "$2"
    else
        echo "(analyzer error)"
    fi
}

# kill_leftovers TMPDIR: process groups lib.sh recorded and may not have
# stopped (it was killed by the timeout).
kill_leftovers() {
    local pid
    [[ -f $1/pids ]] || return 0
    while read -r pid; do
        [[ -n $pid ]] || continue
        kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$1/pids"
    if [[ -f $1/memcg ]]; then
        sleep 0.2
        rmdir "$(cat "$1/memcg")" 2>/dev/null || true
    fi
}

tmp_dirs=()
cleanup() {
    local d
    for d in "${tmp_dirs[@]}"; do
        kill_leftovers "$d"
        if [[ -z ${KEEP_TMP:-} ]]; then rm -rf "$d"; fi
    done
}
trap cleanup EXIT

for name in "${wanted[@]}"; do
    IFS=$'\x1f' read -r expect skip _ < <(bash "$LAB/lib.sh" --meta "$name")
    if [[ -n $skip ]]; then
        skipped=$((skipped + 1))
        # shellcheck disable=SC2059
        printf "$fmt" "$name" "$expect" "-" "-" "SKIP ($skip)"
        continue
    fi
    out="$LAB/out/$name"
    rm -rf "$out"
    mkdir -p "$out"
    tmp=$(mktemp -d /tmp/upstream-lab.XXXXXX)
    tmp_dirs+=("$tmp")
    got=""
    col=""
    # Each scenario in a network namespace of its own (loopback only): the
    # listeners the collector sees are the scenario's, not those of whatever
    # else runs on this box (other people's dev servers), as on a server
    # dedicated to the app. LAB_SHARED_NET=1 runs in the host's namespace.
    netns=(unshare --net sh -c 'ip link set lo up && exec "$@"' sh)
    if [[ -n ${LAB_SHARED_NET:-} ]]; then netns=(); fi
    if timeout -k 5 "$SCENARIO_TIMEOUT" "${netns[@]}" bash "$LAB/lib.sh" "$name" "$tmp" "$out" \
        >"$out/runner.log" 2>&1; then
        got=$(rank1 "$out/paste.txt" "$out/report.json")
        col=$(rank1 "$out/collector.txt" "$out/report-collector.json")
    else
        rc=$?
        if ((rc == 124 || rc == 137)); then got="(timed out)"; else got="(runner error $rc)"; fi
        col=$got
    fi
    kill_leftovers "$tmp"
    if [[ $got == "("* ]]; then
        sed 's/^/    /' "$out/runner.log" | tail -n 5 >&2
    fi
    if [[ $got == "$expect" && $col == "$expect" ]]; then
        result=pass
        passed=$((passed + 1))
    elif [[ $got == "$expect" ]]; then
        result="FAIL (collector)"
        failed=$((failed + 1))
        failures+=("$name: expected $expect, the collector's output gave $col; see lab/out/$name/collector.txt")
    else
        result=FAIL
        failed=$((failed + 1))
        failures+=("$name: expected $expect, got $got; see lab/out/$name/")
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$name" "$expect" "$got" "$col" "$result"
    rows+=("| \`$name\` | \`$expect\` | \`$got\` | \`$col\` | $result |")
    if ((save_collector)) && [[ $col == "$expect" && -s $out/collector.txt ]]; then
        dest="$ROOT/analyzer-core/tests/corpus/$expect"
        mkdir -p "$dest"
        cp "$out/collector.txt" "$dest/lab_collector_$name.txt"
    fi
    if [[ -n $save && -s $out/paste.txt && $got != "("* ]]; then
        finding="$LAB/findings/$expect/lab_$name.txt"
        if [[ $result == pass || $save == all ]]; then
            dest="$ROOT/analyzer-core/tests/corpus/$expect"
            mkdir -p "$dest"
            cp "$out/paste.txt" "$dest/lab_$name.txt"
            rm -f "$finding"
        else
            mkdir -p "$(dirname "$finding")"
            cp "$out/paste.txt" "$finding"
        fi
    fi
done

echo
if [[ -n ${LAB_MARKDOWN:-} ]]; then
    echo "| scenario | expected | artifacts | collector | result |"
    echo "|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
    echo
fi
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "$skipped skipped; runtime $((SECONDS - started))s"
echo "$passed passed, $failed failed"
((failed == 0))
