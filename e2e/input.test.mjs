// Getting input in: typing/pasting (debounced), files picked or dropped
// (plain and .gz, several at once), reload persistence, Clear, Cancel, and
// the error panel when the worker fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { serve } from './server.mjs';
import { launch, sample, engineReport, rowIds, waitForRows, ready } from './helpers.mjs';

let server;
let browser;
let text;

const MIXED = [
  '2024/06/02 14:01:10 [crit] 811#811: *31 connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 192.0.2.10, server: wiki.example.org, request: "GET / HTTP/2.0", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "wiki.example.org"',
  '2024/06/02 14:01:12 [crit] 811#811: *33 connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 192.0.2.11, server: wiki.example.org, request: "GET /index.php HTTP/2.0", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "wiki.example.org"',
  '2024/06/02 14:03:40 [error] 811#811: *40 upstream prematurely closed connection while reading response header from upstream, client: 192.0.2.12, server: api.example.org, request: "POST /v1/upload HTTP/1.1", upstream: "http://127.0.0.1:8000/v1/upload", host: "api.example.org"',
  '',
  '$ ls -la /run/php/',
  'total 4',
  'drwxr-xr-x  2 www-data www-data  80 Jun  2 14:00 .',
  'drwxr-xr-x 30 root     root     880 Jun  2 13:59 ..',
  '-rw-r--r--  1 root     root       4 Jun  2 14:00 php8.2-fpm.pid',
  'srw-rw----  1 root     root       0 Jun  2 14:00 php8.2-fpm.sock',
  '',
].join('\n');

