// Continuity: reloads and new tabs keep the conversation; the stream resumes after a relay restart
// with nothing lost or doubled; a send that failed goes out once; unread messages are signalled.
import { test, expect, screenshot, tempDir, Widget } from '../fixtures';
import * as path from 'node:path';

test('a reload and a new tab keep the visitor, the session and the transcript', async ({ page, context, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  await widget.send('order 1234 is late');
  await expect(widget.reply(/order 1234 is late/)).toBeVisible();
  const token = await widget.customerToken();
  const before = await widget.messages.locator('[data-key]').evaluateAll((els) => els.map((e) => e.getAttribute('data-key')));

  await page.reload();
  await widget.open();
  await expect(widget.headerName).toHaveText('小明 Xiaoming');
  await expect(widget.messages.locator('[data-key]')).toHaveCount(before.length);
  expect(await widget.customerToken()).toBe(token);
  // The stream resumes: a new agent message arrives once, and nothing old is repeated.
  await relay.sim.say(session, 'after your reload');
  await expect(widget.reply('after your reload')).toHaveCount(1);
  await expect(widget.messages.locator('[data-key]')).toHaveCount(before.length + 1);
  // No second session was created for this visitor.
  expect((await relay.sim.sessions(token)).length).toBe(1);

  const tab = await context.newPage();
  await tab.goto(relay.url);
  await tab.getByTestId('launcher').click();
  await expect(tab.getByTestId('header-name')).toHaveText('小明 Xiaoming');
  await expect(tab.getByTestId('reply').filter({ hasText: 'after your reload' })).toHaveCount(1);
  await screenshot(tab, '50-new-tab');
});

test('after the relay restarts the stream resumes without losing or repeating a message', async ({ page, startSim, startRelay, widget }) => {
  // Udesk (the simulator) stays up while the relay restarts on the same SQLite file.
  const sim = await startSim(['--pickup-delay', '0', '--reply-delay', '0.1']);
  const store = `sqlite:${path.join(tempDir(), 'relay.sqlite3')}`;
  const relay = await startRelay({ sim, store });
  await sim.webhookTo(relay);

  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(sim.api);
  await sim.api.say(session, 'before the restart');
  await expect(widget.reply('before the restart')).toHaveCount(1);

  await relay.stop('SIGKILL');
  await expect(widget.connectionBanner).toBeVisible();
  await screenshot(page, '51-connection-lost');
  // Udesk keeps pushing (and retrying) while the relay is down.
  await sim.api.say(session, 'while you were away 1');
  await sim.api.say(session, 'while you were away 2');

  await relay.restart();
  await expect(widget.reply('while you were away 2')).toHaveCount(1, { timeout: 30_000 });
  await expect(widget.connectionBanner).toBeHidden();
  await sim.api.say(session, 'after the restart');
  await expect(widget.reply('after the restart')).toHaveCount(1);

  const texts = await widget.replies().evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
  const order = ['before the restart', 'while you were away 1', 'while you were away 2', 'after the restart']
    .map((t) => texts.filter((x) => x.includes(t)).length);
  expect(order).toEqual([1, 1, 1, 1]);
  const indexOf = (t: string) => texts.findIndex((x) => x.includes(t));
  expect(indexOf('while you were away 1')).toBeLessThan(indexOf('while you were away 2'));
});

test('a message sent while the relay is down fails visibly and is delivered once after', async ({ page, startSim, startRelay, widget }) => {
  const sim = await startSim(['--pickup-delay', '0', '--reply-delay', '0.1']);
  const store = `sqlite:${path.join(tempDir(), 'relay.sqlite3')}`;
  const relay = await startRelay({ sim, store });
  await sim.webhookTo(relay);
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(sim.api);

  await relay.stop();
  await widget.send('are you still there?');
  const message = widget.visitorMessages().last();
  await expect(message).toHaveAttribute('data-state', 'failed');
  await expect(message.getByTestId('retry')).toBeVisible();
  await screenshot(page, '52-send-failed');

  await relay.restart();
  // Retrying by hand while the widget also resends by itself: the same message id both times.
  await message.getByTestId('retry').click().catch(() => {});
  await expect(message).toHaveAttribute('data-state', 'sent', { timeout: 20_000 });
  const token = await widget.customerToken();
  await expect
    .poll(async () => {
      const transcript = (await sim.api.admin(`transcripts?customer_token=${token}`))[token] ?? [];
      return transcript.filter((e: any) => e.data?.content === 'are you still there?').map((e: any) => e.im_sub_session_id);
    })
    .toEqual([session]);
  await page.waitForTimeout(1000);
  const transcript = (await sim.api.admin(`transcripts?customer_token=${token}`))[token];
  expect(transcript.filter((e: any) => e.data?.content === 'are you still there?')).toHaveLength(1);
});

test('messages that arrive while the panel is closed show as unread in the badge and the title', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  const title = await page.title();
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  // The scripted agent's greeting comes after a typing delay: let it arrive while still open.
  await expect(widget.reply(/demo agent/)).toBeVisible();
  await page.getByTestId('close').click();
  await expect(widget.panel).toBeHidden();
  await expect(widget.launcher).toBeFocused();

  await relay.sim.say(session, 'a reply while you look around');
  await relay.sim.say(session, 'and another one');
  await expect(widget.badge).toHaveText('2');
  await expect(page).toHaveTitle(`(2) ${title}`);
  await expect(widget.launcher).toHaveAttribute('aria-label', /2 unread messages/);
  await screenshot(page, '53-unread');

  await widget.launcher.click();
  await expect(widget.badge).toBeHidden();
  await expect(page).toHaveTitle(title);
  await expect(widget.reply('and another one')).toBeVisible();
  // Unread survives a reload while closed, too.
  await page.getByTestId('close').click();
  await relay.sim.say(session, 'one more');
  await expect(widget.badge).toHaveText('1');
  await page.reload();
  await expect(widget.badge).toHaveText('1');
});

