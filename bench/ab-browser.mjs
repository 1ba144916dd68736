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
import { serve } from '../e2e/server.mjs';
import { launch, endToEnd } from './chromium.mjs';

const [root, file, rounds, ...dirs] = process.argv.slice(2);
if (!root || !file || !dirs.length) {
  console.error('usage: node bench/ab-browser.mjs ROOT LOG ROUNDS DIR...');
  process.exit(2);
}
const server = await serve({ root, prefix: '/' });
const browser = await launch();
const times = Object.fromEntries(dirs.map((d) => [d, []]));
try {
  for (let r = 0; r < Number(rounds || 3); r++) {
    for (const d of dirs) {
      times[d].push((await endToEnd(browser, `${server.origin}/${d}/`, file)).ms);
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
