// What the browser tests share: Debian's Chromium driven by playwright-core (from
// tests/browser/node_modules, wherever a test is started from), a deadline for the whole
// test, and named steps whose first error fails it with the step's name.
import { createRequire } from 'node:module';

export function harness(overallMs) {
  let chromium;
  try {
    ({ chromium } = createRequire(import.meta.url)('playwright-core'));
  } catch {
    console.error('FAIL: playwright-core is not installed: run `npm ci` in tests/browser');
    process.exit(1);
  }
  let browser = null;
  const fail = async (message) => {
    console.error(`FAIL: ${message}`);
    await browser?.close().catch(() => {});
    process.exit(1);
  };
  const overall = setTimeout(() => fail(`the test took longer than ${overallMs / 1000} s`), overallMs);
  return {
    fail,
    async launch() {
      browser = await chromium.launch({
        executablePath: '/usr/bin/chromium',
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
          '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      return browser;
    },
    async step(name, fn) {
      try {
        await fn();
        console.log(`ok   ${name}`);
      } catch (err) {
        await fail(`${name}: ${err.message.split('\n')[0]}`);
      }
    },
    async pass(message) {
      await browser.close();
      clearTimeout(overall);
      console.log(message);
      process.exit(0);
    },
  };
}
