// A voice note from the widget: tap to record, tap to stop and send (MediaRecorder on Chromium's
// fake microphone, which plays a tone), then played at the agent console. A file of its own: the
// fake device needs launch flags, and launch options are per worker.
import { test, expect } from '../fixtures';
import config from '../playwright.config';

test.use({
  launchOptions: {
    ...config.use!.launchOptions,
    args: [
      ...(config.use!.launchOptions!.args ?? []),
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
    ],
  },
});

test('a voice note recorded with tap to start and stop plays in the widget and at the console', async ({ page, browser, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const record = page.getByTestId('record-voice');
  await expect(record).toBeVisible();
  await expect(record).toHaveAccessibleName('Record a voice message');
  const chosen = await page.evaluate(() => (MediaRecorder.isTypeSupported('audio/mp4') ? 'audio/mp4' : 'webm'));

  await record.click();
  await expect(record).toHaveAttribute('aria-pressed', 'true');
  await expect(record).toHaveAccessibleName('Stop recording and send');
  await expect(widget.liveRegion).toHaveText('Recording…');
  await page.waitForTimeout(1500);
  await record.click();
  await expect(record).toHaveAttribute('aria-pressed', 'false');

  const note = widget.visitorMessages().filter({ has: page.getByTestId('audio-message') });
  await expect(note).toHaveAttribute('data-state', 'sent');
  const audio = note.locator('audio');
  const src = await audio.getAttribute('src');
  expect(src).toMatch(chosen === 'audio/mp4' ? /\/media\/[0-9a-f]{32}\.m4a$/ : /\/media\/[0-9a-f]{32}\.(webm|weba)$/);
  await expect(note.getByTestId('audio-message')).toContainText(chosen === 'audio/mp4' ? 'voice.m4a' : 'voice.webm');
  await expect(widget.reply(/Thanks for the voice message/)).toBeVisible();

  // The agent plays it.
  const token = await widget.customerToken();
  const agent = await (await browser.newContext()).newPage();
  await agent.goto(`${relay.sim.base}/console`);
  await agent.getByTestId(`customer-${token}`).click();
  const played = agent.locator('[data-testid="message"][data-from="customer"][data-kind="audio"] audio');
  await expect(played).toHaveAttribute('src', src!);
  await expect.poll(() => played.evaluate((a: HTMLAudioElement) => a.readyState >= 1 && a.duration > 1)).toBe(true);
});
