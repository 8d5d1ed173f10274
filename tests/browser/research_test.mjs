// Browser test of the research sample's page (samples/research/web) against a running
// research-node with the sample's worker: asks a question in Debian's Chromium, reads
// the page's streamed text and final report, then asks again and stops the turn; then
// the node's console shows the conversation's session and its timeline (Agents tab).
//
//   node research_test.mjs ws://127.0.0.1:PORT/ws
//
// Exit 0 when every check passed, 1 with the reason otherwise; 60 s at most.
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { harness } from './harness.mjs';

const OVERALL_MS = 60_000;
const STEP_MS = 15_000;
const nodeUrl = process.argv[2];
if (!nodeUrl) {
  console.error('usage: node research_test.mjs ws://127.0.0.1:PORT/ws');
  process.exit(1);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const pageFile = path.join(here, '..', '..', 'samples', 'research', 'web', 'index.html');

const { fail, launch, step, pass } = harness(OVERALL_MS);

async function main() {
  const browser = await launch();
  const page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const url = `${pathToFileURL(pageFile)}?node=${encodeURIComponent(nodeUrl)}&conv=browser-1`;

  await step('the page connects', async () => {
    await page.goto(url);
    await page.locator('#status', { hasText: 'ready' }).waitFor();
  });

  let report = '';
  await step('a question ends in a streamed, then final report', async () => {
    await page.fill('#question', 'Compare LMDB and RocksDB');
    await page.click('#ask');
    await page.locator('#report[data-state=done]').waitFor();
    report = (await page.textContent('#report')).trim();
    if (!report.startsWith('Report on "Compare LMDB and RocksDB"')) throw new Error(`report: ${report}`);
    const streamed = (await page.textContent('#stream')).trim();
    if (streamed !== report) throw new Error(`streamed "${streamed}" is not the report "${report}"`);
  });

  await step('the stop button cancels the next turn', async () => {
    await page.fill('#question', 'Another question entirely');
    await page.click('#ask');
    await page.locator('#status', { hasText: /planning|researching|writing/ }).waitFor();
    await page.click('#stop');
    await page.locator('#status', { hasText: 'cancelled: stop button' }).waitFor();
    if (await page.isEnabled('#stop')) throw new Error('stop stays enabled');
  });

  await step('the page raised no script error', async () => {
    if (pageErrors.length) throw new Error(pageErrors.join('; '));
  });

  await step("the console's Agents tab lists the session and shows its timeline", async () => {
    const consoleUrl = nodeUrl.replace(/^ws/, 'http').replace(/\/ws$/, '/console#agents');
    await page.goto(consoleUrl);
    await page.fill('#agents-kind', 'research');
    await page.click('#agents-load');
    const session = page.locator('[data-testid=agent-row] button', { hasText: 'research/browser-1' });
    await session.click();
    await page.locator('#timeline-session', { hasText: 'agents/research/browser-1' }).waitFor();
    const first = page.locator('[data-testid=timeline-row]').first();
    await first.waitFor();
    const text = await first.textContent();
    if (!text.includes('research.prompt')) throw new Error(`first timeline row: ${text}`);
    if (pageErrors.length) throw new Error(pageErrors.join('; '));
  });

  await pass(`research page test passed: "${report}"`);
}

main().catch((err) => fail(err.stack || String(err)));
