// The diagnosis worker: a module worker running the same wasm package as
// the page. Message protocol (documented in web-ui/src/protocol.rs):
//   page -> worker: {type:'start', job, total, overrides?, files?} | {type:'chunk', job, data}
//                   | {type:'finish', job} | {type:'cancel', job}
//   worker -> page: {type:'ready'} | {type:'warm'} | {type:'progress', job, bytes, total, elapsed_ms, file}
//                   | {type:'report', job, report} | {type:'error', job, message}
import init, { WorkerAnalyzer, worker_init, worker_warm_up_log } from './pkg/web_ui.js';

// Messages that arrive before the wasm is ready wait here, in order.
const queue = [];
let ready = false;
let broken = null;

self.onmessage = (event) => {
  if (ready) handle(event.data);
  else queue.push(event.data);
};

const PROGRESS_EVERY_MS = 100;
/** job -> { analyzer, t0, bytes, total, cancelled, reader, readerWorker } */
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
  if (j.readerWorker) j.readerWorker.terminate();
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

// A plain file is read on this thread with a "bring your own buffer"
// reader into one reused BATCH-byte buffer: the browser fills the stream's
// pipe on a thread of its own while the engine scans, and in
// bench/browser-bench.mjs this came out 10-20% faster end to end than
// reading in a second worker and transferring the pieces (the two workers
// and the transfers compete for the same cores). A .gz file is read and
// decompressed by a reader worker of its own (reader.js), up to AHEAD bytes
// ahead, so decompression runs beside the scan; so is a plain file where
// streams have no such reader. Where workers cannot start workers, the
// stream's own chunks are read here, one read() kept in flight.
const BATCH = 2 << 20;
const AHEAD = 16 << 20;
const isGzip = (file) => /\.gz$/i.test(file.name);

// One reader worker is started ahead of need (when this worker starts, and
// again each time one is taken), so a dropped file does not wait for a
// worker to start: that wait is a tenth of a second, as long as scanning
// 30 MB takes.
let spareReader = null;

function keepSpareReader() {
  if (spareReader || typeof Worker !== 'function') return;
  try {
    const spare = new Worker(new URL('./reader.js', import.meta.url));
    spare.onerror = (e) => {
      // A spare that could not start is dropped; the next file makes a new one.
      e.preventDefault();
      if (spareReader === spare) spareReader = null;
      spare.terminate();
    };
    spareReader = spare;
  } catch (_) {
    spareReader = null;
  }
}

function takeReader() {
  const reader = spareReader || new Worker(new URL('./reader.js', import.meta.url));
  spareReader = null;
  return reader;
}

/** Pieces of `file` from reader.js, each batch acknowledged (and its
 *  buffers handed back) once scanned. */
async function* fromReader(file, j, onRead) {
  const reader = takeReader();
  j.readerWorker = reader;
  const queue = [];
  let done = false;
  let error = null;
  let wake = null;
  const notify = () => {
    if (wake) wake();
    wake = null;
  };
  reader.onmessage = (e) => {
    const d = e.data;
    if (d.bufs) queue.push(d);
    else if (d.done) done = true;
    else if (d.error) error = d.error;
    notify();
  };
  reader.onerror = (e) => {
    e.preventDefault();
    error = e.message || 'the file reader stopped';
    notify();
  };
  reader.postMessage({ file, gzip: isGzip(file), batch: BATCH, ahead: AHEAD });
  try {
    for (;;) {
      if (queue.length) {
        const { bufs, lens, read } = queue.shift();
        onRead(read);
        for (let i = 0; i < bufs.length; i++) yield new Uint8Array(bufs[i], 0, lens[i]);
        // Scanned (the engine copies what it is fed): the buffers go back
        // to the reader to be filled again.
        reader.postMessage({ ack: lens.reduce((n, l) => n + l, 0), back: bufs }, bufs);
      } else if (error) {
        throw new Error(error);
      } else if (done) {
        return;
      } else {
        await new Promise((ok) => { wake = ok; });
      }
    }
  } finally {
    reader.terminate();
    j.readerWorker = null;
    keepSpareReader();
  }
}

/** A plain `file` read on this thread into one reused buffer; null where
 *  the stream has no "bring your own buffer" reader. */
