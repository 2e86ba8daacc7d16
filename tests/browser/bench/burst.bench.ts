// What bursts of replies cost the host page (issue 14), in real headless Chromium against the
// real relay on loopback, each figure beside a baseline from the same run. Fresh browser context
// (a new visitor) per run; medians of UDESK_BURST_RUNS runs (default 3).
// - Bursts of 100, 300 and 1,000 replies pushed as Udesk pushes them (webhooks of 50), with the
//   panel open and closed: first webhook → last reply shown (closed: → the host page's `message`
//   event of the last reply), and → after the last webhook was acknowledged; the longest
//   main-thread task and the total long-task time (PerformanceObserver 'longtask') from the first
//   webhook until a second after the last reply; JS heap (after a GC) and DOM nodes (Chromium's
//   Performance.getMetrics). Baseline: the same host page without the widget, over the same time
//   (tasks, heap, nodes), and the webhooks' own time (first sent → last acknowledged).
// - Opening the panel after a reload with 300 saved entries: click → newest reply shown.
//   Baseline: the same with a 2-entry conversation.
// - Steady replies at 5 a second for UDESK_STEADY_SECS (default 20) with the panel open:
//   main-thread time per reply (Performance.getMetrics TaskDuration, and ThreadTime, the main
//   thread's CPU time, which a busy machine does not inflate; each less the same page's idle
//   figure over as long), with the script, style and layout parts.
import type { CDPSession, Page } from '@playwright/test';
import { test, hostPage, type Relay } from '../fixtures';

const RUNS = Number(process.env.UDESK_BURST_RUNS ?? 3);
const STEADY_SECS = Number(process.env.UDESK_STEADY_SECS ?? 20);
const PER_WEBHOOK = 50;

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};
const nowMs = () => performance.timeOrigin + performance.now();

/** Starts recording long tasks, the host page's message events, and when a reply text shows. */
function instrument() {
  const w = window as any;
  w.longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.longTasks.push({ at: performance.timeOrigin + e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: false });
  w.told = new Map<string, number>();
  w.waiting = new Map<string, (at: number) => void>();
  w.UdeskChat?.on('message', (d: any) => {
    const at = performance.timeOrigin + performance.now();
    w.told.set(d.text, at);
    w.waiting.get(d.text)?.(at);
  });
  w.waitShown = (text: string) =>
    new Promise<number>((resolve) => {
      const root = document.querySelector('udesk-chat')!.shadowRoot!;
      const seen = () => [...root.querySelectorAll('[data-testid="text"]')].some((e) => e.textContent === text);
      if (seen()) return resolve(performance.timeOrigin + performance.now());
      const observer = new MutationObserver(() => {
        if (seen()) {
          observer.disconnect();
          resolve(performance.timeOrigin + performance.now());
        }
      });
      observer.observe(root, { childList: true, subtree: true, characterData: true });
    });
  w.waitTold = (text: string) =>
    new Promise<number>((resolve) => (w.told.has(text) ? resolve(w.told.get(text)) : w.waiting.set(text, resolve)));
}

async function metrics(cdp: CDPSession): Promise<Record<string, number>> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m: { name: string; value: number }) => [m.name, m.value]));
}

async function push(relay: Relay, customerToken: string, texts: string[], prefix: string) {
  for (let start = 0; start < texts.length; start += PER_WEBHOOK) {
    await relay.pushWebhook({
      customer_token: customerToken,
      assign_type: 'agent',
      messages: texts.slice(start, start + PER_WEBHOOK).map((text, i) => ({
        message_id: `${prefix}-${start + i}`, type: 'message', agent_name: 'Agent', data: { content: text },
      })),
    });
  }
}

async function customerToken(page: Page): Promise<string> {
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('udesk-chat:v1:')));
  return page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('udesk-chat:v1:'))!;
    return JSON.parse(localStorage.getItem(key)!).visitor.customer_token;
  });
}

type Burst = { shown: number; afterLast: number; webhooks: number; longest: number; total: number; cpu: number; heap: number; nodes: number };

