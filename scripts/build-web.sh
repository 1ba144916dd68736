#!/usr/bin/env bash
# Build the web app into www/ (release): wasm-pack + wasm-bindgen, then
# wasm-opt -Oz from the npm package `binaryen` when available, then print
# the sizes of what a browser downloads. Safe to run again at any time;
# concurrent runs wait for each other.
#
#   scripts/build-web.sh            build, warn when over the size budget
#   scripts/build-web.sh --strict   build, fail when over the size budget
set -euo pipefail

strict=0
for arg in "$@"; do
  case "$arg" in
    --strict) strict=1 ;;
    -h | --help)
      sed -n '2,9p' "$0"
      exit 0
      ;;
    *)
      echo "build-web: unknown argument '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

pkg="www/pkg"
# Cargo's target directory: CARGO_TARGET_DIR when set (relative to the
# checkout, like cargo), else target/.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in
  /*) ;;
  *) target_dir="$root/$target_dir" ;;
esac
# Built here first, then swapped into www/pkg, so a half-built package is
# never served.
stage="$target_dir/web-pkg"
budget_kb=300

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    echo "build-web: '$1' is not installed. $2" >&2
    exit 2
  fi
}
need wasm-pack "Install it with: cargo install wasm-pack"
need wasm-bindgen "Install it with: cargo install wasm-bindgen-cli --version 0.2.130"

want_wb="0.2.130"
have_wb="$(wasm-bindgen --version | awk '{print $2}')"
if [ "$have_wb" != "$want_wb" ]; then
  echo "build-web: wasm-bindgen $have_wb on PATH, the crate pins $want_wb:" >&2
  echo "  cargo install wasm-bindgen-cli --version $want_wb --locked" >&2
  exit 2
fi

mkdir -p "$target_dir"
exec 9>"$target_dir/build-web.lock"
if ! flock -n 9; then
  echo "==> another build-web.sh is running: waiting for it"
  flock 9
fi

echo "==> wasm-pack build (release)"
rm -rf "$stage"
# Size over speed for the browser build only (the workspace's release
# profile says "s"; "z" makes this wasm some 10-15% smaller) ...
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
# ... except the engine and memchr, which scan every byte of a dropped log:
# at opt-level 2 with WebAssembly SIMD (Chrome 91, Firefox 89, Safari 16.4)
# they diagnose 2.5-3x faster than at "z" without it, for ~105 KB more
# gzipped (bench/README.md; figures in bench/baseline.json).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-C target-feature=+simd128"
speed=(--config 'profile.release.package.analyzer-core.opt-level=2' --config 'profile.release.package.memchr.opt-level=2')
wasm-pack --log-level warn build web-ui --target web --release --out-dir "$stage" --no-typescript --no-pack -- "${speed[@]}"
rm -f "$stage/.gitignore" "$stage/package.json" "$stage/README.md"

wasm="$stage/web_ui_bg.wasm"
wasm_opt="node_modules/.bin/wasm-opt"
if [ ! -x "$wasm_opt" ] && command -v npm >/dev/null 2>&1 && [ -f package.json ]; then
  version="$(node -e 'const p=require("./package.json");const d={...p.dependencies,...p.devDependencies};process.stdout.write(d.binaryen||"")')"
  if [ -n "$version" ]; then
    echo "==> npm install --no-save binaryen@$version"
    npm install --no-save --no-audit --no-fund "binaryen@$version" >/dev/null || true
  fi
fi
if [ -x "$wasm_opt" ]; then
  echo "==> wasm-opt -Oz"
  "$wasm_opt" -Oz --converge --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue --enable-simd \
    --strip-debug --strip-producers "$wasm" -o "$wasm.opt"
  mv "$wasm.opt" "$wasm"
else
  echo "==> wasm-opt not found (npm package binaryen): the wasm is not size-optimised" >&2
fi

# The service worker's cache name follows the build (see www/sw.js).
stamp="$(cat "$wasm" "$stage/web_ui.js" www/*.js www/*.css www/*.html www/*.svg | sha256sum | cut -c1-12)"
printf 'self.UPSTREAM_DOCTOR_BUILD = "%s";\n' "$stamp" >"$stage/sw-version.js"

rm -rf "$pkg.old"
if [ -d "$pkg" ]; then mv "$pkg" "$pkg.old"; fi
mv "$stage" "$pkg"
rm -rf "$pkg.old"
wasm="$pkg/web_ui_bg.wasm"

echo "==> sizes (what the browser downloads)"
total_raw=0
total_gz=0
for f in "$wasm" "$pkg/web_ui.js" www/app.js www/worker.js www/reader.js www/style.css www/index.html; do
  raw=$(wc -c <"$f")
  gz=$(gzip -9 -c "$f" | wc -c)
  total_raw=$((total_raw + raw))
  total_gz=$((total_gz + gz))
  printf '  %-24s %9d B raw %9d B gzip\n' "${f#www/}" "$raw" "$gz"
done
printf '  %-24s %9d B raw %9d B gzip (budget %d KB gzip)\n' "total" "$total_raw" "$total_gz" "$budget_kb"
if [ "$total_gz" -gt $((budget_kb * 1024)) ]; then
  echo "build-web: WARNING: $((total_gz / 1024)) KB gzip is over the ${budget_kb} KB budget" >&2
  if [ "$strict" = 1 ]; then
    exit 1
  fi
fi
echo "==> www/ is ready: serve it with any static server (application/wasm for .wasm)"
