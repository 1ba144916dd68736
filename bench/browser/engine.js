// The app's wasm package for the bench-only workers, warmed up as the
// app's worker is (www/worker.js: twice over a small made-up log, in
// 64 KiB pieces), so they measure the engine's optimised code.
import init, { WorkerAnalyzer, worker_warm_up_log } from '../../www/pkg/web_ui.js';

export { WorkerAnalyzer };

export const engineReady = init().then(() => {
  const text = worker_warm_up_log(512 << 10);
  for (let round = 0; round < 2; round++) {
    const a = new WorkerAnalyzer();
    for (let at = 0; at < text.length; at += 64 << 10) a.feed(text.subarray(at, at + (64 << 10)));
    a.finish();
  }
});
