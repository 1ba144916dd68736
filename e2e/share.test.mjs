// Share links: the Share dialog (what the link carries, its exact preview,
// length, Copy), opening a link in a fresh browser, "Start your own", and
// links that cannot be opened (bad, damaged, cut, newer, huge, zip bombs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { launch, engineReport, engineOpenLink, rowIds, waitForRows, ready, ROOT } from './helpers.mjs';

// A mixed paste with plenty to redact: public addresses, site names, a user
// in a shell prompt, a session id in a query string.
export const MIXED = [
  '2024/06/02 14:01:10 [error] 811#811: *31 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: "GET /cart?session=9f8e7d6c HTTP/1.1", upstream: "http://10.20.30.40:3000/cart", host: "shop.example.com"',
  '2024/06/02 14:01:11 [error] 811#811: *32 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.8, server: shop.example.com, request: "GET / HTTP/1.1", upstream: "http://10.20.30.40:3000/", host: "shop.example.com"',
  '2024/06/02 14:01:12 [crit] 811#811: *33 connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 198.51.100.4, server: wiki.example.net, request: "GET /index.php HTTP/2.0", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "wiki.example.net"',
  '2024/06/02 14:03:40 [error] 811#811: *40 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.23, server: api.example.org, request: "POST /v1/upload HTTP/1.1", upstream: "http://127.0.0.1:8000/v1/upload", host: "api.example.org"',
  '',
  'deploy@web-01:~$ ss -tlnp',
  'State  Recv-Q Send-Q Local Address:Port  Peer Address:Port Process',
  'LISTEN 0      511          0.0.0.0:80         0.0.0.0:*     users:(("nginx",pid=811,fd=6))',
  'LISTEN 0      4096       127.0.0.1:8000       0.0.0.0:*     users:(("gunicorn",pid=900,fd=5))',
  '',
].join('\n');
const SECRETS = ['shop.example.com', 'wiki.example.net', '203.0.113.7', '10.20.30.40', '9f8e7d6c', 'deploy@'];

const OWN = '2024/05/14 09:12:01 [error] 1234#1234: *101 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: mine, request: "GET / HTTP/1.1", upstream: "http://127.0.0.1:3000/", host: "localhost"\n';

let server;
let browser;
let expected;

