// The dashboard as a person sees it: Debian's chromium, driven by playwright-core, against the
// real backend fed by the real fleetmon-sim or by POSTs. Waits are on what the page shows, never
// on a fixed time. Screenshots go to test-output/ (gitignored) for a person to look at.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { insertSamples, knownPayload } from '../../backend/test/history-fixtures.js';
import { onPostgres, postJson, repoRoot, startTestBackend, tempDir } from '../../backend/test/helpers.js';
import { healthyExample } from '../../backend/test/payloads.js';
import type { RunningBackend } from '../../backend/server.js';
import { spawnAgent } from '../../agent/test/processes.js';

const sqliteOnly = (name: string, test: () => Promise<void>): void => {
  if (!onPostgres) it(name, test);
};

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`[dashboard tests] skipped: ${CHROMIUM} is missing; install the Debian package \`chromium\` (apt-get install -y chromium)`);

export const screenshots = join(repoRoot, 'test-output');
const simCli = join(repoRoot, 'dist/agent/sim/cli.js');

let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
let backend: RunningBackend | undefined;
let dir: ReturnType<typeof tempDir> | undefined;

beforeAll(async () => {
  if (!haveChromium) return;
  mkdirSync(screenshots, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync',
    ],
    // launch() (not launchPersistentContext) gives chromium a fresh temporary profile, removed on close.
  });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  await backend?.close();
  backend = undefined;
  await dir?.remove();
  dir = undefined;
});

async function startBackend(port = 0): Promise<RunningBackend> {
  dir ??= tempDir();
  backend = await startTestBackend(join(dir.path, 'monitor.sqlite'), { shutdownGraceMs: 500 }, { port });
  return backend;
}

async function openPage(url: string, options: { dark?: boolean; phone?: boolean } = {}): Promise<Page> {
  const context = await browser!.newContext({
    colorScheme: options.dark ? 'dark' : 'light',
    viewport: options.phone ? { width: 390, height: 844 } : { width: 1440, height: 900 },
    deviceScaleFactor: 1,
  });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('[page error]', err));
  await page.goto(url);
  return page;
}

// Named per project: both projects run this file, possibly at the same time.
const shot = (page: Page, name: string) => page.screenshot({ path: join(screenshots, `${name}${onPostgres ? '-postgres' : ''}.png`), fullPage: false });

/** The real simulator: `agents` machines, a share of them in faults, for a few seconds. */
async function runSim(url: string, agents: number, seconds: number): Promise<void> {
  const sim = spawnAgent(
    ['--server', url, '--agents', String(agents), '--interval', '1s', '--duration', `${seconds}s`, '--faults', '0.3', '--seed', '11', '--progress', '0'],
    { script: simCli },
  );
  const code = await sim.exited;
  expect(code, sim.output()).toBe(0);
}

const row = (page: Page, device: string) => page.locator('table.fleet tbody tr', { has: page.locator(`th >> text="${device}"`) });