function fromOwnBuffer(file, j, onRead) {
  let reader;
  try {
    reader = file.stream().getReader({ mode: 'byob' });
  } catch (_) {
    return null;
  }
  return (async function* read() {
    j.reader = reader;
    let buf = new ArrayBuffer(BATCH);
    try {
      for (;;) {
        const { done, value } = await reader.read(new Uint8Array(buf));
        if (done) return;
        // The buffer moves into each read and comes back with its result;
        // the engine copies what it is fed, so it is free again at once.
        buf = value.buffer;
        onRead(value.byteLength);
        yield value;
      }
    } finally {
      j.reader = null;
    }
  }());
}

/** `file` read (and decompressed, for .gz) on this thread with
 *  file.stream(), one read() kept in flight. */
async function* fromStream(file, j, onRead) {
  const gzip = isGzip(file);
  let stream = file.stream();
  if (gzip) {
    stream = stream.pipeThrough(new TransformStream({
      transform(chunk, ctl) {
        onRead(chunk.byteLength);
        ctl.enqueue(chunk);
      },
    })).pipeThrough(new DecompressionStream('gzip'));
  }
  const reader = stream.getReader();
  j.reader = reader;
  try {
    let next = reader.read();
    for (;;) {
      const { done, value } = await next;
      if (done) return;
      next = reader.read();
      // A rejected read-ahead is reported by the next await, not here.
      next.catch(() => {});
      if (!gzip) onRead(value.byteLength);
      yield value;
    }
  } finally {
    j.reader = null;
  }
}

/**
 * The bytes of `file` as Uint8Array pieces, the next ones being read while
 * the caller works on the current piece. `onRead(n)` is told how many bytes
 * of the file itself were read (compressed bytes for .gz).
 */
function pieces(file, j, onRead) {
  const own = isGzip(file) ? null : fromOwnBuffer(file, j, onRead);
  if (own) return own;
  if (typeof Worker === 'function') return fromReader(file, j, onRead);
  return fromStream(file, j, onRead);
}

async function streamFiles(job, files) {
  const j = jobs.get(job);
  let last = 10; // '\n': files are joined as if pasted one after another
  for (const file of files) {
    if (j.cancelled) return;
    if (last !== 10) j.analyzer.feed(new Uint8Array([10]));
    last = 10;
    try {
      for await (const value of pieces(file, j, (n) => { j.bytes += n; })) {
        if (j.cancelled) return;
        if (value.byteLength === 0) continue;
        j.analyzer.feed(value);
        last = value[value.byteLength - 1];
        progress(job, j, file.name, false);
      }
    } catch (err) {
      if (j.cancelled) return;
      const what = isGzip(file) ? 'could not decompress' : 'could not read';
      fail(job, new Error(`${what} ${file.name}: ${describe(err)}`));
      return;
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
          readerWorker: null,
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

// Warm-up (web-ui/src/warm.rs): before the first file, the engine runs
// twice over a small made-up log, in pieces with a yield between them, so
// the browser's optimising compiler has compiled its hot code by the time
// a person has chosen a file. It stops at once when a job starts (the job
// is never delayed by more than one piece), and says {type:'warm'} when it
// ran to the end.
const WARM_BYTES = 512 << 10;
const WARM_PIECE = 64 << 10;
const WARM_ROUNDS = 2;
const pause = () => new Promise((ok) => setTimeout(ok, 0));

async function warmUp() {
  await pause();
  const text = worker_warm_up_log(WARM_BYTES);
  for (let round = 0; round < WARM_ROUNDS; round++) {
    if (jobs.size || broken) return;
    const a = new WorkerAnalyzer();
    try {
      for (let at = 0; at < text.length; at += WARM_PIECE) {
        if (jobs.size) return;
        a.feed(text.subarray(at, at + WARM_PIECE));
        await pause();
        if (jobs.size) return;
      }
      a.finish();
    } finally {
      try { a.free(); } catch (_) { /* consumed by finish */ }
    }
  }
  post({ type: 'warm' });
}

init()
  .then(() => {
    worker_init();
    ready = true;
    post({ type: 'ready' });
    keepSpareReader();
    warmUp().catch(() => { /* a failed warm-up costs only speed */ });
  })
  .catch((err) => {
    broken = `the analyzer could not load: ${describe(err)}`;
    ready = true;
    post({ type: 'error', job: null, message: broken });
  })
  .finally(() => {
    while (queue.length) handle(queue.shift());
  });
