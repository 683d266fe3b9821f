/**
 * The `compare` HTML page opened from disk in headless Chromium (Debian's, driven by
 * playwright-core; skipped without it): no console errors, no request but the page itself, the
 * plots drawn, and pointing at a file of the scatter shows its values and links to its audio
 * (relative to the page, for the file that exists) and says so for the one that does not.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { runMain } from '../helpers/cli.js';
import { contrastSystems, jsonl, keyOf, rowFor } from '../helpers/compare-reports.js';
import { haveTool } from '../helpers/system-tools.js';
import { removeDir, tempDir } from '../helpers/temp.js';

const CHROMIUM = '/usr/bin/chromium';
const maybe = haveTool(CHROMIUM, 'chromium', 'the compare HTML browser test') ? describe : describe.skip;

maybe('compare HTML in Chromium', () => {
  let dir: string;
  let browser: Browser;
  beforeAll(async () => {
    dir = tempDir('compare-html');
    const { A, B } = contrastSystems(50);
    writeFileSync(path.join(dir, 'A.jsonl'), jsonl(A.map((v, i) => rowFor(keyOf(i), v))));
    writeFileSync(path.join(dir, 'B.jsonl'), jsonl(B.map((v, i) => ({ ...rowFor(keyOf(i), v), syn: `b/${keyOf(i)}.wav` }))));
    // Only system A's audio exists: syn/u0000.wav ... next to the reports.
    mkdirSync(path.join(dir, 'syn'));
    for (let i = 0; i < 50; i++) writeFileSync(path.join(dir, 'syn', `${keyOf(i)}.wav`), 'RIFF');
    mkdirSync(path.join(dir, 'out'));
    const run = await runMain(['compare', 'A.jsonl', 'B.jsonl', '-o', 'out/cmp.html', '-q', '--resamples', '500'], { cwd: dir });
    expect(run.code).toBe(0);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  afterAll(async () => {
    await browser?.close();
    removeDir(dir);
  });

  test('loads offline without errors; the scatter links each file to its audio', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const url = pathToFileURL(path.join(dir, 'out', 'cmp.html')).href;
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.request().url() === url ? route.continue() : route.abort();
    });
    await page.goto(url);
    await page.waitForSelector('html[data-ready=true]', { timeout: 10_000 });
    expect(await page.locator('#scatter canvas').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.chart').count()).toBe(2 * 4); // box plot + differences, 4 metrics
    await page.locator('#scatter .u-over').scrollIntoViewIfNeeded();
    const box = (await page.locator('#scatter .u-over').boundingBox())!;
    await page.mouse.move(box.x + 5, box.y + 5);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
    await page.waitForFunction("/: A /.test(document.getElementById('scatter-info').textContent)", undefined, { timeout: 5000 });
    const info = page.locator('#scatter-info');
    await expect(info.innerText()).resolves.toMatch(/ref\/u00\d\d\.wav: A [\d.]+, B [\d.]+/);
    const href = await info.locator('a').first().getAttribute('href');
    expect(href).toMatch(/^\.\.\/syn\/u00\d\d\.wav$/);
    await expect(info.innerText()).resolves.toMatch(/B: audio not found/);
    expect(errors).toEqual([]);
    expect(requests).toEqual([url]);
  });
});
