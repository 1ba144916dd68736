// Reads a dropped file for worker.js on a thread of its own, gunzipping a
// .gz one (DecompressionStream) here too. In Chromium a File read completes
// on the thread that asked for it, so a worker busy scanning cannot also be
// reading; this worker reads (and decompresses) ahead while the diagnosis
// worker scans, and hands the bytes over without a copy (transferred).
//   worker.js -> reader: {file, gzip, batch, ahead}, then {ack: n} for each
//                        batch taken (n = the batch's bytes)
//   reader -> worker.js: {bufs, read} (bufs: ArrayBuffers, transferred, in
//                        order; read = bytes of the file itself consumed
//                        for them) ..., then {done} | {error}
// The file is read with file.stream(), not with slice().arrayBuffer(): in
// bench/browser-bench.mjs 4 MiB slices one after another came in at 330-560
// MB/s where the stream gave 450-1100. The stream's chunks are gathered
// into batches of at least `batch` bytes (one message each, not one per
// chunk) and at most `ahead` bytes wait to be taken, which bounds memory.
let job = null;

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.file) {
    let stream = msg.file.stream();
    const j = { ...msg, waiting: 0, busy: false, done: false, consumed: 0, taken: 0, reader: null };
    if (msg.gzip) {
      stream = stream.pipeThrough(new TransformStream({
        transform(chunk, ctl) {
          j.consumed += chunk.byteLength;
          ctl.enqueue(chunk);
        },
      })).pipeThrough(new DecompressionStream('gzip'));
    }
    j.reader = stream.getReader();
    job = j;
    pump(j);
  } else if (msg.ack && job) {
    job.waiting -= msg.ack;
    pump(job);
  }
};

/** A chunk's bytes as an ArrayBuffer of their own, copied only when the
 *  chunk is a view into a larger buffer (which cannot be transferred alone). */
function own(chunk) {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return chunk.buffer;
  return chunk.slice().buffer;
}

/** The next batch: chunks adding up to at least `batch` bytes (fewer at the
 *  end of the file); `last` once the stream has ended. */
async function nextBatch(j) {
  const bufs = [];
  let n = 0;
  let last = false;
  // At least one chunk, whatever `batch` says.
  do {
    const { done, value } = await j.reader.read();
    if (done) {
      last = true;
      break;
    }
    if (value.byteLength === 0) continue;
    const buf = own(value);
    bufs.push(buf);
    n += buf.byteLength;
  } while (n < j.batch);
  if (!j.gzip) j.consumed += n;
  const read = j.consumed - j.taken;
  j.taken = j.consumed;
  return { bufs, n, read, last };
}

async function pump(j) {
  if (j.busy || j.done) return;
  j.busy = true;
  try {
    while (j.waiting < j.ahead) {
      const { bufs, n, read, last } = await nextBatch(j);
      if (n > 0) {
        j.waiting += n;
        self.postMessage({ bufs, read }, bufs);
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
