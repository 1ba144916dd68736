// Reads a File with file.stream() to its end, touching each chunk's length
// only: the fastest the app's worker could possibly go on this machine.
self.onmessage = async (e) => {
  const file = e.data;
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
  const ms = performance.now() - t0;
  self.postMessage({ bytes, chunks, ms });
};
