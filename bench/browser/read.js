// Hands the chosen file to read-worker.js and keeps its answer in
// window.readResult for bench/browser-bench.mjs.
const worker = new Worker(new URL('./read-worker.js', import.meta.url));
window.readResult = null;
worker.onmessage = (e) => {
  window.readResult = e.data;
  document.getElementById('out').textContent = JSON.stringify(e.data);
};
document.getElementById('file').addEventListener('change', (e) => {
  window.readResult = null;
  const file = e.target.files[0];
  if (file) worker.postMessage(file);
});