before(async () => {
  server = await serve();
  browser = await launch();
  expected = await engineReport(MIXED);
  assert.ok(expected.causes.length >= 2, 'the mixed paste names several causes');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/** A page that records what would mean a crash: page errors, the fatal panel. */
async function newPage(context) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  return page;
}

async function diagnose(page, text) {
  await page.goto(server.url);
  await ready(page);
  if (text.length > 20000) {
    // Typing-like fill of a big text is very slow in Chromium; paste it.
    await page.evaluate((t) => {
      const el = document.getElementById('paste');
      el.value = t;
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, text);
  } else {
    await page.locator('#paste').fill(text);
  }
  const want = await engineReport(text);
  await waitForRows(page, want.causes.length);
  return want;
}

/** Open the Share dialog from the shown diagnosis. */
async function openDialog(page) {
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this diagnosis' });
  await dialog.waitFor();
  return dialog;
}

const shownIds = (page) => page.$$eval('.shared [data-cause-id]', (r) => r.map((x) => x.dataset.causeId));

test('a link made in the dialog opens in a fresh browser: same causes, banner, input; Start your own', async () => {
  const a = await browser.newContext();
  await a.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await newPage(a);
  await diagnose(page, MIXED);
  const ids = await rowIds(page);
  assert.deepEqual(ids, expected.causes.map((c) => c.id));

  const dialog = await openDialog(page);
  // Redaction is on: the preview shows placeholders, never the originals.
  const preview = await dialog.locator('#share-preview').innerText();
  assert.match(preview, /host-1/);
  assert.match(preview, /ip-1/);
  for (const s of SECRETS) assert.ok(!preview.includes(s), `${s} in the preview`);
  assert.match(await dialog.locator('.share-replaced').innerText(), /host names? \(host-1/);

  // With the input: the redacted paste is previewed too, same placeholders.
  await dialog.getByLabel('The report and the redacted input').check();
  const input = await dialog.locator('#share-input').textContent();
  for (const s of SECRETS) assert.ok(!input.includes(s), `${s} in the input preview`);
  assert.match(input, /server: host-\d+/);
  assert.equal(input.split('\n').filter(Boolean).length, MIXED.split('\n').filter(Boolean).length);

  const link = await dialog.locator('#share-link').inputValue();
  assert.ok(link.startsWith(`${server.url}#v2.`), link.slice(0, 80));
  const length = await dialog.locator('#share-length').innerText();
  assert.ok(length.startsWith(`${link.length.toLocaleString('en-US')} characters`), length);
  for (const s of SECRETS) assert.ok(!link.includes(s));

  // What the link holds is exactly what was previewed.
  const held = await engineOpenLink(link);
  assert.equal(held.input, input);
  assert.deepEqual(held.report.causes.map((c) => c.id), ids);

  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await dialog.getByRole('button', { name: 'Copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), link);
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await dialog.waitFor({ state: 'hidden' });
  await a.close();

  // A fresh browser, with a paste of its own.
  const b = await browser.newContext();
  const other = await newPage(b);
  await diagnose(other, OWN);
  const ownIds = await rowIds(other);

  // Opened from the address bar of the same tab (the fragment changes).
  await other.goto(link);
  await other.locator('.shared-banner').waitFor();
  const banner = await other.locator('.shared-banner').innerText();
  assert.match(banner, /Shared diagnosis — read-only/);
  assert.match(banner, /Redacted by the sender/);
  assert.match(banner, /Link format v2/);
  assert.deepEqual(await shownIds(other), ids, 'the same causes in the same order');
  assert.deepEqual(await rowIds(other), ids, 'and no other cause rows on the page');
  const families = await other.$$eval('.shared [data-cause-family]', (r) => r.map((x) => x.dataset.causeFamily));
  assert.deepEqual(families, expected.causes.map((c) => c.family));
  assert.equal(await other.locator('.shared-input-text').textContent(), input);
  assert.equal(await other.locator('#paste').isVisible(), false, 'the editor is out of the way');
  assert.equal(await other.evaluate(() => localStorage.getItem('upstream-doctor.paste')), OWN, 'own paste kept');

  // Opened in a new tab (a fresh load).
  const fresh = await newPage(b);
  await fresh.goto(link);
  await fresh.locator('.shared-banner').waitFor();
  await waitForRows(fresh, ids.length);
  assert.deepEqual(await shownIds(fresh), ids);
  await fresh.close();

  // Start your own: the fragment goes, the editor is back with the own paste.
  await other.getByRole('button', { name: 'Start your own diagnosis' }).click();
  await other.locator('#paste').waitFor({ state: 'visible' });
  assert.equal(await other.locator('.shared-banner').count(), 0);
  assert.equal(await other.evaluate(() => location.hash), '');
  assert.equal(await other.locator('#paste').inputValue(), OWN);
  await waitForRows(other, ownIds.length);
  assert.deepEqual(await rowIds(other), ownIds);
  assert.equal(await other.evaluate(() => document.activeElement.id), 'paste');
  assert.equal(await other.evaluate(() => localStorage.getItem('upstream-doctor.paste')), OWN);
  // Back in the history shows the link again.
  await other.goBack();
  await other.locator('.shared-banner').waitFor();
  assert.deepEqual(await shownIds(other), ids);
  assert.deepEqual(other.errors, []);
  assert.deepEqual(page.errors, []);
  await b.close();
});

test('a report-only link (the default) opens to the report the core decodes', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await diagnose(page, MIXED);
  const dialog = await openDialog(page);
  assert.equal(await dialog.getByLabel('The report only').isChecked(), true, 'report only by default');
  assert.equal(await dialog.locator('#share-input').count(), 0);
  const link = await dialog.locator('#share-link').inputValue();
  const held = await engineOpenLink(link);
  assert.equal(held.input, null);
  // The preview is the decoded report: every cause title it keeps is there.
  const preview = await dialog.locator('#share-preview').innerText();
  for (const c of held.report.causes) assert.ok(preview.includes(c.title), c.title);
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });

  const fresh = await newPage(await browser.newContext());
  await fresh.goto(link);
  await fresh.locator('.shared-banner').waitFor();
  assert.deepEqual(await shownIds(fresh), held.report.causes.map((c) => c.id));
  assert.equal(await fresh.locator('.shared-input-text').count(), 0);
  assert.doesNotMatch(await fresh.locator('.shared-banner').innerText(), /redacted input/);
  await fresh.context().close();
  await context.close();
});

test('the dialog is a labelled modal: focus stays inside, Esc closes, focus returns', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await diagnose(page, MIXED);
  const opener = page.getByRole('button', { name: 'Share…' });
  await opener.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Share this diagnosis' });
  await dialog.waitFor();
  assert.equal(await dialog.getAttribute('aria-describedby'), 'share-desc');
  assert.equal(await page.evaluate(() => document.querySelector('dialog').matches(':modal')), true);
  const inside = () => page.evaluate(() => document.querySelector('dialog').contains(document.activeElement));
  assert.ok(await inside(), 'focus moved into the dialog');
  const seen = new Set();
  for (let i = 0; i < 25; i += 1) {
    await page.keyboard.press('Tab');
    assert.ok(await inside(), `Tab ${i + 1} left the dialog`);
    seen.add(await page.evaluate(() => document.activeElement.textContent || document.activeElement.id));
  }
  assert.ok(seen.has('Copy link') && seen.has('Close'), [...seen].join(' | '));
  for (let i = 0; i < 25; i += 1) {
    await page.keyboard.press('Shift+Tab');
    assert.ok(await inside(), `Shift+Tab ${i + 1} left the dialog`);
  }
  // The radio buttons work from the keyboard.
  await page.getByLabel('The report only').focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.getByLabel('The report and the redacted input').isChecked(), true);
  await dialog.locator('#share-input').waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Share…', 'focus back on Share');
  // The close button (×) has a name too.
  await page.keyboard.press('Enter');
  await dialog.waitFor();
  await page.getByRole('button', { name: 'Close the share dialog' }).click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Share…');
  assert.deepEqual(page.errors, []);
  await context.close();
});

