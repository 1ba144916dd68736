#!/usr/bin/env node
// Interleaved A/B of the app's end-to-end time in the browser: ROOT holds
// two or more copies of www/ (say www-a/ and www-b/, each with its pkg/);
// each round drops LOG into each copy in turn (warm worker, service
// workers blocked) and times `start` to `report` from the app's own
// messages, as browser-bench.mjs does. A change to how the app reads or
// feeds is judged by these interleaved runs, not by two separate benches
// (the machine's speed drifts between them).
//
//   node bench/ab-browser.mjs ROOT LOG ROUNDS DIR...
import { chromium } from 'playwright-core';
import { serve } from '../e2e/server.mjs';

const [root, file, rounds, ...dirs] = process.argv.slice(2);
if (!root || !file || !dirs.length) {
  console.error('usage: node bench/ab-browser.mjs ROOT LOG ROUNDS DIR...');
  process.exit(2);
}
const RECORD = () => {
  const log = (window.__udBench = []);
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        if (e.data && typeof e.data === 'object') log.push({ t: performance.now(), type: e.data.type, message: e.data.message });
      });
    }

    postMessage(m, ...rest) {
      if (m && m.type === 'start') log.push({ t: performance.now(), type: 'start-sent' });
      return super.postMessage(m, ...rest);
    }
  };
};
const server = await serve({ root, prefix: '/' });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const times = Object.fromEntries(dirs.map((d) => [d, []]));
try {
  for (let r = 0; r < Number(rounds || 3); r++) {
    for (const d of dirs) {
      const context = await browser.newContext({ serviceWorkers: 'block' });
      await context.addInitScript(RECORD);
      const page = await context.newPage();
      await page.goto(`${server.origin}/${d}/`);
      await page.waitForFunction(() => window.__udBench.some((m) => m.type === 'warm'), null, { timeout: 60000 });
      await page.setInputFiles('#files', file);
      await page.waitForFunction(() => window.__udBench.some((m) => m.type === 'report' || m.type === 'error'), null, { timeout: 600000, polling: 50 });
      const log = await page.evaluate(() => window.__udBench);
      await context.close();
      const err = log.find((m) => m.type === 'error');
      if (err) throw new Error(`${d}: ${err.message}`);
      times[d].push(log.find((m) => m.type === 'report').t - log.find((m) => m.type === 'start-sent').t);
    }
  }
} finally {
  await browser.close();
  await server.close();
}
for (const d of dirs) {
  const ms = times[d];
  const sorted = [...ms].sort((a, b) => a - b);
  console.log(`${d}: ${ms.map(Math.round).join(' ')} ms; fastest ${Math.round(sorted[0])}, median ${Math.round(sorted[Math.floor(sorted.length / 2)])}`);
}
