#!/usr/bin/env bash
# Throughput and memory of a full diagnosis, next to grep (and ripgrep) on
# the same files in the same run.
#
#   bench/bench.sh                  # 1 MB, 10 MB, 100 MB, 300 MB and 1 GB logs
#   BENCH_SIZES="10 100" bench/bench.sh
#   bench/bench.sh --save-baseline  # also write bench/baseline.json
#   bench/bench.sh --browser        # also the browser bench (bench/browser-bench.mjs)
#
# Beside them: the floor (analyzer-core/examples/scan_floor: reading,
# splitting and the least per-line work a diagnosis needs) and, when
# valgrind is installed, instruction counts of both (BENCH_INSTR_SIZE MiB,
# default 100), which do not move with the machine's load.
#
# Builds the CLI with the `release-native` profile, generates the logs once
# (bench/gen_logs.py; cached in $BENCH_DIR, default /tmp; the smaller files
# are line-aligned prefixes of the largest) and runs each program REPEAT
# times (default 3), keeping the fastest run. Times are CPU times (user +
# system, from /usr/bin/time) because the machine may be shared; MB/s are
# MiB of input per CPU second. Figures of the committed bench/baseline.json
# are shown in brackets beside the new ones so a regression is visible.
# --browser runs the app in headless Chromium on a BROWSER_SIZE MiB log
# (default 256): raw read rate vs end-to-end diagnosis rate (needs
# scripts/build-web.sh first; wall-clock times, fastest of REPEAT).
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
bench_dir=${BENCH_DIR:-/tmp}
sizes=${BENCH_SIZES:-"1 10 100 300 1024"}
repeat=${REPEAT:-3}
baseline=bench/baseline.json
save=0
browser=0
browser_size=${BROWSER_SIZE:-256}

for arg in "$@"; do
    case "$arg" in
        --save-baseline) save=1 ;;
        --browser) browser=1 ;;
        -h | --help)
            sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench.sh: unknown argument: $arg" >&2
            exit 2
            ;;
    esac
done

if [[ ! -x /usr/bin/time ]]; then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        echo "installing GNU time (Debian package \`time\`) for peak RSS ..." >&2
        apt-get install -y -qq time >/dev/null
    else
        echo "bench.sh: /usr/bin/time is missing: install the Debian package \`time\` (apt-get install time, as root)" >&2
        exit 1
    fi
fi

target_dir=${CARGO_TARGET_DIR:-$root/target}
echo "building upstream-doctor (release-native) ..." >&2
cargo build -q --profile release-native -p upstream-doctor
bin=$target_dir/release-native/upstream-doctor
# The floor: reading, splitting and the least per-line work any diagnosis
# needs (analyzer-core/examples/scan_floor.rs), to say how far the doctor
# is from what the work itself costs here, not only from grep.
cargo build -q --profile release-native -p analyzer-core --example scan_floor
floor_bin=$target_dir/release-native/examples/scan_floor

# ---------------------------------------------------------------- input files

largest=0
for s in $sizes; do
    ((s > largest)) && largest=$s
done
if [[ $browser -eq 1 ]] && ((browser_size > largest)); then
    largest=$browser_size
fi
big=$bench_dir/upstream-doctor-bench-${largest}m.log
if [[ ! -s $big ]]; then
    echo "generating $big (once; cached) ..." >&2
    python3 bench/gen_logs.py "$largest" >"$big.tmp"
    mv "$big.tmp" "$big"
fi

# The first SIZE MiB of the largest file, up to the end of that line: the
# generator writes the same lines for every size, so this is its output.
log_for() {
    local size=$1 f
    f=$bench_dir/upstream-doctor-bench-${size}m.log
    if [[ ! -s $f ]]; then
        local bytes=$((size * 1024 * 1024))
        {
            head -c "$bytes" "$big"
            tail -c +"$((bytes + 1))" "$big" | head -n 1
        } >"$f.tmp"
        mv "$f.tmp" "$f"
    fi
    echo "$f"
}

# ---------------------------------------------------------------- measuring

# Fastest of $repeat runs of a command: prints "cpu_seconds wall_seconds
# max_rss_kb" for one run. /usr/bin/time counts in 10 ms steps, so on small
# files ($loops > 1) each run runs the command $loops times and the figures
# are divided.
loops=1
measure() {
    local best="" out sink
    out=$(mktemp)
    # Output goes to a file, not /dev/null: GNU grep stops at the first
    # match when it sees its output is /dev/null.
    sink=$(mktemp)
    for ((i = 0; i < repeat; i++)); do
        # shellcheck disable=SC2016 # the loop is expanded by the inner bash
        /usr/bin/time -f "%U %S %e %M" -o "$out" \
            bash -c 'n=$1; shift; for ((k = 0; k < n; k++)); do "$@"; done' _ "$loops" "$@" >"$sink" 2>&1 || true
        # A failing command still gets its figures written last.
        local line
        line=$(tail -n 1 "$out")
        local cpu
        cpu=$(awk -v n="$loops" '{ printf "%.4f", ($1 + $2) / n }' <<<"$line")
        if [[ -z $best ]] || awk -v a="$cpu" -v b="${best%% *}" 'BEGIN { exit !(a < b) }'; then
            best="$cpu $(awk -v n="$loops" '{ printf "%.3f %s", $3 / n, $4 }' <<<"$line")"
        fi
    done
    rm -f "$out" "$sink"
    echo "$best"
}

