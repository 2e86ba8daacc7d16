// How fast the widget is for a visitor, in real headless Chromium against the real relay and its
// embedded simulator on loopback. Each run is a fresh browser context (cold cache), then a reload
// (warm cache). Every figure is set against a baseline measured in the same run:
// - the host page's load event with the widget, and the launcher shown (ms after navigation
//   start), vs. the same host page's load event without the widget: what the widget adds to a
//   page's start;
// - open → welcome shown, send → robot answer shown vs. one fetch of the relay's /healthz from the
//   page: how close the chat comes to a bare round trip (the open makes three calls: visitor,
//   session, event stream).
// Prints medians, p90 and median ratios. UDESK_BENCH_RUNS sets the number of runs (default 15).
import { test, hostPage } from '../fixtures';

const RUNS = Number(process.env.UDESK_BENCH_RUNS ?? 15);

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

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

test('widget load and reply times', async ({ browser, hostPages, startRelay }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const plainUrl = hostPages.serve('/plain.html', hostPage(relay.url).replace(/<script[^>]*><\/script>/, ''));
  const widgetUrl = hostPages.serve('/shop.html', hostPage(relay.url, { attrs: 'data-locale="en"' }));
  const rows: Record<string, number[]> = {
    plainLoad: [], widgetLoad: [], coldLauncher: [], warmLauncher: [], healthz: [], welcome: [], answer: [],
  };

  for (let run = 0; run < RUNS; run++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.addInitScript(watchLauncher);

    await page.goto(plainUrl, { waitUntil: 'load' });
    rows.plainLoad.push(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd));

    await page.goto(widgetUrl);
    await page.waitForFunction(() => (window as any).__launcherAt !== undefined);
    rows.coldLauncher.push(await page.evaluate(() => (window as any).__launcherAt));
    rows.widgetLoad.push(await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).loadEventEnd));

    rows.healthz.push(await page.evaluate(async (url) => {
      const started = performance.now();
      await (await fetch(`${url}/healthz`)).text();
      return performance.now() - started;
    }, relay.url));

    rows.welcome.push(await page.evaluate(timeUntil, {
      act: 'root.querySelector(\'[data-testid="launcher"]\').click()',
      done: 'root.querySelector(\'[data-testid="reply"]\') !== null',
    }));
    await page.getByTestId('composer-input').fill('How do I get an invoice?');
    rows.answer.push(await page.evaluate(timeUntil, {
      act: `root.__answers = root.querySelectorAll('[data-testid="robot-answer"]').length;
       root.querySelector('[data-testid="composer-input"]').dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }))`,
      done: 'root.querySelectorAll(\'[data-testid="robot-answer"]\').length > root.__answers',
    }));

    await page.reload();
    await page.waitForFunction(() => (window as any).__launcherAt !== undefined);
    rows.warmLauncher.push(await page.evaluate(() => (window as any).__launcherAt));
    await context.close();
  }

  const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
  const line = (what: string, xs: number[], baseline: number[], baselineName: string) =>
    `| ${what} | ${fmt(median(xs))} | ${fmt(quantile(xs, 0.9))} | ${baselineName} ${fmt(median(baseline))} | ×${(median(xs) / median(baseline)).toFixed(2)} |`;
  console.log([
    '',
    `widget load and reply times, ${RUNS} runs (headless Chromium, relay + embedded simulator on loopback)`,
    '| measure | median | p90 | baseline (median) | ratio |',
    '|---|--:|--:|--:|--:|',
    line('host page load event, with the widget', rows.widgetLoad, rows.plainLoad, 'page load without widget'),
    line('launcher shown, cold cache', rows.coldLauncher, rows.plainLoad, 'page load without widget'),
    line('launcher shown, warm reload', rows.warmLauncher, rows.plainLoad, 'page load without widget'),
    line('open → welcome shown', rows.welcome, rows.healthz, 'fetch /healthz'),
    line('send → robot answer shown', rows.answer, rows.healthz, 'fetch /healthz'),
  ].join('\n'));
});
