// Chromium as these machines allow it, for the end-to-end tests and the
// browser benches: the system's browser (/usr/bin/chromium, or $CHROMIUM),
// never a downloaded one, headless, with no network of its own.
import { chromium } from 'playwright-core';

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}
