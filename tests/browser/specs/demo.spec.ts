// The demo page the relay serves at `/`: the one-line embed works, and the launcher opens a panel.
import { test, expect, screenshot } from '../fixtures';

test('the demo page loads and its launcher opens the chat panel', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await expect(page.getByTestId('demo')).toBeVisible();
  await expect(widget.launcher).toBeVisible();
  await expect(widget.panel).toHaveCount(0);
  await screenshot(page, '01-demo-launcher');

  await widget.launcher.click();
  await expect(widget.panel).toBeVisible();
  await expect(widget.launcher).toHaveAttribute('aria-expanded', 'true');
  // The robot session starts: its name in the header and its welcome message.
  await expect(widget.headerName).toHaveText('小U');
  await expect(widget.replies().first()).toContainText('小U');
  await expect(widget.input).toBeFocused();
  await screenshot(page, '02-demo-panel-open');
});

// The relay serves the demo page with a Content-Security-Policy (its inline script allowed by
// hash, WebAssembly, inline styles for the widget): the page and a conversation run without a
// single violation.
test('the demo page and the widget run under the relay\'s Content-Security-Policy', async ({ page, relay, widget }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const seen = ((window as any).__cspViolations ??= []);
      seen.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const response = await page.goto(relay.url);
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toContain("'wasm-unsafe-eval'");
  expect(csp).toContain("frame-ancestors 'none'");
  // The inline script ran (allowed by its hash): it links the simulator's agent console.
  await expect(page.getByText('Open the agent console')).toBeVisible();
  await widget.launcher.click();
  await expect(widget.replies().first()).toContainText('小U');
  await widget.send('怎么退货');
  await expect(widget.replies()).toHaveCount(2);
  expect(violations).toEqual([]);
  expect(await page.evaluate(() => (window as any).__cspViolations ?? [])).toEqual([]);
});