test('two open tabs show one conversation', async ({ page, context, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const tab = await context.newPage();
  await tab.goto(relay.url);
  const other = new Widget(tab);
  await other.open();

  await other.send('asked in the second tab');
  await expect(other.messages.getByTestId('robot-answer').last()).toBeVisible();
  // The first tab shows the second tab's question (and the answer, once each).
  await expect(widget.visitorMessages().filter({ hasText: 'asked in the second tab' })).toHaveCount(1);
  await widget.send('and one from the first');
  await expect(other.visitorMessages().filter({ hasText: 'and one from the first' })).toHaveCount(1);
  await expect(other.visitorMessages().filter({ hasText: 'and one from the first' })).toHaveAttribute('data-state', 'sent');
  const count = await widget.messages.locator('[data-key]').count();
  await expect(other.messages.locator('[data-key]')).toHaveCount(count);
  // Asking for a person in one tab shows the queue or the agent in the other.
  await other.talkToPerson.click();
  await expect(widget.talkToPerson).toBeHidden();
});

test('opening the chat while the relay is unreachable recovers by itself', async ({ page, startRelay, widget }) => {
  const relay = await startRelay({ store: `sqlite:${path.join(tempDir(), 'relay.sqlite3')}` });
  await page.goto(relay.url);
  // The visitor's pointer passes over the launcher: the app is fetched (while the relay is up).
  const fetched = page.waitForResponse((r) => r.url().endsWith('.wasm'));
  await widget.launcher.hover();
  await (await fetched).finished();
  await relay.stop();
  await widget.open();
  await expect(widget.errorBanner).toBeVisible();
  await relay.restart();
  // No reload, no click: the widget retries with backoff and the robot says hello.
  await expect(widget.replies().first()).toContainText('小U', { timeout: 20_000 });
  await expect(widget.errorBanner).toBeHidden();
  await widget.send('Hello');
  await expect(widget.messages.getByTestId('robot-answer').last()).toBeVisible();
});

test('when the relay no longer has everything missed, the gap is shown, not hidden', async ({ page, context, startRelay, widget }) => {
  // The relay keeps only the last three events per visitor.
  const relay = await startRelay({ args: ['--retention-count', '3'] });
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  await expect(widget.reply(/demo agent/)).toBeVisible();
  await page.close();

  for (let i = 1; i <= 5; i++) await relay.sim.say(session, `missed ${i}`);
  // Udesk's pushes are asynchronous: wait until the relay has taken all five (and so dropped the
  // oldest), or a tab opened too early would receive some of them live.
  await expect.poll(async () => (await relay.sim.admin('webhooks')).pending).toBe(0);
  const again = await context.newPage();
  const back = new Widget(again);
  await again.goto(relay.url);
  await back.open();
  await expect(back.reply('missed 5')).toBeVisible();
  await expect(back.messages.locator('[data-notice="history-gap"]')).toBeVisible();
  await expect(back.reply('missed 1')).toHaveCount(0);
  await expect(back.reply('missed 3')).toHaveCount(1);
  await screenshot(again, '54-history-gap');
});

test('an expired token is renewed and the visitor stays the same customer', async ({ page, startSim, startRelay, widget }) => {
  const sim = await startSim(['--pickup-delay', '0', '--reply-delay', '0.1']);
  const relay = await startRelay({
    sim,
    store: `sqlite:${path.join(tempDir(), 'relay.sqlite3')}`,
    args: ['--token-ttl', '2'],
  });
  await sim.webhookTo(relay);
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(sim.api);
  const token = await widget.customerToken();
  const bearer = (await widget.saved()).visitor.token;
  await page.waitForTimeout(2500);

  await widget.send('still me after the token expired');
  await expect(widget.visitorMessages().last()).toHaveAttribute('data-state', 'sent');
  expect(await widget.customerToken()).toBe(token);
  expect((await widget.saved()).visitor.token).not.toBe(bearer);
  // The stream reconnects with a renewed token after a restart (the old one was refused).
  await relay.stop();
  await relay.restart();
  await page.waitForTimeout(2500);
  await sim.api.say(session, 'after renewal');
  await expect(widget.reply('after renewal')).toHaveCount(1, { timeout: 20_000 });
  expect(await widget.customerToken()).toBe(token);
});
