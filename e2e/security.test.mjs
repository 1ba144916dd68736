// Hostile input and a hostile network: script payloads in a paste and in
// share links never run and are shown as text; the whole flow works with
// the network cut off; no request ever leaves the page's origin; the
// Content-Security-Policy is strict and enforced; the service worker only
// keeps the app's own files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { serve, WWW } from './server.mjs';
import { launch, engineReport, engineOpenLink, rowIds, waitForRows, ready, serviceWorkerControls } from './helpers.mjs';

// Each payload, if it ever ran, would bump window.__xss and open a dialog.
const RUN = "window.__xss=(window.__xss||0)+1;alert('xss')";
const P = {
  img: `<img src=x onerror="${RUN}">`,
  script: `<script>${RUN}</script>`,
  js: `javascript:${RUN}`,
  svg: `"><svg onload="${RUN}">`,
  iframe: `<iframe srcdoc="<script>parent.${RUN}</script>"></iframe>`,
};

// Payloads where a log puts request lines, user agents, hosts, upstreams.
const HOSTILE = [
  `2024/06/02 14:01:10 [error] 811#811: *31 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: shop.example.com, request: "GET /${P.img} HTTP/1.1", upstream: "http://10.20.30.40:3000/${P.script}", host: "${P.svg}"`,
  `2024/06/02 14:01:11 [error] 811#811: *32 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.8, server: shop.example.com, request: "GET /${P.js} HTTP/1.1", upstream: "http://10.20.30.40:3000/", host: "shop.example.com"`,
  `2024/06/02 14:03:40 [error] 811#811: *40 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 198.51.100.23, server: ${P.svg}, request: "POST /${P.iframe} HTTP/1.1", upstream: "http://127.0.0.1:8000/v1/upload", host: "api.example.org"`,
  `203.0.113.9 - - [02/Jun/2024:14:01:10 +0000] "GET /${P.img} HTTP/1.1" 502 157 "${P.js}" "Mozilla/5.0 ${P.script}"`,
  `203.0.113.9 - - [02/Jun/2024:14:01:11 +0000] "GET / HTTP/1.1" 504 157 "-" "${P.svg}"`,
  P.script,
  `<a href="${P.js}">click</a>`,
  '',
].join('\n');

let server;
let browser;

