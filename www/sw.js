// Service worker: keeps the app's own files for offline use. Cache-first
// for those files only; every other request goes to the network untouched.
// The cache name carries the build's version (pkg/sw-version.js, written by
// scripts/build-web.sh), so a new build gets a fresh cache.
let BUILD = 'dev';
try {
  importScripts('./pkg/sw-version.js');
  BUILD = self.UPSTREAM_DOCTOR_BUILD || BUILD;
} catch (_) {
  // No build stamp (development): use 'dev'.
}
const CACHE = `upstream-doctor-${BUILD}`;
const FILES = [
  './',
  './index.html',
  './app.js',
  './worker.js',
  './reader.js',
  './style.css',
  './favicon.svg',
  './pkg/web_ui.js',
  './pkg/web_ui_bg.wasm',
];
const scope = new URL(self.registration.scope);
const APP_URLS = new Set(FILES.map((f) => new URL(f, scope).href));

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(new URL(f, scope), { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((k) => k.startsWith('upstream-doctor-') && k !== CACHE).map((k) => caches.delete(k)),
      ))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  url.search = '';
  url.hash = '';
  if (!APP_URLS.has(url.href)) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      const hit = await cache.match(url.href);
      if (hit) return hit;
      const res = await fetch(req);
      if (res.ok) cache.put(url.href, res.clone());
      return res;
    }),
  );
});
