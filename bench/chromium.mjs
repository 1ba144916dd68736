// What the browser benches share: Chromium (as the e2e tests start it),
// the page-side recorder of the app's worker messages that their timings are read from.

export { launch } from '../e2e/chromium.mjs';

/** An init script: every worker the app creates reports its messages to
 *  `window.__udBench`, timed on the page, and so does the page's `start`. */
export const RECORD_WORKER = () => {
  const log = (window.__udBench = []);
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        const d = e.data;
        if (d && typeof d === 'object') {
          log.push({ t: performance.now(), type: d.type, elapsed_ms: d.elapsed_ms, bytes: d.bytes, message: d.message });
        }
      });
    }

    postMessage(msg, ...rest) {
      if (msg && msg.type === 'start') log.push({ t: performance.now(), type: 'start-sent' });
      return super.postMessage(msg, ...rest);
    }
  };
};

/**
 * The app at `url` diagnoses `file` dropped into its file input once its
 * worker is warm (or, `cold`, as soon as it is ready): milliseconds from
 * the page posting `start` to the worker's `report`, and the worker's own
 * elapsed time at its last progress message.
 */
export async function endToEnd(browser, url, file, cold = false) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  await context.addInitScript(RECORD_WORKER);
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('#paste', { timeout: 30000 });
  // The page starts its worker as it loads; a person drops a file after
  // that, so the clock starts once the worker has said it is ready and has
  // run its warm-up (web-ui/src/warm.rs: well under a second, less than
  // choosing a file takes), or with `cold` as soon as it is ready.
  const signal = cold ? 'ready' : 'warm';
  await page.waitForFunction((t) => window.__udBench.some((m) => m.type === t), signal, { timeout: 60000 });
  await page.setInputFiles('#files', file);
  await page.waitForFunction(
    () => window.__udBench.some((m) => m.type === 'report' || m.type === 'error'),
    null,
    { timeout: 600000, polling: 50 },
  );
  const log = await page.evaluate(() => window.__udBench);
  await context.close();
  const err = log.find((m) => m.type === 'error');
  if (err) throw new Error(`the app's worker failed: ${err.message}`);
  const start = log.find((m) => m.type === 'start-sent');
  const report = log.find((m) => m.type === 'report');
  const lastProgress = log.filter((m) => m.type === 'progress').pop();
  return {
    ms: report.t - start.t,
    worker_scan_ms: lastProgress ? lastProgress.elapsed_ms : null,
  };
}
