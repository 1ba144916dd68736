// Diagnostic for bench/browser-bench.mjs: the app's wasm package fed from
// file.stream() in a worker, with the time spent inside feed() measured
// apart from the time spent waiting for the next chunk.
import { WorkerAnalyzer, engineReady as ready } from './engine.js';

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
