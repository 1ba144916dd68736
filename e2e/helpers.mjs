// Shared set-up for the end-to-end tests: the browser, the served app,
// the sample, and what the engine itself ranks for it.
import { spawnSync } from 'node:child_process';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WWW } from './server.mjs';

export { launch } from './chromium.mjs';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const SAMPLE_PATH = join(ROOT, 'samples', 'mixed-502.txt');
export const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');

if (!existsSync(join(WWW, 'pkg', 'web_ui_bg.wasm'))) {
  throw new Error('www/pkg is missing: run scripts/build-web.sh first');
}

export const sample = () => readFile(SAMPLE_PATH, 'utf8');

let engine;
/** The page's wasm package, loaded in Node. */
async function loadEngine() {
  if (!engine) {
    // www/pkg has no package.json: load the ES module under an .mjs name.
    const src = await readFile(join(WWW, 'pkg', 'web_ui.js'), 'utf8');
    const dir = join(tmpdir(), `ud-e2e-${process.pid}`);
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'web_ui.mjs');
    await writeFile(file, src);
    engine = await import(file);
    engine.initSync({ module: await readFile(join(WWW, 'pkg', 'web_ui_bg.wasm')) });
  }
  return engine;
}

/**
 * The report the engine gives for `text`, computed in Node with the very
 * wasm package the page loads (so the tests follow the engine's ranking).
 * `overrides`: kind corrections (`[{first_line, last_line, kind}]`).
 */
export async function engineReport(text, overrides) {
  await loadEngine();
  const a = new engine.WorkerAnalyzer();
  if (overrides) a.setOverrides(overrides);
  a.feed(new TextEncoder().encode(text));
  // finish() gives the report as JSON text (the worker posts it as is).
  const report = JSON.parse(a.finish());
  a.free();
  return report;
}

/**
 * What a share link holds, decoded by the core (the same wasm package):
 * `{ report, input, trimmed }`; throws the core's reason for a bad link.
 */
export async function engineOpenLink(link) {
  return (await loadEngine()).openShareLink(link);
}

/** Cause ids of the rendered rows, in page order. */
export function rowIds(page) {
  return page.$$eval('[data-cause-id]', (rows) => rows.map((r) => r.getAttribute('data-cause-id')));
}

/** Wait until the results show `n` rows (or any when n is undefined). */
export async function waitForRows(page, n) {
  await page.waitForFunction(
    (n) => {
      const rows = document.querySelectorAll('[data-cause-id]');
      return n === undefined ? rows.length > 0 : rows.length === n;
    },
    n,
    { timeout: 20000 },
  );
}

/** Wait for the app to be mounted (wasm loaded). */
export async function ready(page) {
  await page.waitForSelector('#paste', { timeout: 20000 });
}

let cliPath;
/**
 * The `upstream-doctor` binary of this checkout: `UPSTREAM_DOCTOR_BIN`, or
 * built once here with cargo (debug, in CARGO_TARGET_DIR or target/).
 */
export function cli() {
  if (cliPath) return cliPath;
  if (process.env.UPSTREAM_DOCTOR_BIN) {
    cliPath = process.env.UPSTREAM_DOCTOR_BIN;
    return cliPath;
  }
  const built = spawnSync('cargo', ['build', '--quiet', '-p', 'upstream-doctor'], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (built.status !== 0) throw new Error('cargo build -p upstream-doctor failed');
  const target = process.env.CARGO_TARGET_DIR || join(ROOT, 'target');
  cliPath = join(target.startsWith('/') ? '' : ROOT, target, 'debug', 'upstream-doctor');
  return cliPath;
}

/** Run the CLI with `args` (and `input` on stdin): its stdout, or throw. */
export function runCli(args, input) {
  const r = spawnSync(cli(), args, { input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`upstream-doctor ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Wait until the app's service worker is installed and controls `page`. */
export async function serviceWorkerControls(page) {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (!navigator.serviceWorker.controller) {
      await new Promise((ok) => navigator.serviceWorker.addEventListener('controllerchange', ok, { once: true }));
    }
  });
}
