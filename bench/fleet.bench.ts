import fs from 'node:fs';

import { inLoopbackOnly, measureIfInner, measureInside, type BenchResult, type Benchmark } from './harness.ts';

/**
 * The Fleet in Chromium with 5,000 boxes: the longest main-thread task (PerformanceObserver
 * 'longtask') while it first renders them, and while a burst of 500 box changes arrives. The goal
 * is the issue's: no task over 100 ms. The page runs on the real browser host and core, in a
 * network namespace with only loopback, as the e2e suites do.
 */
const BOXES = 5000;
const BURST = 500;
const GOAL_MS = 100;

export const bench: Benchmark = {
  name: 'fleet',
  description: `Fleet in headless Chromium: first render of ${BOXES} boxes, then ${BURST} changes; longest main-thread task`,
  async requires() {
    return fs.existsSync('/usr/bin/chromium') ? null : 'needs Debian chromium at /usr/bin/chromium';
  },
  async run(progress) {
    if (!isolated()) {
      // The UI harness refuses a namespace with routes: run this same benchmark inside one with only loopback.
      progress('re-running inside a network namespace with only loopback');
      return measureInside(import.meta.filename, inLoopbackOnly(), progress, 600_000);
    }
    return measure(progress);
  },
};

function isolated(): boolean {
  return (
    fs
      .readFileSync('/proc/net/route', 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim()).length === 0
  );
}

async function measure(progress: (msg: string) => void): Promise<BenchResult> {
  const { startHarness } = await import('../test/e2e/helpers.ts');
  const h = await startHarness();
  try {
    progress(`seeding ${BOXES} boxes`);
    const now = Date.now();
    for (let i = 0; i < BOXES; i++) {
      const id = `SN-${String(i).padStart(5, '0')}`;
      h.app.inventory.recordSighting({
        boxId: id,
        source: 'mdns',
        address: `10.${80 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
        hostname: `site-box-${i}`,
        serial: id,
        model: 'EB-200',
        vendor: 'Acme',
        arch: 'arm64',
        state: i % 3 ? 'provisioned' : 'new',
        at: new Date(now - i * 1000).toISOString(),
      });
    }
    await h.context.addInitScript({
      content: `window.__flTasks = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__flTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });`,
    });
    progress('first render');
    const t0 = performance.now();
    await h.page.goto(h.host.url);
    await h.page
      .getByTestId('fleet-counts')
      .getByText(new RegExp(`^${BOXES} boxes`))
      .waitFor({ timeout: 120_000 });
    const firstRenderMs = performance.now() - t0;
    await h.page.waitForTimeout(500);
    const tasks = async () => (await h.page.evaluate('window.__flTasks.splice(0)')) as number[];
    const first = await tasks();

    progress(`${BURST} changes in one burst`);
    const t1 = performance.now();
    for (let i = 0; i < BURST; i++) h.app.inventory.setHealth(`SN-${String(i * 7).padStart(5, '0')}`, i % 2 ? 'attention' : 'healthy');
    await h.page
      .getByTestId('fleet-counts')
      .getByText(/need attention/)
      .waitFor({ timeout: 60_000 });
    const burstMs = performance.now() - t1;
    await h.page.waitForTimeout(500);
    const burst = await tasks();
    const longest = Math.max(0, ...first, ...burst);
    return {
      figures: [
        { label: `longest main-thread task, first render of ${BOXES}`, value: Math.round(Math.max(0, ...first)), unit: 'ms', side: 'ours' },
        { label: `longest main-thread task, ${BURST} changes`, value: Math.round(Math.max(0, ...burst)), unit: 'ms', side: 'ours' },
        { label: 'tasks over 50 ms (first render, burst)', value: first.length + burst.length, unit: 'tasks' },
        { label: `page load to ${BOXES} boxes counted`, value: Math.round(firstRenderMs), unit: 'ms' },
        { label: `burst sent to shown`, value: Math.round(burstMs), unit: 'ms' },
      ],
      anchor: `the issue's figure: no main-thread task over ${GOAL_MS} ms`,
      ratio: { value: longest / GOAL_MS, goal: 1, better: 'lower', meaning: `longest task / ${GOAL_MS} ms` },
      notes: ['headless Chromium on this machine; the seeding and the burst come from the real core through the browser host'],
    };
  } finally {
    await h.close();
  }
}

await measureIfInner(import.meta.filename, measure);
