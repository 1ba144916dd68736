// Diagnostic for bench/split-bench.mjs: one of N workers that each diagnose
// a share of a File (bytes [from, to)), read with a "bring your own buffer"
// reader into one reused 2 MiB buffer, as www/worker.js reads.
import { WorkerAnalyzer, engineReady } from './engine.js';

engineReady.then(() => self.postMessage({ warm: true }));
self.onmessage = async (e) => {
  await engineReady;
  const { file, from, to } = e.data;
  const t0 = performance.now();
  const a = new WorkerAnalyzer();
  const reader = file.slice(from, to).stream().getReader({ mode: 'byob' });
  let buf = new ArrayBuffer(2 << 20);
  let feedMs = 0;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buf));
    if (done) break;
    buf = value.buffer;
    const f0 = performance.now();
    a.feed(value);
    feedMs += performance.now() - f0;
    bytes += value.byteLength;
  }
  a.finish();
  self.postMessage({ bytes, ms: performance.now() - t0, feedMs });
};
