// For people: keyboard use and focus, the composer's keys, announcements for screen readers,
// a full-screen panel on phones, and both languages.
import { test, expect, screenshot } from '../fixtures';

test('the keyboard opens, uses and closes the chat, and focus goes where it should', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.launcher.focus();
  await page.keyboard.press('Enter');
  await expect(widget.panel).toBeVisible();
  await expect(widget.panel).toHaveAttribute('role', 'dialog');
  await expect(widget.input).toBeFocused();
  await expect(widget.replies().first()).toBeVisible();
  // Shift+Tab from the composer reaches the transcript, which keyboard users can scroll.
  await page.keyboard.press('Shift+Tab');
  await expect(widget.messages).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(widget.panel).toBeHidden();
  await expect(widget.launcher).toBeFocused();
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'false');
});

test('Enter sends, Shift+Enter adds a line, empty messages are not sent, long text wraps', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await expect(widget.sendButton).toBeDisabled();
  await widget.input.fill('   ');
  await widget.input.press('Enter');
  await expect(widget.visitorMessages()).toHaveCount(0);

  await widget.input.fill('first line');
  await widget.input.press('Shift+Enter');
  await widget.input.pressSequentially('second line');
  await expect(widget.input).toHaveValue('first line\nsecond line');
  await widget.input.press('Enter');
  const sent = widget.visitorMessages().first();
  await expect(sent.getByTestId('text')).toHaveText('first line\nsecond line');
  await expect(widget.input).toHaveValue('');

  const long = 'x'.repeat(400);
  await widget.send(long);
  const bubble = widget.visitorMessages().last().getByTestId('text');
  await expect(bubble).toHaveText(long);
  // (Measured once sent: a state change renders the row anew.)
  await expect(widget.visitorMessages().last()).toHaveAttribute('data-state', 'sent');
  const [bubbleBox, panelBox] = [await bubble.boundingBox(), await widget.panel.boundingBox()];
  expect(bubbleBox!.width).toBeLessThan(panelBox!.width);
  expect(bubbleBox!.height).toBeGreaterThan(60);
  // The send button works as well as Enter.
  await widget.input.fill('via the button');
  await widget.sendButton.click();
  await expect(widget.visitorMessages().last()).toContainText('via the button');
});

test('new messages are announced in a live region', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await expect(widget.liveRegion).toHaveAttribute('aria-live', 'polite');
  await widget.send('How much is shipping?');
  await expect(widget.liveRegion).toContainText('小U: Shipping is free on orders over $15');
  await expect(widget.messages).toHaveAttribute('role', 'log');
  await expect(widget.launcher).toHaveAttribute('aria-label', 'Close chat');
});

test.describe('on a phone', () => {
  test.use({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true });

  test('the panel fills the screen and closes from its header', async ({ page, relay, widget }) => {
    await page.goto(relay.url);
    await widget.launcher.tap();
    await expect(widget.panel).toBeVisible();
    await expect(widget.replies().first()).toBeVisible();
    // (Once its opening animation has finished.)
    await expect
      .poll(async () => Object.values((await widget.panel.boundingBox())!).map(Math.round))
      .toEqual([0, 0, 375, 740]);
    await expect(widget.launcher).toBeHidden();
    await widget.send('怎么退货');
    await expect(widget.messages.getByTestId('robot-answer').last()).toBeVisible();
    await screenshot(page, '70-phone');
    await page.getByTestId('close').tap();
    await expect(widget.panel).toBeHidden();
    await expect(widget.launcher).toBeVisible();
  });
});

test.describe('in Chinese', () => {
  test.use({ locale: 'zh-CN' });

  test('a zh-CN browser gets the Chinese widget', async ({ page, relay, widget }) => {
    await page.goto(relay.url);
    await expect(widget.launcher).toHaveAttribute('aria-label', '打开在线客服');
    await widget.openAndWaitForRobot();
    await expect(widget.input).toHaveAttribute('placeholder', '请输入消息…');
    await expect(widget.talkToPerson).toHaveText('转人工客服');
    await expect(page.getByTestId('udesk-root')).toHaveAttribute('lang', 'zh-CN');
    await widget.send('怎么开发票');
    await expect(widget.messages.getByTestId('robot-answer').last().getByTestId('rate-useful')).toContainText('有用');
    await screenshot(page, '71-zh-CN');
  });
});

test('an English browser gets the English widget', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await expect(widget.launcher).toHaveAttribute('aria-label', 'Open chat');
  await widget.openAndWaitForRobot();
  await expect(widget.input).toHaveAttribute('placeholder', 'Type a message…');
  await expect(widget.talkToPerson).toHaveText('Talk to a person');
  await expect(page.getByTestId('udesk-root')).toHaveAttribute('lang', 'en');
});
