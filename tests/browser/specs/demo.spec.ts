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
