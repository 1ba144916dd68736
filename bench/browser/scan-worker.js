// Diagnostic for bench/browser-bench.mjs: the app's wasm package fed from
// file.stream() in a worker, with the time spent inside feed() measured
// apart from the time spent waiting for the next chunk.
import init, { WorkerAnalyzer, worker_warm_up_log } from '../../www/pkg/web_ui.js';

// Warmed up as the app's worker is (www/worker.js), so both measure the
// engine's optimised code.
const ready = init().then(() => {
  const text = worker_warm_up_log(512 << 10);
  for (let round = 0; round < 2; round++) {
    const a = new WorkerAnalyzer();
    for (let at = 0; at < text.length; at += 64 << 10) a.feed(text.subarray(at, at + (64 << 10)));
    a.finish();
  }
});
self.onmessage = async (e) => {
  await ready;
  const file = e.data;
  const t0 = performance.now();
  const a = new WorkerAnalyzer();
  const reader = file.stream().getReader();
  let feedMs = 0;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const f0 = performance.now();
    a.feed(value);
    feedMs += performance.now() - f0;
    bytes += value.byteLength;
  }
  const f0 = performance.now();
  a.finish();
  const finishMs = performance.now() - f0;
  self.postMessage({ bytes, ms: performance.now() - t0, feedMs, finishMs });
};