test('without a clipboard, Copy link selects the link for Ctrl+C', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'clipboard', { get: () => undefined, configurable: true });
  });
  const page = await newPage(context);
  await diagnose(page, MIXED);
  const dialog = await openDialog(page);
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await dialog.locator('.share-status').getByText(/press Ctrl\+C/).waitFor();
  const sel = await page.evaluate(() => {
    const t = document.activeElement;
    return { id: t.id, start: t.selectionStart, end: t.selectionEnd, len: t.value.length };
  });
  assert.equal(sel.id, 'share-link');
  assert.equal(sel.start, 0);
  assert.equal(sel.end, sel.len);
  await context.close();
});

/** `n` words of made-up letters: does not compress, and is not redacted. */
function noise(n, seed = 7) {
  let x = seed;
  const words = [];
  for (let i = 0; i < n; i += 1) {
    let w = '';
    const len = 3 + (i % 6);
    for (let k = 0; k < len; k += 1) {
      x = (x * 1103515245 + 12345) % 2147483648;
      w += String.fromCharCode(97 + (x >> 16) % 26);
    }
    words.push(w);
  }
  const lines = [];
  for (let i = 0; i < words.length; i += 12) lines.push(`note: ${words.slice(i, i + 12).join(' ')}`);
  return lines.join('\n');
}

