// The visitor sends files from the widget: a picture picked with the attach button (seen in the
// widget and at the agent console), a picture pasted into the message box and one dropped on
// the panel, the progress of a slow upload, a file over the relay's limit refused before any
// byte is sent, a failed upload
// kept for a retry, an upload cancelled, and a disguised file refused by the relay with its
// reason.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Request } from '@playwright/test';
import { test, expect, REPO, screenshot } from '../fixtures';

const FIXTURES = path.join(REPO, 'crates/relay/tests/fixtures');
const PHOTO = path.join(FIXTURES, 'photo.jpg');
const PNG = Array.from(fs.readFileSync(path.join(FIXTURES, 'photo.png')));

/** The uploads the page has sent to the relay. */
function uploadRequests(page: import('@playwright/test').Page): Request[] {
  const seen: Request[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/v1/uploads') seen.push(r);
  });
  return seen;
}

test('a picture picked with the attach button reaches the agent console and shows in the widget', async ({
  page,
  browser,
  relay,
  widget,
}) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const attach = page.getByTestId('attach');
  await expect(attach).toBeVisible();
  await expect(attach).toHaveAccessibleName('Send a picture or file');

  await page.getByTestId('attach-input').setInputFiles(PHOTO);
  const sent = widget.visitorMessages().filter({ has: page.getByTestId('image-thumb') });
  await expect(sent).toHaveAttribute('data-state', 'sent');
  const picture = sent.getByTestId('image');
  await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
  expect(await picture.getAttribute('src')).toMatch(new RegExp(`^${relay.url}/media/[0-9a-f]{32}\\.jpg$`));
  await expect(page.getByTestId('upload')).toHaveCount(0);
  await expect(widget.liveRegion).not.toBeEmpty();
  // The robot cannot look at pictures and says so.
  await expect(widget.reply(/Thanks for the picture/)).toBeVisible();
  // The thumbnail opens the image viewer.
  await sent.getByTestId('image-thumb').click();
  await expect(page.getByTestId('lightbox')).toBeVisible();
  await page.keyboard.press('Escape');
  await screenshot(page, 'widget-upload-picture');

  // The agent console shows the same picture.
  const token = await widget.customerToken();
  const agent = await (await browser.newContext()).newPage();
  await agent.goto(`${relay.sim.base}/console`);
  await agent.getByTestId(`customer-${token}`).click();
  const atConsole = agent.locator('[data-testid="message"][data-from="customer"][data-kind="image"] img');
  await expect(atConsole).toHaveCount(1);
  await expect.poll(() => atConsole.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
  expect(await atConsole.getAttribute('src')).toBe(await picture.getAttribute('src'));
});

test('a picture pasted into the message box and one dropped on the panel are sent', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await expect(page.getByTestId('attach')).toBeVisible();

  await widget.input.evaluate((box, bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
    box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, PNG);
  const pictures = widget.visitorMessages().filter({ has: page.getByTestId('image-thumb') });
  await expect(pictures).toHaveCount(1);
  await expect(pictures.first()).toHaveAttribute('data-state', 'sent');
  // A pasted file is not pasted as text.
  await expect(widget.input).toHaveValue('');

  await widget.messages.evaluate((log, bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    const over = new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true });
    log.dispatchEvent(over);
    if (!over.defaultPrevented) throw new Error('the panel does not take dropped files');
    log.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, PNG);
  await expect(pictures).toHaveCount(2);
  await expect(pictures.nth(1)).toHaveAttribute('data-state', 'sent');
  await expect(pictures.nth(1).getByTestId('image')).toHaveAttribute('alt', 'dropped.png');
});

