// Tabs: one event stream per browser. Over HTTP/1.1 a browser allows 6 connections per host, shared
// by all its tabs, so a stream in every tab stalled the seventh. The tabs of a site now elect a
// leader (Web Locks) that holds the stream and forwards it; the others show everything as if they
// had a stream of their own, and another tab takes over when the leader's tab closes.
import { test, expect, screenshot, tempDir, Widget, type Relay } from '../fixtures';
import type { Page } from '@playwright/test';
import * as path from 'node:path';

/** The relay's gauge of open event streams (each test has its own relay: this visitor's). */
async function streamsOpen(relay: Relay): Promise<number> {
  const text = await (await fetch(`${relay.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('udesk_relay_streams_open '));
  return Number(line?.split(' ')[1]);
}

/** The `message` events the host page received from `UdeskChat.on`. */
async function hostMessages(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as any).messages.map((m: any) => m.text));
}

test('eight tabs share one event stream, and another tab takes over when the leader closes', async ({ context, startRelay }) => {
  test.setTimeout(180_000);
  // A keep-alive every second: the relay notices a closed tab's stream soon.
  const relay = await startRelay({ args: ['--keep-alive-secs', '1'] });
  const tabs: Page[] = [];
  const streamsOf = new Map<Page, string[]>();
  const errors: string[] = [];
  for (let i = 0; i < 8; i++) {
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`tab ${i}: ${e.message}`));
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/events') streamsOf.set(page, [...(streamsOf.get(page) ?? []), r.url()]);
    });
    await page.goto(relay.url);
    // The app loads on intent, or at idle once this browser has a conversation with the site:
    // the first tab starts one (and closes the panel), the others then load the app by themselves.
    if (i === 0) {
      await new Widget(page).openAndWaitForRobot();
      await page.getByTestId('close').click();
    }
    await page.waitForFunction(() => (window as any).UdeskChat?.ready);
    await page.evaluate(() => {
      (window as any).messages = [];
      (window as any).UdeskChat.on('message', (detail: unknown) => (window as any).messages.push(detail));
    });
    tabs.push(page);
  }
  const widgets = tabs.map((t) => new Widget(t));
  const title = await tabs[0].title();

  // The visitor talks to the robot and reaches a person in a tab that was not the first.
  const talker = widgets[3];
  await talker.openAndWaitForRobot();
  await talker.send('How long does delivery take?');
  await expect(talker.messages.getByTestId('robot-answer').last()).toBeVisible();
  const session = await talker.reachAgent(relay.sim);
  await expect(talker.reply(/demo agent/)).toBeVisible();

  // One stream for the whole browser, held by one tab; the talker follows it.
  await expect.poll(() => streamsOpen(relay)).toBe(1);
  expect(streamsOf.size).toBe(1);
  const [leader] = [...streamsOf.keys()];
  expect(leader).not.toBe(tabs[3]);

  // A reply while every panel is closed: each tab shows it as unread and tells its host page.
  await tabs[3].getByTestId('close').click();
  await relay.sim.say(session, 'a reply for every tab');
  for (const [i, widget] of widgets.entries()) {
    await expect(widget.badge, `tab ${i}`).toHaveText('1');
    await expect(tabs[i]).toHaveTitle(`(1) ${title}`);
    await expect.poll(() => hostMessages(tabs[i]), `tab ${i}`).toContain('a reply for every tab');
  }
  // Every tab shows the same conversation: the agent in the header, the reply once, no
  // connection trouble (a tab without its own stream is not offline).
  for (const [i, widget] of widgets.entries()) {
    await widget.open();
    await expect(widget.headerName, `tab ${i}`).toHaveText('小明 Xiaoming');
    await expect(widget.reply('a reply for every tab'), `tab ${i}`).toHaveCount(1);
    await expect(widget.messages.getByTestId('robot-answer'), `tab ${i}`).toHaveCount(1);
    await expect(widget.connectionBanner, `tab ${i}`).toBeHidden();
  }
  for (const widget of widgets) await expect(widget.badge).toBeHidden();
  await relay.sim.say(session, 'read out in every tab');
  for (const [i, widget] of widgets.entries()) {
    await expect(widget.liveRegion, `tab ${i}`).toContainText('read out in every tab');
  }
  await screenshot(tabs[5], '55-tabs-follower');

  // The leader's tab closes: another tab takes the stream over where the conversation left off.
  const before = (await widgets[3].saved()).last_event_id;
  await leader.close();
  const rest = tabs.filter((t) => t !== leader);
  await expect.poll(() => rest.filter((t) => streamsOf.has(t)).length).toBe(1);
  const next = rest.find((t) => streamsOf.has(t))!;
  expect(new URL(streamsOf.get(next)![0]).searchParams.get('last_event_id')).toBe(String(before));
  await expect.poll(() => streamsOpen(relay), { timeout: 20_000 }).toBe(1);

  await relay.sim.say(session, 'after the leader left');
  for (const page of rest) {
    const widget = new Widget(page);
    await expect(widget.reply('after the leader left')).toHaveCount(1);
    await expect(widget.reply('a reply for every tab')).toHaveCount(1);
    await expect(widget.connectionBanner).toBeHidden();
  }
  // The agent ends the conversation: the survey card shows in every tab.
  await relay.sim.close(session);
  for (const page of rest) {
    await expect(new Widget(page).messages.getByTestId('survey')).toHaveCount(1);
  }
  expect(await streamsOpen(relay)).toBe(1);
  expect(errors).toEqual([]);
});

test('a tab without a stream of its own shows the connection trouble of the tab that has it', async ({ context, startSim, startRelay }) => {
  // Udesk (the simulator) stays up while the relay restarts on the same SQLite file.
  const sim = await startSim(['--pickup-delay', '0', '--reply-delay', '0.1']);
  const relay = await startRelay({ sim, store: `sqlite:${path.join(tempDir(), 'relay.sqlite3')}` });
  await sim.webhookTo(relay);
  const first = await context.newPage();
  await first.goto(relay.url);
  const leader = new Widget(first);
  await leader.openAndWaitForRobot();
  const second = await context.newPage();
  const streams: string[] = [];
  second.on('request', (r) => {
    if (new URL(r.url()).pathname === '/v1/events') streams.push(r.url());
  });
  await second.goto(relay.url);
  const follower = new Widget(second);
  await follower.open();
  await expect(follower.replies().first()).toBeVisible();
  await expect.poll(() => streamsOpen(relay)).toBe(1);

  await relay.stop('SIGKILL');
  await expect(leader.connectionBanner).toBeVisible();
  await expect(follower.connectionBanner).toBeVisible();
  await relay.restart();
  await expect(leader.connectionBanner).toBeHidden({ timeout: 30_000 });
  await expect(follower.connectionBanner).toBeHidden();
  // Back in business: a question from the follower is answered in both tabs, over one stream.
  await follower.send('How long does delivery take?');
  await expect(follower.messages.getByTestId('robot-answer')).toHaveCount(1);
  await expect(leader.messages.getByTestId('robot-answer')).toHaveCount(1);
  expect(streams).toEqual([]);
  expect(await streamsOpen(relay)).toBe(1);
});
