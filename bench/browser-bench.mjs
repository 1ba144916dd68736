#!/usr/bin/env node
// Browser benchmark: in one headless Chromium, on one large generated log,
//   (a) the raw read rate: a bench-only worker (bench/browser/) reads the
//       File with file.stream() to its end and does nothing else, once
//       with the stream's own chunks and once into a reused buffer (as
//       www/reader.js does); the faster is the reference;
//   (b) the end-to-end rate of the app itself: the file is given to the
//       app's file input (#files) once the app's worker is ready, and timed
//       from the moment the page posts `start` to its worker until the
//       `report` message arrives (read, diagnose, report built and sent
//       back), as the app's own protocol reports it;
//   (c) for diagnosis, the engine alone: the same wasm package fed from
//       file.stream() in a bench-only worker, counting only the time spent
//       inside feed() (so (b) can be told apart into reading and scanning);
// then the ratio (b)/(a) (target: >= 80%) and the gzipped size of what
// the browser downloads. Each is run REPEAT times, alternating, and the
// fastest run of each is kept (the machine may be shared).
//
//   node bench/browser-bench.mjs [--file LOG | --size MB] [--repeat N] [--json OUT] [--cold]
//
// (b) starts once the app's worker has run its warm-up (web-ui/src/warm.rs),
// as it has by the time a person has chosen a file; --cold drops the file
// as soon as the worker is ready instead (the engine then runs partly in
// the browser's baseline code).
// Needs the built app (scripts/build-web.sh) and /usr/bin/chromium (or
// $CHROMIUM). Without --file, bench/gen_logs.py writes a log of --size MB
// (default 256) into $BENCH_DIR (default /tmp), once.
import { existsSync, statSync, readFileSync, writeFileSync, createWriteStream, renameSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../e2e/server.mjs';
import { launch, endToEnd } from './chromium.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

function args() {
  const out = { size: 256, repeat: 3, file: null, json: null, cold: false };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const next = () => {
      if (i + 1 >= a.length) throw new Error(`${a[i]} needs a value`);
      return a[++i];
    };
    switch (a[i]) {
      case '--size': out.size = Number(next()); break;
      case '--repeat': out.repeat = Number(next()); break;
      case '--file': out.file = next(); break;
      case '--json': out.json = next(); break;
      case '--cold': out.cold = true; break;
      case '-h': case '--help':
        console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 20).join('\n').replace(/^\/\/ ?/gm, ''));
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a[i]}`);
    }
  }
  return out;
}

async function generated(sizeMb) {
  const dir = process.env.BENCH_DIR || '/tmp';
  const file = join(dir, `upstream-doctor-bench-${sizeMb}m.log`);
  if (existsSync(file) && statSync(file).size > 0) return file;
  console.error(`generating ${file} (once; cached) ...`);
  await new Promise((ok, fail) => {
    const out = createWriteStream(`${file}.tmp`);
    const p = spawn('python3', [join(ROOT, 'bench', 'gen_logs.py'), String(sizeMb)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.pipe(out);
    p.on('error', fail);
    out.on('finish', () => (p.exitCode === 0 || p.exitCode === null ? ok() : fail(new Error('gen_logs.py failed'))));
  });
  renameSync(`${file}.tmp`, file);
  return file;
}

/** gzip -9 size of what the browser downloads for the app. */
function bundle() {
  const files = ['www/pkg/web_ui_bg.wasm', 'www/pkg/web_ui.js', 'www/app.js', 'www/worker.js', 'www/reader.js', 'www/style.css', 'www/index.html'];
  let raw = 0;
  let gz = 0;
  let wasmGz = 0;
  for (const f of files) {
    const b = readFileSync(join(ROOT, f));
    const z = gzipSync(b, { level: 9 }).length;
    raw += b.length;
    gz += z;
    if (f.endsWith('.wasm')) wasmGz = z;
  }
  return { raw, gz, wasmGz };
}

async function readRate(browser, origin, file) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/bench/browser/read.html`);
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => window.readResult, null, { timeout: 600000, polling: 50 });
  const { stream, byob } = await page.evaluate(() => window.readResult);
  await context.close();
  // The reference is the faster way of reading (reader.js reads the byob way).
  const best = byob && byob.ms < stream.ms ? { ...byob, how: 'byob' } : { ...stream, how: 'stream' };
  return { ...best, stream_ms: stream.ms, byob_ms: byob ? byob.ms : null };
}