mbps() { # bytes cpu_seconds
    awk -v b="$1" -v t="$2" 'BEGIN { if (t <= 0) t = 0.001; printf "%.0f", b / 1048576 / t }'
}

# The committed baseline (else the file on disk), read once.
base_json=$(git show "HEAD:$baseline" 2>/dev/null || cat "$baseline" 2>/dev/null || true)

# Value of a dotted key in the baseline, or empty.
base() {
    [[ -n $base_json ]] || return 0
    BASE_JSON=$base_json python3 - "$1" <<'EOF'
import json, os, sys
v = json.loads(os.environ["BASE_JSON"])
for k in sys.argv[1].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)
EOF
}

# "new [old]" when the baseline has the figure.
with_base() {
    local old
    old=$(base "$2")
    if [[ -n $old ]]; then
        echo "$1 [$old]"
    else
        echo "$1"
    fi
}

have_rg=0
command -v rg >/dev/null && have_rg=1

echo
echo "upstream-doctor $("$bin" --version 2>/dev/null | head -n 1) on $(uname -m), $(nproc) cores; fastest of $repeat runs, CPU time"
[[ -n $base_json ]] && echo "[brackets]: baseline $(base commit) ($(base machine))"
[[ $have_rg -eq 0 ]] && echo "(ripgrep not installed: rg columns skipped)"
echo

# Times on a shared machine depend on what else runs: the load average
# when measuring starts is saved with a baseline, to read its times by.
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
echo "load average at start: $load_at_start"
json_rows=""
declare -A cpu_of rss_of bytes_of
printf '%-8s %-22s %-18s %-16s %-14s %-14s %-14s %-18s\n' size "doctor MB/s" "doctor s" "peak RSS MB" "floor MB/s" "grep MB/s" "rg MB/s" "doctor/grep"
for s in $sizes; do
    f=$(log_for "$s")
    bytes=$(stat -c %s "$f")
    loops=$(((100 + s - 1) / s))
    read -r d_cpu d_wall d_rss <<<"$(measure "$bin" --json "$f")"
    read -r f_cpu _ _ <<<"$(measure "$floor_bin" "$f")"
    read -r g_cpu _ _ <<<"$(measure grep -c upstream "$f")"
    r_cpu=""
    if [[ $have_rg -eq 1 ]]; then
        read -r r_cpu _ _ <<<"$(measure rg -c upstream "$f")"
    fi
    d_mbps=$(mbps "$bytes" "$d_cpu")
    g_mbps=$(mbps "$bytes" "$g_cpu")
    f_mbps=$(mbps "$bytes" "$f_cpu")
    r_mbps=${r_cpu:+$(mbps "$bytes" "$r_cpu")}
    ratio=$(awk -v d="$d_cpu" -v g="$g_cpu" 'BEGIN { if (g <= 0) g = 0.001; printf "%.1f", d / g }')
    rss_mb=$(awk -v k="$d_rss" 'BEGIN { printf "%.1f", k / 1024 }')
    cpu_of[$s]=$d_cpu
    rss_of[$s]=$rss_mb
    bytes_of[$s]=$bytes
    printf '%-8s %-22s %-18s %-16s %-14s %-14s %-14s %-18s\n' "${s}M" \
        "$(with_base "$d_mbps" "sizes.${s}.doctor_mbps")" \
        "$(with_base "$d_cpu" "sizes.${s}.doctor_cpu_s")" \
        "$(with_base "$rss_mb" "sizes.${s}.peak_rss_mb")" \
        "$(with_base "$f_mbps" "sizes.${s}.floor_mbps")" \
        "$(with_base "$g_mbps" "sizes.${s}.grep_mbps")" \
        "${r_mbps:--}" \
        "$(with_base "${ratio}x" "sizes.${s}.ratio_to_grep")"
    row=$(printf '"%s": {"bytes": %s, "doctor_cpu_s": %s, "doctor_wall_s": %s, "doctor_mbps": %s, "peak_rss_mb": %s, "floor_mbps": %s, "grep_mbps": %s, "rg_mbps": %s, "ratio_to_grep": "%sx"}' \
        "$s" "$bytes" "$d_cpu" "$d_wall" "$d_mbps" "$rss_mb" "$f_mbps" "$g_mbps" "${r_mbps:-null}" "$ratio")
    json_rows=${json_rows:+$json_rows, }$row
