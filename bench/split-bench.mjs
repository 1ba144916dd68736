#!/usr/bin/env node
// Would splitting a dropped file over several workers make the browser
// faster? In one Chromium, N module workers (bench/browser/split.html)
// each read their share of the file (file.slice(), a "bring your own
// buffer" reader) and diagnose it with their own WorkerAnalyzer; the time
// runs until the last one has finished. No merge of the partial reports is
// done, so this is an upper bound for a split; N = 1 is the same reading
// and scanning in one worker, for comparison. Runs alternate.
//
//   node bench/split-bench.mjs LOG [REPEAT] [N ...]     (default: 3 rounds, N = 1 2)
//
// Needs the built app (scripts/build-web.sh) and /usr/bin/chromium (or $CHROMIUM).
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serve } from '../e2e/server.mjs';
import { launch } from './chromium.mjs';

const [file, repeatArg, ...ns] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/split-bench.mjs LOG [REPEAT] [N ...]');
  process.exit(2);
}
const repeat = Number(repeatArg || 3);
const counts = ns.length ? ns.map(Number) : [1, 2];
const mib = statSync(file).size / 1048576;
const root = fileURLToPath(new URL('../', import.meta.url)).replace(/\/$/, '');
const server = await serve({ root, prefix: '/' });
const browser = await launch();
const best = {};
try {
  for (let r = 0; r < repeat; r++) {
    for (const n of counts) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${server.origin}/bench/browser/split.html?n=${n}`);
      await page.waitForFunction(() => window.splitReady, null, { timeout: 60000 });
      await page.setInputFiles('#file', file);
      await page.waitForFunction(() => window.splitResult, null, { timeout: 600000, polling: 50 });
      const res = await page.evaluate(() => window.splitResult);
      await context.close();
      const parts = res.parts.map((p) => `${Math.round(p.ms)} ms (feed ${Math.round(p.feedMs)})`).join(', ');
      console.log(`round ${r + 1}, ${n} worker(s): ${Math.round(mib / (res.ms / 1000))} MB/s, ${Math.round(res.ms)} ms; each: ${parts}`);
      best[n] = Math.min(best[n] ?? Infinity, res.ms);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
for (const n of counts) console.log(`${n} worker(s), fastest: ${Math.round(mib / (best[n] / 1000))} MB/s (${Math.round(best[n])} ms)`);