test('long links are flagged; too long to open cannot be copied; files have no input to share', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  await diagnose(page, `${MIXED}\n${noise(400)}\n`);
  const dialog = await openDialog(page);
  await dialog.getByLabel('The report and the redacted input').check();
  const len = dialog.locator('#share-length');
  await len.getByText(/Over 2,000 characters/).waitFor();
  assert.match(await len.getAttribute('class'), /warn/);
  assert.equal(await dialog.getByRole('button', { name: 'Copy link' }).isEnabled(), true);
  await dialog.getByLabel('The report only').check();
  assert.doesNotMatch(await len.innerText(), /Over 2,000/);
  await page.keyboard.press('Escape');

  await diagnose(page, `${MIXED}\n${noise(30000)}\n`);
  const d2 = await openDialog(page);
  await d2.getByLabel('The report and the redacted input').check();
  await d2.locator('#share-length').getByText(/Too long to open/).waitFor();
  assert.equal(await d2.getByRole('button', { name: 'Copy link' }).isEnabled(), false);
  await page.keyboard.press('Escape');

  // A diagnosis of files: only the report can be shared.
  await page.locator('#files').setInputFiles({ name: 'error.log', mimeType: 'text/plain', buffer: Buffer.from(MIXED) });
  await page.waitForFunction(() => /error\.log/.test(document.querySelector('#headline')?.textContent || ''));
  const d3 = await openDialog(page);
  assert.equal(await d3.getByLabel('The report and the redacted input').isDisabled(), true);
  assert.match(await d3.innerText(), /read from files/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

/** The CLI, built by cargo if needed (scripts/test.sh has built it already). */
function cli() {
  const target = process.env.CARGO_TARGET_DIR || join(ROOT, 'target');
  execFileSync('cargo', ['build', '--quiet', '-p', 'upstream-doctor'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  const bin = join(target, 'debug', 'upstream-doctor');
  assert.ok(existsSync(bin), bin);
  return (args, input) => execFileSync(bin, args, { input, encoding: 'utf8', maxBuffer: 1 << 24 });
}

test('the CLI and the web app open each other\'s links', async () => {
  const run = cli();
  // CLI → browser.
  const out = run(['--share-link', '--base-url', server.url, '--no-color', '-'], MIXED);
  const link = out.trim().split('\n').pop();
  assert.ok(link.startsWith(`${server.url}#v2.`), link);
  const fromCli = JSON.parse(run(['--open', link, '--json']));
  const context = await browser.newContext();
  const page = await newPage(context);
  await page.goto(link);
  await page.locator('.shared-banner').waitFor();
  assert.deepEqual(await shownIds(page), fromCli.causes.map((c) => c.id));
  const title = await page.locator('#headline strong').first().innerText();
  assert.equal(title, fromCli.causes[0].title);

  // Browser → CLI, with the input.
  await diagnose(page, MIXED);
  const dialog = await openDialog(page);
  await dialog.getByLabel('The report and the redacted input').check();
  const webLink = await dialog.locator('#share-link').inputValue();
  const opened = JSON.parse(run(['--open', webLink, '--json']));
  assert.deepEqual(opened.causes.map((c) => c.id), expected.causes.map((c) => c.id));
  assert.match(run(['--open', webLink, '--no-color']), /also carries the \(redacted\) paste/);
  assert.deepEqual(page.errors, []);
  await context.close();
});

// ------------------------------------------------------------ bad links

const b64url = (buf) => Buffer.from(buf).toString('base64url');

async function goodLink() {
  const context = await browser.newContext();
  const page = await newPage(context);
  await diagnose(page, MIXED);
  const dialog = await openDialog(page);
  const link = await dialog.locator('#share-link').inputValue();
  await context.close();
  return link;
}

function flipBit(link, byteAt, bit) {
  const [base, frag] = link.split('#v2.');
  const bytes = Buffer.from(frag, 'base64url');
  bytes[byteAt] ^= 1 << bit;
  return `${base}#v2.${b64url(bytes)}`;
}

// A v2 fragment as a hostile sender would build it: compressed bytes with a
// valid CRC-32 after them, so only the engine's own bounds can refuse it.
function v2(zlibBytes) {
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(zlibBytes));
  return `#v2.${b64url(Buffer.concat([zlibBytes, sum]))}`;
}

test('links that cannot be opened get a message; the own paste and the page stay', async () => {
  const link = await goodLink();
  const frag = link.slice(link.indexOf('#'));
  const packed = Buffer.from(frag.slice(4), 'base64url');
  // 20 MB of JSON-looking text in ~20 KB: inflating it must stop at the bound.
  const bomb = deflateSync(Buffer.concat([
    Buffer.from('{"r":{"h":"'), Buffer.alloc(20 * 1024 * 1024, 'a'), Buffer.from('"}}'),
  ]), { level: 9 });
  assert.ok(bomb.length < 48 * 1024, `bomb is ${bomb.length} bytes`);
  const cases = [
    { name: 'random string', frag: '#v2.Q2hlY2sgb3V0IHRoaXMgbGluayEgaHR0cHM6Ly9leGFtcGxlLmNvbS8', want: /damaged/ },
    { name: 'random string (v1)', frag: '#v1.Q2hlY2sgb3V0IHRoaXMgbGluayEgaHR0cHM6Ly9leGFtcGxlLmNvbS8', want: /damaged/ },
    { name: 'not base64url', frag: '#v2.<script>alert(1)</script>', want: /characters a link never has/ },
    { name: 'truncated', frag: frag.slice(0, Math.floor(frag.length / 2)), want: /damaged or cut short/ },
    { name: 'truncated by one', frag: frag.slice(0, -1), want: /damaged or cut short/ },
    { name: 'bit flip (start)', frag: flipBit(link, 20, 3).slice(link.indexOf('#')), want: /damaged/ },
    { name: 'bit flip (middle)', frag: flipBit(link, Math.floor(packed.length / 2), 0).slice(link.indexOf('#')), want: /damaged/ },
    { name: 'bit flip (checksum)', frag: flipBit(link, packed.length - 2, 5).slice(link.indexOf('#')), want: /damaged/ },
    { name: 'newer version', frag: `#v3.${frag.slice(4)}`, want: /made by a newer Upstream Doctor \(link format v3\)/ },
    { name: 'much newer version', frag: '#v99999999999.abc', want: /newer Upstream Doctor/ },
    { name: 'not JSON inside', frag: v2(deflateSync(Buffer.from('hello'))), want: /does not hold a valid report/ },
    { name: 'zip bomb', frag: v2(bomb), want: /too big to open/ },
    { name: 'zip bomb (v1)', frag: `#v1.${b64url(bomb)}`, want: /too big to open/ },
    { name: '1.5 MB fragment', frag: `#v2.${'A'.repeat(1.5 * 1024 * 1024)}`, want: /too big to open/ },
  ];
  for (const c of cases) {
    await assert.rejects(engineOpenLink(c.frag), (e) => c.want.test(String(e)), c.name);
  }

  const context = await browser.newContext();
  const own = await newPage(context);
  await diagnose(own, OWN);
  const ownIds = await rowIds(own);
  for (const c of cases) {
    const page = await newPage(context);
    await page.goto(server.url + c.frag);
    await ready(page);
    const panel = page.locator('.shared-error');
    await panel.waitFor();
    assert.equal(await panel.getAttribute('role'), 'alert');
    const text = await panel.innerText();
    assert.match(text, /This share link cannot be opened/, c.name);
    assert.match(text, c.want, `${c.name}: ${text}`);
    assert.equal(await page.locator('.shared-banner').count(), 0, `${c.name}: no shared report`);
    // The page is usable: the own paste is there and diagnosed as before.
    assert.equal(await page.locator('#paste').inputValue(), OWN, c.name);
    await waitForRows(page, ownIds.length);
    assert.equal(await page.locator('#fatal').isVisible(), false);
    assert.deepEqual(page.errors, [], c.name);
    await page.close();
  }

  // A 10 MB fragment (browsers refuse to load such a URL; it can still be
  // set on an open page) and, in the same tab, recovering from it.
  await own.evaluate(() => { location.hash = `#v2.${'A'.repeat(10 * 1024 * 1024)}`; });
  await own.locator('.shared-error').getByText(/too big to open/).waitFor();
  assert.equal(await own.locator('#paste').inputValue(), OWN);
  await own.getByRole('button', { name: 'Dismiss and start your own' }).click();
  assert.equal(await own.locator('.shared-error').count(), 0);
  assert.equal(await own.evaluate(() => location.hash), '');
  assert.equal(await own.evaluate(() => localStorage.getItem('upstream-doctor.paste')), OWN);
  // A good link after a bad one still opens.
  await own.evaluate((f) => { location.hash = f; }, frag);
  await own.locator('.shared-banner').waitFor();
  assert.deepEqual(own.errors, []);
  await context.close();
});

test('other fragments are not share links', async () => {
  const context = await browser.newContext();
  const page = await newPage(context);
  for (const f of ['#paste', '#hello-world', '#/', '#value']) {
    await page.goto(server.url + f);
    await ready(page);
    assert.equal(await page.locator('.shared-error, .shared-banner').count(), 0, f);
    assert.equal(await page.locator('#paste').isVisible(), true, f);
  }
  assert.deepEqual(page.errors, []);
  await context.close();
});