test('widget under bursts of replies', async ({ browser, hostPages, startRelay }) => {
  test.setTimeout(1_200_000);
  const relay = await startRelay({ allowedOrigins: [hostPages.origin], args: ['--retention-count', '5000'] });
  const plainUrl = hostPages.serve('/plain.html', hostPage(relay.url).replace(/<script[^>]*><\/script>/, ''));
  const widgetUrl = hostPages.serve('/shop.html', hostPage(relay.url, { attrs: 'data-locale="en"' }));

  /** A page with the widget, its panel opened once (a visitor and a session), then open or closed. */
  async function visitor(open: boolean) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(widgetUrl);
    // The app loads on intent (the click), and is ready once the panel shows the welcome.
    await page.getByTestId('launcher').click();
    await page.getByTestId('reply').first().waitFor();
    await page.waitForFunction(() => (window as any).UdeskChat?.ready);
    const token = await customerToken(page);
    if (!open) await page.getByTestId('close').click();
    await page.evaluate(instrument);
    return { context, page, cdp, token };
  }

  async function burst(count: number, open: boolean, run: number): Promise<Burst> {
    const { context, page, cdp, token } = await visitor(open);
    const before = await metrics(cdp);
    const texts = Array.from({ length: count }, (_, i) => `r${run} ${count} ${open ? 'o' : 'c'} ${i}`);
    const last = texts[count - 1];
    const shown = page.evaluate(([text, open]) => (open ? (window as any).waitShown(text) : (window as any).waitTold(text)), [last, open] as const);
    const started = nowMs();
    await push(relay, token, texts, `b${run}-${count}-${open}`);
    const lastAcked = nowMs();
    const shownAt = await shown;
    await page.waitForTimeout(1000);
    const tasks: { at: number; duration: number }[] = await page.evaluate(() => (window as any).longTasks);
    const during = tasks.filter((t) => t.at + t.duration >= started);
    const m = await metrics(cdp);
    await context.close();
    return {
      shown: shownAt - started,
      afterLast: shownAt - lastAcked,
      webhooks: lastAcked - started,
      longest: Math.max(0, ...during.map((t) => t.duration)),
      total: during.reduce((sum, t) => sum + t.duration, 0),
      cpu: (m.ThreadTime - before.ThreadTime) * 1000,
      heap: m.JSHeapUsedSize / 1048576,
      nodes: m.Nodes,
    };
  }

  /** The host page without the widget, idle for `ms`: long tasks, heap, DOM nodes. */
  async function plain(ms: number) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(plainUrl);
    await page.evaluate(instrument);
    await page.waitForTimeout(ms);
    const tasks: { duration: number }[] = await page.evaluate(() => (window as any).longTasks);
    const m = await metrics(cdp);
    await context.close();
    return { longest: Math.max(0, ...tasks.map((t) => t.duration)), total: tasks.reduce((s, t) => s + t.duration, 0), heap: m.JSHeapUsedSize / 1048576, nodes: m.Nodes };
  }

  const fmt = (x: number, unit = 'ms') => (unit === 'MB' ? `${x.toFixed(1)} MB` : unit === '' ? `${Math.round(x)}` : `${x.toFixed(0)} ms`);
  const lines: string[] = [
    '',
    `widget under bursts of replies, median of ${RUNS} runs (headless Chromium, relay on loopback)`,
    '| burst | panel | first webhook → last shown | after the last webhook | (webhooks alone) | longest task | long-task total | main-thread CPU | JS heap | DOM nodes | baseline: page without widget (longest / total / heap / nodes) |',
    '|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const count of [100, 300, 1000]) {
    for (const open of [true, false]) {
      const runs: Burst[] = [];
      const bases = [];
      for (let run = 0; run < RUNS; run++) {
        runs.push(await burst(count, open, run));
        bases.push(await plain(runs[run].shown + 1000));
      }
      const pick = (k: keyof Burst) => median(runs.map((r) => r[k]));
      const base = (k: 'longest' | 'total' | 'heap' | 'nodes') => median(bases.map((b) => b[k]));
      lines.push(
        `| ${count} | ${open ? 'open' : 'closed'} | ${fmt(pick('shown'))} | ${fmt(pick('afterLast'))} | ${fmt(pick('webhooks'))} | ${fmt(pick('longest'))} | ${fmt(pick('total'))} | ${fmt(pick('cpu'))} | ${fmt(pick('heap'), 'MB')} | ${fmt(pick('nodes'), '')} | ${fmt(base('longest'))} / ${fmt(base('total'))} / ${fmt(base('heap'), 'MB')} / ${fmt(base('nodes'), '')} |`,
      );
      console.log(lines[lines.length - 1]);
    }
  }

  // Opening after a reload with 300 saved entries, beside a 2-entry conversation.
  async function reopen(count: number, run: number): Promise<number> {
    const { context, page, token } = await visitor(false);
    const texts = Array.from({ length: count }, (_, i) => `s${run} ${i}`);
    if (count) {
      const shown = page.evaluate((t) => (window as any).waitTold(t), texts[count - 1]);
      await push(relay, token, texts, `s${run}-${count}`);
      await shown;
    }
    await page.waitForTimeout(300);
    await page.reload();
    // A returning visitor's app loads when the page is idle, before any click.
    await page.waitForFunction(() => (window as any).UdeskChat?.ready);
    await page.evaluate(instrument);
    const target = count ? texts[count - 1] : null;
    const took = await page.evaluate(async (target) => {
      const root = document.querySelector('udesk-chat')!.shadowRoot!;
      const started = performance.timeOrigin + performance.now();
      const shown = target ? (window as any).waitShown(target) : new Promise<number>((resolve) => {
        const check = () => (root.querySelector('[data-testid="reply"]') ? resolve(performance.timeOrigin + performance.now()) : requestAnimationFrame(check));
        check();
      });
      (root.querySelector('[data-testid="launcher"]') as HTMLElement).click();
      return (await shown) - started;
    }, target);
    await context.close();
    return took;
  }
  const opens300: number[] = [];
  const opensSmall: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    opens300.push(await reopen(299, run));
    opensSmall.push(await reopen(0, run));
  }
  lines.push('', '| open after a reload | click → newest shown | baseline: 1 saved reply (the welcome) |', '|---|--:|--:|');
  lines.push(`| 300 saved entries | ${fmt(median(opens300))} | ${fmt(median(opensSmall))} |`);
  console.log(lines[lines.length - 1]);

  // Steady replies at 5 a second, panel open: main-thread time per reply.
  {
    const { context, page, cdp, token } = await visitor(true);
    const before = await metrics(cdp);
    await page.waitForTimeout(STEADY_SECS * 1000);
    const idle = await metrics(cdp);
    const count = STEADY_SECS * 5;
    const texts = Array.from({ length: count }, (_, i) => `steady ${i}`);
    // The host page's event, not a MutationObserver: the measurement adds nothing per reply.
    const lastTold = page.evaluate((t) => (window as any).waitTold(t), texts[count - 1]);
    const started = Date.now();
    for (let i = 0; i < count; i++) {
      await relay.pushWebhook({
        customer_token: token,
        assign_type: 'agent',
        messages: [{ message_id: `steady-${i}`, type: 'message', agent_name: 'Agent', data: { content: texts[i] } }],
      });
      const wait = started + (i + 1) * 200 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await lastTold;
    await page.waitForTimeout(200);
    const elapsed = Date.now() - started;
    const after = await metrics(cdp);
    await context.close();
    // Main-thread time (tasks, wall clock) and main-thread CPU time, each less the same page's
    // idle figure over as long: CPU time is what a busy machine does not inflate.
    const scale = elapsed / (STEADY_SECS * 1000);
    const perReply = (name: string) =>
      ((after[name] - idle[name]) - (idle[name] - before[name]) * scale) * 1000 / count;
    lines.push(
      '',
      `| steady replies, 5/s for ${STEADY_SECS} s, panel open | per reply: main-thread tasks | main-thread CPU | of which script | style | layout | baseline: idle page, tasks per ${200} ms |`,
      '|---|--:|--:|--:|--:|--:|--:|',
      `| ${count} replies | ${perReply('TaskDuration').toFixed(2)} ms | ${perReply('ThreadTime').toFixed(2)} ms | ${perReply('ScriptDuration').toFixed(2)} ms | ${perReply('RecalcStyleDuration').toFixed(2)} ms | ${perReply('LayoutDuration').toFixed(2)} ms | ${((idle.TaskDuration - before.TaskDuration) * 1000 / count).toFixed(2)} ms |`,
    );
  }
  console.log(lines.join('\n'));
});
