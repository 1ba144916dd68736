// The diagnosis worker: a module worker running the same wasm package as
// the page. Message protocol (documented in web-ui/src/protocol.rs):
//   page -> worker: {type:'start', job, total, overrides?, files?} | {type:'chunk', job, data}
//                   | {type:'finish', job} | {type:'cancel', job}
//   worker -> page: {type:'ready'} | {type:'progress', job, bytes, total, elapsed_ms, file}
//                   | {type:'report', job, report} | {type:'error', job, message}
import init, { WorkerAnalyzer, worker_init } from './pkg/web_ui.js';

// Messages that arrive before the wasm is ready wait here, in order.
const queue = [];
let ready = false;
let broken = null;

self.onmessage = (event) => {
  if (ready) handle(event.data);
  else queue.push(event.data);
};

const PROGRESS_EVERY_MS = 100;
/** job -> { analyzer, t0, bytes, total, cancelled, reader } */
const jobs = new Map();

function post(msg) {
  self.postMessage(msg);
}

function describe(err) {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

function fail(job, err) {
  post({ type: 'error', job: job ?? null, message: describe(err) });
  drop(job);
}

function drop(job) {
  const j = jobs.get(job);
  if (!j) return;
  j.cancelled = true;
  if (j.reader) j.reader.cancel().catch(() => {});
  try { j.analyzer.free(); } catch (_) { /* already consumed */ }
  jobs.delete(job);
}

function progress(job, j, file, force) {
  const now = performance.now();
  if (!force && now - j.lastPost < PROGRESS_EVERY_MS) return;
  j.lastPost = now;
  post({ type: 'progress', job, bytes: j.bytes, total: j.total, elapsed_ms: now - j.t0, file: file ?? null });
}

function finish(job) {
  const j = jobs.get(job);
  if (!j || j.cancelled) return;
  try {
    progress(job, j, null, true);
    const report = j.analyzer.finish();
    jobs.delete(job);
    try { j.analyzer.free(); } catch (_) { /* fine */ }
    post({ type: 'report', job, report });
  } catch (err) {
    fail(job, err);
  }
}

async function streamFiles(job, files) {
  const j = jobs.get(job);
  let last = 10; // '\n': files are joined as if pasted one after another
  for (const file of files) {
    if (j.cancelled) return;
    if (last !== 10) j.analyzer.feed(new Uint8Array([10]));
    last = 10;
    let stream = file.stream().pipeThrough(new TransformStream({
      transform(chunk, ctl) {
        j.bytes += chunk.byteLength;
        ctl.enqueue(chunk);
      },
    }));
    if (/\.gz$/i.test(file.name)) {
      stream = stream.pipeThrough(new DecompressionStream('gzip'));
    }
    const reader = stream.getReader();
    j.reader = reader;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (j.cancelled) return;
        if (done) break;
        if (value.byteLength === 0) continue;
        j.analyzer.feed(value);
        last = value[value.byteLength - 1];
        progress(job, j, file.name, false);
      }
    } catch (err) {
      if (j.cancelled) return;
      const what = /\.gz$/i.test(file.name) ? 'could not decompress' : 'could not read';
      fail(job, new Error(`${what} ${file.name}: ${describe(err)}`));
      return;
    } finally {
      j.reader = null;
    }
  }
  finish(job);
}

function handle(msg) {
  if (broken) {
    post({ type: 'error', job: msg && msg.job != null ? msg.job : null, message: broken });
    return;
  }
  try {
    switch (msg.type) {
      case 'start': {
        for (const other of [...jobs.keys()]) drop(other);
        const j = {
          analyzer: new WorkerAnalyzer(),
          t0: performance.now(),
          lastPost: 0,
          bytes: 0,
          total: msg.total || 0,
          cancelled: false,
          reader: null,
        };
        jobs.set(msg.job, j);
        if (Array.isArray(msg.overrides) && msg.overrides.length) {
          j.analyzer.setOverrides(msg.overrides);
        }
        if (Array.isArray(msg.files)) {
          streamFiles(msg.job, msg.files).catch((err) => fail(msg.job, err));
        }
        break;
      }
      case 'chunk': {
        const j = jobs.get(msg.job);
        if (!j) return;
        j.analyzer.feed(msg.data);
        j.bytes += msg.data.byteLength;
        progress(msg.job, j, null, false);
        break;
      }
      case 'finish':
        finish(msg.job);
        break;
      case 'cancel':
        drop(msg.job);
        break;
      default:
        post({ type: 'error', job: msg.job ?? null, message: `unknown message type ${msg.type}` });
    }
  } catch (err) {
    fail(msg.job, err);
  }
}

init()
  .then(() => {
    worker_init();
    ready = true;
    post({ type: 'ready' });
  })
  .catch((err) => {
    broken = `the analyzer could not load: ${describe(err)}`;
    ready = true;
    post({ type: 'error', job: null, message: broken });
  })
  .finally(() => {
    while (queue.length) handle(queue.shift());
  });
