#!/usr/bin/env bash
# Install what building (and, with --test, testing) Upstream Doctor needs.
#
# Idempotent: every step checks first and is skipped when already satisfied,
# so running it again costs a second or two. Each step says what it does; a
# failing step stops the script with a message saying what to do by hand.
#
#   scripts/bootstrap.sh           Rust wasm target, rustfmt/clippy,
#                                  wasm-bindgen-cli (the Cargo.lock version),
#                                  wasm-pack, npm packages (package-lock.json)
#   scripts/bootstrap.sh --test    also Chromium + chromedriver and shellcheck (apt)
#   scripts/bootstrap.sh --lab     also nginx, php-fpm (apt) and gunicorn (pip)
#                                  for the reproduction lab
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

with_test=0
with_lab=0
for arg in "$@"; do
    case "$arg" in
        --test) with_test=1 ;;
        --lab) with_lab=1 ;;
        -h | --help)
            sed -n '2,13s/^# \{0,1\}//p' "$0"
            exit 0
            ;;
        *)
            printf 'bootstrap: unknown option %s (try --help)\n' "$arg" >&2
            exit 2
            ;;
    esac
done

started=$SECONDS

say() { printf 'bootstrap: %s\n' "$*"; }
skip() { printf 'bootstrap: ok   %s\n' "$*"; }
die() {
    printf 'bootstrap: FAILED: %s\n' "$1" >&2
    shift
    local hint
    for hint in "$@"; do
        printf '  %s\n' "$hint" >&2
    done
    exit 1
}
# do_step "description" "what to do by hand" command...
do_step() {
    local what=$1 hint=$2
    shift 2
    say "run  $what: $*"
    "$@" || die "$what ($* exited with status $?)" "$hint"
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 is not installed" "$2"
}

need cargo "Install Rust with rustup: https://rustup.rs (then open a new shell)."
need rustup "Install Rust with rustup (https://rustup.rs); the wasm target and components are added through it."

# --- Rust: wasm target and components --------------------------------------
if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    skip "rust target wasm32-unknown-unknown"
else
    do_step "add the wasm32 target" "Run: rustup target add wasm32-unknown-unknown" \
        rustup target add wasm32-unknown-unknown
fi

for component in rustfmt clippy; do
    if rustup component list --installed | grep -q "^${component}"; then
        skip "rust component $component"
    else
        do_step "add $component" "Run: rustup component add $component" \
            rustup component add "$component"
    fi
done

# --- wasm-bindgen-cli: exactly the version in Cargo.lock --------------------
# The CLI must match the wasm-bindgen library version byte for byte, or the
# generated JS glue does not fit the wasm. Cargo.lock is the truth; the
# workspace's `wasm-bindgen = "=X"` pin is the fallback before the first
# wasm crate enters the lock file.
wb_version=$(awk '
    $0 == "name = \"wasm-bindgen\"" { found = 1; next }
    found && /^version = / { gsub(/"/, "", $3); print $3; exit }
    /^$/ { found = 0 }
' Cargo.lock 2>/dev/null || true)
if [[ -z "$wb_version" ]]; then
    wb_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
fi
if [[ -z "$wb_version" ]]; then
    skip "wasm-bindgen-cli (no wasm-bindgen in Cargo.lock or Cargo.toml: nothing to match)"
else
    have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
    if [[ "$have" == "$wb_version" ]]; then
        skip "wasm-bindgen-cli $wb_version"
    else
        say "wasm-bindgen-cli ${have:-missing}, need $wb_version (a few minutes to compile)"
        do_step "install wasm-bindgen-cli $wb_version" \
            "Run: cargo install wasm-bindgen-cli --version $wb_version --force" \
            cargo install wasm-bindgen-cli --version "$wb_version" --force
    fi
fi

# --- wasm-pack ---------------------------------------------------------------
if command -v wasm-pack >/dev/null 2>&1; then
    skip "wasm-pack ($(wasm-pack --version 2>/dev/null || echo 'version unknown'))"
else
    do_step "install wasm-pack" "Run: cargo install --locked wasm-pack" \
        cargo install --locked wasm-pack
fi

# --- npm packages (binaryen's wasm-opt, playwright-core) ---------------------
need node "Install Node.js 18 or newer (Debian: sudo apt-get install nodejs npm)."
need npm "Install npm (Debian: sudo apt-get install npm)."
stamp=node_modules/.upstream-doctor-lock.sha256
lock_sum=$(sha256sum package-lock.json | awk '{ print $1 }')
if [[ -d node_modules && -f "$stamp" && "$(cat "$stamp")" == "$lock_sum" ]]; then
    skip "npm packages (node_modules matches package-lock.json)"
else
    do_step "install npm packages" "Run: npm ci   (needs network access to the npm registry)" \
        npm ci --no-audit --no-fund
    printf '%s\n' "$lock_sum" >"$stamp"
fi

# --- system packages (--test, --lab) -----------------------------------------
sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
apt_updated=0
# apt_install "why" package...
apt_install() {
    local why=$1
    shift
    command -v apt-get >/dev/null 2>&1 ||
        die "$why: apt-get not found" "Install these with your package manager: $*"
    if [[ ${#sudo_cmd[@]} -gt 0 ]]; then
        need sudo "Run as root, or install sudo, or install by hand: apt-get install $*"
    fi
    # Refresh the package lists only when apt does not know a package yet.
    if [[ $apt_updated -eq 0 ]] && ! apt-cache show "$@" >/dev/null 2>&1; then
        do_step "refresh the apt package lists" "Run: sudo apt-get update" \
            "${sudo_cmd[@]}" apt-get update
        apt_updated=1
    fi
    do_step "$why" "Run: sudo apt-get install $*" \
        "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y --no-install-recommends "$@"
}

if [[ $with_test -eq 1 ]]; then
    if command -v chromium >/dev/null 2>&1 && [[ -x /usr/bin/chromedriver ]]; then
        skip "chromium + chromedriver ($(chromium --version 2>/dev/null || echo 'version unknown'))"
    else
        apt_install "install Chromium and chromedriver for the browser tests" chromium chromium-driver
    fi
    if command -v shellcheck >/dev/null 2>&1; then
        skip "shellcheck"
    else
        apt_install "install shellcheck" shellcheck
    fi
    # The collector snippet is tested under dash and busybox sh.
    if command -v busybox >/dev/null 2>&1 && command -v dash >/dev/null 2>&1; then
        skip "busybox + dash"
    else
        apt_install "install busybox and dash for the collector tests" busybox dash
    fi
fi

if [[ $with_lab -eq 1 ]]; then
    missing=()
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || missing+=(nginx)
    compgen -G '/usr/sbin/php-fpm*' >/dev/null || missing+=(php-fpm)
    if [[ ${#missing[@]} -eq 0 ]]; then
        skip "nginx + php-fpm"
    else
        apt_install "install ${missing[*]} for the lab" "${missing[@]}"
    fi
    need python3 "Install Python 3 (Debian: sudo apt-get install python3 python3-pip)."
    if python3 -c 'import gunicorn' >/dev/null 2>&1; then
        skip "gunicorn"
    else
        do_step "install gunicorn for the lab" "Run: python3 -m pip install gunicorn" \
            python3 -m pip install gunicorn
    fi
fi

say "done in $((SECONDS - started))s"