test('on a slow uplink the progress bar moves until the file is sent', async ({ page, context, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  // 100 KB/s up: a 400 KB document takes about four seconds.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: 1_000_000, uploadThroughput: 100_000 });
  const pdf = Buffer.alloc(400_000, 7);
  Buffer.from('%PDF-1.4\n').copy(pdf);
  await page.getByTestId('attach-input').setInputFiles({ name: 'manual.pdf', mimeType: 'application/pdf', buffer: pdf });
  // Sampled without waiting, so that no locator holds the loop up.
  const values: number[] = [];
  await expect
    .poll(async () => {
      const value = await page.evaluate(() =>
        document.querySelector('udesk-chat')!.shadowRoot!.querySelector('[data-testid="upload-progress"]')?.getAttribute('value'));
      if (value != null) values.push(Number(value));
      return value == null && values.length > 0;
    }, { intervals: [100], timeout: 30_000 })
    .toBe(true);
  const distinct = [...new Set(values)];
  expect(distinct.length, `progress values ${distinct}`).toBeGreaterThanOrEqual(5);
  expect(values).toEqual([...values].sort((a, b) => a - b));
  expect(Math.max(...values)).toBeGreaterThanOrEqual(80);
  await expect(widget.visitorMessages().last()).toContainText('manual.pdf');
});

test.describe('with a 1 KiB picture limit', () => {
  test.use({ relayOptions: { args: ['--upload-max-image-bytes', '1024'] } });

  test('a picture over the limit is refused with the reason before any byte is sent', async ({ page, relay, widget }) => {
    const uploads = uploadRequests(page);
    await page.goto(relay.url);
    await widget.openAndWaitForRobot();
    await expect(page.getByTestId('attach')).toBeVisible();

    // photo.jpg is 1086 bytes.
    await page.getByTestId('attach-input').setInputFiles(PHOTO);
    await expect(widget.errorBanner).toContainText('“photo.jpg”: The file is too large (at most 1 KB).');
    await expect(widget.liveRegion).toHaveText('“photo.jpg”: The file is too large (at most 1 KB).');
    await expect(page.getByTestId('upload')).toHaveCount(0);
    await expect(widget.visitorMessages()).toHaveCount(0);
    expect(uploads).toHaveLength(0);

    // A smaller picture still goes.
    await page.getByTestId('attach-input').setInputFiles({ name: 'small.png', mimeType: 'image/png', buffer: Buffer.from(PNG) });
    await expect(widget.visitorMessages().filter({ has: page.getByTestId('image-thumb') })).toHaveAttribute('data-state', 'sent');
    expect(uploads).toHaveLength(1);
  });
});

test.describe('in the phone layout', () => {
test.use({ viewport: { width: 375, height: 700 } });

test('a failed upload keeps its file for a retry; an upload can be cancelled; a disguised file is refused with the reason', async ({
  page,
  relay,
  widget,
}) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await expect(page.getByTestId('attach')).toBeVisible();
  // The composer's buttons fit the phone's width.
  for (const id of ['attach', 'composer-input', 'send']) {
    const box = (await page.getByTestId(id).boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
  }

  // The network fails: the row stays with the reason, retry and cancel.
  await page.route('**/v1/uploads', (route) => route.abort('connectionreset'));
  await page.getByTestId('attach-input').setInputFiles(PHOTO);
  const row = page.getByTestId('upload');
  await expect(row).toHaveAttribute('data-state', 'failed');
  await expect(row.getByTestId('upload-name')).toHaveText('photo.jpg');
  await expect(row.getByTestId('upload-error')).toHaveText('Upload failed');
  await expect(row.getByTestId('upload-error')).toHaveAttribute('role', 'alert');
  await expect(widget.liveRegion).toHaveText('“photo.jpg”: Upload failed');
  await expect(widget.visitorMessages()).toHaveCount(0);
  await screenshot(page, 'widget-upload-failed');

  // Back online: retry sends the same file.
  await page.unroute('**/v1/uploads');
  await row.getByTestId('upload-retry').click();
  const pictures = widget.visitorMessages().filter({ has: page.getByTestId('image-thumb') });
  await expect(pictures).toHaveAttribute('data-state', 'sent');
  await expect(row).toHaveCount(0);

  // An upload that hangs shows its progress bar and can be cancelled: nothing is sent.
  await page.route('**/v1/uploads', () => {});
  await page.getByTestId('attach-input').setInputFiles({ name: 'slow.png', mimeType: 'image/png', buffer: Buffer.from(PNG) });
  await expect(row).toHaveAttribute('data-state', 'uploading');
  await expect(row.getByTestId('upload-progress')).toBeVisible();
  await expect(row.getByTestId('upload-progress')).toHaveAccessibleName('Uploading slow.png');
  await row.getByRole('button', { name: 'Cancel slow.png' }).click();
  await expect(row).toHaveCount(0);
  await expect(widget.liveRegion).toHaveText('“slow.png”: Upload cancelled');
  await page.unroute('**/v1/uploads');

  // Text under a picture's name: the relay refuses it (415) and the widget says why.
  await page.getByTestId('attach-input').setInputFiles({ name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('not a picture at all') });
  await expect(row).toHaveAttribute('data-state', 'failed');
  await expect(row.getByTestId('upload-error')).toContainText(/^Upload failed: .+/);
  await row.getByTestId('upload-cancel').click();
  await expect(row).toHaveCount(0);
  await expect(pictures).toHaveCount(1);
});
});
