// The light embed: a page pays for embed.js (the launcher, drawn at once) and nothing else until the
// visitor shows intent; the app loads on hover/focus/touch (prefetch), click or UdeskChat.open(),
// and at idle only for a browser that already has a conversation with the site.
import { test, expect, screenshot, hostPage, DIST, type Relay } from '../fixtures';
import type { Page, Request } from '@playwright/test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

/** Every request the page makes to the relay, by path. */
function relayRequests(page: Page, relay: Relay): string[] {
  const seen: string[] = [];
  page.on('request', (r: Request) => {
    const url = new URL(r.url());
    if (url.origin === new URL(relay.url).origin) seen.push(url.pathname);
  });
  return seen;
}

const isApi = (p: string) => p.startsWith('/v1/');
const isApp = (p: string) => /\.(wasm|js)$/.test(p) && !p.endsWith('/embed.js');

/** Waits until the page's load event has passed and the browser has been idle a while. */
async function settle(page: Page): Promise<void> {
  await page.waitForLoadState('load');
  await page.evaluate(() => new Promise((r) => (window as any).requestIdleCallback(() => setTimeout(r, 500))));
}

async function storage(page: Page): Promise<{ local: number; session: number; cookies: string }> {
  return page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookies: document.cookie }));
}

test('before any interaction the page gets the launcher and nothing else: no app, no /v1 call, no storage', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const requests = relayRequests(page, relay);
  await page.goto(hostPages.serve('/quiet.html', hostPage(relay.url, { attrs: 'data-primary-color="rgb(228, 0, 127)"' })));
  await expect(widget.launcher).toBeVisible();
  await expect(widget.launcher).toHaveCSS('background-color', 'rgb(228, 0, 127)');
  await expect(widget.launcher).toHaveAttribute('aria-label', 'Open chat');
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'false');
  await settle(page);

  expect(requests.filter(isApi)).toEqual([]);
  expect(requests.filter(isApp)).toEqual([]);
  expect(requests).toEqual(['/widget/embed.js', '/widget/manifest.json']);
  expect(await storage(page)).toEqual({ local: 0, session: 0, cookies: '' });
  expect(await page.evaluate(() => (window as any).UdeskChat.ready)).toBe(false);
  await screenshot(page, '90-light-launcher');
});

test('what a page downloads before interaction stays within 5 KiB gzipped', async () => {
  const gz = (file: string) => zlib.gzipSync(fs.readFileSync(path.join(DIST, file)), { level: 9 }).length;
  const before = gz('embed.js') + gz('manifest.json');
  expect(before).toBeLessThanOrEqual(5 * 1024);
});

test('hovering the launcher prefetches the app without calling the relay; a click opens the chat', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const requests = relayRequests(page, relay);
  await page.goto(hostPages.serve('/hover.html', hostPage(relay.url)));
  await settle(page);
  const wasm = page.waitForRequest((r) => r.url().endsWith('.wasm'));
  await widget.launcher.hover();
  await wasm;
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm') && (e as PerformanceResourceTiming).responseEnd > 0));
  expect(requests.filter(isApi)).toEqual([]);
  expect(await storage(page)).toEqual({ local: 0, session: 0, cookies: '' });

  await widget.launcher.click();
  await expect(widget.panel).toBeVisible();
  await expect(widget.replies().first()).toBeVisible();
  await widget.send('How do I return an item?');
  await expect(widget.messages.getByTestId('robot-answer').last()).toContainText('return');
});

test('a click before the app has loaded shows the panel frame at once, then the chat', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  await page.goto(hostPages.serve('/slow.html', hostPage(relay.url)));
  await settle(page);
  // Hold the wasm back, so the click meets an app that has not loaded.
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  const answered = await widget.launcher.evaluate((launcher) => {
    const t0 = performance.now();
    (launcher as HTMLElement).click();
    const frame = launcher.getRootNode() as ShadowRoot;
    return frame.querySelector('[data-testid="panel-frame"]') ? performance.now() - t0 : -1;
  });
  expect(answered).toBeGreaterThanOrEqual(0);
  expect(answered).toBeLessThan(100);
  await expect(page.getByTestId('panel-loading')).toBeVisible();
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'true');
  await screenshot(page, '91-loading-frame');
  // Escape closes the frame like the panel, and the focus goes back to the launcher.
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('panel-frame')).toHaveCount(0);
  await expect(widget.launcher).toBeFocused();
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'false');
  await widget.launcher.click();
  await expect(page.getByTestId('panel-loading')).toBeVisible();
  release();
  await expect(widget.panel).toBeVisible();
  await expect(page.getByTestId('panel-frame')).toHaveCount(0);
  await expect(widget.replies().first()).toBeVisible();
});

