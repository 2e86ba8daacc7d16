// The whole conversation the way a person tries it by hand: a visitor in the widget, a human
// agent in the simulator's console (in another browser), every step through the UI of both.
import { test, expect, screenshot, hostPage, otherVisitorAsksForAgent } from '../fixtures';

test('a person at the agent console picks up a waiting visitor, replies, invites a survey and closes', async ({
  browser,
  page,
  hostPages,
  startRelay,
  widget,
}) => {
  const relay = await startRelay({ allowedOrigins: [hostPages.origin] });
  // Alice (group 2) answers from the console and serves three customers at once: fill her places
  // so that our visitor waits in her queue.
  for (let i = 0; i < 3; i++) await otherVisitorAsksForAgent(relay, { group_id: 2 });
  await expect
    .poll(async () => (await relay.sim.admin<any[]>('sessions')).filter((s) => s.agent_id === 2).length)
    .toBe(3);

  await page.goto(hostPages.serve('/support.html', hostPage(relay.url, { attrs: 'data-group-id="2" data-locale="en"' })));
  await widget.open();
  await expect(widget.queueBanner).toBeVisible({ timeout: 20_000 });
  await expect(page.getByTestId('queue-position')).toHaveText('You are number 1 in line.');
  const token = await widget.customerToken();

  // The agent's browser: the visitor is listed as waiting; Alice picks them up.
  const agent = await (await browser.newContext()).newPage();
  await agent.goto(`${relay.sim.base}/console`);
  await expect(agent.getByTestId('connection')).not.toHaveText('connecting…');
  const row = agent.getByTestId(`customer-${token}`);
  await expect(row).toContainText('#1');
  await row.click();
  // Alice is at capacity, but a person may take a customer anyway.
  await agent.getByTestId('pickup-agent').selectOption('2');
  await agent.getByTestId('pickup').click();
  await expect(agent.getByTestId('notice')).toHaveText('Picked up by Alice.');

  // The widget leaves the queue and shows who answers.
  await expect(widget.queueBanner).toBeHidden({ timeout: 20_000 });
  await expect(widget.headerName).toHaveText('Alice');
  await expect(widget.messages.locator('[data-testid="event"][data-kind="start_session"]')).toBeVisible();

  // The visitor writes; the agent sees it in the transcript and answers with text, then an image.
  await widget.send('Hello, my parcel has not arrived.');
  await expect(agent.getByTestId('transcript')).toContainText('Hello, my parcel has not arrived.');
  await agent.getByTestId('text').fill('Sorry to hear that — let me check the tracking number.');
  await agent.getByTestId('text').press('Enter');
  await expect(widget.reply('let me check the tracking number')).toBeVisible();
  await agent.getByTestId('kind').selectOption('image');
  await expect(agent.getByTestId('media-url')).toHaveValue(/^http/);
  await agent.getByTestId('send').click();
  const image = widget.messages.getByTestId('image').last();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await screenshot(agent, '80-console-agent-replied');
  await screenshot(page, '81-widget-agent-replied');

  // The agent invites a survey; the visitor answers it once.
  await agent.getByTestId('invite-survey').click();
  await expect(agent.getByTestId('notice')).toHaveText('Survey invitation sent.');
  const card = widget.messages.getByTestId('survey');
  await expect(card).toBeVisible();
  await card.locator('[data-option-id="36"]').click();
  await card.getByTestId('survey-remark').fill('Quick and kind.');
  await card.getByTestId('survey-submit').click();
  await expect(card.getByTestId('survey-thanks')).toBeVisible();
  const [session] = await relay.sim.sessions(token);
  await expect
    .poll(async () => (await relay.sim.admin<any[]>('surveys')).filter((s) => s.customer_token === token))
    .toEqual([expect.objectContaining({ im_sub_session_id: session.id, option_id: 36, remark: 'Quick and kind.' })]);

  // The agent closes the conversation (after confirming); the widget says it has ended.
  agent.once('dialog', (dialog) => dialog.accept());
  await agent.getByTestId('close').click();
  await expect(agent.getByTestId('notice')).toHaveText('Conversation closed.');
  await expect(widget.headerStatus).toHaveText('The conversation has ended.');
  await expect(widget.messages.locator('[data-testid="event"][data-kind="close"]')).toBeVisible();
  // The console lists the customer as closed and no longer offers a composer for them.
  await expect(row).toContainText('closed');
  await expect(agent.getByTestId('composer')).toBeHidden();
  await screenshot(page, '82-widget-closed-by-agent');
});
