// Entry point of the page: load the wasm package, mount the app, and
// register the service worker that keeps the app's own files for offline use.
import init, { run_app } from './pkg/web_ui.js';

function fatal(message) {
  const panel = document.getElementById('fatal');
  const detail = document.getElementById('fatal-detail');
  if (detail) detail.textContent = String(message);
  if (panel) panel.hidden = false;
  const boot = document.getElementById('boot');
  if (boot) boot.textContent = 'Upstream Doctor could not start.';
}

if ('serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('./sw.js').catch(() => {
    // Offline support is a bonus; the app works without it.
  });
}

init()
  .then(() => {
    const boot = document.getElementById('boot');
    if (boot) boot.remove();
    run_app();
  })
  .catch(fatal);
