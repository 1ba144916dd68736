// The knowledge base (#/causes, #/causes/<id>), its links from the
// diagnosis, explanations on evidence terms, and the collector panel.
// What the core knows (the list of causes, search order, the collector
// script) comes from the CLI of this checkout, never hard-coded here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './server.mjs';
import { launch, sample, engineReport, rowIds, waitForRows, ready, runCli, serviceWorkerControls } from './helpers.mjs';

let server;
let sub;
let browser;
let causes; // [{ id, title }] in registry order, from --list-causes

before(async () => {
  server = await serve();
  sub = await serve({ prefix: '/tools/ud/' });
  browser = await launch();
  causes = runCli(['--list-causes'])
    .trimEnd()
    .split('\n')
    .map((l) => {
      const m = l.match(/^(\S+)\s+(.*?)(?:\s+\(family \S+\))?$/);
      return { id: m[1], title: m[2] };
    });
  assert.ok(causes.length >= 17);
});

after(async () => {
  await browser?.close();
  await server?.close();
  await sub?.close();
});

/** The ids `--explain QUERY` lists (best first), or the one it shows. */
function explainIds(query) {
  const out = runCli(['--explain', query]);
  const one = out.match(/^# .* \(`(\S+)`\)$/m);
  if (one && !out.startsWith('Causes matching')) return [one[1]];
  return out.trimEnd().split('\n').slice(1).map((l) => l.trim().split(/\s+/)[0]);
}

async function open(url, options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await page.goto(url);
  return { context, page };
}

const kbIds = (page) => page.$$eval('[data-kb-cause]', (li) => li.map((x) => x.dataset.kbCause));

test('the index lists every cause and searches by name or pasted message', async () => {
  const { context, page } = await open(server.url);
  await ready(page);
  await page.getByRole('navigation', { name: 'Site' }).getByRole('link', { name: 'Knowledge base' }).click();
  await page.locator('#kb-search').waitFor();
  assert.match(page.url(), /#\/causes$/);
  assert.equal(await page.locator('#main').isVisible(), false, 'the diagnosis page is hidden');
  // Focus moved to the new view's heading.
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'kb-title');
  assert.deepEqual(await kbIds(page), causes.map((c) => c.id));

  for (const q of ['prematurely closed', '(13: Permission denied)', 'proxy_read_timeout']) {
    await page.locator('#kb-search').fill(q);
    const want = explainIds(q);
    await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll('[data-kb-cause]')].map((x) => x.dataset.kbCause)) === JSON.stringify(w), want);
  }
  // A pasted message also explains its parts.
  await page.locator('#kb-search').fill('connect() failed (111: Connection refused) while connecting to upstream');
  await page.waitForFunction(() => document.querySelectorAll('.kb-terms dt').length === 3);
  const terms = await page.locator('.kb-terms dt').allInnerTexts();
  assert.deepEqual(terms, ['connect() failed', '(111: Connection refused)', 'while connecting to upstream']);
  await page.locator('#kb-search').fill('zzz no such thing');
  await page.locator('#kb-count', { hasText: 'No cause matches' }).waitFor();
  assert.equal(await page.locator('[data-kb-cause]').count(), 0);
  await context.close();
});

