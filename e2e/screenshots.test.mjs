// Screenshots of the sample diagnosis: desktop and phone, light and dark,
// into artifacts/screenshots/. With UPDATE_DOCS=1 the desktop-light and
// phone-dark ones are also copied to docs/ for the README.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, copyFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { serve } from './server.mjs';
import { launch, waitForRows, ready, SCREENSHOTS, ROOT } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await serve();
  browser = await launch();
  await mkdir(SCREENSHOTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const VIEWS = [
  { name: 'desktop', viewport: { width: 1280, height: 900 } },
  { name: 'phone', viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true },
];

for (const view of VIEWS) {
  for (const scheme of ['light', 'dark']) {
    test(`screenshot: ${view.name} ${scheme}`, async () => {
      const { name, ...options } = view;
      const context = await browser.newContext({ ...options, colorScheme: scheme, serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(server.url);
      await ready(page);
      await page.getByRole('button', { name: 'Try a sample' }).click();
      await waitForRows(page);
      // The page follows the colour scheme.
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      const [r, g, b] = bg.match(/\d+/g).map(Number);
      const light = (r + g + b) / 3 > 128;
      assert.equal(light, scheme === 'light', `background ${bg} for ${scheme}`);
      // Nothing is wider than the screen on a phone.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px`);
      const file = join(SCREENSHOTS, `${name}-${scheme}.png`);
      await page.screenshot({ path: file, fullPage: true });
      assert.ok((await stat(file)).size > 10000);
      if (process.env.UPDATE_DOCS === '1' && `${name}-${scheme}` in { 'desktop-light': 1, 'phone-dark': 1 }) {
        await mkdir(join(ROOT, 'docs'), { recursive: true });
        await copyFile(file, join(ROOT, 'docs', `screenshot-${name}-${scheme}.png`));
      }
      await context.close();
    });
  }
}
