// Reads a File to its end twice, touching each chunk's length only: with
// file.stream()'s own reader, then with a "bring your own buffer" reader
// into one reused 2 MiB buffer (as www/reader.js reads). The faster of the
// two is the fastest the app's worker could possibly go on this machine.
async function plain(file) {
  const t0 = performance.now();
  const reader = file.stream().getReader();
  let bytes = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    chunks += 1;
  }
  return { bytes, chunks, ms: performance.now() - t0 };
}

async function byob(file) {
  const t0 = performance.now();
  let reader;
  try {
    reader = file.stream().getReader({ mode: 'byob' });
  } catch (_) {
    return null;
  }
  let buf = new ArrayBuffer(2 << 20);
  let bytes = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buf));
    if (done) break;
    buf = value.buffer;
    bytes += value.byteLength;
    chunks += 1;
  }
  return { bytes, chunks, ms: performance.now() - t0 };
}

self.onmessage = async (e) => {
  const file = e.data;
  const stream = await plain(file);
  const own = await byob(file);
  self.postMessage({ stream, byob: own });
};
