// Diagnostic for bench/split-bench.mjs: one of N workers that each diagnose
// a share of a File (bytes [from, to)), read with a "bring your own buffer"
// reader into one reused 2 MiB buffer, as www/worker.js reads.
import init, { WorkerAnalyzer, worker_warm_up_log } from '../../www/pkg/web_ui.js';

const ready = init().then(() => {
  const text = worker_warm_up_log(512 << 10);
  for (let round = 0; round < 2; round++) {
    const a = new WorkerAnalyzer();
    for (let at = 0; at < text.length; at += 64 << 10) a.feed(text.subarray(at, at + (64 << 10)));
    a.finish();
  }
  self.postMessage({ warm: true });
});
self.onmessage = async (e) => {
  await ready;
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