test('a cause page renders its docs as elements; back returns to the search', async () => {
  const { context, page } = await open(`${server.url}#/causes`);
  await page.locator('#kb-search').fill('(13: Permission denied)');
  const first = explainIds('(13: Permission denied)')[0];
  await page.locator(`[data-kb-cause="${first}"] a`).first().click();
  await page.locator(`[data-kb-page="${first}"]`).waitFor();
  assert.ok(page.url().endsWith(`#/causes/${first}`));
  const title = causes.find((c) => c.id === first).title;
  assert.ok((await page.locator('#kb-title').innerText()).startsWith(title));
  const sections = await page.locator('.kb-page h2').allInnerTexts();
  for (const s of ['What it means', 'Why nginx answers 502 or 504', 'Evidence', 'Fix', 'Verify', 'Known problems']) {
    assert.ok(sections.includes(s), `${s} in ${sections}`);
  }
  // Markdown became elements: no markup characters left in the text.
  const text = await page.locator('.kb-page').innerText();
  assert.ok(!text.includes('`') && !text.includes('**') && !text.includes('## '), text);
  assert.ok(await page.locator('.kb-page code').count() > 3);
  assert.ok(await page.locator('.kb-page strong').count() > 0);
  // Cause ids in the text link to their pages.
  const links = await page.$$eval('.kb-page a.cause-link', (a) => a.map((x) => x.getAttribute('href')));
  assert.ok(links.length > 0 && links.every((h) => /^#\/causes\/[a-z0-9_]+$/.test(h)), links.join(' '));

  await page.goBack();
  await page.locator('#kb-search').waitFor();
  assert.equal(await page.locator('#kb-search').inputValue(), '(13: Permission denied)');
  assert.equal((await kbIds(page))[0], first);

  // An unknown id is said so, as text.
  await page.goto(`${server.url}#/causes/%3Cimg%20src%3Dx%3E`);
  await page.locator('#kb-title', { hasText: 'No such cause' }).waitFor();
  assert.match(await page.locator('.kb').innerText(), /no cause called “<img src=x>”/);
  assert.equal(await page.locator('.kb img').count(), 0);
  await context.close();
});

test('rows and why texts link to the knowledge base; evidence terms explain themselves', async () => {
  const expected = await engineReport(await sample());
  const { context, page } = await open(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page, expected.causes.length);
  const top = expected.causes[0];

  // Tooltips: the top cause's first evidence line has explained terms.
  const term = page.locator('.detail .evidence li').first().locator('.term').first();
  const tipId = await term.getAttribute('aria-describedby');
  const tip = page.locator(`[id="${tipId}"]`);
  assert.equal(await tip.getAttribute('role'), 'tooltip');
  assert.equal(await tip.isVisible(), false);
  await term.focus();
  await tip.waitFor({ state: 'visible' });
  assert.ok((await tip.innerText()).trim().endsWith('.'));
  await page.keyboard.press('Escape');
  await tip.waitFor({ state: 'hidden' });
  await term.hover();
  await tip.waitFor({ state: 'visible' });
  // The marked part is still one <mark>, whatever terms it holds.
  assert.equal(await page.locator('.detail .evidence li').first().locator('mark').count() <= 1, true);

  // "About this cause" on the first row.
  await page.locator('tbody.cause').first().getByRole('link', { name: `About this cause: ${top.id}` }).click();
  await page.locator(`[data-kb-page="${top.id}"]`).waitFor();
  assert.ok((await page.locator('#kb-title').innerText()).startsWith(causes.find((c) => c.id === top.id).title));
  // Back to the diagnosis: still there.
  await page.goBack();
  await page.locator('#main').waitFor({ state: 'visible' });
  assert.deepEqual(await rowIds(page), expected.causes.map((c) => c.id));
  await context.close();
});

test('the knowledge base works from a sub-path and leaves #v1. fragments alone', async () => {
  const { context, page } = await open(`${sub.url}#/causes/upstream_down`, { serviceWorkers: 'block' });
  await page.locator('[data-kb-page="upstream_down"]').waitFor();
  await page.getByRole('link', { name: 'All causes' }).click();
  await page.locator('#kb-search').waitFor();
  assert.equal(new URL(page.url()).pathname, '/tools/ud/');
  for (const p of sub.requests) assert.ok(p.startsWith('/tools/ud/'), p);

  // A share fragment is not a route: the diagnosis page stays, the hash too.
  await page.goto(`${sub.url}#v1.eNqrVkrLz1eyUkpKLFKqBQApvQVx`);
  await ready(page);
  assert.equal(await page.locator('#kb').count(), 0);
  assert.ok(page.url().endsWith('#v1.eNqrVkrLz1eyUkpKLFKqBQApvQVx'));
  await context.close();
});

test('Collect everything shows the core\'s script, copies the command, and is offered when facts are missing', async () => {
  const script = runCli(['--collector']);
  const { context, page } = await open(server.url, { permissions: ['clipboard-read', 'clipboard-write'] });
  await ready(page);
  await page.getByRole('link', { name: 'Collect everything…' }).click();
  const panel = page.locator('#collector');
  await panel.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'collector-title');
  assert.match(await panel.innerText(), /read-only/);
  assert.match(await panel.innerText(), /writes nothing/);
  await panel.locator('summary').click();
  assert.equal(await panel.locator('.collector-script pre').evaluate((el) => el.textContent), script);
  const command = `sudo sh <<'UPSTREAM_DOCTOR'\n${script}UPSTREAM_DOCTOR\n`;
  await panel.locator('.collector-command .copy').click();
  await page.waitForFunction(async (want) => (await navigator.clipboard.readText()) === want, command);
  await panel.getByRole('link', { name: 'Close' }).click();
  await panel.waitFor({ state: 'detached' });

  // Nothing found and much missing: "Paste this next" offers the collector.
  const thin = 'hello, the site says 502\n';
  const expected = await engineReport(thin);
  assert.equal(expected.causes.length, 0);
  assert.ok(expected.next.some((n) => n.paste.startsWith('upstream-doctor --collector')));
  await page.locator('#paste').fill(thin);
  const offer = page.locator('.no-cause').getByRole('link', { name: 'Collect everything' });
  await offer.waitFor();
  await offer.click();
  await panel.waitFor();
  await context.close();
});

test('the knowledge base opens offline after a first visit', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(sub.url);
  await ready(page);
  await serviceWorkerControls(page);
  await context.setOffline(true);
  const before = sub.requests.length;
  await page.goto(`${sub.url}#/causes/socket_permission`);
  await page.reload();
  await page.locator('[data-kb-page="socket_permission"]').waitFor();
  await page.locator('#kb-title').waitFor();
  await page.getByRole('link', { name: 'All causes' }).click();
  await page.locator('#kb-search').fill('(13: Permission denied)');
  await page.waitForFunction(
    (first) => document.querySelector('[data-kb-cause]')?.dataset.kbCause === first,
    explainIds('(13: Permission denied)')[0],
  );
  assert.equal(sub.requests.length, before, 'nothing reached the server while offline');
  await context.close();
});
