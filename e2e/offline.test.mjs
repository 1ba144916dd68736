// Served from a sub-path, and offline after the first visit (service worker).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './server.mjs';
import { launch, sample, engineReport, rowIds, waitForRows, ready, serviceWorkerControls } from './helpers.mjs';

const PREFIX = '/tools/upstream-doctor/';
let server;
let browser;
let expected;

before(async () => {
  server = await serve({ prefix: PREFIX });
  browser = await launch();
  expected = await engineReport(await sample());
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('works from a sub-path and asks for nothing outside it', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  const start = server.requests.length;
  await page.goto(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page, expected.causes.length);
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  const asked = server.requests.slice(start);
  assert.ok(asked.includes(`${PREFIX}pkg/web_ui_bg.wasm`), asked.join(', '));
  assert.ok(asked.includes(`${PREFIX}worker.js`), asked.join(', '));
  for (const p of asked) assert.ok(p.startsWith(PREFIX), `request outside the sub-path: ${p}`);
  await context.close();
});

test('after a first visit, it reloads and diagnoses offline', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await serviceWorkerControls(page);
  const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
  assert.equal(new URL(scope).pathname, PREFIX);
  const caches = await page.evaluate(async () => {
    const names = await caches.keys();
    const out = {};
    for (const n of names) out[n] = (await (await caches.open(n)).keys()).map((r) => new URL(r.url).pathname);
    return out;
  });
  const names = Object.keys(caches);
  assert.equal(names.length, 1, `one versioned cache: ${names}`);
  assert.match(names[0], /^upstream-doctor-[0-9a-f]{12}$/);
  assert.ok(caches[names[0]].includes(`${PREFIX}pkg/web_ui_bg.wasm`));
  assert.ok(caches[names[0]].every((p) => p.startsWith(PREFIX)), 'only the app\'s own files are cached');

  await context.setOffline(true);
  const before = server.requests.length;
  await page.reload();
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page, expected.causes.length);
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  assert.equal(server.requests.length, before, 'nothing reached the server while offline');
  await context.close();
});
