// Exports: "Copy as Markdown" gives byte for byte what
// `upstream-doctor --markdown --share-link --base-url <page>` prints for the
// same input; "Download JSON" is the contract's report, as `--json` prints
// it, with the causes of the page's rows; the print stylesheet keeps the
// diagnosis and drops the controls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { serve } from './server.mjs';
import { launch, sample, SAMPLE_PATH, engineReport, rowIds, waitForRows, ready, runCli } from './helpers.mjs';

let server;
let browser;
let expected;

before(async () => {
  server = await serve();
  browser = await launch();
  expected = await engineReport(await sample());
  runCli(['--version']); // builds the CLI now, not inside a test's timeout
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function sampleDiagnosed(contextOptions = {}) {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page, expected.causes.length);
  return { context, page };
}

test('Copy as Markdown equals upstream-doctor --markdown for the same input', async () => {
  const { context, page } = await sampleDiagnosed({ permissions: ['clipboard-read', 'clipboard-write'] });
  const base = server.url;
  const cliRedacted = runCli(['--markdown', '--share-link', '--base-url', base, SAMPLE_PATH]);
  assert.match(cliRedacted, /Shared diagnosis \(redacted\): <http:\/\/127\.0\.0\.1:\d+\/#v2\./);

  await page.locator('#copy-markdown').click();
  await page.waitForFunction(() => /copied/.test(document.querySelector('.export-status')?.textContent || ''));
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, cliRedacted, 'clipboard = CLI, byte for byte');
  // The visible fallback holds the same text.
  assert.equal(await page.locator('#markdown-text').inputValue(), cliRedacted);

  // Redacted by default: the sample's host names and client addresses are gone.
  const text = await sample();
  assert.ok(text.includes('shop.example.com') && text.includes('203.0.113.7'));
  assert.ok(!copied.includes('shop.example.com') && !copied.includes('203.0.113.7'), copied);

  // The link in it opens the same causes (the least likely may be left
  // out to keep a link short).
  const link = copied.trimEnd().split('\n').pop().replace(/^.*<(.*)>$/, '$1');
  const opened = JSON.parse(runCli(['--open', link, '--json'])).causes.map((c) => c.id);
  assert.ok(opened.length > 0);
  assert.deepEqual(opened, expected.causes.map((c) => c.id).slice(0, opened.length));

  // Unticked: the names stay, as with --no-redact; the link is still redacted.
  await page.locator('#markdown-redact').uncheck();
  const cliPlain = runCli(['--markdown', '--no-redact', '--share-link', '--base-url', base, SAMPLE_PATH]);
  await page.waitForFunction((want) => document.querySelector('#markdown-text').value === want, cliPlain);
  assert.ok(cliPlain.includes('shop.example.com'));
  await page.locator('#copy-markdown').click();
  await page.waitForFunction(
    async (want) => (await navigator.clipboard.readText()) === want,
    cliPlain,
  );
  await context.close();
});

test('without clipboard access, the Markdown is shown to select', async () => {
  const { context, page } = await sampleDiagnosed();
  await page.evaluate(() => {
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
  });
  assert.equal(await page.locator('#markdown-preview').isVisible(), false);
  await page.locator('#copy-markdown').click();
  await page.locator('#markdown-preview').waitFor({ state: 'visible' });
  assert.match(await page.locator('.export-status').innerText(), /did not allow copying/);
  const cli = runCli(['--markdown', '--share-link', '--base-url', server.url, SAMPLE_PATH]);
  assert.equal(await page.locator('#markdown-text').inputValue(), cli);
  await context.close();
});

test('Download JSON is the contract report, as --json prints it, in the rows\' order', async () => {
  const { context, page } = await sampleDiagnosed();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#download-json').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'upstream-doctor-report.json');
  const body = await readFile(await download.path(), 'utf8');
  const report = JSON.parse(body);

  // The contract's shape (shared/contract.md).
  assert.equal(report.version, 1);
  assert.ok(Array.isArray(report.artifacts) && report.artifacts.length > 0);
  for (const a of report.artifacts) {
    assert.equal(typeof a.kind, 'string');
    assert.ok(Number.isInteger(a.first_line) && Number.isInteger(a.last_line) && a.first_line <= a.last_line);
  }
  assert.ok(Array.isArray(report.causes) && report.causes.length > 0);
  for (const c of report.causes) {
    for (const k of ['id', 'family', 'title']) assert.equal(typeof c[k], 'string', k);
    assert.ok(c.confidence >= 0 && c.confidence <= 1);
    assert.ok(Number.isInteger(c.events));
    assert.ok(c.evidence.every((e) => Number.isInteger(e.line) && typeof e.text === 'string'));
    assert.ok(c.fixes.every((f) => typeof f.command === 'string' && typeof f.why === 'string'));
    assert.ok(Array.isArray(c.verify));
    if (c.next !== undefined) assert.ok(c.next.every((n) => typeof n.paste === 'string' && typeof n.why === 'string'));
  }
  // The same causes, in the same order, as the page's rows.
  assert.deepEqual(report.causes.map((c) => c.id), await rowIds(page));
  assert.deepEqual(
    report.causes.map((c) => c.family),
    await page.$$eval('[data-cause-family]', (r) => r.map((x) => x.dataset.causeFamily)),
  );
  // And byte for byte what the CLI prints.
  assert.equal(body, runCli(['--json', SAMPLE_PATH]));
  await context.close();
});

test('the print stylesheet keeps the diagnosis and drops the controls', async () => {
  const { context, page } = await sampleDiagnosed();
  await page.emulateMedia({ media: 'print' });
  const shown = (sel) => page.$eval(sel, (el) => getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0);
  for (const sel of ['#headline', 'table.causes', '.detail .evidence', '.detail .fixes', '.detail .fixes pre']) {
    assert.ok(await shown(sel), `${sel} is printed`);
  }
  for (const sel of ['section.input', '.exports', '.top-nav', '.copy', '.foot', '.chip-edit']) {
    assert.ok(!(await shown(sel)), `${sel} is not printed`);
  }
  // Cause titles are buttons on screen: in print they stay.
  assert.ok(await shown('.cause-row .expand'));
  await page.emulateMedia({ media: 'screen' });
  assert.ok(await shown('section.input'));
  await context.close();
});
