// Browser test of the node's web console: drives /console in Debian's Chromium with
// playwright-core against a running node.
//
//   cd tests/browser && npm ci && node console_test.mjs http://127.0.0.1:7400 [SCREENSHOT_DIR]
//
// A node in auth.mode jwt needs SWITCHYARD_TOKEN: a JWT with claim admin, which the test
// types into the page's token field and sends with its own API call.
//
// Exit 0 when every check passed, 1 with the reason otherwise; 60 s at most.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { harness } from './harness.mjs';

const OVERALL_MS = 60_000;
const STEP_MS = 10_000;

const [baseArg, shotDir] = process.argv.slice(2);
if (!baseArg) {
  console.error('usage: node console_test.mjs BASE_URL [SCREENSHOT_DIR]');
  process.exit(1);
}
const base = baseArg.replace(/\/+$/, '');
const token = process.env.SWITCHYARD_TOKEN || '';

const { fail, launch, step, pass } = harness(OVERALL_MS);

async function shot(page, name) {
  if (shotDir) await page.screenshot({ path: path.join(shotDir, `console-${name}.png`) });
}

// Waits until a view has rendered (data-state ok) and fails with its error text if it
// rendered an error instead.
async function rendered(page, view) {
  const section = page.locator(`#${view}`);
  await section.and(page.locator('[data-state=ok], [data-state=error]')).waitFor({ timeout: STEP_MS });
  if ((await section.getAttribute('data-state')) === 'error') {
    throw new Error(`the ${view} view shows an error: ${await page.locator(`#${view}-error`).textContent()}`);
  }
}

async function openTab(page, view) {
  const tab = page.locator(`#tab-${view}`);
  if (!(await tab.isVisible())) throw new Error(`the ${view} tab is not shown (its endpoint answered 404?)`);
  await tab.click();
  await page.locator(`#${view}`).waitFor({ state: 'visible', timeout: STEP_MS });
}

async function main() {
  if (shotDir) mkdirSync(shotDir, { recursive: true });
  const topic = `console/test-${Math.random().toString(36).slice(2, 10)}`;

  // The node's name as the API reports it, to look for on the page.
  let nodeName = '';
  await step('GET /admin/v1/status answers JSON with a node name', async () => {
    const res = await fetch(`${base}/admin/v1/status`, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(STEP_MS),
    });
    if (!res.ok) throw new Error(`status ${res.status}`);
    nodeName = (await res.json()).node;
    if (typeof nodeName !== 'string' || !nodeName) throw new Error('no "node" field');
  });

  const browser = await launch();
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.setDefaultTimeout(STEP_MS);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await step('the console page loads', async () => {
    const res = await page.goto(`${base}/console`);
    if (!res || !res.ok()) throw new Error(`GET /console answered ${res && res.status()}`);
    await page.locator('nav [role=tab]').first().waitFor();
    if (token) {
      await page.fill('#token', token);
      await page.click('#token-save');
    }
  });

  await step('the status view shows the node name', async () => {
    await openTab(page, 'status');
    await rendered(page, 'status');
    await page.locator('#status-rows').getByText(nodeName, { exact: true }).waitFor();
    await shot(page, 'status');
  });

  await step(`the tap view subscribes to ${topic}`, async () => {
    await openTab(page, 'tap');
    await page.fill('#tap-topic', topic);
    await page.click('#tap-start');
    await page.locator('#tap-state[data-state=subscribed]').waitFor();
  });

  await step('the publish form publishes {"hello":"browser"}', async () => {
    await page.fill('#pub-data', '{"hello":"browser"}');
    await page.click('#pub-send');
    await page.locator('#pub-result[data-state=ok], #pub-result[data-state=error]').waitFor();
    const out = page.locator('#pub-result');
    if ((await out.getAttribute('data-state')) !== 'ok' || !/seq \d+/.test(await out.textContent())) {
      throw new Error(`publish answered: ${await out.textContent()}`);
    }
  });

  await step('the tapped event shows up live', async () => {
    await page.locator('#tap-rows [data-testid=event-row]').filter({ hasText: 'browser' }).waitFor({ timeout: 10_000 });
    await shot(page, 'tap');
  });

  await step('the history view lists the event', async () => {
    await openTab(page, 'history');
    await page.fill('#hist-topic', topic);
    await page.fill('#hist-from', '1');
    await page.click('#hist-load');
    await rendered(page, 'history');
    await page.locator('#hist-rows [data-testid=event-row]').filter({ hasText: 'browser' }).waitFor();
    await shot(page, 'history');
  });

  await step('the presence view renders', async () => {
    await openTab(page, 'presence');
    await page.fill('#pres-topic', topic);
    await page.click('#pres-load');
    await rendered(page, 'presence');
    await shot(page, 'presence');
  });

  await step('the tenants view renders', async () => {
    await openTab(page, 'tenants');
    await rendered(page, 'tenants');
    await page.locator('#tenants-rows [data-testid=tenant-row]').first().waitFor();
    await shot(page, 'tenants');
  });

  await step('the topics view lists the topic', async () => {
    await openTab(page, 'topics');
    await page.fill('#topics-prefix', topic);
    await page.click('#topics-load');
    await rendered(page, 'topics');
    await page.locator('#topics-rows [data-testid=topic-row]').filter({ hasText: topic }).waitFor();
    await shot(page, 'topics');
  });

  await step('the page raised no script error', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('; '));
  });

  await pass('console test passed');
}

main().catch((err) => fail(err.stack || String(err)));