test('a wasm that fails to load shows a retry in the frame, and the retry works', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(hostPages.serve('/broken.html', hostPage(relay.url)));
  await page.route('**/*.wasm', (route) => route.abort());
  await widget.launcher.click();
  await expect(page.getByTestId('panel-retry')).toBeVisible();
  await expect(page.getByTestId('panel-loading')).toContainText('could not load');
  expect(errors.some((e) => e.includes('udesk-chat: the widget could not load'))).toBe(true);
  await screenshot(page, '92-load-failed');
  await page.unroute('**/*.wasm');
  await page.getByTestId('panel-retry').click();
  await expect(widget.panel).toBeVisible();
  await expect(widget.replies().first()).toBeVisible();
});

test('with saveData nothing is prefetched: only a click loads', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  await page.addInitScript(() => Object.defineProperty(navigator, 'connection', { value: { saveData: true } }));
  const requests = relayRequests(page, relay);
  await page.goto(hostPages.serve('/save-data.html', hostPage(relay.url)));
  await settle(page);
  await widget.launcher.hover();
  await widget.launcher.focus();
  await page.waitForTimeout(500);
  expect(requests).toEqual(['/widget/embed.js']);
  await widget.launcher.click();
  await expect(widget.panel).toBeVisible();
  await expect(widget.replies().first()).toBeVisible();
});

test('the keyboard opens it: Tab to the launcher, Enter', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  await page.goto(hostPages.serve('/keys.html', hostPage(relay.url, { body: '<h1>Keys</h1>' })));
  await page.keyboard.press('Tab');
  await expect(widget.launcher).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(widget.panel).toBeVisible();
  await expect(widget.input).toBeFocused();
  await expect(widget.replies().first()).toBeVisible();
});

test('UdeskChat.open() before the app has loaded loads and opens it', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  await page.goto(hostPages.serve('/api-open.html', hostPage(relay.url)));
  await page.waitForFunction(() => (window as any).UdeskChat?.__udesk);
  expect(await page.evaluate(() => (window as any).UdeskChat.ready)).toBe(false);
  await page.evaluate(() => (window as any).UdeskChat.open());
  await expect(widget.panel).toBeVisible();
  await expect(widget.replies().first()).toBeVisible();
  expect(await page.evaluate(() => (window as any).UdeskChat.ready)).toBe(true);
});

test('a returning visitor gets the app at idle, and a reply with the panel closed shows the unread badge', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const url = hostPages.serve('/return.html', hostPage(relay.url));
  await page.goto(url);
  await widget.openAndWaitForRobot();
  const session = await widget.reachAgent(relay.sim);
  // The demo agent introduces itself after the pick-up: wait for it, so that the only reply
  // after the reload is the one below.
  await expect(widget.reply(/demo agent/)).toBeVisible();

  const requests = relayRequests(page, relay);
  const stream = page.waitForRequest((r) => new URL(r.url()).pathname === '/v1/events');
  await page.reload();
  // Nobody touches the page: the app loads by itself and resumes the stream.
  await stream;
  expect(requests.some(isApp)).toBe(true);
  await expect(widget.panel).toBeHidden();
  await relay.sim.say(session, 'your parcel left today');
  await expect(widget.badge).toHaveText('1');
  await expect(widget.launcher).toHaveAttribute('aria-label', /1 unread message/);
  await screenshot(page, '93-returning-unread');
  await widget.open();
  await expect(widget.reply('your parcel left today')).toHaveCount(1);
});

test('a tab opened before the conversation started loads the app once another tab starts one', async ({ context, hostPages, startRelay }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const url = hostPages.serve('/two-tabs.html', hostPage(relay.url));
  const quiet = await context.newPage();
  await quiet.goto(url);
  await settle(quiet);
  expect(await quiet.evaluate(() => (window as any).UdeskChat.ready)).toBe(false);

  const talker = await context.newPage();
  await talker.goto(url);
  await talker.getByTestId('launcher').click();
  await expect(talker.getByTestId('reply').first()).toBeVisible();
  await expect.poll(() => quiet.evaluate(() => (window as any).UdeskChat.ready)).toBe(true);
});
