// Every message kind an agent can send renders, media actually loads and plays, unknown kinds
// degrade gracefully, and message HTML never runs script.
import { test, expect, screenshot } from '../fixtures';

test('every message kind renders and its media loads', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await widget.reachAgent(relay.sim);
  await widget.send('demo all');
  const log = widget.messages;
  await expect(log.getByTestId('struct')).toBeVisible({ timeout: 20_000 });

  // Text with its font.
  const text = log.getByTestId('text').filter({ hasText: 'carries a font' });
  await expect(text).toHaveCSS('font-weight', '700');
  // Rich HTML: real elements, links open in a new tab.
  const rich = log.getByTestId('rich');
  await expect(rich.locator('li')).toHaveCount(2);
  await expect(rich.locator('a').first()).toHaveAttribute('target', '_blank');
  await expect(rich.locator('a').first()).toHaveAttribute('rel', /noopener/);

  // Image: a loaded thumbnail that enlarges, and Escape closes the enlargement only.
  const image = log.getByTestId('image').first();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await log.getByTestId('image-thumb').first().click();
  const lightbox = page.getByTestId('lightbox');
  await expect(lightbox).toBeVisible();
  await expect.poll(() => lightbox.locator('img').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await screenshot(page, '30-image-enlarged');
  await page.keyboard.press('Escape');
  await expect(lightbox).toBeHidden();
  await expect(widget.panel).toBeVisible();

  // Audio and video: the browser loaded their metadata (they are playable), with durations.
  const audio = log.getByTestId('audio');
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState)).toBeGreaterThanOrEqual(1);
  expect(await audio.evaluate((a: HTMLAudioElement) => a.duration)).toBeGreaterThan(0);
  const video = log.getByTestId('video');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  expect(await video.evaluate((v: HTMLVideoElement) => v.videoWidth)).toBeGreaterThan(0);
  await expect(log.getByTestId('duration')).toContainText(/\d:\d\d/);
  // The audio actually plays.
  await audio.evaluate((a: HTMLAudioElement) => { a.muted = true; return a.play(); });
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.currentTime)).toBeGreaterThan(0);

  // File: name, human size, a download link that works.
  const file = log.getByTestId('file');
  await expect(file.getByTestId('file-name')).toHaveText(/\.pdf$/);
  await expect(file.getByTestId('file-size')).toHaveText(/^\d+(\.\d)? (B|KB|MB)$/);
  await expect(file).toHaveAttribute('download', /\.pdf$/);
  const href = await file.getAttribute('href');
  const download = await page.request.get(href!);
  expect(download.ok()).toBe(true);
  expect((await download.body()).subarray(0, 5).toString()).toBe('%PDF-');

  // Struct card: image, title, link button in a new tab, phone button as tel:.
  const card = log.getByTestId('card').first();
  await expect(card.getByTestId('card-title')).toBeVisible();
  await expect.poll(() => card.getByTestId('card-image').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  const link = card.getByTestId('card-link').first();
  await expect(link).toHaveAttribute('target', '_blank');
  await expect(link).toHaveAttribute('rel', /noopener/);
  await expect(link).toHaveAttribute('href', /^https?:\/\//);
  await expect(card.getByTestId('card-phone').first()).toHaveAttribute('href', /^tel:[+\d-]+$/);
  await screenshot(page, '31-all-kinds');

  // Message times are shown.
  await expect(log.getByTestId('time').last()).toHaveText(/^\d\d:\d\d$/);
});

test('an unknown message kind is shown as a fallback, and message HTML never runs script', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);

  // A message type this version does not know, pushed the way Udesk pushes replies.
  await relay.pushWebhook({
    customer_token: await widget.customerToken(),
    assign_type: 'agent',
    messages: [{
      message_id: 'future-1', type: 'location', im_sub_session_id: session, agent_name: '小明 Xiaoming',
      data: { content: '上海市徐汇区', lat: 31.2, lng: 121.4 },
    }],
  });
  const unknown = widget.messages.getByTestId('unknown');
  await expect(unknown).toContainText('This message cannot be shown here');
  await expect(unknown).toContainText('上海市徐汇区');
  await expect(unknown).toHaveAttribute('data-kind', 'location');

  await relay.sim.send(session, 'rich', {
    content:
      '<p id="xss">safe <b>bold</b></p><img src="x" onerror="window.__xss=1"><script>window.__xss=2</script>' +
      '<a href="javascript:window.__xss=3" id="bad">click</a><svg onload="window.__xss=4"></svg>',
  });
  const rich = widget.messages.getByTestId('rich').last();
  await expect(rich.locator('b')).toHaveText('bold');
  await rich.locator('a').first().click().catch(() => {});
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as any).__xss)).toBeUndefined();
  expect(await rich.locator('[onerror], [onload], script').count()).toBe(0);
  const hrefs = await rich.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(hrefs.every((h) => h === null || !/^\s*javascript:/i.test(h))).toBe(true);
});

test.describe('in UTC', () => {
  test.use({ timezoneId: 'UTC' });

  test('message times come from Udesk\'s message_created_at (Beijing time) in the visitor\'s zone', async ({ page, relay, widget }) => {
    await page.goto(relay.url);
    await widget.openAndWaitForRobot();
    const session = await widget.reachAgent(relay.sim);
    await relay.pushWebhook({
      customer_token: await widget.customerToken(),
      assign_type: 'agent',
      messages: [{
        message_id: 'dated-1', type: 'message', im_sub_session_id: session, agent_name: '小明 Xiaoming',
        message_created_at: '2017-07-11 09:52:11', data: { content: 'an old message' },
      }],
    });
    // 09:52 in Beijing (UTC+8) is 01:52 UTC, in another year than now.
    await expect(widget.reply('an old message').getByTestId('time')).toHaveText('2017-07-11 01:52');
  });
});