async function scanRate(browser, origin, file) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${origin}/bench/browser/scan.html`);
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => window.scanResult, null, { timeout: 600000, polling: 50 });
  const r = await page.evaluate(() => window.scanResult);
  await context.close();
  return { ...r, ms: r.feedMs };
}

async function main() {
  const o = args();
  if (!existsSync(join(ROOT, 'www', 'pkg', 'web_ui_bg.wasm'))) {
    throw new Error('www/pkg is missing: run scripts/build-web.sh first');
  }
  const file = o.file || (await generated(o.size));
  const bytes = statSync(file).size;
  const mib = bytes / 1048576;
  const server = await serve({ root: ROOT.replace(/\/$/, ''), prefix: '/' });
  const browser = await launch();
  const browserVersion = browser.version();
  const reads = [];
  const e2es = [];
  const scans = [];
  try {
    for (let i = 0; i < o.repeat; i++) {
      const r = await readRate(browser, server.origin, file);
      if (r.bytes !== bytes) throw new Error(`read ${r.bytes} bytes of ${bytes}`);
      reads.push(r);
      e2es.push(await endToEnd(browser, `${server.origin}/www/`, file, o.cold));
      scans.push(await scanRate(browser, server.origin, file));
      const rate = (ms) => (mib / (ms / 1000)).toFixed(0);
      console.error(`run ${i + 1}/${o.repeat}: read ${rate(r.stream_ms)} MB/s stream, ${r.byob_ms ? rate(r.byob_ms) : '-'} MB/s byob, end-to-end ${rate(e2es[i].ms)} MB/s, engine ${rate(scans[i].ms)} MB/s`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  const best = (xs) => xs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const read = best(reads);
  const e2e = best(e2es);
  const scan = best(scans);
  const readMbps = mib / (read.ms / 1000);
  const e2eMbps = mib / (e2e.ms / 1000);
  const b = bundle();
  const result = {
    file,
    bytes,
    repeat: o.repeat,
    chromium: browserVersion,
    read_ms: Math.round(read.ms),
    read_mbps: Math.round(readMbps),
    read_chunks: read.chunks,
    read_how: read.how,
    read_stream_mbps: Math.round(mib / (best(reads.map((r) => ({ ms: r.stream_ms }))).ms / 1000)),
    read_byob_mbps: reads.every((r) => r.byob_ms) ? Math.round(mib / (best(reads.map((r) => ({ ms: r.byob_ms }))).ms / 1000)) : null,
    e2e_start: o.cold ? 'cold' : 'warm',
    e2e_ms: Math.round(e2e.ms),
    e2e_mbps: Math.round(e2eMbps),
    worker_scan_ms: e2e.worker_scan_ms == null ? null : Math.round(e2e.worker_scan_ms),
    engine_feed_ms: Math.round(scan.ms),
    engine_mbps: Math.round(mib / (scan.ms / 1000)),
    ratio: Number((e2eMbps / readMbps).toFixed(2)),
    bundle_gzip_bytes: b.gz,
    wasm_gzip_bytes: b.wasmGz,
  };
  console.log(`browser: Chromium ${browserVersion}, ${mib.toFixed(0)} MiB log, fastest of ${o.repeat} (wall clock, machine may be shared)`);
  console.log(`  raw read (file.stream() in a worker)   ${String(result.read_mbps).padStart(6)} MB/s  ${result.read_ms} ms  (faster of: own chunks ${result.read_stream_mbps}, into a 2 MiB buffer ${result.read_byob_mbps ?? '-'})`);
  console.log(`  end-to-end diagnosis (the app, ${result.e2e_start}) ${String(result.e2e_mbps).padStart(6)} MB/s  ${result.e2e_ms} ms  (worker's last progress at ${result.worker_scan_ms} ms)`);
  console.log(`  engine alone (time inside feed() only) ${String(result.engine_mbps).padStart(6)} MB/s  ${result.engine_feed_ms} ms`);
  console.log(`  end-to-end / raw read                  ${(result.ratio * 100).toFixed(0)}%  (target >= 80%)`);
  console.log(`  bundle: ${b.gz} B gzipped (wasm ${b.wasmGz} B gzipped; ${b.raw} B raw)`);
  if (o.json) writeFileSync(o.json, `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((e) => {
  console.error(`browser-bench: ${e.message}`);
  process.exit(1);
});
