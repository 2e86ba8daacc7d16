// Embedding: one tag on a page of another origin, untouched by hostile host CSS and leaking none
// of its own; CORS only for allowed origins; theming tokens and data-attributes; the JS API.
import { test, expect, screenshot, hostPage, Widget } from '../fixtures';

const HOSTILE_CSS = `<style>
  * { font-family: "Comic Sans MS", cursive !important; color: rgb(255, 0, 0) !important;
      letter-spacing: 3px !important; line-height: 3 !important; box-sizing: content-box !important; }
  button { display: none !important; }
  div, section, header, p { padding: 40px !important; margin: 40px !important; background: yellow !important; }
  textarea { font-size: 40px !important; }
  svg { width: 300px !important; height: 300px !important; }
  udesk-chat { display: none !important; opacity: 0 !important; }
  p.host { color: rgb(1, 2, 3) !important; }
</style>`;

test('a host page on another origin with hostile CSS embeds the widget unharmed', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const url = hostPages.serve('/shop.html', hostPage(relay.url, {
    head: HOSTILE_CSS,
    body: '<p class="host">Host text</p><button id="host-button">Host button</button>',
  }));
  await page.goto(url);

  await expect(widget.launcher).toBeVisible();
  // The host's rules hit its own elements…
  await expect(page.locator('#host-button')).toBeHidden();
  // …but not the widget's.
  await expect(widget.launcher).toHaveCSS('background-color', 'rgb(31, 111, 235)');
  await expect(widget.launcher).toHaveCSS('width', '56px');
  const font = await widget.launcher.evaluate((el) => getComputedStyle(el).fontFamily);
  expect(font).not.toContain('Comic Sans');
  await widget.open();
  await expect(widget.replies().first()).toBeVisible();
  await expect(widget.panel).toHaveCSS('padding-top', '0px');
  await expect(widget.input).toHaveCSS('font-size', '14px');
  await expect(widget.replies().first().getByTestId('text')).not.toHaveCSS('color', 'rgb(255, 0, 0)');
  // The widget's stylesheet stays in its shadow root.
  await expect(page.locator('p.host')).toHaveCSS('color', 'rgb(1, 2, 3)');
  expect(await page.evaluate(() => document.styleSheets.length)).toBe(1);

  // Cross-origin calls work for an allowed origin: a question gets the robot's answer.
  await widget.send('How do I return an item?');
  await expect(widget.messages.getByTestId('robot-answer').last()).toContainText('return');
  await screenshot(page, '60-hostile-host-page');
});

test('a page on an origin the relay does not allow gets no widget', async ({ page, hostPages, relay }) => {
  const url = hostPages.serve('/elsewhere.html', hostPage(relay.url));
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await expect.poll(() => errors.some((e) => e.includes('udesk-chat: the widget could not load'))).toBe(true);
  await expect(page.getByTestId('launcher')).toHaveCount(0);
  // The API refuses such an origin with a JSON error, too.
  const answer = await fetch(`${relay.url}/v1/visitor`, { method: 'POST', headers: { origin: hostPages.origin } });
  expect(answer.status).toBe(403);
  expect((await answer.json()).error).toBe('origin_not_allowed');
});

test('theming tokens set by the host page restyle the widget', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const url = hostPages.serve('/themed.html', hostPage(relay.url, {
    head: `<style>:root { --udesk-primary: rgb(228, 0, 127); --udesk-radius: 4px; --udesk-launcher-size: 64px;
      --udesk-font: Georgia, serif; }</style>`,
  }));
  await page.goto(url);
  await expect(widget.launcher).toHaveCSS('background-color', 'rgb(228, 0, 127)');
  await expect(widget.launcher).toHaveCSS('height', '64px');
  await widget.open();
  await expect(widget.panel).toHaveCSS('border-top-left-radius', '4px');
  await expect(page.getByTestId('header')).toHaveCSS('background-color', 'rgb(228, 0, 127)');
  expect(await widget.panel.evaluate((el) => getComputedStyle(el).fontFamily)).toContain('Georgia');
  await screenshot(page, '61-themed');

  // data-primary-color on the tag wins over the page's token.
  const url2 = hostPages.serve('/attr.html', hostPage(relay.url, { attrs: 'data-primary-color="rgb(0, 128, 0)"' }));
  await page.goto(url2);
  await expect(widget.launcher).toHaveCSS('background-color', 'rgb(0, 128, 0)');
});

test('dark theme follows the system unless the page forces one', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(hostPages.serve('/auto.html', hostPage(relay.url)));
  await widget.open();
  await expect(widget.panel).toHaveCSS('background-color', 'rgb(23, 24, 28)');
  // The header stays readable (WCAG AA: contrast of at least 4.5 for its text).
  expect(await headerContrast(widget)).toBeGreaterThanOrEqual(4.5);
  await screenshot(page, '62-dark');
  await page.goto(hostPages.serve('/light.html', hostPage(relay.url, { attrs: 'data-theme="light"' })));
  await widget.open();
  await expect(widget.panel).toHaveCSS('background-color', 'rgb(255, 255, 255)');
  expect(await headerContrast(widget)).toBeGreaterThanOrEqual(4.5);
});