before(async () => {
  server = await serve();
  browser = await launch();
  text = await sample();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function open(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  return { context, page };
}

test('a pasted mixed case is diagnosed as you type, in the engine\'s order', async () => {
  const expected = await engineReport(MIXED);
  assert.ok(expected.causes.length > 0, 'the engine names a cause for the mixed case');
  const { context, page } = await open();
  await page.locator('#paste').fill(MIXED);
  // No button pressed: the debounced re-diagnosis runs.
  await waitForRows(page, expected.causes.length);
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  const chips = await page.locator('.chips .chip').allInnerTexts();
  assert.deepEqual(chips.length, expected.artifacts.length);

  // Editing re-diagnoses: append the sample and the ranking follows.
  const both = `${MIXED}\n${text}`;
  const expected2 = await engineReport(both);
  await page.locator('#paste').fill(both);
  await page.waitForFunction(
    (ids) => JSON.stringify([...document.querySelectorAll('[data-cause-id]')].map((r) => r.dataset.causeId)) === JSON.stringify(ids),
    expected2.causes.map((c) => c.id),
    { timeout: 20000 },
  );
  await context.close();
});

test('reload keeps the paste; Clear empties it for good', async () => {
  const { context, page } = await open();
  await page.locator('#paste').fill(MIXED);
  await waitForRows(page);
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#paste').inputValue(), MIXED);
  await waitForRows(page); // and it is diagnosed again
  await page.getByRole('button', { name: 'Clear' }).click();
  assert.equal(await page.locator('#paste').inputValue(), '');
  assert.equal(await page.locator('[data-cause-id]').count(), 0);
  await page.reload();
  await ready(page);
  assert.equal(await page.locator('#paste').inputValue(), '');
  await context.close();
});

test('picked files, plain and .gz together, are read as one case', async () => {
  const [logPart, rest] = [text.slice(0, text.indexOf('\n\n') + 1), text.slice(text.indexOf('\n\n') + 1)];
  // The worker joins files with a newline when one lacks it; so does this.
  const expected = await engineReport(logPart + rest);
  const { context, page } = await open();
  await page.locator('#files').setInputFiles([
    { name: 'error.log.1.gz', mimeType: 'application/gzip', buffer: gzipSync(Buffer.from(logPart)) },
    { name: 'config-and-ss.txt', mimeType: 'text/plain', buffer: Buffer.from(rest) },
  ]);
  await waitForRows(page, expected.causes.length);
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  const stats = await page.locator('.stats').innerText();
  assert.match(stats, /2 files \(error\.log\.1\.gz, config-and-ss\.txt\)/);
  // Files do not replace the paste.
  assert.equal(await page.locator('#paste').inputValue(), '');

  // A lone .gz file works too.
  await page.locator('#files').setInputFiles({ name: 'sample.txt.gz', mimeType: 'application/gzip', buffer: gzipSync(Buffer.from(text)) });
  await page.waitForFunction(() => document.querySelector('.stats')?.textContent.includes('sample.txt.gz'));
  const whole = await engineReport(text);
  assert.deepEqual(await rowIds(page), whole.causes.map((c) => c.id));
  await context.close();
});

// A file of many 2 MiB read batches, its causes at both ends, so a lost,
// repeated or reordered piece changes the report. Every way www/worker.js
// reads: a plain file into its own reused buffer and a .gz one by the
// reader worker (reader.js); a plain file by the reader worker where
// streams have no "bring your own buffer" reader; and, where a worker
// cannot start workers, both on the diagnosis worker itself.
function bigFile() {
  const filler = '203.0.113.9 - - [02/Jun/2024:14:02:00 +0000] "GET /static/app.css HTTP/1.1" 200 5120 "-" "Mozilla/5.0"\n';
  const head = `${text.trimEnd()}\n`;
  return head + filler.repeat(Math.ceil(22e6 / filler.length)) + MIXED;
}

const NO_WORKERS = 'self.Worker = undefined;\n';
const NO_BYOB = `{
  const plain = ReadableStream.prototype.getReader;
  ReadableStream.prototype.getReader = function getReader(o) {
    if (o && o.mode === 'byob') throw new TypeError('no byob readers here');
    return plain.call(this, o);
  };
}
`;
for (const [name, patch] of [
  ['the diagnosis worker (plain) and the reader worker (.gz)', ''],
  ['the reader worker where streams have no byob reader', NO_BYOB],
  ['the diagnosis worker itself where a worker cannot start workers', NO_WORKERS],
  ['the diagnosis worker from the stream\'s own chunks', NO_WORKERS + NO_BYOB],
]) {
  test(`a 22 MB file read by ${name} is diagnosed whole and in order, plain and .gz`, async () => {
    const content = bigFile();
    const expected = await engineReport(content);
    assert.ok(expected.causes.length >= 2, 'causes from both ends of the file');
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    if (patch) {
      await page.route('**/worker.js', async (route) => {
        const body = await (await route.fetch()).text();
        route.fulfill({ status: 200, contentType: 'text/javascript', body: `${patch}${body}` });
      });
    }
    await page.goto(server.url);
    await ready(page);
    for (const file of [
      { name: 'big.log', mimeType: 'text/plain', buffer: Buffer.from(content) },
      { name: 'big.log.gz', mimeType: 'application/gzip', buffer: gzipSync(Buffer.from(content), { level: 1 }) },
    ]) {
      await page.locator('#files').setInputFiles(file);
      await page.waitForFunction((n) => document.querySelector('.stats')?.textContent.includes(n), file.name, { timeout: 60000 });
      assert.match(await page.locator('.stats').innerText(), new RegExp(`^Read ${expected.stats.lines} lines `));
      assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
    }
    await context.close();
  });
}

test('a corrupt .gz file gives a friendly error, not a crash', async () => {
  const { context, page } = await open();
  await page.locator('#paste').fill(MIXED);
  await waitForRows(page);
  await page.locator('#files').setInputFiles({ name: 'broken.log.gz', mimeType: 'application/gzip', buffer: Buffer.from('this is not gzip at all, not even close') });
  const panel = page.getByRole('alert');
  await panel.waitFor();
  assert.match(await panel.innerText(), /could not decompress broken\.log\.gz/);
  assert.equal(await page.locator('#paste').inputValue(), MIXED);
  // The app still works afterwards.
  // The stats still name the earlier paste, so wait for the sample itself to
  // be diagnosed: the paste changes and the error panel goes away.
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await page.waitForFunction((before) => document.querySelector('#paste')?.value !== before, MIXED);
  await page.getByRole('alert').waitFor({ state: 'detached' });
  await waitForRows(page);
  assert.equal(await page.getByRole('alert').count(), 0);
  await context.close();
});

test('dropped files are diagnosed', async () => {
  const expected = await engineReport(text);
  const { context, page } = await open();
  await page.evaluate((content) => {
    const dt = new DataTransfer();
    dt.items.add(new File([content], 'dropped.log', { type: 'text/plain' }));
    const zone = document.querySelector('section.input');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  await waitForRows(page, expected.causes.length);
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  assert.match(await page.locator('.stats').innerText(), /dropped\.log/);
  await context.close();
});

// Records what the app's worker says, before the page's own scripts run.
const RECORD_WORKER = () => {
  window.__workerSaid = [];
  const Native = window.Worker;
  window.Worker = class extends Native {
    constructor(...a) {
      super(...a);
      this.addEventListener('message', (e) => {
        if (e.data && typeof e.data === 'object') window.__workerSaid.push(e.data.type);
      });
    }
  };
};

test('the worker warms its engine up once, and a file given during the warm-up gets its own diagnosis', async () => {
  const expected = await engineReport(text);
  // Left alone, the worker warms up after 'ready' and says 'warm', once,
  // with no job messages of its own.
  {
    const context = await browser.newContext();
    await context.addInitScript(RECORD_WORKER);
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => window.__workerSaid.includes('warm'), null, { timeout: 30000 });
    const said = await page.evaluate(() => window.__workerSaid);
    assert.ok(said.indexOf('ready') < said.indexOf('warm'), said.join(' '));
    assert.deepEqual(said.filter((t) => t !== 'ready' && t !== 'warm'), [], said.join(' '));
    assert.equal(said.filter((t) => t === 'warm').length, 1);
    await context.close();
  }
  // A file given as soon as the worker is ready (the warm-up then stops
  // where it is, or has just ended) gets its own diagnosis, unchanged.
  const context = await browser.newContext();
  await context.addInitScript(RECORD_WORKER);
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => window.__workerSaid.includes('ready'), null, { timeout: 30000 });
  await page.setInputFiles('#files', { name: 'early.log', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await waitForRows(page, expected.causes.length);
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  assert.match(await page.locator('.stats').innerText(), /early\.log/);
  const said = await page.evaluate(() => window.__workerSaid);
  assert.ok(said.filter((t) => t === 'warm').length <= 1, said.join(' '));
  assert.equal(said.filter((t) => t === 'report').length, 1, said.join(' '));
  await context.close();
});

test('a big file shows progress and can be cancelled', async () => {
  // ~120 MB of log lines, ~1 MB gzipped: slow enough to watch.
  const line = '2024/05/14 09:12:01 [error] 1234#1234: *101 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:3000/", host: "shop.example.com"\n';
  const big = gzipSync(Buffer.from(line.repeat(Math.ceil(120e6 / line.length))), { level: 9 });
  const { context, page } = await open();
  await page.locator('#files').setInputFiles({ name: 'huge.log.gz', mimeType: 'application/gzip', buffer: big });
  const progress = page.locator('.progress');
  await progress.waitFor();
  await page.waitForFunction(() => /MB\/s/.test(document.querySelector('.progress-text')?.textContent || ''), null, { timeout: 20000 });
  const status = await progress.innerText();
  assert.match(status, /Reading huge\.log\.gz/);
  assert.match(status, /of 1\.\d MB|of \d+ KB/);
  await progress.getByRole('button', { name: 'Cancel' }).click();
  await progress.waitFor({ state: 'detached' });
  assert.match(await page.locator('.notice').innerText(), /Cancelled/);
  await page.waitForTimeout(1500);
  assert.equal(await page.locator('[data-cause-id]').count(), 0, 'no report after cancel');
  await context.close();
});

test('when the worker cannot start, the error panel says so and the paste stays', async () => {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.route('**/worker.js', (route) => route.fulfill({
    status: 200,
    contentType: 'text/javascript',
    body: 'throw new Error("simulated worker failure");',
  }));
  await page.goto(server.url);
  await ready(page);
  await page.locator('#paste').fill(MIXED);
  const panel = page.getByRole('alert');
  await panel.waitFor({ timeout: 20000 });
  assert.match(await panel.innerText(), /The diagnosis stopped/);
  assert.match(await panel.innerText(), /paste is still here/);
  assert.equal(await page.locator('#paste').inputValue(), MIXED);
  await page.unroute('**/worker.js');
  await panel.getByRole('button', { name: 'Try again' }).click();
  await waitForRows(page);
  assert.equal(await page.getByRole('alert').count(), 0);
  await context.close();
});
