#!/bin/sh
# Run fuzz targets one after another, each for SECS seconds on one core at
# the lowest priority, and record per target: duration, total executions,
# exec/s, corpus size, crashes.
#
#   fuzz/run-all.sh                      # every target, 20 minutes each
#   SECS=60 fuzz/run-all.sh diagnose     # one target, one minute
#
# Environment:
#   SECS        seconds per target (default 1200)
#   TARGET_DIR  cargo target dir for the fuzz build (default fuzz/target)
#   MAX_LEN     libFuzzer -max_len (default 16384)
#   RESTARTS    how many times a target is restarted after a crash within
#               its SECS (default 3); each crash input stays in artifacts/
#
# Writes fuzz/work/logs/<target>-<stamp>.log (libFuzzer's own output) and
# appends one tab-separated line per target to fuzz/work/runs.tsv:
#   target date seconds execs exec/s corpus crashes slow_units
# and prints the same as a Markdown table at the end. work/ and artifacts/
# are git-ignored.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

SECS=${SECS:-1200}
TARGET_DIR=${TARGET_DIR:-$here/target}
MAX_LEN=${MAX_LEN:-16384}
RESTARTS=${RESTARTS:-3}
triple=$(rustc +nightly -vV | sed -n 's/^host: //p')

if [ "$#" -gt 0 ]; then
    targets=$*
else
    targets="detect_parse diagnose nginx_config share_decode redact streaming"
fi

mkdir -p work/logs artifacts
tsv=work/runs.tsv
[ -f "$tsv" ] || printf 'target\tdate\tseconds\texecs\texec_per_s\tcorpus\tcrashes\tslow_units\n' >"$tsv"

# libFuzzer names what it saves by kind: crash-, oom-, leak-, timeout- (over
# -timeout) are failures; slow-unit- (over -report_slow_units, 10 s) is an
# input worth a look, not a crash: counted apart.
count_failures() {
    find "artifacts/$1" -type f \( -name 'crash-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'timeout-*' \) | wc -l
}
count_slow() {
    find "artifacts/$1" -type f -name 'slow-unit-*' | wc -l
}

# Build every requested target first, so a later edit of the sources does not
# change what a queued target runs.
for t in $targets; do
    CARGO_BUILD_JOBS=1 nice -n 19 cargo +nightly fuzz build -O \
        --target-dir "$TARGET_DIR" "$t"
done

rows=""
for t in $targets; do
    bin=$TARGET_DIR/$triple/release/$t
    mkdir -p "work/$t" "artifacts/$t"
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    log=work/logs/$t-$stamp.log
    : >"$log"
    start=$(date +%s)
    execs=0
    crashes=0
    tries=0
    before=$(count_failures "$t")
    slow_before=$(count_slow "$t")
    while :; do
        now=$(date +%s)
        left=$((SECS - (now - start)))
        [ "$left" -gt 5 ] || break
        rundir=work/run-$t
        rm -rf "$rundir"
        mkdir -p "$rundir"
        # -jobs=1 -workers=1: one fuzzing process; its output goes to
        # $rundir/fuzz-0.log.
        (cd "$rundir" && nice -n 19 "$bin" "$here/work/$t" "$here/corpus/$t" \
            -artifact_prefix="$here/artifacts/$t/" \
            -max_total_time="$left" -max_len="$MAX_LEN" -timeout=30 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -jobs=1 -workers=1) >>"$log" 2>&1 || true
        cat "$rundir"/fuzz-*.log >>"$log" 2>/dev/null || true
        # Executions of this run: "Done N runs" on a clean end, otherwise
        # the last status line's #N, or the final stats.
        n=$(cat "$rundir"/fuzz-*.log 2>/dev/null |
            sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' | tail -n 1)
        if [ -z "$n" ]; then
            n=$(cat "$rundir"/fuzz-*.log 2>/dev/null |
                sed -n 's/^#\([0-9][0-9]*\).*/\1/p' | tail -n 1)
        fi
        execs=$((execs + ${n:-0}))
        if grep -q 'Done [0-9]* runs' "$rundir"/fuzz-*.log 2>/dev/null; then
            break
        fi
        tries=$((tries + 1))
        [ "$tries" -le "$RESTARTS" ] || break
    done
    end=$(date +%s)
    dur=$((end - start))
    crashes=$(($(count_failures "$t") - before))
    slow=$(($(count_slow "$t") - slow_before))
    corpus=$(find "work/$t" -type f | wc -l)
    rate=$((execs / (dur > 0 ? dur : 1)))
    day=$(date -u +%Y-%m-%d)
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$day" "$dur" "$execs" "$rate" "$corpus" "$crashes" "$slow" >>"$tsv"
    echo "$t: ${dur}s, $execs execs, $rate exec/s, corpus $corpus, crashes $crashes, slow units $slow (log $log)"
    rows="$rows| \`$t\` | $day | ${dur} s | $execs | $rate | $corpus | $crashes | $slow |
"
done

echo
echo "| Target | Date | Duration | Executions | exec/s | Corpus | New crashes | New slow units |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s' "$rows"
