// How fast the widget is for a visitor, in real headless Chromium against the real relay and its
// embedded simulator on loopback, and on loopback throttled to a slow-4G profile (150 ms RTT,
// 1.6 Mbps down, 750 kbps up, Chromium's network emulation). Every figure is set against a
// baseline measured in the same run:
// - the host page's load event with the widget vs. the same page without it (goal: within 5%);
// - the launcher shown after embed.js has arrived (goal: ≤ 30 ms), vs. the page's load event;
// - click → welcome shown (visitor, session and stream, and the app's download on the first
//   click), with a cold and a warm cache, vs. one fetch of /healthz from the page under the same
//   network: the app is fetched on intent, so this is where its bytes are paid;
// - hover, then click 300 ms later (the prefetch hides part of the download), on slow 4G;
// - send → robot answer shown, vs. one fetch of /healthz.
// Prints medians, p90 and median ratios. UDESK_BENCH_RUNS sets the number of runs (default 15).
import { test, hostPage } from '../fixtures';
import type { Page } from '@playwright/test';

const RUNS = Number(process.env.UDESK_BENCH_RUNS ?? 15);
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8 };

/** Records in `window.__launcherAt` when the launcher enters the widget's shadow root. */
function watchLauncher() {
  const seen = (root: ParentNode) => root.querySelector('[data-testid="launcher"]');
  const watchShadow = (host: Element) => {
    const root = host.shadowRoot;
    if (!root) return false;
    const done = () => ((window as any).__launcherAt = performance.now());
    if (seen(root)) done();
    else {
      const observer = new MutationObserver(() => {
        if (seen(root)) {
          observer.disconnect();
          done();
        }
      });
      observer.observe(root, { childList: true, subtree: true });
    }
    return true;
  };
  const observer = new MutationObserver(() => {
    const host = document.querySelector('udesk-chat');
    if (host && watchShadow(host)) observer.disconnect();
  });
  observer.observe(document, { childList: true, subtree: true });
}

/** Runs `act` in the widget's shadow root and resolves with the ms until `done` holds. */
function timeUntil({ act, done }: { act: string; done: string }): Promise<number> {
  return new Promise((resolve) => {
    const root = document.querySelector('udesk-chat')!.shadowRoot!;
    const isDone = new Function('root', `return ${done};`) as (root: ShadowRoot) => boolean;
    const started = performance.now();
    const observer = new MutationObserver(() => {
      if (isDone(root)) {
        observer.disconnect();
        resolve(performance.now() - started);
      }
    });
    observer.observe(root, { childList: true, subtree: true, characterData: true });
    (new Function('root', act) as (root: ShadowRoot) => void)(root);
  });
}

const CLICK = 'root.querySelector(\'[data-testid="launcher"]\').click()';
const WELCOME = 'root.querySelector(\'[data-testid="reply"]\') !== null';

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const loadEvent = (page: Page) =>
  page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd);

async function healthz(page: Page, relay: string): Promise<number> {
  return page.evaluate(async (url) => {
    const started = performance.now();
    await (await fetch(`${url}/healthz`, { cache: 'no-store' })).text();
    return performance.now() - started;
  }, relay);
}