before(async () => {
  server = await serve();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * A context whose pages report anything a payload could do: dialogs,
 * console errors (a blocked inline handler logs one), CSP violations,
 * page errors. `probe(page)` reads them.
 */
async function probedContext(options = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  context.events = [];
  context.on('page', (page) => {
    page.on('dialog', (d) => { context.events.push(`dialog: ${d.message()}`); d.dismiss().catch(() => {}); });
    page.on('console', (m) => { if (m.type() === 'error' || /xss/i.test(m.text())) context.events.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => context.events.push(`pageerror: ${e}`));
  });
  return context;
}

/** Nothing ran, nothing was injected as markup. */
async function assertInert(page, context, where) {
  const dom = await page.evaluate(() => ({
    xss: window.__xss,
    violations: window.__violations,
    imgs: [...document.querySelectorAll('img')].map((i) => i.getAttribute('src')).filter((s) => s !== 'favicon.svg'),
    svgs: document.querySelectorAll('svg[onload], svg *[onload]').length,
    iframes: document.querySelectorAll('iframe').length,
    inlineScripts: [...document.scripts].filter((s) => !s.src).length,
    jsLinks: [...document.querySelectorAll('a[href]')].filter((a) => /^\s*javascript:/i.test(a.getAttribute('href'))).length,
    onAttrs: [...document.querySelectorAll('*')]
      .flatMap((el) => [...el.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${el.tagName} ${a.name}`)),
  }));
  assert.equal(dom.xss, undefined, `${where}: a payload ran`);
  assert.deepEqual(dom.violations, [], `${where}: CSP violations (something tried to run)`);
  assert.deepEqual(dom.imgs, [], `${where}: injected <img>`);
  assert.equal(dom.svgs, 0, `${where}: injected <svg onload>`);
  assert.equal(dom.iframes, 0, `${where}: injected <iframe>`);
  assert.equal(dom.inlineScripts, 0, `${where}: inline <script>`);
  assert.equal(dom.jsLinks, 0, `${where}: javascript: link`);
  assert.deepEqual(dom.onAttrs, [], `${where}: event handler attributes`);
  assert.deepEqual(context.events, [], `${where}: dialogs, errors`);
}

/** Open every cause so its evidence and fixes are in the page. */
async function openAll(page, scope = '') {
  const closed = page.locator(`${scope} button.expand[aria-expanded="false"]`);
  while (await closed.count()) await closed.first().click();
}

async function paste(page, text) {
  await page.locator('#paste').fill(text);
  const want = await engineReport(text);
  await waitForRows(page, want.causes.length);
  return want;
}

test('script payloads in a paste are shown as text and never run', async () => {
  const context = await probedContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  const want = await paste(page, HOSTILE);
  assert.ok(want.causes.length >= 1);
  await openAll(page);
  const text = await page.locator('.results').innerText();
  // The evidence quotes the pasted lines, payloads and all, as text.
  assert.ok(text.includes(P.img), 'the <img> payload is shown as text');
  assert.ok(text.includes(P.script), 'the <script> payload is shown as text');
  assert.ok(text.includes(P.js), 'the javascript: payload is shown as text');
  await assertInert(page, context, 'paste');

  // Shared with the input: the preview and the link keep them as text.
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this diagnosis' });
  await dialog.getByLabel('The report and the redacted input').check();
  const input = await dialog.locator('#share-input').textContent();
  assert.ok(input.includes(P.script) && input.includes(P.img), input);
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await dialog.getByRole('button', { name: 'Copied' }).waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  await assertInert(page, context, 'share dialog');
  await context.close();

  // Opened elsewhere: the same, read-only.
  const other = await probedContext();
  const p2 = await other.newPage();
  await p2.goto(link);
  await p2.locator('.shared-banner').waitFor();
  await openAll(p2, '.shared');
  assert.equal(await p2.locator('.shared-input-text').textContent(), input);
  assert.ok((await p2.locator('.shared .results').first().innerText()).includes(P.img));
  await assertInert(p2, other, 'opened link');
  await other.close();
});

test('a hand-made link with payloads in every field never runs them', async () => {
  const X = P.img;
  const Y = P.svg;
  // A version-1 payload written by an attacker, not by our encoder: nothing
  // redacted, payloads in every string (even the cause id and kind).
  const payload = {
    r: {
      h: `${X} headline`,
      a: [[`${Y}kind`, 1, 2, 2]],
      c: [{
        i: `${Y}id`,
        f: `${X}family`,
        t: `${X} title`,
        p: 900,
        n: 3,
        s: `${P.script} summary`,
        e: [[1, `${P.js} ${X}`, 0, 11], [2, Y]],
        x: [[P.script, `${X} why`, 2]],
        v: [P.js],
        q: [[P.iframe, X]],
        u: [X],
        h: [Y],
        a: X,
        b: Y,
        k: 502,
        r: [P.script],
      }],
      n: [[X, Y]],
      s: [1, 2, 3, 4, 5],
      w: [[1, X]],
      o: [Y],
      t: [['2024-06-02 14:01'], [[X, [3]]]],
    },
    i: Object.values(P).join('\n'),
  };
  // Built as a hostile sender would: valid compression and checksum (v2).
  const packed = deflateSync(Buffer.from(JSON.stringify(payload)));
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc32(packed));
  const frag = `#v2.${Buffer.concat([packed, sum]).toString('base64url')}`;
  const held = await engineOpenLink(frag);
  assert.equal(held.report.causes[0].id, `${Y}id`, 'the core accepts it as a report');

  const context = await probedContext();
  const page = await context.newPage();
  await page.goto(server.url + frag);
  await page.locator('.shared-banner').waitFor();
  await openAll(page, '.shared');
  const row = page.locator('.shared [data-cause-id]');
  assert.equal(await row.getAttribute('data-cause-id'), `${Y}id`, 'the id is an attribute value, not markup');
  const text = await page.locator('#shared-main').innerText();
  for (const s of [`${X} title`, `${P.script} summary`, P.js, P.script]) {
    assert.ok(text.includes(s), `shown as text: ${s}`);
  }
  assert.equal(await page.locator('.shared-input-text').textContent(), payload.i);
  await assertInert(page, context, 'hand-made link');

  // And the same payloads as a damaged link only give the message.
  await page.goto(`${server.url}#v2.${encodeURIComponent(P.script)}`);
  await page.locator('.shared-error').waitFor();
  await assertInert(page, context, 'bad link');
  await context.close();
});

test('paste, diagnosis, share and opening the link work with the network cut off', async () => {
  const context = await probedContext();
  const blocked = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (new URL(url).origin === server.origin) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  // The service worker keeps the app's files for the offline part.
  await serviceWorkerControls(page);
  await context.setOffline(true);
  const served = server.requests.length;

  const want = await paste(page, HOSTILE);
  const ids = want.causes.map((c) => c.id);
  assert.deepEqual(await rowIds(page), ids);
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this diagnosis' });
  await dialog.getByLabel('The report and the redacted input').check();
  const link = await dialog.locator('#share-link').inputValue();
  await page.keyboard.press('Escape');

  // In a new tab (served by the service worker) and in the same tab.
  const tab = await context.newPage();
  await tab.goto(link);
  await tab.locator('.shared-banner').waitFor();
  assert.deepEqual(await rowIds(tab), ids);
  await page.evaluate((l) => { location.hash = l.slice(l.indexOf('#')); }, link);
  await page.locator('.shared-banner').waitFor();
  assert.deepEqual(await rowIds(page), ids);

  assert.equal(server.requests.length, served, 'nothing reached the server while offline');
  assert.deepEqual(blocked, [], 'nothing tried to leave the origin');
  await assertInert(page, context, 'offline');
  await context.close();
});

test('a whole session asks nothing of any origin but the page\'s own', async () => {
  const context = await probedContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const urls = [];
  context.on('request', (r) => urls.push(r.url()));
  await context.route('**/*', (route) => {
    urls.push(route.request().url());
    return new URL(route.request().url()).origin === server.origin ? route.continue() : route.abort();
  });
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  // Sample.
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page);
  // Paste.
  await paste(page, HOSTILE);
  // A dropped file.
  await page.evaluate((content) => {
    const dt = new DataTransfer();
    dt.items.add(new File([content], 'dropped.log', { type: 'text/plain' }));
    const zone = document.querySelector('section.input');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, HOSTILE);
  await page.waitForFunction(() => /dropped\.log/.test(document.querySelector('.stats')?.textContent || ''));
  // Share, copy.
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Share this diagnosis' });
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  await dialog.getByRole('button', { name: 'Copied' }).waitFor();
  const link = await dialog.locator('#share-link').inputValue();
  await page.keyboard.press('Escape');
  // Open the link, in a new tab and in this one.
  const tab = await context.newPage();
  await tab.goto(link);
  await tab.locator('.shared-banner').waitFor();
  await tab.getByRole('button', { name: 'Start your own diagnosis' }).click();
  await page.goto(link);
  await page.locator('.shared-banner').waitFor();
  // The knowledge pages, when this build has them (hash routes, same page).
  for (const route of ['#/causes', '#/causes/upstream_down', '#/collect', '#/']) {
    await page.goto(server.url + route);
    // Mounted (the knowledge base hides the paste area, so not `ready`).
    await page.waitForSelector('#paste', { state: 'attached', timeout: 20000 });
  }
  await page.waitForTimeout(300); // let late requests (service worker) show up

  assert.ok(urls.length >= 6, `requests were recorded: ${urls.join(', ')}`);
  for (const u of urls) {
    const scheme = new URL(u).protocol;
    if (scheme === 'data:' || scheme === 'blob:') continue;
    assert.equal(new URL(u).origin, server.origin, `request to another origin: ${u}`);
  }
  await assertInert(page, context, 'session');
  await context.close();
});

/** The policy of www/index.html, as { directive: [sources] }. */
async function policy() {
  const html = await readFile(join(WWW, 'index.html'), 'utf8');
  const metas = [...html.matchAll(/<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/gi)];
  assert.equal(metas.length, 1, 'one CSP meta element');
  const out = {};
  for (const part of metas[0][1].split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) out[name] = sources;
  }
  return { html, csp: out };
}

test('index.html has a strict Content-Security-Policy and no inline script', async () => {
  const { html, csp } = await policy();
  assert.deepEqual(csp['default-src'], ["'self'"]);
  assert.deepEqual(csp['script-src'], ["'self'", "'wasm-unsafe-eval'"], 'scripts: own files and wasm only');
  assert.deepEqual(csp['connect-src'], ["'self'"], 'fetch only the own wasm');
  assert.deepEqual(csp['worker-src'], ["'self'"]);
  assert.deepEqual(csp['object-src'], ["'none'"]);
  assert.deepEqual(csp['base-uri'], ["'none'"]);
  assert.deepEqual(csp['form-action'], ["'none'"]);
  assert.deepEqual(csp['frame-src'], ["'none'"]);
  for (const [name, sources] of Object.entries(csp)) {
    for (const s of sources) {
      assert.ok(!["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:', 'blob:'].includes(s), `${name} allows ${s}`);
      assert.ok(!/^https?:\/\//.test(s), `${name} allows a host: ${s}`);
    }
  }
  // Every script is a file; no inline handlers or javascript: URLs.
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
  assert.ok(scripts.length >= 1);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs, /\bsrc="[^"]+"/, 'a script with a src');
    assert.equal(body.trim(), '', 'no inline script');
  }
  assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no inline event handlers');
  assert.doesNotMatch(html, /javascript:/i);
});

test('the browser enforces the policy: no inline script, no image or fetch elsewhere', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const blocked = [];
  await context.route('**/*', (route) => {
    if (new URL(route.request().url()).origin === server.origin) return route.continue();
    blocked.push(route.request().url());
    return route.abort();
  });
  await page.goto(server.url);
  await ready(page);
  const r = await page.evaluate(async () => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    window.__inline = false;
    const s = document.createElement('script');
    s.textContent = 'window.__inline = true';
    document.body.appendChild(s);
    const img = document.createElement('img');
    img.src = 'https://example.com/pixel.png';
    document.body.appendChild(img);
    let fetched = 'no';
    try { await fetch('https://example.com/collect'); fetched = 'yes'; } catch (_) { fetched = 'blocked'; }
    await new Promise((ok) => setTimeout(ok, 100));
    return { inline: window.__inline, fetched, violations };
  });
  assert.equal(r.inline, false, 'an injected inline script does not run');
  assert.equal(r.fetched, 'blocked', 'fetch to another origin is blocked');
  for (const d of ['script-src-elem', 'img-src', 'connect-src']) {
    assert.ok(r.violations.some((v) => v.startsWith(d)), `${d} violation reported: ${r.violations}`);
  }
  assert.deepEqual(blocked, [], 'the policy stopped them before the network');
  await context.close();
});

test('the service worker caches and serves only the app\'s own files', async () => {
  const sw = await readFile(join(WWW, 'sw.js'), 'utf8');
  const files = JSON.parse(sw.match(/const FILES = (\[[\s\S]*?\]);/)[1].replace(/'/g, '"').replace(/,\s*\]/, ']'));
  assert.ok(files.every((f) => f.startsWith('./')), `only relative paths: ${files}`);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await serviceWorkerControls(page);
  const cached = async () => page.evaluate(async () => {
    const out = [];
    for (const n of await caches.keys()) {
      for (const r of await (await caches.open(n)).keys()) out.push(r.url);
    }
    return out.sort();
  });
  const want = files.map((f) => new URL(f, server.url).href).sort();
  assert.deepEqual(await cached(), want, 'exactly the app files, on this origin');

  // Another file of the same origin goes to the network and is not kept.
  const before = server.requests.length;
  const status = await page.evaluate(async () => (await fetch('./not-an-app-file.txt?x=1')).status);
  assert.equal(status, 404);
  assert.ok(server.requests.slice(before).includes('/not-an-app-file.txt'), 'went to the server');
  // An app file is answered from the cache, even with a query or fragment.
  const before2 = server.requests.length;
  const ok = await page.evaluate(async () => (await fetch('./app.js?v=2#x')).ok);
  assert.equal(ok, true);
  assert.deepEqual(server.requests.slice(before2), [], 'served by the service worker');
  assert.deepEqual(await cached(), want, 'nothing else was cached');
  await context.close();
});