/** The WCAG contrast ratio between the header's title and the header's background. */
async function headerContrast(widget: Widget): Promise<number> {
  const [text, background] = await widget.headerName.evaluate((name) => {
    const header = name.closest('[data-testid="header"]')!;
    return [getComputedStyle(name).color, getComputedStyle(header).backgroundColor];
  });
  const luminance = (css: string) => {
    const [r, g, b] = css.match(/[\d.]+/g)!.slice(0, 3).map((c) => {
      const s = Number(c) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(text), luminance(background)].sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}

test('data-attributes configure the widget and the JS API drives it and reports events', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const url = hostPages.serve('/api.html', hostPage(relay.url, {
    attrs: 'data-position="left" data-title="Tea help" data-launcher-label="Ask us" data-locale="en"',
    // Calls made before the widget has loaded are queued.
    body: `<script>
      window.events = [];
      window.UdeskChat = { q: [] };
    </script>`,
  }));
  await page.goto(url);
  await page.waitForFunction(() => (window as any).UdeskChat?.__udesk);
  await page.evaluate(() => {
    const chat = (window as any).UdeskChat;
    for (const name of ['open', 'close', 'message', 'unread', 'session']) {
      chat.on(name, (detail: unknown) => (window as any).events.push([name, detail]));
    }
    chat.open();
  });
  await expect(widget.panel).toBeVisible();
  await expect(page.getByTestId('launcher-label')).toHaveText('Ask us');
  const box = (await widget.launcher.boundingBox())!;
  expect(box.x).toBeLessThan(100);
  await expect(widget.replies().first()).toBeVisible();
  await widget.send('Hello');
  await expect(widget.messages.getByTestId('robot-answer').last()).toBeVisible();

  await page.evaluate(() => (window as any).UdeskChat.setLocale('zh-CN'));
  await expect(widget.input).toHaveAttribute('placeholder', '请输入消息…');
  await page.evaluate(() => (window as any).UdeskChat.close());
  await expect(widget.panel).toBeHidden();
  await page.evaluate(() => (window as any).UdeskChat.toggle());
  await expect(widget.panel).toBeVisible();

  const names = await page.evaluate(() => (window as any).events.map((e: any) => e[0]));
  expect(names).toEqual(expect.arrayContaining(['open', 'message', 'close']));
  const fromRobot = await page.evaluate(() =>
    (window as any).events.find((e: any) => e[0] === 'message' && e[1].author === 'robot' && e[1].type === 'message'));
  expect(fromRobot[1].from).toBe('小U');
  expect(fromRobot[1].text.length).toBeGreaterThan(0);
  const fromVisitor = await page.evaluate(() =>
    (window as any).events.find((e: any) => e[0] === 'message' && e[1].author === 'visitor'));
  expect(fromVisitor[1].text).toBe('Hello');
  expect(names.filter((n: string) => n === 'open')).toHaveLength(2);

  // off() removes a listener.
  await page.evaluate(() => {
    const chat = (window as any).UdeskChat;
    (window as any).count = 0;
    const fn = () => (window as any).count++;
    chat.on('close', fn);
    chat.off('close', fn);
    chat.close();
  });
  expect(await page.evaluate(() => (window as any).count)).toBe(0);
});

test('a page that asks to start open shows the panel without stealing focus', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  await page.goto(hostPages.serve('/open.html', hostPage(relay.url, {
    attrs: 'data-open',
    body: '<input id="search" autofocus>',
  })));
  await expect(widget.panel).toBeVisible();
  await expect(widget.replies().first()).toBeVisible();
  await expect(page.locator('#search')).toBeFocused();
});

test('identify() makes a signed user the same customer in every browser', async ({ browser, hostPages, startRelay }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  const url = hostPages.serve('/account.html', hostPage(relay.url));
  // The host site's server signs its user id with the relay's identity secret.
  const { createHmac } = await import('node:crypto');
  const signature = createHmac('sha256', 'browser-tests-identity-secret').update('user-42').digest('hex');

  const customerIn = async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    // identify() waits for the app, which open() loads.
    await page.waitForFunction(() => (window as any).UdeskChat?.__udesk);
    await page.evaluate((sig) => {
      const chat = (window as any).UdeskChat;
      chat.identify({ user_id: 'user-42', signature: sig, name: 'Ada Lovelace', email: 'ada@example.com' });
      chat.open();
    }, signature);
    const widget = new Widget(page);
    await expect(widget.replies().first()).toBeVisible();
    const token = await widget.customerToken();
    await context.close();
    return token;
  };
  const first = await customerIn();
  const second = await customerIn();
  expect(second).toBe(first);
  // The relay created the Udesk customer with the name the host page gave.
  await expect
    .poll(async () => (await relay.sim.admin<any[]>('customers')).find((c) => c.token === first)?.nick_name)
    .toBe('Ada Lovelace');

  // A forged signature is refused, and the widget says so instead of failing silently.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForFunction(() => (window as any).UdeskChat?.__udesk);
  await page.evaluate(() => {
    (window as any).UdeskChat.identify({ user_id: 'user-42', signature: '00'.repeat(32) });
    (window as any).UdeskChat.open();
  });
  await expect(new Widget(page).errorBanner).toContainText('signature');
  await context.close();
});

test('data-group-id asks for that group\'s agents from the start', async ({ page, hostPages, startRelay, widget }) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  // Group 2 is Alice's (a console-driven agent).
  await page.goto(hostPages.serve('/after-sales.html', hostPage(relay.url, { attrs: 'data-group-id="2" data-channel="after-sales-page"' })));
  await widget.open();
  await expect(widget.headerName).toHaveText('Alice', { timeout: 20_000 });
  const token = await widget.customerToken();
  const [session] = await relay.sim.sessions(token);
  expect(session).toEqual(expect.objectContaining({ group_id: 2, agent_id: 2, channel: 'after-sales-page' }));
});