done

# Scaling: cost per MiB should not grow with the input (linear time), and
# memory should stay flat (bounded by distinct groups, not by input).
echo
echo "scaling (linear cost: CPU ms per MiB stays flat; memory stays flat):"
printf '%-8s %-12s %-12s %-12s\n' size "CPU s" "ms per MiB" "peak RSS MB"
for s in $sizes; do
    printf '%-8s %-12s %-12s %-12s\n' "${s}M" "${cpu_of[$s]}" \
        "$(awk -v t="${cpu_of[$s]}" -v b="${bytes_of[$s]}" 'BEGIN { printf "%.2f", t * 1000 / (b / 1048576) }')" \
        "${rss_of[$s]}"
done

# Instruction counts (valgrind's callgrind, when installed) do not move
# with the machine's load as times do: on a shared machine they are the
# figures that show a regression. One log of BENCH_INSTR_SIZE MiB
# (default 100), the doctor and the floor.
instr_json=null
if command -v valgrind >/dev/null; then
    isize=${BENCH_INSTR_SIZE:-100}
    f=$(log_for "$isize")
    bytes=$(stat -c %s "$f")
    instructions() {
        valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
            awk '/ refs:/ { gsub(",", "", $NF); print $NF }'
    }
    d_ir=$(instructions "$bin" --json "$f")
    f_ir=$(instructions "$floor_bin" "$f")
    per_byte() { awk -v n="$1" -v b="$bytes" 'BEGIN { printf "%.2f", n / b }'; }
    echo
    echo "instructions (callgrind, ${isize} MiB log; the same on every run, whatever the load):"
    printf '  doctor %s (%s a byte)   floor %s (%s a byte)\n' \
        "$(with_base "$d_ir" "instructions.doctor")" "$(per_byte "$d_ir")" \
        "$(with_base "$f_ir" "instructions.floor")" "$(per_byte "$f_ir")"
    instr_json=$(printf '{"size_mb": %s, "doctor": %s, "floor": %s}' "$isize" "${d_ir:-null}" "${f_ir:-null}")
else
    echo
    echo "instructions: valgrind not installed (apt-get install valgrind), skipped"
fi

wasm_gz=null
wasm=$(find www/pkg -maxdepth 1 -name '*.wasm' 2>/dev/null | head -n 1 || true)
if [[ -n $wasm ]]; then
    wasm_gz=$(gzip -9 -c "$wasm" | wc -c)
    echo
    echo "wasm bundle: $(basename "$wasm") $(stat -c %s "$wasm") bytes, $(with_base "$wasm_gz" wasm_gzip_bytes) gzipped"
else
    echo
    echo "wasm bundle: www/pkg not built (scripts/build-web.sh), size skipped"
fi

browser_json=null
if [[ $browser -eq 1 ]]; then
    echo
    out=$(mktemp)
    if node bench/browser-bench.mjs --file "$(log_for "$browser_size")" --repeat "$repeat" --json "$out"; then
        if [[ -n $(base browser.e2e_mbps) ]]; then
            echo "  [baseline: raw read $(base browser.read_mbps) MB/s, end-to-end $(base browser.e2e_mbps) MB/s, ratio $(base browser.ratio)]"
        fi
        # Kept for the baseline, without the machine-specific path.
        browser_json=$(BJ=$(cat "$out") python3 -c 'import json, os; d = json.loads(os.environ["BJ"]); d.pop("file", None); print(json.dumps(d))')
    else
        echo "browser bench failed (see above)" >&2
    fi
    rm -f "$out"
fi

if [[ $save -eq 1 ]]; then
    machine="$(uname -m), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')"
    if [[ $browser_json == null ]]; then
        # Not measured this time: keep the baseline's browser figures.
        browser_json=$(BASE_JSON=$base_json python3 -c 'import json, os; print(json.dumps((json.loads(os.environ["BASE_JSON"] or "{}")).get("browser")))')
    fi
    printf '{\n  "machine": "%s",\n  "load_average": "%s",\n  "commit": "%s",\n  "repeat": %s,\n  "wasm_gzip_bytes": %s,\n  "sizes": {%s},\n  "instructions": %s,\n  "browser": %s\n}\n' \
        "$machine" "$load_at_start" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" "$repeat" "$wasm_gz" "$json_rows" "$instr_json" "$browser_json" |
        python3 -m json.tool >"$baseline.tmp"
    mv "$baseline.tmp" "$baseline"
    echo
    echo "saved $baseline"
fi
