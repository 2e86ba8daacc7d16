// A burst of replies (a returning visitor's replay, a busy agent) never freezes the host page:
// 1,000 replies pushed the way Udesk pushes them (webhooks of 50) are each shown once, in order,
// with no main-thread task over 200 ms (a generous bound so that the test is not flaky on a busy
// machine; the tight figures are measured by the bench, tests/browser/bench/burst.bench.ts), and
// the transcript survives a reload.
import { test, expect } from '../fixtures';

const COUNT = 1000;
const PER_WEBHOOK = 50;
const expected = Array.from({ length: COUNT }, (_, i) => `burst ${i}`);

test('a burst of 1,000 replies is shown once each, in order, without a long task', async ({ page, startRelay, widget }) => {
  test.setTimeout(120_000);
  const relay = await startRelay({ args: ['--retention-count', '5000'] });
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const customerToken = await widget.customerToken();
  const lastReply = widget.messages.getByTestId('text').filter({ hasText: /^burst 999$/ });
  await page.evaluate(() => {
    const w = window as any;
    w.longTasks = [];
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.longTasks.push(entry.duration);
    }).observe({ type: 'longtask' });
    w.messages = [];
    w.UdeskChat.on('message', (detail: any) => w.messages.push(detail.text));
  });

  for (let start = 0; start < COUNT; start += PER_WEBHOOK) {
    await relay.pushWebhook({
      customer_token: customerToken,
      assign_type: 'agent',
      messages: expected.slice(start, start + PER_WEBHOOK).map((text, i) => ({
        message_id: `burst-${start + i}`, type: 'message', agent_name: '小明 Xiaoming', data: { content: text },
      })),
    });
  }
  await expect(lastReply).toHaveCount(1, { timeout: 30_000 });
  await page.waitForTimeout(500);
  const longTasks: number[] = await page.evaluate(() => (window as any).longTasks);
  expect(Math.max(0, ...longTasks), `long tasks: ${longTasks.map((d) => d.toFixed(0)).join(', ')} ms`).toBeLessThan(200);

  // The host page heard of every reply once, in order.
  const told: string[] = await page.evaluate(() => (window as any).messages);
  expect(told.filter((t) => t.startsWith('burst '))).toEqual(expected);
  // The live region read out the last one (once per batch, not a thousand times).
  await expect(widget.liveRegion).toContainText('burst 999');

  // The transcript renders the newest rows, in order; the earlier ones on request.
  const shown = async () => (await widget.messages.getByTestId('text').allTextContents()).filter((t) => t.startsWith('burst '));
  const newest = await shown();
  expect(newest.length).toBeLessThan(200);
  expect(newest).toEqual(expected.slice(COUNT - newest.length));
  const earlier = widget.messages.getByTestId('show-earlier');
  while (await earlier.count()) await earlier.dispatchEvent('click');
  expect(await shown()).toEqual(expected);

  // After a reload the newest 300 are back (the saved window), each once, in order.
  await page.reload();
  await widget.open();
  await expect(lastReply).toHaveCount(1);
  while (await earlier.count()) await earlier.dispatchEvent('click');
  expect(await shown()).toEqual(expected.slice(COUNT - 300));
});
