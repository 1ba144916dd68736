#!/usr/bin/env bash
# Run every check there is (README command 2; CI runs it through .ci/run).
#
# Installs missing tools first (scripts/bootstrap.sh --test), then runs each
# step in order under its own header with its time. A failing step does not
# stop the run: every step runs, a summary lists them, and the last line is
# `N passed, M failed`. Exit status 1 when any step failed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

names=()
results=()
times=()
started=$EPOCHREALTIME

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
    bold=$'\e[1m' red=$'\e[31m' green=$'\e[32m' dim=$'\e[2m' reset=$'\e[0m'
else
    bold='' red='' green='' dim='' reset=''
fi

# elapsed START: seconds since START (an $EPOCHREALTIME value), one decimal.
elapsed() {
    local now=$EPOCHREALTIME
    local us=$(((${now/[.,]/} - ${1/[.,]/}) / 100000))
    printf '%d.%ds' $((us / 10)) $((us % 10))
}

# step "name" command...: run one step, record pass/fail and time, never exit.
step() {
    local name=$1 t0 rc took
    shift
    printf '\n%s==> %s%s\n' "$bold" "$name" "$reset"
    printf '%s    $ %s%s\n' "$dim" "$*" "$reset"
    t0=$EPOCHREALTIME
    if "$@"; then rc=0; else rc=$?; fi
    took=$(elapsed "$t0")
    names+=("$name")
    times+=("$took")
    if [[ $rc -eq 0 ]]; then
        results+=(pass)
        printf '%s<== ok%s  %s (%s)\n' "$green" "$reset" "$name" "$took"
    else
        results+=(FAIL)
        printf '%s<== FAILED%s  %s (exit %d, %s)\n' "$red" "$reset" "$name" "$rc" "$took"
    fi
}

# skip "name" "reason": list a step that does not apply to this checkout.
skip() {
    names+=("$1")
    times+=("")
    results+=(skip)
    printf '\n%s==> %s: skipped (%s)%s\n' "$dim" "$1" "$2" "$reset"
}

step "bootstrap" scripts/bootstrap.sh --test --lab

# Every shell script stays shellcheck-clean (bootstrap --test installs it).
shell_files=()
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t shell_files < <(git ls-files '*.sh')
fi
if [[ ${#shell_files[@]} -eq 0 ]]; then
    shell_files=(scripts/*.sh)
fi
shell_files+=(.ci/run)
step "shellcheck" shellcheck "${shell_files[@]}"

step "cargo fmt" cargo fmt --all --check
step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
step "cargo test" cargo test --workspace --no-fail-fast

if [[ -f scripts/build-web.sh ]]; then
    step "build web" bash scripts/build-web.sh
else
    skip "build web" "no scripts/build-web.sh"
fi

if [[ -d wasm-tests ]]; then
    # The same target features as the shipped build (scripts/build-web.sh),
    # so the engine's vector paths are the ones tested.
    export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
    step "wasm tests (node)" wasm-pack test --node wasm-tests
    step "wasm tests (headless chrome)" \
        env CHROMEDRIVER=/usr/bin/chromedriver wasm-pack test --headless --chrome wasm-tests --features browser
else
    skip "wasm tests" "no wasm-tests/"
fi

if [[ -d e2e ]]; then
    step "e2e (node --test)" node --test e2e/
else
    skip "e2e" "no e2e/"
fi

step "collector (dash, busybox sh, bash --posix)" collector/test.sh

if [[ -d lab && $(id -u) == 0 && -x /usr/sbin/nginx ]] && compgen -G '/usr/sbin/php-fpm*' >/dev/null; then
    step "lab (real nginx + backends)" lab/run.sh
else
    skip "lab (real nginx + backends)" "needs lab/, root, nginx and php-fpm"
fi

# --- later suites hook in here -----------------------------------------------
# One `step "name" command...` each, in an `if [[ -d dir ]]; then ... else
# skip "name" "why"; fi` like the ones above when the suite may be absent:
#   lab (real nginx + backends), fuzz smoke, benches run as smoke tests.
# ------------------------------------------------------------------------------

passed=0
failed=0
printf '\n%s==> summary%s (%s)\n' "$bold" "$reset" "$(elapsed "$started")"
for i in "${!names[@]}"; do
    case "${results[$i]}" in
        pass)
            passed=$((passed + 1))
            printf '  %sok  %s   %-8s %s\n' "$green" "$reset" "${times[$i]}" "${names[$i]}"
            ;;
        FAIL)
            failed=$((failed + 1))
            printf '  %sFAIL%s   %-8s %s\n' "$red" "$reset" "${times[$i]}" "${names[$i]}"
            ;;
        *)
            printf '  %sskip   %-8s %s%s\n' "$dim" "" "${names[$i]}" "$reset"
            ;;
    esac
done
printf '%d passed, %d failed\n' "$passed" "$failed"
[[ $failed -eq 0 ]]