describe.skipIf(!haveChromium)('the dashboard in chromium', () => {
  it('shows the empty state, then every device of a simulated fleet with its status; filters and search work', async () => {
    const { url } = await startBackend();
    const page = await openPage(`${url}/`);
    // GET / in a browser lands on the dashboard.
    await page.getByText('No device has reported yet').waitFor();
    expect(page.url()).toBe(`${url}/ui/`);
    await expect(page.locator('.empty code').textContent()).resolves.toBe(`npx fleetmon-agent --server ${url}`);
    await shot(page, 'overview-empty');

    await runSim(url, 300, 3);
    const devices = await (await fetch(`${url}/devices`)).json() as { id: string }[];
    expect(devices).toHaveLength(300);
    await page.getByText(/^300 devices:/).waitFor();
    await expect(page.locator('table.fleet tbody tr').count()).resolves.toBe(300);
    const statuses = await page.locator('table.fleet tbody td .badge').allTextContents();
    expect(new Set(statuses)).toEqual(new Set(['problems', 'online']));
    // Problems first by default.
    expect(statuses.indexOf('online')).toBe(statuses.filter((s) => s === 'problems').length);
    await shot(page, 'overview-light');

    await page.getByLabel('Search').fill('sim-0007');
    await expect(page.locator('table.fleet tbody tr').count()).resolves.toBe(1);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Status').selectOption('problems');
    const problems = await page.locator('table.fleet tbody td .badge').allTextContents();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((s) => s === 'problems')).toBe(true);
    await page.getByLabel('Status').selectOption('all');

    // Sorting by CPU, highest first.
    await page.getByRole('button', { name: 'CPU' }).click();
    const cpus = (await page.locator('table.fleet tbody tr td:nth-of-type(2)').allTextContents()).slice(0, 20).map((t) => parseFloat(t));
    expect(cpus).toEqual([...cpus].sort((a, b) => b - a));

    const dark = await openPage(`${url}/ui/`, { dark: true });
    await dark.getByText(/^300 devices:/).waitFor();
    await shot(dark, 'overview-dark');
    const phone = await openPage(`${url}/ui/`, { phone: true, dark: true });
    await phone.getByText(/^300 devices:/).waitFor();
    await shot(phone, 'overview-phone-dark');
    const problemsPage = await openPage(`${url}/ui/#/problems`);
    await problemsPage.getByRole('heading', { name: /Open problems \([1-9]\d*\)/ }).waitFor();
    await problemsPage.locator('table[aria-label^="Alert history"] tbody tr').first().waitFor();
    await shot(problemsPage, 'problems-light');
    // History pages back with X-Next-Cursor, 50 at a time.
    const history = problemsPage.locator('table[aria-label^="Alert history"] tbody tr');
    await expect.poll(() => history.count()).toBe(50);
    await problemsPage.getByRole('button', { name: 'Older alerts' }).click();
    await expect.poll(() => history.count()).toBeGreaterThan(50);
    // The filters of GET /alerts: critical alerts of one device.
    const critical = (await (await fetch(`${url}/alerts/active`)).json() as { device: string; severity: string }[]).find((p) => p.severity === 'critical')!;
    await problemsPage.getByLabel('Device', { exact: true }).fill(critical.device);
    await problemsPage.getByRole('combobox', { name: /^Severity/ }).selectOption('critical');
    await problemsPage.getByRole('button', { name: 'Show alerts' }).click();
    await problemsPage.getByRole('heading', { name: `Rules in force for ${critical.device}` }).waitFor();
    await expect.poll(async () => new Set(await history.locator('td:nth-child(2)').allTextContents())).toEqual(new Set([critical.device]));
    expect(new Set(await history.locator('td:nth-child(4)').allTextContents())).toEqual(new Set(['critical']));
    const problemsDark = await openPage(`${url}/ui/#/problems`, { dark: true, phone: true });
    await problemsDark.getByRole('heading', { name: /Open problems \([1-9]\d*\)/ }).waitFor();
    await shot(problemsDark, 'problems-phone-dark');
  }, 90_000);

  it('shows a fault posted after the page loaded as a problem, and its recovery, without reload', async () => {
    const { url } = await startBackend();
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'web-1', interval_seconds: 10 });
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'web-2', interval_seconds: 10 });
    const page = await openPage(`${url}/ui/`);
    await row(page, 'web-1').locator('.badge', { hasText: 'online' }).waitFor();
    await page.locator('.live.on').waitFor();

    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'web-1', cpu: { total_percent: 97 }, interval_seconds: 10 });
    await row(page, 'web-1').locator('.badge', { hasText: 'problems' }).waitFor({ timeout: 3000 });
    await row(page, 'web-1').getByText('High CPU usage').waitFor({ timeout: 3000 });
    await expect(row(page, 'web-1').locator('td').nth(1).textContent()).resolves.toBe('97 %');

    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'web-1', interval_seconds: 10 });
    await row(page, 'web-1').locator('.badge', { hasText: 'online' }).waitFor({ timeout: 3000 });
    await expect(row(page, 'web-1').getByText('High CPU usage').count()).resolves.toBe(0);
  });

  // Writes a week of history straight into the SQLite file (history-fixtures), so it is registered
  // only there; on PostgreSQL the other tests here show the dashboard working.
  sqliteOnly('draws non-empty charts on the device page for 24 h and 7 d, with the host and the raw sample', async () => {
    const { url, database, maintenance } = await startBackend();
    const now = Math.floor(Date.now() / 1000);
    insertSamples(database.sqlite, { devices: ['db-1'], from: now - 8 * 86400, to: now - 60, every: 300, payload: knownPayload });
    await maintenance.runUntilIdle();
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'db-1', cpu: { total_percent: 96 }, host: { os: 'Debian GNU/Linux 12', kernel: '6.1.0', arch: 'x64', cpu_model: 'EPYC', cpu_cores: 16 } });

    for (const dark of [false, true]) {
      const page = await openPage(`${url}/ui/#/devices/db-1`, { dark });
      await page.getByRole('heading', { name: /db-1/ }).waitFor();
      await page.locator('dd', { hasText: 'Debian GNU/Linux 12' }).waitFor();
      await page.getByText('High CPU usage').first().waitFor();
      for (const range of ['24h', '7d']) {
        await page.getByRole('button', { name: range, exact: true }).click();
        await page.locator('figure[data-series="cpu"] canvas').waitFor();
        const points = Number(await page.locator('figure[data-series="cpu"]').getAttribute('data-points'));
        expect(points, range).toBeGreaterThan(range === '24h' ? 200 : 100);
        await expect(page.locator('figure[data-series="disk:/:percent"]').count()).resolves.toBe(1);
        // The chart's canvas has something drawn in the accent (average line) colour.
        const drawn = await page.locator('figure[data-series="cpu"] canvas').evaluate((canvas) => {
          const c = canvas as unknown as { width: number; height: number; getContext(k: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
          const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
          return painted;
        });
        expect(drawn, range).toBeGreaterThan(1000);
        if (range === '24h') await shot(page, `device-${dark ? 'dark' : 'light'}`);
      }
      await page.getByText('Latest raw sample').click();
      await page.getByText('"total_percent": 96').waitFor();
    }
    const phone = await openPage(`${url}/ui/#/devices/db-1`, { phone: true });
    await phone.locator('figure[data-series="cpu"] canvas').waitFor();
    await shot(phone, 'device-phone-light');
  });

  it('survives a backend restart: says it is unreachable, then picks up again by itself', async () => {
    const first = await startBackend();
    await postJson(`${first.url}/metrics`, { ...healthyExample, agent_id: 'web-1' });
    const page = await openPage(`${first.url}/ui/`);
    await row(page, 'web-1').waitFor();
    await page.locator('.live.on').waitFor();

    await first.close();
    await page.getByText('backend unreachable, retrying').waitFor({ timeout: 10_000 });

    const second = await startBackend(first.port);
    await postJson(`${second.url}/metrics`, { ...healthyExample, agent_id: 'web-2' });
    await row(page, 'web-2').waitFor({ timeout: 10_000 });
    await expect(page.getByText('backend unreachable, retrying').count()).resolves.toBe(0);
    // Live again: a fault now shows without reload.
    await postJson(`${second.url}/metrics`, { ...healthyExample, agent_id: 'web-1', cpu: { total_percent: 99 } });
    await row(page, 'web-1').locator('.badge', { hasText: 'problems' }).waitFor({ timeout: 3000 });
  });

  it('asks for a token when the API answers 401, then sends it as a bearer token (and ?token= on /events)', async () => {
    const { url } = await startBackend();
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'web-1' });
    const context = await browser!.newContext();
    contexts.push(context);
    // An authenticating proxy in front of the API, played by the browser's request routing.
    const refused: string[] = [];
    await context.route(/\/(devices|alerts|events|rules|health)(\?|\/|$)/, (route) => {
      const request = route.request();
      const token = new URL(request.url()).searchParams.get('token');
      if (request.headers()['authorization'] === 'Bearer s3cret' || token === 's3cret') return route.continue();
      refused.push(new URL(request.url()).pathname);
      return route.fulfill({ status: 401, contentType: 'application/json', body: '{"error": "a token is required"}' });
    });
    const page = await context.newPage();
    await page.goto(`${url}/ui/`);
    await page.getByRole('heading', { name: 'This backend asks for a token' }).waitFor();
    expect(refused).toContain('/devices');
    await page.getByLabel('Token', { exact: true }).fill('s3cret');
    await page.getByRole('button', { name: 'Use token' }).click();
    await row(page, 'web-1').waitFor();
    await page.locator('.live.on').waitFor();
    await expect(page.getByRole('heading', { name: 'This backend asks for a token' }).count()).resolves.toBe(0);
    // Live with the token: a fault shows without reload.
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'web-1', cpu: { total_percent: 99 } });
    await row(page, 'web-1').locator('.badge', { hasText: 'problems' }).waitFor({ timeout: 3000 });
  });

  it('shows where keyboard focus is, and sorts by keyboard', async () => {
    const { url } = await startBackend();
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'a-low', cpu: { total_percent: 5 } });
    await postJson(`${url}/metrics`, { ...healthyExample, agent_id: 'b-high', cpu: { total_percent: 50 } });
    const page = await openPage(`${url}/ui/`, { dark: true });
    await row(page, 'a-low').waitFor();
    const focusOutline = () => page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle + " " + document.activeElement.textContent');
    await page.keyboard.press('Tab');
    await expect(focusOutline()).resolves.toBe('solid fleetmon');
    // Tab on to the CPU header's button and press Enter: highest CPU first.
    const cpu = page.getByRole('button', { name: 'CPU' });
    for (let i = 0; i < 20 && !(await cpu.evaluate((b) => b === (b as unknown as { ownerDocument: { activeElement: unknown } }).ownerDocument.activeElement)); i++) await page.keyboard.press('Tab');
    await expect(focusOutline()).resolves.toMatch(/^solid CPU/);
    await shot(page, 'overview-keyboard-focus-dark');
    await page.keyboard.press('Enter');
    await page.locator('th[aria-sort="descending"]', { hasText: 'CPU' }).waitFor();
    await expect(page.locator('table.fleet tbody th').allTextContents()).resolves.toEqual(['b-high', 'a-low']);
  });
});
