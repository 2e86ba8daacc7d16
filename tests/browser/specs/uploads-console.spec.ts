// What an agent sees of a visitor's uploads in the simulator's console: the picture shown (and
// opening full size), the voice note playable, the document offered as a download; and the
// robot's canned answer to a picture. The visitor side goes through the relay's API as the
// widget calls it (POST /v1/uploads, then POST /v1/messages with the answered URL).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test, expect, json, REPO, screenshot } from '../fixtures';

const FIXTURES = path.join(REPO, 'crates/relay/tests/fixtures');

async function upload(relayUrl: string, token: string, name: string, type: string, bytes: Uint8Array) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), name);
  const response = await fetch(`${relayUrl}/v1/uploads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const answer = await response.json();
  expect(response.status, JSON.stringify(answer)).toBe(201);
  return answer as { url: string; type: string; filename: string; filesize: string; content_type: string };
}

test("the agent console shows a visitor's picture, plays their voice note and offers their file", async ({
  browser,
  startRelay,
}) => {
  const relay = await startRelay({});
  const visitor = await json(`${relay.url}/v1/visitor`, { method: 'POST', body: '{}' });
  const auth = { authorization: `Bearer ${visitor.token}` };
  const send = (body: unknown) =>
    json(`${relay.url}/v1/messages`, { method: 'POST', headers: auth, body: JSON.stringify(body) });

  // To the robot first: it cannot look at pictures and says so.
  await json(`${relay.url}/v1/sessions`, { method: 'POST', headers: auth, body: '{}' });
  const photo = await upload(relay.url, visitor.token, 'parcel.jpg', 'image/jpeg', fs.readFileSync(path.join(FIXTURES, 'photo.jpg')));
  expect(photo.type).toBe('image');
  await send({ type: 'image', data: { content: photo.url } });

  // Then to an agent, with a voice note and a document.
  await json(`${relay.url}/v1/sessions`, { method: 'POST', headers: auth, body: JSON.stringify({ assign_type: 'agent' }) });
  await expect.poll(async () => (await relay.sim.sessions(visitor.customer_token)).filter((s) => s.agent_id).length, { timeout: 20_000 }).toBe(1);
  const [session] = await relay.sim.sessions(visitor.customer_token);
  const voice = await upload(relay.url, visitor.token, 'voice.wav', 'audio/wav', fs.readFileSync(path.join(FIXTURES, 'chime.wav')));
  const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
  const doc = await upload(relay.url, visitor.token, '收据 receipt.pdf', 'application/pdf', pdf);
  expect([voice.type, doc.type]).toEqual(['audio', 'file']);
  for (const [type, file] of [['image', photo], ['audio', voice], ['file', doc]] as const) {
    await send({ type, im_sub_session_id: session.id, data: { content: file.url } });
  }

  const agent = await (await browser.newContext()).newPage();
  await agent.goto(`${relay.sim.base}/console`);
  await agent.getByTestId(`customer-${visitor.customer_token}`).click();
  const fromVisitor = (kind: string) =>
    agent.locator(`[data-testid="message"][data-from="customer"][data-kind="${kind}"]`);

  // The robot's reply to the picture.
  await expect(agent.locator('[data-testid="message"][data-from="robot"]').filter({ hasText: 'Thanks for the picture' })).toBeVisible();

  // The picture, loaded (its EXIF orientation applied by the browser: 32×48 upright), opening full size.
  const pictures = fromVisitor('image').locator('img');
  await expect(pictures).toHaveCount(2);
  for (const picture of await pictures.all()) {
    await expect.poll(() => picture.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(32);
    expect(await picture.evaluate((img: HTMLImageElement) => img.naturalHeight)).toBe(48);
    await expect(picture.locator('xpath=..')).toHaveAttribute('href', photo.url);
  }

  // The voice note plays: its metadata loads (half a second) and play() starts it.
  const audio = fromVisitor('audio').locator('audio');
  await expect(audio).toHaveAttribute('src', voice.url);
  await expect.poll(() => audio.evaluate((a: HTMLAudioElement) => a.readyState >= 1 && Math.round(a.duration * 10) / 10)).toBe(0.5);
  const played = await audio.evaluate(async (a: HTMLAudioElement) => {
    a.muted = true;
    await a.play();
    await new Promise((r) => setTimeout(r, 200));
    return a.currentTime > 0;
  });
  expect(played).toBe(true);
  await expect(fromVisitor('audio')).toContainText(`voice.wav · ${voice.filesize}`);

  // The document is a download under its own name; the relay serves it as an attachment.
  const link = fromVisitor('file').getByRole('link', { name: '收据 receipt.pdf' });
  await expect(link).toHaveAttribute('download', '收据 receipt.pdf');
  await expect(link).toHaveAttribute('href', doc.url);
  const served = await fetch(doc.url);
  expect(served.headers.get('content-disposition')).toMatch(/^attachment; /);
  expect(served.headers.get('content-security-policy')).toBe('sandbox');
  await screenshot(agent, 'console-visitor-uploads');
});