test('widget load and reply times', async ({ browser, hostPages, startRelay }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const plainUrl = hostPages.serve('/plain.html', hostPage(relay.url).replace(/<script[^>]*><\/script>/, ''));
  const widgetUrl = hostPages.serve('/shop.html', hostPage(relay.url, { attrs: 'data-locale="en"' }));
  const rows: Record<string, number[]> = {
    plainLoad: [], widgetLoad: [], launcherAfterEmbed: [], healthz: [], coldWelcome: [], warmWelcome: [], answer: [],
    slowHealthz: [], slowColdWelcome: [], slowWarmWelcome: [], slowHoverWelcome: [],
  };

  for (let run = 0; run < RUNS; run++) {
    for (const slow of [false, true]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.addInitScript(watchLauncher);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      if (slow) await cdp.send('Network.emulateNetworkConditions', SLOW_4G);

      if (!slow) {
        await page.goto(plainUrl, { waitUntil: 'load' });
        rows.plainLoad.push(await loadEvent(page));
      }
      await page.goto(widgetUrl, { waitUntil: 'load' });
      await page.waitForFunction(() => (window as any).__launcherAt !== undefined);
      if (!slow) {
        rows.widgetLoad.push(await loadEvent(page));
        rows.launcherAfterEmbed.push(await page.evaluate(() => {
          const embed = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/embed.js'))!;
          return (window as any).__launcherAt - embed.responseEnd;
        }));
      }
      (slow ? rows.slowHealthz : rows.healthz).push(await healthz(page, relay.url));
      (slow ? rows.slowColdWelcome : rows.coldWelcome).push(await page.evaluate(timeUntil, { act: CLICK, done: WELCOME }));

      if (!slow) {
        await page.getByTestId('composer-input').fill('How do I get an invoice?');
        rows.answer.push(await page.evaluate(timeUntil, {
          act: `root.__answers = root.querySelectorAll('[data-testid="robot-answer"]').length;
           root.querySelector('[data-testid="composer-input"]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }))`,
          done: 'root.querySelectorAll(\'[data-testid="robot-answer"]\').length > root.__answers',
        }));
      }

      // Warm: the app's files are cached; a new visitor (storage cleared) clicks again.
      await page.evaluate(() => localStorage.clear());
      await page.reload({ waitUntil: 'load' });
      await page.waitForFunction(() => (window as any).__launcherAt !== undefined);
      (slow ? rows.slowWarmWelcome : rows.warmWelcome).push(await page.evaluate(timeUntil, { act: CLICK, done: WELCOME }));
      await context.close();

      if (slow) {
        // Hover, then click 300 ms later, with a cold cache.
        const context = await browser.newContext();
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
        await page.goto(widgetUrl, { waitUntil: 'load' });
        const launcher = page.getByTestId('launcher');
        await launcher.waitFor();
        const started = Date.now();
        await launcher.hover();
        await page.waitForTimeout(Math.max(0, 300 - (Date.now() - started)));
        rows.slowHoverWelcome.push(await page.evaluate(timeUntil, { act: CLICK, done: WELCOME }));
        await context.close();
      }
    }
  }

  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const line = (what: string, xs: number[], baseline: number[], baselineName: string) =>
    `| ${what} | ${fmt(median(xs))} | ${fmt(quantile(xs, 0.9))} | ${baselineName} ${fmt(median(baseline))} | ×${(median(xs) / median(baseline)).toFixed(2)} |`;
  console.log([
    '',
    `widget load and reply times, ${RUNS} runs (headless Chromium, relay + embedded simulator on loopback; slow 4G = 150 ms RTT, 1.6 Mbps)`,
    '| measure | median | p90 | baseline (median) | ratio |',
    '|---|--:|--:|--:|--:|',
    line('host page load event, with the widget', rows.widgetLoad, rows.plainLoad, 'page load without widget'),
    line('launcher shown after embed.js arrived', rows.launcherAfterEmbed, rows.plainLoad, 'page load without widget'),
    line('click → welcome, cold cache', rows.coldWelcome, rows.healthz, 'fetch /healthz'),
    line('click → welcome, warm cache', rows.warmWelcome, rows.healthz, 'fetch /healthz'),
    line('send → robot answer shown', rows.answer, rows.healthz, 'fetch /healthz'),
    line('slow 4G: click → welcome, cold cache', rows.slowColdWelcome, rows.slowHealthz, 'fetch /healthz on slow 4G'),
    line('slow 4G: click → welcome, warm cache', rows.slowWarmWelcome, rows.slowHealthz, 'fetch /healthz on slow 4G'),
    line('slow 4G: click → welcome, 300 ms after a hover, cold cache', rows.slowHoverWelcome, rows.slowHealthz, 'fetch /healthz on slow 4G'),
  ].join('\n'));
});
