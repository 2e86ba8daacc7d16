// Reaching a person: the queue (2001) with its position, the agent's name and avatar, nobody
// online (2002), and a transfer to another agent's session.
import { test, expect, screenshot, otherVisitorAsksForAgent } from '../fixtures';

test('talking to a person: queue position while waiting, then the agent takes over', async ({ page, relay, widget }) => {
  // The demo group's only agent serves three customers at once: fill those places.
  const others = [];
  for (let i = 0; i < 3; i++) others.push(await otherVisitorAsksForAgent(relay));
  await expect.poll(async () => (await relay.sim.admin<any[]>('sessions')).filter((s) => s.agent_id === 1).length).toBe(3);

  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await widget.talkToPerson.click();
  await expect(widget.queueBanner).toBeVisible();
  await expect(page.getByTestId('queue-position')).toHaveText('You are number 1 in line.');
  await expect(page.getByTestId('queue-position')).toHaveAttribute('data-count', '1');
  await screenshot(page, '20-queued');

  // An agent frees a place: the widget's polling and the stream move it on to the agent.
  const first = (await relay.sim.sessions(others[0].customerToken))[0];
  await relay.sim.close(first.id);
  await expect(widget.queueBanner).toBeHidden({ timeout: 20_000 });
  await expect(widget.headerName).toHaveText('小明 Xiaoming');
  await expect(widget.headerStatus).toHaveText('Support agent');
  const avatar = widget.panel.getByTestId('header').locator('img.avatar');
  await expect(avatar).toHaveJSProperty('complete', true);
  expect(await avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await expect(widget.reply(/demo agent/)).toBeVisible();
  await expect(widget.messages.getByTestId('event').first()).toBeVisible();

  // Messages now go to the agent's session.
  await widget.send('我想咨询一下发票');
  await expect(widget.reply(/我想咨询一下发票/)).toBeVisible();
  const token = await widget.customerToken();
  const [session] = await relay.sim.sessions(token);
  const transcript = (await relay.sim.admin(`transcripts?customer_token=${token}`))[token];
  expect(transcript.filter((e: any) => e.data?.content === '我想咨询一下发票')).toEqual([
    expect.objectContaining({ im_sub_session_id: session.id }),
  ]);
  await screenshot(page, '21-agent');
});

test('nobody online (2002): the widget says so and the robot keeps answering', async ({ page, relay, widget }) => {
  await relay.sim.setAgentOnline(1, false);
  await relay.sim.setAgentOnline(2, false);
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  await widget.talkToPerson.click();
  await expect(widget.noAgentBanner).toContainText('No agent is online right now — leave a message or keep talking to the robot.');
  await expect(widget.messages.getByTestId('notice')).toHaveAttribute('data-notice', 'no-agent');
  await screenshot(page, '22-no-agent');

  await widget.send('怎么开发票');
  await expect(widget.messages.getByTestId('robot-answer').last()).toContainText('申请发票');
  await page.getByTestId('keep-with-robot').click();
  await expect(widget.noAgentBanner).toBeHidden();

  // Someone comes online: trying again reaches them.
  await relay.sim.setAgentOnline(1, true);
  await widget.talkToPerson.click();
  await expect(widget.headerName).toHaveText('小明 Xiaoming', { timeout: 20_000 });
});

test('a transfer switches to the new session and agent', async ({ page, relay, widget }) => {
  await page.goto(relay.url);
  await widget.openAndWaitForRobot();
  const before = await widget.reachAgent(relay.sim);
  await relay.sim.transfer(before, 2);
  await expect(widget.headerName).toHaveText('Alice');
  await expect(widget.messages.getByTestId('event').filter({ hasText: /Alice/ }).first()).toBeVisible();

  const token = await widget.customerToken();
  const sessions = await relay.sim.sessions(token);
  const after = sessions[sessions.length - 1].id;
  expect(after).not.toBe(before);
  await widget.send('still there?');
  await expect(widget.visitorMessages().last()).toHaveAttribute('data-state', 'sent');
  const transcript = (await relay.sim.admin(`transcripts?customer_token=${token}`))[token];
  expect(transcript.filter((e: any) => e.data?.content === 'still there?')).toEqual([
    expect.objectContaining({ im_sub_session_id: after }),
  ]);
  await screenshot(page, '23-transferred');
});
