// Kind overrides: each "Recognised:" chip can re-label its lines; the
// correction goes to the core (KindOverride) and the diagnosis runs again,
// for a paste and for opened files alike.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './server.mjs';
import { launch, sample, engineReport, rowIds, waitForRows, ready } from './helpers.mjs';

let server;
let browser;
let text;
let plain;

before(async () => {
  server = await serve();
  browser = await launch();
  text = await sample();
  plain = await engineReport(text);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const sameRows = (page, ids) => page.waitForFunction(
  (ids) => JSON.stringify([...document.querySelectorAll('[data-cause-id]')].map((r) => r.dataset.causeId)) === JSON.stringify(ids),
  ids,
  { timeout: 20000 },
);

async function relabel(page, artifact, kind) {
  const chip = page.locator(`.chip[data-first-line="${artifact.first_line}"]`);
  await chip.locator('.chip-edit').click();
  await chip.locator('select').selectOption(kind);
}

for (const source of ['paste', 'files']) {
  test(`re-labelling a chip re-runs the diagnosis with the override (${source})`, async () => {
    const log = plain.artifacts.find((a) => a.kind === 'nginx_error_log');
    assert.ok(log, 'the sample has an error.log part');
    const override = [{ first_line: log.first_line, last_line: log.last_line, kind: 'unrecognised' }];
    const relabelled = await engineReport(text, override);
    assert.notDeepEqual(relabelled.causes.map((c) => c.id), plain.causes.map((c) => c.id),
      'without its error.log the sample diagnoses differently');

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url);
    await ready(page);
    if (source === 'paste') {
      await page.getByRole('button', { name: 'Try a sample' }).click();
    } else {
      await page.locator('#files').setInputFiles({ name: 'case.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
    }
    await waitForRows(page, plain.causes.length);
    assert.deepEqual(await rowIds(page), plain.causes.map((c) => c.id));

    await relabel(page, log, 'unrecognised');
    await sameRows(page, relabelled.causes.map((c) => c.id));
    const chip = page.locator(`.chip[data-first-line="${log.first_line}"]`);
    assert.equal(await chip.getAttribute('data-kind'), 'unrecognised');
    assert.match(await chip.innerText(), /set by you/);
    assert.equal(
      await page.locator('.chips .chip').count(),
      relabelled.artifacts.length,
    );
    if (source === 'files') assert.match(await page.locator('.stats').innerText(), /case\.txt/);

    // Back to automatic detection: the first diagnosis again.
    await chip.locator('.chip-edit').click();
    await chip.locator('select').selectOption('');
    await sameRows(page, plain.causes.map((c) => c.id));
    assert.equal(await page.locator('.chip-set').count(), 0);
    await context.close();
  });
}

test('a block re-labelled as another block kind is parsed as that kind', async () => {
  // The `ss` table of the sample, called an nginx config: the listeners are
  // gone from the facts, and the ranking follows the engine's.
  const ss = plain.artifacts.find((a) => a.kind === 'listeners');
  assert.ok(ss);
  const override = [{ first_line: ss.first_line, last_line: ss.last_line, kind: 'nginx_config' }];
  const want = await engineReport(text, override);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page, plain.causes.length);
  await relabel(page, ss, 'nginx_config');
  await page.waitForSelector(`.chip-set[data-kind="nginx_config"]`);
  assert.deepEqual(await rowIds(page), want.causes.map((c) => c.id));
  // Editing the paste drops the override (its line numbers were for the old text).
  await page.locator('#paste').fill(`${text}\n`);
  await page.waitForFunction(() => document.querySelectorAll('.chip-set').length === 0, null, { timeout: 20000 });
  await context.close();
});
