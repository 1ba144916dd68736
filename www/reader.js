// Reads a dropped file for worker.js on a thread of its own: a .gz file,
// gunzipped here (DecompressionStream) so decompression runs beside the
// scan, and a plain file only where streams have no "bring your own
// buffer" reader (worker.js reads plain files itself, into one reused
// buffer, which measured faster than handing them over from here). It
// reads ahead while the diagnosis worker scans and hands the bytes over
// without a copy (transferred).
//   worker.js -> reader: {file, gzip, batch, ahead}, then {ack: n, back}
//                        once a batch of n bytes has been scanned (back: its
//                        buffers, transferred back for reuse)
//   reader -> worker.js: {bufs, lens, read} (bufs: ArrayBuffers, transferred,
//                        in order, the first lens[i] bytes of each meant;
//                        read = bytes of the file itself consumed for them)
//                        ..., then {done} | {error}
// At most `ahead` bytes are read and not yet scanned, which bounds memory.
//
// Decompressed output is not a byte stream, so its chunks are gathered
// into batches of at least `batch` bytes: one message per batch, not per
// chunk. A plain file is read into `batch`-byte buffers that worker.js
// hands back once scanned, when the stream allows it.
let job = null;

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.file) {
    const j = {
      ...msg, waiting: 0, busy: false, done: false, consumed: 0, taken: 0,
      reader: null, byob: false, pool: [],
    };
    let stream = msg.file.stream();
    if (msg.gzip) {
      stream = stream.pipeThrough(new TransformStream({
        transform(chunk, ctl) {
          j.consumed += chunk.byteLength;
          ctl.enqueue(chunk);
        },
      })).pipeThrough(new DecompressionStream('gzip'));
    } else {
      try {
        j.reader = stream.getReader({ mode: 'byob' });
        j.byob = true;
      } catch (_) {
        // Not a byte stream here: its own chunks, batched.
      }
    }
    if (!j.reader) j.reader = stream.getReader();
    job = j;
    pump(j);
  } else if (msg.ack && job) {
    job.waiting -= msg.ack;
    if (job.byob && Array.isArray(msg.back)) {
      for (const b of msg.back) if (b.byteLength === job.batch) job.pool.push(b);
    }
    pump(job);
  }
};

/** A chunk's bytes as an ArrayBuffer of their own, copied only when the
 *  chunk is a view into a larger buffer (which cannot be transferred alone). */
function own(chunk) {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return chunk.buffer;
  return chunk.slice().buffer;
}

/** The next batch from the stream's own chunks: at least `batch` bytes
 *  (fewer at the end of the file, at least one chunk); `last` once the
 *  stream has ended. */
async function chunkBatch(j) {
  const bufs = [];
  const lens = [];
  let n = 0;
  let last = false;
  do {
    const { done, value } = await j.reader.read();
    if (done) {
      last = true;
      break;
    }
    if (value.byteLength === 0) continue;
    const buf = own(value);
    bufs.push(buf);
    lens.push(buf.byteLength);
    n += buf.byteLength;
  } while (n < j.batch);
  return { bufs, lens, n, last };
}

/** The next batch read into one `batch`-byte buffer (a reused one when
 *  worker.js has handed one back), filled unless the file ends first. */
async function byobBatch(j) {
  let buf = j.pool.pop() || new ArrayBuffer(Math.max(1, j.batch));
  let n = 0;
  let last = false;
  while (n < buf.byteLength) {
    const { done, value } = await j.reader.read(new Uint8Array(buf, n, buf.byteLength - n));
    // The buffer moves into each read and comes back with its result.
    if (value) buf = value.buffer;
    if (done) {
      last = true;
      break;
    }
    n += value.byteLength;
  }
  return n > 0 ? { bufs: [buf], lens: [n], n, last } : { bufs: [], lens: [], n, last };
}

async function pump(j) {
  if (j.busy || j.done) return;
  j.busy = true;
  try {
    while (j.waiting < j.ahead) {
      const { bufs, lens, n, last } = await (j.byob ? byobBatch(j) : chunkBatch(j));
      if (!j.gzip) j.consumed += n;
      const read = j.consumed - j.taken;
      j.taken = j.consumed;
      if (n > 0) {
        j.waiting += n;
        self.postMessage({ bufs, lens, read }, bufs);
      }
      if (last) {
        j.done = true;
        self.postMessage({ done: true });
        break;
      }
    }
  } catch (err) {
    j.done = true;
    self.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  } finally {
    j.busy = false;
  }
}
