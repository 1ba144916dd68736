// The "Try a sample" flow, copy to clipboard, keyboard-only use and the
// same-origin guarantee.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './server.mjs';
import { launch, sample, engineReport, rowIds, waitForRows, ready } from './helpers.mjs';

let server;
let browser;
let expected;

before(async () => {
  server = await serve();
  browser = await launch();
  expected = await engineReport(await sample());
  assert.ok(expected.causes.length >= 2, 'the sample should name several causes');
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the sample shows the engine\'s ranking, headline, evidence and chips', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page, expected.causes.length);

  const ids = await rowIds(page);
  assert.deepEqual(ids, expected.causes.map((c) => c.id), 'rows in the engine\'s rank order');
  const families = await page.$$eval('[data-cause-family]', (r) => r.map((x) => x.dataset.causeFamily));
  assert.deepEqual(families, expected.causes.map((c) => c.family));

  const top = expected.causes[0];
  const headline = await page.locator('#headline').innerText();
  assert.ok(headline.includes(top.title), `headline names the top cause: ${headline}`);
  assert.match(headline, new RegExp(`${Math.round(top.confidence * 100)}% confidence`));

  // The sample is in the paste area, so it can be edited.
  assert.equal(await page.locator('#paste').inputValue(), await sample());

  // The top cause is open: its evidence, with the marked part in <mark>.
  const firstEvidence = top.evidence[0];
  const ev = page.locator('.detail .evidence li').first();
  assert.ok((await ev.innerText()).includes(`line ${firstEvidence.line}`));
  if (firstEvidence.mark) {
    const [a, b] = firstEvidence.mark;
    const want = Buffer.from(firstEvidence.text).subarray(a, b).toString();
    assert.equal(await ev.locator('mark').innerText(), want);
  }
  // Fix commands are shown verbatim.
  const cmds = await page.locator('.detail .fixes pre').allInnerTexts();
  assert.deepEqual(cmds, top.fixes.map((f) => f.command));

  // Artifact chips, from report.artifacts.
  const chips = await page.locator('.chips .chip').allInnerTexts();
  assert.equal(chips.length, expected.artifacts.length);
  assert.ok(chips.some((c) => c.startsWith('nginx error.log, ')), chips.join(' | '));

  // Opening the second cause shows its detail.
  const second = page.locator('[data-cause-id]').nth(1).getByRole('button');
  assert.equal(await second.getAttribute('aria-expanded'), 'false');
  await second.click();
  assert.equal(await second.getAttribute('aria-expanded'), 'true');
  const secondFix = expected.causes[1].fixes[0].command;
  const secondDetail = page.locator('tbody.cause').nth(1).locator('.detail');
  assert.ok((await secondDetail.innerText()).includes(secondFix.split('\n')[0]));
  await context.close();
});

test('no request leaves the page\'s own origin', async () => {
  const context = await browser.newContext();
  const urls = [];
  context.on('request', (r) => urls.push(r.url()));
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page);
  await page.locator('#paste').fill(`${await sample()}\n2024/05/14 10:00:00 [error] 1#1: *9 upstream prematurely closed connection while reading response header from upstream, upstream: "http://10.0.0.5:8000/"\n`);
  await page.waitForTimeout(800);
  assert.ok(urls.length >= 5, `requests were recorded: ${urls.join(', ')}`);
  for (const u of urls) {
    assert.equal(new URL(u).origin, server.origin, `request to another origin: ${u}`);
  }
  // The wasm and worker came from our server; nothing else was asked for.
  const paths = new Set(urls.map((u) => new URL(u).pathname));
  for (const p of ['/', '/app.js', '/worker.js', '/pkg/web_ui.js', '/pkg/web_ui_bg.wasm', '/style.css']) {
    assert.ok(paths.has(p), `${p} was loaded`);
  }
  await context.close();
});

test('a Copy button puts the fix command on the clipboard', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);
  await page.getByRole('button', { name: 'Try a sample' }).click();
  await waitForRows(page);
  const fix = page.locator('.detail .fixes .fix').first();
  const command = await fix.locator('pre').innerText();
  await fix.getByRole('button', { name: /^Copy command/ }).click();
  await fix.getByText('Copied').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), command);
  assert.equal(command, expected.causes[0].fixes[0].command);
  await context.close();
});

test('keyboard only: sample, open a cause, copy, with visible focus', async () => {
  const context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  const page = await context.newPage();
  await page.goto(server.url);
  await ready(page);

  const focused = () => page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el.tagName, id: el.id, text: el.textContent.trim(), outline: getComputedStyle(el).outlineStyle };
  });
  // Tab from the top of the page until the sample button has focus.
  let f;
  for (let i = 0; i < 12; i += 1) {
    await page.keyboard.press('Tab');
    f = await focused();
    if (f.text === 'Try a sample') break;
  }
  assert.equal(f.text, 'Try a sample', 'the sample button is reachable by Tab');
  assert.notEqual(f.outline, 'none', 'focus is visible');
  await page.keyboard.press('Enter');
  await waitForRows(page, expected.causes.length);

  // Tab on to the second cause's expand button and open it with Space.
  const secondTitle = expected.causes[1].title;
  for (let i = 0; i < 60; i += 1) {
    await page.keyboard.press('Tab');
    f = await focused();
    if (f.tag === 'BUTTON' && f.text === secondTitle) break;
  }
  assert.equal(f.text, secondTitle, 'the second cause is reachable by Tab');
  await page.keyboard.press(' ');
  const second = page.locator('[data-cause-id]').nth(1).getByRole('button');
  assert.equal(await second.getAttribute('aria-expanded'), 'true');

  // The next Tab stops inside its detail: a Copy button, which Enter uses.
  for (let i = 0; i < 10; i += 1) {
    await page.keyboard.press('Tab');
    f = await focused();
    if (f.text === 'Copy') break;
  }
  assert.equal(f.text, 'Copy');
  await page.keyboard.press('Enter');
  await page.locator('tbody.cause').nth(1).getByText('Copied').first().waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected.causes[1].fixes[0].command);

  // Ctrl+Enter in the paste area diagnoses at once.
  await page.locator('#paste').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('2024/05/14 09:14:30 [crit] 1#1: *1 connect() to unix:/run/php/php8.1-fpm.sock failed (2: No such file or directory) while connecting to upstream');
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => document.querySelector('[data-cause-id]')?.dataset.causeId === 'socket_missing');
  await context.close();
});
