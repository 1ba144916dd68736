// Reads a dropped file for worker.js on a thread of its own, gunzipping a
// .gz one (DecompressionStream) here too. In Chromium a File read completes
// on the thread that asked for it, so a worker busy scanning cannot also be
// reading; this worker reads (and decompresses) the next pieces while the
// diagnosis worker scans, and hands each over without a copy (transferred).
//   worker.js -> reader: {file, gzip, slice, ahead}, then {ack} per piece taken
//   reader -> worker.js: {buf, read} (buf transferred; read = bytes of the
//                        file itself consumed for it) ..., then {done} | {error}
// At most `ahead` pieces of about `slice` bytes are waiting to be taken,
// which bounds memory.
let job = null;

self.onmessage = (event) => {
  const msg = event.data;
  if (msg.file) {
    job = { ...msg, at: 0, waiting: 0, busy: false, done: false, stream: null, consumed: 0 };
    if (msg.gzip) {
      const counted = msg.file.stream().pipeThrough(new TransformStream({
        transform(chunk, ctl) {
          job.consumed += chunk.byteLength;
          ctl.enqueue(chunk);
        },
      }));
      job.stream = counted.pipeThrough(new DecompressionStream('gzip')).getReader();
    }
    pump(job);
  } else if (msg.ack && job) {
    job.waiting -= 1;
    pump(job);
  }
};

/** The next piece of a plain file, or null at its end. */
async function plainPiece(j) {
  if (j.at >= j.file.size) return null;
  const buf = await j.file.slice(j.at, j.at + j.slice).arrayBuffer();
  j.at += j.slice;
  return { buf, read: buf.byteLength };
}

/** The next ~`slice` decompressed bytes of a .gz file, or null at its end. */
async function gzipPiece(j) {
  const parts = [];
  let n = 0;
  while (n < j.slice) {
    const { done, value } = await j.stream.read();
    if (done) break;
    parts.push(value);
    n += value.byteLength;
  }
  if (n === 0) return null;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  const read = j.consumed - j.at;
  j.at = j.consumed;
  return { buf: out.buffer, read };
}

async function pump(j) {
  if (j.busy || j.done) return;
  j.busy = true;
  try {
    while (j.waiting < j.ahead) {
      const piece = await (j.gzip ? gzipPiece(j) : plainPiece(j));
      if (!piece) {
        j.done = true;
        self.postMessage({ done: true });
        break;
      }
      j.waiting += 1;
      self.postMessage(piece, [piece.buf]);
    }
  } catch (err) {
    j.done = true;
    self.postMessage({ error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
  } finally {
    j.busy = false;
  }
}
